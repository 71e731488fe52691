//! The embedded SQLite store.
//!
//! rusqlite with the `bundled` feature is used rather than sqlx, because SQLite runs in-process and
//! synchronously anyway (sqlx also drives it from a worker thread). Bundling builds one known
//! SQLite version on every machine, and no database is needed at compile time.
//!
//! One connection writes, so the service's own writes never contend for SQLite's write lock.
//! Writes are committed in groups: a write joins a queue, and whichever caller finds the writer
//! connection free commits everything queued in one transaction, each write in its own savepoint
//! so that a failed write undoes only itself. The others await their results without blocking
//! their threads. Under load that turns the two commits of a payment into a share of one, and
//! consecutive inserts into a table share their pages in the WAL. A write's result is sent only
//! once its transaction has committed. (A dedicated writer thread batches as well, but costs two
//! thread wake-ups per write, which measured slower on two cores.)
//!
//! NOTE: the caller that commits a batch blocks its async worker thread for the commit, and for
//! up to the busy timeout (5 s) while another process, such as the `shops` command, has SQLite's
//! write lock. The other writers wait without blocking their threads, but on up to five cores the
//! service has one async worker (see `async_worker_threads`), so every request waits meanwhile.
//!
//! Point reads on the request path run on the calling thread, on a small set of reader
//! connections: under WAL a reader does not wait for the writer, and each read is tens of
//! microseconds. Listing queries run on tokio's blocking pool.

use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, TryLockError};
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::{Connection, OpenFlags, OptionalExtension as _, Row, params};
use tokio::sync::oneshot;

use super::{
    ApiKeyRecord, ClaimOutcome, EarlierRequest, IdempotencyBegin, IdempotentCompletion,
    OpenAttempt, Payment, PaymentClaim, PaymentStatus, Recovery, Session, SessionLock,
    SessionState, Shop, Store, StoreError, migrations,
};

/// How long a connection waits for a lock held by another process (such as the command line)
/// before it reports SQLITE_BUSY.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Maximum number of writes committed in one transaction.
const MAX_BATCH: usize = 64;
/// WAL size in pages at which the writer checkpoints by itself at commit: a safety net only,
/// for when the background checkpointer stops or falls far behind.
const WAL_AUTOCHECKPOINT_PAGES: i64 = 100_000;
/// Interval of the background checkpointer. At full load the service appends thousands of WAL
/// pages a second, so each pass copies a few hundred to a few thousand.
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(200);
/// WAL size in pages past which the writer restarts the WAL (see `start_checkpointer`).
const WAL_RESTART_PAGES: i64 = 16_384;
/// Extra PASSIVE passes just before a restart, so that the restart itself has little to copy.
const RESTART_PREPARATION_PASSES: usize = 2;
/// Maximum wait of a WAL restart for readers to leave the WAL. Every write waits for the restart,
/// so it waits out this service's point reads (tens of microseconds each) but gives up on a long
/// read, such as another process's open transaction, and the checkpointer requests it again.
const RESTART_BUSY_TIMEOUT: Duration = Duration::from_millis(10);
/// Largest WAL file kept after a restart; SQLite truncates a larger one to this size.
const WAL_SIZE_LIMIT_BYTES: i64 = 64 * 1024 * 1024;
/// Prepared statements kept per connection; more than this module has, so none is parsed twice.
const STATEMENT_CACHE_CAPACITY: usize = 64;
/// File mode of a newly created database. It contains API key hashes, so only the owner may read it.
const DB_FILE_MODE: u32 = 0o600;

struct Pools {
    writer: Mutex<Connection>,
    /// Writes waiting for the next group commit.
    queue: Mutex<Vec<Box<dyn WriteJob>>>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
}

/// SQLite in WAL mode with one writer connection and a small set of reader connections.
#[derive(Clone)]
pub struct SqliteStore {
    pools: Arc<Pools>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and applies pending migrations.
    pub fn open(path: &Path, readers: usize) -> Result<Self, StoreError> {
        if !path.exists() {
            // Create the file with owner-only permissions before SQLite opens it.
            OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(DB_FILE_MODE)
                .open(path)
                .map_err(StoreError::Io)?;
        }

        let mut writer = open_connection(path)?;
        writer.pragma_update(None, "journal_mode", "WAL")?;
        writer.pragma_update(None, "wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES)?;
        writer.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT_BYTES)?;
        migrations::apply(&mut writer)?;

        let readers = (0..readers.max(1))
            .map(|_| open_connection(path).map(Mutex::new))
            .collect::<Result<Vec<_>, _>>()?;

        Ok(SqliteStore {
            pools: Arc::new(Pools {
                writer: Mutex::new(writer),
                queue: Mutex::new(Vec::new()),
                readers,
                next_reader: AtomicUsize::new(0),
            }),
        })
    }

    /// Starts a thread that keeps checkpoints off the request path. The thread ends once the
    /// store is dropped.
    ///
    /// Every pass copies the WAL into the database with a PASSIVE checkpoint on the thread's own
    /// connection, which neither waits for readers nor blocks the writer. That alone never lets
    /// the WAL start over under steady load: SQLite restarts it only when a write begins with
    /// every frame copied, and by the time a pass ends new frames have been appended. So once the
    /// WAL passes `WAL_RESTART_PAGES`, the thread takes the writer connection and runs one
    /// RESTART checkpoint on it, which copies only the frames appended during the pass. Writes
    /// queue for those few milliseconds of copying and fsync, once per restart, while the async
    /// workers go on with other work. SQLite's own autocheckpoint made one commit copy the whole
    /// WAL.
    pub fn start_checkpointer(&self, path: &Path) -> Result<(), StoreError> {
        let conn = open_connection(path)?;
        let pools = Arc::downgrade(&self.pools);
        std::thread::Builder::new()
            .name(String::from("sqlite-checkpoint"))
            .spawn(move || {
                loop {
                    std::thread::sleep(CHECKPOINT_INTERVAL);
                    let Some(pools) = pools.upgrade() else {
                        return;
                    };
                    match checkpoint_pass(&conn, WAL_RESTART_PAGES) {
                        Ok(true) => pools.restart_wal(),
                        Ok(false) => {}
                        Err(error) => {
                            tracing::warn!(%error, "WAL checkpoint failed; retrying shortly");
                        }
                    }
                }
            })
            .map_err(StoreError::Io)?;
        Ok(())
    }

    /// Queues `work` for the next group commit and returns its result once that has committed
    /// (see the module docs).
    async fn write<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, result) = oneshot::channel();
        let job = Box::new(Pending {
            work: Some(work),
            result: None,
            reply,
        });
        lock(&self.pools.queue).push(job);
        self.pools.commit_queued();
        result.await.map_err(|_| StoreError::TaskFailed)?
    }

    /// Runs a short point read on the calling thread. Under WAL a reader does not wait for the
    /// writer, and handing the read to the blocking pool costs more (two thread switches) than
    /// the read itself, which matters on the per-request path.
    fn read_inline<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        F: FnOnce(&Connection) -> Result<T, StoreError>,
    {
        let start = self.pools.next_reader.fetch_add(1, Ordering::Relaxed);
        let count = self.pools.readers.len();
        for offset in 0..count {
            if let Ok(conn) = self.pools.readers[(start + offset) % count].try_lock() {
                return work(&conn);
            }
        }
        let conn = self.pools.readers[start % count]
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        work(&conn)
    }

    async fn read<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let pools = Arc::clone(&self.pools);
        tokio::task::spawn_blocking(move || {
            let start = pools.next_reader.fetch_add(1, Ordering::Relaxed);
            let count = pools.readers.len();

            // Take the first free reader, starting round-robin; wait on one only if all are busy.
            for offset in 0..count {
                if let Ok(conn) = pools.readers[(start + offset) % count].try_lock() {
                    return work(&conn);
                }
            }
            let conn = pools.readers[start % count]
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            work(&conn)
        })
        .await
        .map_err(|_| StoreError::TaskFailed)?
    }
}

