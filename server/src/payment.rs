//! Paying a checkout session with a sealed envelope: the checks, the authorization and the record.
//!
//! The checks run cheapest first, so a stale, replayed or misdirected envelope is rejected before
//! the costly RSA decryption:
//!
//! 1. the envelope parses and its `kid` names a known key that is not retired;
//! 2. its issue time is within the policy window;
//! 3. the checkout session exists, 4. belongs to this shop, 5. has not expired and
//!    6. has not been used;
//! 7. the envelope's session claim is this session and 8. its origin claim is the shop's origin;
//! 9. one write takes the idempotency key, checks that the envelope id was never seen before and
//!    moves the session to processing, so that one payment at a time runs per session. From then
//!    on the envelope id stays recorded until its envelope fails check 2 anyway;
//! 10. the envelope opens (every failure to open is one opaque error);
//! 11. the card is valid this month.
//!
//! Then the acquirer is asked, and one more write stores the payment without card number or CVC,
//! with the session's new state, the audit record and the idempotent response. Checks 1 to 8
//! only read. When one fails, the idempotency key is looked up before the rejection is stored.

use std::fmt;
use std::sync::Arc;

use cardseal_core::card::{Card, YearMonth};
use cardseal_core::envelope::{self, ClaimsError, FormatError, OpenPolicy, ParsedEnvelope};
use serde::Serialize;

use crate::acquirer::{Authorization, AuthorizationRequest, DeclineReason};
use crate::http::AppState;
use crate::ids::{now_unix, random_id, rfc3339};
use crate::keystore::{KeyLookup, LoadedKey};
use crate::opener::OpenFailure;
use crate::store::{
    ClaimOutcome, EarlierRequest, IdempotencyBegin, IdempotentCompletion, OpenAttempt, Payment,
    PaymentClaim, PaymentStatus, SessionLock, SessionState, Shop, StoreError,
};

/// Prefix of payment ids.
pub const PAYMENT_ID_PREFIX: &str = "pay_";
/// HTTP status of a created payment, stored with its idempotent response.
pub const PAYMENT_CREATED_STATUS: u16 = 201;
/// Window for the repeat-card count in the payment log line.
const REPEAT_CARD_WINDOW_SECS: i64 = 86_400;
/// A started idempotency key older than this is taken over by a retry: its request died.
const IDEMPOTENCY_STALE_SECS: i64 = 300;

/// Reason a payment attempt was rejected before authorization.
#[derive(Debug)]
#[non_exhaustive]
pub enum PaymentError {
    /// The envelope is not a well-formed cardseal JWE.
    Malformed(FormatError),
    UnknownKey,
    KeyRetired,
    Stale,
    IssuedInFuture,
    SessionNotFound,
    /// The session belongs to another shop. The HTTP problem is the same as for `SessionNotFound`.
    SessionOfOtherShop,
    SessionExpired,
    SessionUsed,
    /// Another payment for the session is being authorized.
    SessionBusy,
    SessionMismatch,
    OriginMismatch,
    Replayed,
    /// The envelope could not be opened. Deliberately carries no reason.
    OpenFailed,
    CardExpired,
    Store(StoreError),
    /// An opening thread or the payment task panicked, or the clock is out of range.
    Internal,
}

impl PaymentError {
    /// Class name for the audit trail and metrics.
    pub fn class(&self) -> &'static str {
        match self {
            PaymentError::Malformed(_) => "envelope_malformed",
            PaymentError::UnknownKey => "unknown_key",
            PaymentError::KeyRetired => "key_retired",
            PaymentError::Stale => "envelope_stale",
            PaymentError::IssuedInFuture => "envelope_not_yet_valid",
            PaymentError::SessionNotFound => "session_not_found",
            PaymentError::SessionOfOtherShop => "session_of_other_shop",
            PaymentError::SessionExpired => "session_expired",
            PaymentError::SessionUsed => "session_used",
            PaymentError::SessionBusy => "payment_in_progress",
            PaymentError::SessionMismatch => "session_mismatch",
            PaymentError::OriginMismatch => "origin_mismatch",
            PaymentError::Replayed => "envelope_replayed",
            PaymentError::OpenFailed => "envelope_invalid",
            PaymentError::CardExpired => "card_expired",
            PaymentError::Store(_) => "storage_error",
            PaymentError::Internal => "internal_error",
        }
    }
}

