//! One conformance suite, run against both stores for real: SQLite in a temporary file, and
//! DynamoDB Local (started by `scripts/test`; skipped with a printed reason under plain
//! `cargo test` when it is not running).

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use integration_tests::histories::{deliveries, expected_tip_status, history, key, seeded_chains};
use integration_tests::stores::{Harness, Metered, account as new_account, t0};
use shared::accounts::{Account, ApiKeyHash, SecretKind};
use shared::booking::{
    ApplyContext, Appointment, DayCounts, Dimension, Neighbourhood, NeighbourhoodLoader, Outcome,
    Segment, apply,
};
use shared::domain::{
    AppointmentId, AppointmentStatus, Attendee, BookingEvent, BookingKey, Email, EventKind, LeadId,
    Phone, Provider, Region,
};
use shared::ingest::{all_days, apply_event, drift, expected_counters};
use shared::leads::{Lead, LeadSource};
use shared::store::{
    ApplyBatch, Delivery, LeadWrite, LookupClaim, Store, StoreError, SyncRun, SyncState,
};

fn booking(
    key: &str,
    kind: EventKind,
    at: DateTime<Utc>,
    phone: Option<&str>,
    email: Option<&str>,
) -> BookingEvent {
    BookingEvent {
        provider: Provider::Calcom,
        kind,
        key: BookingKey::parse(key).unwrap(),
        predecessor: None,
        successor: None,
        start: Some(t0() + Duration::days(10)),
        end: Some(t0() + Duration::days(10) + Duration::minutes(30)),
        attendee: Attendee {
            name: Some("Priya Nair".into()),
            phone: phone.map(|p| Phone::parse(p, Region::GB).unwrap()),
            email: email.map(|e| Email::parse(e).unwrap()),
        },
        event_type: Some("discovery-call".into()),
        occurred_at: at,
        booked_at: matches!(
            kind,
            EventKind::Booked | EventKind::Requested | EventKind::Rescheduled
        )
        .then_some(at),
        trigger: format!("TEST_{}", kind.as_str()),
        tracking: Default::default(),
    }
}

fn booked(key: &str) -> BookingEvent {
    booking(
        key,
        EventKind::Booked,
        t0(),
        Some("07742201349"),
        Some("priya@example.com"),
    )
}

fn id_of(event: &BookingEvent) -> AppointmentId {
    AppointmentId::for_booking(event.provider, &event.key)
}

/// The sum of all the account's counters.
/// The account's counters summed over all days, as stored (with their segments).
async fn stored_totals<S: Store + ?Sized>(store: &S, account: &Account) -> DayCounts {
    let from = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
    let to = NaiveDate::from_ymd_opt(2100, 1, 1).unwrap();
    let mut total = DayCounts::default();
    for (_, counts) in store.day_counts(&account.id, from, to).await.unwrap() {
        total += counts;
    }
    total
}

/// The account's own totals, once checked that each dimension's segments add up to them.
async fn totals<S: Store + ?Sized>(store: &S, account: &Account) -> DayCounts {
    let stored = stored_totals(store, account).await;
    let without_gaps = |c: &DayCounts| DayCounts {
        lead_gaps: Default::default(),
        ..c.overall()
    };
    for dimension in Dimension::ALL {
        let mut summed = DayCounts::default();
        for (segment, counts) in &stored.segments {
            if segment.dimension == dimension {
                summed += &without_gaps(counts);
            }
        }
        assert_eq!(summed, without_gaps(&stored), "{dimension} segments add up");
    }
    stored.overall()
}

async fn all_appointments<S: Store + ?Sized>(store: &S, account: &Account) -> Vec<Appointment> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .list_appointments(&account.id, after.as_deref(), 7)
            .await
            .unwrap();
        out.extend(page.items);
        match page.next {
            Some(next) => after = Some(next),
            None => return out,
        }
    }
}

