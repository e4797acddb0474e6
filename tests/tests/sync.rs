//! The reconciliation against local fakes of the Cal.com and Calendly APIs (wiremock), built from
//! their documented formats.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use integration_tests::fakes::{
    CALENDLY_ORG, CalcomBooking, CalendlyInvitee, calcom_page, calendly_event, calendly_me,
    calendly_page, sync_service,
};
use integration_tests::stores::Harness;
use shared::accounts::{Account, NewAccount};
use shared::booking::Outcome;
use shared::domain::{
    AccountId, AppointmentId, AppointmentStatus, Attendee, BookingEvent, BookingKey, Email,
    EventKind, Provider, Secret,
};
use shared::ingest::{all_days, apply_event, recount};
use shared::store::prelude::*;
use shared::store::sqlite::SqliteStore;
use shared::sync::SyncService;
use tokio::time::Instant;
use wiremock::matchers::{header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

const CALCOM_KEY: &str = "cal_live_test_key";
const CALENDLY_TOKEN: &str = "calendly_test_token";

fn at(month: u32, day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, month, day, hour, 0, 0).unwrap()
}

fn now() -> DateTime<Utc> {
    at(3, 20, 12)
}

struct World {
    h: Harness<SqliteStore>,
    calcom: MockServer,
    calendly: MockServer,
    service: SyncService<SqliteStore>,
}

async fn world() -> World {
    let h = Harness::sqlite().await;
    let calcom = MockServer::start().await;
    let calendly = MockServer::start().await;
    let service = sync_service(
        Arc::clone(&h.store),
        now(),
        [&calcom.uri(), &calendly.uri(), "http://127.0.0.1:9"],
    );
    World {
        h,
        calcom,
        calendly,
        service,
    }
}

async fn account(w: &World, id: &str, calcom_key: Option<&str>, calendly: bool) -> Account {
    let (mut account, _) =
        Account::create(NewAccount::new(AccountId::parse(id).unwrap()), at(1, 1, 0));
    account.calcom.api_key = calcom_key.map(|k| Secret::new(k).into());
    account.calendly.token = calendly.then(|| Secret::new(CALENDLY_TOKEN).into());
    w.h.store.create_account(&account).await.unwrap()
}

fn deadline() -> Instant {
    Instant::now() + Duration::from_secs(60)
}

/// Serves `list` for `status`, `per_page` at a time, the way Cal.com pages with `skip`.
async fn calcom_list(server: &MockServer, status: &str, list: &[CalcomBooking], per_page: usize) {
    let chunks: Vec<&[CalcomBooking]> = if list.is_empty() {
        vec![&[]]
    } else {
        list.chunks(per_page).collect()
    };
    for (i, chunk) in chunks.iter().enumerate() {
        Mock::given(method("GET"))
            .and(path("/v2/bookings"))
            .and(query_param("status", status))
            .and(query_param("skip", (i * per_page).to_string()))
            .and(header("cal-api-version", "2024-08-13"))
            .and(header(
                "authorization",
                format!("Bearer {CALCOM_KEY}").as_str(),
            ))
            .respond_with(ResponseTemplate::new(200).set_body_json(calcom_page(
                chunk,
                i + 1,
                per_page,
                list.len(),
            )))
            .mount(server)
            .await;
    }
}

/// The next `times` reads of Cal.com's upcoming bookings get `response` instead.
async fn fail_upcoming(server: &MockServer, response: ResponseTemplate, times: u64) {
    Mock::given(method("GET"))
        .and(path("/v2/bookings"))
        .and(query_param("status", "upcoming"))
        .respond_with(response)
        .up_to_n_times(times)
        .with_priority(1)
        .mount(server)
        .await;
}

async fn calcom_lists(
    server: &MockServer,
    upcoming: &[CalcomBooking],
    cancelled: &[CalcomBooking],
    past: &[CalcomBooking],
) {
    calcom_list(server, "upcoming", upcoming, 2).await;
    calcom_list(server, "cancelled", cancelled, 2).await;
    calcom_list(server, "past", past, 2).await;
}

