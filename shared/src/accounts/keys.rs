//! Generated secrets and API keys.
//!
//! Webhook secrets must be stored readable (the signature check needs them). API keys are only
//! ever stored as a SHA-256 hash: a key is 256 random bits, so a fast hash cannot be reversed and
//! a slow password hash would add nothing but latency.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::domain::Secret;

/// Random bytes in each generated secret.
const SECRET_BYTES: usize = 32;

/// A fresh random secret, `prefix` + 64 hex digits.
pub fn generate_secret(prefix: &str) -> Secret {
    let mut bytes = [0u8; SECRET_BYTES];
    // The OS random source failing is unrecoverable: no secret can be made without it.
    getrandom::fill(&mut bytes).unwrap_or_else(|e| panic_without_entropy(&e));
    Secret::new(format!("{prefix}{}", hex::encode(bytes)))
}

#[allow(clippy::panic)]
fn panic_without_entropy(error: &getrandom::Error) -> ! {
    panic!("the operating system's random source failed: {error}")
}

/// The prefixes of generated secrets, so a leaked value says what it is.
pub const API_KEY_PREFIX: &str = "btk_";
pub const CALCOM_SECRET_PREFIX: &str = "calsec_";
pub const CALENDLY_KEY_PREFIX: &str = "clysec_";

/// The account the sample events in `events/` are for, and the published secrets they are signed
/// with. Public, so never for real traffic: only this account id may hold them.
pub const DEMO_ACCOUNT: &str = "demo";
pub const DEMO_CALCOM_SECRET: &str = "calsec_demo_only_not_for_real_accounts";
pub const DEMO_CALENDLY_KEY: &str = "clysec_demo_only_not_for_real_accounts";
pub const DEMO_API_KEY: &str = "btk_demo_only_not_for_real_accounts";

/// The SHA-256 of an API key, in hex: what the store keeps and looks keys up by.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ApiKeyHash(String);

impl ApiKeyHash {
    pub fn of(api_key: &str) -> Self {
        Self(hex::encode(Sha256::digest(api_key.trim().as_bytes())))
    }

    /// Reads a stored hash back.
    pub fn from_hex(hex: &str) -> Option<Self> {
        (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| Self(hex.to_ascii_lowercase()))
    }

    pub fn as_hex(&self) -> &str {
        &self.0
    }

    /// Constant-time comparison, for checking a presented key against a stored hash.
    pub fn matches(&self, other: &ApiKeyHash) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

impl fmt::Debug for ApiKeyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKeyHash({}…)", &self.0[..8.min(self.0.len())])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_are_prefixed_random_and_distinct() {
        let a = generate_secret(API_KEY_PREFIX);
        let b = generate_secret(API_KEY_PREFIX);
        assert!(a.expose().starts_with("btk_"));
        assert_eq!(a.expose().len(), 4 + 64);
        assert_ne!(a.expose(), b.expose());
    }

    #[test]
    fn api_key_hashes_are_stable_and_compare_in_constant_time() {
        let key = generate_secret(API_KEY_PREFIX);
        let hash = ApiKeyHash::of(key.expose());
        assert_eq!(hash.as_hex().len(), 64);
        assert!(!hash.as_hex().contains(key.expose()));
        assert!(hash.matches(&ApiKeyHash::of(&format!(" {} ", key.expose()))));
        assert!(!hash.matches(&ApiKeyHash::of("btk_other")));
        assert_eq!(ApiKeyHash::from_hex(hash.as_hex()), Some(hash));
    }
}
