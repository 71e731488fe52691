//! Errors of card parsing: one [`CardError`] per problem, and [`CardErrors`] for a whole card.

use std::fmt;

use super::brand::Brand;

/// An input field of the card form.
///
/// The order of the variants is the order of the fields on the form, and [`CardErrors`] keeps its
/// errors in that order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    /// The card number (primary account number).
    Number,
    /// The expiry date printed on the card.
    Expiry,
    /// The security code (CVC, CVV, CID) printed on the card.
    Cvc,
    /// The cardholder name printed on the card.
    Holder,
}

impl Field {
    /// Every field, in form order.
    pub const ALL: [Field; 4] = [Field::Number, Field::Expiry, Field::Cvc, Field::Holder];

    /// Returns the stable snake_case name of the field, the prefix of every error code.
    pub fn code(self) -> &'static str {
        match self {
            Field::Number => "number",
            Field::Expiry => "expiry",
            Field::Cvc => "cvc",
            Field::Holder => "holder",
        }
    }

    /// Returns the English name of the field for error messages.
    fn noun(self) -> &'static str {
        match self {
            Field::Number => "card number",
            Field::Expiry => "expiry date",
            Field::Cvc => "security code",
            Field::Holder => "cardholder name",
        }
    }
}

/// The kind of a character that a field does not accept.
///
/// Errors name the kind and never the character itself, because a character in a card number
/// field may be a digit of the number in another script.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CharKind {
    /// A letter of any alphabet other than kana and kanji (Latin, full-width Latin, Greek, Hangul).
    Letter,
    /// Hiragana or katakana, full-width or half-width, including the prolonged sound mark where a
    /// field has no use for it.
    Kana,
    /// A CJK ideograph (kanji) or the iteration mark.
    Kanji,
    /// A digit the field does not take: a digit from another script (Arabic-Indic, Devanagari,
    /// circled digits), or any digit in a cardholder name.
    Digit,
    /// Punctuation, a symbol or an emoji.
    Symbol,
    /// A control character or an invisible formatting character that may change how the text
    /// displays, such as a bidirectional override.
    Control,
}

impl CharKind {
    /// Returns the stable snake_case name of the kind ("letter", "kana", "kanji", "digit",
    /// "symbol", "control"), for messages that name the kind.
    pub fn code(self) -> &'static str {
        match self {
            CharKind::Letter => "letter",
            CharKind::Kana => "kana",
            CharKind::Kanji => "kanji",
            CharKind::Digit => "digit",
            CharKind::Symbol => "symbol",
            CharKind::Control => "control",
        }
    }

    /// Returns the English phrase for the kind, used after "contains".
    fn phrase(self) -> &'static str {
        match self {
            CharKind::Letter => "a letter",
            CharKind::Kana => "kana",
            CharKind::Kanji => "kanji",
            CharKind::Digit => "a digit",
            CharKind::Symbol => "a symbol",
            CharKind::Control => "a control or invisible formatting character",
        }
    }
}

impl fmt::Display for CharKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.phrase())
    }
}