/// Stored counters equal a recount from the stored appointments and leads.
async fn assert_counters_match_recount<S: Store + ?Sized>(store: &S, account: &Account) {
    let (from, to) = all_days();
    let stored = store.day_counts(&account.id, from, to).await.unwrap();
    let appointments = all_appointments(store, account).await;
    let leads = store
        .list_leads(&account.id, None, 10_000)
        .await
        .unwrap()
        .items;
    let expected = expected_counters(&appointments, &leads, account.time_zone);
    assert_eq!(drift(&stored, &expected), [], "counters equal a recount");
}

async fn the_same_event_ten_times_is_one_transition<S: Store + Metered + 'static>(h: Harness<S>) {
    let store = &*h.store;
    let (account, _) = new_account(store, "acme").await;
    let event = booked("bk-1");
    let mut outcomes = Vec::new();
    for _ in 0..10 {
        outcomes.push(
            apply_event(store, &account, &event, None, t0())
                .await
                .unwrap()
                .outcome,
        );
    }
    assert_eq!(outcomes[0], Outcome::Created);
    assert!(
        outcomes[1..].iter().all(|o| *o == Outcome::Unchanged),
        "{outcomes:?}"
    );
    let stored = store
        .get_appointment(&account.id, &id_of(&event))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.revision(), 1);
    assert_eq!(
        totals(store, &account).await,
        DayCounts {
            booked: 1,
            lead_gaps: [(0, 1)].into(),
            ..DayCounts::default()
        }
    );

    let phone = Phone::parse("07742201349", Region::GB).unwrap();
    let found = store
        .find_leads(&account.id, Some(&phone), None)
        .await
        .unwrap();
    let lead_id = found
        .by_phone
        .expect("a lead was created from the attendee");
    assert_eq!(stored.lead_id(), Some(&lead_id));
    let lead = store
        .get_lead(&account.id, &lead_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(lead.source, LeadSource::Booking);
    assert_eq!(lead.status.as_deref(), Some("CALL_BOOKED"));
    assert_eq!(lead.next_appointment(), stored.start());
    assert_eq!(lead.email, Email::parse_optional("priya@example.com"));
    assert_eq!(
        store
            .lead_timeline(&account.id, &lead_id)
            .await
            .unwrap()
            .len(),
        1
    );
}

async fn concurrent_duplicates_have_exactly_one_winner<S: Store + Metered + 'static>(
    h: Harness<S>,
) {
    let (account, _) = new_account(&*h.store, "acme").await;
    let event = booked("bk-race");
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let (store, account, event) = (Arc::clone(&h.store), account.clone(), event.clone());
        tasks.push(tokio::spawn(async move {
            apply_event(&*store, &account, &event, None, t0())
                .await
                .unwrap()
                .outcome
        }));
    }
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }
    assert_eq!(
        outcomes.iter().filter(|o| **o == Outcome::Created).count(),
        1,
        "{outcomes:?}"
    );
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| **o == Outcome::Unchanged)
            .count(),
        49
    );
    let store = &*h.store;
    let leads = store.list_leads(&account.id, None, 100).await.unwrap();
    assert_eq!(
        leads.items.len(),
        1,
        "one lead, however many raced to create it"
    );
    assert_eq!(totals(store, &account).await.booked, 1);
    assert_counters_match_recount(store, &account).await;
}

