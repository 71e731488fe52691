//! Card brands, their issuer ranges and lengths, and brand-aware grouping for display.

use std::fmt;

/// A card brand (payment scheme) that cardseal accepts.
///
/// # Issuer ranges
///
/// The leading digits of a card number (the issuer identification number, ISO/IEC 7812-1) tell
/// the scheme. cardseal recognises these ranges, taken from the ranges the schemes publish to
/// merchants and acquirers:
///
/// | brand | ranges | lengths | Luhn |
/// |---|---|---|---|
/// | Visa | 4 | 13, 16, 19 | required |
/// | Mastercard | 51-55, 2221-2720 | 16 | required |
/// | American Express | 34, 37 | 15 | required |
/// | JCB | 3528-3589 | 16-19 | required |
/// | Diners Club | 300-305, 3095, 36, 38-39 | 14-19 | required |
/// | Discover | 6011, 644-649, 65 | 16-19 | required |
/// | UnionPay | 62, 81 | 16-19 | not required |
/// | Maestro | 50, 56-58, 67 | 12-19 | required |
/// | Mir | 2200-2204 | 16-19 | required |
///
/// The table has no overlaps (a unit test checks it). Where schemes' published ranges do
/// overlap, cardseal decides as follows:
///
/// - Mir (2200-2204) lies outside Mastercard's 2-series (2221-2720), so a Mir number is never
///   Mastercard; 2205-2220 belongs to neither and is rejected.
/// - 622126-622925 is in Discover's acceptance table because Discover's network accepts those
///   UnionPay cards under a reciprocal agreement. The cards are issued under UnionPay's rules and
///   carry the UnionPay mark, so cardseal calls the whole of 62 UnionPay. 65 stays Discover.
/// - Maestro is listed with 50 and 56-69, a space it shares with Discover, UnionPay and smaller
///   schemes. cardseal takes 50, 56-58 and 67, which hold Maestro's well-known ranges (5018,
///   5020, 5038, 5893, 6759, 6761-6763), and leaves the rest of the 6-series unknown rather than
///   guessing.
/// - Domestic schemes that share these ranges are not distinguished. Their numbers get the brand
///   of the range they lie in.
///
/// # Luhn and UnionPay
///
/// Every brand but UnionPay requires the Luhn check digit. Some UnionPay issuers have issued
/// numbers without a valid Luhn check digit, which is why processors and card validation
/// libraries exempt UnionPay from the check. Rejecting those numbers would turn away real
/// buyers. cardseal skips the check for UnionPay numbers of every length, so a mistyped UnionPay
/// number reaches authorization, where the issuer declines it.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Brand {
    /// Visa.
    Visa,
    /// Mastercard.
    Mastercard,
    /// American Express.
    Amex,
    /// JCB.
    Jcb,
    /// Diners Club International.
    DinersClub,
    /// Discover.
    Discover,
    /// UnionPay.
    UnionPay,
    /// Maestro.
    Maestro,
    /// Mir.
    Mir,
}

/// The minimum card number length any brand issues (Maestro).
pub const MIN_NUMBER_LENGTH: usize = 12;

/// The maximum card number length ISO/IEC 7812-1 allows.
pub const MAX_NUMBER_LENGTH: usize = 19;

/// Security code length printed on American Express cards (the four-digit CID).
const AMEX_CVC_LENGTH: u8 = 4;

/// Security code length of every other brand.
const DEFAULT_CVC_LENGTH: u8 = 3;

impl Brand {
    /// Every brand, in the order of the contract's enum.
    pub const ALL: [Brand; 9] = [
        Brand::Visa,
        Brand::Mastercard,
        Brand::Amex,
        Brand::Jcb,
        Brand::DinersClub,
        Brand::Discover,
        Brand::UnionPay,
        Brand::Maestro,
        Brand::Mir,
    ];

