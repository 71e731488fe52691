//! Per-request work around every handler: request id, tracing span, header count limit, problem
//! bodies with the request id, security headers, metrics and one log line per request.
//!
//! The log line names the route template, never the raw path or query, and no body is logged.

use std::time::Instant;

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument as _;

use super::AppState;
use super::problem::{Problem, ProblemKind};
use crate::ids::random_id;

/// Response header carrying the request id.
pub static REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the current request, available to handlers as an extension.
///
/// The service always makes its own id. A client-supplied `X-Request-Id` is not reused, because
/// it would reach the logs unchecked and a confused client could put anything in it, card digits
/// included.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Wraps every request; see the module docs.
pub async fn observe(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let request_id = random_id("req_");
    let method = request.method().as_str().to_owned();
    let route = match request.extensions().get::<MatchedPath>() {
        Some(path) => path.as_str().to_owned(),
        None if state.config.assets.is_some() => String::from("static"),
        None => String::from("unmatched"),
    };
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %method,
        route = %route,
        shop_id = tracing::field::Empty,
    );

    let header_count = request.headers().len();
    let mut response = if header_count > state.config.max_headers {
        Problem::new(ProblemKind::TooManyHeaders)
            .detail(format!(
                "send at most {} header fields",
                state.config.max_headers
            ))
            .into_response()
    } else {
        request
            .extensions_mut()
            .insert(RequestId(request_id.clone()));
        next.run(request).instrument(span.clone()).await
    };

    fill_request_id(&mut response, &request_id);
    add_common_headers(&mut response, &request_id);

    let status = response.status().as_u16();
    let seconds = started.elapsed().as_secs_f64();
    state
        .metrics
        .observe_request(&method, &route, status, seconds);
    let problem = response
        .extensions()
        .get::<Problem>()
        .map(|p| p.kind.code());
    // A 429 is logged by the refusal log, at most once per interval per shop or client address.
    let refused = problem == Some(ProblemKind::RateLimited.code());
    span.in_scope(|| {
        if refused {
            tracing::debug!(status, problem = problem.unwrap_or(""), "request finished");
        } else {
            tracing::info!(
                status,
                latency_ms = seconds * 1000.0,
                problem = problem.unwrap_or(""),
                "request finished"
            );
        }
    });
    response
}

/// Re-renders a problem body so it carries the request id.
fn fill_request_id(response: &mut Response, request_id: &str) {
    let Some(problem) = response.extensions().get::<Problem>().cloned() else {
        return;
    };
    *response.body_mut() = Body::from(problem.to_json(Some(request_id)));
    response.headers_mut().remove(header::CONTENT_LENGTH);
}

fn add_common_headers(response: &mut Response, request_id: &str) {
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert(REQUEST_ID_HEADER.clone(), value);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers
        .entry(header::REFERRER_POLICY)
        .or_insert(HeaderValue::from_static("no-referrer"));
}
