//! The shared wasm tests in headless Chromium, and tests of the card form's elements. Run by
//! scripts/test-browser (cargo test --target wasm32-unknown-unknown --test browser); the typing,
//! caret and frame tests drive a real browser from browser-tests/ with Playwright.
#![cfg(target_arch = "wasm32")]

#[macro_use]
mod common;

use cardseal::widget::CardForm;
use common::wasm::*;
use common::*;
use js_sys::{Array, Promise};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{Document, Element, HtmlElement, HtmlInputElement};

wasm_bindgen_test_configure!(run_in_browser);

shared_suite!("chromium");

fn document() -> Document {
    web_sys::window()
        .and_then(|window| window.document())
        .expect("a document")
}

/// Mounts a form with `options` in a new container appended to the body.
fn mount(options: JsValue) -> (CardForm, Element) {
    let container = document().create_element("div").expect("div");
    document()
        .body()
        .expect("body")
        .append_child(&container)
        .expect("append");
    let form = CardForm::mount(&container, Some(options.unchecked_into()))
        .unwrap_or_else(|error| panic!("mount failed: {}", describe(&error)));
    (form, container)
}

fn inputs(container: &Element) -> Vec<HtmlInputElement> {
    let list = container.query_selector_all("input").expect("selector");
    (0..list.length())
        .map(|index| list.get(index).expect("input").unchecked_into())
        .collect()
}

fn input(container: &Element, name: &str) -> HtmlInputElement {
    container
        .query_selector(&format!("input[name={name}]"))
        .expect("selector")
        .unwrap_or_else(|| panic!("no input named {name}"))
        .unchecked_into()
}

fn attribute(element: &Element, name: &str) -> String {
    element
        .get_attribute(name)
        .unwrap_or_else(|| panic!("{} has no {name}", element.id()))
}

#[wasm_bindgen_test]
fn form_fields_have_labels_and_attributes() {
    let (form, container) = mount(object(&[("lang", "ja")]));

    let fields = inputs(&container);
    let names: Vec<String> = fields.iter().map(HtmlInputElement::name).collect();
    assert_eq!(names, ["cardnumber", "exp-date", "cvc", "ccname"]);
    let autocomplete: Vec<String> = fields
        .iter()
        .map(|input| attribute(input, "autocomplete"))
        .collect();
    assert_eq!(autocomplete, ["cc-number", "cc-exp", "cc-csc", "cc-name"]);

    for input in &fields {
        assert_eq!(attribute(input, "autocorrect"), "off");
        assert_eq!(attribute(input, "spellcheck"), "false");
        assert_eq!(attribute(input, "aria-invalid"), "false");
        assert_eq!(input.type_(), "text");

        let label = container
            .query_selector(&format!("label[for='{}']", input.id()))
            .expect("selector");
        assert!(
            label.is_some_and(|label| !label.text_content().unwrap_or_default().is_empty()),
            "{} has no label",
            input.id()
        );
        let described = attribute(input, "aria-describedby");
        assert!(
            document().get_element_by_id(&described).is_some(),
            "{described} does not exist"
        );
    }
    for input in &fields[..3] {
        assert_eq!(attribute(input, "inputmode"), "numeric");
    }
    assert_eq!(attribute(&fields[3], "autocapitalize"), "characters");

    let label = container
        .query_selector("label")
        .expect("selector")
        .expect("label");
    assert_eq!(label.text_content().as_deref(), Some("カード番号"));
    let live = container
        .query_selector("[role=status]")
        .expect("selector")
        .expect("live region");
    assert_eq!(attribute(&live, "aria-live"), "polite");
    assert_eq!(form.lang(), "ja");

    // A strict CSP without 'unsafe-inline' blocks style attributes, so the form writes none.
    assert!(
        container
            .query_selector("[style]")
            .expect("selector")
            .is_none()
    );
    form.destroy();
}

#[wasm_bindgen_test]
fn form_speaks_english() {
    let (form, container) = mount(object(&[("lang", "en-US")]));
    let label = container
        .query_selector("label")
        .expect("selector")
        .expect("label");
    assert_eq!(label.text_content().as_deref(), Some("Card number"));
    assert_eq!(form.lang(), "en");
    form.destroy();
}

#[wasm_bindgen_test]
fn form_holder_field_can_be_hidden() {
    let (form, container) = mount(object(&[("holder", "hidden")]));
    assert_eq!(inputs(&container).len(), 3);
    form.destroy();
}

#[wasm_bindgen_test]
fn form_rejects_unknown_holder_mode() {
    let container = document().create_element("div").expect("div");
    let options = object(&[("holder", "sometimes")]);
    let error = CardForm::mount(&container, Some(options.unchecked_into()))
        .err()
        .expect("bad option must throw");
    assert_eq!(get_string(&error, "code"), "invalid_argument");
}

