//! `booking-tracker webhook calcom-subscribe ID --url BASE [--replace]`: the account's Cal.com
//! webhook, registered through Cal.com API v2 with the account's API key (SPEC §8).

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use serde::Serialize;
use shared::accounts::Account;
use shared::clock::SystemClock;
use shared::outbound::FetchError;
use shared::secrets::SecretField;
use shared::setup::{CalcomOutcome, CalcomSubscription, subscribe_calcom};
use shared::store::Store;
use shared::sync::SyncService;
use tokio::time::Instant;

use super::load_account;
use super::webhook::base_url;
use crate::cli::SubscribeArgs;
use crate::output;

/// Listing, a few deletions and one create or patch.
const SUBSCRIBE_BUDGET: Duration = Duration::from_secs(120);

pub async fn calcom_subscribe(
    store: Arc<dyn Store>,
    args: &SubscribeArgs,
    json: bool,
) -> anyhow::Result<()> {
    let account = load_account(&*store, &args.account).await?;
    if account.calcom.api_key.is_none() {
        bail!(
            "account {id} has no Cal.com API key: set one with `accounts update {id} \
             --calcom-api-key <key>` (Cal.com > Settings > Developer > API keys)",
            id = account.id
        );
    }
    let subscriber_url = format!(
        "{}/webhooks/calcom/{}",
        base_url(&args.url, true)?,
        account.id
    );
    let service = SyncService::from_env(store, Arc::new(SystemClock)).map_err(|e| anyhow!(e))?;
    let calcom = service
        .calcom_source(&account)
        .await
        .context("the account's Cal.com API key is gone")??;
    let secret = service
        .store
        .secrets()
        .open(
            &account.id,
            SecretField::CalcomWebhookSecret,
            &account.calcom.webhook_secret,
        )
        .await?;
    let wanted = CalcomSubscription {
        subscriber_url: &subscriber_url,
        secret: &secret,
        replace: args.replace,
    };
    let done = subscribe_calcom(&calcom, &wanted, Instant::now() + SUBSCRIBE_BUDGET)
        .await
        .map_err(|e| refused(&account, &e))?;
    tracing::info!(
        account = %account.id,
        outcome = done.outcome.code(),
        webhook = %done.webhook_id,
        deleted = done.deleted.len(),
        "calcom webhook"
    );

    if json {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Done<'a> {
            outcome: &'static str,
            webhook_id: &'a str,
        }
        output::json(&Done {
            outcome: done.outcome.code(),
            webhook_id: &done.webhook_id,
        });
        return Ok(());
    }
    let id = &done.webhook_id;
    let mut sentence = match done.outcome {
        CalcomOutcome::Created => {
            format!("Created Cal.com webhook {id} posting to {subscriber_url}")
        }
        CalcomOutcome::AlreadyActive => format!(
            "Cal.com webhook {id} already posts every trigger to {subscriber_url} (left alone; \
             --replace re-sends the account's secret)"
        ),
        CalcomOutcome::Repaired => {
            format!("Repaired Cal.com webhook {id}: active, every trigger, the account's secret")
        }
        CalcomOutcome::Replaced => format!(
            "Replaced the Cal.com webhook to {subscriber_url} with webhook {id}, signed with the \
             account's secret"
        ),
    };
    let duplicates = match done.outcome {
        CalcomOutcome::Replaced => 0,
        _ => done.deleted.len(),
    };
    if duplicates > 0 {
        sentence.push_str(&format!(
            ", and deleted {duplicates} duplicate{} ({})",
            if duplicates == 1 { "" } else { "s" },
            done.deleted.join(", ")
        ));
    }
    output::line(format!("{sentence}."));
    Ok(())
}

/// Cal.com's refusal, with what to do about it (Cal.com's own message included).
fn refused(account: &Account, error: &FetchError) -> anyhow::Error {
    let hint = match error {
        FetchError::Unauthorized(401, _) => format!(
            " (set a valid key with `accounts update {} --calcom-api-key <key>`)",
            account.id
        ),
        FetchError::Unauthorized(403, _) => {
            " (the API key's user may not manage webhooks, or an OAuth token lacks WEBHOOK_WRITE)"
                .to_owned()
        }
        FetchError::Status(400, Some(message)) if message.contains("not allowed") => {
            " (Cal.com only posts to public URLs: expose a local `serve` through a public tunnel)"
                .to_owned()
        }
        _ => String::new(),
    };
    anyhow!("Cal.com refused the webhook registration: {error}{hint}")
}
