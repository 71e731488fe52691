//! Helpers shared by the integration tests: the committed test vectors and keys, sample cards.

#![allow(dead_code)]

pub mod generate;

use std::fs;
use std::path::{Path, PathBuf};

use cardseal_core::card::{Card, CardInput};
use cardseal_core::envelope::Binding;
use serde_json::Value;

pub use generate::{ISSUED_AT, ORIGIN, SESSION_ID, TestKeys, today};

pub fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors")
}

pub fn read_vector(relative: &str) -> String {
    let path = vectors_dir().join(relative);
    fs::read_to_string(&path).unwrap_or_else(|error| panic!("reading {}: {error}", path.display()))
}

pub fn manifest() -> Value {
    serde_json::from_str(&read_vector("vectors.json")).expect("vectors.json is JSON")
}

/// Loads the committed test keys (TEST KEYS, never use).
pub fn test_keys() -> TestKeys {
    let pems = generate::KEYS.map(|(_, _, file)| read_vector(&format!("keys/{file}")));
    TestKeys::from_pems([&pems[0], &pems[1], &pems[2]])
}

pub fn binding() -> Binding {
    Binding {
        session_id: SESSION_ID.into(),
        origin: ORIGIN.into(),
        issued_at: ISSUED_AT,
    }
}

/// Parses a JCB public test card with a holder name.
pub fn jcb_card() -> Card {
    let input = CardInput {
        number: "3530 1113 3330 0000",
        expiry: "12/30",
        cvc: "123",
        holder: Some("Taro Yamada"),
    };
    Card::parse(&input, today()).expect("test card is valid")
}

/// Returns the path of a tool the interop tests need, or fails with the command that installs
/// it.
pub fn require_tool(path: &Path, what: &str) -> PathBuf {
    assert!(
        path.exists(),
        "{what} not found at {}: run ./scripts/setup from the repository root",
        path.display()
    );
    path.to_path_buf()
}

pub fn repository_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("core/ has a parent")
        .to_path_buf()
}
