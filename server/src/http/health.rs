//! `/healthz` (the process runs), `/readyz` (it can serve payments) and `/metrics`.

use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AppState;
use super::problem::{Problem, ProblemKind};
use crate::metrics;

pub async fn healthz() -> Response {
    Json(json!({"status": "ok"})).into_response()
}

/// Ready when start-up has finished, shutdown has not begun, the database responds and a key is
/// active.
pub async fn readyz(State(state): State<AppState>) -> Result<Response, Problem> {
    if !state.ready.load(Ordering::Acquire) {
        return Err(Problem::new(ProblemKind::NotReady).detail("starting or shutting down"));
    }
    if let Err(error) = state.store.ping().await {
        tracing::error!(%error, "readiness check: database failed");
        return Err(Problem::new(ProblemKind::NotReady).detail("database unavailable"));
    }
    if state.keys.current().active_kid().is_none() {
        return Err(Problem::new(ProblemKind::NotReady)
            .detail("no active key; run `cardseal-server keys generate` or `keys rotate`"));
    }
    Ok(Json(json!({"status": "ready"})).into_response())
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    let mut response = state.metrics.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(metrics::CONTENT_TYPE),
    );
    response
}
