//! Property tests of card parsing: normalization and grouping round trips, brand detection
//! stable as the buyer types more digits, and error messages that never carry digits.

mod card_support;

use card_support::test_number;
use cardseal_core::card::{
    Brand, Card, CardInput, CardNumber, Cvc, HolderName, YearMonth, detect_brand, format_number,
    normalize_number, parse_expiry,
};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

/// Where failing cases are saved, relative to the crate root (the working directory of
/// `cargo test`), so they are committed and replayed first on every later run.
const REGRESSIONS: &str = "proptest-regressions/card_props.txt";

/// Separators a buyer's keyboard, IME or clipboard puts between digits.
const SEPARATORS: &[char] = &[
    ' ', '-', '\u{00A0}', '\u{3000}', '\u{2013}', '\u{2014}', '\u{2212}', '\u{FF0D}', '\u{30FC}',
    '\u{FF70}', '\u{200B}', '\u{2060}', '\u{FEFF}', '\t', '\n',
];

fn digits(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[0-9]{{0,{max}}}")).unwrap()
}

/// Renders `digits` as a buyer might type or paste them: each digit ASCII or full-width, with
/// any run of separators before it.
fn typed(digits: String) -> impl Strategy<Value = (String, String)> {
    let count = digits.len();
    (
        proptest::collection::vec(any::<bool>(), count),
        proptest::collection::vec(
            proptest::collection::vec(proptest::sample::select(SEPARATORS), 0..3),
            count + 1,
        ),
    )
        .prop_map(move |(full_width, separators)| {
            let mut text = String::new();
            for (index, digit) in digits.chars().enumerate() {
                text.extend(&separators[index]);
                if full_width[index] {
                    text.push(char::from_u32(0xFF10 + (digit as u32 - '0' as u32)).unwrap());
                } else {
                    text.push(digit);
                }
            }
            text.extend(&separators[count]);
            (digits.clone(), text)
        })
}

fn any_brand() -> impl Strategy<Value = Brand> {
    proptest::sample::select(Brand::ALL.to_vec())
}

/// Generates valid test numbers of `brand`, with a prefix from one of its ranges and one of its
/// lengths.
fn valid_number(brand: Brand) -> impl Strategy<Value = String> {
    let prefixes: &'static [&'static str] = match brand {
        Brand::Visa => &["4"],
        Brand::Mastercard => &["51", "55", "2221", "2720"],
        Brand::Amex => &["34", "37"],
        Brand::Jcb => &["3528", "3589"],
        Brand::DinersClub => &["300", "305", "3095", "36", "38", "39"],
        Brand::Discover => &["6011", "644", "649", "65"],
        Brand::UnionPay => &["62", "81"],
        Brand::Maestro => &["50", "56", "58", "67"],
        Brand::Mir => &["2200", "2204"],
        _ => unreachable!("a brand added to the crate needs its ranges here"),
    };
    (
        proptest::sample::select(prefixes),
        proptest::sample::select(brand.lengths()),
    )
        .prop_map(|(prefix, length)| test_number(prefix, usize::from(length)))
}

