//! The card number (primary account number) as a validated secret.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

use super::Brand;
use super::brand::{BrandMatch, MAX_NUMBER_LENGTH, MIN_NUMBER_LENGTH, luhn_valid, match_brand};
use super::error::CardError;
use super::normalize::{char_kind, normalize_number};

/// Digits shown of a card number on receipts and in the shop's result (PCI DSS allows the last
/// four).
const LAST_DIGITS_SHOWN: usize = 4;

/// A validated card number: 12 to 19 ASCII digits in a known brand's issuer range, of a length
/// that brand issues, passing the Luhn check where the brand requires it.
///
/// A secret: the digits are zeroized on drop, Debug shows only the brand, and there is no
/// Display or serde support. Read the digits with [`expose_digits`](CardNumber::expose_digits)
/// only where they are needed (sealing, authorization).
#[derive(PartialEq, Eq)]
pub struct CardNumber {
    digits: String,
    brand: Brand,
}

impl CardNumber {
    /// Parses a card number as typed or pasted (see
    /// [`normalize_number`](super::normalize_number) for what is accepted) and validates it.
    ///
    /// ```
    /// use cardseal_core::card::{Brand, CardNumber};
    ///
    /// let number = CardNumber::parse("３５３０ １１１３ ３３３０ ００００").unwrap();
    /// assert_eq!(number.brand(), Brand::Jcb);
    /// assert_eq!(number.last4(), "0000");
    /// ```
    pub fn parse(input: &str) -> Result<CardNumber, CardError> {
        let digits = normalize_number(input)?;
        Self::validate(digits)
    }

    /// Validates a card number that must already be bare ASCII digits, as in a decoded envelope:
    /// separators and full-width digits are rejected here.
    pub(crate) fn from_digits(digits: &str) -> Result<CardNumber, CardError> {
        if let Some(c) = digits.chars().find(|c| !c.is_ascii_digit()) {
            return Err(CardError::NumberInvalidCharacter(char_kind(c)));
        }
        Self::validate(digits.to_owned())
    }

    /// Checks normalized digits in the order a buyer fixes them: presence, length limits,
    /// brand, brand length, check digit. `digits` is zeroized when it is rejected.
    fn validate(mut digits: String) -> Result<CardNumber, CardError> {
        match check(&digits) {
            Ok(brand) => Ok(CardNumber { digits, brand }),
            Err(error) => {
                digits.zeroize();
                Err(error)
            }
        }
    }

    /// Returns the brand of the number's issuer range.
    pub fn brand(&self) -> Brand {
        self.brand
    }

    /// Returns the last four digits, which may be shown to the buyer and the shop.
    pub fn last4(&self) -> String {
        self.digits[self.digits.len() - LAST_DIGITS_SHOWN..].to_owned()
    }

    /// Returns the number as ASCII digits. The result is the secret itself: never log it.
    pub fn expose_digits(&self) -> &str {
        &self.digits
    }

    /// Returns the number of digits (12 to 19).
    #[allow(clippy::len_without_is_empty)] // a validated card number is never empty
    pub fn len(&self) -> usize {
        self.digits.len()
    }
}

impl Drop for CardNumber {
    fn drop(&mut self) {
        self.digits.zeroize();
    }
}

impl ZeroizeOnDrop for CardNumber {}

impl fmt::Debug for CardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CardNumber")
            .field("brand", &self.brand)
            .field("digits", &"<redacted>")
            .finish()
    }
}

/// Runs the checks of [`CardNumber::validate`] on ASCII digits and returns the brand.
pub(crate) fn check(digits: &str) -> Result<Brand, CardError> {
    let length = digits.len();
    if length == 0 {
        return Err(CardError::NumberMissing);
    }
    if length > MAX_NUMBER_LENGTH {
        return Err(CardError::NumberTooLong);
    }

    let brand = match match_brand(digits) {
        BrandMatch::One(brand) => brand,
        BrandMatch::Unknown => return Err(CardError::NumberUnknownBrand),
        // Only numbers shorter than every issuer range can still be ambiguous, and those are
        // far below the shortest card number.
        BrandMatch::Ambiguous => return Err(CardError::NumberIncomplete),
    };

    let lengths = brand.lengths();
    if length < MIN_NUMBER_LENGTH || length < usize::from(brand.min_length()) {
        return Err(CardError::NumberIncomplete);
    }
    if length > usize::from(brand.max_length()) {
        return Err(CardError::NumberTooLong);
    }
    if !lengths
        .iter()
        .any(|&allowed| usize::from(allowed) == length)
    {
        return Err(CardError::NumberInvalidLength { brand });
    }

    if brand.requires_luhn() && !luhn_valid(digits) {
        return Err(CardError::NumberChecksum);
    }

    Ok(brand)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_public_test_numbers() {
        // Public test card numbers published by payment processors for integration tests.
        let cases = [
            ("4242 4242 4242 4242", Brand::Visa),
            ("5555 5555 5555 4444", Brand::Mastercard),
            ("2223 0031 2200 3222", Brand::Mastercard),
            ("3782 822463 10005", Brand::Amex),
            ("3530 1113 3330 0000", Brand::Jcb),
            ("3622 720627 1667", Brand::DinersClub),
            ("6011 1111 1111 1117", Brand::Discover),
            ("6200 0000 0000 0005", Brand::UnionPay),
        ];
        for (input, brand) in cases {
            let number = CardNumber::parse(input).unwrap();
            assert_eq!(number.brand(), brand, "{input}");
            assert_eq!(number.expose_digits(), input.replace(' ', ""));
        }
    }

    #[test]
    fn last4_and_len() {
        let number = CardNumber::parse("4242424242424242").unwrap();
        assert_eq!(number.last4(), "4242");
        assert_eq!(number.len(), 16);
    }

    #[test]
    fn rejections_in_order() {
        let cases = [
            ("", CardError::NumberMissing),
            (" - ", CardError::NumberMissing),
            ("42424242424242424242", CardError::NumberTooLong),
            ("1234567890123456", CardError::NumberUnknownBrand),
            ("2205000000000000", CardError::NumberUnknownBrand),
            ("4242", CardError::NumberIncomplete),
            ("5", CardError::NumberIncomplete),
            ("424242424242", CardError::NumberIncomplete),
            (
                "42424242424242",
                CardError::NumberInvalidLength { brand: Brand::Visa },
            ),
            ("55555555555544440", CardError::NumberTooLong),
            ("4242424242424241", CardError::NumberChecksum),
        ];
        for (input, error) in cases {
            assert_eq!(
                CardNumber::parse(input).unwrap_err(),
                error,
                "input {input:?}"
            );
        }
    }

    #[test]
    fn unionpay_skips_luhn() {
        let number = CardNumber::parse("6200000000000006").unwrap();
        assert_eq!(number.brand(), Brand::UnionPay);
        assert!(!luhn_valid(number.expose_digits()));
    }

    #[test]
    fn from_digits_is_strict() {
        assert!(CardNumber::from_digits("4242424242424242").is_ok());
        assert_eq!(
            CardNumber::from_digits("4242 4242 4242 4242")
                .unwrap_err()
                .code(),
            "number_invalid_character"
        );
        assert_eq!(
            CardNumber::from_digits("４２４２４２４２４２４２４２４２")
                .unwrap_err()
                .code(),
            "number_invalid_character"
        );
    }

    #[test]
    fn debug_is_redacted() {
        let number = CardNumber::parse("4242424242424242").unwrap();
        let debug = format!("{number:?}");
        assert!(!debug.contains("4242"), "{debug}");
        assert!(debug.contains("Visa"), "{debug}");
    }
}
