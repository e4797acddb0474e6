//! `booking-tracker sync (ID | --all [--concurrency N])`.

use std::sync::Arc;
use std::time::Duration;

use anyhow::anyhow;
use shared::clock::SystemClock;
use shared::store::Store;
use shared::sync::{SyncReport, SyncRunError, SyncService};
use tokio::time::Instant;

use super::{AlreadyReported, Coded, load_account};
use crate::output;

/// A run from the command line may take its time; the provider clients' own limits still apply.
const CLI_BUDGET: Duration = Duration::from_secs(15 * 60);

pub async fn run(
    store: Arc<dyn Store>,
    account: Option<&str>,
    concurrency: Option<usize>,
    json: bool,
) -> anyhow::Result<()> {
    let mut service =
        SyncService::from_env(Arc::clone(&store), Arc::new(SystemClock)).map_err(|e| anyhow!(e))?;
    if let Some(accounts) = concurrency {
        service.concurrency.accounts = accounts;
    }
    let deadline = Instant::now() + CLI_BUDGET;
    let reports = match account {
        Some(raw) => {
            let account = load_account(&*store, raw).await?;
            match service.sync_account(&account, deadline).await {
                Ok(report) => vec![report],
                Err(e @ SyncRunError::InProgress { .. }) => {
                    return Err(Coded {
                        code: e.code(),
                        message: format!("{}: {e}", account.id),
                    }
                    .into());
                }
                Err(SyncRunError::Store(e)) => return Err(e.into()),
            }
        }
        None => service.sync_all(deadline).await?,
    };
    if json {
        match account {
            Some(_) => output::json(&reports[0]),
            None => output::json(&reports),
        }
    } else {
        for report in &reports {
            print(report);
        }
        if reports.is_empty() {
            output::line(
                "No account has provider credentials or a Google Sheet: set them with accounts update.",
            );
        }
    }
    if reports.iter().all(|r| r.success) {
        Ok(())
    } else {
        Err(AlreadyReported.into())
    }
}

fn print(report: &SyncReport) {
    output::line(format!(
        "{}: {}: {} bookings found, {} matched to leads, {} leads created, {} changes applied",
        report.account_id,
        report.message,
        report.bookings_found,
        report.matches_found,
        report.leads_created,
        report.updates_applied
    ));
    for update in &report.updates {
        output::line(format!(
            "  {} {} {} ({})",
            update.change,
            update.booking_time.as_deref().unwrap_or("-"),
            update.name.as_deref().unwrap_or("-"),
            update.appointment_id
        ));
    }
    for note in report.sheet.iter().flat_map(|sheet| &sheet.actions) {
        output::line(format!(
            "  sheet row {}: {} {}: {}",
            note.line,
            note.action,
            note.result.as_str(),
            note.message
        ));
    }
    for error in &report.errors {
        output::line(format!(
            "  error: {} {}: {}",
            error.provider, error.code, error.message
        ));
    }
}
