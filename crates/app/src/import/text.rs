//! A member list's bytes as text. Excel saves "CSV UTF-8" with a byte
//! order mark, but its "CSV (Trennzeichen-getrennt)", the first choice in
//! German offices, in Windows-1252, Windows' code page for German, where
//! every byte is a character: a file that is not UTF-8 is read as that.

use std::borrow::Cow;

use super::row_error;
use crate::FieldError;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The character encoding a file was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    Utf8,
    Windows1252,
}

/// The character between the fields of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delimiter {
    Comma,
    Semicolon,
}

/// A file as text, with the delimiter its header row uses.
#[derive(Debug)]
pub struct CsvText<'a> {
    text: Cow<'a, str>,
    pub encoding: TextEncoding,
    pub delimiter: Delimiter,
}

impl<'a> CsvText<'a> {
    /// Decodes `body`, or names the row of its first byte that is not
    /// UTF-8 in a file that otherwise is.
    pub fn read(body: &'a [u8]) -> Result<Self, FieldError> {
        let (text, encoding) = decode(body)?;
        let first_line = text.lines().next().unwrap_or_default();
        let delimiter = if first_line.matches(';').count() > first_line.matches(',').count() {
            Delimiter::Semicolon
        } else {
            Delimiter::Comma
        };
        Ok(CsvText {
            text,
            encoding,
            delimiter,
        })
    }

    /// A reader of the records, the header row first.
    pub fn reader(&self) -> csv::Reader<&[u8]> {
        let delimiter = match self.delimiter {
            Delimiter::Comma => b',',
            Delimiter::Semicolon => b';',
        };
        csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .from_reader(self.text.as_bytes())
    }

    /// The number of data rows, counted no further than `limit`, so that
    /// an oversized file costs one quick pass and no per-row work. Quoted
    /// line breaks are part of their row, as in the parse.
    pub fn rows_up_to(&self, limit: usize) -> usize {
        let mut reader = self.reader();
        let mut record = csv::ByteRecord::new();
        let mut rows = 0;
        // A record that cannot be read stops the count; the parse reports it.
        while rows < limit && matches!(reader.read_byte_record(&mut record), Ok(true)) {
            rows += 1;
        }
        rows
    }
}

fn decode(body: &[u8]) -> Result<(Cow<'_, str>, TextEncoding), FieldError> {
    let (body, marked) = match body.strip_prefix(UTF8_BOM) {
        Some(rest) => (rest, true),
        None => (body, false),
    };
    let broken_at = match std::str::from_utf8(body) {
        Ok(text) => return Ok((Cow::Borrowed(text), TextEncoding::Utf8)),
        Err(err) => err.valid_up_to(),
    };
    let row = body[..broken_at].iter().filter(|b| **b == b'\n').count();
    // Read as Windows-1252, UTF-8's umlauts turn into two letters each (`ü`
    // into `Ã¼`) that pass every check: a file that says it is UTF-8, by
    // its byte order mark or by well-formed UTF-8 beside the broken bytes,
    // is refused rather than garbled.
    if marked {
        return Err(row_error(
            row,
            "row",
            "is not valid UTF-8, which the byte order mark declares",
        ));
    }
    if body.utf8_chunks().any(|chunk| !chunk.valid().is_ascii()) {
        return Err(row_error(
            row,
            "row",
            "is not valid UTF-8, which other characters of the file are",
        ));
    }
    let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(body);
    Ok((text, TextEncoding::Windows1252))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(body: &[u8]) -> Result<(String, TextEncoding), (Option<usize>, String)> {
        CsvText::read(body)
            .map(|file| (file.text.into_owned(), file.encoding))
            .map_err(|e| (e.row, e.message))
    }

    #[test]
    fn utf8_is_read_with_or_without_byte_order_mark() {
        let plain = "a;b\nMüller;Großenhain\n";
        let expected = Ok((plain.to_owned(), TextEncoding::Utf8));
        assert_eq!(read(plain.as_bytes()), expected);
        assert_eq!(read(&[UTF8_BOM, plain.as_bytes()].concat()), expected);
    }

    #[test]
    fn anything_else_is_windows_1252() {
        // ü ß Ö é, and the quotation marks Excel writes for „…“.
        let body = b"a;b\nM\xFCller;Gro\xDFenhain\n\xD6lmann;Ren\xE9e\n\x84Zur Linde\x93;x\n";
        assert_eq!(
            read(body),
            Ok((
                "a;b\nMüller;Großenhain\nÖlmann;Renée\n„Zur Linde“;x\n".to_owned(),
                TextEncoding::Windows1252
            ))
        );
    }

    #[test]
    fn broken_utf8_in_a_utf8_file_is_refused_at_its_row() {
        let mixed = b"a;b\nM\xC3\xBCller;x\nM\xFCller;y\n";
        assert_eq!(
            read(mixed).map_err(|(row, _)| row),
            Err(Some(2)),
            "read as Windows-1252 the first row would say M\u{c3}\u{bc}ller"
        );
        let marked = [UTF8_BOM, b"a;b\nx;y\nM\xFCller;z\n"].concat();
        assert_eq!(read(&marked).map_err(|(row, _)| row), Err(Some(2)));
    }

    #[test]
    fn the_delimiter_is_the_header_rows_more_frequent_one() {
        let of = |body: &str| CsvText::read(body.as_bytes()).map(|file| file.delimiter);
        assert_eq!(of("a;b;c\n1,5;2;3\n"), Ok(Delimiter::Semicolon));
        assert_eq!(of("a,b,c\n1;2,3,4\n"), Ok(Delimiter::Comma));
        assert_eq!(of(""), Ok(Delimiter::Comma));
    }

    #[test]
    fn rows_are_counted_as_the_parse_reads_them() {
        // Quotes open a field only after the file's own delimiter.
        let file = "a;b\n1;\"x\ny\"\n2;\"3,\n4\"\nlast;5";
        let text = CsvText::read(file.as_bytes()).map_err(|e| e.message);
        assert_eq!(text.as_ref().map(|t| t.rows_up_to(100)), Ok(3));
        assert_eq!(text.as_ref().map(|t| t.rows_up_to(2)), Ok(2));
    }
}
