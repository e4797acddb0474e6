//! `booking-tracker doctor ID [--url BASE]`: the account's health checks (SPEC §8), the JSON of
//! `GET /health` with `--json`. Exits 1 when a check fails.

use std::sync::Arc;

use anyhow::anyhow;
use shared::clock::SystemClock;
use shared::doctor::{CheckStatus, DoctorOptions, DoctorReport, run_doctor};
use shared::store::Store;
use shared::sync::SyncService;

use super::webhook::base_url;
use super::{AlreadyReported, load_account};
use crate::output;

pub async fn run(
    store: Arc<dyn Store>,
    account: &str,
    base: Option<&str>,
    json: bool,
) -> anyhow::Result<()> {
    let account = load_account(&*store, account).await?;
    let options = DoctorOptions {
        base_url: base.map(|raw| base_url(raw, true)).transpose()?,
        ..DoctorOptions::default()
    };
    let service = SyncService::from_env(store, Arc::new(SystemClock)).map_err(|e| anyhow!(e))?;
    let report = run_doctor(&service, &account, &options).await;
    if json {
        output::json(&report);
    } else {
        print(&report);
    }
    if report.failed() {
        Err(AlreadyReported.into())
    } else {
        Ok(())
    }
}

/// One line per check, its fix indented below it, then a summary.
fn print(report: &DoctorReport) {
    let width = report
        .checks
        .iter()
        .map(|c| c.check.as_str().len())
        .max()
        .unwrap_or(0);
    for check in &report.checks {
        output::line(format!(
            "{:<5} {:<width$}  {}",
            check.status.as_str(),
            check.check.as_str(),
            check.detail
        ));
        if let Some(fix) = &check.fix {
            output::line(format!("{:<5} {:<width$}  fix: {fix}", "", ""));
        }
    }
    output::line(format!(
        "{}: {} ok, {} warn, {} fail",
        report.account_id,
        report.count(CheckStatus::Ok),
        report.count(CheckStatus::Warn),
        report.count(CheckStatus::Fail)
    ));
}
