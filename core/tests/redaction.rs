//! Debug output of everything that contains card data or key material shows none of it. No
//! error message of the card, key, seal or envelope layer contains a run of more than three
//! digits, apart from fixed key sizes and an RFC number in key errors.

#![cfg(all(feature = "open", feature = "rustcrypto", feature = "jwk"))]

mod common;

use base64ct::{Base64, Base64UrlUnpadded, Encoding};
use cardseal_core::card::{Card, CardInput};
use cardseal_core::envelope::{self, Binding, OpenPolicy, SealError};
use cardseal_core::key::{KeyError, PrivateKey, PublicKey};

const NUMBER: &str = "3530111333300000";
const CVC: &str = "123";

/// Fails if `debug` contains the card number (whole or as its first or last eight digits),
/// the CVC as a quoted string, or the holder's name.
fn assert_no_card_data(what: &str, debug: &str) {
    for secret in [
        NUMBER,
        &NUMBER[..8],
        &NUMBER[8..],
        "\"123\"",
        "TARO",
        "YAMADA",
        "Taro",
    ] {
        assert!(
            !debug.contains(secret),
            "{what} Debug shows {secret:?}: {debug}"
        );
    }
}

/// Fails if `debug` contains any of `bytes` written the ways Debug or a careless formatter
/// would write them: as a decimal list, lower or upper hex, base64 or base64url.
fn assert_no_bytes(what: &str, debug: &str, bytes: &[u8]) {
    let decimal = format!("{:?}", &bytes[..8]);
    let decimal = decimal.trim_end_matches(']');
    let hex: String = bytes[..8]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let encodings = [
        decimal.to_owned(),
        hex.clone(),
        hex.to_uppercase(),
        Base64::encode_string(bytes)[..10].to_owned(),
        Base64UrlUnpadded::encode_string(bytes)[..10].to_owned(),
    ];
    for encoding in encodings {
        assert!(
            !debug.contains(&encoding),
            "{what} Debug shows secret bytes as {encoding:?}: {debug}"
        );
    }
}

#[test]
fn seal_request_debug_is_redacted() {
    let input = CardInput {
        number: "3530 1113 3330 0000",
        expiry: "12/30",
        cvc: CVC,
        holder: Some("Taro Yamada"),
    };
    assert_no_card_data("CardInput", &format!("{input:?}"));

    let card = common::jcb_card();
    let keys = common::test_keys();
    let request = (&card, common::binding(), keys.primary.public_key());
    let debug = format!("{request:?}");
    assert_no_card_data("seal request", &debug);
    assert!(
        debug.contains("Jcb"),
        "Debug still tells the brand: {debug}"
    );

    assert_no_card_data("CardNumber", &format!("{:?}", card.number()));
    assert_no_card_data("Cvc", &format!("{:?}", card.cvc()));
    assert_no_card_data("HolderName", &format!("{:?}", card.holder()));
}

#[test]
fn prepared_debug_hides_cek_and_plaintext() {
    let keys = common::test_keys();
    let prepared = envelope::prepare(
        &common::jcb_card(),
        &common::binding(),
        keys.primary.public_key(),
    )
    .unwrap();
    let debug = format!("{prepared:?}");

    assert_no_card_data("Prepared", &debug);
    assert_no_bytes("Prepared", &debug, prepared.cek());
    assert!(
        !debug.contains("exp_month"),
        "Prepared Debug shows the payload: {debug}"
    );
    // The accessors do expose the secrets, on purpose, for the WebCrypto caller.
    assert!(
        std::str::from_utf8(prepared.plaintext())
            .unwrap()
            .contains(NUMBER)
    );
}

#[test]
fn private_key_debug_hides_key_material() {
    let keys = common::test_keys();
    let debug = format!("{:?}", keys.primary);
    let pem = keys.primary.to_pkcs8_pem().unwrap();

    // Every line of the PEM body is key material; none may appear.
    for line in pem.lines().filter(|line| !line.starts_with("-----")) {
        assert!(
            !debug.contains(&line[..16]),
            "PrivateKey Debug shows PEM text: {debug}"
        );
    }
    assert_no_bytes("PrivateKey", &debug, keys.primary.public_key().n());
    assert!(
        debug.contains("test-key-2048"),
        "Debug still tells the kid: {debug}"
    );
}

