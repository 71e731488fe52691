//! `serve`: start-up, the connection loop, background tasks and graceful shutdown.

use std::fs::DirBuilder;
use std::os::unix::fs::DirBuilderExt as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::signal::unix::{SignalKind, signal};
use tower::ServiceExt as _;

use crate::acquirer::SimulatedAcquirer;
use crate::config::ServeConfig;
use crate::fingerprint::FingerprintKey;
use crate::http::ratelimit::RateLimiter;
use crate::http::refusals::RefusalLog;
use crate::http::{AppState, ClientIp, KeyRingCell, router};
use crate::ids::now_unix;
use crate::keystore::KeyStore;
use crate::metrics::Metrics;
use crate::opener::Opener;
use crate::store::{SqliteStore, Store};

/// hyper's own limit on request header fields (its default). Requests between the configured
/// limit and this one get a 431 problem document. Beyond it, hyper responds 431 with no body.
const HYPER_DEFAULT_MAX_HEADERS: usize = 100;
/// Limit on the size of a request head (request line and header fields), enforced by hyper with
/// a bare 431. hyper checks it between reads, so a head somewhat over the limit can still pass;
/// one several times larger cannot. Without it, hyper's read buffer limit of about 400 KB applies.
const MAX_HEAD_BYTES: usize = 32 * 1024;
/// How often expired envelope ids and idempotency records are deleted.
const PURGE_INTERVAL: Duration = Duration::from_secs(600);
/// How long a completed idempotent response is kept.
const IDEMPOTENCY_RETENTION_SECS: i64 = 86_400;
/// Pause after a failed `accept` (such as too many open files) before trying again.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);
/// Mode of a data directory created by the service.
const DATA_DIR_MODE: u32 = 0o700;

/// Start-up failures, reported on standard error before exiting.
#[derive(Debug)]
#[non_exhaustive]
pub enum ServeError {
    DataDir(std::io::Error),
    Store(crate::store::StoreError),
    Keys(crate::keystore::KeyStoreError),
    NoKeys,
    FingerprintKey(std::io::Error),
    Bind(std::io::Error),
    Signals(std::io::Error),
    Threads(std::io::Error),
}

impl std::fmt::Display for ServeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServeError::DataDir(e) => write!(f, "cannot create the data directory: {e}"),
            ServeError::Store(e) => write!(f, "cannot open the database: {e}"),
            ServeError::Keys(e) => write!(f, "cannot load keys: {e}"),
            ServeError::NoKeys => f.write_str(
                "the key store is empty and --no-dev-key is set; run `cardseal-server keys generate`",
            ),
            ServeError::FingerprintKey(e) => {
                write!(f, "cannot load the card fingerprint key: {e}")
            }
            ServeError::Bind(e) => write!(f, "cannot listen: {e}"),
            ServeError::Signals(e) => write!(f, "cannot install signal handlers: {e}"),
            ServeError::Threads(e) => write!(f, "cannot start the envelope opening threads: {e}"),
        }
    }
}

impl std::error::Error for ServeError {}

/// Creates the data directory (mode 0700) when missing.
pub fn ensure_data_dir(path: &std::path::Path) -> std::io::Result<()> {
    if path.is_dir() {
        return Ok(());
    }
    DirBuilder::new()
        .recursive(true)
        .mode(DATA_DIR_MODE)
        .create(path)
}

/// Generates a development key when the store has no key at all.
fn ensure_key(key_store: &KeyStore, config: &ServeConfig) -> Result<(), ServeError> {
    if !key_store.list().map_err(ServeError::Keys)?.is_empty() {
        return Ok(());
    }
    if config.no_dev_key {
        return Err(ServeError::NoKeys);
    }

    let started = Instant::now();
    let key = key_store
        .generate(config.dev_key_bits)
        .map_err(ServeError::Keys)?;
    tracing::warn!(
        kid = %key.kid,
        bits = key.bits,
        elapsed_ms = started.elapsed().as_millis() as u64,
        dir = %key_store.dir().display(),
        "generated a development key because the key store was empty; use `keys generate` and --no-dev-key in production"
    );
    Ok(())
}

/// Reloads the key ring from disk, keeping the current one when loading fails.
pub fn reload_keys(state: &AppState) {
    match state.key_store.load_ring() {
        Ok(ring) => {
            tracing::info!(active_kid = ring.active_kid().unwrap_or(""), "keys loaded");
            state.keys.replace(ring);
        }
        Err(error) => tracing::error!(%error, "reloading keys failed; keeping the previous keys"),
    }
}

