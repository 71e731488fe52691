//! The claims that bind an envelope to one checkout, and the policy that checks their age.

use std::fmt;
use std::net::Ipv6Addr;

use super::base64url;

/// Maximum length of a key id or a checkout session id, in characters.
pub const MAX_ID_LEN: usize = 128;

/// Bytes of randomness in an envelope id written by this crate (128 bits).
pub const ENVELOPE_ID_LEN: usize = 16;

/// Minimum and maximum length of the bytes an envelope id encodes, when read.
pub const MIN_ENVELOPE_ID_LEN: usize = ENVELOPE_ID_LEN;
pub const MAX_ENVELOPE_ID_LEN: usize = 64;

/// Maximum issue time: 2^53 - 1, the largest integer every JSON reader represents exactly
/// (RFC 7493 section 2.2).
pub const MAX_ISSUED_AT: u64 = (1 << 53) - 1;

/// A DNS name has at most 253 characters (RFC 1035 section 2.3.4).
const MAX_HOST_LEN: usize = 253;

/// Maximum origin length: scheme, separator, the longest host and a five-digit port.
pub const MAX_ORIGIN_LEN: usize = "https://".len() + MAX_HOST_LEN + ":65535".len();

/// The checkout an envelope is bound to: the input of `seal` and `prepare`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    /// The checkout session id issued by the platform (1 to 128 characters of `A-Z a-z 0-9 - _ .`,
    /// not all dots).
    pub session_id: String,
    /// The ASCII serialization of the checkout page's origin (RFC 6454 section 6.2), for example
    /// `https://shop.example`.
    pub origin: String,
    /// Issue time in seconds since the Unix epoch, preferably from the platform's clock.
    pub issued_at: u64,
}

/// The claims read from an envelope's protected header, authenticated as AAD when it opens.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Claims {
    pub(crate) session_id: String,
    pub(crate) origin: String,
    pub(crate) issued_at: u64,
    pub(crate) envelope_id: String,
}

impl Claims {
    /// Returns the checkout session id (`sid`).
    pub fn session_id(&self) -> &str {
        &self.session_id
    }

    /// Returns the origin of the page the envelope was sealed for (`origin`).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Returns the issue time in seconds since the Unix epoch (`iat`).
    pub fn issued_at(&self) -> u64 {
        self.issued_at
    }

    /// Returns the envelope id (`jti`): base64url of at least 128 random bits, unique per envelope.
    pub fn envelope_id(&self) -> &str {
        &self.envelope_id
    }
}

/// The window of accepted issue times: a maximum age and an allowed clock skew.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenPolicy {
    /// Most seconds between the issue time and now.
    pub max_age_secs: u64,
    /// Seconds of clock difference tolerated between sealer and opener, in either direction.
    pub clock_skew_secs: u64,
}

impl Default for OpenPolicy {
    /// Ten minutes of age, enough for a slow relay and its retries, and five minutes of skew for
    /// a buyer's clock.
    fn default() -> Self {
        OpenPolicy {
            max_age_secs: 600,
            clock_skew_secs: 300,
        }
    }
}

impl OpenPolicy {
    /// Checks the issue time against `now` (seconds since the Unix epoch).
    ///
    /// Accepts `iat` when `now - max_age - skew <= iat <= now + skew`.
    pub fn check(&self, claims: &Claims, now: u64) -> Result<(), ClaimsError> {
        let iat = claims.issued_at;

        if iat > now.saturating_add(self.clock_skew_secs) {
            return Err(ClaimsError::IssuedInFuture);
        }
        if now
            > iat
                .saturating_add(self.max_age_secs)
                .saturating_add(self.clock_skew_secs)
        {
            return Err(ClaimsError::Stale);
        }
        Ok(())
    }
}

/// A rejection of an envelope's claims by an [`OpenPolicy`].
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClaimsError {
    /// The issue time is older than the maximum age plus the allowed skew.
    Stale,
    /// The issue time is later than now plus the allowed skew.
    IssuedInFuture,
}

impl ClaimsError {
    /// Returns the stable snake_case code of the error.
    pub fn code(self) -> &'static str {
        match self {
            ClaimsError::Stale => "stale",
            ClaimsError::IssuedInFuture => "issued_in_future",
        }
    }
}