/// One problem with one field of a card.
///
/// [`code`](CardError::code) is stable and is the key for the messages the card form shows in
/// Japanese and English. The Display text is English for developers and logs: lower-case, no
/// trailing period, and it never contains a character of the input.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CardError {
    /// The card number is empty or contains only separators.
    NumberMissing,
    /// The card number contains a character that is neither a digit nor a separator.
    NumberInvalidCharacter(CharKind),
    /// The card number has fewer digits than its brand's shortest length, or than the shortest
    /// card number when the brand is not known yet.
    NumberIncomplete,
    /// The card number has more digits than its brand's longest length, or more than any card.
    NumberTooLong,
    /// The card number's length lies between two lengths its brand issues but is not one of them.
    NumberInvalidLength {
        /// The brand detected from the number's issuer range.
        brand: Brand,
    },
    /// The number's issuer range belongs to no brand cardseal accepts.
    NumberUnknownBrand,
    /// The number fails the Luhn check, which usually means a mistyped digit.
    NumberChecksum,

    /// The expiry date is empty.
    ExpiryMissing,
    /// The expiry date contains a character other than digits, spaces and a slash (or the middle
    /// dot a Japanese IME writes for it).
    ExpiryInvalidCharacter(CharKind),
    /// The expiry date is not in one of the accepted forms (MM/YY, MM/YYYY, M/YY, MMYY, MMYYYY).
    ExpiryInvalidFormat,
    /// The month is outside 1 to 12.
    ExpiryInvalidMonth,
    /// The year is not a four-digit year (only from decoded envelopes, never from typed input).
    ExpiryInvalidYear,
    /// The card expired before the current month.
    ExpiryInPast,
    /// The expiry date lies further ahead than any card is issued for.
    ExpiryTooFar,

    /// The security code is empty.
    CvcMissing,
    /// The security code contains a character other than digits.
    CvcInvalidCharacter(CharKind),
    /// The security code does not have the number of digits the brand prints.
    CvcInvalidLength {
        /// The card's brand, or `None` when the number did not reveal it.
        brand: Option<Brand>,
    },

    /// The cardholder name contains a character that is not printed on cards.
    HolderInvalidCharacter(CharKind),
    /// The cardholder name contains kana or kanji; cards print the name in Latin letters (romaji).
    HolderNotRomaji,
    /// The cardholder name is longer than a card can print.
    HolderTooLong,
}

impl CardError {
    /// Every code that [`code`](CardError::code) returns, in form order: the message keys a
    /// card form must translate.
    pub const CODES: &'static [&'static str] = &[
        "number_missing",
        "number_invalid_character",
        "number_incomplete",
        "number_too_long",
        "number_invalid_length",
        "number_unknown_brand",
        "number_checksum",
        "expiry_missing",
        "expiry_invalid_character",
        "expiry_invalid_format",
        "expiry_invalid_month",
        "expiry_invalid_year",
        "expiry_in_past",
        "expiry_too_far",
        "cvc_missing",
        "cvc_invalid_character",
        "cvc_invalid_length",
        "holder_invalid_character",
        "holder_not_romaji",
        "holder_too_long",
    ];

    /// Returns the field the error belongs to.
    pub fn field(&self) -> Field {
        match self {
            CardError::NumberMissing
            | CardError::NumberInvalidCharacter(_)
            | CardError::NumberIncomplete
            | CardError::NumberTooLong
            | CardError::NumberInvalidLength { .. }
            | CardError::NumberUnknownBrand
            | CardError::NumberChecksum => Field::Number,

            CardError::ExpiryMissing
            | CardError::ExpiryInvalidCharacter(_)
            | CardError::ExpiryInvalidFormat
            | CardError::ExpiryInvalidMonth
            | CardError::ExpiryInvalidYear
            | CardError::ExpiryInPast
            | CardError::ExpiryTooFar => Field::Expiry,

            CardError::CvcMissing
            | CardError::CvcInvalidCharacter(_)
            | CardError::CvcInvalidLength { .. } => Field::Cvc,

            CardError::HolderInvalidCharacter(_)
            | CardError::HolderNotRomaji
            | CardError::HolderTooLong => Field::Holder,
        }
    }

    /// Returns the stable snake_case code of the error kind, prefixed with its field's code.
    ///
    /// The codes are the keys of the card form's message catalogue and of the browser API, so a
    /// code never changes meaning once published.
    pub fn code(&self) -> &'static str {
        match self {
            CardError::NumberMissing => "number_missing",
            CardError::NumberInvalidCharacter(_) => "number_invalid_character",
            CardError::NumberIncomplete => "number_incomplete",
            CardError::NumberTooLong => "number_too_long",
            CardError::NumberInvalidLength { .. } => "number_invalid_length",
            CardError::NumberUnknownBrand => "number_unknown_brand",
            CardError::NumberChecksum => "number_checksum",

            CardError::ExpiryMissing => "expiry_missing",
            CardError::ExpiryInvalidCharacter(_) => "expiry_invalid_character",
            CardError::ExpiryInvalidFormat => "expiry_invalid_format",
            CardError::ExpiryInvalidMonth => "expiry_invalid_month",
            CardError::ExpiryInvalidYear => "expiry_invalid_year",
            CardError::ExpiryInPast => "expiry_in_past",
            CardError::ExpiryTooFar => "expiry_too_far",

            CardError::CvcMissing => "cvc_missing",
            CardError::CvcInvalidCharacter(_) => "cvc_invalid_character",
            CardError::CvcInvalidLength { .. } => "cvc_invalid_length",

            CardError::HolderInvalidCharacter(_) => "holder_invalid_character",
            CardError::HolderNotRomaji => "holder_not_romaji",
            CardError::HolderTooLong => "holder_too_long",
        }
    }

    /// Returns the kind of the rejected character for the `*_invalid_character` errors.
    pub fn char_kind(&self) -> Option<CharKind> {
        match *self {
            CardError::NumberInvalidCharacter(kind)
            | CardError::ExpiryInvalidCharacter(kind)
            | CardError::CvcInvalidCharacter(kind)
            | CardError::HolderInvalidCharacter(kind) => Some(kind),
            _ => None,
        }
    }

    /// Returns the brand the error refers to, for the errors whose message depends on it.
    pub fn brand(&self) -> Option<Brand> {
        match *self {
            CardError::NumberInvalidLength { brand } => Some(brand),
            CardError::CvcInvalidLength { brand } => brand,
            _ => None,
        }
    }
}

