//! The one writer of a SQLite store: a thread that owns the write connection and commits what
//! is queued meanwhile in one transaction (group commit).
//!
//! SQLite takes one writer at a time, and each transaction's cost is mostly per page: every
//! B-tree page a booking touches (its appointment, lead, lookups, counters, timeline, delivery
//! and their indexes) is appended to the WAL at `COMMIT`. Bookings arriving together share most
//! of those pages, so the writer commits up to [`MAX_GROUP`] of them at once, each inside its own
//! `SAVEPOINT`: a booking whose condition fails (`Conflict`) rolls back alone, the others land.
//! Every caller is answered only after the shared `COMMIT` returned, so an answered write is in
//! the WAL exactly as before (durability unchanged: `synchronous = NORMAL`, WAL mode).
//!
//! Writes that manage their own transaction (accounts, imports, maintenance) run alone, in the
//! order they were queued, between groups.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::pool::storage;
use crate::store::{StoreError, StoreResult};

/// Most writes committed in one transaction. Bounds how long the first of them waits for the
/// last, and the transaction's size.
const MAX_GROUP: usize = 64;

/// A write that runs inside the group's transaction, in its own savepoint.
type Grouped = Box<dyn FnOnce(&Connection) -> StoreResult<()> + Send>;
/// A write that runs alone and answers its caller itself.
type Alone = Box<dyn FnOnce(&mut Connection) + Send>;

enum Job {
    Grouped(Grouped, oneshot::Sender<StoreResult<()>>),
    Alone(Alone),
}

/// The handle writes are queued on. Dropping the last one ends the thread.
#[derive(Debug)]
pub(super) struct Writer {
    queue: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer thread on `conn`.
    pub(super) fn start(conn: Connection) -> StoreResult<Self> {
        let (queue, jobs) = mpsc::channel();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run(conn, &jobs))
            .map_err(|e| StoreError::Unavailable(format!("cannot start the writer: {e}")))?;
        Ok(Self { queue })
    }

    /// Queues a write that may share a transaction with others; answers once it is committed
    /// (or rolled back: then nothing of it was written).
    pub(super) async fn grouped<F>(&self, write: F) -> StoreResult<()>
    where
        F: FnOnce(&Connection) -> StoreResult<()> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        self.queue
            .send(Job::Grouped(Box::new(write), answer))
            .map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())?
    }

    /// Queues a write that runs alone on the write connection (it opens its own transaction).
    pub(super) async fn alone<T, F>(&self, write: F) -> StoreResult<T>
    where
        F: FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let job: Alone = Box::new(move |conn| {
            // The caller may have gone (a cancelled request): the write stands either way.
            let _ = answer.send(write(conn));
        });
        self.queue.send(Job::Alone(job)).map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())?
    }
}

fn stopped() -> StoreError {
    StoreError::Unavailable("the store's writer has stopped".into())
}

