//! The JWE Protected Header: written by the sealer, read strictly by the decoder.

use super::claims::{self, Binding, Claims, ENVELOPE_ID_LEN, MAX_ISSUED_AT};
use super::error::{FormatError, HeaderParameter, SealError};
use super::json::{self, JsonError, ObjectWriter, Value};
use super::{ALG, ENC, MAX_HEADER_LEN, TYP, base64url};

/// Every member a header may have. `zip` and `crit` are rejected by name before this list is
/// consulted, so that their errors name the reason.
const KNOWN_MEMBERS: [&str; 8] = ["alg", "enc", "kid", "typ", "iat", "jti", "sid", "origin"];

/// The decoded header: the key id and the claims.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) kid: String,
    pub(crate) claims: Claims,
}

/// Checks the binding and writes the header JSON in the canonical member order.
pub(crate) fn write(
    kid: &str,
    binding: &Binding,
    envelope_id: &[u8; ENVELOPE_ID_LEN],
) -> Result<(String, Claims), SealError> {
    if !claims::is_valid_id(&binding.session_id) {
        return Err(SealError::InvalidSessionId);
    }
    if !claims::is_valid_origin(&binding.origin) {
        return Err(SealError::InvalidOrigin);
    }
    if binding.issued_at > MAX_ISSUED_AT {
        return Err(SealError::InvalidIssuedAt);
    }
    let claims = Claims {
        session_id: binding.session_id.clone(),
        origin: binding.origin.clone(),
        issued_at: binding.issued_at,
        envelope_id: base64url::encode(envelope_id),
    };

    let too_large = |_| SealError::TooLarge;
    let mut writer = ObjectWriter::new(MAX_HEADER_LEN);
    writer.string("alg", ALG).map_err(too_large)?;
    writer.string("enc", ENC).map_err(too_large)?;
    writer.string("kid", kid).map_err(too_large)?;
    writer.string("typ", TYP).map_err(too_large)?;
    writer.integer("iat", claims.issued_at).map_err(too_large)?;
    writer
        .string("jti", &claims.envelope_id)
        .map_err(too_large)?;
    writer
        .string("sid", &claims.session_id)
        .map_err(too_large)?;
    writer.string("origin", &claims.origin).map_err(too_large)?;
    let bytes = writer.finish().map_err(too_large)?;

    // The writer only emits ASCII here: every value passed the id, origin and base64url rules.
    let text = String::from_utf8(bytes.to_vec()).map_err(|_| SealError::TooLarge)?;
    Ok((text, claims))
}

/// Reads a decoded header, applying every header rule of the format in a fixed order.
pub(crate) fn read(bytes: &[u8]) -> Result<Header, FormatError> {
    let text = std::str::from_utf8(bytes).map_err(|_| FormatError::HeaderNotJson)?;
    let value = json::parse(text).map_err(|error| match error {
        JsonError::DuplicateMember => FormatError::DuplicateHeaderMember,
        JsonError::Syntax | JsonError::TooDeep => FormatError::HeaderNotJson,
    })?;
    let header = value.as_object().ok_or(FormatError::HeaderNotJson)?;

    // Algorithms first: an envelope for another algorithm is rejected as such, whatever else
    // is wrong with it (RFC 8725 section 3.1).
    let alg = header
        .get("alg")
        .ok_or(FormatError::MissingHeaderMember(HeaderParameter::Alg))?;
    if alg.as_str() != Some(ALG) {
        return Err(FormatError::UnsupportedAlg);
    }
    let enc = header
        .get("enc")
        .ok_or(FormatError::MissingHeaderMember(HeaderParameter::Enc))?;
    if enc.as_str() != Some(ENC) {
        return Err(FormatError::UnsupportedEnc);
    }
    if header.get("zip").is_some() {
        return Err(FormatError::ZipNotSupported);
    }
    if header.get("crit").is_some() {
        return Err(FormatError::CritNotSupported);
    }
    if header.names().any(|name| !KNOWN_MEMBERS.contains(&name)) {
        return Err(FormatError::UnknownHeaderMember);
    }

    let kid = required_str(header.get("kid"), HeaderParameter::Kid, claims::is_valid_id)?;
    required_str(header.get("typ"), HeaderParameter::Typ, |typ| typ == TYP)?;
    let issued_at = header
        .get("iat")
        .ok_or(FormatError::MissingHeaderMember(HeaderParameter::Iat))?
        .as_plain_u64(MAX_ISSUED_AT)
        .ok_or(FormatError::InvalidHeaderMember(HeaderParameter::Iat))?;
    let envelope_id = required_str(
        header.get("jti"),
        HeaderParameter::Jti,
        claims::is_valid_envelope_id,
    )?;
    let session_id = required_str(header.get("sid"), HeaderParameter::Sid, claims::is_valid_id)?;
    let origin = required_str(
        header.get("origin"),
        HeaderParameter::Origin,
        claims::is_valid_origin,
    )?;

    Ok(Header {
        kid: kid.to_owned(),
        claims: Claims {
            session_id: session_id.to_owned(),
            origin: origin.to_owned(),
            issued_at,
            envelope_id: envelope_id.to_owned(),
        },
    })
}

