//! Checkout sessions: created by a shop's server, read by the shop and by the hosted frame.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::AuthenticatedShop;
use super::body::{JsonBody, RequestBody};
use super::problem::{Problem, ProblemKind};
use crate::ids::{is_well_formed_id, now_unix, random_id, rfc3339};
use crate::store::{Session, SessionState};

/// Prefix of checkout session ids.
pub const SESSION_ID_PREFIX: &str = "cs_";
/// Largest amount in minor units accepted for any currency.
const MAX_AMOUNT: u64 = 99_999_999;
/// Maximum length of an order reference, in characters.
const MAX_ORDER_REFERENCE_CHARS: usize = 64;
/// Shortest digit run in an order reference that is checked for a card number. Card numbers
/// (ISO/IEC 7812 PANs) have 12 to 19 digits.
const MIN_CARD_NUMBER_DIGITS: usize = 12;

/// Supported currencies with their ISO 4217 minor unit digits. Amounts are integers in the minor
/// unit: yen for JPY (no minor unit), cents for USD and EUR.
const CURRENCIES: [(&str, u8); 3] = [("JPY", 0), ("USD", 2), ("EUR", 2)];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateSessionRequest {
    amount: u64,
    currency: String,
    order_reference: String,
}

impl RequestBody for CreateSessionRequest {
    const FIELDS: &'static [&'static str] = &["amount", "currency", "order_reference"];
}

/// A session as returned to the shop.
#[derive(Debug, Serialize)]
pub struct SessionView {
    id: String,
    amount: u64,
    currency: String,
    order_reference: String,
    status: &'static str,
    created_at: String,
    expires_at: String,
}

/// A session as returned to the hosted frame: enough to show the amount and to name the one
/// parent origin the frame may talk to.
#[derive(Debug, Serialize)]
pub struct FrameView {
    session_id: String,
    shop_origin: String,
    shop_name: String,
    amount: u64,
    currency: String,
    status: &'static str,
    expires_at: String,
    /// The service's clock in Unix seconds, so the frame can correct the envelope's issue time
    /// for a wrong clock in the buyer's device.
    server_time: i64,
}

/// Status shown to clients: the stored state, or `expired` once the session's time has passed.
pub fn public_status(session: &Session, now: i64) -> &'static str {
    match session.state {
        SessionState::Used => "used",
        _ if session.expires_at <= now => "expired",
        state => state.as_str(),
    }
}

fn view(session: &Session, now: i64) -> SessionView {
    SessionView {
        id: session.id.clone(),
        amount: session.amount,
        currency: session.currency.clone(),
        order_reference: session.order_reference.clone(),
        status: public_status(session, now),
        created_at: rfc3339(session.created_at),
        expires_at: rfc3339(session.expires_at),
    }
}

fn validate(request: &CreateSessionRequest) -> Result<(), Problem> {
    if !CURRENCIES.iter().any(|(code, _)| *code == request.currency) {
        return Err(Problem::new(ProblemKind::CurrencyUnsupported)
            .detail("currency must be one of JPY, USD, EUR (ISO 4217, upper case)")
            .field("currency"));
    }
    if request.amount == 0 || request.amount > MAX_AMOUNT {
        return Err(Problem::new(ProblemKind::AmountInvalid)
            .detail(format!(
                "amount must be an integer from 1 to {MAX_AMOUNT} in the currency's minor unit (yen for JPY)"
            ))
            .field("amount"));
    }

    let reference = &request.order_reference;
    let chars = reference.chars().count();
    if chars == 0 || chars > MAX_ORDER_REFERENCE_CHARS || reference.chars().any(char::is_control) {
        return Err(Problem::new(ProblemKind::InvalidRequest)
            .detail(format!(
                "order_reference must be 1 to {MAX_ORDER_REFERENCE_CHARS} characters without control characters"
            ))
            .field("order_reference"));
    }
    if contains_card_number(reference) {
        // The detail is fixed text: the reference itself may be a card number.
        return Err(Problem::new(ProblemKind::CardNumberInReference)
            .detail(
                "order_reference contains a digit sequence that passes the Luhn check like a card number; do not put card numbers in order_reference",
            )
            .field("order_reference"));
    }
    Ok(())
}

/// Returns the value of an ASCII or full-width (U+FF10 to U+FF19) decimal digit.
fn digit_value(c: char) -> Option<u8> {
    match c {
        '0'..='9' => Some(c as u8 - b'0'),
        '\u{FF10}'..='\u{FF19}' => Some((c as u32 - 0xFF10) as u8),
        _ => None,
    }
}

/// Spaces and hyphens, ASCII or full-width, that people type between groups of card digits.
fn is_digit_separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '\u{3000}' | '\u{FF0D}')
}

/// Luhn check (ISO/IEC 7812-1 annex B) over digit values, check digit last.
fn passes_luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Checks whether `text` contains a run of at least [`MIN_CARD_NUMBER_DIGITS`] digits that passes
/// the Luhn check. Spaces and hyphens between digits join a run; any other character ends it.
///
/// NOTE: about one in ten digit runs of that length passes the Luhn check by chance, so a shop
/// whose references are long plain numbers sees some of them rejected.
fn contains_card_number(text: &str) -> bool {
    let mut run: Vec<u8> = Vec::new();
    let check = |run: &mut Vec<u8>| {
        let found = run.len() >= MIN_CARD_NUMBER_DIGITS && passes_luhn(run);
        run.clear();
        found
    };
    for c in text.chars() {
        if let Some(value) = digit_value(c) {
            run.push(value);
        } else if is_digit_separator(c) && !run.is_empty() {
            // A separator keeps the run going; only digits are collected.
            continue;
        } else if check(&mut run) {
            return true;
        }
    }
    check(&mut run)
}

