//! Calls to the providers' APIs: a timeout on every request, bounded retries with backoff and
//! jitter for 5xx and timeouts, waits for the provider's rate-limit reset on 429, and a deadline
//! no wait or request may run past.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use tokio::time::Instant;

use crate::domain::Secret;
use crate::providers::PayloadError;

/// How patient the sync is with a provider.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Each request's timeout.
    pub request_timeout: Duration,
    /// Tries per request when the provider fails (5xx) or does not answer in time.
    pub max_attempts: u32,
    /// The first backoff ceiling; it doubles each retry, up to `backoff_cap`.
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    /// The longest rate-limit reset the sync waits for; a longer one fails the provider's run.
    pub max_rate_limit_wait: Duration,
    /// 429s tolerated per request.
    pub max_rate_limited: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(10),
            max_attempts: 4,
            backoff_base: Duration::from_millis(500),
            backoff_cap: Duration::from_secs(8),
            max_rate_limit_wait: Duration::from_secs(65),
            max_rate_limited: 3,
        }
    }
}

/// Why a provider call failed. Each kind has a stable code for the sync report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("rate limited; the provider asked to wait {0} s")]
    RateLimited(u64),
    #[error("the provider refused the credentials (HTTP {0}); check the API key or token")]
    Unauthorized(u16),
    #[error("the provider answered HTTP {0}")]
    Status(u16),
    #[error("the provider did not answer within {0} s")]
    Timeout(u64),
    #[error("could not reach the provider: {0}")]
    Network(String),
    #[error("the provider's answer was not in the documented format: {0}")]
    Malformed(String),
    #[error("stopped before the time limit")]
    Deadline,
}

impl FetchError {
    pub fn code(&self) -> &'static str {
        match self {
            FetchError::RateLimited(_) => "rate_limited",
            FetchError::Unauthorized(_) => "unauthorized",
            FetchError::Status(_) => "provider_error",
            FetchError::Timeout(_) => "timeout",
            FetchError::Network(_) => "unreachable",
            FetchError::Malformed(_) => "malformed_response",
            FetchError::Deadline => "deadline",
        }
    }
}

impl From<PayloadError> for FetchError {
    fn from(e: PayloadError) -> Self {
        FetchError::Malformed(e.to_string())
    }
}

/// An HTTP client for the providers, built once per process.
#[derive(Clone, Debug)]
pub struct ProviderHttp {
    client: reqwest::Client,
    policy: RetryPolicy,
}

/// One GET: where, with what, by whom.
#[derive(Debug)]
pub struct Get<'a> {
    pub url: &'a str,
    pub query: &'a [(&'a str, String)],
    pub bearer: &'a Secret,
    pub headers: &'a [(&'a str, &'a str)],
}

impl ProviderHttp {
    pub fn new(policy: RetryPolicy) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("booking-tracker/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Self { client, policy })
    }

    /// Fetches a body, retrying as the policy allows, never past `deadline`.
    pub async fn get(&self, request: &Get<'_>, deadline: Instant) -> Result<Vec<u8>, FetchError> {
        let policy = &self.policy;
        let (mut failures, mut limited) = (0u32, 0u32);
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining < Duration::from_millis(100) {
                return Err(FetchError::Deadline);
            }
            let timeout = policy.request_timeout.min(remaining);
            let mut builder = self
                .client
                .get(request.url)
                .query(request.query)
                .bearer_auth(request.bearer.expose())
                .timeout(timeout);
            for (name, value) in request.headers {
                builder = builder.header(*name, *value);
            }
            let failure = match builder.send().await {
                Ok(response) if response.status().is_success() => {
                    return match response.bytes().await {
                        Ok(body) => Ok(body.to_vec()),
                        Err(e) if e.is_timeout() => Err(FetchError::Timeout(timeout.as_secs())),
                        Err(e) => Err(FetchError::Network(without_url(&e))),
                    };
                }
                Ok(response) if response.status() == StatusCode::TOO_MANY_REQUESTS => {
                    let wait = reset_after(response.headers());
                    limited += 1;
                    let too_long = wait > policy.max_rate_limit_wait
                        || limited > policy.max_rate_limited
                        || Instant::now() + wait >= deadline;
                    if too_long {
                        return Err(FetchError::RateLimited(wait.as_secs()));
                    }
                    tracing::info!(
                        wait_s = wait.as_secs(),
                        "provider rate limit: waiting for the reset"
                    );
                    tokio::time::sleep(wait).await;
                    continue;
                }
                Ok(response) => {
                    let status = response.status();
                    if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
                        return Err(FetchError::Unauthorized(status.as_u16()));
                    }
                    if !status.is_server_error() {
                        return Err(FetchError::Status(status.as_u16()));
                    }
                    FetchError::Status(status.as_u16())
                }
                Err(e) if e.is_timeout() => FetchError::Timeout(timeout.as_secs()),
                Err(e) => FetchError::Network(without_url(&e)),
            };
            failures += 1;
            if failures >= policy.max_attempts {
                return Err(failure);
            }
            let pause = backoff(policy, failures);
            if Instant::now() + pause >= deadline {
                return Err(failure);
            }
            tracing::info!(%failure, attempt = failures, "provider call failed: retrying");
            tokio::time::sleep(pause).await;
        }
    }
}

/// Full jitter: a random pause up to the attempt's ceiling.
fn backoff(policy: &RetryPolicy, failures: u32) -> Duration {
    let ceiling = policy
        .backoff_base
        .saturating_mul(1 << failures.min(16))
        .min(policy.backoff_cap);
    let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(u64::from(getrandom::u32().unwrap_or(0)) % (millis + 1))
}

/// How long a 429 asks to wait: Cal.com's `X-RateLimit-Reset-<name>` and Calendly's
/// `X-RateLimit-Reset` (seconds until the reset), or `Retry-After`; 60 s when none says.
fn reset_after(headers: &HeaderMap) -> Duration {
    let seconds = headers
        .iter()
        .filter(|(name, _)| {
            let name = name.as_str();
            name.starts_with("x-ratelimit-reset") || name == "retry-after"
        })
        .filter_map(|(_, value)| value.to_str().ok()?.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .fold(None, |max: Option<f64>, s| {
            Some(max.map_or(s, |m| m.max(s)))
        });
    Duration::from_secs_f64(seconds.unwrap_or(60.0).min(3600.0))
}

/// A reqwest error without its URL, which can carry query parameters.
fn without_url(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    if let Some(url) = error.url() {
        text = text.replace(url.as_str(), "<url>");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reset_headers_of_both_providers_are_read() {
        let mut headers = HeaderMap::new();
        headers.insert("x-ratelimit-reset-default", "42".parse().unwrap());
        assert_eq!(reset_after(&headers), Duration::from_secs(42));
        let mut headers = HeaderMap::new();
        headers.insert("x-ratelimit-reset", "7".parse().unwrap());
        assert_eq!(reset_after(&headers), Duration::from_secs(7));
        assert_eq!(reset_after(&HeaderMap::new()), Duration::from_secs(60));
    }

    #[test]
    fn backoff_stays_under_its_ceiling() {
        let policy = RetryPolicy::default();
        for failures in 1..10 {
            assert!(backoff(&policy, failures) <= policy.backoff_cap);
        }
    }
}
