//! `webhook calcom-subscribe` through the real binary, against a local fake of Cal.com API v2
//! `/v2/webhooks` (PROVIDERS.md §7.1): created, already active, repaired (inactive, missing a
//! trigger), duplicates deleted, replaced after a rotation, pagination, and refusals. Once on
//! SQLite, once on DynamoDB Local.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use wiremock::matchers::{header, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

mod common;

use common::run;

const API_KEY: &str = "cal_live_subscribe_tests";
const OURS: &str = "https://bt.example.com/webhooks/calcom/acme";
const OTHER: &str = "https://hooks.zapier.example/catch/1";
const TRIGGERS: [&str; 7] = [
    "BOOKING_CREATED",
    "BOOKING_REQUESTED",
    "BOOKING_RESCHEDULED",
    "BOOKING_CANCELLED",
    "BOOKING_REJECTED",
    "BOOKING_NO_SHOW_UPDATED",
    "MEETING_ENDED",
];

/// The user's webhooks, kept in memory as Cal.com answers them (`{status, data}`).
#[derive(Clone, Default)]
struct Webhooks {
    items: Arc<Mutex<Vec<Value>>>,
    next_id: Arc<Mutex<u64>>,
    /// Every POST and PATCH body, and every listing's `(skip, take)`.
    posted: Arc<Mutex<Vec<Value>>>,
    patched: Arc<Mutex<Vec<Value>>>,
    listed: Arc<Mutex<Vec<(usize, usize)>>>,
}

impl Webhooks {
    fn add(&self, url: &str, active: bool, triggers: &[&str]) -> u64 {
        let mut next = self.next_id.lock().unwrap();
        *next += 1;
        self.items.lock().unwrap().push(json!({
            "id": 1000 + *next, "subscriberUrl": url, "triggers": triggers, "active": active,
            "payloadTemplate": null, "userId": 42, "time": null, "timeUnit": null,
        }));
        1000 + *next
    }

    fn to(&self, url: &str) -> Vec<Value> {
        let items = self.items.lock().unwrap();
        items
            .iter()
            .filter(|w| w["subscriberUrl"] == url)
            .cloned()
            .collect()
    }

    fn edit(&self, id: &Value, change: impl FnOnce(&mut Value)) {
        let mut items = self.items.lock().unwrap();
        change(items.iter_mut().find(|w| w["id"] == *id).unwrap());
    }
}

fn ok(status: u16, data: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({"status": "success", "data": data}))
}

fn refusal(status: u16, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "status": "error",
        "timestamp": "2026-11-23T09:00:00.000Z",
        "path": "/v2/webhooks",
        "error": {"code": "BadRequestException", "message": message},
    }))
}

impl Respond for Webhooks {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let id: Option<u64> = request.url.path().rsplit('/').next().unwrap().parse().ok();
        let mut items = self.items.lock().unwrap();
        let at = id.and_then(|id| items.iter().position(|w| w["id"] == id));
        let body = || serde_json::from_slice::<Value>(&request.body).unwrap();
        match (request.method.as_str(), id, at) {
            ("GET", None, _) => {
                let query = |k: &str, default: usize| {
                    let mut pairs = request.url.query_pairs();
                    pairs
                        .find(|(name, _)| name == k)
                        .map_or(default, |(_, v)| v.parse().unwrap())
                };
                let (skip, take) = (query("skip", 0), query("take", 250));
                self.listed.lock().unwrap().push((skip, take));
                let page: Vec<Value> = items.iter().skip(skip).take(take).cloned().collect();
                ok(200, json!(page))
            }
            ("POST", None, _) => {
                let body = body();
                self.posted.lock().unwrap().push(body.clone());
                if body["secret"].as_str().is_none_or(str::is_empty) {
                    return refusal(
                        400,
                        "this fake wants a secret: deliveries would be unsigned",
                    );
                }
                let mut next = self.next_id.lock().unwrap();
                *next += 1;
                let created = json!({
                    "id": 1000 + *next, "subscriberUrl": body["subscriberUrl"],
                    "triggers": body["triggers"], "active": body["active"],
                    "payloadTemplate": null, "userId": 42,
                });
                items.push(created.clone());
                ok(201, created)
            }
            ("PATCH", Some(_), Some(at)) => {
                let body = body();
                self.patched.lock().unwrap().push(body.clone());
                for (k, v) in body.as_object().unwrap() {
                    if k != "secret" {
                        items[at][k] = v.clone();
                    }
                }
                ok(200, items[at].clone())
            }
            ("DELETE", Some(_), Some(at)) => ok(200, items.remove(at)),
            (_, Some(_), None) => refusal(404, "Webhook not found"),
            _ => ResponseTemplate::new(405),
        }
    }
}

