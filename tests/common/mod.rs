//! Shared by the wasm tests (tests/browser.rs in Chromium, tests/node.rs in Node.js) and by the
//! native test that opens what they sealed (tests/browser_envelopes.rs).
//!
//! The wasm tests print one line per sealed envelope, starting with [`ENVELOPE_MARKER`];
//! scripts/test-browser collects those lines into a file for the native test.

#![allow(dead_code)]

/// The public test keys of `cardseal-core`'s vectors (TEST KEYS ONLY: their private halves are
/// published next to them).
pub const TEST_JWKS: &str = include_str!("../../core/vectors/keys/test-keys.jwks.json");

/// Private halves of the test keys, for opening natively.
pub const TEST_KEY_2048_PEM: &str = include_str!("../../core/vectors/keys/test-key-2048.pem");
pub const TEST_KEY_4096_PEM: &str = include_str!("../../core/vectors/keys/test-key-4096.pem");

pub const KID_2048: &str = "test-key-2048";
pub const KID_4096: &str = "test-key-4096";

/// The start of each line that carries a sealed envelope out of a wasm test.
pub const ENVELOPE_MARKER: &str = "CARDSEAL-ENVELOPE";

/// The session and page origin every test envelope is bound to.
pub const SESSION_ID: &str = "cs_browser_test_0001";
pub const ORIGIN: &str = "https://shop.example";

/// A public test card number (numbers that payment processors publish for testing) with what
/// sealing it must return.
pub struct TestCard {
    /// The case name printed with the envelope.
    pub name: &'static str,
    /// The number as a buyer might type it.
    pub typed_number: &'static str,
    /// The number's digits.
    pub digits: &'static str,
    pub cvc: &'static str,
    pub holder: Option<&'static str>,
    /// The holder name as sealed (upper-case ASCII).
    pub sealed_holder: Option<&'static str>,
    pub brand: &'static str,
    pub last4: &'static str,
}

pub const CARDS: &[TestCard] = &[
    TestCard {
        name: "visa",
        typed_number: "4242 4242 4242 4242",
        digits: "4242424242424242",
        cvc: "123",
        holder: None,
        sealed_holder: None,
        brand: "visa",
        last4: "4242",
    },
    TestCard {
        name: "jcb_full_width",
        typed_number: "３５３０　１１１３　３３３０　００００",
        digits: "3530111333300000",
        cvc: "０１２",
        holder: Some("ｔａｒｏ　yamada"),
        sealed_holder: Some("TARO YAMADA"),
        brand: "jcb",
        last4: "0000",
    },
    TestCard {
        name: "amex",
        typed_number: "3782-822463-10005",
        digits: "378282246310005",
        cvc: "1234",
        holder: None,
        sealed_holder: None,
        brand: "amex",
        last4: "0005",
    },
    TestCard {
        name: "diners_14",
        typed_number: "3622 720627 1667",
        digits: "36227206271667",
        cvc: "321",
        holder: Some("Hanako Suzuki"),
        sealed_holder: Some("HANAKO SUZUKI"),
        brand: "diners",
        last4: "1667",
    },
    TestCard {
        name: "mastercard",
        typed_number: "5555555555554444",
        digits: "5555555555554444",
        cvc: "999",
        holder: None,
        sealed_holder: None,
        brand: "mastercard",
        last4: "4444",
    },
];

/// Returns the test card named `name`.
pub fn card(name: &str) -> Option<&'static TestCard> {
    CARDS.iter().find(|card| card.name == name)
}

/// One envelope line: `CARDSEAL-ENVELOPE runtime engine kid card exp_month exp_year envelope`.
pub struct EnvelopeLine<'a> {
    pub runtime: &'a str,
    pub engine: &'a str,
    pub kid: &'a str,
    pub card: &'a str,
    pub exp_month: u8,
    pub exp_year: u16,
    pub envelope: &'a str,
}

