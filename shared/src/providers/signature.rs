//! HMAC-SHA256 signatures over raw request bytes, as both providers use them.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Why a webhook's signature was not accepted. Each case maps to its own 401 error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No signature header, an empty one, or Cal.com's `no-secret-provided`.
    #[error("the request carries no signature")]
    Missing,
    /// The header is not in the provider's format.
    #[error("the signature header is malformed: {0}")]
    Malformed(&'static str),
    /// Well-formed, but not made with this account's secret over this body.
    #[error("the signature does not match the body")]
    Mismatch,
    /// Calendly: correctly signed, but the signing time is outside the tolerance.
    #[error(
        "the signature was made {skew_seconds} s from now, outside the {tolerance_seconds} s tolerance"
    )]
    Stale {
        skew_seconds: i64,
        tolerance_seconds: i64,
    },
}

/// Lowercase hex HMAC-SHA256 of the concatenated `parts` under `key`.
pub(crate) fn sign_hex(key: &[u8], parts: &[&[u8]]) -> String {
    hex::encode(mac(key, parts).finalize().into_bytes())
}

/// Checks a hex signature in constant time. The hex must decode to exactly 32 bytes.
pub(crate) fn verify_hex(
    key: &[u8],
    parts: &[&[u8]],
    signature_hex: &str,
) -> Result<(), SignatureError> {
    let mut expected = [0u8; 32];
    hex::decode_to_slice(signature_hex, &mut expected)
        .map_err(|_| SignatureError::Malformed("signature is not 64 hex digits"))?;
    mac(key, parts)
        .verify_slice(&expected)
        .map_err(|_| SignatureError::Mismatch)
}

fn mac(key: &[u8], parts: &[&[u8]]) -> HmacSha256 {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    for part in parts {
        mac.update(part);
    }
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_a_known_hmac_sha256_vector() {
        // RFC 4231, test case 2.
        assert_eq!(
            sign_hex(b"Jefe", &[b"what do ya want ", b"for nothing?"]),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn verifies_and_rejects() {
        let sig = sign_hex(b"k", &[b"body"]);
        assert_eq!(verify_hex(b"k", &[b"body"], &sig), Ok(()));
        assert_eq!(verify_hex(b"k", &[b"body"], &sig.to_uppercase()), Ok(()));
        assert_eq!(
            verify_hex(b"k", &[b"bodY"], &sig),
            Err(SignatureError::Mismatch)
        );
        assert!(matches!(
            verify_hex(b"k", &[b"body"], "zz"),
            Err(SignatureError::Malformed(_))
        ));
        assert!(matches!(
            verify_hex(b"k", &[b"body"], &sig[..62]),
            Err(SignatureError::Malformed(_))
        ));
    }
}
