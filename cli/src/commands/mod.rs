//! One module per command group; each takes the store URL and whether to print JSON.

mod account_links;
mod account_sheet;
mod accounts;
mod act;
mod appointments;
mod deliveries;
mod doctor;
mod explain;
mod keys;
mod leads;
mod links;
mod metrics;
mod sheets;
mod sync;
mod webhook;
mod webhook_calcom;

use std::sync::Arc;

use anyhow::{Context, anyhow};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use shared::accounts::Account;
use shared::domain::{AccountId, LeadId};
use shared::leads::Lead;
use shared::store::Store;

use crate::cli::{Cli, Command, KeysCommand, WebhookCommand};
use crate::output;
use crate::store_url::StoreUrl;

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let Cli {
        store: url,
        json,
        command,
    } = cli;
    match command {
        Command::Init => {
            let done = url.init().await?;
            if json {
                output::json(
                    &serde_json::json!({"ok": true, "store": url.to_string(), "message": done}),
                );
            } else {
                output::line(done);
            }
            Ok(())
        }
        Command::Serve(args) => crate::serve::run(&url, args, json).await,
        Command::Webhook(WebhookCommand::Sign(args)) => webhook::sign(&args, json),
        Command::Webhook(WebhookCommand::CalendlySubscribe(args)) => {
            webhook::calendly_subscribe(open(&url).await?, &args, json).await
        }
        Command::Webhook(WebhookCommand::CalcomSubscribe(args)) => {
            webhook_calcom::calcom_subscribe(open(&url).await?, &args, json).await
        }
        Command::Accounts(command) => accounts::run(&*open(&url).await?, command, json).await,
        Command::Leads(command) => leads::run(&*open(&url).await?, command, json).await,
        Command::Appointments(command) => appointments::run(open(&url).await?, command, json).await,
        Command::Metrics {
            account,
            range,
            from,
            to,
            by,
        } => {
            let store = open(&url).await?;
            let ask = metrics::Ask {
                range: range.as_deref(),
                from: from.as_deref(),
                to: to.as_deref(),
                by: by.as_deref(),
            };
            metrics::metrics(&*store, &account, ask, json).await
        }
        Command::Explain(args) => explain::run(&*open(&url).await?, &args, json).await,
        Command::Recount { account } => metrics::recount(&*open(&url).await?, &account, json).await,
        Command::Sync {
            account,
            all: _,
            concurrency,
        } => {
            let concurrency = concurrency.map(usize::from);
            sync::run(open(&url).await?, account.as_deref(), concurrency, json).await
        }
        Command::Doctor { account, url: base } => {
            doctor::run(open(&url).await?, &account, base.as_deref(), json).await
        }
        Command::Sheets(command) => sheets::run(open(&url).await?, command, json).await,
        Command::Keys(KeysCommand::Rotate) => keys::rotate(&*open(&url).await?, json).await,
        Command::Deliveries { account, limit } => {
            deliveries::run(&*open(&url).await?, &account, limit, json).await
        }
    }
}

async fn open(url: &StoreUrl) -> anyhow::Result<Arc<dyn Store>> {
    url.open()
        .await
        .with_context(|| format!("cannot open the store {url}"))
}

/// A failure the command has already printed (a sync report with errors): exit 1, print nothing
/// more.
#[derive(Debug, thiserror::Error)]
#[error("already reported")]
pub struct AlreadyReported;

/// A failure with a stable code (`sync_in_progress`, ...), printed as
/// `{"ok": false, "error": {"code", "message"}}` with `--json`.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Coded {
    pub code: &'static str,
    pub message: String,
}

impl Coded {
    /// The code of a command line that parsed but cannot run as given (exit 2).
    pub const USAGE: &'static str = "usage";

    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            code: Self::USAGE,
            message: message.into(),
        }
    }

    /// The exit code `error` calls for: 2 for a usage error, else 1.
    pub fn exit_code(error: &anyhow::Error) -> u8 {
        match error.downcast_ref::<Coded>() {
            Some(coded) if coded.code == Self::USAGE => 2,
            _ => 1,
        }
    }
}

/// The account a command names, or an error that says how to create it.
pub(crate) async fn load_account(store: &dyn Store, raw: &str) -> anyhow::Result<Account> {
    let id = AccountId::parse(raw).map_err(|e| anyhow!("{raw:?} is not an account id: {e}"))?;
    store.get_account(&id).await?.ok_or_else(|| {
        anyhow!("no account {id}; create it with `booking-tracker accounts create {id}`")
    })
}

/// The lead a command names in the account, or `unknown_lead` (exit 1).
pub(crate) async fn load_lead(
    store: &dyn Store,
    account: &Account,
    raw: &str,
) -> anyhow::Result<Lead> {
    let unknown = || Coded {
        code: "unknown_lead",
        message: format!("no lead {raw:?} in account {}", account.id),
    };
    let id = LeadId::parse(raw.trim()).ok_or_else(unknown)?;
    Ok(store
        .get_lead(&account.id, &id)
        .await?
        .ok_or_else(unknown)?)
}

/// A time in the account's zone, for people.
pub(crate) fn local(time: DateTime<Utc>, zone: Tz) -> String {
    time.with_timezone(&zone)
        .format("%Y-%m-%d %H:%M %Z")
        .to_string()
}

pub(crate) fn or_dash(value: Option<impl ToString>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| v.to_string())
}
