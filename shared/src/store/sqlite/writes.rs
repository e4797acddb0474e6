//! The conditional writes every SQLite transaction is made of. Each one fails with `Conflict`
//! when the record is not as it was read, so the caller's whole transaction (or, in a group
//! commit, its savepoint) rolls back. They run on a transaction or a savepoint's connection.

use rusqlite::types::ToSql;
use rusqlite::{Connection, OptionalExtension, params};

use super::pool::storage;
use super::rows::{AppointmentRow, BatchRows, DeliveryRow, LeadRow, TimelineRow};
use crate::booking::CounterDelta;
use crate::store::{LookupClaim, StoreError, StoreResult};

pub(super) fn appointment(tx: &Connection, account: &str, row: &AppointmentRow) -> StoreResult<()> {
    // ?1-?8 are the row; ?9, the revision read, only conditions an update.
    let values: [&dyn ToSql; 9] = [
        &account,
        &row.id,
        &row.status,
        &row.booked_at,
        &row.lead_id,
        &row.live_start,
        &row.doc,
        &row.revision,
        &row.before_revision,
    ];
    let changed = match row.before_revision {
        // A concurrent creator makes the insert violate the primary key: a conflict.
        None => exec(
            tx,
            "INSERT INTO appointments \
             (account_id, id, status, booked_at, lead_id, live_start, doc, revision) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            &values[..8],
        ),
        Some(_) => exec(
            tx,
            "UPDATE appointments SET status = ?3, booked_at = ?4, lead_id = ?5, \
             live_start = ?6, doc = ?7, revision = ?8 \
             WHERE account_id = ?1 AND id = ?2 AND revision = ?9",
            &values[..],
        ),
    }
    .map_err(storage)?;
    expect_one(changed)
}

pub(super) fn lead(tx: &Connection, account: &str, row: &LeadRow) -> StoreResult<()> {
    let changed = match row.before_revision {
        None => exec(
            tx,
            "INSERT INTO leads (account_id, id, doc, revision) VALUES (?1, ?2, ?3, ?4)",
            params![account, row.id, row.doc, row.revision],
        ),
        Some(before) => exec(
            tx,
            "UPDATE leads SET doc = ?3, revision = ?4 \
             WHERE account_id = ?1 AND id = ?2 AND revision = ?5",
            params![account, row.id, row.doc, row.revision, before],
        ),
    }
    .map_err(storage)?;
    expect_one(changed)
}

fn lookup_key(claim: &LookupClaim) -> (&'static str, &str, &str) {
    match claim {
        LookupClaim::Phone(phone, lead) => ("phone", phone.as_str(), lead.as_str()),
        LookupClaim::Email(email, lead) => ("email", email.as_str(), lead.as_str()),
    }
}

/// Takes a phone or email for a lead; `Conflict` if another lead holds it.
pub(super) fn claim(tx: &Connection, account: &str, claim: &LookupClaim) -> StoreResult<()> {
    let (kind, value, lead) = lookup_key(claim);
    let owner: Option<String> = tx
        .prepare_cached(
            "SELECT lead_id FROM lead_lookups WHERE account_id = ?1 AND kind = ?2 AND value = ?3",
        )
        .and_then(|mut stmt| {
            stmt.query_row(params![account, kind, value], |r| r.get(0))
                .optional()
        })
        .map_err(storage)?;
    match owner {
        Some(owner) if owner == lead => Ok(()),
        Some(_) => Err(StoreError::Conflict),
        None => exec(
            tx,
            "INSERT INTO lead_lookups (account_id, kind, value, lead_id) VALUES (?1, ?2, ?3, ?4)",
            params![account, kind, value, lead],
        )
        .map(drop)
        .map_err(storage),
    }
}

/// Gives up a phone or email the lead no longer has (only if the lead still holds it).
pub(super) fn release(tx: &Connection, account: &str, claim: &LookupClaim) -> StoreResult<()> {
    let (kind, value, lead) = lookup_key(claim);
    exec(
        tx,
        "DELETE FROM lead_lookups \
         WHERE account_id = ?1 AND kind = ?2 AND value = ?3 AND lead_id = ?4",
        params![account, kind, value, lead],
    )
    .map(drop)
    .map_err(storage)
}

pub(super) fn counters(tx: &Connection, account: &str, delta: &CounterDelta) -> StoreResult<()> {
    let mut stmt = tx
        .prepare_cached(
            "INSERT INTO day_counts (account_id, day, name, value) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (account_id, day, name) DO UPDATE SET value = value + excluded.value",
        )
        .map_err(storage)?;
    for (day, counts) in delta.days() {
        let day = day.to_string();
        for (name, value) in counts.fields() {
            stmt.execute(params![account, day, name, value])
                .map_err(storage)?;
        }
    }
    Ok(())
}

/// Timeline entries are keyed by their event, so writing one twice keeps one.
pub(super) fn timeline(tx: &Connection, account: &str, row: &TimelineRow) -> StoreResult<()> {
    exec(
        tx,
        "INSERT OR IGNORE INTO lead_timeline (account_id, lead_id, entry_key, doc) \
         VALUES (?1, ?2, ?3, ?4)",
        params![account, row.lead_id, row.entry_key, row.doc],
    )
    .map(drop)
    .map_err(storage)
}

pub(super) fn delivery(tx: &Connection, account: &str, row: &DeliveryRow) -> StoreResult<()> {
    exec(
        tx,
        "INSERT INTO deliveries (account_id, id, expires_at, doc) VALUES (?1, ?2, ?3, ?4)",
        params![account, row.id, row.expires_at, row.doc],
    )
    .map_err(storage)?;
    // Expired entries go as new ones arrive; the index makes this a short range delete.
    exec(
        tx,
        "DELETE FROM deliveries WHERE expires_at < ?1",
        params![row.received_at],
    )
    .map(drop)
    .map_err(storage)
}

/// Everything an `ApplyBatch` writes, in one transaction or savepoint.
pub(super) fn batch(tx: &Connection, account: &str, rows: &BatchRows) -> StoreResult<()> {
    for row in &rows.appointments {
        appointment(tx, account, row)?;
    }
    for row in &rows.leads {
        lead(tx, account, row)?;
    }
    for claimed in &rows.claims {
        claim(tx, account, claimed)?;
    }
    counters(tx, account, &rows.counters)?;
    for row in &rows.timeline {
        timeline(tx, account, row)?;
    }
    if let Some(row) = &rows.delivery {
        delivery(tx, account, row)?;
    }
    Ok(())
}

/// Runs a statement through the connection's statement cache: the same few statements run for
/// every booking, so each is parsed once per connection.
fn exec(tx: &Connection, sql: &str, params: impl rusqlite::Params) -> rusqlite::Result<usize> {
    tx.prepare_cached(sql)?.execute(params)
}

fn expect_one(changed: usize) -> StoreResult<()> {
    if changed == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict)
    }
}
