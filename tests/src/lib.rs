//! Helpers for the cross-crate tests in `tests/tests/`: fixtures and signing.
//!
//! Test support: a missing fixture is a broken checkout, so these helpers panic rather than
//! return errors.
#![allow(
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::print_stderr
)]

pub mod acting;
pub mod action_world;
pub mod doctor;
pub mod emulators;
pub mod events;
pub mod fakes;
pub mod faulty;
pub mod gateway;
pub mod google;
pub mod histories;
pub mod links;
pub mod stores;

use std::path::PathBuf;

/// The provider sample payloads (`tests/fixtures/providers`), as documented in PROVIDERS.md §7.
pub fn provider_fixture(name: &str) -> Vec<u8> {
    let path = fixtures_dir().join("providers").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading fixture {}: {e}", path.display()))
}

/// The same JSON without insignificant whitespace, as Cal.com sends it (`JSON.stringify`): keys
/// keep their order and strings their bytes.
pub fn compact(pretty: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(pretty.len());
    let (mut in_string, mut escaped) = (false, false);
    for &byte in pretty {
        if in_string {
            out.push(byte);
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
        } else if !byte.is_ascii_whitespace() {
            in_string = byte == b'"';
            out.push(byte);
        }
    }
    out
}

pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}
