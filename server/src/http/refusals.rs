//! Rate-limited logging of repeated refusals, so a flood of rejected requests cannot flood the log.
//!
//! Each refusal has a key, such as `rate_limited` plus a shop id. The first refusal of a key is
//! logged, then at most one per interval; the log line counts the refusals left out since the
//! previous line of that key.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Keys are dropped once idle this many intervals, so the map does not grow with every client.
const IDLE_INTERVALS: u32 = 10;
/// How many records pass between sweeps of idle keys.
const SWEEP_EVERY: u64 = 4096;

struct Entry {
    logged_at: Instant,
    suppressed: u64,
}

struct Entries {
    by_key: HashMap<String, Entry>,
    records: u64,
}

/// Decides which refusals are logged.
pub struct RefusalLog {
    interval: Duration,
    entries: Mutex<Entries>,
}

impl RefusalLog {
    /// Makes a log that writes at most one line per key and `interval`.
    pub fn new(interval: Duration) -> Self {
        RefusalLog {
            interval,
            entries: Mutex::new(Entries {
                by_key: HashMap::new(),
                records: 0,
            }),
        }
    }

    /// Records one refusal. Returns `Some(suppressed)` when it is to be logged, with the number
    /// of refusals of this key left out since its previous line, or `None` to leave it out.
    pub fn record(&self, key: &str, now: Instant) -> Option<u64> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);

        entries.records += 1;
        if entries.records.is_multiple_of(SWEEP_EVERY) {
            let idle = self.interval * IDLE_INTERVALS;
            entries
                .by_key
                .retain(|_, e| now.duration_since(e.logged_at) < idle);
        }

        match entries.by_key.get_mut(key) {
            Some(entry) if now.duration_since(entry.logged_at) < self.interval => {
                entry.suppressed += 1;
                None
            }
            Some(entry) => {
                let suppressed = entry.suppressed;
                entry.logged_at = now;
                entry.suppressed = 0;
                Some(suppressed)
            }
            None => {
                entries.by_key.insert(
                    key.to_owned(),
                    Entry {
                        logged_at: now,
                        suppressed: 0,
                    },
                );
                Some(0)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_line_counts_suppressed() {
        let log = RefusalLog::new(Duration::from_secs(10));
        let start = Instant::now();
        assert_eq!(log.record("rate_limited:shop_a", start), Some(0));
        for _ in 0..5 {
            assert_eq!(log.record("rate_limited:shop_a", start), None);
        }
        assert_eq!(
            log.record("rate_limited:shop_b", start),
            Some(0),
            "keys are separate"
        );

        let later = start + Duration::from_secs(10);
        assert_eq!(log.record("rate_limited:shop_a", later), Some(5));
        assert_eq!(log.record("rate_limited:shop_a", later), None);
    }
}
