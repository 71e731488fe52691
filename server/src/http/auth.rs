//! Shop authentication by API key, and the per-shop rate limit.
//!
//! Every failure (no header, malformed key, unknown key id, wrong secret, expired key, disabled
//! shop) gets the same 401 response, so a caller learns nothing about which shops or keys exist.

use std::time::Instant;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::problem::{Problem, ProblemKind};
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

        if let Err(wait_secs) = state.rate_limiter.check(&shop.id, Instant::now()) {
            tracing::info!(shop_id = %shop.id, wait_secs, "rate limit reached");
            return Err(AuthRejection(
                Problem::new(ProblemKind::RateLimited)
                    .detail("slow down and retry after the time in the Retry-After header")
                    .retry_after(wait_secs),
            ));
        }

        tracing::Span::current().record("shop_id", shop.id.as_str());
        Ok(AuthenticatedShop(shop))
    }
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
