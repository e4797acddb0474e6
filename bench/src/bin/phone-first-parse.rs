//! The first phone normalisation of a process: what a cold start's first webhook pays for
//! phone metadata, then the steady per-number cost of the tables against libphonenumber's in
//! the same run. Usage: `phone-first-parse OUT.json`; writes a row for `bench-report`.

// A command-line probe: printing is its job.
#![allow(clippy::print_stdout, clippy::panic)]

use std::hint::black_box;
use std::time::Instant;

use shared::domain::phone::oracle;
use shared::domain::{Phone, PhoneError, Region};

/// Regions whose numbers the per-number measurement mixes.
const REGIONS: [&str; 10] = ["GB", "US", "DE", "FR", "IN", "AU", "BR", "ES", "IT", "NL"];
/// Calls per number and timing; the per-number cost is the batch time over this.
const BATCH: u32 = 200;

fn micros(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1e6
}

fn main() {
    // What a Lambda's configuration does first: read the default region.
    let started = Instant::now();
    let region = Region::parse("GB").unwrap_or_else(|e| panic!("{e}"));
    let region_us = micros(started);
    let started = Instant::now();
    let first = Phone::parse("+44 7742 201349", region).is_ok();
    let first_us = micros(started);
    let started = Instant::now();
    let second = Phone::parse("07742 201350", region).is_ok();
    let second_us = micros(started);
    assert!(first && second, "the probe numbers are valid");

    let inputs = inputs();
    let ours = median_per_number(&inputs, Phone::parse);
    let library = median_per_number(&inputs, oracle::parse);
    let row = serde_json::json!([{
        "what": "first phone normalisation in a fresh process",
        "measured": format!(
            "{:.3} ms (then {second_us:.1} µs; per number {ours:.2} µs median over {} numbers of {} regions, libphonenumber {library:.2} µs)",
            first_us / 1e3,
            inputs.len(),
            REGIONS.len(),
        ),
        "target": "≤ 1 ms, and per number no slower than libphonenumber",
        "met": first_us <= 1000.0 && ours <= library,
    }]);
    println!(
        "region check: {region_us:.1} µs, first phone parse: {:.3} ms, second: {second_us:.1} µs",
        first_us / 1e3
    );
    println!(
        "per number (median of {} numbers, {BATCH} calls each): tables {ours:.2} µs, libphonenumber {library:.2} µs",
        inputs.len()
    );
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "phone.json".into());
    if let Err(e) = std::fs::write(&out, format!("{row:#}\n")) {
        println!("cannot write {out}: {e}");
    }
}

/// Each region's example mobile and fixed-line numbers from libphonenumber, written nationally
/// and internationally, each read in its own region (built after the first parse was timed).
fn inputs() -> Vec<(String, Region)> {
    use rlibphonenumber::{PHONE_NUMBER_UTIL, PhoneNumberFormat, PhoneNumberType};
    let mut out = Vec::new();
    for id in REGIONS {
        let region = Region::parse(id).unwrap_or_else(|e| panic!("{e}"));
        let library = rlibphonenumber::enums::Region::from_code(id)
            .unwrap_or_else(|_| panic!("{id} is a libphonenumber region"));
        for kind in [PhoneNumberType::Mobile, PhoneNumberType::FixedLine] {
            let Ok(number) =
                PHONE_NUMBER_UTIL.get_example_number_for_type_and_region(library, kind)
            else {
                continue;
            };
            for format in [
                PhoneNumberFormat::National,
                PhoneNumberFormat::International,
            ] {
                let raw = PHONE_NUMBER_UTIL.format(&number, format).into_owned();
                out.push((raw, region));
            }
        }
    }
    out
}

/// The median over the inputs of one call's cost, after one warm-up pass; both paths must
/// agree on every input.
fn median_per_number(
    inputs: &[(String, Region)],
    parse: fn(&str, Region) -> Result<Phone, PhoneError>,
) -> f64 {
    for (raw, region) in inputs {
        let ours = Phone::parse(raw, *region);
        assert_eq!(ours, parse(raw, *region), "{raw:?} in {region}");
        assert!(ours.is_ok(), "{raw:?} is an example number of {region}");
    }
    let mut costs: Vec<f64> = inputs
        .iter()
        .map(|(raw, region)| {
            let started = Instant::now();
            for _ in 0..BATCH {
                black_box(parse(black_box(raw), *region).ok());
            }
            micros(started) / f64::from(BATCH)
        })
        .collect();
    costs.sort_by(f64::total_cmp);
    costs[costs.len() / 2]
}
