//! Payments: `POST /v1/payments` with idempotency, and `GET /v1/payments/{id}`.
//!
//! Idempotency follows the IETF Idempotency-Key header draft:
//! - the key is required;
//! - a retry with the same key and body gets the first response again (with
//!   `Idempotent-Replayed: true`) and never a second authorization;
//! - the same key with another body is 422, and a retry while the first request still runs is 409.
//!
//! Responses that may change on retry (5xx, a payment already in progress) are not kept, so the
//! retry runs again.

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::AppState;
use super::auth::AuthenticatedShop;
use super::body::{JsonBody, RequestBody};
use super::middleware::RequestId;
use super::problem::{self, Problem, ProblemKind};
use super::sessions::SESSION_ID_PREFIX;
use crate::ids::is_well_formed_id;
use crate::payment::{
    PAYMENT_ID_PREFIX, PayOutcome, PaymentError, PaymentRequest, pay, payment_json,
};
use crate::store::{EarlierRequest, Shop};

static IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
static IDEMPOTENT_REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");
/// Longest accepted Idempotency-Key value.
const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreatePaymentRequest {
    session_id: String,
    envelope: String,
}

impl RequestBody for CreatePaymentRequest {
    const FIELDS: &'static [&'static str] = &["session_id", "envelope"];
}

/// Maps a rejected payment to its problem. Every failure to open is the same problem.
fn problem_for(error: &PaymentError) -> Problem {
    use PaymentError as E;
    match error {
        E::Malformed(format) => Problem::new(ProblemKind::EnvelopeMalformed)
            .detail(format.to_string())
            .field("envelope"),
        E::UnknownKey | E::KeyRetired => Problem::new(ProblemKind::UnknownKey)
            .detail("fetch the current key set from /.well-known/jwks.json and seal again"),
        E::Stale => Problem::new(ProblemKind::EnvelopeStale)
            .detail("seal the card again and send the new envelope promptly"),
        E::IssuedInFuture => Problem::new(ProblemKind::EnvelopeNotYetValid)
            .detail("the sealing device's clock is ahead; seal again"),
        E::SessionNotFound | E::SessionOfOtherShop => Problem::new(ProblemKind::SessionNotFound),
        E::SessionExpired => {
            Problem::new(ProblemKind::SessionExpired).detail("create a new checkout session")
        }
        E::SessionUsed => Problem::new(ProblemKind::SessionUsed),
        E::SessionBusy => Problem::new(ProblemKind::PaymentInProgress)
            .detail("wait for the other payment of this session to finish"),
        E::SessionMismatch => Problem::new(ProblemKind::SessionMismatch),
        E::OriginMismatch => Problem::new(ProblemKind::OriginMismatch)
            .detail("the page that sealed the card must have the shop's registered origin"),
        E::Replayed => Problem::new(ProblemKind::EnvelopeReplayed)
            .detail("each envelope can be sent once; seal the card again"),
        E::OpenFailed => Problem::new(ProblemKind::EnvelopeInvalid),
        E::CardExpired => Problem::new(ProblemKind::CardExpired)
            .detail("use a card whose expiry month has not passed"),
        E::Store(_) | E::Internal => Problem::new(ProblemKind::Internal),
    }
}

/// Returns true when a retry with the same idempotency key must get this same response.
fn is_final(error: &PaymentError) -> bool {
    !matches!(
        error,
        PaymentError::Store(_) | PaymentError::Internal | PaymentError::SessionBusy
    )
}

fn idempotency_key(headers: &HeaderMap) -> Result<String, Problem> {
    let value = headers
        .get(&IDEMPOTENCY_KEY)
        .ok_or_else(|| {
            Problem::new(ProblemKind::IdempotencyKeyMissing)
                .detail("send a unique Idempotency-Key header with each new payment")
        })?
        .to_str()
        .ok()
        .filter(|key| {
            !key.is_empty()
                && key.len() <= MAX_IDEMPOTENCY_KEY_LEN
                && key.bytes().all(|b| b.is_ascii_graphic())
        })
        .ok_or_else(|| {
            Problem::new(ProblemKind::IdempotencyKeyInvalid).detail(format!(
                "Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY_LEN} visible ASCII characters"
            ))
        })?;
    Ok(value.to_owned())
}

