//! Scenarios for the state machine; the order-independence property test is in
//! `tests/tests/booking_histories.rs`.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use super::*;
use crate::domain::{
    AppointmentStatus as S, Attendee, BookingEvent, BookingKey, Email, EventKind, LeadId, Provider,
};

const LONDON: Tz = chrono_tz::Europe::London;

/// A tiny store: appointments by key, counters by day.
#[derive(Default)]
struct Store {
    appointments: HashMap<BookingKey, Appointment>,
    counters: CounterDelta,
}

impl Store {
    fn apply_with(&mut self, event: &BookingEvent, lead: Option<LeadId>) -> Transition {
        let mut loader = NeighbourhoodLoader::new(event);
        while let Some(key) = loader.next_key() {
            loader.supply(self.appointments.get(&key).cloned());
        }
        let ctx = ApplyContext {
            time_zone: LONDON,
            lead,
            lead_choice: None,
            lead_attribution: Default::default(),
        };
        let transition = apply(event, loader.finish(), &ctx);
        for write in &transition.writes {
            let stored = self.appointments.get(write.after.key());
            assert_eq!(
                stored,
                write.before.as_ref(),
                "writes are conditional on what was read"
            );
            self.appointments
                .insert(write.after.key().clone(), write.after.clone());
        }
        self.counters.absorb(&transition.counters);
        transition
    }

    fn apply(&mut self, event: &BookingEvent) -> Transition {
        self.apply_with(event, None)
    }

    fn get(&self, key: &str) -> &Appointment {
        &self.appointments[&BookingKey::parse(key).unwrap()]
    }

    fn status(&self, key: &str) -> S {
        self.get(key).status()
    }

    fn total(&self) -> DayCounts {
        let mut total = DayCounts::default();
        for (_, counts) in self.counters.days() {
            total += counts;
        }
        assert_eq!(
            self.counters,
            CounterDelta::recount(self.appointments.values(), LONDON),
            "counters equal a recount"
        );
        for dimension in Dimension::ALL {
            let mut summed = DayCounts::default();
            for (segment, counts) in &total.segments {
                if segment.dimension == dimension {
                    summed += counts;
                }
            }
            assert_eq!(summed, total.overall(), "the {dimension} segments add up");
        }
        total.overall()
    }
}

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0).unwrap()
}

fn event(kind: EventKind, key: &str, occurred: DateTime<Utc>) -> BookingEvent {
    BookingEvent {
        provider: Provider::Calcom,
        kind,
        key: BookingKey::parse(key).unwrap(),
        predecessor: None,
        successor: None,
        start: Some(at(20, 14)),
        end: Some(at(20, 15)),
        attendee: Attendee {
            name: Some("Priya Nair".into()),
            email: Email::parse_optional("priya@example.com"),
            phone: None,
        },
        event_type: Some("Discovery Call".into()),
        occurred_at: occurred,
        booked_at: matches!(
            kind,
            EventKind::Booked | EventKind::Requested | EventKind::Rescheduled
        )
        .then_some(occurred),
        trigger: format!("{kind:?}"),
        tracking: Default::default(),
    }
}

fn rescheduled(new: &str, old: &str, occurred: DateTime<Utc>) -> BookingEvent {
    BookingEvent {
        predecessor: Some(BookingKey::parse(old).unwrap()),
        start: Some(at(22, 10)),
        ..event(EventKind::Rescheduled, new, occurred)
    }
}

fn counts(booked: i64) -> DayCounts {
    DayCounts {
        booked,
        unmatched: booked,
        ..DayCounts::default()
    }
}

#[test]
fn a_new_booking_is_created_and_counted_on_its_local_day() {
    let mut store = Store::default();
    let t = store.apply(&event(EventKind::Booked, "a", at(2, 23)));
    assert_eq!(t.outcome, Outcome::Created);
    assert_eq!(t.subject.status(), S::Booked);
    assert_eq!(t.writes.len(), 1);
    // 23:00 UTC on 2 March is 23:00 in London (GMT): still the 2nd.
    let day = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
    let days = t.counters.into_days();
    let own: Vec<_> = days.iter().map(|(d, c)| (*d, c.overall())).collect();
    assert_eq!(own, [(day, counts(1))]);
    // The same counts in the "no campaign" and "no source" segments.
    assert_eq!(days[0].1.segments.len(), 2);
    assert!(days[0].1.segments.values().all(|c| *c == counts(1)));
}

