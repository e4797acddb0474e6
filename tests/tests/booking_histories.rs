//! Property: for generated booking histories, applying the events in any order, each delivered
//! one to three times, gives the same final appointments and the same counter totals as applying
//! them once in time order, and those totals equal a recount from the final states.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;
use shared::booking::{
    ApplyContext, Appointment, CounterDelta, DayCounts, NeighbourhoodLoader, apply,
};
use shared::domain::{
    AppointmentStatus, Attendee, BookingEvent, BookingKey, Email, EventKind, Provider,
};

const TZ: Tz = chrono_tz::America::New_York;

#[derive(Clone, Copy, Debug)]
enum Fate {
    Live,
    Cancelled,
    Rejected,
    Completed,
    NoShow,
    NoShowThenCleared,
}

#[derive(Clone, Debug)]
struct Chain {
    calendly: bool,
    requested_first: bool,
    reschedules: usize,
    fate: Fate,
}

fn chain_strategy() -> impl Strategy<Value = Chain> {
    (
        any::<bool>(),
        any::<bool>(),
        0usize..=3,
        prop_oneof![
            Just(Fate::Live),
            Just(Fate::Cancelled),
            Just(Fate::Rejected),
            Just(Fate::Completed),
            Just(Fate::NoShow),
            Just(Fate::NoShowThenCleared),
        ],
    )
        .prop_map(|(calendly, requested_first, reschedules, fate)| Chain {
            calendly,
            // Calendly has no pending bookings.
            requested_first: requested_first && !calendly,
            reschedules,
            fate,
        })
}

fn key(chain: usize, booking: usize) -> BookingKey {
    BookingKey::parse(&format!("c{chain}-b{booking}")).unwrap()
}

/// The events a chain's history produces, in the order they happened.
fn history(index: usize, chain: &Chain) -> Vec<BookingEvent> {
    let provider = if chain.calendly {
        Provider::Calendly
    } else {
        Provider::Calcom
    };
    let base =
        Utc.with_ymd_and_hms(2026, 3, 1, 3, 0, 0).unwrap() + Duration::hours(7 * index as i64);
    let event = |kind: EventKind, booking: usize, at: DateTime<Utc>| BookingEvent {
        provider,
        kind,
        key: key(index, booking),
        predecessor: None,
        successor: None,
        start: Some(base + Duration::days(20) + Duration::hours(booking as i64)),
        end: Some(
            base + Duration::days(20) + Duration::hours(booking as i64) + Duration::minutes(30),
        ),
        attendee: Attendee {
            name: Some(format!("Lead {index}")),
            email: Email::parse_optional(&format!("lead{index}@example.com")),
            phone: None,
        },
        event_type: Some("discovery-call".into()),
        occurred_at: at,
        booked_at: matches!(
            kind,
            EventKind::Booked | EventKind::Requested | EventKind::Rescheduled
        )
        .then_some(at),
        trigger: kind.as_str().into(),
    };

    let mut out = Vec::new();
    // Only a request never rescheduled can be rejected; otherwise a "rejected" fate cancels.
    let rejected =
        matches!(chain.fate, Fate::Rejected) && chain.requested_first && chain.reschedules == 0;
    if chain.requested_first {
        out.push(event(EventKind::Requested, 0, base));
        let answer = if rejected {
            EventKind::Rejected
        } else {
            EventKind::Booked
        };
        out.push(BookingEvent {
            booked_at: None,
            ..event(answer, 0, base + Duration::hours(1))
        });
    } else {
        out.push(event(EventKind::Booked, 0, base));
    }
    for i in 1..=chain.reschedules {
        let at = base + Duration::days(i as i64);
        out.push(BookingEvent {
            predecessor: Some(key(index, i - 1)),
            booked_at: Some(at - Duration::seconds(1)),
            ..event(EventKind::Rescheduled, i, at)
        });
        if chain.calendly {
            out.push(BookingEvent {
                successor: Some(key(index, i)),
                booked_at: Some(if i == 1 {
                    base
                } else {
                    base + Duration::days(i as i64 - 1) - Duration::seconds(1)
                }),
                ..event(EventKind::RescheduledAway, i - 1, at)
            });
        }
    }
    let last = chain.reschedules;
    let end = base + Duration::days(10);
    let fate_event = |kind, at| BookingEvent {
        // Calendly repeats the reschedule link in every later payload of the new invitee.
        predecessor: (chain.calendly && last > 0).then(|| key(index, last - 1)),
        booked_at: None,
        ..event(kind, last, at)
    };
    match chain.fate {
        Fate::Live => {}
        Fate::Rejected if rejected => {}
        Fate::Cancelled | Fate::Rejected => out.push(fate_event(EventKind::Cancelled, end)),
        Fate::Completed => out.push(fate_event(EventKind::Completed, end)),
        Fate::NoShow => {
            out.push(fate_event(EventKind::Completed, end));
            out.push(fate_event(
                EventKind::NoShowMarked,
                end + Duration::hours(1),
            ));
        }
        Fate::NoShowThenCleared => {
            out.push(fate_event(
                EventKind::NoShowMarked,
                end + Duration::hours(1),
            ));
            out.push(fate_event(
                EventKind::NoShowCleared,
                end + Duration::hours(2),
            ));
        }
    }
    out
}

