//! The checks behind each fuzz target. Each takes the fuzzer's bytes, drives one parser, and
//! asserts properties that must hold for every input, not only that nothing panics.
//!
//! `core/tests/fuzz_corpus.rs` includes this file and replays `core/fuzz/corpus/` through it,
//! so the committed corpus runs in every `cargo test`.

use std::sync::OnceLock;

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64ct::{Base64UrlUnpadded, Encoding};
use cardseal_core::card::{
    Card, CardInput, YearMonth, detect_brand, format_number, normalize_number, parse_expiry,
};
use cardseal_core::envelope::{self, Binding, MAX_ENVELOPE_LEN, ParsedEnvelope};
use cardseal_core::key::{PrivateKey, PublicKey};

/// TEST KEY, never use: the committed test vector key.
const TEST_KEY_PEM: &str = include_str!("../../vectors/keys/test-key-2048.pem");
const TEST_KID: &str = "test-key-2048";

/// A valid envelope whose last four parts are reused around a fuzzed header.
const TEMPLATE: &str = include_str!("../../vectors/valid/visa_basic.jwe");

/// Every valid vector sealed to the test key: the only envelopes that may open.
const OPENABLE: [&str; 7] = [
    TEMPLATE,
    include_str!("../../vectors/valid/jcb_with_holder.jwe"),
    include_str!("../../vectors/valid/amex_four_digit_cvc.jwe"),
    include_str!("../../vectors/valid/diners_14_digits.jwe"),
    include_str!("../../vectors/valid/mastercard_cvc_leading_zero.jwe"),
    include_str!("../../vectors/valid/unionpay_19_digits.jwe"),
    include_str!("../../vectors/valid/header_reordered.jwe"),
];

/// The header of every envelope the payload target builds.
const PAYLOAD_HEADER: &str = r#"{"alg":"RSA-OAEP-256","enc":"A256GCM","kid":"test-key-2048","typ":"cardseal-v1+jwe","iat":1767225600,"jti":"AAAAAAAAAAAAAAAAAAAAAA","sid":"cs_fuzz","origin":"https://shop.example"}"#;

const PAYLOAD_CEK: [u8; 32] = [7; 32];
const PAYLOAD_IV: [u8; 12] = [9; 12];

fn test_key() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| PrivateKey::from_pkcs8_pem(TEST_KEY_PEM, TEST_KID).expect("test key loads"))
}

fn b64(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(bytes)
}

/// Fuzzes the envelope parser. The first byte picks the mode. When it is even, the rest is the
/// whole envelope text. When it is odd, the rest is the header JSON, placed in front of a valid
/// envelope's other four parts, so that the header rules and the open path behind them are
/// reached.
pub fn envelope_parse(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        if let Ok(text) = std::str::from_utf8(rest) {
            check_envelope(text);
        }
    } else {
        let tail = &TEMPLATE[TEMPLATE.find('.').expect("template has five parts")..];
        check_envelope(&format!("{}{tail}", b64(rest)));
    }
}

fn check_envelope(text: &str) {
    match envelope::parse(text) {
        Ok(parsed) => {
            check_parsed(text, &parsed);

            // Only the valid vectors open; anything else the parser let through must fail the
            // one way an open fails.
            match parsed.open(test_key()) {
                Ok(_) => assert!(
                    OPENABLE.contains(&text),
                    "an envelope other than a valid vector opened"
                ),
                Err(error) => assert_eq!(error.to_string(), "envelope could not be opened"),
            }
        }
        Err(error) => {
            assert!(!error.code().is_empty());
            assert!(!error.to_string().is_empty());
        }
    }
}

/// Properties of everything `parse` accepts.
fn check_parsed(text: &str, parsed: &ParsedEnvelope) {
    assert!(text.len() <= MAX_ENVELOPE_LEN);
    assert_eq!(text.split('.').count(), 5);
    assert_eq!(parsed.protected(), text.split('.').next().unwrap());
    assert!((256..=512).contains(&parsed.encrypted_key().len()));
    assert!((1..=512).contains(&parsed.ciphertext().len()));

    let kid = parsed.kid();
    assert!(!kid.is_empty());
    assert!(kid.len() <= 128);
    assert!(
        kid.bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"-_.".contains(&byte))
    );
    let claims = parsed.claims();
    assert!(claims.origin().starts_with("https://") || claims.origin().starts_with("http://"));
    assert!(claims.envelope_id().len() >= 22);
    assert!(claims.issued_at() < 1 << 53);

    // The parse is a function of the text.
    let again = envelope::parse(text).expect("second parse");
    assert_eq!(again.claims(), claims);
    assert_eq!(again.kid(), kid);
}

