//! The HTTP API: router, shared state and the route table the OpenAPI file is checked against.

mod assets;
mod auth;
pub mod body;
mod health;
mod jwks;
mod middleware;
mod payments;
pub mod problem;
pub mod ratelimit;
pub mod refusals;
mod sessions;

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, PoisonError, RwLock};

use axum::Router;
use axum::routing::{MethodRouter, get, post};

use crate::acquirer::Acquirer;
use crate::config::ServeConfig;
use crate::fingerprint::FingerprintKey;
use crate::keystore::{KeyRing, KeyStore};
use crate::metrics::Metrics;
use crate::opener::Opener;
use crate::store::Store;
use problem::{Problem, ProblemKind};
use ratelimit::RateLimiter;
use refusals::RefusalLog;

/// Every API route as (method, path template). `openapi.json` must list exactly these.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/.well-known/jwks.json"),
    ("POST", "/v1/checkout-sessions"),
    ("GET", "/v1/checkout-sessions/{id}"),
    ("GET", "/v1/checkout-sessions/{id}/frame"),
    ("POST", "/v1/payments"),
    ("GET", "/v1/payments/{id}"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
];

/// IP address of the TCP peer of the connection a request came on, added by the accept loop.
///
/// NOTE: behind a reverse proxy this is the proxy's address, so all clients share one limit.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub std::net::IpAddr);

/// The current key ring, replaced as a whole when the key directory changes.
#[derive(Debug)]
pub struct KeyRingCell(RwLock<Arc<KeyRing>>);

impl KeyRingCell {
    pub fn new(ring: KeyRing) -> Self {
        KeyRingCell(RwLock::new(Arc::new(ring)))
    }

    pub fn current(&self) -> Arc<KeyRing> {
        Arc::clone(&self.0.read().unwrap_or_else(PoisonError::into_inner))
    }

    pub fn replace(&self, ring: KeyRing) {
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(ring);
    }
}

/// State shared by all handlers.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<ServeConfig>,
    pub store: Arc<dyn Store>,
    pub keys: Arc<KeyRingCell>,
    pub key_store: Arc<KeyStore>,
    pub acquirer: Arc<dyn Acquirer>,
    pub opener: Arc<Opener>,
    pub metrics: Arc<Metrics>,
    pub fingerprint: Arc<FingerprintKey>,
    pub rate_limiter: Arc<RateLimiter>,
    /// Failed authentications per client IP address.
    pub auth_failure_limiter: Arc<RateLimiter>,
    pub refusal_log: Arc<RefusalLog>,
    /// False until start-up finished and again once shutdown began; read by `/readyz`.
    pub ready: Arc<AtomicBool>,
}

/// Returns the handler of one entry of [`ROUTES`].
///
/// # Panics
/// Panics on a (method, path) pair without a handler, which the router tests catch.
fn handler(method: &str, path: &str) -> MethodRouter<AppState> {
    match (method, path) {
        ("GET", "/.well-known/jwks.json") => get(jwks::get_jwks),
        ("POST", "/v1/checkout-sessions") => post(sessions::create),
        ("GET", "/v1/checkout-sessions/{id}") => get(sessions::get_for_shop),
        ("GET", "/v1/checkout-sessions/{id}/frame") => get(sessions::get_for_frame),
        ("POST", "/v1/payments") => post(payments::create),
        ("GET", "/v1/payments/{id}") => get(payments::get),
        ("GET", "/healthz") => get(health::healthz),
        ("GET", "/readyz") => get(health::readyz),
        ("GET", "/metrics") => get(health::metrics),
        _ => panic!("no handler for {method} {path}"),
    }
}

/// Builds the router with all routes, limits, logging and metrics. The routes are exactly
/// [`ROUTES`], so the OpenAPI test covers every one.
pub fn router(state: AppState) -> Router {
    let api = ROUTES
        .iter()
        .fold(Router::new(), |router, (method, path)| {
            router.route(path, handler(method, path))
        })
        .method_not_allowed_fallback(method_not_allowed);

    let app = match &state.config.assets {
        Some(dir) => api.fallback_service(assets::service(dir, state.clone())),
        None => api.fallback(not_found),
    };

    app.layer(axum::middleware::from_fn_with_state(
        state.clone(),
        middleware::observe,
    ))
    .with_state(state)
}

async fn not_found() -> Problem {
    Problem::new(ProblemKind::NotFound)
}

async fn method_not_allowed() -> Problem {
    Problem::new(ProblemKind::MethodNotAllowed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_has_a_handler() {
        for (method, path) in ROUTES {
            let _ = handler(method, path);
        }
    }

    #[test]
    fn routes_are_unique() {
        let mut paths: Vec<&str> = ROUTES.iter().map(|(_, path)| *path).collect();
        paths.sort_unstable();
        paths.dedup();
        assert_eq!(
            paths.len(),
            ROUTES.len(),
            "one method per path; merge handlers otherwise"
        );
    }
}
