//! The RSA key store: private keys as PKCS#8 PEM files and a metadata file per key.
//!
//! Layout under the data directory:
//!
//! ```text
//! keys/                 mode 0700
//!   <kid>.pem           mode 0600, PKCS#8 PEM private key (deleted when the key is retired)
//!   <kid>.json          mode 0600, metadata: kid, state, bits, created_at, retire_at, retired_at
//! ```
//!
//! One key is active: browsers seal under it. After a rotation the previous key is retiring: it
//! is still published and still opens envelopes until `retire_at`, so pages that fetched the key
//! set before the rotation keep working. A retired key opens nothing. A retiring key whose
//! `retire_at` has passed counts as retired even before `keys retire` deletes its file.

use std::collections::HashMap;
use std::fmt;
use std::fs::{self, DirBuilder, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use cardseal_core::key::{PrivateKey, PublicKey};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::ids::{now_unix, rfc3339, utc_compact_date};

/// Name of the key directory inside the data directory.
const KEYS_DIR: &str = "keys";
/// Mode of the key directory: only the service's user may list it.
const KEYS_DIR_MODE: u32 = 0o700;
/// Mode of private key and metadata files.
const KEY_FILE_MODE: u32 = 0o600;
/// Modulus sizes the store generates; the envelope format accepts 2048 to 4096 bits.
pub const SUPPORTED_BITS: [u32; 3] = [2048, 3072, 4096];
/// Default modulus size for new keys.
pub const DEFAULT_BITS: u32 = 3072;
/// Random bytes in the suffix of a generated key id.
const KID_RANDOM_BYTES: usize = 4;

/// Key store failures. Messages name files and key ids, never key material.
#[derive(Debug)]
#[non_exhaustive]
pub enum KeyStoreError {
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A metadata file could not be parsed.
    BadMetadata {
        path: PathBuf,
        reason: String,
    },
    /// A private key file could not be read as PKCS#8 PEM.
    BadPrivateKey {
        kid: String,
        reason: String,
    },
    /// The key file has permissions wider than 0600.
    InsecurePermissions {
        path: PathBuf,
        mode: u32,
    },
    UnsupportedBits(u32),
    KeyNotFound(String),
    /// `keys generate` ran while a key is already active.
    ActiveKeyExists(String),
    /// Retiring the active key needs `--force`, because nothing could seal afterwards.
    RetireActive(String),
    /// Retiring a key before its grace period ends needs `--force`, because pages that fetched
    /// the key set earlier may still seal to it.
    RetireInGracePeriod {
        kid: String,
        retire_at: i64,
    },
    AlreadyRetired(String),
    Generate(String),
}

impl fmt::Display for KeyStoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyStoreError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            KeyStoreError::BadMetadata { path, reason } => {
                write!(f, "invalid key metadata in {}: {reason}", path.display())
            }
            KeyStoreError::BadPrivateKey { kid, reason } => {
                write!(f, "invalid private key file for kid {kid}: {reason}")
            }
            KeyStoreError::InsecurePermissions { path, mode } => write!(
                f,
                "{} has mode {mode:o}; private key files must not be readable by group or others (chmod 600)",
                path.display()
            ),
            KeyStoreError::UnsupportedBits(bits) => write!(
                f,
                "unsupported key size {bits} bits; use 2048, 3072 or 4096"
            ),
            KeyStoreError::KeyNotFound(kid) => write!(f, "no key with kid {kid}"),
            KeyStoreError::ActiveKeyExists(kid) => write!(
                f,
                "key {kid} is already active; use `keys rotate` to replace it"
            ),
            KeyStoreError::RetireActive(kid) => write!(
                f,
                "key {kid} is the active key; rotate first, or pass --force to leave no key for sealing"
            ),
            KeyStoreError::RetireInGracePeriod { kid, retire_at } => write!(
                f,
                "key {kid} is in its grace period until {}: pages that fetched the key set earlier may still seal to it; retire it after that time (`keys retire --expired`), or pass --force to retire it now",
                rfc3339(*retire_at)
            ),
            KeyStoreError::AlreadyRetired(kid) => write!(f, "key {kid} is already retired"),
            KeyStoreError::Generate(reason) => write!(f, "key generation failed: {reason}"),
        }
    }
}

