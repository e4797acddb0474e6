//! `calcom_webhook` and `calendly_webhook`: the provider holds a webhook to our URL, active,
//! with every trigger we follow, in a body we can read; a Calendly subscription that is
//! retrying failed deliveries warns, a disabled one fails. Both are listed with the account's
//! credentials through the clients `webhook <provider>-subscribe` uses; without credentials,
//! the delivery log says what it can.
//!
//! The URL is ours when its path is `/webhooks/<provider>/<account>` (at exactly `--url` when
//! given). The compatibility route `/api/webhooks/calendar/<provider>` needs an `x-account-id`
//! header the providers cannot send, so a webhook posting there is pointed out, not counted.

use chrono::{DateTime, Utc};

use super::report::Finding;
use super::{Credential, Doctor};
use crate::domain::Provider;
use crate::outbound::FetchError;
use crate::providers::calcom::webhooks_api::{CalcomWebhook, WEBHOOK_TRIGGERS};
use crate::providers::calendly::api::{WEBHOOK_EVENTS, WebhookSubscription};
use crate::setup::{calcom_webhooks, same_url};
use crate::store::Store;
use crate::sync::subscriptions;

/// A registered webhook, whichever provider holds it.
#[derive(Debug)]
struct Registered<'a> {
    id: &'a str,
    url: &'a str,
    active: bool,
    /// Triggers we follow that it does not deliver.
    missing: Vec<&'static str>,
    /// A Cal.com custom payload template: a body booking-tracker cannot read.
    unreadable: bool,
    /// Calendly is retrying failed deliveries since then.
    retrying_since: Option<DateTime<Utc>>,
}

impl<'a> Registered<'a> {
    fn calcom(webhook: &'a CalcomWebhook) -> Self {
        Self {
            id: &webhook.id,
            url: &webhook.subscriber_url,
            active: webhook.active,
            missing: missing(&WEBHOOK_TRIGGERS, &webhook.triggers),
            unreadable: webhook.custom_payload,
            retrying_since: None,
        }
    }

    fn calendly(subscription: &'a WebhookSubscription) -> Self {
        Self {
            id: subscription.uri.rsplit('/').next().unwrap_or_default(),
            url: &subscription.callback_url,
            active: subscription.is_active(),
            missing: missing(&WEBHOOK_EVENTS, &subscription.events),
            unreadable: false,
            retrying_since: subscription.retry_started_at,
        }
    }

    fn works(&self) -> bool {
        self.active && self.missing.is_empty() && !self.unreadable
    }

    /// What is wrong with it, as a clause.
    fn problems(&self, provider: Provider) -> String {
        let mut problems = Vec::new();
        if !self.active {
            problems.push(match provider {
                Provider::Calendly => {
                    "is disabled (Calendly gave up after 24 h of failed deliveries)".to_owned()
                }
                _ => "is inactive".to_owned(),
            });
        }
        if !self.missing.is_empty() {
            problems.push(format!("does not deliver {}", self.missing.join(", ")));
        }
        if self.unreadable {
            problems.push("has a custom payload template booking-tracker cannot read".into());
        }
        problems.join(" and ")
    }
}

