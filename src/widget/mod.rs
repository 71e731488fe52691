//! The card form widget, drawn with web-sys: number, expiry date, security code and an optional
//! cardholder name, formatted as the buyer types and validated on blur and on submit.

mod dom;
mod options;

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use cardseal_core::card::{Brand, CardError, CardNumber, Cvc, Field, HolderName, parse_expiry};
use js_sys::{Array, Function, Object};
use wasm_bindgen::prelude::*;
use web_sys::{Element, Event, EventTarget, InputEvent, KeyboardEvent};
use zeroize::Zeroizing;

use crate::api::{self, FieldErrorList, SealResultPromise, SealerHandle, TypedCard};
use crate::edit::{self, EditKind};
use crate::error::{ERROR_NAME, Error};
use crate::i18n::{self, Label, Locale};
use crate::js;

pub use options::{HolderMode, STYLE_PROPERTIES, is_safe_style_value};

use dom::{FieldView, FormView};
use options::FormOptions;

/// The `keyCode` browsers report for keys pressed while an IME composes.
const IME_PROCESS_KEY_CODE: u32 = 229;

/// Marks the number field while a brand name is shown at the input's end (see `cardseal.css`).
const BRAND_SHOWN_CLASS: &str = "cs-has-brand";

/// Carries the shown brand name's measured width to the stylesheet.
const BRAND_WIDTH_PROPERTY: &str = "--cs-brand-width";

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = r#"
/** Options of `CardForm.mount`. Each `style` key sets the CSS custom property of the same name
 *  in kebab case, so `colorText` sets `--cs-color-text`. Values must be plain colors, lengths or
 *  font lists. */
export interface CardFormOptions {
  lang?: string;
  holder?: "optional" | "required" | "hidden";
  style?: {
    colorText?: string; colorBackground?: string; colorBorder?: string; colorFocus?: string;
    colorError?: string; colorPlaceholder?: string; fontFamily?: string; fontSize?: string;
    borderRadius?: string; spacing?: string;
  };
}

/** The state `onChange` reports: the brand detected so far, and whether every required field is valid. */
export interface CardFormState {
  brand?: BrandCode;
  complete: boolean;
  empty: boolean;
}
"#;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(typescript_type = "CardFormOptions")]
    pub type CardFormOptions;
    #[wasm_bindgen(typescript_type = "(state: CardFormState) => void")]
    pub type ChangeCallback;
    #[wasm_bindgen(typescript_type = "() => void")]
    pub type SubmitCallback;
}

/// One problem found in one field, with the message to show.
struct Problem {
    field: Field,
    code: &'static str,
    message: String,
}

/// The state last reported through `onChange`.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Reported {
    brand: Option<Brand>,
    complete: bool,
    empty: bool,
}

/// Per-form state that changes as the buyer types.
struct State {
    number_digits: usize,
    expiry_digits: usize,
    brand: Option<Brand>,
    composing: bool,
    busy: bool,
    reported: Option<Reported>,
}

