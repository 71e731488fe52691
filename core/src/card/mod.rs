//! Card parsing and validation, shared by the browser and the decryption service.
//!
//! The card form hands its four fields to [`Card::parse`] as a [`CardInput`]. The result is
//! either a [`Card`], which only this module can build and which is the only thing that can be
//! sealed, or [`CardErrors`] with at most one [`CardError`] per [`Field`]. Each error has a
//! stable [`code`](CardError::code) that the card form maps to its Japanese and English messages.
//!
//! Input is taken as a Japanese buyer types or pastes it: full-width digits and Latin letters,
//! ideographic spaces, the dashes a Japanese IME writes, no-break spaces and zero-width
//! characters are all understood (see [`normalize_number`]). Brands come from the issuer
//! ranges of each scheme. The [`Brand`] docs list them, with the decisions on overlapping
//! ranges and on the Luhn check for UnionPay.
//!
//! While the buyer types, the form uses [`normalize_number`], [`detect_brand`],
//! [`format_number`] and [`Brand::max_length`] on the partial number.
//!
//! ```
//! use cardseal_core::card::{Brand, Card, CardInput, Field, YearMonth};
//!
//! let today = YearMonth::new(2026, 5).unwrap();
//!
//! // A JCB test card typed with a Japanese IME in full-width mode.
//! let input = CardInput {
//!     number: "３５３０　１１１３　３３３０　００００",
//!     expiry: "１２／３０",
//!     cvc: "１２３",
//!     holder: Some("ｔａｒｏ　ｙａｍａｄａ"),
//! };
//! let card = Card::parse(&input, today).unwrap();
//! assert_eq!(card.brand(), Brand::Jcb);
//! assert_eq!(card.last4(), "0000");
//! assert_eq!(card.expiry().to_string(), "12/30");
//! assert_eq!(card.holder().unwrap().as_str(), "TARO YAMADA");
//!
//! // Debug output never shows the number or the security code.
//! assert_eq!(format!("{card:?}"), "Card { brand: Jcb, expiry: 12/30, .. }");
//!
//! // One error per field, each with a stable code.
//! let input = CardInput { number: "3530 1113 3330 0001", expiry: "13/30", cvc: "", holder: Some("山田") };
//! let errors = Card::parse(&input, today).unwrap_err();
//! let codes: Vec<&str> = errors.iter().map(|error| error.code()).collect();
//! assert_eq!(codes, ["number_checksum", "expiry_invalid_month", "cvc_missing", "holder_not_romaji"]);
//! assert_eq!(errors.get(Field::Cvc).unwrap().to_string(), "security code is missing");
//! ```
//!
//! # Security notes
//!
//! - [`CardNumber`], [`Cvc`] and [`HolderName`] zeroize their text on drop, print redacted in
//!   Debug, and have neither Display nor serde support; [`Card`]'s Debug shows only the brand and
//!   the expiry date. Reading a secret takes an explicit call (`expose_digits`, `expose`).
//! - Error messages never contain a character of the input: rejected characters are named by
//!   kind ([`CharKind`]), lengths are spelled in words, and no message contains a digit.
//! - [`normalize_number`] returns a plain `String` for the card form's sake; the caller must
//!   treat it as the secret it is.
//! - Nothing here logs, allocates beyond the input's size, or depends on the platform, so the
//!   module builds for `wasm32-unknown-unknown` unchanged.

mod brand;
mod cvc;
mod error;
mod expiry;
mod holder;
mod normalize;
mod number;

use std::fmt;

use zeroize::Zeroizing;

pub use brand::{Brand, MAX_NUMBER_LENGTH, MIN_NUMBER_LENGTH, detect_brand, format_number};
pub use cvc::Cvc;
pub use error::{CardError, CardErrors, CharKind, Field};
pub use expiry::{Expiry, MAX_MONTHS_AHEAD, YearMonth, parse_expiry};
pub use holder::{HolderName, MAX_HOLDER_LENGTH};
pub use normalize::normalize_number;
pub use number::CardNumber;

/// The card form's fields as typed, before validation.
#[derive(Clone, Copy)]
pub struct CardInput<'a> {
    /// The card number, with any separators the buyer typed.
    pub number: &'a str,
    /// The expiry date, such as `12/30`.
    pub expiry: &'a str,
    /// The security code.
    pub cvc: &'a str,
    /// The cardholder name, or `None` when the form has no name field.
    pub holder: Option<&'a str>,
}

