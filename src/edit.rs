//! Reformatting of the card form's fields while the buyer types, keeping the caret where the
//! buyer expects it.
//!
//! Each function takes the field's value and caret as the browser reports them after an edit
//! (typing, deleting, pasting, an IME committing full-width digits) and returns the value to show
//! and the caret to set. Caret positions are UTF-16 code unit offsets, as in the DOM's
//! `selectionStart`. The mapping works by counting digits: the caret ends up after as many digits
//! as were to its left before reformatting, whatever separators were added or removed around it.

use cardseal_core::card::{Brand, MAX_NUMBER_LENGTH, detect_brand, format_number};
use zeroize::Zeroizing;

/// The maximum length of a security code (American Express prints four digits).
const MAX_CVC_LENGTH: usize = 4;

/// Digits of the month in an expiry date.
const MONTH_DIGITS: usize = 2;

/// The maximum number of year digits in an expiry date (MM/YYYY).
const MAX_YEAR_DIGITS: usize = 4;

/// The separator shown between month and year.
const EXPIRY_SEPARATOR: char = '/';

/// The kind of an edit, from the `inputType` of the DOM `input` event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EditKind {
    /// Typing, pasting, dropping, or an IME committing its text.
    Insert,
    /// Backspace and the other deletions towards the start of the text.
    DeleteBackward,
    /// Delete and the other deletions towards the end of the text.
    DeleteForward,
}

impl EditKind {
    /// Maps an `inputType` value (Input Events Level 2) to the kind of edit.
    pub fn from_input_type(input_type: &str) -> EditKind {
        if input_type.starts_with("deleteContentBackward")
            || input_type.starts_with("deleteWordBackward")
            || input_type.starts_with("deleteSoftLineBackward")
            || input_type.starts_with("deleteHardLineBackward")
        {
            EditKind::DeleteBackward
        } else if input_type.starts_with("delete") {
            EditKind::DeleteForward
        } else {
            EditKind::Insert
        }
    }
}

/// A field's text after reformatting: the value to show and the caret to set.
///
/// The value contains card digits, so it is wiped from memory when dropped.
#[derive(PartialEq, Eq)]
pub struct Edited {
    /// The reformatted value.
    pub value: Zeroizing<String>,
    /// The caret, in UTF-16 code units from the start of `value`.
    pub caret: u32,
}

impl std::fmt::Debug for Edited {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Edited")
            .field("value", &"[redacted]")
            .field("caret", &self.caret)
            .finish()
    }
}

/// A card number field after reformatting, with what the form shows beside it.
#[derive(Debug)]
pub struct NumberEdited {
    /// The grouped number and the caret.
    pub text: Edited,
    /// The brand detected from the digits so far.
    pub brand: Option<Brand>,
    /// The number of digits in the field.
    pub digit_count: usize,
}

/// Returns the value of an ASCII or full-width digit (U+FF10 to U+FF19), the digits
/// `cardseal_core::card::normalize_number` accepts.
fn digit(c: char) -> Option<char> {
    match c {
        '0'..='9' => Some(c),
        '\u{FF10}'..='\u{FF19}' => char::from_u32(c as u32 - 0xFF10 + u32::from(b'0')),
        _ => None,
    }
}

/// Tells whether `c` separates month and year in an expiry date as typed. The katakana middle
/// dots (`・`, `･`) are what a Japanese IME in kana mode writes for the `/` key.
fn is_expiry_separator(c: char) -> bool {
    matches!(
        c,
        '/' | '\u{FF0F}' | '\u{2044}' | '\u{2215}' | '\u{30FB}' | '\u{FF65}' | '-' | '\u{FF0D}'
    ) || c.is_whitespace()
}

/// The digits of a field's value and how many of them lie left of the caret.
struct Digits {
    digits: Zeroizing<String>,
    before_caret: usize,
}

