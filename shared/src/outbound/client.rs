//! Calls to the providers' APIs: a timeout on every request, bounded retries with backoff and
//! jitter for 5xx and timeouts, waits for the provider's rate-limit reset on 429, and a deadline
//! no wait or request may run past.

use std::time::Duration;

use async_trait::async_trait;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
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
    /// The wait for a 429 that names no reset: a fixed pause (Cal.com, Calendly), or `None` for
    /// exponential backoff with jitter (Google's advice for its APIs).
    pub rate_limit_fallback: Option<Duration>,
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
            rate_limit_fallback: Some(Duration::from_secs(60)),
        }
    }
}

/// Why a provider call failed. Each kind has a stable code for the sync report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("rate limited; the provider asked to wait {0} s")]
    RateLimited(u64),
    #[error("the provider refused the credentials (HTTP {0}{said}); check the API key or token", said = said(.1))]
    Unauthorized(u16, Option<String>),
    #[error("the provider answered HTTP {0}{said}", said = said(.1))]
    Status(u16, Option<String>),
    #[error("the provider did not answer within {0} s")]
    Timeout(u64),
    #[error("could not reach the provider: {0}")]
    Network(String),
    #[error("the provider's answer was not in the documented format: {0}")]
    Malformed(String),
    #[error("stopped before the time limit")]
    Deadline,
    /// The credential could not be opened with the store's key ring (SPEC §6).
    #[error("the credential cannot be opened: {0}")]
    Credentials(String),
}

impl FetchError {
    pub fn code(&self) -> &'static str {
        match self {
            FetchError::RateLimited(_) => "rate_limited",
            FetchError::Unauthorized(..) => "unauthorized",
            FetchError::Status(..) => "provider_error",
            FetchError::Timeout(_) => "timeout",
            FetchError::Network(_) => "unreachable",
            FetchError::Malformed(_) => "malformed_response",
            FetchError::Deadline => "deadline",
            FetchError::Credentials(_) => "secrets_unavailable",
        }
    }
}

impl From<PayloadError> for FetchError {
    fn from(e: PayloadError) -> Self {
        FetchError::Malformed(e.to_string())
    }
}

/// What a request waits on before it is sent: a rate budget shared by every request made with
/// one credential (the sync's pacer). Each attempt, retries included, is admitted separately.
#[async_trait]
pub trait Pace: Send + Sync + std::fmt::Debug {
    /// Waits until one more request may be sent; [`FetchError::Deadline`] (and nothing spent)
    /// when that would be after `deadline`.
    async fn admit(&self, deadline: Instant) -> Result<(), FetchError>;
    /// The provider answered 429 naming when to come back: no request of the credential is
    /// admitted before `until`.
    fn pause_until(&self, until: Instant);
}

/// An HTTP client for the providers, built once per process.
#[derive(Clone, Debug)]
pub struct ProviderHttp {
    client: reqwest::Client,
    policy: RetryPolicy,
}

/// One call: what, where, with what, by whom.
#[derive(Clone, Debug)]
pub struct Call<'a> {
    pub method: Method,
    pub url: &'a str,
    pub query: &'a [(&'a str, String)],
    pub bearer: Option<&'a Secret>,
    pub headers: &'a [(&'a str, &'a str)],
    /// A JSON body (POST).
    pub json: Option<&'a serde_json::Value>,
    /// A form body (POST).
    pub form: Option<&'a [(&'a str, &'a str)]>,
    /// Whether repeating the call is harmless, so a 5xx or a timeout may be retried. A POST
    /// may have been acted on before it failed: the caller decides.
    pub idempotent: bool,
    /// The rate budget the call waits on, if any.
    pub pace: Option<&'a dyn Pace>,
}

impl<'a> Call<'a> {
    /// A call with no query, headers, body or bearer; retried on failure unless it is a POST.
    pub fn to(method: Method, url: &'a str) -> Self {
        Self {
            idempotent: method != Method::POST,
            method,
            url,
            query: &[],
            bearer: None,
            headers: &[],
            json: None,
            form: None,
            pace: None,
        }
    }