async fn status_of(
    w: &World,
    account: &Account,
    provider: Provider,
    key: &str,
) -> AppointmentStatus {
    let id = AppointmentId::for_booking(provider, &BookingKey::parse(key).unwrap());
    w.h.store
        .get_appointment(&account.id, &id)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no {key}"))
        .status()
}

#[tokio::test]
async fn three_pages_are_read_and_a_second_run_applies_nothing() {
    let w = world().await;
    let acme = account(&w, "acme", Some(CALCOM_KEY), false).await;
    let upcoming: Vec<CalcomBooking> = (0..5)
        .map(|i| {
            CalcomBooking::new(
                &format!("UP{i}"),
                "accepted",
                at(3, 25, 9 + i),
                at(3, 10, 9),
            )
        })
        .collect();
    calcom_lists(&w.calcom, &upcoming, &[], &[]).await;

    let report = w.service.sync_account(&acme, deadline()).await.unwrap();
    assert!(report.success, "{report:?}");
    assert_eq!(
        (
            report.bookings_found,
            report.updates_applied,
            report.matches_found,
            report.leads_created
        ),
        (5, 5, 0, 5),
        "no lead existed before the run: each booking made its lead"
    );
    assert_eq!(report.message, "sync completed");
    let update = &report.updates[0];
    assert_eq!(update.change, "created");
    assert_eq!(
        update.booking_time.as_deref(),
        Some("09:00 25/03/2026"),
        "HH:MM DD/MM/YYYY, account zone"
    );
    assert_eq!(update.name.as_deref(), Some("Guest UP0"));
    let bookings_requests = w
        .calcom
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.query().unwrap_or("").contains("upcoming"))
        .count();
    assert_eq!(bookings_requests, 3, "three pages of upcoming bookings");

    let dump = w.h.dump().await;
    let again = w.service.sync_account(&acme, deadline()).await.unwrap();
    assert_eq!((again.bookings_found, again.updates_applied), (5, 0));
    assert!(again.updates.is_empty());
    let changed: Vec<String> =
        w.h.dump()
            .await
            .lines()
            .filter(|l| !dump.contains(*l))
            .map(str::to_owned)
            .collect();
    assert!(
        changed.iter().all(|l| l.starts_with("sync_state")),
        "only the run's record changes: {changed:#?}"
    );

    let state = w.h.store.sync_state(&acme.id).await.unwrap();
    let last = state.last_run.unwrap();
    assert!(last.ok);
    assert_eq!(last.at, now());
    assert_eq!(state.watermarks.get(&Provider::Calcom), Some(&now()));
}

