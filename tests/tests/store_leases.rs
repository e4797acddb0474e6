//! The sync lease (SPEC §5) on every store: one run per account at a time, taken by a
//! conditional write with an expiry, on SQLite and on DynamoDB Local.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::Duration;
use integration_tests::stores::{Harness, Metered, account as new_account, t0};
use shared::store::{LeaseTaken, Store, SyncLease};

fn lease(holder: &str, minutes: i64) -> SyncLease {
    SyncLease {
        holder: holder.to_owned(),
        expires_at: t0() + Duration::minutes(minutes),
    }
}

async fn a_lease_has_one_holder_until_it_expires_or_is_released<S: Store + Metered + 'static>(
    h: Harness<S>,
) {
    let store = &*h.store;
    let (account, _) = new_account(store, "acme").await;
    let id = &account.id;
    assert_eq!(
        store
            .take_sync_lease(id, &lease("run-a", 5), t0())
            .await
            .unwrap(),
        LeaseTaken::Taken
    );
    // Another run is refused, and told when the lease ends.
    assert_eq!(
        store
            .take_sync_lease(id, &lease("run-b", 5), t0() + Duration::minutes(1))
            .await
            .unwrap(),
        LeaseTaken::HeldUntil(Some(t0() + Duration::minutes(5)))
    );
    // The holder may extend its own lease.
    assert_eq!(
        store
            .take_sync_lease(id, &lease("run-a", 8), t0())
            .await
            .unwrap(),
        LeaseTaken::Taken
    );
    // A release by someone else changes nothing.
    store.release_sync_lease(id, "run-b").await.unwrap();
    assert!(matches!(
        store
            .take_sync_lease(id, &lease("run-b", 10), t0() + Duration::minutes(7))
            .await
            .unwrap(),
        LeaseTaken::HeldUntil(_)
    ));
    // Once expired, it is taken over; the old holder's late release leaves the new lease.
    assert_eq!(
        store
            .take_sync_lease(id, &lease("run-b", 20), t0() + Duration::minutes(9))
            .await
            .unwrap(),
        LeaseTaken::Taken
    );
    store.release_sync_lease(id, "run-a").await.unwrap();
    assert!(matches!(
        store
            .take_sync_lease(id, &lease("run-c", 30), t0() + Duration::minutes(10))
            .await
            .unwrap(),
        LeaseTaken::HeldUntil(_)
    ));
    // Released by its holder, it is free at once.
    store.release_sync_lease(id, "run-b").await.unwrap();
    assert_eq!(
        store
            .take_sync_lease(id, &lease("run-c", 30), t0() + Duration::minutes(10))
            .await
            .unwrap(),
        LeaseTaken::Taken
    );
}

async fn leases_of_accounts_are_independent<S: Store + Metered + 'static>(h: Harness<S>) {
    let store = &*h.store;
    let (acme, _) = new_account(store, "acme").await;
    let (globex, _) = new_account(store, "globex").await;
    assert_eq!(
        store
            .take_sync_lease(&acme.id, &lease("run-a", 5), t0())
            .await
            .unwrap(),
        LeaseTaken::Taken
    );
    assert_eq!(
        store
            .take_sync_lease(&globex.id, &lease("run-b", 5), t0())
            .await
            .unwrap(),
        LeaseTaken::Taken
    );
    store.release_sync_lease(&globex.id, "run-a").await.unwrap();
    assert!(matches!(
        store
            .take_sync_lease(&globex.id, &lease("run-c", 5), t0())
            .await
            .unwrap(),
        LeaseTaken::HeldUntil(_)
    ));
}

async fn concurrent_takers_get_exactly_one_lease<S: Store + Metered + 'static>(h: Harness<S>) {
    let (account, _) = new_account(&*h.store, "acme").await;
    let mut takers = tokio::task::JoinSet::new();
    for i in 0..16 {
        let store = std::sync::Arc::clone(&h.store);
        let id = account.id.clone();
        takers.spawn(async move {
            store
                .take_sync_lease(&id, &lease(&format!("run-{i}"), 5), t0())
                .await
                .unwrap()
        });
    }
    let mut taken = 0;
    while let Some(outcome) = takers.join_next().await {
        if outcome.unwrap() == LeaseTaken::Taken {
            taken += 1;
        }
    }
    assert_eq!(taken, 1);
}

integration_tests::conformance!(
    a_lease_has_one_holder_until_it_expires_or_is_released,
    leases_of_accounts_are_independent,
    concurrent_takers_get_exactly_one_lease,
);
