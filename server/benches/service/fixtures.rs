//! Payments prepared before a timed phase: one checkout session per payment, created through
//! the API, and one envelope per session, sealed natively with cardseal-core.
//!
//! Each payment has its own card number (Visa test range, Luhn-valid, outside the simulated
//! acquirer's outcome prefixes, so every one is approved), as real traffic has.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use cardseal_core::card::{Card, CardInput, YearMonth};
use cardseal_core::envelope::{self, Binding};
use cardseal_core::key::PublicKey;

use crate::http::{self, Connection};

/// Connections used to create sessions; the service takes them as fast as two cores allow.
const SESSION_CONNECTIONS: usize = 4;
/// Threads sealing envelopes (public-key RSA, cheap next to opening).
const SEAL_THREADS: usize = 2;
/// First digits of the benchmark's card numbers: a Visa test range the simulated acquirer
/// approves.
const CARD_PREFIX: &str = "4000";
/// Years from now to the test cards' expiry.
const EXPIRY_YEARS_AHEAD: u16 = 5;

/// The shop every payment is made for.
pub struct Shop {
    pub api_key: String,
    pub origin: String,
}

/// Creates `count` checkout sessions and returns their ids.
pub fn create_sessions(addr: SocketAddr, shop: &Shop, count: usize, tag: &str) -> Vec<String> {
    let next = AtomicUsize::new(0);
    let authorization = format!("Bearer {}", shop.api_key);
    let mut ids: Vec<(usize, String)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..SESSION_CONNECTIONS)
            .map(|_| {
                let next = &next;
                let authorization = &authorization;
                scope.spawn(move || {
                    let mut connection = Connection::open(addr).expect("cannot connect");
                    let mut made = Vec::new();
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        if index >= count {
                            return made;
                        }
                        let body = format!(
                            "{{\"amount\":1200,\"currency\":\"JPY\",\"order_reference\":\"{tag}-{index}\"}}"
                        );
                        let request = http::request(
                            "POST",
                            "/v1/checkout-sessions",
                            &[("Authorization", authorization)],
                            &body,
                        );
                        let response = connection.send(&request).expect("session request failed");
                        assert_eq!(
                            response.status,
                            201,
                            "creating a session failed: {}",
                            response.text()
                        );
                        let value: serde_json::Value =
                            serde_json::from_slice(&response.body).expect("session JSON");
                        let id = value["id"].as_str().expect("session id").to_owned();
                        made.push((index, id));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("session worker panicked"))
            .collect()
    });
    ids.sort_by_key(|(index, _)| *index);
    ids.into_iter().map(|(_, id)| id).collect()
}

/// Seals one envelope per session, each with its own card number, issued now.
pub fn seal_envelopes(
    sessions: &[String],
    key: &PublicKey,
    origin: &str,
    first_card: usize,
) -> Vec<String> {
    let now = unix_now();
    let today = YearMonth::from_unix_seconds(now).expect("clock out of range");
    let expiry = format!("12/{}", (today.year() + EXPIRY_YEARS_AHEAD) % 100);
    let chunk = sessions.len().div_ceil(SEAL_THREADS).max(1);

    std::thread::scope(|scope| {
        let workers: Vec<_> = sessions
            .chunks(chunk)
            .enumerate()
            .map(|(part, ids)| {
                let expiry = &expiry;
                scope.spawn(move || {
                    ids.iter()
                        .enumerate()
                        .map(|(offset, session_id)| {
                            let number = card_number(first_card + part * chunk + offset);
                            let input = CardInput {
                                number: &number,
                                expiry,
                                cvc: "123",
                                holder: None,
                            };
                            let card = Card::parse(&input, today).expect("test card rejected");
                            let binding = Binding {
                                session_id: session_id.clone(),
                                origin: origin.to_owned(),
                                issued_at: now,
                            };
                            envelope::seal(&card, &binding, key)
                                .expect("sealing failed")
                                .into_string()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("seal worker panicked"))
            .collect()
    })
}

/// Writes the `POST /v1/payments` requests, each with its own Idempotency-Key.
pub fn payment_requests(
    shop: &Shop,
    sessions: &[String],
    envelopes: &[String],
    tag: &str,
) -> Vec<Vec<u8>> {
    let authorization = format!("Bearer {}", shop.api_key);
    sessions
        .iter()
        .zip(envelopes)
        .enumerate()
        .map(|(index, (session_id, envelope))| {
            let body = format!("{{\"session_id\":\"{session_id}\",\"envelope\":\"{envelope}\"}}");
            let idempotency_key = format!("bench-{tag}-{index}");
            http::request(
                "POST",
                "/v1/payments",
                &[
                    ("Authorization", &authorization),
                    ("Idempotency-Key", &idempotency_key),
                ],
                &body,
            )
        })
        .collect()
}

/// A 16-digit Luhn-valid test card number, distinct for each `index` below 10^11.
pub fn card_number(index: usize) -> String {
    let body = format!("{CARD_PREFIX}{index:011}");
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(position, byte)| {
            let digit = u32::from(byte - b'0');
            // Counting from the digit left of the check digit, every other digit is doubled.
            if position % 2 == 0 {
                let doubled = digit * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                digit
            }
        })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock before 1970")
        .as_secs()
}
