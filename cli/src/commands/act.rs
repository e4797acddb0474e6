//! `booking-tracker appointments cancel ID APT [--reason R] [--dry-run]` and
//! `appointments no-show ID APT [--undo] [--dry-run]`: the action of
//! `POST /appointments/{id}/cancel|no-show`, through the same clients as the sync
//! (`CALCOM_API_URL`, `CALENDLY_API_URL`, their pacing). Exits 1 with the error's code when the
//! action was not taken.

use std::sync::Arc;

use anyhow::anyhow;
use shared::actions::{Action, ActionReport, MAX_REASON_CHARS};
use shared::clock::SystemClock;
use shared::domain::AppointmentId;
use shared::store::Store;
use shared::sync::{SYNC_REQUEST_BUDGET, SyncService};
use tokio::time::Instant;

use super::{Coded, load_account};
use crate::cli::{CancelArgs, NoShowArgs};
use crate::output;

pub async fn cancel(store: Arc<dyn Store>, args: &CancelArgs, json: bool) -> anyhow::Result<()> {
    let reason = args
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    if reason.is_some_and(|r| r.chars().count() > MAX_REASON_CHARS) {
        return Err(Coded::usage(format!(
            "--reason is longer than {MAX_REASON_CHARS} characters"
        ))
        .into());
    }
    let action = Action::Cancel {
        reason: reason.map(str::to_owned),
    };
    act(
        store,
        &args.account,
        &args.appointment,
        &action,
        args.dry_run,
        json,
    )
    .await
}

pub async fn no_show(store: Arc<dyn Store>, args: &NoShowArgs, json: bool) -> anyhow::Result<()> {
    let action = Action::NoShow { undo: args.undo };
    act(
        store,
        &args.account,
        &args.appointment,
        &action,
        args.dry_run,
        json,
    )
    .await
}

async fn act(
    store: Arc<dyn Store>,
    account: &str,
    appointment: &str,
    action: &Action,
    dry_run: bool,
    json: bool,
) -> anyhow::Result<()> {
    let account = load_account(&*store, account).await?;
    let unknown = || Coded {
        code: "unknown_appointment",
        message: format!("no appointment {appointment:?} in account {}", account.id),
    };
    let id = AppointmentId::parse(appointment.trim()).ok_or_else(unknown)?;
    let service = SyncService::from_env(store, Arc::new(SystemClock)).map_err(|e| anyhow!(e))?;
    let deadline = Instant::now() + SYNC_REQUEST_BUDGET;
    let report = service
        .act(&account, &id, action, dry_run, deadline)
        .await
        .map_err(|e| Coded {
            code: e.code(),
            message: e.to_string(),
        })?;
    if json {
        output::json(&report);
    } else {
        print(&report);
    }
    Ok(())
}

fn print(report: &ActionReport) {
    output::line(format!("{}: {}", report.appointment_id, report.message));
    if let Some(request) = &report.request {
        let verb = if report.result == shared::actions::ActionResult::DryRun {
            "would send"
        } else {
            "sent"
        };
        output::line(format!(
            "  {verb} {} {} to {}",
            request.method,
            request.path,
            report.provider.display_name()
        ));
    }
    output::line(format!("  status: {}", report.status.as_str()));
}