type Listener = (EventTarget, &'static str, Closure<dyn FnMut(Event)>);

struct Form {
    view: FormView,
    locale: Locale,
    holder_mode: HolderMode,
    state: RefCell<State>,
    listeners: RefCell<Vec<Listener>>,
    on_change: RefCell<Option<Function>>,
    on_submit: RefCell<Option<Function>>,
    destroyed: Cell<bool>,
}

/// The card form mounted in an element of the page.
#[wasm_bindgen]
pub struct CardForm {
    form: Rc<Form>,
}

#[wasm_bindgen]
impl CardForm {
    /// Draws the card form inside `element`; throws a `CardSealError` for invalid options.
    pub fn mount(element: &Element, options: Option<CardFormOptions>) -> Result<CardForm, JsValue> {
        let options: JsValue = options.map_or(JsValue::UNDEFINED, Into::into);
        let fallback_locale = api::locale(js::get(&options, "lang").as_string().as_deref());
        mount(element, &options).map_err(|error| error.into_js(fallback_locale))
    }

    /// Returns the language of the form's text: `"ja"` or `"en"`.
    #[wasm_bindgen(getter)]
    pub fn lang(&self) -> String {
        self.form.locale.tag().to_owned()
    }

    /// Calls `callback({brand, complete, empty})` whenever one of them changes.
    #[wasm_bindgen(js_name = onChange)]
    pub fn on_change(&self, callback: ChangeCallback) {
        *self.form.on_change.borrow_mut() = Some(callback.unchecked_into());
        self.form.report_change(true);
    }

    /// Calls `callback()` when the buyer presses Enter in a field.
    #[wasm_bindgen(js_name = onSubmit)]
    pub fn on_submit(&self, callback: SubmitCallback) {
        *self.form.on_submit.borrow_mut() = Some(callback.unchecked_into());
    }

    /// Validates every field, shows the messages, moves focus to the first invalid field, and
    /// returns the problems (empty when the card is valid).
    pub fn validate(&self) -> FieldErrorList {
        let problems = self.form.check().err().unwrap_or_default();
        self.form.show_problems(&problems);
        problems_array(&problems).unchecked_into()
    }

    /// Validates the card and seals it with `sealer`. Rejects with a `CardSealError` (showing
    /// the messages) when a field is invalid, or with code `busy` while a seal is running.
    pub fn seal(&self, sealer: &SealerHandle) -> SealResultPromise {
        let form = Rc::clone(&self.form);
        let sealer = Rc::clone(&sealer.sealer);
        let promise =
            wasm_bindgen_futures::future_to_promise(async move { form.seal(&sealer).await });
        promise.unchecked_into()
    }

    /// Empties every field and removes every message.
    pub fn clear(&self) {
        self.form.clear();
    }

    /// Moves focus to the card number field.
    pub fn focus(&self) {
        let _ = self.form.view.number.input.focus();
    }

    /// Removes the form from the page and its event listeners.
    pub fn destroy(&self) {
        self.form.destroy();
    }
}

fn mount(element: &Element, options: &JsValue) -> Result<CardForm, Error> {
    let options = FormOptions::from_js(options)?;
    let document = element.owner_document().ok_or(Error::DomUnavailable)?;
    let view = dom::build(&document, element, options.locale, options.holder)?;

    // CSSOM writes (style.setProperty) are not inline style markup, so a CSP without
    // 'unsafe-inline' in style-src allows them (CSP Level 3, section 6.1.12 covers attributes).
    let style = view.root.style();
    for (property, value) in &options.style {
        let _ = style.set_property(property, value);
    }

    let form = Rc::new(Form {
        view,
        locale: options.locale,
        holder_mode: options.holder,
        state: RefCell::new(State {
            number_digits: 0,
            expiry_digits: 0,
            brand: None,
            composing: false,
            busy: false,
            reported: None,
        }),
        listeners: RefCell::new(Vec::new()),
        on_change: RefCell::new(None),
        on_submit: RefCell::new(None),
        destroyed: Cell::new(false),
    });
    form.attach()?;
    Ok(CardForm { form })
}

impl Form {
    fn fields(&self) -> impl Iterator<Item = &FieldView> {
        [&self.view.number, &self.view.expiry, &self.view.cvc]
            .into_iter()
            .chain(self.view.holder.as_ref())
    }

    fn field_view(&self, field: Field) -> Option<&FieldView> {
        self.fields().find(|view| view.field == field)
    }

    /// Registers the event listeners of every field.
    fn attach(self: &Rc<Self>) -> Result<(), Error> {
        for view in self.fields() {
            let field = view.field;
            let target: &EventTarget = view.input.as_ref();
            self.listen(target, "input", field, Form::on_input)?;
            self.listen(
                target,
                "compositionstart",
                field,
                Form::on_composition_start,
            )?;
            self.listen(target, "compositionend", field, Form::on_composition_end)?;
            self.listen(target, "blur", field, Form::on_blur)?;
            self.listen(target, "keydown", field, Form::on_keydown)?;
        }
        Ok(())
    }

    fn listen(
        self: &Rc<Self>,
        target: &EventTarget,
        kind: &'static str,
        field: Field,
        handler: fn(&Form, Field, &Event),
    ) -> Result<(), Error> {
        // A weak reference: the form owns its listeners, so a strong one would leak both.
        let form: Weak<Form> = Rc::downgrade(self);
        let closure = Closure::<dyn FnMut(Event)>::new(move |event: Event| {
            if let Some(form) = form.upgrade() {
                handler(&form, field, &event);
            }
        });
        target
            .add_event_listener_with_callback(kind, closure.as_ref().unchecked_ref())
            .map_err(|_| Error::Dom {
                operation: "addEventListener",
            })?;
        self.listeners
            .borrow_mut()
            .push((target.clone(), kind, closure));
        Ok(())
    }

    fn on_input(&self, field: Field, event: &Event) {
        // Reformatting while an IME composes would break its conversion; compositionend follows.
        let composing = event
            .dyn_ref::<InputEvent>()
            .is_some_and(InputEvent::is_composing);
        if composing || self.state.borrow().composing {
            return;
        }
        let kind = event
            .dyn_ref::<InputEvent>()
            .map_or(EditKind::Insert, |event| {
                EditKind::from_input_type(&event.input_type())
            });
        self.reformat(field, kind);
        self.after_edit(field);
    }

    fn on_composition_start(&self, _field: Field, _event: &Event) {
        self.state.borrow_mut().composing = true;
    }

    /// Takes the IME's committed text, such as full-width digits, once composition ends.
    fn on_composition_end(&self, field: Field, _event: &Event) {
        self.state.borrow_mut().composing = false;
        self.reformat(field, EditKind::Insert);
        self.after_edit(field);
    }

    /// Shows the field's message when the buyer leaves a field they typed in.
    fn on_blur(&self, field: Field, _event: &Event) {
        let Some(view) = self.field_view(field) else {
            return;
        };
        let value = Zeroizing::new(view.input.value());
        if value.trim().is_empty() {
            view.clear_message();
            return;
        }
        match self.check_field(field, &value) {
            Some(problem) => view.show_message(&problem.message),
            None => {
                view.clear_message();
                self.normalize_holder(view, &value);
            }
        }
    }

    fn on_keydown(&self, _field: Field, event: &Event) {
        let Some(event) = event.dyn_ref::<KeyboardEvent>() else {
            return;
        };
        // Enter that commits an IME conversion is not a submit.
        if event.key() != "Enter"
            || event.is_composing()
            || event.key_code() == IME_PROCESS_KEY_CODE
        {
            return;
        }
        event.prevent_default();
        let callback = self.on_submit.borrow().clone();
        if let Some(callback) = callback {
            let _ = callback.call0(&JsValue::NULL);
        }
    }

    /// Reformats the field after an edit and moves the caret to where the buyer expects it.
    fn reformat(&self, field: Field, kind: EditKind) {
        let Some(view) = self.field_view(field) else {
            return;
        };
        let value = Zeroizing::new(view.input.value());
        let caret = view
            .input
            .selection_start()
            .ok()
            .flatten()
            .unwrap_or_else(|| value.encode_utf16().count() as u32);

        let edited = {
            let Ok(mut state) = self.state.try_borrow_mut() else {
                return;
            };
            match field {
                Field::Number => {
                    let edited = edit::edit_number(&value, caret, kind, state.number_digits);
                    state.number_digits = edited.digit_count;
                    edited.text
                }
                Field::Expiry => {
                    let edited = edit::edit_expiry(&value, caret, kind, state.expiry_digits);
                    state.expiry_digits = edited.value.bytes().filter(u8::is_ascii_digit).count();
                    edited
                }
                Field::Cvc => edit::edit_cvc(&value, caret, state.brand.map(Brand::cvc_length)),
                _ => return,
            }
        };

        if edited.value.as_str() != value.as_str() {
            view.input.set_value(&edited.value);
        }
        // Setting the selection of an unfocused input would move focus to it in some browsers.
        if self.is_focused(view) {
            let _ = view.input.set_selection_range(edited.caret, edited.caret);
        }
    }

    /// Updates the brand, clears a message the edit has fixed, and reports changes.
    fn after_edit(&self, field: Field) {
        if field == Field::Number {
            self.update_brand();
        }
        if let Some(view) = self.field_view(field)
            && view.has_message()
        {
            let value = Zeroizing::new(view.input.value());
            if self.check_field(field, &value).is_none() {
                view.clear_message();
            }
        }
        self.report_change(false);
    }

    fn update_brand(&self) {
        let value = Zeroizing::new(self.view.number.input.value());
        let digits: Zeroizing<String> =
            Zeroizing::new(value.chars().filter(char::is_ascii_digit).collect());
        let brand = cardseal_core::card::detect_brand(&digits);
        let changed = {
            let mut state = self.state.borrow_mut();
            let changed = state.brand != brand;
            state.brand = brand;
            changed
        };
        if !changed {
            // Measured again on each edit: a form first drawn while hidden measured nothing.
            if brand.is_some() {
                self.fit_brand_space();
            }
            return;
        }

        let badge = &self.view.brand;
        badge.set_text_content(brand.map(Brand::name));
        let _ = badge.set_attribute("data-brand", brand.map_or("", Brand::code));
        let row = self.view.number.row.class_list();
        if brand.is_some() {
            let _ = row.add_1(BRAND_SHOWN_CLASS);
        } else {
            let _ = row.remove_1(BRAND_SHOWN_CLASS);
        }
        self.fit_brand_space();
        if let Some(brand) = brand {
            self.announce(&format!(
                "{}{}",
                i18n::label(Label::BrandAnnouncement, self.locale),
                brand.name()
            ));
        }
    }

    /// Reserves as much of the number input's end padding as the shown brand name needs.
    ///
    /// The width goes into a CSS custom property through the CSSOM, which a CSP without
    /// 'unsafe-inline' allows. A form that is not rendered measures 0: the property is then
    /// removed and the stylesheet's fallback, wide enough for the longest name, applies.
    fn fit_brand_space(&self) {
        let style = self.view.number.row.style();
        let width = self.view.brand.offset_width();
        if width > 0 {
            let _ = style.set_property(BRAND_WIDTH_PROPERTY, &format!("{width}px"));
        } else {
            let _ = style.remove_property(BRAND_WIDTH_PROPERTY);
        }
    }

    fn announce(&self, text: &str) {
        self.view.live.set_text_content(Some(text));
    }

    fn is_focused(&self, view: &FieldView) -> bool {
        let active = view
            .input
            .owner_document()
            .and_then(|document| document.active_element());
        active.is_some_and(|active| view.input.is_same_node(Some(&active)))
    }

    /// Checks one field on its own, as on blur.
    fn check_field(&self, field: Field, value: &str) -> Option<Problem> {
        let card_error = |error: CardError| Problem {
            field,
            code: error.code(),
            message: i18n::card_error_message(&error, self.locale),
        };
        match field {
            Field::Number => CardNumber::parse(value).err().map(card_error),
            Field::Expiry => {
                let today = api::today().ok()?;
                parse_expiry(value, today).err().map(card_error)
            }
            Field::Cvc => Cvc::parse(value, self.state.borrow().brand)
                .err()
                .map(card_error),
            Field::Holder => match HolderName::parse(value) {
                Err(error) => Some(card_error(error)),
                Ok(None) if self.holder_mode == HolderMode::Required => Some(self.holder_missing()),
                Ok(_) => None,
            },
        }
    }

    fn holder_missing(&self) -> Problem {
        Problem {
            field: Field::Holder,
            code: "holder_missing",
            message: i18n::message("holder_missing", self.locale),
        }
    }

    /// Shows a valid cardholder name as it will be sealed: upper-case Latin letters.
    fn normalize_holder(&self, view: &FieldView, value: &str) {
        if view.field != Field::Holder {
            return;
        }
        if let Ok(Some(name)) = HolderName::parse(value)
            && name.as_str() != value
        {
            view.input.set_value(name.as_str());
        }
    }

    /// Reads the card as typed in the fields.
    fn typed(&self) -> TypedCard {
        let holder = self.view.holder.as_ref().map(|view| view.input.value());
        TypedCard::new(
            self.view.number.input.value(),
            self.view.expiry.input.value(),
            self.view.cvc.input.value(),
            holder,
        )
    }

    /// Validates the whole card as submitting does.
    fn check(&self) -> Result<cardseal_core::card::Card, Vec<Problem>> {
        let today = api::today().map_err(|error| {
            vec![Problem {
                field: Field::Expiry,
                code: error.code(),
                message: error.message(self.locale),
            }]
        })?;
        let parsed = self.typed().parse(today);

        let mut problems: Vec<Problem> = match &parsed {
            Ok(_) => Vec::new(),
            Err(errors) => errors
                .iter()
                .map(|error| Problem {
                    field: error.field(),
                    code: error.code(),
                    message: i18n::card_error_message(error, self.locale),
                })
                .collect(),
        };
        let holder_empty = self
            .view
            .holder
            .as_ref()
            .is_some_and(|view| Zeroizing::new(view.input.value()).trim().is_empty());
        if self.holder_mode == HolderMode::Required && holder_empty {
            problems.push(self.holder_missing());
        }

        match parsed {
            Ok(card) if problems.is_empty() => Ok(card),
            _ => Err(problems),
        }
    }

    /// Shows every field's message (clearing the valid ones), announces the first problem and
    /// moves focus to its field.
    fn show_problems(&self, problems: &[Problem]) {
        for view in self.fields() {
            match problems.iter().find(|problem| problem.field == view.field) {
                Some(problem) => view.show_message(&problem.message),
                None => view.clear_message(),
            }
        }
        if let Some(first) = problems.first() {
            self.announce(&format!(
                "{}{}",
                i18n::label(Label::ErrorsAnnouncement, self.locale),
                first.message
            ));
            if let Some(view) = self.field_view(first.field) {
                let _ = view.input.focus();
            }
        }
    }

    async fn seal(&self, sealer: &crate::seal::Sealer) -> Result<JsValue, JsValue> {
        if self.destroyed.get() {
            return Err(simple_error("frame_destroyed", self.locale));
        }
        if self.state.borrow().busy {
            return Err(simple_error("busy", self.locale));
        }
        let card = match self.check() {
            Ok(card) => card,
            Err(problems) => {
                self.show_problems(&problems);
                return Err(problems_error(&problems));
            }
        };

        self.set_busy(true);
        let result = sealer.seal(&card).await;
        self.set_busy(false);

        match result {
            Ok(envelope) => Ok(crate::seal::result_object(envelope, &card).into()),
            Err(error) => Err(error.into_js(self.locale)),
        }
    }

    fn set_busy(&self, busy: bool) {
        self.state.borrow_mut().busy = busy;
        for view in self.fields() {
            view.input.set_read_only(busy);
        }
        let _ = self
            .view
            .root
            .set_attribute("aria-busy", if busy { "true" } else { "false" });
    }

    fn clear(&self) {
        for view in self.fields() {
            view.input.set_value("");
            view.clear_message();
        }
        {
            let mut state = self.state.borrow_mut();
            state.number_digits = 0;
            state.expiry_digits = 0;
        }
        self.update_brand();
        self.announce("");
        self.report_change(false);
    }

    /// Calls the change callback when brand, completeness or emptiness changed (or always when
    /// `force`, for a callback just registered).
    fn report_change(&self, force: bool) {
        let brand = self.state.borrow().brand;
        let empty = self
            .fields()
            .all(|view| Zeroizing::new(view.input.value()).is_empty());
        let complete = self.check().is_ok();
        let now = Reported {
            brand,
            complete,
            empty,
        };

        {
            let mut state = self.state.borrow_mut();
            if state.reported == Some(now) && !force {
                return;
            }
            state.reported = Some(now);
        }

        let callback = self.on_change.borrow().clone();
        if let Some(callback) = callback {
            let payload = Object::new();
            if let Some(brand) = brand {
                js::set(&payload, "brand", &JsValue::from_str(brand.code()));
            }
            js::set(&payload, "complete", &JsValue::from_bool(complete));
            js::set(&payload, "empty", &JsValue::from_bool(empty));
            let _ = callback.call1(&JsValue::NULL, &payload);
        }
    }

    fn destroy(&self) {
        if self.destroyed.replace(true) {
            return;
        }
        for (target, kind, closure) in self.listeners.borrow_mut().drain(..) {
            let _ =
                target.remove_event_listener_with_callback(kind, closure.as_ref().unchecked_ref());
        }
        for view in self.fields() {
            view.input.set_value("");
        }
        self.view.root.remove();
        *self.on_change.borrow_mut() = None;
        *self.on_submit.borrow_mut() = None;
    }
}

fn problems_array(problems: &[Problem]) -> Array {
    problems
        .iter()
        .map(|problem| {
            let object = Object::new();
            js::set(&object, "field", &JsValue::from_str(problem.field.code()));
            js::set(&object, "code", &JsValue::from_str(problem.code));
            js::set(&object, "message", &JsValue::from_str(&problem.message));
            JsValue::from(object)
        })
        .collect()
}

/// Builds the CardSealError for invalid fields: the first problem's code and message, and all
/// of them in `fields`.
fn problems_error(problems: &[Problem]) -> JsValue {
    let (code, message, field) = problems
        .first()
        .map_or(("card_invalid", String::new(), None), |first| {
            (first.code, first.message.clone(), Some(first.field))
        });
    let error = js_sys::Error::new(&message);
    error.set_name(ERROR_NAME);
    js::set(&error, "code", &JsValue::from_str(code));
    js::set(&error, "detail", &JsValue::from_str("invalid card details"));
    if let Some(field) = field {
        js::set(&error, "field", &JsValue::from_str(field.code()));
    }
    js::set(&error, "fields", &problems_array(problems));
    error.into()
}

/// Builds a CardSealError with a code from the message table.
fn simple_error(code: &'static str, locale: Locale) -> JsValue {
    let error = js_sys::Error::new(&i18n::message(code, locale));
    error.set_name(ERROR_NAME);
    js::set(&error, "code", &JsValue::from_str(code));
    js::set(&error, "detail", &JsValue::from_str(code));
    error.into()
}