#[tokio::test]
async fn a_booking_and_a_cancellation_the_webhooks_missed_are_applied() {
    let w = world().await;
    let acme = account(&w, "acme", Some(CALCOM_KEY), false).await;
    // The webhook for "KEEP" arrived; its cancellation's did not, nor anything about "NEW".
    let webhook = BookingEvent {
        provider: Provider::Calcom,
        kind: EventKind::Booked,
        key: BookingKey::parse("KEEP").unwrap(),
        predecessor: None,
        successor: None,
        start: Some(at(3, 24, 10)),
        end: Some(at(3, 24, 10) + chrono::Duration::minutes(30)),
        attendee: Attendee {
            name: Some("Keep".into()),
            email: Email::parse_optional("keep@example.com"),
            phone: None,
        },
        event_type: Some("discovery-call".into()),
        occurred_at: at(3, 10, 9),
        booked_at: Some(at(3, 10, 9)),
        trigger: "BOOKING_CREATED".into(),
        tracking: Default::default(),
    };
    apply_event(&*w.h.store, &acme, &webhook, None, at(3, 10, 9))
        .await
        .unwrap();
    let mut cancelled = CalcomBooking::new("KEEP", "cancelled", at(3, 24, 10), at(3, 10, 9));
    cancelled.email = "keep@example.com".into();
    cancelled.name = "Keep".into();
    cancelled.updated = Some(at(3, 19, 8));
    let new = CalcomBooking::new("NEW", "accepted", at(3, 26, 10), at(3, 18, 9));
    calcom_lists(&w.calcom, &[new], &[cancelled], &[]).await;

    let report = w.service.sync_account(&acme, deadline()).await.unwrap();
    assert!(report.success, "{report:?}");
    let changes: Vec<(&str, &str)> = report
        .updates
        .iter()
        .map(|u| (u.name.as_deref().unwrap(), u.change.as_str()))
        .collect();
    assert_eq!(changes, [("Guest NEW", "created"), ("Keep", "updated")]);
    assert_eq!(
        status_of(&w, &acme, Provider::Calcom, "KEEP").await,
        AppointmentStatus::Cancelled
    );
    assert_eq!(
        status_of(&w, &acme, Provider::Calcom, "NEW").await,
        AppointmentStatus::Booked
    );
    assert_eq!(recount(&*w.h.store, &acme, now()).await.unwrap().drift, []);
}

#[tokio::test]
async fn a_reschedule_seen_only_through_the_api_counts_once() {
    let w = world().await;
    let acme = account(&w, "acme", Some(CALCOM_KEY), false).await;
    let mut new = CalcomBooking::new("NEWER", "accepted", at(3, 27, 10), at(3, 15, 9));
    new.rescheduled_from = Some("OLDER".into());
    new.email = "same@example.com".into();
    let mut old = CalcomBooking::new("OLDER", "cancelled", at(3, 24, 10), at(3, 8, 9));
    old.rescheduled_to = Some("NEWER".into());
    old.email = "same@example.com".into();
    old.updated = Some(at(3, 15, 9));
    calcom_lists(&w.calcom, &[new], &[old], &[]).await;

    let report = w.service.sync_account(&acme, deadline()).await.unwrap();
    assert!(report.success, "{report:?}");
    assert_eq!(
        status_of(&w, &acme, Provider::Calcom, "OLDER").await,
        AppointmentStatus::Superseded
    );
    assert_eq!(
        status_of(&w, &acme, Provider::Calcom, "NEWER").await,
        AppointmentStatus::Rescheduled
    );
    let (from, to) = all_days();
    let days = w.h.store.day_counts(&acme.id, from, to).await.unwrap();
    let booked: i64 = days.iter().map(|(_, c)| c.booked).sum();
    let cancelled: i64 = days.iter().map(|(_, c)| c.cancelled).sum();
    assert_eq!((booked, cancelled), (1, 0), "one booking, no cancellation");
    assert_eq!(
        days[0].0,
        chrono::NaiveDate::from_ymd_opt(2026, 3, 8).unwrap(),
        "counted when first booked"
    );
}

#[tokio::test]
async fn a_no_show_seen_only_through_absent_and_ended_calls_complete() {
    let w = world().await;
    let acme = account(&w, "acme", Some(CALCOM_KEY), false).await;
    let mut missed = CalcomBooking::new("MISSED", "accepted", at(3, 18, 10), at(3, 10, 9));
    missed.absent = true;
    missed.updated = Some(at(3, 18, 11));
    let held = CalcomBooking::new("HELD", "accepted", at(3, 19, 10), at(3, 11, 9));
    calcom_lists(&w.calcom, &[], &[], &[missed, held]).await;

    let report = w.service.sync_account(&acme, deadline()).await.unwrap();
    assert!(report.success, "{report:?}");
    assert_eq!(
        status_of(&w, &acme, Provider::Calcom, "MISSED").await,
        AppointmentStatus::NoShow
    );
    assert_eq!(
        status_of(&w, &acme, Provider::Calcom, "HELD").await,
        AppointmentStatus::Completed,
        "its end passed: completed, as MEETING_ENDED would say"
    );
}

