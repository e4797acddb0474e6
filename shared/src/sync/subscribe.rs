//! Onboarding: the Calendly webhook subscription that sends an account's bookings to
//! booking-tracker, signed with the account's signing key (PROVIDERS.md §2.8).
//!
//! Calendly never shows a subscription's signing key and cannot change it, and two
//! subscriptions to one URL deliver everything twice. So a subscription is made only when none
//! to the URL is active with every trigger we follow; a disabled or incomplete one is deleted
//! first, and `replace` recreates a working one (to put the account's current key on it).

use tokio::time::Instant;

use super::calendly::CalendlySource;
use super::client::FetchError;
use crate::domain::Secret;
use crate::providers::calendly::api::WebhookSubscription;

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
    let existing: Vec<WebhookSubscription> = calendly
        .subscriptions(wanted.organization, deadline)
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
        calendly.delete_subscription(&old.uri, deadline).await?;
    }
    let subscription = calendly.create_subscription(wanted, deadline).await?;
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
