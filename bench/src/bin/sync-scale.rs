//! `sync-scale`: the hourly sync over many accounts (SPEC §5), against a local fake of Cal.com
//! and Calendly answering every request after 100 ms, with 30 upcoming bookings per provider and
//! account. For each pool size (1, 8, 32 accounts at once) and store (SQLite; DynamoDB Local when
//! `AWS_ENDPOINT_URL_DYNAMODB` is set), on a fresh store: the first run (everything new) and a
//! run where nothing changed, with wall time and provider requests per account. Then the
//! projection for 10,000 accounts at `SyncConcurrency` 10 on Lambda, and the enqueue itself
//! against SQS when `AWS_ENDPOINT_URL_SQS` is set.
//!
//! Usage: `sync-scale OUT.json`. Sizes: `SYNC_SCALE_ACCOUNTS` (1000), `SYNC_SCALE_DYNAMO_ACCOUNTS`
//! (100), `SYNC_SCALE_STORES` (`sqlite,dynamodb`), `SYNC_SCALE_C1_SAMPLE` (100: the first run at one account at a time, which paces each
//! account's 32 Calendly requests over ~4 s, is measured on this many accounts and scaled).

// A command-line harness: printing is its job, and a failed set-up ends it.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::expect_used,
    clippy::unwrap_used
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use bench::providers::{FakeProviders, calcom_key, calendly_token};
use chrono::Utc;
use serde_json::{Value, json};
use shared::accounts::{Account, NewAccount};
use shared::clock::SystemClock;
use shared::domain::{AccountId, Secret};
use shared::outbound::{ProviderHttp, RetryPolicy};
use shared::sheets::SheetsClient;
use shared::store::Store;
use shared::store::dynamo::DynamoStore;
use shared::store::sqlite::SqliteStore;
use shared::sync::SyncService;

const LATENCY: Duration = Duration::from_millis(100);
const EVENTS: usize = 30;
const POOLS: [usize; 3] = [1, 8, 32];
/// The projection's fleet: `SyncConcurrency` instances, each syncing 8 records at once.
const LAMBDA_INSTANCES: f64 = 10.0;
const PROJECTED_ACCOUNTS: f64 = 10_000.0;

/// One measured run.
#[derive(Clone, Copy, Debug)]
struct Run {
    accounts: usize,
    wall: Duration,
    calcom: u64,
    calendly: u64,
    updates: u64,
    failed: usize,
}

impl Run {
    fn per_account(&self) -> (f64, f64) {
        let n = self.accounts.max(1) as f64;
        (self.calcom as f64 / n, self.calendly as f64 / n)
    }

    /// Wall time scaled to `accounts` (for a run measured on a sample).
    fn scaled(&self, accounts: usize) -> Duration {
        self.wall
            .mul_f64(accounts as f64 / self.accounts.max(1) as f64)
    }
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn seed(store: &dyn Store, accounts: usize) {
    for n in 0..accounts {
        let id = AccountId::parse(&format!("team-{n:05}")).unwrap();
        let (mut account, _) = Account::create(NewAccount::new(id), Utc::now());
        account.calcom.api_key = Some(Secret::new(calcom_key(n)).into());
        account.calendly.token = Some(Secret::new(calendly_token(n)).into());
        store.create_account(&account).await.unwrap();
    }
}

/// The sync against the fake, `pool` accounts at once.
fn service(store: Arc<dyn Store>, fake: &FakeProviders, pool: usize) -> SyncService<dyn Store> {
    let http = ProviderHttp::new(RetryPolicy::default()).unwrap();
    let mut service = SyncService::new(
        store,
        Arc::new(SystemClock),
        http.clone(),
        fake.server.uri(),
        fake.server.uri(),
        SheetsClient::new(&http, "http://127.0.0.1:9"),
    );
    service.concurrency.accounts = pool;
    service
}

async fn run(store: Arc<dyn Store>, fake: &FakeProviders, pool: usize, accounts: usize) -> Run {
    let service = service(store, fake, pool);
    fake.counts.take();
    let started = Instant::now();
    let reports = service
        .sync_all(tokio::time::Instant::now() + Duration::from_secs(6 * 3600))
        .await
        .unwrap();
    let wall = started.elapsed();
    let (calcom, calendly) = fake.counts.take();
    let failed = reports.iter().filter(|r| !r.success).count();
    if let Some(report) = reports.iter().find(|r| !r.success) {
        eprintln!("  a failed report: {:?}", report.errors);
    }
    Run {
        accounts,
        wall,
        calcom,
        calendly,
        updates: reports.iter().map(|r| r.updates_applied).sum(),
        failed,
    }
}

/// A fresh store of the kind.
async fn fresh(kind: &str, dir: &std::path::Path) -> Arc<dyn Store> {
    let name = format!("sync-scale-{}", ulid_like());
    if kind == "sqlite" {
        Arc::new(
            SqliteStore::open(&dir.join(format!("{name}.db")))
                .await
                .unwrap(),
        )
    } else {
        let config = shared::store::dynamo::load_aws_config().await;
        let key = integration_tests::emulators::kms_key()
            .await
            .expect("a KMS emulator (AWS_ENDPOINT_URL_KMS) for the DynamoDB store's secrets");
        let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&config), name)
            .with_kms_key(&config, key);
        store.create_table().await.unwrap();
        Arc::new(store)
    }
}

