//! `booking-tracker sheets pull|push ID`: one half of the sheet's sync, on demand.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail};
use chrono::Utc;
use shared::sheets::{SheetError, SheetReport, SheetsClient};
use shared::store::Store;
use shared::sync::{ProviderHttp, RetryPolicy};
use tokio::time::Instant;

use super::load_account;
use crate::cli::SheetsCommand;
use crate::output;

/// The longest a pull or push from the command line may take.
const CLI_BUDGET: Duration = Duration::from_secs(5 * 60);

pub async fn run(store: Arc<dyn Store>, command: SheetsCommand, json: bool) -> anyhow::Result<()> {
    let (raw, push) = match &command {
        SheetsCommand::Pull { account } => (account, false),
        SheetsCommand::Push { account } => (account, true),
    };
    let account = load_account(&*store, raw).await?;
    let Some(connected) = account.connected_sheet() else {
        bail!(
            "account {} has no Google Sheet with a service account: set them with accounts update --google-sheet ID --google-credentials FILE",
            account.id
        );
    };
    let http = ProviderHttp::new(RetryPolicy::default()).map_err(|e| anyhow!(e))?;
    let client = SheetsClient::from_env(&http);
    let deadline = Instant::now() + CLI_BUDGET;
    let explain = |e: SheetError| match e {
        SheetError::Store(e) => anyhow::Error::from(e),
        other => anyhow!(
            "Google Sheets: {} ({})",
            other.explain(&connected.1.client_email),
            other.code()
        ),
    };
    let (snapshot, mut report) =
        shared::sheets::pull(&*store, &client, &account, connected, Utc::now(), deadline)
            .await
            .map_err(explain)?;
    if push {
        shared::sheets::push(
            &*store,
            &client,
            &account,
            connected,
            &snapshot,
            deadline,
            &mut report,
        )
        .await
        .map_err(explain)?;
    }
    if json {
        output::json(&report);
    } else {
        print(&report, push);
    }
    Ok(())
}

fn print(report: &SheetReport, push: bool) {
    output::line(format!(
        "Read {} rows: {} new leads, {} updated, {} duplicate rows, {} rows not imported.",
        report.rows_read,
        report.imported,
        report.updated,
        report.duplicates,
        report.invalid.len()
    ));
    for invalid in &report.invalid {
        output::line(format!("  row {}: {}", invalid.line, invalid.reason));
    }
    if push {
        output::line(format!(
            "Wrote {} cells and appended {} rows.",
            report.cells_written, report.rows_appended
        ));
    }
}
