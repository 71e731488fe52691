//! Tests run both in Chromium (tests/browser.rs) and in Node.js (tests/node.rs). Each takes the
//! runtime's name, which goes into the printed envelope lines.

use cardseal::api;
use cardseal_core::envelope;
use js_sys::{Array, Promise};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::wasm::*;
use super::*;

/// Seals every test card with one engine and key, checking and printing each envelope.
async fn seal_all(runtime: &str, engine: &str, kid: &str) {
    let sealer = sealer(options(kid, engine));
    assert_eq!(sealer.kid(), kid);
    assert_eq!(
        sealer.engine().map_err(|error| describe(&error)).as_deref(),
        Ok(engine)
    );

    let exp_year = exp_year();
    for card in CARDS {
        let result = seal_with(&sealer, card, exp_year).await;
        check_and_print(runtime, engine, kid, card, exp_year, &result);
    }
}

pub async fn seal_webcrypto_2048(runtime: &str) {
    seal_all(runtime, "webcrypto", KID_2048).await;
}

pub async fn seal_rust_2048(runtime: &str) {
    seal_all(runtime, "rust", KID_2048).await;
}

pub async fn seal_webcrypto_4096(runtime: &str) {
    seal_all(runtime, "webcrypto", KID_4096).await;
}

pub async fn seal_rust_4096(runtime: &str) {
    seal_all(runtime, "rust", KID_4096).await;
}

pub async fn auto_engine_prefers_webcrypto(_runtime: &str) {
    let sealer = sealer(options(KID_2048, "auto"));
    assert_eq!(sealer.engine().ok().as_deref(), Some("webcrypto"));
}

pub async fn auto_engine_without_webcrypto_uses_rust(runtime: &str) {
    without_webcrypto(|| async {
        let sealer = sealer(options(KID_2048, "auto"));
        assert_eq!(sealer.engine().ok().as_deref(), Some("rust"));

        let card = card("jcb_full_width").expect("test card");
        let exp_year = exp_year();
        let result = seal_with(&sealer, card, exp_year).await;
        check_and_print(runtime, "auto-rust", KID_2048, card, exp_year, &result);
    })
    .await;
}

pub async fn webcrypto_engine_without_webcrypto_fails(_runtime: &str) {
    without_webcrypto(|| async {
        let sealer = sealer(options(KID_2048, "webcrypto"));
        let card = card("visa").expect("test card");
        let promise: Promise = sealer
            .seal(card_input(card, exp_year()).unchecked_into())
            .unchecked_into();
        let error = JsFuture::from(promise)
            .await
            .expect_err("sealing without WebCrypto must fail");
        assert_eq!(get_string(&error, "code"), "webcrypto_unavailable");
    })
    .await;
}

pub async fn exported_seal_returns_display_data(runtime: &str) {
    let card = card("amex").expect("test card");
    let exp_year = exp_year();
    let options = options(KID_2048, "auto");

    let result = seal_exported(card_input(card, exp_year), options)
        .await
        .unwrap_or_else(|error| panic!("{}", describe(&error)));

    let keys: Vec<String> = js_sys::Object::keys(result.unchecked_ref::<js_sys::Object>())
        .iter()
        .filter_map(|key| key.as_string())
        .collect();
    assert_eq!(keys, ["envelope", "brand", "last4", "expMonth", "expYear"]);
    check_and_print(runtime, "exported", KID_2048, card, exp_year, &result);
}

pub async fn sealed_envelopes_are_unique(_runtime: &str) {
    let sealer = sealer(options(KID_2048, "webcrypto"));
    let card = card("visa").expect("test card");
    let exp_year = exp_year();

    let first = get_string(&seal_with(&sealer, card, exp_year).await, "envelope");
    let second = get_string(&seal_with(&sealer, card, exp_year).await, "envelope");

    assert_ne!(first, second);
    let first_id = envelope::parse(&first)
        .expect("parses")
        .claims()
        .envelope_id()
        .to_owned();
    let second_id = envelope::parse(&second)
        .expect("parses")
        .claims()
        .envelope_id()
        .to_owned();
    assert_ne!(first_id, second_id);
}

