//! The consents a member gives (contact by e-mail or phone, the
//! newsletter, photos), each kept with the time it was given: that time is
//! the proof the GDPR asks for (Art. 7 (1)).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ConsentKind {
    EmailContact,
    PhoneContact,
    Newsletter,
    Photos,
}

impl ConsentKind {
    pub const ALL: [ConsentKind; 4] = [
        ConsentKind::EmailContact,
        ConsentKind::PhoneContact,
        ConsentKind::Newsletter,
        ConsentKind::Photos,
    ];

    /// The names, in the order of [`ConsentKind::ALL`].
    pub const NAMES: [&'static str; 4] = [
        ConsentKind::EmailContact.as_str(),
        ConsentKind::PhoneContact.as_str(),
        ConsentKind::Newsletter.as_str(),
        ConsentKind::Photos.as_str(),
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            ConsentKind::EmailContact => "email_contact",
            ConsentKind::PhoneContact => "phone_contact",
            ConsentKind::Newsletter => "newsletter",
            ConsentKind::Photos => "photos",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, UnknownConsent> {
        raw.parse()
    }
}

impl fmt::Display for ConsentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must be among {}", ConsentKind::NAMES.join(", "))]
pub struct UnknownConsent;

impl FromStr for ConsentKind {
    type Err = UnknownConsent;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ConsentKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or(UnknownConsent)
    }
}

impl TryFrom<&str> for ConsentKind {
    type Error = UnknownConsent;

    fn try_from(raw: &str) -> Result<Self, Self::Error> {
        raw.parse()
    }
}

/// The consents a member has given, each with when it was given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Consents(BTreeMap<ConsentKind, DateTime<Utc>>);

impl Consents {
    pub fn new() -> Self {
        Consents::default()
    }

    /// Records a consent given at `at`. A consent already on record keeps
    /// its first time: saying yes again proves nothing new, and moving the
    /// time would lose the proof of what was agreed to first.
    pub fn give(&mut self, kind: ConsentKind, at: DateTime<Utc>) {
        self.0.entry(kind).or_insert(at);
    }

    /// Withdraws a consent. Nothing of it stays on the record: once
    /// withdrawn, there is nothing to prove (the audit trail keeps that it
    /// changed, sealed with the member's key).
    pub fn withdraw(&mut self, kind: ConsentKind) {
        self.0.remove(&kind);
    }

    /// Gives (`true`) or withdraws (`false`) a consent, as a member edit
    /// asks for it.
    pub fn change(&mut self, kind: ConsentKind, given: bool, at: DateTime<Utc>) {
        if given {
            self.give(kind, at);
        } else {
            self.withdraw(kind);
        }
    }

    pub fn given_at(&self, kind: ConsentKind) -> Option<DateTime<Utc>> {
        self.0.get(&kind).copied()
    }

    pub fn is_given(&self, kind: ConsentKind) -> bool {
        self.0.contains_key(&kind)
    }

    pub fn iter(&self) -> impl Iterator<Item = (ConsentKind, DateTime<Utc>)> + '_ {
        self.0.iter().map(|(kind, at)| (*kind, *at))
    }

    /// The form `Member::consents` and the `members.consents` column hold.
    pub fn to_map(&self) -> BTreeMap<String, DateTime<Utc>> {
        self.0
            .iter()
            .map(|(kind, at)| (kind.as_str().to_owned(), *at))
            .collect()
    }
}

impl From<Consents> for BTreeMap<String, DateTime<Utc>> {
    fn from(consents: Consents) -> Self {
        consents.to_map()
    }
}

/// Reads the string-keyed form back; a name that is not a consent kind
/// means the record was written by something other than kartei.
impl TryFrom<&BTreeMap<String, DateTime<Utc>>> for Consents {
    type Error = UnknownConsent;

    fn try_from(map: &BTreeMap<String, DateTime<Utc>>) -> Result<Self, Self::Error> {
        map.iter()
            .map(|(kind, at)| Ok((kind.parse()?, *at)))
            .collect::<Result<_, _>>()
            .map(Consents)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::member::CONSENT_KINDS;

    fn at(hour: u32) -> DateTime<Utc> {
        chrono::NaiveDate::from_ymd_opt(2026, 12, 1)
            .and_then(|d| d.and_hms_opt(hour, 0, 0))
            .map(|t| t.and_utc())
            .unwrap_or_default()
    }

    #[test]
    fn the_kinds_are_the_list_members_carry() {
        assert_eq!(CONSENT_KINDS, ConsentKind::NAMES);
        assert_eq!(
            CONSENT_KINDS,
            ["email_contact", "phone_contact", "newsletter", "photos"]
        );
        for kind in ConsentKind::ALL {
            assert_eq!(ConsentKind::parse(kind.as_str()), Ok(kind));
        }
    }

    #[test]
    fn an_unknown_kind_is_answered_as_the_api_does() {
        assert_eq!(
            ConsentKind::parse("marketing").map_err(|e| e.to_string()),
            Err("must be among email_contact, phone_contact, newsletter, photos".to_owned())
        );
    }

    #[test]
    fn a_consent_keeps_the_time_it_was_first_given() {
        let mut consents = Consents::new();
        consents.give(ConsentKind::Newsletter, at(9));
        consents.change(ConsentKind::Newsletter, true, at(10));
        assert_eq!(consents.given_at(ConsentKind::Newsletter), Some(at(9)));
        consents.change(ConsentKind::Newsletter, false, at(11));
        assert!(!consents.is_given(ConsentKind::Newsletter));
        // Given again after a withdrawal: a new consent, with its own time.
        consents.change(ConsentKind::Newsletter, true, at(12));
        assert_eq!(consents.given_at(ConsentKind::Newsletter), Some(at(12)));
    }

    #[test]
    fn consents_round_trip_through_the_stored_form() {
        let mut consents = Consents::new();
        consents.give(ConsentKind::Photos, at(8));
        consents.give(ConsentKind::EmailContact, at(9));
        let map = consents.to_map();
        assert_eq!(map.get("photos"), Some(&at(8)));
        assert_eq!(Consents::try_from(&map), Ok(consents.clone()));
        assert_eq!(
            consents.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            [ConsentKind::EmailContact, ConsentKind::Photos]
        );
        let mut foreign = map;
        foreign.insert("telepathy".into(), at(1));
        assert_eq!(Consents::try_from(&foreign), Err(UnknownConsent));
    }
}
