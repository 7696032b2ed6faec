//! A file's header row: where each column the kind of file knows stands.
//! Shared by the member lists and the routing tables, so that both name a
//! wrong header the same way.

use std::collections::HashMap;

use super::row_error;
use crate::FieldError;

/// The known columns of a header row by position, the number of fields a
/// row must have, and what is wrong with the header (errors of row 0).
pub struct Header {
    pub columns: HashMap<String, usize>,
    pub width: usize,
    pub errors: Vec<FieldError>,
}

/// Reads the header row; a header that cannot be read at all is the one
/// error.
pub fn read(
    reader: &mut csv::Reader<&[u8]>,
    required: &[&str],
    optional: &[&str],
) -> Result<Header, Vec<FieldError>> {
    let names = reader
        .headers()
        .map_err(|_| vec![row_error(0, "header", "cannot be read as CSV")])?
        .clone();
    let mut columns = HashMap::new();
    let mut errors = Vec::new();
    for (i, raw) in names.iter().enumerate() {
        let name = raw.trim().to_ascii_lowercase();
        // Spreadsheets like to add an empty column at the end.
        if name.is_empty() {
            continue;
        }
        if !required.contains(&name.as_str()) && !optional.contains(&name.as_str()) {
            // Named by position, never by its text: a file without a header
            // row has a person's data where the names should be.
            errors.push(row_error(
                0,
                format!("column {}", i + 1),
                "is not a known column name",
            ));
        } else if columns.insert(name.clone(), i).is_some() {
            errors.push(row_error(0, &name, "appears twice"));
        }
    }
    for name in required {
        if !columns.contains_key(*name) {
            errors.push(row_error(0, *name, "is a required column"));
        }
    }
    Ok(Header {
        columns,
        width: names.len(),
        errors,
    })
}