/// Seals every test card with one sealer at the same time. The seals share the module's fixed
/// WebCrypto values and run their WebCrypto steps interleaved, and each envelope must still
/// contain its own card (the native test opens them).
pub async fn concurrent_seals_keep_their_cards(runtime: &str) {
    let sealer = sealer(options(KID_2048, "webcrypto"));
    let exp_year = exp_year();

    let promises: Array = CARDS
        .iter()
        .map(|card| JsValue::from(sealer.seal(card_input(card, exp_year).unchecked_into())))
        .collect();
    let results: Array = JsFuture::from(Promise::all(&promises))
        .await
        .unwrap_or_else(|error| panic!("concurrent seals failed: {}", describe(&error)))
        .unchecked_into();

    assert_eq!(results.length() as usize, CARDS.len());
    for (card, result) in CARDS.iter().zip(results.iter()) {
        check_and_print(runtime, "concurrent", KID_2048, card, exp_year, &result);
    }
}

/// Checks that a card member whose getter throws reads as missing: the seal rejects with that
/// field's code instead of throwing out of the module.
pub async fn throwing_card_getter_reads_as_missing(_runtime: &str) {
    let sealer = sealer(options(KID_2048, "webcrypto"));
    let input = card_input(card("visa").expect("test card"), exp_year());
    let descriptor = object(&[]);
    let getter = js_sys::Function::new_no_args("throw new Error('cvc getter failed')");
    set(&descriptor, "get", &getter);
    let input: js_sys::Object = input.unchecked_into();
    js_sys::Object::define_property(
        &input,
        &JsValue::from_str("cvc"),
        descriptor.unchecked_ref(),
    );

    let promise: Promise = sealer.seal(input.unchecked_into()).unchecked_into();
    let error = JsFuture::from(promise)
        .await
        .expect_err("a card without a readable cvc must be rejected");

    assert_eq!(get_string(&error, "code"), "cvc_missing");
}

pub async fn invalid_card_rejected_in_japanese(_runtime: &str) {
    let input = object(&[
        ("number", "4242 4242 4242 4241"),
        ("expiry", "12/40"),
        ("cvc", "123"),
    ]);
    let options = options(KID_2048, "auto");
    set(&options, "lang", &JsValue::from_str("ja"));

    let error = seal_exported(input, options)
        .await
        .expect_err("a bad check digit must be rejected");

    assert_eq!(get_string(&error, "name"), "CardSealError");
    assert_eq!(get_string(&error, "code"), "number_checksum");
    assert_eq!(get_string(&error, "field"), "number");
    let message = get_string(&error, "message");
    assert!(message.contains("カード番号"), "{message}");
    assert!(!message.chars().any(|c| c.is_ascii_digit()), "{message}");
    assert!(!get_string(&error, "detail").contains("4241"));
    let fields = Array::from(&get(&error, "fields"));
    assert_eq!(fields.length(), 1);
}

pub async fn every_invalid_field_reported(_runtime: &str) {
    let input = object(&[
        ("number", ""),
        ("expiry", "01/20"),
        ("cvc", "12"),
        ("holder", "山田太郎"),
    ]);

    let error = seal_exported(input, options(KID_2048, "auto"))
        .await
        .expect_err("an invalid card must be rejected");

    let fields = Array::from(&get(&error, "fields"));
    let codes: Vec<String> = fields
        .iter()
        .map(|field| get_string(&field, "code"))
        .collect();
    assert_eq!(
        codes,
        [
            "number_missing",
            "expiry_in_past",
            "cvc_invalid_length",
            "holder_not_romaji"
        ]
    );
    let names: Vec<String> = fields
        .iter()
        .map(|field| get_string(&field, "field"))
        .collect();
    assert_eq!(names, ["number", "expiry", "cvc", "holder"]);
    assert_eq!(
        get_string(&fields.get(0), "message"),
        "Enter the card number."
    );
}

pub async fn expiry_from_month_and_year(runtime: &str) {
    let card = card("mastercard").expect("test card");
    let exp_year = exp_year();
    let input = object(&[("number", card.typed_number), ("cvc", card.cvc)]);
    set(&input, "expMonth", &JsValue::from(12));
    set(&input, "expYear", &JsValue::from(exp_year));

    let result = seal_exported(input, options(KID_2048, "auto"))
        .await
        .unwrap_or_else(|error| panic!("{}", describe(&error)));

    check_and_print(runtime, "exported", KID_2048, card, exp_year, &result);
}

