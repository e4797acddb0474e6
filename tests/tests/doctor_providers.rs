//! `doctor`'s provider checks against local fakes of Cal.com, Calendly and Google built from
//! their documented formats: a disabled or retrying Calendly subscription, a Cal.com webhook
//! missing a trigger, a refused key, a webhook on the compatibility route, duplicates, a sheet
//! not shared, and a provider that hangs.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use integration_tests::doctor::{
    BASE, HANG, World, calcom_webhook, calendly_subscription, expect, our_url,
};
use integration_tests::google::CLIENT_EMAIL;
use integration_tests::stores::Harness;
use serde_json::json;
use shared::doctor::{CheckName, CheckStatus, DoctorOptions};
use shared::providers::calcom::webhooks_api::WEBHOOK_TRIGGERS;
use shared::store::sqlite::SqliteStore;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, ResponseTemplate};

async fn world() -> World<SqliteStore> {
    World::healthy(Harness::sqlite().await).await
}

#[tokio::test]
async fn a_disabled_calendly_subscription_fails() {
    let w = world().await;
    let url = our_url("calendly");
    w.calendly_lists(&[calendly_subscription("SUB1", &url, "disabled", None)])
        .await;

    let report = w.doctor().await;
    let (detail, fix) = expect(&report, CheckName::CalendlyWebhook, CheckStatus::Fail);
    assert!(
        detail.contains("SUB1") && detail.contains("is disabled"),
        "{detail}"
    );
    assert_eq!(
        fix,
        format!("run `booking-tracker webhook calendly-subscribe acme --url {BASE}` to repair it"),
        "the base comes from the subscription's URL"
    );
    expect(&report, CheckName::CalcomWebhook, CheckStatus::Ok);
}

#[tokio::test]
async fn a_calendly_subscription_retrying_deliveries_warns() {
    let w = world().await;
    let url = our_url("calendly");
    let retrying = Some("2026-03-04T10:30:00.000000Z");
    w.calendly_lists(&[calendly_subscription("SUB1", &url, "active", retrying)])
        .await;

    let report = w.doctor().await;
    let (detail, fix) = expect(&report, CheckName::CalendlyWebhook, CheckStatus::Warn);
    assert!(detail.contains("since 2026-03-04 10:30 GMT"), "{detail}");
    assert!(fix.contains(&url) && fix.contains("`booking-tracker deliveries acme`"));
}

#[tokio::test]
async fn a_calcom_webhook_missing_a_trigger_and_a_refused_key_fail() {
    let w = world().await;
    let triggers: Vec<&str> = WEBHOOK_TRIGGERS
        .into_iter()
        .filter(|t| *t != "MEETING_ENDED")
        .collect();
    w.calcom_lists(&[calcom_webhook(7, &our_url("calcom"), true, &triggers)])
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/me"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "status": "error",
            "error": {"code": "UnauthorizedException", "message": "Invalid API Key"}
        })))
        .with_priority(1)
        .mount(&w.calcom)
        .await;

    let report = w.doctor().await;
    let (detail, fix) = expect(&report, CheckName::CalcomWebhook, CheckStatus::Fail);
    assert!(
        detail.contains("webhook 7") && detail.ends_with("does not deliver MEETING_ENDED"),
        "{detail}"
    );
    assert!(fix.contains(&format!("webhook calcom-subscribe acme --url {BASE}`")));
    let (detail, fix) = expect(&report, CheckName::CalcomCredentials, CheckStatus::Fail);
    assert!(detail.contains("Invalid API Key"), "{detail}");
    assert!(fix.contains("`booking-tracker accounts update acme --calcom-api-key <key>`"));
}

#[tokio::test]
async fn a_webhook_on_the_compatibility_route_is_not_ours_and_duplicates_warn() {
    let w = world().await;
    let compat = format!("{BASE}/api/webhooks/calendar/calcom");
    w.calcom_lists(&[calcom_webhook(9, &compat, true, &WEBHOOK_TRIGGERS)])
        .await;
    let url = our_url("calendly");
    w.calendly_lists(&[
        calendly_subscription("SUB1", &url, "active", None),
        calendly_subscription("SUB2", &url, "active", None),
    ])
    .await;

    let report = w.doctor().await;
    let (detail, fix) = expect(&report, CheckName::CalcomWebhook, CheckStatus::Fail);
    assert!(
        detail.starts_with("no Cal.com webhook posts to …/webhooks/calcom/acme (1 registered)")
            && detail.contains("compatibility route"),
        "{detail}"
    );
    assert_eq!(
        fix,
        "run `booking-tracker webhook calcom-subscribe acme --url <base>` to register it"
    );
    let (detail, fix) = expect(&report, CheckName::CalendlyWebhook, CheckStatus::Warn);
    assert!(detail.contains("every booking arrives 2 times"), "{detail}");
    assert!(
        fix.ends_with(&format!("--url {BASE} --replace` to keep one")),
        "{fix}"
    );

    // With --url, a webhook to another deployment is not ours either.
    let options = DoctorOptions {
        base_url: Some("https://other.example.com".into()),
        ..DoctorOptions::default()
    };
    let report = w.doctor_with(&options).await;
    let (detail, _) = expect(&report, CheckName::CalendlyWebhook, CheckStatus::Fail);
    assert!(detail.contains("SUB1 posts to"), "{detail}");
}

#[tokio::test]
async fn a_sheet_not_shared_with_the_service_account_fails() {
    let w = world().await;
    Mock::given(path_regex("/values/"))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({"error": {
            "code": 403,
            "message": "The caller does not have permission",
            "status": "PERMISSION_DENIED"
        }})))
        .with_priority(1)
        .mount(&w.google.server)
        .await;

    let report = w.doctor().await;
    let (detail, fix) = expect(&report, CheckName::GoogleSheet, CheckStatus::Fail);
    assert!(detail.contains("does not have permission"), "{detail}");
    assert!(fix.starts_with(&format!("share the sheet with {CLIENT_EMAIL} as an editor")));
}

#[tokio::test]
async fn a_provider_that_hangs_is_a_warning_and_the_report_still_arrives() {
    let w = world().await;
    for route in ["/v2/webhooks", "/v2/me"] {
        Mock::given(method("GET"))
            .and(path(route))
            .respond_with(ResponseTemplate::new(200).set_delay(HANG))
            .with_priority(1)
            .mount(&w.calcom)
            .await;
    }
    let options = DoctorOptions {
        check_timeout: Duration::from_secs(1),
        ..DoctorOptions::default()
    };

    let started = Instant::now();
    let report = w.doctor_with(&options).await;
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "answered in {:?} while Cal.com holds its answers {HANG:?}",
        started.elapsed()
    );
    for name in [CheckName::CalcomWebhook, CheckName::CalcomCredentials] {
        let (detail, fix) = expect(&report, name, CheckStatus::Warn);
        assert_eq!(detail, "Cal.com did not answer within 1 s");
        assert_eq!(fix, "retry; if it persists check https://status.cal.com");
    }
    expect(&report, CheckName::CalendlyWebhook, CheckStatus::Ok);
    expect(&report, CheckName::CalendlyCredentials, CheckStatus::Ok);
}
