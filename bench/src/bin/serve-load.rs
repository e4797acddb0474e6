//! `booking-tracker serve` on SQLite under load: starts the real binary on a fresh database with
//! the demo account, then keeps CONNECTIONS keep-alive connections busy for SECONDS, each
//! request a distinct Cal.com booking (its own uid, attendee and phone) signed like Cal.com
//! signs. Afterwards it reads the database: every accepted booking must be stored exactly once.
//! Beside the product it measures, in the same run, the two ceilings it is bounded by:
//! - HTTP: the same load on a route that does no work (an unknown path, a JSON 404), same
//!   server process, same client;
//! - SQLite: the write batches the run stored, committed again into a fresh database from as
//!   many tasks as connections, without HTTP (`bench/src/replay.rs`).
//!
//! Prints throughput, latency percentiles, errors, the server's peak RSS and the product's ratio
//! to each ceiling, and writes rows for `bench-report`.
//!
//! Usage: `serve-load BOOKING_TRACKER OUT.json [SECONDS] [CONNECTIONS]` (defaults 30, 64).

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;

use bench::load::{Bookings, Phase, drive, peak_rss_mib};
use bench::replay;
use integration_tests::stores::all_appointments;
use serde_json::{Value, json};
use shared::accounts::{DEMO_ACCOUNT, DEMO_CALCOM_SECRET};
use shared::domain::AccountId;
use shared::store::Accounts;
use shared::store::sqlite::SqliteStore;

/// The allocator `serve` runs on, so the SQLite ceiling (replayed in this process) is measured
/// on the same footing as the product.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SAMPLE: &[u8] =
    include_bytes!("../../../tests/fixtures/providers/calcom-booking-created.json");

/// Booking throughput and p99 this machine is held to (BENCHMARKS.md).
const TARGET_RPS: f64 = 4000.0;
const TARGET_P99_MS: f64 = 25.0;

/// The `serve` process; killed if the run ends early.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
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

/// Every stored booking key of the demo account.
async fn stored_keys(db_path: &str) -> Result<Vec<String>, String> {
    let store = SqliteStore::open(db_path)
        .await
        .map_err(|e| e.to_string())?;
    let account = AccountId::parse(DEMO_ACCOUNT).map_err(|e| e.to_string())?;
    let stored = all_appointments(&store, &account)
        .await
        .map_err(|e| e.to_string())?;
    Ok(stored.iter().map(|a| a.key().as_str().to_owned()).collect())
}

/// The product's throughput against a ceiling's, as a share.
fn share(product: f64, ceiling: f64) -> String {
    format!("{:.0}% of {ceiling:.0}/s", 100.0 * product / ceiling)
}

async fn run(binary: &str, out: &str, seconds: u64, connections: usize) -> Result<bool, String> {
    let dir = std::env::temp_dir().join(format!("serve-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let db_path = dir.join("load.db").to_string_lossy().into_owned();
    let (server, base) = start_server(binary, &format!("sqlite:{db_path}"))?;
    let bookings = Arc::new(Bookings::new(SAMPLE, DEMO_CALCOM_SECRET)?);

    // The HTTP ceiling first, on the same server: the same bodies to a route that does nothing.
    let ceiling = Phase {
        url: format!("{base}/nothing/here"),
        expect: 404,
        connections,
        seconds,
    };
    let (mut http, http_elapsed) = drive(&ceiling, Arc::clone(&bookings)).await?;
    let http_rps = http.latencies.len() as f64 / http_elapsed;
    let http_p99 = http.percentile_ms(0.99);

    let product = Phase {
        url: format!("{base}/webhooks/calcom/{DEMO_ACCOUNT}"),
        expect: 200,
        connections,
        seconds,
    };
    let (mut all, elapsed) = drive(&product, bookings).await?;
    let rss = peak_rss_mib(server.0.id()).unwrap_or(f64::NAN);
    drop(server);

    let rps = all.latencies.len() as f64 / elapsed;
    let (p50, p99) = (all.percentile_ms(0.50), all.percentile_ms(0.99));
    let stored = stored_keys(&db_path).await?;
    let distinct: HashSet<&str> = stored.iter().map(String::as_str).collect();
    let accepted: HashSet<String> = all.accepted.iter().map(|&n| Bookings::uid(n)).collect();
    let exactly_once = stored.len() == distinct.len()
        && distinct.len() == accepted.len()
        && accepted.iter().all(|uid| distinct.contains(uid.as_str()));

    // The SQLite ceiling: the same batches, committed again without HTTP.
    let (store_rps, batches) = {
        let store = SqliteStore::open(&db_path)
            .await
            .map_err(|e| e.to_string())?;
        let id = AccountId::parse(DEMO_ACCOUNT).map_err(|e| e.to_string())?;
        let account = store
            .get_account(&id)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("no demo account")?;
        let batches = replay::batches_of(&store, &id).await?;
        let count = batches.len();
        let replayed = dir.join("replay.db");
        std::fs::copy(format!("{db_path}.key"), dir.join("replay.db.key")).ok();
        let rps = replay::commit_all(&replayed, &account, batches, connections).await?;
        (rps, count)
    };
    std::fs::remove_dir_all(&dir).ok();

    println!(
        "HTTP ceiling (a route that does no work): {http_rps:.0}/s, p99 {http_p99:.2} ms, {} errors",
        http.errors.len()
    );
    println!(
        "SQLite ceiling ({batches} stored batches committed again, {connections} tasks): {store_rps:.0}/s"
    );
    println!(
        "webhooks: {} in {elapsed:.1} s over {connections} connections: {rps:.0}/s ({} of HTTP, {} of SQLite), p50 {p50:.2} ms, p99 {p99:.2} ms, {} errors, peak RSS {rss:.1} MiB",
        all.latencies.len(),
        share(rps, http_rps),
        share(rps, store_rps),
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
    for error in all.errors.iter().chain(&http.errors).take(5) {
        eprintln!("error: {error}");
    }
    let what =
        format!("serve, SQLite: signed Cal.com bookings, {connections} connections, {seconds} s");
    let rows = json!([
        { "what": format!("{what}: throughput"), "measured": format!("{rps:.0} requests/s"), "target": "≥ 4,000/s", "met": rps >= TARGET_RPS },
        { "what": format!("{what}: p99 latency"), "measured": format!("{p99:.2} ms (p50 {p50:.2} ms)"), "target": "≤ 25 ms", "met": p99 <= TARGET_P99_MS },
        { "what": format!("{what}: peak RSS"), "measured": format!("{rss:.1} MiB"), "target": "≤ 64 MB", "met": rss <= 64.0 },
        { "what": format!("{what}: errors"), "measured": format!("{}", all.errors.len()), "target": "0", "met": all.errors.is_empty() },
        { "what": format!("{what}: bookings stored exactly once"), "measured": format!("{} stored / {} accepted", stored.len(), accepted.len()), "target": "each once", "met": exactly_once },
        { "what": "serve: HTTP ceiling (same load, a route that does no work)", "measured": format!("{http_rps:.0} requests/s, p99 {http_p99:.2} ms; webhooks at {}", share(rps, http_rps)), "target": "-", "met": http.errors.is_empty() },
        { "what": "serve: SQLite ceiling (the run's batches committed without HTTP)", "measured": format!("{store_rps:.0} commits/s; webhooks at {}", share(rps, store_rps)), "target": "-", "met": true },
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
