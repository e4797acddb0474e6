//! Rate pacing per provider credential: one token bucket per API key or token, shared by every
//! run in the process, so a big account waits for its turn instead of getting its key locked by
//! the provider, and accounts sharing a credential share its budget.
//!
//! A bucket for a limit of `L` requests a minute holds at most `L/2` tokens and refills at `L/2`
//! a minute, so any 60-second window sees at most `L` requests, whichever fixed or sliding
//! window the provider counts in. A 429 that names its reset pauses the whole bucket until then.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use sha2::{Digest, Sha256};
use tokio::time::Instant;

use crate::domain::{Provider, Secret};
use crate::outbound::{FetchError, Pace};

/// Cal.com's documented limit for an API key (PROVIDERS.md §3).
pub const DEFAULT_CALCOM_PER_MINUTE: u32 = 120;
/// Calendly's free plans allow 50 and paid plans 500 a minute per user; 60 is the default pace.
pub const DEFAULT_CALENDLY_PER_MINUTE: u32 = 60;

/// Buckets are forgotten once idle (full) when more than this many exist.
const TIDY_ABOVE: usize = 4096;

/// Requests a minute per credential, per provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PaceLimits {
    pub calcom_per_minute: u32,
    pub calendly_per_minute: u32,
}

impl Default for PaceLimits {
    fn default() -> Self {
        Self {
            calcom_per_minute: DEFAULT_CALCOM_PER_MINUTE,
            calendly_per_minute: DEFAULT_CALENDLY_PER_MINUTE,
        }
    }
}

impl PaceLimits {
    /// `CALCOM_REQUESTS_PER_MINUTE` and `CALENDLY_REQUESTS_PER_MINUTE`, each a positive whole
    /// number; unset means the default. A bad value is an error naming the variable.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let read = |name: &str, default: u32| {
            match get(name) {
            None => Ok(default),
            Some(value) if value.trim().is_empty() => Ok(default),
            Some(value) => value
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| {
                    format!(
                        "environment variable {name} is {value:?}: expected a positive number of requests a minute"
                    )
                }),
        }
        };
        Ok(Self {
            calcom_per_minute: read("CALCOM_REQUESTS_PER_MINUTE", DEFAULT_CALCOM_PER_MINUTE)?,
            calendly_per_minute: read("CALENDLY_REQUESTS_PER_MINUTE", DEFAULT_CALENDLY_PER_MINUTE)?,
        })
    }

    pub fn from_env() -> Result<Self, String> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    fn per_minute(&self, provider: Provider) -> u32 {
        match provider {
            Provider::Calendly => self.calendly_per_minute,
            _ => self.calcom_per_minute,
        }
    }
}

/// The buckets of every credential this process has used.
#[derive(Debug, Default)]
pub struct Pacer {
    limits: PaceLimits,
    buckets: Mutex<HashMap<[u8; 32], Arc<Lane>>>,
}

impl Pacer {
    pub fn new(limits: PaceLimits) -> Self {
        Self {
            limits,
            buckets: Mutex::default(),
        }
    }

    pub fn limits(&self) -> PaceLimits {
        self.limits
    }

    /// The lane every request made with `credential` at `provider` goes through. The map is
    /// keyed by a digest of the credential, never the credential itself.
    pub fn lane(&self, provider: Provider, credential: &Secret) -> Arc<Lane> {
        let mut digest = Sha256::new();
        digest.update(provider.as_str().as_bytes());
        digest.update([0]);
        digest.update(credential.expose().as_bytes());
        let key: [u8; 32] = digest.finalize().into();
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() > TIDY_ABOVE {
            let now = Instant::now();
            buckets.retain(|_, lane| Arc::strong_count(lane) > 1 || !lane.is_idle(now));
        }
        Arc::clone(
            buckets
                .entry(key)
                .or_insert_with(|| Arc::new(Lane::new(self.limits.per_minute(provider)))),
        )
    }
}

/// One credential's token bucket.
#[derive(Debug)]
pub struct Lane {
    bucket: Mutex<Bucket>,
}

#[derive(Debug)]
struct Bucket {
    capacity: f64,
    /// Tokens added per second.
    rate: f64,
    /// May go below zero: each waiting request has reserved its token.
    tokens: f64,
    refilled: Instant,
    /// The provider asked everyone to wait until then.
    paused_until: Option<Instant>,
}

impl Bucket {
    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.refilled).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.capacity);
        self.refilled = now;
    }
}