#[test]
fn opened_and_parsed_debug_are_redacted() {
    let keys = common::test_keys();
    let sealed = envelope::seal(
        &common::jcb_card(),
        &common::binding(),
        keys.primary.public_key(),
    )
    .unwrap();

    let parsed = envelope::parse(sealed.as_str()).unwrap();
    assert_no_card_data("ParsedEnvelope", &format!("{parsed:?}"));

    let opened = envelope::open(
        sealed.as_str(),
        |kid| keys.get(kid),
        &OpenPolicy::default(),
        common::ISSUED_AT,
    )
    .unwrap();
    let debug = format!("{opened:?}");
    assert_no_card_data("Opened", &debug);
    assert!(
        debug.contains(common::SESSION_ID),
        "claims stay visible: {debug}"
    );
}

/// Length of the longest run of ASCII digits in `text`.
fn longest_digit_run(text: &str) -> usize {
    text.split(|ch: char| !ch.is_ascii_digit())
        .map(str::len)
        .max()
        .unwrap_or(0)
}

#[test]
fn error_messages_carry_no_card_data() {
    let keys = common::test_keys();
    let manifest = common::manifest();
    let now = common::ISSUED_AT + 60;

    for entry in manifest["invalid"].as_array().unwrap() {
        let name = entry["name"].as_str().unwrap();
        let text = common::read_vector(entry["file"].as_str().unwrap());
        let error = envelope::open(&text, |kid| keys.get(kid), &OpenPolicy::default(), now)
            .map(|_| ())
            .unwrap_err();

        // Card numbers and CVCs would show as runs of digits; the fixed messages have at most
        // three in a row ("256" in RSA-OAEP-256).
        for shown in [error.to_string(), format!("{error:?}")] {
            assert!(longest_digit_run(&shown) <= 3, "{name}: {shown}");
        }
    }
}

/// Fixed text in key error messages that has four-digit numbers: the accepted key sizes and an
/// RFC number. Each is removed before the digit-run check, so any other run still fails it.
const KEY_MESSAGE_NUMBERS: [&str; 3] = ["2048 to 4096 bits", "2048, 3072 or 4096 bits", "RFC 7518"];

/// Fails if `text`, after removing `allowed`, has a run of more than three digits.
fn assert_short_digit_runs(what: &str, text: &str, allowed: &[&str]) {
    let mut stripped = text.to_owned();
    for fixed in allowed {
        stripped = stripped.replace(fixed, "");
    }
    assert!(longest_digit_run(&stripped) <= 3, "{what}: {text}");
}

#[test]
fn card_error_messages_carry_no_digits() {
    let today = common::today();
    let inputs = [
        ("4242 4242 4242 4241", "13/30", "12345", Some("Taro1")),
        ("4242424242424242²", "12/2099", "12a", Some("TARO 4242")),
        ("3530111333300000 x", "１２／２０", "", Some("山田")),
        (
            "",
            "1230 45",
            "4242424",
            Some("TARO YAMADA TARO YAMADA TARO"),
        ),
        ("4242\u{0664}4242", "0177/30", "\u{0663}21", None),
        ("9999999999999999", "12-30", "12", None),
        ("42424242424242424242", "00/30", "1234", None),
    ];
    for (number, expiry, cvc, holder) in inputs {
        let input = CardInput {
            number,
            expiry,
            cvc,
            holder,
        };
        let errors = Card::parse(&input, today).expect_err("every input has an invalid field");
        assert_eq!(errors.len(), 4 - usize::from(holder.is_none()), "{errors}");

        // Card messages spell lengths in words, so they contain no digit at all.
        for shown in [errors.to_string(), format!("{errors:?}")] {
            assert!(!shown.chars().any(|c| c.is_numeric()), "{shown}");
        }
        for error in &errors {
            let shown = format!("{error} {error:?}");
            assert!(!shown.chars().any(|c| c.is_numeric()), "{shown}");
        }
    }
}

