//! Key formats: JWK, JWKS, SPKI PEM and PKCS#8 PEM, read strictly and written canonically.

#![cfg(all(feature = "open", feature = "rustcrypto", feature = "jwk"))]

mod common;

use base64ct::{Base64UrlUnpadded, Encoding};
use cardseal_core::envelope;
use cardseal_core::key::{KeyError, PrivateKey, PublicKey, jwks};

fn b64(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(bytes)
}

/// Writes a JWK of `key` with `extra` members appended (raw JSON text).
fn jwk_with(key: &PublicKey, extra: &str) -> String {
    format!(
        "{{\"kty\":\"RSA\",\"kid\":\"{}\",\"n\":\"{}\",\"e\":\"{}\"{extra}}}",
        key.kid(),
        b64(key.n()),
        b64(key.e())
    )
}

#[test]
fn jwk_export_is_canonical_and_round_trips() {
    let keys = common::test_keys();
    let key = keys.primary.public_key();
    let jwk = key.to_jwk();

    assert_eq!(
        jwk,
        format!(
            "{{\"kty\":\"RSA\",\"kid\":\"test-key-2048\",\"use\":\"enc\",\"alg\":\"RSA-OAEP-256\",\
             \"n\":\"{}\",\"e\":\"AQAB\"}}",
            b64(key.n())
        )
    );
    assert_eq!(&PublicKey::from_jwk(&jwk).unwrap(), key);
    assert_eq!(key.n().len(), 256);
    assert_ne!(key.n()[0], 0, "n is exported without a leading zero");
}

#[test]
fn jwk_rejection_table() {
    let keys = common::test_keys();
    let key = keys.primary.public_key();
    let n = b64(key.n());
    let mut n_with_zero = vec![0u8];
    n_with_zero.extend_from_slice(key.n());
    let n_with_zero = b64(&n_with_zero);

    let cases: Vec<(String, KeyError)> = vec![
        ("not json".into(), KeyError::InvalidJson),
        ("[]".into(), KeyError::InvalidJson),
        (jwk_with(key, ",\"kid\":\"again\""), KeyError::InvalidJson),
        (
            format!("{{\"kid\":\"k\",\"n\":\"{n}\",\"e\":\"AQAB\"}}"),
            KeyError::MissingMember("kty"),
        ),
        (
            format!("{{\"kty\":\"EC\",\"kid\":\"k\",\"n\":\"{n}\",\"e\":\"AQAB\"}}"),
            KeyError::UnsupportedKeyType,
        ),
        (
            format!("{{\"kty\":\"RSA\",\"n\":\"{n}\",\"e\":\"AQAB\"}}"),
            KeyError::MissingMember("kid"),
        ),
        (
            format!("{{\"kty\":\"RSA\",\"kid\":\"a/b\",\"n\":\"{n}\",\"e\":\"AQAB\"}}"),
            KeyError::InvalidKid,
        ),
        (
            "{\"kty\":\"RSA\",\"kid\":\"k\",\"e\":\"AQAB\"}".to_owned(),
            KeyError::MissingMember("n"),
        ),
        (
            format!("{{\"kty\":\"RSA\",\"kid\":\"k\",\"n\":\"{n}\"}}"),
            KeyError::MissingMember("e"),
        ),
        (
            format!("{{\"kty\":\"RSA\",\"kid\":\"k\",\"n\":\"{n}\",\"e\":65537}}"),
            KeyError::InvalidMember("e"),
        ),
        (
            format!("{{\"kty\":\"RSA\",\"kid\":\"k\",\"n\":\"{n}=\",\"e\":\"AQAB\"}}"),
            KeyError::InvalidMember("n"),
        ),
        (
            format!("{{\"kty\":\"RSA\",\"kid\":\"k\",\"n\":\"{n_with_zero}\",\"e\":\"AQAB\"}}"),
            KeyError::NonMinimalInteger("n"),
        ),
        (
            format!("{{\"kty\":\"RSA\",\"kid\":\"k\",\"n\":\"{n}\",\"e\":\"AAEAAQ\"}}"),
            KeyError::NonMinimalInteger("e"),
        ),
        (
            format!("{{\"kty\":\"RSA\",\"kid\":\"k\",\"n\":\"{n}\",\"e\":\"Ag\"}}"),
            KeyError::InvalidExponent,
        ),
        (
            format!("{{\"kty\":\"RSA\",\"kid\":\"k\",\"n\":\"{n}\",\"e\":\"AQA\"}}"),
            KeyError::InvalidExponent,
        ),
        (
            format!(
                "{{\"kty\":\"RSA\",\"kid\":\"k\",\"n\":\"{}\",\"e\":\"AQAB\"}}",
                b64(&key.n()[..128])
            ),
            KeyError::ModulusSize,
        ),
        (jwk_with(key, ",\"use\":\"sig\""), KeyError::UnsupportedUse),
        (
            jwk_with(key, ",\"key_ops\":[\"verify\"]"),
            KeyError::UnsupportedUse,
        ),
        (
            jwk_with(key, ",\"alg\":\"RSA1_5\""),
            KeyError::UnsupportedAlgorithm,
        ),
        (
            jwk_with(key, ",\"alg\":\"RSA-OAEP\""),
            KeyError::UnsupportedAlgorithm,
        ),
        (
            jwk_with(key, ",\"d\":\"AQAB\""),
            KeyError::PrivateKeyMaterial,
        ),
        (
            jwk_with(key, ",\"p\":\"AQAB\""),
            KeyError::PrivateKeyMaterial,
        ),
    ];
    for (jwk, expected) in cases {
        let shown: String = jwk.chars().take(60).collect();
        assert_eq!(
            PublicKey::from_jwk(&jwk).map(|_| ()),
            Err(expected),
            "{shown}"
        );
    }
}

