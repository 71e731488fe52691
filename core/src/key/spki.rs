//! SubjectPublicKeyInfo (RFC 5280 section 4.1.2.7) in PEM (RFC 7468), for RSA keys.

use spki::SubjectPublicKeyInfoRef;
use spki::der::asn1::{AnyRef, BitStringRef, UintRef};
use spki::der::pem::LineEnding;
use spki::der::{Decode, Encode, EncodePem};

use super::{KeyError, PublicKey};

/// PEM label of an SPKI document (RFC 7468 section 13).
const SPKI_LABEL: &str = "PUBLIC KEY";

impl PublicKey {
    /// Reads an RSA public key from an SPKI PEM document (`-----BEGIN PUBLIC KEY-----`).
    ///
    /// The algorithm must be rsaEncryption with NULL parameters (RFC 3279 section 2.3.1); keys
    /// restricted to RSASSA-PSS or RSAES-OAEP by OID are rejected. The PEM carries no key id, so
    /// the caller gives one.
    pub fn from_spki_pem(pem: &str, kid: &str) -> Result<PublicKey, KeyError> {
        let (label, der) =
            spki::der::pem::decode_vec(pem.as_bytes()).map_err(|_| KeyError::InvalidPem)?;
        if label != SPKI_LABEL {
            return Err(KeyError::InvalidPem);
        }
        from_spki_der(&der, kid)
    }

    /// Exports the key as an SPKI PEM document with LF line endings.
    pub fn to_spki_pem(&self) -> Result<String, KeyError> {
        let encoding_failed = |_| KeyError::InvalidDer;
        let rsa_key = pkcs1::RsaPublicKey {
            modulus: UintRef::new(self.n()).map_err(encoding_failed)?,
            public_exponent: UintRef::new(self.e()).map_err(encoding_failed)?,
        };
        let rsa_der = rsa_key.to_der().map_err(encoding_failed)?;
        let info = SubjectPublicKeyInfoRef {
            algorithm: pkcs1::ALGORITHM_ID,
            subject_public_key: BitStringRef::from_bytes(&rsa_der).map_err(encoding_failed)?,
        };
        info.to_pem(LineEnding::LF).map_err(encoding_failed)
    }
}

/// Reads an RSA public key from SPKI DER.
pub(crate) fn from_spki_der(der: &[u8], kid: &str) -> Result<PublicKey, KeyError> {
    let info = SubjectPublicKeyInfoRef::from_der(der).map_err(|_| KeyError::InvalidDer)?;
    if info.algorithm.oid != pkcs1::ALGORITHM_OID {
        return Err(KeyError::UnsupportedAlgorithm);
    }
    if info.algorithm.parameters != Some(AnyRef::NULL) {
        return Err(KeyError::InvalidDer);
    }

    let key_der = info
        .subject_public_key
        .as_bytes()
        .ok_or(KeyError::InvalidDer)?;
    let rsa_key =
        pkcs1::RsaPublicKey::<UintRef<'_>>::from_der(key_der).map_err(|_| KeyError::InvalidDer)?;
    PublicKey::from_components(
        kid,
        rsa_key.modulus.as_bytes(),
        rsa_key.public_exponent.as_bytes(),
    )
}