/// Returns the codes `validateCard` reports for a Visa test card with `expMonth` and
/// `expYear`.
fn codes_for_numbers(month: JsValue, year: JsValue) -> Vec<String> {
    let input = object(&[("number", "4242424242424242"), ("cvc", "123")]);
    set(&input, "expMonth", &month);
    set(&input, "expYear", &year);
    let errors: JsValue = api::validate_card(input.unchecked_into(), Some("en".into()))
        .unwrap_or_else(|error| panic!("{}", describe(&error)))
        .into();
    Array::from(&errors)
        .iter()
        .map(|error| get_string(&error, "code"))
        .collect()
}

/// Expects `validateCard(input)` to throw `invalid_argument` and returns its detail.
fn invalid_argument_detail(input: JsValue) -> String {
    match api::validate_card(input.unchecked_into(), Some("en".into())) {
        Ok(_) => panic!("validateCard accepted conflicting or malformed expiry arguments"),
        Err(error) => {
            assert_eq!(get_string(&error, "code"), "invalid_argument");
            get_string(&error, "detail")
        }
    }
}

pub async fn expiry_numbers_checked(_runtime: &str) {
    let year = f64::from(exp_year());
    assert!(codes_for_numbers(12.into(), year.into()).is_empty());
    assert_eq!(
        codes_for_numbers(12.into(), 30.into()),
        ["expiry_invalid_year"]
    );
    assert_eq!(
        codes_for_numbers(12.into(), 12345.into()),
        ["expiry_invalid_year"]
    );
    assert_eq!(
        codes_for_numbers(13.into(), year.into()),
        ["expiry_invalid_month"]
    );
    assert_eq!(
        codes_for_numbers(0.into(), year.into()),
        ["expiry_invalid_month"]
    );
    assert_eq!(
        codes_for_numbers(12.into(), 2001.into()),
        ["expiry_in_past"]
    );

    // The number's error is still reported beside the year's.
    let input = object(&[("number", "4242424242424241"), ("cvc", "123")]);
    set(&input, "expMonth", &JsValue::from(12));
    set(&input, "expYear", &JsValue::from(30));
    let errors: JsValue = api::validate_card(input.unchecked_into(), None)
        .expect("card object")
        .into();
    let codes: Vec<String> = Array::from(&errors)
        .iter()
        .map(|error| get_string(&error, "code"))
        .collect();
    assert_eq!(codes, ["number_checksum", "expiry_invalid_year"]);

    let both = object(&[
        ("number", "4242424242424242"),
        ("expiry", "12/30"),
        ("cvc", "123"),
    ]);
    set(&both, "expMonth", &JsValue::from(11));
    set(&both, "expYear", &JsValue::from(year));
    assert_eq!(
        invalid_argument_detail(both),
        "give either card.expiry or card.expMonth and card.expYear, not both"
    );
    let text_and_year = object(&[("number", "4242424242424242"), ("expiry", "12/30")]);
    set(&text_and_year, "expYear", &JsValue::from(year));
    assert!(invalid_argument_detail(text_and_year).contains("not both"));

    let month_only = object(&[("number", "4242424242424242")]);
    set(&month_only, "expMonth", &JsValue::from(12));
    assert_eq!(
        invalid_argument_detail(month_only),
        "invalid argument card.expYear"
    );
    let fraction = object(&[("number", "4242424242424242")]);
    set(&fraction, "expMonth", &JsValue::from(12));
    set(&fraction, "expYear", &JsValue::from(year + 0.5));
    assert_eq!(
        invalid_argument_detail(fraction),
        "invalid argument card.expYear"
    );
    let text_year = object(&[("number", "4242424242424242"), ("expYear", "2030")]);
    set(&text_year, "expMonth", &JsValue::from(12));
    assert_eq!(
        invalid_argument_detail(text_year),
        "invalid argument card.expYear"
    );
}

/// Expects `new Sealer(options)` to throw a CardSealError with `code`.
fn expect_sealer_error(options: JsValue, code: &str) {
    match api::SealerHandle::new(options.unchecked_into()) {
        Ok(_) => panic!("Sealer accepted options that must fail with {code}"),
        Err(error) => assert_eq!(get_string(&error, "code"), code, "{}", describe(&error)),
    }
}

pub async fn unknown_kid_rejected(_runtime: &str) {
    expect_sealer_error(options("no-such-key", "auto"), "key_not_found");
}