#[test]
fn jwk_accepts_optional_members() {
    let keys = common::test_keys();
    let key = keys.primary.public_key();
    let extras = [
        ",\"use\":\"enc\",\"alg\":\"RSA-OAEP-256\"",
        ",\"key_ops\":[\"encrypt\"]",
        ",\"key_ops\":[\"wrapKey\",\"verify\"]",
        ",\"ext\":true,\"x5t#S256\":\"abc\"",
    ];
    for extra in extras {
        assert_eq!(
            &PublicKey::from_jwk(&jwk_with(key, extra)).unwrap(),
            key,
            "{extra}"
        );
    }
}

#[test]
fn from_components_strips_leading_zeros() {
    let keys = common::test_keys();
    let key = keys.primary.public_key();
    let mut n = vec![0u8];
    n.extend_from_slice(key.n());

    let rebuilt = PublicKey::from_components(key.kid(), &n, &[0, 1, 0, 1]).unwrap();
    assert_eq!(&rebuilt, key);
    assert_eq!(rebuilt.modulus_bits(), 2048);
}

#[test]
fn jwks_selection() {
    let keys = common::test_keys();
    let published = jwks(&[
        keys.primary.public_key().clone(),
        keys.large.public_key().clone(),
    ]);

    assert_eq!(
        &PublicKey::from_jwks(&published, None).unwrap(),
        keys.primary.public_key()
    );
    assert_eq!(
        &PublicKey::from_jwks(&published, Some("test-key-4096")).unwrap(),
        keys.large.public_key()
    );
    assert_eq!(
        PublicKey::from_jwks(&published, Some("nope")).unwrap_err(),
        KeyError::KidNotFound
    );

    // Signing keys and other key types are skipped when no kid is given.
    let primary = keys.primary.public_key();
    let mixed = format!(
        "{{\"keys\":[{{\"kty\":\"EC\",\"kid\":\"ec\",\"crv\":\"P-256\"}},{},{}]}}",
        jwk_with(keys.other.public_key(), ",\"use\":\"sig\""),
        jwk_with(primary, ""),
    );
    assert_eq!(&PublicKey::from_jwks(&mixed, None).unwrap(), primary);
    assert_eq!(
        PublicKey::from_jwks(&mixed, Some("ec")).unwrap_err(),
        KeyError::UnsupportedKeyType
    );

    let duplicate = format!(
        "{{\"keys\":[{},{}]}}",
        jwk_with(primary, ""),
        jwk_with(primary, "")
    );
    assert_eq!(
        PublicKey::from_jwks(&duplicate, None).unwrap_err(),
        KeyError::DuplicateKid
    );

    let none = "{\"keys\":[{\"kty\":\"oct\",\"k\":\"AAAA\"}]}";
    assert_eq!(
        PublicKey::from_jwks(none, None).unwrap_err(),
        KeyError::NoEncryptionKey
    );
    assert_eq!(
        PublicKey::from_jwks("{}", None).unwrap_err(),
        KeyError::MissingMember("keys")
    );
    assert_eq!(
        PublicKey::from_jwks("{\"keys\":{}}", None).unwrap_err(),
        KeyError::InvalidMember("keys")
    );
    assert_eq!(
        PublicKey::from_jwks("{\"keys\":[1]}", None).unwrap_err(),
        KeyError::InvalidMember("keys")
    );
}

