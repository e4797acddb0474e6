//! The metrics response (SPEC §3), built from per-day counters only.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::range::ResolvedRange;
use crate::accounts::Account;
use crate::booking::{Appointment, DayCounts, Dimension};
use crate::domain::Provider;
use crate::leads::distinct_leads;
use crate::store::SyncState;

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricsReport {
    pub account_id: String,
    pub range: RangeView,
    pub kpis: Kpis,
    pub series: Vec<SeriesDay>,
    pub upcoming: Vec<Upcoming>,
    pub last_sync: Option<LastSync>,
    /// The KPIs per campaign or source, when asked for (`?by=`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breakdown: Option<Vec<BreakdownEntry>>,
}

/// The KPIs of the bookings credited to one campaign or source (`key: null`: to none).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BreakdownEntry {
    pub key: Option<String>,
    pub kpis: Kpis,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RangeView {
    pub label: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub timezone: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Kpis {
    /// Chains booked in the range and not cancelled or rejected (live, completed or no-show).
    pub appointments_booked: i64,
    pub appointments_cancelled: i64,
    /// Chains rescheduled at least once.
    pub appointments_rescheduled: i64,
    pub no_shows: i64,
    pub completed: i64,
    pub pending: i64,
    /// completed / (completed + noShows); `null` when both are 0.
    pub show_rate: Option<f64>,
    /// Distinct leads with a booking.
    pub leads_booked: i64,
    /// Booked chains with no lead.
    pub unmatched_bookings: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SeriesDay {
    pub date: NaiveDate,
    pub booked: i64,
    pub cancelled: i64,
    pub rescheduled: i64,
    pub no_shows: i64,
    pub completed: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Upcoming {
    pub appointment_id: String,
    pub provider: Provider,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub attendee_name: Option<String>,
    pub event_type: Option<String>,
    pub lead_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LastSync {
    pub at: DateTime<Utc>,
    pub ok: bool,
}

/// Rounds a rate to 4 decimal places, so dashboards get 0.6667, not 0.6666666666666666.
fn rate(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 / whole as f64 * 10_000.0).round() / 10_000.0)
}

pub fn build(
    account: &Account,
    range: &ResolvedRange,
    days: &[(NaiveDate, DayCounts)],
    upcoming: &[Appointment],
    sync: &SyncState,
    by: Option<Dimension>,
) -> MetricsReport {
    let in_range: Vec<(NaiveDate, &DayCounts)> = days
        .iter()
        .filter(|(d, _)| *d >= range.from && *d <= range.to)
        .map(|(d, c)| (*d, c))
        .collect();
    let kpis = kpis(&in_range, range.from);
    let breakdown = by.map(|dimension| breakdown(&in_range, range.from, dimension));
    let mut by_day = in_range.iter().peekable();
    let series = range
        .days()
        .map(|date| {
            let zero = DayCounts::default();
            let counts = match by_day.peek() {
                Some((d, c)) if *d == date => {
                    by_day.next();
                    *c
                }
                _ => &zero,
            };
            SeriesDay {
                date,
                booked: counts.booked,
                cancelled: counts.cancelled,
                rescheduled: counts.rescheduled,
                no_shows: counts.no_shows,
                completed: counts.completed,
            }
        })
        .collect();
    MetricsReport {
        account_id: account.id.to_string(),
        range: RangeView {
            label: range.label.clone(),
            from: range.from,
            to: range.to,
            timezone: account.time_zone.name().to_owned(),
        },
        kpis,
        series,
        upcoming: upcoming
            .iter()
            .map(|a| Upcoming {
                appointment_id: a.id().to_string(),
                provider: a.provider(),
                scheduled_at: a.start(),
                attendee_name: a.attendee().name,
                event_type: a.event_type().map(str::to_owned),
                lead_id: a.lead_id().map(ToString::to_string),
            })
            .collect(),
        last_sync: sync
            .last_run
            .as_ref()
            .map(|r| LastSync { at: r.at, ok: r.ok }),
        breakdown,
    }
}

/// The KPIs of a range's days (each with the day's counts, or one segment's).
fn kpis(days: &[(NaiveDate, &DayCounts)], from: NaiveDate) -> Kpis {
    let mut total = DayCounts::default();
    for (_, counts) in days {
        total += &counts.overall();
    }
    Kpis {
        appointments_booked: total.booked,
        appointments_cancelled: total.cancelled,
        appointments_rescheduled: total.rescheduled,
        no_shows: total.no_shows,
        completed: total.completed,
        pending: total.pending,
        show_rate: rate(total.completed, total.completed + total.no_shows),
        leads_booked: distinct_leads(days.iter().copied(), from),
        unmatched_bookings: total.unmatched,
    }
}

/// One entry per key of `dimension` with counts in the range, the most booked first. Every
/// count but `leadsBooked` sums to the top-level KPI; a lead who booked through two campaigns
/// is a booked lead of each.
fn breakdown(
    days: &[(NaiveDate, &DayCounts)],
    from: NaiveDate,
    dimension: Dimension,
) -> Vec<BreakdownEntry> {
    let mut by_key: BTreeMap<&Option<String>, Vec<(NaiveDate, &DayCounts)>> = BTreeMap::new();
    for (day, counts) in days {
        for (segment, counts) in &counts.segments {
            if segment.dimension == dimension {
                by_key.entry(&segment.key).or_default().push((*day, counts));
            }
        }
    }
    let mut entries: Vec<BreakdownEntry> = by_key
        .into_iter()
        .map(|(key, days)| BreakdownEntry {
            key: key.clone(),
            kpis: kpis(&days, from),
        })
        .filter(|entry| entry.kpis != kpis(&[], from))
        .collect();
    entries.sort_by(|a, b| {
        (b.kpis.appointments_booked, &a.key).cmp(&(a.kpis.appointments_booked, &b.key))
    });
    entries
}