impl fmt::Display for ClaimsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ClaimsError::Stale => "envelope issue time (iat) is older than the maximum age",
            ClaimsError::IssuedInFuture => "envelope issue time (iat) is in the future",
        })
    }
}

impl std::error::Error for ClaimsError {}

/// Checks the `id` rule shared by `kid` and `sid`: 1 to [`MAX_ID_LEN`] characters of
/// `A-Z a-z 0-9 - _ .`, not all dots, so that ids are safe in URLs, file names and log lines.
/// An id of dots alone would name a directory (`.`, `..`) in a path such as `{kid}.pem`.
pub(crate) fn is_valid_id(id: &str) -> bool {
    (1..=MAX_ID_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.'))
        && !id.bytes().all(|byte| byte == b'.')
}

/// Checks an envelope id: canonical base64url of 16 to 64 bytes.
pub(crate) fn is_valid_envelope_id(id: &str) -> bool {
    base64url::decode(id, MAX_ENVELOPE_ID_LEN)
        .is_some_and(|bytes| bytes.len() >= MIN_ENVELOPE_ID_LEN)
}

/// Checks an origin in the one spelling browsers serialize it to (RFC 6454 section 6.2, with
/// the host as browsers' URL parsers write it). That is an `http` or `https` scheme, then a
/// lower-case DNS name, a dotted-decimal IPv4 address or a bracketed RFC 5952 IPv6 address, then
/// a port only when it is not the scheme's default. Any second spelling of an origin is
/// rejected, so comparing origins as strings is sound.
pub(crate) fn is_valid_origin(origin: &str) -> bool {
    if origin.len() > MAX_ORIGIN_LEN {
        return false;
    }
    let (rest, default_port) = if let Some(rest) = origin.strip_prefix("https://") {
        (rest, "443")
    } else if let Some(rest) = origin.strip_prefix("http://") {
        (rest, "80")
    } else {
        return false;
    };

    // The port follows the last colon outside the IPv6 brackets.
    let host_end = rest.rfind(']').map_or(0, |bracket| bracket + 1);
    let (host, port) = match rest[host_end..].find(':') {
        Some(colon) => (
            &rest[..host_end + colon],
            Some(&rest[host_end + colon + 1..]),
        ),
        None => (rest, None),
    };

    let port_ok = match port {
        None => true,
        Some(port) => is_valid_port(port) && port != default_port,
    };
    port_ok && is_valid_host(host)
}

fn is_valid_port(port: &str) -> bool {
    (1..=5).contains(&port.len())
        && !port.starts_with('0')
        && port.bytes().all(|byte| byte.is_ascii_digit())
        && port.parse::<u16>().is_ok()
}

/// Checks a host in its serialized form. A browser reads a host whose last label is a number
/// (`127.1`, `0x7f.1`, `shop.123`) as an IPv4 address and writes it in dotted decimal, or
/// rejects the URL, so such a host must already be that dotted-decimal form.
fn is_valid_host(host: &str) -> bool {
    if let Some(address) = host
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
    {
        return is_canonical_ipv6(address);
    }
    let last_label = host.rsplit('.').next().unwrap_or(host);
    if is_numeric_label(last_label) {
        return is_canonical_ipv4(host);
    }
    is_valid_dns_host(host)
}

/// Tells whether a browser's URL parser reads a label as an IPv4 number: decimal digits, or
/// `0x` followed by hexadecimal digits.
fn is_numeric_label(label: &str) -> bool {
    let decimal = !label.is_empty() && label.bytes().all(|byte| byte.is_ascii_digit());
    let hexadecimal = label
        .strip_prefix("0x")
        .is_some_and(|digits| digits.bytes().all(|byte| byte.is_ascii_hexdigit()));
    decimal || hexadecimal
}

/// Lower-case LDH labels of 1 to 63 characters, neither starting nor ending with a hyphen.
fn is_valid_dns_host(host: &str) -> bool {
    (1..=MAX_HOST_LEN).contains(&host.len())
        && host.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|byte| matches!(byte, b'a'..=b'z' | b'0'..=b'9' | b'-'))
        })
}

