//! Reads criterion's estimates and the harness results, checks them against the targets of
//! BENCHMARKS.md, prints the table and writes it as JSON.
//!
//! Usage: `bench-report CRITERION_DIR OUT.json [EXTRA.json...]`, where each EXTRA file holds rows
//! measured outside criterion (`[{"what", "measured", "target", "met"}]`).

// A command-line report: printing is its job.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::{Value, json};

/// A criterion benchmark's median, in nanoseconds.
fn median_ns(criterion: &Path, id: &str) -> Option<f64> {
    let file = criterion.join(id).join("new/estimates.json");
    let text = std::fs::read_to_string(file).ok()?;
    let value: Value = serde_json::from_str(&text).ok()?;
    value["median"]["point_estimate"].as_f64()
}

fn row(what: &str, measured: String, target: &str, met: Option<bool>) -> Value {
    json!({"what": what, "measured": measured, "target": target, "met": met})
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [criterion, out, extra @ ..] = args.as_slice() else {
        eprintln!("usage: bench-report CRITERION_DIR OUT.json [EXTRA.json...]");
        return ExitCode::from(2);
    };
    let criterion = PathBuf::from(criterion);
    let mut rows = Vec::new();

    for id in [
        "calcom-booking-created",
        "calcom-booking-rescheduled",
        "calcom-booking-cancelled",
        "calendly-invitee-created",
        "calendly-invitee-canceled",
    ] {
        let median = median_ns(&criterion, &format!("webhook/{id}"));
        rows.push(row(
            &format!("webhook CPU path: {id}"),
            median.map_or("not run".into(), |ns| format!("{:.1} µs", ns / 1e3)),
            "median ≤ 50 µs",
            median.map(|ns| ns <= 50_000.0),
        ));
    }

    let indexed = median_ns(&criterion, "sync_matching/indexed_10k_bookings_100k_leads");
    let scan = median_ns(&criterion, "sync_matching/scan_10k_bookings_100k_leads");
    rows.push(row(
        "sync matching: 10k bookings vs 100k leads",
        indexed.map_or("not run".into(), |ns| format!("{:.1} ms", ns / 1e6)),
        "≤ 100 ms",
        indexed.map(|ns| ns <= 100e6),
    ));
    let speedup = indexed.zip(scan).map(|(i, s)| s / i);
    rows.push(row(
        "sync matching: speed-up over scanning every lead",
        speedup.map_or("not run".into(), |x| format!("{x:.0}x")),
        "≥ 100x",
        speedup.map(|x| x >= 100.0),
    ));

    let small = median_ns(&criterion, "metrics request, SQLite/1000 appointments");
    let large = median_ns(&criterion, "metrics request, SQLite/1000000 appointments");
    let growth = small.zip(large).map(|(s, l)| l / s);
    rows.push(row(
        "metrics request: 1M vs 1k appointments (SQLite)",
        match (small, large, growth) {
            (Some(s), Some(l), Some(g)) => {
                format!("{:.0} µs vs {:.0} µs = {g:.2}x", l / 1e3, s / 1e3)
            }
            _ => "not run".into(),
        },
        "time ratio ≤ 1.5",
        growth.map(|g| g <= 1.5),
    ));

    for file in extra {
        match std::fs::read_to_string(file)
            .ok()
            .and_then(|t| serde_json::from_str::<Vec<Value>>(&t).ok())
        {
            Some(more) => rows.extend(more),
            None => eprintln!("{file}: not read (that harness did not run?)"),
        }
    }

    println!("| what | measured | target | met |");
    println!("|---|---|---|---|");
    for r in &rows {
        let met = match r["met"].as_bool() {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "-",
        };
        println!(
            "| {} | {} | {} | {met} |",
            r["what"].as_str().unwrap_or_default(),
            r["measured"].as_str().unwrap_or_default(),
            r["target"].as_str().unwrap_or_default()
        );
    }
    let report = json!({
        "date": chrono::Utc::now().to_rfc3339(),
        "commit": std::env::var("BENCH_COMMIT").unwrap_or_default(),
        "results": rows,
    });
    if let Err(e) = std::fs::write(out, format!("{report:#}\n")) {
        eprintln!("cannot write {out}: {e}");
        return ExitCode::FAILURE;
    }
    println!("\nResults written to {out}");
    ExitCode::SUCCESS
}
