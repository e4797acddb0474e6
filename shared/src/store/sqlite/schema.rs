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
    // 4: appointments in a rowid table. In a WITHOUT ROWID table a row keeps at most ~1 KB in
    // its leaf and the rest goes to an overflow page; an appointment document (~1.1 KB new,
    // more with each history entry) took two pages, at a random place since ids are hashes,
    // and both were written again on every change. Rows are now appended in rowid order and
    // found through a small unique index (`appointments_key`); the other indexes carry `id`
    // so their orders are still read from the index alone.
    r"
    CREATE TABLE appointments_by_rowid (
        account_id  TEXT NOT NULL,
        id          TEXT NOT NULL,
        status      TEXT NOT NULL,
        booked_at   TEXT NOT NULL,
        lead_id     TEXT,
        live_start  TEXT,
        doc         TEXT NOT NULL,
        revision    INTEGER NOT NULL
    );
    INSERT INTO appointments_by_rowid
        (account_id, id, status, booked_at, lead_id, live_start, doc, revision)
        SELECT account_id, id, status, booked_at, lead_id, live_start, doc, revision
        FROM appointments ORDER BY booked_at, id;
    DROP TABLE appointments;
    ALTER TABLE appointments_by_rowid RENAME TO appointments;
    -- Built after the copy (a sort, not 100,000 random inserts); one appointment per id.
    CREATE UNIQUE INDEX appointments_key ON appointments (account_id, id);
    CREATE INDEX appointments_upcoming ON appointments (account_id, live_start, id)
        WHERE live_start IS NOT NULL;
    CREATE INDEX appointments_by_lead ON appointments (account_id, lead_id, booked_at, id)
        WHERE lead_id IS NOT NULL;
    ",
];

/// The schema version this build writes.
pub(super) const VERSION: usize = MIGRATIONS.len();

/// Brings the database up to [`VERSION`], one transaction per migration. Refuses a database
/// written by a newer build.
pub(super) fn migrate(conn: &mut Connection) -> rusqlite::Result<Result<(), String>> {
    migrate_to(conn, VERSION)
}

/// Brings the database up to `version` (a test starts from an older schema this way).
fn migrate_to(conn: &mut Connection, version: usize) -> rusqlite::Result<Result<(), String>> {
    let current = user_version(conn)?;
    if current > VERSION {
        return Ok(Err(format!(
            "the database is at schema version {current}, newer than this build's {VERSION}; \
             upgrade booking-tracker"
        )));
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().take(version).skip(current) {
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

#[cfg(test)]
mod tests {
    // Test code: a failed unwrap is a failed test.
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    const INSERT_V3: &str = "INSERT INTO appointments \
        (account_id, id, status, booked_at, lead_id, live_start, doc, revision) \
        VALUES (?1, ?2, 'booked', ?3, ?4, ?5, ?6, 1)";

    fn plan(conn: &Connection, sql: &str) -> String {
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let steps: Vec<String> = stmt
            .query_map([], |r| r.get(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        steps.join("; ")
    }

    /// A database written before version 4 keeps every appointment, document and column, and
    /// its reads still come from indexes in the order they ask for.
    #[test]
    fn appointments_move_to_a_rowid_table_with_everything_in_them() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_to(&mut conn, 3).unwrap().unwrap();
        let long = format!("{{\"history\":\"{}\"}}", "x".repeat(3000));
        let rows = [
            (
                "a",
                "apt_b",
                "2026-03-02T09:00:00Z",
                Some("ld_1"),
                Some("2026-03-10T14:00:00Z"),
                long.as_str(),
            ),
            ("a", "apt_a", "2026-03-01T09:00:00Z", None, None, "{}"),
            (
                "b",
                "apt_a",
                "2026-03-03T09:00:00Z",
                Some("ld_2"),
                Some("2026-03-11T14:00:00Z"),
                "{\"b\":1}",
            ),
        ];
        for row in rows {
            conn.execute(
                INSERT_V3,
                rusqlite::params![row.0, row.1, row.2, row.3, row.4, row.5],
            )
            .unwrap();
        }

        migrate(&mut conn).unwrap().unwrap();

        assert_eq!(user_version(&conn).unwrap(), VERSION);
        let sql: String = conn
            .query_row(
                "SELECT sql FROM sqlite_schema WHERE name = 'appointments'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(!sql.contains("WITHOUT ROWID"), "{sql}");
        let mut stmt = conn
            .prepare(
                "SELECT account_id, id, booked_at, lead_id, live_start, doc FROM appointments \
                 ORDER BY account_id, id",
            )
            .unwrap();
        type Row = (
            String,
            String,
            String,
            Option<String>,
            Option<String>,
            String,
        );
        let read: Vec<Row> = stmt
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let mut expected: Vec<Row> = rows
            .iter()
            .map(|r| {
                let text = |s: &str| s.to_owned();
                (
                    text(r.0),
                    text(r.1),
                    text(r.2),
                    r.3.map(text),
                    r.4.map(text),
                    text(r.5),
                )
            })
            .collect();
        expected.sort();
        assert_eq!(read, expected);

        // Still one appointment per account and id.
        let again = conn.execute(
            INSERT_V3,
            rusqlite::params!["a", "apt_a", "x", None::<String>, None::<String>, "{}"],
        );
        assert!(again.is_err());

        for query in [
            "SELECT doc FROM appointments WHERE account_id = 'a' AND id = 'apt_a'",
            "SELECT doc FROM appointments WHERE account_id = 'a' AND id > '' ORDER BY id LIMIT 10",
            "SELECT doc FROM appointments WHERE account_id = 'a' AND live_start IS NOT NULL \
             AND live_start >= '2026' ORDER BY live_start, id LIMIT 10",
            "SELECT doc FROM appointments WHERE account_id = 'a' AND lead_id = 'ld_1' \
             ORDER BY booked_at, id LIMIT 10",
        ] {
            let plan = plan(&conn, query);
            assert!(plan.contains("USING INDEX"), "{query}: {plan}");
            assert!(!plan.contains("TEMP B-TREE"), "{query}: {plan}");
        }
    }
}
