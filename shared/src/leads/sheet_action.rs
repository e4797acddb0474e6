//! What booking-tracker made of a status the team set in its sheet (SPEC §10, sheet actions),
//! kept on the lead so that one edit is acted on once, however many runs see it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::AppointmentId;

/// How a status edit in the sheet ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SheetActionResult {
    /// The provider took the action (or, for a manual appointment, booking-tracker did).
    Done,
    /// The booking was already so at the provider: nothing was sent, booking-tracker shows it
    /// now too.
    AlreadyDone,
    /// Not acted on: the booking changed at the provider since the sheet last showed it (the
    /// provider wins), the action does not apply to it, or the edit was acted on before.
    Skipped,
    /// The provider refused the action.
    Refused,
    /// The provider (or the store) could not be reached: the next run tries again.
    Failed,
}

/// An edit acted on (or declined for good): the label the team set and the booking it was
/// about. Forgotten once the cell shows another label, or once the sheet is rewritten with the
/// label the lead's bookings call for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SheetAction {
    pub label: String,
    pub appointment_id: AppointmentId,
    pub result: SheetActionResult,
    pub at: DateTime<Utc>,
}

impl SheetActionResult {
    /// Whether the edit is settled: a later run must not act on it again. Only a failure to
    /// reach the provider is retried (and the retry reads the booking first).
    pub const fn is_final(self) -> bool {
        !matches!(self, SheetActionResult::Failed)
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            SheetActionResult::Done => "done",
            SheetActionResult::AlreadyDone => "already_done",
            SheetActionResult::Skipped => "skipped",
            SheetActionResult::Refused => "refused",
            SheetActionResult::Failed => "failed",
        }
    }
}
