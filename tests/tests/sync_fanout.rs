//! The sync at scale (SPEC §5): the schedule enqueues accounts on SQS (moto's emulator), the
//! queue's records are one account each with only retryable failures reported back, and one
//! run per account at a time, whoever starts it.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, TimeZone, Utc};
use integration_tests::emulators::sqs_queue;
use integration_tests::events::sqs_records;
use integration_tests::fakes::{calcom_page, fast_retries};
use integration_tests::faulty::FaultyStore;
use integration_tests::stores::Harness;
use lambda_http::lambda_runtime::{Context, LambdaEvent};
use serde_json::{Value, json};
use shared::accounts::{Account, NewAccount};
use shared::clock::FixedClock;
use shared::domain::{AccountId, Secret};
use shared::outbound::ProviderHttp;
use shared::sheets::SheetsClient;
use shared::store::prelude::*;
use shared::store::{LeaseTaken, SyncLease};
use shared::sync::sqs::SqsQueue;
use shared::sync::{SyncMessage, SyncQueue, SyncRunError, SyncService};
use sync::SyncFunction;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 20, 12, 0, 0).unwrap()
}

/// Cal.com with no bookings, answering after `delay`.
async fn empty_calcom(delay: Duration) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/bookings"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(calcom_page(&[], 1, 100, 0))
                .set_delay(delay),
        )
        .mount(&server)
        .await;
    server
}

fn service<S: Store + ?Sized>(store: Arc<S>, calcom: &MockServer) -> SyncService<S> {
    let http = ProviderHttp::new(fast_retries()).unwrap();
    SyncService::new(
        store,
        Arc::new(FixedClock(now())),
        http.clone(),
        calcom.uri(),
        "http://127.0.0.1:9",
        SheetsClient::new(&http, "http://127.0.0.1:9"),
    )
}

/// An account; with a Cal.com API key when `syncs`.
async fn account(store: &(impl Store + ?Sized), id: &str, syncs: bool) -> Account {
    let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let (mut account, _) = Account::create(NewAccount::new(AccountId::parse(id).unwrap()), at);
    if syncs {
        account.calcom.api_key = Some(Secret::new(format!("cal_live_{id}")).into());
    }
    store.create_account(&account).await.unwrap()
}

/// Records are consumed here, never enqueued.
struct NoQueue;

#[async_trait::async_trait]
impl SyncQueue for NoQueue {
    async fn send_batch(&self, _: &[String]) -> Result<Vec<usize>, String> {
        Err("not used by this test".into())
    }
}

fn invocation(payload: Value) -> LambdaEvent<Value> {
    let in_five_minutes =
        SystemTime::now().duration_since(UNIX_EPOCH).unwrap() + Duration::from_secs(300);
    let mut context = Context::default();
    context.deadline = u64::try_from(in_five_minutes.as_millis()).unwrap();
    LambdaEvent::new(payload, context)
}

fn deadline() -> tokio::time::Instant {
    tokio::time::Instant::now() + Duration::from_secs(60)
}

