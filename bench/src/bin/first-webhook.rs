//! `first-webhook`: what sealing secrets costs the first webhook after a cold start (SPEC §6).
//! In one process, against DynamoDB Local and moto's KMS, each round builds the webhook service
//! afresh, as a cold start does (no key ring in memory), and sends a signed Cal.com booking
//! for an account whose secrets are sealed (the ring unwrapped by one KMS `Decrypt`), then one
//! for an account still holding plain text (as before sealing), then a second webhook each.
//! moto's `Decrypt` round trip and our own unsealing (parsing the ring, AES-256-GCM open) are
//! timed apart, so the emulator's latency is not taken for ours.
//!
//! Usage: `first-webhook OUT.json [ROUNDS]` with `AWS_ENDPOINT_URL_DYNAMODB` and
//! `AWS_ENDPOINT_URL_KMS` set (`scripts/bench` starts both).

// A command-line harness: printing is its job, and a failed set-up ends it.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::expect_used,
    clippy::unwrap_used
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use bench::emulated::Emulated;
use chrono::Utc;
use integration_tests::{compact, provider_fixture};
use serde_json::json;
use shared::accounts::{Account, NewAccount};
use shared::clock::SystemClock;
use shared::domain::{AccountId, Provider, Secret};
use shared::providers::calcom;
use shared::secrets::{DataKey, Keyring, SecretField};
use shared::store::dynamo::DynamoStore;
use shared::store::prelude::*;
use shared::webhooks::{WebhookRequest, WebhookService};

const SECRET: &str = "calsec_first_webhook_bench";

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// A booking of its own (a fresh uid), signed with the account's secret.
fn booking(n: usize) -> (Vec<u8>, String) {
    let text =
        String::from_utf8(compact(&provider_fixture("calcom-booking-created.json"))).unwrap();
    let body = text
        .replacen("\"uid\":\"", &format!("\"uid\":\"bench{n}-"), 1)
        .into_bytes();
    let signature = calcom::sign(&Secret::new(SECRET), &body);
    (body, signature)
}

async fn webhook(service: &WebhookService<DynamoStore>, account: &str, n: usize) -> Duration {
    let (body, signature) = booking(n);
    let mut headers = http::HeaderMap::new();
    headers.insert(calcom::SIGNATURE_HEADER, signature.parse().unwrap());
    let started = Instant::now();
    let response = service
        .receive(WebhookRequest {
            provider: Provider::Calcom,
            path_account: Some(account),
            headers: &headers,
            body: &body,
        })
        .await;
    let elapsed = started.elapsed();
    assert_eq!(response.status(), 200, "{}", response.body());
    elapsed
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let out = args.next().unwrap_or_else(|| "first-webhook.json".into());
    let rounds: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(20);
    let Emulated {
        config,
        kms_key: key_id,
        table,
    } = Emulated::connect("first-webhook").await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    let fresh = || DynamoStore::new(client.clone(), table.clone()).with_kms_key(&config, &key_id);
    let setup = fresh();
    setup.create_table().await.unwrap();
    for id in ["sealed", "plain"] {
        let (mut account, _) =
            Account::create(NewAccount::new(AccountId::parse(id).unwrap()), Utc::now());
        account.calcom.webhook_secret = Secret::new(SECRET).into();
        setup.create_account(&account).await.unwrap();
    }
    // The "plain" account as a build from before sealing left it.
    let rewritten = integration_tests::stores::dynamo_set_raw_secrets(
        &client,
        &table,
        "plain",
        &[("calcom.webhookSecret", SECRET)],
    )
    .await;
    assert!(rewritten, "the plain account's items were rewritten");

    let (mut first_sealed, mut first_plain, mut second_sealed, mut second_plain) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        for (account, first, second) in [
            ("sealed", &mut first_sealed, &mut second_sealed),
            ("plain", &mut first_plain, &mut second_plain),
        ] {
            let service = WebhookService {
                store: Arc::new(fresh()),
                clock: Arc::new(SystemClock),
                calendly_tolerance: Duration::from_secs(300),
            };
            first.push(webhook(&service, account, round * 4 + first.len()).await);
            second.push(webhook(&service, account, 100_000 + round * 4 + second.len()).await);
        }
    }

    // moto's Decrypt of the ring, and our own unsealing, apart.
    let kms = aws_sdk_kms::Client::new(&config);
    let ring = Keyring::new(DataKey::generate().unwrap()).unwrap();
    let wrapped = kms
        .encrypt()
        .key_id(&key_id)
        .plaintext(aws_sdk_kms::primitives::Blob::new(
            ring.to_json().as_bytes().to_vec(),
        ))
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    let mut decrypts = Vec::new();
    for _ in 0..rounds {
        let started = Instant::now();
        kms.decrypt()
            .ciphertext_blob(wrapped.clone())
            .send()
            .await
            .unwrap();
        decrypts.push(started.elapsed());
    }
    let account = AccountId::parse("sealed").unwrap();
    let sealed = ring
        .seal(
            &account,
            SecretField::CalcomWebhookSecret,
            &Secret::new(SECRET),
        )
        .unwrap();
    let json_text = ring.to_json();
    let mut ours = Vec::new();
    for _ in 0..1000 {
        let started = Instant::now();
        let parsed = Keyring::from_json(json_text.as_bytes()).unwrap();
        let opened = parsed
            .open(&account, SecretField::CalcomWebhookSecret, &sealed)
            .unwrap();
        ours.push(started.elapsed());
        assert_eq!(opened.expose(), SECRET);
    }

    let (fs, fp, ss, sp) = (
        median(first_sealed),
        median(first_plain),
        median(second_sealed),
        median(second_plain),
    );
    let (decrypt, own) = (median(decrypts), median(ours));
    let rows = json!([
        {"what": "first webhook after a cold start, secrets sealed (DynamoDB Local, KMS on moto)",
         "measured": format!("{} (plain text, as before sealing: {}; +{})", ms(fs), ms(fp), ms(fs.saturating_sub(fp))),
         "target": "the added cost is one KMS Decrypt", "met": null},
        {"what": "of which moto's KMS Decrypt round trip",
         "measured": ms(decrypt), "target": "-", "met": null},
        {"what": "of which our own unsealing (ring parse + AES-256-GCM open)",
         "measured": format!("{:.1} µs", own.as_secs_f64() * 1e6), "target": "-", "met": null},
        {"what": "second webhook of the same process, sealed vs plain",
         "measured": format!("{} vs {}", ms(ss), ms(sp)),
         "target": "no difference (the ring stays in memory)", "met": null},
    ]);
    for row in rows.as_array().unwrap() {
        println!(
            "{}: {}",
            row["what"].as_str().unwrap(),
            row["measured"].as_str().unwrap()
        );
    }
    std::fs::write(&out, format!("{rows:#}\n")).unwrap();
}
