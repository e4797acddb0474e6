//! The team's Google Sheet as a lead directory, kept in step by every sync run: pulled first
//! (its rows become leads that webhooks match in real time), pushed last (status labels and
//! call times written back, new leads appended). `booking-tracker sheets pull|push` run either
//! half on demand.

mod api;
mod auth;
mod directory;
mod push;
mod snapshot;

pub use api::{CellWrite, DEFAULT_GOOGLE_SHEETS_API_URL, SheetsClient};
pub use auth::{GoogleAuth, SHEETS_SCOPE, sign_assertion};
pub use directory::{RowStatus, pull};
pub use push::push;
pub use snapshot::Snapshot;

use serde::Serialize;

use crate::ingest::RowNote;
use crate::leads::SheetActionResult;
use crate::outbound::FetchError;
use crate::store::StoreError;

/// Why a pull or push failed.
#[derive(Debug, thiserror::Error)]
pub enum SheetError {
    #[error(transparent)]
    Google(#[from] FetchError),
    #[error("the service account's private key cannot sign: {0}")]
    Key(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SheetError {
    pub fn code(&self) -> &'static str {
        match self {
            SheetError::Google(e) => e.code(),
            SheetError::Key(_) => "invalid_credentials",
            SheetError::Store(_) => "storage_unavailable",
        }
    }

    /// The message for the sync report, with what to do when the sheet is not shared.
    pub fn explain(&self, client_email: &str) -> String {
        match self {
            SheetError::Google(FetchError::Unauthorized(403, _) | FetchError::Status(404, _)) => {
                format!(
                    "{self}; share the sheet with {client_email} as an editor and check the spreadsheet id"
                )
            }
            _ => self.to_string(),
        }
    }
}

/// What a pull and a push did, in the sync report's `sheet` and `booking-tracker sheets`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SheetReport {
    /// Rows in the range, blank ones included.
    pub rows_read: usize,
    /// Leads created from new rows.
    pub imported: usize,
    /// Leads changed from edited rows.
    pub updated: usize,
    /// Rows repeating an earlier row's phone or email, left alone.
    pub duplicates: usize,
    /// Rows not imported, by sheet row (`line`): no phone or email, or one that does not parse.
    pub invalid: Vec<RowNote>,
    /// Rows imported by their email, their phone left out because it does not parse.
    pub warnings: Vec<RowNote>,
    /// Cells written in the one `values:batchUpdate`.
    pub cells_written: u64,
    /// New leads' rows added with `values:append`.
    pub rows_appended: u64,
    /// The team's status edits sheet actions found, and what came of each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<SheetActionNote>,
}

/// A status edit found in the sheet (sheet actions, SPEC §10) and what came of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SheetActionNote {
    /// The sheet row.
    pub line: u32,
    pub lead_id: String,
    pub appointment_id: String,
    /// `cancel` or `no_show`.
    pub action: &'static str,
    pub result: SheetActionResult,
    /// What was done, or why not.
    pub message: String,
}
