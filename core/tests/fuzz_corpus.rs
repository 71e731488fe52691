//! Replays the committed fuzz corpus (`core/fuzz/corpus/`) through the fuzz targets' checks, so
//! every `cargo test` exercises them without cargo-fuzz or nightly.

#![cfg(all(feature = "open", feature = "rustcrypto", feature = "jwk"))]

#[path = "../fuzz/src/checks.rs"]
mod checks;

use std::fs;
use std::path::Path;

/// Runs `check` on every file of the target's corpus and returns how many there were.
fn replay(target: &str, check: fn(&[u8])) -> usize {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut count = 0;
    for entry in
        fs::read_dir(&directory).unwrap_or_else(|error| panic!("{}: {error}", directory.display()))
    {
        let path = entry.unwrap().path();
        let data = fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| check(&data));
        assert!(
            outcome.is_ok(),
            "{target}: {} fails its check",
            path.display()
        );
        count += 1;
    }
    count
}

#[test]
fn envelope_parse_corpus() {
    assert!(replay("envelope_parse", checks::envelope_parse) >= 10);
}

#[test]
fn envelope_payload_corpus() {
    assert!(replay("envelope_payload", checks::envelope_payload) >= 5);
}

#[test]
fn card_parse_corpus() {
    assert!(replay("card_parse", checks::card_parse) >= 5);
}

#[test]
fn key_parse_corpus() {
    assert!(replay("key_parse", checks::key_parse) >= 4);
}