#[test]
fn local_day_follows_the_account_time_zone() {
    // 23:30 UTC on 30 March 2026 is 00:30 BST on the 31st.
    let e = event(
        EventKind::Booked,
        "a",
        Utc.with_ymd_and_hms(2026, 3, 30, 23, 30, 0).unwrap(),
    );
    let t = apply(
        &e,
        Neighbourhood::default(),
        &ApplyContext {
            time_zone: LONDON,
            lead: None,
            lead_choice: None,
            lead_attribution: Default::default(),
        },
    );
    let (day, _) = t.counters.days().next().unwrap();
    assert_eq!(day, NaiveDate::from_ymd_opt(2026, 3, 31).unwrap());
}

#[test]
fn a_duplicate_delivery_changes_nothing() {
    let mut store = Store::default();
    let e = event(EventKind::Booked, "a", at(2, 9));
    store.apply(&e);
    let again = store.apply(&e);
    assert_eq!(again.outcome, Outcome::Unchanged);
    assert!(again.writes.is_empty());
    assert!(again.counters.is_empty());
    assert_eq!(again.subject.revision(), 1);
}

#[test]
fn cancellation_moves_the_count() {
    let mut store = Store::default();
    store.apply(&event(EventKind::Booked, "a", at(2, 9)));
    let t = store.apply(&event(EventKind::Cancelled, "a", at(3, 9)));
    assert_eq!(t.outcome, Outcome::Updated);
    assert_eq!(t.subject.status(), S::Cancelled);
    assert_eq!(t.subject.revision(), 2);
    assert_eq!(
        store.total(),
        DayCounts {
            cancelled: 1,
            ..DayCounts::default()
        }
    );
}

#[test]
fn cancel_before_create_ends_cancelled_and_keeps_the_booking_time() {
    let mut store = Store::default();
    let mut cancel = event(EventKind::Cancelled, "a", at(3, 9));
    cancel.start = None;
    store.apply(&cancel);
    assert_eq!(
        store.get("a").booked_at(),
        at(3, 9),
        "best guess until the create arrives"
    );
    store.apply(&event(EventKind::Booked, "a", at(2, 9)));
    let a = store.get("a");
    assert_eq!(
        a.status(),
        S::Cancelled,
        "an older event never overwrites a newer status"
    );
    assert_eq!(
        a.start(),
        Some(at(20, 14)),
        "but fills fields still missing"
    );
    assert_eq!(a.booked_at(), at(2, 9));
    assert_eq!(
        store.total(),
        DayCounts {
            cancelled: 1,
            ..DayCounts::default()
        }
    );
}

#[test]
fn a_newer_field_value_wins_over_an_older_one() {
    let mut store = Store::default();
    let mut newer = event(EventKind::Booked, "a", at(3, 9));
    newer.attendee.name = Some("Priya N.".into());
    store.apply(&newer);
    store.apply(&event(EventKind::Booked, "a", at(2, 9)));
    assert_eq!(store.get("a").attendee().name.as_deref(), Some("Priya N."));
}

#[test]
fn calcom_reschedule_supersedes_the_old_booking_and_counts_once() {
    let mut store = Store::default();
    store.apply(&event(EventKind::Booked, "old", at(2, 9)));
    let t = store.apply(&rescheduled("new", "old", at(5, 9)));
    assert_eq!(t.outcome, Outcome::Created);
    assert_eq!(t.writes.len(), 2);
    assert_eq!(store.status("old"), S::Superseded);
    assert_eq!(
        store.get("old").successor().map(BookingKey::as_str),
        Some("new")
    );
    let new = store.get("new");
    assert_eq!(new.status(), S::Rescheduled);
    assert_eq!(new.booked_at(), at(2, 9), "inherits the chain's bookedAt");
    assert_eq!(
        store.total(),
        DayCounts {
            booked: 1,
            rescheduled: 1,
            unmatched: 1,
            ..DayCounts::default()
        }
    );
}