pub async fn invalid_key_sets_rejected(_runtime: &str) {
    for jwks in ["not json", "{}", "{\"keys\": 3}", "[]"] {
        let options = options(KID_2048, "auto");
        set(&options, "jwks", &JsValue::from_str(jwks));
        expect_sealer_error(options, "jwks_invalid");
    }
    let options = options(KID_2048, "auto");
    set(&options, "jwks", &JsValue::from(42));
    expect_sealer_error(options, "invalid_argument");
}

pub async fn short_modulus_rejected(_runtime: &str) {
    // A 1024-bit modulus (base64url of 128 bytes of 0xff): cardseal seals only to 2048 to 4096 bits.
    let n = "_".repeat(170) + "8";
    let jwk = format!("{{\"kty\":\"RSA\",\"kid\":\"short\",\"n\":\"{n}\",\"e\":\"AQAB\"}}");
    let options = object(&[("key", &jwk), ("sessionId", SESSION_ID), ("origin", ORIGIN)]);
    expect_sealer_error(options, "modulus_size");
}

pub async fn single_jwk_accepted(runtime: &str) {
    let set_value = js_sys::JSON::parse(TEST_JWKS).expect("test key set parses");
    let jwk = Array::from(&get(&set_value, "keys")).get(0);
    assert_eq!(get_string(&jwk, "kid"), KID_2048);
    let options = object(&[("sessionId", SESSION_ID), ("origin", ORIGIN)]);
    set(&options, "key", &jwk);

    let sealer = sealer(options);
    let card = card("diners_14").expect("test card");
    let exp_year = exp_year();
    let result = seal_with(&sealer, card, exp_year).await;
    check_and_print(runtime, "single-jwk", KID_2048, card, exp_year, &result);
}

pub async fn invalid_options_rejected(_runtime: &str) {
    let options = options(KID_2048, "auto");
    delete_member(&options, "sessionId");
    expect_sealer_error(options, "invalid_argument");

    expect_sealer_error(options_with(&[("engine", "quantum")]), "invalid_argument");
    expect_sealer_error(JsValue::from_str("not an object"), "invalid_argument");
}

pub async fn invalid_session_id_rejected(_runtime: &str) {
    let sealer = sealer(options_with(&[("sessionId", "not a valid id!")]));
    let card = card("visa").expect("test card");
    let promise: Promise = sealer
        .seal(card_input(card, exp_year()).unchecked_into())
        .unchecked_into();
    let error = JsFuture::from(promise)
        .await
        .expect_err("an invalid session id must be rejected");
    assert_eq!(get_string(&error, "code"), "invalid_session_id");
}

fn options_with(overrides: &[(&str, &str)]) -> JsValue {
    let options = options(KID_2048, "auto");
    for (name, value) in overrides {
        set(&options, name, &JsValue::from_str(value));
    }
    options
}

fn delete_member(object: &JsValue, name: &str) {
    js_sys::Reflect::delete_property(
        object.unchecked_ref::<js_sys::Object>(),
        &JsValue::from_str(name),
    )
    .expect("delete");
}

pub async fn format_helpers(_runtime: &str) {
    let formatted: JsValue = api::format_number("42424", None).into();
    assert_eq!(get_string(&formatted, "value"), "4242 4");
    assert_eq!(get_string(&formatted, "brand"), "visa");

    let formatted: JsValue = api::format_number("3782822463", Some(4)).into();
    assert_eq!(get_string(&formatted, "value"), "3782 822463");
    assert_eq!(get(&formatted, "caret").as_f64(), Some(4.0));

    let formatted: JsValue = api::format_expiry("１２３０", None).into();
    assert_eq!(get_string(&formatted, "value"), "12/30");
    assert_eq!(get(&formatted, "caret").as_f64(), Some(5.0));

    assert_eq!(api::detect_brand("３５３０ 11").as_deref(), Some("jcb"));
    assert_eq!(api::detect_brand("2"), None);
    assert_eq!(api::detect_brand("4242abc"), None);

    let info: JsValue = api::brand_info("amex").into();
    assert_eq!(get(&info, "cvcLength").as_f64(), Some(4.0));
    assert_eq!(
        Array::from(&get(&info, "lengths")).to_vec(),
        [JsValue::from(15)]
    );
    assert!(JsValue::from(api::brand_info("nope")).is_undefined());

    assert_eq!(
        api::normalize_number("４２４２-4242", None).ok().as_deref(),
        Some("42424242")
    );
    let error =
        api::normalize_number("4242x", Some("en".into())).expect_err("a letter must be rejected");
    assert_eq!(get_string(&error, "code"), "number_invalid_character");
}

