//! Onboarding: the Calendly webhook subscription that sends an account's bookings to
//! booking-tracker, signed with the account's signing key (PROVIDERS.md §2.8).
//!
//! Calendly never shows a subscription's signing key and cannot change it, and two
//! subscriptions to one URL deliver everything twice. So a subscription is made only when none
//! to the URL is active with every trigger we follow; a disabled or incomplete one is deleted
//! first, and `replace` recreates a working one (to put the account's current key on it).

use reqwest::Method;
use tokio::time::Instant;

use super::calendly::{COUNT, CalendlySource, MAX_PAGES};
use crate::domain::Secret;
use crate::outbound::{Call, FetchError};
use crate::providers::calendly::api::{
    WEBHOOK_EVENTS, WebhookSubscription, parse_created_subscription, parse_subscriptions_page,
};

/// What [`subscribe`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubscribeOutcome {
    /// No subscription delivered to the URL; one was made.
    Created,
    /// An active subscription with every trigger already delivers to the URL; left alone.
    AlreadyActive,
    /// Subscriptions to the URL were deleted (disabled, missing triggers, or `replace`) and one
    /// was made.
    Replaced,
}

impl SubscribeOutcome {
    pub fn code(self) -> &'static str {
        match self {
            SubscribeOutcome::Created => "created",
            SubscribeOutcome::AlreadyActive => "already_active",
            SubscribeOutcome::Replaced => "replaced",
        }
    }
}

/// The subscription delivering to the URL, and how it came to be.
#[derive(Clone, Debug)]
pub struct Subscribed {
    pub outcome: SubscribeOutcome,
    pub subscription: WebhookSubscription,
    /// Subscriptions deleted on the way.
    pub deleted: Vec<WebhookSubscription>,
}

/// What to subscribe.
#[derive(Debug)]
pub struct Subscription<'a> {
    pub organization: &'a str,
    /// `https://<host>/webhooks/calendly/<account>`.
    pub callback_url: &'a str,
    pub signing_key: &'a Secret,
    /// Recreate a working subscription too.
    pub replace: bool,
}

/// Makes sure exactly one organization subscription delivers our triggers to the URL.
/// Safe to repeat: a second run finds the first run's subscription and leaves it.
pub async fn subscribe(
    calendly: &CalendlySource<'_>,
    wanted: &Subscription<'_>,
    deadline: Instant,
) -> Result<Subscribed, FetchError> {
    let existing: Vec<WebhookSubscription> = subscriptions(calendly, wanted.organization, deadline)
        .await?
        .into_iter()
        .filter(|s| s.callback_url.trim_end_matches('/') == wanted.callback_url)
        .collect();
    if !wanted.replace
        && let Some(working) = existing
            .iter()
            .find(|s| s.is_active() && s.covers_our_events())
    {
        return Ok(Subscribed {
            outcome: SubscribeOutcome::AlreadyActive,
            subscription: working.clone(),
            deleted: Vec::new(),
        });
    }
    for old in &existing {
        delete_subscription(calendly, &old.uri, deadline).await?;
    }
    let subscription = create_subscription(calendly, wanted, deadline).await?;
    Ok(Subscribed {
        outcome: if existing.is_empty() {
            SubscribeOutcome::Created
        } else {
            SubscribeOutcome::Replaced
        },
        subscription,
        deleted: existing,
    })
}

/// The organization's webhook subscriptions (organization scope).
pub async fn subscriptions(
    calendly: &CalendlySource<'_>,
    organization: &str,
    deadline: Instant,
) -> Result<Vec<WebhookSubscription>, FetchError> {
    let url = calendly.url("/webhook_subscriptions");
    let mut found = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let mut query = vec![
            ("organization", organization.to_owned()),
            ("scope", "organization".to_owned()),
            ("count", COUNT.to_owned()),
        ];
        query.extend(token.take().map(|t| ("page_token", t)));
        let body = calendly
            .send(Call::get(&url, &query, &calendly.token), deadline)
            .await?;
        let page = parse_subscriptions_page(&body)?;
        found.extend(page.subscriptions);
        match page.next_page_token {
            Some(next) => token = Some(next),
            None => return Ok(found),
        }
    }
    Err(FetchError::Malformed(format!(
        "more than {MAX_PAGES} pages of webhook subscriptions"
    )))
}

/// `POST /webhook_subscriptions` for our triggers, signed with `wanted.signing_key`.
async fn create_subscription(
    calendly: &CalendlySource<'_>,
    wanted: &Subscription<'_>,
    deadline: Instant,
) -> Result<WebhookSubscription, FetchError> {
    let url = calendly.url("/webhook_subscriptions");
    let body = serde_json::json!({
        "url": wanted.callback_url,
        "events": WEBHOOK_EVENTS,
        "organization": wanted.organization,
        "scope": "organization",
        "signing_key": wanted.signing_key.expose(),
    });
    let created = calendly
        .send(Call::post(&url, &body, &calendly.token), deadline)
        .await?;
    Ok(parse_created_subscription(&created)?)
}

/// `DELETE /webhook_subscriptions/{uuid}`; one already gone counts as deleted.
async fn delete_subscription(
    calendly: &CalendlySource<'_>,
    uri: &str,
    deadline: Instant,
) -> Result<(), FetchError> {
    // Sent to the configured base: the URI names the real API host.
    let uuid = uri.rsplit('/').next().unwrap_or_default();
    let url = calendly.url(&format!("/webhook_subscriptions/{uuid}"));
    let call = Call {
        method: Method::DELETE,
        ..Call::get(&url, &[], &calendly.token)
    };
    match calendly.send(call, deadline).await {
        Ok(_) | Err(FetchError::Status(404, _)) => Ok(()),
        Err(e) => Err(e),
    }
}
