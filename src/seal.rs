//! Sealing a validated card into an envelope, through WebCrypto where the page has it and through
//! `cardseal-core`'s pure-Rust implementation otherwise.

use std::cell::RefCell;

use cardseal_core::card::Card;
use cardseal_core::envelope::{self, Binding, Envelope};
use js_sys::Object;
use wasm_bindgen::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{CryptoKey, SubtleCrypto};

use crate::error::Error;
use crate::js;
use crate::key::{self, SealingKey};
use crate::webcrypto;

/// The implementation of RSA-OAEP and AES-GCM that seals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// WebCrypto where `crypto.subtle` exists, else the pure-Rust path.
    Auto,
    /// Only WebCrypto.
    WebCrypto,
    /// Only the pure-Rust path (`rsa` and `aes-gcm` crates).
    Rust,
}

impl Engine {
    fn from_option(value: Option<&str>) -> Result<Engine, Error> {
        match value {
            None | Some("auto") => Ok(Engine::Auto),
            Some("webcrypto") => Ok(Engine::WebCrypto),
            Some("rust") if cfg!(feature = "rust-fallback") => Ok(Engine::Rust),
            Some(_) => Err(Error::InvalidArgument {
                name: "options.engine",
            }),
        }
    }

    /// Returns the engine's name as the `engine` option spells it.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Auto => "auto",
            Engine::WebCrypto => "webcrypto",
            Engine::Rust => "rust",
        }
    }
}

/// A sealing key bound to one checkout session and page origin, ready to seal cards.
///
/// It keeps the key imported into WebCrypto after the first seal, so later seals skip that step.
pub struct Sealer {
    key: SealingKey,
    session_id: String,
    origin: String,
    engine: Engine,
    /// Seconds to add to the page's clock to get the platform's, from the `serverTime` option.
    clock_offset: i64,
    /// `crypto.subtle` as it was when the sealer was made, so a seal does not look it up again.
    subtle: Option<SubtleCrypto>,
    web_key: RefCell<Option<CryptoKey>>,
}

impl Sealer {
    /// Reads seal options: the key (`jwks` or `key`, and `kid`), `sessionId`, `origin` (default:
    /// the page's origin), `engine` (`auto`, `webcrypto` or `rust`) and `serverTime`.
    ///
    /// `serverTime` is the platform's clock in Unix seconds, read just now (the hosted frame takes
    /// it from the session it fetched). Envelopes then carry the platform's time as issue time,
    /// so a buyer's wrong clock does not make them look stale to the service.
    pub fn from_options(options: &JsValue) -> Result<Sealer, Error> {
        if !options.is_object() {
            return Err(Error::InvalidArgument { name: "options" });
        }
        let session_id = js::required_string(options, "sessionId", "options.sessionId")?;
        let origin = match js::optional_string(options, "origin", "options.origin")? {
            Some(origin) => origin,
            None => page_origin().ok_or(Error::InvalidArgument {
                name: "options.origin",
            })?,
        };
        let engine = Engine::from_option(
            js::optional_string(options, "engine", "options.engine")?.as_deref(),
        )?;
        let server_time = js::get(options, "serverTime");
        let clock_offset = match server_time.as_f64() {
            _ if server_time.is_undefined() || server_time.is_null() => 0,
            Some(seconds) if seconds.is_finite() && seconds > 0.0 => {
                seconds as i64 - now_seconds() as i64
            }
            _ => {
                return Err(Error::InvalidArgument {
                    name: "options.serverTime",
                });
            }
        };
        let key = key::from_options(options)?;

        Ok(Sealer {
            key,
            session_id,
            origin,
            engine,
            clock_offset,
            subtle: webcrypto::subtle(),
            web_key: RefCell::new(None),
        })
    }

    /// Returns the `kid` of the sealing key.
    pub fn kid(&self) -> &str {
        self.key.key.kid()
    }

