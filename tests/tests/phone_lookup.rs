//! Where each provider keeps the attendee's phone, and the order the sources are tried in.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use integration_tests::provider_fixture;
use serde_json::{Value, json};
use shared::domain::{Phone, Region};
use shared::providers::{Parsed, calcom, calendly};

const VALID: &str = "07742 201349";
const E164: &str = "+447742201349";
const OTHER: &str = "+441515416933";

fn phone_of(parsed: Parsed) -> Option<String> {
    match parsed {
        Parsed::Event(e) => e.attendee.phone.map(|p| p.as_str().to_owned()),
        other => panic!("expected an event, got {other:?}"),
    }
}

/// The phone-only sample with every phone source removed, ready for one to be put back.
fn bare_calcom() -> Value {
    let mut body: Value =
        serde_json::from_slice(&provider_fixture("calcom-booking-created-phone-only.json"))
            .unwrap();
    let payload = body["payload"].as_object_mut().unwrap();
    payload["attendees"][0]
        .as_object_mut()
        .unwrap()
        .remove("phoneNumber");
    let responses = payload["responses"].as_object_mut().unwrap();
    responses.remove("attendeePhoneNumber");
    responses["location"]["value"] = json!({"value": "integrations:daily", "optionValue": ""});
    payload["location"] = json!("integrations:daily");
    body
}

fn calcom_phone(body: &Value) -> Option<String> {
    phone_of(calcom::parse(&serde_json::to_vec(body).unwrap(), Region::GB).unwrap())
}

#[test]
fn calcom_without_any_phone_source_has_no_phone() {
    assert_eq!(calcom_phone(&bare_calcom()), None);
}

#[test]
fn calcom_reads_each_documented_source() {
    let mut attendee = bare_calcom();
    attendee["payload"]["attendees"][0]["phoneNumber"] = json!(VALID);
    assert_eq!(calcom_phone(&attendee).as_deref(), Some(E164));

    let mut question = bare_calcom();
    question["payload"]["responses"]["attendeePhoneNumber"] =
        json!({"label": "phone_number", "value": VALID});
    assert_eq!(calcom_phone(&question).as_deref(), Some(E164));

    let mut location = bare_calcom();
    location["payload"]["responses"]["location"]["value"] =
        json!({"value": "phone", "optionValue": VALID});
    assert_eq!(calcom_phone(&location).as_deref(), Some(E164));

    let mut sms = bare_calcom();
    sms["payload"]["smsReminderNumber"] = json!(VALID);
    assert_eq!(calcom_phone(&sms).as_deref(), Some(E164));

    let mut custom = bare_calcom();
    custom["payload"]["responses"]["mobile_phone"] =
        json!({"label": "Your mobile phone", "value": VALID});
    assert_eq!(calcom_phone(&custom).as_deref(), Some(E164));
}

#[test]
fn calcom_tries_sources_in_order_and_skips_invalid_ones() {
    let mut both = bare_calcom();
    both["payload"]["attendees"][0]["phoneNumber"] = json!(VALID);
    both["payload"]["smsReminderNumber"] = json!(OTHER);
    assert_eq!(
        calcom_phone(&both).as_deref(),
        Some(E164),
        "attendee phone first"
    );

    let mut invalid_first = bare_calcom();
    invalid_first["payload"]["attendees"][0]["phoneNumber"] = json!("0774");
    invalid_first["payload"]["responses"]["attendeePhoneNumber"] = json!({"value": OTHER});
    assert_eq!(
        calcom_phone(&invalid_first).as_deref(),
        Some(OTHER),
        "an invalid number falls through"
    );
}

#[test]
fn calcom_never_takes_the_organizers_phone_location() {
    let mut organizer = bare_calcom();
    organizer["payload"]["responses"]["location"]["value"] =
        json!({"value": "userPhone", "optionValue": ""});
    organizer["payload"]["location"] = json!(OTHER);
    assert_eq!(calcom_phone(&organizer), None);
}

#[test]
fn calcom_phone_only_booking_with_a_real_number_keeps_its_phone() {
    let body = String::from_utf8(provider_fixture("calcom-booking-created-phone-only.json"))
        .unwrap()
        .replace("+447700900987", E164)
        .replace("447700900987@sms.cal.com", "447742201349@sms.cal.com");
    let parsed = calcom::parse(body.as_bytes(), Region::GB).unwrap();
    let Parsed::Event(event) = parsed else {
        panic!()
    };
    assert_eq!(
        event.attendee.phone,
        Some(Phone::parse(E164, Region::GB).unwrap())
    );
    assert_eq!(event.attendee.email, None);
}

fn calendly_phone(body: &Value) -> Option<String> {
    phone_of(calendly::parse(&serde_json::to_vec(body).unwrap(), Region::GB).unwrap())
}

fn bare_calendly() -> Value {
    let mut body: Value =
        serde_json::from_slice(&provider_fixture("calendly-invitee-created.json")).unwrap();
    body["payload"]["text_reminder_number"] = Value::Null;
    body["payload"]["questions_and_answers"] = json!([{"question": "What would you like to discuss?", "answer": "+1 202-555-0188", "position": 0}]);
    body
}

#[test]
fn calendly_reads_each_documented_source_in_order() {
    assert_eq!(
        calendly_phone(&bare_calendly()),
        None,
        "a non-phone question is not a phone source"
    );

    let mut reminder = bare_calendly();
    reminder["payload"]["text_reminder_number"] = json!(VALID);
    assert_eq!(calendly_phone(&reminder).as_deref(), Some(E164));

    let mut answer = bare_calendly();
    answer["payload"]["questions_and_answers"] =
        json!([{"question": "Mobile number", "answer": VALID, "position": 1}]);
    assert_eq!(calendly_phone(&answer).as_deref(), Some(E164));

    let mut outbound = bare_calendly();
    outbound["payload"]["scheduled_event"]["location"] =
        json!({"type": "outbound_call", "location": VALID});
    assert_eq!(calendly_phone(&outbound).as_deref(), Some(E164));

    let mut order = bare_calendly();
    order["payload"]["text_reminder_number"] = json!(OTHER);
    order["payload"]["questions_and_answers"] =
        json!([{"question": "Phone", "answer": VALID, "position": 1}]);
    assert_eq!(
        calendly_phone(&order).as_deref(),
        Some(OTHER),
        "the SMS reminder number first"
    );
}
