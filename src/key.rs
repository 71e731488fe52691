//! The sealing key, read from a JWK or a JWK Set (RFC 7517) with the browser's `JSON.parse`.

use base64ct::{Base64UrlUnpadded, Encoding};
use cardseal_core::key::PublicKey;
use js_sys::{Array, JSON, Object};
use wasm_bindgen::{JsCast, JsValue};

use crate::error::Error;
use crate::js;

/// The only key management algorithm cardseal seals with (RFC 7518 section 4.3).
pub const ALG: &str = "RSA-OAEP-256";

/// A public key ready for both sealing paths.
pub struct SealingKey {
    /// The key as `cardseal-core` checked it (2048 to 4096 bits, `kid` present).
    pub key: PublicKey,
    /// The same key as a JWK for WebCrypto's `importKey("jwk", ...)`, with `n` and `e` in their
    /// canonical form (RFC 7518 section 6.3.1: no leading zero octets).
    pub jwk: Object,
}

/// Reads the key from seal options: `jwks` (a JWK Set, as text or object) or `key` (one JWK),
/// and `kid`, which selects a key from the set and names a lone key that has no `kid` member.
///
/// Without `kid`, the first RSA key in the set that may encrypt with RSA-OAEP-256 is taken: the
/// platform lists its current sealing key first.
pub fn from_options(options: &JsValue) -> Result<SealingKey, Error> {
    let kid = js::optional_string(options, "kid", "options.kid")?;
    let jwks = js::get(options, "jwks");
    let key = js::get(options, "key");

    let jwk = if !jwks.is_undefined() && !jwks.is_null() {
        select(&parse_json(jwks)?, kid.as_deref())?
    } else if !key.is_undefined() && !key.is_null() {
        let jwk = parse_json(key)?;
        if !is_rsa_encryption_key(&jwk) {
            return Err(Error::KeyNotFound);
        }
        if let (Some(wanted), Some(actual)) = (&kid, js::get(&jwk, "kid").as_string())
            && *wanted != actual
        {
            return Err(Error::KeyNotFound);
        }
        jwk
    } else {
        return Err(Error::InvalidArgument {
            name: "options.jwks",
        });
    };

    let kid = match js::get(&jwk, "kid").as_string().or(kid) {
        Some(kid) => kid,
        None => {
            return Err(Error::InvalidArgument {
                name: "options.kid",
            });
        }
    };
    from_jwk(&jwk, &kid)
}

/// Accepts a JWK or JWKS as JSON text or as an already parsed object.
fn parse_json(value: JsValue) -> Result<JsValue, Error> {
    if let Some(text) = value.as_string() {
        let parsed = JSON::parse(&text).map_err(|_| Error::JwksInvalid)?;
        if !parsed.is_object() {
            return Err(Error::JwksInvalid);
        }
        return Ok(parsed);
    }
    if value.is_object() {
        Ok(value)
    } else {
        Err(Error::InvalidArgument {
            name: "options.jwks",
        })
    }
}

/// Picks the key with `kid` from a JWK Set, or the first usable one when `kid` is `None`.
fn select(jwks: &JsValue, kid: Option<&str>) -> Result<JsValue, Error> {
    let keys = js::get(jwks, "keys");
    if !Array::is_array(&keys) {
        return Err(Error::JwksInvalid);
    }
    let keys: Array = keys.unchecked_into();

    keys.iter()
        .filter(is_rsa_encryption_key)
        .find(|jwk| kid.is_none_or(|kid| js::get(jwk, "kid").as_string().as_deref() == Some(kid)))
        .ok_or(Error::KeyNotFound)
}

/// Tells whether a JWK is an RSA key whose `use`, `alg` and `key_ops`, where present, allow
/// encryption with RSA-OAEP-256 (RFC 7517 sections 4.2 to 4.4).
fn is_rsa_encryption_key(jwk: &JsValue) -> bool {
    let member = |name| js::get(jwk, name);
    let kty_rsa = member("kty").as_string().as_deref() == Some("RSA");
    let use_ok = member("use").as_string().is_none_or(|value| value == "enc");
    let alg_ok = member("alg").as_string().is_none_or(|value| value == ALG);
    let ops = member("key_ops");
    let ops_ok = !Array::is_array(&ops) || {
        let ops: Array = ops.unchecked_into();
        ops.iter()
            .any(|op| matches!(op.as_string().as_deref(), Some("encrypt" | "wrapKey")))
    };
    kty_rsa && use_ok && alg_ok && ops_ok
}

/// Decodes `n` and `e`, lets `cardseal-core` check the key, and builds the WebCrypto JWK.
fn from_jwk(jwk: &JsValue, kid: &str) -> Result<SealingKey, Error> {
    let n = decode_member(jwk, "n")?;
    let e = decode_member(jwk, "e")?;
    let key = PublicKey::from_components(kid, &n, &e)?;

    let web_jwk = js::object();
    js::set(&web_jwk, "kty", &JsValue::from_str("RSA"));
    js::set(&web_jwk, "n", &JsValue::from_str(&encode_unsigned(&n)));
    js::set(&web_jwk, "e", &JsValue::from_str(&encode_unsigned(&e)));
    js::set(&web_jwk, "alg", &JsValue::from_str(ALG));
    js::set(&web_jwk, "ext", &JsValue::TRUE);
    Ok(SealingKey { key, jwk: web_jwk })
}

fn decode_member(jwk: &JsValue, name: &str) -> Result<Vec<u8>, Error> {
    let text = js::get(jwk, name).as_string().ok_or(Error::JwksInvalid)?;
    Base64UrlUnpadded::decode_vec(&text).map_err(|_| Error::JwksInvalid)
}

/// Encodes an unsigned big-endian integer as base64url without leading zero octets.
fn encode_unsigned(bytes: &[u8]) -> String {
    let start = bytes
        .iter()
        .position(|&byte| byte != 0)
        .unwrap_or(bytes.len());
    Base64UrlUnpadded::encode_string(&bytes[start..])
}
