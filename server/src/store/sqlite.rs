//! The embedded SQLite store.
//!
//! rusqlite with the `bundled` feature is used rather than sqlx, because SQLite runs in-process and
//! synchronously anyway (sqlx also drives it from a worker thread). Bundling builds one known
//! SQLite version on every machine, and no database is needed at compile time. One connection
//! writes, so the service's own writes never contend for SQLite's write lock; a few more
//! connections read in parallel under WAL.
//!
//! Writes and the point reads of the request path run on the calling thread. Each is a short
//! statement in WAL mode without fsync (synchronous=NORMAL), tens of microseconds, which is less
//! than handing it to tokio's blocking pool costs in thread switches. Listing queries still run on
//! the blocking pool.
//!
//! NOTE: a write blocks its async worker thread for up to the busy timeout (5 s) while another
//! process, such as the `shops` command, holds SQLite's write lock. Those commands hold it for
//! one short transaction.

use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::{Connection, OpenFlags, OptionalExtension as _, Row, params};

use super::{
    ApiKeyRecord, IdempotencyBegin, IdempotentCompletion, OpenAttempt, Payment, PaymentStatus,
    Recovery, Session, SessionLock, SessionState, Shop, Store, StoreError, migrations,
};

/// How long a connection waits for a lock held by another process (such as the command line)
/// before it reports SQLITE_BUSY.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// WAL size in pages at which a committing connection checkpoints by itself. The background
/// checkpointer normally runs long before that, so requests do not wait for a checkpoint's fsync.
const WAL_AUTOCHECKPOINT_PAGES: i64 = 10_000;
/// Interval of the background checkpointer.
const CHECKPOINT_INTERVAL: Duration = Duration::from_secs(1);
/// Prepared statements kept per connection; more than this module has, so none is parsed twice.
const STATEMENT_CACHE_CAPACITY: usize = 64;
/// File mode of a newly created database. It contains API key hashes, so only the owner may read it.
const DB_FILE_MODE: u32 = 0o600;

struct Pools {
    writer: Mutex<Connection>,
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
        migrations::apply(&mut writer)?;

        let readers = (0..readers.max(1))
            .map(|_| open_connection(path).map(Mutex::new))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SqliteStore {
            pools: Arc::new(Pools {
                writer: Mutex::new(writer),
                readers,
                next_reader: AtomicUsize::new(0),
            }),
        })
    }

    /// Starts a thread that checkpoints the WAL every second on its own connection, so that the
    /// fsync of a checkpoint happens off the request path. The thread ends once the store is
    /// dropped.
    pub fn start_checkpointer(&self, path: &Path) -> Result<(), StoreError> {
        let conn = open_connection(path)?;
        let pools = Arc::downgrade(&self.pools);
        std::thread::Builder::new()
            .name(String::from("sqlite-checkpoint"))
            .spawn(move || {
                loop {
                    std::thread::sleep(CHECKPOINT_INTERVAL);
                    if pools.upgrade().is_none() {
                        return;
                    }
                    // PASSIVE copies what it can without waiting for readers or blocking writers.
                    let result = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                    if let Err(error) = result {
                        tracing::warn!(%error, "WAL checkpoint failed; retrying in a second");
                    }
                }
            })
            .map_err(StoreError::Io)?;
        Ok(())
    }

    /// Runs a write on the writer connection, on the calling thread (see the module docs).
    async fn write<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let mut conn = self
            .pools
            .writer
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        work(&mut conn)
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

