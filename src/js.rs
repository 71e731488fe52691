//! Small helpers for reading and writing JavaScript objects through `Reflect`.
//!
//! Options and results cross the boundary as plain objects read with `Reflect.get`, which keeps
//! serde and its generated code out of the module.

use js_sys::{Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

use crate::error::Error;

/// Sets `object[name] = value`. Ignores the result, because callers pass objects this crate
/// created (plain objects and errors), where setting a property does not fail.
pub fn set(object: &JsValue, name: &str, value: &JsValue) {
    let _ = Reflect::set(object, &JsValue::from_str(name), value);
}

/// Returns `object[name]`, or `undefined` when `object` is not an object or the getter throws.
pub fn get(object: &JsValue, name: &str) -> JsValue {
    if !object.is_object() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(object, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

/// Returns `object[name]` as a string: `None` when it is `undefined` or `null`, an error naming
/// `argument` when it is any other non-string.
pub fn optional_string(
    object: &JsValue,
    name: &str,
    argument: &'static str,
) -> Result<Option<String>, Error> {
    to_optional_string(get(object, name), argument)
}

/// Converts a value read from an object as [`optional_string`] does.
pub fn to_optional_string(value: JsValue, argument: &'static str) -> Result<Option<String>, Error> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    value
        .as_string()
        .map(Some)
        .ok_or(Error::InvalidArgument { name: argument })
}

/// Returns `object[name]` as a string, or an error naming `argument` when it is not one.
pub fn required_string(
    object: &JsValue,
    name: &str,
    argument: &'static str,
) -> Result<String, Error> {
    optional_string(object, name, argument)?.ok_or(Error::InvalidArgument { name: argument })
}

/// Returns a value read from an object as an integer-valued number: `None` when it is
/// `undefined` or `null`, an error naming `argument` when it is anything else, such as a string
/// or a fraction.
pub fn to_optional_integer(value: JsValue, argument: &'static str) -> Result<Option<f64>, Error> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    // NaN and the infinities have no zero fraction, so they fail here too.
    match value.as_f64() {
        Some(number) if number.fract() == 0.0 => Ok(Some(number)),
        _ => Err(Error::InvalidArgument { name: argument }),
    }
}

/// Creates an empty plain object.
pub fn object() -> Object {
    Object::new()
}

/// Returns `globalThis[name]` when it is an object.
pub fn global_object(name: &str) -> Option<JsValue> {
    let value = get(&js_sys::global(), name);
    value.is_object().then_some(value)
}

/// Returns the DOMException or Error `name` of a rejection, for error reports.
pub fn error_name(error: &JsValue) -> String {
    get(error, "name")
        .as_string()
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| {
            if error.is_instance_of::<js_sys::Error>() {
                "Error".to_owned()
            } else {
                "unknown".to_owned()
            }
        })
}

/// Returns the languages the browser prefers, most preferred first (`navigator.languages`, or
/// `navigator.language`), empty where there is no navigator.
pub fn preferred_languages() -> Vec<String> {
    let Some(navigator) = global_object("navigator") else {
        return Vec::new();
    };
    let languages = get(&navigator, "languages");
    if js_sys::Array::is_array(&languages) {
        let languages: js_sys::Array = languages.unchecked_into();
        return languages
            .iter()
            .filter_map(|language| language.as_string())
            .collect();
    }
    get(&navigator, "language")
        .as_string()
        .into_iter()
        .collect()
}