impl EnvelopeLine<'_> {
    /// Formats the line the native test reads.
    pub fn format(&self) -> String {
        format!(
            "{ENVELOPE_MARKER} {} {} {} {} {} {} {}",
            self.runtime,
            self.engine,
            self.kid,
            self.card,
            self.exp_month,
            self.exp_year,
            self.envelope
        )
    }

    /// Reads a line written by [`EnvelopeLine::format`], wherever the marker starts in it (test
    /// runners prefix console output).
    pub fn parse(line: &str) -> Option<EnvelopeLine<'_>> {
        let start = line.find(ENVELOPE_MARKER)?;
        let mut words = line[start + ENVELOPE_MARKER.len()..].split_whitespace();
        let line = EnvelopeLine {
            runtime: words.next()?,
            engine: words.next()?,
            kid: words.next()?,
            card: words.next()?,
            exp_month: words.next()?.parse().ok()?,
            exp_year: words.next()?.parse().ok()?,
            envelope: words.next()?,
        };
        words.next().is_none().then_some(line)
    }
}

/// Declares, in a wasm test file, one test per function of [`suite`], each given the runtime name.
#[cfg(target_arch = "wasm32")]
macro_rules! suite_tests {
    ($runtime:literal: $($name:ident),* $(,)?) => {
        $(
            #[wasm_bindgen_test::wasm_bindgen_test]
            async fn $name() {
                common::suite::$name($runtime).await;
            }
        )*
    };
}

/// Defines every test of the shared suite for one runtime, so the Chromium and Node.js targets run
/// the same list.
#[cfg(target_arch = "wasm32")]
macro_rules! shared_suite {
    ($runtime:literal) => {
        suite_tests!($runtime:
            seal_webcrypto_2048,
            seal_rust_2048,
            seal_webcrypto_4096,
            seal_rust_4096,
            auto_engine_prefers_webcrypto,
            auto_engine_without_webcrypto_uses_rust,
            webcrypto_engine_without_webcrypto_fails,
            exported_seal_returns_display_data,
            sealed_envelopes_are_unique,
            concurrent_seals_keep_their_cards,
            throwing_card_getter_reads_as_missing,
            invalid_card_rejected_in_japanese,
            every_invalid_field_reported,
            expiry_from_month_and_year,
            unknown_kid_rejected,
            invalid_key_sets_rejected,
            short_modulus_rejected,
            single_jwk_accepted,
            invalid_options_rejected,
            invalid_session_id_rejected,
            format_helpers,
            validate_helpers,
            server_time_sets_issue_time,
            expiry_ime_middle_dot,
            expiry_numbers_checked,
        );
    };
}

/// The tests run both in Chromium and in Node.js.
#[cfg(target_arch = "wasm32")]
pub mod suite;

/// Helpers for the wasm tests.
#[cfg(target_arch = "wasm32")]
pub mod wasm {
    use cardseal::api::{self, SealerHandle};
    use cardseal_core::envelope;
    use js_sys::{Object, Reflect};
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;

    use super::*;

    /// Builds a plain object from string members.
    pub fn object(members: &[(&str, &str)]) -> JsValue {
        let object = Object::new();
        for (name, value) in members {
            Reflect::set(&object, &JsValue::from_str(name), &JsValue::from_str(value))
                .expect("set on a plain object");
        }
        object.into()
    }

    /// Sets `object[name] = value`.
    pub fn set(object: &JsValue, name: &str, value: &JsValue) {
        Reflect::set(object, &JsValue::from_str(name), value).expect("set on a plain object");
    }

    /// Returns `object[name]`.
    pub fn get(object: &JsValue, name: &str) -> JsValue {
        Reflect::get(object, &JsValue::from_str(name)).expect("get on an object")
    }

    /// Returns `object[name]` as a string, failing the test when it is not one.
    pub fn get_string(object: &JsValue, name: &str) -> String {
        get(object, name)
            .as_string()
            .unwrap_or_else(|| panic!("{name} is not a string"))
    }

    /// Builds a card input object for `card`, expiring in December `exp_year`.
    pub fn card_input(card: &TestCard, exp_year: u16) -> JsValue {
        let input = object(&[
            ("number", card.typed_number),
            ("expiry", &format!("12/{exp_year}")),
            ("cvc", card.cvc),
        ]);
        if let Some(holder) = card.holder {
            set(&input, "holder", &JsValue::from_str(holder));
        }
        input
    }

    /// Returns an expiry year five years ahead of the page's clock, so the test cards never expire.
    pub fn exp_year() -> u16 {
        js_sys::Date::new_0().get_utc_full_year() as u16 + 5
    }

