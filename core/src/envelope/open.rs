//! Opening: RSA-OAEP-256 unwrap and A256GCM decryption with aws-lc-rs, then the card payload.
//!
//! Every step after parsing ends in the same [`OpenError`], and the steps run in the same
//! order whatever fails. A failed unwrap, or an unwrapped key of the wrong length, continues
//! with a random CEK, so the AES-GCM tag check fails in its place (RFC 7516 section 11.5).
//! Nothing an attacker sends can make the result or the path depend on which step failed.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use zeroize::Zeroizing;

use super::claims::{Claims, OpenPolicy};
use super::error::{Error, OpenError};
use super::parse::{ParsedEnvelope, parse};
use super::{CEK_LEN, MAX_ENCRYPTED_KEY_LEN, TAG_LEN, payload};
use crate::card::Card;
use crate::key::PrivateKey;

/// An opened envelope: the key id it named, its claims and the card.
#[derive(Debug)]
#[non_exhaustive]
pub struct Opened {
    pub kid: String,
    pub claims: Claims,
    pub card: Card,
}

impl ParsedEnvelope {
    /// Decrypts the envelope with `key` and reads the card.
    ///
    /// Fails with the one [`OpenError`] if `key` has another kid or modulus length, the
    /// RSA-OAEP unwrap fails, the CEK is not 32 bytes, the tag does not verify, or the payload
    /// is not a valid card. The card's expiry date is not checked against today: that is the
    /// caller's decision (`Expiry::check_window`).
    pub fn open(&self, key: &PrivateKey) -> Result<Card, OpenError> {
        let cek = self.unwrap_cek(key)?;
        let plaintext = self.decrypt(&cek)?;
        payload::read(&plaintext).ok_or(OpenError::new())
    }

    /// Returns the unwrapped CEK, or a random one if the key does not fit the envelope, the
    /// unwrap fails, or it yields another length than 32 bytes.
    fn unwrap_cek(&self, key: &PrivateKey) -> Result<Zeroizing<[u8; CEK_LEN]>, OpenError> {
        // Draw the fallback first, on every path. If the generator fails, stop: a predictable
        // fallback CEK would let a forged envelope open as if its unwrap had succeeded.
        let mut fallback = Zeroizing::new([0u8; CEK_LEN]);
        aws_lc_rs::rand::fill(fallback.as_mut_slice()).map_err(|_| OpenError::new())?;

        // A key with another kid or modulus length cannot have sealed this envelope. Both values
        // are public, so skipping the RSA operation for them reveals nothing new.
        let key_fits = key.kid() == self.kid() && key.modulus_len() == self.encrypted_key.len();
        let mut output = Zeroizing::new([0u8; MAX_ENCRYPTED_KEY_LEN]);
        let unwrapped_len = if key_fits {
            key.decrypt_oaep(&self.encrypted_key, output.as_mut_slice())
        } else {
            None
        };

        // Select without a branch on the outcome: mask is all ones when the unwrap gave exactly
        // 32 bytes. On failure `output` contains zeros or garbage, and the mask discards it.
        let valid = u8::from(unwrapped_len == Some(CEK_LEN));
        let mask = std::hint::black_box(0u8.wrapping_sub(valid));
        let mut cek = Zeroizing::new([0u8; CEK_LEN]);
        for (index, byte) in cek.iter_mut().enumerate() {
            *byte = (output[index] & mask) | (fallback[index] & !mask);
        }
        Ok(cek)
    }

    /// AES-256-GCM decryption with the received protected header text as AAD
    /// (RFC 7516 section 5.2, step 14).
    fn decrypt(&self, cek: &[u8; CEK_LEN]) -> Result<Zeroizing<Vec<u8>>, OpenError> {
        let unbound = UnboundKey::new(&AES_256_GCM, cek).map_err(|_| OpenError::new())?;
        let key = LessSafeKey::new(unbound);
        let nonce = Nonce::assume_unique_for_key(self.iv);
        let aad = Aad::from(self.protected.as_bytes());

        // Sized for ciphertext and tag, so the buffer never reallocates while holding plaintext.
        let mut buffer = Zeroizing::new(Vec::with_capacity(self.ciphertext.len() + TAG_LEN));
        buffer.extend_from_slice(&self.ciphertext);
        buffer.extend_from_slice(&self.tag);
        let plaintext_len = key
            .open_in_place(nonce, aad, buffer.as_mut_slice())
            .map_err(|_| OpenError::new())?
            .len();
        buffer.truncate(plaintext_len);
        Ok(buffer)
    }
}

/// Parses, selects the key by `kid`, checks the issue time, and opens, in that order of cost.
///
/// `lookup` returns the private key for a kid, or `None` for an unknown or retired one. `now`
/// is in seconds since the Unix epoch. The session, origin and single use of the envelope id
/// are the caller's checks, on [`Opened::claims`].
pub fn open<'k>(
    envelope: &str,
    lookup: impl Fn(&str) -> Option<&'k PrivateKey>,
    policy: &OpenPolicy,
    now: u64,
) -> Result<Opened, Error> {
    let parsed = parse(envelope)?;
    let key = lookup(parsed.kid()).ok_or(Error::UnknownKey)?;
    policy.check(parsed.claims(), now)?;
    let card = parsed.open(key)?;

    Ok(Opened {
        kid: parsed.kid().to_owned(),
        claims: parsed.claims().clone(),
        card,
    })
}