/// Four decimal octets of 0 to 255 without leading zeros (`dec-octet` of RFC 3986 section 3.2.2).
fn is_canonical_ipv4(host: &str) -> bool {
    let octets: Vec<&str> = host.split('.').collect();
    octets.len() == 4
        && octets.iter().all(|octet| {
            (1..=3).contains(&octet.len())
                && octet.bytes().all(|byte| byte.is_ascii_digit())
                && !(octet.len() > 1 && octet.starts_with('0'))
                && octet.parse::<u8>().is_ok()
        })
}

/// Checks that an IPv6 address is written exactly as [`ipv6_text`] writes it (RFC 5952 form).
fn is_canonical_ipv6(address: &str) -> bool {
    address
        .parse::<Ipv6Addr>()
        .is_ok_and(|parsed| ipv6_text(&parsed) == address)
}

/// Writes an IPv6 address in the text form of RFC 5952 section 4: lower-case hexadecimal
/// without leading zeros, and the first longest run of two or more zero groups replaced by
/// `::`. Unlike `Ipv6Addr`'s Display, it never writes an embedded IPv4 address in dotted
/// decimal (`::ffff:7f00:1`, not `::ffff:127.0.0.1`), because browsers do not.
fn ipv6_text(address: &Ipv6Addr) -> String {
    let groups = address.segments();

    // The first longest run of zero groups, if it has at least two.
    let mut longest: Option<(usize, usize)> = None;
    let mut index = 0;
    while index < groups.len() {
        let run = groups[index..]
            .iter()
            .take_while(|&&group| group == 0)
            .count();
        if run >= 2 && longest.is_none_or(|(_, length)| run > length) {
            longest = Some((index, run));
        }
        index += run.max(1);
    }

    let hex = |groups: &[u16]| -> String {
        let texts: Vec<String> = groups.iter().map(|group| format!("{group:x}")).collect();
        texts.join(":")
    };
    match longest {
        Some((start, length)) => format!(
            "{}::{}",
            hex(&groups[..start]),
            hex(&groups[start + length..])
        ),
        None => hex(&groups),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims_at(issued_at: u64) -> Claims {
        Claims {
            session_id: "cs_1".into(),
            origin: "https://shop.example".into(),
            issued_at,
            envelope_id: "AAAAAAAAAAAAAAAAAAAAAA".into(),
        }
    }

    #[test]
    fn policy_window_edges() {
        let policy = OpenPolicy {
            max_age_secs: 600,
            clock_skew_secs: 300,
        };
        let now = 1_000_000;
        assert_eq!(policy.check(&claims_at(now), now), Ok(()));
        assert_eq!(policy.check(&claims_at(now + 300), now), Ok(()));
        assert_eq!(
            policy.check(&claims_at(now + 301), now),
            Err(ClaimsError::IssuedInFuture)
        );
        assert_eq!(policy.check(&claims_at(now - 900), now), Ok(()));
        assert_eq!(
            policy.check(&claims_at(now - 901), now),
            Err(ClaimsError::Stale)
        );
        assert_eq!(
            policy.check(&claims_at(0), u64::MAX),
            Err(ClaimsError::Stale)
        );
        assert_eq!(
            policy.check(&claims_at(u64::MAX), 0),
            Err(ClaimsError::IssuedInFuture)
        );
    }

    #[test]
    fn id_rule() {
        assert!(is_valid_id("cs_01HZX-abc.def"));
        assert!(is_valid_id(&"a".repeat(MAX_ID_LEN)));
        for id in ["a.", ".a", "..a", "a..b", "_", "-"] {
            assert!(is_valid_id(id), "rejected {id:?}");
        }
        for id in [
            "",
            ".",
            "..",
            "...",
            &".".repeat(MAX_ID_LEN),
            "a b",
            "a/b",
            "a:b",
            "ｃｓ",
            "a\n",
            &"a".repeat(MAX_ID_LEN + 1),
        ] {
            assert!(!is_valid_id(id), "accepted {id:?}");
        }
    }

    #[test]
    fn envelope_id_rule() {
        assert!(is_valid_envelope_id(&base64url::encode(&[1u8; 16])));
        assert!(is_valid_envelope_id(&base64url::encode(&[1u8; 64])));
        assert!(!is_valid_envelope_id(&base64url::encode(&[1u8; 15])));
        assert!(!is_valid_envelope_id(&base64url::encode(&[1u8; 65])));
        assert!(!is_valid_envelope_id("AQEBAQEBAQEBAQEBAQEBAB"));
    }

    #[test]
    fn origin_rule() {
        let valid = [
            "https://shop.example",
            "http://127.0.0.1:8081",
            "http://localhost:8080",
            "https://xn--eckwd4c7c.xn--zckzah:8443",
            "http://[::1]:8081",
            "https://[2001:db8::1]",
            "https://a",
            "http://10.0.0.255",
            "http://0.0.0.0",
            "http://[::]",
            "http://[1::]",
            "http://[::ffff:7f00:1]",
            "http://[2001:db8::1:0:0:1]",
            "http://[1:0:0:2::3]",
            "http://[1:2:3:4:5:6:7:8]",
            "http://[1:0:2:3:4:5:6:7]",
            "https://1.example",
            "https://shop.0xg",
        ];
        for origin in valid {
            assert!(is_valid_origin(origin), "rejected {origin:?}");
        }
        let invalid = [
            "",
            "null",
            "shop.example",
            "ftp://shop.example",
            "https://shop.example/",
            "https://shop.example/pay",
            "https://Shop.example",
            "HTTPS://shop.example",
            "https://shop.example:443",
            "http://shop.example:80",
            "https://shop.example:0",
            "https://shop.example:08080",
            "https://shop.example:65536",
            "https://shop.example:",
            "https://user@shop.example",
            "https://shop..example",
            "https://.shop.example",
            "https://shop.example.",
            "https://-shop.example",
            "https://shop_1.example",
            "https://[::G]",
            "https://[2001:DB8::1]",
            "https://::1",
            "https://shop.example?x",
            "https://shop.example#x",
            "https:// shop.example",
            // IPv4 addresses in a spelling other than four dotted-decimal octets.
            "http://127.1:8081",
            "http://0177.0.0.01:8081",
            "http://127.0.0.01",
            "http://0x7f.0.0.1",
            "http://2130706433",
            "http://127.0.0.1.1",
            "http://256.0.0.1",
            "https://shop.123",
            "https://shop.0x1f",
            "https://shop.0x",
            // IPv6 addresses in a form other than RFC 5952's.
            "http://[0:0:0:0:0:0:0:1]:8081",
            "http://[::0:1]",
            "http://[0::1]",
            "http://[::ffff:127.0.0.1]",
            "http://[::1.2.3.4]",
            "http://[2001:0db8::1]",
            "http://[2001:db8:0:0:1::1]",
            "http://[2001:db8::0:1]",
            "http://[1:0:2:3:4:5:6::]",
            "http://[1::2:3:4:5:6:7]",
            "http://[fe80::1%25eth0]",
        ];
        for origin in invalid {
            assert!(!is_valid_origin(origin), "accepted {origin:?}");
        }
        let long_host = format!("https://{}.example", "a".repeat(63));
        assert!(is_valid_origin(&long_host));
        let too_long_label = format!("https://{}.example", "a".repeat(64));
        assert!(!is_valid_origin(&too_long_label));
    }

    #[test]
    fn ipv6_text_compresses_first_longest_zero_run() {
        let cases = [
            ("0:0:0:0:0:0:0:0", "::"),
            ("0:0:0:0:0:0:0:1", "::1"),
            ("1:0:0:0:0:0:0:0", "1::"),
            ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
            ("1:0:0:2:0:0:0:3", "1:0:0:2::3"),
            ("1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"),
            ("0:0:ffff:0:0:0:0:0", "0:0:ffff::"),
            ("0:0:0:0:0:ffff:7f00:1", "::ffff:7f00:1"),
            ("ABCD:0DB8:0:0:0:0:0:1", "abcd:db8::1"),
        ];
        for (input, expected) in cases {
            let address: Ipv6Addr = input.parse().unwrap();
            assert_eq!(ipv6_text(&address), expected, "input {input}");
        }
    }
}
