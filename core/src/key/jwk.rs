//! JWK and JWKS (RFC 7517) for RSA public keys.

use crate::envelope::json::{self, JsonError, Object, ObjectWriter, Value};
use crate::envelope::{ALG, MAX_MODULUS_BITS, decode_base64url, encode_base64url};

use super::{KeyError, PublicKey};

/// Longest JWK text read; a 4096-bit key with every optional member fits in well under 2 KiB.
const MAX_JWK_LEN: usize = 16 * 1024;

/// Longest JWKS text read: room for dozens of keys of every size.
const MAX_JWKS_LEN: usize = 256 * 1024;

/// JWK members that belong to a private key (RFC 7518 section 6.3.2).
const PRIVATE_MEMBERS: [&str; 7] = ["d", "p", "q", "dp", "dq", "qi", "oth"];

/// Output capacity of one exported JWK. The longest (a 4096-bit modulus, a 128-character kid
/// and a 33-bit exponent) takes 887 bytes.
const JWK_CAPACITY: usize = 1024;

impl PublicKey {
    /// Reads a public RSA JWK.
    ///
    /// Requires `kty` `RSA`, a valid `kid`, and `n` and `e` as minimal canonical base64url.
    /// Optional `use` must be `enc`, `alg` must be `RSA-OAEP-256`, and `key_ops` must allow
    /// `encrypt` or `wrapKey`. Private members are rejected, other members ignored
    /// (RFC 7517 section 4).
    pub fn from_jwk(jwk: &str) -> Result<PublicKey, KeyError> {
        if jwk.len() > MAX_JWK_LEN {
            return Err(KeyError::InvalidJson);
        }
        let value = json::parse(jwk).map_err(json_error)?;
        let object = value.as_object().ok_or(KeyError::InvalidJson)?;
        from_object(object)
    }

    /// Reads the key with id `kid` from a JWKS, or without `kid` the first RSA key in the set
    /// whose `use` and `alg` allow RSA-OAEP-256. Publishers list the key to seal with first.
    ///
    /// Rejects a set in which two keys share a `kid`. Keys not selected are not checked
    /// beyond that, so a set may also carry signing keys or keys of other types.
    pub fn from_jwks(jwks: &str, kid: Option<&str>) -> Result<PublicKey, KeyError> {
        if jwks.len() > MAX_JWKS_LEN {
            return Err(KeyError::InvalidJson);
        }
        let value = json::parse(jwks).map_err(json_error)?;
        let set = value.as_object().ok_or(KeyError::InvalidJson)?;
        let keys = set
            .get("keys")
            .ok_or(KeyError::MissingMember("keys"))?
            .as_array()
            .ok_or(KeyError::InvalidMember("keys"))?;

        let mut kids: Vec<&str> = Vec::with_capacity(keys.len());
        for key in keys {
            let key = key.as_object().ok_or(KeyError::InvalidMember("keys"))?;
            if let Some(key_kid) = key.get("kid").and_then(Value::as_str) {
                if kids.contains(&key_kid) {
                    return Err(KeyError::DuplicateKid);
                }
                kids.push(key_kid);
            }
        }

        let mut objects = keys.iter().filter_map(Value::as_object);
        let selected = match kid {
            Some(kid) => objects
                .find(|key| key.get("kid").and_then(Value::as_str) == Some(kid))
                .ok_or(KeyError::KidNotFound)?,
            None => objects
                .find(|key| is_encryption_candidate(key))
                .ok_or(KeyError::NoEncryptionKey)?,
        };
        from_object(selected)
    }