fn required_str<'v>(
    value: Option<&'v Value<'_>>,
    member: HeaderParameter,
    rule: impl Fn(&str) -> bool,
) -> Result<&'v str, FormatError> {
    let value = value.ok_or(FormatError::MissingHeaderMember(member))?;
    match value.as_str() {
        Some(text) if rule(text) => Ok(text),
        _ => Err(FormatError::InvalidHeaderMember(member)),
    }
}

#[cfg(test)]
mod tests {
    use super::claims::{MAX_ENVELOPE_ID_LEN, MAX_ID_LEN, MAX_ORIGIN_LEN};
    use super::*;

    fn binding() -> Binding {
        Binding {
            session_id: "cs_test_1".into(),
            origin: "https://shop.example".into(),
            issued_at: 1_767_225_600,
        }
    }

    #[test]
    fn writes_canonical_order() {
        let (text, claims) = write("test-2048", &binding(), &[0u8; 16]).unwrap();
        assert_eq!(
            text,
            "{\"alg\":\"RSA-OAEP-256\",\"enc\":\"A256GCM\",\"kid\":\"test-2048\",\
             \"typ\":\"cardseal-v1+jwe\",\"iat\":1767225600,\"jti\":\"AAAAAAAAAAAAAAAAAAAAAA\",\
             \"sid\":\"cs_test_1\",\"origin\":\"https://shop.example\"}"
        );
        let header = read(text.as_bytes()).unwrap();
        assert_eq!(header.kid, "test-2048");
        assert_eq!(header.claims, claims);
    }

    /// Writes the largest header the sealer can: every value at its longest.
    fn longest_header() -> String {
        let host = [
            "a".repeat(63),
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(61),
        ]
        .join(".");
        let binding = Binding {
            session_id: "s".repeat(MAX_ID_LEN),
            origin: format!("https://{host}:65535"),
            issued_at: MAX_ISSUED_AT,
        };
        assert_eq!(binding.origin.len(), MAX_ORIGIN_LEN);
        let (text, _) = write(&"k".repeat(MAX_ID_LEN), &binding, &[0xff; ENVELOPE_ID_LEN]).unwrap();
        text
    }

    #[test]
    fn longest_written_header_is_669_bytes() {
        assert_eq!(longest_header().len(), 669);
    }

    #[test]
    fn longest_readable_header_is_733_bytes() {
        // A reader also accepts an envelope id of 64 bytes (86 base64url characters).
        let written = longest_header();
        let short_id = base64url::encode(&[0xff; ENVELOPE_ID_LEN]);
        let long_id = base64url::encode(&[0xff; MAX_ENVELOPE_ID_LEN]);
        let text = written.replace(&short_id, &long_id);

        assert_eq!(text.len(), 733);
        assert!(text.len() <= MAX_HEADER_LEN);
        assert_eq!(read(text.as_bytes()).unwrap().claims.envelope_id, long_id);
    }

    #[test]
    fn write_checks_binding() {
        let mut bad = binding();
        bad.session_id = "a b".into();
        assert_eq!(
            write("k", &bad, &[0; 16]).unwrap_err(),
            SealError::InvalidSessionId
        );
        let mut bad = binding();
        bad.origin = "https://shop.example/".into();
        assert_eq!(
            write("k", &bad, &[0; 16]).unwrap_err(),
            SealError::InvalidOrigin
        );
        let mut bad = binding();
        bad.issued_at = MAX_ISSUED_AT + 1;
        assert_eq!(
            write("k", &bad, &[0; 16]).unwrap_err(),
            SealError::InvalidIssuedAt
        );
    }

    fn read_str(text: &str) -> Result<Header, FormatError> {
        read(text.as_bytes())
    }

    const BASE: &str = r#""kid":"k1","typ":"cardseal-v1+jwe","iat":1767225600,"jti":"AAAAAAAAAAAAAAAAAAAAAA","sid":"cs_1","origin":"https://shop.example""#;

