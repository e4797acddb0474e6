//! Registers that merge the same way whatever order values arrive in.
//!
//! Every fact the state machine keeps about a booking is one of these, so applying a booking's
//! events in any order, each any number of times, ends in the same state.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A value with the occurrence time of the event that set it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Stamped<T> {
    pub(crate) value: T,
    pub(crate) at: DateTime<Utc>,
}

/// Last-writer-wins: keeps the value of the latest event. An older event only fills the slot
/// while it is empty. Equal times keep the greater value, so ties resolve the same in any order.
pub(crate) fn last_writer_wins<T: Ord + Clone>(
    slot: &mut Option<Stamped<T>>,
    value: Option<&T>,
    at: DateTime<Utc>,
) {
    let Some(value) = value else { return };
    let newer = match slot {
        None => true,
        Some(current) => (at, value) > (current.at, &current.value),
    };
    if newer {
        *slot = Some(Stamped {
            value: value.clone(),
            at,
        });
    }
}

/// Keeps the earliest time seen.
pub(crate) fn earliest(slot: &mut Option<DateTime<Utc>>, at: DateTime<Utc>) {
    if slot.is_none_or(|current| at < current) {
        *slot = Some(at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(sec: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000 + sec, 0).unwrap()
    }

    #[test]
    fn newer_overwrites_and_older_only_fills() {
        let mut slot = None;
        last_writer_wins(&mut slot, Some(&"old"), t(1));
        last_writer_wins(&mut slot, Some(&"new"), t(2));
        last_writer_wins(&mut slot, Some(&"older"), t(0));
        last_writer_wins(&mut slot, None, t(9));
        assert_eq!(slot.unwrap().value, "new");
    }

    #[test]
    fn equal_times_resolve_the_same_in_either_order() {
        let (mut a, mut b) = (None, None);
        last_writer_wins(&mut a, Some(&1), t(5));
        last_writer_wins(&mut a, Some(&2), t(5));
        last_writer_wins(&mut b, Some(&2), t(5));
        last_writer_wins(&mut b, Some(&1), t(5));
        assert_eq!(a, b);
    }

    #[test]
    fn earliest_keeps_the_minimum() {
        let mut slot = None;
        earliest(&mut slot, t(5));
        earliest(&mut slot, t(3));
        earliest(&mut slot, t(4));
        assert_eq!(slot, Some(t(3)));
    }
}