async fn concurrent_conflicting_events_serialise<S: Store + Metered + 'static>(h: Harness<S>) {
    let (account, _) = new_account(&*h.store, "acme").await;
    let (reference, _) = new_account(&*h.store, "reference").await;
    let key = "bk-contended";
    let mut events = vec![booked(key)];
    for i in 1..50 {
        let kind = match i % 5 {
            0 => EventKind::Completed,
            1 | 3 => EventKind::NoShowMarked,
            2 => EventKind::NoShowCleared,
            _ => EventKind::Booked,
        };
        events.push(booking(
            key,
            kind,
            t0() + Duration::minutes(i),
            Some("07742201349"),
            None,
        ));
    }
    events.push(booking(
        key,
        EventKind::Cancelled,
        t0() + Duration::minutes(60),
        None,
        None,
    ));

    let mut tasks = Vec::new();
    for event in events.clone() {
        let (store, account) = (Arc::clone(&h.store), account.clone());
        tasks.push(tokio::spawn(async move {
            apply_event(&*store, &account, &event, None, t0())
                .await
                .unwrap()
                .wrote
        }));
    }
    let mut changes = 0;
    for task in tasks {
        if task.await.unwrap() {
            changes += 1;
        }
    }
    let store = &*h.store;
    // The same events one at a time, in time order, into another account.
    events.sort_by_key(|e| e.occurred_at);
    for event in &events {
        apply_event(store, &reference, event, None, t0())
            .await
            .unwrap();
    }
    let raced = store
        .get_appointment(&account.id, &id_of(&events[0]))
        .await
        .unwrap()
        .unwrap();
    let serial = store
        .get_appointment(&reference.id, &id_of(&events[0]))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(raced.status(), serial.status());
    assert_eq!(raced.status(), AppointmentStatus::Cancelled);
    assert_eq!(raced.last_event_at(), serial.last_event_at());
    assert_eq!(raced.attendee(), serial.attendee());
    assert_eq!(raced.booked_at(), serial.booked_at());
    // Each successful change wrote exactly one revision: no two writers won the same one.
    assert_eq!(raced.revision(), changes);
    assert_counters_match_recount(store, &account).await;
    assert_eq!(
        totals(store, &account).await,
        totals(store, &reference).await
    );
}

async fn histories_converge_through_the_store<S: Store + Metered + 'static>(h: Harness<S>) {
    let store = &*h.store;
    for seed in 0..6u64 {
        let (account, _) = new_account(store, &format!("history-{seed}")).await;
        let chains = seeded_chains(seed, 3);
        let events: Vec<BookingEvent> = chains
            .iter()
            .enumerate()
            .flat_map(|(i, c)| history(i, c))
            .collect();
        let copies: Vec<u8> = (0..events.len())
            .map(|i| (i as u64 * 7 + seed) as u8)
            .collect();
        let order: Vec<u32> = (0..events.len() * 3)
            .map(|i| ((i as u64 * 2_654_435_761 + seed * 97) % 1000) as u32)
            .collect();
        for event in deliveries(&events, &copies, &order) {
            apply_event(store, &account, &event, None, t0())
                .await
                .unwrap();
        }

        // The reference: the pure machine, events once, in time order.
        let mut expected: BTreeMap<BookingKey, Appointment> = BTreeMap::new();
        let mut by_time = events.clone();
        by_time.sort_by_key(|e| e.occurred_at);
        for event in &by_time {
            let mut loader = NeighbourhoodLoader::new(event);
            while let Some(k) = loader.next_key() {
                loader.supply(expected.get(&k).cloned());
            }
            let ctx = ApplyContext {
                time_zone: account.time_zone,
                lead: None,
                lead_choice: None,
                lead_attribution: Default::default(),
            };
            for write in apply(event, loader.finish(), &ctx).writes {
                expected.insert(write.after.key().clone(), write.after);
            }
        }
        let stored: BTreeMap<BookingKey, Appointment> = all_appointments(store, &account)
            .await
            .into_iter()
            .map(|a| (a.key().clone(), a))
            .collect();
        assert_eq!(stored.len(), expected.len(), "seed {seed}");
        for (k, want) in &expected {
            let got = &stored[k];
            assert_eq!(got.status(), want.status(), "seed {seed} {k}");
            assert_eq!(got.booked_at(), want.booked_at(), "seed {seed} {k}");
            assert_eq!(got.predecessor(), want.predecessor(), "seed {seed} {k}");
            assert_eq!(got.successor(), want.successor(), "seed {seed} {k}");
            assert_eq!(got.last_event_at(), want.last_event_at(), "seed {seed} {k}");
        }
        for (i, chain) in chains.iter().enumerate() {
            assert_eq!(
                stored[&key(i, chain.reschedules)].status(),
                expected_tip_status(chain)
            );
        }
        assert_counters_match_recount(store, &account).await;
    }
}

