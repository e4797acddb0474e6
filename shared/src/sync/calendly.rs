//! Reading Calendly's API: the organization (`GET /users/me`), its scheduled events in a window
//! (`GET /scheduled_events`), and the invitees of the events that changed since they were last
//! read (`GET /scheduled_events/{uuid}/invitees`), a few at a time. Calendly has no "changed
//! since" filter for invitees, so each listed event's version (PROVIDERS.md §4) is remembered in
//! the sync state, and an unchanged event costs nothing.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use tokio::time::Instant;

use super::calcom::Fetched;
use super::pacer::Lane;
use crate::domain::{Region, Secret};
use crate::outbound::{Call, FetchError, ProviderHttp};
use crate::providers::calendly::api::{
    ScheduledEvent, parse_current_organization, parse_events_page, parse_invitees_page,
};

/// Items per page (Calendly's maximum).
pub(super) const COUNT: &str = "100";
pub(super) const MAX_PAGES: usize = 2_000;
/// Event versions remembered at most: beyond this (a very busy organization), the remaining
/// events are read every run, and the sync state stays well inside a DynamoDB item.
const REMEMBERED_EVENTS: usize = 2_500;

#[derive(Debug)]
pub struct CalendlySource<'a> {
    pub http: &'a ProviderHttp,
    /// `CALENDLY_API_URL`, default `https://api.calendly.com`.
    pub base: &'a str,
    pub token: Secret,
    pub region: Region,
    /// The token's rate budget, shared with every other run using it.
    pub pace: Arc<Lane>,
    /// Invitee listings read at once.
    pub reads: usize,
}

/// What a run must read from Calendly: the events whose invitees changed, and every listed
/// event's version, to remember once all of it is applied.
#[derive(Debug, Default)]
pub struct CalendlyPlan {
    pub changed: Vec<ScheduledEvent>,
    /// Event UUID -> version, for every event listed (the window bounds it).
    pub versions: BTreeMap<String, String>,
}

impl CalendlySource<'_> {
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base.trim_end_matches('/'))
    }

    /// Makes a call with the token, paced.
    pub(crate) async fn send(
        &self,
        call: Call<'_>,
        deadline: Instant,
    ) -> Result<Vec<u8>, FetchError> {
        let call = Call {
            bearer: Some(&self.token),
            pace: Some(&*self.pace),
            ..call
        };
        self.http.send(&call, deadline).await
    }

    async fn get(
        &self,
        url: &str,
        query: &[(&str, String)],
        deadline: Instant,
    ) -> Result<Vec<u8>, FetchError> {
        self.send(Call::get(url, query, &self.token), deadline)
            .await
    }

    /// The token's organization URI.
    pub async fn organization(&self, deadline: Instant) -> Result<String, FetchError> {
        let body = self.get(&self.url("/users/me"), &[], deadline).await?;
        Ok(parse_current_organization(&body)?)
    }

    /// The organization's events starting after `min_start`, and which of them are new or
    /// changed since `known` was recorded (all of them when `known` is `None`: a full read).
    /// `now` tells which events have ended: an event read before its end is read once more
    /// after it (for no-shows marked soon after the call).
    pub async fn plan(
        &self,
        organization: &str,
        min_start: DateTime<Utc>,
        known: Option<&BTreeMap<String, String>>,
        now: DateTime<Utc>,
        deadline: Instant,
    ) -> Result<CalendlyPlan, FetchError> {
        let mut plan = CalendlyPlan::default();
        for event in self.events(organization, min_start, deadline).await? {
            let uuid = event.uuid().to_owned();
            let version = event_version(&event, now);
            let unchanged = known.and_then(|k| k.get(&uuid)) == Some(&version);
            if plan.versions.len() < REMEMBERED_EVENTS {
                plan.versions.insert(uuid, version);
            }
            if !unchanged {
                plan.changed.push(event);
            }
        }
        Ok(plan)
    }

    /// The invitees of `events`, [`CalendlySource::reads`] events at a time, as a stream of
    /// pages in the events' order: the run applies each as it comes.
    pub fn invitee_pages<'s>(
        &'s self,
        events: &'s [ScheduledEvent],
        deadline: Instant,
    ) -> impl futures_util::Stream<Item = Result<Fetched, FetchError>> + 's {
        // The futures are made first: a stream's own closure would hide their lifetimes.
        let reads: Vec<_> = events
            .iter()
            .map(|event| self.invitees(event, deadline))
            .collect();
        futures_util::stream::iter(reads).buffered(self.reads.max(1))
    }

    async fn events(
        &self,
        organization: &str,
        min_start: DateTime<Utc>,
        deadline: Instant,
    ) -> Result<Vec<ScheduledEvent>, FetchError> {
        let mut events = Vec::new();
        let mut token: Option<String> = None;
        let url = self.url("/scheduled_events");
        for _ in 0..MAX_PAGES {
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
            let parsed = parse_events_page(&self.get(&url, &query, deadline).await?)?;
            events.extend(parsed.events);
            match parsed.next_page_token {
                Some(next) => token = Some(next),
                None => return Ok(events),
            }
        }
        Err(FetchError::Malformed(format!(
            "more than {MAX_PAGES} pages of scheduled events"
        )))
    }

    async fn invitees(
        &self,
        event: &ScheduledEvent,
        deadline: Instant,
    ) -> Result<Fetched, FetchError> {
        // Requests go to the configured base: the event's URI names the real API host.
        let url = self.url(&format!("/scheduled_events/{}/invitees", event.uuid()));
        let mut fetched = Fetched::default();
        let mut token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut query = vec![("count", COUNT.to_owned())];
            query.extend(token.take().map(|t| ("page_token", t)));
            let body = self.get(&url, &query, deadline).await?;
            let page = parse_invitees_page(&body, event, self.region)?;
            fetched.extend(page.events);
            match page.next_page_token {
                Some(next) => token = Some(next),
                None => return Ok(fetched),
            }
        }
        Err(FetchError::Malformed(format!(
            "more than {MAX_PAGES} pages of invitees"
        )))
    }
}

/// What tells an event's invitees may have changed: its `updated_at`, status and invitee
/// counts as listed, and whether it had ended when read; kept as 12 hex digits of its SHA-256.
fn event_version(event: &ScheduledEvent, now: DateTime<Utc>) -> String {
    let ended = event.end.is_some_and(|end| end <= now);
    let digest = Sha256::digest(format!("{}|{ended}", event.version));
    hex::encode(&digest[..6])
}
