//! Card authorization: the [`Acquirer`] trait and the simulated acquirer.
//!
//! # Simulated acquirer test cards
//!
//! The simulated acquirer decides by card number. A test card number is a brand prefix, zeros,
//! a two-digit outcome code and the Luhn check digit:
//!
//! | outcome code | outcome |
//! |---|---|
//! | `00` | approved |
//! | `01` | declined, `card_declined` |
//! | `02` | declined, `insufficient_funds` |
//! | `03` | declined, `expired_card` |
//! | `04` | declined, `processing_error` |
//! | `05` | approved after a slow response (`--simulated-slow-ms`) |
//!
//! | brand | prefix | approved | declined | insufficient funds | expired card | processing error | slow |
//! |---|---|---|---|---|---|---|---|
//! | Visa | `4560000000000` | 4560000000000004 | 4560000000000012 | 4560000000000020 | 4560000000000038 | 4560000000000046 | 4560000000000053 |
//! | JCB | `3560000000000` | 3560000000000006 | 3560000000000014 | 3560000000000022 | 3560000000000030 | 3560000000000048 | 3560000000000055 |
//! | Mastercard | `5560000000000` | 5560000000000001 | 5560000000000019 | 5560000000000027 | 5560000000000035 | 5560000000000043 | 5560000000000050 |
//! | American Express | `376000000000` | 376000000000006 | 376000000000014 | 376000000000022 | 376000000000030 | 376000000000048 | 376000000000055 |
//! | Diners Club (14 digits) | `36600000000` | 36600000000005 | 36600000000013 | 36600000000021 | 36600000000039 | 36600000000047 | 36600000000054 |
//!
//! Any other valid card number is approved. Any expiry in the future and any CVC are accepted.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use cardseal_core::card::Card;

/// Reason an acquirer declined a payment. The codes are part of the HTTP API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeclineReason {
    CardDeclined,
    InsufficientFunds,
    ExpiredCard,
    ProcessingError,
}

impl DeclineReason {
    pub fn code(self) -> &'static str {
        match self {
            DeclineReason::CardDeclined => "card_declined",
            DeclineReason::InsufficientFunds => "insufficient_funds",
            DeclineReason::ExpiredCard => "expired_card",
            DeclineReason::ProcessingError => "processing_error",
        }
    }
}

/// An acquirer's response to an authorization request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authorization {
    Approved { authorization_code: String },
    Declined(DeclineReason),
}

/// Failures to get a response from the acquirer. The payment is then declined with
/// `processing_error`.
#[derive(Debug)]
#[non_exhaustive]
pub enum AcquirerError {
    Unavailable(String),
}

impl fmt::Display for AcquirerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AcquirerError::Unavailable(reason) => write!(f, "acquirer unavailable: {reason}"),
        }
    }
}

impl std::error::Error for AcquirerError {}

/// Authorization request sent to the acquirer.
pub struct AuthorizationRequest<'a> {
    pub payment_id: &'a str,
    pub amount: u64,
    pub currency: &'a str,
    pub card: &'a Card,
}

/// Authorizes card payments.
#[async_trait]
pub trait Acquirer: Send + Sync + 'static {
    /// Short name for logs and metrics.
    fn name(&self) -> &'static str;

    async fn authorize(
        &self,
        request: &AuthorizationRequest<'_>,
    ) -> Result<Authorization, AcquirerError>;
}

/// Test card prefixes of the simulated acquirer; the rest of the number is the outcome code and
/// the check digit.
const TEST_PREFIXES: [&str; 5] = [
    "4560000000000",
    "3560000000000",
    "5560000000000",
    "376000000000",
    "36600000000",
];

/// Outcome the simulated acquirer picks for a card number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimulatedOutcome {
    Approved,
    Declined(DeclineReason),
    SlowApproved,
}

/// Picks the simulated outcome for card digits (see the table in the module docs).
pub fn simulated_outcome(digits: &str) -> SimulatedOutcome {
    let code = TEST_PREFIXES.iter().find_map(|prefix| {
        let rest = digits.strip_prefix(prefix)?;
        (rest.len() == 3).then(|| &rest[..2])
    });
    match code {
        Some("01") => SimulatedOutcome::Declined(DeclineReason::CardDeclined),
        Some("02") => SimulatedOutcome::Declined(DeclineReason::InsufficientFunds),
        Some("03") => SimulatedOutcome::Declined(DeclineReason::ExpiredCard),
        Some("04") => SimulatedOutcome::Declined(DeclineReason::ProcessingError),
        Some("05") => SimulatedOutcome::SlowApproved,
        _ => SimulatedOutcome::Approved,
    }
}

