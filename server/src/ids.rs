//! Random identifiers, API key format and time helpers.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Bytes of randomness in a checkout session, payment or shop id (128 bits).
const ID_RANDOM_BYTES: usize = 16;

/// Fills `buf` from the operating system's random number generator.
///
/// # Panics
/// Panics when the system generator fails, which leaves no safe way to make ids or keys.
pub fn fill_random(buf: &mut [u8]) {
    aws_lc_rs::rand::fill(buf).expect("the system random number generator failed");
}

/// Returns `prefix` followed by 128 random bits in lower-case base32 (26 characters).
pub fn random_id(prefix: &str) -> String {
    let mut bytes = [0u8; ID_RANDOM_BYTES];
    fill_random(&mut bytes);
    format!("{prefix}{}", base32_lower(&bytes))
}

/// Encodes bytes as RFC 4648 base32 without padding, lower-case, so ids stay URL-safe and readable.
fn base32_lower(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 0x1f) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 0x1f) as usize] as char);
    }
    out
}

/// Encodes bytes as base64url without padding (RFC 4648 section 5).
pub fn base64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Returns true when `id` is `prefix` followed by 1 to 64 characters of `[a-z0-9]`.
///
/// Used to reject malformed ids in paths before they reach storage or logs.
pub fn is_well_formed_id(id: &str, prefix: &str) -> bool {
    const MAX_ID_BODY: usize = 64;
    match id.strip_prefix(prefix) {
        Some(body) => {
            !body.is_empty()
                && body.len() <= MAX_ID_BODY
                && body
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        }
        None => false,
    }
}

/// Current time as Unix seconds.
pub fn now_unix() -> i64 {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since_epoch.as_secs()).unwrap_or(i64::MAX)
}

/// Formats Unix seconds as an RFC 3339 timestamp in UTC, such as `2026-01-31T09:00:00Z`.
pub fn rfc3339(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| String::from("invalid-time"))
}

/// Returns the UTC calendar year and month of Unix seconds.
pub fn utc_year_month(unix: i64) -> (u16, u8) {
    let date = OffsetDateTime::from_unix_timestamp(unix)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .date();
    let year = u16::try_from(date.year()).unwrap_or(u16::MAX);
    (year, u8::from(date.month()))
}

/// Formats the UTC date of Unix seconds as `YYYYMMDD`, used in key ids.
pub fn utc_compact_date(unix: i64) -> String {
    let date = OffsetDateTime::from_unix_timestamp(unix)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .date();
    format!(
        "{:04}{:02}{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base32_matches_rfc4648_vectors() {
        // RFC 4648 section 10, lower-cased and without padding.
        assert_eq!(base32_lower(b""), "");
        assert_eq!(base32_lower(b"f"), "my");
        assert_eq!(base32_lower(b"fo"), "mzxq");
        assert_eq!(base32_lower(b"foo"), "mzxw6");
        assert_eq!(base32_lower(b"foobar"), "mzxw6ytboi");
    }

    #[test]
    fn random_id_has_prefix_and_length() {
        let id = random_id("cs_");
        assert!(id.starts_with("cs_"));
        assert_eq!(id.len(), 3 + 26);
        assert!(is_well_formed_id(&id, "cs_"));
        assert_ne!(id, random_id("cs_"));
    }

    #[test]
    fn well_formed_id_rejects_other_shapes() {
        assert!(!is_well_formed_id("cs_", "cs_"));
        assert!(!is_well_formed_id("pay_abc", "cs_"));
        assert!(!is_well_formed_id("cs_ABC", "cs_"));
        assert!(!is_well_formed_id("cs_a/b", "cs_"));
        assert!(!is_well_formed_id(&format!("cs_{}", "a".repeat(65)), "cs_"));
    }

    #[test]
    fn rfc3339_formats_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_767_225_600), "2026-01-01T00:00:00Z");
        assert_eq!(utc_year_month(1_767_225_600), (2026, 1));
        assert_eq!(utc_compact_date(1_767_225_600), "20260101");
    }
}
