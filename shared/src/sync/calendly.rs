//! Reading Calendly's API: the organization (`GET /users/me`), its scheduled events in a window
//! (`GET /scheduled_events`), and each event's invitees.

use chrono::{DateTime, SecondsFormat, Utc};
use tokio::time::Instant;

use super::calcom::Fetched;
use super::client::{FetchError, Get, ProviderHttp};
use crate::domain::{Region, Secret};
use crate::providers::calendly::api::{
    ScheduledEvent, parse_current_organization, parse_events_page, parse_invitees_page,
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
        let request = Get {
            url,
            query,
            bearer: self.token,
            headers: &[],
        };
        self.http.get(&request, deadline).await
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
