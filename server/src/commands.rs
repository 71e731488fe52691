//! The administrative commands: `keys ...` and `shops ...`.
//!
//! Text output is for people; `--json` output is a stable interface for scripts. Nothing here
//! prints an API key except the one `shops add` or `shops rotate-key` just made.

use std::path::Path;
use std::time::Instant;

use serde_json::json;
use url::Url;

use crate::apikey;
use crate::cli::{KeysCommand, ShopsCommand};
use crate::config::DATABASE_FILE;
use crate::ids::{now_unix, random_id, rfc3339};
use crate::keystore::{KeyMetadata, KeyStore};
use crate::server::ensure_data_dir;
use crate::store::{ApiKeyRecord, Shop, SqliteStore, Store};

/// Prefix of shop ids.
const SHOP_ID_PREFIX: &str = "shop_";
const SECS_PER_DAY: i64 = 86_400;
const SECS_PER_HOUR: i64 = 3_600;
/// Maximum length of a shop name, in characters.
const MAX_SHOP_NAME_CHARS: usize = 100;

/// Failure of an administrative command, printed as `error: ...`.
#[derive(Debug)]
pub struct CommandError(pub String);

impl std::fmt::Display for CommandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CommandError {}

/// Prints a line on standard output, ignoring a closed pipe (such as `| head`) instead of panicking
/// as `println!` does.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

fn fail(message: impl std::fmt::Display) -> CommandError {
    CommandError(message.to_string())
}

