//! Whole cards as buyers type and paste them: separators, full-width digits from a Japanese
//! IME, invisible characters from web pages, and the errors a form shows for each field.

mod card_support;

use card_support::test_number;
use cardseal_core::card::{
    Brand, Card, CardError, CardInput, CharKind, Field, YearMonth, format_number, normalize_number,
};

fn today() -> YearMonth {
    YearMonth::new(2026, 5).unwrap()
}

fn card(
    number: &str,
    expiry: &str,
    cvc: &str,
    holder: Option<&str>,
) -> Result<Card, Vec<&'static str>> {
    let input = CardInput {
        number,
        expiry,
        cvc,
        holder,
    };
    Card::parse(&input, today()).map_err(|errors| errors.iter().map(CardError::code).collect())
}

#[test]
fn pasted_numbers_with_separators() {
    // Public JCB test number 3530111333300000, written as buyers paste or type it.
    let forms = [
        "3530111333300000",
        "3530 1113 3330 0000",
        "3530-1113-3330-0000",
        "3530\u{00A0}1113\u{00A0}3330\u{00A0}0000",
        " 3530 1113 3330 0000\n",
        "\t3530\t1113\t3330\t0000\r\n",
        "\u{FEFF}3530\u{200B}1113\u{200C}3330\u{200D}0000\u{2060}",
        "3530 – 1113 – 3330 – 0000",
        "3530\u{2010}1113\u{2011}3330\u{2212}0000",
        "\u{200E}3530 1113 3330 0000\u{200E}",
    ];
    for form in forms {
        let card =
            card(form, "12/30", "123", None).unwrap_or_else(|codes| panic!("{form:?}: {codes:?}"));
        assert_eq!(
            card.number().expose_digits(),
            "3530111333300000",
            "input {form:?}"
        );
        assert_eq!(card.brand(), Brand::Jcb);
    }
}

#[test]
fn japanese_ime_input() {
    // Full-width digits with the separators an IME produces in full-width and kana modes.
    let forms = [
        "３５３０１１１３３３３０００００",
        "３５３０　１１１３　３３３０　００００",
        "３５３０－１１１３－３３３０－００００",
        "３５３０ー１１１３ー３３３０ー００００",
        "３５３０ｰ１１１３ｰ３３３０ｰ００００",
        "3530 １１１３ 3330 ００００",
    ];
    for form in forms {
        let card = card(form, "１２／３０", "１２３", Some("ＴＡＲＯ　ＹＡＭＡＤＡ"))
            .unwrap_or_else(|codes| panic!("{form:?}: {codes:?}"));
        assert_eq!(
            card.number().expose_digits(),
            "3530111333300000",
            "input {form:?}"
        );
        assert_eq!(card.cvc().expose(), "123");
        assert_eq!((card.expiry().month(), card.expiry().year()), (12, 2030));
        assert_eq!(card.holder().unwrap().as_str(), "TARO YAMADA");
    }
}

#[test]
fn amex_and_diners_as_printed() {
    let amex = card("3782 822463 10005", "0４/２９", "１２３４", None).unwrap();
    assert_eq!(amex.brand(), Brand::Amex);
    assert_eq!(
        format_number(amex.number().expose_digits()),
        "3782 822463 10005"
    );

    let diners = card("3622 720627 1667", "4/2031", "123", None).unwrap();
    assert_eq!(diners.brand(), Brand::DinersClub);
    assert_eq!(
        format_number(diners.number().expose_digits()),
        "3622 720627 1667"
    );

    assert_eq!(
        card("3782 822463 10005", "04/29", "123", None).unwrap_err(),
        ["cvc_invalid_length"]
    );
}