/// Runs the service until SIGINT or SIGTERM.
pub async fn serve(config: ServeConfig) -> Result<(), ServeError> {
    let started = Instant::now();
    ensure_data_dir(&config.data_dir).map_err(ServeError::DataDir)?;

    let store =
        SqliteStore::open(&config.database_path(), config.db_readers).map_err(ServeError::Store)?;
    store
        .start_checkpointer(&config.database_path())
        .map_err(ServeError::Store)?;
    let recovery = store.recover().await.map_err(ServeError::Store)?;
    if recovery.sessions_reopened > 0 || recovery.idempotency_keys_released > 0 {
        tracing::warn!(
            sessions_reopened = recovery.sessions_reopened,
            idempotency_keys_released = recovery.idempotency_keys_released,
            "recovered state left by an unclean stop"
        );
    }

    if let Some(assets) = config.assets.as_ref().filter(|dir| !dir.is_dir()) {
        tracing::warn!(assets = %assets.display(), "the assets directory does not exist; static files will be 404");
    }

    let key_store = KeyStore::open(&config.data_dir).map_err(ServeError::Keys)?;
    ensure_key(&key_store, &config)?;
    let ring = key_store.load_ring().map_err(ServeError::Keys)?;
    if ring.active_kid().is_none() {
        tracing::error!("no active key: /readyz fails until `keys generate` or `keys rotate` runs");
    }
    let fingerprint =
        FingerprintKey::load_or_create(&config.data_dir).map_err(ServeError::FingerprintKey)?;

    let config = Arc::new(config);
    let state = AppState {
        config: Arc::clone(&config),
        store: Arc::new(store),
        keys: Arc::new(KeyRingCell::new(ring)),
        key_store: Arc::new(key_store),
        acquirer: Arc::new(SimulatedAcquirer::new(config.simulated_slow)),
        opener: Arc::new(Opener::per_core().map_err(ServeError::Threads)?),
        metrics: Metrics::new(),
        fingerprint: Arc::new(fingerprint),
        rate_limiter: Arc::new(RateLimiter::new(config.rate_limit, config.rate_burst)),
        auth_failure_limiter: Arc::new(RateLimiter::per_minute(config.auth_failure_limit)),
        refusal_log: Arc::new(RefusalLog::new(config.refusal_log_interval)),
        ready: Arc::new(AtomicBool::new(false)),
    };

    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(ServeError::Bind)?;
    let local = listener.local_addr().map_err(ServeError::Bind)?;

    let shutdown = shutdown_signal().map_err(ServeError::Signals)?;
    let hangup = signal(SignalKind::hangup()).map_err(ServeError::Signals)?;
    tokio::spawn(watch_keys(state.clone(), hangup));
    tokio::spawn(purge_periodically(state.clone()));

    state.ready.store(true, Ordering::Release);
    tracing::info!(
        listen = %local,
        data_dir = %config.data_dir.display(),
        assets = config.assets.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
        acquirer = state.acquirer.name(),
        active_kid = state.keys.current().active_kid().unwrap_or(""),
        startup_ms = started.elapsed().as_millis() as u64,
        "listening"
    );

    accept_loop(listener, state, shutdown).await;
    Ok(())
}

async fn accept_loop(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let config = Arc::clone(&state.config);
    let app = router(state.clone());
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(config.header_read_timeout)
        .max_header_size(MAX_HEAD_BYTES)
        .keep_alive(true);
    if config.max_headers >= HYPER_DEFAULT_MAX_HEADERS {
        builder.max_headers(config.max_headers + 1);
    }

    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(connection) => connection,
                    Err(error) => {
                        tracing::error!(%error, "accepting a connection failed");
                        tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let client_ip = ClientIp(peer.ip());
                let service = TowerToHyperService::new(app.clone().map_request(
                    move |mut request: axum::http::Request<hyper::body::Incoming>| {
                        request.extensions_mut().insert(client_ip);
                        request
                    },
                ));
                let connection = builder.serve_connection(TokioIo::new(stream), service.clone());
                let connection = graceful.watch(connection);
                tokio::spawn(async move {
                    if let Err(error) = connection.await {
                        tracing::debug!(%error, "connection ended with an error");
                    }
                });
            }
            () = &mut shutdown => break,
        }
    }

    state.ready.store(false, Ordering::Release);
    drop(listener);
    tracing::info!(
        grace_secs = config.shutdown_grace.as_secs(),
        "shutting down; finishing open requests"
    );
    match tokio::time::timeout(config.shutdown_grace, graceful.shutdown()).await {
        Ok(()) => tracing::info!("all connections closed"),
        Err(_) => tracing::warn!("shutdown grace period ended with connections still open"),
    }
}

/// Installs the SIGINT and SIGTERM handlers at once (so a signal sent right after the `listening`
/// log line is not lost) and returns a future that completes on the first of them.
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => tracing::info!("received SIGINT"),
            _ = terminate.recv() => tracing::info!("received SIGTERM"),
        }
    })
}

/// Reloads keys when the key directory changes, when a grace period ends, or on SIGHUP.
async fn watch_keys(state: AppState, mut hangup: tokio::signal::unix::Signal) {
    let mut last_snapshot = state.key_store.snapshot().ok();
    let mut interval = tokio::time::interval(state.config.key_reload_interval);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);

    loop {
        let forced = tokio::select! {
            _ = interval.tick() => false,
            Some(()) = hangup.recv() => true,
        };

        let snapshot = state.key_store.snapshot();
        let changed = match (&snapshot, &last_snapshot) {
            (Ok(now), Some(before)) => now != before,
            (Ok(_), None) => true,
            (Err(error), _) => {
                tracing::error!(%error, "reading the key directory failed");
                false
            }
        };
        if forced || changed || state.keys.current().is_outdated(now_unix()) {
            if forced {
                tracing::info!("received SIGHUP; reloading keys");
            }
            let reload_state = state.clone();
            let _ = tokio::task::spawn_blocking(move || reload_keys(&reload_state)).await;
            last_snapshot = snapshot.ok();
        }
    }
}

/// Deletes envelope ids past their retention and old idempotent responses.
async fn purge_periodically(state: AppState) {
    let mut interval = tokio::time::interval(PURGE_INTERVAL);
    loop {
        interval.tick().await;
        let now = now_unix();
        match state.store.purge_envelope_ids(now).await {
            Ok(0) => {}
            Ok(count) => tracing::info!(count, "deleted expired envelope ids"),
            Err(error) => tracing::error!(%error, "deleting expired envelope ids failed"),
        }
        match state
            .store
            .purge_idempotency(now - IDEMPOTENCY_RETENTION_SECS)
            .await
        {
            Ok(0) => {}
            Ok(count) => tracing::info!(count, "deleted old idempotent responses"),
            Err(error) => tracing::error!(%error, "deleting old idempotent responses failed"),
        }
    }
}