/// A batch whose lead write is stale: the appointment write before it must not survive.
async fn a_failure_mid_write_leaves_everything_unchanged<S: Store + Metered + 'static>(
    h: Harness<S>,
) {
    let store = &*h.store;
    let (account, _) = new_account(store, "acme").await;
    let first = booked("bk-atomic");
    apply_event(store, &account, &first, None, t0())
        .await
        .unwrap();
    let before = store
        .get_appointment(&account.id, &id_of(&first))
        .await
        .unwrap()
        .unwrap();
    let lead_id = before.lead_id().unwrap().clone();
    let lead = store
        .get_lead(&account.id, &lead_id)
        .await
        .unwrap()
        .unwrap();
    let counters_before = totals(store, &account).await;
    let dump_before = h.dump().await;

    let cancel = booking(
        "bk-atomic",
        EventKind::Cancelled,
        t0() + Duration::hours(1),
        None,
        None,
    );
    let hood = Neighbourhood {
        subject: Some(before.clone()),
        ..Neighbourhood::default()
    };
    let ctx = ApplyContext {
        time_zone: account.time_zone,
        lead: None,
        lead_choice: None,
        lead_attribution: Default::default(),
    };
    let transition = apply(&cancel, hood, &ctx);
    assert_eq!(transition.writes.len(), 1);

    let mut changed_lead = lead.clone();
    changed_lead.record_booking(&transition.writes[0].after, &account.labels);
    changed_lead.revision += 1;
    let stale = ApplyBatch {
        appointments: transition.writes.clone(),
        leads: vec![LeadWrite {
            before_revision: Some(lead.revision + 7),
            after: changed_lead.clone(),
        }],
        counters: transition.counters.clone(),
        delivery: Some(Delivery::new(Provider::Calcom, t0(), 200)),
        ..ApplyBatch::default()
    };
    assert!(matches!(
        store.commit(&account.id, &stale).await,
        Err(StoreError::Conflict)
    ));

    // A claim on a phone another lead owns fails the same way.
    let other = Lead {
        phone: Some(Phone::parse("01515416933", Region::GB).unwrap()),
        ..Lead::new(LeadId::generate(), LeadSource::Import, t0())
    };
    store
        .create_leads(&account.id, std::slice::from_ref(&other))
        .await
        .unwrap();
    let taken = ApplyBatch {
        appointments: transition.writes.clone(),
        leads: vec![LeadWrite {
            before_revision: Some(lead.revision),
            after: changed_lead,
        }],
        claims: vec![LookupClaim::Phone(
            other.phone.clone().unwrap(),
            lead_id.clone(),
        )],
        counters: transition.counters,
        ..ApplyBatch::default()
    };
    assert!(matches!(
        store.commit(&account.id, &taken).await,
        Err(StoreError::Conflict)
    ));

    let after = store
        .get_appointment(&account.id, &id_of(&first))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after, before, "appointment unchanged");
    assert_eq!(
        store
            .get_lead(&account.id, &lead_id)
            .await
            .unwrap()
            .unwrap(),
        lead,
        "lead unchanged"
    );
    assert_eq!(
        totals(store, &account).await,
        counters_before,
        "counters unchanged"
    );
    let dump_after = h.dump().await;
    let added: Vec<_> = dump_after
        .lines()
        .filter(|l| !dump_before.contains(*l))
        .collect();
    assert!(
        added
            .iter()
            .all(|line| line.contains(other.id.as_str()) || line.contains("+441515416933")),
        "only the other lead was added: {added:#?}"
    );
}

