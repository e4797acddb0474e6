//! Every event that changed an appointment is kept with it, in the same write (SPEC §8): its
//! time, source (webhook, sync, manual), trigger and outcome; duplicates once; the last 50.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use integration_tests::histories::scripted_event;
use integration_tests::stores::{Harness, account};
use shared::booking::{EventSource, MAX_HISTORY};
use shared::domain::{AppointmentId, BookingEvent, EventKind, Provider};
use shared::ingest::apply_event;
use shared::store::Store;

fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap() + Duration::minutes(minutes)
}

fn event(kind: EventKind, minutes: i64, trigger: &str) -> BookingEvent {
    BookingEvent {
        trigger: trigger.into(),
        ..scripted_event(Provider::Calcom, "bk-history", kind, at(minutes))
    }
}

async fn history_is_kept_with_the_appointment<S: Store + 'static>(h: Harness<S>) {
    let store = &*h.store;
    let (acme, _) = account(store, "acme").await;
    let created = event(EventKind::Booked, 0, "BOOKING_CREATED");
    let id = AppointmentId::for_booking(created.provider, &created.key);
    for e in [
        created.clone(),
        created.clone(),
        event(EventKind::Cancelled, 30, "sync:cancelled"),
        // Older than the cancellation: fills nothing, changes nothing, is not listed.
        event(EventKind::Booked, 10, "sync:accepted"),
    ] {
        apply_event(store, &acme, &e, None, e.occurred_at)
            .await
            .unwrap();
    }
    let stored = store.get_appointment(&acme.id, &id).await.unwrap().unwrap();
    let listed: Vec<_> = stored
        .history()
        .iter()
        .map(|e| (e.at, e.source, e.trigger.as_str(), e.outcome.as_str()))
        .collect();
    assert_eq!(
        listed,
        [
            (at(0), EventSource::Webhook, "BOOKING_CREATED", "created"),
            (at(30), EventSource::Sync, "sync:cancelled", "updated"),
        ]
    );

    // A long life keeps its last 50 events.
    for minute in 1..=60 {
        let kind = if minute % 2 == 0 {
            EventKind::NoShowMarked
        } else {
            EventKind::NoShowCleared
        };
        let e = event(
            kind,
            60 + minute,
            &format!("BOOKING_NO_SHOW_UPDATED#{minute:02}"),
        );
        apply_event(store, &acme, &e, None, e.occurred_at)
            .await
            .unwrap();
    }
    let stored = store.get_appointment(&acme.id, &id).await.unwrap().unwrap();
    assert_eq!(stored.history().len(), MAX_HISTORY);
    assert_eq!(
        stored.history().last().unwrap().trigger,
        "BOOKING_NO_SHOW_UPDATED#60"
    );
    assert!(stored.history().windows(2).all(|w| w[0].at <= w[1].at));
}

integration_tests::conformance!(history_is_kept_with_the_appointment);
