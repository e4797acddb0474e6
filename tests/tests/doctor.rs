//! `doctor` and `GET /health` on both stores: a healthy account, webhooks signed with another
//! secret (delivered for real), a stale or failed sync, drifted counters, unmatched bookings, an
//! account with nothing configured, and the route's authentication.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use chrono::Duration;
use http::{HeaderMap, HeaderValue, Method};
use integration_tests::doctor::{BASE, World, expect, now, our_url};
use integration_tests::links::{deliver, sample};
use integration_tests::stores::Harness;
use serde_json::Value;
use shared::doctor::{CheckName, CheckStatus, DoctorOptions, DoctorReport};
use shared::domain::Provider;
use shared::ingest::{all_days, recount};
use shared::store::Store;

fn detail(report: &DoctorReport, name: CheckName) -> String {
    report.check(name).unwrap().detail.clone()
}

async fn a_healthy_account_passes_every_check<S: Store + 'static>(h: Harness<S>) {
    let w = World::healthy(h).await;
    w.deliver_bookings().await;
    w.synced(now() - Duration::minutes(30), true).await;

    let report = w.doctor().await;
    for name in CheckName::ALL {
        expect(&report, name, CheckStatus::Ok);
    }
    assert!(!report.failed());
    assert_eq!(report.account_id, "acme");
    let calcom = detail(&report, CheckName::CalcomWebhook);
    assert!(
        calcom.contains("1001") && calcom.contains(&our_url("calcom")),
        "{calcom}"
    );
    assert!(detail(&report, CheckName::CalendlyWebhook).contains("SUB1"));
    assert!(detail(&report, CheckName::CalcomCredentials).contains("tom-hargreaves"));
    let deliveries = detail(&report, CheckName::Deliveries);
    assert!(
        deliveries.contains("The last Cal.com delivery was accepted at 2026-03-02 09:15 GMT")
            && deliveries.contains("The last Calendly delivery was accepted"),
        "{deliveries}"
    );
    assert!(detail(&report, CheckName::GoogleSheet).contains("readable"));
    assert_eq!(w.google.state().reads, 1, "one cheap read of the sheet");
    assert!(
        detail(&report, CheckName::Counters).contains("recount of 2 appointments"),
        "{report:#?}"
    );
}

async fn webhooks_signed_with_another_secret_fail_with_the_fix<S: Store + 'static>(h: Harness<S>) {
    let w = World::healthy(h).await;
    w.deliver_bookings().await;
    w.synced(now() - Duration::minutes(30), true).await;
    w.deliver_badly_signed(3).await;

    let options = DoctorOptions {
        base_url: Some(BASE.into()),
        ..DoctorOptions::default()
    };
    let report = w.doctor_with(&options).await;
    let (detail, fix) = expect(&report, CheckName::Deliveries, CheckStatus::Fail);
    assert!(
        detail.contains("rejected in the last 24 h: 3 invalid_signature"),
        "{detail}"
    );
    assert_eq!(
        fix,
        "the Cal.com webhook signs with another secret than the account's: run \
         `booking-tracker webhook calcom-subscribe acme --url https://bt.example.com --replace`"
    );
    assert!(report.failed());
    // The registration itself is fine: only the secret differs.
    expect(&report, CheckName::CalcomWebhook, CheckStatus::Ok);
}

async fn other_rejections_warn_with_counts_by_code<S: Store + 'static>(h: Harness<S>) {
    let w = World::bare(h).await;
    w.deliver_bookings().await;
    let mut body = sample("calcom-booking-created.json");
    body["createdAt"] = "2026-03-04T16:00:00.000Z".into();
    body["payload"]["startTime"] = "not a time".into();
    let (status, answer) =
        deliver(&w.h.store, Provider::Calcom, &w.account, &w.secrets, &body).await;
    assert_eq!(status, 400, "{answer}");

    let report = w.doctor().await;
    let (detail, fix) = expect(&report, CheckName::Deliveries, CheckStatus::Warn);
    assert!(detail.contains("1 invalid_payload"), "{detail}");
    assert_eq!(
        fix,
        "see why each delivery was rejected with `booking-tracker deliveries acme`"
    );
}

async fn a_sync_never_run_stale_or_failed_fails<S: Store + 'static>(h: Harness<S>) {
    let w = World::healthy(h).await;
    let last_sync = |report: &DoctorReport, status| expect(report, CheckName::LastSync, status);
    let (detail, _) = last_sync(&w.doctor().await, CheckStatus::Fail);
    assert_eq!(detail, "the sync has never run for this account");

    w.synced(now() - Duration::hours(3), true).await;
    let (detail, fix) = last_sync(&w.doctor().await, CheckStatus::Fail);
    assert!(detail.contains("3 h ago"), "{detail}");
    assert!(fix.starts_with("run `booking-tracker sync acme`"), "{fix}");

    w.synced(now() - Duration::minutes(10), false).await;
    let (detail, _) = last_sync(&w.doctor().await, CheckStatus::Fail);
    assert!(detail.contains("failed with 1 error"), "{detail}");

    w.synced(now() - Duration::minutes(90), true).await;
    last_sync(&w.doctor().await, CheckStatus::Ok);
}