impl fmt::Display for CardError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Lengths are spelled out in words so that no message contains a digit at all: a
        // message is then safe to log whatever the input was.
        let noun = self.field().noun();
        match self {
            CardError::NumberMissing | CardError::ExpiryMissing | CardError::CvcMissing => {
                write!(f, "{noun} is missing")
            }
            // The digit fields take ASCII and full-width digits, so a rejected digit there is
            // one of another script or form (Arabic-Indic, circled, superscript).
            CardError::NumberInvalidCharacter(CharKind::Digit)
            | CardError::ExpiryInvalidCharacter(CharKind::Digit)
            | CardError::CvcInvalidCharacter(CharKind::Digit) => {
                write!(
                    f,
                    "{noun} contains a digit other than ASCII or full-width digits"
                )
            }
            CardError::NumberInvalidCharacter(kind)
            | CardError::ExpiryInvalidCharacter(kind)
            | CardError::CvcInvalidCharacter(kind)
            | CardError::HolderInvalidCharacter(kind) => {
                write!(f, "{noun} contains {kind}, which is not allowed")
            }
            CardError::NumberIncomplete => write!(f, "{noun} is incomplete"),
            CardError::NumberTooLong => write!(f, "{noun} has too many digits"),
            CardError::NumberInvalidLength { brand } => {
                write!(
                    f,
                    "{noun} has a length that {} does not issue",
                    brand.name()
                )
            }
            CardError::NumberUnknownBrand => {
                write!(f, "{noun} does not belong to a supported card brand")
            }
            CardError::NumberChecksum => {
                write!(
                    f,
                    "{noun} has an invalid check digit, check it for a typing error"
                )
            }
            CardError::ExpiryInvalidFormat => {
                write!(f, "{noun} is not in the form MM/YY")
            }
            CardError::ExpiryInvalidMonth => {
                write!(f, "{noun} has an invalid month")
            }
            CardError::ExpiryInvalidYear => write!(f, "{noun} does not have a four-digit year"),
            CardError::ExpiryInPast => write!(f, "card has expired"),
            CardError::ExpiryTooFar => {
                write!(f, "{noun} is more than twenty years ahead, check the year")
            }
            CardError::CvcInvalidLength { brand } => match brand {
                Some(brand) => write!(
                    f,
                    "{noun} must have {} digits for {}",
                    number_word(brand.cvc_length()),
                    brand.name()
                ),
                None => write!(f, "{noun} must have three or four digits"),
            },
            CardError::HolderNotRomaji => write!(
                f,
                "{noun} must be in latin letters (romaji) as printed on the card, not kana or kanji"
            ),
            CardError::HolderTooLong => write!(f, "{noun} is longer than a card can print"),
        }
    }
}