/// Normalizes a shop origin to the serialization browsers use (RFC 6454): lower-case scheme and
/// host, no default port, no path.
pub fn normalize_origin(input: &str) -> Result<String, CommandError> {
    let url = Url::parse(input.trim()).map_err(|_| {
        fail("origin must be an absolute URL such as https://shop.example or http://127.0.0.1:8081")
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(fail("origin must use http or https"));
    }
    if url.host().is_none() {
        return Err(fail("origin must have a host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(fail("origin must not contain a user name or password"));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(fail("origin must not have a path, query or fragment"));
    }
    Ok(url.origin().ascii_serialization())
}

// ---- keys -------------------------------------------------------------------------------------

/// Runs a `keys` subcommand.
pub fn run_keys(data_dir: &Path, command: KeysCommand) -> Result<(), CommandError> {
    ensure_data_dir(data_dir)
        .map_err(|e| fail(format!("cannot create the data directory: {e}")))?;
    let store = KeyStore::open(data_dir).map_err(fail)?;

    match command {
        KeysCommand::Generate { bits, json } => {
            let started = Instant::now();
            let key = store.generate(bits).map_err(fail)?;
            if json {
                print_json(&key_json(&key, now_unix()));
            } else {
                out!(
                    "generated key {} ({} bits, active) in {} ms",
                    key.kid,
                    key.bits,
                    started.elapsed().as_millis()
                );
                print_reload_hint();
            }
        }
        KeysCommand::List { json } => {
            let keys = store.list().map_err(fail)?;
            let now = now_unix();
            if json {
                let list: Vec<_> = keys.iter().map(|k| key_json(k, now)).collect();
                print_json(&serde_json::Value::Array(list));
            } else {
                out!(
                    "{:<20} {:<9} {:>5}  {:<20}  {:<20}",
                    "KID",
                    "STATE",
                    "BITS",
                    "CREATED",
                    "RETIRE_AT"
                );
                for key in keys {
                    out!(
                        "{:<20} {:<9} {:>5}  {:<20}  {:<20}",
                        key.kid,
                        key.effective_state(now).as_str(),
                        key.bits,
                        rfc3339(key.created_at),
                        key.retire_at
                            .map(rfc3339)
                            .unwrap_or_else(|| String::from("-"))
                    );
                }
            }
        }
        KeysCommand::Rotate { bits, grace, json } => {
            let (active, retiring) = store.rotate(bits, grace).map_err(fail)?;
            let now = now_unix();
            if json {
                print_json(&json!({
                    "active": key_json(&active, now),
                    "retiring": retiring.as_ref().map(|k| key_json(k, now)),
                }));
            } else {
                out!(
                    "generated key {} ({} bits, active)",
                    active.kid,
                    active.bits
                );
                if let Some(previous) = retiring {
                    out!(
                        "key {} is retiring: it opens envelopes until {}",
                        previous.kid,
                        previous.retire_at.map(rfc3339).unwrap_or_default()
                    );
                }
                print_reload_hint();
            }
        }
        KeysCommand::Retire {
            kid,
            expired,
            force,
        } => {
            if expired {
                let retired = store.retire_expired().map_err(fail)?;
                if retired.is_empty() {
                    out!("no retiring key has reached the end of its grace period");
                }
                for kid in retired {
                    out!("retired key {kid}");
                }
            } else if let Some(kid) = kid {
                let key = store.retire(&kid, force).map_err(fail)?;
                out!("retired key {}; its private key file was deleted", key.kid);
            }
            print_reload_hint();
        }
    }
    Ok(())
}

fn print_reload_hint() {
    eprintln!(
        "a running service picks up key changes within --key-reload-interval, or at once on SIGHUP"
    );
}

fn key_json(key: &KeyMetadata, now: i64) -> serde_json::Value {
    json!({
        "kid": key.kid,
        "state": key.effective_state(now).as_str(),
        "bits": key.bits,
        "created_at": rfc3339(key.created_at),
        "retire_at": key.retire_at.map(rfc3339),
        "retired_at": key.retired_at.map(rfc3339),
    })
}

fn print_json(value: &serde_json::Value) {
    out!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

// ---- shops ------------------------------------------------------------------------------------

fn open_store(data_dir: &Path) -> Result<SqliteStore, CommandError> {
    ensure_data_dir(data_dir)
        .map_err(|e| fail(format!("cannot create the data directory: {e}")))?;
    SqliteStore::open(&data_dir.join(DATABASE_FILE), 1).map_err(fail)
}

fn days_from_now(now: i64, days: u32) -> i64 {
    now.saturating_add(i64::from(days) * SECS_PER_DAY)
}

/// Runs a `shops` subcommand.
pub async fn run_shops(data_dir: &Path, command: ShopsCommand) -> Result<(), CommandError> {
    let store = open_store(data_dir)?;
    match command {
        ShopsCommand::Add {
            name,
            origin,
            expires_in_days,
            json,
        } => add_shop(&store, &name, &origin, expires_in_days, json).await,
        ShopsCommand::List { json } => list_shops(&store, json).await,
        ShopsCommand::RotateKey {
            shop_id,
            overlap_hours,
            expires_in_days,
            json,
        } => rotate_key(&store, &shop_id, overlap_hours, expires_in_days, json).await,
        ShopsCommand::Disable { shop_id } => {
            store
                .get_shop(&shop_id)
                .await
                .map_err(fail)?
                .ok_or_else(|| fail(format!("no shop with id {shop_id}")))?;
            store
                .disable_shop(&shop_id, now_unix())
                .await
                .map_err(fail)?;
            out!("disabled shop {shop_id}; its API keys no longer work");
            Ok(())
        }
    }
}

async fn add_shop(
    store: &SqliteStore,
    name: &str,
    origin: &str,
    expires_in_days: u32,
    json: bool,
) -> Result<(), CommandError> {
    let name = name.trim();
    if name.is_empty()
        || name.chars().count() > MAX_SHOP_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(fail(format!(
            "name must be 1 to {MAX_SHOP_NAME_CHARS} characters without control characters"
        )));
    }
    let origin = normalize_origin(origin)?;
    if expires_in_days == 0 {
        return Err(fail("--expires-in-days must be at least 1"));
    }

    let now = now_unix();
    let shop = Shop {
        id: random_id(SHOP_ID_PREFIX),
        name: name.to_owned(),
        origin,
        created_at: now,
        disabled_at: None,
    };
    let key = apikey::generate();
    let record = ApiKeyRecord {
        key_id: key.key_id.clone(),
        shop_id: shop.id.clone(),
        hash: key.hash,
        created_at: now,
        expires_at: days_from_now(now, expires_in_days),
    };
    store.insert_shop(&shop, &record).await.map_err(fail)?;

    if json {
        print_json(&json!({
            "shop_id": shop.id,
            "api_key": key.token.as_str(),
            "expires_at": rfc3339(record.expires_at),
        }));
    } else {
        out!("shop_id:    {}", shop.id);
        out!("name:       {}", shop.name);
        out!("origin:     {}", shop.origin);
        out!("api_key:    {}", key.token.as_str());
        out!("expires_at: {}", rfc3339(record.expires_at));
        eprintln!(
            "the API key is shown only this once: store it in the shop's server configuration now"
        );
    }
    Ok(())
}

/// State of an API key as `shops list` shows it: a disabled shop's keys do not work whatever
/// their expiry.
fn api_key_state(shop: &Shop, key: &ApiKeyRecord, now: i64) -> &'static str {
    if shop.disabled_at.is_some() {
        "disabled"
    } else if key.expires_at <= now {
        "expired"
    } else {
        "valid"
    }
}

async fn list_shops(store: &SqliteStore, json: bool) -> Result<(), CommandError> {
    let now = now_unix();
    let mut rows = Vec::new();
    for shop in store.list_shops().await.map_err(fail)? {
        let keys = store.list_api_keys(&shop.id).await.map_err(fail)?;
        rows.push((shop, keys));
    }

    if json {
        let list: Vec<_> = rows
            .iter()
            .map(|(shop, keys)| {
                json!({
                    "shop_id": shop.id,
                    "name": shop.name,
                    "origin": shop.origin,
                    "created_at": rfc3339(shop.created_at),
                    "disabled_at": shop.disabled_at.map(rfc3339),
                    "api_keys": keys.iter().map(|k| json!({
                        "key_id": k.key_id,
                        "created_at": rfc3339(k.created_at),
                        "expires_at": rfc3339(k.expires_at),
                        "expired": k.expires_at <= now,
                        "state": api_key_state(shop, k, now),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        print_json(&serde_json::Value::Array(list));
        return Ok(());
    }

    for (shop, keys) in rows {
        let status = if shop.disabled_at.is_some() {
            "disabled"
        } else {
            "enabled"
        };
        out!("{}  {}  {}  {}", shop.id, status, shop.origin, shop.name);
        for key in keys {
            out!(
                "    key {}  {}  expires {}",
                key.key_id,
                api_key_state(&shop, &key, now),
                rfc3339(key.expires_at)
            );
        }
    }
    Ok(())
}

async fn rotate_key(
    store: &SqliteStore,
    shop_id: &str,
    overlap_hours: u32,
    expires_in_days: u32,
    json: bool,
) -> Result<(), CommandError> {
    let shop = store
        .get_shop(shop_id)
        .await
        .map_err(fail)?
        .ok_or_else(|| fail(format!("no shop with id {shop_id}")))?;
    if shop.disabled_at.is_some() {
        return Err(fail(format!("shop {shop_id} is disabled")));
    }
    if expires_in_days == 0 {
        return Err(fail("--expires-in-days must be at least 1"));
    }

    let now = now_unix();
    let previous_expires_by = now.saturating_add(i64::from(overlap_hours) * SECS_PER_HOUR);
    let key = apikey::generate();
    let record = ApiKeyRecord {
        key_id: key.key_id.clone(),
        shop_id: shop.id.clone(),
        hash: key.hash,
        created_at: now,
        expires_at: days_from_now(now, expires_in_days),
    };
    store
        .rotate_api_key(&record, previous_expires_by, now)
        .await
        .map_err(fail)?;

    let previous = store
        .list_api_keys(&shop.id)
        .await
        .map_err(fail)?
        .into_iter()
        .filter(|k| k.key_id != record.key_id && k.expires_at > now)
        .max_by_key(|k| k.created_at);
    if json {
        print_json(&json!({
            "shop_id": shop.id,
            "api_key": key.token.as_str(),
            "expires_at": rfc3339(record.expires_at),
            "previous_key_expires_at": previous.as_ref().map(|k| rfc3339(k.expires_at)),
        }));
    } else {
        out!("shop_id:    {}", shop.id);
        out!("api_key:    {}", key.token.as_str());
        out!("expires_at: {}", rfc3339(record.expires_at));
        if let Some(previous) = previous {
            out!(
                "previous key {} works until {}",
                previous.key_id,
                rfc3339(previous.expires_at)
            );
        }
        eprintln!(
            "the API key is shown only this once: store it in the shop's server configuration now"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_normalized() {
        assert_eq!(
            normalize_origin("http://127.0.0.1:8081").unwrap(),
            "http://127.0.0.1:8081"
        );
        assert_eq!(
            normalize_origin("HTTPS://Shop.Example:443/").unwrap(),
            "https://shop.example"
        );
        assert_eq!(
            normalize_origin("http://[::1]:8081").unwrap(),
            "http://[::1]:8081"
        );
    }

    #[test]
    fn non_origins_are_rejected() {
        for input in [
            "shop.example",
            "ftp://shop.example",
            "https://shop.example/checkout",
            "https://shop.example/?a=1",
            "https://user:pw@shop.example",
            "https://shop.example#x",
        ] {
            assert!(normalize_origin(input).is_err(), "{input} was accepted");
        }
    }
}
