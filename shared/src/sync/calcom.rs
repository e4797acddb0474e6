//! Reading Cal.com's API v2 (`GET /v2/bookings`): upcoming bookings, cancellations since the last
//! run, and recent past bookings (for `absent` attendees).

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use tokio::time::Instant;

use super::client::{Call, FetchError, ProviderHttp};
use crate::domain::{BookingEvent, Region, Secret};
use crate::providers::calcom::api::{API_VERSION, parse_bookings_page};

/// Bookings per page.
const TAKE: usize = 100;
/// A guard against a provider that never says "last page".
const MAX_PAGES: usize = 2_000;

/// What one provider run read.
#[derive(Debug, Default)]
pub struct Fetched {
    pub events: Vec<BookingEvent>,
    /// Bookings (Cal.com) or invitees (Calendly) read.
    pub bookings: u64,
}

#[derive(Debug)]
pub struct CalcomSource<'a> {
    pub http: &'a ProviderHttp,
    /// `CALCOM_API_URL`, default `https://api.cal.com`.
    pub base: &'a str,
    pub api_key: &'a Secret,
    pub event_type_ids: &'a [u64],
    pub region: Region,
}

impl CalcomSource<'_> {
    /// Upcoming bookings (pending ones included), bookings cancelled since `since`, and bookings
    /// that ended in the last `past_window`.
    pub async fn fetch(
        &self,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
        past_window: Duration,
        deadline: Instant,
    ) -> Result<Fetched, FetchError> {
        let iso = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Millis, true);
        let mut fetched = Fetched::default();
        for filter in [
            vec![("status", "upcoming".to_owned())],
            vec![
                ("status", "cancelled".to_owned()),
                ("afterUpdatedAt", iso(since)),
            ],
            vec![
                ("status", "past".to_owned()),
                ("afterStart", iso(now - past_window)),
            ],
        ] {
            self.pages(filter, &mut fetched, deadline).await?;
        }
        Ok(fetched)
    }

    async fn pages(
        &self,
        mut query: Vec<(&str, String)>,
        fetched: &mut Fetched,
        deadline: Instant,
    ) -> Result<(), FetchError> {
        if !self.event_type_ids.is_empty() {
            let ids: Vec<String> = self.event_type_ids.iter().map(u64::to_string).collect();
            query.push(("eventTypeIds", ids.join(",")));
        }
        query.push(("take", TAKE.to_string()));
        let url = format!("{}/v2/bookings", self.base.trim_end_matches('/'));
        let mut skip = 0;
        for _ in 0..MAX_PAGES {
            let mut page_query = query.clone();
            page_query.push(("skip", skip.to_string()));
            let body = self
                .http
                .send(
                    &Call {
                        headers: &[("cal-api-version", API_VERSION)],
                        ..Call::get(&url, &page_query, self.api_key)
                    },
                    deadline,
                )
                .await?;
            let page = parse_bookings_page(&body, self.region)?;
            fetched.bookings += page.bookings as u64;
            fetched.events.extend(page.events);
            if !page.has_next_page || page.bookings == 0 {
                return Ok(());
            }
            skip += page.bookings;
        }
        Err(FetchError::Malformed(format!(
            "more than {MAX_PAGES} pages"
        )))
    }
}