    /// Returns the stable lower-case code of the brand, used in envelopes and APIs.
    pub fn code(self) -> &'static str {
        match self {
            Brand::Visa => "visa",
            Brand::Mastercard => "mastercard",
            Brand::Amex => "amex",
            Brand::Jcb => "jcb",
            Brand::DinersClub => "diners",
            Brand::Discover => "discover",
            Brand::UnionPay => "unionpay",
            Brand::Maestro => "maestro",
            Brand::Mir => "mir",
        }
    }

    /// Returns the brand whose [`code`](Brand::code) is `code`.
    pub fn from_code(code: &str) -> Option<Brand> {
        Brand::ALL.into_iter().find(|brand| brand.code() == code)
    }

    /// Returns the brand's name as the scheme writes it.
    pub fn name(self) -> &'static str {
        match self {
            Brand::Visa => "Visa",
            Brand::Mastercard => "Mastercard",
            Brand::Amex => "American Express",
            Brand::Jcb => "JCB",
            Brand::DinersClub => "Diners Club",
            Brand::Discover => "Discover",
            Brand::UnionPay => "UnionPay",
            Brand::Maestro => "Maestro",
            Brand::Mir => "Mir",
        }
    }

    /// Returns the card number lengths the brand issues, in ascending order.
    pub fn lengths(self) -> &'static [u8] {
        match self {
            Brand::Visa => &[13, 16, 19],
            Brand::Mastercard => &[16],
            Brand::Amex => &[15],
            Brand::Jcb | Brand::Discover | Brand::UnionPay | Brand::Mir => &[16, 17, 18, 19],
            Brand::DinersClub => &[14, 15, 16, 17, 18, 19],
            Brand::Maestro => &[12, 13, 14, 15, 16, 17, 18, 19],
        }
    }

    /// Returns the shortest card number length of the brand.
    pub fn min_length(self) -> u8 {
        self.lengths()[0]
    }

    /// Returns the longest card number length of the brand; the card form stops input there.
    pub fn max_length(self) -> u8 {
        self.lengths()[self.lengths().len() - 1]
    }

    /// Returns the number of digits of the brand's security code.
    pub fn cvc_length(self) -> u8 {
        match self {
            Brand::Amex => AMEX_CVC_LENGTH,
            _ => DEFAULT_CVC_LENGTH,
        }
    }

    /// Tells whether numbers of this brand must pass the Luhn check (see the module docs).
    pub fn requires_luhn(self) -> bool {
        !matches!(self, Brand::UnionPay)
    }

    /// Returns the digit groups the brand prints, for numbers up to the groups' total length;
    /// `None` means groups of four.
    fn groups(self) -> Option<&'static [usize]> {
        match self {
            Brand::Amex => Some(&[4, 6, 5]),
            // 14-digit Diners cards print 4-6-4; longer Diners numbers print groups of four.
            Brand::DinersClub => Some(&[4, 6, 4]),
            _ => None,
        }
    }
}

impl fmt::Display for Brand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An issuer range: every number whose first `digits` digits, read as an integer, lie in
/// `first..=last` belongs to `brand`.
struct IssuerRange {
    first: u32,
    last: u32,
    digits: u32,
    brand: Brand,
}

const fn range(first: u32, last: u32, digits: u32, brand: Brand) -> IssuerRange {
    IssuerRange {
        first,
        last,
        digits,
        brand,
    }
}

/// The issuer ranges of the module table. Ranges never overlap.
const ISSUER_RANGES: &[IssuerRange] = &[
    range(4, 4, 1, Brand::Visa),
    range(51, 55, 2, Brand::Mastercard),
    range(2221, 2720, 4, Brand::Mastercard),
    range(34, 34, 2, Brand::Amex),
    range(37, 37, 2, Brand::Amex),
    range(3528, 3589, 4, Brand::Jcb),
    range(300, 305, 3, Brand::DinersClub),
    range(3095, 3095, 4, Brand::DinersClub),
    range(36, 36, 2, Brand::DinersClub),
    range(38, 39, 2, Brand::DinersClub),
    range(6011, 6011, 4, Brand::Discover),
    range(644, 649, 3, Brand::Discover),
    range(65, 65, 2, Brand::Discover),
    range(62, 62, 2, Brand::UnionPay),
    range(81, 81, 2, Brand::UnionPay),
    range(50, 50, 2, Brand::Maestro),
    range(56, 58, 2, Brand::Maestro),
    range(67, 67, 2, Brand::Maestro),
    range(2200, 2204, 4, Brand::Mir),
];

/// The maximum number of leading digits that an issuer range compares.
const MAX_RANGE_DIGITS: usize = 4;

/// The brands that a number starting with given digits may belong to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BrandMatch {
    /// Exactly one brand has ranges that numbers starting with these digits can fall in.
    One(Brand),
    /// Several brands are still possible; more digits are needed.
    Ambiguous,
    /// No brand issues numbers that start with these digits.
    Unknown,
}

/// Tells which brands issue numbers that start with `digits` (ASCII digits only).
pub(crate) fn match_brand(digits: &str) -> BrandMatch {
    let prefix = leading_value(digits);
    let mut found: Option<Brand> = None;

    for range in ISSUER_RANGES {
        if !range_admits(range, prefix) {
            continue;
        }
        match found {
            None => found = Some(range.brand),
            Some(brand) if brand == range.brand => {}
            Some(_) => return BrandMatch::Ambiguous,
        }
    }

    match found {
        Some(brand) => BrandMatch::One(brand),
        None => BrandMatch::Unknown,
    }
}

