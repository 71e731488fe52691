//! Property tests. Seal then open returns the same card and claims, changing any single
//! character of an envelope makes it fail, and `parse` rejects arbitrary text without panicking.

#![cfg(all(feature = "open", feature = "rustcrypto", feature = "jwk"))]

mod common;

use cardseal_core::card::{Card, CardInput};
use cardseal_core::envelope::{self, Binding, MAX_ISSUED_AT};
use proptest::prelude::*;

/// Issuer prefixes and lengths of brands whose numbers need a valid Luhn digit, and the CVC
/// length of each.
const PREFIXES: [(&str, usize, usize); 8] = [
    ("4", 16, 3),
    ("4", 19, 3),
    ("51", 16, 3),
    ("2720", 16, 3),
    ("37", 15, 4),
    ("3589", 19, 3),
    ("36", 14, 3),
    ("6011", 16, 3),
];

/// Appends the Luhn check digit to `body`.
fn with_check_digit(body: &str) -> String {
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(index, byte)| {
            let digit = u32::from(byte - b'0');
            if index % 2 == 0 {
                let doubled = digit * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                digit
            }
        })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

fn card_strategy() -> impl Strategy<Value = (String, u8, u16, String, Option<String>)> {
    (
        0..PREFIXES.len(),
        any::<u64>(),
        any::<u64>(),
        1u8..=12,
        2026u16..=2045,
        any::<u16>(),
    )
        .prop_flat_map(|(brand, high, low, month, year, cvc)| {
            let (prefix, length, cvc_length) = PREFIXES[brand];
            let mut body = String::from(prefix);
            let filler = format!("{high:020}{low:020}");
            body.push_str(&filler[..length - 1 - prefix.len()]);
            let number = with_check_digit(&body);
            let cvc = format!("{cvc:05}")[5 - cvc_length..].to_owned();
            let holder = proptest::option::of("[A-Z]{1,10}( [A-Z]{1,10}){0,1}");
            (Just(number), Just(month), Just(year), Just(cvc), holder)
        })
}

fn binding_strategy() -> impl Strategy<Value = Binding> {
    (
        "[A-Za-z0-9_.-]{1,128}",
        prop_oneof![
            "https://[a-z]{1,20}\\.example",
            "http://127\\.0\\.0\\.1:8[1-9][0-9]{2}",
            "http://\\[::1\\]:[1-7][0-9]{3}"
        ],
        0..=MAX_ISSUED_AT,
    )
        .prop_map(|(session_id, origin, issued_at)| Binding {
            session_id,
            origin,
            issued_at,
        })
}

fn parse_card(number: &str, month: u8, year: u16, cvc: &str, holder: Option<&str>) -> Card {
    let expiry = format!("{month:02}/{year}");
    let input = CardInput {
        number,
        expiry: &expiry,
        cvc,
        holder,
    };
    Card::parse(&input, common::today()).expect("generated card is valid")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn seal_then_open_returns_card_and_claims(
        (number, month, year, cvc, holder) in card_strategy(),
        binding in binding_strategy(),
    ) {
        let keys = common::test_keys();
        let card = parse_card(&number, month, year, &cvc, holder.as_deref());

        let sealed = envelope::seal(&card, &binding, keys.primary.public_key()).unwrap();
        let parsed = envelope::parse(sealed.as_str()).unwrap();
        let opened = parsed.open(&keys.primary).unwrap();

        prop_assert_eq!(&opened, &card);
        prop_assert_eq!(opened.number().expose_digits(), number.as_str());
        prop_assert_eq!(opened.cvc().expose(), cvc.as_str());
        prop_assert_eq!(parsed.kid(), "test-key-2048");
        prop_assert_eq!(parsed.claims().session_id(), binding.session_id.as_str());
        prop_assert_eq!(parsed.claims().origin(), binding.origin.as_str());
        prop_assert_eq!(parsed.claims().issued_at(), binding.issued_at);
    }

    #[test]
    fn any_changed_character_fails(position in any::<prop::sample::Index>(), replacement in "[A-Za-z0-9_.=+/ -]") {
        let keys = common::test_keys();
        let sealed = envelope::seal(&common::jcb_card(), &common::binding(), keys.primary.public_key())
            .unwrap()
            .into_string();
        let index = position.index(sealed.len());
        prop_assume!(sealed[index..index + 1] != replacement);

        let mut altered = sealed.clone();
        altered.replace_range(index..index + 1, &replacement);
        let result = envelope::parse(&altered).map(|parsed| parsed.open(&keys.primary));
        prop_assert!(!matches!(result, Ok(Ok(_))), "opened after changing position {}", index);
    }

    #[test]
    fn parse_rejects_arbitrary_text(text in "\\PC{0,300}") {
        prop_assert!(envelope::parse(&text).is_err());
    }

    #[test]
    fn parse_rejects_arbitrary_five_part_text(parts in prop::collection::vec("[A-Za-z0-9_-]{0,40}", 5)) {
        prop_assert!(envelope::parse(&parts.join(".")).is_err());
    }
}
