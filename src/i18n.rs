//! Japanese and English text of the card form and of the messages for each error code.
//!
//! Messages are looked up by the stable error codes of `cardseal-core` and of this crate, so the
//! text can change without breaking a page that branches on a code. Placeholders: `{brand}` is a
//! brand's name and `{length}` a number of digits.

use cardseal_core::card::{Brand, CardError, CharKind};

/// A language the card form speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Locale {
    /// Japanese.
    Ja,
    /// English.
    En,
}

impl Locale {
    /// Returns the locale for a BCP 47 language tag ("ja", "ja-JP", "en-US"), or `None` for a
    /// language the form does not speak.
    pub fn from_tag(tag: &str) -> Option<Locale> {
        let language = tag
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match language.as_str() {
            "ja" => Some(Locale::Ja),
            "en" => Some(Locale::En),
            _ => None,
        }
    }

    /// Picks the locale from an explicit tag, else from the browser's preferred languages in
    /// order, else English.
    pub fn choose<'a>(
        explicit: Option<&str>,
        preferred: impl IntoIterator<Item = &'a str>,
    ) -> Locale {
        explicit
            .and_then(Locale::from_tag)
            .or_else(|| preferred.into_iter().find_map(Locale::from_tag))
            .unwrap_or(Locale::En)
    }

    /// Returns the language tag for the `lang` attribute.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::Ja => "ja",
            Locale::En => "en",
        }
    }

    fn pick(self, text: &Text) -> &'static str {
        match self {
            Locale::Ja => text.ja,
            Locale::En => text.en,
        }
    }
}

/// One piece of user-facing text in both languages.
pub struct Text {
    /// Japanese.
    pub ja: &'static str,
    /// English.
    pub en: &'static str,
}

const fn text(ja: &'static str, en: &'static str) -> Text {
    Text { ja, en }
}

