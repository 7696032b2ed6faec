use std::fmt;

/// An e-mail address in a plausible shape, trimmed and with its domain in
/// lower case. Full RFC 5322 validation is neither possible nor useful here;
/// what matters is that obvious typos are refused at the edge.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most 254 characters")]
    TooLong,
    #[error("is not a valid e-mail address")]
    Malformed,
}

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(EmailError::Empty);
        }
        if trimmed.chars().count() > 254 {
            return Err(EmailError::TooLong);
        }
        let (local, domain) = trimmed.rsplit_once('@').ok_or(EmailError::Malformed)?;
        let local_ok = !local.is_empty()
            && local.chars().count() <= 64
            && !local.contains('@')
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..");
        let domain_ok = domain.contains('.')
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        let no_space = !trimmed.chars().any(|c| c.is_whitespace() || c.is_control());
        if !(local_ok && domain_ok && no_space) {
            return Err(EmailError::Malformed);
        }
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form used to compare addresses: the whole address in lower case.
    /// Mail servers may treat the local part as case-sensitive, people do not.
    pub fn comparison_key(&self) -> String {
        self.0.to_lowercase()
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_addresses_and_lowercases_the_domain() {
        let email = EmailAddress::parse("  Anna.Schmidt@Example.DE ").map(|e| e.0);
        assert_eq!(email, Ok("Anna.Schmidt@example.de".to_owned()));
        assert!(EmailAddress::parse("kv-dresden@partei-sachsen.de").is_ok());
        assert!(EmailAddress::parse("jürgen@müller.de").is_ok());
    }

    #[test]
    fn refuses_what_cannot_be_an_address() {
        for raw in [
            "",
            "  ",
            "anna",
            "anna@",
            "@example.de",
            "anna@example",
            "an na@example.de",
            "anna@@example.de",
            "anna@exa_mple.de",
            ".anna@example.de",
            "an..na@example.de",
            "anna@-example.de",
            "anna@example..de",
        ] {
            assert!(EmailAddress::parse(raw).is_err(), "{raw:?} was accepted");
        }
        let long = format!("{}@example.de", "a".repeat(250));
        assert_eq!(EmailAddress::parse(&long), Err(EmailError::TooLong));
    }

    #[test]
    fn comparison_ignores_case() {
        let a = EmailAddress::parse("Anna@Example.de").map(|e| e.comparison_key());
        let b = EmailAddress::parse("anna@example.DE").map(|e| e.comparison_key());
        assert_eq!(a, b);
    }
}
