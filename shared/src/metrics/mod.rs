//! Dashboard metrics: KPIs, a daily series, upcoming calls. Computed from the per-day counters
//! and the upcoming index only, so a request costs the same at ten appointments as at a million.

mod range;
mod report;
mod service;

pub use range::{MAX_SPAN_DAYS, RangeError, RangeQuery, ResolvedRange};
pub use report::{
    BreakdownEntry, Kpis, LastSync, MetricsReport, RangeView, SeriesDay, Upcoming, build,
};
pub use service::{MetricsRequest, MetricsService};

use chrono::{DateTime, Utc};

use crate::accounts::Account;
use crate::booking::Dimension;
use crate::store::{Store, StoreError};

/// How many upcoming calls a report lists.
pub const UPCOMING: usize = 20;

/// The report for `account` over `query`, as of `now`. Store reads: the first booking day (for
/// `all`), the range's counters, the next [`UPCOMING`] live appointments and the sync state.
pub async fn metrics_report(
    store: &(impl Store + ?Sized),
    account: &Account,
    query: RangeQuery,
    now: DateTime<Utc>,
) -> Result<MetricsReport, StoreError> {
    metrics_report_by(store, account, query, None, now).await
}

/// [`metrics_report`], with the KPIs broken down by campaign or source when `by` is given
/// (from the same counters: no further reads).
pub async fn metrics_report_by(
    store: &(impl Store + ?Sized),
    account: &Account,
    query: RangeQuery,
    by: Option<Dimension>,
    now: DateTime<Utc>,
) -> Result<MetricsReport, StoreError> {
    let today = now.with_timezone(&account.time_zone).date_naive();
    let first_day = if query.needs_first_day() {
        store.first_day(&account.id).await?
    } else {
        None
    };
    let range = query.resolve(today, first_day);
    let days = store.day_counts(&account.id, range.from, range.to).await?;
    let upcoming = store.upcoming(&account.id, now, UPCOMING).await?;
    let sync = store.sync_state(&account.id).await?;
    Ok(build(account, &range, &days, &upcoming, &sync, by))
}