/// Card payload reader, behind a real decryption: the fuzzed bytes are encrypted as the payload
/// of an otherwise valid envelope, so every input reaches the payload JSON and card checks.
pub fn envelope_payload(data: &[u8]) {
    static ENCRYPTED_KEY: OnceLock<String> = OnceLock::new();
    let encrypted_key = ENCRYPTED_KEY.get_or_init(|| {
        let public = test_key().public_key();
        let key = rsa::PublicKey::new(
            rsa::BoxedUint::from_be_slice_vartime(public.n()),
            rsa::BoxedUint::from_be_slice_vartime(public.e()),
        )
        .expect("test key");
        let mut rng = FixedPadding;
        b64(&key
            .encrypt(
                &mut rng,
                rsa::Oaep::<rsa::sha2::Sha256>::new(),
                &PAYLOAD_CEK,
            )
            .expect("wrap"))
    });

    let protected = b64(PAYLOAD_HEADER.as_bytes());
    let cipher = Aes256Gcm::new_from_slice(&PAYLOAD_CEK).expect("key length");
    let mut buffer = data.to_vec();
    let tag = cipher
        .encrypt_inout_detached(
            &Nonce::from(PAYLOAD_IV),
            protected.as_bytes(),
            buffer.as_mut_slice().into(),
        )
        .expect("encrypt");
    let text = [
        protected,
        encrypted_key.clone(),
        b64(&PAYLOAD_IV),
        b64(&buffer),
        b64(&tag),
    ]
    .join(".");

    let Ok(parsed) = envelope::parse(&text) else {
        // Only the payload size can make this envelope malformed.
        assert!(data.is_empty() || data.len() > 512);
        return;
    };
    let Ok(card) = parsed.open(test_key()) else {
        return;
    };

    // A payload that opened is a card the sealer can write again, and that opens to itself.
    assert!(
        card.number()
            .expose_digits()
            .bytes()
            .all(|byte| byte.is_ascii_digit())
    );
    assert!(
        card.cvc()
            .expose()
            .bytes()
            .all(|byte| byte.is_ascii_digit())
    );
    let binding = Binding {
        session_id: "cs_fuzz".into(),
        origin: "https://shop.example".into(),
        issued_at: 0,
    };
    let resealed = envelope::seal(&card, &binding, test_key().public_key()).expect("reseal");
    let reopened = envelope::parse(resealed.as_str())
        .expect("reparse")
        .open(test_key())
        .expect("reopen");
    assert_eq!(reopened, card);
}

/// A fixed byte sequence as the `rsa` RNG: the OAEP seed of one encryption of a fixed test CEK
/// needs no secrecy, and a fixed one keeps the target deterministic.
struct FixedPadding;

impl rsa::rand_core::TryRng for FixedPadding {
    type Error = std::convert::Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut bytes = [0u8; 4];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u32::from_le_bytes(bytes))
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut bytes = [0u8; 8];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u64::from_le_bytes(bytes))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for (index, byte) in dst.iter_mut().enumerate() {
            *byte = (index as u8).wrapping_mul(31).wrapping_add(17);
        }
        Ok(())
    }
}

impl rsa::rand_core::TryCryptoRng for FixedPadding {}

/// Card parsing. The input is split on `|` into number, expiry, CVC and holder name.
pub fn card_parse(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut fields = text.splitn(4, '|');
    let number = fields.next().unwrap_or("");
    let expiry = fields.next().unwrap_or("");
    let cvc = fields.next().unwrap_or("");
    let holder = fields.next();
    let today = YearMonth::new(2026, 1).expect("valid month");

    match normalize_number(number) {
        Ok(digits) => {
            assert!(digits.bytes().all(|byte| byte.is_ascii_digit()));
            let formatted = format_number(&digits);
            assert_eq!(formatted.replace(' ', ""), digits);
            assert!(
                !formatted.contains("  ")
                    && !formatted.starts_with(' ')
                    && !formatted.ends_with(' ')
            );
            let _ = detect_brand(&digits);
        }
        Err(error) => assert_no_digits(&error.to_string()),
    }
    if let Err(error) = parse_expiry(expiry, today) {
        assert_no_digits(&error.to_string());
    }

    let input = CardInput {
        number,
        expiry,
        cvc,
        holder,
    };
    match Card::parse(&input, today) {
        Ok(card) => {
            let digits = card.number().expose_digits();
            assert!(digits.bytes().all(|byte| byte.is_ascii_digit()));
            assert!(card.brand().lengths().contains(&(digits.len() as u8)));
            assert_eq!(
                card.cvc().expose().len(),
                usize::from(card.brand().cvc_length())
            );
            assert!((1..=12).contains(&card.expiry().month()));
            assert!(!card.expiry().is_expired(today));
            if let Some(name) = card.holder() {
                assert!(
                    name.as_str()
                        .bytes()
                        .all(|byte| byte.is_ascii_uppercase() || b" -'.".contains(&byte))
                );
            }
            let debug = format!("{card:?}");
            assert!(!debug.contains(digits));
        }
        Err(errors) => {
            assert!(!errors.is_empty());
            assert_no_digits(&errors.to_string());
        }
    }
}

/// Card error messages never contain a digit, so they cannot quote a card number.
fn assert_no_digits(message: &str) {
    assert!(
        !message.bytes().any(|byte| byte.is_ascii_digit()),
        "digit in message: {message}"
    );
}

/// Key parsers: JWK, JWKS, SPKI PEM and PKCS#8 PEM. Whatever parses exports and re-reads to
/// the same key.
pub fn key_parse(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for key in [
        PublicKey::from_jwk(text),
        PublicKey::from_jwks(text, None),
        PublicKey::from_jwks(text, Some(TEST_KID)),
    ]
    .into_iter()
    .flatten()
    {
        assert!((2048..=4096).contains(&key.modulus_bits()));
        assert_eq!(
            PublicKey::from_jwk(&key.to_jwk()).expect("exported JWK reads back"),
            key
        );
    }
    if let Ok(key) = PublicKey::from_spki_pem(text, "fuzz") {
        let pem = key.to_spki_pem().expect("SPKI export");
        assert_eq!(
            PublicKey::from_spki_pem(&pem, "fuzz").expect("exported SPKI reads back"),
            key
        );
    }
    if let Ok(key) = PrivateKey::from_pkcs8_pem(text, "fuzz") {
        assert!((2048..=4096).contains(&key.modulus_bits()));
    }
}
