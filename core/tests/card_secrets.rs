//! Debug output and error messages of card types never reveal the number or the security code.

mod card_support;

use card_support::test_number;
use cardseal_core::card::{Card, CardInput, CardNumber, Cvc, HolderName, YearMonth};

/// Asserts that `text` contains no run of four or more digits from `number` and not `cvc`.
fn assert_reveals_nothing(text: &str, number: &str, cvc: &str) {
    assert!(!text.contains(number), "{text}");
    for window in number.as_bytes().windows(4) {
        let window = std::str::from_utf8(window).unwrap();
        assert!(!text.contains(window), "{text} contains {window}");
    }
    assert!(!text.contains(cvc), "{text}");
}

#[test]
fn debug_of_card_parts_is_redacted() {
    // A generated JCB test number and a security code whose digits are not in the expiry date.
    let number = test_number("358901", 16);
    let cvc = "864";
    let input = CardInput {
        number: &number,
        expiry: "07/31",
        cvc,
        holder: Some("HANAKO SUZUKI"),
    };
    let card = Card::parse(&input, YearMonth::new(2026, 5).unwrap()).unwrap();

    let outputs = [
        format!("{card:?}"),
        format!("{card:#?}"),
        format!("{:?}", card.number()),
        format!("{:#?}", card.number()),
        format!("{:?}", card.cvc()),
        format!("{:?}", card.holder()),
        format!("{input:?}"),
    ];
    for output in &outputs {
        assert_reveals_nothing(output, &number, cvc);
        assert!(!output.contains("HANAKO"), "{output}");
        assert!(!output.contains(&card.last4()), "{output}");
    }
    assert_eq!(outputs[0], "Card { brand: Jcb, expiry: 07/31, .. }");
}

#[test]
fn debug_of_standalone_secrets_is_redacted() {
    let number = CardNumber::parse("4242 4242 4242 4242").unwrap();
    assert_reveals_nothing(&format!("{number:?}"), "4242424242424242", "4242");

    let cvc = Cvc::parse("0123", None).unwrap();
    assert!(!format!("{cvc:?}").contains("123"));

    let holder = HolderName::parse("taro yamada").unwrap().unwrap();
    assert!(!format!("{holder:?}").contains("TARO"));
}

#[test]
fn errors_do_not_echo_input() {
    let number = test_number("4", 16);
    let mut wrong_check = number.clone();
    wrong_check.pop();
    wrong_check.push(if number.ends_with('0') { '1' } else { '0' });

    let inputs = [
        CardInput {
            number: &wrong_check,
            expiry: "07/31",
            cvc: "86",
            holder: None,
        },
        CardInput {
            number: &format!("{number}9"),
            expiry: "13/31",
            cvc: "86420",
            holder: None,
        },
        CardInput {
            number: &format!("{number}§"),
            expiry: "07/3§",
            cvc: "8§6",
            holder: Some("TARO 8642"),
        },
    ];
    for input in inputs {
        let errors = Card::parse(&input, YearMonth::new(2026, 5).unwrap()).unwrap_err();
        let texts = [errors.to_string(), format!("{errors:?}")];
        for text in texts {
            assert_reveals_nothing(&text, &number, "864");
            assert!(!text.contains('§'), "{text}");
        }
    }
}
