//! A secret as an account document holds it: sealed, or plain text not sealed yet (just set by
//! a command, or written by a build from before sealing). Stores seal every plain value before
//! they write, and serialising a plain value is refused, so plain text cannot reach a store by
//! accident.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::cipher::parse_sealed;
use crate::domain::Secret;

#[derive(Clone, PartialEq, Eq)]
pub enum StoredSecret {
    /// `sealed:v1:<ring>:<version>:<base64url>`.
    Sealed(String),
    /// Not sealed yet.
    Plain(Secret),
}

impl StoredSecret {
    /// A secret just set; the store seals it when it writes.
    pub fn plain(secret: Secret) -> Self {
        StoredSecret::Plain(secret)
    }

    pub fn is_sealed(&self) -> bool {
        matches!(self, StoredSecret::Sealed(_))
    }

    /// The key ring and version a sealed value needs.
    pub fn sealed_with(&self) -> Option<(String, u32)> {
        match self {
            StoredSecret::Sealed(text) => parse_sealed(text).map(|p| (p.ring, p.version)),
            StoredSecret::Plain(_) => None,
        }
    }
}

impl From<Secret> for StoredSecret {
    fn from(secret: Secret) -> Self {
        StoredSecret::Plain(secret)
    }
}

impl std::fmt::Debug for StoredSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.sealed_with() {
            Some((ring, version)) => write!(f, "Sealed({ring} v{version})"),
            None if self.is_sealed() => f.write_str("Sealed(?)"),
            None => f.write_str("Plain(***)"),
        }
    }
}

impl Serialize for StoredSecret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            StoredSecret::Sealed(text) => s.serialize_str(text),
            StoredSecret::Plain(_) => Err(serde::ser::Error::custom(
                "refusing to write a secret that is not sealed",
            )),
        }
    }
}

impl<'de> Deserialize<'de> for StoredSecret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Ok(if parse_sealed(&text).is_some() {
            StoredSecret::Sealed(text)
        } else {
            // Written before sealing: sealed on the next write (and by `init`).
            StoredSecret::Plain(Secret::new(text))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_values_are_never_serialised_and_old_documents_still_read() {
        let plain = StoredSecret::plain(Secret::new("calsec_abc"));
        assert!(serde_json::to_string(&plain).is_err());
        assert_eq!(format!("{plain:?}"), "Plain(***)");
        let legacy: StoredSecret = serde_json::from_str("\"calsec_abc\"").unwrap();
        assert_eq!(legacy, plain);
        let sealed: StoredSecret =
            serde_json::from_str("\"sealed:v1:ab12cd34:3:AAAAAAAAAAAAAAAAAAAAAAAA\"").unwrap();
        assert_eq!(sealed.sealed_with(), Some(("ab12cd34".to_owned(), 3)));
        assert_eq!(format!("{sealed:?}"), "Sealed(ab12cd34 v3)");
        assert_eq!(
            serde_json::to_string(&sealed).unwrap(),
            "\"sealed:v1:ab12cd34:3:AAAAAAAAAAAAAAAAAAAAAAAA\""
        );
    }
}
