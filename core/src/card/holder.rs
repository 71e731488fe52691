//! The cardholder name, as printed (embossed) on the card.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

use super::error::{CardError, CharKind};
use super::normalize::{CharClass, classify, is_kana, is_kanji};

/// Maximum length of a cardholder name. The name field of magnetic stripe track 1 (ISO/IEC 7813)
/// has room for 26 characters, so the name printed on a card is no longer.
pub const MAX_HOLDER_LENGTH: usize = 26;

/// Apostrophes a keyboard, an IME or an autocorrecting text field may produce.
const APOSTROPHES: &[char] = &[
    '\'',       // apostrophe
    '\u{2018}', // left single quotation mark
    '\u{2019}', // right single quotation mark (typographic apostrophe)
    '\u{02BC}', // modifier letter apostrophe
    '\u{FF07}', // full-width apostrophe
];

/// Periods: ASCII and full-width.
const PERIODS: &[char] = &['.', '\u{FF0E}'];

/// A cardholder name in the form cards print it: upper-case ASCII letters, single spaces,
/// hyphens, apostrophes and periods, at most [`MAX_HOLDER_LENGTH`] characters.
///
/// Personal data: Debug is redacted and the text is zeroized on drop. Read it with
/// [`as_str`](HolderName::as_str).
#[derive(PartialEq, Eq)]
pub struct HolderName {
    text: String,
}

impl HolderName {
    /// Parses a cardholder name as typed. Returns `None` for an empty or blank name, because the
    /// name is optional.
    ///
    /// Full-width Latin letters, spaces, hyphens, apostrophes and periods become their ASCII
    /// forms, letters are upper-cased, and runs of spaces shrink to one. A name with kana or
    /// kanji is rejected with [`CardError::HolderNotRomaji`], whose message requests the name in
    /// Latin letters as printed on the card. A name with any other character, or made of
    /// punctuation only, is rejected with [`CardError::HolderInvalidCharacter`].
    ///
    /// ```
    /// use cardseal_core::card::HolderName;
    ///
    /// let name = HolderName::parse("ｔａｒｏ\u{3000}yamada").unwrap().unwrap();
    /// assert_eq!(name.as_str(), "TARO YAMADA");
    /// assert_eq!(HolderName::parse("山田 太郎").unwrap_err().code(), "holder_not_romaji");
    /// assert!(HolderName::parse(" ").unwrap().is_none());
    /// ```
    pub fn parse(input: &str) -> Result<Option<HolderName>, CardError> {
        // Kana or kanji anywhere gets the romaji message, even after another bad character,
        // because it is the mistake a Japanese buyer makes and the one worth explaining.
        if input.chars().any(|c| is_kana(c) || is_kanji(c)) {
            return Err(CardError::HolderNotRomaji);
        }

        let mut text = String::with_capacity(input.len());
        let mut pending_space = false;
        let mut has_letter = false;
        for c in input.chars() {
            let folded = match fold(c) {
                Folded::Char(folded) => folded,
                Folded::Space => {
                    pending_space = !text.is_empty();
                    continue;
                }
                Folded::Skip => continue,
                Folded::Reject(kind) => {
                    text.zeroize();
                    return Err(CardError::HolderInvalidCharacter(kind));
                }
            };
            if pending_space {
                text.push(' ');
                pending_space = false;
            }
            has_letter |= folded.is_ascii_uppercase();
            text.push(folded);
        }

        if text.is_empty() {
            return Ok(None);
        }
        let error = if !has_letter {
            CardError::HolderInvalidCharacter(CharKind::Symbol)
        } else if text.chars().count() > MAX_HOLDER_LENGTH {
            CardError::HolderTooLong
        } else {
            return Ok(Some(HolderName { text }));
        };
        text.zeroize();
        Err(error)
    }

