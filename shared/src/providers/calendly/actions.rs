//! Calendly API v2 calls that act on one invitee's booking, and the invitee as `GET` reads it
//! before acting:
//!
//! | call | body | answer |
//! |---|---|---|
//! | `GET /scheduled_events/{event}/invitees/{invitee}` | | `{resource: Invitee}` |
//! | `POST /scheduled_events/{event}/cancellation` | `{reason}` | 201 `{resource: {canceled_by, reason, canceler_type, created_at}}` |
//! | `POST /invitee_no_shows` | `{invitee: <invitee URI>}` | 201 `{resource: {uri, invitee, created_at}}` |
//! | `DELETE /invitee_no_shows/{uuid}` | | 204 |
//!
//! `Invitee` is the resource webhooks carry (PROVIDERS.md §2.3): `status` (`active`,
//! `canceled`), `rescheduled`, `cancellation.created_at`, `no_show: null | {uri, created_at}`.
//! Cancelling cancels the whole event (one invitee per event for one-on-one types). All need the
//! `scheduled_events:write` scope; refusals are 4xx `{title, message}` ("Event in the past",
//! "Permission Denied"). Sources: developer.calendly.com/api-docs (scheduled-events:
//! get-event-invitee, cancel-event, create-invitee-no-show, delete-invitee-no-show).

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::wire::{Invitee, Resource};
use crate::domain::BookingKey;
use crate::providers::json::{self, PayloadError};

/// What booking-tracker needs to know about one Calendly invitee before acting on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteInvitee {
    pub canceled: bool,
    /// Canceled because it was rescheduled.
    pub rescheduled: bool,
    /// When it was canceled.
    pub canceled_at: Option<DateTime<Utc>>,
    /// The no-show's URI (what `DELETE` takes) and when it was marked, if marked.
    pub no_show: Option<(String, Option<DateTime<Utc>>)>,
}

/// The event and invitee UUIDs of an invitee URI
/// (`https://api.calendly.com/scheduled_events/<event>/invitees/<invitee>`), whatever host it
/// names: calls go to the configured API base, never to a host a payload gave.
pub fn invitee_path(key: &BookingKey) -> Option<(&str, &str)> {
    let mut parts = key.as_str().rsplit('/');
    let invitee = parts.next()?;
    let (invitees, event, events) = (parts.next()?, parts.next()?, parts.next()?);
    let uuid_like =
        |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    (invitees == "invitees"
        && events == "scheduled_events"
        && uuid_like(event)
        && uuid_like(invitee))
    .then_some((event, invitee))
}

/// The last segment of a no-show URI.
pub fn no_show_uuid(uri: &str) -> Option<&str> {
    uri.rsplit('/')
        .next()
        .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
}

/// `GET /scheduled_events/{event}/invitees/{invitee}`.
pub fn parse_invitee(body: &[u8]) -> Result<RemoteInvitee, PayloadError> {
    let wrapped: Resource<Invitee> = json::from_body(body, "body")?;
    let invitee = json::required(wrapped.resource, "resource")?;
    let status = json::required(invitee.status.as_deref(), "resource.status")?;
    let canceled_at = match &invitee.cancellation {
        Some(c) => {
            json::optional_time(c.created_at.as_deref(), "resource.cancellation.created_at")?
        }
        None => None,
    };
    let no_show = match &invitee.no_show {
        Some(n) => Some((
            json::required(json::text(n.uri.as_deref()), "resource.no_show.uri")?,
            json::optional_time(n.created_at.as_deref(), "resource.no_show.created_at")?,
        )),
        None => None,
    };
    Ok(RemoteInvitee {
        canceled: status == "canceled",
        rescheduled: invitee.rescheduled.unwrap_or(false),
        canceled_at,
        no_show,
    })
}

#[derive(Deserialize)]
struct Created {
    created_at: Option<String>,
}

/// The `created_at` of a created cancellation or no-show, if the answer says.
pub fn parse_created_at(body: &[u8]) -> Result<Option<DateTime<Utc>>, PayloadError> {
    let wrapped: Resource<Created> = json::from_body(body, "body")?;
    match wrapped.resource {
        Some(created) => json::optional_time(created.created_at.as_deref(), "resource.created_at"),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_an_invitee_uri_and_refuses_anything_else() {
        let key =
            BookingKey::parse("https://api.calendly.com/scheduled_events/EV-1/invitees/INV-2")
                .unwrap();
        assert_eq!(invitee_path(&key), Some(("EV-1", "INV-2")));
        for bad in [
            "INV-2",
            "https://x/scheduled_events/a/invitee/b",
            "https://x/scheduled_events/a?/invitees/b",
        ] {
            assert_eq!(
                invitee_path(&BookingKey::parse(bad).unwrap()),
                None,
                "{bad}"
            );
        }
        assert_eq!(
            no_show_uuid("https://api.calendly.com/invitee_no_shows/NS-1"),
            Some("NS-1")
        );
    }

    #[test]
    fn reads_an_invitee_with_a_no_show() {
        let body = br#"{"resource":{"uri":"u","status":"active","rescheduled":false,
            "no_show":{"uri":"https://api.calendly.com/invitee_no_shows/NS","created_at":"2026-03-02T10:00:00Z"}}}"#;
        let read = parse_invitee(body).unwrap();
        assert!(!read.canceled);
        assert_eq!(
            read.no_show.unwrap().0,
            "https://api.calendly.com/invitee_no_shows/NS"
        );
        let canceled = br#"{"resource":{"status":"canceled","cancellation":{"created_at":"2026-03-02T10:00:00Z"},"no_show":null}}"#;
        let read = parse_invitee(canceled).unwrap();
        assert!(read.canceled && read.canceled_at.is_some() && read.no_show.is_none());
        assert!(
            parse_created_at(br#"{"resource":{"created_at":"2026-03-02T10:00:00Z"}}"#)
                .unwrap()
                .is_some()
        );
    }
}
