//! Storage of shops, API keys, checkout sessions, payments, used envelope ids and audit records.
//!
//! The service talks to storage only through [`Store`], so a shared database can replace the
//! embedded SQLite default when several instances run behind a load balancer. No record contains
//! a card number or CVC: a payment keeps brand, last four digits, expiry and a keyed hash.

mod migrations;
mod sqlite;

use std::fmt;

use async_trait::async_trait;

pub use sqlite::SqliteStore;

/// Storage failures. Messages never contain request data.
#[derive(Debug)]
#[non_exhaustive]
pub enum StoreError {
    /// The database reported an error.
    Database(rusqlite::Error),
    /// The database file has a schema newer than this build supports.
    SchemaTooNew { found: i64, known: i64 },
    /// A stored value could not be decoded.
    Corrupt(&'static str),
    /// A record that must exist was not found.
    NotFound(&'static str),
    /// A blocking storage task panicked or was cancelled.
    TaskFailed,
    /// Opening or preparing the database file failed.
    Io(std::io::Error),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Database(e) => write!(f, "database error: {e}"),
            StoreError::SchemaTooNew { found, known } => write!(
                f,
                "database schema version {found} is newer than this build supports ({known}); upgrade cardseal-server"
            ),
            StoreError::Corrupt(what) => write!(f, "stored {what} could not be decoded"),
            StoreError::NotFound(what) => write!(f, "{what} not found"),
            StoreError::TaskFailed => f.write_str("storage task failed"),
            StoreError::Io(e) => write!(f, "database file error: {e}"),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StoreError::Database(e) => Some(e),
            StoreError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Database(e)
    }
}

/// A shop registered on the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shop {
    pub id: String,
    pub name: String,
    /// Serialized origin (`scheme://host[:port]`) of the shop's checkout page.
    pub origin: String,
    pub created_at: i64,
    pub disabled_at: Option<i64>,
}

/// A stored API key: only the hash of its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    pub key_id: String,
    pub shop_id: String,
    pub hash: [u8; crate::apikey::HASH_LEN],
    pub created_at: i64,
    pub expires_at: i64,
}

/// Stored state of a checkout session. "Expired" is not stored: it follows from `expires_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    /// Waiting for a payment.
    Open,
    /// A payment is being authorized; other payments for this session are rejected meanwhile.
    Processing,
    /// An approved payment consumed the session.
    Used,
}

impl SessionState {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionState::Open => "open",
            SessionState::Processing => "processing",
            SessionState::Used => "used",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "open" => Some(SessionState::Open),
            "processing" => Some(SessionState::Processing),
            "used" => Some(SessionState::Used),
            _ => None,
        }
    }
}

/// A checkout session created by a shop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: String,
    pub shop_id: String,
    /// Amount in the currency's minor unit (yen for JPY).
    pub amount: u64,
    pub currency: String,
    pub order_reference: String,
    pub state: SessionState,
    pub created_at: i64,
    pub expires_at: i64,
}

/// Result of trying to move a session from open to processing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionLock {
    Acquired,
    /// The session is being paid by another request or was already used.
    Unavailable(SessionState),
    NotFound,
}

/// Final status of a payment, as returned to the shop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentStatus {
    Approved,
    Declined,
}

impl PaymentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Approved => "approved",
            PaymentStatus::Declined => "declined",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "approved" => Some(PaymentStatus::Approved),
            "declined" => Some(PaymentStatus::Declined),
            _ => None,
        }
    }
}

/// A payment after authorization. Holds no card number or CVC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub id: String,
    pub shop_id: String,
    pub session_id: String,
    pub amount: u64,
    pub currency: String,
    pub order_reference: String,
    pub status: PaymentStatus,
    /// Stable decline code such as `insufficient_funds`; `None` when approved.
    pub decline_code: Option<String>,
    /// Brand code from the core card module, such as `jcb`.
    pub brand: String,
    pub last4: String,
    pub exp_month: u8,
    pub exp_year: u16,
    /// HMAC-SHA-256 of the card number under the data directory's fingerprint key.
    pub card_fingerprint: [u8; 32],
    /// Key id the envelope was sealed under.
    pub kid: String,
    pub envelope_id: String,
    pub created_at: i64,
}

/// Result of starting a request under an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyBegin {
    /// The key is new (or its earlier attempt was abandoned); this request owns it now.
    Started,
    /// The key belongs to an earlier request.
    Earlier(EarlierRequest),
}

/// State of the earlier request that owns an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EarlierRequest {
    /// It finished with the same body, and its response is returned again.
    Completed { status: u16, body: String },
    /// It is still running.
    InProgress,
    /// It had a different request body.
    Mismatch,
}

/// Claims a payment makes before its envelope is opened, in one transaction: the idempotency
/// key, the envelope id and the checkout session.
#[derive(Debug, Clone)]
pub struct PaymentClaim {
    pub shop_id: String,
    pub idempotency_key: String,
    /// SHA-256 of the request fields, to tell a retry from another request with the same key.
    pub request_fingerprint: [u8; 32],
    /// A started idempotency key created before this counts as abandoned and is taken over.
    pub stale_before: i64,
    pub envelope_id: String,
    /// When the envelope id may be forgotten: its envelope would be too old by then.
    pub forget_envelope_after: i64,
    pub session_id: String,
    pub now: i64,
}

