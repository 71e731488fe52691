//! The JavaScript API for pages that build their own card form: sealing, validation and
//! formatting helpers.

use std::rc::Rc;

use cardseal_core::card::{
    self, Brand, Card, CardError, CardErrors, CardInput, CardNumber, Cvc, Expiry, Field,
    HolderName, YearMonth,
};
use js_sys::{Array, Object};
use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

use crate::edit::{self, EditKind};
use crate::error::{self, Error};
use crate::i18n::{self, Locale};
use crate::js;
use crate::seal;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = r#"
/** A brand code, as `cardseal-core` and the service name brands. */
export type BrandCode = "visa" | "mastercard" | "amex" | "jcb" | "diners" | "discover" | "unionpay" | "maestro" | "mir";

/** A field of the card form. */
export type FieldName = "number" | "expiry" | "cvc" | "holder";

/** Card details as typed. Give the expiry date as `expiry` or as `expMonth` and `expYear`;
 *  giving both throws `invalid_argument`. */
export interface CardInput {
  number: string;
  /** The expiry date as typed: MM/YY, MM/YYYY, M/YY, M/YYYY, MMYY, MMYYYY, or month and year
   *  separated by spaces ("MM YY"). Digits may be ASCII or full-width (１２／３０), the slash
   *  ASCII or full-width or the middle dot (・, ･) a Japanese IME writes for it, with spaces
   *  anywhere. A two-digit year is the year ending in those digits from 50 years before the
   *  current year to 49 after it. */
  expiry?: string;
  /** The expiry month, an integer from 1 to 12. */
  expMonth?: number;
  /** The expiry year, an integer of four digits. A two-digit year such as 30 fails with
   *  `expiry_invalid_year` rather than being guessed, since `expYear` comes from code. */
  expYear?: number;
  cvc: string;
  holder?: string;
}

/** Options of `seal` and `new Sealer`. Give `jwks` (a JWK Set) or `key` (one JWK), as JSON text
 *  or object. `kid` picks the key from the set (default: the first RSA-OAEP-256 key). `origin`
 *  is the checkout page's origin (default: `location.origin`). `lang` picks the language of
 *  error messages (default: the browser's). */
export interface SealOptions {
  jwks?: string | object;
  key?: string | object;
  kid?: string;
  sessionId: string;
  origin?: string;
  engine?: "auto" | "webcrypto" | "rust";
  /** The platform's clock (Unix seconds) read just now; envelopes then carry its time. */
  serverTime?: number;
  lang?: string;
}

/** The result of sealing: the envelope and the card's display data. */
export interface SealResult {
  envelope: string;
  brand: BrandCode;
  last4: string;
  expMonth: number;
  expYear: number;
}

/** One field's problem, with a message in the requested language. */
export interface FieldError {
  field: FieldName;
  code: string;
  message: string;
}

/** The error every function here throws or rejects with. `code` is stable; `message` is for the
 *  buyer; `detail` is English text for developers; `fields` lists each invalid field. */
export interface CardSealError extends Error {
  name: "CardSealError";
  code: string;
  detail: string;
  field?: FieldName;
  fields?: FieldError[];
}

/** A field value reformatted for display, with the caret to set (UTF-16 offset). */
export interface FormattedField {
  value: string;
  caret: number;
}

/** A formatted card number with the brand detected so far. */
export interface FormattedNumber extends FormattedField {
  brand?: BrandCode;
}