async fn lookups_read_constant_items_at_100k_leads<S: Store + Metered + 'static>(h: Harness<S>) {
    let store = &*h.store;
    let (small, _) = new_account(store, "small").await;
    let (big, _) = new_account(store, "big").await;
    let lead = |i: u32| Lead {
        phone: Some(Phone::from_e164(&format!("+4477420{i:05}")).unwrap()),
        email: Some(Email::parse(&format!("lead{i}@example.com")).unwrap()),
        ..Lead::new(LeadId::generate(), LeadSource::Import, t0())
    };
    let many: Vec<Lead> = (0..100_000).map(lead).collect();
    store.create_leads(&big.id, &many).await.unwrap();
    let few: Vec<Lead> = (0..10).map(lead).collect();
    store.create_leads(&small.id, &few).await.unwrap();

    let phone = Phone::from_e164("+447742005432").unwrap();
    let email = Email::parse("lead5432@example.com").unwrap();
    let mut costs = Vec::new();
    for (account, expected) in [(&big, &many[5432]), (&small, &few[5])] {
        let phone = if account.id == small.id {
            few[5].phone.clone().unwrap()
        } else {
            phone.clone()
        };
        let email = if account.id == small.id {
            few[5].email.clone().unwrap()
        } else {
            email.clone()
        };
        let before = h.store.read_stats();
        let found = store
            .find_leads(&account.id, Some(&phone), Some(&email))
            .await
            .unwrap();
        let cost = h.store.read_stats() - before;
        assert_eq!(found.by_phone.as_ref(), Some(&expected.id));
        assert_eq!(found.by_email.as_ref(), Some(&expected.id));
        assert_eq!(cost.items, 2, "one item per detail");
        assert_eq!(cost.full_scans, 0, "no scan of the account's leads");
        costs.push(cost);
    }
    assert_eq!(
        costs[0], costs[1],
        "the same cost with 100,000 leads as with 10"
    );
    if h.is_dynamodb() {
        assert!(
            costs[0].read_capacity_milli > 0,
            "DynamoDB reports the capacity it used"
        );
    }
}

async fn tenants_never_touch_each_other<S: Store + Metered + 'static>(h: Harness<S>) {
    let store = &*h.store;
    let (acme, _) = new_account(store, "acme").await;
    let (globex, _) = new_account(store, "globex").await;
    let event = booked("bk-same-id");
    for account in [&acme, &globex] {
        let applied = apply_event(store, account, &event, None, t0())
            .await
            .unwrap();
        assert_eq!(applied.outcome, Outcome::Created, "{}", account.id);
    }
    let cancel = booking(
        "bk-same-id",
        EventKind::Cancelled,
        t0() + Duration::hours(2),
        None,
        None,
    );
    apply_event(store, &acme, &cancel, None, t0())
        .await
        .unwrap();

    let a = store
        .get_appointment(&acme.id, &id_of(&event))
        .await
        .unwrap()
        .unwrap();
    let g = store
        .get_appointment(&globex.id, &id_of(&event))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.status(), AppointmentStatus::Cancelled);
    assert_eq!(g.status(), AppointmentStatus::Booked);
    assert_ne!(a.lead_id(), g.lead_id(), "each account has its own lead");
    let phone = Phone::parse("07742201349", Region::GB).unwrap();
    let found = store
        .find_leads(&globex.id, Some(&phone), None)
        .await
        .unwrap();
    assert_eq!(found.by_phone.as_ref(), g.lead_id());
    assert!(
        store
            .get_lead(&globex.id, a.lead_id().unwrap())
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(totals(store, &acme).await.cancelled, 1);
    let globex_totals = stored_totals(store, &globex).await;
    let expected = DayCounts {
        booked: 1,
        lead_gaps: [(0, 1)].into(),
        ..DayCounts::default()
    };
    assert_eq!(totals(store, &globex).await, expected);
    // Kept per campaign and source too (this booking carried neither).
    for dimension in Dimension::ALL {
        let none = Segment {
            dimension,
            key: None,
        };
        assert_eq!(globex_totals.segments.get(&none), Some(&expected));
    }
    assert_eq!(store.upcoming(&acme.id, t0(), 10).await.unwrap().len(), 0);
    assert_eq!(store.upcoming(&globex.id, t0(), 10).await.unwrap().len(), 1);
}

