//! Shop authentication by API key, the per-shop rate limit and the limit on failed
//! authentications per client IP address.
//!
//! Every failure (no header, malformed key, unknown key id, wrong secret, expired key, disabled
//! shop) gets the same 401 response, so a caller learns nothing about which shops or keys exist.
//! A client IP address past its failure limit gets 429 for every request, whatever key it sends,
//! so guessing keys stays slow. Both 429 cases are logged through the refusal log at most once per
//! interval and key.

use std::time::Instant;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::problem::{Problem, ProblemKind};
use super::{AppState, ClientIp};
use crate::apikey;
use crate::ids::now_unix;
use crate::store::Shop;

/// The shop that sent an authenticated request.
#[derive(Debug, Clone)]
pub struct AuthenticatedShop(pub Shop);

/// Rejection of an unauthenticated or rate-limited request.
pub struct AuthRejection(Problem);

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        let unauthorized = self.0.kind == ProblemKind::Unauthorized;
        let mut response = self.0.into_response();
        if unauthorized {
            // RFC 6750 section 3: tell the client which scheme to use.
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"cardseal\""),
            );
        }
        response
    }
}

fn rate_limited(wait_secs: u64) -> AuthRejection {
    AuthRejection(
        Problem::new(ProblemKind::RateLimited)
            .detail("slow down and retry after the time in the Retry-After header")
            .retry_after(wait_secs),
    )
}

/// Logs a refusal unless one with the same key was logged within the interval, and counts the
/// left-out lines in the metrics.
fn log_refusal(state: &AppState, event: &str, subject: &str, wait_secs: u64, now: Instant) {
    match state.refusal_log.record(&format!("{event}:{subject}"), now) {
        Some(suppressed) => {
            tracing::info!(event, subject, wait_secs, suppressed, "request refused")
        }
        None => state.metrics.suppressed_log_line(event),
    }
}

fn unauthorized() -> AuthRejection {
    AuthRejection(
        Problem::new(ProblemKind::Unauthorized)
            .detail("send a valid, unexpired shop API key as `Authorization: Bearer <key>`"),
    )
}

/// Takes the token from an `Authorization` value; the scheme name is case-insensitive (RFC 9110
/// section 11.1).
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|token| !token.is_empty())
}

impl FromRequestParts<AppState> for AuthenticatedShop {
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let client_ip = parts
            .extensions
            .get::<ClientIp>()
            .map(|ip| ip.0.to_string())
            .unwrap_or_default();
        let now = Instant::now();
        if let Err(wait_secs) = state.auth_failure_limiter.peek(&client_ip, now) {
            log_refusal(state, "auth_failure_limited", &client_ip, wait_secs, now);
            return Err(rate_limited(wait_secs));
        }

        match authenticate(parts, state).await {
            Err(rejection) if rejection.0.kind == ProblemKind::Unauthorized => {
                // Every failure takes a token, so the 401s per address never exceed the limit,
                // even for requests that passed the check above at the same time.
                let now = Instant::now();
                if let Err(wait_secs) = state.auth_failure_limiter.check(&client_ip, now) {
                    log_refusal(state, "auth_failure_limited", &client_ip, wait_secs, now);
                    return Err(rate_limited(wait_secs));
                }
                Err(rejection)
            }
            result => result,
        }
    }
}

/// Checks the API key and the shop's rate limit.
async fn authenticate(parts: &Parts, state: &AppState) -> Result<AuthenticatedShop, AuthRejection> {
    let token = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer_token)
        .ok_or_else(unauthorized)?;
    let presented = apikey::parse(token).ok_or_else(unauthorized)?;

    let found = state
        .store
        .find_api_key(presented.key_id)
        .await
        .map_err(|error| {
            tracing::error!(%error, "api key lookup failed");
            AuthRejection(Problem::new(ProblemKind::Internal))
        })?;
    let Some((key, shop)) = found else {
        apikey::dummy_compare(&presented);
        return Err(unauthorized());
    };

    // Check the secret first so the timing does not tell an expired key from a wrong one.
    let secret_matches = presented.matches(&key.hash);
    let now = now_unix();
    if !secret_matches || key.expires_at <= now || shop.disabled_at.is_some() {
        if secret_matches {
            tracing::info!(shop_id = %shop.id, key_id = %key.key_id, "rejected expired key or disabled shop");
        }
        return Err(unauthorized());
    }

    let now = Instant::now();
    if let Err(wait_secs) = state.rate_limiter.check(&shop.id, now) {
        log_refusal(state, "rate_limited", &shop.id, wait_secs, now);
        return Err(rate_limited(wait_secs));
    }

    tracing::Span::current().record("shop_id", shop.id.as_str());
    Ok(AuthenticatedShop(shop))
}

#[cfg(test)]
mod tests {
    use super::bearer_token;

    #[test]
    fn bearer_scheme_is_case_insensitive() {
        assert_eq!(bearer_token("Bearer csk_x"), Some("csk_x"));
        assert_eq!(bearer_token("bearer csk_x"), Some("csk_x"));
        assert_eq!(bearer_token("BEARER  csk_x "), Some("csk_x"));
        assert_eq!(bearer_token("Basic csk_x"), None);
        assert_eq!(bearer_token("Bearer"), None);
        assert_eq!(bearer_token("Bearer "), None);
    }
}
