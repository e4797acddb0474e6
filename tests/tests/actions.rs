//! Acting on bookings (SPEC §10) on both stores, against stateful fakes of Cal.com's and
//! Calendly's action endpoints (`integration_tests::provider_actions`): cancel, no-show and its
//! undo at each provider, changed here only after the provider took them (history source
//! `action`, the lead's timeline, the day's counters); the provider's own webhook that follows is
//! `unchanged`; a refusal changes nothing; a timeout then a retry acts once; another account's
//! appointment is not found; a dry run calls nothing; a manual appointment changes here only.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use chrono::{NaiveDate, TimeZone, Utc};
use integration_tests::acting::Refusal;
use integration_tests::action_world::*;
use integration_tests::links::sample;
use integration_tests::stores::{Harness, account};
use serde_json::Value;
use shared::actions::{Action, ActionError, ActionResult};
use shared::booking::{Appointment, EventSource};
use shared::domain::{AppointmentId, AppointmentStatus, Provider};
use shared::store::prelude::*;
use tokio::time::Instant;

/// The webhook Cal.com sends after a booking is cancelled: the same booking, `CANCELLED`.
fn calcom_cancelled_echo() -> Value {
    let mut body = sample("calcom-booking-created.json");
    body["triggerEvent"] = "BOOKING_CANCELLED".into();
    body["createdAt"] = "2026-03-05T12:00:03.000Z".into();
    body["payload"]["status"] = "CANCELLED".into();
    body["payload"]["cancellationReason"] = "The lead asked to move it".into();
    body
}

/// Every acting call refused with HTTP 400 and `message`.
fn refusal(message: &str) -> Refusal {
    Refusal {
        status: 400,
        message: message.into(),
        times: u32::MAX,
    }
}

fn last_history(appointment: &Appointment) -> (EventSource, String, String) {
    let entry = appointment.history().last().unwrap();
    (entry.source, entry.trigger.clone(), entry.outcome.clone())
}

async fn calcom_cancel_then_its_webhook_is_unchanged<S: Store + 'static>(h: Harness<S>) {
    let world = World::new(h).await;
    let id = calcom_booked(&world).await;
    let booked_day = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
    assert_eq!(world.day(booked_day).await.cancelled, 0);

    let cancel = Action::Cancel {
        reason: Some("The lead asked to move it".into()),
    };
    let report = world
        .act(at("2026-03-05T12:00:00Z"), &id, &cancel)
        .await
        .unwrap();
    assert_eq!(
        (report.result, report.status, report.provider_calls),
        (ActionResult::Done, AppointmentStatus::Cancelled, 2),
        "{report:?}"
    );
    assert_eq!(
        report.request.as_ref().unwrap().path,
        format!("/v2/bookings/{UID}/cancel")
    );
    assert_eq!(
        world.calcom.calls("POST", "/cancel")[0].body["cancellationReason"],
        "The lead asked to move it",
        "the reason reached Cal.com"
    );
    let stored = world.appointment(&id).await;
    assert_eq!(stored.status(), AppointmentStatus::Cancelled);
    assert_eq!(
        last_history(&stored),
        (
            EventSource::Action,
            "action:cancel".into(),
            "updated".into()
        )
    );
    let lead = stored.lead_id().unwrap().clone();
    let timeline = world
        .h
        .store
        .lead_timeline(&world.account.id, &lead)
        .await
        .unwrap();
    assert_eq!(timeline.last().unwrap().trigger, "action:cancel");
    assert_eq!(
        world.day(booked_day).await.cancelled,
        1,
        "the dashboard counts it"
    );

    // Cal.com's own webhook follows: nothing anyone sees changes, and nothing is counted twice.
    let revision = stored.revision();
    let outcome = world
        .webhook(Provider::Calcom, &calcom_cancelled_echo())
        .await;
    assert_eq!(outcome, "unchanged");
    let after_echo = world.appointment(&id).await;
    assert!(after_echo.looks_like(&stored));
    assert!(after_echo.revision() >= revision);
    assert_eq!(world.day(booked_day).await.cancelled, 1);
    let timeline_after = world
        .h
        .store
        .lead_timeline(&world.account.id, &lead)
        .await
        .unwrap();
    assert_eq!(timeline_after.len(), timeline.len(), "the echo is not news");

    // Asked again: already cancelled here, so Cal.com is not even read.
    let calls = world.calcom.requests().len();
    let again = world
        .act(at("2026-03-05T12:05:00Z"), &id, &cancel)
        .await
        .unwrap();
    assert_eq!(
        (again.result, again.provider_calls),
        (ActionResult::AlreadyDone, 0)
    );
    assert_eq!(world.calcom.requests().len(), calls);
}

