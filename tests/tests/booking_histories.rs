//! Property: for generated booking histories, applying the events in any order, each delivered
//! one to three times, gives the same final appointments and the same counter totals as applying
//! them once in time order, and those totals equal a recount from the final states.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use chrono_tz::Tz;
use integration_tests::histories::{chain_strategy, deliveries, expected_tip_status, history, key};
use proptest::prelude::*;
use shared::booking::{
    ApplyContext, Appointment, CounterDelta, DayCounts, Dimension, NeighbourhoodLoader, apply,
};
use shared::domain::{AppointmentStatus, BookingEvent, BookingKey};

const TZ: Tz = chrono_tz::America::New_York;

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
            lead_choice: None,
            lead_attribution: Default::default(),
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

        // Campaigns: each tip is credited to its chain's, and the segments add up.
        for (i, chain) in chains.iter().enumerate() {
            let tip = &shuffled.appointments[&key(i, chain.reschedules)];
            prop_assert_eq!(tip.attribution(), &chain.expected_attribution(), "chain {} {:?}", i, chain);
        }
        for dimension in Dimension::ALL {
            let mut summed = DayCounts::default();
            for (segment, counts) in &totals.segments {
                if segment.dimension == dimension {
                    summed += counts;
                }
            }
            prop_assert_eq!(&summed, &totals.overall(), "the {} segments add up", dimension);
        }
        let booked_in = |campaign: Option<String>| {
            chains.iter().filter(|c| c.expected_attribution().campaign == campaign && expected_tip_status(c).counts_as_booked()).count() as i64
        };
        for (segment, counts) in &totals.segments {
            if segment.dimension == Dimension::Campaign {
                prop_assert_eq!(counts.booked, booked_in(segment.key.clone()), "{:?}", segment);
            }
        }
    }
}