/// The writer thread: takes the first queued job, then every grouped one queued behind it.
fn run(mut conn: Connection, jobs: &mpsc::Receiver<Job>) {
    let mut next = None;
    loop {
        let job = match next.take() {
            Some(job) => job,
            None => match jobs.recv() {
                Ok(job) => job,
                Err(_) => return,
            },
        };
        match job {
            Job::Alone(write) => {
                // A panicking write drops its answer: its caller gets an error, the writer lives.
                let _ = catch_unwind(AssertUnwindSafe(|| write(&mut conn)));
            }
            Job::Grouped(write, answer) => {
                let mut group = vec![(write, answer)];
                while group.len() < MAX_GROUP {
                    match jobs.try_recv() {
                        Ok(Job::Grouped(write, answer)) => group.push((write, answer)),
                        Ok(alone) => {
                            next = Some(alone);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                commit_group(&mut conn, group);
            }
        }
    }
}

/// One transaction for the group, a savepoint per write; each caller is answered after the
/// `COMMIT` with its own result, or with the commit's error (then nothing was written).
fn commit_group(conn: &mut Connection, group: Vec<(Grouped, oneshot::Sender<StoreResult<()>>)>) {
    let mut results = Vec::with_capacity(group.len());
    let mut jobs = group.into_iter();
    let committed = (|| {
        let mut tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(storage)?;
        for (write, answer) in jobs.by_ref() {
            let mut savepoint = tx.savepoint().map_err(storage)?;
            let result = catch_unwind(AssertUnwindSafe(|| write(&savepoint)))
                .unwrap_or_else(|_| Err(StoreError::Unavailable("a write panicked".into())));
            if result.is_err() {
                savepoint.rollback().map_err(storage)?;
            }
            // Releasing a rolled-back savepoint keeps nothing of it.
            savepoint.commit().map_err(storage)?;
            results.push((result, answer));
        }
        tx.commit().map_err(storage)
    })();
    match committed {
        Ok(()) => {
            for (result, answer) in results {
                let _ = answer.send(result);
            }
        }
        Err(e) => {
            // Dropping the transaction rolled every write back: each caller learns why, and
            // the writes never started (after a failed savepoint) are refused alike.
            tracing::warn!(error = %e, writes = results.len(), "group commit failed");
            let answers = results.into_iter().map(|(_, answer)| answer);
            for answer in answers.chain(jobs.map(|(_, answer)| answer)) {
                let _ = answer.send(Err(StoreError::Unavailable(e.to_string())));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    // Test code: a failed unwrap is a failed test.
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::sync::{Arc, Barrier};

    use super::*;

    fn writer() -> (tempfile::TempDir, std::path::PathBuf, Arc<Writer>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; CREATE TABLE t (k TEXT PRIMARY KEY) WITHOUT ROWID; \
             PRAGMA wal_checkpoint(TRUNCATE);",
        )
        .unwrap();
        (dir, path, Arc::new(Writer::start(conn).unwrap()))
    }

    fn insert(key: &'static str) -> impl FnOnce(&Connection) -> StoreResult<()> + Send {
        move |conn| {
            conn.execute("INSERT INTO t (k) VALUES (?1)", [key])
                .map_err(storage)
                .map(drop)
        }
    }

    /// Frames appended to the WAL since the last checkpoint: one per page per commit, so
    /// writes to the same page committed together append it once.
    fn wal_frames(path: &std::path::Path) -> i64 {
        let conn = Connection::open(path).unwrap();
        conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get(1))
            .unwrap()
    }

    fn keys(path: &std::path::Path) -> Vec<String> {
        let conn = Connection::open(path).unwrap();
        let mut stmt = conn.prepare("SELECT k FROM t ORDER BY k").unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// Writes queued while the writer is busy share one transaction (the table's one page is
    /// appended to the WAL once); the one that fails half-way rolls back alone (its first row
    /// too), and the others land.
    #[tokio::test]
    async fn a_failing_write_rolls_back_alone_inside_its_group() {
        let (_dir, path, writer) = writer();
        // Hold the writer in a job that waits until the group is queued behind it.
        let gate = Arc::new(Barrier::new(2));
        let held = Arc::clone(&gate);
        let holding = {
            let writer = Arc::clone(&writer);
            tokio::spawn(async move {
                writer
                    .alone(move |_| {
                        held.wait();
                        Ok(())
                    })
                    .await
            })
        };
        let queue = |write: Grouped| {
            let writer = Arc::clone(&writer);
            tokio::spawn(async move { writer.grouped(write).await })
        };
        let first = queue(Box::new(insert("a")));
        let failing = queue(Box::new(|conn: &Connection| {
            insert("b")(conn)?;
            insert("a")(conn) // taken by the first write: a constraint violation
        }));
        let third = queue(Box::new(insert("c")));
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        gate.wait();
        holding.await.unwrap().unwrap();

        first.await.unwrap().unwrap();
        assert!(matches!(failing.await.unwrap(), Err(StoreError::Conflict)));
        third.await.unwrap().unwrap();
        assert_eq!(wal_frames(&path), 1, "one commit for the three writes");
        assert_eq!(keys(&path), ["a", "c"]);
    }

    /// A write that panics answers its caller with an error; the writer goes on.
    #[tokio::test]
    async fn a_panicking_write_does_not_stop_the_writer() {
        let (_dir, path, writer) = writer();
        let panicked = writer
            .grouped(|_: &Connection| -> StoreResult<()> { panic!("a bug in a write") })
            .await;
        assert!(matches!(panicked, Err(StoreError::Unavailable(_))));
        let alone = writer
            .alone(|_: &mut Connection| -> StoreResult<()> { panic!("another") })
            .await;
        assert!(alone.is_err());
        writer.grouped(insert("after")).await.unwrap();
        writer.grouped(insert("later")).await.unwrap();
        assert_eq!(wal_frames(&path), 2, "one commit each, one after the other");
        assert_eq!(keys(&path), ["after", "later"]);
    }
}