impl Lane {
    /// A bucket for `per_minute` requests a minute (see the module's notes), full.
    pub fn new(per_minute: u32) -> Self {
        let half = f64::from(per_minute.max(1)) / 2.0;
        let capacity = half.max(1.0);
        Self {
            bucket: Mutex::new(Bucket {
                capacity,
                rate: half / 60.0,
                tokens: capacity,
                refilled: Instant::now(),
                paused_until: None,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Bucket> {
        self.bucket.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn is_idle(&self, now: Instant) -> bool {
        let mut bucket = self.lock();
        bucket.refill(now);
        bucket.tokens >= bucket.capacity && bucket.paused_until.is_none_or(|p| p <= now)
    }

    /// Reserves the next request's token and says how long to wait for it, or `None` (nothing
    /// reserved) when that would pass `deadline`.
    fn reserve(&self, deadline: Instant) -> Option<Duration> {
        let now = Instant::now();
        let mut bucket = self.lock();
        bucket.refill(now);
        let paused = bucket
            .paused_until
            .filter(|until| *until > now)
            .map_or(Duration::ZERO, |until| until - now);
        // After a pause the bucket starts from what it holds then.
        let short = (1.0 - bucket.tokens).max(0.0);
        let wait = paused + Duration::from_secs_f64(short / bucket.rate);
        if now + wait >= deadline {
            return None;
        }
        bucket.tokens -= 1.0;
        Some(wait)
    }
}

#[async_trait]
impl Pace for Lane {
    async fn admit(&self, deadline: Instant) -> Result<(), FetchError> {
        let wait = self.reserve(deadline).ok_or(FetchError::Deadline)?;
        if !wait.is_zero() {
            tracing::debug!(
                wait_ms = wait.as_millis() as u64,
                "pacing a provider request"
            );
            tokio::time::sleep(wait).await;
        }
        Ok(())
    }

    fn pause_until(&self, until: Instant) {
        let mut bucket = self.lock();
        if bucket.paused_until.is_none_or(|p| p < until) {
            bucket.paused_until = Some(until);
        }
        // Nothing was refilled while the provider refused: start empty after the pause.
        bucket.refill(Instant::now());
        bucket.tokens = bucket.tokens.min(0.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn far() -> Instant {
        Instant::now() + Duration::from_secs(3600)
    }

    /// Equal to the millisecond (waits are computed in floating point).
    fn about(actual: Duration, expected: Duration) -> bool {
        actual.abs_diff(expected) < Duration::from_millis(1)
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_bucket_lets_half_a_minutes_budget_through_at_once() {
        let lane = Lane::new(60);
        let started = Instant::now();
        for _ in 0..30 {
            lane.admit(far()).await.unwrap();
        }
        assert_eq!(Instant::now(), started, "the burst waits for nothing");
        lane.admit(far()).await.unwrap();
        assert!(about(Instant::now() - started, Duration::from_secs(2)));
    }

    #[tokio::test(start_paused = true)]
    async fn no_sixty_second_window_sees_more_than_the_limit() {
        let lane = Lane::new(60);
        let started = Instant::now();
        let mut sent = Vec::new();
        for _ in 0..200 {
            lane.admit(far()).await.unwrap();
            sent.push(Instant::now() - started);
        }
        for (i, at) in sent.iter().enumerate() {
            let in_window = sent[i..]
                .iter()
                .take_while(|t| **t < *at + Duration::from_secs(60))
                .count();
            assert!(
                in_window <= 60,
                "{in_window} requests in the minute from {at:?}"
            );
        }
        // 200 requests: 30 at once, then one every 2 s.
        assert!(about(*sent.last().unwrap(), Duration::from_secs(340)));
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_past_the_deadline_is_refused_without_spending_a_token() {
        let lane = Lane::new(2);
        lane.admit(far()).await.unwrap();
        let soon = Instant::now() + Duration::from_secs(5);
        assert_eq!(lane.admit(soon).await, Err(FetchError::Deadline));
        // The refused request reserved nothing: the next one waits one refill (60 s), not two.
        let started = Instant::now();
        lane.admit(far()).await.unwrap();
        assert!(about(Instant::now() - started, Duration::from_secs(60)));
    }

    #[tokio::test(start_paused = true)]
    async fn a_provider_pause_holds_every_request_of_the_credential() {
        let lane = Lane::new(120);
        let started = Instant::now();
        lane.pause_until(started + Duration::from_secs(30));
        lane.admit(far()).await.unwrap();
        assert!(Instant::now() - started >= Duration::from_secs(30));
    }

    #[tokio::test(start_paused = true)]
    async fn credentials_have_their_own_buckets_and_runs_share_one() {
        let pacer = Pacer::new(PaceLimits {
            calcom_per_minute: 2,
            calendly_per_minute: 2,
        });
        let a = Secret::new("key-a");
        let b = Secret::new("key-b");
        let started = Instant::now();
        pacer.lane(Provider::Calcom, &a).admit(far()).await.unwrap();
        pacer.lane(Provider::Calcom, &b).admit(far()).await.unwrap();
        pacer
            .lane(Provider::Calendly, &a)
            .admit(far())
            .await
            .unwrap();
        assert_eq!(Instant::now(), started, "three buckets, one token each");
        // A second run with key a shares the first run's (now empty) bucket.
        pacer.lane(Provider::Calcom, &a).admit(far()).await.unwrap();
        assert!(about(Instant::now() - started, Duration::from_secs(60)));
    }

    #[test]
    fn limits_come_from_the_environment_and_bad_ones_are_named() {
        let limits = PaceLimits::from_lookup(|_| None).unwrap();
        assert_eq!(limits, PaceLimits::default());
        let limits = PaceLimits::from_lookup(|name| {
            (name == "CALCOM_REQUESTS_PER_MINUTE").then(|| "200".to_owned())
        })
        .unwrap();
        assert_eq!(limits.calcom_per_minute, 200);
        assert_eq!(limits.calendly_per_minute, 60);
        let err = PaceLimits::from_lookup(|name| {
            (name == "CALENDLY_REQUESTS_PER_MINUTE").then(|| "0".to_owned())
        })
        .unwrap_err();
        assert!(err.contains("CALENDLY_REQUESTS_PER_MINUTE"), "{err}");
    }
}
