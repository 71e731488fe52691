//! Command-line interface: `serve`, `keys ...` and `shops ...`.
//!
//! Every setting has a flag and an environment variable; `--help` gives each one's unit and
//! default. The output of `shops add --json` and `shops rotate-key --json` is a stable interface
//! used by scripts.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::keystore::{DEFAULT_BITS, SUPPORTED_BITS};

/// cardseal decryption service: opens sealed card envelopes, checks them and authorizes payments.
#[derive(Debug, Parser)]
#[command(name = "cardseal-server", version, max_term_width = 100)]
pub struct Cli {
    /// Directory holding the SQLite database, the key store and the card fingerprint key; created
    /// when missing
    #[arg(
        long,
        env = "CARDSEAL_DATA_DIR",
        default_value = "./data",
        global = true
    )]
    pub data_dir: PathBuf,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service
    Serve(Box<ServeArgs>),
    /// Manage the RSA keys that envelopes are sealed to
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Manage shops and their API keys
    #[command(subcommand)]
    Shops(ShopsCommand),
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines
    Text,
    /// One JSON object per line
    Json,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on
    #[arg(long, env = "CARDSEAL_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Directory of static assets (hosted frame, embed script, wasm) served at `/`; default: `dist`
    /// when that directory exists, otherwise none
    #[arg(long, env = "CARDSEAL_ASSETS")]
    pub assets: Option<PathBuf>,

    /// Origins allowed to embed the hosted frame (CSP frame-ancestors), comma-separated; default:
    /// the origins of all enabled shops
    #[arg(long, env = "CARDSEAL_FRAME_ANCESTORS", value_delimiter = ',')]
    pub frame_ancestors: Option<Vec<String>>,

    /// Log format
    #[arg(long, env = "CARDSEAL_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Log filter in tracing's EnvFilter syntax, such as `info` or `cardseal_server=debug`
    #[arg(long, env = "CARDSEAL_LOG", default_value = "info")]
    pub log_filter: String,

    /// Lifetime of a checkout session [unit: seconds]
    #[arg(long, env = "CARDSEAL_SESSION_TTL", default_value_t = 1800)]
    pub session_ttl: u64,

    /// Maximum age of an envelope, from its issue time to its arrival [unit: seconds]
    #[arg(long, env = "CARDSEAL_ENVELOPE_MAX_AGE", default_value_t = 600)]
    pub envelope_max_age: u64,

    /// Allowed clock difference between the buyer's browser and the service [unit: seconds]
    #[arg(long, env = "CARDSEAL_CLOCK_SKEW", default_value_t = 120)]
    pub clock_skew: u64,

    /// Maximum request body size; larger bodies get 413 [unit: bytes]
    #[arg(long, env = "CARDSEAL_MAX_BODY_BYTES", default_value_t = 64 * 1024)]
    pub max_body_bytes: usize,

    /// Maximum number of request header fields; more get 431 [unit: header fields]
    #[arg(long, env = "CARDSEAL_MAX_HEADERS", default_value_t = 64)]
    pub max_headers: usize,

    /// Sustained request rate allowed per shop on the shop API; 0 turns the limit off
    /// [unit: requests per second]
    #[arg(long, env = "CARDSEAL_RATE_LIMIT", default_value_t = 100)]
    pub rate_limit: u32,

    /// Requests a shop may send at once above the sustained rate [unit: requests]
    #[arg(long, env = "CARDSEAL_RATE_BURST", default_value_t = 200)]
    pub rate_burst: u32,

    /// Failed API key authentications allowed per client IP address, refilled evenly over a
    /// minute; past it every request from that address gets 429 with Retry-After, even with a
    /// valid key. 0 turns the limit off [unit: failures per minute]
    #[arg(long, env = "CARDSEAL_AUTH_FAILURE_LIMIT", default_value_t = 30)]
    pub auth_failure_limit: u32,

    /// Repeated refusals (429 answers) are logged at most once per this interval for each shop
    /// or client IP address; the next line counts the ones left out [unit: seconds]
    #[arg(long, env = "CARDSEAL_REFUSAL_LOG_INTERVAL", default_value_t = 60)]
    pub refusal_log_interval: u64,

    /// Time allowed for one authorization at the acquirer; on timeout the payment is declined
    /// with processing_error [unit: milliseconds]
    #[arg(long, env = "CARDSEAL_ACQUIRER_TIMEOUT_MS", default_value_t = 10_000)]
    pub acquirer_timeout_ms: u64,

    /// Delay of the simulated acquirer's slow-response test cards [unit: milliseconds]
    #[arg(long, env = "CARDSEAL_SIMULATED_SLOW_MS", default_value_t = 3_000)]
    pub simulated_slow_ms: u64,

    /// Cache lifetime of the JWKS for browsers and proxies (Cache-Control max-age); keep it well
    /// below the key rotation grace period [unit: seconds]
    #[arg(long, env = "CARDSEAL_JWKS_MAX_AGE", default_value_t = 300)]
    pub jwks_max_age: u64,

    /// Time allowed for a client to send the request head [unit: seconds]
    #[arg(long, env = "CARDSEAL_HEADER_READ_TIMEOUT", default_value_t = 10)]
    pub header_read_timeout: u64,

    /// Time allowed for open requests to finish after SIGINT or SIGTERM [unit: seconds]
    #[arg(long, env = "CARDSEAL_SHUTDOWN_GRACE", default_value_t = 10)]
    pub shutdown_grace: u64,

    /// How often the key directory is checked for changes made by `keys` commands; SIGHUP
    /// reloads at once [unit: seconds]
    #[arg(long, env = "CARDSEAL_KEY_RELOAD_INTERVAL", default_value_t = 10)]
    pub key_reload_interval: u64,

    /// Size of the development key generated when the key store is empty [unit: bits]
    #[arg(long, env = "CARDSEAL_DEV_KEY_BITS", default_value_t = DEFAULT_BITS,
          value_parser = parse_bits)]
    pub dev_key_bits: u32,

    /// Refuse to start when the key store is empty instead of generating a development key
    #[arg(long, env = "CARDSEAL_NO_DEV_KEY")]
    pub no_dev_key: bool,

    /// Number of SQLite connections used for reads [unit: connections]
    #[arg(long, env = "CARDSEAL_DB_READERS", default_value_t = 4)]
    pub db_readers: usize,
}

