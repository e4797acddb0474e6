//! The webhook CPU path, no I/O: verify the signature over the raw bytes, parse the payload
//! (phones normalised), and run the booking transition, for each provider's sample payloads.

use std::hint::black_box;

use bench::sample;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use shared::booking::{ApplyContext, Neighbourhood, apply};
use shared::domain::{Region, Secret};
use shared::providers::{Parsed, calcom, calendly};

const CALCOM: &[&str] = &[
    "calcom-booking-created.json",
    "calcom-booking-rescheduled.json",
    "calcom-booking-cancelled.json",
];
const CALENDLY: &[&str] = &[
    "calendly-invitee-created.json",
    "calendly-invitee-canceled.json",
];

fn context() -> ApplyContext {
    ApplyContext {
        time_zone: chrono_tz::Europe::London,
        lead: None,
        lead_choice: None,
        lead_attribution: Default::default(),
    }
}

fn transition(parsed: Parsed) -> shared::booking::Transition {
    let Parsed::Event(event) = parsed else {
        unreachable!("the samples are booking events")
    };
    apply(&event, Neighbourhood::default(), &context())
}

fn webhook(c: &mut Criterion) {
    let mut group = c.benchmark_group("webhook");
    let secret = Secret::new("whsec_bench_secret_0123456789");
    for file in CALCOM {
        let body = sample(file);
        let header = calcom::sign(&secret, &body);
        group.bench_function(file.trim_end_matches(".json"), |b| {
            b.iter(|| {
                calcom::verify(&secret, black_box(&body), Some(&header)).ok();
                let parsed = calcom::parse(black_box(&body), Region::GB).ok();
                black_box(parsed.map(transition))
            });
        });
    }
    let now = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).single();
    let now = now.unwrap_or_default();
    for file in CALENDLY {
        let body = sample(file);
        let header = calendly::sign(&secret, now.timestamp(), &body);
        group.bench_function(file.trim_end_matches(".json"), |b| {
            b.iter(|| {
                calendly::verify(
                    &secret,
                    black_box(&body),
                    Some(&header),
                    now,
                    Duration::from_secs(300),
                )
                .ok();
                let parsed = calendly::parse(black_box(&body), Region::GB).ok();
                black_box(parsed.map(transition))
            });
        });
    }
    group.finish();
}

criterion_group!(benches, webhook);
criterion_main!(benches);
