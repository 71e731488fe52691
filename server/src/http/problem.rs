//! RFC 9457 problem documents.
//!
//! Every error response is `application/problem+json` with a stable `type` URI and a stable `code`
//! member per kind, a fixed `title`, and a `detail` that never repeats request values (they may
//! hold card data). The request id is included so an operator can find the log line.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Base of every problem `type` URI; the code follows with `_` replaced by `-`.
pub const TYPE_BASE: &str = "https://cardseal.dev/problems/";
/// Media type of problem documents (RFC 9457 section 3).
pub const CONTENT_TYPE: &str = "application/problem+json";

/// Kinds of problems the API returns. Each has one status, one code and one title.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProblemKind {
    Unauthorized,
    RateLimited,
    BodyTooLarge,
    TooManyHeaders,
    UnsupportedMediaType,
    InvalidRequest,
    /// `order_reference` contains a digit run that passes the Luhn check, like a card number.
    CardNumberInReference,
    AmountInvalid,
    CurrencyUnsupported,
    IdempotencyKeyMissing,
    IdempotencyKeyInvalid,
    IdempotencyKeyInUse,
    IdempotencyKeyReused,
    EnvelopeMalformed,
    UnknownKey,
    EnvelopeStale,
    EnvelopeNotYetValid,
    SessionNotFound,
    SessionExpired,
    SessionUsed,
    PaymentInProgress,
    SessionMismatch,
    OriginMismatch,
    EnvelopeReplayed,
    EnvelopeInvalid,
    CardExpired,
    PaymentNotFound,
    NotFound,
    MethodNotAllowed,
    NotReady,
    Internal,
}

impl ProblemKind {
    /// All kinds, for documentation tests.
    pub const ALL: [ProblemKind; 31] = [
        ProblemKind::Unauthorized,
        ProblemKind::RateLimited,
        ProblemKind::BodyTooLarge,
        ProblemKind::TooManyHeaders,
        ProblemKind::UnsupportedMediaType,
        ProblemKind::InvalidRequest,
        ProblemKind::CardNumberInReference,
        ProblemKind::AmountInvalid,
        ProblemKind::CurrencyUnsupported,
        ProblemKind::IdempotencyKeyMissing,
        ProblemKind::IdempotencyKeyInvalid,
        ProblemKind::IdempotencyKeyInUse,
        ProblemKind::IdempotencyKeyReused,
        ProblemKind::EnvelopeMalformed,
        ProblemKind::UnknownKey,
        ProblemKind::EnvelopeStale,
        ProblemKind::EnvelopeNotYetValid,
        ProblemKind::SessionNotFound,
        ProblemKind::SessionExpired,
        ProblemKind::SessionUsed,
        ProblemKind::PaymentInProgress,
        ProblemKind::SessionMismatch,
        ProblemKind::OriginMismatch,
        ProblemKind::EnvelopeReplayed,
        ProblemKind::EnvelopeInvalid,
        ProblemKind::CardExpired,
        ProblemKind::PaymentNotFound,
        ProblemKind::NotFound,
        ProblemKind::MethodNotAllowed,
        ProblemKind::NotReady,
        ProblemKind::Internal,
    ];

