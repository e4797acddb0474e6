//! Onboarding through the real binary: the demo account the sample events are signed for, and
//! the Calendly webhook subscription made through a local fake of Calendly's API
//! (PROVIDERS.md §2.8: list, create, delete).

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};

use integration_tests::fakes::{CALENDLY_ORG, calendly_me, calendly_page};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

mod common;

use common::{Run, run};
const TOKEN: &str = "calendly-pat-for-tests";

/// Exit code, stdout as JSON (or raw), and stderr.
fn cli(store: &str, env: &[(&str, &str)], args: &[&str]) -> Run {
    run(store, env, true, args)
}

fn temp_store() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite:{}", dir.path().join("bt.db").display());
    (dir, store)
}

#[test]
fn the_demo_account_takes_the_published_secrets_and_no_other_account_does() {
    let (_dir, store) = temp_store();
    let (code, created, _) = cli(
        &store,
        &[],
        &["accounts", "create", "demo", "--demo-secrets"],
    );
    assert_eq!(code, 0, "{created}");
    assert_eq!(
        created["calcomWebhookSecret"],
        "calsec_demo_only_not_for_real_accounts"
    );
    assert_eq!(
        created["calendlySigningKey"],
        "clysec_demo_only_not_for_real_accounts"
    );
    assert_eq!(created["apiKey"], "btk_demo_only_not_for_real_accounts");

    let (code, refused, _) = cli(
        &store,
        &[],
        &["accounts", "create", "acme", "--demo-secrets"],
    );
    assert_eq!(code, 1);
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("only the account \"demo\""),
        "{refused}"
    );
    let (_, listed, _) = cli(&store, &[], &["accounts", "list"]);
    assert_eq!(listed.as_array().unwrap().len(), 1, "nothing was created");
}

/// Calendly's webhook subscriptions, kept in memory: `GET` lists the organization's, `POST`
/// adds one (201 `{resource}`), `DELETE /{uuid}` removes one (204).
#[derive(Clone, Default)]
struct Subscriptions {
    items: Arc<Mutex<Vec<Value>>>,
    /// Every POST body, to check what was sent.
    created: Arc<Mutex<Vec<Value>>>,
}

impl Subscriptions {
    fn all(&self) -> Vec<Value> {
        self.items.lock().unwrap().clone()
    }

    fn disable_all(&self) {
        for item in self.items.lock().unwrap().iter_mut() {
            item["state"] = json!("disabled");
            item["retry_started_at"] = json!("2026-11-20T09:00:00.000000Z");
        }
    }
}

impl Respond for Subscriptions {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut items = self.items.lock().unwrap();
        match request.method.as_str() {
            "GET" => {
                let query: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
                let has = |k: &str, v: &str| query.iter().any(|(qk, qv)| qk == k && qv == v);
                if !has("organization", CALENDLY_ORG) || !has("scope", "organization") {
                    return ResponseTemplate::new(400).set_body_json(json!({
                        "title": "Invalid Argument", "message": "The supplied parameters are invalid."}));
                }
                ResponseTemplate::new(200).set_body_json(calendly_page(items.clone(), None))
            }
            "POST" => {
                let body: Value = serde_json::from_slice(&request.body).unwrap();
                self.created.lock().unwrap().push(body.clone());
                let uuid = format!(
                    "5e2c9a7b-0d4f-4e1a-9b3c-{:012}",
                    self.created.lock().unwrap().len()
                );
                let resource = json!({
                    "uri": format!("https://api.calendly.com/webhook_subscriptions/{uuid}"),
                    "callback_url": body["url"],
                    "created_at": "2026-11-23T09:00:00.000000Z",
                    "updated_at": "2026-11-23T09:00:00.000000Z",
                    "retry_started_at": null,
                    "state": "active",
                    "events": body["events"],
                    "scope": body["scope"],
                    "organization": body["organization"],
                    "user": null,
                    "creator": "https://api.calendly.com/users/4a7e1d2c-6b9f-4c3a-8e21-7d5f0b3c9e64",
                });
                items.push(resource.clone());
                ResponseTemplate::new(201).set_body_json(json!({ "resource": resource }))
            }
            "DELETE" => {
                let uuid = request.url.path().rsplit('/').next().unwrap_or_default();
                let before = items.len();
                items.retain(|s| !s["uri"].as_str().unwrap().ends_with(uuid));
                if items.len() == before {
                    ResponseTemplate::new(404).set_body_json(json!({
                        "title": "Resource Not Found", "message": "The server could not find the requested resource."}))
                } else {
                    ResponseTemplate::new(204)
                }
            }
            _ => ResponseTemplate::new(405),
        }
    }
}

async fn fake_calendly(subscriptions: &Subscriptions) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/users/me"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(calendly_me()))
        .mount(&server)
        .await;
    Mock::given(wiremock::matchers::path_regex(
        r"^/webhook_subscriptions(/[0-9a-f-]+)?$",
    ))
    .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
    .respond_with(subscriptions.clone())
    .mount(&server)
    .await;
    server
}