impl Digits {
    /// Collects the digits of `value`, dropping every other character.
    fn collect(value: &str, caret: u32) -> Digits {
        let mut digits = Zeroizing::new(String::with_capacity(value.len()));
        let mut before_caret = 0;
        let mut offset = 0u32;

        for c in value.chars() {
            if let Some(d) = digit(c) {
                digits.push(d);
                if offset < caret {
                    before_caret += 1;
                }
            }
            offset += c.len_utf16() as u32;
        }

        Digits {
            digits,
            before_caret,
        }
    }

    /// Applies a deletion that removed only a separator: it removes the digit next to the caret
    /// instead, because a grouping space the form inserted again would make the key seem dead.
    fn delete_past_separator(&mut self, kind: EditKind, previous_digit_count: usize) {
        if self.digits.len() != previous_digit_count {
            return;
        }
        match kind {
            EditKind::DeleteBackward if self.before_caret > 0 => {
                self.before_caret -= 1;
                self.digits.remove(self.before_caret);
            }
            EditKind::DeleteForward if self.before_caret < self.digits.len() => {
                self.digits.remove(self.before_caret);
            }
            _ => {}
        }
    }

    /// Shortens the digits to `max`, dropping first the digits just inserted (those right before
    /// the caret) and then, if that is not enough, digits from the end.
    fn limit(&mut self, max: usize) {
        let excess = self.digits.len().saturating_sub(max);
        if excess == 0 {
            return;
        }

        let from_insertion = excess.min(self.before_caret);
        self.digits
            .replace_range(self.before_caret - from_insertion..self.before_caret, "");
        self.before_caret -= from_insertion;
        self.digits.truncate(max);
    }
}

/// Returns the offset just after the `count`-th ASCII digit of `formatted`, or its end.
fn caret_after_digits(formatted: &str, count: usize) -> u32 {
    if count == 0 {
        return 0;
    }
    let mut seen = 0;
    for (index, byte) in formatted.bytes().enumerate() {
        if byte.is_ascii_digit() {
            seen += 1;
            if seen == count {
                return (index + 1) as u32;
            }
        }
    }
    formatted.encode_utf16().count() as u32
}

/// Returns the longest number the digits may grow to: their brand's longest length, or the
/// longest number ISO/IEC 7812-1 allows while the brand is unknown.
fn max_number_length(digits: &str) -> usize {
    detect_brand(digits).map_or(MAX_NUMBER_LENGTH, |brand| usize::from(brand.max_length()))
}

/// Reformats a card number field: digits grouped for the brand, input stopped at the brand's
/// longest length, and the caret after the same digits as before.
///
/// `previous_digit_count` is the number of digits before the edit. It distinguishes a deleted
/// grouping space from a deleted digit.
pub fn edit_number(
    value: &str,
    caret: u32,
    kind: EditKind,
    previous_digit_count: usize,
) -> NumberEdited {
    let mut digits = Digits::collect(value, caret);
    digits.delete_past_separator(kind, previous_digit_count);

    // Limiting can change the leading digits when the insertion was at the start, and with them
    // the brand and its longest length. Each round only shortens, so the loop ends.
    loop {
        let max = max_number_length(&digits.digits);
        if digits.digits.len() <= max {
            break;
        }
        digits.limit(max);
    }

    let formatted = Zeroizing::new(format_number(&digits.digits));
    let caret = caret_after_digits(&formatted, digits.before_caret);
    NumberEdited {
        brand: detect_brand(&digits.digits),
        digit_count: digits.digits.len(),
        text: Edited {
            value: formatted,
            caret,
        },
    }
}

/// Reformats a security code field: ASCII digits only, at most `max_length` of them (the
/// brand's length, or four while the brand is unknown).
pub fn edit_cvc(value: &str, caret: u32, max_length: Option<u8>) -> Edited {
    let mut digits = Digits::collect(value, caret);
    digits.limit(max_length.map_or(MAX_CVC_LENGTH, usize::from));

    let caret = digits.before_caret as u32;
    Edited {
        value: digits.digits,
        caret,
    }
}

