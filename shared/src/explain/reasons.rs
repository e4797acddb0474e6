//! Why a booking does not count, or does not count where it was looked for: the likely causes,
//! ranked, from the account's own evidence — its delivery log (30 days), its sync state and its
//! settings. Nothing here reads another account.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::find::{Found, SCAN_LIMIT};
use super::view::ExplainedAppointment;
use crate::accounts::Account;
use crate::domain::{AppointmentStatus, Provider};
use crate::metrics::ResolvedRange;
use crate::store::{DELIVERY_RETENTION, Delivery, Store, StoreError, SyncRun};

/// The most deliveries read for evidence (the newest first).
const DELIVERIES_READ: usize = 2000;

/// A sync older than this is not running.
const SYNC_STALE_AFTER: Duration = Duration::hours(2);

/// A provider silent for this long, while it delivered before, is worth mentioning.
const SILENCE_WORTH_NOTING: Duration = Duration::days(2);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonCode {
    /// Deliveries were refused (bad signature, bad payload...): bookings in them were lost.
    RejectedDeliveries,
    /// No webhook delivery at all in the delivery log's 30 days.
    NoDeliveries,
    /// A provider that delivered before has been silent for days.
    NoRecentDelivery,
    /// The email or phone belongs to a lead that has no booking.
    LeadWithoutBooking,
    /// The last sync run failed.
    SyncFailing,
    /// The sync has not run for hours, or never ran.
    SyncNotRunning,
    /// No provider API credentials: nothing picks up what a webhook missed.
    SyncNotConfigured,
    /// Deliveries accepted but ignored (untracked triggers, other entities).
    IgnoredDeliveries,
    /// Webhooks arrive, so the booking likely carries other details than those asked about.
    OtherDetails,
    /// The listing searched stopped before the end.
    SearchTruncated,
    /// Only this account was searched.
    OtherAccount,
    /// Found: counted on a day outside the range asked about (or the dashboard's default 7d).
    OutsideRange,
    /// Found, but called off: counted as cancelled or rejected, not booked.
    CalledOff,
    /// Found, but waiting for the host's confirmation.
    Pending,
    /// Found and booked, but with no lead: counted in unmatchedBookings, not leadsBooked.
    Unmatched,
}

#[derive(Clone, Debug, Serialize)]
pub struct Reason {
    pub code: ReasonCode,
    pub detail: String,
    /// How strongly the evidence points at it; reasons are sorted by it.
    #[serde(skip)]
    weight: u8,
}

fn reason(code: ReasonCode, weight: u8, detail: String) -> Reason {
    Reason {
        code,
        detail,
        weight,
    }
}

/// What the account's records say about its deliveries and sync.
pub(super) struct Evidence {
    now: DateTime<Utc>,
    deliveries: Vec<Delivery>,
    last_sync: Option<SyncRun>,
}

impl Evidence {
    pub(super) async fn gather(
        store: &(impl Store + ?Sized),
        account: &Account,
        now: DateTime<Utc>,
    ) -> Result<Self, StoreError> {
        Ok(Self {
            now,
            deliveries: store
                .recent_deliveries(&account.id, now, DELIVERIES_READ)
                .await?,
            last_sync: store.sync_state(&account.id).await?.last_run,
        })
    }

    fn last_accepted(&self, provider: Provider) -> Option<DateTime<Utc>> {
        self.deliveries
            .iter()
            .filter(|d| d.provider == provider && d.error.is_none())
            .map(|d| d.received_at)
            .max()
    }
}

/// Most likely first; equally likely ones in the order found.
fn ranked(mut reasons: Vec<Reason>) -> Vec<Reason> {
    reasons.sort_by_key(|r| std::cmp::Reverse(r.weight));
    reasons
}

