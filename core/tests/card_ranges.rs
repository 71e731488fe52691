//! Brand detection and number validation at the edges of every issuer range.
//!
//! The ranges below are written out again from the schemes' published tables, independently of
//! the table inside the crate, so that a typo in either shows up as a failure. For every range,
//! both edges are tested at every length the brand issues, and the first number below and above
//! the range is tested for the brand it must (or must not) have.

mod card_support;

use card_support::{pad, test_number, test_number_bad_check};
use cardseal_core::card::{Brand, CardError, CardNumber, detect_brand};

/// One issuer range: numbers whose leading digits, read with as many digits as `first` has, lie in
/// `first..=last`.
struct Range {
    brand: Brand,
    first: u32,
    last: u32,
    /// The brand of the numbers just below `first` and just above `last`.
    below: Option<Brand>,
    above: Option<Brand>,
}

const fn range(
    brand: Brand,
    first: u32,
    last: u32,
    below: Option<Brand>,
    above: Option<Brand>,
) -> Range {
    Range {
        brand,
        first,
        last,
        below,
        above,
    }
}

use Brand::*;

const RANGES: &[Range] = &[
    // Visa: 4. Below is 39 (Diners Club), above is 50 (Maestro).
    range(Visa, 4, 4, Some(DinersClub), Some(Maestro)),
    // Mastercard: 51-55 between Maestro's 50 and 56-58; 2221-2720 above Mir's 2200-2204.
    range(Mastercard, 51, 55, Some(Maestro), Some(Maestro)),
    range(Mastercard, 2221, 2720, None, None),
    // American Express: 34 and 37.
    range(Amex, 34, 34, None, None),
    range(Amex, 37, 37, Some(DinersClub), Some(DinersClub)),
    // JCB: 3528-3589.
    range(Jcb, 3528, 3589, None, None),
    // Diners Club International: 300-305, 3095, 36, 38-39.
    range(DinersClub, 300, 305, None, None),
    range(DinersClub, 3095, 3095, None, None),
    range(DinersClub, 36, 36, None, Some(Amex)),
    range(DinersClub, 38, 39, Some(Amex), Some(Visa)),
    // Discover: 6011, 644-649, 65. 650 above 644-649 is Discover's 65.
    range(Discover, 6011, 6011, None, None),
    range(Discover, 644, 649, None, Some(Discover)),
    range(Discover, 65, 65, Some(Discover), None),
    // UnionPay: 62 (including the 622126-622925 range Discover also lists) and 81.
    range(UnionPay, 62, 62, None, None),
    range(UnionPay, 81, 81, None, None),
    // Maestro: 50, 56-58, 67.
    range(Maestro, 50, 50, Some(Visa), Some(Mastercard)),
    range(Maestro, 56, 58, Some(Mastercard), None),
    range(Maestro, 67, 67, None, None),
    // Mir: 2200-2204, never Mastercard.
    range(Mir, 2200, 2204, None, None),
];

/// Digits of an issuer identification number: range edges are tested as six-digit IINs, such as
/// 222100 and 272099 for 2221-2720, and the numbers outside as 222099 and 272100.
const IIN_WIDTH: usize = 6;

/// A length every brand but American Express issues, for the numbers just outside a range.
const COMMON_LENGTH: usize = 16;

#[test]
fn range_edges_at_every_length() {
    for range in RANGES {
        let edges = [
            pad(range.first, IIN_WIDTH, '0'),
            pad(range.last, IIN_WIDTH, '9'),
        ];
        for edge in &edges {
            for &length in range.brand.lengths() {
                let number = test_number(edge, usize::from(length));
                assert_eq!(detect_brand(&number), Some(range.brand), "number {number}");
                let parsed = CardNumber::parse(&number)
                    .unwrap_or_else(|error| panic!("number {number}: {error}"));
                assert_eq!(parsed.brand(), range.brand, "number {number}");
                assert_eq!(parsed.len(), usize::from(length));
            }
        }
    }
}

#[test]
fn range_edge_prefixes_detect_while_typing() {
    for range in RANGES {
        for edge in [range.first, range.last] {
            let prefix = edge.to_string();
            assert_eq!(detect_brand(&prefix), Some(range.brand), "prefix {prefix}");
        }
    }
}

