//! Test card numbers built for the tests: Luhn-valid numbers of a given prefix and length.
//!
//! None of these numbers is a real card; they are generated here from issuer range edges.

#![allow(dead_code)] // each test target uses a different part of the helpers

/// Computes the Luhn check digit for `payload` (ASCII digits, without the check digit).
pub fn luhn_check_digit(payload: &str) -> char {
    // Digits are doubled from the rightmost payload digit, because the check digit that
    // follows takes the undoubled position.
    let mut sum = 0u32;
    for (index, byte) in payload.bytes().rev().enumerate() {
        let mut value = u32::from(byte - b'0');
        if index % 2 == 0 {
            value *= 2;
            if value > 9 {
                value -= 9;
            }
        }
        sum += value;
    }
    char::from(b'0' + ((10 - sum % 10) % 10) as u8)
}

/// Builds a Luhn-valid test number of `length` digits that starts with `prefix`, filling the
/// middle with a fixed pattern so that numbers differ between prefixes.
pub fn test_number(prefix: &str, length: usize) -> String {
    assert!(
        prefix.len() < length,
        "prefix {prefix} does not fit {length} digits"
    );
    let mut payload = prefix.to_owned();
    let mut filler = (0..10u8).cycle().skip(3);
    while payload.len() < length - 1 {
        payload.push(char::from(b'0' + filler.next().unwrap()));
    }
    let check = luhn_check_digit(&payload);
    payload.push(check);
    payload
}

/// Builds a test number like [`test_number`] whose check digit is wrong.
pub fn test_number_bad_check(prefix: &str, length: usize) -> String {
    let mut number = test_number(prefix, length);
    let check = number.pop().unwrap();
    let wrong = char::from(b'0' + (check as u8 - b'0' + 1) % 10);
    number.push(wrong);
    number
}

/// Pads `prefix` to `width` digits with `fill`.
pub fn pad(prefix: u32, width: usize, fill: char) -> String {
    let mut text = prefix.to_string();
    while text.len() < width {
        text.push(fill);
    }
    text
}

#[test]
fn helper_numbers_pass_luhn() {
    // Known-good public test numbers: the helper must reproduce their check digits.
    assert_eq!(luhn_check_digit("424242424242424"), '2');
    assert_eq!(luhn_check_digit("37828224631000"), '5');
    assert_eq!(luhn_check_digit("353011133330000"), '0');
    assert_eq!(test_number("4", 16).len(), 16);
    assert_ne!(test_number("4", 16), test_number_bad_check("4", 16));
}
