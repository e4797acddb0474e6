//! `booking-tracker serve` on SQLite under load: starts the real binary on a fresh database with
//! the demo account, then keeps CONNECTIONS keep-alive connections busy for SECONDS, each
//! request a distinct Cal.com booking (its own uid, attendee and phone) signed like Cal.com
//! signs. Afterwards it reads the database: every accepted booking must be stored exactly once.
//! Prints throughput, latency percentiles, errors and the server's peak RSS, and writes rows for
//! `bench-report`.
//!
//! Usage: `serve-load BOOKING_TRACKER OUT.json [SECONDS] [CONNECTIONS]` (defaults 30, 64).

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bench::latency::percentile_ms;
use serde_json::{Value, json};
use shared::accounts::{DEMO_ACCOUNT, DEMO_CALCOM_SECRET};
use shared::domain::{AccountId, Secret};
use shared::providers::calcom;
use shared::store::Appointments;
use shared::store::sqlite::SqliteStore;

const SAMPLE: &str = include_str!("../../../tests/fixtures/providers/calcom-booking-created.json");

/// What one connection saw.
#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    accepted: Vec<String>,
    errors: Vec<String>,
}

/// The `serve` process; killed if the run ends early.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

/// Peak resident set of `pid` (`VmHWM`), in MiB.
fn peak_rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Booking `n`: the sample with its own uid, id, attendee and phone (a valid UK mobile).
fn booking(template: &Value, n: u64) -> Vec<u8> {
    let mut body = template.clone();
    let payload = &mut body["payload"];
    payload["uid"] = json!(format!("load-{n:08}"));
    payload["bookingId"] = json!(n);
    let phone = format!("+4477422{:05}", n % 100_000);
    let email = format!("lead{n}@load.example.com");
    payload["attendees"][0]["email"] = json!(email);
    payload["attendees"][0]["phoneNumber"] = json!(phone);
    payload["responses"]["email"]["value"] = json!(email);
    payload["responses"]["attendeePhoneNumber"]["value"] = json!(phone);
    serde_json::to_vec(&body).unwrap_or_default()
}

fn start_server(binary: &str, db: &str) -> Result<(Server, String), String> {
    let cli = |args: &[&str]| {
        Command::new(binary)
            .env("BOOKING_TRACKER_STORE", db)
            .args(args)
            .output()
            .map_err(|e| format!("{binary}: {e}"))
    };
    let created = cli(&["accounts", "create", DEMO_ACCOUNT, "--demo-secrets"])?;
    if !created.status.success() {
        return Err(String::from_utf8_lossy(&created.stderr).into_owned());
    }
    let mut child = Command::new(binary)
        .env("BOOKING_TRACKER_STORE", db)
        .args([
            "--json",
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--sync-every",
            "off",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{binary}: {e}"))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let server = Server(child);
    let mut first = String::new();
    BufReader::new(stdout)
        .read_line(&mut first)
        .map_err(|e| e.to_string())?;
    let announced: Value =
        serde_json::from_str(&first).map_err(|_| format!("serve announced {first:?}"))?;
    let url = announced["listening"]
        .as_str()
        .ok_or_else(|| format!("serve announced {first:?}"))?;
    Ok((server, url.to_owned()))
}

async fn connection(
    client: reqwest::Client,
    url: Arc<str>,
    template: Arc<Value>,
    next: Arc<AtomicU64>,
    until: Instant,
) -> Tally {
    let secret = Secret::new(DEMO_CALCOM_SECRET);
    let mut tally = Tally::default();
    while Instant::now() < until {
        let n = next.fetch_add(1, Ordering::Relaxed);
        let body = booking(&template, n);
        let signature = calcom::sign(&secret, &body);
        let started = Instant::now();
        let sent = client
            .post(&*url)
            .header("content-type", "application/json")
            .header("x-cal-signature-256", signature)
            .body(body)
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => {
                let _ = response.bytes().await;
                tally.latencies.push(started.elapsed());
                tally.accepted.push(format!("load-{n:08}"));
            }
            Ok(response) => {
                let status = response.status();
                let text = response.text().await.unwrap_or_default();
                tally.errors.push(format!("{status}: {text}"));
            }
            Err(e) => tally.errors.push(e.to_string()),
        }
    }
    tally
}

/// Every stored booking key of the demo account.
async fn stored_keys(db_path: &str) -> Result<Vec<String>, String> {
    let store = SqliteStore::open(db_path)
        .await
        .map_err(|e| e.to_string())?;
    let account = AccountId::parse(DEMO_ACCOUNT).map_err(|e| e.to_string())?;
    let mut keys = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store
            .list_appointments(&account, after.as_deref(), 1000)
            .await
            .map_err(|e| e.to_string())?;
        keys.extend(page.items.iter().map(|a| a.key().as_str().to_owned()));
        match page.next {
            Some(next) => after = Some(next),
            None => return Ok(keys),
        }
    }
}

