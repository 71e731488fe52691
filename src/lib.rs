//! Browser library and card form widget for cardseal, built to WebAssembly by wasm-pack.
//!
//! Pages seal card details into an envelope that only the platform can open: a JWE (RFC 7516)
//! with RSA-OAEP-256 and A256GCM, bound to one checkout session. This crate has no cryptography
//! of its own. `cardseal-core` validates the card and builds the envelope. The RSA-OAEP and
//! AES-GCM steps run in the browser's WebCrypto where `crypto.subtle` exists, or else in
//! `cardseal-core`'s pure-Rust implementation (feature `rust-fallback`).
//!
//! JavaScript API (see the generated `cardseal.d.ts`):
//! - `seal(card, {jwks | key, kid?, sessionId, origin?, engine?, lang?})` resolves to
//!   `{envelope, brand, last4, expMonth, expYear}`; `new Sealer(options)` keeps the key for
//!   repeated seals.
//! - `normalizeNumber`, `detectBrand`, `brandInfo`, `formatNumber`, `formatExpiry`,
//!   `validateField`, `validateCard`, `errorMessage`: helpers for custom forms.
//! - `CardForm.mount(element, {lang, holder, style})`: the card form widget, styled by
//!   `cardseal.css` and CSS custom properties only.
//!
//! Every error thrown or rejected is an `Error` named `CardSealError` with a stable `code` (the
//! codes of `cardseal-core`'s card errors, and those listed in [`i18n::MESSAGES`]) and a message
//! in Japanese or English.
//!
//! # Security notes
//! - Card numbers and security codes are read into [`zeroize::Zeroizing`] strings and wiped
//!   after use; the copies handed to WebCrypto are zeroed once WebCrypto has taken them. Strings
//!   inside the JavaScript engine (input values) cannot be wiped.
//! - No error message, `detail` or Debug output contains card digits.

pub mod api;
pub mod edit;
pub mod error;
pub mod i18n;
mod js;
pub mod key;
pub mod seal;
mod webcrypto;
pub mod widget;

pub use error::Error;