    /// Returns the engine this sealer uses on this page: never `Auto`. It depends on whether
    /// the page had `crypto.subtle` when the sealer was made.
    pub fn resolved_engine(&self) -> Result<Engine, Error> {
        match self.engine {
            Engine::Auto if self.subtle.is_some() => Ok(Engine::WebCrypto),
            Engine::Auto if cfg!(feature = "rust-fallback") => Ok(Engine::Rust),
            Engine::Auto => Err(Error::WebCryptoUnavailable),
            Engine::WebCrypto if self.subtle.is_none() => Err(Error::WebCryptoUnavailable),
            engine => Ok(engine),
        }
    }

    /// Seals `card` into an envelope bound to this sealer's session and origin, issued now.
    pub async fn seal(&self, card: &Card) -> Result<Envelope, Error> {
        let binding = Binding {
            session_id: self.session_id.clone(),
            origin: self.origin.clone(),
            issued_at: now_seconds().saturating_add_signed(self.clock_offset),
        };

        match self.resolved_engine()? {
            Engine::Rust => seal_rust(card, &binding, self),
            _ => self.seal_webcrypto(card, &binding).await,
        }
    }

    async fn seal_webcrypto(&self, card: &Card, binding: &Binding) -> Result<Envelope, Error> {
        let subtle = self.subtle.as_ref().ok_or(Error::WebCryptoUnavailable)?;
        let prepared = envelope::prepare(card, binding, &self.key.key)?;

        // The clone is taken out of the RefCell before awaiting, so no borrow is held across it.
        let cached = self.web_key.borrow().clone();
        let web_key = match cached {
            Some(web_key) => web_key,
            None => {
                let import = webcrypto::import_rsa_key(subtle, &self.key.jwk)?;
                let web_key = webcrypto::await_key(import, "importKey RSA-OAEP").await?;
                *self.web_key.borrow_mut() = Some(web_key.clone());
                web_key
            }
        };

        webcrypto::seal(subtle, &web_key, prepared).await
    }
}

#[cfg(feature = "rust-fallback")]
fn seal_rust(card: &Card, binding: &Binding, sealer: &Sealer) -> Result<Envelope, Error> {
    Ok(envelope::seal(card, binding, &sealer.key.key)?)
}

#[cfg(not(feature = "rust-fallback"))]
fn seal_rust(_card: &Card, _binding: &Binding, _sealer: &Sealer) -> Result<Envelope, Error> {
    Err(Error::WebCryptoUnavailable)
}

#[wasm_bindgen]
extern "C" {
    /// The result of a seal as a plain object whose members are set as properties directly,
    /// which costs less than `Reflect.set` with a key made per call.
    #[wasm_bindgen(extends = Object)]
    type SealResult;
    #[wasm_bindgen(method, setter = envelope)]
    fn set_envelope(this: &SealResult, envelope: &str);
    #[wasm_bindgen(method, setter = brand)]
    fn set_brand(this: &SealResult, brand: &str);
    #[wasm_bindgen(method, setter = last4)]
    fn set_last4(this: &SealResult, last4: &str);
    #[wasm_bindgen(method, setter = expMonth)]
    fn set_exp_month(this: &SealResult, month: u8);
    #[wasm_bindgen(method, setter = expYear)]
    fn set_exp_year(this: &SealResult, year: u16);
}

/// Builds the result a page gets: `{envelope, brand, last4, expMonth, expYear}`.
pub fn result_object(envelope: Envelope, card: &Card) -> Object {
    let result: SealResult = js::object().unchecked_into();
    result.set_envelope(envelope.as_str());
    result.set_brand(card.brand().code());
    result.set_last4(&card.last4());
    result.set_exp_month(card.expiry().month());
    result.set_exp_year(card.expiry().year());
    result.into()
}

/// Returns the current time in whole seconds since the Unix epoch, from the page's clock.
pub fn now_seconds() -> u64 {
    (js_sys::Date::now() / 1000.0) as u64
}

/// Returns `location.origin` of the page or worker, if it has one.
fn page_origin() -> Option<String> {
    js::global_object("location").and_then(|location| js::get(&location, "origin").as_string())
}