impl fmt::Debug for CardInput<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The input contains the unvalidated secrets, so Debug prints none of its fields.
        f.debug_struct("CardInput").finish_non_exhaustive()
    }
}

/// A validated card: number, expiry date, security code and optional cardholder name.
///
/// Only [`Card::parse`] (and, inside this crate, the envelope decoder) builds one, so holding a
/// `Card` proves the details passed every check. Debug shows the brand and expiry date only.
#[derive(PartialEq, Eq)]
pub struct Card {
    number: CardNumber,
    expiry: Expiry,
    cvc: Cvc,
    holder: Option<HolderName>,
}

impl Card {
    /// Validates every field of `input`, checking the expiry date against `today`.
    ///
    /// Collects at most one error per field, so the form can mark every field that needs a fix
    /// at once. The security code length follows the brand of the number, even when the number
    /// has another problem such as a typo that breaks the check digit. When the number's digits
    /// match no single brand, three or four digits pass.
    pub fn parse(input: &CardInput<'_>, today: YearMonth) -> Result<Card, CardErrors> {
        let mut errors = CardErrors::new();

        let number = CardNumber::parse(input.number)
            .map_err(|error| errors.push(error))
            .ok();
        let brand = match &number {
            Some(number) => Some(number.brand()),
            None => brand_hint(input.number),
        };

        let expiry = parse_expiry(input.expiry, today)
            .map_err(|error| errors.push(error))
            .ok();
        let cvc = Cvc::parse(input.cvc, brand)
            .map_err(|error| errors.push(error))
            .ok();
        let holder = match input.holder {
            Some(holder) => HolderName::parse(holder)
                .map_err(|error| errors.push(error))
                .ok(),
            None => Some(None),
        };

        match (number, expiry, cvc, holder) {
            (Some(number), Some(expiry), Some(cvc), Some(holder)) if errors.is_empty() => {
                Ok(Card {
                    number,
                    expiry,
                    cvc,
                    holder,
                })
            }
            _ => Err(errors),
        }
    }

    /// Builds a card from the fields of a decoded envelope payload, strictly: the number and
    /// security code must be bare ASCII digits, the year four digits.
    ///
    /// Checks everything [`Card::parse`] checks except the expiry date window, because the
    /// service decides whether the card is valid on the day it authorizes
    /// ([`Expiry::check_window`]), not on the day it was sealed.
    #[cfg_attr(not(any(test, feature = "open")), allow(dead_code))] // the decoder needs `open`
    pub(crate) fn from_decoded(
        number: &str,
        expiry_year: u16,
        expiry_month: u8,
        cvc: &str,
        holder: Option<&str>,
    ) -> Result<Card, CardErrors> {
        let mut errors = CardErrors::new();

        let number = CardNumber::from_digits(number)
            .map_err(|error| errors.push(error))
            .ok();
        let brand = number.as_ref().map(CardNumber::brand);
        let expiry = Expiry::new(expiry_year, expiry_month)
            .map_err(|error| errors.push(error))
            .ok();
        let cvc = Cvc::from_digits(cvc, brand)
            .map_err(|error| errors.push(error))
            .ok();
        let holder = match holder {
            Some(holder) => HolderName::parse(holder)
                .map_err(|error| errors.push(error))
                .ok(),
            None => Some(None),
        };

        match (number, expiry, cvc, holder) {
            (Some(number), Some(expiry), Some(cvc), Some(holder)) if errors.is_empty() => {
                Ok(Card {
                    number,
                    expiry,
                    cvc,
                    holder,
                })
            }
            _ => Err(errors),
        }
    }

    /// Returns the card number.
    pub fn number(&self) -> &CardNumber {
        &self.number
    }

    /// Returns the brand of the card number.
    pub fn brand(&self) -> Brand {
        self.number.brand()
    }

    /// Returns the expiry date.
    pub fn expiry(&self) -> Expiry {
        self.expiry
    }

    /// Returns the security code.
    pub fn cvc(&self) -> &Cvc {
        &self.cvc
    }

    /// Returns the cardholder name, if one was given.
    pub fn holder(&self) -> Option<&HolderName> {
        self.holder.as_ref()
    }

    /// Returns the last four digits of the card number.
    pub fn last4(&self) -> String {
        self.number.last4()
    }
}

