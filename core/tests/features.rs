//! Checks on the crate as a whole. The integration tests cover sealing, opening and every key
//! format, so they need every feature: without them most test files compile to nothing, and
//! the first test here makes that a failure.

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

/// The `rsa` crate may only encrypt: its private-key operation is the one the Marvin timing
/// attack (RUSTSEC-2023-0071) targets. Opening uses aws-lc-rs. This scans the crate's sources
/// and its fuzz checks for the `rsa` crate's private-key types.
#[test]
fn rsa_crate_never_decrypts() {
    let forbidden = [
        "rsa::PrivateKey",
        "rsa::RsaPrivateKey",
        "rsa::oaep::DecryptingKey",
        "rsa::hazmat",
    ];
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut scanned = 0;
    let mut directories = vec![root.join("src"), root.join("fuzz/src")];

    while let Some(directory) = directories.pop() {
        for entry in std::fs::read_dir(&directory).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                directories.push(path);
                continue;
            }
            if path.extension().is_some_and(|extension| extension == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for name in forbidden {
                    assert!(!text.contains(name), "{} uses {name}", path.display());
                }
                scanned += 1;
            }
        }
    }
    assert!(scanned >= 15, "scanned only {scanned} files");
}
