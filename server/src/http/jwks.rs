//! `GET /.well-known/jwks.json`: the public keys browsers may seal to.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::ids::{base64url, now_unix};

/// Media type of a JWK Set (RFC 7517 section 8.5.1).
const JWKS_CONTENT_TYPE: &str = "application/jwk-set+json";

/// Returns the active key first, then keys in their grace period, with cache headers, an ETag and
/// CORS open to any origin (the key set is public).
pub async fn get_jwks(State(state): State<AppState>, request_headers: HeaderMap) -> Response {
    let mut ring = state.keys.current();
    if ring.is_outdated(now_unix()) {
        // A grace period ended since the last reload: rebuild the key set before publishing it.
        let reload_state = state.clone();
        let _ =
            tokio::task::spawn_blocking(move || crate::server::reload_keys(&reload_state)).await;
        ring = state.keys.current();
    }
    let jwks = ring.jwks().to_owned();

    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, jwks.as_bytes());
    let etag = format!("\"{}\"", base64url(&digest.as_ref()[..16]));
    let not_modified = request_headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag));

    let mut response = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        jwks.into_response()
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(JWKS_CONTENT_TYPE),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!(
        "public, max-age={}",
        state.config.jwks_max_age_secs
    )) {
        headers.insert(header::CACHE_CONTROL, value);
    }
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    response
}