/** A brand's number lengths and security code length. */
export interface BrandInfo {
  code: BrandCode;
  name: string;
  lengths: number[];
  cvcLength: number;
}
"#;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(typescript_type = "CardInput")]
    pub type CardInputValue;
    #[wasm_bindgen(typescript_type = "SealOptions")]
    pub type SealOptionsValue;
    #[wasm_bindgen(typescript_type = "SealResult")]
    pub type SealResultValue;
    #[wasm_bindgen(typescript_type = "Promise<SealResult>")]
    pub type SealResultPromise;
    #[wasm_bindgen(typescript_type = "FieldError | undefined")]
    pub type OptionalFieldError;
    #[wasm_bindgen(typescript_type = "FieldError[]")]
    pub type FieldErrorList;
    #[wasm_bindgen(typescript_type = "FormattedNumber")]
    pub type FormattedNumber;
    #[wasm_bindgen(typescript_type = "FormattedField")]
    pub type FormattedField;
    #[wasm_bindgen(typescript_type = "BrandInfo | undefined")]
    pub type OptionalBrandInfo;
    #[wasm_bindgen(typescript_type = "{ brand?: BrandCode; lang?: string }")]
    pub type ValidateOptions;

    // The members of CardInput, read as properties directly, which costs less than `Reflect.get`
    // with a key made per call. A getter that throws reads as `undefined`, as in `js::get`.
    #[wasm_bindgen(method, getter, catch)]
    fn number(this: &CardInputValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, getter, catch)]
    fn expiry(this: &CardInputValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, getter = expMonth, catch)]
    fn exp_month(this: &CardInputValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, getter = expYear, catch)]
    fn exp_year(this: &CardInputValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, getter, catch)]
    fn cvc(this: &CardInputValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, getter, catch)]
    fn holder(this: &CardInputValue) -> Result<JsValue, JsValue>;
}

/// Returns the current month in the buyer's time zone, which for Japanese buyers is also their
/// card issuer's: a card is valid through the last day of its expiry month there.
pub fn today() -> Result<YearMonth, Error> {
    let now = js_sys::Date::new_0();
    // getTimezoneOffset is minutes behind UTC, so adding its negation gives local time.
    let local_seconds = now.get_time() / 1000.0 - now.get_timezone_offset() * 60.0;
    YearMonth::from_unix_seconds(local_seconds.max(0.0) as u64).ok_or(Error::ClockOutOfRange)
}

/// Picks the language from an explicit `lang`, else from the browser's preferences.
pub fn locale(lang: Option<&str>) -> Locale {
    let preferred = js::preferred_languages();
    Locale::choose(lang, preferred.iter().map(String::as_str))
}

/// Card details read from a JavaScript object; the strings are wiped when dropped.
pub struct TypedCard {
    number: Zeroizing<String>,
    expiry: TypedExpiry,
    cvc: Zeroizing<String>,
    holder: Option<Zeroizing<String>>,
}

/// The expiry date as the page gave it.
enum TypedExpiry {
    /// Text as typed, such as `12/30`.
    Text(Zeroizing<String>),
    /// `expMonth` and `expYear`, integers not yet range-checked.
    Numbers { month: f64, year: f64 },
}

