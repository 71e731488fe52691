//! Expiry dates, and the current month they are checked against.

use std::fmt;

use super::error::{CardError, CharKind};
use super::normalize::{CharClass, classify};

/// The furthest ahead an expiry date may lie, in months. Cards are issued for at most a few
/// years, so a date further out is a typing error (a wrong year, or digits in the wrong field).
pub const MAX_MONTHS_AHEAD: i32 = 20 * 12;

/// The earliest year [`YearMonth`] and [`Expiry`] represent.
const MIN_YEAR: u16 = 1000;

/// The latest year [`YearMonth`] and [`Expiry`] represent.
const MAX_YEAR: u16 = 9999;

/// Two-digit years are read as the year ending in those digits from 50 years before the current
/// year to 49 years after it.
const TWO_DIGIT_YEAR_PAST: u16 = 50;

const SECONDS_PER_DAY: u64 = 86_400;

/// The katakana middle dot and its half-width form. A Japanese IME in kana mode writes them for
/// the `/` key, so they separate month and year like a slash.
const IME_SLASHES: [char; 2] = ['\u{30FB}', '\u{FF65}'];

/// A calendar month: "today" for expiry checks, passed in by the caller so that parsing is
/// deterministic and testable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    // Field order makes the derived Ord chronological.
    year: u16,
    month: u8,
}

impl YearMonth {
    /// Creates a month from a four-digit year and a month from 1 to 12.
    pub fn new(year: u16, month: u8) -> Option<YearMonth> {
        let valid = (MIN_YEAR..=MAX_YEAR).contains(&year) && (1..=12).contains(&month);
        valid.then_some(YearMonth { year, month })
    }

    /// Returns the month of a Unix time in UTC; `None` past the year 9999.
    ///
    /// A card is valid through the last day of its expiry month in the issuer's time zone. To
    /// take "today" in another zone, add its UTC offset to `seconds` first (Japan: 9 hours).
    pub fn from_unix_seconds(seconds: u64) -> Option<YearMonth> {
        let mut days = seconds / SECONDS_PER_DAY;

        let mut year: u16 = 1970;
        loop {
            let year_days = if is_leap_year(year) { 366 } else { 365 };
            if days < year_days {
                break;
            }
            days -= year_days;
            year += 1;
            if year > MAX_YEAR {
                return None;
            }
        }

        let mut month: u8 = 1;
        loop {
            let month_days = u64::from(days_in_month(year, month));
            if days < month_days {
                break;
            }
            days -= month_days;
            month += 1;
        }

        YearMonth::new(year, month)
    }

    /// Returns the four-digit year.
    pub fn year(self) -> u16 {
        self.year
    }

    /// Returns the month, 1 to 12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// Counts months from the start of year 0, for differences between months.
    fn ordinal(self) -> i32 {
        i32::from(self.year) * 12 + i32::from(self.month) - 1
    }
}

fn is_leap_year(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The expiry date of a card: a month and a four-digit year. The card is valid through the last
/// day of that month.
///
/// Display writes it as printed on cards, `MM/YY`. An expiry date is not secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Expiry {
    year_month: YearMonth,
}

impl Expiry {
    /// Creates an expiry date from a four-digit year and a month, without checking it against
    /// today; use [`parse_expiry`] for input from a buyer.
    pub fn new(year: u16, month: u8) -> Result<Expiry, CardError> {
        if !(1..=12).contains(&month) {
            return Err(CardError::ExpiryInvalidMonth);
        }
        if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
            return Err(CardError::ExpiryInvalidYear);
        }
        Ok(Expiry {
            year_month: YearMonth { year, month },
        })
    }

    /// Returns the month, 1 to 12.
    pub fn month(self) -> u8 {
        self.year_month.month
    }

    /// Returns the four-digit year.
    pub fn year(self) -> u16 {
        self.year_month.year
    }

    /// Returns the expiry month as a [`YearMonth`].
    pub fn year_month(self) -> YearMonth {
        self.year_month
    }

    /// Tells whether the card has expired in the month `today`: it has once its expiry month
    /// is over.
    pub fn is_expired(self, today: YearMonth) -> bool {
        self.year_month < today
    }

    /// Checks the expiry date against `today`: not expired, and at most
    /// [`MAX_MONTHS_AHEAD`] months ahead.
    pub fn check_window(self, today: YearMonth) -> Result<(), CardError> {
        if self.is_expired(today) {
            return Err(CardError::ExpiryInPast);
        }
        if self.year_month.ordinal() - today.ordinal() > MAX_MONTHS_AHEAD {
            return Err(CardError::ExpiryTooFar);
        }
        Ok(())
    }
}

