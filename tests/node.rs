//! The shared wasm tests in Node.js: sealing through Node's WebCrypto and the pure-Rust path.
//! Run by scripts/test-browser (cargo test --target wasm32-unknown-unknown --test node).
#![cfg(target_arch = "wasm32")]

#[macro_use]
mod common;

suite_tests!("node":
    seal_webcrypto_2048,
    seal_rust_2048,
    seal_webcrypto_4096,
    seal_rust_4096,
    auto_engine_prefers_webcrypto,
    auto_engine_without_webcrypto_uses_rust,
    webcrypto_engine_without_webcrypto_fails,
    exported_seal_returns_display_data,
    sealed_envelopes_are_unique,
    invalid_card_rejected_in_japanese,
    every_invalid_field_reported,
    expiry_from_month_and_year,
    unknown_kid_rejected,
    invalid_key_sets_rejected,
    short_modulus_rejected,
    single_jwk_accepted,
    invalid_options_rejected,
    invalid_session_id_rejected,
    format_helpers,
    validate_helpers,
    server_time_sets_issue_time,
    expiry_ime_middle_dot,
    expiry_numbers_checked,
);
