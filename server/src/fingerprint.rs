//! Keyed hashes of card numbers, for duplicate detection without storing the number.
//!
//! The fingerprint is HMAC-SHA-256 of the card digits under a 256-bit key kept in the data
//! directory (`card-fingerprint.key`, mode 0600). Without that key the stored hashes cannot be
//! matched against the small space of possible card numbers.

use std::fmt;
use std::fs::{self, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::Path;

use aws_lc_rs::hmac;
use zeroize::Zeroizing;

/// File name of the fingerprint key in the data directory.
const KEY_FILE: &str = "card-fingerprint.key";
/// Key length in bytes.
const KEY_LEN: usize = 32;

/// The HMAC key for card fingerprints.
pub struct FingerprintKey {
    key: hmac::Key,
}

impl fmt::Debug for FingerprintKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FingerprintKey([redacted])")
    }
}

impl FingerprintKey {
    /// Loads the key from the data directory, creating a random one on first use.
    pub fn load_or_create(data_dir: &Path) -> std::io::Result<Self> {
        let path = data_dir.join(KEY_FILE);
        if !path.exists() {
            let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
            crate::ids::fill_random(bytes.as_mut());
            let mut file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)?;
            file.write_all(bytes.as_ref())?;
            file.sync_all()?;
        }

        let mode = fs::metadata(&path)?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(std::io::Error::other(format!(
                "{} has mode {mode:o}; it must not be readable by group or others (chmod 600)",
                path.display()
            )));
        }
        let bytes = Zeroizing::new(fs::read(&path)?);
        if bytes.len() != KEY_LEN {
            return Err(std::io::Error::other(format!(
                "{} must hold exactly {KEY_LEN} bytes",
                path.display()
            )));
        }
        Ok(FingerprintKey {
            key: hmac::Key::new(hmac::HMAC_SHA256, &bytes),
        })
    }

    /// Computes the fingerprint of card digits.
    pub fn fingerprint(&self, digits: &str) -> [u8; 32] {
        let tag = hmac::sign(&self.key, digits.as_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(tag.as_ref());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_created_once_and_reused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let first = FingerprintKey::load_or_create(dir.path()).expect("create");
        let second = FingerprintKey::load_or_create(dir.path()).expect("load");
        assert_eq!(
            first.fingerprint("4560000000000004"),
            second.fingerprint("4560000000000004")
        );
        assert_ne!(
            first.fingerprint("4560000000000004"),
            first.fingerprint("4560000000000012")
        );

        let mode = fs::metadata(dir.path().join(KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