    /// Exports the key as a public JWK with `kty`, `kid`, `use` `enc`, `alg` `RSA-OAEP-256`,
    /// and minimal `n` and `e`.
    pub fn to_jwk(&self) -> String {
        let mut writer = ObjectWriter::new(JWK_CAPACITY);
        // Capacity covers the largest key and kid this type can hold.
        let written = (|| {
            writer.string("kty", "RSA")?;
            writer.string("kid", self.kid())?;
            writer.string("use", "enc")?;
            writer.string("alg", ALG)?;
            writer.string("n", &encode_base64url(self.n()))?;
            writer.string("e", &encode_base64url(self.e()))?;
            writer.finish()
        })();
        let bytes = written.expect("JWK_CAPACITY fits every valid key");
        String::from_utf8(bytes.to_vec()).expect("the JWK writer emits ASCII for valid keys")
    }
}

/// Exports keys as a JWKS (`{"keys":[...]}`) in the given order. List the key to seal with
/// first, because [`PublicKey::from_jwks`] without a `kid` takes the first suitable key.
pub fn jwks(keys: &[PublicKey]) -> String {
    let members: Vec<String> = keys.iter().map(PublicKey::to_jwk).collect();
    format!("{{\"keys\":[{}]}}", members.join(","))
}

fn json_error(_: JsonError) -> KeyError {
    KeyError::InvalidJson
}

/// Checks whether `from_jwks` without a kid may select `key`: RSA, and neither `use` nor `alg`
/// naming something else.
fn is_encryption_candidate(key: &Object<'_>) -> bool {
    let kty_rsa = key.get("kty").and_then(Value::as_str) == Some("RSA");
    let use_ok = key
        .get("use")
        .is_none_or(|value| value.as_str() == Some("enc"));
    let alg_ok = key
        .get("alg")
        .is_none_or(|value| value.as_str() == Some(ALG));
    kty_rsa && use_ok && alg_ok
}

fn from_object(object: &Object<'_>) -> Result<PublicKey, KeyError> {
    let kty = object.get("kty").ok_or(KeyError::MissingMember("kty"))?;
    if kty.as_str() != Some("RSA") {
        return Err(KeyError::UnsupportedKeyType);
    }
    if PRIVATE_MEMBERS
        .iter()
        .any(|name| object.get(name).is_some())
    {
        return Err(KeyError::PrivateKeyMaterial);
    }
    if object
        .get("use")
        .is_some_and(|value| value.as_str() != Some("enc"))
    {
        return Err(KeyError::UnsupportedUse);
    }
    if object
        .get("alg")
        .is_some_and(|value| value.as_str() != Some(ALG))
    {
        return Err(KeyError::UnsupportedAlgorithm);
    }
    if let Some(ops) = object.get("key_ops") {
        let ops = ops.as_array().ok_or(KeyError::InvalidMember("key_ops"))?;
        let allows_encryption = ops
            .iter()
            .any(|op| matches!(op.as_str(), Some("encrypt") | Some("wrapKey")));
        if !allows_encryption {
            return Err(KeyError::UnsupportedUse);
        }
    }

    let kid = object
        .get("kid")
        .ok_or(KeyError::MissingMember("kid"))?
        .as_str()
        .ok_or(KeyError::InvalidKid)?;
    let n = unsigned_integer(object, "n")?;
    let e = unsigned_integer(object, "e")?;
    PublicKey::from_components(kid, &n, &e)
}

/// Reads a Base64urlUInt member (RFC 7518 section 2): canonical base64url of the minimal
/// big-endian octets, so a leading zero octet is an error.
fn unsigned_integer(object: &Object<'_>, name: &'static str) -> Result<Vec<u8>, KeyError> {
    let text = object
        .get(name)
        .ok_or(KeyError::MissingMember(name))?
        .as_str()
        .ok_or(KeyError::InvalidMember(name))?;
    let bytes =
        decode_base64url(text, MAX_MODULUS_BITS / 8 + 1).ok_or(KeyError::InvalidMember(name))?;
    match bytes.first() {
        None => Err(KeyError::InvalidMember(name)),
        // A single zero octet is the minimal form of zero, which `from_components` rejects.
        Some(0) if bytes.len() > 1 => Err(KeyError::NonMinimalInteger(name)),
        Some(_) => Ok(bytes.to_vec()),
    }
}
