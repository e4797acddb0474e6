//! Acting from the team's sheet (SPEC §10): a status cell set to the cancelled or no-show label
//! cancels (or marks a no-show) at Cal.com or Calendly on the next sync, once, against the
//! Google fake and stateful fakes of the providers' booking endpoints
//! (`integration_tests::acting`), on SQLite and DynamoDB Local.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::NaiveDate;
use integration_tests::acting::world::{
    JANE_EMAIL, appointment, at, bob_call, changes, jane_booked, jane_call, notes_of, now,
    only_note, world,
};
use integration_tests::acting::{Calcom, Refusal};
use integration_tests::fakes::{CalcomBooking, CalendlyInvitee};
use integration_tests::stores::Harness;
use shared::domain::{
    AppointmentStatus, Attendee, BookingEvent, BookingKey, Email, EventKind, Provider,
};
use shared::ingest::apply_event;
use shared::leads::SheetActionResult;
use shared::metrics::{RangeQuery, metrics_report};
use shared::store::prelude::*;

async fn cancels_at_calcom_once<S: Store + 'static>(h: Harness<S>) {
    let w = jane_booked(h, true).await;
    w.team_sets(2, "CALL_CANCELLED");
    let acted = w.sync().await;
    assert!(acted.success, "{acted:?}");
    let jane_apt = appointment(Provider::Calcom, "JANE-1");
    assert_eq!(
        changes(&acted),
        [(jane_apt.as_str(), "cancelled_from_sheet")],
        "the provider's echo read later in the run is no change"
    );
    let update = &acted.updates[0];
    assert_eq!(update.name.as_deref(), Some("Jane Doe"));
    assert_eq!(update.booking_time.as_deref(), Some("10:00 25/03/2026"));
    let jane = w.lead_in_row(2).await;
    assert_eq!(update.lead_id.as_deref(), Some(jane.id.as_str()));
    let sheet = acted.sheet.as_ref().unwrap();
    assert_eq!(sheet.actions.len(), 1, "{sheet:?}");
    let note = &sheet.actions[0];
    assert_eq!(
        (note.line, note.action, note.result),
        (2, "cancel", SheetActionResult::Done)
    );
    assert_eq!(note.appointment_id, jane_apt.as_str());
    assert_eq!(note.lead_id, jane.id.as_str());

    let cancels = w.calcom.calls("POST", "/v2/bookings/JANE-1/cancel");
    assert_eq!(cancels.len(), 1);
    assert_eq!(cancels[0].api_version.as_deref(), Some("2024-08-13"));
    assert!(cancels[0].body["cancellationReason"].is_string());
    assert_eq!(
        w.status(Provider::Calcom, "JANE-1").await,
        AppointmentStatus::Cancelled
    );
    assert_eq!(
        w.cell("A2"),
        "CALL_CANCELLED",
        "the push agrees with the team"
    );
    assert_eq!(jane.status.as_deref(), Some("CALL_CANCELLED"));
    assert_eq!(
        jane.sheet_synced.unwrap().status.as_deref(),
        Some("CALL_CANCELLED")
    );

    // Run again: nothing left to act on, and nothing sent.
    let again = w.sync().await;
    assert!(again.success, "{again:?}");
    assert!(again.updates.is_empty(), "{again:?}");
    assert_eq!(w.calcom_cancels(), 1, "once across runs");
    let sheet = serde_json::to_value(again.sheet.unwrap()).unwrap();
    assert!(
        sheet.get("actions").is_none(),
        "left out when empty: {sheet}"
    );

    let range = RangeQuery::Between(
        NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
        NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
    );
    let metrics = metrics_report(&*w.h.store, &w.account, range, now())
        .await
        .unwrap();
    assert_eq!(
        (
            metrics.kpis.appointments_booked,
            metrics.kpis.appointments_cancelled
        ),
        (0, 1)
    );
}

