//! Identifiers of bookings, appointments and leads.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};
use sha2::{Digest, Sha256};

use super::Provider;

/// The provider's own id of one booking: Cal.com's booking `uid`, Calendly's invitee URI.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct BookingKey(String);

/// Why a string is not a [`BookingKey`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BookingKeyError {
    #[error("is empty")]
    Empty,
    #[error("is longer than {} characters", BookingKey::MAX_LEN)]
    TooLong,
    #[error("contains whitespace or control characters")]
    BadCharacters,
}

impl BookingKey {
    pub const MAX_LEN: usize = 512;

    pub fn parse(raw: &str) -> Result<Self, BookingKeyError> {
        let value = raw.trim();
        if value.is_empty() {
            return Err(BookingKeyError::Empty);
        }
        if value.len() > Self::MAX_LEN {
            return Err(BookingKeyError::TooLong);
        }
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(BookingKeyError::BadCharacters);
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BookingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for BookingKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// booking-tracker's id of an appointment: `apt_` and 24 hex digits of
/// SHA-256(provider, booking key).
///
/// Derived rather than random, so two deliveries of one booking racing to create it agree on the
/// id, and a placeholder created from a reschedule link is the same record the booking's own
/// webhook later fills in.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AppointmentId(String);

impl AppointmentId {
    pub fn for_booking(provider: Provider, key: &BookingKey) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(provider.as_str().as_bytes());
        hasher.update([0u8]);
        hasher.update(key.as_str().as_bytes());
        let digest = hasher.finalize();
        Self(format!("apt_{}", hex::encode(&digest[..12])))
    }

    /// Reads an id back from storage or a URL.
    pub fn parse(raw: &str) -> Option<Self> {
        let hex_part = raw.strip_prefix("apt_")?;
        (hex_part.len() == 24 && hex_part.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AppointmentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// booking-tracker's id of a lead. Opaque; made by the store when a lead is created.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LeadId(String);

impl LeadId {
    /// A new id: `ld_` and a ULID, so ids sort by creation time.
    pub fn generate() -> Self {
        Self(format!("ld_{}", ulid::Ulid::new()))
    }

    /// Reads an id back. Ids are short, URL-safe strings.
    pub fn parse(raw: &str) -> Option<Self> {
        let ok = !raw.is_empty()
            && raw.len() <= 64
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        ok.then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LeadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appointment_ids_are_stable_and_provider_scoped() {
        let key = BookingKey::parse("k3Pq8vXw2LmN9aRt5YbZc1").unwrap();
        let a = AppointmentId::for_booking(Provider::Calcom, &key);
        assert_eq!(a, AppointmentId::for_booking(Provider::Calcom, &key));
        assert_ne!(a, AppointmentId::for_booking(Provider::Calendly, &key));
        assert_eq!(a.as_str().len(), 28);
        assert_eq!(AppointmentId::parse(a.as_str()), Some(a));
        assert_eq!(AppointmentId::parse("apt_xyz"), None);
    }

    #[test]
    fn booking_keys_are_trimmed_and_bounded() {
        assert_eq!(BookingKey::parse("  abc ").unwrap().as_str(), "abc");
        assert_eq!(BookingKey::parse(""), Err(BookingKeyError::Empty));
        assert_eq!(
            BookingKey::parse("a b"),
            Err(BookingKeyError::BadCharacters)
        );
        assert_eq!(
            BookingKey::parse(&"a".repeat(513)),
            Err(BookingKeyError::TooLong)
        );
    }

    #[test]
    fn generated_lead_ids_are_unique_and_valid() {
        let (a, b) = (LeadId::generate(), LeadId::generate());
        assert_ne!(a, b);
        assert_eq!(LeadId::parse(a.as_str()), Some(a));
    }

    #[test]
    fn lead_ids_are_url_safe() {
        assert!(LeadId::parse("ld_01JABCDEF").is_some());
        assert!(LeadId::parse("").is_none());
        assert!(LeadId::parse("a/b").is_none());
    }
}