    /// Seal options for the test key set.
    pub fn options(kid: &str, engine: &str) -> JsValue {
        object(&[
            ("jwks", TEST_JWKS),
            ("kid", kid),
            ("sessionId", SESSION_ID),
            ("origin", ORIGIN),
            ("engine", engine),
            ("lang", "en"),
        ])
    }

    /// Creates a Sealer, failing the test with the error's code when it throws.
    pub fn sealer(options: JsValue) -> SealerHandle {
        SealerHandle::new(options.unchecked_into())
            .unwrap_or_else(|error| panic!("Sealer failed: {}", describe(&error)))
    }

    /// Seals `card` with `sealer`, failing the test with the error's code when it rejects.
    pub async fn seal_with(sealer: &SealerHandle, card: &TestCard, exp_year: u16) -> JsValue {
        let promise: js_sys::Promise = sealer
            .seal(card_input(card, exp_year).unchecked_into())
            .unchecked_into();
        JsFuture::from(promise)
            .await
            .unwrap_or_else(|error| panic!("seal of {} failed: {}", card.name, describe(&error)))
    }

    /// Returns `code: message (detail)` of a CardSealError, for failure messages.
    pub fn describe(error: &JsValue) -> String {
        format!(
            "{}: {} ({})",
            get(error, "code").as_string().unwrap_or_default(),
            get(error, "message").as_string().unwrap_or_default(),
            get(error, "detail").as_string().unwrap_or_default()
        )
    }

    /// Checks a seal result against its card and the test binding, and prints the envelope line
    /// for the native test.
    pub fn check_and_print(
        runtime: &str,
        engine: &str,
        kid: &str,
        card: &TestCard,
        exp_year: u16,
        result: &JsValue,
    ) {
        assert_eq!(
            get_string(result, "brand"),
            card.brand,
            "brand of {}",
            card.name
        );
        assert_eq!(
            get_string(result, "last4"),
            card.last4,
            "last4 of {}",
            card.name
        );
        assert_eq!(
            get(result, "expMonth").as_f64(),
            Some(12.0),
            "expMonth of {}",
            card.name
        );
        assert_eq!(
            get(result, "expYear").as_f64(),
            Some(f64::from(exp_year)),
            "expYear of {}",
            card.name
        );

        let text = get_string(result, "envelope");
        assert!(
            !text.contains(card.digits),
            "envelope of {} contains the number",
            card.name
        );
        let parsed = envelope::parse(&text)
            .unwrap_or_else(|error| panic!("envelope of {} does not parse: {error}", card.name));
        assert_eq!(parsed.kid(), kid);
        assert_eq!(parsed.claims().session_id(), SESSION_ID);
        assert_eq!(parsed.claims().origin(), ORIGIN);

        let line = EnvelopeLine {
            runtime,
            engine,
            kid,
            card: card.name,
            exp_month: 12,
            exp_year,
            envelope: &text,
        };
        web_sys_console_log(&line.format());
    }

    fn web_sys_console_log(line: &str) {
        wasm_bindgen_test::console_log!("{line}");
    }

    /// Runs `body` with `crypto.subtle` hidden, as on a page outside a secure context, where
    /// `crypto.getRandomValues` stays available but `crypto.subtle` does not.
    pub async fn without_webcrypto<F: std::future::Future<Output = ()>>(body: impl FnOnce() -> F) {
        let crypto: Object = get(&js_sys::global(), "crypto").unchecked_into();
        let key = JsValue::from_str("subtle");
        let own = Object::get_own_property_descriptor(&crypto, &key);

        let hidden = object(&[]);
        set(&hidden, "value", &JsValue::UNDEFINED);
        set(&hidden, "configurable", &JsValue::TRUE);
        Object::define_property(&crypto, &key, hidden.unchecked_ref());
        assert!(
            get(&crypto, "subtle").is_undefined(),
            "crypto.subtle could not be hidden"
        );

        body().await;

        if own.is_undefined() {
            Reflect::delete_property(&crypto, &key).expect("delete crypto.subtle");
        } else {
            Object::define_property(&crypto, &key, own.unchecked_ref());
        }
        assert!(
            get(&crypto, "subtle").is_object(),
            "crypto.subtle was not restored"
        );
    }

    /// Calls the exported `seal` function as a page would, returning its result or error.
    pub async fn seal_exported(card: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
        api::seal(card.unchecked_into(), options.unchecked_into())
            .await
            .map(Into::into)
    }
}
