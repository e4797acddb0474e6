//! Counter segments: the same per-day counts kept per campaign and per source (SPEC §7), so a
//! breakdown costs days × keys to read, never appointments.
//!
//! A segment's counters are stored beside the day's own, under names that carry the segment:
//! `by:<dimension>|<counter>|<key>`, where the key is `=<name>` or `-` for "none". The key comes
//! last, so it may hold any character.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::domain::Attribution;

/// What a breakdown groups by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dimension {
    Campaign,
    Source,
}

impl Dimension {
    pub const ALL: [Dimension; 2] = [Dimension::Campaign, Dimension::Source];

    pub const fn as_str(self) -> &'static str {
        match self {
            Dimension::Campaign => "campaign",
            Dimension::Source => "source",
        }
    }
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Not a breakdown dimension.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown breakdown {0:?}: expected campaign or source")]
pub struct UnknownDimension(pub String);

impl FromStr for Dimension {
    type Err = UnknownDimension;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Dimension::ALL
            .into_iter()
            .find(|d| d.as_str() == raw.trim())
            .ok_or_else(|| UnknownDimension(raw.to_owned()))
    }
}

/// One value of one dimension; `key: None` gathers bookings credited to none.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Segment {
    pub dimension: Dimension,
    pub key: Option<String>,
}

/// The prefix of every segment counter's stored name.
const PREFIX: &str = "by:";

impl Segment {
    /// The segments an attribution puts a booking in: one per dimension.
    pub fn of(attribution: &Attribution) -> [Segment; 2] {
        [
            Segment {
                dimension: Dimension::Campaign,
                key: attribution.campaign.clone(),
            },
            Segment {
                dimension: Dimension::Source,
                key: attribution.source.clone(),
            },
        ]
    }

    /// The stored name of this segment's `counter`.
    pub fn counter_name(&self, counter: &str) -> String {
        let key = match &self.key {
            Some(key) => format!("={key}"),
            None => "-".to_owned(),
        };
        format!("{PREFIX}{}|{counter}|{key}", self.dimension)
    }

    /// The segment and counter a stored name is of; `None` for the day's own counters (and
    /// for names a newer build might write).
    pub fn parse_counter_name(name: &str) -> Option<(Segment, &str)> {
        let mut parts = name.strip_prefix(PREFIX)?.splitn(3, '|');
        let dimension = parts.next()?.parse().ok()?;
        let counter = parts.next()?;
        let key = match parts.next()? {
            "-" => None,
            key => Some(key.strip_prefix('=')?.to_owned()),
        };
        Some((Segment { dimension, key }, counter))
    }
}

/// Serialised as its stored-name stem, so maps keyed by segment stay JSON objects.
impl Serialize for Segment {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.counter_name(""))
    }
}

impl<'de> Deserialize<'de> for Segment {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Segment::parse_counter_name(&raw)
            .map(|(segment, _)| segment)
            .ok_or_else(|| serde::de::Error::custom(format!("not a segment: {raw:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_whatever_the_key_holds() {
        for key in [
            None,
            Some(""),
            Some("spring|2026"),
            Some("a=b|-|c"),
            Some("Ünïcode ✓"),
        ] {
            let segment = Segment {
                dimension: Dimension::Source,
                key: key.map(str::to_owned),
            };
            let name = segment.counter_name("leads:3");
            assert_eq!(
                Segment::parse_counter_name(&name),
                Some((segment.clone(), "leads:3"))
            );
            let json = serde_json::to_string(&segment).unwrap();
            assert_eq!(serde_json::from_str::<Segment>(&json).unwrap(), segment);
        }
    }

    #[test]
    fn the_days_own_counters_are_not_segments() {
        assert_eq!(Segment::parse_counter_name("booked"), None);
        assert_eq!(Segment::parse_counter_name("leads:0"), None);
        assert_eq!(Segment::parse_counter_name("by:channel|booked|-"), None);
    }
}