    /// Returns the name: upper-case ASCII, as printed on the card.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// The result of folding one input character of a cardholder name.
enum Folded {
    Char(char),
    Space,
    Skip,
    Reject(CharKind),
}

fn fold(c: char) -> Folded {
    if c.is_ascii_alphabetic() {
        return Folded::Char(c.to_ascii_uppercase());
    }
    if let Some(ascii) = full_width_latin(c) {
        return Folded::Char(ascii.to_ascii_uppercase());
    }
    if APOSTROPHES.contains(&c) {
        return Folded::Char('\'');
    }
    if PERIODS.contains(&c) {
        return Folded::Char('.');
    }

    match classify(c) {
        CharClass::Space => Folded::Space,
        CharClass::Invisible => Folded::Skip,
        CharClass::Dash => Folded::Char('-'),
        // Cards print no digits in the name, whatever the script.
        CharClass::Digit(_) => Folded::Reject(CharKind::Digit),
        CharClass::Slash => Folded::Reject(CharKind::Symbol),
        CharClass::Other(kind) => Folded::Reject(kind),
    }
}

/// Maps a full-width Latin letter (U+FF21 to U+FF3A, U+FF41 to U+FF5A) to ASCII.
fn full_width_latin(c: char) -> Option<char> {
    const FULL_WIDTH_OFFSET: u32 = 0xFF21 - 0x41;
    match c {
        '\u{FF21}'..='\u{FF3A}' | '\u{FF41}'..='\u{FF5A}' => {
            char::from_u32(c as u32 - FULL_WIDTH_OFFSET)
        }
        _ => None,
    }
}

impl Drop for HolderName {
    fn drop(&mut self) {
        self.text.zeroize();
    }
}

impl ZeroizeOnDrop for HolderName {}

impl fmt::Debug for HolderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HolderName(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(input: &str) -> Result<Option<String>, CardError> {
        HolderName::parse(input).map(|name| name.map(|name| name.as_str().to_owned()))
    }

    #[test]
    fn folds_and_uppercases() {
        let cases = [
            ("taro yamada", "TARO YAMADA"),
            ("ＴＡＲＯ　ＹＡＭＡＤＡ", "TARO YAMADA"),
            ("ｊｏｈｎ ｏ’ｎｅｉｌｌ", "JOHN O'NEILL"),
            ("  Mary-Jane   Smith ", "MARY-JANE SMITH"),
            ("Mary－Jane", "MARY-JANE"),
            ("J. R. R. TOLKIEN", "J. R. R. TOLKIEN"),
            ("Ｊ．SMITH", "J.SMITH"),
            ("d\u{2019}artagnan", "D'ARTAGNAN"),
            ("ANNA\u{200B}LEE", "ANNALEE"),
        ];
        for (input, expected) in cases {
            assert_eq!(
                parse(input),
                Ok(Some(expected.to_owned())),
                "input {input:?}"
            );
        }
    }

    #[test]
    fn blank_is_none() {
        assert_eq!(parse(""), Ok(None));
        assert_eq!(parse(" \u{3000} "), Ok(None));
    }

    #[test]
    fn kana_and_kanji_ask_for_romaji() {
        for input in [
            "やまだ たろう",
            "ヤマダ タロウ",
            "ﾔﾏﾀﾞ ﾀﾛｳ",
            "山田太郎",
            "TARO 山田",
            "タロー",
        ] {
            assert_eq!(
                parse(input),
                Err(CardError::HolderNotRomaji),
                "input {input:?}"
            );
        }
    }

    #[test]
    fn other_characters_are_rejected() {
        let cases = [
            ("TARO 2", CharKind::Digit),
            ("TARO ２", CharKind::Digit),
            ("JOSÉ", CharKind::Letter),
            ("TARO@YAMADA", CharKind::Symbol),
            ("TARO/YAMADA", CharKind::Symbol),
            ("TARO\u{202E}", CharKind::Control),
            ("...", CharKind::Symbol),
        ];
        for (input, kind) in cases {
            assert_eq!(
                parse(input),
                Err(CardError::HolderInvalidCharacter(kind)),
                "input {input:?}"
            );
        }
    }

    #[test]
    fn length_limit() {
        let longest = "A".repeat(MAX_HOLDER_LENGTH);
        assert_eq!(parse(&longest), Ok(Some(longest.clone())));
        assert_eq!(parse(&format!("{longest}B")), Err(CardError::HolderTooLong));
        // Collapsed spaces do not count.
        let spaced = format!("  {}    {}  ", "A".repeat(12), "B".repeat(13));
        assert_eq!(parse(&spaced).unwrap().unwrap().len(), MAX_HOLDER_LENGTH);
    }

    #[test]
    fn debug_is_redacted() {
        let name = HolderName::parse("TARO YAMADA").unwrap().unwrap();
        assert_eq!(format!("{name:?}"), "HolderName(<redacted>)");
    }
}