async fn a_refusal_is_reported_and_never_asked_again<S: Store + 'static>(h: Harness<S>) {
    let w = jane_booked(h, true).await;
    w.calcom.refuse(Refusal {
        status: 400,
        message: "Booking cannot be cancelled by the host".into(),
        times: 10,
    });
    w.team_sets(2, "CALL_CANCELLED");
    let refused = w.sync().await;
    assert!(
        refused.success,
        "a refusal is the sheet's note, not a run error: {refused:?}"
    );
    let (result, message) = only_note(&refused);
    assert_eq!(result, SheetActionResult::Refused);
    assert!(
        message.contains("Booking cannot be cancelled by the host"),
        "{message}"
    );
    assert!(refused.updates.is_empty(), "{refused:?}");
    assert_eq!(
        w.status(Provider::Calcom, "JANE-1").await,
        AppointmentStatus::Booked
    );
    let jane = w.lead_in_row(2).await;
    assert_eq!(
        jane.status.as_deref(),
        Some("CALL_BOOKED"),
        "the edit is not taken in as the lead's status"
    );
    let settled = jane.sheet_action.expect("the edit is remembered");
    assert_eq!(settled.result, SheetActionResult::Refused);
    assert_eq!(
        w.cell("A2"),
        "CALL_CANCELLED",
        "the team's cell is left alone"
    );

    // The cell still shows the label: the next run says so, and asks nothing.
    let again = w.sync().await;
    assert!(again.success, "{again:?}");
    let (result, message) = only_note(&again);
    assert_eq!(result, SheetActionResult::Skipped);
    assert!(message.contains("once"), "{message}");
    assert_eq!(w.calcom_cancels(), 1, "asked once");

    // The team sets another label, then the cancelled one again: a new edit, acted on.
    w.team_sets(2, "FOLLOW_UP");
    w.sync().await;
    assert_eq!(w.lead_in_row(2).await.sheet_action, None, "forgotten");
    w.team_sets(2, "CALL_CANCELLED");
    let retried = w.sync().await;
    assert_eq!(notes_of(&retried), [SheetActionResult::Refused]);
    assert_eq!(w.calcom_cancels(), 2);
}

integration_tests::conformance!(
    cancels_at_calcom_once,
    a_refusal_is_reported_and_never_asked_again
);

#[tokio::test]
async fn a_no_show_label_marks_a_past_calendly_call_once() {
    let w = world(Harness::sqlite().await, true, vec![], bob_call()).await;
    let first = w.sync().await;
    assert!(first.success, "{first:?}");
    let bob_key = CalendlyInvitee::uri_of("EV-BOB", "INV-BOB");
    assert_eq!(
        w.status(Provider::Calendly, &bob_key).await,
        AppointmentStatus::Completed,
        "the call ended"
    );
    assert_eq!(w.cell("X3"), "10:00 19/03/2026");

    w.team_sets(3, "NO_SHOW");
    let acted = w.sync().await;
    assert!(acted.success, "{acted:?}");
    let bob_apt = appointment(Provider::Calendly, &bob_key);
    assert_eq!(changes(&acted), [(bob_apt.as_str(), "no_show_from_sheet")]);
    assert_eq!(notes_of(&acted), [SheetActionResult::Done]);
    let marks = w.calendly.calls("POST", "/invitee_no_shows");
    assert_eq!(marks.len(), 1);
    assert_eq!(marks[0].body["invitee"], bob_key.as_str());
    assert_eq!(
        w.status(Provider::Calendly, &bob_key).await,
        AppointmentStatus::NoShow
    );
    assert_eq!(w.cell("A3"), "NO_SHOW");
    assert_eq!(w.lead_in_row(3).await.status.as_deref(), Some("NO_SHOW"));

    w.sync().await;
    assert_eq!(w.calendly.calls("POST", "/invitee_no_shows").len(), 1);
}

/// Jane's call moves to 27 March at Cal.com (`JANE-2` replaces `JANE-1`).
fn reschedule_at_calcom(calcom: &mut Calcom) -> CalcomBooking {
    let old = calcom.booking("JANE-1").unwrap();
    old.status = "cancelled";
    old.rescheduled_to = Some("JANE-2".into());
    old.updated = Some(now() - chrono::Duration::minutes(5));
    let mut new = jane_call();
    new.uid = "JANE-2".into();
    new.start = at(3, 27, 15);
    new.created = now() - chrono::Duration::minutes(5);
    new.rescheduled_from = Some("JANE-1".into());
    calcom.bookings.push(new.clone());
    new
}

