//! Pre-aggregated per-day counters.
//!
//! Every appointment contributes to exactly one day, the local date of its chain's `bookedAt`
//! in the account's time zone, according to its own state (see [`contribution`]). A write's delta is
//! `contribution(after) - contribution(before)`, so the stored counters always equal a recount
//! from the appointments, whatever order events arrived in.

use std::collections::BTreeMap;
use std::ops::{AddAssign, Neg};

use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::appointment::Appointment;
use super::segments::Segment;
use crate::domain::AppointmentStatus;

/// The counts of one day. Chains are counted once, by their tip (the appointment not superseded).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DayCounts {
    /// Chains booked and not called off: live, completed or no-show.
    pub booked: i64,
    pub cancelled: i64,
    pub rejected: i64,
    /// Chains rescheduled at least once, whatever became of them.
    pub rescheduled: i64,
    pub no_shows: i64,
    pub completed: i64,
    pub pending: i64,
    /// Booked chains with no lead.
    pub unmatched: i64,
    /// Leads with a booked chain on this day, by the gap in days to the lead's previous such
    /// day (0: the lead's first). See [`crate::leads::distinct_leads`].
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub lead_gaps: BTreeMap<u16, i64>,
    /// The same counts per campaign and per source: every chain counted above is counted in
    /// exactly one segment of each dimension. Segments hold no segments.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub segments: BTreeMap<Segment, DayCounts>,
}

/// The name under which a lead-gap counter is stored.
const LEAD_GAP_PREFIX: &str = "leads:";

impl DayCounts {
    pub fn is_zero(&self) -> bool {
        self.fixed().iter().all(|(_, v)| *v == 0)
            && self.lead_gaps.values().all(|v| *v == 0)
            && self.segments.values().all(DayCounts::is_zero)
    }

    /// The day's own counts, without the segments.
    pub fn overall(&self) -> DayCounts {
        DayCounts {
            segments: BTreeMap::new(),
            ..self.clone()
        }
    }

    fn fixed(&self) -> [(&'static str, i64); 8] {
        [
            ("booked", self.booked),
            ("cancelled", self.cancelled),
            ("rejected", self.rejected),
            ("rescheduled", self.rescheduled),
            ("noShows", self.no_shows),
            ("completed", self.completed),
            ("pending", self.pending),
            ("unmatched", self.unmatched),
        ]
    }

    /// Every non-zero counter with its stored name, for stores that keep one value per counter.
    pub fn fields(&self) -> Vec<(String, i64)> {
        let mut out = self.own_fields();
        for (segment, counts) in &self.segments {
            out.extend(
                counts
                    .own_fields()
                    .into_iter()
                    .map(|(name, value)| (segment.counter_name(&name), value)),
            );
        }
        out
    }

    fn own_fields(&self) -> Vec<(String, i64)> {
        let fixed = self
            .fixed()
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value));
        let gaps = self
            .lead_gaps
            .iter()
            .map(|(gap, value)| (format!("{LEAD_GAP_PREFIX}{gap}"), *value));
        fixed.chain(gaps).filter(|(_, value)| *value != 0).collect()
    }

    /// Sets the counter stored under `name` (see [`DayCounts::fields`]). Unknown names, written
    /// by a newer build, are ignored.
    pub fn set(&mut self, name: &str, value: i64) {
        if let Some((segment, counter)) = Segment::parse_counter_name(name) {
            self.segments
                .entry(segment)
                .or_default()
                .set(counter, value);
            return;
        }
        self.set_own(name, value);
    }

    fn set_own(&mut self, name: &str, value: i64) {
        if let Some(gap) = name
            .strip_prefix(LEAD_GAP_PREFIX)
            .and_then(|g| g.parse().ok())
        {
            self.lead_gaps.insert(gap, value);
            return;
        }
        let field = match name {
            "booked" => &mut self.booked,
            "cancelled" => &mut self.cancelled,
            "rejected" => &mut self.rejected,
            "rescheduled" => &mut self.rescheduled,
            "noShows" => &mut self.no_shows,
            "completed" => &mut self.completed,
            "pending" => &mut self.pending,
            "unmatched" => &mut self.unmatched,
            _ => return,
        };
        *field = value;
    }
}