impl fmt::Display for Expiry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}/{:02}", self.month(), self.year() % 100)
    }
}

/// Parses an expiry date as typed and checks it against `today`.
///
/// Accepts `MM/YY`, `MM/YYYY`, `M/YY`, `M/YYYY`, `MMYY` and `MMYYYY`, with ASCII or full-width
/// digits and spaces anywhere. The slash may be ASCII or full-width, or the middle dot (`・`,
/// `･`) that a Japanese IME in kana mode writes for the `/` key. Without a slash, a space between
/// month and year works as the separator (`12 30`). A two-digit year is the year ending in those digits
/// closest to `today` within 50 years back and 49 ahead.
///
/// Rejects, in this order:
/// 1. characters other than digits, spaces and slashes,
/// 2. other forms,
/// 3. a month outside 1 to 12,
/// 4. a card that expired before `today`'s month,
/// 5. a date more than twenty years after `today`.
///
/// ```
/// use cardseal_core::card::{parse_expiry, YearMonth};
///
/// let today = YearMonth::new(2026, 5).unwrap();
/// let expiry = parse_expiry("０９／３０", today).unwrap();
/// assert_eq!((expiry.month(), expiry.year()), (9, 2030));
/// assert_eq!(parse_expiry("04/26", today).unwrap_err().code(), "expiry_in_past");
/// ```
pub fn parse_expiry(input: &str, today: YearMonth) -> Result<Expiry, CardError> {
    let (month, year) = split_expiry(input)?;

    let month = parse_small(month);
    if !(1..=12).contains(&month) {
        return Err(CardError::ExpiryInvalidMonth);
    }

    let year = match year.len() {
        2 => expand_two_digit_year(parse_small(year), today),
        _ => parse_small(year),
    };
    let expiry_ordinal = i32::from(year) * 12 + i32::from(month) - 1;
    if expiry_ordinal < today.ordinal() {
        return Err(CardError::ExpiryInPast);
    }
    if expiry_ordinal - today.ordinal() > MAX_MONTHS_AHEAD || year > MAX_YEAR {
        return Err(CardError::ExpiryTooFar);
    }

    // The year is at least today's, which YearMonth keeps within four digits.
    Expiry::new(year, month as u8)
}

/// Splits expiry input into its month and year digits, checking characters and form.
fn split_expiry(input: &str) -> Result<(String, String), CardError> {
    let mut groups: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut slash_after: Option<usize> = None;
    let mut slashes = 0;

    for c in input.chars() {
        let class = if IME_SLASHES.contains(&c) {
            CharClass::Slash
        } else {
            classify(c)
        };
        match class {
            CharClass::Digit(value) => current.push(char::from(b'0' + value)),
            CharClass::Space | CharClass::Invisible => end_group(&mut groups, &mut current),
            CharClass::Slash => {
                end_group(&mut groups, &mut current);
                slashes += 1;
                slash_after = Some(groups.len());
            }
            CharClass::Dash => return Err(CardError::ExpiryInvalidCharacter(CharKind::Symbol)),
            CharClass::Other(kind) => return Err(CardError::ExpiryInvalidCharacter(kind)),
        }
    }
    end_group(&mut groups, &mut current);

    if groups.is_empty() && slashes == 0 {
        return Err(CardError::ExpiryMissing);
    }
    let separated = match (slashes, groups.len()) {
        // A slash must stand between exactly one group on each side.
        (1, 2) if slash_after == Some(1) => true,
        (0, 2) => true,
        (0, 1) => false,
        _ => return Err(CardError::ExpiryInvalidFormat),
    };

    let (month, year) = if separated {
        let year = groups.pop().unwrap_or_default();
        let month = groups.pop().unwrap_or_default();
        (month, year)
    } else {
        let digits = groups.pop().unwrap_or_default();
        match digits.len() {
            // MMYY and MMYYYY; without a separator a one-digit month is ambiguous.
            4 | 6 => (digits[..2].to_owned(), digits[2..].to_owned()),
            _ => return Err(CardError::ExpiryInvalidFormat),
        }
    };

    let month_ok = matches!(month.len(), 1 | 2);
    let year_ok = matches!(year.len(), 2 | 4);
    if !(month_ok && year_ok) {
        return Err(CardError::ExpiryInvalidFormat);
    }
    Ok((month, year))
}

