//! The provider's side of an action, through the sync's clients (the same timeouts, pacing per
//! credential and rate-limit waits). Reads are retried as usual; the acting call is not (it may
//! have been taken before it failed): a later attempt reads the booking first instead.

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::Serialize;
use serde_json::{Value, json};
use tokio::time::Instant;

use super::{Action, ActionError};
use crate::domain::{BookingKey, Provider};
use crate::outbound::{Call, FetchError};
use crate::providers::calcom::actions::parse_booking;
use crate::providers::calendly::actions::{
    invitee_path, no_show_uuid, parse_created_at, parse_invitee,
};
use crate::sync::{CalcomSource, CalendlySource};

/// A provider call as reported: what was, or would be, sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProviderRequest {
    pub method: &'static str,
    /// The path under the provider's API base.
    pub path: String,
}

/// An account's client for one provider.
pub(super) enum Remote<'a> {
    Calcom(CalcomSource<'a>),
    Calendly(CalendlySource<'a>),
}

/// The booking at the provider, as far as one action cares.
#[derive(Clone, Debug, Default)]
pub(super) struct Seen {
    /// Already as the action would leave it.
    pub(super) done: bool,
    /// When the provider says it got there.
    pub(super) at: Option<DateTime<Utc>>,
    /// Rescheduled at the provider since booking-tracker last heard: no longer this booking.
    pub(super) moved: bool,
    /// What the acting call needs: the attendee's email (Cal.com), the no-show's URI (Calendly).
    handle: Option<String>,
}

/// Where a booking lives at its provider: Cal.com's uid, Calendly's event and invitee UUIDs.
enum Target<'k> {
    Calcom(&'k str),
    Calendly { event: &'k str, invitee: &'k str },
}

fn is_segment(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl<'a> Remote<'a> {
    pub(super) fn provider(&self) -> Provider {
        match self {
            Remote::Calcom(_) => Provider::Calcom,
            Remote::Calendly(_) => Provider::Calendly,
        }
    }

    fn url(&self, path: &str) -> String {
        match self {
            Remote::Calcom(source) => source.url(path),
            Remote::Calendly(source) => source.url(path),
        }
    }

    /// Makes a call with the account's credential, paced.
    async fn send(&self, call: Call<'_>, deadline: Instant) -> Result<Vec<u8>, FetchError> {
        match self {
            Remote::Calcom(source) => source.send(call, deadline).await,
            Remote::Calendly(source) => source.send(call, deadline).await,
        }
    }

    fn target<'k>(&self, key: &'k BookingKey) -> Result<Target<'k>, ActionError> {
        let target = match self {
            Remote::Calcom(_) => Some(key.as_str())
                .filter(|uid| is_segment(uid))
                .map(Target::Calcom),
            Remote::Calendly(_) => {
                invitee_path(key).map(|(event, invitee)| Target::Calendly { event, invitee })
            }
        };
        target.ok_or_else(|| {
            ActionError::NotActionable(format!(
                "{key:?} is not a {} booking id booking-tracker can address",
                self.provider().display_name()
            ))
        })
    }

    /// The call `action` takes (with the no-show's UUID once `seen` knows it).
    pub(super) fn request(
        &self,
        key: &BookingKey,
        action: &Action,
        seen: Option<&Seen>,
    ) -> Result<ProviderRequest, ActionError> {
        let post = |path: String| ProviderRequest {
            method: "POST",
            path,
        };
        Ok(match (self.target(key)?, action) {
            (Target::Calcom(uid), Action::Cancel { .. }) => {
                post(format!("/v2/bookings/{uid}/cancel"))
            }
            (Target::Calcom(uid), Action::NoShow { .. }) => {
                post(format!("/v2/bookings/{uid}/mark-absent"))
            }
            (Target::Calendly { event, .. }, Action::Cancel { .. }) => {
                post(format!("/scheduled_events/{event}/cancellation"))
            }
            (Target::Calendly { .. }, Action::NoShow { undo: false }) => {
                post("/invitee_no_shows".to_owned())
            }
            (Target::Calendly { .. }, Action::NoShow { undo: true }) => {
                let uuid = seen
                    .and_then(|s| s.handle.as_deref())
                    .and_then(no_show_uuid)
                    .unwrap_or("{no_show_uuid}");
                ProviderRequest {
                    method: "DELETE",
                    path: format!("/invitee_no_shows/{uuid}"),
                }
            }
        })
    }

    /// The booking's state at the provider.
    pub(super) async fn read(
        &self,
        key: &BookingKey,
        action: &Action,
        deadline: Instant,
    ) -> Result<Seen, ActionError> {
        let fail = |e: FetchError| failure(self.provider(), e);
        match (self, self.target(key)?) {
            (Remote::Calcom(source), Target::Calcom(uid)) => {
                let url = source.url(&format!("/v2/bookings/{uid}"));
                let call = Call::get(&url, &[], &source.api_key);
                let body = source.send(call, deadline).await.map_err(fail)?;
                let booking = parse_booking(&body, uid).map_err(|e| fail(e.into()))?;
                let done = match action {
                    Action::Cancel { .. } => booking.is_called_off(),
                    Action::NoShow { undo } => booking.absent != *undo,
                };
                Ok(Seen {
                    done,
                    at: booking.updated_at,
                    moved: booking.rescheduled_to.is_some(),
                    handle: booking.attendee_email,
                })
            }
            (Remote::Calendly(source), Target::Calendly { event, invitee }) => {
                let url = source.url(&format!("/scheduled_events/{event}/invitees/{invitee}"));
                let call = Call::get(&url, &[], &source.token);
                let body = source.send(call, deadline).await.map_err(fail)?;
                let read = parse_invitee(&body).map_err(|e| fail(e.into()))?;
                let (done, at) = match action {
                    Action::Cancel { .. } => (read.canceled, read.canceled_at),
                    Action::NoShow { undo } => (
                        read.no_show.is_some() != *undo,
                        read.no_show.as_ref().and_then(|(_, at)| *at),
                    ),
                };
                Ok(Seen {
                    done,
                    at,
                    moved: read.canceled && read.rescheduled,
                    handle: read.no_show.map(|(uri, _)| uri),
                })
            }
            _ => unreachable!("a target is made for its own provider"),
        }
    }

    /// Takes the action; the provider's time for it, when its answer gives one. `email` is the
    /// attendee's as booking-tracker knows it, for when the provider's read had none.
    pub(super) async fn perform(
        &self,
        key: &BookingKey,
        action: &Action,
        seen: &Seen,
        email: Option<&str>,
        deadline: Instant,
    ) -> Result<Option<DateTime<Utc>>, FetchError> {
        let request = self
            .request(key, action, Some(seen))
            .map_err(|e| FetchError::Malformed(e.to_string()))?;
        let body: Option<Value> = match (self, action) {
            (Remote::Calcom(_), Action::Cancel { reason }) => Some(json!({
                "cancellationReason": reason.as_deref().unwrap_or("Cancelled by the host")
            })),
            (Remote::Calcom(_), Action::NoShow { undo }) => {
                let email = seen.handle.as_deref().or(email).ok_or_else(|| {
                    FetchError::Malformed("the booking has no attendee email to mark".into())
                })?;
                Some(json!({ "attendees": [{ "email": email, "absent": !undo }] }))
            }
            (Remote::Calendly(_), Action::Cancel { reason }) => Some(match reason {
                Some(reason) => json!({ "reason": reason }),
                None => json!({}),
            }),
            (Remote::Calendly(_), Action::NoShow { undo: false }) => {
                Some(json!({ "invitee": key.as_str() }))
            }
            (Remote::Calendly(_), Action::NoShow { undo: true }) => None,
        };
        let method = match request.method {
            "DELETE" => Method::DELETE,
            _ => Method::POST,
        };
        let url = self.url(&request.path);
        let call = Call {
            json: body.as_ref(),
            idempotent: false,
            ..Call::to(method, &url)
        };
        let answer = self.send(call, deadline).await?;
        // A 2xx is the acceptance; what it carries only dates it.
        let answer = match self {
            Remote::Calcom(_) => parse_booking(&answer, key.as_str())
                .ok()
                .and_then(|b| b.updated_at),
            Remote::Calendly(_) => parse_created_at(&answer).ok().flatten(),
        };
        Ok(answer)
    }
}

/// A failed provider call as the action's error: a refusal (4xx) is the provider's word; a
/// timeout may have acted; anything else is the provider being unavailable.
pub(super) fn failure(provider: Provider, error: FetchError) -> ActionError {
    match error {
        FetchError::Unauthorized(..) => ActionError::Rejected(provider, error.to_string()),
        FetchError::Status(code, _) if (400..500).contains(&code) => {
            ActionError::Rejected(provider, error.to_string())
        }
        FetchError::Timeout(_) => ActionError::Timeout(provider),
        FetchError::Credentials(message) => ActionError::Secrets(provider.display_name(), message),
        other => ActionError::Unavailable(provider, other.to_string()),
    }
}
