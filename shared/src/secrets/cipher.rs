//! Sealing one secret: AES-256-GCM (aws-lc-rs) under a data key, with a fresh random 96-bit
//! nonce per seal, and the account id, the field, the key ring and the key version bound in as
//! associated data: a sealed value copied to another account or field, or relabelled with
//! another key version, does not open.

use aws_lc_rs::aead::{AES_256_GCM, Aad, NONCE_LEN, Nonce, RandomizedNonceKey};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use zeroize::Zeroizing;

use super::field::SecretField;
use crate::domain::{AccountId, Secret};

/// A data key's length: AES-256.
pub const KEY_LEN: usize = 32;
/// How a sealed value starts; what follows: `<ring>:<version>:<base64url(nonce || ciphertext || tag)>`.
pub const SEALED_PREFIX: &str = "sealed:v1:";

/// One data key, wiped from memory when dropped.
pub struct DataKey {
    bytes: Zeroizing<[u8; KEY_LEN]>,
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(***)")
    }
}

impl DataKey {
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        let array: [u8; KEY_LEN] = bytes
            .try_into()
            .map_err(|_| format!("a data key is {KEY_LEN} bytes, not {}", bytes.len()))?;
        Ok(Self {
            bytes: Zeroizing::new(array),
        })
    }

    /// A fresh random key.
    pub fn generate() -> Result<Self, String> {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        getrandom::fill(&mut *bytes).map_err(|e| format!("no randomness for a data key: {e}"))?;
        Ok(Self { bytes })
    }

    pub fn expose(&self) -> &[u8; KEY_LEN] {
        &self.bytes
    }

    fn cipher(&self) -> Result<RandomizedNonceKey, String> {
        RandomizedNonceKey::new(&AES_256_GCM, &*self.bytes)
            .map_err(|_| "AES-256-GCM refused the data key".to_owned())
    }
}

/// Where a sealed value belongs, all bound into its associated data.
#[derive(Clone, Copy, Debug)]
pub(super) struct Label<'a> {
    pub(super) account: &'a AccountId,
    pub(super) field: SecretField,
    /// The key ring's id and the data key's version.
    pub(super) ring: &'a str,
    pub(super) version: u32,
}

impl Label<'_> {
    fn aad(&self) -> Vec<u8> {
        format!(
            "booking-tracker/secret/v1\0{}\0{}\0{}\0{}",
            self.account,
            self.field.as_str(),
            self.ring,
            self.version
        )
        .into_bytes()
    }
}

/// Seals `secret` for `label` under `key`: `sealed:v1:<ring>:<version>:<base64url>`.
pub(super) fn seal(key: &DataKey, label: &Label<'_>, secret: &Secret) -> Result<String, String> {
    let mut in_out = secret.expose().as_bytes().to_vec();
    let nonce = key
        .cipher()?
        .seal_in_place_append_tag(Aad::from(label.aad()), &mut in_out)
        .map_err(|_| "AES-256-GCM could not seal".to_owned())?;
    let mut blob = Vec::with_capacity(NONCE_LEN + in_out.len());
    blob.extend_from_slice(nonce.as_ref());
    blob.extend_from_slice(&in_out);
    Ok(format!(
        "{SEALED_PREFIX}{}:{}:{}",
        label.ring,
        label.version,
        URL_SAFE_NO_PAD.encode(blob)
    ))
}

/// The parts of a sealed value's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct SealedParts {
    pub(super) ring: String,
    pub(super) version: u32,
    pub(super) blob: Vec<u8>,
}

/// Reads `sealed:v1:<ring>:<version>:<base64url>`; `None` if the text is not a sealed value.
pub(super) fn parse_sealed(text: &str) -> Option<SealedParts> {
    let rest = text.strip_prefix(SEALED_PREFIX)?;
    let mut parts = rest.splitn(3, ':');
    let ring = parts.next()?.to_owned();
    let version = parts.next()?.parse().ok()?;
    let blob = URL_SAFE_NO_PAD.decode(parts.next()?).ok()?;
    (!ring.is_empty() && blob.len() > NONCE_LEN).then_some(SealedParts {
        ring,
        version,
        blob,
    })
}

/// Opens a sealed value's blob for `label` with `key`; `None` when it does not open (another
/// key, account or field, or altered bytes).
pub(super) fn open(key: &DataKey, label: &Label<'_>, blob: &[u8]) -> Option<Secret> {
    let (nonce, sealed) = blob.split_at_checked(NONCE_LEN)?;
    let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
    let mut in_out = Zeroizing::new(sealed.to_vec());
    let plain = key
        .cipher()
        .ok()?
        .open_in_place(nonce, Aad::from(label.aad()), &mut in_out)
        .ok()?;
    let text = String::from_utf8(plain.to_vec()).ok()?;
    Some(Secret::new(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acme() -> AccountId {
        AccountId::parse("acme").unwrap()
    }

    fn label(account: &AccountId, field: SecretField) -> Label<'_> {
        Label {
            account,
            field,
            ring: "r1",
            version: 1,
        }
    }

    fn opened(key: &DataKey, label: &Label<'_>, text: &str) -> Option<String> {
        let parts = parse_sealed(text)?;
        open(key, label, &parts.blob).map(|s| s.expose().to_owned())
    }

    #[test]
    fn a_sealed_secret_opens_for_its_account_and_field_only() {
        let key = DataKey::generate().unwrap();
        let account = acme();
        let here = label(&account, SecretField::CalcomApiKey);
        let sealed = seal(&key, &here, &Secret::new("cal_live_abc")).unwrap();
        assert!(sealed.starts_with("sealed:v1:r1:1:"));
        assert!(!sealed.contains("cal_live_abc"));
        assert_eq!(
            opened(&key, &here, &sealed).as_deref(),
            Some("cal_live_abc")
        );

        let other = AccountId::parse("globex").unwrap();
        assert_eq!(
            opened(&key, &label(&other, SecretField::CalcomApiKey), &sealed),
            None
        );
        assert_eq!(
            opened(&key, &label(&account, SecretField::CalendlyToken), &sealed),
            None
        );
        let relabelled = Label { version: 2, ..here };
        assert_eq!(opened(&key, &relabelled, &sealed), None);
        assert_eq!(opened(&DataKey::generate().unwrap(), &here, &sealed), None);
    }

    #[test]
    fn any_altered_byte_fails_to_open() {
        let key = DataKey::generate().unwrap();
        let account = acme();
        let here = label(&account, SecretField::CalendlyToken);
        let sealed = seal(&key, &here, &Secret::new("eyJ.token")).unwrap();
        let blob = parse_sealed(&sealed).unwrap().blob;
        for i in 0..blob.len() {
            let mut altered = blob.clone();
            altered[i] ^= 0x01;
            assert!(open(&key, &here, &altered).is_none(), "byte {i}");
        }
    }

    #[test]
    fn two_seals_of_one_secret_differ() {
        let key = DataKey::generate().unwrap();
        let account = acme();
        let here = label(&account, SecretField::CalcomWebhookSecret);
        let secret = Secret::new("calsec_x");
        assert_ne!(
            seal(&key, &here, &secret).unwrap(),
            seal(&key, &here, &secret).unwrap()
        );
    }

    #[test]
    fn plain_text_is_not_a_sealed_value() {
        assert_eq!(parse_sealed("cal_live_abc"), None);
        assert_eq!(parse_sealed("sealed:v1:r1:x:AAAA"), None);
        assert_eq!(parse_sealed("sealed:v1:r1:1:!!"), None);
    }
}
