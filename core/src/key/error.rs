//! Errors of the key layer.

use std::fmt;

/// An error reading, building or generating a key. Messages name the JWK member or key format
/// and never quote key material.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyError {
    /// The key id breaks the id rule (1 to 128 characters of `A-Z a-z 0-9 - _ .`, not all dots).
    InvalidKid,
    /// The modulus is outside 2048 to 4096 bits.
    ModulusSize,
    /// The modulus is even, which no RSA modulus is.
    InvalidModulus,
    /// The public exponent is even, below 3, or above 2^33 - 1.
    InvalidExponent,
    /// The text is not an I-JSON object (RFC 7493).
    InvalidJson,
    /// `kty` is not `RSA`.
    UnsupportedKeyType,
    /// A required JWK or JWKS member is absent.
    MissingMember(&'static str),
    /// A JWK or JWKS member has the wrong type or is not canonical base64url.
    InvalidMember(&'static str),
    /// `n` or `e` starts with a zero octet (RFC 7518 section 2, Base64urlUInt).
    NonMinimalInteger(&'static str),
    /// `use` is present and not `enc`, or `key_ops` allows neither `encrypt` nor `wrapKey`.
    UnsupportedUse,
    /// `alg` is present and not `RSA-OAEP-256`, or the SPKI algorithm is not rsaEncryption.
    UnsupportedAlgorithm,
    /// A JWK meant as a public key carries private members (`d`, `p`, `q`, ...).
    PrivateKeyMaterial,
    /// The JWKS has no key with the requested `kid`.
    KidNotFound,
    /// Two keys in the JWKS share a `kid`.
    DuplicateKid,
    /// The JWKS has no RSA key for encryption with RSA-OAEP-256.
    NoEncryptionKey,
    /// The text is not a PEM document with the expected label (RFC 7468).
    InvalidPem,
    /// The DER inside the PEM is not a valid structure of the expected type.
    InvalidDer,
    /// The private key was rejected by aws-lc-rs (inconsistent or unsupported PKCS#8).
    InvalidPrivateKey,
    /// Key generation supports 2048, 3072 and 4096 bits only.
    UnsupportedKeySize,
    /// Key generation or export failed inside aws-lc-rs.
    CryptoFailure,
}

impl KeyError {
    /// Returns the stable snake_case code of the error kind.
    pub fn code(self) -> &'static str {
        match self {
            KeyError::InvalidKid => "invalid_kid",
            KeyError::ModulusSize => "modulus_size",
            KeyError::InvalidModulus => "invalid_modulus",
            KeyError::InvalidExponent => "invalid_exponent",
            KeyError::InvalidJson => "invalid_json",
            KeyError::UnsupportedKeyType => "unsupported_key_type",
            KeyError::MissingMember(_) => "missing_member",
            KeyError::InvalidMember(_) => "invalid_member",
            KeyError::NonMinimalInteger(_) => "non_minimal_integer",
            KeyError::UnsupportedUse => "unsupported_use",
            KeyError::UnsupportedAlgorithm => "unsupported_algorithm",
            KeyError::PrivateKeyMaterial => "private_key_material",
            KeyError::KidNotFound => "kid_not_found",
            KeyError::DuplicateKid => "duplicate_kid",
            KeyError::NoEncryptionKey => "no_encryption_key",
            KeyError::InvalidPem => "invalid_pem",
            KeyError::InvalidDer => "invalid_der",
            KeyError::InvalidPrivateKey => "invalid_private_key",
            KeyError::UnsupportedKeySize => "unsupported_key_size",
            KeyError::CryptoFailure => "crypto_failure",
        }
    }
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::InvalidKid => f.write_str(
                "invalid key id (kid): use 1 to 128 of the characters A-Z a-z 0-9 '-' '_' '.', \
                 not only dots",
            ),
            KeyError::ModulusSize => f.write_str("RSA modulus must have 2048 to 4096 bits"),
            KeyError::InvalidModulus => f.write_str("RSA modulus is even"),
            KeyError::InvalidExponent => {
                f.write_str("RSA public exponent must be odd and between 3 and 2^33 - 1")
            }
            KeyError::InvalidJson => f.write_str("key is not a JSON object"),
            KeyError::UnsupportedKeyType => f.write_str("unsupported key type (kty), expected RSA"),
            KeyError::MissingMember(name) => write!(f, "missing {name} in JWK"),
            KeyError::InvalidMember(name) => write!(f, "invalid {name} in JWK"),
            KeyError::NonMinimalInteger(name) => {
                write!(
                    f,
                    "{name} in JWK has a leading zero octet, which RFC 7518 forbids"
                )
            }
            KeyError::UnsupportedUse => f.write_str("key is not for encryption (use, key_ops)"),
            KeyError::UnsupportedAlgorithm => {
                f.write_str("key is for another algorithm (alg), expected RSA-OAEP-256")
            }
            KeyError::PrivateKeyMaterial => {
                f.write_str("JWK contains private key members; publish the public key only")
            }
            KeyError::KidNotFound => f.write_str("no key with the requested key id (kid) in JWKS"),
            KeyError::DuplicateKid => f.write_str("two keys in JWKS share a key id (kid)"),
            KeyError::NoEncryptionKey => {
                f.write_str("JWKS has no RSA key for encryption with RSA-OAEP-256")
            }
            KeyError::InvalidPem => f.write_str("not a PEM document with the expected label"),
            KeyError::InvalidDer => f.write_str("invalid DER structure in PEM document"),
            KeyError::InvalidPrivateKey => f.write_str("PKCS#8 private key rejected"),
            KeyError::UnsupportedKeySize => {
                f.write_str("unsupported key size: generate 2048, 3072 or 4096 bits")
            }
            KeyError::CryptoFailure => f.write_str("key operation failed in the crypto library"),
        }
    }
}

impl std::error::Error for KeyError {}
