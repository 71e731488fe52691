//! Shop API keys: format, generation and verification.
//!
//! A key reads `csk_<key id>_<secret>`: the key id is 16 lower-case hex digits that name the stored
//! record, and the secret is 32 random bytes in base64url. Only SHA-256 of the secret is stored.
//! A plain hash is enough because the secret has 256 bits of entropy, so there is nothing to
//! brute-force. A slow password hash would only cost CPU on every request. The stored hash is
//! compared in constant time.

use std::fmt;

use subtle::ConstantTimeEq as _;
use zeroize::{Zeroize, Zeroizing};

use crate::ids::{base64url, fill_random};

/// Literal prefix of every API key, so secret scanners and humans recognize one.
const KEY_PREFIX: &str = "csk_";
/// Random bytes in the key id.
const KEY_ID_BYTES: usize = 8;
/// Random bytes in the secret part (256 bits).
const SECRET_BYTES: usize = 32;
/// Length of the base64url secret without padding.
const SECRET_CHARS: usize = 43;

/// Length of a SHA-256 digest.
pub const HASH_LEN: usize = 32;

/// A newly made API key, shown once to the operator and never stored.
pub struct NewApiKey {
    /// Public part that names the stored record.
    pub key_id: String,
    /// SHA-256 of the secret part, the only form that is stored.
    pub hash: [u8; HASH_LEN],
    /// The whole key as the shop sends it.
    pub token: Zeroizing<String>,
}

impl fmt::Debug for NewApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewApiKey")
            .field("key_id", &self.key_id)
            .field("token", &"[redacted]")
            .finish_non_exhaustive()
    }
}

/// Generates a new random API key.
pub fn generate() -> NewApiKey {
    let mut id_bytes = [0u8; KEY_ID_BYTES];
    fill_random(&mut id_bytes);
    let key_id: String = id_bytes.iter().map(|b| format!("{b:02x}")).collect();

    let mut secret_bytes = Zeroizing::new([0u8; SECRET_BYTES]);
    fill_random(secret_bytes.as_mut());
    let secret = Zeroizing::new(base64url(secret_bytes.as_ref()));

    let hash = hash_secret(&secret);
    let token = Zeroizing::new(format!("{KEY_PREFIX}{key_id}_{}", secret.as_str()));
    NewApiKey {
        key_id,
        hash,
        token,
    }
}

/// An API key as presented in a request, split into its parts.
pub struct PresentedKey<'a> {
    pub key_id: &'a str,
    secret: &'a str,
}

impl fmt::Debug for PresentedKey<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PresentedKey")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

/// Splits a presented token into key id and secret, or returns `None` when it has the wrong shape.
pub fn parse(token: &str) -> Option<PresentedKey<'_>> {
    let rest = token.strip_prefix(KEY_PREFIX)?;
    let key_id_len = KEY_ID_BYTES * 2;
    if rest.len() != key_id_len + 1 + SECRET_CHARS || !rest.is_ascii() {
        return None;
    }

    let (key_id, tail) = rest.split_at(key_id_len);
    let secret = tail.strip_prefix('_')?;
    let key_id_ok = key_id
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    let secret_ok = secret
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !key_id_ok || !secret_ok {
        return None;
    }
    Some(PresentedKey { key_id, secret })
}

impl PresentedKey<'_> {
    /// Compares this key's secret with a stored hash in constant time.
    pub fn matches(&self, stored_hash: &[u8; HASH_LEN]) -> bool {
        let hash = hash_secret(self.secret);
        bool::from(hash.ct_eq(stored_hash))
    }
}

/// Runs the same hash and comparison as [`PresentedKey::matches`] against a dummy value, so an
/// unknown key id costs about the same time as a wrong secret.
pub fn dummy_compare(presented: &PresentedKey<'_>) {
    let dummy = [0u8; HASH_LEN];
    let _ = presented.matches(&dummy);
}

fn hash_secret(secret: &str) -> [u8; HASH_LEN] {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, secret.as_bytes());
    let mut out = [0u8; HASH_LEN];
    out.copy_from_slice(digest.as_ref());
    out
}

impl Drop for NewApiKey {
    fn drop(&mut self) {
        self.hash.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_key_parses_and_matches() {
        let key = generate();
        let presented = parse(&key.token).expect("generated key parses");
        assert_eq!(presented.key_id, key.key_id);
        assert!(presented.matches(&key.hash));
    }

    #[test]
    fn other_secret_does_not_match() {
        let first = generate();
        let second = generate();
        let presented = parse(&second.token).expect("generated key parses");
        assert!(!presented.matches(&first.hash));
    }

    #[test]
    fn malformed_tokens_are_rejected() {
        let key = generate();
        let token = key.token.as_str();
        assert!(parse("").is_none());
        assert!(parse(&token[..token.len() - 1]).is_none());
        assert!(parse(&format!("{token}x")).is_none());
        assert!(parse(&token.replacen("csk_", "sk_", 1)).is_none());
        assert!(parse(&token.replacen('_', "-", 2)).is_none());
    }

    #[test]
    fn debug_hides_token() {
        let key = generate();
        let debug = format!("{key:?}");
        assert!(!debug.contains(key.token.as_str()));
        let secret = &key.token[key.token.len() - SECRET_CHARS..];
        assert!(!debug.contains(secret));
    }
}