fn missing(wanted: &[&'static str], have: &[String]) -> Vec<&'static str> {
    wanted
        .iter()
        .copied()
        .filter(|w| !have.iter().any(|h| h == w))
        .collect()
}

/// The Cal.com webhook, listed with the account's API key (`GET /v2/webhooks`).
pub(super) async fn calcom<S: Store + ?Sized>(d: &Doctor<'_, S>) -> Finding {
    let Some(source) = d.service.calcom_source(d.account).await else {
        return d.not_checkable(Provider::Calcom).await;
    };
    let listed = match source {
        Ok(source) => calcom_webhooks(&source, d.deadline).await,
        Err(e) => return d.unopened(&e),
    };
    match listed {
        Ok(listed) => d.judge(Provider::Calcom, listed.iter().map(Registered::calcom)),
        Err(e) => d.unlisted(Provider::Calcom, &e),
    }
}

/// The Calendly subscription, listed with the account's token (`GET /webhook_subscriptions`
/// of its organization).
pub(super) async fn calendly<S: Store + ?Sized>(d: &Doctor<'_, S>) -> Finding {
    let Some(source) = d.service.calendly_source(d.account).await else {
        return d.not_checkable(Provider::Calendly).await;
    };
    let source = match source {
        Ok(source) => source,
        Err(e) => return d.unopened(&e),
    };
    let organization = match &d.account.calendly.organization {
        Some(organization) => organization.clone(),
        None => match source.organization(d.deadline).await {
            Ok(organization) => organization,
            Err(e) => return d.unlisted(Provider::Calendly, &e),
        },
    };
    match subscriptions(&source, &organization, d.deadline).await {
        Ok(listed) => d.judge(Provider::Calendly, listed.iter().map(Registered::calendly)),
        Err(e) => d.unlisted(Provider::Calendly, &e),
    }
}

impl<S: Store + ?Sized> Doctor<'_, S> {
    /// Without credentials the provider cannot be asked: ok, with what the delivery log shows.
    async fn not_checkable(&self, provider: Provider) -> Finding {
        let name = provider.display_name();
        let credential = Credential::of(provider).name;
        let evidence = match self.delivery_log().await {
            Ok(log) => self.last_accepted(&log, provider),
            Err(e) => format!("the delivery log cannot be read ({e})"),
        };
        Finding::ok(format!(
            "not checked at {name}: the account has no {name} {credential}; {evidence}"
        ))
    }

    /// The listing failed. A refusal only warns here: the credentials check fails for it, and
    /// a key that works may still lack the right to read webhooks.
    fn unlisted(&self, provider: Provider, error: &FetchError) -> Finding {
        let credential = Credential::of(provider);
        let what = format!("cannot list the {} webhooks", provider.display_name());
        match error {
            FetchError::Unauthorized(..) => Finding::warn(
                format!("{what}: {error}"),
                format!(
                    "set a {} that may read webhooks with {}",
                    credential.name,
                    self.command("accounts update", credential.option)
                ),
            ),
            _ => self.unreachable(credential.who, &what, error),
        }
    }

    /// The verdict on what the provider lists.
    fn judge<'a>(
        &self,
        provider: Provider,
        listed: impl Iterator<Item = Registered<'a>>,
    ) -> Finding {
        let name = provider.display_name();
        let path = format!("/webhooks/{}/{}", provider.as_str(), self.account.id);
        let expected = self
            .options
            .base_url
            .as_deref()
            .map(|b| format!("{b}{path}"));
        let listed: Vec<Registered<'a>> = listed.collect();
        let is_ours = |r: &Registered<'_>| match &expected {
            Some(url) => same_url(r.url, url),
            None => r.url.trim().trim_end_matches('/').ends_with(&path),
        };
        let ours: Vec<&Registered<'a>> = listed.iter().filter(|r| is_ours(r)).collect();
        let found_base = ours
            .first()
            .and_then(|r| r.url.trim().trim_end_matches('/').strip_suffix(&path));
        let subscribe = |rest: &str| {
            let url = format!("--url {}{rest}", self.base(found_base));
            self.command(&format!("webhook {}-subscribe", provider.as_str()), &url)
        };

        if ours.is_empty() {
            let target = expected.unwrap_or_else(|| format!("…{path}"));
            let mut detail = format!(
                "no {name} webhook posts to {target} ({} registered)",
                listed.len()
            );
            for other in listed.iter().filter(|r| r.url.contains(&path)) {
                detail.push_str(&format!("; {} posts to {}", other.id, other.url));
            }
            let compat = format!("/api/webhooks/calendar/{}", provider.as_str());
            for old in listed.iter().filter(|r| r.url.contains(&compat)) {
                detail.push_str(&format!(
                    "; {} posts to the compatibility route {}, which needs an x-account-id \
                     header {name} cannot send",
                    old.id, old.url
                ));
            }
            return Finding::fail(detail, format!("run {} to register it", subscribe("")));
        }
        let working: Vec<&&Registered<'a>> = ours.iter().filter(|r| r.works()).collect();
        match working.as_slice() {
            [] => {
                let worst = ours.iter().find(|r| r.active).unwrap_or(&ours[0]);
                Finding::fail(
                    format!(
                        "{name} webhook {} to {} {}",
                        worst.id,
                        worst.url,
                        worst.problems(provider)
                    ),
                    format!("run {} to repair it", subscribe("")),
                )
            }
            [one] => match one.retrying_since {
                Some(since) => Finding::warn(
                    format!(
                        "{name} has been retrying failed deliveries to {} since {}; it disables \
                         the subscription 24 h after that",
                        one.url,
                        self.when(since)
                    ),
                    format!(
                        "make {} answer 2xx (see the rejected deliveries with {}), then Calendly \
                         stops retrying",
                        one.url,
                        self.command("deliveries", "")
                    ),
                ),
                None => Finding::ok(format!(
                    "{name} webhook {} posts every trigger to {}",
                    one.id, one.url
                )),
            },
            many => {
                // Cal.com's subscribe deletes duplicates; Calendly's keeps a working one unless
                // it replaces them all.
                let rest = match provider {
                    Provider::Calendly => " --replace",
                    _ => "",
                };
                Finding::warn(
                    format!(
                        "{} active {name} webhooks post to {}: every booking arrives {} times",
                        many.len(),
                        many[0].url,
                        many.len()
                    ),
                    format!("run {} to keep one", subscribe(rest)),
                )
            }
        }
    }
}