impl AddAssign<&DayCounts> for DayCounts {
    fn add_assign(&mut self, rhs: &DayCounts) {
        self.booked += rhs.booked;
        self.cancelled += rhs.cancelled;
        self.rejected += rhs.rejected;
        self.rescheduled += rhs.rescheduled;
        self.no_shows += rhs.no_shows;
        self.completed += rhs.completed;
        self.pending += rhs.pending;
        self.unmatched += rhs.unmatched;
        for (gap, value) in &rhs.lead_gaps {
            let entry = self.lead_gaps.entry(*gap).or_default();
            *entry += value;
            if *entry == 0 {
                self.lead_gaps.remove(gap);
            }
        }
        for (segment, counts) in &rhs.segments {
            let entry = self.segments.entry(segment.clone()).or_default();
            *entry += counts;
            if entry.is_zero() {
                self.segments.remove(segment);
            }
        }
    }
}

impl AddAssign for DayCounts {
    fn add_assign(&mut self, rhs: DayCounts) {
        *self += &rhs;
    }
}

impl Neg for DayCounts {
    type Output = Self;

    fn neg(self) -> Self {
        Self {
            booked: -self.booked,
            cancelled: -self.cancelled,
            rejected: -self.rejected,
            rescheduled: -self.rescheduled,
            no_shows: -self.no_shows,
            completed: -self.completed,
            pending: -self.pending,
            unmatched: -self.unmatched,
            lead_gaps: self.lead_gaps.into_iter().map(|(g, v)| (g, -v)).collect(),
            segments: self.segments.into_iter().map(|(s, c)| (s, -c)).collect(),
        }
    }
}

/// What one appointment adds to the counters: its day and counts, or `None` when it does not
/// speak for a chain (superseded).
pub fn contribution(appointment: &Appointment, time_zone: Tz) -> Option<(NaiveDate, DayCounts)> {
    if !appointment.is_chain_tip() {
        return None;
    }
    let status = appointment.status();
    let booked = status.counts_as_booked();
    let one = |yes: bool| i64::from(yes);
    let mut counts = DayCounts {
        booked: one(booked),
        cancelled: one(status == AppointmentStatus::Cancelled),
        rejected: one(status == AppointmentStatus::Rejected),
        rescheduled: one(appointment.predecessor().is_some()),
        no_shows: one(status == AppointmentStatus::NoShow),
        completed: one(status == AppointmentStatus::Completed),
        pending: one(status == AppointmentStatus::Pending),
        unmatched: one(booked && appointment.lead_id().is_none()),
        lead_gaps: BTreeMap::new(),
        segments: BTreeMap::new(),
    };
    counts.segments = Segment::of(appointment.attribution())
        .into_iter()
        .map(|segment| (segment, counts.clone()))
        .collect();
    let day = appointment
        .booked_at()
        .with_timezone(&time_zone)
        .date_naive();
    Some((day, counts))
}

/// Counter changes per day; days whose change nets to zero are left out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CounterDelta(BTreeMap<NaiveDate, DayCounts>);

impl CounterDelta {
    /// Adds the change from `before` to `after` of one appointment.
    pub fn record_change(
        &mut self,
        before: Option<&Appointment>,
        after: &Appointment,
        time_zone: Tz,
    ) {
        if let Some((day, counts)) = before.and_then(|b| contribution(b, time_zone)) {
            self.add(day, -counts);
        }
        if let Some((day, counts)) = contribution(after, time_zone) {
            self.add(day, counts);
        }
    }

    pub fn add(&mut self, day: NaiveDate, counts: DayCounts) {
        let entry = self.0.entry(day).or_default();
        *entry += counts;
        if entry.is_zero() {
            self.0.remove(&day);
        }
    }

    /// Merges another delta into this one.
    pub fn absorb(&mut self, other: &CounterDelta) {
        for (day, counts) in &other.0 {
            self.add(*day, counts.clone());
        }
    }

    /// Subtracts another delta from this one.
    pub fn subtract(&mut self, other: &CounterDelta) {
        for (day, counts) in &other.0 {
            self.add(*day, -counts.clone());
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn days(&self) -> impl Iterator<Item = (NaiveDate, &DayCounts)> + '_ {
        self.0.iter().map(|(day, counts)| (*day, counts))
    }

    /// The days and their counts, owned.
    pub fn into_days(self) -> Vec<(NaiveDate, DayCounts)> {
        self.0.into_iter().collect()
    }

    /// The counters a set of appointments adds up to: what `recount` rebuilds.
    pub fn recount<'a>(
        appointments: impl IntoIterator<Item = &'a Appointment>,
        time_zone: Tz,
    ) -> Self {
        let mut total = Self::default();
        for appointment in appointments {
            total.record_change(None, appointment, time_zone);
        }
        total
    }
}