impl std::error::Error for CardError {}

/// Spells a security code length in English.
fn number_word(n: u8) -> &'static str {
    match n {
        3 => "three",
        4 => "four",
        _ => "several",
    }
}

/// All problems of one card, at most one per field, in form order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CardErrors {
    errors: Vec<CardError>,
}

impl CardErrors {
    /// Creates an empty set of errors.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Records `error` for its field unless the field already has one: the first problem found
    /// in a field is the one the buyer should fix first.
    pub(crate) fn push(&mut self, error: CardError) {
        if self.get(error.field()).is_some() {
            return;
        }
        let position = self
            .errors
            .iter()
            .position(|existing| existing.field() > error.field())
            .unwrap_or(self.errors.len());
        self.errors.insert(position, error);
    }

    /// Iterates over the errors in form order.
    pub fn iter(&self) -> std::slice::Iter<'_, CardError> {
        self.errors.iter()
    }

    /// Returns the error of `field`, if it has one.
    pub fn get(&self, field: Field) -> Option<&CardError> {
        self.errors.iter().find(|error| error.field() == field)
    }

    /// Returns the number of fields with an error.
    pub fn len(&self) -> usize {
        self.errors.len()
    }

    /// Returns true when no field has an error.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }
}

impl From<CardError> for CardErrors {
    fn from(error: CardError) -> Self {
        let mut errors = CardErrors::new();
        errors.push(error);
        errors
    }
}

impl FromIterator<CardError> for CardErrors {
    /// Collects errors as [`Card::parse`](super::Card::parse) does: the first per field, in form
    /// order.
    fn from_iter<I: IntoIterator<Item = CardError>>(errors: I) -> Self {
        let mut collected = CardErrors::new();
        for error in errors {
            collected.push(error);
        }
        collected
    }
}

