//! `booking-tracker deliveries ID`: the webhook delivery log.

use chrono::Utc;
use shared::store::Store;

use super::{load_account, local, or_dash};
use crate::output;

pub async fn run(store: &dyn Store, raw: &str, limit: usize, json: bool) -> anyhow::Result<()> {
    let account = load_account(store, raw).await?;
    let deliveries = store
        .recent_deliveries(&account.id, Utc::now(), limit)
        .await?;
    if json {
        output::json(&deliveries);
        return Ok(());
    }
    let rows: Vec<Vec<String>> = deliveries
        .iter()
        .map(|d| {
            vec![
                local(d.received_at, account.time_zone),
                d.provider.to_string(),
                or_dash(d.trigger.as_deref()),
                d.http_status.to_string(),
                or_dash(d.outcome.as_deref().or(d.error.as_deref())),
                or_dash(d.appointment_id.as_ref()),
            ]
        })
        .collect();
    output::table(
        &[
            "received",
            "provider",
            "trigger",
            "status",
            "outcome",
            "appointment",
        ],
        &rows,
    );
    Ok(())
}
