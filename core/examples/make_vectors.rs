//! Writes the test vectors in `core/vectors/`.
//!
//! ```text
//! cargo run -p cardseal-core --all-features --example make_vectors
//! ```
//!
//! The test keys are generated once, when their files are missing, and committed. Given those
//! keys every other file is the same on every run: all randomness comes from a seeded ChaCha20
//! generator. The `vectors` test checks that the committed files match this output.

#[path = "../tests/common/generate.rs"]
mod generate;

use std::fs;
use std::path::Path;

use cardseal_core::key::PrivateKey;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors");
    fs::create_dir_all(directory.join("keys"))?;
    fs::create_dir_all(directory.join("valid"))?;
    fs::create_dir_all(directory.join("invalid"))?;

    let mut pems = Vec::new();
    for (kid, bits, file) in generate::KEYS {
        let path = directory.join("keys").join(file);
        if !path.exists() {
            let key = PrivateKey::generate(bits, kid)?;
            let text = format!(
                "{}{}",
                generate::key_preamble(kid),
                key.to_pkcs8_pem()?.as_str()
            );
            fs::write(&path, text)?;
            println!("generated {}", path.display());
        }
        pems.push(fs::read_to_string(&path)?);
    }
    let keys = generate::TestKeys::from_pems([&pems[0], &pems[1], &pems[2]]);

    // Remove envelopes of earlier runs, so renamed or dropped vectors do not linger.
    for subdirectory in ["valid", "invalid"] {
        for entry in fs::read_dir(directory.join(subdirectory))? {
            let path = entry?.path();
            if path.extension().is_some_and(|extension| extension == "jwe") {
                fs::remove_file(path)?;
            }
        }
    }

    let files = generate::generate(&keys);
    for file in &files {
        fs::write(directory.join(&file.path), &file.contents)?;
    }
    println!("wrote {} files to {}", files.len(), directory.display());
    Ok(())
}