/// Messages by error code. Codes from `cardseal-core` come first, then the codes of this crate
/// and of the hosted frame.
pub const MESSAGES: &[(&str, Text)] = &[
    (
        "number_missing",
        text("カード番号を入力してください。", "Enter the card number."),
    ),
    (
        "number_invalid_character",
        text(
            "カード番号は数字で入力してください。",
            "The card number can contain digits only.",
        ),
    ),
    (
        "number_incomplete",
        text(
            "カード番号の桁数が足りません。",
            "The card number is incomplete.",
        ),
    ),
    (
        "number_too_long",
        text(
            "カード番号の桁数が多すぎます。",
            "The card number has too many digits.",
        ),
    ),
    (
        "number_invalid_length",
        text(
            "{brand}のカード番号としては桁数が正しくありません。",
            "The number of digits is not valid for {brand} cards.",
        ),
    ),
    (
        "number_unknown_brand",
        text(
            "このカードの種類はご利用いただけません。",
            "This card brand is not accepted.",
        ),
    ),
    (
        "number_checksum",
        text(
            "カード番号が正しくありません。入力ミスがないかご確認ください。",
            "The card number is not valid. Check it for typing errors.",
        ),
    ),
    (
        "expiry_missing",
        text("有効期限を入力してください。", "Enter the expiry date."),
    ),
    (
        "expiry_invalid_character",
        text(
            "有効期限は数字で入力してください（例: 08/29）。",
            "Enter the expiry date in digits, for example 08/29.",
        ),
    ),
    (
        "expiry_invalid_format",
        text(
            "有効期限は「月/年」の形で入力してください（例: 08/29）。",
            "Enter the expiry date as MM/YY, for example 08/29.",
        ),
    ),
    (
        "expiry_invalid_month",
        text(
            "有効期限の月は01から12で入力してください。",
            "The expiry month must be from 01 to 12.",
        ),
    ),
    (
        "expiry_invalid_year",
        text(
            "有効期限の年が正しくありません。",
            "The expiry year is not valid.",
        ),
    ),
    (
        "expiry_in_past",
        text(
            "このカードは有効期限が切れています。",
            "This card has expired.",
        ),
    ),
    (
        "expiry_too_far",
        text(
            "有効期限の年をご確認ください。",
            "The expiry date is too far ahead. Check the year.",
        ),
    ),
    (
        "cvc_missing",
        text(
            "セキュリティコードを入力してください。",
            "Enter the security code.",
        ),
    ),
    (
        "cvc_invalid_character",
        text(
            "セキュリティコードは数字で入力してください。",
            "The security code can contain digits only.",
        ),
    ),
    (
        "cvc_invalid_length",
        text(
            "セキュリティコードは3桁または4桁です。",
            "The security code has 3 or 4 digits.",
        ),
    ),
    (
        "cvc_invalid_length_brand",
        text(
            "{brand}のセキュリティコードは{length}桁です。",
            "The security code of {brand} cards has {length} digits.",
        ),
    ),
    (
        "holder_invalid_character",
        text(
            "カード名義に使えない文字が含まれています。",
            "The name on the card contains a character that cannot be used.",
        ),
    ),
    (
        "holder_not_romaji",
        text(
            "カード名義はカードに印字されているとおりローマ字で入力してください。",
            "Enter the name in Latin letters as printed on the card.",
        ),
    ),
    (
        "holder_too_long",
        text(
            "カード名義が長すぎます。",
            "The name on the card is too long.",
        ),
    ),
    // Codes of this crate.
    (
        "card_invalid",
        text("カード情報をご確認ください。", "Check the card details."),
    ),
    (
        "holder_missing",
        text(
            "カード名義を入力してください。",
            "Enter the name on the card.",
        ),
    ),
    (
        "invalid_argument",
        text(
            "カード情報を処理できませんでした。",
            "The card details could not be processed.",
        ),
    ),
    (
        "jwks_invalid",
        text(
            "暗号化の準備ができませんでした。ページを再読み込みしてください。",
            "Encryption could not be set up. Reload the page.",
        ),
    ),
    (
        "key_not_found",
        text(
            "暗号化の準備ができませんでした。ページを再読み込みしてください。",
            "Encryption could not be set up. Reload the page.",
        ),
    ),
    (
        "key_invalid",
        text(
            "暗号化の準備ができませんでした。ページを再読み込みしてください。",
            "Encryption could not be set up. Reload the page.",
        ),
    ),
    (
        "seal_failed",
        text(
            "カード情報を暗号化できませんでした。もう一度お試しください。",
            "The card details could not be encrypted. Try again.",
        ),
    ),
    (
        "webcrypto_failed",
        text(
            "カード情報を暗号化できませんでした。もう一度お試しください。",
            "The card details could not be encrypted. Try again.",
        ),
    ),
    (
        "webcrypto_unavailable",
        text(
            "このブラウザではカード情報を暗号化できません。",
            "This browser cannot encrypt the card details.",
        ),
    ),
    (
        "clock_out_of_range",
        text(
            "端末の日付が正しくありません。",
            "The date on this device is not valid.",
        ),
    ),
    (
        "dom_unavailable",
        text(
            "カード入力欄を表示できませんでした。",
            "The card form could not be shown.",
        ),
    ),
    // Codes of the hosted frame and the embed script.
    (
        "session_missing",
        text(
            "決済の準備ができていません。ページを再読み込みしてください。",
            "The payment is not set up. Reload the page.",
        ),
    ),
    (
        "session_not_found",
        text(
            "決済の有効期限が切れたか、見つかりません。ページを再読み込みしてください。",
            "This payment has expired or cannot be found. Reload the page.",
        ),
    ),
    (
        "session_expired",
        text(
            "決済の有効期限が切れました。ページを再読み込みしてください。",
            "This payment has expired. Reload the page.",
        ),
    ),
    (
        "session_used",
        text(
            "この決済はすでに完了しています。",
            "This payment has already been completed.",
        ),
    ),
    (
        "network_error",
        text(
            "通信できませんでした。接続を確認してもう一度お試しください。",
            "A network error occurred. Check your connection and try again.",
        ),
    ),
    (
        "frame_not_ready",
        text(
            "カード入力欄の準備ができていません。しばらくしてからお試しください。",
            "The card form is not ready yet. Try again in a moment.",
        ),
    ),
    (
        "busy",
        text(
            "処理中です。しばらくお待ちください。",
            "Processing. Please wait.",
        ),
    ),
    (
        "frame_destroyed",
        text(
            "カード入力欄が閉じられました。",
            "The card form was closed.",
        ),
    ),
];

/// The message for codes that have no entry, such as a code added to `cardseal-core` later.
const FALLBACK: Text = text("カード情報を確認してください。", "Check the card details.");

/// Returns the message for `code`, or `None` when the table has no entry for it.
pub fn lookup(code: &str, locale: Locale) -> Option<&'static str> {
    MESSAGES
        .iter()
        .find(|(key, _)| *key == code)
        .map(|(_, text)| locale.pick(text))
}

/// Returns the message for `code`, or a general request to check the card details.
pub fn message(code: &str, locale: Locale) -> String {
    lookup(code, locale)
        .unwrap_or_else(|| locale.pick(&FALLBACK))
        .to_owned()
}

/// Returns the message for a card error, naming the brand where the error has one.
pub fn card_error_message(error: &CardError, locale: Locale) -> String {
    match (error, error.brand()) {
        (CardError::CvcInvalidLength { .. }, Some(brand)) => {
            fill(&message("cvc_invalid_length_brand", locale), brand)
        }
        (_, Some(brand)) => fill(&message(error.code(), locale), brand),
        _ => match error.char_kind() {
            // Name the script when the buyer's IME is in kana mode, the usual cause.
            Some(CharKind::Kana | CharKind::Kanji)
                if error.code() != "holder_invalid_character" =>
            {
                format!("{}{}", message(error.code(), locale), ime_hint(locale))
            }
            _ => message(error.code(), locale),
        },
    }
}

