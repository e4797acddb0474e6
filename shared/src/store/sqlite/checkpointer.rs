//! Checkpoints off the writer's path.
//!
//! In WAL mode a commit appends the pages it changed to the WAL; a checkpoint copies them back
//! into the database file (and syncs both). By default SQLite runs the checkpoint inside the
//! `COMMIT` that takes the WAL past 1,000 pages, on the committing connection: here the one
//! writer thread, so every booking queued behind it waits for the copy (a third of the writer's
//! `pwrite`s). Instead, the write connection's WAL hook only signals, and a thread of its own,
//! with its own connection, runs a `PASSIVE` checkpoint (it waits for no reader and no writer).
//!
//! Durability is unchanged: a commit is in the WAL before it is answered, as before, and the
//! checkpoint starts at the same size. The WAL restarts from its beginning once a checkpoint has
//! caught up with it; if the background one keeps falling behind a busy writer (the WAL past
//! [`WRITER_CHECKPOINTS_AT`] pages), the writer checkpoints itself, as SQLite would have.

use std::ffi::c_int;
use std::path::Path;
use std::sync::{Arc, Mutex, mpsc};

use rusqlite::Connection;
use rusqlite::hooks::Wal;
use rusqlite::wal::CheckpointMode;

use super::pool::{open_connection, storage};
use crate::store::{StoreError, StoreResult};

/// WAL pages that start a background checkpoint: SQLite's own default.
const CHECKPOINT_AT: c_int = 1000;
/// WAL pages past which the writer checkpoints itself (32 MiB of 4 KiB pages).
const WRITER_CHECKPOINTS_AT: c_int = 8 * CHECKPOINT_AT;
/// The WAL file is cut back to this size when it restarts after growing past it.
const WAL_SIZE_LIMIT: i64 = 32 * 1024 * 1024;

/// Starts the checkpoint thread for the database at `path` and hands it `writer`'s commits. The
/// thread ends when `writer` is closed.
pub(super) fn start(writer: &mut Connection, path: &Path) -> StoreResult<()> {
    let own = open_connection(path)?;
    let (signal, signals) = mpsc::sync_channel::<()>(1);
    // One checkpoint at a time: a second one would only be told the database is busy.
    let turn = Arc::new(Mutex::new(()));
    let turn_of_writer = Arc::clone(&turn);
    std::thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || run(&own, &signals, &turn))
        .map_err(|e| StoreError::Unavailable(format!("cannot start the checkpointer: {e}")))?;
    writer
        .pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT)
        .map_err(storage)?;
    // Replaces SQLite's automatic checkpoint, which is itself a WAL hook.
    writer
        .wal_hook(Some(move |wal: &mut Wal, pages: c_int| {
            if pages >= WRITER_CHECKPOINTS_AT {
                // Waits for a running background checkpoint (SQLite would answer busy), copies
                // the rest while no commit can add to it, and waits (busy timeout) for readers
                // of the old WAL, so the next commit starts it over. The commit has happened:
                // an error here must not reach its caller, and the next commit tries again.
                let _turn = turn_of_writer.lock();
                if let Err(e) = wal.checkpoint_v2(CheckpointMode::RESTART) {
                    tracing::warn!(error = %e, "the writer's checkpoint did not complete");
                }
            } else if pages >= CHECKPOINT_AT {
                // Full means a signal is already waiting: one checkpoint serves both.
                let _ = signal.try_send(());
            }
            Ok(())
        }))
        .map_err(storage)
}

fn run(conn: &Connection, signals: &mpsc::Receiver<()>, turn: &Mutex<()>) {
    while signals.recv().is_ok() {
        let _turn = turn.lock();
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            // The next commit signals again; the writer's own checkpoint bounds the WAL.
            tracing::warn!(error = %e, "background checkpoint failed");
        }
    }
}

#[cfg(test)]
mod tests {
    // Test code: a failed unwrap is a failed test.
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::time::{Duration, Instant};

    use super::super::pool::Pool;
    use super::*;

    /// A row filling most of a page, so each insert appends about one page to the WAL.
    const ROW: i64 = 3000;
    const PAGE: u64 = 4096 + 24;

    fn pool() -> (tempfile::TempDir, std::path::PathBuf, Pool) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let pool = Pool::open(&path).unwrap();
        (dir, path, pool)
    }

    async fn create_table(pool: &Pool) {
        pool.write(|conn| {
            conn.execute_batch("CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB NOT NULL)")
                .map_err(storage)
        })
        .await
        .unwrap();
    }

    /// Commits `count` rows of about a page each, `per_commit` to a transaction.
    async fn insert(pool: &Pool, from: usize, count: usize, per_commit: usize) {
        for first in (from..from + count).step_by(per_commit) {
            pool.write_grouped(move |conn| {
                for k in first..first + per_commit {
                    conn.execute(
                        "INSERT INTO t (k, v) VALUES (?1, zeroblob(?2))",
                        rusqlite::params![i64::try_from(k).unwrap(), ROW],
                    )
                    .map_err(storage)?;
                }
                Ok(())
            })
            .await
            .unwrap();
        }
    }

    fn size(path: &Path) -> u64 {
        std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
    }

    /// Past 1,000 WAL pages the copy into the database file happens, without the writer: the
    /// commit that crossed the line returned before the file grew.
    #[tokio::test]
    async fn the_wal_is_copied_into_the_database_file_in_the_background() {
        let (_dir, path, pool) = pool();
        create_table(&pool).await;
        let before = size(&path);
        insert(&pool, 0, 1200, 100).await;
        let deadline = Instant::now() + Duration::from_secs(30);
        while size(&path) < before + 1000 * 4096 {
            assert!(
                Instant::now() < deadline,
                "no checkpoint: the database file is still {} bytes",
                size(&path)
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// However far the background checkpoint falls behind, the WAL file stays bounded: the
    /// writer checkpoints itself past 8,000 pages, and the file is cut back when it restarts.
    #[tokio::test]
    async fn the_wal_stays_bounded_under_continuous_writes() {
        let (_dir, path, pool) = pool();
        create_table(&pool).await;
        let wal = path.with_extension("db-wal");
        let per_commit = 200;
        let bound = (WRITER_CHECKPOINTS_AT as u64 + 2 * per_commit as u64) * PAGE;
        let mut largest = 0;
        for round in 0..120 {
            insert(&pool, round * per_commit, per_commit, per_commit).await;
            largest = largest.max(size(&wal));
        }
        assert!(largest > 0, "writes went to the WAL");
        assert!(
            largest <= bound,
            "the WAL reached {largest} bytes, over {bound}"
        );
        let rows: i64 = pool
            .write(|conn| {
                conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0))
                    .map_err(storage)
            })
            .await
            .unwrap();
        assert_eq!(rows, 120 * 200);
    }
}
