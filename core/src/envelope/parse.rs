//! Strict decoding of the JWE compact serialization, before any cryptography.

use std::fmt;

use super::claims::Claims;
use super::error::{FormatError, Part};
use super::header::{self, Header};
use super::{
    IV_LEN, MAX_ENCRYPTED_KEY_LEN, MAX_ENVELOPE_LEN, MAX_HEADER_LEN, MAX_PAYLOAD_LEN,
    MIN_ENCRYPTED_KEY_LEN, TAG_LEN, base64url,
};

/// An envelope whose structure and header passed every rule of the format.
///
/// Holds the received header text (the AAD), the decoded parts, and the key id and claims, so
/// that a caller can select the key and check the claims before the RSA operation.
#[derive(Clone)]
pub struct ParsedEnvelope {
    pub(crate) protected: String,
    pub(crate) header: Header,
    pub(crate) encrypted_key: Vec<u8>,
    pub(crate) iv: [u8; IV_LEN],
    pub(crate) ciphertext: Vec<u8>,
    pub(crate) tag: [u8; TAG_LEN],
}

impl ParsedEnvelope {
    /// Returns the key id (`kid`) naming the public key the envelope was sealed to.
    pub fn kid(&self) -> &str {
        &self.header.kid
    }

    /// Returns the claims from the protected header.
    pub fn claims(&self) -> &Claims {
        &self.header.claims
    }

    /// Returns the protected header exactly as received (base64url), which is the AES-GCM AAD.
    pub fn protected(&self) -> &str {
        &self.protected
    }

    /// Returns the decoded JWE Encrypted Key, exactly as long as the sealing key's modulus.
    pub fn encrypted_key(&self) -> &[u8] {
        &self.encrypted_key
    }

    /// Returns the decoded JWE Initialization Vector.
    pub fn iv(&self) -> &[u8; IV_LEN] {
        &self.iv
    }

    /// Returns the decoded JWE Ciphertext.
    pub fn ciphertext(&self) -> &[u8] {
        &self.ciphertext
    }

    /// Returns the decoded JWE Authentication Tag.
    pub fn tag(&self) -> &[u8; TAG_LEN] {
        &self.tag
    }
}

impl fmt::Debug for ParsedEnvelope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParsedEnvelope")
            .field("kid", &self.header.kid)
            .field("claims", &self.header.claims)
            .field("encrypted_key_len", &self.encrypted_key.len())
            .field("ciphertext_len", &self.ciphertext.len())
            .finish_non_exhaustive()
    }
}

/// Decodes an envelope and checks every structural and header rule of the format.
///
/// Checks the total length, then that there are exactly five parts, then the protected header
/// (canonical base64url, at most 1024 bytes, an I-JSON object, the header rules). Then it checks
/// the encrypted key (256 to 512 bytes), IV (12 bytes), ciphertext (1 to 512 bytes) and tag
/// (16 bytes), each canonical base64url. No cryptography runs here, so the cost is small and
/// independent of keys.
pub fn parse(envelope: &str) -> Result<ParsedEnvelope, FormatError> {
    if envelope.len() > MAX_ENVELOPE_LEN {
        return Err(FormatError::TooLong);
    }
    let parts: Vec<&str> = envelope.split('.').collect();
    let [protected, encrypted_key, iv, ciphertext, tag] = parts[..] else {
        return Err(FormatError::PartCount);
    };

    let header_json = decode(protected, Part::ProtectedHeader)?;
    if header_json.len() > MAX_HEADER_LEN {
        return Err(FormatError::Length(Part::ProtectedHeader));
    }
    let header = header::read(&header_json)?;

    let encrypted_key = decode(encrypted_key, Part::EncryptedKey)?;
    if !(MIN_ENCRYPTED_KEY_LEN..=MAX_ENCRYPTED_KEY_LEN).contains(&encrypted_key.len()) {
        return Err(FormatError::Length(Part::EncryptedKey));
    }
    let iv = fixed::<IV_LEN>(iv, Part::Iv)?;
    let ciphertext = decode(ciphertext, Part::Ciphertext)?;
    if !(1..=MAX_PAYLOAD_LEN).contains(&ciphertext.len()) {
        return Err(FormatError::Length(Part::Ciphertext));
    }
    let tag = fixed::<TAG_LEN>(tag, Part::Tag)?;

    Ok(ParsedEnvelope {
        protected: protected.to_owned(),
        header,
        encrypted_key: encrypted_key.to_vec(),
        iv,
        ciphertext: ciphertext.to_vec(),
        tag,
    })
}

/// Decodes one part; the total length check above bounds the allocation.
fn decode(text: &str, part: Part) -> Result<zeroize::Zeroizing<Vec<u8>>, FormatError> {
    base64url::decode(text, MAX_ENVELOPE_LEN).ok_or(FormatError::Base64(part))
}

fn fixed<const N: usize>(text: &str, part: Part) -> Result<[u8; N], FormatError> {
    let bytes = decode(text, part)?;
    bytes
        .as_slice()
        .try_into()
        .map_err(|_| FormatError::Length(part))
}
