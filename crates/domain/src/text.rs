//! Rules for free text typed by people: names, titles, short codes, and the
//! reasons and notes written over several lines.

use std::fmt;

use unicode_normalization::UnicodeNormalization;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {0} characters")]
    TooLong(usize),
    #[error("must not contain control characters")]
    ControlCharacter,
}

/// Trims `raw`, normalises it to NFC and checks length and characters. Used
/// for every single-line text field a person types (names, labels).
pub fn single_line(raw: &str, max_chars: usize) -> Result<String, TextError> {
    let text: String = raw.trim().nfc().collect();
    if text.is_empty() {
        return Err(TextError::Empty);
    }
    if text.chars().count() > max_chars {
        return Err(TextError::TooLong(max_chars));
    }
    if text.chars().any(char::is_control) {
        return Err(TextError::ControlCharacter);
    }
    Ok(text)
}

/// The longest reason kartei keeps: for a rejection, a withdrawal, a
/// rerouting, a resignation, a member's status or a declined transfer.
pub const REASON_MAX: usize = 1000;
/// The longest note kartei keeps: on a declaration or a first contact.
pub const NOTE_MAX: usize = 2000;

/// A reason given for a step (see [`REASON_MAX`]).
pub type Reason = MultiLine<REASON_MAX>;
/// A note on a declaration or a first contact (see [`NOTE_MAX`]).
pub type Note = MultiLine<NOTE_MAX>;

/// Text over several lines, at most `MAX` characters, trimmed and never
/// empty. People paste paragraphs from e-mails and letters, so line breaks
/// and tabs stay; every other control character is refused, because it
/// would reach e-mails, CSV cells and the audit trail unseen. Unlike
/// [`single_line`] it is kept as typed, not normalised to NFC.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MultiLine<const MAX: usize>(String);

impl<const MAX: usize> MultiLine<MAX> {
    pub const MAX_CHARS: usize = MAX;

    pub fn parse(raw: &str) -> Result<Self, TextError> {
        let text = raw.trim();
        if text.is_empty() {
            Err(TextError::Empty)
        } else if text.chars().count() > MAX {
            Err(TextError::TooLong(MAX))
        } else if text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            Err(TextError::ControlCharacter)
        } else {
            Ok(MultiLine(text.to_owned()))
        }
    }

    /// For a field that may be left out: absent or blank is `None`, so a
    /// form's empty text area records nothing.
    pub fn optional(raw: Option<&str>) -> Result<Option<Self>, TextError> {
        match raw.map(str::trim).filter(|text| !text.is_empty()) {
            Some(text) => Self::parse(text).map(Some),
            None => Ok(None),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl<const MAX: usize> TryFrom<&str> for MultiLine<MAX> {
    type Error = TextError;

    fn try_from(raw: &str) -> Result<Self, Self::Error> {
        Self::parse(raw)
    }
}

impl<const MAX: usize> AsRef<str> for MultiLine<MAX> {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl<const MAX: usize> fmt::Display for MultiLine<MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<const MAX: usize> From<MultiLine<MAX>> for String {
    fn from(text: MultiLine<MAX>) -> Self {
        text.0
    }
}

/// The key under which names are compared and searched: lower case, German
/// umlauts and ß spelled out (so "Müller", "MUELLER" and "müller " meet),
/// other accents removed, inner whitespace collapsed.
pub fn search_key(raw: &str) -> String {
    let mut key = String::with_capacity(raw.len());
    for c in raw.trim().nfc().flat_map(char::to_lowercase) {
        match c {
            'ä' => key.push_str("ae"),
            'ö' => key.push_str("oe"),
            'ü' => key.push_str("ue"),
            'ß' | 'ẞ' => key.push_str("ss"),
            c if c.is_whitespace() => {
                // Combining marks are dropped, so whitespace can end up at
                // either end of the key even after the trim.
                if !key.is_empty() && !key.ends_with(' ') {
                    key.push(' ');
                }
            }
            c => key.extend(
                c.nfd()
                    .filter(|d| !unicode_normalization::char::is_combining_mark(*d)),
            ),
        }
    }
    key.truncate(key.trim_end().len());
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_line_trims_and_limits() {
        assert_eq!(
            single_line("  Kreisverband Dresden ", 100),
            Ok("Kreisverband Dresden".into())
        );
        assert_eq!(single_line("   ", 100), Err(TextError::Empty));
        assert_eq!(single_line("abcdef", 5), Err(TextError::TooLong(5)));
        assert_eq!(single_line("a\u{0}b", 5), Err(TextError::ControlCharacter));
        // A decomposed "ü" counts as one character once normalised.
        assert_eq!(single_line("u\u{308}", 1), Ok("ü".into()));
    }

    #[test]
    fn search_keys_meet_across_spellings() {
        assert_eq!(search_key("Müller"), "mueller");
        assert_eq!(search_key(" MUELLER "), "mueller");
        assert_eq!(search_key("Strauß"), "strauss");
        assert_eq!(search_key("STRAUSS"), "strauss");
        assert_eq!(search_key("Zoë  Ångström"), "zoe angstroem");
        assert_eq!(search_key("u\u{308}ber"), "ueber");
    }

    #[test]
    fn multi_line_keeps_paragraphs_and_refuses_other_controls() {
        let reason = Reason::parse("  Umzug nach Leipzig.\r\n\tNeue Adresse folgt. ");
        assert_eq!(
            reason.as_ref().map(Reason::as_str),
            Ok("Umzug nach Leipzig.\r\n\tNeue Adresse folgt.")
        );
        assert_eq!(Reason::parse(" \n "), Err(TextError::Empty));
        assert_eq!(Reason::parse("a\u{7}b"), Err(TextError::ControlCharacter));
        assert_eq!(MultiLine::<3>::parse("abcd"), Err(TextError::TooLong(3)));
        assert!(MultiLine::<3>::parse("abc").is_ok());
        assert!(Note::parse(&"x".repeat(NOTE_MAX)).is_ok());
        assert_eq!(
            Note::parse(&"x".repeat(NOTE_MAX + 1)),
            Err(TextError::TooLong(NOTE_MAX))
        );
    }

    #[test]
    fn multi_line_messages_are_those_the_api_answers() {
        assert_eq!(
            Reason::parse(&"x".repeat(1001)).map_err(|e| e.to_string()),
            Err("must be at most 1000 characters".to_owned())
        );
        assert_eq!(
            Reason::parse("a\u{0}").map_err(|e| e.to_string()),
            Err("must not contain control characters".to_owned())
        );
        assert_eq!(
            Reason::parse("  ").map_err(|e| e.to_string()),
            Err("must not be empty".to_owned())
        );
    }

    #[test]
    fn an_optional_multi_line_text_may_be_absent_or_blank() {
        assert_eq!(Note::optional(None), Ok(None));
        assert_eq!(Note::optional(Some("  \n ")), Ok(None));
        assert_eq!(
            Note::optional(Some(" ruft zurück ")).map(|n| n.map(String::from)),
            Ok(Some("ruft zurück".to_owned()))
        );
        assert_eq!(
            Note::optional(Some("a\u{1b}b")),
            Err(TextError::ControlCharacter)
        );
    }
}
