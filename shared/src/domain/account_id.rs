//! Account identifiers: the tenant key of every record.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};

/// An account id: lowercase ASCII letters, digits and `-`, 3 to 63 characters (SPEC §4).
///
/// It appears in URLs (`/webhooks/calcom/{accountId}`) and storage keys, so the alphabet is
/// deliberately narrow: no escaping is ever needed.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct AccountId(String);

/// Why a string is not an [`AccountId`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountIdError {
    #[error("account id must be 3 to 63 characters long, got {0}")]
    Length(usize),
    #[error("account id may contain only lowercase letters, digits and '-'")]
    Alphabet,
    #[error("account id must start and end with a letter or digit")]
    Edge,
}

impl AccountId {
    pub const MIN_LEN: usize = 3;
    pub const MAX_LEN: usize = 63;

    pub fn parse(value: &str) -> Result<Self, AccountIdError> {
        let len = value.len();
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&len) {
            return Err(AccountIdError::Length(value.chars().count()));
        }
        if !value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(AccountIdError::Alphabet);
        }
        if value.starts_with('-') || value.ends_with('-') {
            return Err(AccountIdError::Edge);
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for AccountId {
    type Err = AccountIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for AccountId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_lowercase_digits_and_dashes() {
        for ok in ["acme", "a-1", "team-42-uk", &"a".repeat(63)] {
            assert_eq!(AccountId::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn rejects_bad_account_ids() {
        assert_eq!(AccountId::parse("ab"), Err(AccountIdError::Length(2)));
        assert_eq!(
            AccountId::parse(&"a".repeat(64)),
            Err(AccountIdError::Length(64))
        );
        assert_eq!(AccountId::parse("Acme"), Err(AccountIdError::Alphabet));
        assert_eq!(AccountId::parse("ac me"), Err(AccountIdError::Alphabet));
        assert_eq!(AccountId::parse("acmé"), Err(AccountIdError::Alphabet));
        assert_eq!(AccountId::parse("-acme"), Err(AccountIdError::Edge));
        assert_eq!(AccountId::parse("acme-"), Err(AccountIdError::Edge));
    }

    #[test]
    fn deserialising_validates() {
        assert!(serde_json::from_str::<AccountId>("\"acme\"").is_ok());
        assert!(serde_json::from_str::<AccountId>("\"ACME\"").is_err());
    }
}
