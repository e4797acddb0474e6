//! `booking-tracker explain ID (--booking UID | --email E | --phone P | --appointment APT)`:
//! the answer of `GET /explain`, as a story or (with `--json`) the same JSON.

use anyhow::anyhow;
use chrono::Utc;
use shared::explain::{ExplainQuery, explain, story};
use shared::metrics::RangeQuery;
use shared::store::Store;

use super::{Coded, load_account};
use crate::cli::ExplainArgs;
use crate::output;

pub async fn run(store: &dyn Store, args: &ExplainArgs, json: bool) -> anyhow::Result<()> {
    let account = load_account(store, &args.account).await?;
    let query = ExplainQuery::parse(
        &account,
        args.booking.as_deref(),
        args.email.as_deref(),
        args.phone.as_deref(),
        args.appointment.as_deref(),
    )
    .map_err(|e| Coded::usage(e.to_string()))?;
    let range = match (&args.range, &args.from, &args.to) {
        (None, None, None) => None,
        (range, from, to) => Some(
            RangeQuery::parse(range.as_deref(), from.as_deref(), to.as_deref())
                .map_err(|e| anyhow!("invalid range: {e}"))?,
        ),
    };
    let explanation = explain(store, &account, &query, range, Utc::now()).await?;
    if json {
        output::json(&explanation);
    } else {
        output::line(story(&explanation).trim_end());
    }
    Ok(())
}