fn internal(error: impl std::fmt::Display, what: &str) -> Problem {
    tracing::error!(%error, "{what} failed");
    Problem::new(ProblemKind::Internal)
}

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `POST /v1/checkout-sessions`
pub async fn create(
    State(state): State<AppState>,
    AuthenticatedShop(shop): AuthenticatedShop,
    JsonBody(request): JsonBody<CreateSessionRequest>,
) -> Result<Response, Problem> {
    validate(&request)?;

    let now = now_unix();
    let session = Session {
        id: random_id(SESSION_ID_PREFIX),
        shop_id: shop.id.clone(),
        amount: request.amount,
        currency: request.currency,
        order_reference: request.order_reference,
        state: SessionState::Open,
        created_at: now,
        expires_at: now.saturating_add(state.config.session_ttl_secs),
    };
    state
        .store
        .insert_session(&session)
        .await
        .map_err(|e| internal(e, "storing a checkout session"))?;
    tracing::info!(shop_id = %shop.id, session_id = %session.id, amount = session.amount, currency = %session.currency, "checkout session created");

    let location = format!("/v1/checkout-sessions/{}", session.id);
    let mut response = (StatusCode::CREATED, Json(view(&session, now))).into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(no_store(response))
}

/// `GET /v1/checkout-sessions/{id}`: the shop's own sessions only.
pub async fn get_for_shop(
    State(state): State<AppState>,
    AuthenticatedShop(shop): AuthenticatedShop,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let not_found = || Problem::new(ProblemKind::SessionNotFound);
    if !is_well_formed_id(&id, SESSION_ID_PREFIX) {
        return Err(not_found());
    }
    let session = state
        .store
        .get_session(&id)
        .await
        .map_err(|e| internal(e, "reading a checkout session"))?
        .filter(|s| s.shop_id == shop.id)
        .ok_or_else(not_found)?;
    Ok(no_store(Json(view(&session, now_unix())).into_response()))
}

/// `GET /v1/checkout-sessions/{id}/frame`: no API key; the session id is the capability.
pub async fn get_for_frame(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let not_found = || Problem::new(ProblemKind::SessionNotFound);
    if !is_well_formed_id(&id, SESSION_ID_PREFIX) {
        return Err(not_found());
    }
    let session = state
        .store
        .get_session(&id)
        .await
        .map_err(|e| internal(e, "reading a checkout session"))?
        .ok_or_else(not_found)?;
    let shop = state
        .store
        .get_shop(&session.shop_id)
        .await
        .map_err(|e| internal(e, "reading a shop"))?
        .filter(|shop| shop.disabled_at.is_none())
        .ok_or_else(not_found)?;

    let now = now_unix();
    let frame = FrameView {
        session_id: session.id.clone(),
        shop_origin: shop.origin,
        shop_name: shop.name,
        amount: session.amount,
        currency: session.currency.clone(),
        status: public_status(&session, now),
        expires_at: rfc3339(session.expires_at),
        server_time: now,
    };
    Ok(no_store(Json(frame).into_response()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(amount: u64, currency: &str, reference: &str) -> CreateSessionRequest {
        CreateSessionRequest {
            amount,
            currency: currency.into(),
            order_reference: reference.into(),
        }
    }

    fn code_of(result: Result<(), Problem>) -> Option<&'static str> {
        result.err().map(|p| p.kind.code())
    }

    #[test]
    fn validation_cases() {
        assert_eq!(code_of(validate(&request(1200, "JPY", "A-1001"))), None);
        assert_eq!(code_of(validate(&request(MAX_AMOUNT, "USD", "x"))), None);
        assert_eq!(
            code_of(validate(&request(0, "JPY", "A"))),
            Some("amount_invalid")
        );
        assert_eq!(
            code_of(validate(&request(MAX_AMOUNT + 1, "JPY", "A"))),
            Some("amount_invalid")
        );
        assert_eq!(
            code_of(validate(&request(1, "jpy", "A"))),
            Some("currency_unsupported")
        );
        assert_eq!(
            code_of(validate(&request(1, "XXX", "A"))),
            Some("currency_unsupported")
        );
        assert_eq!(
            code_of(validate(&request(1, "JPY", ""))),
            Some("invalid_request")
        );
        assert_eq!(
            code_of(validate(&request(1, "JPY", "a\nb"))),
            Some("invalid_request")
        );
        for card_like in [
            "4111111111111111",
            "4111 1111 1111 1111",
            "order 4111-1111-1111-1111 paid",
            "\u{FF14}\u{FF11}\u{FF11}\u{FF11}\u{FF11}\u{FF11}\u{FF11}\u{FF11}\u{FF11}\u{FF11}\u{FF11}\u{FF11}\u{FF11}\u{FF11}\u{FF11}\u{FF11}",
        ] {
            assert_eq!(
                code_of(validate(&request(1, "JPY", card_like))),
                Some("card_number_in_reference"),
                "{card_like}"
            );
        }
        for plain in [
            "4111111111111112",
            "12345678903",
            "A4111111111B",
            "2026-01-31",
        ] {
            assert_eq!(
                code_of(validate(&request(1, "JPY", plain))),
                None,
                "{plain}"
            );
        }
        let long = "注".repeat(MAX_ORDER_REFERENCE_CHARS + 1);
        assert_eq!(
            code_of(validate(&request(1, "JPY", &long))),
            Some("invalid_request")
        );
    }
}