/// A write waiting in the queue for the next group commit.
trait WriteJob: Send {
    /// Runs the write in its own savepoint inside the batch's transaction. An error means that
    /// the savepoint itself failed, so the batch must not commit.
    fn run(&mut self, conn: &Connection) -> rusqlite::Result<()>;
    /// Sends the write's result, or `error` in place of a success when the batch did not commit.
    fn finish(self: Box<Self>, error: Option<&rusqlite::Error>);
}

struct Pending<T, F> {
    work: Option<F>,
    result: Option<Result<T, StoreError>>,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

impl<T, F> WriteJob for Pending<T, F>
where
    T: Send,
    F: FnOnce(&Connection) -> Result<T, StoreError> + Send,
{
    fn run(&mut self, conn: &Connection) -> rusqlite::Result<()> {
        let Some(work) = self.work.take() else {
            return Ok(());
        };
        in_savepoint(conn, work, &mut self.result)
    }

    fn finish(self: Box<Self>, error: Option<&rusqlite::Error>) {
        let result = match (error, self.result) {
            // A write that failed by itself reports its own error, whatever became of its batch.
            (_, Some(Err(own))) => Err(own),
            (Some(error), _) => Err(copy_error(error)),
            (None, Some(result)) => result,
            (None, None) => Err(StoreError::TaskFailed),
        };
        // The request may have gone away, but its write is committed all the same.
        let _ = self.reply.send(result);
    }
}

/// Runs `work` between SAVEPOINT and RELEASE, rolling back to the savepoint when it fails or
/// panics, so that one failed write does not undo the others of its batch. Stores the write's
/// result in `result` and returns the savepoint's own failure. That happens when SQLite rolled
/// back the whole transaction, as it may on SQLITE_FULL, SQLITE_IOERR or SQLITE_NOMEM: the
/// earlier writes are then undone, and a later write would run outside any transaction.
fn in_savepoint<T>(
    conn: &Connection,
    work: impl FnOnce(&Connection) -> Result<T, StoreError>,
    result: &mut Option<Result<T, StoreError>>,
) -> rusqlite::Result<()> {
    conn.execute_batch("SAVEPOINT write")?;
    let outcome =
        catch_unwind(AssertUnwindSafe(|| work(conn))).unwrap_or(Err(StoreError::TaskFailed));
    let failed = outcome.is_err();
    *result = Some(outcome);

    if failed {
        conn.execute_batch("ROLLBACK TO write")?;
    }
    conn.execute_batch("RELEASE write")
}

impl Pools {
    /// Commits the queued writes, batch after batch. When another caller has the writer
    /// connection, returns at once, because that caller commits them instead.
    ///
    /// NOTE: under steady load the queue may never be empty when the committer looks again, so
    /// one caller can keep committing others' writes, and its own response waits meanwhile.
    /// Handing the rest to a spawned task after a few batches would bound that.
    fn commit_queued(&self) {
        loop {
            let conn = match self.writer.try_lock() {
                Ok(conn) => conn,
                Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
                Err(TryLockError::WouldBlock) => return,
            };
            let batch: Vec<_> = {
                let mut queue = lock(&self.queue);
                let count = queue.len().min(MAX_BATCH);
                queue.drain(..count).collect()
            };
            if !batch.is_empty() {
                commit_batch(&conn, batch);
            }
            drop(conn);

            // A write queued while the connection was held found it busy and left its commit to
            // this caller, so look again after letting go of the connection.
            if lock(&self.queue).is_empty() {
                return;
            }
        }
    }

    /// Restarts the WAL on the writer connection, then commits the writes queued meanwhile,
    /// whose callers found the connection busy and left their commit to this one.
    fn restart_wal(&self) {
        let restarted = restart_wal_briefly(&lock(&self.writer));
        if let Err(error) = restarted {
            tracing::warn!(%error, "WAL restart failed; the next checkpoint pass tries again");
        }
        self.commit_queued();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs a batch of writes in one transaction and sends each its result after the commit.
fn commit_batch(conn: &Connection, mut batch: Vec<Box<dyn WriteJob>>) {
    // IMMEDIATE takes the write lock at once, waiting up to the busy timeout while another
    // process has it. A deferred transaction could fail on its first write without waiting.
    let outcome = conn.execute_batch("BEGIN IMMEDIATE").and_then(|()| {
        for job in &mut batch {
            job.run(conn)?;
        }
        conn.execute_batch("COMMIT")
    });
    if outcome.is_err() && !conn.is_autocommit() {
        // The error below is what each write reports; a failed rollback changes nothing for them.
        let _ = conn.execute_batch("ROLLBACK");
    }

    let error = outcome.err();
    for job in batch {
        job.finish(error.as_ref());
    }
}

/// Copies the WAL into the database (one pass of the background checkpointer). Returns true
/// when the WAL had `restart_pages` pages or more, so that it should start over.
fn checkpoint_pass(conn: &Connection, restart_pages: i64) -> rusqlite::Result<bool> {
    if wal_checkpoint(conn, "PASSIVE")? < restart_pages {
        return Ok(false);
    }

    // Writes go on during a pass, so one pass leaves what was appended while it copied. Each
    // further pass leaves less, and the restart, which every write waits for, copies only the rest.
    for _ in 0..RESTART_PREPARATION_PASSES {
        wal_checkpoint(conn, "PASSIVE")?;
    }
    Ok(true)
}

/// Runs `PRAGMA wal_checkpoint(mode)` and returns the WAL's size in pages before it ran.
fn wal_checkpoint(conn: &Connection, mode: &str) -> rusqlite::Result<i64> {
    // The row is (busy, WAL pages, pages copied); busy means readers kept some frames from
    // being copied, which the next pass retries.
    conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |row| {
        row.get(1)
    })
}

/// Restarts the WAL on the writer connection, waiting at most `RESTART_BUSY_TIMEOUT` for readers
/// where the connection's busy timeout would hold every write for up to `BUSY_TIMEOUT`.
fn restart_wal_briefly(conn: &Connection) -> rusqlite::Result<i64> {
    conn.busy_timeout(RESTART_BUSY_TIMEOUT)?;
    let restarted = wal_checkpoint(conn, "RESTART");
    conn.busy_timeout(BUSY_TIMEOUT)?;
    restarted
}

/// Copies a batch's database error for each of its writes.
fn copy_error(error: &rusqlite::Error) -> StoreError {
    match error {
        rusqlite::Error::SqliteFailure(code, message) => {
            StoreError::Database(rusqlite::Error::SqliteFailure(*code, message.clone()))
        }
        _ => StoreError::TaskFailed,
    }
}

fn open_connection(path: &Path) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE_CAPACITY);
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // NORMAL is durable across application crashes in WAL mode. A power loss may drop the last
    // commits, which costs at most a retry of recent requests.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(conn)
}

