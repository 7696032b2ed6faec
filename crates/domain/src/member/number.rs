//! Membership numbers: handed out by kartei's counter as plain decimal
//! numbers, or brought along by an imported member list in the format the
//! old files used.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MembershipNumberError {
    #[error("must not be empty")]
    Empty,
    #[error(
        "must be at most {} letters, digits, '-' or '/'",
        MembershipNumber::MAX_CHARS
    )]
    Invalid,
}

/// A membership number: 1 to 20 ASCII letters, digits, `-` or `/`. The
/// counter's numbers are decimal; imported lists bring numbers like
/// `DD-2019/0042`, which are kept as they were, since they stand on paper
/// files and membership cards.
///
/// Only numbers that a person or a file hands in are parsed. A stored
/// record keeps its number as a string: anonymisation replaces the number
/// by the record's id, which is longer than any number a person may give.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MembershipNumber(String);

impl MembershipNumber {
    pub const MAX_CHARS: usize = 20;

    /// Checks a number handed in, trimmed.
    pub fn parse(raw: &str) -> Result<Self, MembershipNumberError> {
        let number = raw.trim();
        if number.is_empty() {
            Err(MembershipNumberError::Empty)
        } else if number.chars().count() <= Self::MAX_CHARS
            && number
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '/')
        {
            Ok(MembershipNumber(number.to_owned()))
        } else {
            Err(MembershipNumberError::Invalid)
        }
    }

    /// The number for a value of the counter. Any `i64` fits the format
    /// (at most 19 digits and a sign), so this cannot fail.
    pub fn from_counter(value: i64) -> Self {
        MembershipNumber(value.to_string())
    }

    /// The counter value this number occupies, if it is a plain decimal
    /// number: an import must raise the counter past it, or the counter
    /// would hand the same number out again.
    pub fn counter_value(&self) -> Option<i64> {
        self.0.parse().ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl TryFrom<&str> for MembershipNumber {
    type Error = MembershipNumberError;

    fn try_from(raw: &str) -> Result<Self, Self::Error> {
        MembershipNumber::parse(raw)
    }
}

impl AsRef<str> for MembershipNumber {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MembershipNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<MembershipNumber> for String {
    fn from(number: MembershipNumber) -> Self {
        number.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn imported_numbers_keep_their_old_format() {
        for ok in ["1", "000123", "DD-2019/0042", "abcdefghij0123456789"] {
            assert_eq!(
                MembershipNumber::parse(ok).map(String::from),
                Ok(ok.to_owned())
            );
        }
        assert_eq!(
            MembershipNumber::parse(" 42 ").map(String::from),
            Ok("42".to_owned())
        );
        for bad in ["a".repeat(21), "12 34".into(), "Nr.5".into(), "ÄB1".into()] {
            assert_eq!(
                MembershipNumber::parse(&bad),
                Err(MembershipNumberError::Invalid),
                "{bad}"
            );
        }
        assert_eq!(
            MembershipNumber::parse("  "),
            Err(MembershipNumberError::Empty)
        );
    }

    #[test]
    fn the_message_is_the_one_the_import_answers() {
        assert_eq!(
            MembershipNumberError::Invalid.to_string(),
            "must be at most 20 letters, digits, '-' or '/'"
        );
    }

    #[test]
    fn plain_numbers_occupy_the_counter() {
        assert_eq!(MembershipNumber::from_counter(1001).as_str(), "1001");
        let parsed = MembershipNumber::parse("000123").map(|n| n.counter_value());
        assert_eq!(parsed, Ok(Some(123)));
        let parsed = MembershipNumber::parse("DD-1").map(|n| n.counter_value());
        assert_eq!(parsed, Ok(None));
    }

    proptest! {
        #[test]
        fn every_counter_value_is_a_valid_number(value in any::<i64>()) {
            let number = MembershipNumber::from_counter(value);
            prop_assert_eq!(MembershipNumber::parse(number.as_str()), Ok(number.clone()));
            prop_assert_eq!(number.counter_value(), Some(value));
        }
    }
}
