//! Errors of the browser library, and their conversion into JavaScript errors.

use std::fmt;

use cardseal_core::card::{CardError, CardErrors};
use cardseal_core::envelope::SealError;
use cardseal_core::key::KeyError;
use js_sys::{Array, Object};
use wasm_bindgen::JsValue;

use crate::i18n::{self, Locale};
use crate::js;

/// The `name` of every error this library throws, so pages can tell them from other errors.
pub const ERROR_NAME: &str = "CardSealError";

/// Error from a call into the browser library.
///
/// No variant contains card data or key material, so Display and Debug are safe to log.
#[non_exhaustive]
#[derive(Debug)]
pub enum Error {
    /// The card details did not pass validation: at most one error per field.
    Card(CardErrors),
    /// The form requires a cardholder name and the field is empty.
    HolderMissing,
    /// An argument from JavaScript is missing or has the wrong type.
    InvalidArgument {
        /// The argument or option, such as `options.sessionId`.
        name: &'static str,
    },
    /// Two arguments that exclude each other were both given.
    ConflictingArguments {
        /// The argument given first in the pair, such as `card.expiry`.
        first: &'static str,
        /// The arguments that exclude it, such as `card.expMonth and card.expYear`.
        second: &'static str,
    },
    /// The key set is not JSON or not a JWK Set (RFC 7517 section 5).
    JwksInvalid,
    /// No RSA encryption key in the set has the requested `kid`, or the set has no usable key.
    KeyNotFound,
    /// The key is not an RSA key cardseal can seal with.
    Key(KeyError),
    /// Building the envelope failed.
    Seal(SealError),
    /// A WebCrypto operation rejected; `name` is the DOMException name, such as `OperationError`.
    WebCrypto {
        /// The SubtleCrypto method and algorithm that failed.
        operation: &'static str,
        /// The DOMException name, since WebCrypto errors often have an empty message.
        name: String,
    },
    /// The page has no `crypto.subtle` (not a secure context) and the pure-Rust path is not built in.
    WebCryptoUnavailable,
    /// The page has no `window` or `document` (for example a worker), so no form can be drawn.
    DomUnavailable,
    /// The page's clock is past the year 9999, so no expiry date can be checked.
    ClockOutOfRange,
    /// A DOM call failed unexpectedly.
    Dom {
        /// The call that failed.
        operation: &'static str,
    },
}

impl Error {
    /// Returns the stable snake_case code of the error. Card errors return the code of the
    /// first field with an error, in form order; key and seal errors the code of
    /// `cardseal-core`.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Card(errors) => errors.iter().next().map_or("card_invalid", CardError::code),
            Error::HolderMissing => "holder_missing",
            Error::InvalidArgument { .. } | Error::ConflictingArguments { .. } => {
                "invalid_argument"
            }
            Error::JwksInvalid => "jwks_invalid",
            Error::KeyNotFound => "key_not_found",
            Error::Key(error) => error.code(),
            Error::Seal(error) => error.code(),
            Error::WebCrypto { .. } => "webcrypto_failed",
            Error::WebCryptoUnavailable => "webcrypto_unavailable",
            Error::ClockOutOfRange => "clock_out_of_range",
            Error::DomUnavailable | Error::Dom { .. } => "dom_unavailable",
        }
    }

    /// Returns the message for the buyer in `locale`.
    pub fn message(&self, locale: Locale) -> String {
        match self {
            Error::Card(errors) => match errors.iter().next() {
                Some(error) => i18n::card_error_message(error, locale),
                None => i18n::message("card_invalid", locale),
            },
            // Key and seal codes without an entry of their own share one message per kind.
            Error::Key(error) => i18n::lookup(error.code(), locale)
                .map_or_else(|| i18n::message("key_invalid", locale), str::to_owned),
            Error::Seal(error) => i18n::lookup(error.code(), locale)
                .map_or_else(|| i18n::message("seal_failed", locale), str::to_owned),
            other => i18n::message(other.code(), locale),
        }
    }

    /// Converts the error into a JavaScript `Error` named `CardSealError` with `code`, a message
    /// in `locale`, `detail` (the English developer text), and for card errors `fields`: one
    /// `{field, code, message}` per field with an error.
    pub fn into_js(self, locale: Locale) -> JsValue {
        let error = js_sys::Error::new(&self.message(locale));
        error.set_name(ERROR_NAME);
        js::set(&error, "code", &JsValue::from_str(self.code()));
        js::set(&error, "detail", &JsValue::from_str(&self.to_string()));
        match &self {
            Error::Card(errors) => {
                js::set(&error, "fields", &field_errors(errors, locale));
                if let Some(first) = errors.iter().next() {
                    js::set(&error, "field", &JsValue::from_str(first.field().code()));
                }
            }
            Error::HolderMissing => js::set(&error, "field", &JsValue::from_str("holder")),
            _ => {}
        }
        error.into()
    }
}

/// Builds the `fields` array of a card error: `[{field, code, message}]` in form order.
pub fn field_errors(errors: &CardErrors, locale: Locale) -> JsValue {
    let array = Array::new();
    for error in errors {
        array.push(&field_error(error, locale));
    }
    array.into()
}

/// Builds one `{field, code, message}` object.
pub fn field_error(error: &CardError, locale: Locale) -> JsValue {
    let object = Object::new();
    js::set(&object, "field", &JsValue::from_str(error.field().code()));
    js::set(&object, "code", &JsValue::from_str(error.code()));
    js::set(
        &object,
        "message",
        &JsValue::from_str(&i18n::card_error_message(error, locale)),
    );
    object.into()
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Card(errors) => write!(f, "invalid card details: {errors}"),
            Error::HolderMissing => f.write_str("cardholder name is missing"),
            Error::InvalidArgument { name } => write!(f, "invalid argument {name}"),
            Error::ConflictingArguments { first, second } => {
                write!(f, "give either {first} or {second}, not both")
            }
            Error::JwksInvalid => f.write_str("key set is not a JSON JWK Set"),
            Error::KeyNotFound => {
                f.write_str("no RSA-OAEP-256 encryption key with the requested kid in the key set")
            }
            Error::Key(error) => write!(f, "unusable key: {error}"),
            Error::Seal(error) => write!(f, "sealing failed: {error}"),
            Error::WebCrypto { operation, name } => {
                write!(f, "WebCrypto {operation} failed: {name}")
            }
            Error::WebCryptoUnavailable => f.write_str(
                "crypto.subtle is unavailable and the pure-Rust sealing path is not built in",
            ),
            Error::ClockOutOfRange => f.write_str("the page's clock is past the year 9999"),
            Error::DomUnavailable => f.write_str("no window or document to draw the card form in"),
            Error::Dom { operation } => write!(f, "DOM call {operation} failed"),
        }
    }
}

impl std::error::Error for Error {}

impl From<CardErrors> for Error {
    fn from(errors: CardErrors) -> Self {
        Error::Card(errors)
    }
}

impl From<SealError> for Error {
    fn from(error: SealError) -> Self {
        Error::Seal(error)
    }
}

impl From<KeyError> for Error {
    fn from(error: KeyError) -> Self {
        Error::Key(error)
    }
}
