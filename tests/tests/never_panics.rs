//! Arbitrary bytes never panic the verifiers or parsers, and never verify.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use shared::domain::{Email, Phone, Region, Secret};
use shared::providers::{calcom, calendly};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn parsers_survive_arbitrary_bytes(body in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = calcom::parse(&body, Region::GB);
        let _ = calendly::parse(&body, Region::US);
        let _ = calcom::api::parse_bookings_page(&body, Region::GB);
        let _ = calendly::api::parse_events_page(&body);
        let _ = calendly::api::parse_current_organization(&body);
    }

    #[test]
    fn parsers_survive_json_shaped_noise(body in r#"\{("(triggerEvent|event|payload|createdAt|created_at|uid|attendees|startTime)":("[A-Z_a-z.:0-9+-]{0,12}"|\[\]|\{\}|null|[0-9]{1,4}|true),?){0,6}\}"#) {
        let _ = calcom::parse(body.as_bytes(), Region::GB);
        let _ = calendly::parse(body.as_bytes(), Region::GB);
    }

    #[test]
    fn verifiers_never_accept_noise(body in proptest::collection::vec(any::<u8>(), 0..256), header in ".{0,160}") {
        let secret = Secret::new("proptest-secret");
        prop_assert!(calcom::verify(&secret, &body, Some(&header)).is_err());
        let now = Utc.timestamp_opt(1_772_637_729, 0).unwrap();
        prop_assert!(calendly::verify(&secret, &body, Some(&header), now, calendly::DEFAULT_TOLERANCE).is_err());
    }

    #[test]
    fn contact_parsers_survive_arbitrary_text(text in "\\PC{0,80}") {
        let _ = Phone::parse(&text, Region::GB);
        let _ = Email::parse(&text);
    }
}
