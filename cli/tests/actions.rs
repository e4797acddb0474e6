//! `booking-tracker appointments cancel|no-show` through the binary, and
//! `POST /appointments/{id}/cancel` on `serve`, against a stateful fake of Cal.com's booking
//! actions: a dry run calls nothing; a cancel reaches Cal.com once and shows here; an action
//! that does not apply exits 1 with its code.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{TimeZone, Utc};
use integration_tests::acting::{Calcom, Fake};
use integration_tests::fakes::CalcomBooking;
use integration_tests::{compact, provider_fixture};
use serde_json::Value;
use shared::domain::{AppointmentId, BookingKey, Provider, Secret};

mod common;

use common::{Server, post_calcom, run, succeed};

const UID: &str = "k3Pq8vXw2LmN9aRt5YbZc1";

#[tokio::test(flavor = "multi_thread")]
async fn cancel_and_no_show_from_the_command_line_and_serve() {
    let day = |d: u32, h: u32| Utc.with_ymd_and_hms(2026, 3, d, h, 0, 0).unwrap();
    let mut booking = CalcomBooking::new(UID, "accepted", day(10, 14), day(2, 9));
    booking.email = "priya.nair@example.com".into();
    let calcom_fake = Fake::start(Calcom::new(day(5, 12), vec![booking])).await;
    let calcom_url = calcom_fake.server.uri();
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite:{}", dir.path().join("bt.db").display());
    let env = [("CALCOM_API_URL", calcom_url.as_str())];
    let created = succeed(&store, &env, &["accounts", "create", "acme"]);
    let api_key = created["apiKey"].as_str().unwrap().to_owned();
    let secret = Secret::new(created["calcomWebhookSecret"].as_str().unwrap());
    succeed(
        &store,
        &env,
        &[
            "accounts",
            "update",
            "acme",
            "--calcom-api-key",
            "cal_live_cli",
        ],
    );

    // Cal.com's sample booking arrives through serve.
    let server = Server::start_with(&store, &env);
    let client = reqwest::Client::new();
    let body = compact(&provider_fixture("calcom-booking-created.json"));
    let answer = post_calcom(&server, "acme", &secret, body).await;
    assert_eq!(answer.status(), 200);
    let id = AppointmentId::for_booking(Provider::Calcom, &BookingKey::parse(UID).unwrap());
    let id = id.to_string();

    // A dry run through the API and the CLI: nothing reaches Cal.com.
    let url = format!("{}/appointments/{id}/cancel", server.url);
    let dry: Value = client
        .post(&url)
        .bearer_auth(&api_key)
        .body(r#"{"dryRun": true}"#)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(dry["result"], "dry_run", "{dry}");
    let (code, text, _) = run(
        &store,
        &env,
        false,
        &["appointments", "cancel", "acme", &id, "--dry-run"],
    );
    let text = text.as_str().unwrap();
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains(&format!(
            "would send POST /v2/bookings/{UID}/cancel to Cal.com"
        )),
        "{text}"
    );
    assert!(calcom_fake.requests().is_empty());

    // The real thing, once.
    let args = [
        "appointments",
        "cancel",
        "acme",
        &id,
        "--reason",
        "The lead moved",
    ];
    let report = succeed(&store, &env, &args);
    assert_eq!(
        (report["result"].as_str(), report["status"].as_str()),
        (Some("done"), Some("cancelled"))
    );
    assert_eq!(
        calcom_fake.state().booking(UID).unwrap().status,
        "cancelled"
    );
    assert_eq!(
        calcom_fake.calls("POST", "/cancel")[0].body["cancellationReason"],
        "The lead moved"
    );
    let again: Value = client
        .post(&url)
        .bearer_auth(&api_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["result"], "already_done", "{again}");
    assert_eq!(calcom_fake.calls("POST", "/cancel").len(), 1);

    // A no-show on a cancelled booking does not apply: exit 1, with its code.
    let (code, printed, _) = run(
        &store,
        &env,
        true,
        &["appointments", "no-show", "acme", &id],
    );
    assert_eq!(
        (code, printed["error"]["code"].as_str()),
        (1, Some("not_actionable")),
        "{printed}"
    );
    let (code, printed, _) = run(
        &store,
        &env,
        true,
        &["appointments", "cancel", "acme", "apt_nope"],
    );
    assert_eq!(
        (code, printed["error"]["code"].as_str()),
        (1, Some("unknown_appointment")),
        "{printed}"
    );
    assert_eq!(server.stop(), 0);
}