#[test]
fn generated_cards_of_every_brand() {
    let prefixes = [
        ("4", Brand::Visa),
        ("5105", Brand::Mastercard),
        ("2720", Brand::Mastercard),
        ("34", Brand::Amex),
        ("3589", Brand::Jcb),
        ("305", Brand::DinersClub),
        ("6011", Brand::Discover),
        ("622126", Brand::UnionPay),
        ("5893", Brand::Maestro),
        ("2204", Brand::Mir),
    ];
    for (prefix, brand) in prefixes {
        let number = test_number(prefix, usize::from(brand.min_length()));
        let cvc = "7".repeat(usize::from(brand.cvc_length()));
        let card = card(&format_number(&number), "01/27", &cvc, None)
            .unwrap_or_else(|codes| panic!("{number}: {codes:?}"));
        assert_eq!(card.brand(), brand);
        assert_eq!(card.last4(), number[number.len() - 4..]);
    }
}

#[test]
fn invalid_characters_name_their_kind() {
    let cases = [
        ("4242 4242 4242 424a", CharKind::Letter),
        ("4242 4242 4242 ４２４Ｂ", CharKind::Letter),
        ("４２４２よん", CharKind::Kana),
        ("四二四二", CharKind::Kanji),
        ("4242 4242 4242 4242 ★", CharKind::Symbol),
        ("4242.4242.4242.4242", CharKind::Symbol),
        ("4242\u{202E}4242", CharKind::Control),
        ("٤٢٤٢", CharKind::Digit),
    ];
    for (input, kind) in cases {
        let errors = Card::parse(
            &CardInput {
                number: input,
                expiry: "12/30",
                cvc: "123",
                holder: None,
            },
            today(),
        )
        .unwrap_err();
        assert_eq!(
            errors.get(Field::Number),
            Some(&CardError::NumberInvalidCharacter(kind)),
            "input {input:?}"
        );
        assert_eq!(errors.len(), 1, "input {input:?}");
    }
}

#[test]
fn typing_a_number_digit_by_digit() {
    // The grouped number the form displays after each keystroke of an Amex number typed in
    // full-width digits.
    let typed = "３７８２８２２４６３１０００５";
    let mut text = String::new();
    let mut displayed = Vec::new();
    for c in typed.chars() {
        text.push(c);
        let digits = normalize_number(&text).unwrap();
        displayed.push(format_number(&digits));
    }
    assert_eq!(displayed[0], "3");
    assert_eq!(displayed[1], "37");
    assert_eq!(displayed[4], "3782 8");
    assert_eq!(displayed[10], "3782 822463 1");
    assert_eq!(displayed[14], "3782 822463 10005");
}

#[test]
fn every_field_wrong_at_once() {
    let codes = card("4242 4242 4242 4241", "13/30", "12", Some("やまだ")).unwrap_err();
    assert_eq!(
        codes,
        [
            "number_checksum",
            "expiry_invalid_month",
            "cvc_invalid_length",
            "holder_not_romaji"
        ]
    );

    let codes = card("", "", "", Some("")).unwrap_err();
    assert_eq!(codes, ["number_missing", "expiry_missing", "cvc_missing"]);

    let codes = card("4242", "04/26", "123", None).unwrap_err();
    assert_eq!(codes, ["number_incomplete", "expiry_in_past"]);

    let codes = card(
        "4242424242424242",
        "05/47",
        "123",
        Some("A".repeat(27).as_str()),
    )
    .unwrap_err();
    assert_eq!(codes, ["expiry_too_far", "holder_too_long"]);
}

#[test]
fn expiry_forms_from_the_form() {
    for expiry in [
        "12/30",
        "12/2030",
        "12 / 30",
        "1230",
        "１２３０",
        "１２／２０３０",
        "12　30",
    ] {
        let card = card("4242424242424242", expiry, "123", None)
            .unwrap_or_else(|codes| panic!("{expiry:?}: {codes:?}"));
        assert_eq!(
            (card.expiry().month(), card.expiry().year()),
            (12, 2030),
            "input {expiry:?}"
        );
    }
    for expiry in ["5/26", "05/2026", "0526"] {
        assert!(
            card("4242424242424242", expiry, "123", None).is_ok(),
            "input {expiry:?}"
        );
    }
}
