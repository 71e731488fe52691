//! Sealing: build the header and payload, encrypt, assemble the compact serialization.

use std::fmt;

use rand_core::{TryCryptoRng, TryRng};
use zeroize::Zeroizing;

use super::claims::{Binding, Claims, ENVELOPE_ID_LEN};
use super::error::SealError;
use super::{CEK_LEN, IV_LEN, TAG_LEN, base64url, header, payload};
use crate::card::Card;
use crate::key::PublicKey;

/// A sealed envelope in JWE compact serialization. It is ciphertext, so Display shows it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Envelope(String);

impl Envelope {
    /// Returns the compact serialization.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Returns the compact serialization, consuming the envelope.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Envelope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Everything an envelope needs except its two encryptions, for sealing with WebCrypto.
///
/// The caller encrypts [`cek`](Self::cek) with RSA-OAEP-256 under the public key and
/// [`plaintext`](Self::plaintext) with AES-256-GCM under the CEK, the IV [`iv`](Self::iv) and
/// the AAD [`protected`](Self::protected) (as ASCII bytes), then calls
/// [`assemble`](Self::assemble). The CEK and plaintext zeroize on drop and Debug shows neither.
pub struct Prepared {
    kid: String,
    claims: Claims,
    protected: String,
    cek: Zeroizing<[u8; CEK_LEN]>,
    iv: [u8; IV_LEN],
    plaintext: Zeroizing<Vec<u8>>,
    modulus_len: usize,
}

impl Prepared {
    /// Returns the protected header in base64url, which is also the AES-GCM AAD.
    pub fn protected(&self) -> &str {
        &self.protected
    }

    /// Returns the fresh random content encryption key. Secret.
    pub fn cek(&self) -> &[u8; CEK_LEN] {
        &self.cek
    }

    /// Returns the fresh random AES-GCM initialization vector.
    pub fn iv(&self) -> &[u8; IV_LEN] {
        &self.iv
    }

    /// Returns the card payload JSON. Secret: it contains the card number and security code.
    pub fn plaintext(&self) -> &[u8] {
        &self.plaintext
    }

    /// Returns the key id written in the header.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Returns the claims written in the header.
    pub fn claims(&self) -> &Claims {
        &self.claims
    }

    /// Builds the compact serialization from the two encryption results.
    ///
    /// `encrypted_key` must be exactly as long as the key's modulus, and `ciphertext_and_tag`
    /// the AES-GCM output with the 16-byte tag at its end, as WebCrypto returns it.
    pub fn assemble(
        self,
        encrypted_key: &[u8],
        ciphertext_and_tag: &[u8],
    ) -> Result<Envelope, SealError> {
        if encrypted_key.len() != self.modulus_len {
            return Err(SealError::EncryptedKeyLength);
        }
        if ciphertext_and_tag.len() != self.plaintext.len() + TAG_LEN {
            return Err(SealError::CiphertextLength);
        }

        let (ciphertext, tag) = ciphertext_and_tag.split_at(self.plaintext.len());
        let parts = [
            self.protected.clone(),
            base64url::encode(encrypted_key),
            base64url::encode(&self.iv),
            base64url::encode(ciphertext),
            base64url::encode(tag),
        ];
        Ok(Envelope(parts.join(".")))
    }
}

impl fmt::Debug for Prepared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Prepared")
            .field("kid", &self.kid)
            .field("claims", &self.claims)
            .finish_non_exhaustive()
    }
}

/// The operating system's generator (or `crypto.getRandomValues` on wasm32) via getrandom.
struct OsRng;

impl TryRng for OsRng {
    type Error = getrandom::Error;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        getrandom::u32()
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        getrandom::u64()
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        getrandom::fill(dst)
    }
}

impl TryCryptoRng for OsRng {}

/// Prepares an envelope with fresh randomness from the operating system or the browser.
pub fn prepare(card: &Card, binding: &Binding, key: &PublicKey) -> Result<Prepared, SealError> {
    prepare_with_rng(card, binding, key, &mut OsRng)
}

/// Prepares an envelope, drawing the envelope id, CEK and IV from `rng` in that order.
pub fn prepare_with_rng<R: TryCryptoRng + ?Sized>(
    card: &Card,
    binding: &Binding,
    key: &PublicKey,
    rng: &mut R,
) -> Result<Prepared, SealError> {
    let mut envelope_id = [0u8; ENVELOPE_ID_LEN];
    let mut cek = Zeroizing::new([0u8; CEK_LEN]);
    let mut iv = [0u8; IV_LEN];
    let random_failed = |_| SealError::RandomUnavailable;
    rng.try_fill_bytes(&mut envelope_id)
        .map_err(random_failed)?;
    rng.try_fill_bytes(cek.as_mut_slice())
        .map_err(random_failed)?;
    rng.try_fill_bytes(&mut iv).map_err(random_failed)?;

    let (header_json, claims) = header::write(key.kid(), binding, &envelope_id)?;
    let protected = base64url::encode(header_json.as_bytes());
    let plaintext = payload::write(card)?;

    Ok(Prepared {
        kid: key.kid().to_owned(),
        claims,
        protected,
        cek,
        iv,
        plaintext,
        modulus_len: key.modulus_len(),
    })
}

/// Seals `card` for the holder of `key`'s private key, bound to `binding`.
///
/// Uses the RustCrypto `rsa` crate for RSA-OAEP-256 (a public-key operation, which handles no
/// secret but the fresh CEK) and `aes-gcm` for A256GCM, with randomness from getrandom.
#[cfg(feature = "rustcrypto")]
pub fn seal(card: &Card, binding: &Binding, key: &PublicKey) -> Result<super::Envelope, SealError> {
    seal_with_rng(card, binding, key, &mut OsRng)
}

/// Seals with randomness from `rng`: envelope id, CEK, IV, then the OAEP seed. With a seeded
/// generator the output is deterministic, which the test vectors rely on.
#[cfg(feature = "rustcrypto")]
pub fn seal_with_rng<R: TryCryptoRng + ?Sized>(
    card: &Card,
    binding: &Binding,
    key: &PublicKey,
    rng: &mut R,
) -> Result<super::Envelope, SealError> {
    use aes_gcm::aead::{AeadInOut, KeyInit};
    use aes_gcm::{Aes256Gcm, Nonce};
    use rsa::Oaep;
    use rsa::sha2::Sha256;

    let prepared = prepare_with_rng(card, binding, key, rng)?;

    let encrypted_key = key
        .rsa()
        .encrypt(rng, Oaep::<Sha256>::new(), prepared.cek.as_slice())
        .map_err(|_| SealError::EncryptionFailed)?;

    // Encrypt in a buffer sized for ciphertext and tag, so it never reallocates while it still
    // holds the plaintext.
    let mut buffer = Zeroizing::new(Vec::with_capacity(prepared.plaintext.len() + TAG_LEN));
    buffer.extend_from_slice(&prepared.plaintext);
    let cipher = Aes256Gcm::new_from_slice(prepared.cek.as_slice())
        .map_err(|_| SealError::EncryptionFailed)?;
    let nonce = Nonce::from(prepared.iv);
    let tag = cipher
        .encrypt_inout_detached(
            &nonce,
            prepared.protected.as_bytes(),
            buffer.as_mut_slice().into(),
        )
        .map_err(|_| SealError::EncryptionFailed)?;
    buffer.extend_from_slice(&tag);

    prepared.assemble(&encrypted_key, &buffer)
}