#[tokio::test]
async fn rate_limits_are_waited_out() {
    let w = world().await;
    let acme = account(&w, "acme", Some(CALCOM_KEY), false).await;
    fail_upcoming(
        &w.calcom,
        ResponseTemplate::new(429).insert_header("x-ratelimit-reset-default", "1"),
        1,
    )
    .await;
    calcom_lists(
        &w.calcom,
        &[CalcomBooking::new(
            "LATE",
            "accepted",
            at(3, 25, 9),
            at(3, 19, 9),
        )],
        &[],
        &[],
    )
    .await;
    let started = std::time::Instant::now();
    let report = w.service.sync_account(&acme, deadline()).await.unwrap();
    assert!(report.success, "{report:?}");
    assert_eq!(report.updates_applied, 1);
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "waited for the reset"
    );

    // A reset longer than the policy allows is reported, not waited for.
    let slow = world().await;
    let beta = account(&slow, "beta", Some(CALCOM_KEY), false).await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("x-ratelimit-reset-default", "60"))
        .mount(&slow.calcom)
        .await;
    let report = slow.service.sync_account(&beta, deadline()).await.unwrap();
    assert_eq!(report.errors[0].code, "rate_limited");
    assert!(!report.success);
}

#[tokio::test]
async fn server_errors_are_retried_with_backoff() {
    let w = world().await;
    let acme = account(&w, "acme", Some(CALCOM_KEY), false).await;
    fail_upcoming(&w.calcom, ResponseTemplate::new(500), 2).await;
    calcom_lists(
        &w.calcom,
        &[CalcomBooking::new(
            "OK",
            "accepted",
            at(3, 25, 9),
            at(3, 19, 9),
        )],
        &[],
        &[],
    )
    .await;
    let report = w.service.sync_account(&acme, deadline()).await.unwrap();
    assert!(report.success, "{report:?}");
    assert_eq!(report.updates_applied, 1);

    let down = world().await;
    let beta = account(&down, "beta", Some(CALCOM_KEY), false).await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&down.calcom)
        .await;
    let report = down.service.sync_account(&beta, deadline()).await.unwrap();
    assert_eq!(report.errors[0].code, "provider_error");
    // Listings are read side by side; each request is tried at most three times, and the run
    // stops at the first listing that gives up.
    let mut attempts: HashMap<String, usize> = HashMap::new();
    for request in down.calcom.received_requests().await.unwrap() {
        *attempts.entry(request.url.to_string()).or_default() += 1;
    }
    assert!(
        attempts.values().all(|n| *n <= 3),
        "bounded attempts: {attempts:?}"
    );
    assert!(attempts.values().any(|n| *n == 3), "{attempts:?}");
}

#[tokio::test]
async fn a_provider_that_does_not_answer_times_out() {
    let w = world().await;
    let acme = account(&w, "acme", Some(CALCOM_KEY), false).await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .mount(&w.calcom)
        .await;
    let started = std::time::Instant::now();
    let report = w.service.sync_account(&acme, deadline()).await.unwrap();
    assert_eq!(report.errors[0].code, "timeout", "{report:?}");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "every request has a timeout"
    );
}

