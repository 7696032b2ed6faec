//! Keyset pages as both front ends ask for them: a size and an opaque
//! cursor. The use case checks them after it has authorized the caller, so
//! that an account without the right learns 403, not what a valid page
//! would be (422).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::{AppError, AppResult};

pub const DEFAULT_PAGE_SIZE: u32 = 50;
pub const MAX_PAGE_SIZE: u32 = 200;

/// A page as asked for; `cursor` is the `next_cursor` of the page before.
#[derive(Debug, Clone, Default)]
pub struct PageRequest {
    /// Items per page, 1 to 200 (default 50).
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

impl PageRequest {
    /// The page size asked for, or the default.
    pub fn size(&self) -> AppResult<u64> {
        let limit = self.limit.unwrap_or(DEFAULT_PAGE_SIZE);
        if (1..=MAX_PAGE_SIZE).contains(&limit) {
            Ok(u64::from(limit))
        } else {
            Err(AppError::invalid("limit", "must be between 1 and 200"))
        }
    }

    /// Where the page continues, as [`Cursor::encode`] wrote it.
    pub fn position<C: Cursor>(&self) -> AppResult<Option<C>> {
        self.cursor
            .as_deref()
            .map(|raw| {
                C::decode(raw).ok_or_else(|| {
                    AppError::invalid("cursor", "is not a cursor this API handed out")
                })
            })
            .transpose()
    }

    /// The size and the position of a list paged by id.
    pub fn by_id(&self) -> AppResult<(u64, Option<Uuid>)> {
        Ok((self.size()?, self.position()?))
    }
}

/// A position in a keyset-paged list, handed out as an opaque string.
pub trait Cursor: Sized {
    fn encode(&self) -> String;
    fn decode(raw: &str) -> Option<Self>;
}

/// A list in id order continues after an id: its sixteen bytes.
impl Cursor for Uuid {
    fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.as_bytes())
    }

    fn decode(raw: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(raw).ok()?;
        Uuid::from_slice(&bytes).ok()
    }
}

/// A list in another order continues after a sort key and an id: the pair
/// as a JSON array.
impl<K: Serialize + DeserializeOwned> Cursor for (K, Uuid) {
    fn encode(&self) -> String {
        let json = serde_json::to_string(self).unwrap_or_default();
        URL_SAFE_NO_PAD.encode(json)
    }

    fn decode(raw: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(raw).ok()?;
        serde_json::from_slice(&bytes).ok()
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    #[test]
    fn cursors_read_back_what_they_wrote() {
        let id = Uuid::now_v7();
        assert_eq!(Uuid::decode(&id.encode()), Some(id));
        let page = PageRequest {
            limit: Some(10),
            cursor: Some(id.encode()),
        };
        assert_eq!(page.by_id().ok(), Some((10, Some(id))));
        let by_name = ("müller".to_owned(), id);
        assert_eq!(<(String, Uuid)>::decode(&by_name.encode()), Some(by_name));
        let by_age = (NaiveDate::from_ymd_opt(2026, 3, 1).unwrap_or_default(), id);
        assert_eq!(<(NaiveDate, Uuid)>::decode(&by_age.encode()), Some(by_age));
    }

    #[test]
    fn a_foreign_cursor_or_size_is_refused() {
        let page = PageRequest {
            limit: Some(0),
            cursor: Some("bm9wZQ".into()),
        };
        assert!(page.size().is_err());
        assert!(page.position::<Uuid>().is_err());
        assert!(
            PageRequest {
                limit: Some(201),
                cursor: None
            }
            .size()
            .is_err()
        );
        assert_eq!(PageRequest::default().size().ok(), Some(50));
    }
}
