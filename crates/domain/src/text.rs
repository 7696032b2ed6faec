//! Rules for free text typed by people: names, titles, short codes.

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
}
