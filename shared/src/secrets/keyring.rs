//! The key ring: every data key version still in use, and which one seals. Kept as one small
//! JSON document, written raw to the key file on SQLite and wrapped by KMS in the table on AWS,
//! so one read (one KMS call) yields every version.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::cipher::{self, DataKey, Label, SealedParts};
use super::field::SecretField;
use crate::domain::{AccountId, Secret};

#[derive(Debug)]
pub struct Keyring {
    /// Random, fixed for the ring's life: says which ring sealed a value.
    id: String,
    /// The version new values are sealed with.
    current: u32,
    keys: BTreeMap<u32, DataKey>,
}

/// The ring as written (keys in base64). Never logged.
#[derive(Serialize, Deserialize)]
struct Written {
    id: String,
    current: u32,
    keys: BTreeMap<u32, String>,
}

/// Why a sealed value did not open.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    #[error("it was sealed by key ring {found}, but the key ring here is {here}")]
    OtherRing { found: String, here: String },
    #[error("its key version {0} is not in the key ring")]
    UnknownVersion(u32),
    #[error("it does not open with key version {0}: the key is wrong or the value was altered")]
    Rejected(u32),
    #[error("it is not a sealed value")]
    NotSealed,
}

impl Keyring {
    /// A new ring holding `first` as version 1.
    pub fn new(first: DataKey) -> Result<Self, String> {
        let mut id = [0u8; 4];
        getrandom::fill(&mut id).map_err(|e| format!("no randomness for a key ring id: {e}"))?;
        Ok(Self {
            id: hex::encode(id),
            current: 1,
            keys: BTreeMap::from([(1, first)]),
        })
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn current(&self) -> u32 {
        self.current
    }

    pub fn versions(&self) -> impl Iterator<Item = u32> + '_ {
        self.keys.keys().copied()
    }

    /// The same ring with `key` added as the new current version; older versions still open.
    pub fn rotated(&self, key: DataKey) -> Self {
        let mut keys: BTreeMap<u32, DataKey> = self
            .keys
            .iter()
            .filter_map(|(v, k)| Some((*v, DataKey::from_bytes(k.expose()).ok()?)))
            .collect();
        let next = self.keys.keys().max().copied().unwrap_or(0) + 1;
        keys.insert(next, key);
        Self {
            id: self.id.clone(),
            current: next,
            keys,
        }
    }

    /// The same ring with only the current version: once nothing is sealed with the others.
    pub fn retired(&self) -> Self {
        let keys = self
            .keys
            .iter()
            .filter(|(v, _)| **v == self.current)
            .filter_map(|(v, k)| Some((*v, DataKey::from_bytes(k.expose()).ok()?)))
            .collect();
        Self {
            id: self.id.clone(),
            current: self.current,
            keys,
        }
    }

    pub fn seal(
        &self,
        account: &AccountId,
        field: SecretField,
        secret: &Secret,
    ) -> Result<String, String> {
        let key = self
            .keys
            .get(&self.current)
            .ok_or("the key ring has no current key")?;
        let label = Label {
            account,
            field,
            ring: &self.id,
            version: self.current,
        };
        cipher::seal(key, &label, secret)
    }

    pub fn open(
        &self,
        account: &AccountId,
        field: SecretField,
        sealed: &str,
    ) -> Result<Secret, OpenError> {
        let SealedParts {
            ring,
            version,
            blob,
        } = cipher::parse_sealed(sealed).ok_or(OpenError::NotSealed)?;
        if ring != self.id {
            return Err(OpenError::OtherRing {
                found: ring,
                here: self.id.clone(),
            });
        }
        let key = self
            .keys
            .get(&version)
            .ok_or(OpenError::UnknownVersion(version))?;
        let label = Label {
            account,
            field,
            ring: &self.id,
            version,
        };
        cipher::open(key, &label, &blob).ok_or(OpenError::Rejected(version))
    }

    /// The ring as JSON, for the key file or for KMS to wrap. Wiped when dropped.
    pub fn to_json(&self) -> Zeroizing<String> {
        let written = Written {
            id: self.id.clone(),
            current: self.current,
            keys: self
                .keys
                .iter()
                .map(|(v, k)| (*v, STANDARD.encode(k.expose())))
                .collect(),
        };
        Zeroizing::new(serde_json::to_string(&written).unwrap_or_default())
    }

    pub fn from_json(text: &[u8]) -> Result<Self, String> {
        let written: Written =
            serde_json::from_slice(text).map_err(|e| format!("not a key ring: {e}"))?;
        let keys = written
            .keys
            .iter()
            .map(|(v, k)| {
                let bytes = Zeroizing::new(
                    STANDARD
                        .decode(k)
                        .map_err(|_| format!("key version {v} is not base64"))?,
                );
                Ok((*v, DataKey::from_bytes(&bytes)?))
            })
            .collect::<Result<BTreeMap<_, _>, String>>()?;
        if !keys.contains_key(&written.current) {
            return Err(format!(
                "the current version {} has no key",
                written.current
            ));
        }
        Ok(Self {
            id: written.id,
            current: written.current,
            keys,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acme() -> AccountId {
        AccountId::parse("acme").unwrap()
    }

    #[test]
    fn a_rotated_ring_seals_with_the_new_key_and_opens_the_old_until_retired() {
        let ring = Keyring::new(DataKey::generate().unwrap()).unwrap();
        let old = ring
            .seal(&acme(), SecretField::CalendlyToken, &Secret::new("t"))
            .unwrap();
        let rotated = ring.rotated(DataKey::generate().unwrap());
        assert_eq!(rotated.current(), 2);
        let new = rotated
            .seal(&acme(), SecretField::CalendlyToken, &Secret::new("t"))
            .unwrap();
        assert!(new.contains(&format!(":{}:2:", ring.id())));
        for sealed in [&old, &new] {
            let opened = rotated.open(&acme(), SecretField::CalendlyToken, sealed);
            assert_eq!(opened.unwrap().expose(), "t");
        }
        let retired = rotated.retired();
        assert_eq!(retired.versions().collect::<Vec<_>>(), [2]);
        assert_eq!(
            retired
                .open(&acme(), SecretField::CalendlyToken, &old)
                .unwrap_err(),
            OpenError::UnknownVersion(1)
        );
    }

    #[test]
    fn the_json_round_trips_and_another_ring_is_named() {
        let ring = Keyring::new(DataKey::generate().unwrap()).unwrap();
        let sealed = ring
            .seal(&acme(), SecretField::CalcomApiKey, &Secret::new("k"))
            .unwrap();
        let back = Keyring::from_json(ring.to_json().as_bytes()).unwrap();
        assert_eq!(
            back.open(&acme(), SecretField::CalcomApiKey, &sealed)
                .unwrap()
                .expose(),
            "k"
        );
        let other = Keyring::new(DataKey::generate().unwrap()).unwrap();
        assert!(matches!(
            other.open(&acme(), SecretField::CalcomApiKey, &sealed),
            Err(OpenError::OtherRing { .. })
        ));
        assert!(Keyring::from_json(b"{}").is_err());
    }
}