impl fmt::Debug for Card {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Card")
            .field("brand", &self.brand())
            .field("expiry", &format_args!("{}", self.expiry))
            .finish_non_exhaustive()
    }
}

/// Tells the brand of a card number that failed validation, so that the security code can
/// still be checked against it. The normalized digits are zeroized before returning.
fn brand_hint(input: &str) -> Option<Brand> {
    let digits = Zeroizing::new(normalize_number(input).ok()?);
    detect_brand(&digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> YearMonth {
        YearMonth::new(2026, 5).unwrap()
    }

    fn visa_input() -> CardInput<'static> {
        CardInput {
            number: "4242 4242 4242 4242",
            expiry: "12/30",
            cvc: "123",
            holder: None,
        }
    }

    #[test]
    fn parse_valid_card() {
        let card = Card::parse(&visa_input(), today()).unwrap();
        assert_eq!(card.brand(), Brand::Visa);
        assert_eq!(card.number().expose_digits(), "4242424242424242");
        assert_eq!((card.expiry().month(), card.expiry().year()), (12, 2030));
        assert_eq!(card.cvc().expose(), "123");
        assert!(card.holder().is_none());
    }

    #[test]
    fn blank_holder_is_none() {
        let input = CardInput {
            holder: Some("  "),
            ..visa_input()
        };
        assert!(Card::parse(&input, today()).unwrap().holder().is_none());
    }

    #[test]
    fn cvc_follows_brand_of_invalid_number() {
        let input = CardInput {
            number: "3782 822463 10006",
            cvc: "123",
            ..visa_input()
        };
        let errors = Card::parse(&input, today()).unwrap_err();
        assert_eq!(errors.get(Field::Number), Some(&CardError::NumberChecksum));
        assert_eq!(
            errors.get(Field::Cvc),
            Some(&CardError::CvcInvalidLength {
                brand: Some(Brand::Amex)
            })
        );
    }

    #[test]
    fn cvc_without_brand_takes_three_or_four() {
        let input = CardInput {
            number: "",
            cvc: "1234",
            ..visa_input()
        };
        let errors = Card::parse(&input, today()).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors.get(Field::Number), Some(&CardError::NumberMissing));
    }

    #[test]
    fn one_error_per_field_in_form_order() {
        let input = CardInput {
            number: "42a",
            expiry: "00/00",
            cvc: "x",
            holder: Some("@"),
        };
        let errors = Card::parse(&input, today()).unwrap_err();
        let fields: Vec<Field> = errors.iter().map(CardError::field).collect();
        assert_eq!(fields, Field::ALL);
        assert_eq!(
            errors.to_string(),
            "card number contains a letter, which is not allowed; \
             expiry date has an invalid month; \
             security code contains a letter, which is not allowed; \
             cardholder name contains a symbol, which is not allowed"
        );
    }

    #[test]
    fn from_decoded_skips_date_window() {
        let card =
            Card::from_decoded("4242424242424242", 2020, 1, "123", Some("TARO YAMADA")).unwrap();
        assert!(card.expiry().is_expired(today()));
        assert_eq!(
            card.expiry().check_window(today()),
            Err(CardError::ExpiryInPast)
        );
        assert_eq!(card.holder().unwrap().as_str(), "TARO YAMADA");
    }

    #[test]
    fn from_decoded_checks_everything_else() {
        let errors =
            Card::from_decoded("4242 4242 4242 4242", 30, 13, "12", Some("山田")).unwrap_err();
        let codes: Vec<&str> = errors.iter().map(CardError::code).collect();
        assert_eq!(
            codes,
            [
                "number_invalid_character",
                "expiry_invalid_month",
                "cvc_invalid_length",
                "holder_not_romaji"
            ]
        );
        let errors = Card::from_decoded("4242424242424242", 30, 12, "123", None).unwrap_err();
        assert_eq!(
            errors.get(Field::Expiry),
            Some(&CardError::ExpiryInvalidYear)
        );
    }

    #[test]
    fn card_debug_shows_brand_and_expiry_only() {
        let input = CardInput {
            holder: Some("TARO YAMADA"),
            ..visa_input()
        };
        let card = Card::parse(&input, today()).unwrap();
        assert_eq!(
            format!("{card:?}"),
            "Card { brand: Visa, expiry: 12/30, .. }"
        );
        assert_eq!(format!("{input:?}"), "CardInput { .. }");
    }
}