pub async fn validate_helpers(_runtime: &str) {
    let lang = |lang: &str| -> api::ValidateOptions { object(&[("lang", lang)]).unchecked_into() };

    let error: JsValue = api::validate_field("number", "4242 4242 4242 4241", Some(lang("en")))
        .expect("known field")
        .into();
    assert_eq!(get_string(&error, "code"), "number_checksum");
    assert_eq!(
        get_string(&error, "message"),
        "The card number is not valid. Check it for typing errors."
    );

    let error: JsValue = api::validate_field("expiry", "13/30", Some(lang("ja")))
        .expect("known field")
        .into();
    assert_eq!(
        get_string(&error, "message"),
        "有効期限の月は01から12で入力してください。"
    );

    let amex = object(&[("brand", "amex"), ("lang", "en")]);
    let error: JsValue = api::validate_field("cvc", "123", Some(amex.unchecked_into()))
        .expect("known field")
        .into();
    assert_eq!(
        get_string(&error, "message"),
        "The security code of American Express cards has 4 digits."
    );

    let valid: JsValue = api::validate_field("holder", "", None)
        .expect("known field")
        .into();
    assert!(valid.is_undefined());
    let valid: JsValue = api::validate_field("number", "3530 1113 3330 0000", None)
        .expect("known field")
        .into();
    assert!(valid.is_undefined());
    assert!(api::validate_field("pin", "1234", None).is_err());

    let too_far = format!("12/{}", exp_year() + 30);
    let card = object(&[
        ("number", "4242424242424242"),
        ("expiry", &too_far),
        ("cvc", "123"),
    ]);
    let errors: JsValue = api::validate_card(card.unchecked_into(), Some("en".into()))
        .expect("card object")
        .into();
    let errors = Array::from(&errors);
    assert_eq!(errors.length(), 1);
    assert_eq!(get_string(&errors.get(0), "code"), "expiry_too_far");

    assert_eq!(
        api::error_message("session_expired", Some("ja".into())),
        "決済の有効期限が切れました。ページを再読み込みしてください。"
    );
    assert_eq!(
        api::error_message("expiry_in_past", Some("en".into())),
        "This card has expired."
    );
}

/// A Japanese IME in kana mode writes `・` (or half-width `･`) for the `/` key: the helpers
/// format it as the slash and validation accepts it.
pub async fn expiry_ime_middle_dot(_runtime: &str) {
    let formatted: JsValue = api::format_expiry("１・３０", None).into();
    assert_eq!(get_string(&formatted, "value"), "01/30");

    let year = exp_year() % 100;
    for typed in [format!("１２・{year}"), format!("12\u{FF65}{year}")] {
        let formatted: JsValue = api::format_expiry(&typed, None).into();
        assert_eq!(get_string(&formatted, "value"), format!("12/{year}"));

        let error: JsValue = api::validate_field("expiry", &typed, None)
            .expect("known field")
            .into();
        assert!(error.is_undefined(), "{typed}: {}", describe(&error));
    }

    let card = object(&[
        ("number", "4242424242424242"),
        ("expiry", &format!("１２・{year}")),
        ("cvc", "123"),
    ]);
    let errors: JsValue = api::validate_card(card.unchecked_into(), Some("en".into()))
        .expect("card object")
        .into();
    assert_eq!(Array::from(&errors).length(), 0);
}

pub async fn server_time_sets_issue_time(_runtime: &str) {
    let now = (js_sys::Date::now() / 1000.0) as u64;
    let server_time = now + 3600;
    let options = options(KID_2048, "auto");
    set(&options, "serverTime", &JsValue::from(server_time as f64));
    let sealer = sealer(options);
    let card = card("visa").expect("test card");

    let result = seal_with(&sealer, card, exp_year()).await;

    let parsed = envelope::parse(&get_string(&result, "envelope")).expect("parses");
    let issued_at = parsed.claims().issued_at();
    // The platform's clock, give or take the seconds this test takes.
    assert!(
        issued_at >= server_time && issued_at < server_time + 60,
        "iat {issued_at}, server time {server_time}"
    );

    let options = options_with(&[]);
    set(&options, "serverTime", &JsValue::from_str("noon"));
    expect_sealer_error(options, "invalid_argument");
}
