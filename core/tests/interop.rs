//! Interoperability with two independent JOSE implementations, npm `jose` (Node) and Python
//! `jwcrypto`: each opens envelopes sealed by cardseal, and cardseal opens envelopes each of
//! them sealed with the same header and claims. The scripts are in `core/interop/`. Node's
//! WHATWG URL parser also checks that the origins cardseal accepts are serialized as browsers
//! serialize them.
//!
//! Needs `node` with the repository's npm packages and `.venv/bin/python` with jwcrypto, both
//! installed by `./scripts/setup`. A missing tool fails the test; it is never skipped.

#![cfg(all(feature = "open", feature = "rustcrypto", feature = "jwk"))]

mod common;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use base64ct::{Base64UrlUnpadded, Encoding};
use cardseal_core::card::{Card, CardInput};
use cardseal_core::envelope::{self, Binding, OpenPolicy, SealError};
use cardseal_core::key::PrivateKey;
use serde_json::{Value, json};

enum Runtime {
    Node,
    Python,
}

impl Runtime {
    fn command(&self, script: &str) -> Command {
        let root = common::repository_root();
        let script = root.join("core/interop").join(script);
        match self {
            Runtime::Node => {
                common::require_tool(
                    &root.join("node_modules/jose/package.json"),
                    "npm package jose",
                );
                let node = which("node");
                let mut command = Command::new(node);
                command.arg(script).current_dir(&root);
                command
            }
            Runtime::Python => {
                let python = common::require_tool(&root.join(".venv/bin/python"), "Python venv");
                let mut command = Command::new(python);
                command.arg(script).current_dir(&root);
                command
            }
        }
    }

    /// Runs `script` with `input` as JSON on stdin and returns its stdout as JSON.
    fn run(&self, script: &str, input: &Value) -> Value {
        let mut child = self
            .command(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("starting {script}: {error}; run ./scripts/setup"));
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.to_string().as_bytes())
            .expect("writing the script's input");
        let output = child.wait_with_output().expect("waiting for the script");
        assert!(
            output.status.success(),
            "{script} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).expect("script output is JSON")
    }
}

/// Finds `program` on PATH, or fails with the setup hint.
fn which(program: &str) -> PathBuf {
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(program))
                .find(|path| path.is_file())
        })
        .unwrap_or_else(|| panic!("{program} not found on PATH: run ./scripts/setup"))
}

struct Sample {
    input: CardInput<'static>,
    number: &'static str,
    exp_month: u64,
    exp_year: u64,
    holder: Option<&'static str>,
}

/// Public test cards typed as a buyer might, with the payload values they must produce.
const SAMPLES: [Sample; 3] = [
    Sample {
        input: CardInput {
            number: "３５３０ １１１３ ３３３０ ００００",
            expiry: "１２/３０",
            cvc: "１２３",
            holder: Some("ｔａｒｏ ｙａｍａｄａ"),
        },
        number: "3530111333300000",
        exp_month: 12,
        exp_year: 2030,
        holder: Some("TARO YAMADA"),
    },
    Sample {
        input: CardInput {
            number: "3782-822463-10005",
            expiry: "01/29",
            cvc: "0123",
            holder: None,
        },
        number: "378282246310005",
        exp_month: 1,
        exp_year: 2029,
        holder: None,
    },
    Sample {
        input: CardInput {
            number: "4242424242424242",
            expiry: "7/31",
            cvc: "007",
            holder: Some("o'neill"),
        },
        number: "4242424242424242",
        exp_month: 7,
        exp_year: 2031,
        holder: Some("O'NEILL"),
    },
];

fn sample_card(sample: &Sample) -> Card {
    Card::parse(&sample.input, common::today()).expect("sample card is valid")
}

fn cvc_of(sample: &Sample) -> String {
    sample_card(sample).cvc().expose().to_owned()
}

fn private_pem(key: &PrivateKey) -> String {
    key.to_pkcs8_pem().unwrap().as_str().to_owned()
}