#[tokio::test]
async fn a_malformed_page_fails_that_provider_and_applies_nothing_from_it() {
    let w = world().await;
    let acme = account(&w, "acme", Some(CALCOM_KEY), false).await;
    calcom_list(
        &w.calcom,
        "upcoming",
        &[CalcomBooking::new(
            "A",
            "accepted",
            at(3, 25, 9),
            at(3, 19, 9),
        )],
        2,
    )
    .await;
    Mock::given(method("GET"))
        .and(query_param("status", "cancelled"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string("{\"status\":\"success\",\"data\":[{\"uid\":7}]}"),
        )
        .mount(&w.calcom)
        .await;
    let report = w.service.sync_account(&acme, deadline()).await.unwrap();
    assert_eq!(report.errors[0].code, "malformed_response", "{report:?}");
    assert!(
        report.errors[0].message.contains("data[0].uid"),
        "names the field: {}",
        report.errors[0].message
    );
    assert_eq!(report.updates_applied, 0);
    assert!(
        w.h.store
            .list_appointments(&acme.id, None, 10)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert_eq!(
        w.h.store
            .sync_state(&acme.id)
            .await
            .unwrap()
            .watermarks
            .get(&Provider::Calcom),
        None,
        "the next run retries the window"
    );
}

#[tokio::test]
async fn one_accounts_failure_never_stops_the_others() {
    let w = world().await;
    account(&w, "broken", Some("cal_live_revoked"), false).await;
    let good = account(&w, "good", Some(CALCOM_KEY), false).await;
    account(&w, "idle", None, false).await;
    Mock::given(method("GET"))
        .and(header("authorization", "Bearer cal_live_revoked"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&w.calcom)
        .await;
    calcom_lists(
        &w.calcom,
        &[CalcomBooking::new(
            "G",
            "accepted",
            at(3, 25, 9),
            at(3, 19, 9),
        )],
        &[],
        &[],
    )
    .await;
    let reports = w.service.sync_all(deadline()).await.unwrap();
    let summary: Vec<(&str, bool)> = reports
        .iter()
        .map(|r| (r.account_id.as_str(), r.success))
        .collect();
    assert_eq!(
        summary,
        [("broken", false), ("good", true)],
        "accounts without credentials are not synced"
    );
    assert_eq!(reports[0].errors[0].code, "unauthorized");
    assert_eq!(
        status_of(&w, &good, Provider::Calcom, "G").await,
        AppointmentStatus::Booked
    );
}

#[tokio::test]
async fn the_run_stops_before_its_deadline() {
    let w = world().await;
    let acme = account(&w, "acme", Some(CALCOM_KEY), false).await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_delay(Duration::from_millis(300))
                .set_body_json(calcom_page(&[], 1, 2, 0)),
        )
        .mount(&w.calcom)
        .await;
    let report = w
        .service
        .sync_account(&acme, Instant::now() + Duration::from_millis(50))
        .await
        .unwrap();
    assert_eq!(report.errors[0].code, "deadline", "{report:?}");
    assert!(
        w.h.store
            .sync_state(&acme.id)
            .await
            .unwrap()
            .last_run
            .is_some(),
        "the run is still recorded"
    );
}

#[tokio::test]
async fn calendly_pages_invitees_reschedules_and_no_shows() {
    let w = world().await;
    let acme = account(&w, "acme", None, true).await;
    Mock::given(method("GET"))
        .and(path("/users/me"))
        .respond_with(ResponseTemplate::new(200).set_body_json(calendly_me()))
        .expect(1)
        .mount(&w.calendly)
        .await;
    let events = |query_token: Option<&str>, body| {
        let mock = Mock::given(method("GET"))
            .and(path("/scheduled_events"))
            .and(query_param("organization", CALENDLY_ORG))
            .and(header(
                "authorization",
                format!("Bearer {CALENDLY_TOKEN}").as_str(),
            ));
        let mock = match query_token {
            Some(t) => mock.and(query_param("page_token", t)),
            None => mock.and(query_param_is_missing("page_token")),
        };
        mock.respond_with(ResponseTemplate::new(200).set_body_json(body))
    };
    events(
        None,
        calendly_page(
            vec![
                calendly_event("ev-old", at(3, 22, 10), true),
                calendly_event("ev-new", at(3, 24, 10), false),
            ],
            Some("p2"),
        ),
    )
    .mount(&w.calendly)
    .await;
    events(
        Some("p2"),
        calendly_page(
            vec![calendly_event("ev-missed", at(3, 18, 10), false)],
            None,
        ),
    )
    .mount(&w.calendly)
    .await;

    let old_uri = CalendlyInvitee::uri_of("ev-old", "inv-old");
    let new_uri = CalendlyInvitee::uri_of("ev-new", "inv-new");
    let mut old = CalendlyInvitee::new("ev-old", "inv-old", at(3, 5, 9));
    old.status = "canceled";
    old.rescheduled = true;
    old.new_invitee = Some(new_uri.clone());
    let mut new = CalendlyInvitee::new("ev-new", "inv-new", at(3, 12, 9));
    new.old_invitee = Some(old_uri.clone());
    new.email = old.email.clone();
    let mut missed = CalendlyInvitee::new("ev-missed", "inv-missed", at(3, 9, 9));
    missed.no_show = Some(at(3, 18, 11));
    for (event, invitee) in [("ev-old", &old), ("ev-new", &new), ("ev-missed", &missed)] {
        Mock::given(method("GET"))
            .and(path(format!("/scheduled_events/{event}/invitees")))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(calendly_page(vec![invitee.json()], None)),
            )
            .mount(&w.calendly)
            .await;
    }

    let report = w.service.sync_account(&acme, deadline()).await.unwrap();
    assert!(report.success, "{report:?}");
    assert_eq!(report.bookings_found, 3);
    assert_eq!(
        status_of(&w, &acme, Provider::Calendly, &old_uri).await,
        AppointmentStatus::Superseded
    );
    assert_eq!(
        status_of(&w, &acme, Provider::Calendly, &new_uri).await,
        AppointmentStatus::Rescheduled
    );
    assert_eq!(
        status_of(&w, &acme, Provider::Calendly, &missed.uri()).await,
        AppointmentStatus::NoShow
    );
    let stored = w.h.store.get_account(&acme.id).await.unwrap().unwrap();
    assert_eq!(
        stored.calendly.organization.as_deref(),
        Some(CALENDLY_ORG),
        "the organization is remembered"
    );
    let again = w.service.sync_account(&stored, deadline()).await.unwrap();
    assert_eq!(again.updates_applied, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sync_and_a_webhook_racing_on_one_booking_converge() {
    for round in 0..5 {
        let w = world().await;
        let acme = account(&w, "acme", Some(CALCOM_KEY), false).await;
        let mut cancelled = CalcomBooking::new("RACE", "cancelled", at(3, 24, 10), at(3, 10, 9));
        cancelled.updated = Some(at(3, 12, 9));
        calcom_lists(&w.calcom, &[], &[cancelled], &[]).await;
        let webhook = BookingEvent {
            provider: Provider::Calcom,
            kind: EventKind::Booked,
            key: BookingKey::parse("RACE").unwrap(),
            predecessor: None,
            successor: None,
            start: Some(at(3, 24, 10)),
            end: None,
            attendee: Attendee {
                name: Some("Racer".into()),
                email: Email::parse_optional("race@example.com"),
                phone: None,
            },
            event_type: None,
            occurred_at: at(3, 10, 9),
            booked_at: Some(at(3, 10, 9)),
            trigger: "BOOKING_CREATED".into(),
            tracking: Default::default(),
        };
        let store = Arc::clone(&w.h.store);
        let hook_account = acme.clone();
        let hook = tokio::spawn(async move {
            apply_event(&*store, &hook_account, &webhook, None, at(3, 10, 9))
                .await
                .unwrap()
                .outcome
        });
        let report = w.service.sync_account(&acme, deadline()).await.unwrap();
        let outcome = hook.await.unwrap();
        assert!(report.success);
        assert!(matches!(
            outcome,
            Outcome::Created | Outcome::Updated | Outcome::Unchanged
        ));
        assert_eq!(
            status_of(&w, &acme, Provider::Calcom, "RACE").await,
            AppointmentStatus::Cancelled,
            "round {round}"
        );
        assert_eq!(
            recount(&*w.h.store, &acme, now()).await.unwrap().drift,
            [],
            "round {round}"
        );
    }
}
