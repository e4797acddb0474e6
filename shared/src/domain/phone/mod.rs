//! Phone numbers in E.164, the key leads are matched on first.
//!
//! The policy is libphonenumber's: a number is kept only if libphonenumber calls it *valid* for
//! its country, not merely possible. That rejects junk such as `0774`, and also ranges no
//! subscriber can hold, such as Ofcom's `07700 900xxx` drama range.
//!
//! The work is done over tables generated at build time from libphonenumber's own metadata
//! (`shared/build.rs`, [`tables`]), compiling only the patterns of the country a number belongs
//! to, when first needed: the first number of a process costs well under a millisecond instead of
//! building the whole library (about 18 ms). Input the tables leave to the library (letters,
//! extensions, other scripts) goes to libphonenumber itself ([`oracle`]), which a differential
//! test holds the tables to. Everything outside this module sees only [`Phone`] and [`Region`].

mod plan;
mod region;
mod tables;
mod text;

pub mod oracle;

#[cfg(test)]
mod differential;

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

pub use region::{Region, UnknownRegion};

/// A valid phone number in E.164 form (`+447742201349`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Phone(String);

/// Why a string is not a [`Phone`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("phone number is empty")]
    Empty,
    #[error("phone number is too long")]
    TooLong,
    #[error("not a phone number")]
    NotANumber,
    #[error("not a valid phone number for its country")]
    Invalid,
}

/// Longer input is not a phone number anyone typed; refusing it bounds the parser's work.
const MAX_INPUT_LEN: usize = 64;

/// The checks both paths make before reading a number: trimmed, not empty, not too long.
fn checked(raw: &str) -> Result<&str, PhoneError> {
    let input = raw.trim();
    if input.is_empty() {
        return Err(PhoneError::Empty);
    }
    if input.len() > MAX_INPUT_LEN {
        return Err(PhoneError::TooLong);
    }
    Ok(input)
}

impl Phone {
    /// Parses what a person typed. Numbers without `+` are read in `default_region`'s plan,
    /// including the national trunk prefix (`07742…` in GB) and a repeated country code
    /// (`447742…` in GB).
    pub fn parse(raw: &str, default_region: Region) -> Result<Self, PhoneError> {
        let input = checked(raw)?;
        let dialled = match text::read(input) {
            text::Read::Number(dialled) => dialled,
            text::Read::NotANumber => return Err(PhoneError::NotANumber),
            text::Read::Unsure => return oracle::parse(input, default_region),
        };
        let Some(territory) = default_region.territory() else {
            return oracle::parse(input, default_region);
        };
        match plan::judge(&dialled, territory) {
            Ok(plan::Verdict::Valid(e164)) => Ok(Self(e164)),
            Ok(plan::Verdict::Invalid) => Err(PhoneError::Invalid),
            Ok(plan::Verdict::NotANumber) => Err(PhoneError::NotANumber),
            Err(tables::Unsupported) => oracle::parse(input, default_region),
        }
    }

    pub fn parse_optional(raw: &str, default_region: Region) -> Option<Self> {
        Self::parse(raw, default_region).ok()
    }

    /// Reads a stored E.164 value back. Stored values were valid when written, so only the shape
    /// is checked here (`+` and 8 to 15 digits), not the numbering plan.
    pub fn from_e164(value: &str) -> Result<Self, PhoneError> {
        let digits = value.strip_prefix('+').ok_or(PhoneError::NotANumber)?;
        if (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(value.to_owned()))
        } else {
            Err(PhoneError::NotANumber)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The last two digits, the most of a number that may appear in logs.
    pub fn redacted(&self) -> String {
        let tail = &self.0[self.0.len().saturating_sub(2)..];
        format!("+***{tail}")
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({})", self.redacted())
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Phone {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::from_e164(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gb(raw: &str) -> Result<String, PhoneError> {
        Phone::parse(raw, Region::GB).map(|p| p.as_str().to_owned())
    }

    fn us(raw: &str) -> Result<String, PhoneError> {
        Phone::parse(raw, Region::US).map(|p| p.as_str().to_owned())
    }

    /// The table the product's previous system was checked against (default region GB).
    #[test]
    fn normalises_the_previous_systems_uk_table() {
        assert_eq!(gb("07742201349").unwrap(), "+447742201349");
        assert_eq!(gb("447742201349").unwrap(), "+447742201349");
        assert_eq!(gb("+447742201349").unwrap(), "+447742201349");
        assert_eq!(gb("0151 541 6933").unwrap(), "+441515416933");
        assert_eq!(gb("+44 (0) 7742 201349").unwrap(), "+447742201349");
        assert_eq!(gb("  07742-201-349 ").unwrap(), "+447742201349");
    }

    #[test]
    fn normalises_us_numbers_with_region_us() {
        assert_eq!(us("(202) 555-0143").unwrap(), "+12025550143");
        assert_eq!(us("202.555.0143").unwrap(), "+12025550143");
        assert_eq!(us("1-202-555-0199").unwrap(), "+12025550199");
        assert_eq!(us("+1 202-555-0188").unwrap(), "+12025550188");
        // An international number is read in its own plan whatever the default region.
        assert_eq!(gb("+1 202-555-0188").unwrap(), "+12025550188");
        assert_eq!(us("+44 7742 201349").unwrap(), "+447742201349");
    }

    #[test]
    fn rejects_junk_and_invalid_numbers() {
        assert_eq!(gb("0774"), Err(PhoneError::Invalid));
        assert_eq!(gb("abc"), Err(PhoneError::NotANumber));
        assert_eq!(gb(""), Err(PhoneError::Empty));
        assert_eq!(gb("   "), Err(PhoneError::Empty));
        assert_eq!(gb(&"1".repeat(65)), Err(PhoneError::TooLong));
        // Ofcom reserves 07700 900xxx for drama: libphonenumber calls it invalid, and so do we.
        assert_eq!(gb("07700 900123"), Err(PhoneError::Invalid));
        assert_eq!(gb("+447700900123"), Err(PhoneError::Invalid));
        // A UK national number read in the US plan is not a US number.
        assert!(us("07742201349").is_err());
    }

    #[test]
    fn regions_are_checked_against_the_numbering_plans() {
        assert_eq!(Region::parse("gb").unwrap(), Region::GB);
        assert_eq!(Region::parse(" US ").unwrap().as_str(), "US");
        assert!(Region::parse("XX").is_err());
        assert!(Region::parse("GBR").is_err());
        assert!(Region::parse("").is_err());
    }

    #[test]
    fn debug_and_redaction_hide_the_number() {
        let p = Phone::parse("07742201349", Region::GB).unwrap();
        assert_eq!(format!("{p:?}"), "Phone(+***49)");
        assert!(!format!("{p:?}").contains("7742"));
    }

    #[test]
    fn stored_values_read_back() {
        let p = Phone::parse("07742201349", Region::GB).unwrap();
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<Phone>(&json).unwrap(), p);
        assert!(serde_json::from_str::<Phone>("\"07742201349\"").is_err());
    }
}