fn shop_from_row(row: &Row<'_>) -> rusqlite::Result<Shop> {
    Ok(Shop {
        id: row.get("id")?,
        name: row.get("name")?,
        origin: row.get("origin")?,
        created_at: row.get("created_at")?,
        disabled_at: row.get("disabled_at")?,
    })
}

fn blob32(row: &Row<'_>, column: &str) -> rusqlite::Result<[u8; 32]> {
    let bytes: Vec<u8> = row.get(column)?;
    bytes.try_into().map_err(|_| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Blob,
            "expected a 32-byte value".into(),
        )
    })
}

fn api_key_from_row(row: &Row<'_>) -> rusqlite::Result<ApiKeyRecord> {
    Ok(ApiKeyRecord {
        key_id: row.get("key_id")?,
        shop_id: row.get("shop_id")?,
        hash: blob32(row, "hash")?,
        created_at: row.get("created_at")?,
        expires_at: row.get("expires_at")?,
    })
}

fn session_from_row(row: &Row<'_>) -> Result<Session, StoreError> {
    let state: String = row.get("state")?;
    let amount: i64 = row.get("amount")?;
    Ok(Session {
        id: row.get("id")?,
        shop_id: row.get("shop_id")?,
        amount: u64::try_from(amount).map_err(|_| StoreError::Corrupt("session amount"))?,
        currency: row.get("currency")?,
        order_reference: row.get("order_reference")?,
        state: SessionState::parse(&state).ok_or(StoreError::Corrupt("session state"))?,
        created_at: row.get("created_at")?,
        expires_at: row.get("expires_at")?,
    })
}

fn payment_from_row(row: &Row<'_>) -> Result<Payment, StoreError> {
    let status: String = row.get("status")?;
    let amount: i64 = row.get("amount")?;
    Ok(Payment {
        id: row.get("id")?,
        shop_id: row.get("shop_id")?,
        session_id: row.get("session_id")?,
        amount: u64::try_from(amount).map_err(|_| StoreError::Corrupt("payment amount"))?,
        currency: row.get("currency")?,
        order_reference: row.get("order_reference")?,
        status: PaymentStatus::parse(&status).ok_or(StoreError::Corrupt("payment status"))?,
        decline_code: row.get("decline_code")?,
        brand: row.get("brand")?,
        last4: row.get("last4")?,
        exp_month: row.get("exp_month")?,
        exp_year: row.get("exp_year")?,
        card_fingerprint: blob32(row, "card_fingerprint")?,
        kid: row.get("kid")?,
        envelope_id: row.get("envelope_id")?,
        created_at: row.get("created_at")?,
    })
}

fn amount_to_sql(amount: u64) -> Result<i64, StoreError> {
    i64::try_from(amount).map_err(|_| StoreError::Corrupt("amount out of range"))
}

fn is_unique_violation(error: &rusqlite::Error) -> bool {
    matches!(
        error,
        rusqlite::Error::SqliteFailure(e, _)
            if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
                || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
    )
}

/// Runs a statement through the connection's prepared statement cache, so the hot statements are
/// parsed once per connection instead of once per request.
fn execute_cached(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> rusqlite::Result<usize> {
    conn.prepare_cached(sql)?.execute(params)
}

/// Runs a one-row query through the prepared statement cache.
fn query_row_cached<T>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    row: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    conn.prepare_cached(sql)?.query_row(params, row)
}

fn lock_session_in(conn: &Connection, session_id: &str) -> Result<SessionLock, StoreError> {
    let changed = execute_cached(
        conn,
        "UPDATE checkout_sessions SET state = 'processing' WHERE id = ?1 AND state = 'open'",
        [session_id],
    )?;
    if changed == 1 {
        return Ok(SessionLock::Acquired);
    }

    let state: Option<String> = query_row_cached(
        conn,
        "SELECT state FROM checkout_sessions WHERE id = ?1",
        [session_id],
        |row| row.get(0),
    )
    .optional()?;
    match state {
        None => Ok(SessionLock::NotFound),
        Some(text) => {
            let state = SessionState::parse(&text).ok_or(StoreError::Corrupt("session state"))?;
            Ok(SessionLock::Unavailable(state))
        }
    }
}

fn insert_open_attempt(conn: &Connection, attempt: &OpenAttempt) -> Result<(), StoreError> {
    let mut statement = conn.prepare_cached(
        "INSERT INTO open_attempts (at, request_id, shop_id, session_id, kid, outcome)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    statement.execute(params![
        attempt.at,
        attempt.request_id,
        attempt.shop_id,
        attempt.session_id,
        attempt.kid,
        attempt.outcome
    ])?;
    Ok(())
}

fn complete_idempotent_in(
    conn: &Connection,
    completion: &IdempotentCompletion,
) -> Result<(), StoreError> {
    execute_cached(
        conn,
        "UPDATE idempotency_keys SET state = 'completed', status = ?3, body = ?4
         WHERE shop_id = ?1 AND key = ?2",
        params![
            completion.shop_id,
            completion.key,
            completion.status,
            completion.body
        ],
    )?;
    Ok(())
}