#[test]
fn spki_round_trip_and_rejections() {
    let keys = common::test_keys();
    let key = keys.large.public_key();
    let pem = key.to_spki_pem().unwrap();

    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
    assert_eq!(
        &PublicKey::from_spki_pem(&pem, "test-key-4096").unwrap(),
        key
    );

    let renamed = PublicKey::from_spki_pem(&pem, "renamed").unwrap();
    assert_eq!(renamed.kid(), "renamed");
    assert_eq!(renamed.n(), key.n());

    assert_eq!(
        PublicKey::from_spki_pem(&pem, "").unwrap_err(),
        KeyError::InvalidKid
    );
    assert_eq!(
        PublicKey::from_spki_pem("hello", "k").unwrap_err(),
        KeyError::InvalidPem
    );
    let private_pem = keys.primary.to_pkcs8_pem().unwrap();
    assert_eq!(
        PublicKey::from_spki_pem(&private_pem, "k").unwrap_err(),
        KeyError::InvalidPem
    );
    let relabelled = pem.replace("PUBLIC KEY", "RSA PUBLIC KEY");
    assert_eq!(
        PublicKey::from_spki_pem(&relabelled, "k").unwrap_err(),
        KeyError::InvalidPem
    );
    let truncated = pem.replace(
        "-----BEGIN PUBLIC KEY-----\n",
        "-----BEGIN PUBLIC KEY-----\nAAAA",
    );
    assert!(PublicKey::from_spki_pem(&truncated, "k").is_err());
}

#[test]
fn pkcs8_round_trip() {
    let keys = common::test_keys();
    let pem = keys.primary.to_pkcs8_pem().unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));

    let reloaded = PrivateKey::from_pkcs8_pem(&pem, "test-key-2048").unwrap();
    assert_eq!(reloaded.public_key(), keys.primary.public_key());

    // The reloaded key opens what was sealed to the original.
    let sealed = envelope::seal(
        &common::jcb_card(),
        &common::binding(),
        keys.primary.public_key(),
    )
    .unwrap();
    let parsed = envelope::parse(sealed.as_str()).unwrap();
    assert_eq!(parsed.open(&reloaded).unwrap(), common::jcb_card());
}