impl std::error::Error for KeyStoreError {}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> KeyStoreError + '_ {
    move |source| KeyStoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Lifecycle state of a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyState {
    /// Seals new envelopes and opens them.
    Active,
    /// Still published and still opens envelopes until `retire_at`.
    Retiring,
    /// Opens nothing and is not published.
    Retired,
}

impl KeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Active => "active",
            KeyState::Retiring => "retiring",
            KeyState::Retired => "retired",
        }
    }
}

/// Metadata stored beside each key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyMetadata {
    pub kid: String,
    pub state: KeyState,
    pub bits: u32,
    #[serde(with = "unix_as_rfc3339")]
    pub created_at: i64,
    /// End of the grace period of a retiring key.
    #[serde(
        default,
        with = "option_unix_as_rfc3339",
        skip_serializing_if = "Option::is_none"
    )]
    pub retire_at: Option<i64>,
    #[serde(
        default,
        with = "option_unix_as_rfc3339",
        skip_serializing_if = "Option::is_none"
    )]
    pub retired_at: Option<i64>,
}

impl KeyMetadata {
    /// State at time `now`: a retiring key past its `retire_at` counts as retired.
    pub fn effective_state(&self, now: i64) -> KeyState {
        match (self.state, self.retire_at) {
            (KeyState::Retiring, Some(retire_at)) if now >= retire_at => KeyState::Retired,
            (state, _) => state,
        }
    }
}

mod unix_as_rfc3339 {
    use super::*;

    pub fn serialize<S: serde::Serializer>(value: &i64, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&rfc3339(*value))
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
        let text = String::deserialize(deserializer)?;
        OffsetDateTime::parse(&text, &Rfc3339)
            .map(|t| t.unix_timestamp())
            .map_err(serde::de::Error::custom)
    }
}

mod option_unix_as_rfc3339 {
    use super::*;

    pub fn serialize<S: serde::Serializer>(
        value: &Option<i64>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(unix) => serializer.serialize_some(&rfc3339(*unix)),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<i64>, D::Error> {
        let text = Option::<String>::deserialize(deserializer)?;
        text.map(|text| {
            OffsetDateTime::parse(&text, &Rfc3339)
                .map(|t| t.unix_timestamp())
                .map_err(serde::de::Error::custom)
        })
        .transpose()
    }
}

/// A key that may open envelopes, loaded from its PEM file.
pub struct LoadedKey {
    pub metadata: KeyMetadata,
    pub private: PrivateKey,
}

/// The keys in use at one moment: what the service publishes and what it opens with.
pub struct KeyRing {
    /// Keys that open envelopes (active and retiring), by kid.
    openers: HashMap<String, Arc<LoadedKey>>,
    /// Kids in the store that open nothing (retired).
    retired: Vec<String>,
    /// JWKS document: the active key first, then retiring keys.
    jwks: String,
    active_kid: Option<String>,
    /// Earliest time at which a key changes state without a file change (a grace period ends).
    next_transition: Option<i64>,
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing")
            .field("openers", &self.openers.keys().collect::<Vec<_>>())
            .field("retired", &self.retired)
            .field("active_kid", &self.active_kid)
            .finish_non_exhaustive()
    }
}

/// Result of looking up a kid at a given time.
pub enum KeyLookup<'a> {
    Opens(&'a Arc<LoadedKey>),
    Retired,
    Unknown,
}

impl KeyRing {
    /// Looks a kid up, treating a retiring key past its grace period as retired.
    pub fn lookup(&self, kid: &str, now: i64) -> KeyLookup<'_> {
        match self.openers.get(kid) {
            Some(key) if key.metadata.effective_state(now) != KeyState::Retired => {
                KeyLookup::Opens(key)
            }
            Some(_) => KeyLookup::Retired,
            None if self.retired.iter().any(|k| k == kid) => KeyLookup::Retired,
            None => KeyLookup::Unknown,
        }
    }

    pub fn jwks(&self) -> &str {
        &self.jwks
    }

    pub fn active_kid(&self) -> Option<&str> {
        self.active_kid.as_deref()
    }

    /// True when a grace period has ended since the ring was built, so it must be rebuilt.
    pub fn is_outdated(&self, now: i64) -> bool {
        self.next_transition.is_some_and(|at| now >= at)
    }
}

/// The key directory of a data directory.
#[derive(Debug, Clone)]
pub struct KeyStore {
    dir: PathBuf,
}

