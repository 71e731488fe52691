//! Debug output of everything that contains card data or key material shows none of it.

#![cfg(all(feature = "open", feature = "rustcrypto", feature = "jwk"))]

mod common;

use base64ct::{Base64, Base64UrlUnpadded, Encoding};
use cardseal_core::card::CardInput;
use cardseal_core::envelope::{self, OpenPolicy};

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