/// The fake on its own server: the webhooks answer the account's API key only.
async fn fake_calcom(webhooks: &Webhooks) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(path_regex(r"^/v2/webhooks(/[0-9]+)?$"))
        .and(header(
            "authorization",
            format!("Bearer {API_KEY}").as_str(),
        ))
        .respond_with(webhooks.clone())
        .mount(&server)
        .await;
    Mock::given(path_regex(r"^/v2/"))
        .respond_with(refusal(401, "Invalid API Key"))
        .with_priority(10)
        .mount(&server)
        .await;
    server
}

async fn scenario(store: &str, env: &[(&str, &str)]) {
    let webhooks = Webhooks::default();
    let calcom = fake_calcom(&webhooks).await;
    let mut env = env.to_vec();
    let uri = calcom.uri();
    env.push(("CALCOM_API_URL", &uri));
    let cli = |args: &[&str]| run(store, &env, true, args);
    let subscribe = |replace: bool| {
        let mut args = vec!["webhook", "calcom-subscribe", "acme"];
        args.extend(["--url", "https://bt.example.com/"]);
        if replace {
            args.push("--replace");
        }
        cli(&args)
    };
    assert_eq!(cli(&["init"]).0, 0);
    let (_, created, _) = cli(&["accounts", "create", "acme"]);
    let secret = created["calcomWebhookSecret"].as_str().unwrap().to_owned();

    // No API key yet: nothing is called, and the message says what to set.
    let (code, out, _) = subscribe(false);
    assert_eq!(code, 1);
    let message = out["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("accounts update acme --calcom-api-key"),
        "{message}"
    );
    assert!(calcom.received_requests().await.unwrap().is_empty());
    let update = ["accounts", "update", "acme", "--calcom-api-key", API_KEY];
    assert_eq!(cli(&update).0, 0);

    // Created, with the account's secret, next to another service's webhook left alone.
    webhooks.add(OTHER, true, &["BOOKING_CREATED"]);
    let (code, out, stderr) = subscribe(false);
    assert_eq!(
        (code, &out["outcome"]),
        (0, &json!("created")),
        "{out} {stderr}"
    );
    let id = out["webhookId"].clone();
    assert_eq!(out, json!({"outcome": "created", "webhookId": id}));
    assert_eq!(
        webhooks.posted.lock().unwrap()[0],
        json!({"subscriberUrl": OURS, "triggers": TRIGGERS, "active": true, "secret": secret})
    );
    assert!(!out.to_string().contains(&secret) && !stderr.contains(&secret));
    let ours = || webhooks.to(OURS);
    assert_eq!(ours().len(), 1);

    // Again: left alone.
    let (code, out, _) = subscribe(false);
    assert_eq!(
        out,
        json!({"outcome": "already_active", "webhookId": id}),
        "{code}"
    );
    assert_eq!(webhooks.posted.lock().unwrap().len(), 1, "never doubled");

    // Switched off in Cal.com: repaired in place, with every trigger and the secret.
    let id_num = json!(id.as_str().unwrap().parse::<u64>().unwrap());
    webhooks.edit(&id_num, |w| w["active"] = json!(false));
    let (_, out, _) = subscribe(false);
    assert_eq!(out, json!({"outcome": "repaired", "webhookId": id}));
    assert_eq!(
        webhooks.patched.lock().unwrap()[0],
        json!({"active": true, "triggers": TRIGGERS, "secret": secret})
    );
    assert_eq!(ours()[0]["active"], true);

    // A trigger removed and another added by the team: ours are put back, theirs kept.
    webhooks.edit(&id_num, |w| {
        w["triggers"] = json!(["BOOKING_CREATED", "FORM_SUBMITTED"]);
    });
    let (_, out, _) = subscribe(false);
    assert_eq!(out["outcome"], "repaired");
    let triggers = ours()[0]["triggers"].clone();
    assert_eq!(triggers.as_array().unwrap().len(), 8, "{triggers}");
    assert_eq!(triggers[7], "FORM_SUBMITTED");

    // Two more webhooks to our URL would double every delivery: deleted, ours kept.
    webhooks.add(OURS, false, &TRIGGERS);
    webhooks.add(&format!("{OURS}/"), true, &["BOOKING_CREATED"]);
    let (_, out, _) = subscribe(false);
    assert_eq!(out, json!({"outcome": "already_active", "webhookId": id}));
    assert_eq!(ours().len(), 1);
    assert!(webhooks.to(&format!("{OURS}/")).is_empty());

    // After a rotation, --replace puts the new secret on a fresh webhook.
    let (_, rotated, _) = cli(&["accounts", "rotate", "acme", "--secret", "calcom"]);
    let (_, out, _) = subscribe(true);
    assert_eq!(out["outcome"], "replaced", "{out}");
    assert_ne!(out["webhookId"], id);
    assert_eq!(ours().len(), 1);
    let last = webhooks.posted.lock().unwrap().last().unwrap().clone();
    assert_eq!(last["secret"], rotated["calcomWebhookSecret"], "{rotated}");
    assert_eq!(
        webhooks.to(OTHER).len(),
        1,
        "another URL's webhook is never touched"
    );

    // Without --json: one sentence.
    let args = [
        "webhook",
        "calcom-subscribe",
        "acme",
        "--url",
        "https://bt.example.com",
    ];
    let (code, out, _) = run(store, &env, false, &args);
    let text = out.as_str().unwrap().trim();
    assert_eq!(code, 0);
    assert!(
        text.contains("already posts every trigger to") && !text.contains('\n'),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn calcom_subscribe_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite:{}", dir.path().join("bt.db").display());
    scenario(&store, &[]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn calcom_subscribe_on_dynamodb_local() {
    let Some((store, key)) = common::dynamodb_local("bt-calcom-sub").await else {
        return;
    };
    scenario(&store, &[("KMS_KEY_ID", &key)]).await;
}

/// A SQLite account with the API key, and the fake's URL in the environment.
async fn account_with_key(store: &str, calcom: &MockServer, key: &str) {
    let env = [("CALCOM_API_URL", calcom.uri())];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(run(store, &env, true, &["accounts", "create", "acme"]).0, 0);
    let update = ["accounts", "update", "acme", "--calcom-api-key", key];
    assert_eq!(run(store, &env, true, &update).0, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_page_is_read_and_a_duplicate_on_another_page_is_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite:{}", dir.path().join("bt.db").display());
    let webhooks = Webhooks::default();
    let calcom = fake_calcom(&webhooks).await;
    account_with_key(&store, &calcom, API_KEY).await;
    let duplicate = webhooks.add(OURS, false, &TRIGGERS);
    for _ in 0..251 {
        webhooks.add(OTHER, true, &TRIGGERS);
    }
    let working = webhooks.add(OURS, true, &TRIGGERS);
    let uri = calcom.uri();
    let env = [("CALCOM_API_URL", uri.as_str())];
    let args = [
        "webhook",
        "calcom-subscribe",
        "acme",
        "--url",
        "https://bt.example.com",
    ];
    let (code, out, _) = run(&store, &env, true, &args);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        out,
        json!({"outcome": "already_active", "webhookId": working.to_string()})
    );
    assert_eq!(*webhooks.listed.lock().unwrap(), [(0, 250), (250, 250)]);
    let left: Vec<Value> = webhooks.to(OURS).iter().map(|w| w["id"].clone()).collect();
    assert_eq!(left, [json!(working)], "{duplicate} was deleted");
    assert!(webhooks.posted.lock().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn refusals_carry_calcoms_message_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite:{}", dir.path().join("bt.db").display());
    let webhooks = Webhooks::default();
    let calcom = fake_calcom(&webhooks).await;
    let uri = calcom.uri();
    let env = [("CALCOM_API_URL", uri.as_str())];
    let subscribe = |url: &str| {
        let (code, out, stderr) = run(
            &store,
            &env,
            true,
            &["webhook", "calcom-subscribe", "acme", "--url", url],
        );
        assert!(!stderr.contains("cal_"), "no key in the log: {stderr}");
        (
            code,
            out["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        )
    };

    // A wrong key: Cal.com's 401, and how to set the right one.
    account_with_key(&store, &calcom, "cal_live_wrong").await;
    let (code, message) = subscribe("https://bt.example.com");
    assert_eq!(code, 1);
    assert!(message.contains("Invalid API Key"), "{message}");
    assert!(
        message.contains("accounts update acme --calcom-api-key"),
        "{message}"
    );

    // Cal.com's SSRF check refuses a URL it cannot reach: say a tunnel is needed.
    let update = ["accounts", "update", "acme", "--calcom-api-key", API_KEY];
    assert_eq!(run(&store, &env, true, &update).0, 0);
    Mock::given(wiremock::matchers::method("POST"))
        .respond_with(refusal(400, "Webhook URL is not allowed"))
        .with_priority(1)
        .mount(&calcom)
        .await;
    let (code, message) = subscribe("http://localhost:3000");
    assert_eq!(code, 1);
    assert!(message.contains("Webhook URL is not allowed"), "{message}");
    assert!(message.contains("tunnel"), "{message}");

    // URLs refused before anything is sent.
    let before = calcom.received_requests().await.unwrap().len();
    for bad in [
        "http://bt.example.com",
        "bt.example.com",
        "https://bt.example.com/?x=1",
    ] {
        let (code, message) = subscribe(bad);
        assert_eq!(code, 1, "{bad}");
        assert!(message.contains("--url"), "{message}");
    }
    assert_eq!(calcom.received_requests().await.unwrap().len(), before);
}
