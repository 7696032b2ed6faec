//! The dates of a member entered directly or imported: the declaration was
//! received and the membership began on days that have come, and nobody
//! joins before declaring.

use chrono::NaiveDate;

/// A date of an entry that does not fit. [`EntryDateError::field`] names
/// the request field; the messages are the ones the API answered before
/// the rule moved here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EntryDateError {
    #[error("must not be in the future")]
    ReceivedInFuture,
    #[error("must not be in the future")]
    JoinedInFuture,
    #[error("must not be before received_on")]
    JoinedBeforeReceived,
}

impl EntryDateError {
    pub fn field(self) -> &'static str {
        match self {
            EntryDateError::ReceivedInFuture => "received_on",
            EntryDateError::JoinedInFuture | EntryDateError::JoinedBeforeReceived => "joined_on",
        }
    }
}

/// Every finding about the two dates of an entry, so that one answer names
/// them all; empty when they fit. The order of the two is only compared
/// when neither lies in the future: a date in the future is the mistake to
/// fix first.
pub fn entry_dates(
    received_on: NaiveDate,
    joined_on: NaiveDate,
    today: NaiveDate,
) -> Vec<EntryDateError> {
    let mut errors = Vec::new();
    if received_on > today {
        errors.push(EntryDateError::ReceivedInFuture);
    }
    if joined_on > today {
        errors.push(EntryDateError::JoinedInFuture);
    }
    if errors.is_empty() && joined_on < received_on {
        errors.push(EntryDateError::JoinedBeforeReceived);
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use EntryDateError::*;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, day).unwrap_or_default()
    }

    #[test]
    fn an_entry_was_received_and_joined_on_days_that_have_come_in_order() {
        let today = d(10);
        assert_eq!(entry_dates(d(1), d(2), today), []);
        assert_eq!(entry_dates(d(2), d(2), today), []);
        assert_eq!(entry_dates(d(3), d(2), today), [JoinedBeforeReceived]);
        assert_eq!(entry_dates(d(11), d(2), today), [ReceivedInFuture]);
        assert_eq!(entry_dates(d(1), d(11), today), [JoinedInFuture]);
        assert_eq!(
            entry_dates(d(12), d(11), today),
            [ReceivedInFuture, JoinedInFuture]
        );
    }

    #[test]
    fn findings_name_their_field_and_the_api_messages() {
        assert_eq!(
            (ReceivedInFuture.field(), ReceivedInFuture.to_string()),
            ("received_on", "must not be in the future".to_owned())
        );
        assert_eq!(
            (JoinedInFuture.field(), JoinedInFuture.to_string()),
            ("joined_on", "must not be in the future".to_owned())
        );
        assert_eq!(
            (
                JoinedBeforeReceived.field(),
                JoinedBeforeReceived.to_string()
            ),
            ("joined_on", "must not be before received_on".to_owned())
        );
    }
}