    pub fn get(url: &'a str, query: &'a [(&'a str, String)], bearer: &'a Secret) -> Self {
        Self {
            query,
            bearer: Some(bearer),
            ..Self::to(Method::GET, url)
        }
    }

    /// A POST of `json`, not retried on a 5xx or a timeout unless marked idempotent.
    pub fn post(url: &'a str, json: &'a serde_json::Value, bearer: &'a Secret) -> Self {
        Self {
            json: Some(json),
            bearer: Some(bearer),
            ..Self::to(Method::POST, url)
        }
    }

    /// A POST of a form, without a bearer (OAuth token requests), not retried on a 5xx or a
    /// timeout unless marked idempotent.
    pub fn form_post(url: &'a str, form: &'a [(&'a str, &'a str)]) -> Self {
        Self {
            form: Some(form),
            ..Self::to(Method::POST, url)
        }
    }
}

impl ProviderHttp {
    pub fn new(policy: RetryPolicy) -> Result<Self, String> {
        let tls = crate::tls::provider_tls().map_err(|e| format!("cannot configure TLS: {e}"))?;
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("booking-tracker/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Self { client, policy })
    }

    /// The same connection pool with another retry policy.
    pub fn with_policy(&self, policy: RetryPolicy) -> Self {
        Self {
            client: self.client.clone(),
            policy,
        }
    }

    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// Makes the call and returns the body of its 2xx answer, never running past `deadline`.
    /// A rate limit is waited out (the provider did not act on the call); a 5xx or a timeout
    /// is retried as the policy allows if the call is idempotent.
    pub async fn send(&self, call: &Call<'_>, deadline: Instant) -> Result<Vec<u8>, FetchError> {
        let policy = &self.policy;
        let retryable = call.idempotent;
        let (mut failures, mut limited) = (0u32, 0u32);
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining < Duration::from_millis(100) {
                return Err(FetchError::Deadline);
            }
            if let Some(pace) = call.pace {
                pace.admit(deadline).await?;
            }
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining < Duration::from_millis(100) {
                return Err(FetchError::Deadline);
            }
            let timeout = policy.request_timeout.min(remaining);
            let mut builder = self
                .client
                .request(call.method.clone(), call.url)
                .query(call.query)
                .timeout(timeout);
            if let Some(bearer) = call.bearer {
                builder = builder.bearer_auth(bearer.expose());
            }
            if let Some(form) = call.form {
                builder = builder.form(form);
            }
            for (name, value) in call.headers {
                builder = builder.header(*name, *value);
            }
            if let Some(json) = call.json {
                builder = builder.json(json);
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
                    limited += 1;
                    let wait = reset_after(response.headers())
                        .or(policy.rate_limit_fallback)
                        .unwrap_or_else(|| backoff(policy, limited));
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
                    match call.pace {
                        // Every request of the credential waits, not only this one.
                        Some(pace) => pace.pause_until(Instant::now() + wait),
                        None => tokio::time::sleep(wait).await,
                    }
                    continue;
                }
                Ok(response) => {
                    let status = response.status();
                    if status.is_client_error() {
                        let message = error_message(&response.bytes().await.unwrap_or_default());
                        return Err(match status {
                            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                                FetchError::Unauthorized(status.as_u16(), message)
                            }
                            _ => FetchError::Status(status.as_u16(), message),
                        });
                    }
                    FetchError::Status(status.as_u16(), None)
                }
                Err(e) if e.is_timeout() => FetchError::Timeout(timeout.as_secs()),
                Err(e) => FetchError::Network(without_url(&e)),
            };
            failures += 1;
            if !retryable || failures >= policy.max_attempts {
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

/// The human message of a provider's error body: Calendly's `{"title", "message"}`, Cal.com's
/// and Google's `{"error": {"message"}}`, and OAuth's `{"error_description"}`, cut to a
/// log-friendly length.
fn error_message(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let message = value
        .get("message")
        .or_else(|| value.get("error").and_then(|e| e.get("message")))
        .or_else(|| value.get("error_description"))
        .and_then(serde_json::Value::as_str)?
        .trim();
    (!message.is_empty()).then(|| message.chars().take(300).collect())
}

/// `": <message>"` when the provider said why.
fn said(message: &Option<String>) -> String {
    message
        .as_deref()
        .map(|m| format!(": {m}"))
        .unwrap_or_default()
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
/// `X-RateLimit-Reset` (seconds until the reset), or `Retry-After`; `None` when none says.
fn reset_after(headers: &HeaderMap) -> Option<Duration> {
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
    seconds.map(|s| Duration::from_secs_f64(s.min(3600.0)))
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
        assert_eq!(reset_after(&headers), Some(Duration::from_secs(42)));
        let mut headers = HeaderMap::new();
        headers.insert("x-ratelimit-reset", "7".parse().unwrap());
        assert_eq!(reset_after(&headers), Some(Duration::from_secs(7)));
        assert_eq!(reset_after(&HeaderMap::new()), None);
    }

    #[test]
    fn backoff_stays_under_its_ceiling() {
        let policy = RetryPolicy::default();
        for failures in 1..10 {
            assert!(backoff(&policy, failures) <= policy.backoff_cap);
        }
    }

    #[test]
    fn error_bodies_of_both_providers_are_read() {
        let calendly = br#"{"title": "Permission Denied", "message": "Please upgrade to a paid Calendly account."}"#;
        assert_eq!(
            error_message(calendly).as_deref(),
            Some("Please upgrade to a paid Calendly account.")
        );
        let calcom = br#"{"status": "error", "error": {"code": "BadRequestException", "message": "Invalid event type"}}"#;
        assert_eq!(error_message(calcom).as_deref(), Some("Invalid event type"));
        assert_eq!(error_message(b"<html>"), None);
        assert_eq!(
            FetchError::Status(404, Some("Resource Not Found".into())).to_string(),
            "the provider answered HTTP 404: Resource Not Found"
        );
        assert_eq!(
            FetchError::Status(502, None).to_string(),
            "the provider answered HTTP 502"
        );
    }
}