/// Records an envelope id as used. Returns false when it was used before.
fn claim_envelope_id_in(
    conn: &Connection,
    envelope_id: &str,
    shop_id: &str,
    session_id: &str,
    now: i64,
    forget_after: i64,
) -> Result<bool, StoreError> {
    let result = execute_cached(
        conn,
        "INSERT INTO used_envelopes (envelope_id, shop_id, session_id, used_at, forget_after)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![envelope_id, shop_id, session_id, now, forget_after],
    );
    match result {
        Ok(_) => Ok(true),
        Err(e) if is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

fn begin_idempotent_in(
    conn: &Connection,
    shop_id: &str,
    key: &str,
    fingerprint: &[u8; 32],
    now: i64,
    stale_before: i64,
) -> Result<IdempotencyBegin, StoreError> {
    let existing = query_row_cached(
        conn,
        "SELECT fingerprint, state, status, body, created_at FROM idempotency_keys
         WHERE shop_id = ?1 AND key = ?2",
        params![shop_id, key],
        |row| {
            Ok((
                blob32(row, "fingerprint")?,
                row.get::<_, String>("state")?,
                row.get::<_, Option<u16>>("status")?,
                row.get::<_, Option<String>>("body")?,
                row.get::<_, i64>("created_at")?,
            ))
        },
    )
    .optional()?;

    let earlier = match existing {
        None => {
            execute_cached(
                conn,
                "INSERT INTO idempotency_keys (shop_id, key, fingerprint, state, created_at)
                 VALUES (?1, ?2, ?3, 'started', ?4)",
                params![shop_id, key, fingerprint.as_slice(), now],
            )?;
            return Ok(IdempotencyBegin::Started);
        }
        Some((stored, _, _, _, _)) if stored != *fingerprint => EarlierRequest::Mismatch,
        Some((_, state, Some(status), Some(body), _)) if state == "completed" => {
            EarlierRequest::Completed { status, body }
        }
        Some((_, _, _, _, created_at)) if created_at < stale_before => {
            // The earlier request died without a response, so this one takes the key over.
            execute_cached(
                conn,
                "UPDATE idempotency_keys SET state = 'started', created_at = ?3
                 WHERE shop_id = ?1 AND key = ?2",
                params![shop_id, key, now],
            )?;
            return Ok(IdempotencyBegin::Started);
        }
        Some(_) => EarlierRequest::InProgress,
    };
    Ok(IdempotencyBegin::Earlier(earlier))
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.read(|conn| {
            let version: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
            if version as usize != migrations::latest_version() {
                return Err(StoreError::Corrupt("schema version"));
            }
            Ok(())
        })
        .await
    }

    async fn insert_shop(&self, shop: &Shop, key: &ApiKeyRecord) -> Result<(), StoreError> {
        let shop = shop.clone();
        let key = key.clone();
        self.write(move |conn| {
            execute_cached(conn,
                "INSERT INTO shops (id, name, origin, created_at, disabled_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![shop.id, shop.name, shop.origin, shop.created_at, shop.disabled_at],
            )?;
            execute_cached(conn,
                "INSERT INTO api_keys (key_id, shop_id, hash, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![key.key_id, key.shop_id, key.hash.as_slice(), key.created_at, key.expires_at],
            )?;
            Ok(())
        })
        .await
    }

    async fn get_shop(&self, shop_id: &str) -> Result<Option<Shop>, StoreError> {
        let shop_id = shop_id.to_owned();
        self.read(move |conn| {
            Ok(query_row_cached(
                conn,
                "SELECT * FROM shops WHERE id = ?1",
                [shop_id],
                shop_from_row,
            )
            .optional()?)
        })
        .await
    }

    async fn list_shops(&self) -> Result<Vec<Shop>, StoreError> {
        self.read(|conn| {
            let mut statement = conn.prepare("SELECT * FROM shops ORDER BY created_at, id")?;
            let shops = statement
                .query_map([], shop_from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(shops)
        })
        .await
    }

    async fn disable_shop(&self, shop_id: &str, at: i64) -> Result<(), StoreError> {
        let shop_id = shop_id.to_owned();
        self.write(move |conn| {
            let changed = execute_cached(
                conn,
                "UPDATE shops SET disabled_at = COALESCE(disabled_at, ?2) WHERE id = ?1",
                params![shop_id, at],
            )?;
            if changed == 0 {
                return Err(StoreError::NotFound("shop"));
            }
            Ok(())
        })
        .await
    }

    async fn enabled_shop_origins(&self) -> Result<Vec<String>, StoreError> {
        self.read(|conn| {
            let mut statement = conn.prepare(
                "SELECT DISTINCT origin FROM shops WHERE disabled_at IS NULL ORDER BY origin",
            )?;
            let origins = statement
                .query_map([], |row| row.get(0))?
                .collect::<Result<Vec<String>, _>>()?;
            Ok(origins)
        })
        .await
    }

    async fn rotate_api_key(
        &self,
        key: &ApiKeyRecord,
        previous_expires_by: i64,
        now: i64,
    ) -> Result<(), StoreError> {
        let key = key.clone();
        self.write(move |conn| {
            let newest: Option<String> = query_row_cached(conn,
                    "SELECT key_id FROM api_keys WHERE shop_id = ?1 AND expires_at > ?2
                     ORDER BY created_at DESC, key_id DESC LIMIT 1",
                    params![key.shop_id, now],
                    |row| row.get(0),
                )
                .optional()?;

            // Keys older than the newest one end now; the newest one overlaps with the new key.
            execute_cached(conn,
                "UPDATE api_keys SET expires_at = MIN(expires_at, ?3)
                 WHERE shop_id = ?1 AND key_id IS NOT ?2",
                params![key.shop_id, newest, now],
            )?;
            if let Some(newest) = &newest {
                execute_cached(conn,
                    "UPDATE api_keys SET expires_at = MIN(expires_at, ?2) WHERE key_id = ?1",
                    params![newest, previous_expires_by],
                )?;
            }

            execute_cached(conn,
                "INSERT INTO api_keys (key_id, shop_id, hash, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![key.key_id, key.shop_id, key.hash.as_slice(), key.created_at, key.expires_at],
            )?;
            Ok(())
        })
        .await
    }

    async fn list_api_keys(&self, shop_id: &str) -> Result<Vec<ApiKeyRecord>, StoreError> {
        let shop_id = shop_id.to_owned();
        self.read(move |conn| {
            let mut statement = conn
                .prepare("SELECT * FROM api_keys WHERE shop_id = ?1 ORDER BY created_at, key_id")?;
            let keys = statement
                .query_map([shop_id], api_key_from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(keys)
        })
        .await
    }

    async fn find_api_key(&self, key_id: &str) -> Result<Option<(ApiKeyRecord, Shop)>, StoreError> {
        let key_id = key_id.to_owned();
        self.read_inline(move |conn| {
            let found = query_row_cached(
                conn,
                "SELECT k.key_id, k.shop_id, k.hash, k.created_at AS key_created_at, k.expires_at,
                            s.id, s.name, s.origin, s.created_at, s.disabled_at
                     FROM api_keys k JOIN shops s ON s.id = k.shop_id WHERE k.key_id = ?1",
                [key_id],
                |row| {
                    let key = ApiKeyRecord {
                        key_id: row.get("key_id")?,
                        shop_id: row.get("shop_id")?,
                        hash: blob32(row, "hash")?,
                        created_at: row.get("key_created_at")?,
                        expires_at: row.get("expires_at")?,
                    };
                    Ok((key, shop_from_row(row)?))
                },
            )
            .optional()?;
            Ok(found)
        })
    }

    async fn insert_session(&self, session: &Session) -> Result<(), StoreError> {
        let session = session.clone();
        self.write(move |conn| {
            execute_cached(
                conn,
                "INSERT INTO checkout_sessions
                 (id, shop_id, amount, currency, order_reference, state, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    session.id,
                    session.shop_id,
                    amount_to_sql(session.amount)?,
                    session.currency,
                    session.order_reference,
                    session.state.as_str(),
                    session.created_at,
                    session.expires_at
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn get_session(&self, session_id: &str) -> Result<Option<Session>, StoreError> {
        let session_id = session_id.to_owned();
        self.read_inline(move |conn| {
            let mut statement =
                conn.prepare_cached("SELECT * FROM checkout_sessions WHERE id = ?1")?;
            let mut rows = statement.query([session_id])?;
            match rows.next()? {
                Some(row) => Ok(Some(session_from_row(row)?)),
                None => Ok(None),
            }
        })
    }

    async fn unlock_session(&self, session_id: &str) -> Result<(), StoreError> {
        let session_id = session_id.to_owned();
        self.write(move |conn| {
            execute_cached(conn,
                "UPDATE checkout_sessions SET state = 'open' WHERE id = ?1 AND state = 'processing'",
                [session_id],
            )?;
            Ok(())
        })
        .await
    }

    async fn claim_payment(&self, claim: &PaymentClaim) -> Result<ClaimOutcome, StoreError> {
        let claim = claim.clone();
        self.write(move |conn| {
            let begin = begin_idempotent_in(
                conn,
                &claim.shop_id,
                &claim.idempotency_key,
                &claim.request_fingerprint,
                claim.now,
                claim.stale_before,
            )?;
            if let IdempotencyBegin::Earlier(earlier) = begin {
                return Ok(ClaimOutcome::Earlier(earlier));
            }
            if !claim_envelope_id_in(
                conn,
                &claim.envelope_id,
                &claim.shop_id,
                &claim.session_id,
                claim.now,
                claim.forget_envelope_after,
            )? {
                return Ok(ClaimOutcome::Replayed);
            }
            let lock = lock_session_in(conn, &claim.session_id)?;
            if lock == SessionLock::Acquired {
                return Ok(ClaimOutcome::Claimed);
            }
            // The envelope was not used, so the same request may be sent again later.
            execute_cached(
                conn,
                "DELETE FROM used_envelopes WHERE envelope_id = ?1",
                [&claim.envelope_id],
            )?;
            Ok(ClaimOutcome::SessionNotLocked(lock))
        })
        .await
    }

    async fn purge_envelope_ids(&self, now: i64) -> Result<u64, StoreError> {
        self.write(move |conn| {
            let deleted = execute_cached(
                conn,
                "DELETE FROM used_envelopes WHERE forget_after < ?1",
                [now],
            )?;
            Ok(deleted as u64)
        })
        .await
    }

    async fn begin_idempotent(
        &self,
        shop_id: &str,
        key: &str,
        fingerprint: &[u8; 32],
        now: i64,
        stale_before: i64,
    ) -> Result<IdempotencyBegin, StoreError> {
        let (shop_id, key, fingerprint) = (shop_id.to_owned(), key.to_owned(), *fingerprint);
        self.write(move |conn| {
            begin_idempotent_in(conn, &shop_id, &key, &fingerprint, now, stale_before)
        })
        .await
    }

    async fn complete_idempotent(
        &self,
        shop_id: &str,
        key: &str,
        status: u16,
        body: &str,
    ) -> Result<(), StoreError> {
        let completion = IdempotentCompletion {
            shop_id: shop_id.to_owned(),
            key: key.to_owned(),
            status,
            body: body.to_owned(),
        };
        self.write(move |conn| complete_idempotent_in(conn, &completion))
            .await
    }

    async fn abandon_idempotent(&self, shop_id: &str, key: &str) -> Result<(), StoreError> {
        let (shop_id, key) = (shop_id.to_owned(), key.to_owned());
        self.write(move |conn| {
            execute_cached(conn,
                "DELETE FROM idempotency_keys WHERE shop_id = ?1 AND key = ?2 AND state = 'started'",
                params![shop_id, key],
            )?;
            Ok(())
        })
        .await
    }

    async fn purge_idempotency(&self, before: i64) -> Result<u64, StoreError> {
        self.write(move |conn| {
            let deleted = execute_cached(
                conn,
                "DELETE FROM idempotency_keys WHERE created_at < ?1 AND state = 'completed'",
                [before],
            )?;
            Ok(deleted as u64)
        })
        .await
    }

    async fn record_payment(
        &self,
        payment: &Payment,
        attempt: &OpenAttempt,
        completion: Option<&IdempotentCompletion>,
        repeat_since: i64,
    ) -> Result<u64, StoreError> {
        let payment = payment.clone();
        let attempt = attempt.clone();
        let completion = completion.cloned();
        self.write(move |conn| {
            let repeats: i64 = query_row_cached(
                conn,
                "SELECT COUNT(*) FROM payments
                 WHERE shop_id = ?1 AND card_fingerprint = ?2 AND created_at >= ?3",
                params![
                    payment.shop_id,
                    payment.card_fingerprint.as_slice(),
                    repeat_since
                ],
                |row| row.get(0),
            )?;
            execute_cached(
                conn,
                "INSERT INTO payments
                 (id, shop_id, session_id, amount, currency, order_reference, status, decline_code,
                  brand, last4, exp_month, exp_year, card_fingerprint, kid, envelope_id, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
                params![
                    payment.id,
                    payment.shop_id,
                    payment.session_id,
                    amount_to_sql(payment.amount)?,
                    payment.currency,
                    payment.order_reference,
                    payment.status.as_str(),
                    payment.decline_code,
                    payment.brand,
                    payment.last4,
                    payment.exp_month,
                    payment.exp_year,
                    payment.card_fingerprint.as_slice(),
                    payment.kid,
                    payment.envelope_id,
                    payment.created_at
                ],
            )?;

            // An approved payment consumes the session; a declined one lets the buyer try again.
            let next_state = match payment.status {
                PaymentStatus::Approved => SessionState::Used,
                PaymentStatus::Declined => SessionState::Open,
            };
            execute_cached(
                conn,
                "UPDATE checkout_sessions SET state = ?2 WHERE id = ?1",
                params![payment.session_id, next_state.as_str()],
            )?;
            insert_open_attempt(conn, &attempt)?;

            if let Some(completion) = &completion {
                complete_idempotent_in(conn, completion)?;
            }
            Ok(repeats as u64)
        })
        .await
    }

    async fn get_payment(&self, payment_id: &str) -> Result<Option<Payment>, StoreError> {
        let payment_id = payment_id.to_owned();
        self.read(move |conn| {
            let mut statement = conn.prepare_cached("SELECT * FROM payments WHERE id = ?1")?;
            let mut rows = statement.query([payment_id])?;
            match rows.next()? {
                Some(row) => Ok(Some(payment_from_row(row)?)),
                None => Ok(None),
            }
        })
        .await
    }

    async fn record_open_attempt(&self, attempt: &OpenAttempt) -> Result<(), StoreError> {
        let attempt = attempt.clone();
        self.write(move |conn| insert_open_attempt(conn, &attempt))
            .await
    }

    async fn recover(&self) -> Result<Recovery, StoreError> {
        self.write(|conn| {
            let sessions_reopened = execute_cached(
                conn,
                "UPDATE checkout_sessions SET state = 'open' WHERE state = 'processing'",
                [],
            )?;
            let idempotency_keys_released = execute_cached(
                conn,
                "DELETE FROM idempotency_keys WHERE state = 'started'",
                [],
            )?;
            Ok(Recovery {
                sessions_reopened: sessions_reopened as u64,
                idempotency_keys_released: idempotency_keys_released as u64,
            })
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_store() -> (tempfile::TempDir, SqliteStore) {
        let (dir, _path, store) = temp_store_with_path();
        (dir, store)
    }

    /// Opens a store in a new temporary directory and returns the database path too, for tests
    /// that open other connections to it.
    fn temp_store_with_path() -> (tempfile::TempDir, std::path::PathBuf, SqliteStore) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("test.db");
        let store = SqliteStore::open(&path, 2).expect("open store");
        (dir, path, store)
    }

    /// Records an envelope id as used, in a write of its own.
    async fn claim_envelope(
        store: &SqliteStore,
        envelope_id: &str,
        shop_id: &str,
        session_id: &str,
        now: i64,
        forget_after: i64,
    ) -> Result<bool, StoreError> {
        let (envelope_id, shop_id, session_id) = (
            envelope_id.to_owned(),
            shop_id.to_owned(),
            session_id.to_owned(),
        );
        store
            .write(move |conn| {
                claim_envelope_id_in(conn, &envelope_id, &shop_id, &session_id, now, forget_after)
            })
            .await
    }

    /// Moves a session to processing, in a write of its own.
    async fn lock_session(
        store: &SqliteStore,
        session_id: &str,
    ) -> Result<SessionLock, StoreError> {
        let session_id = session_id.to_owned();
        store
            .write(move |conn| lock_session_in(conn, &session_id))
            .await
    }

    fn shop(id: &str) -> Shop {
        Shop {
            id: id.into(),
            name: "Test shop".into(),
            origin: "http://127.0.0.1:8081".into(),
            created_at: 1_000,
            disabled_at: None,
        }
    }

    fn key(key_id: &str, shop_id: &str, created_at: i64) -> ApiKeyRecord {
        ApiKeyRecord {
            key_id: key_id.into(),
            shop_id: shop_id.into(),
            hash: [7; 32],
            created_at,
            expires_at: created_at + 1_000_000,
        }
    }

    fn session(id: &str) -> Session {
        Session {
            id: id.into(),
            shop_id: "shop_a".into(),
            amount: 1200,
            currency: "JPY".into(),
            order_reference: "A-1".into(),
            state: SessionState::Open,
            created_at: 1_000,
            expires_at: 2_800,
        }
    }

    #[tokio::test]
    async fn migrations_are_applied_once() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("test.db");
        drop(SqliteStore::open(&path, 1).expect("first open"));
        let store = SqliteStore::open(&path, 1).expect("second open");
        store.ping().await.expect("ping");
    }

    #[tokio::test]
    async fn rotation_keeps_two_keys() {
        let (_dir, store) = temp_store();
        store
            .insert_shop(&shop("shop_a"), &key("k1", "shop_a", 1_000))
            .await
            .unwrap();
        store
            .rotate_api_key(&key("k2", "shop_a", 2_000), 5_000, 2_000)
            .await
            .unwrap();
        store
            .rotate_api_key(&key("k3", "shop_a", 3_000), 6_000, 3_000)
            .await
            .unwrap();

        let keys = store.list_api_keys("shop_a").await.unwrap();
        let expiry: Vec<(String, i64)> = keys
            .iter()
            .map(|k| (k.key_id.clone(), k.expires_at))
            .collect();
        assert_eq!(
            expiry,
            vec![
                ("k1".into(), 3_000),
                ("k2".into(), 6_000),
                ("k3".into(), 1_003_000)
            ]
        );
    }

    type TestWrite = Box<dyn FnOnce(&Connection) -> Result<(), StoreError> + Send>;

    /// Queues writes while the test has the writer connection, so that they share one batch,
    /// then commits them as the next caller would.
    #[expect(
        clippy::await_holding_lock,
        reason = "the writes must find the connection busy; they never wait for the lock"
    )]
    async fn run_in_one_batch(
        store: &SqliteStore,
        writes: Vec<TestWrite>,
    ) -> Vec<Result<(), StoreError>> {
        let writer_guard = store.pools.writer.lock().unwrap();
        let pending: Vec<_> = writes
            .into_iter()
            .map(|work| {
                let store = store.clone();
                tokio::spawn(async move { store.write(work).await })
            })
            .collect();
        while lock(&store.pools.queue).len() < pending.len() {
            tokio::task::yield_now().await;
        }
        drop(writer_guard);
        store.pools.commit_queued();

        let mut results = Vec::new();
        for task in pending {
            results.push(task.await.expect("write task"));
        }
        results
    }

    fn insert_shop_row(conn: &Connection, id: &str) -> Result<(), StoreError> {
        execute_cached(
            conn,
            "INSERT INTO shops (id, name, origin, created_at) VALUES (?1, 'Test shop', 'http://127.0.0.1:8081', 1000)",
            [id],
        )?;
        Ok(())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn batch_failed_write_undoes_only_itself() {
        let (_dir, store) = temp_store();
        let results = run_in_one_batch(
            &store,
            vec![
                Box::new(|conn| insert_shop_row(conn, "shop_kept_1")),
                Box::new(|conn| {
                    insert_shop_row(conn, "shop_undone")?;
                    Err(StoreError::Corrupt("test failure"))
                }),
                Box::new(|conn| {
                    insert_shop_row(conn, "shop_panicked")?;
                    panic!("test panic inside a write")
                }),
                Box::new(|conn| insert_shop_row(conn, "shop_kept_2")),
            ],
        )
        .await;

        assert!(results[0].is_ok());
        assert!(matches!(
            results[1],
            Err(StoreError::Corrupt("test failure"))
        ));
        assert!(matches!(results[2], Err(StoreError::TaskFailed)));
        assert!(results[3].is_ok());
        let ids: Vec<String> = store
            .list_shops()
            .await
            .unwrap()
            .into_iter()
            .map(|s| s.id)
            .collect();
        assert_eq!(ids.len(), 2, "{ids:?}");
        assert!(ids.contains(&"shop_kept_1".to_owned()), "{ids:?}");
        assert!(ids.contains(&"shop_kept_2".to_owned()), "{ids:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn batch_failed_commit_fails_every_write() {
        let (_dir, path, store) = temp_store_with_path();

        // Another process holding the write lock makes BEGIN IMMEDIATE give up after the busy
        // timeout; a shorter timeout keeps the test quick.
        store
            .pools
            .writer
            .lock()
            .unwrap()
            .busy_timeout(Duration::from_millis(50))
            .unwrap();
        let other = Connection::open(&path).unwrap();
        other.execute_batch("BEGIN IMMEDIATE").unwrap();

        let results = run_in_one_batch(
            &store,
            vec![
                Box::new(|conn| insert_shop_row(conn, "shop_1")),
                Box::new(|conn| insert_shop_row(conn, "shop_2")),
            ],
        )
        .await;
        assert!(
            results
                .iter()
                .all(|r| matches!(r, Err(StoreError::Database(_)))),
            "{results:?}"
        );

        other.execute_batch("ROLLBACK").unwrap();
        assert!(store.list_shops().await.unwrap().is_empty());
        store
            .insert_shop(&shop("shop_3"), &key("k3", "shop_3", 1_000))
            .await
            .unwrap();
        assert_eq!(store.list_shops().await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn wal_restarts_when_checkpointer_asks() {
        let (_dir, path, store) = temp_store_with_path();
        let checkpointer = open_connection(&path).unwrap();
        for index in 0..50 {
            claim_envelope(
                &store,
                &format!("env_{index}"),
                "shop_a",
                "cs_1",
                1_000,
                2_000,
            )
            .await
            .unwrap();
        }
        let grown = wal_checkpoint(&checkpointer, "PASSIVE").unwrap();
        assert!(grown >= 50, "one frame or more per commit: {grown}");

        // Below the limit a pass only copies.
        assert!(!checkpoint_pass(&checkpointer, grown + 1).unwrap());
        assert!(checkpoint_pass(&checkpointer, grown).unwrap());
        store.pools.restart_wal();

        // The restart made the next commit write from the start of the WAL.
        claim_envelope(&store, "env_next", "shop_a", "cs_1", 1_000, 2_000)
            .await
            .unwrap();
        let after = wal_checkpoint(&checkpointer, "PASSIVE").unwrap();
        assert!(
            after < 10,
            "WAL after the restart: {after} pages, before: {grown}"
        );
    }

    #[tokio::test]
    async fn wal_restart_commits_queued_writes() {
        let (_dir, path, store) = temp_store_with_path();

        // A write queued while the restart held the writer connection: its caller found the
        // connection busy and returned, so the restart must commit it.
        let (reply, result) = oneshot::channel();
        lock(&store.pools.queue).push(Box::new(Pending {
            work: Some(|conn: &Connection| insert_shop_row(conn, "shop_queued")),
            result: None,
            reply,
        }));
        store.pools.restart_wal();

        let committed = tokio::time::timeout(Duration::from_secs(5), result).await;
        committed
            .expect("the queued write was left uncommitted")
            .unwrap()
            .unwrap();
        assert!(shop_exists(&path, "shop_queued"));
        assert!(lock(&store.pools.queue).is_empty());
    }

    static WRITER_BUSY_CALLS: AtomicUsize = AtomicUsize::new(0);

    fn count_busy_call(_attempt: i32) -> bool {
        WRITER_BUSY_CALLS.fetch_add(1, Ordering::Relaxed);
        false
    }

    #[tokio::test]
    async fn wal_restart_waits_briefly_for_readers() {
        let (_dir, path, store) = temp_store_with_path();
        claim_envelope(&store, "env_1", "shop_a", "cs_1", 1_000, 2_000)
            .await
            .unwrap();

        // A read transaction in another process keeps the WAL from starting over. Waiting for it
        // through the writer's usual busy handler would hold every write for the busy timeout,
        // so the test handler counts such waits and ends each at once.
        let other = Connection::open(&path).unwrap();
        other.execute_batch("BEGIN").unwrap();
        let claimed: i64 = other
            .query_row("SELECT count(*) FROM used_envelopes", [], |row| row.get(0))
            .unwrap();
        assert_eq!(claimed, 1);
        store
            .pools
            .writer
            .lock()
            .unwrap()
            .busy_handler(Some(count_busy_call))
            .unwrap();

        store.pools.restart_wal();
        claim_envelope(&store, "env_2", "shop_a", "cs_1", 1_000, 2_000)
            .await
            .unwrap();
        assert_eq!(
            WRITER_BUSY_CALLS.load(Ordering::Relaxed),
            0,
            "the restart waited through the writer's usual busy handler"
        );

        let writer_timeout: i64 = store
            .pools
            .writer
            .lock()
            .unwrap()
            .query_row("PRAGMA busy_timeout", [], |row| row.get(0))
            .unwrap();
        assert_eq!(
            u128::try_from(writer_timeout).unwrap(),
            BUSY_TIMEOUT.as_millis()
        );
        other.execute_batch("COMMIT").unwrap();
    }

    fn shop_exists(path: &Path, id: &str) -> bool {
        let conn = Connection::open(path).unwrap();
        conn.query_row("SELECT count(*) FROM shops WHERE id = ?1", [id], |row| {
            row.get::<_, i64>(0)
        })
        .unwrap()
            == 1
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn write_rolled_back_by_sqlite_fails_its_batch() {
        let (_dir, path, store) = temp_store_with_path();
        store
            .write(|conn| Ok(conn.execute_batch("CREATE TABLE filler (data BLOB)")?))
            .await
            .unwrap();

        // SQLITE_FULL in a statement without a statement journal makes SQLite roll back the
        // whole transaction, not only the statement (as do SQLITE_IOERR and SQLITE_NOMEM).
        let fill_up: TestWrite = Box::new(|conn| {
            let pages: i64 = conn.query_row("PRAGMA page_count", [], |row| row.get(0))?;
            conn.pragma_update(None, "max_page_count", pages)?;
            let inserted = conn.execute("INSERT INTO filler VALUES (zeroblob(1000000))", []);
            conn.pragma_update(None, "max_page_count", 1_073_741_823)?;
            inserted?;
            Ok(())
        });
        let results = run_in_one_batch(
            &store,
            vec![
                Box::new(|conn| insert_shop_row(conn, "shop_before")),
                fill_up,
                Box::new(|conn| insert_shop_row(conn, "shop_after")),
            ],
        )
        .await;

        assert!(
            matches!(
                &results[1],
                Err(StoreError::Database(rusqlite::Error::SqliteFailure(error, _)))
                    if error.code == rusqlite::ErrorCode::DiskFull
            ),
            "the failed write reports its own error: {results:?}"
        );
        assert_eq!(
            results[0].is_ok(),
            shop_exists(&path, "shop_before"),
            "{results:?}"
        );
        assert_eq!(
            results[2].is_ok(),
            shop_exists(&path, "shop_after"),
            "{results:?}"
        );
        assert!(store.pools.writer.lock().unwrap().is_autocommit());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_claims_of_one_envelope_id_succeed_once() {
        let (_dir, store) = temp_store();
        let mut tasks = Vec::new();
        for index in 0..64 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let id = format!("env_{}", index % 16);
                (
                    id.clone(),
                    claim_envelope(&store, &id, "shop_a", "cs_1", 1_000, 2_000).await,
                )
            }));
        }
        let mut claimed = std::collections::HashMap::<String, usize>::new();
        for task in tasks {
            let (id, result) = task.await.unwrap();
            if result.unwrap() {
                *claimed.entry(id).or_default() += 1;
            }
        }
        assert_eq!(claimed.len(), 16);
        assert!(claimed.values().all(|&count| count == 1), "{claimed:?}");
    }

    #[tokio::test]
    async fn session_lock_is_exclusive() {
        let (_dir, store) = temp_store();
        store
            .insert_shop(&shop("shop_a"), &key("k1", "shop_a", 1_000))
            .await
            .unwrap();
        store.insert_session(&session("cs_a")).await.unwrap();

        assert_eq!(
            lock_session(&store, "cs_a").await.unwrap(),
            SessionLock::Acquired
        );
        assert_eq!(
            lock_session(&store, "cs_a").await.unwrap(),
            SessionLock::Unavailable(SessionState::Processing)
        );
        store.unlock_session("cs_a").await.unwrap();
        assert_eq!(
            lock_session(&store, "cs_a").await.unwrap(),
            SessionLock::Acquired
        );
        assert_eq!(
            lock_session(&store, "cs_missing").await.unwrap(),
            SessionLock::NotFound
        );
    }

    #[tokio::test]
    async fn envelope_id_is_claimed_once() {
        let (_dir, store) = temp_store();
        assert!(
            claim_envelope(&store, "e1", "shop_a", "cs_a", 10, 100)
                .await
                .unwrap()
        );
        assert!(
            !claim_envelope(&store, "e1", "shop_a", "cs_a", 11, 100)
                .await
                .unwrap()
        );
        assert_eq!(store.purge_envelope_ids(101).await.unwrap(), 1);
        assert!(
            claim_envelope(&store, "e1", "shop_a", "cs_a", 102, 200)
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn idempotency_states() {
        let (_dir, store) = temp_store();
        let fp = [1u8; 32];
        let other = [2u8; 32];
        let begin = |fp: [u8; 32], now: i64| {
            let store = store.clone();
            async move {
                store
                    .begin_idempotent("shop_a", "key-1", &fp, now, now - 60)
                    .await
                    .unwrap()
            }
        };

        assert_eq!(begin(fp, 100).await, IdempotencyBegin::Started);
        assert_eq!(
            begin(fp, 101).await,
            IdempotencyBegin::Earlier(EarlierRequest::InProgress)
        );
        assert_eq!(
            begin(other, 101).await,
            IdempotencyBegin::Earlier(EarlierRequest::Mismatch)
        );
        assert_eq!(
            begin(fp, 200).await,
            IdempotencyBegin::Started,
            "stale start is taken over"
        );

        store
            .complete_idempotent("shop_a", "key-1", 201, "{}")
            .await
            .unwrap();
        assert_eq!(
            begin(fp, 201).await,
            IdempotencyBegin::Earlier(EarlierRequest::Completed {
                status: 201,
                body: "{}".into()
            })
        );
    }

    fn payment_claim(key: &str, envelope_id: &str, session_id: &str) -> PaymentClaim {
        PaymentClaim {
            shop_id: "shop_a".into(),
            idempotency_key: key.into(),
            request_fingerprint: [3; 32],
            stale_before: 1_000,
            envelope_id: envelope_id.into(),
            forget_envelope_after: 2_000,
            session_id: session_id.into(),
            now: 1_500,
        }
    }

    /// Opens a store with shop `shop_a` and an open session for each of `session_ids`.
    async fn store_with_sessions(
        session_ids: &[&str],
    ) -> (tempfile::TempDir, std::path::PathBuf, SqliteStore) {
        let (dir, path, store) = temp_store_with_path();
        store
            .insert_shop(&shop("shop_a"), &key("k1", "shop_a", 1_000))
            .await
            .unwrap();
        for id in session_ids {
            store.insert_session(&session(id)).await.unwrap();
        }
        (dir, path, store)
    }

    fn count_rows(path: &Path, table: &str) -> i64 {
        let conn = Connection::open(path).unwrap();
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
            row.get(0)
        })
        .unwrap()
    }

    #[tokio::test]
    async fn claim_stops_at_first_failure() {
        let (_dir, path, store) = store_with_sessions(&["cs_a", "cs_b"]).await;

        let first = payment_claim("key-1", "env_1", "cs_a");
        assert_eq!(
            store.claim_payment(&first).await.unwrap(),
            ClaimOutcome::Claimed
        );
        let state = store.get_session("cs_a").await.unwrap().unwrap().state;
        assert_eq!(state, SessionState::Processing);

        // The same key: the earlier request decides, and nothing else is claimed.
        let retry = payment_claim("key-1", "env_2", "cs_b");
        assert_eq!(
            store.claim_payment(&retry).await.unwrap(),
            ClaimOutcome::Earlier(EarlierRequest::InProgress)
        );
        assert!(
            claim_envelope(&store, "env_2", "shop_a", "cs_b", 1_500, 2_000)
                .await
                .unwrap()
        );
        let state = store.get_session("cs_b").await.unwrap().unwrap().state;
        assert_eq!(state, SessionState::Open);

        // A used envelope id: the new key stays taken, the session stays as it was.
        let replay = payment_claim("key-2", "env_1", "cs_b");
        assert_eq!(
            store.claim_payment(&replay).await.unwrap(),
            ClaimOutcome::Replayed
        );
        assert_eq!(
            store
                .begin_idempotent("shop_a", "key-2", &[3; 32], 1_500, 1_000)
                .await
                .unwrap(),
            IdempotencyBegin::Earlier(EarlierRequest::InProgress)
        );
        let state = store.get_session("cs_b").await.unwrap().unwrap().state;
        assert_eq!(state, SessionState::Open);

        // A session already processing: the key stays taken, the envelope id is not recorded.
        let busy = payment_claim("key-3", "env_3", "cs_a");
        assert_eq!(
            store.claim_payment(&busy).await.unwrap(),
            ClaimOutcome::SessionNotLocked(SessionLock::Unavailable(SessionState::Processing))
        );
        assert!(
            claim_envelope(&store, "env_3", "shop_a", "cs_a", 1_500, 2_000)
                .await
                .unwrap()
        );
        assert_eq!(count_rows(&path, "idempotency_keys"), 3);
    }

    #[tokio::test]
    async fn recorded_payment_completes_its_claim() {
        let (_dir, path, store) = store_with_sessions(&["cs_a"]).await;
        let claim = payment_claim("key-1", "env_1", "cs_a");
        assert_eq!(
            store.claim_payment(&claim).await.unwrap(),
            ClaimOutcome::Claimed
        );

        let payment = Payment {
            id: "pay_1".into(),
            shop_id: "shop_a".into(),
            session_id: "cs_a".into(),
            amount: 1200,
            currency: "JPY".into(),
            order_reference: "A-1".into(),
            status: PaymentStatus::Approved,
            decline_code: None,
            brand: "visa".into(),
            last4: "1111".into(),
            exp_month: 12,
            exp_year: 2030,
            card_fingerprint: [9; 32],
            kid: "kid-1".into(),
            envelope_id: "env_1".into(),
            created_at: 1_600,
        };
        let attempt = OpenAttempt {
            at: 1_600,
            request_id: "req_1".into(),
            shop_id: "shop_a".into(),
            session_id: "cs_a".into(),
            kid: Some("kid-1".into()),
            outcome: "accepted".into(),
        };
        let completion = IdempotentCompletion {
            shop_id: "shop_a".into(),
            key: "key-1".into(),
            status: 201,
            body: "{\"id\":\"pay_1\"}".into(),
        };
        let repeats = store
            .record_payment(&payment, &attempt, Some(&completion), 0)
            .await
            .unwrap();
        assert_eq!(repeats, 0);

        assert_eq!(store.get_payment("pay_1").await.unwrap(), Some(payment));
        let state = store.get_session("cs_a").await.unwrap().unwrap().state;
        assert_eq!(state, SessionState::Used);
        assert_eq!(count_rows(&path, "open_attempts"), 1);
        assert_eq!(
            store.claim_payment(&claim).await.unwrap(),
            ClaimOutcome::Earlier(EarlierRequest::Completed {
                status: 201,
                body: completion.body.clone()
            })
        );
    }

    #[tokio::test]
    async fn recover_reopens_processing_sessions() {
        let (_dir, store) = temp_store();
        store
            .insert_shop(&shop("shop_a"), &key("k1", "shop_a", 1_000))
            .await
            .unwrap();
        store.insert_session(&session("cs_a")).await.unwrap();
        lock_session(&store, "cs_a").await.unwrap();
        store
            .begin_idempotent("shop_a", "k", &[0; 32], 1, 0)
            .await
            .unwrap();

        let recovery = store.recover().await.unwrap();
        assert_eq!(recovery.sessions_reopened, 1);
        assert_eq!(recovery.idempotency_keys_released, 1);
        let state = store.get_session("cs_a").await.unwrap().unwrap().state;
        assert_eq!(state, SessionState::Open);
    }
}
