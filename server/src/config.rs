//! Settings of a running service, resolved from the command line and environment.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::cli::{LogFormat, ServeArgs};

/// Directory served as static assets when `--assets` is not given and it exists.
pub const DEFAULT_ASSETS_DIR: &str = "dist";
/// Name of the SQLite database file in the data directory.
pub const DATABASE_FILE: &str = "cardseal.db";

/// Settings of `serve`.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    pub assets: Option<PathBuf>,
    /// Fixed frame-ancestors list; `None` means the origins of the enabled shops.
    pub frame_ancestors: Option<Vec<String>>,
    pub log_format: LogFormat,
    pub log_filter: String,
    pub session_ttl_secs: i64,
    pub envelope_max_age_secs: u64,
    pub clock_skew_secs: u64,
    pub max_body_bytes: usize,
    pub max_headers: usize,
    pub rate_limit: u32,
    pub rate_burst: u32,
    pub auth_failure_limit: u32,
    pub refusal_log_interval: Duration,
    pub acquirer_timeout: Duration,
    pub simulated_slow: Duration,
    pub jwks_max_age_secs: u64,
    pub header_read_timeout: Duration,
    pub shutdown_grace: Duration,
    pub key_reload_interval: Duration,
    pub dev_key_bits: u32,
    pub no_dev_key: bool,
    pub db_readers: usize,
}

impl ServeConfig {
    /// Resolves the settings; relative paths stay relative to the working directory. Fails when a
    /// `--frame-ancestors` entry could break out of the CSP header.
    pub fn from_args(data_dir: &Path, args: &ServeArgs) -> Result<Self, String> {
        let assets = args.assets.clone().or_else(|| {
            let default = PathBuf::from(DEFAULT_ASSETS_DIR);
            default.is_dir().then_some(default)
        });
        let frame_ancestors: Option<Vec<String>> = args.frame_ancestors.as_ref().map(|list| {
            list.iter()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        });
        for source in frame_ancestors.iter().flatten() {
            if !is_csp_source(source) {
                return Err(format!(
                    "--frame-ancestors entry {source:?} is not a CSP source such as https://shop.example or 'self'"
                ));
            }
        }

        Ok(ServeConfig {
            data_dir: data_dir.to_path_buf(),
            listen: args.listen,
            assets,
            frame_ancestors,
            log_format: args.log_format,
            log_filter: args.log_filter.clone(),
            session_ttl_secs: i64::try_from(args.session_ttl).unwrap_or(i64::MAX),
            envelope_max_age_secs: args.envelope_max_age,
            clock_skew_secs: args.clock_skew,
            max_body_bytes: args.max_body_bytes,
            max_headers: args.max_headers.max(1),
            rate_limit: args.rate_limit,
            rate_burst: args.rate_burst,
            auth_failure_limit: args.auth_failure_limit,
            refusal_log_interval: Duration::from_secs(args.refusal_log_interval),
            acquirer_timeout: Duration::from_millis(args.acquirer_timeout_ms),
            simulated_slow: Duration::from_millis(args.simulated_slow_ms),
            jwks_max_age_secs: args.jwks_max_age,
            header_read_timeout: Duration::from_secs(args.header_read_timeout.max(1)),
            shutdown_grace: Duration::from_secs(args.shutdown_grace),
            key_reload_interval: Duration::from_secs(args.key_reload_interval.max(1)),
            dev_key_bits: args.dev_key_bits,
            no_dev_key: args.no_dev_key,
            db_readers: args.db_readers.max(1),
        })
    }

    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join(DATABASE_FILE)
    }

    /// Returns how long a used envelope id is kept. Past this time its envelope fails the
    /// issue-time check anyway, and one extra day covers a later increase of the maximum age.
    pub fn envelope_id_retention_secs(&self) -> i64 {
        const EXTRA_RETENTION_SECS: u64 = 86_400;
        let secs = self.envelope_max_age_secs + 2 * self.clock_skew_secs + EXTRA_RETENTION_SECS;
        i64::try_from(secs).unwrap_or(i64::MAX)
    }
}

/// Checks that a `frame-ancestors` entry is a single CSP source expression (CSP Level 3 section
/// 2.3.1): `'self'`, `'none'`, or a scheme, host and port made of URL characters. A space, `;` or
/// `,` would end the directive or start another, so none is allowed.
fn is_csp_source(source: &str) -> bool {
    match source {
        "'self'" | "'none'" => true,
        _ => {
            !source.is_empty()
                && source.bytes().all(|b| {
                    b.is_ascii_alphanumeric()
                        || matches!(b, b':' | b'/' | b'.' | b'*' | b'-' | b'[' | b']')
                })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_csp_source;

    #[test]
    fn csp_sources() {
        for good in [
            "https://shop.example",
            "http://127.0.0.1:8081",
            "https://*.example.com",
            "'self'",
            "'none'",
            "http://[::1]:8081",
        ] {
            assert!(is_csp_source(good), "{good}");
        }
        for bad in [
            "https://a.example; script-src *",
            "https://a.example b",
            "'unsafe-inline'",
            "",
            "https://a.example,https://b",
        ] {
            assert!(!is_csp_source(bad), "{bad}");
        }
    }
}
