//! `booking-tracker keys rotate` (SPEC §6): a new data key becomes current, every secret is
//! sealed again under it one account at a time (each account in one conditional write), and
//! the old keys are dropped only once nothing needs them. Old keys open until then, so webhooks
//! and syncs go on during a rotation; an interrupted rotation resumes where it stopped.

use serde::Serialize;

use crate::secrets::{Keyring, SecretsError};
use crate::store::{Store, StoreError};

/// What a rotation did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rotation {
    /// The key ring's id (the same before and after).
    pub key_ring: String,
    /// The key version values were sealed with before.
    pub from: u32,
    /// The key version every value is sealed with now.
    pub to: u32,
    /// Accounts read.
    pub accounts: usize,
    /// Accounts whose secrets were sealed again.
    pub resealed: usize,
    /// Key versions dropped from the ring.
    pub retired: Vec<u32>,
}

pub async fn rotate_keys(store: &(impl Store + ?Sized)) -> Result<Rotation, StoreError> {
    let secrets = store.secrets();
    let source = secrets.source();
    let ring = secrets.sealing_ring().await?;
    // A ring holding older versions is a rotation that stopped half way: finish it.
    let (ring, from) = if ring.versions().count() > 1 {
        let older = ring.versions().filter(|v| *v != ring.current()).min();
        let from = older.unwrap_or(ring.current());
        (ring, from)
    } else {
        let from = ring.current();
        let rotated = ring.rotated(source.new_key().await?);
        source.save(&rotated, Some(&ring)).await?;
        (secrets.load().await?, from)
    };

    let (accounts, resealed) = reseal_all(store, &ring).await?;
    let left = store
        .list_accounts()
        .await?
        .iter()
        .flat_map(|a| {
            a.secrets()
                .into_iter()
                .map(|(_, s)| s.sealed_with())
                .collect::<Vec<_>>()
        })
        .flatten()
        .filter(|(_, version)| *version != ring.current())
        .count();
    if left > 0 {
        return Err(StoreError::Secrets(SecretsError::Conflict(format!(
            "{left} secrets were sealed with an older key while the rotation ran: the key ring"
        ))));
    }
    let retired: Vec<u32> = ring.versions().filter(|v| *v != ring.current()).collect();
    if !retired.is_empty() {
        source.save(&ring.retired(), Some(&ring)).await?;
        secrets.load().await?;
    }
    tracing::info!(
        from,
        to = ring.current(),
        accounts,
        resealed,
        "key rotation done"
    );
    Ok(Rotation {
        key_ring: ring.id().to_owned(),
        from,
        to: ring.current(),
        accounts,
        resealed,
        retired,
    })
}

/// Seals every account's secrets that are not under the current key again (or plain).
async fn reseal_all(
    store: &(impl Store + ?Sized),
    ring: &Keyring,
) -> Result<(usize, usize), StoreError> {
    let (mut accounts, mut resealed) = (0, 0);
    for listed in store.list_accounts().await? {
        accounts += 1;
        let mut account = listed;
        loop {
            let opened = account
                .unseal_older_than_current(ring.current(), |id, field, stored| {
                    store_open(ring, id, field, stored)
                })?;
            if opened == 0 && !account.has_plain_secrets() {
                break;
            }
            // Sealed here with the ring in hand: one key ring read for the whole rotation.
            account
                .seal_with(ring)
                .map_err(|e| StoreError::Secrets(SecretsError::Unavailable(e)))?;
            match store.update_account(&account).await {
                Ok(_) => {
                    resealed += 1;
                    break;
                }
                // Changed meanwhile: start again from what is stored now.
                Err(StoreError::Conflict) => match store.get_account(&account.id).await? {
                    Some(now) => account = now,
                    None => break,
                },
                Err(e) => return Err(e),
            }
        }
    }
    Ok((accounts, resealed))
}

fn store_open(
    ring: &Keyring,
    account: &crate::domain::AccountId,
    field: crate::secrets::SecretField,
    stored: &crate::secrets::StoredSecret,
) -> Result<crate::domain::Secret, StoreError> {
    let crate::secrets::StoredSecret::Sealed(text) = stored else {
        return Err(StoreError::Corrupt(
            "a plain secret was taken for sealed".into(),
        ));
    };
    ring.open(account, field, text).map_err(|why| {
        StoreError::Secrets(SecretsError::WrongKey {
            account: account.to_string(),
            field,
            source_name: "the key ring".into(),
            why,
        })
    })
}