/// Reformats an expiry date field to `MM/YY` (or `MM/YYYY`) as the buyer types.
///
/// A slash appears once the year starts, or when the buyer types a separator after the month.
/// While typing (not deleting), a single-digit month is padded with a zero once it cannot be the
/// start of 10 to 12: a first digit from 2 to 9, or a separator after it. Accepts ASCII and
/// full-width digits and slashes, and the middle dot a Japanese IME writes for the slash.
pub fn edit_expiry(value: &str, caret: u32, kind: EditKind, previous_digit_count: usize) -> Edited {
    let mut digits = Zeroizing::new(String::with_capacity(value.len()));
    let mut before_caret = 0;
    let mut separator_after: Option<usize> = None;
    let mut caret_after_separator = false;
    let mut offset = 0u32;

    // Digits and the first separator that follows a digit; any other character is dropped.
    for c in value.chars() {
        if let Some(d) = digit(c) {
            digits.push(d);
            if offset < caret {
                before_caret += 1;
            }
        } else if is_expiry_separator(c) && separator_after.is_none() && !digits.is_empty() {
            separator_after = Some(digits.len());
            caret_after_separator = offset < caret;
        }
        offset += c.len_utf16() as u32;
    }

    // A deleted slash removes the digit before it, as a deleted grouping space does in numbers.
    if kind == EditKind::DeleteBackward
        && digits.len() == previous_digit_count
        && separator_after.is_none()
        && before_caret > 0
    {
        before_caret -= 1;
        digits.remove(before_caret);
    }
    if kind == EditKind::DeleteForward
        && digits.len() == previous_digit_count
        && separator_after.is_none()
        && before_caret < digits.len()
    {
        digits.remove(before_caret);
    }

    // A separator after more than two digits does not end a month: the digits are read as MMYY.
    let separator_after = separator_after.filter(|&count| count <= MONTH_DIGITS);
    let first_digit_pads = digits.starts_with(|c: char| ('2'..='9').contains(&c));
    let month_length = match separator_after {
        Some(count) => count,
        None if first_digit_pads => 1,
        None => digits.len().min(MONTH_DIGITS),
    };
    let pad_month = kind == EditKind::Insert
        && month_length == 1
        && (separator_after.is_some() || first_digit_pads);
    let year_length = (digits.len() - month_length).min(MAX_YEAR_DIGITS);

    let mut formatted = Zeroizing::new(String::with_capacity(MONTH_DIGITS + 1 + MAX_YEAR_DIGITS));
    if pad_month {
        formatted.push('0');
    }
    formatted.push_str(&digits[..month_length]);
    let slash_shown = year_length > 0 || separator_after.is_some();
    if slash_shown {
        formatted.push(EXPIRY_SEPARATOR);
    }
    formatted.push_str(&digits[month_length..month_length + year_length]);

    // The caret goes after the same digit as before; padding and the slash shift it.
    let month_shown = month_length + usize::from(pad_month);
    let kept = month_length + year_length;
    let before_caret = before_caret.min(kept);
    let caret = if before_caret == 0 {
        0
    } else if before_caret < month_length {
        before_caret + usize::from(pad_month)
    } else if before_caret == month_length && !(slash_shown && caret_after_separator) {
        month_shown
    } else {
        month_shown + 1 + (before_caret - month_length)
    };

    let caret = caret.min(formatted.len()) as u32;
    Edited {
        value: formatted,
        caret,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Splits a test value at its `|` marker into the value and the caret offset.
    fn at_caret(marked: &str) -> (String, u32) {
        let index = marked.find('|').expect("test value has a caret marker");
        let value = marked.replacen('|', "", 1);
        (value, marked[..index].encode_utf16().count() as u32)
    }

    /// Writes the result with a `|` at the caret, to compare with the expected marked value.
    fn marked(edited: &Edited) -> String {
        let units: Vec<u16> = edited.value.encode_utf16().collect();
        let caret = edited.caret as usize;
        format!(
            "{}|{}",
            String::from_utf16_lossy(&units[..caret]),
            String::from_utf16_lossy(&units[caret..])
        )
    }

    fn number(marked_input: &str, kind: EditKind, previous_digit_count: usize) -> String {
        let (value, caret) = at_caret(marked_input);
        marked(&edit_number(&value, caret, kind, previous_digit_count).text)
    }

    fn expiry(marked_input: &str, kind: EditKind, previous_digit_count: usize) -> String {
        let (value, caret) = at_caret(marked_input);
        marked(&edit_expiry(&value, caret, kind, previous_digit_count))
    }

    #[test]
    fn number_typed_at_end_is_grouped() {
        assert_eq!(number("4242|", EditKind::Insert, 3), "4242|");
        assert_eq!(number("42424|", EditKind::Insert, 4), "4242 4|");
        assert_eq!(number("4242 42424|", EditKind::Insert, 8), "4242 4242 4|");
    }

    #[test]
    fn number_typed_mid_group_keeps_caret() {
        assert_eq!(
            number("421|42 4242 42", EditKind::Insert, 10),
            "421|4 2424 242"
        );
        assert_eq!(number("42421| 4242", EditKind::Insert, 8), "4242 1|424 2");
    }

    #[test]
    fn number_backspace_over_space_deletes_digit() {
        assert_eq!(
            number("4242|4242", EditKind::DeleteBackward, 8),
            "424|4 242"
        );
    }

    #[test]
    fn number_delete_over_space_deletes_digit() {
        assert_eq!(number("4242|4242", EditKind::DeleteForward, 8), "4242| 242");
    }

    #[test]
    fn number_backspace_of_digit_regroups() {
        assert_eq!(
            number("4242 |242 4242", EditKind::DeleteBackward, 12),
            "4242| 2424 242"
        );
        assert_eq!(number("4242 4|", EditKind::DeleteBackward, 6), "4242 4|");
    }

    #[test]
    fn number_paste_mid_number_puts_caret_after_paste() {
        assert_eq!(
            number("35 30-1113|33", EditKind::Insert, 4),
            "3530 1113| 33"
        );
    }

    #[test]
    fn number_full_width_digits_become_ascii() {
        assert_eq!(number("３５３０１１|", EditKind::Insert, 5), "3530 11|");
    }

    #[test]
    fn number_letters_are_dropped() {
        assert_eq!(number("42a|42", EditKind::Insert, 4), "42|42");
    }

    #[test]
    fn number_amex_groups_4_6_5() {
        let edited = edit_number("378282246310005", 15, EditKind::Insert, 14);
        assert_eq!(edited.text.value.as_str(), "3782 822463 10005");
        assert_eq!(edited.brand, Some(Brand::Amex));
        assert_eq!(edited.text.caret, 17);
    }

    #[test]
    fn number_amex_stops_at_fifteen_digits() {
        assert_eq!(
            number("3782 822463 100051|", EditKind::Insert, 15),
            "3782 822463 10005|"
        );
        assert_eq!(
            number("3782 8224639| 10005", EditKind::Insert, 15),
            "3782 822463| 10005"
        );
    }

    #[test]
    fn number_diners_14_digits_groups_4_6_4() {
        let edited = edit_number("36227206271667", 14, EditKind::Insert, 13);
        assert_eq!(edited.text.value.as_str(), "3622 720627 1667");
        assert_eq!(edited.brand, Some(Brand::DinersClub));
    }

    #[test]
    fn number_mastercard_stops_at_sixteen() {
        let edited = edit_number("5555 5555 5555 44449|", 21, EditKind::Insert, 16);
        assert_eq!(edited.text.value.as_str(), "5555 5555 5555 4444");
        assert_eq!(edited.digit_count, 16);
    }

    #[test]
    fn number_paste_over_limit_keeps_digits_after_caret() {
        // A 16-digit Visa pasted into the middle of "42|42": the pasted text is cut, not the tail.
        let pasted = format!("42{}|42", "4111111111111111");
        assert_eq!(
            number(&pasted, EditKind::Insert, 4),
            "4241 1111 1111 1111 1|42"
        );
    }

    #[test]
    fn number_empty_stays_empty() {
        let edited = edit_number("", 0, EditKind::DeleteBackward, 1);
        assert_eq!(edited.text.value.as_str(), "");
        assert_eq!(edited.text.caret, 0);
        assert_eq!(edited.brand, None);
    }

    #[test]
    fn cvc_keeps_digits_and_stops_at_length() {
        let edited = edit_cvc("１２３4", 4, Some(3));
        assert_eq!(edited.value.as_str(), "123");
        assert_eq!(edited.caret, 3);
        let edited = edit_cvc("12 34", 5, None);
        assert_eq!(edited.value.as_str(), "1234");
    }

    #[test]
    fn expiry_typed_without_slash_gets_one() {
        assert_eq!(expiry("1|", EditKind::Insert, 0), "1|");
        assert_eq!(expiry("12|", EditKind::Insert, 1), "12|");
        assert_eq!(expiry("123|", EditKind::Insert, 2), "12/3|");
        assert_eq!(expiry("12/30|", EditKind::Insert, 3), "12/30|");
    }

    #[test]
    fn expiry_typed_with_slash_keeps_it() {
        assert_eq!(expiry("12/|", EditKind::Insert, 2), "12/|");
        assert_eq!(expiry("12 / 30|", EditKind::Insert, 3), "12/30|");
        assert_eq!(expiry("１２／３０|", EditKind::Insert, 3), "12/30|");
    }

    #[test]
    fn expiry_ime_middle_dot_is_a_slash() {
        assert_eq!(expiry("１２・３０|", EditKind::Insert, 3), "12/30|");
        assert_eq!(expiry("12\u{FF65}|", EditKind::Insert, 2), "12/|");
        assert_eq!(expiry("1・|", EditKind::Insert, 1), "01/|");
        assert_eq!(expiry("１・３０|", EditKind::Insert, 2), "01/30|");
    }

    #[test]
    fn expiry_single_digit_month_is_padded() {
        assert_eq!(expiry("4|", EditKind::Insert, 0), "04|");
        assert_eq!(expiry("1/|", EditKind::Insert, 1), "01/|");
        assert_eq!(expiry("1/30|", EditKind::Insert, 3), "01/30|");
    }

    #[test]
    fn expiry_four_digit_year() {
        assert_eq!(expiry("12/2030|", EditKind::Insert, 5), "12/2030|");
        assert_eq!(expiry("1220301|", EditKind::Insert, 6), "12/2030|");
    }

    #[test]
    fn expiry_backspace_after_slash() {
        assert_eq!(expiry("12/|", EditKind::DeleteBackward, 3), "12/|");
        assert_eq!(expiry("12|", EditKind::DeleteBackward, 2), "1|");
        assert_eq!(expiry("12/|", EditKind::DeleteBackward, 2), "12/|");
    }

    #[test]
    fn expiry_edit_in_month_keeps_caret() {
        // No zero padding while deleting: the buyer is about to type the month's other digit.
        assert_eq!(expiry("1|/30", EditKind::DeleteBackward, 4), "1|/30");
        assert_eq!(expiry("1|/30", EditKind::Insert, 3), "01|/30");
        assert_eq!(expiry("11|/30", EditKind::Insert, 3), "11|/30");
    }

    #[test]
    fn edit_kind_from_input_type() {
        assert_eq!(EditKind::from_input_type("insertText"), EditKind::Insert);
        assert_eq!(
            EditKind::from_input_type("insertFromPaste"),
            EditKind::Insert
        );
        assert_eq!(
            EditKind::from_input_type("insertCompositionText"),
            EditKind::Insert
        );
        assert_eq!(
            EditKind::from_input_type("deleteContentBackward"),
            EditKind::DeleteBackward
        );
        assert_eq!(
            EditKind::from_input_type("deleteWordBackward"),
            EditKind::DeleteBackward
        );
        assert_eq!(
            EditKind::from_input_type("deleteContentForward"),
            EditKind::DeleteForward
        );
        assert_eq!(
            EditKind::from_input_type("deleteByCut"),
            EditKind::DeleteForward
        );
    }

    #[test]
    fn edited_debug_hides_value() {
        let edited = edit_number("4242424242424242", 16, EditKind::Insert, 15);
        let debug = format!("{edited:?}");
        assert!(!debug.contains("4242"), "{debug}");
    }
}