async fn deliveries_carry_their_expiry_and_expire<S: Store + Metered + 'static>(h: Harness<S>) {
    let store = &*h.store;
    let (account, _) = new_account(store, "acme").await;
    let now = t0() + Duration::days(40);
    let old = Delivery::new(Provider::Calendly, now - Duration::days(31), 401);
    let fresh = Delivery {
        error: Some("invalid_signature".into()),
        ..Delivery::new(Provider::Calcom, now - Duration::minutes(1), 401)
    };
    assert_eq!(fresh.expires_at, fresh.received_at + Duration::days(30));
    store.record_delivery(&account.id, &old).await.unwrap();
    store.record_delivery(&account.id, &fresh).await.unwrap();
    let applied = apply_event(
        store,
        &account,
        &booked("bk-log"),
        Some(Delivery::new(Provider::Calcom, now, 200)),
        now,
    )
    .await
    .unwrap();

    let recent = store.recent_deliveries(&account.id, now, 10).await.unwrap();
    assert_eq!(recent.len(), 2, "the 31-day-old entry is gone");
    assert_eq!(
        recent[0].outcome.as_deref(),
        Some("created"),
        "newest first, with its outcome"
    );
    assert_eq!(
        recent[0].appointment_id.as_ref(),
        Some(applied.appointment_id())
    );
    assert_eq!(recent[1], fresh);
    let dump = h.dump().await;
    if h.is_dynamodb() {
        let ttl = format!("\"ttl\":{{\"N\":\"{}\"}}", fresh.expires_at.timestamp());
        assert!(dump.contains(&ttl), "the TTL attribute is stored: {ttl}");
    } else {
        assert!(dump.contains(&format!("Integer({})", fresh.expires_at.timestamp())));
    }
}

async fn api_keys_are_never_stored_in_clear<S: Store + Metered + 'static>(h: Harness<S>) {
    let store = &*h.store;
    let (mut account, secrets) = new_account(store, "acme").await;
    let key = secrets.api_key.expose().to_owned();
    let found = store
        .account_by_api_key(&ApiKeyHash::of(&key))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, account.id);
    assert!(
        store
            .account_by_api_key(&ApiKeyHash::of("btk_wrong"))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        !h.dump().await.contains(&key),
        "the API key is not in the store"
    );
    assert!(
        h.dump().await.contains(ApiKeyHash::of(&key).as_hex()),
        "its hash is"
    );

    let fresh = account.rotate(SecretKind::Api, t0());
    account = store.update_account(&account).await.unwrap();
    assert!(
        store
            .account_by_api_key(&ApiKeyHash::of(&key))
            .await
            .unwrap()
            .is_none(),
        "the old key stops working at once"
    );
    let found = store
        .account_by_api_key(&ApiKeyHash::of(fresh.expose()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.revision, account.revision);
    assert!(!h.dump().await.contains(fresh.expose()));
}

async fn accounts_are_created_once_and_updated_conditionally<S: Store + Metered + 'static>(
    h: Harness<S>,
) {
    let store = &*h.store;
    let (acme, _) = new_account(store, "acme").await;
    new_account(store, "beta").await;
    let (again, _) = Account::create(shared::accounts::NewAccount::new(acme.id.clone()), t0());
    assert!(matches!(
        store.create_account(&again).await,
        Err(StoreError::AlreadyExists)
    ));
    let ids: Vec<String> = store
        .list_accounts()
        .await
        .unwrap()
        .iter()
        .map(|a| a.id.to_string())
        .collect();
    assert_eq!(ids, ["acme", "beta"]);

    let mut changed = acme.clone();
    changed.cors_origins = vec!["https://dash.example.com".into()];
    let saved = store.update_account(&changed).await.unwrap();
    assert_eq!(saved.revision, acme.revision + 1);
    assert!(
        matches!(
            store.update_account(&changed).await,
            Err(StoreError::Conflict)
        ),
        "stale revision"
    );
    let read = store.get_account(&acme.id).await.unwrap().unwrap();
    assert_eq!(read.cors_origins, ["https://dash.example.com"]);
    assert!(
        store
            .get_account(&shared::domain::AccountId::parse("nobody").unwrap())
            .await
            .unwrap()
            .is_none()
    );
}

