//! `POST /sync`: the key's account, now.

use std::time::{Duration, Instant as StdInstant};

use http::{HeaderMap, Method};
use tokio::time::Instant;

use super::{SyncRunError, SyncService};
use crate::http::{ApiError, HttpResponse, authenticate, error, json};
use crate::store::Store;

/// An HTTP-triggered sync must answer within API Gateway's 30 s integration timeout.
pub const SYNC_REQUEST_BUDGET: Duration = Duration::from_secs(25);

impl<S: Store + ?Sized> SyncService<S> {
    pub async fn handle_http(&self, method: &Method, headers: &HeaderMap) -> HttpResponse {
        let started = StdInstant::now();
        if method != Method::POST {
            return error(&ApiError::MethodNotAllowed {
                method: method.to_string(),
                path: "/sync".into(),
                allowed: "POST",
            });
        }
        let account = match authenticate(&*self.store, headers).await {
            Ok(account) => account,
            Err(e) => return error(&e),
        };
        let deadline = Instant::now() + SYNC_REQUEST_BUDGET;
        match self.sync_account(&account, deadline).await {
            Ok(report) => {
                tracing::info!(
                    account = %account.id,
                    success = report.success,
                    found = report.bookings_found,
                    applied = report.updates_applied,
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "sync"
                );
                json(200, &report)
            }
            Err(e @ SyncRunError::InProgress { .. }) => {
                error(&ApiError::SyncInProgress(e.to_string()))
            }
            Err(SyncRunError::Store(e)) => {
                tracing::error!(account = %account.id, error = %e, "store failed during a sync");
                error(&ApiError::StorageUnavailable)
            }
        }
    }
}
