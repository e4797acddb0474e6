//! Email addresses as leads are matched on them.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

/// An email address, trimmed and lowercased, so that two spellings of one address compare equal.
///
/// Cal.com invents `<digits>@sms.cal.com` for bookers who gave only a phone number; that is
/// not an email and never parses as one (see [`EmailError::Placeholder`]).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Email(String);

/// Why a string is not an [`Email`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("email is empty")]
    Empty,
    #[error("email is longer than 254 characters")]
    TooLong,
    #[error("email must look like name@example.com")]
    Malformed,
    #[error("Cal.com's <digits>@sms.cal.com placeholder is not an email")]
    Placeholder,
}

const CALCOM_SMS_DOMAIN: &str = "sms.cal.com";

impl Email {
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        let value = raw.trim().to_lowercase();
        if value.is_empty() {
            return Err(EmailError::Empty);
        }
        if value.len() > 254 {
            return Err(EmailError::TooLong);
        }
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(EmailError::Malformed);
        }
        let (local, domain) = value.rsplit_once('@').ok_or(EmailError::Malformed)?;
        let domain_ok = domain.contains('.')
            && domain
                .split('.')
                .all(|label| !label.is_empty() && !label.starts_with('-') && !label.ends_with('-'))
            && !domain.contains('@');
        if local.is_empty() || local.len() > 64 || !domain_ok {
            return Err(EmailError::Malformed);
        }
        if domain == CALCOM_SMS_DOMAIN && local.bytes().all(|b| b.is_ascii_digit()) {
            return Err(EmailError::Placeholder);
        }
        Ok(Self(value))
    }

    /// `Some` for a real address, `None` for anything else (blank, junk, placeholder).
    pub fn parse_optional(raw: &str) -> Option<Self> {
        Self::parse(raw).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The domain part, safe to log where the full address is not.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, d)| d)
    }
}

/// Debug shows only the domain: addresses are personal data and must not reach logs.
impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email(***@{})", self.domain())
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Email {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_lowercases() {
        let e = Email::parse("  Priya.Nair@Example.COM \n").unwrap();
        assert_eq!(e.as_str(), "priya.nair@example.com");
        assert_eq!(e, Email::parse("priya.nair@example.com").unwrap());
    }

    #[test]
    fn calcom_sms_placeholder_is_no_email() {
        assert_eq!(
            Email::parse("447700900987@sms.cal.com"),
            Err(EmailError::Placeholder)
        );
        assert_eq!(
            Email::parse(" 34123121212@SMS.CAL.COM"),
            Err(EmailError::Placeholder)
        );
        assert_eq!(Email::parse_optional("447700900987@sms.cal.com"), None);
        // A real person at that domain with a non-numeric name is still an address.
        assert!(Email::parse("support@sms.cal.com").is_ok());
    }

    #[test]
    fn rejects_junk() {
        for bad in [
            "",
            "   ",
            "priya",
            "@example.com",
            "priya@",
            "priya@example",
            "pri ya@example.com",
            "priya@.example.com",
            "priya@example..com",
            "priya@-example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be rejected");
        }
        assert_eq!(
            Email::parse(&format!("{}@example.com", "a".repeat(250))),
            Err(EmailError::TooLong)
        );
    }

    #[test]
    fn debug_hides_the_local_part() {
        let e = Email::parse("priya.nair@example.com").unwrap();
        assert_eq!(format!("{e:?}"), "Email(***@example.com)");
    }
}
