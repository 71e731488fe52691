//! Opens natively (aws-lc-rs, through `cardseal-core`'s `open`) the envelopes that the wasm tests
//! sealed in Chromium and Node.js, and checks each card and binding.
//!
//! scripts/test-browser runs the wasm tests, collects their envelope lines into a file, and runs
//! this test with `--features browser-envelopes` and `CARDSEAL_ENVELOPES` naming that file.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::collections::{BTreeMap, HashSet};

use cardseal_core::envelope::{self, OpenPolicy};
use cardseal_core::key::PrivateKey;
use common::*;

/// Engines every runtime must have sealed with, each for every test card and key size.
const ENGINES: &[&str] = &["webcrypto", "rust"];
const RUNTIMES: &[&str] = &["chromium", "node"];

fn private_keys() -> Vec<PrivateKey> {
    vec![
        PrivateKey::from_pkcs8_pem(TEST_KEY_2048_PEM, KID_2048).expect("2048-bit test key"),
        PrivateKey::from_pkcs8_pem(TEST_KEY_4096_PEM, KID_4096).expect("4096-bit test key"),
    ]
}

fn envelope_file() -> String {
    let path = std::env::var("CARDSEAL_ENVELOPES")
        .expect("CARDSEAL_ENVELOPES must name the file of envelope lines the wasm tests printed (see scripts/test-browser)");
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("cannot read {path}: {error}"))
}

#[test]
fn envelopes_from_browser_open_natively() {
    let text = envelope_file();
    let keys = private_keys();
    // Freshness is not under test here: the window is wide enough for any test run.
    let policy = OpenPolicy {
        max_age_secs: 24 * 3600,
        clock_skew_secs: 3600,
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs();

    let mut counts: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    let mut envelope_ids = HashSet::new();
    let lines: Vec<EnvelopeLine<'_>> = text.lines().filter_map(EnvelopeLine::parse).collect();
    assert!(!lines.is_empty(), "no envelope lines in CARDSEAL_ENVELOPES");

    for line in &lines {
        let card = card(line.card).unwrap_or_else(|| panic!("unknown test card {}", line.card));
        let case = format!(
            "{} sealed by {} in {} under {}",
            line.card, line.engine, line.runtime, line.kid
        );

        let opened = envelope::open(
            line.envelope,
            |kid| keys.iter().find(|key| key.kid() == kid),
            &policy,
            now,
        )
        .unwrap_or_else(|error| panic!("{case} does not open: {error}"));

        assert_eq!(opened.kid, line.kid, "{case}: kid");
        assert_eq!(opened.claims.session_id(), SESSION_ID, "{case}: session id");
        assert_eq!(opened.claims.origin(), ORIGIN, "{case}: origin");
        assert!(
            envelope_ids.insert(opened.claims.envelope_id().to_owned()),
            "{case}: envelope id repeats"
        );

        let sealed = &opened.card;
        assert_eq!(
            sealed.number().expose_digits(),
            card.digits,
            "{case}: number"
        );
        assert_eq!(sealed.brand().code(), card.brand, "{case}: brand");
        assert_eq!(sealed.last4(), card.last4, "{case}: last4");
        assert_eq!(sealed.cvc().expose(), expected_cvc(card), "{case}: cvc");
        assert_eq!(
            sealed.expiry().month(),
            line.exp_month,
            "{case}: expiry month"
        );
        assert_eq!(sealed.expiry().year(), line.exp_year, "{case}: expiry year");
        assert_eq!(
            sealed.holder().map(|holder| holder.as_str()),
            card.sealed_holder,
            "{case}: holder"
        );

        *counts
            .entry((
                line.runtime.to_owned(),
                line.engine.to_owned(),
                line.kid.to_owned(),
            ))
            .or_default() += 1;
    }

    // Every runtime sealed every card with both engines under both key sizes.
    for runtime in RUNTIMES {
        for engine in ENGINES {
            for kid in [KID_2048, KID_4096] {
                let count = counts
                    .get(&((*runtime).to_owned(), (*engine).to_owned(), kid.to_owned()))
                    .copied()
                    .unwrap_or(0);
                assert!(
                    count >= CARDS.len(),
                    "{runtime}/{engine}/{kid}: {count} envelopes, expected at least {}",
                    CARDS.len()
                );
            }
        }
        let fallback = counts.get(&(
            (*runtime).to_owned(),
            "auto-rust".to_owned(),
            KID_2048.to_owned(),
        ));
        assert_eq!(
            fallback,
            Some(&1),
            "{runtime}: the automatic fallback to the pure-Rust path sealed nothing"
        );
    }
    println!("opened {} envelopes: {counts:?}", lines.len());
}

/// Returns the security code as sealed: ASCII digits, whatever digits the buyer typed.
fn expected_cvc(card: &TestCard) -> String {
    card.cvc
        .chars()
        .map(|c| match c {
            '\u{FF10}'..='\u{FF19}' => {
                char::from_u32(c as u32 - 0xFF10 + u32::from(b'0')).expect("digit")
            }
            other => other,
        })
        .collect()
}

#[test]
fn envelope_line_round_trips() {
    let line = EnvelopeLine {
        runtime: "node",
        engine: "rust",
        kid: KID_2048,
        card: "visa",
        exp_month: 12,
        exp_year: 2031,
        envelope: "a.b.c.d.e",
    };
    let printed = format!("console.log: {}", line.format());
    let parsed = EnvelopeLine::parse(&printed).expect("parses");
    assert_eq!(parsed.runtime, "node");
    assert_eq!(parsed.exp_year, 2031);
    assert_eq!(parsed.envelope, "a.b.c.d.e");
    assert!(EnvelopeLine::parse("CARDSEAL-ENVELOPE node rust").is_none());
}
