//! The card form's elements: fields with labels, messages and the right input attributes.
//!
//! Everything is styled through classes in the form's stylesheet (`cardseal.css`): no element
//! gets a `style` attribute, so the page's Content-Security-Policy needs no `'unsafe-inline'`.

use std::sync::atomic::{AtomicU32, Ordering};

use cardseal_core::card::Field;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, HtmlElement, HtmlInputElement};

use crate::error::Error;
use crate::i18n::{self, Label, Locale};
use crate::widget::options::HolderMode;

/// Numbers each form on the page so element ids stay unique with several forms.
static NEXT_FORM_ID: AtomicU32 = AtomicU32::new(1);

/// One field of the form: its row, input, and the message shown under it.
pub struct FieldView {
    /// The field this view shows.
    pub field: Field,
    /// The element holding label, input and message; marked invalid with a class.
    pub row: HtmlElement,
    /// The text input.
    pub input: HtmlInputElement,
    /// The message under the input, referenced by the input's `aria-describedby`.
    pub message: HtmlElement,
}

/// All elements of one form.
pub struct FormView {
    /// The form's root element, inside the element the page gave.
    pub root: HtmlElement,
    /// The card number field.
    pub number: FieldView,
    /// The expiry date field.
    pub expiry: FieldView,
    /// The security code field.
    pub cvc: FieldView,
    /// The cardholder name field, unless hidden.
    pub holder: Option<FieldView>,
    /// The brand shown beside the card number.
    pub brand: HtmlElement,
    /// A polite live region announcing the brand and the errors found on submit.
    pub live: HtmlElement,
}

/// The attributes of one input: what autofill, IMEs, spell checkers and screen readers see.
struct InputSpec {
    field: Field,
    label: Label,
    name: &'static str,
    autocomplete: &'static str,
    inputmode: &'static str,
    autocapitalize: &'static str,
    placeholder: Option<Label>,
}

const NUMBER: InputSpec = InputSpec {
    field: Field::Number,
    label: Label::Number,
    name: "cardnumber",
    autocomplete: "cc-number",
    inputmode: "numeric",
    autocapitalize: "off",
    placeholder: None,
};

const EXPIRY: InputSpec = InputSpec {
    field: Field::Expiry,
    label: Label::Expiry,
    name: "exp-date",
    autocomplete: "cc-exp",
    inputmode: "numeric",
    autocapitalize: "off",
    placeholder: Some(Label::ExpiryPlaceholder),
};

const CVC: InputSpec = InputSpec {
    field: Field::Cvc,
    label: Label::Cvc,
    name: "cvc",
    autocomplete: "cc-csc",
    inputmode: "numeric",
    autocapitalize: "off",
    placeholder: Some(Label::CvcPlaceholder),
};

const HOLDER: InputSpec = InputSpec {
    field: Field::Holder,
    label: Label::Holder,
    name: "ccname",
    autocomplete: "cc-name",
    inputmode: "text",
    autocapitalize: "characters",
    placeholder: Some(Label::HolderPlaceholder),
};

/// Builds the form's elements inside `container`.
pub fn build(
    document: &Document,
    container: &Element,
    locale: Locale,
    holder: HolderMode,
) -> Result<FormView, Error> {
    let prefix = format!("cs{}", NEXT_FORM_ID.fetch_add(1, Ordering::Relaxed));
    let builder = Builder {
        document,
        locale,
        prefix: &prefix,
    };

    let root = builder.element("div", "cs-form")?;
    root.set_attribute("role", "group")
        .map_err(dom("setAttribute"))?;
    root.set_attribute("aria-label", i18n::label(Label::Form, locale))
        .map_err(dom("setAttribute"))?;
    root.set_attribute("lang", locale.tag())
        .map_err(dom("setAttribute"))?;

    let number = builder.field(&NUMBER, false)?;
    let brand = builder.element("span", "cs-brand")?;
    brand
        .set_attribute("aria-hidden", "true")
        .map_err(dom("setAttribute"))?;
    brand
        .set_attribute("data-brand", "")
        .map_err(dom("setAttribute"))?;
    let control = number.input.parent_element().ok_or(Error::Dom {
        operation: "parentElement",
    })?;
    control.append_child(&brand).map_err(dom("appendChild"))?;
    root.append_child(&number.row).map_err(dom("appendChild"))?;

    // Expiry date and security code share a row, as printed side by side on most cards.
    let pair = builder.element("div", "cs-pair")?;
    let expiry = builder.field(&EXPIRY, false)?;
    let cvc = builder.field(&CVC, false)?;
    pair.append_child(&expiry.row).map_err(dom("appendChild"))?;
    pair.append_child(&cvc.row).map_err(dom("appendChild"))?;
    root.append_child(&pair).map_err(dom("appendChild"))?;

    let holder = match holder {
        HolderMode::Hidden => None,
        mode => {
            let view = builder.field(&HOLDER, mode == HolderMode::Optional)?;
            if mode == HolderMode::Required {
                view.input.set_required(true);
            }
            root.append_child(&view.row).map_err(dom("appendChild"))?;
            Some(view)
        }
    };

    let live = builder.element("div", "cs-live")?;
    live.set_attribute("role", "status")
        .map_err(dom("setAttribute"))?;
    live.set_attribute("aria-live", "polite")
        .map_err(dom("setAttribute"))?;
    root.append_child(&live).map_err(dom("appendChild"))?;

    container.append_child(&root).map_err(dom("appendChild"))?;
    Ok(FormView {
        root,
        number,
        expiry,
        cvc,
        holder,
        brand,
        live,
    })
}