async fn run(binary: &str, out: &str, seconds: u64, connections: usize) -> Result<bool, String> {
    let dir = std::env::temp_dir().join(format!("serve-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let db_path = dir.join("load.db").to_string_lossy().into_owned();
    let (server, base) = start_server(binary, &format!("sqlite:{db_path}"))?;
    let url: Arc<str> = format!("{base}/webhooks/calcom/{DEMO_ACCOUNT}").into();
    let template: Arc<Value> = Arc::new(serde_json::from_str(SAMPLE).map_err(|e| e.to_string())?);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(connections)
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| e.to_string())?;
    let next = Arc::new(AtomicU64::new(0));

    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            tokio::spawn(connection(
                client.clone(),
                Arc::clone(&url),
                Arc::clone(&template),
                Arc::clone(&next),
                until,
            ))
        })
        .collect();
    let mut all = Tally::default();
    for task in tasks {
        let tally = task.await.map_err(|e| e.to_string())?;
        all.latencies.extend(tally.latencies);
        all.accepted.extend(tally.accepted);
        all.errors.extend(tally.errors);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let rss = peak_rss_mib(server.0.id()).unwrap_or(f64::NAN);
    drop(server);

    all.latencies.sort();
    let rps = all.latencies.len() as f64 / elapsed;
    let (p50, p99) = (
        percentile_ms(&all.latencies, 0.50),
        percentile_ms(&all.latencies, 0.99),
    );
    let stored = stored_keys(&db_path).await?;
    let distinct: HashSet<&str> = stored.iter().map(String::as_str).collect();
    let accepted: HashSet<&str> = all.accepted.iter().map(String::as_str).collect();
    let exactly_once = stored.len() == distinct.len() && distinct == accepted;
    std::fs::remove_dir_all(&dir).ok();

    println!(
        "{} requests in {elapsed:.1} s over {connections} connections: {rps:.0}/s, p50 {p50:.2} ms, p99 {p99:.2} ms, {} errors, peak RSS {rss:.1} MiB",
        all.latencies.len(),
        all.errors.len()
    );
    println!(
        "stored {} appointments ({} distinct) for {} accepted bookings: {}",
        stored.len(),
        distinct.len(),
        accepted.len(),
        if exactly_once {
            "each exactly once"
        } else {
            "MISMATCH"
        }
    );
    for error in all.errors.iter().take(5) {
        eprintln!("error: {error}");
    }
    let what =
        format!("serve, SQLite: signed Cal.com bookings, {connections} connections, {seconds} s");
    let rows = json!([
        { "what": format!("{what}: throughput"), "measured": format!("{rps:.0} requests/s"), "target": "≥ 2,000/s", "met": rps >= 2000.0 },
        { "what": format!("{what}: p99 latency"), "measured": format!("{p99:.2} ms (p50 {p50:.2} ms)"), "target": "≤ 25 ms", "met": p99 <= 25.0 },
        { "what": format!("{what}: peak RSS"), "measured": format!("{rss:.1} MiB"), "target": "≤ 64 MB", "met": rss <= 64.0 },
        { "what": format!("{what}: errors"), "measured": format!("{}", all.errors.len()), "target": "0", "met": all.errors.is_empty() },
        { "what": format!("{what}: bookings stored exactly once"), "measured": format!("{} stored / {} accepted", stored.len(), accepted.len()), "target": "each once", "met": exactly_once },
    ]);
    std::fs::write(out, format!("{rows:#}\n")).map_err(|e| format!("{out}: {e}"))?;
    Ok(exactly_once && all.errors.is_empty())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (binary, out, rest) = match args.as_slice() {
        [binary, out, rest @ ..] => (binary, out, rest),
        _ => {
            eprintln!("usage: serve-load BOOKING_TRACKER OUT.json [SECONDS] [CONNECTIONS]");
            return ExitCode::from(2);
        }
    };
    let seconds = rest.first().and_then(|s| s.parse().ok()).unwrap_or(30);
    let connections = rest.get(1).and_then(|s| s.parse().ok()).unwrap_or(64);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(binary, out, seconds, connections)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("serve-load: {e}");
            ExitCode::FAILURE
        }
    }
}