/// Seals every sample under `key` and checks that `runtime` reads back the header claims and
/// the card payload exactly.
fn cardseal_to(runtime: Runtime, script: &str, key: &PrivateKey) {
    let binding = Binding {
        session_id: "cs_interop_1".into(),
        origin: "http://127.0.0.1:8081".into(),
        issued_at: 1_767_225_600,
    };
    let envelopes: Vec<String> = SAMPLES
        .iter()
        .map(|sample| {
            envelope::seal(&sample_card(sample), &binding, key.public_key())
                .unwrap()
                .into_string()
        })
        .collect();

    let results = runtime.run(
        script,
        &json!({ "private_key_pem": private_pem(key), "envelopes": envelopes }),
    );
    let results = results.as_array().unwrap();
    assert_eq!(results.len(), SAMPLES.len());

    for ((sample, envelope), result) in SAMPLES.iter().zip(&envelopes).zip(results) {
        assert!(
            result.get("error").is_none(),
            "{script} could not open: {result}"
        );
        let header = &result["header"];
        let claims = envelope::parse(envelope).unwrap().claims().clone();
        assert_eq!(header["alg"], "RSA-OAEP-256");
        assert_eq!(header["enc"], "A256GCM");
        assert_eq!(header["typ"], "cardseal-v1+jwe");
        assert_eq!(header["kid"], key.kid());
        assert_eq!(header["iat"], 1_767_225_600);
        assert_eq!(header["jti"], claims.envelope_id());
        assert_eq!(header["sid"], "cs_interop_1");
        assert_eq!(header["origin"], "http://127.0.0.1:8081");
        assert_eq!(
            header.as_object().unwrap().len(),
            8,
            "no other members: {header}"
        );

        let payload = &result["payload"];
        assert_eq!(payload["number"], sample.number);
        assert_eq!(payload["exp_month"], sample.exp_month);
        assert_eq!(payload["exp_year"], sample.exp_year);
        assert_eq!(payload["cvc"], cvc_of(sample));
        assert_eq!(payload.get("holder").and_then(Value::as_str), sample.holder);
    }
}

/// Has `runtime` seal each sample with cardseal's header and claims under cardseal's exported
/// JWK, then opens the result with cardseal.
fn cardseal_from(runtime: Runtime, script: &str, key: &PrivateKey) {
    let issued_at = 1_767_225_600u64;
    let items: Vec<Value> = SAMPLES
        .iter()
        .enumerate()
        .map(|(index, sample)| {
            let mut jti = [0u8; 16];
            getrandom::fill(&mut jti).unwrap();
            let mut payload = json!({
                "number": sample.number,
                "exp_month": sample.exp_month,
                "exp_year": sample.exp_year,
                "cvc": cvc_of(sample),
            });
            if let Some(holder) = sample.holder {
                payload["holder"] = json!(holder);
            }
            json!({
                "header": {
                    "alg": "RSA-OAEP-256",
                    "enc": "A256GCM",
                    "kid": key.kid(),
                    "typ": "cardseal-v1+jwe",
                    "iat": issued_at,
                    "jti": Base64UrlUnpadded::encode_string(&jti),
                    "sid": format!("cs_interop_{index}"),
                    "origin": "https://shop.example",
                },
                "payload": payload,
            })
        })
        .collect();
    let public_jwk: Value = serde_json::from_str(&key.public_key().to_jwk()).unwrap();

    let envelopes = runtime.run(script, &json!({ "public_jwk": public_jwk, "items": items }));
    let envelopes = envelopes.as_array().unwrap();
    assert_eq!(envelopes.len(), SAMPLES.len());

    for (index, (sample, envelope)) in SAMPLES.iter().zip(envelopes).enumerate() {
        let envelope = envelope.as_str().unwrap();
        let opened = envelope::open(
            envelope,
            |kid| (kid == key.kid()).then_some(key),
            &OpenPolicy::default(),
            issued_at + 30,
        )
        .unwrap_or_else(|error| panic!("{script} envelope {index}: {error}"));

        assert_eq!(opened.card, sample_card(sample));
        assert_eq!(opened.claims.session_id(), format!("cs_interop_{index}"));
        assert_eq!(opened.claims.origin(), "https://shop.example");
        assert_eq!(opened.claims.issued_at(), issued_at);
        assert_eq!(opened.claims.envelope_id(), items[index]["header"]["jti"]);
    }
}

#[test]
fn jose_opens_cardseal_envelopes() {
    let keys = common::test_keys();
    cardseal_to(Runtime::Node, "jose_open.mjs", &keys.primary);
    cardseal_to(Runtime::Node, "jose_open.mjs", &keys.large);
}

#[test]
fn jwcrypto_opens_cardseal_envelopes() {
    let keys = common::test_keys();
    cardseal_to(Runtime::Python, "jwcrypto_open.py", &keys.primary);
    cardseal_to(Runtime::Python, "jwcrypto_open.py", &keys.large);
}

#[test]
fn cardseal_opens_jose_envelopes() {
    let keys = common::test_keys();
    cardseal_from(Runtime::Node, "jose_seal.mjs", &keys.primary);
    cardseal_from(Runtime::Node, "jose_seal.mjs", &keys.large);
}

#[test]
fn cardseal_opens_jwcrypto_envelopes() {
    let keys = common::test_keys();
    cardseal_from(Runtime::Python, "jwcrypto_seal.py", &keys.primary);
}

