//! The fan-out (SPEC §5): the hourly schedule only enqueues one message per account that needs
//! sync, and each queue record is one account's run, so every account is reached every hour
//! however many there are, and no account waits behind another. On AWS the queue is SQS
//! (`sqs.rs`, the `SyncQueue` of `template.yaml`); the run is the per-account job every other
//! entry point uses, lease included.

use async_trait::async_trait;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::{SyncReport, SyncService};
use crate::domain::AccountId;
use crate::store::{Store, StoreError};

/// SQS takes at most ten entries per `SendMessageBatch`.
pub const BATCH: usize = 10;
/// Sends of entries a batch refused, before the enqueue fails.
const SEND_ATTEMPTS: usize = 3;
/// Batches in flight at once.
const SENDS_AT_ONCE: usize = 8;
/// A record is not started with less time than this left: SQS delivers it again instead.
const MIN_RUN_TIME: std::time::Duration = std::time::Duration::from_secs(15);

/// A queue message's body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncMessage {
    pub account_id: String,
}

/// Where the schedule puts the accounts to sync.
#[async_trait]
pub trait SyncQueue: Send + Sync {
    /// Sends up to [`BATCH`] message bodies in one call. Returns the positions of the entries
    /// the queue did not accept (they may be sent again); `Err` when the call itself failed.
    async fn send_batch(&self, bodies: &[String]) -> Result<Vec<usize>, String>;
}

/// Why the schedule could not enqueue every account. The schedule's invocation then fails and
/// EventBridge retries it; messages already sent are harmless twice (a run holds its account's
/// lease, and a run that finds nothing new changes nothing).
#[derive(Debug, thiserror::Error)]
pub enum EnqueueError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the sync queue refused messages ({enqueued} sent): {reason}")]
    Queue { enqueued: usize, reason: String },
}

/// What became of one queue record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecordOutcome {
    /// The run finished. Its report may hold provider errors: the next hour tries again, and
    /// SQS does not.
    Synced(Box<SyncReport>),
    /// Nothing to do: the account is gone, no longer has anything to sync, or the message is
    /// not ours. Retrying would not help.
    Skipped(String),
    /// The run could not finish for a reason that may pass (the store failed, another run
    /// holds the account's lease, no time left): SQS delivers the record again.
    Retry(String),
}

impl RecordOutcome {
    pub fn is_retry(&self) -> bool {
        matches!(self, RecordOutcome::Retry(_))
    }
}

/// Sends one batch, sending again what the queue refused. Returns how many were sent.
async fn send_with_retries(queue: &dyn SyncQueue, chunk: &[String]) -> Result<usize, String> {
    let mut pending: Vec<String> = chunk.to_vec();
    for _ in 0..SEND_ATTEMPTS {
        let refused = queue.send_batch(&pending).await?;
        pending = refused
            .iter()
            .filter_map(|i| pending.get(*i).cloned())
            .collect();
        if pending.is_empty() {
            return Ok(chunk.len());
        }
    }
    Err(format!(
        "{} entries refused {SEND_ATTEMPTS} times",
        pending.len()
    ))
}

impl<S: Store + ?Sized> SyncService<S> {
    /// Enqueues one message per account that needs sync, in batches of ten. Returns how many.
    pub async fn enqueue_all(&self, queue: &dyn SyncQueue) -> Result<usize, EnqueueError> {
        let bodies: Vec<String> = self
            .store
            .list_accounts()
            .await?
            .iter()
            .filter(|account| account.needs_sync())
            .filter_map(|account| {
                serde_json::to_string(&SyncMessage {
                    account_id: account.id.to_string(),
                })
                .ok()
            })
            .collect();
        // Batches go out a few at a time: 10,000 accounts are 1,000 calls.
        let sends: Vec<_> = bodies
            .chunks(BATCH)
            .map(|chunk| send_with_retries(queue, chunk))
            .collect();
        let mut results = futures_util::stream::iter(sends).buffer_unordered(SENDS_AT_ONCE);
        let mut enqueued = 0;
        while let Some(result) = results.next().await {
            match result {
                Ok(sent) => enqueued += sent,
                Err(reason) => return Err(EnqueueError::Queue { enqueued, reason }),
            }
        }
        tracing::info!(enqueued, "sync fan-out: accounts enqueued");
        Ok(enqueued)
    }

    /// Runs queue records, [`SyncService::concurrency`] at a time, each one account's run.
    /// Returns each record's id with its outcome, in the order given.
    pub async fn run_records(
        &self,
        records: Vec<(String, String)>,
        deadline: Instant,
    ) -> Vec<(String, RecordOutcome)> {
        // The futures are made first: a stream's own closure would hide their lifetimes.
        let runs: Vec<_> = records
            .into_iter()
            .map(|(id, body)| async move {
                let outcome = self.run_record(&body, deadline).await;
                (id, outcome)
            })
            .collect();
        futures_util::stream::iter(runs)
            .buffered(self.concurrency.accounts.max(1))
            .collect()
            .await
    }

    /// One record: the account it names, synced under its lease.
    pub async fn run_record(&self, body: &str, deadline: Instant) -> RecordOutcome {
        let message: SyncMessage = match serde_json::from_str(body) {
            Ok(message) => message,
            Err(e) => {
                tracing::error!(error = %e, "sync queue: a message that is not {{\"accountId\"}}; dropped");
                return RecordOutcome::Skipped(format!("not a sync message: {e}"));
            }
        };
        let Ok(id) = AccountId::parse(&message.account_id) else {
            tracing::error!("sync queue: a message naming no valid account id; dropped");
            return RecordOutcome::Skipped("not an account id".into());
        };
        let account = match self.store.get_account(&id).await {
            Ok(Some(account)) if account.needs_sync() => account,
            Ok(_) => return RecordOutcome::Skipped(format!("account {id} has nothing to sync")),
            Err(e) => return RecordOutcome::Retry(format!("account {id}: {e}")),
        };
        if deadline.saturating_duration_since(Instant::now()) < MIN_RUN_TIME {
            return RecordOutcome::Retry("not started before the function's time limit".into());
        }
        match self.sync_account(&account, deadline).await {
            Ok(report) => {
                report.log();
                RecordOutcome::Synced(Box::new(report))
            }
            // Every reason a run did not happen may pass: another run's lease, the store.
            Err(e) => {
                tracing::warn!(account = %id, code = e.code(), error = %e, "sync queue: record to be retried");
                RecordOutcome::Retry(format!("account {id}: {e}"))
            }
        }
    }
}