/// The simulated acquirer: no network, outcomes chosen by test card numbers.
#[derive(Debug, Clone)]
pub struct SimulatedAcquirer {
    slow_response: Duration,
}

impl SimulatedAcquirer {
    /// Makes a simulated acquirer whose slow test cards respond after `slow_response`.
    pub fn new(slow_response: Duration) -> Self {
        SimulatedAcquirer { slow_response }
    }
}

#[async_trait]
impl Acquirer for SimulatedAcquirer {
    fn name(&self) -> &'static str {
        "simulated"
    }

    async fn authorize(
        &self,
        request: &AuthorizationRequest<'_>,
    ) -> Result<Authorization, AcquirerError> {
        let outcome = simulated_outcome(request.card.number().expose_digits());
        if outcome == SimulatedOutcome::SlowApproved {
            tokio::time::sleep(self.slow_response).await;
        }

        match outcome {
            SimulatedOutcome::Approved | SimulatedOutcome::SlowApproved => {
                // A six-character code like real acquirers return; derived from the payment id so
                // it is stable for one payment.
                let code: String = request
                    .payment_id
                    .chars()
                    .rev()
                    .take(6)
                    .collect::<String>()
                    .to_ascii_uppercase();
                Ok(Authorization::Approved {
                    authorization_code: format!("SIM{code}"),
                })
            }
            SimulatedOutcome::Declined(reason) => Ok(Authorization::Declined(reason)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn luhn_valid(digits: &str) -> bool {
        let sum: u32 = digits
            .bytes()
            .rev()
            .enumerate()
            .map(|(i, b)| {
                let d = u32::from(b - b'0');
                if i % 2 == 1 {
                    let doubled = d * 2;
                    if doubled > 9 { doubled - 9 } else { doubled }
                } else {
                    d
                }
            })
            .sum();
        sum.is_multiple_of(10)
    }

    const TABLE: [(&str, SimulatedOutcome); 10] = [
        ("4560000000000004", SimulatedOutcome::Approved),
        ("3560000000000006", SimulatedOutcome::Approved),
        ("5560000000000001", SimulatedOutcome::Approved),
        ("376000000000006", SimulatedOutcome::Approved),
        ("36600000000005", SimulatedOutcome::Approved),
        (
            "3560000000000014",
            SimulatedOutcome::Declined(DeclineReason::CardDeclined),
        ),
        (
            "3560000000000022",
            SimulatedOutcome::Declined(DeclineReason::InsufficientFunds),
        ),
        (
            "4560000000000038",
            SimulatedOutcome::Declined(DeclineReason::ExpiredCard),
        ),
        (
            "376000000000048",
            SimulatedOutcome::Declined(DeclineReason::ProcessingError),
        ),
        ("36600000000054", SimulatedOutcome::SlowApproved),
    ];

    #[test]
    fn documented_cards_give_documented_outcomes() {
        for (number, outcome) in TABLE {
            assert!(luhn_valid(number), "{number} fails the Luhn check");
            assert_eq!(simulated_outcome(number), outcome, "outcome of {number}");
        }
    }

    #[test]
    fn every_prefix_and_code_works() {
        for prefix in TEST_PREFIXES {
            let expected = [
                ("00", SimulatedOutcome::Approved),
                (
                    "01",
                    SimulatedOutcome::Declined(DeclineReason::CardDeclined),
                ),
                (
                    "02",
                    SimulatedOutcome::Declined(DeclineReason::InsufficientFunds),
                ),
                ("03", SimulatedOutcome::Declined(DeclineReason::ExpiredCard)),
                (
                    "04",
                    SimulatedOutcome::Declined(DeclineReason::ProcessingError),
                ),
                ("05", SimulatedOutcome::SlowApproved),
            ];
            for (code, outcome) in expected {
                let base = format!("{prefix}{code}");
                let valid: Vec<String> = (0..10)
                    .map(|check| format!("{base}{check}"))
                    .filter(|n| luhn_valid(n))
                    .collect();
                assert_eq!(valid.len(), 1, "one check digit completes {base}");
                assert_eq!(
                    simulated_outcome(&valid[0]),
                    outcome,
                    "outcome of {}",
                    valid[0]
                );
            }
        }
    }

    #[test]
    fn other_numbers_are_approved() {
        assert_eq!(
            simulated_outcome("4111111111111111"),
            SimulatedOutcome::Approved
        );
        assert_eq!(
            simulated_outcome("45600000000000123"),
            SimulatedOutcome::Approved
        );
    }
}
