//! Calls to other services' APIs (Cal.com, Calendly, Google): one HTTP client per process with a
//! timeout on every request, bounded retries, rate-limit waits, a deadline nothing runs past,
//! and an optional [`Pace`] each request waits on (the sync's per-credential buckets).

mod client;

pub use client::{Call, FetchError, Pace, ProviderHttp, RetryPolicy};
