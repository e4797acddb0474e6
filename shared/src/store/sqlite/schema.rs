//! The SQLite schema, as versioned migrations. `PRAGMA user_version` records how many have run;
//! a migration, once released, is never edited: changes are new entries at the end.
//!
//! Documents (`doc`) are the domain records as JSON; the other columns exist to be indexed.
//! Times are RFC 3339 UTC with microseconds, so text order is time order.

use rusqlite::Connection;

const MIGRATIONS: &[&str] = &[
    // 1: the initial schema.
    r"
    CREATE TABLE accounts (
        id        TEXT PRIMARY KEY,
        doc       TEXT NOT NULL,
        revision  INTEGER NOT NULL
    ) WITHOUT ROWID;

    -- API keys by their SHA-256: the key itself is never stored.
    CREATE TABLE api_keys (
        hash        TEXT PRIMARY KEY,
        account_id  TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE
    ) WITHOUT ROWID;

    CREATE TABLE leads (
        account_id  TEXT NOT NULL,
        id          TEXT NOT NULL,
        doc         TEXT NOT NULL,
        revision    INTEGER NOT NULL,
        PRIMARY KEY (account_id, id)
    ) WITHOUT ROWID;

    -- Phone and email ownership: one lead per detail per account; O(1) matching.
    CREATE TABLE lead_lookups (
        account_id  TEXT NOT NULL,
        kind        TEXT NOT NULL CHECK (kind IN ('phone', 'email')),
        value       TEXT NOT NULL,
        lead_id     TEXT NOT NULL,
        PRIMARY KEY (account_id, kind, value)
    ) WITHOUT ROWID;

    CREATE TABLE lead_timeline (
        account_id  TEXT NOT NULL,
        lead_id     TEXT NOT NULL,
        entry_key   TEXT NOT NULL,
        doc         TEXT NOT NULL,
        PRIMARY KEY (account_id, lead_id, entry_key)
    ) WITHOUT ROWID;

    CREATE TABLE appointments (
        account_id  TEXT NOT NULL,
        id          TEXT NOT NULL,
        status      TEXT NOT NULL,
        booked_at   TEXT NOT NULL,
        lead_id     TEXT,
        -- The start time while the appointment is live, else NULL: the upcoming index.
        live_start  TEXT,
        doc         TEXT NOT NULL,
        revision    INTEGER NOT NULL,
        PRIMARY KEY (account_id, id)
    ) WITHOUT ROWID;
    CREATE INDEX appointments_upcoming ON appointments (account_id, live_start)
        WHERE live_start IS NOT NULL;
    CREATE INDEX appointments_by_lead ON appointments (account_id, lead_id, booked_at)
        WHERE lead_id IS NOT NULL;

    -- One row per account, day and counter name: new counters need no migration.
    CREATE TABLE day_counts (
        account_id  TEXT NOT NULL,
        day         TEXT NOT NULL,
        name        TEXT NOT NULL,
        value       INTEGER NOT NULL,
        PRIMARY KEY (account_id, day, name)
    ) WITHOUT ROWID;

    CREATE TABLE deliveries (
        account_id  TEXT NOT NULL,
        id          TEXT NOT NULL,
        expires_at  INTEGER NOT NULL,
        doc         TEXT NOT NULL,
        PRIMARY KEY (account_id, id)
    ) WITHOUT ROWID;
    CREATE INDEX deliveries_expiry ON deliveries (expires_at);

    CREATE TABLE sync_state (
        account_id  TEXT PRIMARY KEY,
        doc         TEXT NOT NULL
    ) WITHOUT ROWID;
    ",
    // 2: one sync run per account at a time.
    r"
    CREATE TABLE sync_leases (
        account_id  TEXT PRIMARY KEY,
        holder      TEXT NOT NULL,
        expires_at  TEXT NOT NULL
    ) WITHOUT ROWID;
    ",
    // 3: facts about the database (which key ring seals its secrets).
    r"
    CREATE TABLE meta (
        key    TEXT PRIMARY KEY,
        value  TEXT NOT NULL
    ) WITHOUT ROWID;
    ",
];

/// The schema version this build writes.
pub(super) const VERSION: usize = MIGRATIONS.len();

/// Brings the database up to [`VERSION`], one transaction per migration. Refuses a database
/// written by a newer build.
pub(super) fn migrate(conn: &mut Connection) -> rusqlite::Result<Result<(), String>> {
    let current = user_version(conn)?;
    if current > VERSION {
        return Ok(Err(format!(
            "the database is at schema version {current}, newer than this build's {VERSION}; \
             upgrade booking-tracker"
        )));
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current) {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // Another process may have migrated while this one waited for the lock.
        let now = user_version(&tx)?;
        if now > index {
            continue;
        }
        tx.execute_batch(sql)?;
        tx.pragma_update(
            None,
            "user_version",
            i64::try_from(index + 1).unwrap_or(i64::MAX),
        )?;
        tx.commit()?;
    }
    Ok(Ok(()))
}

fn user_version(conn: &Connection) -> rusqlite::Result<usize> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    Ok(usize::try_from(version).unwrap_or(0))
}
