//! The SQLite ceiling for `serve-load`: the write batches a load run stored (each booking's
//! appointment, lead, lookups, counters, timeline entry and delivery) read back and committed
//! again into a fresh database through the store's own `commit`, from as many tasks at once as
//! the load had connections. No HTTP, no signature, no parsing, no reads: what the store alone
//! can take.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use chrono::Utc;
use integration_tests::stores::all_appointments;
use shared::booking::{CounterDelta, Write};
use shared::domain::AccountId;
use shared::store::sqlite::SqliteStore;
use shared::store::{Accounts, ApplyBatch, Appointments, Deliveries, LeadWrite, Leads, claims_of};

fn failed(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Every booking of `account` in `store` as the batch that wrote it.
pub async fn batches_of(store: &SqliteStore, id: &AccountId) -> Result<Vec<ApplyBatch>, String> {
    let account = store
        .get_account(id)
        .await
        .map_err(failed)?
        .ok_or("no account")?;
    // Newest first from the store: oldest first here, the order they were committed in.
    let mut deliveries = store
        .recent_deliveries(id, Utc::now(), usize::MAX)
        .await
        .map_err(failed)?;
    deliveries.reverse();
    let mut batches = Vec::new();
    for appointment in all_appointments(store, id).await.map_err(failed)? {
        let mut batch = ApplyBatch::default();
        if let Some(lead_id) = appointment.lead_id() {
            let lead = store
                .get_lead(id, lead_id)
                .await
                .map_err(failed)?
                .ok_or("an appointment's lead is missing")?;
            for entry in store.lead_timeline(id, lead_id).await.map_err(failed)? {
                batch.timeline.push((lead_id.clone(), entry));
            }
            batch.claims = claims_of(&lead);
            batch.leads.push(LeadWrite {
                before_revision: None,
                after: lead,
            });
        }
        let mut counters = CounterDelta::default();
        counters.record_change(None, &appointment, account.time_zone);
        batch.counters = counters;
        batch.appointments.push(Write {
            before: None,
            after: appointment,
        });
        batches.push(batch);
    }
    // In the order the load committed them (lead ids are ULIDs, one new lead per booking), not
    // by appointment id: replayed out of order, the time-ordered keys (leads, timeline,
    // deliveries) would land at random places and the ceiling would be the store's on a worse
    // layout than the product had.
    batches.sort_by_cached_key(|batch| batch.leads.first().map(|l| l.after.id.clone()));
    for (batch, delivery) in batches.iter_mut().zip(deliveries) {
        batch.delivery = Some(delivery);
    }
    Ok(batches)
}

/// Commits `batches` for `account` into a fresh store at `path` from `concurrency` tasks;
/// answers the commits per second.
pub async fn commit_all(
    path: &std::path::Path,
    account: &shared::accounts::Account,
    batches: Vec<ApplyBatch>,
    concurrency: usize,
) -> Result<f64, String> {
    let store = Arc::new(SqliteStore::open(path).await.map_err(failed)?);
    store.create_account(account).await.map_err(failed)?;
    let batches = Arc::new(batches);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let (store, batches, next, id) = (
                Arc::clone(&store),
                Arc::clone(&batches),
                Arc::clone(&next),
                account.id.clone(),
            );
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(batch) = batches.get(i) else {
                        return Ok::<(), String>(());
                    };
                    store.commit(&id, batch).await.map_err(failed)?;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.map_err(failed)??;
    }
    Ok(batches.len() as f64 / started.elapsed().as_secs_f64())
}