impl fmt::Display for PaymentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PaymentError::Malformed(e) => write!(f, "malformed envelope: {e}"),
            PaymentError::Store(e) => write!(f, "storage failed: {e}"),
            other => f.write_str(&other.class().replace('_', " ")),
        }
    }
}

impl From<StoreError> for PaymentError {
    fn from(e: StoreError) -> Self {
        PaymentError::Store(e)
    }
}

/// A payment request after authentication.
pub struct PaymentRequest<'a> {
    pub shop: &'a Shop,
    pub session_id: &'a str,
    pub envelope: &'a str,
    pub request_id: &'a str,
    /// The request's Idempotency-Key; the payment's response is stored under it.
    pub idempotency_key: &'a str,
    /// SHA-256 of the request fields, to tell a retry from another request with the same key.
    pub request_fingerprint: [u8; 32],
}

#[derive(Debug, Serialize)]
struct CardView<'a> {
    brand: &'a str,
    last4: &'a str,
    exp_month: u8,
    exp_year: u16,
}

#[derive(Debug, Serialize)]
struct PaymentView<'a> {
    id: &'a str,
    status: &'static str,
    decline_code: Option<&'a str>,
    amount: u64,
    currency: &'a str,
    order_reference: &'a str,
    session_id: &'a str,
    card: CardView<'a>,
    created_at: String,
}

/// Serializes a payment as the HTTP API returns it: masked card data only.
pub fn payment_json(payment: &Payment) -> String {
    let view = PaymentView {
        id: &payment.id,
        status: payment.status.as_str(),
        decline_code: payment.decline_code.as_deref(),
        amount: payment.amount,
        currency: &payment.currency,
        order_reference: &payment.order_reference,
        session_id: &payment.session_id,
        card: CardView {
            brand: &payment.brand,
            last4: &payment.last4,
            exp_month: payment.exp_month,
            exp_year: payment.exp_year,
        },
        created_at: rfc3339(payment.created_at),
    };
    // Serializing strings and integers into a String cannot fail.
    serde_json::to_string(&view).unwrap_or_default()
}

fn attempt(request: &PaymentRequest<'_>, kid: Option<&str>, outcome: &str) -> OpenAttempt {
    OpenAttempt {
        at: now_unix(),
        request_id: request.request_id.to_owned(),
        shop_id: request.shop.id.clone(),
        session_id: request.session_id.to_owned(),
        kid: kid.map(str::to_owned),
        outcome: outcome.to_owned(),
    }
}

/// Records a rejected attempt in the audit trail, metrics and log.
async fn reject(
    state: &AppState,
    request: &PaymentRequest<'_>,
    kid: Option<&str>,
    error: PaymentError,
) -> PaymentError {
    let record = attempt(request, kid, error.class());
    if let Err(store_error) = state.store.record_open_attempt(&record).await {
        tracing::error!(error = %store_error, shop_id = %request.shop.id, session_id = %request.session_id, "storing the audit record failed");
    }
    state.metrics.open_failure(error.class());
    tracing::info!(
        shop_id = %request.shop.id,
        session_id = %request.session_id,
        kid = kid.unwrap_or(""),
        outcome = error.class(),
        "envelope rejected"
    );
    error
}

