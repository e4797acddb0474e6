//! Webhook requests as Lambda receives them: the API Gateway HTTP API (payload 2.0) events of
//! `events/` (`calcom-created.json`, `calendly-created.json`, for the account `demo`), each
//! carrying a booking of its own, signed with the demo secrets at the time it is made.

// Bench set-up: a sample that does not have the documented shape is a broken checkout.
#![allow(clippy::expect_used)]

use chrono::Utc;
use integration_tests::events::{DEMO_CALCOM_SECRET, DEMO_CALENDLY_KEY, webhook_events};
use integration_tests::provider_fixture;
use serde_json::{Value, json};
use shared::domain::Secret;
use shared::providers::{calcom, calendly};

/// Who books: the `n`th attendee has a phone and an email no other attendee has.
pub fn attendee(n: usize) -> (String, String) {
    // 07400 000000 onwards: valid UK mobile numbers.
    (format!("+4474{n:08}"), format!("bench{n}@example.com"))
}

fn sample(file: &str) -> Value {
    webhook_events()
        .into_iter()
        .find(|e| e.file == file)
        .map(|e| e.json)
        .expect("a sample event in events/")
}

/// The event `template` with `body` and its signature header in place of the sample's.
fn with_body(mut event: Value, body: &[u8], signature: (&str, String)) -> String {
    event["body"] = json!(String::from_utf8_lossy(body));
    event["headers"]["content-length"] = json!(body.len().to_string());
    event["headers"][signature.0] = json!(signature.1);
    event.to_string()
}

fn calcom_sample(trigger: &str) -> Value {
    serde_json::from_slice(&provider_fixture(&format!("calcom-booking-{trigger}.json")))
        .expect("a Cal.com sample")
}

/// A Cal.com trigger about booking `uid` by attendee `n`, from the provider sample for
/// `trigger` (`created`, `rescheduled`, `cancelled`); a reschedule moves `from`. A cancellation
/// is of a booking made from the `created` sample: it carries that booking's times (and is sent
/// after it, as the samples' `createdAt` are).
pub fn calcom(trigger: &str, uid: &str, from: Option<&str>, n: usize) -> String {
    let mut body = calcom_sample(trigger);
    let (phone, email) = attendee(n);
    let payload = &mut body["payload"];
    if trigger == "cancelled" {
        let created = calcom_sample("created");
        for time in ["startTime", "endTime"] {
            payload[time] = created["payload"][time].clone();
        }
    }
    payload["uid"] = json!(uid);
    payload["rescheduleUid"] = json!(from);
    payload["attendees"] = json!([{
        "email": email, "name": format!("Bench {n}"), "timeZone": "Europe/London",
        "phoneNumber": phone, "language": {"locale": "en"}, "utcOffset": 0
    }]);
    payload["responses"]["email"] = json!({"label": "email_address", "value": email});
    payload["responses"]["attendeePhoneNumber"] = json!({"label": "phone_number", "value": phone});
    let body = serde_json::to_vec(&body).expect("JSON");
    let signature = calcom::sign(&Secret::new(DEMO_CALCOM_SECRET), &body);
    with_body(
        sample("calcom-created.json"),
        &body,
        (calcom::SIGNATURE_HEADER, signature),
    )
}

/// A Calendly `invitee.created` for invitee `id` by attendee `n`, signed now.
pub fn calendly_created(id: &str, n: usize) -> String {
    let mut body: Value =
        serde_json::from_slice(&provider_fixture("calendly-invitee-created.json"))
            .expect("a Calendly sample");
    let (phone, email) = attendee(n);
    let payload = &mut body["payload"];
    let event = payload["event"].as_str().expect("an event URI").to_owned();
    payload["uri"] = json!(format!("{event}/invitees/{id}"));
    payload["email"] = json!(email);
    payload["text_reminder_number"] = json!(phone);
    let body = serde_json::to_vec(&body).expect("JSON");
    let signature = calendly::sign(
        &Secret::new(DEMO_CALENDLY_KEY),
        Utc::now().timestamp(),
        &body,
    );
    with_body(
        sample("calendly-created.json"),
        &body,
        (calendly::SIGNATURE_HEADER, signature),
    )
}