impl KeyStore {
    /// Opens the key directory under `data_dir`, creating it with mode 0700 when missing.
    pub fn open(data_dir: &Path) -> Result<Self, KeyStoreError> {
        let dir = data_dir.join(KEYS_DIR);
        if !dir.exists() {
            DirBuilder::new()
                .recursive(true)
                .mode(KEYS_DIR_MODE)
                .create(&dir)
                .map_err(io_error(&dir))?;
        }
        Ok(KeyStore { dir })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn pem_path(&self, kid: &str) -> PathBuf {
        self.dir.join(format!("{kid}.pem"))
    }

    fn metadata_path(&self, kid: &str) -> PathBuf {
        self.dir.join(format!("{kid}.json"))
    }

    /// Lists all keys' metadata, oldest first.
    pub fn list(&self) -> Result<Vec<KeyMetadata>, KeyStoreError> {
        let mut keys = Vec::new();
        for entry in fs::read_dir(&self.dir).map_err(io_error(&self.dir))? {
            let path = entry.map_err(io_error(&self.dir))?.path();
            if path.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let text = fs::read_to_string(&path).map_err(io_error(&path))?;
            let metadata: KeyMetadata =
                serde_json::from_str(&text).map_err(|e| KeyStoreError::BadMetadata {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
            keys.push(metadata);
        }
        keys.sort_by(|a, b| (a.created_at, &a.kid).cmp(&(b.created_at, &b.kid)));
        Ok(keys)
    }

    /// Returns the active key's metadata, if any key is active.
    pub fn active(&self) -> Result<Option<KeyMetadata>, KeyStoreError> {
        Ok(self
            .list()?
            .into_iter()
            .find(|k| k.state == KeyState::Active))
    }

    /// Generates the first active key. Fails when a key is already active.
    pub fn generate(&self, bits: u32) -> Result<KeyMetadata, KeyStoreError> {
        if let Some(active) = self.active()? {
            return Err(KeyStoreError::ActiveKeyExists(active.kid));
        }
        self.create_key(bits, now_unix())
    }

    /// Generates a new active key and moves the current active key to retiring for `grace_secs`.
    /// Returns the new key and the key that is now retiring.
    pub fn rotate(
        &self,
        bits: u32,
        grace_secs: u64,
    ) -> Result<(KeyMetadata, Option<KeyMetadata>), KeyStoreError> {
        let now = now_unix();
        let previous = self.active()?;
        let created = self.create_key(bits, now)?;

        let retiring = match previous {
            Some(mut previous) => {
                previous.state = KeyState::Retiring;
                previous.retire_at =
                    Some(now.saturating_add(i64::try_from(grace_secs).unwrap_or(i64::MAX)));
                self.write_metadata(&previous)?;
                Some(previous)
            }
            None => None,
        };
        Ok((created, retiring))
    }

    /// Retires a key: it opens nothing from now on and its private key file is deleted. Without
    /// `force`, the active key and a retiring key still in its grace period are kept.
    pub fn retire(&self, kid: &str, force: bool) -> Result<KeyMetadata, KeyStoreError> {
        let mut metadata = self
            .list()?
            .into_iter()
            .find(|k| k.kid == kid)
            .ok_or_else(|| KeyStoreError::KeyNotFound(kid.to_owned()))?;
        match metadata.state {
            KeyState::Retired => return Err(KeyStoreError::AlreadyRetired(metadata.kid)),
            KeyState::Active if !force => return Err(KeyStoreError::RetireActive(metadata.kid)),
            KeyState::Retiring if !force => {
                if let Some(retire_at) = metadata.retire_at.filter(|&at| at > now_unix()) {
                    return Err(KeyStoreError::RetireInGracePeriod {
                        kid: metadata.kid,
                        retire_at,
                    });
                }
            }
            _ => {}
        }

        metadata.state = KeyState::Retired;
        metadata.retired_at = Some(now_unix());
        self.write_metadata(&metadata)?;

        let pem = self.pem_path(kid);
        match fs::remove_file(&pem) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error(&pem)(e)),
        }
        Ok(metadata)
    }

    /// Retires every retiring key whose grace period has ended. Returns their kids.
    pub fn retire_expired(&self) -> Result<Vec<String>, KeyStoreError> {
        let now = now_unix();
        let mut retired = Vec::new();
        for key in self.list()? {
            if key.state == KeyState::Retiring && key.effective_state(now) == KeyState::Retired {
                self.retire(&key.kid, false)?;
                retired.push(key.kid);
            }
        }
        Ok(retired)
    }

    fn create_key(&self, bits: u32, now: i64) -> Result<KeyMetadata, KeyStoreError> {
        if !SUPPORTED_BITS.contains(&bits) {
            return Err(KeyStoreError::UnsupportedBits(bits));
        }
        let kid = new_kid(now);
        let private = PrivateKey::generate(bits as usize, &kid)
            .map_err(|e| KeyStoreError::Generate(e.to_string()))?;
        let pem = private
            .to_pkcs8_pem()
            .map_err(|e| KeyStoreError::Generate(e.to_string()))?;

        let pem_path = self.pem_path(&kid);
        write_new_file(&pem_path, pem.as_bytes())?;
        let metadata = KeyMetadata {
            kid,
            state: KeyState::Active,
            bits,
            created_at: now,
            retire_at: None,
            retired_at: None,
        };
        self.write_metadata(&metadata)?;
        Ok(metadata)
    }

    fn write_metadata(&self, metadata: &KeyMetadata) -> Result<(), KeyStoreError> {
        let path = self.metadata_path(&metadata.kid);
        let mut text =
            serde_json::to_string_pretty(metadata).map_err(|e| KeyStoreError::BadMetadata {
                path: path.clone(),
                reason: e.to_string(),
            })?;
        text.push('\n');

        // Write a temporary file and rename it, so a reader never sees half a file.
        let temporary = self.dir.join(format!(".{}.json.tmp", metadata.kid));
        let _ = fs::remove_file(&temporary);
        write_new_file(&temporary, text.as_bytes())?;
        fs::rename(&temporary, &path).map_err(io_error(&path))
    }

    /// Loads the keys that open envelopes now and builds the key ring.
    pub fn load_ring(&self) -> Result<KeyRing, KeyStoreError> {
        let now = now_unix();
        let mut openers = HashMap::new();
        let mut retired = Vec::new();
        let mut published: Vec<(bool, i64, PublicKey)> = Vec::new();
        let mut active_kid = None;
        let mut next_transition: Option<i64> = None;

        for metadata in self.list()? {
            let state = metadata.effective_state(now);
            if state == KeyState::Retired {
                retired.push(metadata.kid);
                continue;
            }

            let private = self.read_private_key(&metadata.kid)?;
            if state == KeyState::Active {
                active_kid = Some(metadata.kid.clone());
            }
            if let Some(retire_at) = metadata.retire_at {
                next_transition = Some(next_transition.map_or(retire_at, |t| t.min(retire_at)));
            }
            published.push((
                state == KeyState::Active,
                metadata.created_at,
                private.public_key().clone(),
            ));
            openers.insert(
                metadata.kid.clone(),
                Arc::new(LoadedKey { metadata, private }),
            );
        }

        // The active key comes first so a client that takes the first key seals under it.
        published.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
        let public_keys: Vec<PublicKey> = published.into_iter().map(|(_, _, key)| key).collect();
        let jwks = cardseal_core::key::jwks(&public_keys);

        Ok(KeyRing {
            openers,
            retired,
            jwks,
            active_kid,
            next_transition,
        })
    }

    fn read_private_key(&self, kid: &str) -> Result<PrivateKey, KeyStoreError> {
        let path = self.pem_path(kid);
        let file_metadata = fs::metadata(&path).map_err(io_error(&path))?;
        let mode = file_metadata.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(KeyStoreError::InsecurePermissions { path, mode });
        }

        let pem = zeroize::Zeroizing::new(fs::read_to_string(&path).map_err(io_error(&path))?);
        PrivateKey::from_pkcs8_pem(&pem, kid).map_err(|e| KeyStoreError::BadPrivateKey {
            kid: kid.to_owned(),
            reason: e.to_string(),
        })
    }

