//! Errors of the envelope layer: sealing, decoding, opening.

use std::fmt;

use super::claims::ClaimsError;

/// A part of the JWE compact serialization (RFC 7516 section 7.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Part {
    ProtectedHeader,
    EncryptedKey,
    Iv,
    Ciphertext,
    Tag,
}

impl Part {
    /// Returns the part's name as RFC 7516 writes it.
    pub fn name(self) -> &'static str {
        match self {
            Part::ProtectedHeader => "JWE Protected Header",
            Part::EncryptedKey => "JWE Encrypted Key",
            Part::Iv => "JWE Initialization Vector",
            Part::Ciphertext => "JWE Ciphertext",
            Part::Tag => "JWE Authentication Tag",
        }
    }
}

/// A member of the JWE Protected Header that this format defines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HeaderParameter {
    Alg,
    Enc,
    Kid,
    Typ,
    Iat,
    Jti,
    Sid,
    Origin,
}

impl HeaderParameter {
    /// Returns the member name as it appears in the header.
    pub fn name(self) -> &'static str {
        match self {
            HeaderParameter::Alg => "alg",
            HeaderParameter::Enc => "enc",
            HeaderParameter::Kid => "kid",
            HeaderParameter::Typ => "typ",
            HeaderParameter::Iat => "iat",
            HeaderParameter::Jti => "jti",
            HeaderParameter::Sid => "sid",
            HeaderParameter::Origin => "origin",
        }
    }
}

/// A rejection of an envelope before any cryptography, because its structure breaks the format.
///
/// Messages name the JWE part or header member in RFC 7516 words and never quote the input.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FormatError {
    /// The envelope is longer than any valid envelope can be.
    TooLong,
    /// The compact serialization does not have exactly five parts.
    PartCount,
    /// A part is not canonical base64url without padding.
    Base64(Part),
    /// A part's decoded length is wrong (IV not 12 bytes, tag not 16, encrypted key outside
    /// 256 to 512 bytes, ciphertext empty or over the limit, header over the limit).
    Length(Part),
    /// The protected header is not a UTF-8 I-JSON object.
    HeaderNotJson,
    /// The protected header repeats a member name.
    DuplicateHeaderMember,
    /// `alg` is not exactly `RSA-OAEP-256`.
    UnsupportedAlg,
    /// `enc` is not exactly `A256GCM`.
    UnsupportedEnc,
    /// `zip` is present; compression is not part of this format.
    ZipNotSupported,
    /// `crit` is present; this format defines no extensions.
    CritNotSupported,
    /// The header has a member this format does not define.
    UnknownHeaderMember,
    /// A required header member is absent.
    MissingHeaderMember(HeaderParameter),
    /// A header member has the wrong type or breaks its syntax rule.
    InvalidHeaderMember(HeaderParameter),
}

impl FormatError {
    /// Returns the stable snake_case code of the error kind.
    pub fn code(self) -> &'static str {
        match self {
            FormatError::TooLong => "envelope_too_long",
            FormatError::PartCount => "part_count",
            FormatError::Base64(_) => "invalid_base64",
            FormatError::Length(_) => "invalid_length",
            FormatError::HeaderNotJson => "header_not_json",
            FormatError::DuplicateHeaderMember => "duplicate_header_member",
            FormatError::UnsupportedAlg => "unsupported_alg",
            FormatError::UnsupportedEnc => "unsupported_enc",
            FormatError::ZipNotSupported => "zip_not_supported",
            FormatError::CritNotSupported => "crit_not_supported",
            FormatError::UnknownHeaderMember => "unknown_header_member",
            FormatError::MissingHeaderMember(_) => "missing_header_member",
            FormatError::InvalidHeaderMember(_) => "invalid_header_member",
        }
    }

    /// Returns the JWE part the error is about, where it is about one.
    pub fn part(self) -> Option<Part> {
        match self {
            FormatError::Base64(part) | FormatError::Length(part) => Some(part),
            FormatError::TooLong | FormatError::PartCount => None,
            _ => Some(Part::ProtectedHeader),
        }
    }

    /// Returns the header member the error is about, where it is about one defined member.
    pub fn header_parameter(self) -> Option<HeaderParameter> {
        match self {
            FormatError::MissingHeaderMember(member) | FormatError::InvalidHeaderMember(member) => {
                Some(member)
            }
            FormatError::UnsupportedAlg => Some(HeaderParameter::Alg),
            FormatError::UnsupportedEnc => Some(HeaderParameter::Enc),
            _ => None,
        }
    }
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormatError::TooLong => f.write_str("envelope is longer than the format allows"),
            FormatError::PartCount => {
                f.write_str("JWE compact serialization must have exactly five parts")
            }
            FormatError::Base64(part) => {
                write!(
                    f,
                    "{} is not canonical base64url without padding",
                    part.name()
                )
            }
            FormatError::Length(part) => write!(f, "{} has an invalid length", part.name()),
            FormatError::HeaderNotJson => f.write_str("JWE Protected Header is not a JSON object"),
            FormatError::DuplicateHeaderMember => {
                f.write_str("JWE Protected Header has a duplicate member name")
            }
            FormatError::UnsupportedAlg => f.write_str(
                "unsupported algorithm (alg) in JWE Protected Header, expected RSA-OAEP-256",
            ),
            FormatError::UnsupportedEnc => f.write_str(
                "unsupported content encryption (enc) in JWE Protected Header, expected A256GCM",
            ),
            FormatError::ZipNotSupported => {
                f.write_str("compression (zip) in JWE Protected Header is not supported")
            }
            FormatError::CritNotSupported => {
                f.write_str("critical extensions (crit) in JWE Protected Header are not supported")
            }
            FormatError::UnknownHeaderMember => {
                f.write_str("JWE Protected Header has a member this format does not define")
            }
            FormatError::MissingHeaderMember(member) => {
                write!(f, "missing {} in JWE Protected Header", member.name())
            }
            FormatError::InvalidHeaderMember(member) => {
                write!(f, "invalid {} in JWE Protected Header", member.name())
            }
        }
    }
}

