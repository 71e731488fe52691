//! The integration tests cover sealing, opening and every key format, so they need every
//! feature; without them most test files compile to nothing. This test makes that a failure.

#[test]
#[allow(
    clippy::assertions_on_constants,
    reason = "the features are the condition under test"
)]
fn suite_runs_with_all_features() {
    assert!(
        cfg!(all(
            feature = "open",
            feature = "rustcrypto",
            feature = "jwk"
        )),
        "run the cardseal-core tests with --all-features: cargo test -p cardseal-core --all-features"
    );
}