/// The first digits of a number: their value and how many there are (at most
/// [`MAX_RANGE_DIGITS`]).
#[derive(Clone, Copy)]
struct Prefix {
    value: u32,
    digits: u32,
}

fn leading_value(digits: &str) -> Prefix {
    let mut value = 0;
    let mut count = 0;
    for byte in digits.bytes().take(MAX_RANGE_DIGITS) {
        value = value * 10 + u32::from(byte - b'0');
        count += 1;
    }
    Prefix {
        value,
        digits: count,
    }
}

/// Tells whether some number starting with `prefix` falls in `range`. When the prefix is
/// shorter than the range's digits, its completions span `prefix * 10^k ..= prefix * 10^k +
/// 10^k - 1`, and the range admits the prefix if the two intervals meet.
fn range_admits(range: &IssuerRange, prefix: Prefix) -> bool {
    if prefix.digits >= range.digits {
        let head = prefix.value / 10u32.pow(prefix.digits - range.digits);
        return (range.first..=range.last).contains(&head);
    }

    let scale = 10u32.pow(range.digits - prefix.digits);
    let lowest = prefix.value * scale;
    let highest = lowest + scale - 1;
    lowest <= range.last && highest >= range.first
}

/// Detects the brand from the leading digits of a card number, complete or partly typed.
///
/// Returns a brand as soon as the digits so far can only belong to that brand, so the card form
/// can show it while the buyer types. For example `"4"` is Visa and `"35"` is JCB, but `"2"`
/// is `None` (Mir or Mastercard) until `"220"` or `"222"`. Returns `None` for input with anything but ASCII
/// digits; normalize with [`normalize_number`](super::normalize_number) first.
///
/// Once a brand is detected, more digits either keep it or turn the result to `None` when they
/// leave every range of that brand. They never switch to another brand.
///
/// ```
/// use cardseal_core::card::{detect_brand, Brand};
///
/// assert_eq!(detect_brand("3530"), Some(Brand::Jcb));
/// assert_eq!(detect_brand("2204"), Some(Brand::Mir));
/// assert_eq!(detect_brand("2221"), Some(Brand::Mastercard));
/// assert_eq!(detect_brand("5"), None);
/// ```
pub fn detect_brand(digits: &str) -> Option<Brand> {
    if !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    match match_brand(digits) {
        BrandMatch::One(brand) => Some(brand),
        BrandMatch::Ambiguous | BrandMatch::Unknown => None,
    }
}

/// Groups the digits of a card number for display, with single spaces between groups.
///
/// American Express numbers group 4-6-5, 14-digit Diners Club numbers 4-6-4, and all others
/// in fours (a 19-digit number as 4-4-4-4-3). Works on partial input, grouping by the brand
/// detected so far. Characters other than ASCII digits are dropped, so the result always contains
/// exactly the input's digits. Longer input than the brand's pattern falls back to fours.
///
/// ```
/// use cardseal_core::card::format_number;
///
/// assert_eq!(format_number("378282246310005"), "3782 822463 10005");
/// assert_eq!(format_number("36227206271667"), "3622 720627 1667");
/// assert_eq!(format_number("35301113"), "3530 1113");
/// ```
pub fn format_number(digits: &str) -> String {
    const FOURS: [usize; 5] = [4, 4, 4, 4, 4];

    let digits: Vec<u8> = digits.bytes().filter(u8::is_ascii_digit).collect();
    let length = digits.len();
    let pattern = detect_brand_bytes(&digits)
        .and_then(Brand::groups)
        .filter(|groups| length <= groups.iter().sum())
        .unwrap_or(&FOURS);

    let mut formatted = String::with_capacity(length + length / 4 + 1);
    let mut rest = digits.as_slice();
    let mut groups = pattern.iter().copied().chain(std::iter::repeat(4));
    while !rest.is_empty() {
        // The chain with an endless run of fours never ends, so `next` always has a value.
        let size = groups.next().unwrap_or(4).min(rest.len());
        if !formatted.is_empty() {
            formatted.push(' ');
        }
        formatted.extend(rest[..size].iter().map(|&byte| char::from(byte)));
        rest = &rest[size..];
    }

    formatted
}

fn detect_brand_bytes(digits: &[u8]) -> Option<Brand> {
    // `digits` holds only ASCII digits, so it is valid UTF-8.
    std::str::from_utf8(digits).ok().and_then(detect_brand)
}