impl std::error::Error for FormatError {}

/// An error while sealing. No variant carries card data or key material.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SealError {
    /// The binding's session id breaks the id rule.
    InvalidSessionId,
    /// The binding's origin is not a serialized `http` or `https` origin.
    InvalidOrigin,
    /// The binding's issue time is above 2^53 - 1.
    InvalidIssuedAt,
    /// The header or card payload would exceed its size limit.
    TooLarge,
    /// The random number generator failed.
    RandomUnavailable,
    /// RSA-OAEP or AES-GCM encryption failed.
    EncryptionFailed,
    /// `assemble` got an encrypted key whose length is not the key's modulus length.
    EncryptedKeyLength,
    /// `assemble` got a ciphertext whose length is not the plaintext length plus a 16-byte tag.
    CiphertextLength,
}

impl SealError {
    /// Returns the stable snake_case code of the error.
    pub fn code(self) -> &'static str {
        match self {
            SealError::InvalidSessionId => "invalid_session_id",
            SealError::InvalidOrigin => "invalid_origin",
            SealError::InvalidIssuedAt => "invalid_issued_at",
            SealError::TooLarge => "too_large",
            SealError::RandomUnavailable => "random_unavailable",
            SealError::EncryptionFailed => "encryption_failed",
            SealError::EncryptedKeyLength => "encrypted_key_length",
            SealError::CiphertextLength => "ciphertext_length",
        }
    }
}

impl fmt::Display for SealError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SealError::InvalidSessionId => {
                "invalid session id: use 1 to 128 of the characters A-Z a-z 0-9 '-' '_' '.', \
                 not only dots"
            }
            SealError::InvalidOrigin => {
                "invalid origin: use a serialized http or https origin such as https://shop.example"
            }
            SealError::InvalidIssuedAt => "invalid issue time: must be at most 2^53 - 1 seconds",
            SealError::TooLarge => "envelope header or card payload exceeds its size limit",
            SealError::RandomUnavailable => "random number generator failed",
            SealError::EncryptionFailed => "encryption failed",
            SealError::EncryptedKeyLength => {
                "encrypted key length differs from the key's modulus length"
            }
            SealError::CiphertextLength => {
                "ciphertext length differs from the plaintext length plus the 16-byte tag"
            }
        })
    }
}

impl std::error::Error for SealError {}

/// The one error for every failure to open a parsed envelope.
///
/// Wrong key, failed RSA-OAEP unwrap, wrong content key length, failed AES-GCM tag check,
/// invalid payload JSON and invalid card data all give this same value and message. A caller
/// who relays the result therefore cannot become a decryption oracle (RFC 7516 section 11.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OpenError(());

impl OpenError {
    #[cfg(feature = "open")]
    pub(crate) const fn new() -> Self {
        OpenError(())
    }

    /// Returns the stable code `open_failed`.
    pub fn code(self) -> &'static str {
        "open_failed"
    }
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("envelope could not be opened")
    }
}

impl std::error::Error for OpenError {}

/// Every way the convenience function `open` can fail, in the order it checks.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Error {
    /// The envelope breaks the format.
    Format(FormatError),
    /// No private key is available for the envelope's `kid`.
    UnknownKey,
    /// The issue time is outside the policy's window.
    Claims(ClaimsError),
    /// The envelope did not open.
    Open(OpenError),
}

impl Error {
    /// Returns the stable code of the underlying error (`unknown_key` for a missing key).
    pub fn code(self) -> &'static str {
        match self {
            Error::Format(error) => error.code(),
            Error::UnknownKey => "unknown_key",
            Error::Claims(error) => error.code(),
            Error::Open(error) => error.code(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Format(error) => error.fmt(f),
            Error::UnknownKey => f.write_str("no key for the envelope's key id (kid)"),
            Error::Claims(error) => error.fmt(f),
            Error::Open(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Format(error) => Some(error),
            Error::UnknownKey => None,
            Error::Claims(error) => Some(error),
            Error::Open(error) => Some(error),
        }
    }
}

impl From<FormatError> for Error {
    fn from(error: FormatError) -> Self {
        Error::Format(error)
    }
}

impl From<ClaimsError> for Error {
    fn from(error: ClaimsError) -> Self {
        Error::Claims(error)
    }
}

impl From<OpenError> for Error {
    fn from(error: OpenError) -> Self {
        Error::Open(error)
    }
}