/// Parses an RSA modulus size the key store supports.
fn parse_bits(text: &str) -> Result<u32, String> {
    match text.parse::<u32>() {
        Ok(bits) if SUPPORTED_BITS.contains(&bits) => Ok(bits),
        _ => Err(String::from("must be 2048, 3072 or 4096")),
    }
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Generate the first active key (fails when a key is already active)
    Generate {
        /// RSA modulus size [unit: bits]
        #[arg(long, env = "CARDSEAL_KEY_BITS", default_value_t = DEFAULT_BITS,
              value_parser = parse_bits)]
        bits: u32,
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// List keys with their state
    List {
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// Generate a new active key; the previous active key keeps opening envelopes for the grace
    /// period
    Rotate {
        /// RSA modulus size of the new key [unit: bits]
        #[arg(long, env = "CARDSEAL_KEY_BITS", default_value_t = DEFAULT_BITS,
              value_parser = parse_bits)]
        bits: u32,
        /// How long the previous key still opens envelopes [unit: seconds]
        #[arg(long, env = "CARDSEAL_KEY_GRACE", default_value_t = 86_400)]
        grace: u64,
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// Retire a key: it opens nothing afterwards and its private key file is deleted
    Retire {
        /// Key id to retire
        #[arg(required_unless_present = "expired", conflicts_with = "expired")]
        kid: Option<String>,
        /// Retire every retiring key whose grace period has ended
        #[arg(long)]
        expired: bool,
        /// Allow retiring the active key, which leaves no key to seal with, or a retiring key
        /// before its grace period ends, which breaks envelopes sealed by pages that fetched the
        /// key set earlier
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ShopsCommand {
    /// Register a shop and print its first API key (shown only once)
    Add {
        /// Shop name shown to operators
        #[arg(long)]
        name: String,
        /// Origin of the shop's checkout page, such as https://shop.example; envelopes must carry
        /// this origin
        #[arg(long)]
        origin: String,
        /// Lifetime of the API key [unit: days]
        #[arg(long, env = "CARDSEAL_API_KEY_DAYS", default_value_t = 90)]
        expires_in_days: u32,
        /// Print `{"shop_id", "api_key", "expires_at"}` as JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// List shops with their API keys' ids and expiry
    List {
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// Issue a new API key; the previous key keeps working for the overlap period
    RotateKey {
        /// Shop id
        shop_id: String,
        /// How long the previous key keeps working [unit: hours]
        #[arg(long, env = "CARDSEAL_API_KEY_OVERLAP_HOURS", default_value_t = 168)]
        overlap_hours: u32,
        /// Lifetime of the new API key [unit: days]
        #[arg(long, env = "CARDSEAL_API_KEY_DAYS", default_value_t = 90)]
        expires_in_days: u32,
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// Disable a shop: its API keys stop working at once
    Disable {
        /// Shop id
        shop_id: String,
    },
}
