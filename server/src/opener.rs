//! The threads that open envelopes.
//!
//! Opening an envelope costs one RSA private-key operation, close to a millisecond of CPU at 3072
//! bits. On tokio's blocking pool each payment in flight gets a thread of its own, so with 16
//! payments in flight 16 threads run RSA beside the async workers, and the scheduler shares the
//! cores among all of them. The async workers parse requests and commit the writes that come
//! before each opening, so they then wait behind RSA, and the cores run idle whenever no opening
//! is ready. One thread per core, taking envelopes in arrival order, leaves the workers free to
//! run as soon as they have work. It also finishes envelopes in the order they came, which keeps
//! the latency tail short.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, PoisonError};

use cardseal_core::card::Card;
use cardseal_core::envelope::{OpenError, ParsedEnvelope};
use tokio::sync::oneshot;

use crate::keystore::LoadedKey;

type Job = Box<dyn FnOnce() + Send>;

/// A fixed set of threads that open envelopes in the order they arrive.
pub struct Opener {
    jobs: Sender<Job>,
}

/// Why [`Opener::open`] returned no card.
#[derive(Debug, PartialEq, Eq)]
pub enum OpenFailure {
    /// The envelope did not open. Deliberately carries no reason.
    Rejected,
    /// The opening thread panicked or the opener has stopped.
    Internal,
}

impl Opener {
    /// Starts `threads` opening threads, at least one. They end once the opener is dropped.
    pub fn start(threads: usize) -> std::io::Result<Self> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for index in 0..threads.max(1) {
            let queue = Arc::clone(&queue);
            std::thread::Builder::new()
                .name(format!("cardseal-open-{index}"))
                .spawn(move || run_jobs(&queue))?;
        }
        Ok(Opener { jobs })
    }

    /// Starts one opening thread per core the process may use.
    pub fn per_core() -> std::io::Result<Self> {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Opener::start(cores)
    }

    /// Opens `envelope` with `key` on an opening thread.
    pub async fn open(
        &self,
        envelope: ParsedEnvelope,
        key: Arc<LoadedKey>,
    ) -> Result<Card, OpenFailure> {
        let (reply, result) = oneshot::channel::<Result<Card, OpenError>>();
        let job: Job = Box::new(move || {
            // When the payment has gone away, the card is dropped, and so zeroized, right here.
            let _ = reply.send(envelope.open(&key.private));
        });
        self.jobs.send(job).map_err(|_| OpenFailure::Internal)?;
        match result.await {
            Ok(Ok(card)) => Ok(card),
            Ok(Err(_)) => Err(OpenFailure::Rejected),
            Err(_) => Err(OpenFailure::Internal),
        }
    }
}

/// Runs jobs from `queue` until every sender is gone. A panicking job drops its reply, which its
/// caller sees as [`OpenFailure::Internal`], and the thread goes on with the next job.
fn run_jobs(queue: &Mutex<Receiver<Job>>) {
    loop {
        let job = queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
        let Ok(job) = job else {
            return;
        };
        let _ = catch_unwind(AssertUnwindSafe(job));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keystore::{KeyMetadata, KeyState};
    use cardseal_core::card::{CardInput, YearMonth};
    use cardseal_core::envelope::{self, Binding};
    use cardseal_core::key::PrivateKey;

    /// Public test card numbers of four brands, with a CVC of the brand's length.
    const TEST_CARDS: [(&str, &str); 4] = [
        ("4111111111111111", "123"),
        ("5555555555554444", "123"),
        ("3530111333300000", "123"),
        ("378282246310005", "1234"),
    ];

    fn test_key() -> Arc<LoadedKey> {
        let private = PrivateKey::generate(2048, "opener-test-key").unwrap();
        let metadata = KeyMetadata {
            kid: private.kid().to_owned(),
            state: KeyState::Active,
            bits: 2048,
            created_at: 0,
            retire_at: None,
            retired_at: None,
        };
        Arc::new(LoadedKey { metadata, private })
    }

    /// Seals a test card to `key` and returns the compact JWE.
    fn seal_text(key: &LoadedKey, (number, cvc): (&str, &str)) -> String {
        let input = CardInput {
            number,
            expiry: "12/40",
            cvc,
            holder: None,
        };
        let card = Card::parse(&input, YearMonth::new(2026, 12).unwrap()).unwrap();
        let binding = Binding {
            session_id: "cs_opener_test".into(),
            origin: "http://127.0.0.1:8081".into(),
            issued_at: 1_800_000_000,
        };
        envelope::seal(&card, &binding, key.private.public_key())
            .unwrap()
            .into_string()
    }

    fn sealed(key: &LoadedKey, test_card: (&str, &str)) -> ParsedEnvelope {
        envelope::parse(&seal_text(key, test_card)).unwrap()
    }

    #[tokio::test]
    async fn concurrent_opens_return_their_own_cards() {
        let key = test_key();
        let opener = Arc::new(Opener::start(2).unwrap());
        let mut tasks = Vec::new();
        for round in 0..3 {
            for test_card in TEST_CARDS {
                let (opener, key) = (Arc::clone(&opener), Arc::clone(&key));
                let envelope = sealed(&key, test_card);
                let number = test_card.0;
                tasks.push(tokio::spawn(async move {
                    let card = opener.open(envelope, key).await.unwrap();
                    (round, number, card.last4())
                }));
            }
        }
        for task in tasks {
            let (round, number, last4) = task.await.unwrap();
            assert_eq!(last4, number[number.len() - 4..], "round {round}");
        }
    }

    #[tokio::test]
    async fn tampered_envelope_is_rejected() {
        let key = test_key();
        let opener = Opener::start(1).unwrap();
        let text = seal_text(&key, TEST_CARDS[0]);
        let mut parts: Vec<String> = text.split('.').map(str::to_owned).collect();
        let flipped = if parts[3].starts_with('A') { "B" } else { "A" };
        parts[3].replace_range(0..1, flipped);
        let envelope = envelope::parse(&parts.join(".")).unwrap();

        let result = opener.open(envelope, key).await;
        assert_eq!(result.err(), Some(OpenFailure::Rejected));
    }

    #[tokio::test]
    async fn panicking_job_keeps_its_thread() {
        let key = test_key();
        let opener = Opener::start(1).unwrap();
        opener
            .jobs
            .send(Box::new(|| {
                panic!("a job that panics, from the opener test")
            }))
            .unwrap();

        let envelope = sealed(&key, TEST_CARDS[1]);
        let card = opener.open(envelope, key).await.unwrap();
        assert_eq!(card.last4(), "4444");
    }
}
