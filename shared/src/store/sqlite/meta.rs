//! Facts about the database itself (`meta`): which key ring sealed its secrets, and whether
//! the plain-text secrets of an older build have been sealed.

use rusqlite::{Connection, OptionalExtension, params};

use super::pool::storage;
use crate::secrets::SecretsError;
use crate::store::{StoreError, StoreResult};

const KEY_RING: &str = "key_ring";
const PLAIN_SEALED: &str = "plain_secrets_sealed";

fn get(conn: &Connection, key: &str) -> StoreResult<Option<String>> {
    conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()
        .map_err(storage)
}

fn set(conn: &Connection, key: &str, value: &str) -> StoreResult<()> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )
    .map(drop)
    .map_err(storage)
}

/// The id of the key ring the database's secrets are sealed with, once any is.
pub(super) fn key_ring(conn: &mut Connection) -> StoreResult<Option<String>> {
    get(conn, KEY_RING)
}

/// Records the key ring sealed values use (in the transaction writing them), and refuses
/// values sealed by another ring than the database's: a wrong key file.
pub(super) fn record_key_ring(conn: &Connection, ring: &str) -> StoreResult<()> {
    match get(conn, KEY_RING)? {
        Some(known) if known == ring => Ok(()),
        Some(known) => Err(StoreError::Secrets(SecretsError::Unavailable(format!(
            "the key file holds key ring {ring}, but this database's secrets are sealed with \
             key ring {known}: use the key file made with this database (or \
             BOOKING_TRACKER_KEY_FILE)"
        )))),
        None => set(conn, KEY_RING, ring),
    }
}

pub(super) fn plain_sealed(conn: &mut Connection) -> StoreResult<bool> {
    Ok(get(conn, PLAIN_SEALED)?.is_some())
}

pub(super) fn set_plain_sealed(conn: &mut Connection) -> StoreResult<()> {
    set(conn, PLAIN_SEALED, "1")
}