async fn calcom_no_show_and_undo<S: Store + 'static>(h: Harness<S>) {
    let world = World::new(h).await;
    let id = calcom_booked(&world).await;
    let mark = Action::NoShow { undo: false };

    // Before the call: refused here, Cal.com is not asked.
    let early = world.act(at("2026-03-09T12:00:00Z"), &id, &mark).await;
    assert!(
        matches!(early, Err(ActionError::NotActionable(_))),
        "{early:?}"
    );
    assert!(world.calcom.requests().is_empty());

    let after_call = at("2026-03-11T09:00:00Z");
    let report = world.act(after_call, &id, &mark).await.unwrap();
    assert_eq!(
        (report.result, report.status),
        (ActionResult::Done, AppointmentStatus::NoShow)
    );
    assert!(world.calcom_booking(UID).absent);
    assert_eq!(
        world
            .day(NaiveDate::from_ymd_opt(2026, 3, 2).unwrap())
            .await
            .no_shows,
        1
    );

    // Cal.com's BOOKING_NO_SHOW_UPDATED for the same attendee changes nothing.
    let mut echo = sample("calcom-no-show.json");
    echo["payload"]["bookingUid"] = UID.into();
    assert_eq!(world.webhook(Provider::Calcom, &echo).await, "unchanged");

    let undo = Action::NoShow { undo: true };
    let report = world
        .act(at("2026-03-12T12:00:00Z"), &id, &undo)
        .await
        .unwrap();
    assert_eq!(report.result, ActionResult::Done);
    assert_ne!(report.status, AppointmentStatus::NoShow);
    assert!(
        !world.calcom_booking(UID).absent,
        "the mark is taken back at Cal.com"
    );
    assert_eq!(
        world
            .day(NaiveDate::from_ymd_opt(2026, 3, 2).unwrap())
            .await
            .no_shows,
        0
    );
    let marks: Vec<String> = world.calcom.requests();
    assert_eq!(
        marks.iter().filter(|c| c.ends_with("/mark-absent")).count(),
        2,
        "{marks:?}"
    );
}

