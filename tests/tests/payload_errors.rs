//! Bad input: every rejection is a distinct typed error, and errors name the field.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::Utc;
use integration_tests::provider_fixture;
use serde_json::{Value, json};
use shared::domain::{Region, Secret};
use shared::providers::{Parsed, PayloadError, SignatureError, calcom, calendly};

fn calcom_parse(body: &Value) -> Result<Parsed, PayloadError> {
    calcom::parse(&serde_json::to_vec(body).unwrap(), Region::GB)
}

fn calendly_parse(body: &Value) -> Result<Parsed, PayloadError> {
    calendly::parse(&serde_json::to_vec(body).unwrap(), Region::GB)
}

fn field_of(result: Result<Parsed, PayloadError>) -> String {
    match result {
        Err(PayloadError::InvalidPayload { field, .. }) => field,
        other => panic!("expected an invalid-payload error, got {other:?}"),
    }
}

fn sample(name: &str) -> Value {
    serde_json::from_slice(&provider_fixture(name)).unwrap()
}

#[test]
fn sample_signatures_reject_tampering_wrong_secrets_and_bad_headers() {
    let body = provider_fixture("calcom-booking-created.json");
    let secret = Secret::new("s3cret");
    let signature = calcom::sign(&secret, &body);
    let tampered = String::from_utf8(body.clone())
        .unwrap()
        .replace("Priya", "Pryia");
    assert_eq!(
        calcom::verify(&secret, tampered.as_bytes(), Some(&signature)),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        calcom::verify(&Secret::new("other"), &body, Some(&signature)),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        calcom::verify(&secret, &body, None),
        Err(SignatureError::Missing)
    );
    assert!(matches!(
        calcom::verify(&secret, &body, Some("xyz")),
        Err(SignatureError::Malformed(_))
    ));

    let body = provider_fixture("calendly-invitee-created.json");
    let now = Utc::now();
    let key = Secret::new("k3y");
    let header = calendly::sign(&key, now.timestamp(), &body);
    let check = |body: &[u8], header: Option<&str>, at: chrono::DateTime<Utc>| {
        calendly::verify(&key, body, header, at, calendly::DEFAULT_TOLERANCE)
    };
    assert_eq!(check(&body, Some(&header), now), Ok(()));
    assert_eq!(
        check(b"{}", Some(&header), now),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(check(&body, None, now), Err(SignatureError::Missing));
    assert!(matches!(
        check(&body, Some("v1=abc"), now),
        Err(SignatureError::Malformed(_))
    ));
    let late = now + chrono::Duration::seconds(301);
    assert!(matches!(
        check(&body, Some(&header), late),
        Err(SignatureError::Stale { .. })
    ));
    let early = now - chrono::Duration::seconds(301);
    assert!(matches!(
        check(&body, Some(&header), early),
        Err(SignatureError::Stale { .. })
    ));
}

#[test]
fn malformed_json_is_invalid_json() {
    for body in [
        &b"{"[..],
        b"not json",
        b"",
        b"{\"triggerEvent\":\"PING\"} trailing",
    ] {
        assert!(
            matches!(
                calcom::parse(body, Region::GB),
                Err(PayloadError::InvalidJson(_))
            ),
            "{body:?}"
        );
        assert!(matches!(
            calendly::parse(body, Region::GB),
            Err(PayloadError::InvalidJson(_))
        ));
    }
}

#[test]
fn a_body_that_is_not_an_object_names_the_body() {
    assert_eq!(field_of(calcom_parse(&json!([1, 2]))), "body");
    assert_eq!(field_of(calendly_parse(&json!("invitee.created"))), "body");
}

#[test]
fn calcom_missing_required_fields_are_named() {
    assert_eq!(
        field_of(calcom_parse(&json!({"payload": {}}))),
        "triggerEvent"
    );

    let mut no_time = sample("calcom-booking-created.json");
    no_time.as_object_mut().unwrap().remove("createdAt");
    assert_eq!(field_of(calcom_parse(&no_time)), "createdAt");

    let mut no_payload = sample("calcom-booking-created.json");
    no_payload.as_object_mut().unwrap().remove("payload");
    assert_eq!(field_of(calcom_parse(&no_payload)), "payload");

    let mut no_uid = sample("calcom-booking-created.json");
    no_uid["payload"].as_object_mut().unwrap().remove("uid");
    assert_eq!(field_of(calcom_parse(&no_uid)), "payload.uid");

    let mut no_booking = sample("calcom-no-show.json");
    no_booking["payload"]
        .as_object_mut()
        .unwrap()
        .remove("bookingUid");
    assert_eq!(field_of(calcom_parse(&no_booking)), "payload.bookingUid");

    let mut nobody = sample("calcom-no-show.json");
    nobody["payload"]["attendees"] = json!([]);
    assert_eq!(field_of(calcom_parse(&nobody)), "payload.attendees");

    let mut ended = sample("calcom-meeting-ended.json");
    ended.as_object_mut().unwrap().remove("endTime");
    assert_eq!(field_of(calcom_parse(&ended)), "endTime");
}

#[test]
fn calcom_wrong_types_and_bad_times_are_named() {
    let mut bad_time = sample("calcom-booking-created.json");
    bad_time["payload"]["startTime"] = json!("next tuesday");
    assert_eq!(field_of(calcom_parse(&bad_time)), "payload.startTime");

    let mut numeric = sample("calcom-booking-created.json");
    numeric["payload"]["startTime"] = json!(1_773_151_200);
    assert_eq!(field_of(calcom_parse(&numeric)), "payload.startTime");

    let mut phone_number = sample("calcom-booking-created.json");
    phone_number["payload"]["attendees"][0]["phoneNumber"] = json!(447_742_201_349_u64);
    assert_eq!(
        field_of(calcom_parse(&phone_number)),
        "payload.attendees[0].phoneNumber"
    );

    let mut created = sample("calcom-booking-created.json");
    created["createdAt"] = json!("yesterday");
    assert_eq!(field_of(calcom_parse(&created)), "createdAt");
}

#[test]
fn calendly_missing_and_bad_fields_are_named() {
    assert_eq!(field_of(calendly_parse(&json!({"payload": {}}))), "event");

    let mut no_time = sample("calendly-invitee-created.json");
    no_time.as_object_mut().unwrap().remove("created_at");
    assert_eq!(field_of(calendly_parse(&no_time)), "created_at");

    let mut no_uri = sample("calendly-invitee-created.json");
    no_uri["payload"].as_object_mut().unwrap().remove("uri");
    assert_eq!(field_of(calendly_parse(&no_uri)), "payload.uri");

    let mut bad_start = sample("calendly-invitee-created.json");
    bad_start["payload"]["scheduled_event"]["start_time"] = json!("soon");
    assert_eq!(
        field_of(calendly_parse(&bad_start)),
        "payload.scheduled_event.start_time"
    );

    let mut bad_answers = sample("calendly-invitee-created.json");
    bad_answers["payload"]["questions_and_answers"] = json!("none");
    assert_eq!(
        field_of(calendly_parse(&bad_answers)),
        "payload.questions_and_answers"
    );
}

#[test]
fn untracked_triggers_are_ignored_not_rejected() {
    for trigger in [
        "BOOKING_PAID",
        "MEETING_STARTED",
        "RECORDING_READY",
        "FORM_SUBMITTED",
        "AFTER_HOSTS_CAL_VIDEO_NO_SHOW",
        "SOMETHING_NEW",
    ] {
        let parsed = calcom_parse(
            &json!({"triggerEvent": trigger, "createdAt": "2026-03-01T00:00:00Z", "payload": {"anything": [1]}}),
        );
        assert_eq!(
            parsed,
            Ok(Parsed::Ignored {
                trigger: trigger.into()
            })
        );
    }
    for trigger in [
        "routing_form_submission.created",
        "event_type.updated",
        "contact.created",
    ] {
        let parsed = calendly_parse(
            &json!({"event": trigger, "created_at": "2026-03-01T00:00:00Z", "payload": {}}),
        );
        assert_eq!(
            parsed,
            Ok(Parsed::Ignored {
                trigger: trigger.into()
            })
        );
    }
}

#[test]
fn ping_needs_no_booking_fields() {
    assert_eq!(
        calcom_parse(&json!({"triggerEvent": "PING"})),
        Ok(Parsed::Ping)
    );
}

#[test]
fn payload_errors_read_well() {
    let mut no_uid = sample("calcom-booking-created.json");
    no_uid["payload"].as_object_mut().unwrap().remove("uid");
    let message = calcom_parse(&no_uid).unwrap_err().to_string();
    assert_eq!(message, "payload.uid: is required");
}

#[test]
fn a_payload_that_is_not_an_object_names_the_payload() {
    let body = json!({"triggerEvent": "BOOKING_CREATED", "createdAt": "2026-03-01T00:00:00Z", "payload": [1]});
    assert_eq!(field_of(calcom_parse(&body)), "payload");
    let body =
        json!({"event": "invitee.created", "created_at": "2026-03-01T00:00:00Z", "payload": "x"});
    assert_eq!(field_of(calendly_parse(&body)), "payload");
}
