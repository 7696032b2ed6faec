use std::fmt;

/// A German postal code: exactly five ASCII digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PostalCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be exactly five digits")]
pub struct PostalCodeError;

impl PostalCode {
    pub fn parse(raw: &str) -> Result<Self, PostalCodeError> {
        let trimmed = raw.trim();
        if trimmed.len() == 5 && trimmed.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(trimmed.to_owned()))
        } else {
            Err(PostalCodeError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PostalCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_digits_and_nothing_else() {
        assert_eq!(PostalCode::parse("01067").map(|p| p.0), Ok("01067".into()));
        assert_eq!(
            PostalCode::parse(" 04109 ").map(|p| p.0),
            Ok("04109".into())
        );
        for raw in ["", "1067", "010677", "0106a", "01 67", "٠١٠٦٧", "-1067"] {
            assert_eq!(PostalCode::parse(raw), Err(PostalCodeError), "{raw:?}");
        }
    }
}