fn ime_hint(locale: Locale) -> &'static str {
    match locale {
        Locale::Ja => "（日本語入力をオフにしてください）",
        Locale::En => " Switch the keyboard to Latin input.",
    }
}

fn fill(template: &str, brand: Brand) -> String {
    template
        .replace("{brand}", brand.name())
        .replace("{length}", &brand.cvc_length().to_string())
}

/// Labels, hints and announcements of the card form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Label {
    /// The form's accessible name.
    Form,
    /// The card number field's label.
    Number,
    /// The expiry date field's label.
    Expiry,
    /// The security code field's label.
    Cvc,
    /// The cardholder name field's label.
    Holder,
    /// Marks a field the buyer may leave empty.
    Optional,
    /// The expiry date field's placeholder.
    ExpiryPlaceholder,
    /// The security code field's placeholder.
    CvcPlaceholder,
    /// The cardholder name field's placeholder.
    HolderPlaceholder,
    /// Announced before the detected brand's name.
    BrandAnnouncement,
    /// Announced when submitting finds errors, before the first error's message.
    ErrorsAnnouncement,
}

/// Returns the text of a label.
pub fn label(label: Label, locale: Locale) -> &'static str {
    let text = match label {
        Label::Form => text("カード情報", "Card details"),
        Label::Number => text("カード番号", "Card number"),
        Label::Expiry => text("有効期限（月/年）", "Expiry date (MM/YY)"),
        Label::Cvc => text("セキュリティコード", "Security code"),
        Label::Holder => text("カード名義（ローマ字）", "Name on card"),
        Label::Optional => text("任意", "optional"),
        Label::ExpiryPlaceholder => text("MM/YY", "MM/YY"),
        Label::CvcPlaceholder => text("123", "123"),
        Label::HolderPlaceholder => text("TARO YAMADA", "TARO YAMADA"),
        Label::BrandAnnouncement => text("カードの種類: ", "Card brand: "),
        Label::ErrorsAnnouncement => text("入力内容をご確認ください。", "Check the card details."),
    };
    locale.pick(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_card_error_code_has_both_languages() {
        for code in CardError::CODES {
            assert!(
                lookup(code, Locale::Ja).is_some(),
                "no Japanese message for {code}"
            );
            assert!(
                lookup(code, Locale::En).is_some(),
                "no English message for {code}"
            );
        }
    }

    #[test]
    fn table_has_no_duplicate_codes() {
        for (index, (code, _)) in MESSAGES.iter().enumerate() {
            assert!(
                MESSAGES[index + 1..].iter().all(|(other, _)| other != code),
                "duplicate code {code}"
            );
        }
    }

    #[test]
    fn japanese_messages_are_japanese() {
        for (code, text) in MESSAGES {
            assert!(!text.ja.is_ascii(), "message for {code} is not Japanese");
            assert!(
                text.en.is_ascii(),
                "message for {code} is not plain English"
            );
        }
    }

    #[test]
    fn messages_contain_no_digits_of_input() {
        // Messages are constant text: only placeholders and example dates may hold digits.
        let error = CardError::NumberChecksum;
        let message = card_error_message(&error, Locale::En);
        assert_eq!(
            message,
            "The card number is not valid. Check it for typing errors."
        );
    }

    #[test]
    fn brand_is_filled_in() {
        let error = CardError::CvcInvalidLength {
            brand: Some(Brand::Amex),
        };
        assert_eq!(
            card_error_message(&error, Locale::En),
            "The security code of American Express cards has 4 digits."
        );
        assert_eq!(
            card_error_message(&error, Locale::Ja),
            "American Expressのセキュリティコードは4桁です。"
        );
        let error = CardError::NumberInvalidLength { brand: Brand::Visa };
        assert_eq!(
            card_error_message(&error, Locale::Ja),
            "Visaのカード番号としては桁数が正しくありません。"
        );
    }

    #[test]
    fn kana_in_number_asks_to_turn_ime_off() {
        let error = CardError::NumberInvalidCharacter(CharKind::Kana);
        assert!(card_error_message(&error, Locale::Ja).contains("日本語入力をオフ"));
    }

    #[test]
    fn unknown_code_falls_back() {
        assert_eq!(
            message("no_such_code", Locale::En),
            "Check the card details."
        );
        assert_eq!(
            message("no_such_code", Locale::Ja),
            "カード情報を確認してください。"
        );
    }

    #[test]
    fn locale_from_tags() {
        assert_eq!(Locale::from_tag("ja-JP"), Some(Locale::Ja));
        assert_eq!(Locale::from_tag("JA"), Some(Locale::Ja));
        assert_eq!(Locale::from_tag("en_GB"), Some(Locale::En));
        assert_eq!(Locale::from_tag("fr"), None);
        assert_eq!(Locale::choose(Some("en"), ["ja-JP"]), Locale::En);
        assert_eq!(Locale::choose(None, ["fr-FR", "ja"]), Locale::Ja);
        assert_eq!(Locale::choose(Some("de"), ["de"]), Locale::En);
    }
}