impl TypedCard {
    /// Reads `{number, expiry | expMonth + expYear, cvc, holder?}`.
    pub fn from_js(card: &JsValue) -> Result<TypedCard, Error> {
        if !card.is_object() {
            return Err(Error::InvalidArgument { name: "card" });
        }
        let card: &CardInputValue = card.unchecked_ref();
        let member = |value: Result<JsValue, JsValue>| value.unwrap_or(JsValue::UNDEFINED);
        let number = js::to_optional_string(member(card.number()), "card.number")?;
        let number = Zeroizing::new(number.unwrap_or_default());
        let cvc = js::to_optional_string(member(card.cvc()), "card.cvc")?;
        let cvc = Zeroizing::new(cvc.unwrap_or_default());
        let holder = js::to_optional_string(member(card.holder()), "card.holder")?;
        let holder = holder.map(Zeroizing::new);

        let text = js::to_optional_string(member(card.expiry()), "card.expiry")?;
        let month = js::to_optional_integer(member(card.exp_month()), "card.expMonth")?;
        let year = js::to_optional_integer(member(card.exp_year()), "card.expYear")?;
        let expiry = match (text, month, year) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
                return Err(Error::ConflictingArguments {
                    first: "card.expiry",
                    second: "card.expMonth and card.expYear",
                });
            }
            (Some(text), None, None) => TypedExpiry::Text(Zeroizing::new(text)),
            (None, Some(month), Some(year)) => TypedExpiry::Numbers { month, year },
            (None, None, None) => TypedExpiry::Text(Zeroizing::new(String::new())),
            (None, None, Some(_)) => {
                return Err(Error::InvalidArgument {
                    name: "card.expMonth",
                });
            }
            (None, Some(_), None) => {
                return Err(Error::InvalidArgument {
                    name: "card.expYear",
                });
            }
        };

        Ok(TypedCard {
            number,
            expiry,
            cvc,
            holder,
        })
    }

    /// Builds a typed card from the card form's fields.
    pub fn new(number: String, expiry: String, cvc: String, holder: Option<String>) -> TypedCard {
        TypedCard {
            number: Zeroizing::new(number),
            expiry: TypedExpiry::Text(Zeroizing::new(expiry)),
            cvc: Zeroizing::new(cvc),
            holder: holder.map(Zeroizing::new),
        }
    }

    /// Validates the card with `cardseal-core`.
    ///
    /// `expMonth` and `expYear` must be a month and a four-digit year. Numbers in range are
    /// checked as the text `MM/YYYY`, so both forms meet the same expiry window.
    pub fn parse(&self, today: YearMonth) -> Result<Card, CardErrors> {
        let (expiry_text, numbers_error) = match &self.expiry {
            TypedExpiry::Text(text) => (Zeroizing::new(text.as_str().to_owned()), None),
            TypedExpiry::Numbers { month, year } => match expiry_from_numbers(*month, *year) {
                // Integers only: formatting floats would add its code to the module.
                Ok(expiry) => (
                    Zeroizing::new(format!("{:02}/{:04}", expiry.month(), expiry.year())),
                    None,
                ),
                Err(error) => (Zeroizing::new(String::new()), Some(error)),
            },
        };

        let input = CardInput {
            number: &self.number,
            expiry: &expiry_text,
            cvc: &self.cvc,
            holder: self.holder.as_deref().map(String::as_str),
        };
        let parsed = Card::parse(&input, today);

        // With the numbers out of range the expiry text was left empty: the card fails with
        // expiry_missing, which the numbers' own error replaces.
        match (parsed, numbers_error) {
            (parsed, None) => parsed,
            (Ok(_), Some(error)) => Err(CardErrors::from(error)),
            (Err(errors), Some(error)) => Err(errors
                .iter()
                .map(|&other| {
                    if other.field() == Field::Expiry {
                        error
                    } else {
                        other
                    }
                })
                .collect()),
        }
    }
}

/// Checks `expMonth` and `expYear`: a month from 1 to 12 and a four-digit year. A two-digit
/// year is rejected rather than guessed as in typed text, since these numbers come from code.
fn expiry_from_numbers(month: f64, year: f64) -> Result<Expiry, CardError> {
    if !(1.0..=12.0).contains(&month) {
        return Err(CardError::ExpiryInvalidMonth);
    }
    if !(1000.0..=9999.0).contains(&year) {
        return Err(CardError::ExpiryInvalidYear);
    }
    // Both are integers (js::to_optional_integer) within the ranges just checked.
    Expiry::new(year as u16, month as u8)
}

/// Validates `card` and seals it into an envelope bound to `options.sessionId`.
///
/// Seals with WebCrypto where `crypto.subtle` exists and with the pure-Rust implementation
/// otherwise, unless `options.engine` requests one of them. Rejects with a `CardSealError`.
#[wasm_bindgen]
pub async fn seal(
    card: CardInputValue,
    options: SealOptionsValue,
) -> Result<SealResultValue, JsValue> {
    let locale = locale(js::get(&options, "lang").as_string().as_deref());
    let result = async {
        let sealer = seal::Sealer::from_options(&options)?;
        seal_typed(&sealer, &TypedCard::from_js(&card)?).await
    };
    result
        .await
        .map(|object| object.unchecked_into())
        .map_err(|error| error.into_js(locale))
}

