//! Inputs shared by the benches: the provider samples, generated leads and bookings, webhook
//! events; and what the harnesses measure with: latency summaries, DynamoDB call counts.

// Bench set-up: a missing sample or a bad generated number is a broken checkout.
#![allow(clippy::panic)]

pub mod dynamo_calls;
pub mod emulated;
pub mod http1;
pub mod latency;
pub mod load;
pub mod providers;
pub mod replay;
pub mod webhook_events;

use std::path::PathBuf;

use shared::domain::{Attendee, Email, LeadId, Phone, Region};

/// A provider sample payload (`tests/fixtures/providers`).
pub fn sample(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/providers")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// A lead as the matcher sees it: its id and contact details.
#[derive(Clone, Debug)]
pub struct LeadContact {
    pub id: LeadId,
    pub phone: Option<Phone>,
    pub email: Option<Email>,
}

/// `n` leads with distinct UK mobile numbers and emails; every third has no phone.
pub fn leads(n: usize) -> Vec<LeadContact> {
    (0..n)
        .map(|i| LeadContact {
            id: LeadId::generate(),
            phone: (!i.is_multiple_of(3)).then(|| phone(i)),
            email: Some(email(i)),
        })
        .collect()
}

/// `n` attendees, spread over the first `of` leads: half found by phone, a quarter only by
/// email, a quarter strangers.
pub fn attendees(n: usize, of: usize) -> Vec<Attendee> {
    (0..n)
        .map(|j| {
            let i = (j * 7919) % of;
            match j % 4 {
                0 | 1 if !i.is_multiple_of(3) => Attendee {
                    name: None,
                    phone: Some(phone(i)),
                    email: None,
                },
                2 => Attendee {
                    name: None,
                    phone: None,
                    email: Some(email(i)),
                },
                _ => Attendee {
                    name: None,
                    phone: Some(phone(of + j)),
                    email: Some(email(of + j)),
                },
            }
        })
        .collect()
}

fn phone(i: usize) -> Phone {
    // 07400 000000 onwards: valid UK mobile numbers.
    Phone::parse(&format!("+4474{:08}", i), Region::GB).unwrap_or_else(|e| panic!("{i}: {e}"))
}

fn email(i: usize) -> Email {
    Email::parse(&format!("lead{i}@example.com")).unwrap_or_else(|e| panic!("{i}: {e}"))
}
