//! `booking-tracker sheets pull|push ID`: one half of the sheet's sync, on demand.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail};
use chrono::Utc;
use shared::actions::sheet::SheetEdits;
use shared::clock::SystemClock;
use shared::sheets::{SheetError, SheetReport};
use shared::store::Store;
use shared::sync::{SyncRunError, SyncService};
use tokio::time::Instant;

use super::{Coded, load_account};
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
    let service =
        SyncService::from_env(Arc::clone(&store), Arc::new(SystemClock)).map_err(|e| anyhow!(e))?;
    let Some(opened) = service.open_sheet(&account).await else {
        bail!(
            "account {} has no Google Sheet with a service account: set them with accounts update --google-sheet ID --google-credentials FILE",
            account.id
        );
    };
    let (settings, credentials) = opened?;
    let connected = (settings, &credentials);
    let deadline = Instant::now() + CLI_BUDGET;
    let now = Utc::now();
    // Status edits sheet actions would act on are not imported: the next sync acts on them.
    let mut edits = SheetEdits::new(&account, now);
    // Under the account's sync lease: a sync running meanwhile would append the same new
    // leads to the sheet.
    let sheet = async {
        let (snapshot, mut report) = shared::sheets::pull(
            &*store,
            &service.sheets,
            &account,
            connected,
            now,
            deadline,
            &mut |row| edits.hold(row),
        )
        .await?;
        if push {
            shared::sheets::push(
                &*store,
                &service.sheets,
                &account,
                connected,
                &snapshot,
                deadline,
                &mut report,
            )
            .await?;
        }
        Ok::<_, SheetError>(report)
    };
    let report = match service
        .with_lease(&account.id, deadline, async { Ok(sheet.await) })
        .await
    {
        Ok(Ok(report)) => report,
        Ok(Err(SheetError::Store(e))) | Err(SyncRunError::Store(e)) => return Err(e.into()),
        Ok(Err(other)) => bail!(
            "Google Sheets: {} ({})",
            other.explain(&connected.1.client_email),
            other.code()
        ),
        Err(e @ SyncRunError::InProgress { .. }) => {
            return Err(Coded {
                code: e.code(),
                message: format!("{}: {e}", account.id),
            }
            .into());
        }
    };
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
