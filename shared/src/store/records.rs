//! Records the store keeps that have no behaviour of their own.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{AppointmentId, Provider};

/// How long the delivery log keeps an entry.
pub const DELIVERY_RETENTION: Duration = Duration::days(30);

/// One webhook request that named a known account, and what became of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    /// A ULID of `received_at`, so ids sort by receive time.
    pub id: String,
    pub received_at: DateTime<Utc>,
    pub provider: Provider,
    /// The provider's trigger, when the body could be read that far.
    pub trigger: Option<String>,
    /// `created`, `updated`, `unchanged`, `ignored` or `ping` on success.
    pub outcome: Option<String>,
    /// The error code on failure (`invalid_signature`, `invalid_payload`, ...).
    pub error: Option<String>,
    pub appointment_id: Option<AppointmentId>,
    pub http_status: u16,
    /// When the store drops the entry: `received_at` + 30 days.
    pub expires_at: DateTime<Utc>,
}

impl Delivery {
    pub fn new(provider: Provider, received_at: DateTime<Utc>, http_status: u16) -> Self {
        Self {
            // A ULID of the receive time: ids sort by it, and "newer than 30 days" is a key range.
            id: ulid::Ulid::from_datetime(received_at.into()).to_string(),
            received_at,
            provider,
            trigger: None,
            outcome: None,
            error: None,
            appointment_id: None,
            http_status,
            expires_at: received_at + DELIVERY_RETENTION,
        }
    }
}

/// The reconciliation's memory of one account.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncState {
    pub last_run: Option<SyncRun>,
    /// Per provider: everything changed before this time has been read.
    #[serde(default)]
    pub watermarks: BTreeMap<Provider, DateTime<Utc>>,
    /// Per provider: when a run last read everything rather than what changed.
    #[serde(default)]
    pub full_reads: BTreeMap<Provider, DateTime<Utc>>,
    /// Calendly events as last read: event UUID -> version (a digest of its `updated_at`,
    /// status and invitee counts). Only the events of the sync window are kept.
    #[serde(default)]
    pub calendly_events: BTreeMap<String, String>,
}

/// A run's hold on an account: no other run may start until it expires or is released.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncLease {
    /// Who holds it: unique per run.
    pub holder: String,
    pub expires_at: DateTime<Utc>,
}

/// What taking a lease did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeaseTaken {
    Taken,
    /// Another holder's lease is unexpired; when it expires, if the store could tell.
    HeldUntil(Option<DateTime<Utc>>),
}

/// The outcome of one sync run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncRun {
    pub at: DateTime<Utc>,
    pub ok: bool,
    pub bookings_found: u64,
    pub updates_applied: u64,
    pub errors: u64,
}

/// A page of a listing; pass `next` back to continue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}
