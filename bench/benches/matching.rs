//! Sync matching at scale: 10,000 provider bookings against 100,000 leads. booking-tracker finds
//! each attendee's lead through phone and email indexes (here in memory, as the sheet pull does;
//! the stores keep the same indexes); the previous system scanned every lead for each booking.

use std::collections::HashMap;
use std::hint::black_box;

use bench::{LeadContact, attendees, leads};
use criterion::{Criterion, criterion_group, criterion_main};
use shared::domain::{Attendee, Email, LeadId, Phone};
use shared::matching::match_lead;

const LEADS: usize = 100_000;
const BOOKINGS: usize = 10_000;

/// Builds the indexes, then matches every booking: O(leads + bookings).
fn indexed(leads: &[LeadContact], bookings: &[Attendee]) -> usize {
    let mut by_phone: HashMap<&Phone, &LeadId> = HashMap::with_capacity(leads.len());
    let mut by_email: HashMap<&Email, &LeadId> = HashMap::with_capacity(leads.len());
    for lead in leads {
        if let Some(p) = &lead.phone {
            by_phone.insert(p, &lead.id);
        }
        if let Some(e) = &lead.email {
            by_email.insert(e, &lead.id);
        }
    }
    bookings
        .iter()
        .filter(|a| {
            let phone: Vec<LeadId> = a
                .phone
                .as_ref()
                .and_then(|p| by_phone.get(p))
                .map(|id| (*id).clone())
                .into_iter()
                .collect();
            let email: Vec<LeadId> = a
                .email
                .as_ref()
                .and_then(|e| by_email.get(e))
                .map(|id| (*id).clone())
                .into_iter()
                .collect();
            match_lead(a, &phone, &email).lead().is_some()
        })
        .count()
}

/// The previous system's approach: for each booking, scan every lead. O(leads x bookings).
fn scan(leads: &[LeadContact], bookings: &[Attendee]) -> usize {
    bookings
        .iter()
        .filter(|a| {
            let phone: Vec<LeadId> = leads
                .iter()
                .filter(|l| a.phone.is_some() && l.phone == a.phone)
                .map(|l| l.id.clone())
                .collect();
            let email: Vec<LeadId> = leads
                .iter()
                .filter(|l| a.email.is_some() && l.email == a.email)
                .map(|l| l.id.clone())
                .collect();
            match_lead(a, &phone, &email).lead().is_some()
        })
        .count()
}

fn matching(c: &mut Criterion) {
    let leads = leads(LEADS);
    let bookings = attendees(BOOKINGS, LEADS);
    let sample = &bookings[..200];
    assert_eq!(
        indexed(&leads, sample),
        scan(&leads, sample),
        "both find the same leads"
    );
    assert!(
        indexed(&leads, &bookings) > BOOKINGS / 2,
        "most bookings belong to a lead"
    );
    let mut group = c.benchmark_group("sync_matching");
    group.sample_size(10);
    group.bench_function("indexed_10k_bookings_100k_leads", |b| {
        b.iter(|| black_box(indexed(black_box(&leads), black_box(&bookings))));
    });
    group.bench_function("scan_10k_bookings_100k_leads", |b| {
        b.iter(|| black_box(scan(black_box(&leads), black_box(&bookings))));
    });
    group.finish();
}

criterion_group!(benches, matching);
criterion_main!(benches);
