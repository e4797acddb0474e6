//! One run per account at a time (SPEC §5). Every run, whoever starts it (the queue, `POST
//! /sync`, the CLI, `serve`), first takes the account's lease in the store: a conditional write
//! that succeeds only when no other run holds an unexpired one. The lease lasts until the run's
//! own deadline plus a margin, and runs never pass their deadline, so a run that crashed frees
//! its account by itself; a run that ends gives the lease back at once.

use std::future::Future;

use chrono::{DateTime, Duration, Utc};
use tokio::time::Instant;

use super::SyncService;
use crate::domain::AccountId;
use crate::store::{LeaseTaken, Store, StoreError, SyncLease};

/// How long a lease outlives its run's deadline: the run's last writes and the release.
const MARGIN: Duration = Duration::seconds(60);

/// Why a run did not happen or did not finish.
#[derive(Debug, thiserror::Error)]
pub enum SyncRunError {
    /// Another run of the account holds its lease.
    #[error("a sync of this account is already running{}; try again when it ends", until_text(.until))]
    InProgress { until: Option<DateTime<Utc>> },
    /// The store failed: nothing is half-applied (each booking is one atomic write), and the run
    /// may be repeated.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SyncRunError {
    /// The stable code: `sync_in_progress` or `storage_unavailable`.
    pub fn code(&self) -> &'static str {
        match self {
            SyncRunError::InProgress { .. } => "sync_in_progress",
            SyncRunError::Store(_) => "storage_unavailable",
        }
    }
}

fn until_text(until: &Option<DateTime<Utc>>) -> String {
    until
        .map(|t| format!(" (its lease ends by {})", t.format("%Y-%m-%d %H:%M:%S UTC")))
        .unwrap_or_default()
}

impl<S: Store + ?Sized> SyncService<S> {
    /// Runs `job` holding `account`'s lease until `deadline` (plus a margin), and gives the
    /// lease back after it, whatever the job's result.
    pub async fn with_lease<T, F>(
        &self,
        account: &AccountId,
        deadline: Instant,
        job: F,
    ) -> Result<T, SyncRunError>
    where
        F: Future<Output = Result<T, SyncRunError>>,
    {
        let now = self.clock.now();
        let left = deadline.saturating_duration_since(Instant::now());
        let lease = SyncLease {
            holder: ulid::Ulid::new().to_string(),
            expires_at: now + Duration::from_std(left).unwrap_or(Duration::hours(1)) + MARGIN,
        };
        match self.store.take_sync_lease(account, &lease, now).await? {
            LeaseTaken::Taken => {}
            LeaseTaken::HeldUntil(until) => {
                return Err(SyncRunError::InProgress { until });
            }
        }
        let result = job.await;
        // A release that fails leaves the lease to expire by itself.
        if let Err(e) = self.store.release_sync_lease(account, &lease.holder).await {
            tracing::warn!(%account, error = %e, "sync lease not released; it expires by itself");
        }
        result
    }
}
