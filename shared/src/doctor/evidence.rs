//! The checks the store alone answers: `deliveries` (the webhook delivery log), `last_sync`,
//! `counters` (stored against a recount, nothing written) and `unmatched`.

use std::collections::BTreeMap;

use chrono::{DateTime, Days, Duration, NaiveDate, Utc};

use super::report::Finding;
use super::{Doctor, capitalised};
use crate::domain::Provider;
use crate::ingest::{drift, plan_recount};
use crate::store::{Delivery, Store, StoreError};

/// The newest delivery log entries read: enough for a day of rejections and the last accepted
/// delivery of each provider on a busy account.
const DELIVERIES_READ: usize = 1000;
/// The sync runs hourly: a run older than this was missed.
const SYNC_MAX_AGE_HOURS: i64 = 2;
/// Days of counters compared with a recount, today included.
const COUNTER_DAYS: u64 = 90;
/// Days of bookings looked at for `unmatched`, today included.
const UNMATCHED_DAYS: u64 = 30;

const WEBHOOK_PROVIDERS: [Provider; 2] = [Provider::Calcom, Provider::Calendly];

impl<S: Store + ?Sized> Doctor<'_, S> {
    /// The account's newest delivery log entries, newest first.
    pub(super) async fn delivery_log(&self) -> Result<Vec<Delivery>, StoreError> {
        self.service
            .store
            .recent_deliveries(&self.account.id, self.now, DELIVERIES_READ)
            .await
    }

    /// When the provider's last delivery was accepted, as a clause: "the last Cal.com delivery
    /// was accepted at ..." or "no Cal.com delivery was accepted in the last 30 days".
    pub(super) fn last_accepted(&self, log: &[Delivery], provider: Provider) -> String {
        let name = provider.display_name();
        match last_accepted(log, provider) {
            Some(at) => format!("the last {name} delivery was accepted at {}", self.when(at)),
            None => format!("no {name} delivery was accepted in the last 30 days"),
        }
    }

    /// Today, in the account's zone, and the day `days - 1` before it.
    fn last_days(&self, days: u64) -> (NaiveDate, NaiveDate) {
        let today = self.now.with_timezone(&self.account.time_zone).date_naive();
        let from = today
            .checked_sub_days(Days::new(days.saturating_sub(1)))
            .unwrap_or(today);
        (from, today)
    }
}

fn last_accepted(log: &[Delivery], provider: Provider) -> Option<DateTime<Utc>> {
    log.iter()
        .filter(|d| d.provider == provider && d.error.is_none())
        .map(|d| d.received_at)
        .max()
}

/// Per provider: the last accepted delivery, and the last 24 hours' rejections by code. Any
/// `invalid_signature` fails: the provider signs with another secret than the account's.
pub(super) async fn deliveries<S: Store + ?Sized>(d: &Doctor<'_, S>) -> Finding {
    let log = match d.delivery_log().await {
        Ok(log) => log,
        Err(e) => return d.store_failed(&e),
    };
    if log.is_empty() {
        return Finding::ok("no webhook deliveries in the last 30 days");
    }
    let since = d.now - Duration::hours(24);
    let mut parts = Vec::new();
    let (mut resign, mut rejected_any) = (Vec::new(), false);
    for provider in WEBHOOK_PROVIDERS {
        if !log.iter().any(|e| e.provider == provider) {
            continue;
        }
        let mut rejected: BTreeMap<&str, usize> = BTreeMap::new();
        for entry in log
            .iter()
            .filter(|e| e.provider == provider && e.received_at >= since)
        {
            if let Some(code) = entry.error.as_deref() {
                *rejected.entry(code).or_default() += 1;
            }
        }
        let mut part = d.last_accepted(&log, provider);
        if !rejected.is_empty() {
            let codes: Vec<String> = rejected
                .iter()
                .map(|(code, n)| format!("{n} {code}"))
                .collect();
            part.push_str(&format!(
                "; rejected in the last 24 h: {}",
                codes.join(", ")
            ));
            rejected_any = true;
        }
        if rejected.contains_key("invalid_signature") {
            resign.push(provider);
        }
        parts.push(capitalised(&part));
    }
    let detail = parts.join(". ");
    if !resign.is_empty() {
        let names: Vec<&str> = resign.iter().map(|p| p.display_name()).collect();
        let commands: Vec<String> = resign
            .iter()
            .map(|p| {
                let url = format!("--url {} --replace", d.base(None));
                d.command(&format!("webhook {}-subscribe", p.as_str()), &url)
            })
            .collect();
        return Finding::fail(
            detail,
            format!(
                "the {} webhook signs with another secret than the account's: run {}",
                names.join(" and "),
                commands.join(" and ")
            ),
        );
    }
    if rejected_any {
        return Finding::warn(
            detail,
            format!(
                "see why each delivery was rejected with {}",
                d.command("deliveries", "")
            ),
        );
    }
    Finding::ok(detail)
}