async fn calendly_cancel_no_show_and_undo<S: Store + 'static>(h: Harness<S>) {
    let world = World::new(h).await;
    world.calendly_has(EVENT, INVITEE);
    let created = sample("calendly-invitee-created.json");
    assert_eq!(world.webhook(Provider::Calendly, &created).await, "created");
    let id = AppointmentId::for_booking(Provider::Calendly, &calendly_key(EVENT, INVITEE));

    let cancel = Action::Cancel { reason: None };
    let report = world
        .act(at("2026-03-05T12:00:00Z"), &id, &cancel)
        .await
        .unwrap();
    assert_eq!(
        (report.result, report.status),
        (ActionResult::Done, AppointmentStatus::Cancelled)
    );
    assert!((world.calendly_invitee(INVITEE).status == "canceled"));
    assert_eq!(
        world.calendly.requests(),
        [
            format!("GET /scheduled_events/{EVENT}/invitees/{INVITEE}"),
            format!("POST /scheduled_events/{EVENT}/cancellation"),
        ]
    );
    // Calendly's invitee.canceled for it (a later delivery of the same cancellation).
    let mut echo = sample("calendly-invitee-canceled.json");
    echo["payload"]["cancellation"]["reason"] = Value::Null;
    assert_eq!(world.webhook(Provider::Calendly, &echo).await, "unchanged");

    // The no-show sample's invitee, booked; marked after its call, the mark taken back.
    world.calendly_has(NS_EVENT, NS_INVITEE);
    let mut booked = sample("calendly-no-show-created.json");
    booked["event"] = "invitee.created".into();
    booked["created_at"] = "2026-03-09T21:14:00.000000Z".into();
    booked["payload"]["no_show"] = Value::Null;
    assert_eq!(world.webhook(Provider::Calendly, &booked).await, "created");
    let id = AppointmentId::for_booking(Provider::Calendly, &calendly_key(NS_EVENT, NS_INVITEE));
    let mark = Action::NoShow { undo: false };
    let report = world
        .act(at("2026-03-18T11:35:00Z"), &id, &mark)
        .await
        .unwrap();
    assert_eq!(
        (report.result, report.status),
        (ActionResult::Done, AppointmentStatus::NoShow)
    );
    assert!(world.calendly_invitee(NS_INVITEE).no_show.is_some());
    assert_eq!(
        world
            .webhook(Provider::Calendly, &sample("calendly-no-show-created.json"))
            .await,
        "unchanged"
    );

    let undo = Action::NoShow { undo: true };
    let report = world
        .act(at("2026-03-19T09:00:00Z"), &id, &undo)
        .await
        .unwrap();
    assert_eq!(report.result, ActionResult::Done);
    assert_eq!(
        report.request.unwrap().path,
        format!("/invitee_no_shows/ns-{NS_INVITEE}")
    );
    assert!(world.calendly_invitee(NS_INVITEE).no_show.is_none());
    assert_ne!(
        world.appointment(&id).await.status(),
        AppointmentStatus::NoShow
    );
}

async fn a_refusal_changes_nothing<S: Store + 'static>(h: Harness<S>) {
    let world = World::new(h).await;
    let id = calcom_booked(&world).await;
    world
        .calcom
        .refuse(refusal("Cannot cancel a booking that has already started"));
    let before = world.appointment(&id).await;

    let refused = world
        .act(
            at("2026-03-10T14:10:00Z"),
            &id,
            &Action::Cancel { reason: None },
        )
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "provider_rejected");
    assert!(
        refused
            .to_string()
            .contains("Cannot cancel a booking that has already started"),
        "{refused}"
    );
    assert_eq!(world.appointment(&id).await, before, "nothing changed here");
    assert_eq!(world.calcom_booking(UID).status, "accepted", "nor there");

    // Calendly's refusal of a no-show, in its own format, the same way.
    world.calendly_has(EVENT, INVITEE);
    world
        .webhook(Provider::Calendly, &sample("calendly-invitee-created.json"))
        .await;
    world.calendly.refuse(refusal("Event in the past"));
    let id = AppointmentId::for_booking(Provider::Calendly, &calendly_key(EVENT, INVITEE));
    let refused = world
        .act(
            at("2026-03-18T09:00:00Z"),
            &id,
            &Action::NoShow { undo: false },
        )
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "provider_rejected");
    assert!(
        refused.to_string().contains("Event in the past"),
        "{refused}"
    );
    assert_eq!(
        world.appointment(&id).await.status(),
        AppointmentStatus::Booked
    );
}

