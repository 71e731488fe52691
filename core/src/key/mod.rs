//! Key formats: RSA public keys from components, JWK, JWKS and SPKI PEM, and (feature `open`)
//! private keys from PKCS#8 PEM.
//!
//! Every key has a key id (`kid`) and an RSA modulus of 2048 to 4096 bits. JWK integers are
//! read strictly: RFC 7518 section 2 requires the minimal octet string for `n` and `e`, so a
//! leading zero octet is rejected rather than stripped, and each key has exactly one JWK
//! encoding. [`PublicKey::from_components`] takes raw big-endian integers from other APIs
//! (DER, WebCrypto) and strips leading zeros instead.

mod error;
#[cfg(feature = "jwk")]
mod jwk;
#[cfg(feature = "open")]
mod private;
mod public;
#[cfg(any(feature = "jwk", feature = "open"))]
mod spki;

pub use error::KeyError;
#[cfg(feature = "jwk")]
pub use jwk::jwks;
#[cfg(feature = "open")]
pub use private::PrivateKey;
pub use public::{MAX_PUBLIC_EXPONENT, PublicKey};