fn end_group(groups: &mut Vec<String>, current: &mut String) {
    if !current.is_empty() {
        groups.push(std::mem::take(current));
    }
}

/// Reads at most four ASCII digits.
fn parse_small(digits: String) -> u16 {
    digits
        .bytes()
        .fold(0, |value, byte| value * 10 + u16::from(byte - b'0'))
}

/// Picks the year ending in `two_digits` within the window around `today`'s year.
fn expand_two_digit_year(two_digits: u16, today: YearMonth) -> u16 {
    let first = today.year - TWO_DIGIT_YEAR_PAST;
    first + (two_digits + 100 - first % 100) % 100
}

#[cfg(test)]
mod tests {
    use super::*;

    fn may_2026() -> YearMonth {
        YearMonth::new(2026, 5).unwrap()
    }

    fn parse(input: &str) -> Result<(u8, u16), CardError> {
        parse_expiry(input, may_2026()).map(|expiry| (expiry.month(), expiry.year()))
    }

    #[test]
    fn accepted_forms() {
        let cases = [
            ("12/30", (12, 2030)),
            ("12/2030", (12, 2030)),
            ("1/30", (1, 2030)),
            ("1/2030", (1, 2030)),
            ("01/30", (1, 2030)),
            ("1230", (12, 2030)),
            ("122030", (12, 2030)),
            ("12 / 30", (12, 2030)),
            (" 12/ 30 ", (12, 2030)),
            ("12 30", (12, 2030)),
            ("１２／３０", (12, 2030)),
            ("１２\u{3000}／\u{3000}２０３０", (12, 2030)),
            ("05/26", (5, 2026)),
            ("１２・３０", (12, 2030)),
            ("12\u{FF65}30", (12, 2030)),
            ("１ ・ ２０３０", (1, 2030)),
        ];
        for (input, expected) in cases {
            assert_eq!(parse(input), Ok(expected), "input {input:?}");
        }
    }

    #[test]
    fn rejected_forms() {
        let cases = [
            ("", CardError::ExpiryMissing),
            ("  ", CardError::ExpiryMissing),
            ("/", CardError::ExpiryInvalidFormat),
            ("12/", CardError::ExpiryInvalidFormat),
            ("/30", CardError::ExpiryInvalidFormat),
            ("12//30", CardError::ExpiryInvalidFormat),
            ("1/2/30", CardError::ExpiryInvalidFormat),
            ("1 2/30", CardError::ExpiryInvalidFormat),
            ("130", CardError::ExpiryInvalidFormat),
            ("12/3", CardError::ExpiryInvalidFormat),
            ("12/203", CardError::ExpiryInvalidFormat),
            ("123/30", CardError::ExpiryInvalidFormat),
            ("12030", CardError::ExpiryInvalidFormat),
            ("1 2 30", CardError::ExpiryInvalidFormat),
            ("12-30", CardError::ExpiryInvalidCharacter(CharKind::Symbol)),
            ("12.30", CardError::ExpiryInvalidCharacter(CharKind::Symbol)),
            ("12・・30", CardError::ExpiryInvalidFormat),
            ("12/・30", CardError::ExpiryInvalidFormat),
            ("・30", CardError::ExpiryInvalidFormat),
            (
                "12ー30",
                CardError::ExpiryInvalidCharacter(CharKind::Symbol),
            ),
            ("12カ30", CardError::ExpiryInvalidCharacter(CharKind::Kana)),
            ("12月30", CardError::ExpiryInvalidCharacter(CharKind::Kanji)),
            ("ab/cd", CardError::ExpiryInvalidCharacter(CharKind::Letter)),
            ("00/30", CardError::ExpiryInvalidMonth),
            ("0/30", CardError::ExpiryInvalidMonth),
            ("13/30", CardError::ExpiryInvalidMonth),
            ("1330", CardError::ExpiryInvalidMonth),
        ];
        for (input, error) in cases {
            assert_eq!(parse(input), Err(error), "input {input:?}");
        }
    }

