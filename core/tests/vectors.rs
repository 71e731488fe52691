//! Checks every committed test vector in `core/vectors/` and that the generator reproduces
//! the committed files byte for byte.

#![cfg(all(feature = "open", feature = "rustcrypto", feature = "jwk"))]

mod common;

use std::collections::BTreeSet;
use std::fs;

use cardseal_core::card::Brand;
use cardseal_core::envelope::{self, ClaimsError, Error, HeaderParameter, OpenPolicy, Part};
use cardseal_core::key::PublicKey;
use serde_json::Value;

fn policy(manifest: &Value) -> OpenPolicy {
    OpenPolicy {
        max_age_secs: manifest["policy"]["max_age_secs"].as_u64().unwrap(),
        clock_skew_secs: manifest["policy"]["clock_skew_secs"].as_u64().unwrap(),
    }
}

fn part_name(part: Part) -> &'static str {
    match part {
        Part::ProtectedHeader => "protected_header",
        Part::EncryptedKey => "encrypted_key",
        Part::Iv => "iv",
        Part::Ciphertext => "ciphertext",
        Part::Tag => "tag",
    }
}

fn entries<'m>(manifest: &'m Value, list: &str) -> &'m Vec<Value> {
    manifest[list].as_array().unwrap()
}

#[test]
fn generator_reproduces_committed_files() {
    let keys = common::test_keys();
    for file in common::generate::generate(&keys) {
        let committed = fs::read(common::vectors_dir().join(&file.path))
            .unwrap_or_else(|error| panic!("{}: {error}", file.path));
        assert!(
            committed == file.contents,
            "{} differs from the generator's output; run \
             `cargo run -p cardseal-core --all-features --example make_vectors` and review the diff",
            file.path
        );
    }
}

#[test]
fn manifest_lists_every_envelope_file() {
    let manifest = common::manifest();
    for list in ["valid", "invalid"] {
        let listed: BTreeSet<String> = entries(&manifest, list)
            .iter()
            .map(|entry| entry["file"].as_str().unwrap().to_owned())
            .collect();
        let on_disk: BTreeSet<String> = fs::read_dir(common::vectors_dir().join(list))
            .unwrap()
            .map(|entry| format!("{list}/{}", entry.unwrap().file_name().to_string_lossy()))
            .collect();
        assert_eq!(listed, on_disk, "{list}: manifest and directory differ");
        for entry in entries(&manifest, list) {
            let name = entry["name"].as_str().unwrap();
            assert_eq!(
                entry["file"],
                format!("{list}/{name}.jwe"),
                "file named after its vector"
            );
        }
    }
    assert!(entries(&manifest, "invalid").len() >= 20);
    assert!(entries(&manifest, "valid").len() >= 5);
}

#[test]
fn test_keys_match_published_jwks_and_spki() {
    let keys = common::test_keys();
    let jwks = common::read_vector("keys/test-keys.jwks.json");
    for key in [&keys.primary, &keys.other, &keys.large] {
        let published = PublicKey::from_jwks(&jwks, Some(key.kid())).unwrap();
        assert_eq!(&published, key.public_key());
    }
    let spki = common::read_vector("keys/test-key-2048.spki.pem");
    assert_eq!(
        &PublicKey::from_spki_pem(&spki, "test-key-2048").unwrap(),
        keys.primary.public_key()
    );
    assert_eq!(keys.large.modulus_bits(), 4096);
}

#[test]
fn valid_vectors_open_to_expected_contents() {
    let manifest = common::manifest();
    let keys = common::test_keys();
    let now = manifest["now"].as_u64().unwrap();

    for entry in entries(&manifest, "valid") {
        let name = entry["name"].as_str().unwrap();
        let text = common::read_vector(entry["file"].as_str().unwrap());

        let opened = envelope::open(&text, |kid| keys.get(kid), &policy(&manifest), now)
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        assert_eq!(opened.kid, entry["kid"], "{name}: kid");

        let claims = &entry["claims"];
        assert_eq!(
            opened.claims.issued_at(),
            claims["iat"].as_u64().unwrap(),
            "{name}: iat"
        );
        assert_eq!(opened.claims.envelope_id(), claims["jti"], "{name}: jti");
        assert_eq!(opened.claims.session_id(), claims["sid"], "{name}: sid");
        assert_eq!(opened.claims.origin(), claims["origin"], "{name}: origin");

        let card = &entry["card"];
        assert_eq!(
            opened.card.number().expose_digits(),
            card["number"],
            "{name}: number"
        );
        assert_eq!(
            u64::from(opened.card.expiry().month()),
            card["exp_month"].as_u64().unwrap()
        );
        assert_eq!(
            u64::from(opened.card.expiry().year()),
            card["exp_year"].as_u64().unwrap()
        );
        assert_eq!(opened.card.cvc().expose(), card["cvc"], "{name}: cvc");
        assert_eq!(
            opened.card.holder().map(|holder| holder.as_str()),
            card["holder"].as_str(),
            "{name}: holder"
        );
        assert_eq!(
            Some(opened.card.brand()),
            Brand::from_code(entry["brand"].as_str().unwrap())
        );
    }
}

#[test]
fn invalid_vectors_fail_with_expected_error() {
    let manifest = common::manifest();
    let keys = common::test_keys();
    let now = manifest["now"].as_u64().unwrap();
    let policy = policy(&manifest);

    for entry in entries(&manifest, "invalid") {
        let name = entry["name"].as_str().unwrap();
        let text = common::read_vector(entry["file"].as_str().unwrap());
        let class = entry["class"].as_str().unwrap();
        let code = entry["code"].as_str().unwrap();

        let error = envelope::open(&text, |kid| keys.get(kid), &policy, now)
            .map(|_| ())
            .expect_err(&format!("{name}: opened, but must fail"));
        assert_eq!(error.code(), code, "{name}: code");

        match (class, error) {
            ("format", Error::Format(format)) => {
                let parsed = envelope::parse(&text).unwrap_err();
                assert_eq!(parsed, format, "{name}: parse and open agree");
                assert_eq!(
                    format.part().map(part_name),
                    entry["part"].as_str(),
                    "{name}: part"
                );
                assert_eq!(
                    format.header_parameter().map(HeaderParameter::name),
                    entry["member"].as_str(),
                    "{name}: member"
                );
            }
            ("claims", Error::Claims(claims)) => {
                let parsed = envelope::parse(&text).expect("claims vectors parse");
                assert_eq!(policy.check(parsed.claims(), now), Err(claims), "{name}");
                // Outside the window the envelope is still sound: only the policy rejects it.
                assert!(
                    parsed.open(&keys.primary).is_ok(),
                    "{name}: opens without the policy"
                );
                assert!(matches!(
                    claims,
                    ClaimsError::Stale | ClaimsError::IssuedInFuture
                ));
            }
            ("open", Error::Open(_)) => {
                let parsed = envelope::parse(&text).expect("open-class vectors parse");
                assert_eq!(
                    policy.check(parsed.claims(), now),
                    Ok(()),
                    "{name}: claims in window"
                );
            }
            (class, error) => panic!("{name}: expected class {class}, got {error:?}"),
        }
    }
}