#[test]
fn private_key_rejections() {
    let keys = common::test_keys();
    let pem = keys.primary.to_pkcs8_pem().unwrap();

    assert_eq!(
        PrivateKey::from_pkcs8_pem(&pem, "a b").unwrap_err(),
        KeyError::InvalidKid
    );
    // A key store keeps `{kid}.pem`, where `.` and `..` would name directories.
    for kid in [".", ".."] {
        assert_eq!(
            PrivateKey::from_pkcs8_pem(&pem, kid).unwrap_err(),
            KeyError::InvalidKid
        );
        assert_eq!(
            PublicKey::from_components(kid, keys.primary.public_key().n(), &[1, 0, 1]).unwrap_err(),
            KeyError::InvalidKid
        );
    }
    assert_eq!(
        PrivateKey::from_pkcs8_pem("no pem", "k").unwrap_err(),
        KeyError::InvalidPem
    );
    let spki = keys.primary.public_key().to_spki_pem().unwrap();
    assert_eq!(
        PrivateKey::from_pkcs8_pem(&spki, "k").unwrap_err(),
        KeyError::InvalidPem
    );
    let garbage = "-----BEGIN PRIVATE KEY-----\nAAAAAAAA\n-----END PRIVATE KEY-----\n";
    assert_eq!(
        PrivateKey::from_pkcs8_pem(garbage, "k").unwrap_err(),
        KeyError::InvalidPrivateKey
    );

    assert_eq!(
        PrivateKey::generate(1024, "k").unwrap_err(),
        KeyError::UnsupportedKeySize
    );
    assert_eq!(
        PrivateKey::generate(2047, "k").unwrap_err(),
        KeyError::UnsupportedKeySize
    );
    assert_eq!(
        PrivateKey::generate(8192, "k").unwrap_err(),
        KeyError::UnsupportedKeySize
    );
    assert_eq!(
        PrivateKey::generate(2048, "").unwrap_err(),
        KeyError::InvalidKid
    );
}

/// Reads a TEST KEY of an unsupported size from `core/tests/key_files/`.
fn odd_size_key(bits: usize) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("tests/key_files/test-key-{bits}-bits.pem"));
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

#[test]
fn pkcs8_modulus_outside_range_is_modulus_size() {
    // aws-lc-rs itself rejects the 2047-bit key as invalid and accepts the 4104-bit one; both
    // must report the size.
    for bits in [2047, 4104] {
        assert_eq!(
            PrivateKey::from_pkcs8_pem(&odd_size_key(bits), "k").unwrap_err(),
            KeyError::ModulusSize,
            "{bits}-bit key"
        );
    }

    let keys = common::test_keys();
    for key in [&keys.primary, &keys.large] {
        let pem = key.to_pkcs8_pem().unwrap();
        let reloaded = PrivateKey::from_pkcs8_pem(&pem, "k").unwrap();
        assert_eq!(reloaded.modulus_bits(), key.modulus_bits());
    }
}

#[test]
fn generated_key_seals_and_opens() {
    let key = PrivateKey::generate(3072, "generated-3072").unwrap();
    assert_eq!(key.modulus_bits(), 3072);
    assert_eq!(key.public_key().kid(), "generated-3072");
    assert_eq!(key.public_key().e(), &[1, 0, 1]);

    let sealed = envelope::seal(&common::jcb_card(), &common::binding(), key.public_key()).unwrap();
    let parsed = envelope::parse(sealed.as_str()).unwrap();
    assert_eq!(parsed.encrypted_key().len(), 384);
    assert_eq!(parsed.open(&key).unwrap(), common::jcb_card());
}

#[test]
fn key_errors_have_stable_codes_and_quiet_messages() {
    let errors = [
        (KeyError::InvalidKid, "invalid_kid"),
        (KeyError::NonMinimalInteger("n"), "non_minimal_integer"),
        (KeyError::PrivateKeyMaterial, "private_key_material"),
        (KeyError::KidNotFound, "kid_not_found"),
    ];
    for (error, code) in errors {
        assert_eq!(error.code(), code);
        let message = error.to_string();
        assert!(!message.ends_with('.'), "{message}");
        // Lower case, except acronyms such as JWK.
        let mut chars = message.chars();
        let capitalized = chars.next().is_some_and(|ch| ch.is_ascii_uppercase())
            && chars.next().is_some_and(|ch| ch.is_ascii_lowercase());
        assert!(!capitalized, "{message}");
    }
}