/// Begins a write transaction that takes SQLite's write lock at once (BEGIN IMMEDIATE), waiting
/// up to the busy timeout for it. A deferred transaction that reads first and upgrades to a write
/// later can fail with SQLITE_BUSY without calling the busy handler. A payment failed that way
/// once under load, with the background checkpointer running.
fn immediate(conn: &mut Connection) -> rusqlite::Result<rusqlite::Transaction<'_>> {
    conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
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
            let tx = immediate(conn)?;
            execute_cached(&tx,
                "INSERT INTO shops (id, name, origin, created_at, disabled_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![shop.id, shop.name, shop.origin, shop.created_at, shop.disabled_at],
            )?;
            execute_cached(&tx,
                "INSERT INTO api_keys (key_id, shop_id, hash, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![key.key_id, key.shop_id, key.hash.as_slice(), key.created_at, key.expires_at],
            )?;
            tx.commit()?;
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
            let tx = immediate(conn)?;
            let newest: Option<String> = query_row_cached(&tx,
                    "SELECT key_id FROM api_keys WHERE shop_id = ?1 AND expires_at > ?2
                     ORDER BY created_at DESC, key_id DESC LIMIT 1",
                    params![key.shop_id, now],
                    |row| row.get(0),
                )
                .optional()?;

            // Keys older than the newest one end now; the newest one overlaps with the new key.
            execute_cached(&tx,
                "UPDATE api_keys SET expires_at = MIN(expires_at, ?3)
                 WHERE shop_id = ?1 AND key_id IS NOT ?2",
                params![key.shop_id, newest, now],
            )?;
            if let Some(newest) = &newest {
                execute_cached(&tx,
                    "UPDATE api_keys SET expires_at = MIN(expires_at, ?2) WHERE key_id = ?1",
                    params![newest, previous_expires_by],
                )?;
            }

            execute_cached(&tx,
                "INSERT INTO api_keys (key_id, shop_id, hash, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![key.key_id, key.shop_id, key.hash.as_slice(), key.created_at, key.expires_at],
            )?;
            tx.commit()?;
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

    async fn lock_session(&self, session_id: &str) -> Result<SessionLock, StoreError> {
        let session_id = session_id.to_owned();
        self.write(move |conn| lock_session_in(conn, &session_id))
            .await
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

    async fn claim_envelope_id(
        &self,
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
        self.write(move |conn| {
            let result = execute_cached(conn,
                "INSERT INTO used_envelopes (envelope_id, shop_id, session_id, used_at, forget_after)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![envelope_id, shop_id, session_id, now, forget_after],
            );
            match result {
                Ok(_) => Ok(true),
                Err(e) if is_unique_violation(&e) => Ok(false),
                Err(e) => Err(e.into()),
            }
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
            let tx = immediate(conn)?;
            let existing = query_row_cached(
                &tx,
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

            let outcome = match existing {
                None => {
                    execute_cached(&tx,
                        "INSERT INTO idempotency_keys (shop_id, key, fingerprint, state, created_at)
                         VALUES (?1, ?2, ?3, 'started', ?4)",
                        params![shop_id, key, fingerprint.as_slice(), now],
                    )?;
                    IdempotencyBegin::Started
                }
                Some((stored, _, _, _, _)) if stored != fingerprint => IdempotencyBegin::Mismatch,
                Some((_, state, Some(status), Some(body), _)) if state == "completed" => {
                    IdempotencyBegin::Completed { status, body }
                }
                Some((_, _, _, _, created_at)) if created_at < stale_before => {
                    // The earlier request died without a response, so this one takes the key over.
                    execute_cached(
                        &tx,
                        "UPDATE idempotency_keys SET state = 'started', created_at = ?3
                         WHERE shop_id = ?1 AND key = ?2",
                        params![shop_id, key, now],
                    )?;
                    IdempotencyBegin::Started
                }
                Some(_) => IdempotencyBegin::InProgress,
            };
            tx.commit()?;
            Ok(outcome)
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
        completion: Option<&IdempotentCompletion>,
        repeat_since: i64,
    ) -> Result<u64, StoreError> {
        let payment = payment.clone();
        let completion = completion.cloned();
        self.write(move |conn| {
            let tx = immediate(conn)?;
            let repeats: i64 = query_row_cached(
                &tx,
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
                &tx,
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
                &tx,
                "UPDATE checkout_sessions SET state = ?2 WHERE id = ?1",
                params![payment.session_id, next_state.as_str()],
            )?;

            if let Some(completion) = &completion {
                complete_idempotent_in(&tx, completion)?;
            }
            tx.commit()?;
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

    async fn lock_session_and_record(
        &self,
        attempt: &OpenAttempt,
    ) -> Result<SessionLock, StoreError> {
        let attempt = attempt.clone();
        self.write(move |conn| {
            let tx = immediate(conn)?;
            let lock = lock_session_in(&tx, &attempt.session_id)?;
            if lock == SessionLock::Acquired {
                insert_open_attempt(&tx, &attempt)?;
            }
            tx.commit()?;
            Ok(lock)
        })
        .await
    }

    async fn recover(&self) -> Result<Recovery, StoreError> {
        self.write(|conn| {
            let tx = immediate(conn)?;
            let sessions_reopened = execute_cached(
                &tx,
                "UPDATE checkout_sessions SET state = 'open' WHERE state = 'processing'",
                [],
            )?;
            let idempotency_keys_released = execute_cached(
                &tx,
                "DELETE FROM idempotency_keys WHERE state = 'started'",
                [],
            )?;
            tx.commit()?;
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
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(&dir.path().join("test.db"), 2).expect("open store");
        (dir, store)
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

    #[tokio::test]
    async fn session_lock_is_exclusive() {
        let (_dir, store) = temp_store();
        store
            .insert_shop(&shop("shop_a"), &key("k1", "shop_a", 1_000))
            .await
            .unwrap();
        store.insert_session(&session("cs_a")).await.unwrap();

        assert_eq!(
            store.lock_session("cs_a").await.unwrap(),
            SessionLock::Acquired
        );
        assert_eq!(
            store.lock_session("cs_a").await.unwrap(),
            SessionLock::Unavailable(SessionState::Processing)
        );
        store.unlock_session("cs_a").await.unwrap();
        assert_eq!(
            store.lock_session("cs_a").await.unwrap(),
            SessionLock::Acquired
        );
        assert_eq!(
            store.lock_session("cs_missing").await.unwrap(),
            SessionLock::NotFound
        );
    }

    #[tokio::test]
    async fn envelope_id_is_claimed_once() {
        let (_dir, store) = temp_store();
        assert!(
            store
                .claim_envelope_id("e1", "shop_a", "cs_a", 10, 100)
                .await
                .unwrap()
        );
        assert!(
            !store
                .claim_envelope_id("e1", "shop_a", "cs_a", 11, 100)
                .await
                .unwrap()
        );
        assert_eq!(store.purge_envelope_ids(101).await.unwrap(), 1);
        assert!(
            store
                .claim_envelope_id("e1", "shop_a", "cs_a", 102, 200)
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
        assert_eq!(begin(fp, 101).await, IdempotencyBegin::InProgress);
        assert_eq!(begin(other, 101).await, IdempotencyBegin::Mismatch);
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
            IdempotencyBegin::Completed {
                status: 201,
                body: "{}".into()
            }
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
        store.lock_session("cs_a").await.unwrap();
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