/// Nothing is held: what could have kept the booking out.
pub(super) fn not_found(found: &Found, evidence: &Evidence, account: &Account) -> Vec<Reason> {
    let mut reasons = delivery_reasons(evidence);
    reasons.extend(sync_reasons(evidence, account));
    if let Some(lead) = &found.lead {
        reasons.push(reason(
            ReasonCode::LeadWithoutBooking,
            75,
            format!(
                "lead {lead} has this detail but no booking reached booking-tracker for it; if \
                 they booked with another email or phone, ask by that"
            ),
        ));
    }
    let working: Vec<String> = [Provider::Calcom, Provider::Calendly]
        .into_iter()
        .filter_map(|p| {
            let at = evidence.last_accepted(p)?;
            let ago = evidence.now - at;
            (ago < SILENCE_WORTH_NOTING)
                .then(|| format!("{} {} ago", p.display_name(), ago_words(ago)))
        })
        .collect();
    if !working.is_empty() {
        reasons.push(reason(
            ReasonCode::OtherDetails,
            20,
            format!(
                "deliveries do arrive (the last accepted: {}), so the booking most likely carries \
                 another email, phone or id than the one asked about",
                working.join(", ")
            ),
        ));
    }
    if found.scan_truncated {
        reasons.push(reason(
            ReasonCode::SearchTruncated,
            10,
            format!("only the first {SCAN_LIMIT} appointments were searched for this detail"),
        ));
    }
    reasons.push(reason(
        ReasonCode::OtherAccount,
        5,
        format!(
            "only account {} was searched: a booking made on another team's link is in that \
             account (ask with its key)",
            account.id
        ),
    ));
    ranked(reasons)
}

fn delivery_reasons(evidence: &Evidence) -> Vec<Reason> {
    let days = DELIVERY_RETENTION.num_days();
    if evidence.deliveries.is_empty() {
        return vec![reason(
            ReasonCode::NoDeliveries,
            90,
            format!(
                "no webhook delivery from Cal.com or Calendly reached this account in {days} days: \
                 the webhook is not registered, or posts to another URL or account (run `doctor`)"
            ),
        )];
    }
    let mut reasons = Vec::new();
    let mut rejected: BTreeMap<(Provider, &str), usize> = BTreeMap::new();
    let mut ignored: BTreeMap<Provider, usize> = BTreeMap::new();
    for d in &evidence.deliveries {
        match (&d.error, d.outcome.as_deref()) {
            (Some(code), _) => *rejected.entry((d.provider, code.as_str())).or_default() += 1,
            (None, Some("ignored")) => *ignored.entry(d.provider).or_default() += 1,
            _ => {}
        }
    }
    if !rejected.is_empty() {
        let bad_secret = rejected
            .keys()
            .any(|(_, code)| *code == "invalid_signature");
        let total: usize = rejected.values().sum();
        let codes: Vec<String> = rejected
            .iter()
            .map(|((provider, code), n)| format!("{} {code} x{n}", provider.display_name()))
            .collect();
        let hint = if bad_secret {
            ": invalid_signature means the provider signs with another secret than the \
             account's (re-run `webhook calcom-subscribe --replace` or `webhook calendly-subscribe --replace`)"
        } else {
            ""
        };
        reasons.push(reason(
            ReasonCode::RejectedDeliveries,
            if bad_secret { 100 } else { 70 },
            format!(
                "{total} deliveries rejected in {days} days ({}){hint}",
                codes.join(", ")
            ),
        ));
    }
    for provider in [Provider::Calcom, Provider::Calendly] {
        let delivered = evidence.deliveries.iter().any(|d| d.provider == provider);
        let silent_since = evidence.last_accepted(provider);
        match silent_since {
            Some(at) if evidence.now - at >= SILENCE_WORTH_NOTING => reasons.push(reason(
                ReasonCode::NoRecentDelivery,
                50,
                format!(
                    "no delivery from {} for {} days (the last accepted one: {})",
                    provider.display_name(),
                    (evidence.now - at).num_days(),
                    at.format("%Y-%m-%d %H:%M UTC")
                ),
            )),
            None if delivered => reasons.push(reason(
                ReasonCode::NoRecentDelivery,
                55,
                format!(
                    "no delivery from {} was accepted in {days} days",
                    provider.display_name()
                ),
            )),
            _ => {}
        }
    }
    for (provider, n) in ignored {
        reasons.push(reason(
            ReasonCode::IgnoredDeliveries,
            30,
            format!(
                "{n} {} deliveries were accepted but ignored (triggers booking-tracker does not \
                 follow, or events of another kind)",
                provider.display_name()
            ),
        ));
    }
    reasons
}