/// SHA-256 over the request fields, to tell a retry from another request with the same key.
fn request_fingerprint(request: &CreatePaymentRequest) -> [u8; 32] {
    let mut context = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    context.update(request.session_id.as_bytes());
    context.update(&[0]);
    context.update(request.envelope.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(context.finish().as_ref());
    out
}

fn internal(error: impl std::fmt::Display, what: &str) -> Problem {
    tracing::error!(%error, "{what} failed");
    Problem::new(ProblemKind::Internal)
}

fn replay(status: u16, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let content_type = if status.is_success() {
        "application/json"
    } else {
        problem::CONTENT_TYPE
    };
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        IDEMPOTENT_REPLAYED.clone(),
        HeaderValue::from_static("true"),
    );
    response
}

/// `POST /v1/payments`
pub async fn create(
    State(state): State<AppState>,
    AuthenticatedShop(shop): AuthenticatedShop,
    Extension(RequestId(request_id)): Extension<RequestId>,
    headers: HeaderMap,
    JsonBody(request): JsonBody<CreatePaymentRequest>,
) -> Result<Response, Problem> {
    let key = idempotency_key(&headers)?;
    if !is_well_formed_id(&request.session_id, SESSION_ID_PREFIX) {
        return Err(Problem::new(ProblemKind::InvalidRequest)
            .detail("session_id must be a checkout session id such as cs_...")
            .field("session_id"));
    }

    // Once the session is claimed, the payment must end by being stored or by reopening the
    // session, even when the client disconnects and the handler is dropped. So it runs in a task
    // of its own, and a retry with the same key gets its stored response.
    let payment = tokio::spawn(settle(state, shop, request, request_id, key));
    payment.await.map_err(|e| internal(e, "the payment task"))?
}

/// Runs a payment and stores its response under the idempotency key, or releases the key.
async fn settle(
    state: AppState,
    shop: Shop,
    request: CreatePaymentRequest,
    request_id: String,
    key: String,
) -> Result<Response, Problem> {
    let payment_request = PaymentRequest {
        shop: &shop,
        session_id: &request.session_id,
        envelope: &request.envelope,
        request_id: &request_id,
        idempotency_key: &key,
        request_fingerprint: request_fingerprint(&request),
    };
    match pay(&state, &payment_request).await {
        Ok(PayOutcome::Paid(payment)) => {
            // The same body was stored under the idempotency key with the payment.
            let mut response = (StatusCode::CREATED, payment_json(&payment)).into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            Ok(response)
        }
        Ok(PayOutcome::Earlier(EarlierRequest::Completed { status, body })) => {
            tracing::info!(shop_id = %shop.id, session_id = %request.session_id, "returned the stored response of an idempotent retry");
            Ok(replay(status, body))
        }
        Ok(PayOutcome::Earlier(EarlierRequest::InProgress)) => {
            Err(Problem::new(ProblemKind::IdempotencyKeyInUse)
                .detail("retry after the first request with this key has finished"))
        }
        Ok(PayOutcome::Earlier(EarlierRequest::Mismatch)) => {
            Err(Problem::new(ProblemKind::IdempotencyKeyReused)
                .detail("use a new Idempotency-Key for a different payment request"))
        }
        Err(error) => {
            tracing::error!(%error, shop_id = %shop.id, session_id = %request.session_id, "payment failed before its idempotency key was taken");
            Err(problem_for(&error))
        }
        Ok(PayOutcome::Rejected(error)) => {
            if matches!(error, PaymentError::Store(_) | PaymentError::Internal) {
                tracing::error!(%error, shop_id = %shop.id, session_id = %request.session_id, "payment failed");
            }
            let problem = problem_for(&error);
            let stored = if is_final(&error) {
                let body = problem.to_json(Some(&request_id));
                state
                    .store
                    .complete_idempotent(&shop.id, &key, problem.kind.status().as_u16(), &body)
                    .await
            } else {
                state.store.abandon_idempotent(&shop.id, &key).await
            };
            if let Err(store_error) = stored {
                tracing::error!(error = %store_error, shop_id = %shop.id, session_id = %request.session_id, "storing the idempotent response failed");
            }
            Err(problem)
        }
    }
}

/// `GET /v1/payments/{id}`: the shop's own payments only; any other id is 404.
pub async fn get(
    State(state): State<AppState>,
    AuthenticatedShop(shop): AuthenticatedShop,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let not_found = || Problem::new(ProblemKind::PaymentNotFound);
    if !is_well_formed_id(&id, PAYMENT_ID_PREFIX) {
        return Err(not_found());
    }
    let payment = state
        .store
        .get_payment(&id)
        .await
        .map_err(|e| internal(e, "reading a payment"))?
        .filter(|p| p.shop_id == shop.id)
        .ok_or_else(not_found)?;

    let mut response = payment_json(&payment).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
