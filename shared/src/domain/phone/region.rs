//! The region whose numbering plan reads numbers written without `+`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};

use super::tables::{self, Territory};

/// A country whose numbering plan is used for numbers written without `+` (ISO 3166 alpha-2).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Region([u8; 2]);

/// The string is not a region libphonenumber has a numbering plan for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown phone region {0:?} (expected a two-letter country code such as GB or US)")]
pub struct UnknownRegion(pub String);

impl Region {
    pub const GB: Region = Region(*b"GB");
    pub const US: Region = Region(*b"US");

    /// Checked against the regions in libphonenumber's metadata (the generated tables), so
    /// reading a default region from configuration does not load the library.
    pub fn parse(raw: &str) -> Result<Self, UnknownRegion> {
        let upper = raw.trim().to_ascii_uppercase();
        match upper.as_bytes() {
            [a, b] if tables::region(&upper).is_some() => Ok(Self([*a, *b])),
            _ => Err(UnknownRegion(raw.to_owned())),
        }
    }

    pub fn as_str(&self) -> &str {
        // Constructed only from ASCII letters.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }

    /// This region's numbering plan. Every `Region` has one; `None` would be a bug in the
    /// tables, and the caller then asks the library.
    pub(super) fn territory(self) -> Option<&'static Territory> {
        tables::region(self.as_str())
    }

    pub(super) fn to_library(self) -> Option<rlibphonenumber::enums::Region> {
        rlibphonenumber::enums::Region::from_code(self.as_str()).ok()
    }
}

impl fmt::Debug for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Region({})", self.as_str())
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Region {
    type Err = UnknownRegion;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Region {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Region {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}