/// Outcome of a payment request whose idempotency key could be looked up.
#[derive(Debug)]
pub enum PayOutcome {
    /// The payment was authorized, approved or declined, and stored.
    Paid(Box<Payment>),
    /// The request took the idempotency key and was rejected. The caller stores the rejection
    /// under the key, or releases the key when a retry may get another response.
    Rejected(PaymentError),
    /// The idempotency key belongs to an earlier request, whose state decides the response.
    Earlier(EarlierRequest),
}

/// Runs the checks, authorizes and stores the payment. Writes one audit record per attempt.
///
/// An error means that storage failed before this request took its idempotency key, so the key
/// must be left alone: it may belong to an earlier request that is still running.
pub async fn pay(
    state: &AppState,
    request: &PaymentRequest<'_>,
) -> Result<PayOutcome, PaymentError> {
    let now = now_unix();
    let mut kid = None;
    let checked = match check(state, request, now, &mut kid).await {
        Ok(checked) => checked,
        Err(error) => {
            // A retry of a request that passed these checks gets that request's response, even
            // though its session may be used by now, so the idempotency key is looked up first.
            let begin = state
                .store
                .begin_idempotent(
                    &request.shop.id,
                    request.idempotency_key,
                    &request.request_fingerprint,
                    now,
                    now - IDEMPOTENCY_STALE_SECS,
                )
                .await?;
            return match begin {
                IdempotencyBegin::Started => Ok(PayOutcome::Rejected(
                    reject(state, request, kid.as_deref(), error).await,
                )),
                IdempotencyBegin::Earlier(earlier) => Ok(PayOutcome::Earlier(earlier)),
            };
        }
    };
    let Checked {
        parsed,
        key,
        session,
    } = checked;
    let kid = parsed.kid().to_owned();
    let envelope_id = parsed.claims().envelope_id().to_owned();

    // 9. One write claims the idempotency key, the envelope id and the session.
    let claim = PaymentClaim {
        shop_id: request.shop.id.clone(),
        idempotency_key: request.idempotency_key.to_owned(),
        request_fingerprint: request.request_fingerprint,
        stale_before: now - IDEMPOTENCY_STALE_SECS,
        envelope_id: envelope_id.clone(),
        forget_envelope_after: now.saturating_add(state.config.envelope_id_retention_secs()),
        session_id: session.id.clone(),
        now,
    };
    let rejection = match state.store.claim_payment(&claim).await? {
        ClaimOutcome::Claimed => None,
        ClaimOutcome::Earlier(earlier) => return Ok(PayOutcome::Earlier(earlier)),
        ClaimOutcome::Replayed => Some(PaymentError::Replayed),
        ClaimOutcome::SessionNotLocked(SessionLock::Unavailable(SessionState::Used)) => {
            Some(PaymentError::SessionUsed)
        }
        ClaimOutcome::SessionNotLocked(SessionLock::NotFound) => {
            Some(PaymentError::SessionNotFound)
        }
        ClaimOutcome::SessionNotLocked(_) => Some(PaymentError::SessionBusy),
    };
    if let Some(error) = rejection {
        let error = reject(state, request, Some(&kid), error).await;
        return Ok(PayOutcome::Rejected(error));
    }

    // The session is processing from here on. Every way out stores the payment or reopens the
    // session, except an approval that could not be stored (see `authorize_and_record`).
    let card = match open_card(state, parsed, key, now).await {
        Ok(card) => card,
        Err(error) => {
            unlock_session(state, &session.id).await;
            let error = reject(state, request, Some(&kid), error).await;
            return Ok(PayOutcome::Rejected(error));
        }
    };
    tracing::debug!(shop_id = %request.shop.id, session_id = %session.id, kid = %kid, "envelope accepted");
    let paid = authorize_and_record(state, request, kid, envelope_id, session, card).await;
    Ok(paid.map_or_else(PayOutcome::Rejected, |payment| {
        PayOutcome::Paid(Box::new(payment))
    }))
}