async fn drifted_counters_fail_until_a_recount<S: Store + 'static>(h: Harness<S>) {
    let w = World::healthy(h).await;
    w.deliver_bookings().await;
    let id = &w.account.id;
    let (from, to) = all_days();
    let mut days = w.h.store.day_counts(id, from, to).await.unwrap();
    days[0].1.booked += 5;
    w.h.store.replace_counters(id, &days).await.unwrap();

    let report = w.doctor().await;
    let (detail, fix) = expect(&report, CheckName::Counters, CheckStatus::Fail);
    assert!(detail.contains("booked: stored 6, recounted 1"), "{detail}");
    assert_eq!(
        fix,
        "run `booking-tracker recount acme` to rebuild them from the appointments"
    );
    assert_eq!(
        w.h.store.day_counts(id, from, to).await.unwrap(),
        days,
        "the doctor writes nothing"
    );

    recount(&*w.h.store, &w.account, now()).await.unwrap();
    expect(&w.doctor().await, CheckName::Counters, CheckStatus::Ok);
}

async fn bookings_without_a_lead_warn<S: Store + 'static>(h: Harness<S>) {
    let w = World::bare(h).await;
    let mut account = w.account.clone();
    account.auto_create_leads = false;
    let account = w.h.store.update_account(&account).await.unwrap();
    let w = World { account, ..w };
    w.deliver_bookings().await;

    let report = w.doctor().await;
    let (detail, fix) = expect(&report, CheckName::Unmatched, CheckStatus::Warn);
    assert_eq!(detail, "2 booking(s) of the last 30 days have no lead");
    assert!(fix.contains("--auto-create-leads"), "{fix}");
    expect(&report, CheckName::Counters, CheckStatus::Ok);
}

async fn nothing_configured_is_ok_and_says_so<S: Store + 'static>(h: Harness<S>) {
    let w = World::bare(h).await;
    let report = w.doctor().await;
    for name in CheckName::ALL {
        expect(&report, name, CheckStatus::Ok);
    }
    for name in [
        CheckName::CalcomCredentials,
        CheckName::CalendlyCredentials,
        CheckName::LastSync,
        CheckName::GoogleSheet,
    ] {
        assert!(
            detail(&report, name).starts_with("not configured"),
            "{report:#?}"
        );
    }
    assert_eq!(
        detail(&report, CheckName::CalcomWebhook),
        "not checked at Cal.com: the account has no Cal.com API key; no Cal.com delivery was \
         accepted in the last 30 days"
    );
    assert!(w.calcom.received_requests().await.unwrap().is_empty());
    assert!(w.calendly.received_requests().await.unwrap().is_empty());

    // What the delivery log knows stands in for the provider.
    w.deliver_bookings().await;
    let report = w.doctor().await;
    assert!(
        detail(&report, CheckName::CalcomWebhook)
            .ends_with("the last Cal.com delivery was accepted at 2026-03-02 09:15 GMT"),
        "{report:#?}"
    );
}

async fn get_health_answers_the_report_to_the_accounts_key<S: Store + 'static>(h: Harness<S>) {
    let w = World::healthy(h).await;
    let ask = |method: Method, key: Option<&str>, account: Option<&str>| {
        let mut headers = HeaderMap::new();
        if let Some(key) = key {
            let value = HeaderValue::from_str(&format!("Bearer {key}")).unwrap();
            headers.insert("authorization", value);
        }
        let query: BTreeMap<String, String> = account
            .map(|a| ("account_id".to_owned(), a.to_owned()))
            .into_iter()
            .collect();
        let service = &w.service;
        async move {
            let response = service.handle_health(&method, &headers, &query).await;
            let body: Value = serde_json::from_str(response.body()).unwrap();
            (response, body)
        }
    };
    let key = w.secrets.api_key.expose().to_owned();
    let code = |body: &Value| {
        body["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };

    let (response, body) = ask(Method::GET, None, None).await;
    assert_eq!(
        (response.status().as_u16(), code(&body).as_str()),
        (401, "missing_api_key")
    );
    let (response, body) = ask(Method::GET, Some("btk_not_the_key"), None).await;
    assert_eq!(
        (response.status().as_u16(), code(&body).as_str()),
        (401, "invalid_api_key")
    );
    let (response, body) = ask(Method::GET, Some(&key), Some("other")).await;
    assert_eq!(
        (response.status().as_u16(), code(&body).as_str()),
        (403, "forbidden")
    );
    let (response, _) = ask(Method::POST, Some(&key), None).await;
    assert_eq!(response.status(), 405);

    let (response, body) = ask(Method::GET, Some(&key), Some("acme")).await;
    assert_eq!(response.status(), 200, "{body}");
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(body["accountId"], "acme");
    let checks = body["checks"].as_array().unwrap();
    assert_eq!(checks.len(), CheckName::ALL.len());
    assert_eq!(checks[0]["check"], "calcom_webhook");
    assert_eq!(checks[0]["status"], "ok");
    assert_eq!(checks[0]["fix"], Value::Null);
    // Never synced: the report says so, and still answers 200.
    assert_eq!(checks[5]["check"], "last_sync");
    assert_eq!(checks[5]["status"], "fail");
    assert!(
        checks[5]["fix"]
            .as_str()
            .unwrap()
            .contains("booking-tracker sync acme")
    );
}

integration_tests::conformance!(
    a_healthy_account_passes_every_check,
    webhooks_signed_with_another_secret_fail_with_the_fix,
    other_rejections_warn_with_counts_by_code,
    a_sync_never_run_stale_or_failed_fails,
    drifted_counters_fail_until_a_recount,
    bookings_without_a_lead_warn,
    nothing_configured_is_ok_and_says_so,
    get_health_answers_the_report_to_the_accounts_key,
);