    #[test]
    fn valid_through_last_day_of_month() {
        assert_eq!(parse("05/26"), Ok((5, 2026)));
        assert_eq!(parse("04/26"), Err(CardError::ExpiryInPast));
        assert_eq!(parse("12/25"), Err(CardError::ExpiryInPast));
        let expiry = Expiry::new(2026, 5).unwrap();
        assert!(!expiry.is_expired(may_2026()));
        assert!(expiry.is_expired(YearMonth::new(2026, 6).unwrap()));
    }

    #[test]
    fn twenty_years_ahead_is_the_limit() {
        assert_eq!(parse("05/46"), Ok((5, 2046)));
        assert_eq!(parse("06/46"), Err(CardError::ExpiryTooFar));
        assert_eq!(parse("05/2046"), Ok((5, 2046)));
        assert_eq!(parse("06/2046"), Err(CardError::ExpiryTooFar));
        assert_eq!(parse("01/9999"), Err(CardError::ExpiryTooFar));
    }

    #[test]
    fn two_digit_year_window() {
        let today = may_2026();
        assert_eq!(expand_two_digit_year(30, today), 2030);
        assert_eq!(expand_two_digit_year(75, today), 2075);
        assert_eq!(expand_two_digit_year(76, today), 1976);
        assert_eq!(expand_two_digit_year(99, today), 1999);
        assert_eq!(expand_two_digit_year(0, today), 2000);
        assert_eq!(parse("12/99"), Err(CardError::ExpiryInPast));
        assert_eq!(parse("12/75"), Err(CardError::ExpiryTooFar));

        let late_century = YearMonth::new(2095, 1).unwrap();
        assert_eq!(expand_two_digit_year(3, late_century), 2103);
        assert_eq!(parse_expiry("03/03", late_century).unwrap().year(), 2103);
    }

    #[test]
    fn year_month_from_unix_seconds() {
        let cases = [
            (0, (1970, 1)),
            (2_678_399, (1970, 1)),      // 1970-01-31T23:59:59Z
            (2_678_400, (1970, 2)),      // 1970-02-01T00:00:00Z
            (951_782_400, (2000, 2)),    // 2000-02-29T00:00:00Z, a leap day in a 400-year
            (951_868_800, (2000, 3)),    // 2000-03-01T00:00:00Z
            (1_798_761_599, (2026, 12)), // 2026-12-31T23:59:59Z
            (1_798_761_600, (2027, 1)),  // 2027-01-01T00:00:00Z
            (4_107_542_400, (2100, 3)),  // 2100-03-01T00:00:00Z, 2100 is not a leap year
        ];
        for (seconds, (year, month)) in cases {
            assert_eq!(
                YearMonth::from_unix_seconds(seconds),
                YearMonth::new(year, month),
                "seconds {seconds}"
            );
        }
        assert_eq!(YearMonth::from_unix_seconds(u64::MAX), None);
    }

    #[test]
    fn expiry_new_checks_ranges() {
        assert_eq!(Expiry::new(2030, 0), Err(CardError::ExpiryInvalidMonth));
        assert_eq!(Expiry::new(2030, 13), Err(CardError::ExpiryInvalidMonth));
        assert_eq!(Expiry::new(30, 12), Err(CardError::ExpiryInvalidYear));
        assert_eq!(Expiry::new(2030, 12).unwrap().to_string(), "12/30");
    }

    #[test]
    fn year_month_new_checks_ranges() {
        assert!(YearMonth::new(2026, 0).is_none());
        assert!(YearMonth::new(2026, 13).is_none());
        assert!(YearMonth::new(999, 1).is_none());
        assert!(YearMonth::new(2026, 12).is_some());
    }
}
