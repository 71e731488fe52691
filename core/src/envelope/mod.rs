//! The sealed envelope: JWE compact serialization (RFC 7516) with `alg` RSA-OAEP-256 and `enc`
//! A256GCM, binding claims in the protected header, and a JSON card payload. FORMAT.md at the
//! repository root specifies it completely.
//!
//! - [`seal`] (feature `rustcrypto`) encrypts a [`Card`](crate::card::Card) under a
//!   [`PublicKey`](crate::key::PublicKey) in pure Rust.
//! - [`prepare`] and [`Prepared::assemble`] do everything but the two encryptions, for callers
//!   that encrypt with another library (WebCrypto in the browser).
//! - [`parse`] decodes an envelope strictly and returns its key id and [`Claims`] without any
//!   cryptography; [`OpenPolicy`] checks the issue time.
//! - [`ParsedEnvelope::open`] and [`open`] (feature `open`, native targets) decrypt with
//!   aws-lc-rs. Every failure after parsing is the one [`OpenError`].

mod base64url;
mod claims;
mod error;
mod header;
pub(crate) mod json;
#[cfg(feature = "open")]
mod open;
mod parse;
mod payload;
mod seal;

pub use claims::{
    Binding, Claims, ClaimsError, ENVELOPE_ID_LEN, MAX_ENVELOPE_ID_LEN, MAX_ID_LEN, MAX_ISSUED_AT,
    MAX_ORIGIN_LEN, OpenPolicy,
};
pub use error::{Error, FormatError, HeaderParameter, OpenError, Part, SealError};
#[cfg(feature = "open")]
pub use open::{Opened, open};
pub use parse::{ParsedEnvelope, parse};
pub use seal::{Envelope, Prepared, prepare, prepare_with_rng};
#[cfg(feature = "rustcrypto")]
pub use seal::{seal, seal_with_rng};

#[cfg(feature = "jwk")]
pub(crate) use base64url::{decode as decode_base64url, encode as encode_base64url};
pub(crate) use claims::is_valid_id;

/// The only key management algorithm: RSAES-OAEP with SHA-256 and MGF1 with SHA-256
/// (RFC 7518 section 4.3).
pub const ALG: &str = "RSA-OAEP-256";

/// The only content encryption algorithm: AES-256 in Galois/Counter Mode (RFC 7518 section 5.3).
pub const ENC: &str = "A256GCM";

/// The `typ` header value (RFC 7515 section 4.1.9), which names this format and its version.
pub const TYP: &str = "cardseal-v1+jwe";

/// Content encryption key length for A256GCM.
pub const CEK_LEN: usize = 32;

/// AES-GCM initialization vector length (RFC 7518 section 5.3).
pub const IV_LEN: usize = 12;

/// AES-GCM authentication tag length (RFC 7518 section 5.3).
pub const TAG_LEN: usize = 16;

/// Smallest and largest RSA modulus accepted, in bits.
pub const MIN_MODULUS_BITS: usize = 2048;
pub const MAX_MODULUS_BITS: usize = 4096;

/// Bounds of the encrypted key, which is exactly as long as the modulus.
pub const MIN_ENCRYPTED_KEY_LEN: usize = MIN_MODULUS_BITS / 8;
pub const MAX_ENCRYPTED_KEY_LEN: usize = MAX_MODULUS_BITS / 8;

/// Most bytes of header JSON. A header written by this crate with every value at its maximum
/// length takes 669 bytes, since it writes a 16-byte `jti`. With the 64-byte `jti` readers
/// accept, it takes 733.
pub const MAX_HEADER_LEN: usize = 1024;

/// Most bytes of card payload JSON, and so of ciphertext. The largest card takes 113: a 19-digit
/// number with a three-digit CVC (only 15-digit American Express numbers have four) and a
/// holder name of 26 characters.
pub const MAX_PAYLOAD_LEN: usize = 512;

/// Maximum envelope length: every part at its maximum, and four separators.
pub const MAX_ENVELOPE_LEN: usize = base64url::encoded_len(MAX_HEADER_LEN)
    + base64url::encoded_len(MAX_ENCRYPTED_KEY_LEN)
    + base64url::encoded_len(IV_LEN)
    + base64url::encoded_len(MAX_PAYLOAD_LEN)
    + base64url::encoded_len(TAG_LEN)
    + 4;