#[tokio::test]
async fn the_schedule_enqueues_one_message_per_account_that_needs_sync_on_sqs() {
    let Some((sqs, url)) = sqs_queue().await else {
        return;
    };
    let h = Harness::sqlite().await;
    let mut expected = BTreeSet::new();
    // 23 accounts to sync (three batches of at most ten), and two with nothing to sync.
    for i in 0..23 {
        let id = format!("team-{i:02}");
        account(&*h.store, &id, true).await;
        expected.insert(id);
    }
    account(&*h.store, "no-credentials", false).await;
    account(&*h.store, "also-nothing", false).await;

    let calcom = empty_calcom(Duration::ZERO).await;
    let function = SyncFunction {
        service: service(Arc::clone(&h.store), &calcom),
        // As the function builds it: the client is made by the first send.
        queue: Arc::new(SqsQueue::on_first_send(
            shared::store::dynamo::load_aws_config().await,
            url.clone(),
        )),
    };
    let answer = sync::handle_event(
        &function,
        invocation(json!({
            "version": "0", "id": "1", "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "123456789012", "time": "2026-03-20T12:00:00Z", "region": "eu-west-2",
            "resources": [], "detail": {}
        })),
    )
    .await
    .unwrap();
    assert_eq!(answer, json!({"enqueued": 23}));
    assert!(
        calcom.received_requests().await.unwrap().is_empty(),
        "the schedule itself syncs nothing"
    );

    let mut received = BTreeSet::new();
    loop {
        let out = sqs
            .receive_message()
            .queue_url(&url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        if out.messages().is_empty() {
            break;
        }
        for message in out.messages() {
            let body: SyncMessage = serde_json::from_str(message.body().unwrap()).unwrap();
            assert!(received.insert(body.account_id), "each account once");
        }
    }
    assert_eq!(received, expected);
}

#[tokio::test]
async fn a_batch_reports_exactly_the_records_to_retry() {
    let h = Harness::sqlite().await;
    let store = Arc::new(FaultyStore::new(Arc::clone(&h.store)));
    let good = account(&*store, "good", true).await;
    let broken = account(&*store, "broken", true).await;
    account(&*store, "idle", false).await;
    let held = account(&*store, "held", true).await;
    store.break_account(&broken.id);
    // Another run holds `held`'s lease.
    let lease = SyncLease {
        holder: "another-run".into(),
        expires_at: now() + chrono::Duration::minutes(5),
    };
    assert_eq!(
        store
            .take_sync_lease(&held.id, &lease, now())
            .await
            .unwrap(),
        LeaseTaken::Taken
    );

    let calcom = empty_calcom(Duration::ZERO).await;
    let function = SyncFunction {
        service: service(Arc::clone(&store), &calcom),
        queue: Arc::new(NoQueue),
    };
    let mut event = sqs_records(&["good", "broken", "idle", "held", "gone"], now());
    // A message that is not ours.
    event["Records"][4]["body"] = "not json".into();
    let ids: Vec<String> = event["Records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["messageId"].as_str().unwrap().to_owned())
        .collect();

    let answer = sync::handle_event(&function, invocation(event))
        .await
        .unwrap();
    assert_eq!(
        answer,
        json!({"batchItemFailures": [
            {"itemIdentifier": ids[1]},
            {"itemIdentifier": ids[3]},
        ]}),
        "the broken store's and the held lease's records, nothing else"
    );
    let state = h.store.sync_state(&good.id).await.unwrap();
    assert!(state.last_run.unwrap().ok, "the good account was synced");
    assert!(
        h.store
            .sync_state(&held.id)
            .await
            .unwrap()
            .last_run
            .is_none()
    );
}

#[tokio::test]
async fn two_runs_of_one_account_at_once_one_runs_one_is_refused() {
    let h = Harness::sqlite().await;
    let acme = account(&*h.store, "acme", true).await;
    // A slow provider keeps the first run going while the second starts.
    let calcom = empty_calcom(Duration::from_millis(300)).await;
    let sync = service(Arc::clone(&h.store), &calcom);

    let first = sync.sync_account(&acme, deadline());
    let second = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        sync.sync_account(&acme, deadline()).await
    };
    let (first, second) = tokio::join!(first, second);
    assert!(first.unwrap().success);
    let refused = second.unwrap_err();
    assert!(matches!(
        refused,
        SyncRunError::InProgress { until: Some(_) }
    ));
    assert_eq!(refused.code(), "sync_in_progress");

    // The lease was given back: the next run goes ahead.
    assert!(sync.sync_account(&acme, deadline()).await.unwrap().success);
}

#[tokio::test]
async fn post_sync_answers_409_while_another_run_holds_the_lease_until_it_expires() {
    let h = Harness::sqlite().await;
    let (account, secrets) =
        Account::create(NewAccount::new(AccountId::parse("acme").unwrap()), now());
    let mut account = account;
    account.calcom.api_key = Some(Secret::new("cal_live_acme").into());
    let account = h.store.create_account(&account).await.unwrap();
    let calcom = empty_calcom(Duration::ZERO).await;
    let sync = service(Arc::clone(&h.store), &calcom);
    let crashed = SyncLease {
        holder: "a-run-that-crashed".into(),
        expires_at: now() + chrono::Duration::minutes(3),
    };
    h.store
        .take_sync_lease(&account.id, &crashed, now())
        .await
        .unwrap();

    let mut headers = http::HeaderMap::new();
    let bearer = format!("Bearer {}", secrets.api_key.expose());
    headers.insert("authorization", bearer.parse().unwrap());
    let response = sync.handle_http(&http::Method::POST, &headers).await;
    assert_eq!(response.status(), 409);
    let body: Value = serde_json::from_str(response.body()).unwrap();
    assert_eq!(body["error"]["code"], "sync_in_progress");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("2026-03-20 12:03:00 UTC"),
        "{body}"
    );

    // Four minutes later the crashed run's lease has expired, and a run takes it over.
    let later = service(Arc::clone(&h.store), &calcom);
    let later = SyncService {
        clock: Arc::new(FixedClock(now() + chrono::Duration::minutes(4))),
        ..later
    };
    let response = later.handle_http(&http::Method::POST, &headers).await;
    assert_eq!(response.status(), 200);
}

/// A queue that refuses each batch's first entry once, or always.
struct Refusing {
    always: bool,
    calls: std::sync::Mutex<Vec<Vec<String>>>,
}

#[async_trait::async_trait]
impl SyncQueue for Refusing {
    async fn send_batch(&self, bodies: &[String]) -> Result<Vec<usize>, String> {
        let mut calls = self.calls.lock().unwrap();
        let seen_before = calls.iter().any(|c| c.first() == bodies.first());
        calls.push(bodies.to_vec());
        Ok(if self.always || !seen_before {
            vec![0]
        } else {
            vec![]
        })
    }
}

#[tokio::test]
async fn entries_the_queue_refuses_are_sent_again_and_a_lasting_refusal_fails_the_schedule() {
    let h = Harness::sqlite().await;
    for i in 0..12 {
        account(&*h.store, &format!("team-{i:02}"), true).await;
    }
    let calcom = empty_calcom(Duration::ZERO).await;
    let sync = service(Arc::clone(&h.store), &calcom);

    let once = Refusing {
        always: false,
        calls: std::sync::Mutex::default(),
    };
    assert_eq!(sync.enqueue_all(&once).await.unwrap(), 12);
    let calls = once.calls.lock().unwrap().clone();
    assert_eq!(
        calls.len(),
        4,
        "two batches, each sent again with its refused entry"
    );
    let resent: Vec<&Vec<String>> = calls.iter().filter(|c| c.len() == 1).collect();
    assert_eq!(resent.len(), 2);

    let always = Refusing {
        always: true,
        calls: std::sync::Mutex::default(),
    };
    let err = sync.enqueue_all(&always).await.unwrap_err();
    assert!(err.to_string().contains("refused 3 times"), "{err}");
}