/// The sync ran within 2 hours and succeeded; only for accounts it has something to do for.
pub(super) async fn last_sync<S: Store + ?Sized>(d: &Doctor<'_, S>) -> Finding {
    if !d.account.needs_sync() {
        return Finding::ok(
            "not configured: no provider API credentials or connected sheet, so nothing to sync",
        );
    }
    let state = match d.service.store.sync_state(&d.account.id).await {
        Ok(state) => state,
        Err(e) => return d.store_failed(&e),
    };
    let sync = d.command("sync", "");
    let Some(run) = state.last_run else {
        return Finding::fail(
            "the sync has never run for this account",
            format!(
                "run {sync}; deployed, the hourly schedule runs it, and locally \
                 `booking-tracker serve --sync-every 1h`"
            ),
        );
    };
    let at = d.when(run.at);
    if !run.ok {
        return Finding::fail(
            format!(
                "the last sync, at {at}, failed with {} error(s)",
                run.errors
            ),
            format!("run {sync} to see the errors"),
        );
    }
    let age = d.now - run.at;
    if age > Duration::hours(SYNC_MAX_AGE_HOURS) {
        return Finding::fail(
            format!(
                "the last sync ran at {at}, {} h ago; it should run every hour",
                age.num_hours()
            ),
            format!(
                "run {sync}, and check that the hourly schedule (or `booking-tracker serve \
                 --sync-every 1h`) is on"
            ),
        );
    }
    Finding::ok(format!(
        "the last sync ran at {at} and succeeded ({} bookings found, {} changes applied)",
        run.bookings_found, run.updates_applied
    ))
}

/// The stored counters of the last 90 days equal a recount of the appointments. Reads every
/// appointment and lead of the account; writes nothing.
pub(super) async fn counters<S: Store + ?Sized>(d: &Doctor<'_, S>) -> Finding {
    let store = &*d.service.store;
    let (from, to) = d.last_days(COUNTER_DAYS);
    let read = async {
        let plan = plan_recount(store, d.account, d.now).await?;
        let stored = store.day_counts(&d.account.id, from, to).await?;
        Ok::<_, StoreError>((plan, stored))
    };
    let (plan, stored) = match read.await {
        Ok(read) => read,
        Err(e) => return d.store_failed(&e),
    };
    let drifted: Vec<_> = drift(&stored, &plan.expected)
        .into_iter()
        .filter(|x| (from..=to).contains(&x.date))
        .collect();
    let Some(first) = drifted.first() else {
        return Finding::ok(format!(
            "the counters of the last {COUNTER_DAYS} days equal a recount of {} appointments",
            plan.appointments
        ));
    };
    Finding::fail(
        format!(
            "{} counter(s) of the last {COUNTER_DAYS} days differ from a recount, first {} {}: \
             stored {}, recounted {}",
            drifted.len(),
            first.date,
            first.counter,
            first.stored,
            first.recounted
        ),
        format!(
            "run {} to rebuild them from the appointments",
            d.command("recount", "")
        ),
    )
}

/// Bookings of the last 30 days with no lead, from the per-day counters (no appointment read).
pub(super) async fn unmatched<S: Store + ?Sized>(d: &Doctor<'_, S>) -> Finding {
    let (from, to) = d.last_days(UNMATCHED_DAYS);
    let days = match d.service.store.day_counts(&d.account.id, from, to).await {
        Ok(days) => days,
        Err(e) => return d.store_failed(&e),
    };
    let unmatched: i64 = days.iter().map(|(_, counts)| counts.unmatched).sum();
    if unmatched <= 0 {
        return Finding::ok(format!(
            "every booking of the last {UNMATCHED_DAYS} days has a lead"
        ));
    }
    let import = d.command("leads import", "FILE.csv");
    let fix = if d.account.auto_create_leads {
        format!("import their leads with {import}")
    } else {
        format!(
            "import their leads with {import}, or let bookings create leads with {}",
            d.command("accounts update", "--auto-create-leads")
        )
    };
    Finding::warn(
        format!("{unmatched} booking(s) of the last {UNMATCHED_DAYS} days have no lead"),
        fix,
    )
}
