//! Reading Cal.com's API v2 (`GET /v2/bookings`, PROVIDERS.md §3), narrowed by its filters so a
//! run where nothing changed costs four requests: upcoming bookings created since the last run,
//! upcoming bookings updated since (confirmations), bookings cancelled or rejected since, and
//! the last days' past bookings (for `absent` attendees). A full read, every upcoming booking
//! whenever made, is the first run's and then once a day's, as a safety net.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use futures_util::{StreamExt, TryStreamExt};
use tokio::time::Instant;

use super::pacer::Lane;
use crate::domain::{BookingEvent, BookingKey, Region, Secret};
use crate::outbound::{Call, FetchError, ProviderHttp};
use crate::providers::calcom::api::{API_VERSION, parse_bookings_page};

/// Bookings per page.
const TAKE: usize = 100;
/// A guard against a provider that never says "last page".
const MAX_PAGES: usize = 2_000;

/// What one provider run read: booking events, and the bookings they came from.
#[derive(Debug, Default)]
pub struct Fetched {
    pub events: Vec<BookingEvent>,
    /// Bookings (Cal.com) or invitees (Calendly) read, each once.
    pub bookings: HashSet<BookingKey>,
}

impl Fetched {
    /// Adds one listing's events.
    pub(super) fn extend(&mut self, events: Vec<BookingEvent>) {
        self.bookings.extend(events.iter().map(|e| e.key.clone()));
        self.events.extend(events);
    }

    /// Adds another listing's read, leaving out bookings already read (a booking can be in
    /// two listings when it changed as they were read; the first read stands).
    pub(super) fn absorb(&mut self, other: Fetched) {
        let known = std::mem::take(&mut self.bookings);
        let new: Vec<BookingEvent> = other
            .events
            .into_iter()
            .filter(|e| !known.contains(&e.key))
            .collect();
        self.bookings = known;
        self.extend(new);
    }
}

#[derive(Debug)]
pub struct CalcomSource<'a> {
    pub http: &'a ProviderHttp,
    /// `CALCOM_API_URL`, default `https://api.cal.com`.
    pub base: &'a str,
    pub api_key: Secret,
    pub event_type_ids: &'a [u64],
    pub region: Region,
    /// The key's rate budget, shared with every other run using it.
    pub pace: Arc<Lane>,
    /// Listings read at once.
    pub reads: usize,
}

/// What a run asks Cal.com for.
#[derive(Clone, Copy, Debug)]
pub struct CalcomWindow {
    /// Changes before this were read by an earlier run.
    pub since: DateTime<Utc>,
    pub now: DateTime<Utc>,
    /// Past bookings this far back are read for their `absent` attendees.
    pub past: Duration,
    /// Every upcoming booking, not only those created or updated since `since`.
    pub full: bool,
}

impl CalcomSource<'_> {
    /// `path` under the API base.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base.trim_end_matches('/'))
    }

    /// Makes a call with the key and the API version, paced.
    pub(crate) async fn send(
        &self,
        call: Call<'_>,
        deadline: Instant,
    ) -> Result<Vec<u8>, FetchError> {
        let call = Call {
            bearer: Some(&self.api_key),
            headers: &[("cal-api-version", API_VERSION)],
            pace: Some(&*self.pace),
            ..call
        };
        self.http.send(&call, deadline).await
    }

    /// The listings of `window`, read [`CalcomSource::reads`] at a time.
    pub async fn fetch(
        &self,
        window: CalcomWindow,
        deadline: Instant,
    ) -> Result<Fetched, FetchError> {
        let iso = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Millis, true);
        let status = |s: &str| ("status", s.to_owned());
        let mut listings = Vec::with_capacity(4);
        if window.full {
            listings.push(vec![status("upcoming")]);
        } else {
            listings.push(vec![
                status("upcoming"),
                ("afterCreatedAt", iso(window.since)),
            ]);
            listings.push(vec![
                status("upcoming"),
                ("afterUpdatedAt", iso(window.since)),
            ]);
        }
        listings.push(vec![
            status("cancelled"),
            ("afterUpdatedAt", iso(window.since)),
        ]);
        listings.push(vec![
            status("past"),
            ("afterStart", iso(window.now - window.past)),
        ]);
        // The futures are made first: a stream's own closure would hide their lifetimes.
        let reads: Vec<_> = listings
            .into_iter()
            .map(|query| self.pages(query, deadline))
            .collect();
        let reads: Vec<Fetched> = futures_util::stream::iter(reads)
            .buffered(self.reads.max(1))
            .try_collect()
            .await?;
        let mut fetched = Fetched::default();
        for read in reads {
            fetched.absorb(read);
        }
        Ok(fetched)
    }

    async fn pages(
        &self,
        mut query: Vec<(&'static str, String)>,
        deadline: Instant,
    ) -> Result<Fetched, FetchError> {
        if !self.event_type_ids.is_empty() {
            let ids: Vec<String> = self.event_type_ids.iter().map(u64::to_string).collect();
            query.push(("eventTypeIds", ids.join(",")));
        }
        query.push(("take", TAKE.to_string()));
        let url = self.url("/v2/bookings");
        let mut fetched = Fetched::default();
        let mut skip = 0;
        for _ in 0..MAX_PAGES {
            let mut page_query = query.clone();
            page_query.push(("skip", skip.to_string()));
            let call = Call::get(&url, &page_query, &self.api_key);
            let body = self.send(call, deadline).await?;
            let page = parse_bookings_page(&body, self.region)?;
            fetched.extend(page.events);
            if !page.has_next_page || page.bookings == 0 {
                return Ok(fetched);
            }
            skip += page.bookings;
        }
        Err(FetchError::Malformed(format!(
            "more than {MAX_PAGES} pages"
        )))
    }
}
