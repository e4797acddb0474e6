//! "Why didn't this booking count?" (SPEC §8): for a booking uid, an email, a phone or an
//! appointment id, what booking-tracker holds and how it counts — or, when it holds nothing, the
//! likely causes ranked from the account's own evidence. Read-only, and only ever inside the
//! asking account.
//!
//! The straight line: `find` (the appointments the question names, with their reschedule
//! chains) → `view` (each one as the dashboard counts it) → `reasons` (what the deliveries and
//! the sync say) → `story` (the same as sentences, for the CLI). `http` serves `GET /explain`.

mod find;
mod http;
mod reasons;
mod story;
mod view;

pub use find::{ExplainQuery, QueryError};
pub use http::handle;
pub use reasons::{Reason, ReasonCode};
pub use story::story;
pub use view::{ExplainedAppointment, ExplainedLead, RangeFlags};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::accounts::Account;
use crate::metrics::{RangeQuery, ResolvedRange};
use crate::store::{Store, StoreError};

/// The answer to one question.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Explanation {
    pub account_id: String,
    /// What was asked, as `booking`, `email`, `phone` or `appointment` and the value.
    pub query: QueryView,
    pub found: bool,
    pub appointments: Vec<ExplainedAppointment>,
    /// Why it does not count (or does not count where it was expected), most likely first.
    pub reasons: Vec<Reason>,
    /// The range asked about, when one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub range: Option<RangeView>,
    /// The account's time zone: every `countedOn` is a day there.
    pub timezone: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct QueryView {
    pub by: &'static str,
    pub value: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct RangeView {
    pub label: String,
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
}

/// Answers `query` for `account` as of `now`, optionally against the dashboard range `range`.
/// Store reads: the appointments named (and their chains), at most one listing of the account's
/// appointments when no index answers, and when nothing is found the recent deliveries and the
/// sync state.
pub async fn explain(
    store: &(impl Store + ?Sized),
    account: &Account,
    query: &ExplainQuery,
    range: Option<RangeQuery>,
    now: DateTime<Utc>,
) -> Result<Explanation, StoreError> {
    let today = now.with_timezone(&account.time_zone).date_naive();
    let range = match range {
        Some(query) => {
            let first_day = match query.needs_first_day() {
                true => store.first_day(&account.id).await?,
                false => None,
            };
            Some(query.resolve(today, first_day))
        }
        None => None,
    };
    let found = find::find(store, account, query).await?;
    let appointments: Vec<ExplainedAppointment> = found
        .appointments
        .iter()
        .map(|a| view::explain_one(a, account, today, range.as_ref()))
        .collect();
    // The delivery log and sync state are read only when there is nothing to show.
    let reasons = if appointments.is_empty() {
        let evidence = reasons::Evidence::gather(store, account, now).await?;
        reasons::not_found(&found, &evidence, account)
    } else {
        reasons::found_but(&appointments, range.as_ref())
    };
    Ok(Explanation {
        account_id: account.id.to_string(),
        query: query.view(),
        found: !appointments.is_empty(),
        appointments,
        reasons,
        range: range.map(|r: ResolvedRange| RangeView {
            label: r.label,
            from: r.from,
            to: r.to,
        }),
        timezone: account.time_zone.name().to_owned(),
    })
}
