//! Options of the card form: language, the cardholder name field, and style.

use wasm_bindgen::JsValue;

use crate::api;
use crate::error::Error;
use crate::i18n::Locale;
use crate::js;

/// Whether the form shows the cardholder name field and whether the buyer must fill it in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HolderMode {
    /// No cardholder name field.
    Hidden,
    /// The field is shown and may stay empty.
    Optional,
    /// The field is shown and must be filled in.
    Required,
}

/// Style options and the CSS custom property each one sets on the form's root element.
///
/// The form's stylesheet uses only these properties, so a page restyles the form without
/// stylesheets of its own inside the frame.
pub const STYLE_PROPERTIES: &[(&str, &str)] = &[
    ("colorText", "--cs-color-text"),
    ("colorBackground", "--cs-color-background"),
    ("colorBorder", "--cs-color-border"),
    ("colorFocus", "--cs-color-focus"),
    ("colorError", "--cs-color-error"),
    ("colorPlaceholder", "--cs-color-placeholder"),
    ("fontFamily", "--cs-font-family"),
    ("fontSize", "--cs-font-size"),
    ("borderRadius", "--cs-border-radius"),
    ("spacing", "--cs-spacing"),
];

/// The maximum length of a style value, in bytes. Real colors, lengths and font lists are shorter.
const MAX_STYLE_VALUE_LEN: usize = 120;

/// The card form's options after checking.
pub struct FormOptions {
    /// The language of labels and messages.
    pub locale: Locale,
    /// The cardholder name field's mode.
    pub holder: HolderMode,
    /// CSS custom properties to set, as (property, value).
    pub style: Vec<(&'static str, String)>,
}

impl FormOptions {
    /// Reads `{lang, holder: "optional" | "required" | "hidden", style: {colorText, ...}}`.
    ///
    /// Unknown style keys and values that are not plain colors, lengths or font names are
    /// ignored rather than rejected, so a page written for a newer version still gets a form.
    pub fn from_js(options: &JsValue) -> Result<FormOptions, Error> {
        let lang = js::optional_string(options, "lang", "options.lang")?;
        let holder = match js::optional_string(options, "holder", "options.holder")?.as_deref() {
            None | Some("optional") => HolderMode::Optional,
            Some("required") => HolderMode::Required,
            Some("hidden") => HolderMode::Hidden,
            Some(_) => {
                return Err(Error::InvalidArgument {
                    name: "options.holder",
                });
            }
        };

        let style_object = js::get(options, "style");
        let style = STYLE_PROPERTIES
            .iter()
            .filter_map(|&(key, property)| {
                let value = js::get(&style_object, key).as_string()?;
                is_safe_style_value(&value).then_some((property, value))
            })
            .collect();

        Ok(FormOptions {
            locale: api::locale(lang.as_deref()),
            holder,
            style,
        })
    }
}

/// Tells whether a style value is a plain color, length or font list: printable ASCII without
/// the characters that end a declaration or start a rule, escapes or comments, and no `url(`
/// or `image-set(` that could fetch from elsewhere.
pub fn is_safe_style_value(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    !value.is_empty()
        && value.len() <= MAX_STYLE_VALUE_LEN
        && value.bytes().all(|byte| {
            byte.is_ascii_alphanumeric()
                || matches!(
                    byte,
                    b' ' | b'#' | b'(' | b')' | b',' | b'.' | b'%' | b'-' | b'"' | b'\'' | b'+'
                )
        })
        && !lower.contains("url(")
        && !lower.contains("image")
        && !lower.contains("expression")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_values_are_safe() {
        for value in [
            "#1a1a1a",
            "rgb(0, 0, 0)",
            "hsl(210 40% 50%)",
            "12px",
            "1.25rem",
            "\"Noto Sans JP\", sans-serif",
            "red",
        ] {
            assert!(is_safe_style_value(value), "{value}");
        }
    }

    #[test]
    fn values_that_escape_or_fetch_are_rejected() {
        for value in [
            "",
            "red; background: red",
            "red}body{color:red",
            "url(https://example.com/x.png)",
            "URL(x)",
            "image-set(\"x.png\" 1x)",
            "\\75rl(x)",
            "red /* comment */",
            "red !important",
            "expression(alert(1))",
            "赤",
        ] {
            assert!(!is_safe_style_value(value), "{value}");
        }
        assert!(!is_safe_style_value(&"a".repeat(MAX_STYLE_VALUE_LEN + 1)));
    }
}