    /// Lists the directory cheaply (names, sizes, modification times), to notice changes.
    pub fn snapshot(&self) -> Result<Vec<(String, u64, Option<SystemTime>)>, KeyStoreError> {
        let mut entries = Vec::new();
        for entry in fs::read_dir(&self.dir).map_err(io_error(&self.dir))? {
            let entry = entry.map_err(io_error(&self.dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let metadata = entry.metadata().map_err(io_error(&entry.path()))?;
            entries.push((name, metadata.len(), metadata.modified().ok()));
        }
        entries.sort();
        Ok(entries)
    }
}

/// Makes a key id from the UTC date and random hex, such as `20260131-9f3a1c07`.
fn new_kid(now: i64) -> String {
    let mut random = [0u8; KID_RANDOM_BYTES];
    crate::ids::fill_random(&mut random);
    let suffix: String = random.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{suffix}", utc_compact_date(now))
}

/// Writes a new file with mode 0600, failing if it exists.
fn write_new_file(path: &Path, contents: &[u8]) -> Result<(), KeyStoreError> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(KEY_FILE_MODE)
        .open(path)
        .map_err(io_error(path))?;
    file.write_all(contents).map_err(io_error(path))?;
    file.sync_all().map_err(io_error(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata(state: KeyState, retire_at: Option<i64>) -> KeyMetadata {
        KeyMetadata {
            kid: String::from("20260101-00000000"),
            state,
            bits: 2048,
            created_at: 0,
            retire_at,
            retired_at: None,
        }
    }

    #[test]
    fn retiring_key_retires_when_grace_ends() {
        let key = metadata(KeyState::Retiring, Some(100));
        assert_eq!(key.effective_state(99), KeyState::Retiring);
        assert_eq!(key.effective_state(100), KeyState::Retired);
        assert_eq!(
            metadata(KeyState::Active, None).effective_state(1_000),
            KeyState::Active
        );
    }

    #[test]
    fn metadata_round_trips_as_rfc3339() {
        let key = metadata(KeyState::Retiring, Some(1_767_225_600));
        let json = serde_json::to_string(&key).unwrap();
        assert!(
            json.contains(r#""retire_at":"2026-01-01T00:00:00Z""#),
            "{json}"
        );
        assert!(
            !json.contains("retired_at"),
            "absent times are omitted: {json}"
        );
        let back: KeyMetadata = serde_json::from_str(&json).unwrap();
        assert_eq!(back, key);
    }

    #[test]
    fn rotate_and_retire_lifecycle() {
        let dir = tempfile::tempdir().unwrap();
        let store = KeyStore::open(dir.path()).unwrap();
        let first = store.generate(2048).unwrap();
        assert!(matches!(
            store.generate(2048),
            Err(KeyStoreError::ActiveKeyExists(_))
        ));

        let (second, retiring) = store.rotate(2048, 3_600).unwrap();
        assert_eq!(retiring.unwrap().kid, first.kid);
        let ring = store.load_ring().unwrap();
        assert_eq!(ring.active_kid(), Some(second.kid.as_str()));
        let jwks: serde_json::Value = serde_json::from_str(ring.jwks()).unwrap();
        assert_eq!(
            jwks["keys"][0]["kid"],
            second.kid.as_str(),
            "active key first"
        );
        assert_eq!(jwks["keys"][1]["kid"], first.kid.as_str());
        assert!(matches!(
            ring.lookup(&first.kid, now_unix()),
            KeyLookup::Opens(_)
        ));

        assert!(matches!(
            store.retire(&second.kid, false),
            Err(KeyStoreError::RetireActive(_))
        ));
        assert!(matches!(
            store.retire(&first.kid, false),
            Err(KeyStoreError::RetireInGracePeriod { .. })
        ));
        assert!(store.dir().join(format!("{}.pem", first.kid)).exists());
        store.retire(&first.kid, true).unwrap();
        assert!(!store.dir().join(format!("{}.pem", first.kid)).exists());
        let ring = store.load_ring().unwrap();
        assert!(matches!(
            ring.lookup(&first.kid, now_unix()),
            KeyLookup::Retired
        ));
        assert!(matches!(
            ring.lookup("other", now_unix()),
            KeyLookup::Unknown
        ));
    }

    #[test]
    fn readable_private_key_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let store = KeyStore::open(dir.path()).unwrap();
        let key = store.generate(2048).unwrap();
        let pem = store.dir().join(format!("{}.pem", key.kid));
        fs::set_permissions(&pem, fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(
            store.load_ring(),
            Err(KeyStoreError::InsecurePermissions { .. })
        ));
    }
}