/// Validates and seals one card with a sealer: the step shared by `seal`, `Sealer` and the form.
pub async fn seal_typed(sealer: &seal::Sealer, card: &TypedCard) -> Result<Object, Error> {
    let card = card.parse(today()?)?;
    let envelope = sealer.seal(&card).await?;
    Ok(seal::result_object(envelope, &card))
}

/// A key bound to one checkout session, to seal cards repeatedly without reading the key set
/// again; it keeps the key imported into WebCrypto.
#[wasm_bindgen(js_name = Sealer)]
pub struct SealerHandle {
    pub(crate) sealer: Rc<seal::Sealer>,
    locale: Locale,
}

#[wasm_bindgen(js_class = Sealer)]
impl SealerHandle {
    /// Reads and checks the key and options; throws a `CardSealError` when they are unusable.
    #[wasm_bindgen(constructor)]
    pub fn new(options: SealOptionsValue) -> Result<SealerHandle, JsValue> {
        let locale = locale(js::get(&options, "lang").as_string().as_deref());
        let sealer = seal::Sealer::from_options(&options).map_err(|error| error.into_js(locale))?;
        Ok(SealerHandle {
            sealer: Rc::new(sealer),
            locale,
        })
    }

    /// Returns the `kid` of the key this sealer seals with.
    #[wasm_bindgen(getter)]
    pub fn kid(&self) -> String {
        self.sealer.kid().to_owned()
    }

    /// The implementation that seals on this page: `"webcrypto"` or `"rust"`.
    #[wasm_bindgen(getter, unchecked_return_type = "\"webcrypto\" | \"rust\"")]
    pub fn engine(&self) -> Result<String, JsValue> {
        self.sealer
            .resolved_engine()
            .map(|engine| engine.name().to_owned())
            .map_err(|error| error.into_js(self.locale))
    }

    /// Validates `card` and seals it; resolves to `{envelope, brand, last4, expMonth, expYear}`.
    pub fn seal(&self, card: CardInputValue) -> SealResultPromise {
        let sealer = Rc::clone(&self.sealer);
        let locale = self.locale;
        let typed = TypedCard::from_js(&card);
        let promise = wasm_bindgen_futures::future_to_promise(async move {
            let result = async { seal_typed(&sealer, &typed?).await }.await;
            result
                .map(Into::into)
                .map_err(|error| error.into_js(locale))
        });
        promise.unchecked_into()
    }
}

/// Turns a card number as typed or pasted into ASCII digits; throws for characters other than
/// digits (ASCII or full-width), spaces, hyphens and invisible characters.
#[wasm_bindgen(js_name = normalizeNumber)]
pub fn normalize_number(input: &str, lang: Option<String>) -> Result<String, JsValue> {
    card::normalize_number(input)
        .map_err(|error| Error::Card(error.into()).into_js(locale(lang.as_deref())))
}

/// Returns the brand code of a card number, complete or partial, as typed (separators and
/// full-width digits are fine); `undefined` while the brand cannot be detected yet.
#[wasm_bindgen(js_name = detectBrand, unchecked_return_type = "BrandCode | undefined")]
pub fn detect_brand(input: &str) -> Option<String> {
    let digits = Zeroizing::new(card::normalize_number(input).ok()?);
    card::detect_brand(&digits).map(|brand| brand.code().to_owned())
}

/// Returns a brand's name, card number lengths and security code length.
#[wasm_bindgen(js_name = brandInfo)]
pub fn brand_info(code: &str) -> OptionalBrandInfo {
    let Some(brand) = Brand::from_code(code) else {
        return JsValue::UNDEFINED.unchecked_into();
    };
    let info = js::object();
    js::set(&info, "code", &JsValue::from_str(brand.code()));
    js::set(&info, "name", &JsValue::from_str(brand.name()));
    let lengths: Array = brand
        .lengths()
        .iter()
        .map(|&length| JsValue::from(length))
        .collect();
    js::set(&info, "lengths", &lengths);
    js::set(&info, "cvcLength", &JsValue::from(brand.cvc_length()));
    info.unchecked_into()
}

