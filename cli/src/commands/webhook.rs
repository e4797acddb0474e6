//! `booking-tracker webhook sign (--calcom | --calendly) --secret S FILE`: the header a provider
//! would send, for testing a webhook with curl. `booking-tracker webhook calendly-subscribe ID
//! --url URL`: the account's Calendly webhook subscription, made through Calendly's API.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use chrono::Utc;
use serde::Serialize;
use shared::clock::SystemClock;
use shared::domain::Secret;
use shared::providers::calendly::api::WebhookSubscription;
use shared::providers::{calcom, calendly};
use shared::secrets::SecretField;
use shared::store::Store;
use shared::sync::{Subscription, SyncService, subscribe};
use tokio::time::Instant;

use super::load_account;
use crate::cli::{SignArgs, SubscribeArgs};
use crate::output;

/// Listing, deleting and creating a subscription are a handful of calls.
const SUBSCRIBE_BUDGET: Duration = Duration::from_secs(120);

pub fn sign(args: &SignArgs, json: bool) -> anyhow::Result<()> {
    let body = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let secret = Secret::new(args.secret.trim());
    let (name, value) = if args.calcom {
        ("X-Cal-Signature-256", calcom::sign(&secret, &body))
    } else {
        (
            "Calendly-Webhook-Signature",
            calendly::sign(&secret, Utc::now().timestamp(), &body),
        )
    };
    if json {
        output::json(&serde_json::json!({"header": name, "value": value}));
    } else {
        output::line(format!("{name}: {value}"));
    }
    Ok(())
}

pub async fn calendly_subscribe(
    store: Arc<dyn Store>,
    args: &SubscribeArgs,
    json: bool,
) -> anyhow::Result<()> {
    let account = load_account(&*store, &args.account).await?;
    if account.calendly.token.is_none() {
        bail!(
            "account {} has no Calendly token: set one with `accounts update {} --calendly-token <token>` \
             (a personal access token of an owner or admin of the organization)",
            account.id,
            account.id
        );
    };
    let callback_url = format!(
        "{}/webhooks/calendly/{}",
        base_url(&args.url, false)?,
        account.id
    );
    let service = SyncService::from_env(store, Arc::new(SystemClock)).map_err(|e| anyhow!(e))?;
    let calendly = service
        .calendly_source(&account)
        .await
        .context("the account's Calendly token is gone")??;
    let signing_key = service
        .store
        .secrets()
        .open(
            &account.id,
            SecretField::CalendlySigningKey,
            &account.calendly.signing_key,
        )
        .await?;
    let deadline = Instant::now() + SUBSCRIBE_BUDGET;
    let organization = match &account.calendly.organization {
        Some(organization) => organization.clone(),
        None => calendly
            .organization(deadline)
            .await
            .context("cannot read the token's organization from Calendly")?,
    };
    let done = subscribe(
        &calendly,
        &Subscription {
            organization: &organization,
            callback_url: &callback_url,
            signing_key: &signing_key,
            replace: args.replace,
        },
        deadline,
    )
    .await
    .map_err(|e| {
        let hint = match e.code() {
            "unauthorized" => {
                " (organization subscriptions need an owner's or admin's token, on a plan with webhooks)"
            }
            _ => "",
        };
        anyhow!("Calendly refused the subscription: {e}{hint}")
    })?;

    if json {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Done<'a> {
            ok: bool,
            outcome: &'static str,
            organization: &'a str,
            subscription: Shown<'a>,
            deleted: Vec<&'a str>,
        }
        output::json(&Done {
            ok: true,
            outcome: done.outcome.code(),
            organization: &organization,
            subscription: Shown::of(&done.subscription),
            deleted: done.deleted.iter().map(|s| s.uri.as_str()).collect(),
        });
    } else {
        for old in &done.deleted {
            output::line(format!("Deleted {} ({}).", old.uri, old.state));
        }
        let what = match done.outcome {
            shared::sync::SubscribeOutcome::AlreadyActive => {
                "Already subscribed (left alone; --replace recreates it with the account's current signing key)"
            }
            shared::sync::SubscribeOutcome::Created => "Subscribed",
            shared::sync::SubscribeOutcome::Replaced => "Resubscribed",
        };
        output::line(format!(
            "{what}: {} -> {} [{}], {}",
            done.subscription.uri,
            done.subscription.callback_url,
            done.subscription.events.join(", "),
            done.subscription.state
        ));
    }
    Ok(())
}

/// A subscription as `--json` prints it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Shown<'a> {
    uri: &'a str,
    callback_url: &'a str,
    state: &'a str,
    events: &'a [String],
}

impl<'a> Shown<'a> {
    fn of(s: &'a WebhookSubscription) -> Self {
        Self {
            uri: &s.uri,
            callback_url: &s.callback_url,
            state: &s.state,
            events: &s.events,
        }
    }
}

/// `https://host[/stage]`, without a trailing slash; with `local_http`, `http://` too for
/// localhost and 127.0.0.1 (a self-hosted provider on the same machine).
pub(super) fn base_url(raw: &str, local_http: bool) -> anyhow::Result<String> {
    let trimmed = raw.trim().trim_end_matches('/');
    let uri: http::Uri = trimmed
        .parse()
        .map_err(|_| anyhow!("--url {raw:?} is not a URL"))?;
    let local = matches!(uri.host(), Some("localhost" | "127.0.0.1" | "[::1]"));
    let scheme_ok = match uri.scheme_str() {
        Some("https") => true,
        Some("http") => local_http && local,
        _ => false,
    };
    if !scheme_ok || uri.host().is_none() {
        let also = if local_http {
            " (http:// only for localhost or 127.0.0.1)"
        } else {
            ""
        };
        bail!(
            "--url {raw:?} must be an https:// URL{also}: booking details travel in the webhook body"
        );
    }
    if uri.query().is_some() {
        bail!("--url {raw:?} must not carry a query string");
    }
    Ok(trimmed.to_owned())
}