#[tokio::test]
async fn a_call_rescheduled_since_the_sheet_showed_it_wins_over_the_edit() {
    let w = jane_booked(Harness::sqlite().await, true).await;
    // The reschedule's webhook arrives: JANE-1 moved to JANE-2. The sheet still shows 25 March
    // when the team marks the row cancelled.
    reschedule_at_calcom(&mut w.calcom.state());
    let jane = Attendee {
        name: Some("Jane Doe".into()),
        email: Some(Email::parse(JANE_EMAIL).unwrap()),
        phone: None,
    };
    let moved = |kind, uid: &str, start| BookingEvent {
        provider: Provider::Calcom,
        kind,
        key: BookingKey::parse(uid).unwrap(),
        predecessor: (uid == "JANE-2").then(|| BookingKey::parse("JANE-1").unwrap()),
        successor: (uid == "JANE-1").then(|| BookingKey::parse("JANE-2").unwrap()),
        start: Some(start),
        end: Some(start + chrono::Duration::minutes(30)),
        attendee: jane.clone(),
        event_type: Some("discovery-call".into()),
        occurred_at: now() - chrono::Duration::minutes(5),
        booked_at: None,
        trigger: "BOOKING_RESCHEDULED".into(),
        tracking: Default::default(),
    };
    for event in [
        moved(EventKind::RescheduledAway, "JANE-1", at(3, 25, 10)),
        moved(EventKind::Rescheduled, "JANE-2", at(3, 27, 15)),
    ] {
        apply_event(&*w.h.store, &w.account, &event, None, now())
            .await
            .unwrap();
    }
    w.team_sets(2, "CALL_CANCELLED");

    let report = w.sync().await;
    assert!(report.success, "{report:?}");
    let (result, message) = only_note(&report);
    assert_eq!(result, SheetActionResult::Skipped);
    assert!(
        message.contains("Cal.com wins") && message.contains("15:00 27/03/2026"),
        "{message}"
    );
    assert_eq!(w.calcom_cancels(), 0);
    assert_eq!(
        w.status(Provider::Calcom, "JANE-2").await,
        AppointmentStatus::Rescheduled
    );
    assert_eq!(
        w.row_shows(2),
        ("CALL_BOOKED".into(), "15:00 27/03/2026".into()),
        "the push rewrites the row"
    );
}

#[tokio::test]
async fn a_call_rescheduled_at_the_provider_and_not_yet_heard_of_is_not_cancelled() {
    let w = jane_booked(Harness::sqlite().await, true).await;
    // Cal.com moved the call; no webhook came. The team marks the row cancelled.
    reschedule_at_calcom(&mut w.calcom.state());
    w.team_sets(2, "CALL_CANCELLED");

    let report = w.sync().await;
    assert!(report.success, "{report:?}");
    let (result, message) = only_note(&report);
    assert_eq!(result, SheetActionResult::Skipped);
    assert!(message.contains("rescheduled at Cal.com"), "{message}");
    assert_eq!(w.calcom_cancels(), 0);
    assert_eq!(
        w.calcom.calls("GET", "/v2/bookings/JANE-1").len(),
        1,
        "read before acting"
    );
    // The same run's read hears of the new booking, and the push shows it.
    assert_eq!(
        w.status(Provider::Calcom, "JANE-2").await,
        AppointmentStatus::Rescheduled
    );
    assert_eq!(
        w.row_shows(2),
        ("CALL_BOOKED".into(), "15:00 27/03/2026".into())
    );
    assert_eq!(
        w.lead_in_row(2).await.sheet_action,
        None,
        "the rewritten row ends the edit"
    );
}

#[tokio::test]
async fn an_unreachable_provider_is_a_run_error_and_the_next_run_tries_again() {
    let w = jane_booked(Harness::sqlite().await, true).await;
    w.calcom.refuse(Refusal {
        status: 503,
        message: "upstream unavailable".into(),
        times: 1,
    });
    w.team_sets(2, "CALL_CANCELLED");
    let failed = w.sync().await;
    assert!(!failed.success);
    assert_eq!(notes_of(&failed), [SheetActionResult::Failed]);
    let errors: Vec<(&str, &str)> = failed
        .errors
        .iter()
        .map(|e| (e.provider.as_str(), e.code.as_str()))
        .collect();
    assert_eq!(errors, [("calcom", "provider_unavailable")], "{failed:?}");
    assert_eq!(w.lead_in_row(2).await.sheet_action, None, "not remembered");
    assert_eq!(
        w.status(Provider::Calcom, "JANE-1").await,
        AppointmentStatus::Booked
    );

    let retried = w.sync().await;
    assert!(retried.success, "{retried:?}");
    assert_eq!(notes_of(&retried), [SheetActionResult::Done]);
    assert_eq!(w.calcom_cancels(), 2, "the failed call, then the one taken");
    assert_eq!(
        w.status(Provider::Calcom, "JANE-1").await,
        AppointmentStatus::Cancelled
    );
}

#[tokio::test]
async fn with_sheet_actions_off_an_edit_is_only_imported() {
    let w = jane_booked(Harness::sqlite().await, false).await;
    w.team_sets(2, "CALL_CANCELLED");
    let report = w.sync().await;
    assert!(report.success, "{report:?}");
    assert!(report.sheet.as_ref().unwrap().actions.is_empty());
    assert!(report.updates.is_empty());
    assert!(
        w.calcom.calls("POST", "").is_empty(),
        "nothing is sent to Cal.com"
    );
    assert_eq!(
        w.status(Provider::Calcom, "JANE-1").await,
        AppointmentStatus::Booked
    );
    assert_eq!(
        w.lead_in_row(2).await.status.as_deref(),
        Some("CALL_CANCELLED"),
        "taken in as the team's label, as always"
    );
    assert_eq!(w.cell("A2"), "CALL_CANCELLED");
}
