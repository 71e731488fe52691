//! Checks on the crate as a whole. The integration tests cover sealing, opening and every key
//! format, so they need every feature: without them most test files compile to nothing, and
//! the first test here makes that a failure.

mod rsa_paths;

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
/// attack (RUSTSEC-2023-0071) targets. Opening uses aws-lc-rs. This scans the Rust sources of
/// this crate, its fuzz checks, the service and the browser library for any path into `rsa`
/// that names a private-key or decryption item, however it is imported.
#[test]
fn rsa_crate_never_decrypts() {
    let core = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let repository = core.parent().expect("core/ has a parent");
    let mut scanned = 0;
    let mut directories = vec![
        core.join("src"),
        core.join("fuzz/src"),
        repository.join("server/src"),
        repository.join("src"),
    ];
    for directory in &directories {
        assert!(directory.is_dir(), "{} is missing", directory.display());
    }

    while let Some(directory) = directories.pop() {
        for entry in std::fs::read_dir(&directory).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                directories.push(path);
                continue;
            }
            if path.extension().is_some_and(|extension| extension == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                let found = rsa_paths::forbidden_rsa_paths(&text);
                assert!(found.is_empty(), "{} uses {found:?}", path.display());
                scanned += 1;
            }
        }
    }
    assert!(scanned >= 40, "scanned only {scanned} files");

    // A dependency renamed in a manifest would hide `rsa` paths behind another name.
    for manifest in [
        repository.join("Cargo.toml"),
        core.join("Cargo.toml"),
        core.join("fuzz/Cargo.toml"),
        repository.join("server/Cargo.toml"),
    ] {
        let text = std::fs::read_to_string(&manifest).unwrap();
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(
            !compact.contains("package=\"rsa\""),
            "{} renames the rsa crate",
            manifest.display()
        );
    }
}