async fn a_timeout_then_a_retry_acts_once<S: Store + 'static>(h: Harness<S>) {
    let world = World::new(h).await;
    let id = calcom_booked(&world).await;
    // Cal.com cancels, but answers after the client has given up (fast_retries: 400 ms).
    world.calcom.answer_late(Duration::from_secs(2));
    let cancel = Action::Cancel { reason: None };
    let first = world
        .act(at("2026-03-05T12:00:00Z"), &id, &cancel)
        .await
        .unwrap_err();
    assert_eq!(first.code(), "provider_timeout");
    assert_eq!(
        world.appointment(&id).await.status(),
        AppointmentStatus::Booked
    );

    // The retry reads Cal.com first, finds it cancelled, and only records it.
    let retry = world
        .act(at("2026-03-05T12:01:00Z"), &id, &cancel)
        .await
        .unwrap();
    assert_eq!(
        (retry.result, retry.status),
        (ActionResult::AlreadyDone, AppointmentStatus::Cancelled)
    );
    assert_eq!(world.calcom.calls("POST", "/cancel").len(), 1, "acted once");
}

async fn another_accounts_appointment_is_not_found<S: Store + 'static>(h: Harness<S>) {
    let world = World::new(h).await;
    let id = calcom_booked(&world).await;
    let (other, _) = account(&*world.h.store, "globex").await;
    let service = world.service(at("2026-03-05T12:00:00Z"));
    let deadline = Instant::now() + Duration::from_secs(5);
    let cancel = Action::Cancel { reason: None };
    let refused = service
        .act(&other, &id, &cancel, false, deadline)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "unknown_appointment");
    assert!(world.calcom.requests().is_empty());
    assert_eq!(
        world.appointment(&id).await.status(),
        AppointmentStatus::Booked
    );
}

async fn a_dry_run_calls_nothing<S: Store + 'static>(h: Harness<S>) {
    let world = World::new(h).await;
    let id = calcom_booked(&world).await;
    let before = world.appointment(&id).await;
    let service = world.service(at("2026-03-05T12:00:00Z"));
    let deadline = Instant::now() + Duration::from_secs(5);
    let report = service
        .act(
            &world.account,
            &id,
            &Action::Cancel { reason: None },
            true,
            deadline,
        )
        .await
        .unwrap();
    assert_eq!(
        (report.result, report.provider_calls),
        (ActionResult::DryRun, 0)
    );
    assert_eq!(
        report.request.unwrap().path,
        format!("/v2/bookings/{UID}/cancel")
    );
    assert!(world.calcom.requests().is_empty());
    assert_eq!(world.appointment(&id).await, before);
}

async fn a_manual_appointment_changes_here_only<S: Store + 'static>(h: Harness<S>) {
    let world = World::new(h).await;
    let start = Utc.with_ymd_and_hms(2026, 3, 10, 14, 0, 0).unwrap();
    let mut event = integration_tests::histories::scripted_event(
        Provider::Manual,
        "manual-01JQ",
        shared::domain::EventKind::Booked,
        start - chrono::Duration::days(7),
    );
    event.trigger = "manual".into();
    shared::ingest::apply_event(
        &*world.h.store,
        &world.account,
        &event,
        None,
        event.occurred_at,
    )
    .await
    .unwrap();
    let id = AppointmentId::for_booking(Provider::Manual, &event.key);
    let report = world
        .act(
            at("2026-03-05T12:00:00Z"),
            &id,
            &Action::Cancel { reason: None },
        )
        .await
        .unwrap();
    assert_eq!(
        (
            report.result,
            report.status,
            report.provider_calls,
            report.request
        ),
        (ActionResult::Done, AppointmentStatus::Cancelled, 0, None)
    );
    assert!(world.calcom.requests().is_empty() && world.calendly.requests().is_empty());
    let (source, trigger, _) = last_history(&world.appointment(&id).await);
    assert_eq!(
        (source, trigger.as_str()),
        (EventSource::Manual, "action:cancel")
    );
}

integration_tests::conformance!(
    calcom_cancel_then_its_webhook_is_unchanged,
    calcom_no_show_and_undo,
    calendly_cancel_no_show_and_undo,
    a_refusal_changes_nothing,
    a_timeout_then_a_retry_acts_once,
    another_accounts_appointment_is_not_found,
    a_dry_run_calls_nothing,
    a_manual_appointment_changes_here_only,
);