/// An envelope whose header passed checks 1 to 8, with its key and session.
struct Checked {
    parsed: ParsedEnvelope,
    key: Arc<LoadedKey>,
    session: crate::store::Session,
}

/// Checks 1 to 8, which only read. Sets `kid` once the envelope parses, for the audit record.
async fn check(
    state: &AppState,
    request: &PaymentRequest<'_>,
    now: i64,
    kid: &mut Option<String>,
) -> Result<Checked, PaymentError> {
    let parsed = envelope::parse(request.envelope).map_err(PaymentError::Malformed)?;
    *kid = Some(parsed.kid().to_owned());

    // 1. Known key, not retired.
    let ring = state.keys.current();
    let key: Arc<LoadedKey> = match ring.lookup(parsed.kid(), now) {
        KeyLookup::Opens(key) => Arc::clone(key),
        KeyLookup::Retired => return Err(PaymentError::KeyRetired),
        KeyLookup::Unknown => return Err(PaymentError::UnknownKey),
    };

    // 2. Issue time within the window.
    let policy = OpenPolicy {
        max_age_secs: state.config.envelope_max_age_secs,
        clock_skew_secs: state.config.clock_skew_secs,
    };
    policy
        .check(parsed.claims(), unsigned(now))
        .map_err(|e| match e {
            ClaimsError::IssuedInFuture => PaymentError::IssuedInFuture,
            _ => PaymentError::Stale,
        })?;

    // 3 to 6. The session: exists, this shop's, unexpired, unused.
    let session = state
        .store
        .get_session(request.session_id)
        .await?
        .ok_or(PaymentError::SessionNotFound)?;
    if session.shop_id != request.shop.id {
        return Err(PaymentError::SessionOfOtherShop);
    }
    if session.expires_at <= now {
        return Err(PaymentError::SessionExpired);
    }
    match session.state {
        SessionState::Open => {}
        SessionState::Used => return Err(PaymentError::SessionUsed),
        SessionState::Processing => return Err(PaymentError::SessionBusy),
    }

    // 7 and 8. The envelope was sealed for this session on the shop's page.
    let claims = parsed.claims();
    if claims.session_id() != session.id {
        return Err(PaymentError::SessionMismatch);
    }
    if claims.origin() != request.shop.origin {
        return Err(PaymentError::OriginMismatch);
    }

    Ok(Checked {
        parsed,
        key,
        session,
    })
}

fn unsigned(now: i64) -> u64 {
    u64::try_from(now).unwrap_or(0)
}

/// Opens the envelope on one of the opening threads (check 10), then checks that the card is
/// valid this month in UTC, through the last day of its expiry month (check 11).
async fn open_card(
    state: &AppState,
    parsed: ParsedEnvelope,
    key: Arc<LoadedKey>,
    now: i64,
) -> Result<Card, PaymentError> {
    let card = state
        .opener
        .open(parsed, key)
        .await
        .map_err(|failure| match failure {
            OpenFailure::Rejected => PaymentError::OpenFailed,
            OpenFailure::Internal => PaymentError::Internal,
        })?;
    let today = YearMonth::from_unix_seconds(unsigned(now)).ok_or(PaymentError::Internal)?;
    if card.expiry().is_expired(today) {
        return Err(PaymentError::CardExpired);
    }
    Ok(card)
}

/// Reopens a session that `claim_payment` moved to processing, when the payment stops early.
async fn unlock_session(state: &AppState, session_id: &str) {
    if let Err(error) = state.store.unlock_session(session_id).await {
        tracing::error!(%error, session_id, "releasing the session failed");
    }
}