impl<'a> IntoIterator for &'a CardErrors {
    type Item = &'a CardError;
    type IntoIter = std::slice::Iter<'a, CardError>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl fmt::Display for CardErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.errors.is_empty() {
            return f.write_str("no card errors");
        }
        for (index, error) in self.errors.iter().enumerate() {
            if index > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for CardErrors {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Returns one value of every variant. The match below has no wildcard arm, so a new
    /// variant does not compile until it is added here too.
    fn every_variant() -> Vec<CardError> {
        let all = vec![
            CardError::NumberMissing,
            CardError::NumberInvalidCharacter(CharKind::Letter),
            CardError::NumberIncomplete,
            CardError::NumberTooLong,
            CardError::NumberInvalidLength { brand: Brand::Visa },
            CardError::NumberUnknownBrand,
            CardError::NumberChecksum,
            CardError::ExpiryMissing,
            CardError::ExpiryInvalidCharacter(CharKind::Symbol),
            CardError::ExpiryInvalidFormat,
            CardError::ExpiryInvalidMonth,
            CardError::ExpiryInvalidYear,
            CardError::ExpiryInPast,
            CardError::ExpiryTooFar,
            CardError::CvcMissing,
            CardError::CvcInvalidCharacter(CharKind::Kana),
            CardError::CvcInvalidLength {
                brand: Some(Brand::Amex),
            },
            CardError::HolderInvalidCharacter(CharKind::Digit),
            CardError::HolderNotRomaji,
            CardError::HolderTooLong,
        ];
        for error in &all {
            match error {
                CardError::NumberMissing
                | CardError::NumberInvalidCharacter(_)
                | CardError::NumberIncomplete
                | CardError::NumberTooLong
                | CardError::NumberInvalidLength { .. }
                | CardError::NumberUnknownBrand
                | CardError::NumberChecksum
                | CardError::ExpiryMissing
                | CardError::ExpiryInvalidCharacter(_)
                | CardError::ExpiryInvalidFormat
                | CardError::ExpiryInvalidMonth
                | CardError::ExpiryInvalidYear
                | CardError::ExpiryInPast
                | CardError::ExpiryTooFar
                | CardError::CvcMissing
                | CardError::CvcInvalidCharacter(_)
                | CardError::CvcInvalidLength { .. }
                | CardError::HolderInvalidCharacter(_)
                | CardError::HolderNotRomaji
                | CardError::HolderTooLong => {}
            }
        }
        all
    }

    #[test]
    fn codes_match_variants_in_order() {
        let codes: Vec<&str> = every_variant().iter().map(CardError::code).collect();
        assert_eq!(codes, CardError::CODES);
    }

    #[test]
    fn codes_start_with_their_field() {
        for error in every_variant() {
            let prefix = format!("{}_", error.field().code());
            assert!(error.code().starts_with(&prefix), "{}", error.code());
        }
    }

    #[test]
    fn messages_are_lower_case_without_digits() {
        let mut errors = every_variant();
        for brand in Brand::ALL {
            errors.push(CardError::NumberInvalidLength { brand });
            errors.push(CardError::CvcInvalidLength { brand: Some(brand) });
        }
        errors.push(CardError::CvcInvalidLength { brand: None });
        errors.extend(invalid_character_errors());
        for error in errors {
            let message = error.to_string();
            assert!(
                message.starts_with(|c: char| c.is_ascii_lowercase()),
                "{message}"
            );
            assert!(!message.ends_with('.'), "{message}");
            assert!(!message.chars().any(|c| c.is_numeric()), "{message}");
        }
    }

    /// Every `*_invalid_character` error, for every kind of character.
    fn invalid_character_errors() -> Vec<CardError> {
        let kinds = [
            CharKind::Letter,
            CharKind::Kana,
            CharKind::Kanji,
            CharKind::Digit,
            CharKind::Symbol,
            CharKind::Control,
        ];
        let fields: [fn(CharKind) -> CardError; 4] = [
            CardError::NumberInvalidCharacter,
            CardError::ExpiryInvalidCharacter,
            CardError::CvcInvalidCharacter,
            CardError::HolderInvalidCharacter,
        ];
        fields.iter().flat_map(|error| kinds.map(error)).collect()
    }

    #[test]
    fn messages_say_not_allowed_once() {
        let mut errors = every_variant();
        errors.extend(invalid_character_errors());
        for error in errors {
            let message = error.to_string();
            assert!(message.matches("not allowed").count() <= 1, "{message}");
            assert!(!message.contains("here"), "{message}");
        }
    }

    #[test]
    fn digit_messages_name_the_rule() {
        assert_eq!(
            CardError::NumberInvalidCharacter(CharKind::Digit).to_string(),
            "card number contains a digit other than ASCII or full-width digits"
        );
        assert_eq!(
            CardError::CvcInvalidCharacter(CharKind::Digit).to_string(),
            "security code contains a digit other than ASCII or full-width digits"
        );
        assert_eq!(
            CardError::HolderInvalidCharacter(CharKind::Digit).to_string(),
            "cardholder name contains a digit, which is not allowed"
        );
    }

    #[test]
    fn card_errors_collect_in_form_order() {
        let errors: CardErrors = [
            CardError::HolderTooLong,
            CardError::ExpiryInvalidYear,
            CardError::ExpiryMissing,
            CardError::NumberMissing,
        ]
        .into_iter()
        .collect();
        let collected: Vec<CardError> = errors.iter().copied().collect();
        assert_eq!(
            collected,
            [
                CardError::NumberMissing,
                CardError::ExpiryInvalidYear,
                CardError::HolderTooLong
            ]
        );
    }

    #[test]
    fn card_errors_keep_first_per_field() {
        let mut errors = CardErrors::new();
        errors.push(CardError::CvcMissing);
        errors.push(CardError::NumberChecksum);
        errors.push(CardError::NumberMissing);
        assert_eq!(errors.len(), 2);
        assert_eq!(errors.get(Field::Number), Some(&CardError::NumberChecksum));
        let fields: Vec<Field> = errors.iter().map(CardError::field).collect();
        assert_eq!(fields, [Field::Number, Field::Cvc]);
        assert_eq!(
            errors.to_string(),
            "card number has an invalid check digit, check it for a typing error; \
             security code is missing"
        );
    }
}