#[test]
fn key_error_messages_carry_no_key_material() {
    let keys = common::test_keys();
    let pem = keys.primary.to_pkcs8_pem().unwrap();
    let truncated_pem = pem[..pem.len() / 2].to_owned() + "\n-----END PRIVATE KEY-----\n";
    let n = Base64UrlUnpadded::encode_string(keys.primary.public_key().n());
    let public_jwk = keys.primary.public_key().to_jwk();

    let mut errors = vec![
        PublicKey::from_jwk("{\"kty\":\"RSA\",\"n\":\"4242424242424242\",\"e\":\"AQAB\"}")
            .unwrap_err(),
        PublicKey::from_jwk(&format!("{{\"kty\":\"RSA\",\"n\":\"{n}\",\"e\":\"Ag\"}}"))
            .unwrap_err(),
        PublicKey::from_jwk(&format!(
            "{{\"kty\":\"RSA\",\"n\":\"AA{n}\",\"e\":\"AQAB\"}}"
        ))
        .unwrap_err(),
        PublicKey::from_jwk(&public_jwk.replace("\"kty\":", "\"d\":\"4242\",\"kty\":"))
            .unwrap_err(),
        PublicKey::from_jwk("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"4242\"}").unwrap_err(),
        PublicKey::from_jwk("[4242424242424242]").unwrap_err(),
        PublicKey::from_jwks("{\"keys\":[]}", Some("4242424242424242")).unwrap_err(),
        PublicKey::from_spki_pem(&pem, "test-key-2048").unwrap_err(),
        PublicKey::from_spki_pem("4242424242424242", "test-key-2048").unwrap_err(),
        PublicKey::from_components("k", &[0xff; 128], &[1, 0, 1]).unwrap_err(),
        PublicKey::from_components("4242 4242", &[0xff; 256], &[1, 0, 1]).unwrap_err(),
        PrivateKey::from_pkcs8_pem(&truncated_pem, "test-key-2048").unwrap_err(),
        PrivateKey::from_pkcs8_pem(&pem, "4242/4242").unwrap_err(),
        PrivateKey::generate(1024, "k").unwrap_err(),
    ];
    errors.extend([
        KeyError::InvalidKid,
        KeyError::ModulusSize,
        KeyError::InvalidModulus,
        KeyError::InvalidExponent,
        KeyError::InvalidJson,
        KeyError::UnsupportedKeyType,
        KeyError::MissingMember("n"),
        KeyError::InvalidMember("e"),
        KeyError::NonMinimalInteger("n"),
        KeyError::UnsupportedUse,
        KeyError::UnsupportedAlgorithm,
        KeyError::PrivateKeyMaterial,
        KeyError::KidNotFound,
        KeyError::DuplicateKid,
        KeyError::NoEncryptionKey,
        KeyError::InvalidPem,
        KeyError::InvalidDer,
        KeyError::InvalidPrivateKey,
        KeyError::UnsupportedKeySize,
        KeyError::CryptoFailure,
    ]);

    for error in errors {
        for shown in [error.to_string(), format!("{error:?}")] {
            assert_short_digit_runs(error.code(), &shown, &KEY_MESSAGE_NUMBERS);
            assert!(!shown.contains("4242"), "{shown}");
            assert!(!shown.contains(&n[..16]), "{shown}");
        }
    }
}

#[test]
fn seal_error_messages_carry_no_card_data() {
    let keys = common::test_keys();
    let card = common::jcb_card();
    let key = keys.primary.public_key();
    let bound_to = |session_id: &str, origin: &str, issued_at: u64| Binding {
        session_id: session_id.to_owned(),
        origin: origin.to_owned(),
        issued_at,
    };

    let mut errors = vec![
        envelope::prepare(&card, &bound_to(NUMBER, "https://", 0), key).unwrap_err(),
        envelope::prepare(&card, &bound_to("cs 3530", common::ORIGIN, 0), key).unwrap_err(),
        envelope::prepare(&card, &bound_to("cs", "https://3530111333300000", 0), key).unwrap_err(),
        envelope::prepare(&card, &bound_to("cs", common::ORIGIN, u64::MAX), key).unwrap_err(),
    ];
    let prepared = || envelope::prepare(&card, &common::binding(), key).unwrap();
    let plaintext_len = prepared().plaintext().len();
    errors.push(prepared().assemble(&[0x35; 255], &[0; 200]).unwrap_err());
    errors.push(
        prepared()
            .assemble(&[0x35; 256], &vec![0x30; plaintext_len])
            .unwrap_err(),
    );
    errors.extend([
        SealError::InvalidSessionId,
        SealError::InvalidOrigin,
        SealError::InvalidIssuedAt,
        SealError::TooLarge,
        SealError::RandomUnavailable,
        SealError::EncryptionFailed,
        SealError::EncryptedKeyLength,
        SealError::CiphertextLength,
    ]);

    for error in errors {
        for shown in [error.to_string(), format!("{error:?}")] {
            assert_short_digit_runs(error.code(), &shown, &[]);
            assert_no_card_data(error.code(), &shown);
        }
    }
}