async fn authorize_and_record(
    state: &AppState,
    request: &PaymentRequest<'_>,
    kid: String,
    envelope_id: String,
    session: crate::store::Session,
    card: Card,
) -> Result<Payment, PaymentError> {
    let payment_id = random_id(PAYMENT_ID_PREFIX);
    let authorization = authorize(state, &payment_id, &session, &card).await;
    let (status, decline_code) = match &authorization {
        Authorization::Approved { .. } => (PaymentStatus::Approved, None),
        Authorization::Declined(reason) => {
            (PaymentStatus::Declined, Some(reason.code().to_owned()))
        }
    };
    let fingerprint = state.fingerprint.fingerprint(card.number().expose_digits());
    let expiry = card.expiry();
    let now = now_unix();
    let payment = Payment {
        id: payment_id,
        shop_id: request.shop.id.clone(),
        session_id: session.id.clone(),
        amount: session.amount,
        currency: session.currency.clone(),
        order_reference: session.order_reference.clone(),
        status,
        decline_code,
        brand: card.brand().code().to_owned(),
        last4: card.last4(),
        exp_month: expiry.month(),
        exp_year: expiry.year(),
        card_fingerprint: fingerprint,
        kid,
        envelope_id,
        created_at: now,
    };
    drop(card);

    let completion = IdempotentCompletion {
        shop_id: payment.shop_id.clone(),
        key: request.idempotency_key.to_owned(),
        status: PAYMENT_CREATED_STATUS,
        body: payment_json(&payment),
    };
    let accepted = attempt(request, Some(&payment.kid), "accepted");
    let recorded = state
        .store
        .record_payment(
            &payment,
            &accepted,
            Some(&completion),
            now - REPEAT_CARD_WINDOW_SECS,
        )
        .await;
    let repeat_count = match recorded {
        Ok(count) => count,
        Err(error) => {
            tracing::error!(%error, payment_id = %payment.id, session_id = %session.id, status = payment.status.as_str(), "storing the payment failed");
            // An approval that was not stored must not be followed by a second one, so its
            // session stays processing until an operator reconciles it with the acquirer.
            // NOTE: `Store::recover` at the next start reopens it all the same.
            if payment.status == PaymentStatus::Declined {
                unlock_session(state, &session.id).await;
            }
            if let Err(audit_error) = state.store.record_open_attempt(&accepted).await {
                tracing::error!(error = %audit_error, session_id = %session.id, "storing the audit record failed");
            }
            return Err(PaymentError::Store(error));
        }
    };

    tracing::info!(
        payment_id = %payment.id,
        shop_id = %payment.shop_id,
        session_id = %payment.session_id,
        status = payment.status.as_str(),
        decline_code = payment.decline_code.as_deref().unwrap_or(""),
        brand = %payment.brand,
        amount = payment.amount,
        currency = %payment.currency,
        acquirer = state.acquirer.name(),
        repeat_card = repeat_count > 0,
        "payment"
    );
    Ok(payment)
}

async fn authorize(
    state: &AppState,
    payment_id: &str,
    session: &crate::store::Session,
    card: &Card,
) -> Authorization {
    let request = AuthorizationRequest {
        payment_id,
        amount: session.amount,
        currency: &session.currency,
        card,
    };
    let acquirer = state.acquirer.name();
    let result = tokio::time::timeout(
        state.config.acquirer_timeout,
        state.acquirer.authorize(&request),
    )
    .await;

    let authorization = match result {
        Ok(Ok(authorization)) => authorization,
        Ok(Err(error)) => {
            tracing::error!(%error, payment_id, session_id = %session.id, acquirer, "authorization failed");
            Authorization::Declined(DeclineReason::ProcessingError)
        }
        Err(_) => {
            tracing::error!(payment_id, session_id = %session.id, acquirer, timeout_ms = state.config.acquirer_timeout.as_millis() as u64, "authorization timed out");
            state.metrics.authorization(acquirer, "timeout");
            return Authorization::Declined(DeclineReason::ProcessingError);
        }
    };
    let outcome = match &authorization {
        Authorization::Approved { .. } => "approved",
        Authorization::Declined(reason) => reason.code(),
    };
    state.metrics.authorization(acquirer, outcome);
    authorization
}
