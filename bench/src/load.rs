//! The load client `serve-load` drives: keep-alive connections each sending one request after
//! another until a deadline, with every request's latency kept. Requests are distinct Cal.com
//! bookings signed as Cal.com signs, made from the sample by string substitution (a few
//! microseconds each: the client shares the server's two cores, so it must be cheap).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::http1::Connection;
use shared::domain::Secret;
use shared::providers::calcom;

/// Distinct Cal.com bookings from one sample: `booking(n)` has its own uid, booking id,
/// attendee email and phone (a valid UK mobile).
#[derive(Debug)]
pub struct Bookings {
    /// The sample serialised once, with markers where booking `n`'s own values go.
    template: String,
    secret: Secret,
}

// Markers no sample contains; the booking id is a JSON number, so its marker takes the quotes.
const UID: &str = "@@uid@@";
const BOOKING_ID: &str = "\"@@id@@\"";
const EMAIL: &str = "@@email@@";
const PHONE: &str = "@@phone@@";

impl Bookings {
    pub fn new(sample: &[u8], secret: &str) -> Result<Self, String> {
        let mut body: Value = serde_json::from_slice(sample).map_err(|e| e.to_string())?;
        let payload = &mut body["payload"];
        payload["uid"] = json!(UID);
        payload["bookingId"] = json!(BOOKING_ID.trim_matches('"'));
        payload["attendees"][0]["email"] = json!(EMAIL);
        payload["attendees"][0]["phoneNumber"] = json!(PHONE);
        payload["responses"]["email"]["value"] = json!(EMAIL);
        payload["responses"]["attendeePhoneNumber"]["value"] = json!(PHONE);
        let template = serde_json::to_string(&body).map_err(|e| e.to_string())?;
        Ok(Self {
            template,
            secret: Secret::new(secret),
        })
    }

    /// The uid of booking `n`.
    pub fn uid(n: u64) -> String {
        format!("load-{n:08}")
    }

    /// Booking `n`'s attendee phone: 07700 000000 onwards, distinct for the first 100 million
    /// bookings (a 30 s run at 5,000/s sends 150,000: numbers that wrapped at 100,000 made
    /// later bookings known attendees, and their replay a conflicting lead insert).
    pub fn phone(n: u64) -> String {
        format!("+4477{:08}", n % 100_000_000)
    }

    /// Booking `n`'s body and its `X-Cal-Signature-256`.
    pub fn signed(&self, n: u64) -> (Vec<u8>, String) {
        let body = self
            .template
            .replace(UID, &Self::uid(n))
            .replace(BOOKING_ID, &n.to_string())
            .replace(EMAIL, &format!("lead{n}@load.example.com"))
            .replace(PHONE, &Self::phone(n))
            .into_bytes();
        let signature = calcom::sign(&self.secret, &body);
        (body, signature)
    }
}

/// What the connections saw.
#[derive(Debug, Default)]
pub struct Tally {
    pub latencies: Vec<Duration>,
    /// The numbers of the bookings answered as expected.
    pub accepted: Vec<u64>,
    pub errors: Vec<String>,
}

impl Tally {
    fn absorb(&mut self, other: Tally) {
        self.latencies.extend(other.latencies);
        self.accepted.extend(other.accepted);
        self.errors.extend(other.errors);
    }

    /// The latency at `p` (0..=1) in milliseconds.
    pub fn percentile_ms(&mut self, p: f64) -> f64 {
        self.latencies.sort_unstable();
        crate::latency::percentile_ms(&self.latencies, p)
    }
}

/// One load phase: `connections` keep-alive connections posting bookings to `url` for
/// `seconds`; an answer with status `expect` counts, anything else is an error.
#[derive(Debug)]
pub struct Phase {
    pub url: String,
    pub expect: u16,
    pub connections: usize,
    pub seconds: u64,
}

/// Runs a phase; answers the tally and its wall time.
pub async fn drive(phase: &Phase, bookings: Arc<Bookings>) -> Result<(Tally, f64), String> {
    let (host, path) = phase
        .url
        .strip_prefix("http://")
        .and_then(|rest| rest.split_once('/'))
        .ok_or_else(|| format!("not an http:// URL: {}", phase.url))?;
    let (host, path): (Arc<str>, Arc<str>) = (host.into(), format!("/{path}").into());
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let until = started + Duration::from_secs(phase.seconds);
    let tasks: Vec<_> = (0..phase.connections)
        .map(|_| {
            let (host, path, bookings, next) = (
                Arc::clone(&host),
                Arc::clone(&path),
                Arc::clone(&bookings),
                Arc::clone(&next),
            );
            let expect = phase.expect;
            tokio::spawn(async move {
                let mut tally = Tally::default();
                let mut connection = match Connection::open(&host).await {
                    Ok(connection) => connection,
                    Err(e) => {
                        tally.errors.push(e);
                        return tally;
                    }
                };
                while Instant::now() < until {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    let (body, signature) = bookings.signed(n);
                    let headers = [
                        ("Content-Type", "application/json"),
                        ("X-Cal-Signature-256", signature.as_str()),
                    ];
                    let started = Instant::now();
                    match connection.post(&path, &headers, &body).await {
                        Ok(answer) if answer.status == expect => {
                            tally.latencies.push(started.elapsed());
                            tally.accepted.push(n);
                        }
                        Ok(answer) => tally.errors.push(format!(
                            "{}: {}",
                            answer.status,
                            String::from_utf8_lossy(&answer.body)
                        )),
                        Err(e) => {
                            // The connection is gone: counted, then a new one (or the end).
                            tally.errors.push(e);
                            match Connection::open(&host).await {
                                Ok(fresh) => connection = fresh,
                                Err(_) => break,
                            }
                        }
                    }
                }
                tally
            })
        })
        .collect();
    let mut all = Tally::default();
    for task in tasks {
        all.absorb(task.await.map_err(|e| e.to_string())?);
    }
    Ok((all, started.elapsed().as_secs_f64()))
}

pub fn peak_rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use shared::domain::{Phone, Region};

    use super::*;

    #[test]
    fn bookings_past_a_hundred_thousand_keep_distinct_valid_phones() {
        let numbers = [
            0, 1, 99_999, 100_000, 100_001, 150_000, 12_345_678, 99_999_999,
        ];
        let phones: HashSet<String> = numbers.iter().map(|&n| Bookings::phone(n)).collect();
        assert_eq!(phones.len(), numbers.len());
        for phone in &phones {
            let parsed = Phone::parse(phone, Region::GB);
            assert!(parsed.is_ok(), "{phone} is not a valid number: {parsed:?}");
        }
    }
}
