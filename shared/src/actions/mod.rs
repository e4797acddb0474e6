//! Acting on bookings where they live (SPEC §10): cancel one, mark its attendee a no-show, or
//! undo that, at Cal.com or Calendly, then here.
//!
//! The straight line: `decide` (the appointment, in the key's account, and whether the action
//! applies to its status) → `remote` (the provider's own state, read first so a retry never acts
//! twice; the call only if the booking is not already there) → `run` (the provider's answer
//! applied through `apply_event` with an `action:` trigger, so the appointment, its lead's
//! timeline, the counters and the sheet follow as for any webhook). `http` is
//! `POST /appointments/{id}/cancel|no-show`.
//! Manual appointments change here only.

mod decide;
mod http;
mod remote;
mod run;
pub mod sheet;

pub use http::action_route;
pub use remote::ProviderRequest;

use serde::Serialize;

use crate::domain::{AppointmentStatus, EventKind, Provider};
use crate::http::ApiError;
use crate::store::StoreError;

/// The longest cancellation reason passed on (Cal.com and Calendly show it to the attendee).
pub const MAX_REASON_CHARS: usize = 500;

/// What to do to a booking.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Cancel {
        reason: Option<String>,
    },
    /// Mark the attendee a no-show, or (`undo`) take the mark back.
    NoShow {
        undo: bool,
    },
}

impl Action {
    /// `cancel`, `no_show` or `no_show_undo`: the report's `action` and the trigger's suffix.
    pub const fn name(&self) -> &'static str {
        match self {
            Action::Cancel { .. } => "cancel",
            Action::NoShow { undo: false } => "no_show",
            Action::NoShow { undo: true } => "no_show_undo",
        }
    }

    /// The trigger its applied event carries (`action:cancel`): history source `action`.
    pub fn trigger(&self) -> String {
        format!(
            "{}{}",
            crate::booking::EventSource::ACTION_PREFIX,
            self.name()
        )
    }

    pub(crate) const fn kind(&self) -> EventKind {
        match self {
            Action::Cancel { .. } => EventKind::Cancelled,
            Action::NoShow { undo: false } => EventKind::NoShowMarked,
            Action::NoShow { undo: true } => EventKind::NoShowCleared,
        }
    }
}

/// How an accepted action ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionResult {
    /// The provider took the action (or, for a manual appointment, booking-tracker did).
    Done,
    /// The booking was already in the target state, here or at the provider: nothing was sent.
    AlreadyDone,
    /// `--dry-run`: checked here, nothing sent or changed.
    DryRun,
}

/// The answer to an action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionReport {
    pub account_id: String,
    pub appointment_id: String,
    pub provider: Provider,
    /// `cancel`, `no_show` or `no_show_undo`.
    pub action: &'static str,
    pub result: ActionResult,
    /// The appointment's status afterwards (unchanged for a dry run).
    pub status: AppointmentStatus,
    /// The provider call made, or that a dry run would make; `None` when none is needed.
    pub request: Option<ProviderRequest>,
    /// Provider calls made, reads included.
    pub provider_calls: u32,
    pub message: String,
}

/// Why an action was not taken. Nothing changed, here or (except [`ActionError::Timeout`]) at
/// the provider.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    #[error("no appointment {0:?} in this account")]
    UnknownAppointment(String),
    #[error("{0}")]
    NotActionable(String),
    #[error("{provider} refused: {message}", provider = .0.display_name(), message = .1)]
    Rejected(Provider, String),
    #[error("{provider} is unavailable: {message}; nothing changed, retry later", provider = .0.display_name(), message = .1)]
    Unavailable(Provider, String),
    #[error("{provider} did not answer in time; it may have acted: retry, and booking-tracker reads the booking's state at {provider} before acting again", provider = .0.display_name())]
    Timeout(Provider),
    #[error("the account's {0} credential cannot be opened: {1}")]
    Secrets(&'static str, String),
    /// The store failed; `acted` says whether the provider had already taken the action (the
    /// webhook or the next sync then brings it here).
    #[error("storage is unavailable{}", if *.acted { " after the provider acted; the next sync or webhook records it" } else { "; nothing changed" })]
    Store { error: StoreError, acted: bool },
    #[error("gave up after repeated conflicting writes; retry")]
    Contention,
}

impl ActionError {
    pub fn code(&self) -> &'static str {
        self.api().code()
    }

    /// As an HTTP error.
    pub fn api(&self) -> ApiError {
        let text = self.to_string();
        match self {
            ActionError::UnknownAppointment(id) => ApiError::UnknownAppointment(id.clone()),
            ActionError::NotActionable(_) => ApiError::NotActionable(text),
            ActionError::Rejected(..) => ApiError::ProviderRejected(text),
            ActionError::Unavailable(..) => ApiError::ProviderUnavailable(text),
            ActionError::Timeout(_) => ApiError::ProviderTimeout(text),
            ActionError::Secrets(..) => ApiError::SecretsUnavailable,
            ActionError::Store { .. } | ActionError::Contention => ApiError::StorageUnavailable,
        }
    }
}