#[wasm_bindgen_test]
fn form_style_sets_custom_properties() {
    let style = object(&[
        ("colorText", "#123456"),
        ("fontSize", "18px"),
        ("colorError", "red; color: blue"),
        ("colorFocus", "url(x)"),
    ]);
    let options = object(&[]);
    set(&options, "style", &style);
    let (form, container) = mount(options);

    let root: HtmlElement = container
        .first_element_child()
        .expect("root")
        .unchecked_into();
    let declared = root.style();
    assert_eq!(
        declared
            .get_property_value("--cs-color-text")
            .ok()
            .as_deref(),
        Some("#123456")
    );
    assert_eq!(
        declared
            .get_property_value("--cs-font-size")
            .ok()
            .as_deref(),
        Some("18px")
    );
    assert_eq!(
        declared
            .get_property_value("--cs-color-error")
            .ok()
            .as_deref(),
        Some("")
    );
    assert_eq!(
        declared
            .get_property_value("--cs-color-focus")
            .ok()
            .as_deref(),
        Some("")
    );

    let input = input(&container, "cardnumber");
    let computed = web_sys::window()
        .expect("window")
        .get_computed_style(&input)
        .expect("style")
        .expect("computed style");
    // Custom properties inherit, so the inputs see them (the stylesheet is not loaded here).
    assert_eq!(
        computed
            .get_property_value("--cs-font-size")
            .ok()
            .as_deref(),
        Some("18px")
    );
    form.destroy();
}

#[wasm_bindgen_test]
fn form_validate_shows_messages() {
    let (form, container) = mount(object(&[("lang", "en"), ("holder", "required")]));

    let problems = Array::from(&form.validate().into());
    let codes: Vec<String> = problems
        .iter()
        .map(|problem| get_string(&problem, "code"))
        .collect();
    assert_eq!(
        codes,
        [
            "number_missing",
            "expiry_missing",
            "cvc_missing",
            "holder_missing"
        ]
    );

    let number = input(&container, "cardnumber");
    assert_eq!(attribute(&number, "aria-invalid"), "true");
    let message = document()
        .get_element_by_id(&attribute(&number, "aria-describedby"))
        .expect("message");
    assert_eq!(
        message.text_content().as_deref(),
        Some("Enter the card number.")
    );
    let live = container
        .query_selector("[role=status]")
        .expect("selector")
        .expect("live region");
    assert!(
        live.text_content()
            .unwrap_or_default()
            .contains("Enter the card number.")
    );
    let active = document().active_element().expect("focused element");
    assert_eq!(
        active.id(),
        number.id(),
        "focus moves to the first invalid field"
    );

    input(&container, "cardnumber").set_value("4242 4242 4242 4242");
    input(&container, "exp-date").set_value(&format!("12/{}", exp_year() % 100));
    input(&container, "cvc").set_value("123");
    input(&container, "ccname").set_value("taro yamada");
    let problems = Array::from(&form.validate().into());
    assert_eq!(problems.length(), 0);
    assert_eq!(attribute(&number, "aria-invalid"), "false");
    assert_eq!(message.text_content().as_deref(), Some(""));
    form.destroy();
}

#[wasm_bindgen_test]
async fn form_seals_and_clears() {
    let (form, container) = mount(object(&[("lang", "en")]));
    let card = card("jcb_full_width").expect("test card");
    let exp_year = exp_year();
    input(&container, "cardnumber").set_value(card.typed_number);
    input(&container, "exp-date").set_value(&format!("12/{exp_year}"));
    input(&container, "cvc").set_value(card.cvc);
    input(&container, "ccname").set_value(card.holder.expect("holder"));
    let sealer = sealer(options(KID_2048, "auto"));

    let promise: Promise = form.seal(&sealer).unchecked_into();
    let result = JsFuture::from(promise)
        .await
        .unwrap_or_else(|error| panic!("{}", describe(&error)));
    check_and_print("chromium", "form", KID_2048, card, exp_year, &result);

    form.clear();
    for input in inputs(&container) {
        assert_eq!(input.value(), "", "{} not cleared", input.name());
    }
    form.destroy();
}

#[wasm_bindgen_test]
async fn form_seal_rejects_invalid_card() {
    let (form, container) = mount(object(&[("lang", "ja")]));
    input(&container, "cardnumber").set_value("4242 4242 4242 4241");
    let sealer = sealer(options(KID_2048, "auto"));

    let promise: Promise = form.seal(&sealer).unchecked_into();
    let error = JsFuture::from(promise)
        .await
        .expect_err("an invalid card must not be sealed");

    assert_eq!(get_string(&error, "code"), "number_checksum");
    let fields = Array::from(&get(&error, "fields"));
    assert_eq!(
        fields.length(),
        3,
        "number, expiry and security code are reported"
    );
    assert_eq!(
        get_string(&error, "message"),
        "カード番号が正しくありません。入力ミスがないかご確認ください。"
    );
    form.destroy();
}

#[wasm_bindgen_test]
fn form_destroy_removes_elements() {
    let (form, container) = mount(object(&[]));
    form.destroy();
    assert_eq!(container.child_element_count(), 0);
}
