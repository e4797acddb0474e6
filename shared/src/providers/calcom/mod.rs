//! Cal.com webhooks: `X-Cal-Signature-256` and the booking triggers.
//! Wire format notes: `../shared/providers/PROVIDERS.md` §1.

pub mod actions;
pub mod api;
mod parse;
pub mod profile;
mod tracking;
pub mod webhooks_api;
mod wire;

pub use parse::parse;

use crate::domain::Secret;
use crate::providers::SignatureError;
use crate::providers::signature::{sign_hex, verify_hex};

/// The signature header (lowercase, as API Gateway delivers header names).
pub const SIGNATURE_HEADER: &str = "x-cal-signature-256";

/// What Cal.com sends in the signature header when the webhook has no secret.
const NO_SECRET: &str = "no-secret-provided";

/// Checks `X-Cal-Signature-256`: lowercase hex HMAC-SHA256 of the raw body, no prefix, no
/// timestamp. Constant time.
pub fn verify(secret: &Secret, body: &[u8], header: Option<&str>) -> Result<(), SignatureError> {
    let value = header.map(str::trim).unwrap_or_default();
    if value.is_empty() || value == NO_SECRET {
        return Err(SignatureError::Missing);
    }
    verify_hex(secret.expose().as_bytes(), &[body], value)
}

/// The header value Cal.com would send for `body`: used by tests and `booking-tracker webhook sign`.
pub fn sign(secret: &Secret, body: &[u8]) -> String {
    sign_hex(secret.expose().as_bytes(), &[body])
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] =
        br#"{"triggerEvent":"PING","createdAt":"2026-03-01T16:45:03.221Z","payload":{}}"#;

    fn secret() -> Secret {
        Secret::new("calcom-test-secret")
    }

    #[test]
    fn accepts_its_own_signature() {
        let sig = sign(&secret(), BODY);
        assert_eq!(sig.len(), 64);
        assert!(
            sig.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
        assert_eq!(verify(&secret(), BODY, Some(&sig)), Ok(()));
    }

    #[test]
    fn rejects_tampered_calcom_body() {
        let sig = sign(&secret(), BODY);
        let mut tampered = BODY.to_vec();
        tampered[20] ^= 1;
        assert_eq!(
            verify(&secret(), &tampered, Some(&sig)),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn rejects_wrong_secret() {
        let sig = sign(&Secret::new("someone-else"), BODY);
        assert_eq!(
            verify(&secret(), BODY, Some(&sig)),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn missing_and_no_secret_provided_count_as_missing() {
        assert_eq!(verify(&secret(), BODY, None), Err(SignatureError::Missing));
        assert_eq!(
            verify(&secret(), BODY, Some("  ")),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify(&secret(), BODY, Some("no-secret-provided")),
            Err(SignatureError::Missing)
        );
    }

    #[test]
    fn rejects_malformed_header() {
        let sig = sign(&secret(), BODY);
        for bad in [
            format!("sha256={sig}"),
            "abc".to_owned(),
            format!("{sig}00"),
        ] {
            assert!(
                matches!(
                    verify(&secret(), BODY, Some(&bad)),
                    Err(SignatureError::Malformed(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn signature_is_over_raw_bytes_not_reserialised_json() {
        let pretty = b"{\n  \"triggerEvent\": \"PING\"\n}";
        let compact = br#"{"triggerEvent":"PING"}"#;
        let sig = sign(&secret(), pretty);
        assert_eq!(verify(&secret(), pretty, Some(&sig)), Ok(()));
        assert_eq!(
            verify(&secret(), compact, Some(&sig)),
            Err(SignatureError::Mismatch)
        );
    }
}
