//! RSA private keys for opening envelopes, held by aws-lc-rs.

use std::fmt;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{
    KeySize, OAEP_SHA256_MGF1SHA256, OaepPrivateDecryptingKey, PrivateDecryptingKey,
};
use spki::AlgorithmIdentifierRef;
use spki::der::asn1::{OctetStringRef, UintRef};
use spki::der::{Reader, SliceReader};
use zeroize::Zeroizing;

use super::spki::from_spki_der;
use super::{KeyError, PublicKey};
use crate::envelope::{MAX_MODULUS_BITS, MIN_MODULUS_BITS, is_valid_id};

/// PEM label of an unencrypted PKCS#8 private key (RFC 7468 section 10).
const PKCS8_LABEL: &str = "PRIVATE KEY";

/// An RSA private key with its key id, for RSA-OAEP-256 decryption only.
///
/// The key lives inside aws-lc-rs. Copies this crate makes of it (PEM text, DER bytes) are
/// zeroized when dropped; Debug shows the kid and size only.
pub struct PrivateKey {
    kid: String,
    key: PrivateDecryptingKey,
    oaep: OaepPrivateDecryptingKey,
    public: PublicKey,
}

impl PrivateKey {
    /// Generates a new key of 2048, 3072 or 4096 bits with public exponent 65537.
    pub fn generate(bits: usize, kid: &str) -> Result<PrivateKey, KeyError> {
        let size = match bits {
            2048 => KeySize::Rsa2048,
            3072 => KeySize::Rsa3072,
            4096 => KeySize::Rsa4096,
            _ => return Err(KeyError::UnsupportedKeySize),
        };
        if !is_valid_id(kid) {
            return Err(KeyError::InvalidKid);
        }
        let key = PrivateDecryptingKey::generate(size).map_err(|_| KeyError::CryptoFailure)?;
        PrivateKey::from_aws_lc(key, kid)
    }

    /// Reads an unencrypted PKCS#8 PEM document (`-----BEGIN PRIVATE KEY-----`) holding an RSA
    /// key of 2048 to 4096 bits; a key of another size fails with [`KeyError::ModulusSize`].
    pub fn from_pkcs8_pem(pem: &str, kid: &str) -> Result<PrivateKey, KeyError> {
        if !is_valid_id(kid) {
            return Err(KeyError::InvalidKid);
        }
        let (label, der) =
            spki::der::pem::decode_vec(pem.as_bytes()).map_err(|_| KeyError::InvalidPem)?;
        let der = Zeroizing::new(der);
        if label != PKCS8_LABEL {
            return Err(KeyError::InvalidPem);
        }

        // aws-lc-rs rejects a modulus under 2048 bits as an invalid key, so read the size first:
        // every size outside the accepted range then gives the same error.
        if let Some(bits) = pkcs8_modulus_bits(&der)
            && !(MIN_MODULUS_BITS..=MAX_MODULUS_BITS).contains(&bits)
        {
            return Err(KeyError::ModulusSize);
        }

        let key =
            PrivateDecryptingKey::from_pkcs8(&der).map_err(|_| KeyError::InvalidPrivateKey)?;
        PrivateKey::from_aws_lc(key, kid)
    }

    /// Exports the key as an unencrypted PKCS#8 PEM document with LF line endings.
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>, KeyError> {
        // aws-lc-rs zeroizes its DER buffer on drop.
        let der = self.key.as_der().map_err(|_| KeyError::CryptoFailure)?;
        let pem = spki::der::pem::encode_string(
            PKCS8_LABEL,
            spki::der::pem::LineEnding::LF,
            der.as_ref(),
        )
        .map_err(|_| KeyError::CryptoFailure)?;
        Ok(Zeroizing::new(pem))
    }

    /// Returns the key id (`kid`).
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Returns the matching public key, with the same kid.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// Returns the modulus length in bits.
    pub fn modulus_bits(&self) -> usize {
        self.public.modulus_bits()
    }

    /// Returns the modulus length in octets, which an encrypted key must have.
    pub(crate) fn modulus_len(&self) -> usize {
        self.public.modulus_len()
    }

    /// RSAES-OAEP decryption with SHA-256 and MGF1-SHA-256, no label (RFC 8017 section 7.1.2),
    /// constant-time and blinded inside aws-lc. Returns the length written to `output`.
    pub(crate) fn decrypt_oaep(&self, ciphertext: &[u8], output: &mut [u8]) -> Option<usize> {
        self.oaep
            .decrypt(&OAEP_SHA256_MGF1SHA256, ciphertext, output, None)
            .ok()
            .map(|plaintext| plaintext.len())
    }

    fn from_aws_lc(key: PrivateDecryptingKey, kid: &str) -> Result<PrivateKey, KeyError> {
        let bits = key.key_size_bits();
        if !(MIN_MODULUS_BITS..=MAX_MODULUS_BITS).contains(&bits) {
            return Err(KeyError::ModulusSize);
        }
        let spki = key
            .public_key()
            .as_der()
            .map_err(|_| KeyError::CryptoFailure)?;
        let public = from_spki_der(spki.as_ref(), kid)?;
        let oaep =
            OaepPrivateDecryptingKey::new(key.clone()).map_err(|_| KeyError::CryptoFailure)?;
        Ok(PrivateKey {
            kid: kid.to_owned(),
            key,
            oaep,
            public,
        })
    }
}

/// Reads the modulus size in bits of an RSA key in PKCS#8 DER (RFC 5208 section 5, with the
/// RSAPrivateKey of RFC 8017 appendix A.1.2), without decoding the private components.
/// Returns `None` for anything else, which aws-lc-rs then rejects with its own reason.
fn pkcs8_modulus_bits(der: &[u8]) -> Option<usize> {
    let mut reader = SliceReader::new(der).ok()?;
    let (algorithm, private_key) = reader
        .sequence(|info| {
            let _version: u8 = info.decode()?;
            let algorithm: AlgorithmIdentifierRef<'_> = info.decode()?;
            let private_key: &OctetStringRef = info.decode()?;
            // Attributes and, in version 2, the public key may follow; the size needs neither.
            info.drain(info.remaining_len())?;
            Ok::<_, spki::der::Error>((algorithm, private_key))
        })
        .ok()?;
    if algorithm.oid != pkcs1::ALGORITHM_OID {
        return None;
    }

    let mut reader = SliceReader::new(private_key.as_bytes()).ok()?;
    let modulus = reader
        .sequence(|key| {
            let _version: u8 = key.decode()?;
            let modulus: UintRef<'_> = key.decode()?;
            key.drain(key.remaining_len())?;
            Ok::<_, spki::der::Error>(modulus)
        })
        .ok()?;

    // UintRef drops leading zero octets, so the first octet contains the top bit.
    let bytes = modulus.as_bytes();
    let first = *bytes.first()?;
    Some(bytes.len() * 8 - first.leading_zeros() as usize)
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("kid", &self.kid)
            .field("modulus_bits", &self.public.modulus_bits())
            .finish_non_exhaustive()
    }
}
