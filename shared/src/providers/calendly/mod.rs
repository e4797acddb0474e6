//! Calendly webhooks: `Calendly-Webhook-Signature` and the invitee triggers.
//! Wire format notes: `../shared/providers/PROVIDERS.md` §2.

pub mod actions;
pub mod api;
mod invitee;
mod parse;
mod wire;

pub use parse::parse;

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::domain::Secret;
use crate::providers::SignatureError;
use crate::providers::signature::{sign_hex, verify_hex};

/// The signature header (lowercase, as API Gateway delivers header names).
pub const SIGNATURE_HEADER: &str = "calendly-webhook-signature";

/// How far the signing time may be from now, either way, unless the account configures otherwise.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// Checks `Calendly-Webhook-Signature: t=<unix>,v1=<hex>`: HMAC-SHA256 of `"{t}.{raw body}"`
/// under the signing key, compared in constant time, with `t` within `tolerance` of `now` in
/// either direction. A header may carry several `v1` values (key rotation); one match is enough.
/// A bad signature is reported before a stale one, so "stale" always means "genuine but late".
pub fn verify(
    signing_key: &Secret,
    body: &[u8],
    header: Option<&str>,
    now: DateTime<Utc>,
    tolerance: Duration,
) -> Result<(), SignatureError> {
    let value = header.map(str::trim).unwrap_or_default();
    if value.is_empty() {
        return Err(SignatureError::Missing);
    }
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in value.split(',') {
        let (name, item) = part
            .trim()
            .split_once('=')
            .ok_or(SignatureError::Malformed("expected t=<unix time>,v1=<hex>"))?;
        match name.trim() {
            "t" => timestamp = Some(item.trim()),
            "v1" => signatures.push(item.trim()),
            _ => {} // Other schemes may be added; they are not ours to check.
        }
    }
    let t = timestamp.ok_or(SignatureError::Malformed("no t= part"))?;
    let seconds: i64 = t
        .parse()
        .map_err(|_| SignatureError::Malformed("t is not a unix time"))?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed("no v1= part"));
    }

    let key = signing_key.expose().as_bytes();
    let parts: [&[u8]; 3] = [t.as_bytes(), b".", body];
    let mut outcome = Err(SignatureError::Mismatch);
    for signature in signatures {
        match verify_hex(key, &parts, signature) {
            Ok(()) => {
                outcome = Ok(());
                break;
            }
            Err(SignatureError::Malformed(m)) => outcome = Err(SignatureError::Malformed(m)),
            Err(_) => {}
        }
    }
    outcome?;

    let skew_seconds = now.timestamp().saturating_sub(seconds);
    let tolerance_seconds = i64::try_from(tolerance.as_secs()).unwrap_or(i64::MAX);
    if skew_seconds.unsigned_abs() > tolerance_seconds.unsigned_abs() {
        return Err(SignatureError::Stale {
            skew_seconds,
            tolerance_seconds,
        });
    }
    Ok(())
}

/// The header value Calendly would send for `body` signed at `timestamp` (unix seconds).
pub fn sign(signing_key: &Secret, timestamp: i64, body: &[u8]) -> String {
    let t = timestamp.to_string();
    let signature = sign_hex(signing_key.expose().as_bytes(), &[t.as_bytes(), b".", body]);
    format!("t={t},v1={signature}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const BODY: &[u8] =
        br#"{"event":"invitee.created","created_at":"2026-03-04T15:22:09.000000Z","payload":{}}"#;
    const T: i64 = 1_772_637_729;

    fn key() -> Secret {
        Secret::new("calendly-test-signing-key")
    }

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(seconds, 0).unwrap()
    }

    fn check(header: &str, now: i64) -> Result<(), SignatureError> {
        verify(&key(), BODY, Some(header), at(now), DEFAULT_TOLERANCE)
    }

    #[test]
    fn accepts_its_own_signature_within_tolerance() {
        let header = sign(&key(), T, BODY);
        assert!(header.starts_with(&format!("t={T},v1=")));
        assert_eq!(check(&header, T), Ok(()));
        assert_eq!(check(&header, T + 300), Ok(()));
        assert_eq!(check(&header, T - 300), Ok(()));
    }

    #[test]
    fn rejects_tampered_calendly_body() {
        let header = sign(&key(), T, BODY);
        let tampered = [BODY, b" "].concat();
        assert_eq!(
            verify(&key(), &tampered, Some(&header), at(T), DEFAULT_TOLERANCE),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn rejects_wrong_key_and_moved_timestamp() {
        assert_eq!(
            check(&sign(&Secret::new("other"), T, BODY), T),
            Err(SignatureError::Mismatch)
        );
        let moved = sign(&key(), T, BODY).replace(&format!("t={T}"), &format!("t={}", T + 1));
        assert_eq!(check(&moved, T), Err(SignatureError::Mismatch));
    }

    #[test]
    fn rejects_timestamps_too_old_and_too_far_in_the_future() {
        let header = sign(&key(), T, BODY);
        assert_eq!(
            check(&header, T + 301),
            Err(SignatureError::Stale {
                skew_seconds: 301,
                tolerance_seconds: 300
            })
        );
        assert_eq!(
            check(&header, T - 301),
            Err(SignatureError::Stale {
                skew_seconds: -301,
                tolerance_seconds: 300
            })
        );
    }

    #[test]
    fn tolerance_is_configurable() {
        let header = sign(&key(), T, BODY);
        let wide = verify(
            &key(),
            BODY,
            Some(&header),
            at(T + 3600),
            Duration::from_secs(7200),
        );
        assert_eq!(wide, Ok(()));
    }

    #[test]
    fn missing_header_is_missing() {
        assert_eq!(
            verify(&key(), BODY, None, at(T), DEFAULT_TOLERANCE),
            Err(SignatureError::Missing)
        );
        assert_eq!(check("", T), Err(SignatureError::Missing));
    }

    #[test]
    fn rejects_malformed_headers() {
        let sig = sign(&key(), T, BODY);
        let v1 = sig.split_once(",v1=").unwrap().1;
        for bad in [
            format!("v1={v1}"),
            format!("t={T}"),
            format!("t=yesterday,v1={v1}"),
            format!("t={T},v1=nothex"),
            "garbage".to_owned(),
        ] {
            assert!(
                matches!(check(&bad, T), Err(SignatureError::Malformed(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn accepts_any_matching_v1_and_ignores_other_schemes() {
        let sig = sign(&key(), T, BODY);
        let v1 = sig.split_once(",v1=").unwrap().1;
        let header = format!("t={T}, v0=abc, v1={}, v1={v1}", "0".repeat(64));
        assert_eq!(check(&header, T), Ok(()));
    }
}