/// Tells whether `digits` (ASCII digits) pass the Luhn (mod 10) check of ISO/IEC 7812-1 annex B.
pub(crate) fn luhn_valid(digits: &str) -> bool {
    let mut sum = 0u32;
    for (index, byte) in digits.bytes().rev().enumerate() {
        let mut value = u32::from(byte - b'0');
        if index % 2 == 1 {
            value *= 2;
            if value > 9 {
                value -= 9;
            }
        }
        sum += value;
    }
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuer_ranges_do_not_overlap() {
        // Compare every pair at six digits, where each range is an interval of integers.
        let widen = |range: &IssuerRange| {
            let scale = 10u32.pow(6 - range.digits);
            (range.first * scale, range.last * scale + scale - 1)
        };
        for (i, a) in ISSUER_RANGES.iter().enumerate() {
            for b in &ISSUER_RANGES[i + 1..] {
                let (a_first, a_last) = widen(a);
                let (b_first, b_last) = widen(b);
                assert!(
                    a_last < b_first || b_last < a_first,
                    "{:?} {}-{} overlaps {:?} {}-{}",
                    a.brand,
                    a.first,
                    a.last,
                    b.brand,
                    b.first,
                    b.last
                );
            }
        }
    }

    #[test]
    fn ranges_fit_in_max_range_digits() {
        for range in ISSUER_RANGES {
            assert!(range.digits as usize <= MAX_RANGE_DIGITS);
            assert!(range.first <= range.last);
            assert!(range.first >= 10u32.pow(range.digits - 1));
            assert!(range.last < 10u32.pow(range.digits));
        }
    }

    #[test]
    fn brand_lengths_stay_within_iso_limits() {
        for brand in Brand::ALL {
            let lengths = brand.lengths();
            assert!(
                lengths.windows(2).all(|pair| pair[0] < pair[1]),
                "{brand:?}"
            );
            assert!(
                usize::from(brand.min_length()) >= MIN_NUMBER_LENGTH,
                "{brand:?}"
            );
            assert!(
                usize::from(brand.max_length()) <= MAX_NUMBER_LENGTH,
                "{brand:?}"
            );
        }
    }

    #[test]
    fn codes_round_trip() {
        for brand in Brand::ALL {
            assert_eq!(Brand::from_code(brand.code()), Some(brand));
        }
        assert_eq!(Brand::from_code("Visa"), None);
    }

    #[test]
    fn partial_prefixes() {
        let cases = [
            ("", None),
            ("2", None),
            ("22", None),
            ("220", Some(Brand::Mir)),
            ("2205", None),
            ("222", Some(Brand::Mastercard)),
            ("27", Some(Brand::Mastercard)),
            ("272", Some(Brand::Mastercard)),
            ("2721", None),
            ("3", None),
            ("30", Some(Brand::DinersClub)),
            ("306", None),
            ("309", Some(Brand::DinersClub)),
            ("3096", None),
            ("35", Some(Brand::Jcb)),
            ("352", Some(Brand::Jcb)),
            ("3527", None),
            ("5", None),
            ("50", Some(Brand::Maestro)),
            ("6", None),
            ("60", Some(Brand::Discover)),
            ("601", Some(Brand::Discover)),
            ("6012", None),
            ("62", Some(Brand::UnionPay)),
            ("64", Some(Brand::Discover)),
            ("643", None),
            ("8", Some(Brand::UnionPay)),
            ("82", None),
            ("1", None),
            ("9", None),
        ];
        for (digits, expected) in cases {
            assert_eq!(detect_brand(digits), expected, "prefix {digits:?}");
        }
    }

    #[test]
    fn non_digits_detect_nothing() {
        assert_eq!(detect_brand("4 242"), None);
        assert_eq!(detect_brand("４"), None);
    }

    #[test]
    fn luhn_known_values() {
        assert!(luhn_valid("79927398713"));
        assert!(!luhn_valid("79927398710"));
        assert!(luhn_valid("4111111111111111"));
        assert!(!luhn_valid("4111111111111112"));
        assert!(luhn_valid("0"));
    }

    #[test]
    fn format_groups() {
        let cases = [
            ("", ""),
            ("4", "4"),
            ("4242", "4242"),
            ("42424", "4242 4"),
            ("4242424242424242", "4242 4242 4242 4242"),
            ("4242424242424242424", "4242 4242 4242 4242 424"),
            ("3782", "3782"),
            ("37828", "3782 8"),
            ("3782822463", "3782 822463"),
            ("37828224631", "3782 822463 1"),
            ("378282246310005", "3782 822463 10005"),
            ("3782822463100052", "3782 8224 6310 0052"),
            ("3622720627", "3622 720627"),
            ("36227206271667", "3622 720627 1667"),
            ("362272062716671", "3622 7206 2716 671"),
            ("6212345678900000003", "6212 3456 7890 0000 003"),
        ];
        for (digits, expected) in cases {
            assert_eq!(format_number(digits), expected, "digits {digits:?}");
        }
    }

    #[test]
    fn format_drops_non_digits() {
        assert_eq!(format_number("4242-4242 ４"), "4242 4242");
    }
}