async fn listings_use_their_indexes<S: Store + Metered + 'static>(h: Harness<S>) {
    let store = &*h.store;
    let (account, _) = new_account(store, "acme").await;
    for i in 0..12i64 {
        let mut event = booking(
            &format!("bk-{i:02}"),
            EventKind::Booked,
            t0() + Duration::minutes(i),
            Some("07742201349"),
            None,
        );
        event.start = Some(t0() + Duration::days(20) - Duration::hours(i));
        apply_event(store, &account, &event, None, t0())
            .await
            .unwrap();
    }
    let cancel = booking(
        "bk-11",
        EventKind::Cancelled,
        t0() + Duration::hours(5),
        None,
        None,
    );
    apply_event(store, &account, &cancel, None, t0())
        .await
        .unwrap();

    let upcoming = store.upcoming(&account.id, t0(), 5).await.unwrap();
    let keys: Vec<&str> = upcoming.iter().map(|a| a.key().as_str()).collect();
    assert_eq!(
        keys,
        ["bk-10", "bk-09", "bk-08", "bk-07", "bk-06"],
        "soonest first, cancelled left out"
    );
    let later = store
        .upcoming(
            &account.id,
            t0() + Duration::days(20) - Duration::hours(1),
            20,
        )
        .await
        .unwrap();
    assert_eq!(later.len(), 2);

    let lead = upcoming[0].lead_id().unwrap().clone();
    let of_lead = store
        .appointments_of_lead(&account.id, &lead)
        .await
        .unwrap();
    assert_eq!(of_lead.len(), 12, "all matched to the one lead by phone");
    assert!(
        of_lead
            .windows(2)
            .all(|w| w[0].booked_at() <= w[1].booked_at())
    );
    assert_eq!(all_appointments(store, &account).await.len(), 12);
    let lead_record = store.get_lead(&account.id, &lead).await.unwrap().unwrap();
    assert_eq!(lead_record.bookings.len(), 12);
    assert_eq!(lead_record.next_appointment(), upcoming[0].start());
}

async fn counters_and_sync_state_round_trip<S: Store + Metered + 'static>(h: Harness<S>) {
    let store = &*h.store;
    let (account, _) = new_account(store, "acme").await;
    let day = |d| NaiveDate::from_ymd_opt(2026, 3, d).unwrap();
    let counts = |booked| DayCounts {
        booked,
        completed: 1,
        ..DayCounts::default()
    };
    store
        .replace_counters(&account.id, &[(day(1), counts(2)), (day(3), counts(5))])
        .await
        .unwrap();
    assert_eq!(
        store
            .day_counts(&account.id, day(2), day(31))
            .await
            .unwrap(),
        [(day(3), counts(5))]
    );
    store
        .replace_counters(&account.id, &[(day(2), counts(1))])
        .await
        .unwrap();
    assert_eq!(
        store
            .day_counts(&account.id, day(1), day(31))
            .await
            .unwrap(),
        [(day(2), counts(1))]
    );

    assert_eq!(
        store.sync_state(&account.id).await.unwrap(),
        SyncState::default()
    );
    let state = SyncState {
        last_run: Some(SyncRun {
            at: t0(),
            ok: true,
            bookings_found: 12,
            updates_applied: 3,
            errors: 0,
        }),
        watermarks: [(Provider::Calcom, t0())].into(),
        full_reads: [(Provider::Calendly, t0())].into(),
        calendly_events: [("9f1c".to_owned(), "a1b2c3d4e5f6".to_owned())].into(),
    };
    store.save_sync_state(&account.id, &state).await.unwrap();
    assert_eq!(store.sync_state(&account.id).await.unwrap(), state);
}

integration_tests::conformance!(
    the_same_event_ten_times_is_one_transition,
    concurrent_duplicates_have_exactly_one_winner,
    concurrent_conflicting_events_serialise,
    histories_converge_through_the_store,
    a_failure_mid_write_leaves_everything_unchanged,
    lookups_read_constant_items_at_100k_leads,
    tenants_never_touch_each_other,
    deliveries_carry_their_expiry_and_expire,
    api_keys_are_never_stored_in_clear,
    accounts_are_created_once_and_updated_conditionally,
    listings_use_their_indexes,
    counters_and_sync_state_round_trip,
);
