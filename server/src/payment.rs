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
//! 9. its envelope id was never seen before (the id is recorded here, whatever happens next);
//! 10. it opens (every failure to open is one opaque error);
//! 11. the card is valid this month.
//!
//! Then the session is locked (one payment at a time per session), the acquirer is asked, and the
//! payment is stored without card number or CVC.

use std::fmt;
use std::sync::Arc;

use cardseal_core::card::{Card, YearMonth};
use cardseal_core::envelope::{self, ClaimsError, FormatError, OpenPolicy, ParsedEnvelope};
use serde::Serialize;

use crate::acquirer::{Authorization, AuthorizationRequest, DeclineReason};
use crate::http::AppState;
use crate::ids::{now_unix, random_id, rfc3339};
use crate::keystore::{KeyLookup, LoadedKey};
use crate::store::{
    IdempotentCompletion, OpenAttempt, Payment, PaymentStatus, SessionLock, SessionState, Shop,
    StoreError,
};

/// Prefix of payment ids.
pub const PAYMENT_ID_PREFIX: &str = "pay_";
/// HTTP status of a created payment, stored with its idempotent response.
pub const PAYMENT_CREATED_STATUS: u16 = 201;
/// Window for the repeat-card count in the payment log line.
const REPEAT_CARD_WINDOW_SECS: i64 = 86_400;

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
    /// A blocking task panicked.
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

/// The part of an envelope known before opening it, for the audit record.
struct AttemptInfo {
    kid: Option<String>,
}

/// Runs the checks, authorizes and stores the payment. Writes one audit record per attempt.
pub async fn pay(state: &AppState, request: &PaymentRequest<'_>) -> Result<Payment, PaymentError> {
    let mut info = AttemptInfo { kid: None };
    match check_and_open(state, request, &mut info).await {
        Ok(checked) => authorize_and_record(state, request, checked).await,
        Err(error) => Err(reject(state, request, info.kid.as_deref(), error).await),
    }
}

/// An envelope that passed every check, with its opened card.
struct Checked {
    kid: String,
    envelope_id: String,
    card: Card,
    session: crate::store::Session,
}

async fn check_and_open(
    state: &AppState,
    request: &PaymentRequest<'_>,
    info: &mut AttemptInfo,
) -> Result<Checked, PaymentError> {
    let now = now_unix();
    let parsed = envelope::parse(request.envelope).map_err(PaymentError::Malformed)?;
    info.kid = Some(parsed.kid().to_owned());

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
    let now_unsigned = u64::try_from(now).unwrap_or(0);
    policy
        .check(parsed.claims(), now_unsigned)
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

    // 9. Never seen before. The id is kept until the envelope would fail step 2 anyway.
    let envelope_id = claims.envelope_id().to_owned();
    let first_use = state
        .store
        .claim_envelope_id(
            &envelope_id,
            &request.shop.id,
            &session.id,
            now,
            now.saturating_add(state.config.envelope_id_retention_secs()),
        )
        .await?;
    if !first_use {
        return Err(PaymentError::Replayed);
    }

    // 10. Open: the RSA private-key operation runs on the blocking pool.
    let kid = parsed.kid().to_owned();
    let card = open_blocking(parsed, key).await?;

    // 11. Valid this month (UTC); the card is valid through the last day of its expiry month.
    let today = YearMonth::from_unix_seconds(now_unsigned).ok_or(PaymentError::Internal)?;
    if card.expiry().is_expired(today) {
        return Err(PaymentError::CardExpired);
    }

    Ok(Checked {
        kid,
        envelope_id,
        card,
        session,
    })
}

async fn open_blocking(parsed: ParsedEnvelope, key: Arc<LoadedKey>) -> Result<Card, PaymentError> {
    tokio::task::spawn_blocking(move || parsed.open(&key.private))
        .await
        .map_err(|_| PaymentError::Internal)?
        .map_err(|_| PaymentError::OpenFailed)
}

async fn authorize_and_record(
    state: &AppState,
    request: &PaymentRequest<'_>,
    checked: Checked,
) -> Result<Payment, PaymentError> {
    let Checked {
        kid,
        envelope_id,
        card,
        session,
    } = checked;

    // Lock the session (one payment at a time) and record the accepted attempt together.
    let accepted = attempt(request, Some(&kid), "accepted");
    let lock_error = match state.store.lock_session_and_record(&accepted).await? {
        SessionLock::Acquired => None,
        SessionLock::Unavailable(SessionState::Used) => Some(PaymentError::SessionUsed),
        SessionLock::Unavailable(_) => Some(PaymentError::SessionBusy),
        SessionLock::NotFound => Some(PaymentError::SessionNotFound),
    };
    if let Some(error) = lock_error {
        return Err(reject(state, request, Some(&kid), error).await);
    }
    tracing::debug!(shop_id = %request.shop.id, session_id = %session.id, kid = %kid, "envelope accepted");

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
    let recorded = state
        .store
        .record_payment(&payment, Some(&completion), now - REPEAT_CARD_WINDOW_SECS)
        .await;
    let repeat_count = match recorded {
        Ok(count) => count,
        Err(error) => {
            tracing::error!(%error, payment_id = %payment.id, session_id = %session.id, status = payment.status.as_str(), "storing the payment failed");
            if let Err(unlock_error) = state.store.unlock_session(&session.id).await {
                tracing::error!(error = %unlock_error, session_id = %session.id, "releasing the session failed");
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
