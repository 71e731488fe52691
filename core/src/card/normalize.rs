//! Character classes of typed and pasted card input, and number normalization.
//!
//! Buyers in Japan type with an IME that may be in full-width mode, so a card number can arrive
//! as full-width digits (U+FF10 to U+FF19) separated by ideographic spaces (U+3000). The minus
//! key gives U+30FC (prolonged sound mark) in kana mode and U+FF0D in full-width mode, and the
//! conversion candidates offer more dashes. Pasted numbers bring no-break
//! spaces and zero-width characters from web pages and documents.

use super::error::{CardError, CharKind};

/// The class of one input character, as the card parsers treat it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CharClass {
    /// An ASCII or full-width decimal digit, with its value.
    Digit(u8),
    /// Any Unicode white space, including the no-break space and the ideographic space.
    Space,
    /// A hyphen or dash that separates groups of digits.
    Dash,
    /// A zero-width character or direction mark, which does not change the text's meaning.
    Invisible,
    /// A slash, the expiry date separator.
    Slash,
    /// Anything else.
    Other(CharKind),
}

/// ASCII and full-width hyphens and dashes, and the marks a Japanese IME writes for the minus key.
const DASHES: &[char] = &[
    '-',        // hyphen-minus
    '\u{2010}', // hyphen
    '\u{2011}', // non-breaking hyphen
    '\u{2012}', // figure dash
    '\u{2013}', // en dash
    '\u{2014}', // em dash
    '\u{2015}', // horizontal bar
    '\u{2212}', // minus sign
    '\u{FE58}', // small em dash
    '\u{FE63}', // small hyphen-minus
    '\u{FF0D}', // full-width hyphen-minus
    '\u{30FC}', // katakana-hiragana prolonged sound mark (minus key in kana mode)
    '\u{FF70}', // half-width prolonged sound mark
];

/// Characters that render as nothing and carry no meaning in a number. Bidirectional embeddings,
/// overrides and isolates are not in this list and are rejected, because they reorder the digits
/// on screen.
const INVISIBLES: &[char] = &[
    '\u{00AD}', // soft hyphen
    '\u{200B}', // zero width space
    '\u{200C}', // zero width non-joiner
    '\u{200D}', // zero width joiner
    '\u{200E}', // left-to-right mark
    '\u{200F}', // right-to-left mark
    '\u{2060}', // word joiner
    '\u{FEFF}', // zero width no-break space (byte order mark)
];

/// Slashes accepted between month and year.
const SLASHES: &[char] = &[
    '/',        // solidus
    '\u{FF0F}', // full-width solidus
    '\u{2044}', // fraction slash
    '\u{2215}', // division slash
];

/// Classifies one character of card input.
pub(crate) fn classify(c: char) -> CharClass {
    if let Some(value) = digit_value(c) {
        return CharClass::Digit(value);
    }
    if c.is_whitespace() {
        return CharClass::Space;
    }
    if DASHES.contains(&c) {
        return CharClass::Dash;
    }
    if INVISIBLES.contains(&c) {
        return CharClass::Invisible;
    }
    if SLASHES.contains(&c) {
        return CharClass::Slash;
    }
    CharClass::Other(char_kind(c))
}

/// Returns the value of an ASCII or full-width decimal digit.
pub(crate) fn digit_value(c: char) -> Option<u8> {
    match c {
        '0'..='9' => Some(c as u8 - b'0'),
        '\u{FF10}'..='\u{FF19}' => Some((c as u32 - 0xFF10) as u8),
        _ => None,
    }
}

/// Tells which kind of character `c` is, for characters a field does not accept.
pub(crate) fn char_kind(c: char) -> CharKind {
    if is_kana(c) {
        CharKind::Kana
    } else if is_kanji(c) {
        CharKind::Kanji
    } else if c.is_alphabetic() {
        CharKind::Letter
    } else if c.is_numeric() {
        // Digits of other scripts, superscripts, circled and full-width-forms digits that the
        // parsers do not take as digits.
        CharKind::Digit
    } else if c.is_control() || is_format_control(c) {
        CharKind::Control
    } else {
        CharKind::Symbol
    }
}

/// Tells whether `c` is hiragana or katakana, full-width or half-width.
pub(crate) fn is_kana(c: char) -> bool {
    matches!(c,
        '\u{3041}'..='\u{309F}' // hiragana, with voicing marks and iteration marks
        | '\u{30A0}'..='\u{30FF}' // katakana, with the middle dot and prolonged sound mark
        | '\u{31F0}'..='\u{31FF}' // katakana phonetic extensions (small letters for Ainu)
        | '\u{FF66}'..='\u{FF9F}' // half-width katakana
    )
}

/// Tells whether `c` is a CJK ideograph or one of the marks that stand for one.
pub(crate) fn is_kanji(c: char) -> bool {
    matches!(c,
        '\u{3005}'..='\u{3007}' // iteration mark, closing mark, ideographic number zero
        | '\u{3400}'..='\u{4DBF}' // CJK unified ideographs extension A
        | '\u{4E00}'..='\u{9FFF}' // CJK unified ideographs
        | '\u{F900}'..='\u{FAFF}' // CJK compatibility ideographs
        | '\u{20000}'..='\u{3FFFF}' // supplementary ideographic planes
    )
}

/// Tells whether `c` is an invisible formatting character other than those in [`INVISIBLES`].
fn is_format_control(c: char) -> bool {
    matches!(c,
        '\u{061C}' // arabic letter mark
        | '\u{202A}'..='\u{202E}' // bidirectional embeddings and overrides
        | '\u{2061}'..='\u{206F}' // invisible operators, isolates, deprecated format controls
        | '\u{FFF9}'..='\u{FFFB}' // interlinear annotation controls
    )
}