#[derive(Default)]
struct Store {
    appointments: BTreeMap<BookingKey, Appointment>,
    counters: CounterDelta,
}

impl Store {
    fn deliver(&mut self, event: &BookingEvent) {
        let mut loader = NeighbourhoodLoader::new(event);
        while let Some(key) = loader.next_key() {
            loader.supply(self.appointments.get(&key).cloned());
        }
        let ctx = ApplyContext {
            time_zone: TZ,
            lead: None,
        };
        let transition = apply(event, loader.finish(), &ctx);
        for write in transition.writes {
            assert_eq!(
                self.appointments.get(write.after.key()),
                write.before.as_ref()
            );
            self.appointments
                .insert(write.after.key().clone(), write.after);
        }
        self.counters.absorb(&transition.counters);
    }

    fn totals(&self) -> DayCounts {
        let mut total = DayCounts::default();
        for (_, counts) in self.counters.days() {
            total += counts;
        }
        total
    }
}

fn expected_tip_status(chain: &Chain) -> AppointmentStatus {
    use AppointmentStatus as S;
    let moved = chain.reschedules > 0;
    let live = if moved { S::Rescheduled } else { S::Booked };
    match chain.fate {
        Fate::Live | Fate::NoShowThenCleared => live,
        Fate::Rejected if chain.requested_first && !moved => S::Rejected,
        Fate::Cancelled | Fate::Rejected => S::Cancelled,
        Fate::Completed => S::Completed,
        Fate::NoShow => S::NoShow,
    }
}

/// Shuffled deliveries: each event one to three times, in an order given by sort keys.
fn deliveries(events: &[BookingEvent], copies: &[u8], order: &[u32]) -> Vec<BookingEvent> {
    let mut out: Vec<(u32, BookingEvent)> = Vec::new();
    let mut sort_keys = order.iter().cycle();
    for (event, copies) in events.iter().zip(copies.iter().cycle()) {
        for _ in 0..(1 + copies % 3) {
            out.push((*sort_keys.next().unwrap_or(&0), event.clone()));
        }
    }
    out.sort_by_key(|(k, _)| *k);
    out.into_iter().map(|(_, e)| e).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_order_and_repetition_converges(
        chains in proptest::collection::vec(chain_strategy(), 1..5),
        copies in proptest::collection::vec(any::<u8>(), 1..64),
        order in proptest::collection::vec(any::<u32>(), 1..128),
    ) {
        let events: Vec<BookingEvent> = chains.iter().enumerate().flat_map(|(i, c)| history(i, c)).collect();

        let mut in_order = Store::default();
        let mut by_time = events.clone();
        by_time.sort_by_key(|e| e.occurred_at);
        for e in &by_time {
            in_order.deliver(e);
        }

        let mut shuffled = Store::default();
        for e in deliveries(&events, &copies, &order) {
            shuffled.deliver(&e);
        }

        prop_assert_eq!(in_order.appointments.len(), shuffled.appointments.len());
        for (key, a) in &in_order.appointments {
            let b = &shuffled.appointments[key];
            prop_assert!(a.same_state_as(b), "{} differs:\n{:?}\n{:?}", key, a, b);
        }
        prop_assert_eq!(&in_order.counters, &shuffled.counters);
        prop_assert_eq!(
            &shuffled.counters,
            &CounterDelta::recount(shuffled.appointments.values(), TZ),
            "counters equal a recount from the final states"
        );

        // And the final state is the right one.
        for (i, chain) in chains.iter().enumerate() {
            let tip = &shuffled.appointments[&key(i, chain.reschedules)];
            prop_assert_eq!(tip.status(), expected_tip_status(chain), "chain {} {:?}", i, chain);
            prop_assert_eq!(tip.booked_at(), in_order.appointments[&key(i, 0)].booked_at(), "bookedAt is the chain's first");
            for b in 0..chain.reschedules {
                prop_assert_eq!(shuffled.appointments[&key(i, b)].status(), AppointmentStatus::Superseded);
            }
        }
        let totals = shuffled.totals();
        let statuses: Vec<_> = chains.iter().map(expected_tip_status).collect();
        let count = |f: &dyn Fn(&AppointmentStatus) -> bool| statuses.iter().filter(|s| f(s)).count() as i64;
        prop_assert_eq!(totals.booked, count(&|s| s.counts_as_booked()));
        prop_assert_eq!(totals.cancelled, count(&|s| *s == AppointmentStatus::Cancelled));
        prop_assert_eq!(totals.no_shows, count(&|s| *s == AppointmentStatus::NoShow));
        prop_assert_eq!(totals.completed, count(&|s| *s == AppointmentStatus::Completed));
        prop_assert_eq!(totals.rescheduled, chains.iter().filter(|c| c.reschedules > 0).count() as i64);
    }
}
