//! The shared wasm tests in Node.js: sealing through Node's WebCrypto and the pure-Rust path.
//! Run by scripts/test-browser (cargo test --target wasm32-unknown-unknown --test node).
#![cfg(target_arch = "wasm32")]

#[macro_use]
mod common;

shared_suite!("node");