/// Result of [`Store::claim_payment`]. The claims are made in order and stop at the first that
/// fails. A request that took the idempotency key keeps it, and the envelope id is recorded only
/// when the session is locked too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimOutcome {
    /// This request owns the idempotency key, the envelope id is recorded as used and the
    /// session is processing.
    Claimed,
    /// The idempotency key belongs to an earlier request. Nothing was claimed.
    Earlier(EarlierRequest),
    /// The key is started, and the envelope id was used before.
    Replayed,
    /// The key is started, but the session could not be moved to processing (never
    /// [`SessionLock::Acquired`]), so the envelope id was not recorded.
    SessionNotLocked(SessionLock),
}

/// The final response of an idempotent request, stored with the payment it describes.
#[derive(Debug, Clone)]
pub struct IdempotentCompletion {
    pub shop_id: String,
    pub key: String,
    pub status: u16,
    pub body: String,
}

/// One attempt to open an envelope, for the audit trail. Never contains card data.
#[derive(Debug, Clone)]
pub struct OpenAttempt {
    pub at: i64,
    pub request_id: String,
    pub shop_id: String,
    pub session_id: String,
    /// Key id from the envelope header, when the header could be parsed.
    pub kid: Option<String>,
    /// Outcome class, such as `opened`, `envelope_replayed` or `envelope_invalid`.
    pub outcome: String,
}

/// Counts of records fixed after an unclean stop.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recovery {
    pub sessions_reopened: u64,
    pub idempotency_keys_released: u64,
}

/// Storage used by the service and the command line.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Checks that the database responds, for the readiness probe.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Inserts a shop with its first API key.
    async fn insert_shop(&self, shop: &Shop, key: &ApiKeyRecord) -> Result<(), StoreError>;
    async fn get_shop(&self, shop_id: &str) -> Result<Option<Shop>, StoreError>;
    async fn list_shops(&self) -> Result<Vec<Shop>, StoreError>;
    /// Marks a shop disabled; its API keys stop working at once.
    async fn disable_shop(&self, shop_id: &str, at: i64) -> Result<(), StoreError>;
    /// Origins of all shops that are not disabled, for `frame-ancestors`.
    async fn enabled_shop_origins(&self) -> Result<Vec<String>, StoreError>;

    /// Adds a new key for a shop and shortens the overlap: the newest earlier key expires no later
    /// than `previous_expires_by`, and every older key expires now, so at most two keys work.
    async fn rotate_api_key(
        &self,
        key: &ApiKeyRecord,
        previous_expires_by: i64,
        now: i64,
    ) -> Result<(), StoreError>;
    async fn list_api_keys(&self, shop_id: &str) -> Result<Vec<ApiKeyRecord>, StoreError>;
    /// Finds an API key by its public key id, with its shop.
    async fn find_api_key(&self, key_id: &str) -> Result<Option<(ApiKeyRecord, Shop)>, StoreError>;

    async fn insert_session(&self, session: &Session) -> Result<(), StoreError>;
    async fn get_session(&self, session_id: &str) -> Result<Option<Session>, StoreError>;
    /// Moves a processing session back to open (after a failure).
    async fn unlock_session(&self, session_id: &str) -> Result<(), StoreError>;

    /// Starts a payment: takes the idempotency key (see [`Store::begin_idempotent`]), records the
    /// envelope id as used and moves the open session to processing, so that only one payment
    /// runs per session. The envelope id stays recorded only when the session moved. One
    /// transaction, so a payment costs one write before it is opened.
    async fn claim_payment(&self, claim: &PaymentClaim) -> Result<ClaimOutcome, StoreError>;
    /// Deletes used envelope ids whose envelopes are too old to pass the issue-time check anyway.
    async fn purge_envelope_ids(&self, now: i64) -> Result<u64, StoreError>;

    /// Starts a request under an idempotency key, or returns the earlier request's state.
    /// A started key older than `stale_before` counts as abandoned and is taken over.
    async fn begin_idempotent(
        &self,
        shop_id: &str,
        key: &str,
        fingerprint: &[u8; 32],
        now: i64,
        stale_before: i64,
    ) -> Result<IdempotencyBegin, StoreError>;
    /// Stores the final response of a request started with [`Store::begin_idempotent`].
    async fn complete_idempotent(
        &self,
        shop_id: &str,
        key: &str,
        status: u16,
        body: &str,
    ) -> Result<(), StoreError>;
    /// Forgets a started key whose request ended without a final answer (for example a 5xx).
    async fn abandon_idempotent(&self, shop_id: &str, key: &str) -> Result<(), StoreError>;
    /// Deletes idempotency records created before `before`.
    async fn purge_idempotency(&self, before: i64) -> Result<u64, StoreError>;

    /// Stores a payment in one transaction with its consequences: the session becomes used when
    /// approved and open again when declined, the accepted attempt joins the audit trail, and the
    /// idempotent response is completed. Returns how many earlier payments of the shop since
    /// `repeat_since` had the same card fingerprint, for duplicate detection.
    async fn record_payment(
        &self,
        payment: &Payment,
        attempt: &OpenAttempt,
        completion: Option<&IdempotentCompletion>,
        repeat_since: i64,
    ) -> Result<u64, StoreError>;
    async fn get_payment(&self, payment_id: &str) -> Result<Option<Payment>, StoreError>;

    async fn record_open_attempt(&self, attempt: &OpenAttempt) -> Result<(), StoreError>;

    /// Fixes state left by an unclean stop: processing sessions go back to open and started
    /// idempotency keys are released. Called once at start-up, before serving.
    async fn recover(&self) -> Result<Recovery, StoreError>;
}