#[test]
fn a_reschedule_arriving_first_is_linked_when_the_original_arrives() {
    let mut store = Store::default();
    store.apply(&rescheduled("new", "old", at(5, 9)));
    assert_eq!(
        store.status("old"),
        S::Superseded,
        "placeholder for the old booking"
    );
    assert_eq!(store.get("new").booked_at(), at(5, 9));
    let t = store.apply(&event(EventKind::Booked, "old", at(2, 9)));
    assert_eq!(t.outcome, Outcome::Updated);
    assert_eq!(store.status("old"), S::Superseded);
    assert_eq!(
        store.get("new").booked_at(),
        at(2, 9),
        "bookedAt flowed down the chain"
    );
    assert_eq!(
        store.total(),
        DayCounts {
            booked: 1,
            rescheduled: 1,
            unmatched: 1,
            ..DayCounts::default()
        }
    );
}

#[test]
fn calendly_reschedule_pair_converges_in_either_order() {
    let calendly = |mut e: BookingEvent| {
        e.provider = Provider::Calendly;
        e
    };
    let created = calendly(BookingEvent {
        booked_at: Some(at(9, 21)),
        ..rescheduled("new", "old", at(9, 22))
    });
    let cancel_half = calendly(BookingEvent {
        successor: Some(BookingKey::parse("new").unwrap()),
        booked_at: Some(at(3, 11)),
        ..event(EventKind::RescheduledAway, "old", at(9, 22))
    });
    let original = calendly(event(EventKind::Booked, "old", at(3, 11)));

    let mut finals = Vec::new();
    for order in [
        [&original, &created, &cancel_half],
        [&original, &cancel_half, &created],
        [&cancel_half, &created, &original],
        [&created, &cancel_half, &original],
    ] {
        let mut store = Store::default();
        for e in order {
            store.apply(e);
        }
        assert_eq!(store.status("old"), S::Superseded);
        assert_eq!(store.status("new"), S::Rescheduled);
        assert_eq!(store.get("new").booked_at(), at(3, 11));
        let total = store.total();
        assert_eq!(
            total.cancelled, 0,
            "the cancel half of a reschedule is no cancellation"
        );
        assert_eq!((total.booked, total.rescheduled), (1, 1));
        finals.push(store.appointments);
    }
    for other in &finals[1..] {
        for (key, appointment) in &finals[0] {
            assert!(
                appointment.same_state_as(&other[key]),
                "{key} differs by order"
            );
        }
    }
}

#[test]
fn a_lone_calendly_cancel_half_is_superseded_not_cancelled() {
    let mut store = Store::default();
    let mut e = event(EventKind::RescheduledAway, "old", at(9, 22));
    e.provider = Provider::Calendly;
    store.apply(&e);
    assert_eq!(store.status("old"), S::Superseded);
    assert_eq!(store.total(), DayCounts::default());
}

#[test]
fn bookedat_flows_down_a_three_link_chain() {
    let mut store = Store::default();
    store.apply(&rescheduled("c", "b", at(7, 9)));
    store.apply(&rescheduled("b", "a", at(5, 9)));
    assert_eq!(store.get("c").booked_at(), at(5, 9));
    store.apply(&event(EventKind::Booked, "a", at(2, 9)));
    assert_eq!(store.get("c").booked_at(), at(2, 9));
    assert_eq!(store.status("a"), S::Superseded);
    assert_eq!(store.status("b"), S::Superseded);
    assert_eq!(store.status("c"), S::Rescheduled);
    assert_eq!(store.total().booked, 1);
}