fn sync_reasons(evidence: &Evidence, account: &Account) -> Vec<Reason> {
    let configured = account.calcom.api_key.is_some() || account.calendly.token.is_some();
    if !configured {
        return vec![reason(
            ReasonCode::SyncNotConfigured,
            40,
            format!(
                "no Cal.com API key or Calendly token, so the hourly sync cannot pick up what a \
                 webhook missed (`accounts update {} --calcom-api-key ...` or `--calendly-token ...`)",
                account.id
            ),
        )];
    }
    match &evidence.last_sync {
        None => vec![reason(
            ReasonCode::SyncNotRunning,
            60,
            "the sync has never run for this account".into(),
        )],
        Some(run) if !run.ok => vec![reason(
            ReasonCode::SyncFailing,
            80,
            format!(
                "the last sync, at {}, failed with {} error(s): run `sync` to see them",
                run.at.format("%Y-%m-%d %H:%M UTC"),
                run.errors
            ),
        )],
        Some(run) if evidence.now - run.at > SYNC_STALE_AFTER => vec![reason(
            ReasonCode::SyncNotRunning,
            60,
            format!(
                "the sync last ran {} hours ago (it should run hourly)",
                (evidence.now - run.at).num_hours()
            ),
        )],
        Some(_) => Vec::new(),
    }
}

/// Something is held: why it may not show where it was looked for. Judged by each chain's
/// last appointment, which is what the counters count.
pub(super) fn found_but(
    shown: &[ExplainedAppointment],
    range: Option<&ResolvedRange>,
) -> Vec<Reason> {
    let mut reasons = Vec::new();
    for tip in shown
        .iter()
        .filter(|a| a.status != AppointmentStatus::Superseded)
    {
        let id = &tip.appointment_id;
        let day = tip.counted_on;
        match (range, tip.in_range) {
            (Some(range), Some(false)) => reasons.push(reason(
                ReasonCode::OutsideRange,
                90,
                format!(
                    "{id} counts on {day}, outside the range {} ({} to {}): its day is when it \
                     was booked, not when the call is",
                    range.label, range.from, range.to
                ),
            )),
            (None, _) if !tip.in_ranges.last_7d => reasons.push(reason(
                ReasonCode::OutsideRange,
                80,
                format!(
                    "{id} counts on {day}, outside the dashboard's default 7d; {}",
                    match tip.in_ranges.shortest() {
                        Some(label) => format!("range={label} shows it"),
                        None => format!("only range=all or from={day}&to={day} shows it"),
                    }
                ),
            )),
            _ => {}
        }
        match tip.status {
            AppointmentStatus::Cancelled | AppointmentStatus::Rejected => reasons.push(reason(
                ReasonCode::CalledOff,
                85,
                format!(
                    "{id} is {}: it counts in {}, not in appointmentsBooked",
                    tip.status,
                    tip.counts.join(", ")
                ),
            )),
            AppointmentStatus::Pending => reasons.push(reason(
                ReasonCode::Pending,
                85,
                format!(
                    "{id} waits for the host to confirm it: it counts as booked once confirmed"
                ),
            )),
            _ if tip.counts.contains(&"unmatchedBookings") => reasons.push(reason(
                ReasonCode::Unmatched,
                40,
                format!(
                    "{id} has no lead ({}): it counts in unmatchedBookings, not leadsBooked",
                    tip.lead.detail
                ),
            )),
            _ => {}
        }
    }
    ranked(reasons)
}

/// "5 minutes", "3 hours", "2 days".
fn ago_words(ago: Duration) -> String {
    let (n, unit) = match (ago.num_days(), ago.num_hours(), ago.num_minutes()) {
        (d, _, _) if d > 0 => (d, "day"),
        (_, h, _) if h > 0 => (h, "hour"),
        (_, _, m) => (m.max(0), "minute"),
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}