/// Turns a card number as typed or pasted into ASCII digits.
///
/// Accepts ASCII and full-width digits, any Unicode space (including the no-break space and
/// the ideographic space), hyphens and dashes (including those a Japanese IME writes) and
/// zero-width characters, and drops everything but the digits. Any other character is an error
/// that names the kind of character and never the character itself. An empty result is not an
/// error here, so the card form can call this on every keystroke.
///
/// The returned string is the card number or a part of it: treat it as secret.
///
/// ```
/// use cardseal_core::card::normalize_number;
///
/// assert_eq!(normalize_number("４２４２ ４２４２－4242\u{3000}4242").unwrap(), "4242424242424242");
/// assert_eq!(normalize_number("4242-abcd").unwrap_err().code(), "number_invalid_character");
/// ```
pub fn normalize_number(input: &str) -> Result<String, CardError> {
    // Capacity for the whole input up front: growing would leave copies of digits in freed
    // memory, and a digit never takes more than the bytes of its character.
    let mut digits = String::with_capacity(input.len());

    for c in input.chars() {
        match classify(c) {
            CharClass::Digit(value) => digits.push(char::from(b'0' + value)),
            CharClass::Space | CharClass::Dash | CharClass::Invisible => {}
            CharClass::Slash => {
                zeroize::Zeroize::zeroize(&mut digits);
                return Err(CardError::NumberInvalidCharacter(CharKind::Symbol));
            }
            CharClass::Other(kind) => {
                zeroize::Zeroize::zeroize(&mut digits);
                return Err(CardError::NumberInvalidCharacter(kind));
            }
        }
    }

    Ok(digits)
}

/// Collects the digits of a short field (security code) that allows only spaces and invisible
/// characters beside its digits; dashes and slashes count as symbols.
pub(crate) fn normalize_digits_only(
    input: &str,
    reject: fn(CharKind) -> CardError,
) -> Result<String, CardError> {
    let mut digits = String::with_capacity(input.len());

    for c in input.chars() {
        let kind = match classify(c) {
            CharClass::Digit(value) => {
                digits.push(char::from(b'0' + value));
                continue;
            }
            CharClass::Space | CharClass::Invisible => continue,
            CharClass::Dash | CharClass::Slash => CharKind::Symbol,
            CharClass::Other(kind) => kind,
        };
        zeroize::Zeroize::zeroize(&mut digits);
        return Err(reject(kind));
    }

    Ok(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_digits_pass_through() {
        assert_eq!(
            normalize_number("4111111111111111").unwrap(),
            "4111111111111111"
        );
    }

    #[test]
    fn full_width_digits_become_ascii() {
        assert_eq!(
            normalize_number("０１２３４５６７８９").unwrap(),
            "0123456789"
        );
    }

    #[test]
    fn ime_separators_are_dropped() {
        let typed = "3530\u{3000}1113－3333ー0000\u{FF70}0000\u{2212}1";
        assert_eq!(normalize_number(typed).unwrap(), "353011133333000000001");
    }

    #[test]
    fn pasted_invisibles_are_dropped() {
        let pasted = "\u{FEFF}4242\u{00A0}4242\u{200B}4242\u{2060}4242\u{200E}\n";
        assert_eq!(normalize_number(pasted).unwrap(), "4242424242424242");
    }

    #[test]
    fn empty_input_is_empty() {
        assert_eq!(normalize_number("").unwrap(), "");
        assert_eq!(normalize_number(" \u{3000}-").unwrap(), "");
    }

    #[test]
    fn rejected_characters_name_their_kind() {
        let cases = [
            ("4242a", CharKind::Letter),
            ("4242Ａ", CharKind::Letter),
            ("4242よん", CharKind::Kana),
            ("4242ﾖﾝ", CharKind::Kana),
            ("4242四", CharKind::Kanji),
            ("4242\u{0664}", CharKind::Digit), // arabic-indic digit four
            ("4242\u{2463}", CharKind::Digit), // circled digit four
            ("4242.", CharKind::Symbol),
            ("4242/", CharKind::Symbol),
            ("4242*", CharKind::Symbol),
            ("4242\u{202E}", CharKind::Control), // right-to-left override
            ("4242\u{0007}", CharKind::Control),
        ];
        for (input, kind) in cases {
            assert_eq!(
                normalize_number(input),
                Err(CardError::NumberInvalidCharacter(kind)),
                "input {input:?}"
            );
        }
    }

    #[test]
    fn classify_sorts_separators() {
        assert_eq!(classify('\u{3000}'), CharClass::Space);
        assert_eq!(classify('\u{00A0}'), CharClass::Space);
        assert_eq!(classify('\u{2014}'), CharClass::Dash);
        assert_eq!(classify('\u{FF0F}'), CharClass::Slash);
        assert_eq!(classify('\u{200D}'), CharClass::Invisible);
        assert_eq!(classify('\u{FF19}'), CharClass::Digit(9));
    }

    #[test]
    fn digits_only_rejects_dashes() {
        let reject = CardError::CvcInvalidCharacter;
        assert_eq!(normalize_digits_only(" １２３ ", reject).unwrap(), "123");
        assert_eq!(
            normalize_digits_only("12-3", reject),
            Err(CardError::CvcInvalidCharacter(CharKind::Symbol))
        );
    }
}
