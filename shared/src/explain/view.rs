//! One appointment as the dashboard counts it: the KPIs it adds to, on which local day, and
//! whether that day is inside the dashboard's ranges today.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::accounts::Account;
use crate::booking::{Appointment, HistoryEntry, contribution};
use crate::domain::{AppointmentId, AppointmentStatus, LeadId, Provider};
use crate::matching::{LeadChoice, MatchMethod};
use crate::metrics::{RangeQuery, ResolvedRange};

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExplainedAppointment {
    pub appointment_id: AppointmentId,
    pub provider: Provider,
    pub booking_key: String,
    pub status: AppointmentStatus,
    pub scheduled_at: Option<DateTime<Utc>>,
    /// When the chain was first booked: the counters count it on this time's local day.
    pub booked_at: DateTime<Utc>,
    /// The local day of `bookedAt` in the account's time zone.
    pub counted_on: NaiveDate,
    /// The KPI names (as `GET /metrics` spells them) it adds to on `countedOn`; empty for an
    /// appointment a later one of its chain replaced (the chain counts once, by its last).
    pub counts: Vec<&'static str>,
    /// Whether `countedOn` is inside each dashboard range today.
    pub in_ranges: RangeFlags,
    /// Inside the range asked about, when one was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_range: Option<bool>,
    pub lead: ExplainedLead,
    pub attendee_name: Option<String>,
    pub event_type: Option<String>,
    /// The appointment it replaced and the one replacing it, in its chain.
    pub rescheduled_from: Option<AppointmentId>,
    pub rescheduled_to: Option<AppointmentId>,
    pub history: Vec<HistoryEntry>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExplainedLead {
    pub lead_id: Option<LeadId>,
    pub matched_by: MatchMethod,
    pub detail: String,
}

/// `countedOn` inside the last 7, 30 and 90 days (today included), as `range=7d|30d|90d` shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct RangeFlags {
    #[serde(rename = "7d")]
    pub last_7d: bool,
    #[serde(rename = "30d")]
    pub last_30d: bool,
    #[serde(rename = "90d")]
    pub last_90d: bool,
}

impl RangeFlags {
    pub fn of(day: NaiveDate, today: NaiveDate) -> Self {
        let within = |days: u32| {
            let range = RangeQuery::Last(days).resolve(today, None);
            range.from <= day && day <= range.to
        };
        Self {
            last_7d: within(7),
            last_30d: within(30),
            last_90d: within(90),
        }
    }

    /// The shortest dashboard range showing the day, if any.
    pub fn shortest(self) -> Option<&'static str> {
        [
            (self.last_7d, "7d"),
            (self.last_30d, "30d"),
            (self.last_90d, "90d"),
        ]
        .into_iter()
        .find_map(|(inside, label)| inside.then_some(label))
    }
}

pub(super) fn explain_one(
    appointment: &Appointment,
    account: &Account,
    today: NaiveDate,
    range: Option<&ResolvedRange>,
) -> ExplainedAppointment {
    let counted_on = appointment
        .booked_at()
        .with_timezone(&account.time_zone)
        .date_naive();
    let provider = appointment.provider();
    let other = |key: Option<&crate::domain::BookingKey>| {
        key.map(|k| AppointmentId::for_booking(provider, k))
    };
    let matched_by = appointment.matched_by();
    let detail = appointment.lead_choice().map_or_else(
        || match matched_by {
            MatchMethod::Inherited => LeadChoice::inherited().detail,
            _ => "no lead was looked for".to_owned(),
        },
        |c| c.detail.clone(),
    );
    ExplainedAppointment {
        appointment_id: appointment.id().clone(),
        provider,
        booking_key: appointment.key().to_string(),
        status: appointment.status(),
        scheduled_at: appointment.start(),
        booked_at: appointment.booked_at(),
        counted_on,
        counts: kpis(appointment, account),
        in_ranges: RangeFlags::of(counted_on, today),
        in_range: range.map(|r| r.from <= counted_on && counted_on <= r.to),
        lead: ExplainedLead {
            lead_id: appointment.lead_id().cloned(),
            matched_by,
            detail,
        },
        attendee_name: appointment.attendee().name,
        event_type: appointment.event_type().map(str::to_owned),
        rescheduled_from: other(appointment.predecessor()),
        rescheduled_to: other(appointment.successor()),
        history: appointment.history().to_vec(),
    }
}

/// The KPIs of `GET /metrics` the appointment's counters feed.
fn kpis(appointment: &Appointment, account: &Account) -> Vec<&'static str> {
    let Some((_, counts)) = contribution(appointment, account.time_zone) else {
        return Vec::new();
    };
    [
        (counts.booked, "appointmentsBooked"),
        (counts.cancelled, "appointmentsCancelled"),
        (counts.rescheduled, "appointmentsRescheduled"),
        (counts.no_shows, "noShows"),
        (counts.completed, "completed"),
        (counts.pending, "pending"),
        (
            i64::from(counts.booked > 0 && appointment.lead_id().is_some()),
            "leadsBooked",
        ),
        (counts.unmatched, "unmatchedBookings"),
    ]
    .into_iter()
    .filter_map(|(count, name)| (count > 0).then_some(name))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn range_flags_count_today_as_the_last_day_of_each_range() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap_or_default();
        let ago = |days: i64| RangeFlags::of(today - Duration::days(days), today);
        assert_eq!(ago(0).shortest(), Some("7d"));
        assert_eq!(ago(6).shortest(), Some("7d"));
        assert_eq!(ago(7).shortest(), Some("30d"));
        assert_eq!(ago(29).shortest(), Some("30d"));
        assert_eq!(ago(30).shortest(), Some("90d"));
        assert_eq!(ago(89).shortest(), Some("90d"));
        assert_eq!(ago(90).shortest(), None);
        assert_eq!(ago(-1).shortest(), None, "a future day is in no range yet");
    }
}