/// Groups a card number for display (4-6-5 for Amex, 4-6-4 for 14-digit Diners, else fours),
/// drops characters other than digits, stops at the brand's longest length, and returns the
/// caret to set so it stays after the same digits. `caret` defaults to the end of `value`.
#[wasm_bindgen(js_name = formatNumber)]
pub fn format_number(value: &str, caret: Option<u32>) -> FormattedNumber {
    let caret = caret.unwrap_or_else(|| value.encode_utf16().count() as u32);
    let edited = edit::edit_number(value, caret, EditKind::Insert, 0);
    let result = formatted(&edited.text);
    if let Some(brand) = edited.brand {
        js::set(&result, "brand", &JsValue::from_str(brand.code()));
    }
    result.unchecked_into()
}

/// Formats an expiry date as MM/YY (or MM/YYYY) and returns the caret to set.
#[wasm_bindgen(js_name = formatExpiry)]
pub fn format_expiry(value: &str, caret: Option<u32>) -> FormattedField {
    let caret = caret.unwrap_or_else(|| value.encode_utf16().count() as u32);
    formatted(&edit::edit_expiry(value, caret, EditKind::Insert, 0)).unchecked_into()
}

fn formatted(edited: &edit::Edited) -> Object {
    let result = js::object();
    js::set(&result, "value", &JsValue::from_str(&edited.value));
    js::set(&result, "caret", &JsValue::from(edited.caret));
    result
}

/// Validates one field; returns `undefined` when it is valid, else `{field, code, message}`.
/// The security code is checked against `options.brand` when given. An empty holder name is
/// valid, because the name is optional.
#[wasm_bindgen(js_name = validateField)]
pub fn validate_field(
    #[wasm_bindgen(unchecked_param_type = "FieldName")] field: &str,
    value: &str,
    options: Option<ValidateOptions>,
) -> Result<OptionalFieldError, JsValue> {
    let options: JsValue = options.map_or(JsValue::UNDEFINED, Into::into);
    let locale = locale(js::get(&options, "lang").as_string().as_deref());
    let brand = js::get(&options, "brand")
        .as_string()
        .and_then(|code| Brand::from_code(&code));

    let checked = match field {
        "number" => CardNumber::parse(value).map(drop),
        "expiry" => {
            let today = today().map_err(|error| error.into_js(locale))?;
            card::parse_expiry(value, today).map(drop)
        }
        "cvc" => Cvc::parse(value, brand).map(drop),
        "holder" => HolderName::parse(value).map(drop),
        _ => return Err(Error::InvalidArgument { name: "field" }.into_js(locale)),
    };
    Ok(match checked {
        Ok(()) => JsValue::UNDEFINED.unchecked_into(),
        Err(error) => error::field_error(&error, locale).unchecked_into(),
    })
}

/// Validates a whole card; returns one `{field, code, message}` per invalid field, in form
/// order, or an empty array when the card is valid.
#[wasm_bindgen(js_name = validateCard)]
pub fn validate_card(
    card: CardInputValue,
    lang: Option<String>,
) -> Result<FieldErrorList, JsValue> {
    let locale = locale(lang.as_deref());
    let typed = TypedCard::from_js(&card).map_err(|error| error.into_js(locale))?;
    let today = today().map_err(|error| error.into_js(locale))?;
    Ok(match typed.parse(today) {
        Ok(_) => Array::new().unchecked_into(),
        Err(errors) => error::field_errors(&errors, locale).unchecked_into(),
    })
}

/// Returns the message for an error code in Japanese or English (`lang`, default: the
/// browser's language), for codes from this library, `cardseal-core` and the hosted frame.
#[wasm_bindgen(js_name = errorMessage)]
pub fn error_message(code: &str, lang: Option<String>) -> String {
    i18n::message(code, locale(lang.as_deref()))
}