fn ulid_like() -> String {
    format!("{:x}", Utc::now().timestamp_nanos_opt().unwrap_or_default())
}

/// The first and the nothing-changed run at each pool size.
async fn scenario(
    kind: &str,
    accounts: usize,
    c1_sample: usize,
    fake: &FakeProviders,
) -> Vec<(usize, Run, Run)> {
    let dir = tempfile::tempdir().unwrap();
    let mut results = Vec::new();
    for pool in POOLS {
        let store = fresh(kind, dir.path()).await;
        seed(&*store, accounts).await;
        let first = if pool == 1 && c1_sample < accounts {
            // One at a time, on a sample: the whole set is made ready by a wider pool.
            let sample = fresh(kind, dir.path()).await;
            seed(&*sample, c1_sample).await;
            let measured = run(sample, fake, 1, c1_sample).await;
            run(Arc::clone(&store), fake, 32, accounts).await;
            measured
        } else {
            run(Arc::clone(&store), fake, pool, accounts).await
        };
        let steady = run(store, fake, pool, accounts).await;
        eprintln!(
            "  {kind} {accounts} accounts, {pool} at once: first {:.1} s ({} accounts measured), nothing changed {:.1} s, {:.1}/{:.1} requests per account",
            first.wall.as_secs_f64(),
            first.accounts,
            steady.wall.as_secs_f64(),
            steady.per_account().0,
            steady.per_account().1
        );
        results.push((pool, first, steady));
    }
    results
}

fn row(what: String, measured: String, target: &str, met: Option<bool>) -> Value {
    json!({"what": what, "measured": measured, "target": target, "met": met})
}