#[test]
fn first_numbers_outside_each_range() {
    for range in RANGES {
        let outside = [
            (
                range
                    .first
                    .checked_sub(1)
                    .map(|below| pad(below, IIN_WIDTH, '9')),
                range.below,
            ),
            (Some(pad(range.last + 1, IIN_WIDTH, '0')), range.above),
        ];
        for (prefix, expected) in outside {
            let Some(prefix) = prefix else { continue };
            let number = test_number(&prefix, COMMON_LENGTH);
            assert_eq!(
                detect_brand(&number),
                expected,
                "number {number}, outside {:?}",
                range.brand
            );
            if expected.is_none() {
                assert_eq!(
                    CardNumber::parse(&number).unwrap_err(),
                    CardError::NumberUnknownBrand,
                    "number {number}"
                );
            }
        }
    }
}

#[test]
fn mir_is_never_mastercard() {
    for prefix in 2200..=2204 {
        let number = test_number(&prefix.to_string(), 16);
        assert_eq!(detect_brand(&number), Some(Mir), "number {number}");
    }
    for prefix in 2205..=2220 {
        let number = test_number(&prefix.to_string(), 16);
        assert_eq!(detect_brand(&number), None, "number {number}");
    }
}

#[test]
fn discover_co_badged_range_is_unionpay() {
    for prefix in ["622125", "622126", "622925", "622926"] {
        let number = test_number(prefix, 16);
        assert_eq!(detect_brand(&number), Some(UnionPay), "number {number}");
    }
}

#[test]
fn lengths_outside_each_brand() {
    let edge_prefix = |brand: Brand| {
        let range = RANGES.iter().find(|range| range.brand == brand).unwrap();
        pad(range.first, IIN_WIDTH, '0')
    };
    for brand in Brand::ALL {
        let prefix = edge_prefix(brand);
        let lengths = brand.lengths();
        for length in 12..=20usize {
            let number = test_number(&prefix, length);
            let result = CardNumber::parse(&number);
            let allowed = lengths
                .iter()
                .any(|&allowed| usize::from(allowed) == length);
            let expected = if allowed {
                Ok(brand)
            } else if length < usize::from(brand.min_length()) {
                Err(CardError::NumberIncomplete)
            } else if length > usize::from(brand.max_length()) {
                Err(CardError::NumberTooLong)
            } else {
                Err(CardError::NumberInvalidLength { brand })
            };
            assert_eq!(
                result.map(|number| number.brand()),
                expected,
                "number {number}"
            );
        }
    }
}

#[test]
fn twelve_and_nineteen_digit_cards() {
    let maestro = test_number("5018", 12);
    assert_eq!(CardNumber::parse(&maestro).unwrap().brand(), Maestro);
    assert_eq!(
        CardNumber::parse(&test_number("5018", 11)).unwrap_err(),
        CardError::NumberIncomplete
    );

    let nineteen = [
        ("4", Visa),
        ("3530", Jcb),
        ("36", DinersClub),
        ("6011", Discover),
        ("62", UnionPay),
        ("81", UnionPay),
        ("67", Maestro),
        ("2200", Mir),
    ];
    for (prefix, brand) in nineteen {
        let number = test_number(prefix, 19);
        assert_eq!(
            CardNumber::parse(&number).unwrap().brand(),
            brand,
            "number {number}"
        );
        let longer = test_number(prefix, 20);
        assert_eq!(
            CardNumber::parse(&longer).unwrap_err(),
            CardError::NumberTooLong
        );
    }
}

#[test]
fn luhn_required_except_unionpay() {
    for range in RANGES {
        let prefix = pad(range.first, IIN_WIDTH, '0');
        let length = usize::from(range.brand.max_length());
        let number = test_number_bad_check(&prefix, length);
        let result = CardNumber::parse(&number).map(|number| number.brand());
        if range.brand == UnionPay {
            assert_eq!(result, Ok(UnionPay), "number {number}");
        } else {
            assert_eq!(result, Err(CardError::NumberChecksum), "number {number}");
        }
    }
}

#[test]
fn unknown_leading_digits() {
    for prefix in [
        "0", "1", "2205", "59", "6012", "63", "643", "66", "68", "69", "7", "82", "9",
    ] {
        let number = test_number(prefix, 16);
        assert_eq!(detect_brand(&number), None, "number {number}");
        assert_eq!(
            CardNumber::parse(&number).unwrap_err(),
            CardError::NumberUnknownBrand
        );
    }
}
