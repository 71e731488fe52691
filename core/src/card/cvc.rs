//! The card security code (CVC2, CVV2, CID).

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

use super::Brand;
use super::error::CardError;
use super::normalize::{char_kind, normalize_digits_only};

/// Minimum security code length of any brand.
const MIN_CVC_LENGTH: usize = 3;

/// Maximum security code length of any brand (the American Express CID).
const MAX_CVC_LENGTH: usize = 4;

/// A validated security code: three digits, or four for American Express.
///
/// Kept as a string because leading zeros are part of the code. A secret: zeroized on drop,
/// redacted in Debug, no Display or serde support.
#[derive(PartialEq, Eq)]
pub struct Cvc {
    digits: String,
}

impl Cvc {
    /// Parses a security code as typed (ASCII or full-width digits; surrounding and inner
    /// spaces are dropped) and checks its length for `brand`. With `brand` unknown, three or four
    /// digits are accepted.
    ///
    /// ```
    /// use cardseal_core::card::{Brand, Cvc};
    ///
    /// assert_eq!(Cvc::parse("０１２", Some(Brand::Visa)).unwrap().expose(), "012");
    /// assert_eq!(Cvc::parse("012", Some(Brand::Amex)).unwrap_err().code(), "cvc_invalid_length");
    /// ```
    pub fn parse(input: &str, brand: Option<Brand>) -> Result<Cvc, CardError> {
        let digits = normalize_digits_only(input, CardError::CvcInvalidCharacter)?;
        Self::validate(digits, brand)
    }

    /// Validates a security code that must already be bare ASCII digits, as in a decoded
    /// envelope.
    pub(crate) fn from_digits(digits: &str, brand: Option<Brand>) -> Result<Cvc, CardError> {
        if let Some(c) = digits.chars().find(|c| !c.is_ascii_digit()) {
            return Err(CardError::CvcInvalidCharacter(char_kind(c)));
        }
        Self::validate(digits.to_owned(), brand)
    }

    fn validate(mut digits: String, brand: Option<Brand>) -> Result<Cvc, CardError> {
        let length = digits.len();
        let length_ok = match brand {
            Some(brand) => length == usize::from(brand.cvc_length()),
            None => (MIN_CVC_LENGTH..=MAX_CVC_LENGTH).contains(&length),
        };

        let error = if length == 0 {
            CardError::CvcMissing
        } else if !length_ok {
            CardError::CvcInvalidLength { brand }
        } else {
            return Ok(Cvc { digits });
        };
        digits.zeroize();
        Err(error)
    }

    /// Returns the digits. The result is the secret itself: never log or store it.
    pub fn expose(&self) -> &str {
        &self.digits
    }

    /// Returns the number of digits (3 or 4).
    #[allow(clippy::len_without_is_empty)] // a validated security code is never empty
    pub fn len(&self) -> usize {
        self.digits.len()
    }
}

impl Drop for Cvc {
    fn drop(&mut self) {
        self.digits.zeroize();
    }
}

impl ZeroizeOnDrop for Cvc {}

impl fmt::Debug for Cvc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cvc(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::CharKind;

    #[test]
    fn lengths_by_brand() {
        assert!(Cvc::parse("123", Some(Brand::Visa)).is_ok());
        assert!(Cvc::parse("123", Some(Brand::Jcb)).is_ok());
        assert!(Cvc::parse("1234", Some(Brand::Amex)).is_ok());
        assert!(Cvc::parse("123", None).is_ok());
        assert!(Cvc::parse("1234", None).is_ok());

        let cases = [
            ("12", Some(Brand::Visa)),
            ("1234", Some(Brand::Visa)),
            ("123", Some(Brand::Amex)),
            ("12345", Some(Brand::Amex)),
            ("12", None),
            ("12345", None),
        ];
        for (input, brand) in cases {
            assert_eq!(
                Cvc::parse(input, brand),
                Err(CardError::CvcInvalidLength { brand }),
                "input {input:?} brand {brand:?}"
            );
        }
    }

    #[test]
    fn leading_zeros_are_kept() {
        assert_eq!(
            Cvc::parse("007", Some(Brand::Visa)).unwrap().expose(),
            "007"
        );
        assert_eq!(Cvc::parse("0000", Some(Brand::Amex)).unwrap().len(), 4);
    }

    #[test]
    fn full_width_and_spaces() {
        assert_eq!(
            Cvc::parse(" ９８７\u{3000}", Some(Brand::Jcb))
                .unwrap()
                .expose(),
            "987"
        );
    }

    #[test]
    fn missing_and_invalid_characters() {
        assert_eq!(
            Cvc::parse("", Some(Brand::Visa)),
            Err(CardError::CvcMissing)
        );
        assert_eq!(Cvc::parse(" ", None), Err(CardError::CvcMissing));
        assert_eq!(
            Cvc::parse("12a", Some(Brand::Visa)),
            Err(CardError::CvcInvalidCharacter(CharKind::Letter))
        );
        assert_eq!(
            Cvc::parse("1-23", Some(Brand::Visa)),
            Err(CardError::CvcInvalidCharacter(CharKind::Symbol))
        );
    }

    #[test]
    fn from_digits_is_strict() {
        assert!(Cvc::from_digits("123", Some(Brand::Visa)).is_ok());
        assert_eq!(
            Cvc::from_digits(" 123", Some(Brand::Visa))
                .unwrap_err()
                .code(),
            "cvc_invalid_character"
        );
    }

    #[test]
    fn debug_is_redacted() {
        let cvc = Cvc::parse("987", Some(Brand::Visa)).unwrap();
        assert_eq!(format!("{cvc:?}"), "Cvc(<redacted>)");
    }
}