struct Builder<'a> {
    document: &'a Document,
    locale: Locale,
    prefix: &'a str,
}

impl Builder<'_> {
    fn element(&self, tag: &str, class: &str) -> Result<HtmlElement, Error> {
        let element = self
            .document
            .create_element(tag)
            .map_err(dom("createElement"))?;
        element.set_class_name(class);
        element.dyn_into::<HtmlElement>().map_err(|_| Error::Dom {
            operation: "createElement",
        })
    }

    /// Builds `<div class="cs-field"><label/><div class="cs-control"><input/></div><p/></div>`.
    fn field(&self, spec: &InputSpec, optional: bool) -> Result<FieldView, Error> {
        let code = spec.field.code();
        let input_id = format!("{}-{code}", self.prefix);
        let message_id = format!("{input_id}-message");

        let row = self.element("div", &format!("cs-field cs-field-{code}"))?;

        let label = self.element("label", "cs-label")?;
        label
            .set_attribute("for", &input_id)
            .map_err(dom("setAttribute"))?;
        label.set_text_content(Some(i18n::label(spec.label, self.locale)));
        if optional {
            let mark = self.element("span", "cs-optional")?;
            mark.set_text_content(Some(i18n::label(Label::Optional, self.locale)));
            label.append_child(&mark).map_err(dom("appendChild"))?;
        }

        let control = self.element("div", "cs-control")?;
        let input: HtmlInputElement =
            self.element("input", "cs-input")?
                .dyn_into()
                .map_err(|_| Error::Dom {
                    operation: "createElement",
                })?;
        input.set_type("text");
        input.set_id(&input_id);
        input.set_name(spec.name);
        input.set_autocomplete(spec.autocomplete);
        if let Some(placeholder) = spec.placeholder {
            input.set_placeholder(i18n::label(placeholder, self.locale));
        }
        for (name, value) in [
            ("inputmode", spec.inputmode),
            ("autocapitalize", spec.autocapitalize),
            // Safari's autocorrect and every browser's spell check would "fix" digits and names.
            ("autocorrect", "off"),
            ("spellcheck", "false"),
            ("enterkeyhint", "done"),
            ("aria-invalid", "false"),
            ("aria-describedby", &message_id),
        ] {
            input
                .set_attribute(name, value)
                .map_err(dom("setAttribute"))?;
        }
        control.append_child(&input).map_err(dom("appendChild"))?;

        let message = self.element("p", "cs-message")?;
        message.set_id(&message_id);

        row.append_child(&label).map_err(dom("appendChild"))?;
        row.append_child(&control).map_err(dom("appendChild"))?;
        row.append_child(&message).map_err(dom("appendChild"))?;
        Ok(FieldView {
            field: spec.field,
            row,
            input,
            message,
        })
    }
}

impl FieldView {
    /// Shows `message` under the field and marks the input invalid.
    pub fn show_message(&self, message: &str) {
        self.message.set_text_content(Some(message));
        let _ = self.input.set_attribute("aria-invalid", "true");
        let _ = self.row.class_list().add_1("cs-invalid");
    }

    /// Removes the field's message and the invalid mark.
    pub fn clear_message(&self) {
        self.message.set_text_content(None);
        let _ = self.input.set_attribute("aria-invalid", "false");
        let _ = self.row.class_list().remove_1("cs-invalid");
    }

    /// Tells whether the field shows a message.
    pub fn has_message(&self) -> bool {
        self.row.class_list().contains("cs-invalid")
    }
}

/// Maps a failed DOM call to an error naming the call.
fn dom(operation: &'static str) -> impl Fn(wasm_bindgen::JsValue) -> Error {
    move |_| Error::Dom { operation }
}
