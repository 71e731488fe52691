//! Canonical base64url without padding (RFC 7515 section 2, RFC 4648 section 5).

use base64ct::{Base64UrlUnpadded, Encoding};
use zeroize::Zeroizing;

/// Encodes `bytes` as base64url without padding.
pub(crate) fn encode(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(bytes)
}

/// Returns the length of the unpadded base64url encoding of `len` bytes.
pub(crate) const fn encoded_len(len: usize) -> usize {
    (len * 4).div_ceil(3)
}

/// Decodes canonical base64url without padding into a new zeroizing buffer.
///
/// Rejects, before decoding, text that would decode to more than `max_len` bytes. Rejects `=`,
/// characters outside the base64url alphabet, a length that leaves a single character in the
/// last group, and non-zero unused bits in the last character: each value has exactly one
/// accepted encoding.
pub(crate) fn decode(text: &str, max_len: usize) -> Option<Zeroizing<Vec<u8>>> {
    if text.len() > encoded_len(max_len) {
        return None;
    }
    let mut out = Zeroizing::new(vec![0u8; text.len() * 3 / 4]);
    let len = Base64UrlUnpadded::decode(text, &mut out).ok()?.len();
    out.truncate(len);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_length() {
        for len in 0..40 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let text = encode(&bytes);
            assert_eq!(text.len(), encoded_len(len));
            assert_eq!(decode(&text, len).unwrap().as_slice(), bytes.as_slice());
        }
    }

    #[test]
    fn rejects_non_canonical_forms() {
        // 16 bytes leave 4 unused bits in the last character: "A" is canonical, "B" is not.
        let canonical = encode(&[0u8; 16]);
        assert!(decode(&canonical, 16).is_some());
        let mut altered = canonical.clone();
        altered.pop();
        altered.push('B');
        assert!(decode(&altered, 16).is_none());

        for text in [
            "AAAA=", "AA==", "AAA+", "AAA/", "AAA A", "A", "AAAAA", "AAA\n",
        ] {
            assert!(decode(text, 64).is_none(), "accepted {text:?}");
        }
    }

    #[test]
    fn enforces_length_bounds() {
        let text = encode(&[7u8; 12]);
        assert!(decode(&text, 11).is_none());
        assert!(decode(&text, 12).is_some());
        assert_eq!(decode(&text, 12).unwrap().as_slice(), &[7u8; 12]);
    }
}