proptest! {
    #![proptest_config(ProptestConfig {
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(REGRESSIONS))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn format_keeps_exactly_the_digits(digits in digits(25)) {
        let formatted = format_number(&digits);
        prop_assert_eq!(formatted.replace(' ', ""), digits.clone());
        prop_assert_eq!(normalize_number(&formatted).unwrap(), digits);
    }

    #[test]
    fn format_groups_are_well_formed(digits in digits(25)) {
        let formatted = format_number(&digits);
        prop_assert!(!formatted.starts_with(' ') && !formatted.ends_with(' '));
        prop_assert!(!formatted.contains("  "));
        for group in formatted.split(' ').filter(|group| !group.is_empty()) {
            prop_assert!((1..=6).contains(&group.len()), "group {:?} in {:?}", group, formatted);
        }
    }

    #[test]
    fn format_appends_for_plain_brands(digits in "[0-24-9][0-9]{1,18}") {
        // For brands grouped in fours (every brand outside the 3-series, where American Express
        // and Diners Club lie), typing one more digit only appends to the display.
        let shorter = format_number(&digits[..digits.len() - 1]);
        let whole = format_number(&digits);
        prop_assert!(whole.starts_with(&shorter), "{:?} then {:?}", shorter, whole);
    }

    #[test]
    fn normalize_recovers_typed_digits((digits, text) in digits(24).prop_flat_map(typed)) {
        prop_assert_eq!(normalize_number(&text).unwrap(), digits);
    }

    #[test]
    fn detect_brand_stable_under_extension(prefix in digits(8), extra in digits(12)) {
        let longer = format!("{prefix}{extra}");
        if let Some(brand) = detect_brand(&prefix) {
            let extended = detect_brand(&longer);
            prop_assert!(extended.is_none() || extended == Some(brand), "{:?} then {:?}", brand, extended);
        }
        // No issuer range looks at more than four digits, so after four the brand is settled.
        if prefix.len() >= 4 {
            prop_assert_eq!(detect_brand(&longer), detect_brand(&prefix));
        }
    }

    #[test]
    fn valid_numbers_parse_typed((brand, (digits, text)) in any_brand()
        .prop_flat_map(|brand| (Just(brand), valid_number(brand).prop_flat_map(typed))))
    {
        let number = CardNumber::parse(&text).unwrap();
        prop_assert_eq!(number.brand(), brand);
        prop_assert_eq!(number.expose_digits(), digits.as_str());
        prop_assert_eq!(detect_brand(&digits), Some(brand));
        prop_assert_eq!(normalize_number(&format_number(&digits)).unwrap(), digits);
    }

    #[test]
    fn expiry_forms_agree(month in 1u8..=12, years_ahead in 0u16..=18) {
        // From 2027 to 2045 every month is within twenty years of May 2026.
        let today = YearMonth::new(2026, 5).unwrap();
        let year = 2027 + years_ahead;
        let forms = [
            format!("{month:02}/{:02}", year % 100),
            format!("{month}/{:02}", year % 100),
            format!("{month:02}/{year}"),
            format!("{month:02}{:02}", year % 100),
            format!("{month:02}{year}"),
            format!(" {month:02} / {:02} ", year % 100),
        ];
        for form in forms {
            let expiry = parse_expiry(&form, today).unwrap();
            prop_assert_eq!((expiry.month(), expiry.year()), (month, year), "form {:?}", form);
        }
    }

    #[test]
    fn messages_never_contain_digits(
        number in "\\PC{0,24}",
        expiry in "\\PC{0,10}",
        cvc in "\\PC{0,6}",
        holder in proptest::option::of("\\PC{0,30}"),
    ) {
        let today = YearMonth::new(2026, 5).unwrap();
        let input = CardInput { number: &number, expiry: &expiry, cvc: &cvc, holder: holder.as_deref() };
        if let Err(errors) = Card::parse(&input, today) {
            prop_assert!(!errors.is_empty());
            let message = errors.to_string();
            prop_assert!(!message.chars().any(|c| c.is_numeric()), "{}", message);
        }
        let single_errors = [Cvc::parse(&cvc, None).err(), HolderName::parse(&number).err()];
        for error in single_errors.into_iter().flatten() {
            prop_assert!(!error.to_string().chars().any(|c| c.is_numeric()));
        }
    }

    #[test]
    fn holder_names_fold_to_ascii(name in "[A-Za-zＡ-Ｚａ-ｚ][A-Za-zＡ-Ｚａ-ｚ '.-]{0,20}") {
        let folded = HolderName::parse(&name).unwrap().unwrap();
        let text = folded.as_str();
        prop_assert!(text.bytes().all(|byte| byte.is_ascii_uppercase() || b" '.-".contains(&byte)));
        prop_assert!(!text.contains("  ") && !text.starts_with(' ') && !text.ends_with(' '));
        let again = HolderName::parse(text).unwrap().unwrap();
        prop_assert_eq!(again.as_str(), text);
    }
}
