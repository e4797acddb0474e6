//! One lead changed in place by the sheet's bookkeeping (what its row shows, the edit sheet
//! actions settled), without losing a booking applied meanwhile.

use crate::domain::{AccountId, LeadId};
use crate::ingest::MAX_ATTEMPTS;
use crate::leads::Lead;
use crate::store::{LeadWrite, Store, StoreError};

/// Applies `change` to the lead and saves it conditionally on the revision read, reading again
/// on a lost race: a booking applied meanwhile keeps its changes. A lead that is gone is left
/// alone.
pub async fn update_lead(
    store: &(impl Store + ?Sized),
    account: &AccountId,
    id: &LeadId,
    change: impl Fn(&mut Lead) + Send + Sync,
) -> Result<(), StoreError> {
    for _ in 0..MAX_ATTEMPTS {
        let Some(mut lead) = store.get_lead(account, id).await? else {
            return Ok(());
        };
        let before = lead.revision;
        change(&mut lead);
        lead.revision += 1;
        let write = LeadWrite {
            before_revision: Some(before),
            after: lead,
        };
        match store.save_lead(account, &write, &[], &[]).await {
            Err(StoreError::Conflict) => continue,
            other => return other,
        }
    }
    Err(StoreError::Conflict)
}
