//! Request rate limits: a token bucket per key (a shop id or a client IP address), kept in memory.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Buckets idle longer than this are dropped, so the map does not grow with every shop ever seen.
const IDLE_BUCKET_LIFETIME: Duration = Duration::from_secs(600);
/// How many checks pass between sweeps of idle buckets.
const SWEEP_EVERY: u64 = 4096;

struct Bucket {
    tokens: f64,
    updated: Instant,
}

struct Buckets {
    by_shop: HashMap<String, Bucket>,
    checks: u64,
}

/// Token bucket limiter: `rate` tokens per second, at most `burst` stored.
pub struct RateLimiter {
    rate: f64,
    burst: f64,
    buckets: Mutex<Buckets>,
}

impl RateLimiter {
    /// Makes a limiter; a `rate` of 0 lets every request through.
    pub fn new(rate: u32, burst: u32) -> Self {
        RateLimiter {
            rate: f64::from(rate),
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(Buckets {
                by_shop: HashMap::new(),
                checks: 0,
            }),
        }
    }

    /// Makes a limiter that allows `limit` events per minute with a burst of `limit`; a `limit`
    /// of 0 lets every event through.
    pub fn per_minute(limit: u32) -> Self {
        let mut limiter = RateLimiter::new(0, limit);
        limiter.rate = f64::from(limit) / 60.0;
        limiter
    }

    /// Checks whether `key` has a token left without taking it. Returns `Err(seconds)` to wait
    /// when the bucket is empty.
    pub fn peek(&self, key: &str, now: Instant) -> Result<(), u64> {
        if self.rate <= 0.0 {
            return Ok(());
        }
        let buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(bucket) = buckets.by_shop.get(key) else {
            return Ok(());
        };
        let elapsed = now.duration_since(bucket.updated).as_secs_f64();
        let tokens = (bucket.tokens + elapsed * self.rate).min(self.burst);
        if tokens >= 1.0 {
            Ok(())
        } else {
            Err(((1.0 - tokens) / self.rate).ceil().max(1.0) as u64)
        }
    }

    /// Takes one token for `shop_id`. Returns `Err(seconds)` to wait when the bucket is empty.
    pub fn check(&self, shop_id: &str, now: Instant) -> Result<(), u64> {
        if self.rate <= 0.0 {
            return Ok(());
        }
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);

        buckets.checks += 1;
        if buckets.checks.is_multiple_of(SWEEP_EVERY) {
            buckets
                .by_shop
                .retain(|_, b| now.duration_since(b.updated) < IDLE_BUCKET_LIFETIME);
        }

        let burst = self.burst;
        let bucket = buckets.by_shop.entry(shop_id.to_owned()).or_insert(Bucket {
            tokens: burst,
            updated: now,
        });
        let elapsed = now.duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.rate).min(burst);
        bucket.updated = now;

        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - bucket.tokens) / self.rate;
            Err(wait.ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_refill() {
        let limiter = RateLimiter::new(2, 3);
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.check("shop_a", start), Ok(()));
        }
        assert_eq!(limiter.check("shop_a", start), Err(1));
        assert_eq!(
            limiter.check("shop_b", start),
            Ok(()),
            "shops have separate buckets"
        );

        let later = start + Duration::from_millis(500);
        assert_eq!(limiter.check("shop_a", later), Ok(()));
        assert!(limiter.check("shop_a", later).is_err());
    }

    #[test]
    fn per_minute_peek_does_not_take_tokens() {
        let limiter = RateLimiter::per_minute(2);
        let start = Instant::now();
        assert_eq!(limiter.peek("192.0.2.1", start), Ok(()));
        assert_eq!(limiter.check("192.0.2.1", start), Ok(()));
        assert_eq!(limiter.peek("192.0.2.1", start), Ok(()));
        assert_eq!(limiter.check("192.0.2.1", start), Ok(()));
        assert_eq!(limiter.peek("192.0.2.1", start), Err(30));
        assert_eq!(limiter.check("192.0.2.1", start), Err(30));
        assert_eq!(limiter.peek("192.0.2.2", start), Ok(()));
        let later = start + Duration::from_secs(30);
        assert_eq!(limiter.peek("192.0.2.1", later), Ok(()));
    }

    #[test]
    fn zero_rate_disables_limit() {
        let limiter = RateLimiter::new(0, 1);
        let now = Instant::now();
        for _ in 0..1000 {
            assert_eq!(limiter.check("shop_a", now), Ok(()));
        }
    }
}
