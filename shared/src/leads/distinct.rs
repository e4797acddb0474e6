//! Counting distinct leads over any date range from per-day counters.
//!
//! Each lead contributes, on every distinct local day it has a booked chain, one count under the
//! gap in days to its previous such day (0 for its first). A lead has a booking in `[from, to]`
//! exactly when one of its days `d` in the range has gap 0 or gap > `d - from` (its previous
//! booked day falls before `from`). So the distinct count over a range comes from the range's day
//! counters alone, whatever the number of appointments.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use chrono_tz::Tz;

use super::Lead;
use crate::booking::{CounterDelta, DayCounts, Segment};

/// Gaps at or above this many days are stored as this many. Custom ranges span at most three
/// years, so a capped gap still exceeds every `d - from` it is compared with; `all` ranges only
/// count first days (gap 0), which are never capped.
pub const GAP_CAP: u16 = 1100;

/// What a lead adds to the counters: its gaps overall, and per campaign and source (a lead is
/// counted in a campaign on the days it has a booked chain credited to it).
pub fn lead_contribution(lead: &Lead, time_zone: Tz) -> CounterDelta {
    let mut days: BTreeMap<Option<Segment>, BTreeSet<NaiveDate>> = BTreeMap::new();
    for booking in lead
        .bookings
        .values()
        .filter(|b| b.status.counts_as_booked())
    {
        let day = booking.booked_at.with_timezone(&time_zone).date_naive();
        days.entry(None).or_default().insert(day);
        for segment in Segment::of(&booking.attribution) {
            days.entry(Some(segment)).or_default().insert(day);
        }
    }
    let mut delta = CounterDelta::default();
    for (segment, days) in days {
        for (day, gap) in gaps(&days) {
            let gaps = DayCounts {
                lead_gaps: BTreeMap::from([(gap, 1)]),
                ..DayCounts::default()
            };
            let counts = match &segment {
                None => gaps,
                Some(segment) => DayCounts {
                    segments: BTreeMap::from([(segment.clone(), gaps)]),
                    ..DayCounts::default()
                },
            };
            delta.add(day, counts);
        }
    }
    delta
}

/// Each day with the gap in days to the previous one (0 for the first), capped.
fn gaps(days: &BTreeSet<NaiveDate>) -> impl Iterator<Item = (NaiveDate, u16)> + '_ {
    let mut previous: Option<NaiveDate> = None;
    days.iter().map(move |day| {
        let gap = previous.map_or(0, |p| {
            u16::try_from((*day - p).num_days().clamp(1, i64::from(GAP_CAP))).unwrap_or(GAP_CAP)
        });
        previous = Some(*day);
        (*day, gap)
    })
}

/// The counter change of a lead going from `before` (`None` if new) to `after`.
pub fn lead_change(before: Option<&Lead>, after: &Lead, time_zone: Tz) -> CounterDelta {
    let mut delta = lead_contribution(after, time_zone);
    if let Some(before) = before {
        delta.subtract(&lead_contribution(before, time_zone));
    }
    delta
}

/// Distinct leads with a booked chain on days from `from` on, given the counters of those days.
pub fn distinct_leads<'a>(
    days: impl IntoIterator<Item = (NaiveDate, &'a DayCounts)>,
    from: NaiveDate,
) -> i64 {
    days.into_iter()
        .filter(|(day, _)| *day >= from)
        .flat_map(|(day, counts)| {
            let since_start = (day - from).num_days();
            counts
                .lead_gaps
                .iter()
                .filter(move |(gap, _)| **gap == 0 || i64::from(**gap) > since_start)
                .map(|(_, count)| *count)
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AppointmentId, AppointmentStatus, BookingKey, LeadId, Provider};
    use crate::leads::{LeadBooking, LeadSource};
    use chrono::{TimeZone, Utc};

    const TZ: Tz = chrono_tz::Europe::London;

    fn lead(days: &[(u32, AppointmentStatus)]) -> Lead {
        let mut lead = Lead::new(LeadId::generate(), LeadSource::Import, Utc::now());
        for (i, (day, status)) in days.iter().enumerate() {
            let key = BookingKey::parse(&format!("b{i}")).unwrap();
            lead.bookings.insert(
                AppointmentId::for_booking(Provider::Calcom, &key),
                LeadBooking {
                    provider: Provider::Calcom,
                    status: *status,
                    start: None,
                    booked_at: Utc.with_ymd_and_hms(2026, 3, *day, 12, 0, 0).unwrap(),
                    attribution: Default::default(),
                },
            );
        }
        lead
    }

    fn count(leads: &[Lead], from: u32, to: u32) -> i64 {
        let mut total = CounterDelta::default();
        for l in leads {
            total.absorb(&lead_contribution(l, TZ));
        }
        let day = |d| NaiveDate::from_ymd_opt(2026, 3, d).unwrap();
        distinct_leads(total.days().filter(|(d, _)| *d <= day(to)), day(from))
    }

    /// Brute force: leads with a booked day in the range.
    fn brute(leads: &[Lead], from: u32, to: u32) -> i64 {
        leads
            .iter()
            .filter(|l| {
                l.bookings.values().any(|b| {
                    let d = b.booked_at.with_timezone(&TZ).day0() + 1;
                    b.status.counts_as_booked() && (from..=to).contains(&d)
                })
            })
            .count() as i64
    }

    use chrono::Datelike;

    #[test]
    fn a_lead_booking_on_two_days_in_range_counts_once() {
        use AppointmentStatus::*;
        let leads = [
            lead(&[(2, Booked), (9, Completed)]),
            lead(&[(5, Booked)]),
            lead(&[(1, NoShow), (20, Booked), (21, Rescheduled)]),
            lead(&[(3, Cancelled), (4, Pending)]),
        ];
        for (from, to) in [
            (1, 31),
            (2, 9),
            (3, 8),
            (6, 10),
            (10, 19),
            (10, 21),
            (21, 21),
            (1, 1),
        ] {
            assert_eq!(
                count(&leads, from, to),
                brute(&leads, from, to),
                "{from}..={to}"
            );
        }
    }

    #[test]
    fn cancelling_moves_the_counts() {
        use AppointmentStatus::*;
        let before = lead(&[(2, Booked), (9, Booked)]);
        let mut after = before.clone();
        let first = after.bookings.keys().next().unwrap().clone();
        after.bookings.get_mut(&first).unwrap().status = Cancelled;
        let mut stored = lead_contribution(&before, TZ);
        stored.absorb(&lead_change(Some(&before), &after, TZ));
        assert_eq!(stored, lead_contribution(&after, TZ));
        let day = |d| NaiveDate::from_ymd_opt(2026, 3, d).unwrap();
        assert_eq!(distinct_leads(stored.days(), day(1)), 1);
    }
}