#[test]
fn no_show_set_then_unset_returns_to_completed() {
    let mut store = Store::default();
    store.apply(&event(EventKind::Booked, "a", at(2, 9)));
    store.apply(&event(EventKind::Completed, "a", at(20, 15)));
    assert_eq!(store.status("a"), S::Completed);
    store.apply(&event(EventKind::NoShowMarked, "a", at(20, 16)));
    assert_eq!(store.status("a"), S::NoShow);
    assert_eq!(store.total().no_shows, 1);
    store.apply(&event(EventKind::NoShowCleared, "a", at(20, 17)));
    assert_eq!(store.status("a"), S::Completed);
    let total = store.total();
    assert_eq!((total.no_shows, total.completed, total.booked), (0, 1, 1));
}

#[test]
fn a_late_no_show_unmark_older_than_the_mark_is_ignored() {
    let mut store = Store::default();
    store.apply(&event(EventKind::Booked, "a", at(2, 9)));
    store.apply(&event(EventKind::NoShowMarked, "a", at(20, 17)));
    store.apply(&event(EventKind::NoShowCleared, "a", at(20, 16)));
    assert_eq!(store.status("a"), S::NoShow);
}

#[test]
fn a_request_then_confirmation_moves_pending_to_booked() {
    let mut store = Store::default();
    store.apply(&event(EventKind::Requested, "a", at(2, 9)));
    assert_eq!(
        store.total(),
        DayCounts {
            pending: 1,
            ..DayCounts::default()
        }
    );
    store.apply(&event(EventKind::Booked, "a", at(2, 12)));
    assert_eq!(store.status("a"), S::Booked);
    assert_eq!(
        store.get("a").booked_at(),
        at(2, 9),
        "booked when first requested"
    );
    assert_eq!(store.total(), counts(1));
}

#[test]
fn a_rejected_request_is_not_booked() {
    let mut store = Store::default();
    store.apply(&event(EventKind::Requested, "a", at(2, 9)));
    store.apply(&event(EventKind::Rejected, "a", at(2, 12)));
    assert_eq!(store.status("a"), S::Rejected);
    assert_eq!(
        store.total(),
        DayCounts {
            rejected: 1,
            ..DayCounts::default()
        }
    );
}

#[test]
fn equal_times_resolve_to_the_more_final_status() {
    for order in [
        [EventKind::Booked, EventKind::Cancelled],
        [EventKind::Cancelled, EventKind::Booked],
    ] {
        let mut store = Store::default();
        for kind in order {
            store.apply(&event(kind, "a", at(2, 9)));
        }
        assert_eq!(store.status("a"), S::Cancelled);
    }
}

#[test]
fn the_matched_lead_is_kept_and_inherited_by_the_reschedule() {
    let mut store = Store::default();
    let lead = LeadId::parse("ld_priya").unwrap();
    store.apply_with(
        &event(EventKind::Booked, "old", at(2, 9)),
        Some(lead.clone()),
    );
    assert_eq!(
        store.total(),
        DayCounts {
            booked: 1,
            ..DayCounts::default()
        }
    );
    store.apply(&rescheduled("new", "old", at(5, 9)));
    assert_eq!(store.get("new").lead_id(), Some(&lead));
    assert_eq!(store.total().unmatched, 0);
    let other = LeadId::parse("ld_other").unwrap();
    store.apply_with(&event(EventKind::Cancelled, "new", at(6, 9)), Some(other));
    assert_eq!(
        store.get("new").lead_id(),
        Some(&lead),
        "a lead, once matched, stays"
    );
}

#[test]
fn self_links_are_ignored() {
    let mut store = Store::default();
    let e = rescheduled("a", "a", at(5, 9));
    let t = store.apply(&e);
    assert_eq!(t.writes.len(), 1);
    assert_eq!(store.get("a").predecessor(), None);
    assert_eq!(store.status("a"), S::Booked);
}

#[test]
fn a_cycle_of_links_terminates() {
    let mut store = Store::default();
    store.apply(&rescheduled("b", "a", at(5, 9)));
    store.apply(&rescheduled("a", "b", at(6, 9)));
    store.apply(&event(EventKind::Cancelled, "a", at(7, 9)));
    assert!(store.appointments.len() == 2);
}
