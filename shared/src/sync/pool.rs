//! Every account in one process (`booking-tracker sync --all`, `serve --sync-every`): the
//! per-account job through a bounded pool, so accounts run side by side without one waiting
//! behind another, in a fresh random order each time so none is always last.

use futures_util::StreamExt;
use tokio::time::Instant;

use super::{SyncReport, SyncService};
use crate::accounts::Account;
use crate::store::{Store, StoreError};

/// Accounts synced at once, by default.
pub const DEFAULT_ACCOUNTS_AT_ONCE: usize = 8;
/// Provider reads of one account at once, by default.
pub const DEFAULT_READS_AT_ONCE: usize = 4;

/// How much a process does at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Concurrency {
    /// Accounts synced side by side (the pool; queue records of one invocation).
    pub accounts: usize,
    /// Independent provider reads of one account side by side.
    pub reads: usize,
}

impl Default for Concurrency {
    fn default() -> Self {
        Self {
            accounts: DEFAULT_ACCOUNTS_AT_ONCE,
            reads: DEFAULT_READS_AT_ONCE,
        }
    }
}

impl<S: Store + ?Sized> SyncService<S> {
    /// Syncs every account that has provider credentials or a sheet, `concurrency.accounts` at
    /// a time. One account's failure (a provider, its lease held, the store) is its own
    /// report's error and never stops the others. Reports come back in account order.
    pub async fn sync_all(&self, deadline: Instant) -> Result<Vec<SyncReport>, StoreError> {
        let mut accounts: Vec<Account> = self
            .store
            .list_accounts()
            .await?
            .into_iter()
            .filter(Account::needs_sync)
            .collect();
        shuffle(&mut accounts);
        // The futures are made first: a stream's own closure would hide their lifetimes.
        let runs: Vec<_> = accounts
            .iter()
            .map(|account| self.sync_one_of_many(account, deadline))
            .collect();
        let mut reports: Vec<SyncReport> = futures_util::stream::iter(runs)
            .buffer_unordered(self.concurrency.accounts.max(1))
            .collect()
            .await;
        reports.sort_by(|a, b| a.account_id.cmp(&b.account_id));
        Ok(reports)
    }

    async fn sync_one_of_many(&self, account: &Account, deadline: Instant) -> SyncReport {
        let report = if Instant::now() + std::time::Duration::from_secs(2) >= deadline {
            SyncReport::failed(
                account.id.as_str(),
                "deadline",
                "not reached before the time limit; the next run covers it",
            )
        } else {
            match self.sync_account(account, deadline).await {
                Ok(report) => report,
                Err(e) => SyncReport::failed(account.id.as_str(), e.code(), e.to_string()),
            }
        };
        report.log();
        report
    }
}

/// Fisher-Yates with the system's randomness.
fn shuffle<T>(items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let j = getrandom::u32().unwrap_or(0) as usize % (i + 1);
        items.swap(i, j);
    }
}