    pub fn status(self) -> StatusCode {
        use ProblemKind::*;
        match self {
            Unauthorized => StatusCode::UNAUTHORIZED,
            RateLimited => StatusCode::TOO_MANY_REQUESTS,
            BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            TooManyHeaders => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            InvalidRequest | IdempotencyKeyMissing | IdempotencyKeyInvalid | EnvelopeMalformed => {
                StatusCode::BAD_REQUEST
            }
            AmountInvalid
            | CurrencyUnsupported
            | CardNumberInReference
            | IdempotencyKeyReused
            | UnknownKey
            | EnvelopeStale
            | EnvelopeNotYetValid
            | SessionMismatch
            | OriginMismatch
            | EnvelopeInvalid
            | CardExpired => StatusCode::UNPROCESSABLE_ENTITY,
            SessionNotFound | PaymentNotFound | NotFound => StatusCode::NOT_FOUND,
            SessionExpired | SessionUsed | PaymentInProgress | EnvelopeReplayed
            | IdempotencyKeyInUse => StatusCode::CONFLICT,
            MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            NotReady => StatusCode::SERVICE_UNAVAILABLE,
            Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Stable snake_case code, also the last part of the `type` URI.
    pub fn code(self) -> &'static str {
        use ProblemKind::*;
        match self {
            Unauthorized => "unauthorized",
            RateLimited => "rate_limited",
            BodyTooLarge => "body_too_large",
            TooManyHeaders => "too_many_headers",
            UnsupportedMediaType => "unsupported_media_type",
            InvalidRequest => "invalid_request",
            CardNumberInReference => "card_number_in_reference",
            AmountInvalid => "amount_invalid",
            CurrencyUnsupported => "currency_unsupported",
            IdempotencyKeyMissing => "idempotency_key_missing",
            IdempotencyKeyInvalid => "idempotency_key_invalid",
            IdempotencyKeyInUse => "idempotency_key_in_use",
            IdempotencyKeyReused => "idempotency_key_reused",
            EnvelopeMalformed => "envelope_malformed",
            UnknownKey => "unknown_key",
            EnvelopeStale => "envelope_stale",
            EnvelopeNotYetValid => "envelope_not_yet_valid",
            SessionNotFound => "session_not_found",
            SessionExpired => "session_expired",
            SessionUsed => "session_used",
            PaymentInProgress => "payment_in_progress",
            SessionMismatch => "session_mismatch",
            OriginMismatch => "origin_mismatch",
            EnvelopeReplayed => "envelope_replayed",
            EnvelopeInvalid => "envelope_invalid",
            CardExpired => "card_expired",
            PaymentNotFound => "payment_not_found",
            NotFound => "not_found",
            MethodNotAllowed => "method_not_allowed",
            NotReady => "not_ready",
            Internal => "internal_error",
        }
    }

    /// Fixed human-readable summary (RFC 9457 `title`).
    pub fn title(self) -> &'static str {
        use ProblemKind::*;
        match self {
            Unauthorized => "missing, invalid or expired API key",
            RateLimited => "too many requests for this shop",
            BodyTooLarge => "request body too large",
            TooManyHeaders => "too many request header fields",
            UnsupportedMediaType => "request body must be application/json",
            InvalidRequest => "invalid request body",
            CardNumberInReference => "order_reference looks like it contains a card number",
            AmountInvalid => "invalid amount",
            CurrencyUnsupported => "unsupported currency",
            IdempotencyKeyMissing => "missing Idempotency-Key header",
            IdempotencyKeyInvalid => "invalid Idempotency-Key header",
            IdempotencyKeyInUse => "a request with this Idempotency-Key is still being processed",
            IdempotencyKeyReused => "Idempotency-Key was used with a different request body",
            EnvelopeMalformed => "envelope is not a well-formed cardseal JWE",
            UnknownKey => "envelope is sealed under an unknown or retired key",
            EnvelopeStale => "envelope is too old",
            EnvelopeNotYetValid => "envelope issue time is in the future",
            SessionNotFound => "checkout session not found",
            SessionExpired => "checkout session has expired",
            SessionUsed => "checkout session has already been paid",
            PaymentInProgress => "a payment for this checkout session is in progress",
            SessionMismatch => "envelope was sealed for another checkout session",
            OriginMismatch => "envelope was sealed on a page of another origin",
            EnvelopeReplayed => "envelope has already been used",
            EnvelopeInvalid => "envelope could not be opened",
            CardExpired => "card has expired",
            PaymentNotFound => "payment not found",
            NotFound => "resource not found",
            MethodNotAllowed => "method not allowed",
            NotReady => "service not ready",
            Internal => "internal error",
        }
    }

    /// Returns the `type` URI.
    pub fn type_uri(self) -> String {
        format!("{TYPE_BASE}{}", self.code().replace('_', "-"))
    }
}

/// A problem response under construction.
#[derive(Debug, Clone)]
pub struct Problem {
    pub kind: ProblemKind,
    detail: Option<String>,
    field: Option<&'static str>,
    retry_after_secs: Option<u64>,
}

#[derive(Serialize)]
struct ProblemBody<'a> {
    #[serde(rename = "type")]
    type_uri: String,
    title: &'static str,
    status: u16,
    code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<&'a str>,
}

impl Problem {
    pub fn new(kind: ProblemKind) -> Self {
        Problem {
            kind,
            detail: None,
            field: None,
            retry_after_secs: None,
        }
    }

    /// Adds a fixed explanation. Callers pass only text written in this crate, never input.
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Names the request field at fault (a field name from the API, never a value).
    pub fn field(mut self, field: &'static str) -> Self {
        self.field = Some(field);
        self
    }

    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after_secs = Some(secs);
        self
    }

    /// Serializes the problem document with the request id.
    pub fn to_json(&self, request_id: Option<&str>) -> String {
        let body = ProblemBody {
            type_uri: self.kind.type_uri(),
            title: self.kind.title(),
            status: self.kind.status().as_u16(),
            code: self.kind.code(),
            detail: self.detail.as_deref(),
            field: self.field,
            request_id,
        };
        serde_json::to_string(&body).unwrap_or_else(|_| String::from("{}"))
    }
}

/// Builds a response with a problem document body and status.
pub fn problem_response(status: StatusCode, body: String, retry_after: Option<u64>) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(secs) = retry_after {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        // The request middleware renders the body again with the request id.
        let body = self.to_json(None);
        let mut response = problem_response(self.kind.status(), body, self.retry_after_secs);
        response.extensions_mut().insert(self);
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_types_are_unique() {
        let mut codes: Vec<&str> = ProblemKind::ALL.iter().map(|k| k.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), ProblemKind::ALL.len());
        for kind in ProblemKind::ALL {
            assert!(kind.type_uri().starts_with(TYPE_BASE));
            assert!(!kind.title().ends_with('.'));
        }
    }

    #[test]
    fn json_has_rfc9457_members() {
        let json = Problem::new(ProblemKind::EnvelopeReplayed).to_json(Some("req_1"));
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(
            value["type"],
            "https://cardseal.dev/problems/envelope-replayed"
        );
        assert_eq!(value["status"], 409);
        assert_eq!(value["code"], "envelope_replayed");
        assert_eq!(value["request_id"], "req_1");
    }
}
