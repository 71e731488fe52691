//! RSA public keys for sealing.

use std::fmt;

use super::KeyError;
use crate::envelope::{MAX_MODULUS_BITS, MIN_MODULUS_BITS, is_valid_id};

/// Largest public exponent accepted, 2^33 - 1, the limit of the RustCrypto `rsa` crate.
pub const MAX_PUBLIC_EXPONENT: u64 = (1 << 33) - 1;

/// An RSA public key with its key id, checked for use with RSA-OAEP-256.
///
/// Holds `n` and `e` as minimal big-endian octets (no leading zero), the form JWK uses.
#[derive(Clone)]
pub struct PublicKey {
    kid: String,
    n: Vec<u8>,
    e: Vec<u8>,
    bits: usize,
    #[cfg(feature = "rustcrypto")]
    rsa: rsa::PublicKey,
}

impl PublicKey {
    /// Builds a key from its id, modulus `n` and public exponent `e` as big-endian octets.
    ///
    /// Leading zero octets are stripped (DER integers and some libraries add one). Requires a
    /// valid key id, an odd modulus of 2048 to 4096 bits and an odd exponent from 3 to 2^33 - 1.
    pub fn from_components(kid: &str, n: &[u8], e: &[u8]) -> Result<PublicKey, KeyError> {
        if !is_valid_id(kid) {
            return Err(KeyError::InvalidKid);
        }
        let n = strip_leading_zeros(n);
        let e = strip_leading_zeros(e);

        let bits = bit_length(n);
        if !(MIN_MODULUS_BITS..=MAX_MODULUS_BITS).contains(&bits) {
            return Err(KeyError::ModulusSize);
        }
        if n[n.len() - 1] & 1 == 0 {
            return Err(KeyError::InvalidModulus);
        }
        let exponent = e.iter().try_fold(0u64, |value, &byte| {
            value
                .checked_mul(256)
                .map(|shifted| shifted | u64::from(byte))
        });
        match exponent {
            Some(value) if (3..=MAX_PUBLIC_EXPONENT).contains(&value) && value & 1 == 1 => {}
            _ => return Err(KeyError::InvalidExponent),
        }

        Ok(PublicKey {
            kid: kid.to_owned(),
            #[cfg(feature = "rustcrypto")]
            rsa: rustcrypto_key(n, e)?,
            n: n.to_vec(),
            e: e.to_vec(),
            bits,
        })
    }

    /// Returns the key id (`kid`).
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Returns the modulus length in bits.
    pub fn modulus_bits(&self) -> usize {
        self.bits
    }

    /// Returns the modulus length in octets, which is also the length of an encrypted key.
    pub fn modulus_len(&self) -> usize {
        self.bits.div_ceil(8)
    }

    /// Returns the modulus `n`, big-endian without leading zeros.
    pub fn n(&self) -> &[u8] {
        &self.n
    }

    /// Returns the public exponent `e`, big-endian without leading zeros.
    pub fn e(&self) -> &[u8] {
        &self.e
    }

    #[cfg(feature = "rustcrypto")]
    pub(crate) fn rsa(&self) -> &rsa::PublicKey {
        &self.rsa
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.kid == other.kid && self.n == other.n && self.e == other.e
    }
}

impl Eq for PublicKey {}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("kid", &self.kid)
            .field("modulus_bits", &self.bits)
            .finish_non_exhaustive()
    }
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes
        .iter()
        .position(|&byte| byte != 0)
        .unwrap_or(bytes.len());
    &bytes[first..]
}

/// Bit length of a big-endian integer without leading zero octets.
fn bit_length(bytes: &[u8]) -> usize {
    match bytes.first() {
        None => 0,
        Some(&first) => bytes.len() * 8 - first.leading_zeros() as usize,
    }
}

#[cfg(feature = "rustcrypto")]
fn rustcrypto_key(n: &[u8], e: &[u8]) -> Result<rsa::PublicKey, KeyError> {
    use rsa::BoxedUint;

    // The `rsa` crate sizes the integer by the slice, so `n` must come without leading zeros.
    let modulus = BoxedUint::from_be_slice_vartime(n);
    let exponent = BoxedUint::from_be_slice_vartime(e);
    rsa::PublicKey::new(modulus, exponent).map_err(|_| KeyError::InvalidModulus)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds an odd value of `bits` bits. Sealing never runs here, so it need not be a real
    /// modulus.
    fn modulus(bits: usize) -> Vec<u8> {
        let mut n = vec![0xA5u8; bits.div_ceil(8)];
        let extra = n.len() * 8 - bits;
        n[0] = 0xFF >> extra;
        *n.last_mut().unwrap() |= 1;
        n
    }

    #[test]
    fn accepts_sizes_and_strips_zeros() {
        for bits in [2048, 2049, 3072, 4095, 4096] {
            let key = PublicKey::from_components("k", &modulus(bits), &[1, 0, 1]).unwrap();
            assert_eq!(key.modulus_bits(), bits);
        }
        let mut padded = vec![0, 0];
        padded.extend(modulus(2048));
        let key = PublicKey::from_components("k", &padded, &[0, 1, 0, 1]).unwrap();
        assert_eq!(key.n(), modulus(2048).as_slice());
        assert_eq!(key.e(), &[1, 0, 1]);
        assert_eq!(key.modulus_len(), 256);
    }

    #[test]
    fn rejects_bad_components() {
        let n = modulus(2048);
        let cases = [
            ("", n.clone(), vec![1, 0, 1], KeyError::InvalidKid),
            ("a b", n.clone(), vec![1, 0, 1], KeyError::InvalidKid),
            ("k", modulus(2047), vec![1, 0, 1], KeyError::ModulusSize),
            ("k", modulus(4097), vec![1, 0, 1], KeyError::ModulusSize),
            ("k", vec![], vec![1, 0, 1], KeyError::ModulusSize),
            ("k", n.clone(), vec![1], KeyError::InvalidExponent),
            ("k", n.clone(), vec![2], KeyError::InvalidExponent),
            ("k", n.clone(), vec![1, 0, 0], KeyError::InvalidExponent),
            ("k", n.clone(), vec![], KeyError::InvalidExponent),
            (
                "k",
                n.clone(),
                vec![2, 0, 0, 0, 1],
                KeyError::InvalidExponent,
            ),
            (
                "k",
                n.clone(),
                vec![1, 0, 0, 0, 0, 0, 0, 0, 1],
                KeyError::InvalidExponent,
            ),
        ];
        for (kid, n, e, expected) in cases {
            assert_eq!(
                PublicKey::from_components(kid, &n, &e).unwrap_err(),
                expected
            );
        }
        let mut even = modulus(2048);
        *even.last_mut().unwrap() &= 0xFE;
        assert_eq!(
            PublicKey::from_components("k", &even, &[1, 0, 1]).unwrap_err(),
            KeyError::InvalidModulus
        );
        let max_exponent = [1, 0xFF, 0xFF, 0xFF, 0xFF];
        assert!(PublicKey::from_components("k", &modulus(2048), &max_exponent).is_ok());
    }
}