fn rows(kind: &str, accounts: usize, results: &[(usize, Run, Run)]) -> Vec<Value> {
    let label = format!("sync-scale {kind}, {accounts} accounts");
    let seconds = |d: Duration| format!("{:.1} s", d.as_secs_f64());
    let mut out = Vec::new();
    let walls = |pick: &dyn Fn(&(usize, Run, Run)) -> Run| {
        results
            .iter()
            .map(|r| {
                let run = pick(r);
                let note = if run.accounts < accounts {
                    format!(" (from {} accounts)", run.accounts)
                } else {
                    String::new()
                };
                format!("{}={}{note}", r.0, seconds(run.scaled(accounts)))
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let clean = results
        .iter()
        .all(|(_, f, s)| f.failed == 0 && s.failed == 0 && s.updates == 0);
    out.push(row(
        format!("{label}: first run wall time, accounts at once"),
        walls(&|r| r.1),
        "every account synced, no errors",
        Some(results.iter().all(|(_, f, _)| f.failed == 0)),
    ));
    out.push(row(
        format!("{label}: nothing-changed run wall time, accounts at once"),
        walls(&|r| r.2),
        "nothing applied, no errors",
        Some(clean),
    ));
    if let Some((_, first, steady)) = results.first() {
        let (cal, cly) = first.per_account();
        out.push(row(
            format!("{label}: provider requests per account, first run"),
            format!("Cal.com {cal:.1}, Calendly {cly:.1}"),
            "-",
            None,
        ));
        let (cal, cly) = steady.per_account();
        out.push(row(
            format!("{label}: provider requests per account, nothing changed"),
            format!("Cal.com {cal:.1}, Calendly {cly:.1}"),
            "≤ 4 per provider",
            Some(cal <= 4.0 && cly <= 4.0),
        ));
    }
    let by_pool = |pool: usize| results.iter().find(|r| r.0 == pool);
    if let (Some(one), Some(wide)) = (by_pool(1), by_pool(32)) {
        for (what, a, b) in [
            ("first run", one.1, wide.1),
            ("nothing changed", one.2, wide.2),
        ] {
            let speedup = a.scaled(accounts).as_secs_f64() / b.wall.as_secs_f64();
            out.push(row(
                format!("{label}: 32 at once vs 1, {what}"),
                format!("{speedup:.0}x"),
                "≥ 25x",
                Some(speedup >= 25.0),
            ));
        }
    }
    if let Some((_, first, steady)) = by_pool(8) {
        // An instance syncs 8 records at once, as this pool does; 10 instances side by side.
        let project = |run: &Run| {
            run.wall.as_secs_f64() / run.accounts as f64 * PROJECTED_ACCOUNTS / LAMBDA_INSTANCES
        };
        let (cold, warm) = (project(first), project(steady));
        out.push(row(
            format!("{label}: projected 10,000 accounts at SyncConcurrency 10"),
            format!(
                "{:.1} min hourly (nothing changed), {:.1} min for a first run of all",
                warm / 60.0,
                cold / 60.0
            ),
            "≤ 15 min",
            Some(warm <= 15.0 * 60.0),
        ));
    }
    out
}

/// The schedule's enqueue of `accounts` accounts, against the SQS emulator.
async fn enqueue(accounts: usize, fake: &FakeProviders) -> Option<Value> {
    std::env::var_os("AWS_ENDPOINT_URL_SQS")?;
    let dir = tempfile::tempdir().unwrap();
    let store = fresh("sqlite", dir.path()).await;
    seed(&*store, accounts).await;
    let config = shared::store::dynamo::load_aws_config().await;
    let client = aws_sdk_sqs::Client::new(&config);
    let url = client
        .create_queue()
        .queue_name(format!("sync-scale-{}", ulid_like()))
        .send()
        .await
        .ok()?
        .queue_url()?
        .to_owned();
    let queue = shared::sync::sqs::SqsQueue::new(client, url);
    let service = service(store, fake, 8);
    let started = Instant::now();
    let sent = service.enqueue_all(&queue).await.unwrap();
    let wall = started.elapsed();
    Some(row(
        format!("sync-scale: the schedule enqueues {sent} accounts (SQLite, moto's SQS)"),
        format!(
            "{:.2} s, so {:.1} s for 10,000",
            wall.as_secs_f64(),
            wall.as_secs_f64() * PROJECTED_ACCOUNTS / sent.max(1) as f64
        ),
        "-",
        None,
    ))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "sync-scale.json".into());
    let accounts = env_usize("SYNC_SCALE_ACCOUNTS", 1000);
    let dynamo_accounts = env_usize("SYNC_SCALE_DYNAMO_ACCOUNTS", 100);
    let c1_sample = env_usize("SYNC_SCALE_C1_SAMPLE", 100);
    let fake = FakeProviders::start(LATENCY, EVENTS, Utc::now()).await;

    let stores = std::env::var("SYNC_SCALE_STORES").unwrap_or_else(|_| "sqlite,dynamodb".into());
    let mut all = Vec::new();
    if stores.contains("sqlite") {
        eprintln!("sync-scale: SQLite, {accounts} accounts");
        let results = scenario("sqlite", accounts, c1_sample, &fake).await;
        all.extend(rows("SQLite", accounts, &results));
    }
    if stores.contains("dynamodb") && std::env::var_os("AWS_ENDPOINT_URL_DYNAMODB").is_some() {
        eprintln!("sync-scale: DynamoDB Local, {dynamo_accounts} accounts");
        let results = scenario(
            "dynamodb",
            dynamo_accounts,
            c1_sample.min(dynamo_accounts),
            &fake,
        )
        .await;
        all.extend(rows("DynamoDB Local", dynamo_accounts, &results));
    }
    if let Some(enqueued) = enqueue(accounts, &fake).await {
        all.push(enqueued);
    }
    for r in &all {
        println!(
            "{}: {}",
            r["what"].as_str().unwrap_or_default(),
            r["measured"].as_str().unwrap_or_default()
        );
    }
    std::fs::write(&out, format!("{:#}\n", Value::Array(all))).unwrap();
}