    #[test]
    fn accepts_any_member_order_and_whitespace() {
        let text = format!("{{ {BASE} ,\n \"enc\" : \"A256GCM\", \"alg\":\"RSA-OAEP-256\" }}");
        assert!(read_str(&text).is_ok());
        let escaped = format!(r#"{{"alg":"RSA\u002dOAEP-256","enc":"A256GCM",{BASE}}}"#);
        assert!(read_str(&escaped).is_ok());
    }

    #[test]
    fn rejection_table() {
        use FormatError::*;
        use HeaderParameter as P;
        let alg_enc = r#""alg":"RSA-OAEP-256","enc":"A256GCM""#;
        let cases: Vec<(String, FormatError)> = vec![
            (
                format!(r#"{{"alg":"RSA1_5","enc":"A256GCM",{BASE}}}"#),
                UnsupportedAlg,
            ),
            (
                format!(r#"{{"alg":"rsa-oaep-256","enc":"A256GCM",{BASE}}}"#),
                UnsupportedAlg,
            ),
            (
                format!(r#"{{"alg":["RSA-OAEP-256"],"enc":"A256GCM",{BASE}}}"#),
                UnsupportedAlg,
            ),
            (
                format!(r#"{{"enc":"A256GCM",{BASE}}}"#),
                MissingHeaderMember(P::Alg),
            ),
            (
                format!(r#"{{"alg":"RSA-OAEP-256","enc":"A128GCM",{BASE}}}"#),
                UnsupportedEnc,
            ),
            (
                format!(r#"{{"alg":"RSA-OAEP-256",{BASE}}}"#),
                MissingHeaderMember(P::Enc),
            ),
            (
                format!(r#"{{{alg_enc},"zip":"DEF",{BASE}}}"#),
                ZipNotSupported,
            ),
            (
                format!(r#"{{{alg_enc},"crit":["exp"],"exp":1,{BASE}}}"#),
                CritNotSupported,
            ),
            (
                format!(r#"{{{alg_enc},"cty":"json",{BASE}}}"#),
                UnknownHeaderMember,
            ),
            (
                format!(r#"{{{alg_enc},"kid":"k1","kid":"k2"}}"#),
                DuplicateHeaderMember,
            ),
            (
                format!(r#"{{{alg_enc},"typ":"JWT"}}"#),
                MissingHeaderMember(P::Kid),
            ),
            (
                format!(r#"{{{alg_enc},"kid":""}}"#),
                InvalidHeaderMember(P::Kid),
            ),
            (
                format!(r#"{{{alg_enc},"kid":7}}"#),
                InvalidHeaderMember(P::Kid),
            ),
            (
                format!(r#"{{{alg_enc},"kid":"k1"}}"#),
                MissingHeaderMember(P::Typ),
            ),
            (
                format!(r#"{{{alg_enc},"kid":"k1","typ":"JWT"}}"#),
                InvalidHeaderMember(P::Typ),
            ),
            ("[]".into(), HeaderNotJson),
            ("{".into(), HeaderNotJson),
            ("\"alg\"".into(), HeaderNotJson),
        ];
        for (text, expected) in cases {
            assert_eq!(read_str(&text).unwrap_err(), expected, "{text}");
        }
    }

    #[test]
    fn claim_syntax() {
        let head = r#""alg":"RSA-OAEP-256","enc":"A256GCM","kid":"k1","typ":"cardseal-v1+jwe""#;
        let jti = r#""jti":"AAAAAAAAAAAAAAAAAAAAAA""#;
        let tail = r#""sid":"cs_1","origin":"https://shop.example""#;
        let iat_cases = [
            ("\"1767225600\"", false),
            ("1767225600.0", false),
            ("1.7e9", false),
            ("-1", false),
            ("9007199254740992", false),
            ("9007199254740991", true),
            ("0", true),
        ];
        for (iat, ok) in iat_cases {
            let text = format!(r#"{{{head},"iat":{iat},{jti},{tail}}}"#);
            assert_eq!(read_str(&text).is_ok(), ok, "{text}");
            if !ok {
                assert_eq!(
                    read_str(&text).unwrap_err(),
                    FormatError::InvalidHeaderMember(HeaderParameter::Iat)
                );
            }
        }
        let short_jti = format!(r#"{{{head},"iat":1,"jti":"AAAAAAAAAAAAAAAAAAAA",{tail}}}"#);
        assert_eq!(
            read_str(&short_jti).unwrap_err(),
            FormatError::InvalidHeaderMember(HeaderParameter::Jti)
        );
        let no_sid = format!(r#"{{{head},"iat":1,{jti},"origin":"https://a"}}"#);
        assert_eq!(
            read_str(&no_sid).unwrap_err(),
            FormatError::MissingHeaderMember(HeaderParameter::Sid)
        );
        let bad_origin = format!(r#"{{{head},"iat":1,{jti},"sid":"s","origin":"https://a/"}}"#);
        assert_eq!(
            read_str(&bad_origin).unwrap_err(),
            FormatError::InvalidHeaderMember(HeaderParameter::Origin)
        );
        assert_eq!(
            read(b"{\"alg\":\"\xff\"}").unwrap_err(),
            FormatError::HeaderNotJson
        );
    }
}
