//! Calendly's API: the organization (`GET /users/me`), its scheduled events in a window
//! (`GET /scheduled_events`), each event's invitees, and the webhook subscriptions.

use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::Method;
use tokio::time::Instant;

use super::calcom::Fetched;
use super::client::{Call, FetchError, ProviderHttp};
use super::subscribe::Subscription;
use crate::domain::{Region, Secret};
use crate::providers::calendly::api::{
    ScheduledEvent, WEBHOOK_EVENTS, WebhookSubscription, parse_created_subscription,
    parse_current_organization, parse_events_page, parse_invitees_page, parse_subscriptions_page,
};

/// Items per page (Calendly's maximum).
const COUNT: &str = "100";
const MAX_PAGES: usize = 2_000;

#[derive(Debug)]
pub struct CalendlySource<'a> {
    pub http: &'a ProviderHttp,
    /// `CALENDLY_API_URL`, default `https://api.calendly.com`.
    pub base: &'a str,
    pub token: &'a Secret,
    pub region: Region,
}

impl CalendlySource<'_> {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base.trim_end_matches('/'))
    }

    async fn get(
        &self,
        url: &str,
        query: &[(&str, String)],
        deadline: Instant,
    ) -> Result<Vec<u8>, FetchError> {
        self.http
            .send(&Call::get(url, query, self.token), deadline)
            .await
    }

    /// The token's organization URI.
    pub async fn organization(&self, deadline: Instant) -> Result<String, FetchError> {
        let body = self.get(&self.url("/users/me"), &[], deadline).await?;
        Ok(parse_current_organization(&body)?)
    }

    /// Every invitee of the organization's events starting after `min_start`, active and
    /// cancelled (Calendly has no "changed since" filter, so the window is re-read each run).
    pub async fn fetch(
        &self,
        organization: &str,
        min_start: DateTime<Utc>,
        deadline: Instant,
    ) -> Result<Fetched, FetchError> {
        let mut events: Vec<ScheduledEvent> = Vec::new();
        let mut token: Option<String> = None;
        let url = self.url("/scheduled_events");
        for page in 0.. {
            if page >= MAX_PAGES {
                return Err(FetchError::Malformed(format!(
                    "more than {MAX_PAGES} pages"
                )));
            }
            let mut query = vec![
                ("organization", organization.to_owned()),
                (
                    "min_start_time",
                    min_start.to_rfc3339_opts(SecondsFormat::Micros, true),
                ),
                ("count", COUNT.to_owned()),
                ("sort", "start_time:asc".to_owned()),
            ];
            query.extend(token.take().map(|t| ("page_token", t)));
            let body = self.get(&url, &query, deadline).await?;
            let parsed = parse_events_page(&body)?;
            events.extend(parsed.events);
            match parsed.next_page_token {
                Some(next) => token = Some(next),
                None => break,
            }
        }
        let mut fetched = Fetched::default();
        for event in &events {
            self.invitees(event, &mut fetched, deadline).await?;
        }
        Ok(fetched)
    }

    /// The organization's webhook subscriptions (organization scope).
    pub async fn subscriptions(
        &self,
        organization: &str,
        deadline: Instant,
    ) -> Result<Vec<WebhookSubscription>, FetchError> {
        let url = self.url("/webhook_subscriptions");
        let mut found = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut query = vec![
                ("organization", organization.to_owned()),
                ("scope", "organization".to_owned()),
                ("count", COUNT.to_owned()),
            ];
            query.extend(token.take().map(|t| ("page_token", t)));
            let page = parse_subscriptions_page(&self.get(&url, &query, deadline).await?)?;
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
    pub(super) async fn create_subscription(
        &self,
        wanted: &Subscription<'_>,
        deadline: Instant,
    ) -> Result<WebhookSubscription, FetchError> {
        let url = self.url("/webhook_subscriptions");
        let body = serde_json::json!({
            "url": wanted.callback_url,
            "events": WEBHOOK_EVENTS,
            "organization": wanted.organization,
            "scope": "organization",
            "signing_key": wanted.signing_key.expose(),
        });
        let call = Call::post(&url, &body, self.token);
        Ok(parse_created_subscription(
            &self.http.send(&call, deadline).await?,
        )?)
    }

    /// `DELETE /webhook_subscriptions/{uuid}`; one already gone counts as deleted.
    pub(super) async fn delete_subscription(
        &self,
        uri: &str,
        deadline: Instant,
    ) -> Result<(), FetchError> {
        // Sent to the configured base: the URI names the real API host.
        let uuid = uri.rsplit('/').next().unwrap_or_default();
        let url = self.url(&format!("/webhook_subscriptions/{uuid}"));
        let call = Call {
            method: Method::DELETE,
            ..Call::get(&url, &[], self.token)
        };
        match self.http.send(&call, deadline).await {
            Ok(_) | Err(FetchError::Status(404, _)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn invitees(
        &self,
        event: &ScheduledEvent,
        fetched: &mut Fetched,
        deadline: Instant,
    ) -> Result<(), FetchError> {
        // Requests go to the configured base: the event's URI names the real API host.
        let uuid = event.uri.rsplit('/').next().unwrap_or_default();
        let url = self.url(&format!("/scheduled_events/{uuid}/invitees"));
        let mut token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut query = vec![("count", COUNT.to_owned())];
            query.extend(token.take().map(|t| ("page_token", t)));
            let body = self.get(&url, &query, deadline).await?;
            let page = parse_invitees_page(&body, event, self.region)?;
            fetched.bookings += page.invitees as u64;
            fetched.events.extend(page.events);
            match page.next_page_token {
                Some(next) => token = Some(next),
                None => return Ok(()),
            }
        }
        Err(FetchError::Malformed(format!(
            "more than {MAX_PAGES} pages of invitees"
        )))
    }
}
