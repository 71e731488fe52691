//! After parsing, every failure to open is the same error: same value, same code, same message,
//! same Debug. A service that relays any of them cannot become a decryption oracle.

#![cfg(all(feature = "open", feature = "rustcrypto", feature = "jwk"))]

mod common;

use cardseal_core::envelope::{self, Error, OpenError, OpenPolicy};

/// Every envelope in the vectors that parses and passes the policy but must not open.
fn open_class_vectors() -> Vec<(String, String)> {
    let manifest = common::manifest();
    manifest["invalid"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["class"] == "open")
        .map(|entry| {
            let name = entry["name"].as_str().unwrap().to_owned();
            (name, common::read_vector(entry["file"].as_str().unwrap()))
        })
        .collect()
}

/// Collects every way to get an `OpenError` out of the crate, as (case, error).
fn all_open_errors() -> Vec<(String, OpenError)> {
    let keys = common::test_keys();
    let mut errors = Vec::new();

    for (name, text) in open_class_vectors() {
        let parsed = envelope::parse(&text).unwrap_or_else(|error| panic!("{name}: {error}"));
        let error = parsed.open(&keys.primary).expect_err(&name);
        errors.push((name, error));
    }

    // A sound envelope opened with the wrong key, and with a key of another size.
    let sealed = envelope::seal(
        &common::jcb_card(),
        &common::binding(),
        keys.primary.public_key(),
    )
    .unwrap();
    let parsed = envelope::parse(sealed.as_str()).unwrap();
    errors.push(("other_key".into(), parsed.open(&keys.other).unwrap_err()));
    errors.push(("larger_key".into(), parsed.open(&keys.large).unwrap_err()));
    assert!(
        parsed.open(&keys.primary).is_ok(),
        "the control envelope opens"
    );

    errors
}

#[test]
fn every_post_parse_failure_is_identical() {
    let errors = all_open_errors();
    assert!(errors.len() >= 20, "only {} cases", errors.len());

    let reference = OpenError::clone(&errors[0].1);
    for (name, error) in &errors {
        assert_eq!(*error, reference, "{name}: value");
        assert_eq!(error.code(), "open_failed", "{name}: code");
        assert_eq!(
            error.to_string(),
            "envelope could not be opened",
            "{name}: message"
        );
        assert_eq!(
            format!("{error:?}"),
            format!("{reference:?}"),
            "{name}: Debug"
        );
    }
}

#[test]
fn open_convenience_wraps_the_same_error() {
    let keys = common::test_keys();
    let now = common::ISSUED_AT + 60;
    let mut messages = Vec::new();

    for (name, text) in open_class_vectors() {
        let error = envelope::open(&text, |kid| keys.get(kid), &OpenPolicy::default(), now)
            .map(|_| ())
            .expect_err(&name);
        assert!(matches!(error, Error::Open(_)), "{name}: {error:?}");
        messages.push((name, error.to_string(), error.code()));
    }

    for (name, message, code) in &messages {
        assert_eq!(message, &messages[0].1, "{name}: message");
        assert_eq!(*code, "open_failed", "{name}: code");
    }
}
