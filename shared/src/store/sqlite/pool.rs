//! A small pool of SQLite connections, each used on a blocking thread.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use tokio::sync::Semaphore;

use super::checkpointer;
use super::writer::Writer;
use crate::store::{ReadStats, StoreError, StoreResult};

/// Read connections open at once.
const MAX_CONNECTIONS: usize = 8;
/// How long a write waits for another writer (another process included) before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug)]
pub(super) struct Pool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    permits: Semaphore,
    /// Every write of this process goes to one writer thread: SQLite has one writer at a time,
    /// and writers queue there instead of in SQLite's busy handler, which sleeps (1, 2, 5 ...
    /// 100 ms) between tries. Other processes (the CLI) still meet the busy timeout.
    writer: Writer,
    items_read: AtomicU64,
    full_scan_steps: AtomicU64,
}

impl Pool {
    /// Opens the database's write connection (creating the file if missing) and starts the
    /// writer on it, with its checkpoints on a thread of their own (`checkpointer.rs`).
    pub(super) fn open(path: &Path) -> StoreResult<Self> {
        let mut write_connection = open_connection(path)?;
        // Each write of a group commit runs in a savepoint, and SQLite keeps the pages a
        // savepoint changes in a sub-journal to roll it back. Past 64 KiB that journal spills to
        // a temporary file: a `write` per page, a third of the writer's time in a profile under
        // load. In memory it costs a group's changed pages at most (a few MiB), and it is never
        // needed after a crash (the transaction was not committed).
        write_connection
            .pragma_update(None, "temp_store", "MEMORY")
            .map_err(storage)?;
        checkpointer::start(&mut write_connection, path)?;
        Ok(Self {
            path: path.to_owned(),
            idle: Mutex::new(Vec::new()),
            permits: Semaphore::new(MAX_CONNECTIONS),
            writer: Writer::start(write_connection)?,
            items_read: AtomicU64::new(0),
            full_scan_steps: AtomicU64::new(0),
        })
    }

    /// Runs `f` with a connection on a blocking thread.
    pub(super) async fn run<T, F>(self: &std::sync::Arc<Self>, f: F) -> StoreResult<T>
    where
        F: FnOnce(&mut Connection, &Pool) -> StoreResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| StoreError::Unavailable("connection pool closed".into()))?;
        let pool = std::sync::Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let mut conn = match pool.take_idle() {
                Some(conn) => conn,
                None => open_connection(&pool.path)?,
            };
            let result = f(&mut conn, &pool);
            pool.put_back(conn);
            result
        })
        .await
        .map_err(|e| StoreError::Unavailable(format!("store task failed: {e}")))?
    }

    /// Runs a point read (a lookup by key or unique index, a handful of pages) on the calling
    /// thread when a connection is idle, instead of a round trip through a blocking thread: the
    /// read costs microseconds from the OS page cache, less than the hop it saves. The webhook
    /// path makes three to five of them per booking. With no idle connection it runs as
    /// [`Pool::run`] does. Never for scans: those stay on blocking threads.
    pub(super) async fn lookup<T, F>(self: &std::sync::Arc<Self>, f: F) -> StoreResult<T>
    where
        F: FnOnce(&mut Connection, &Pool) -> StoreResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let idle = match self.permits.try_acquire() {
            Ok(permit) => self.take_idle().map(|conn| (permit, conn)),
            Err(_) => None,
        };
        let Some((_permit, mut conn)) = idle else {
            return self.run(f).await;
        };
        let result = f(&mut conn, self);
        self.put_back(conn);
        result
    }

    fn take_idle(&self) -> Option<Connection> {
        self.idle.lock().ok().and_then(|mut idle| idle.pop())
    }

    fn put_back(&self, conn: Connection) {
        if let Ok(mut idle) = self.idle.lock() {
            idle.push(conn);
        }
    }

    /// Runs a write that opens its own transaction, alone, on the writer thread.
    pub(super) async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        F: FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.writer.alone(f).await
    }

    /// Runs a write inside a transaction it may share with other writes queued meanwhile (group
    /// commit, `writer.rs`); answers once that transaction is committed.
    pub(super) async fn write_grouped<F>(&self, f: F) -> StoreResult<()>
    where
        F: FnOnce(&Connection) -> StoreResult<()> + Send + 'static,
    {
        self.writer.grouped(f).await
    }

    /// Counts what a read statement did, for the O(1)-lookup checks.
    pub(super) fn count_read(&self, stmt: &rusqlite::Statement<'_>, rows: usize) {
        let scans = stmt.get_status(rusqlite::StatementStatus::FullscanStep);
        self.items_read.fetch_add(rows as u64, Ordering::Relaxed);
        self.full_scan_steps
            .fetch_add(u64::try_from(scans).unwrap_or(0), Ordering::Relaxed);
    }

    pub(super) fn read_stats(&self) -> ReadStats {
        ReadStats {
            items: self.items_read.load(Ordering::Relaxed),
            full_scans: self.full_scan_steps.load(Ordering::Relaxed),
            read_capacity_milli: 0,
        }
    }
}

pub(super) fn open_connection(path: &Path) -> StoreResult<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)
        .map_err(|e| StoreError::Unavailable(format!("cannot open {}: {e}", path.display())))?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(storage)?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(storage)?;
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(storage)?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(storage)?;
    Ok(conn)
}

/// Maps a SQLite error: a busy or locked database is unavailable for now, a constraint means a
/// concurrent writer got there first.
pub(super) fn storage(error: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode;
    match error.sqlite_error_code() {
        Some(ErrorCode::ConstraintViolation) => StoreError::Conflict,
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            StoreError::Unavailable("the database is busy".into())
        }
        _ => StoreError::Unavailable(error.to_string()),
    }
}
