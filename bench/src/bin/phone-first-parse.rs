//! The first phone normalisation of a process: what a cold start's first webhook pays for
//! phone metadata. Usage: `phone-first-parse OUT.json`; writes a row for `bench-report`.

// A command-line probe: printing is its job.
#![allow(clippy::print_stdout, clippy::panic)]

use std::time::Instant;

use shared::domain::{Phone, Region};

fn main() {
    let started = Instant::now();
    let first = Phone::parse("+44 7742 201349", Region::GB).is_ok();
    let first_us = started.elapsed().as_secs_f64() * 1e6;
    let started = Instant::now();
    let second = Phone::parse("07742 201350", Region::GB).is_ok();
    let second_us = started.elapsed().as_secs_f64() * 1e6;
    assert!(first && second, "the probe numbers are valid");
    let row = serde_json::json!([{
        "what": "first phone normalisation in a fresh process",
        "measured": format!("{:.2} ms (then {second_us:.1} µs per number)", first_us / 1e3),
        "target": "≤ 2 ms: one region's metadata, not the whole numbering database",
        "met": first_us <= 2000.0,
    }]);
    println!(
        "first phone parse: {:.2} ms, second: {second_us:.1} µs",
        first_us / 1e3
    );
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "phone.json".into());
    if let Err(e) = std::fs::write(&out, format!("{row:#}\n")) {
        println!("cannot write {out}: {e}");
    }
}