#[tokio::test]
async fn calendly_subscribe_makes_one_signed_subscription_and_repairs_a_disabled_one() {
    let (_dir, store) = temp_store();
    let subscriptions = Subscriptions::default();
    let calendly = fake_calendly(&subscriptions).await;
    let env = [("CALENDLY_API_URL", calendly.uri())];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let subscribe = |extra: &[&str]| {
        let mut args = vec![
            "webhook",
            "calendly-subscribe",
            "acme",
            "--url",
            "https://bt.example.com/",
        ];
        args.extend_from_slice(extra);
        cli(&store, &env, &args)
    };

    let (_, created, _) = cli(&store, &[], &["accounts", "create", "acme"]);
    let signing_key = created["calendlySigningKey"].as_str().unwrap().to_owned();

    // No token yet: nothing is called, and the message says what to set.
    let (code, out, _) = subscribe(&[]);
    assert_eq!(code, 1);
    assert!(
        out["error"]["message"]
            .as_str()
            .unwrap()
            .contains("--calendly-token"),
        "{out}"
    );
    assert!(subscriptions.all().is_empty());

    let (code, ..) = cli(
        &store,
        &[],
        &["accounts", "update", "acme", "--calendly-token", TOKEN],
    );
    assert_eq!(code, 0);

    // First run: one organization subscription to the account's URL, signed with its key.
    let (code, out, stderr) = subscribe(&[]);
    assert_eq!(code, 0, "{out} {stderr}");
    assert_eq!(out["outcome"], "created");
    assert_eq!(
        out["organization"], CALENDLY_ORG,
        "looked up from /users/me"
    );
    let callback = "https://bt.example.com/webhooks/calendly/acme";
    assert_eq!(out["subscription"]["callbackUrl"], callback);
    let sent = subscriptions.created.lock().unwrap()[0].clone();
    assert_eq!(
        sent,
        json!({
            "url": callback,
            "events": ["invitee.created", "invitee.canceled", "invitee_no_show.created", "invitee_no_show.deleted"],
            "organization": CALENDLY_ORG,
            "scope": "organization",
            "signing_key": signing_key,
        })
    );
    assert!(
        !out.to_string().contains(&signing_key) && !stderr.contains(&signing_key),
        "the signing key is never printed"
    );

    // Again: the working subscription is left alone, never doubled.
    let (code, out, _) = subscribe(&[]);
    assert_eq!((code, out["outcome"].as_str()), (0, Some("already_active")));
    assert_eq!(subscriptions.all().len(), 1);

    // Calendly disabled it after a day of failed deliveries: it is deleted and recreated.
    subscriptions.disable_all();
    let old_uri = subscriptions.all()[0]["uri"].clone();
    let (code, out, _) = subscribe(&[]);
    assert_eq!(
        (code, out["outcome"].as_str()),
        (0, Some("replaced")),
        "{out}"
    );
    assert_eq!(out["deleted"], json!([old_uri]));
    let now = subscriptions.all();
    assert_eq!(now.len(), 1);
    assert_eq!(now[0]["state"], "active");

    // After rotating the signing key, --replace puts the new key on a fresh subscription.
    let (_, rotated, _) = cli(
        &store,
        &[],
        &["accounts", "rotate", "acme", "--secret", "calendly"],
    );
    let (code, out, _) = subscribe(&["--replace"]);
    assert_eq!(
        (code, out["outcome"].as_str()),
        (0, Some("replaced")),
        "{out}"
    );
    assert_eq!(subscriptions.all().len(), 1);
    let last = subscriptions
        .created
        .lock()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        last["signing_key"], rotated["calendlySigningKey"],
        "{rotated}"
    );
}

#[tokio::test]
async fn calendly_subscribe_explains_refusals_and_bad_urls() {
    let (_dir, store) = temp_store();
    let calendly = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/webhook_subscriptions"))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({
            "title": "Permission Denied",
            "message": "Please upgrade to a paid Calendly account."})))
        .expect(1)
        .mount(&calendly)
        .await;
    Mock::given(method("GET"))
        .and(path("/webhook_subscriptions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(calendly_page(vec![], None)))
        .mount(&calendly)
        .await;
    cli(&store, &[], &["accounts", "create", "acme"]);
    let (code, ..) = cli(
        &store,
        &[],
        &[
            "accounts",
            "update",
            "acme",
            "--calendly-token",
            TOKEN,
            "--calendly-organization",
            CALENDLY_ORG,
        ],
    );
    assert_eq!(code, 0);
    let uri = calendly.uri();
    let env = [("CALENDLY_API_URL", uri.as_str())];

    let (code, out, _) = cli(
        &store,
        &env,
        &[
            "webhook",
            "calendly-subscribe",
            "acme",
            "--url",
            "https://bt.example.com",
        ],
    );
    assert_eq!(code, 1);
    let message = out["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("Please upgrade to a paid Calendly account."),
        "{message}"
    );
    assert!(message.contains("owner's or admin's token"), "{message}");

    for bad in [
        "http://bt.example.com",
        "bt.example.com",
        "https://bt.example.com/?x=1",
    ] {
        let (code, out, _) = cli(
            &store,
            &env,
            &["webhook", "calendly-subscribe", "acme", "--url", bad],
        );
        assert_eq!(code, 1, "{bad}");
        assert!(
            out["error"]["message"].as_str().unwrap().contains("--url"),
            "{out}"
        );
    }
    // The refused POST was the only one: bad URLs call nobody.
}