/// The committed valid vectors open in both libraries to the manifest's contents, and the
/// tampered ones fail in both: the vectors are not only cardseal's opinion.
#[test]
fn vectors_agree_with_both_libraries() {
    let keys = common::test_keys();
    let manifest = common::manifest();
    let tampered = [
        "tag_flipped",
        "ciphertext_flipped",
        "iv_flipped",
        "encrypted_key_flipped",
        "header_tampered_after_seal",
        "wrong_key",
        "cek_16_bytes",
        "cek_16_bytes_zero_padded",
    ];

    for (runtime, script) in [
        (Runtime::Node, "jose_open.mjs"),
        (Runtime::Python, "jwcrypto_open.py"),
    ] {
        for (kid, key) in [
            ("test-key-2048", &keys.primary),
            ("test-key-4096", &keys.large),
        ] {
            let valid: Vec<&Value> = manifest["valid"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|entry| entry["kid"] == kid)
                .collect();
            let envelopes: Vec<String> = valid
                .iter()
                .map(|entry| common::read_vector(entry["file"].as_str().unwrap()))
                .collect();
            let results = runtime.run(
                script,
                &json!({ "private_key_pem": private_pem(key), "envelopes": envelopes }),
            );

            for (entry, result) in valid.iter().zip(results.as_array().unwrap()) {
                let name = &entry["name"];
                assert!(
                    result.get("error").is_none(),
                    "{script} rejects valid vector {name}: {result}"
                );
                assert_eq!(result["payload"], entry["card"], "{script}: {name} payload");
                assert_eq!(
                    result["header"]["jti"], entry["claims"]["jti"],
                    "{script}: {name} jti"
                );
                assert_eq!(
                    result["header"]["sid"], entry["claims"]["sid"],
                    "{script}: {name} sid"
                );
            }
        }

        let envelopes: Vec<String> = tampered
            .iter()
            .map(|name| common::read_vector(&format!("invalid/{name}.jwe")))
            .collect();
        let results = runtime.run(
            script,
            &json!({ "private_key_pem": private_pem(&keys.primary), "envelopes": envelopes }),
        );
        for (name, result) in tampered.iter().zip(results.as_array().unwrap()) {
            assert!(
                result.get("error").is_some(),
                "{script} opened tampered vector {name}: {result}"
            );
        }
    }
}

/// Origins cardseal accepts are exactly as a browser serializes them, and other spellings of
/// the same origin are rejected. Node's WHATWG URL parser serializes origins as browsers do.
#[test]
fn origins_match_browser_serialization() {
    let canonical = [
        "https://shop.example",
        "http://127.0.0.1:8081",
        "http://localhost:8080",
        "https://xn--eckwd4c7c.xn--zckzah:8443",
        "http://[::1]:8081",
        "http://[::ffff:7f00:1]",
        "http://[2001:db8::1:0:0:1]",
        "http://[1:0:0:2::3]",
        "https://shop.0xg",
    ];
    let second_spellings = [
        "http://127.1:8081",
        "http://0177.0.0.01:8081",
        "http://0x7f.0.0.1",
        "http://2130706433",
        "http://[0:0:0:0:0:0:0:1]:8081",
        "http://[::ffff:127.0.0.1]",
        "http://[2001:0db8::1]",
        "http://[2001:db8:0:0:1::1]",
        "http://[::1.2.3.4]",
        "https://Shop.example",
        "https://shop.example:443",
        "https://shop.example/",
    ];
    let keys = common::test_keys();
    let card = common::jcb_card();
    let accepts = |origin: &str| {
        let binding = Binding {
            origin: origin.to_owned(),
            ..common::binding()
        };
        match envelope::prepare(&card, &binding, keys.primary.public_key()) {
            Ok(_) => true,
            Err(SealError::InvalidOrigin) => false,
            Err(error) => panic!("{origin}: unexpected {error}"),
        }
    };

    let all: Vec<&str> = canonical.iter().chain(&second_spellings).copied().collect();
    let serialized = Runtime::Node.run("url_origin.mjs", &json!({ "origins": all }));
    let serialized = serialized.as_array().unwrap();
    assert_eq!(serialized.len(), all.len());

    for (origin, browser) in canonical.iter().zip(serialized) {
        assert_eq!(browser, origin, "the URL parser rewrites {origin}");
        assert!(accepts(origin), "cardseal rejects {origin}");
    }
    for (origin, browser) in second_spellings.iter().zip(&serialized[canonical.len()..]) {
        assert!(browser.is_string(), "{origin} is not a URL: {browser}");
        assert_ne!(browser, origin, "the URL parser keeps {origin}");
        assert!(!accepts(origin), "cardseal accepts {origin}");
    }
}
