//! How a declaration reached the party and how the first contact was made:
//! closed lists, so that the reports can count by them.

use std::fmt;
use std::str::FromStr;

/// A channel name that is not on the list. The message names the list, so
/// that whoever typed it can pick one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must be one of {}", .allowed.join(", "))]
pub struct UnknownChannel {
    allowed: &'static [&'static str],
}

/// How a declaration reached the party.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IntakeChannel {
    Paper,
    Email,
    Online,
    Event,
    Phone,
    Other,
}

impl IntakeChannel {
    pub const ALL: [IntakeChannel; 6] = [
        IntakeChannel::Paper,
        IntakeChannel::Email,
        IntakeChannel::Online,
        IntakeChannel::Event,
        IntakeChannel::Phone,
        IntakeChannel::Other,
    ];

    /// The names, in the order of [`IntakeChannel::ALL`].
    pub const NAMES: [&'static str; 6] = [
        IntakeChannel::Paper.as_str(),
        IntakeChannel::Email.as_str(),
        IntakeChannel::Online.as_str(),
        IntakeChannel::Event.as_str(),
        IntakeChannel::Phone.as_str(),
        IntakeChannel::Other.as_str(),
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            IntakeChannel::Paper => "paper",
            IntakeChannel::Email => "email",
            IntakeChannel::Online => "online",
            IntakeChannel::Event => "event",
            IntakeChannel::Phone => "phone",
            IntakeChannel::Other => "other",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, UnknownChannel> {
        raw.parse()
    }
}

impl FromStr for IntakeChannel {
    type Err = UnknownChannel;

    /// Exact names only: the value comes from a select box, never typed.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        IntakeChannel::ALL
            .into_iter()
            .find(|channel| channel.as_str() == s)
            .ok_or(UnknownChannel {
                allowed: &IntakeChannel::NAMES,
            })
    }
}

impl TryFrom<&str> for IntakeChannel {
    type Error = UnknownChannel;

    fn try_from(raw: &str) -> Result<Self, Self::Error> {
        raw.parse()
    }
}

impl fmt::Display for IntakeChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// How the first contact with an applicant was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContactChannel {
    Phone,
    Email,
    InPerson,
    Letter,
    Video,
    Other,
}

impl ContactChannel {
    pub const ALL: [ContactChannel; 6] = [
        ContactChannel::Phone,
        ContactChannel::Email,
        ContactChannel::InPerson,
        ContactChannel::Letter,
        ContactChannel::Video,
        ContactChannel::Other,
    ];

    /// The names, in the order of [`ContactChannel::ALL`].
    pub const NAMES: [&'static str; 6] = [
        ContactChannel::Phone.as_str(),
        ContactChannel::Email.as_str(),
        ContactChannel::InPerson.as_str(),
        ContactChannel::Letter.as_str(),
        ContactChannel::Video.as_str(),
        ContactChannel::Other.as_str(),
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            ContactChannel::Phone => "phone",
            ContactChannel::Email => "email",
            ContactChannel::InPerson => "in_person",
            ContactChannel::Letter => "letter",
            ContactChannel::Video => "video",
            ContactChannel::Other => "other",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, UnknownChannel> {
        raw.parse()
    }
}

impl FromStr for ContactChannel {
    type Err = UnknownChannel;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ContactChannel::ALL
            .into_iter()
            .find(|channel| channel.as_str() == s)
            .ok_or(UnknownChannel {
                allowed: &ContactChannel::NAMES,
            })
    }
}

impl TryFrom<&str> for ContactChannel {
    type Error = UnknownChannel;

    fn try_from(raw: &str) -> Result<Self, Self::Error> {
        raw.parse()
    }
}

impl fmt::Display for ContactChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::application::{CONTACT_CHANNELS, INTAKE_CHANNELS};

    #[test]
    fn the_name_lists_are_the_enums() {
        assert_eq!(INTAKE_CHANNELS, IntakeChannel::NAMES);
        assert_eq!(CONTACT_CHANNELS, ContactChannel::NAMES);
        assert_eq!(
            INTAKE_CHANNELS,
            ["paper", "email", "online", "event", "phone", "other"]
        );
        assert_eq!(
            CONTACT_CHANNELS,
            ["phone", "email", "in_person", "letter", "video", "other"]
        );
    }

    #[test]
    fn channels_round_trip_through_their_names() {
        for channel in IntakeChannel::ALL {
            assert_eq!(IntakeChannel::parse(channel.as_str()), Ok(channel));
            assert_eq!(channel.to_string(), channel.as_str());
        }
        for channel in ContactChannel::ALL {
            assert_eq!(ContactChannel::parse(channel.as_str()), Ok(channel));
            assert_eq!(ContactChannel::try_from(channel.as_str()), Ok(channel));
        }
    }

    #[test]
    fn an_unknown_channel_names_the_list_as_the_api_does() {
        // The API's `one_of` answered exactly these messages.
        assert_eq!(
            IntakeChannel::parse("fax").map_err(|e| e.to_string()),
            Err("must be one of paper, email, online, event, phone, other".to_owned())
        );
        assert_eq!(
            ContactChannel::parse("Phone").map_err(|e| e.to_string()),
            Err("must be one of phone, email, in_person, letter, video, other".to_owned())
        );
        // Exact names: no trimming, no case folding, as before.
        assert!(IntakeChannel::parse(" paper").is_err());
        assert!(ContactChannel::parse("in_person").is_ok());
    }
}
