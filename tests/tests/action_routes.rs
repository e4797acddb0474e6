//! `POST /appointments/{id}/cancel|no-show` as the sync function's handler answers it: the
//! account's key only, bodies read strictly, unknown appointments, a dry run, a refused no-show,
//! the real cancel, the method, and an account without the provider's credential.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use http::{HeaderMap, HeaderValue, Method};
use integration_tests::action_world::*;
use integration_tests::links::sample;
use integration_tests::stores::Harness;
use serde_json::{Value, json};
use shared::domain::Provider;
use shared::store::prelude::*;
use shared::sync::SyncService;

async fn post(
    service: &SyncService<impl Store + ?Sized>,
    path: &str,
    key: Option<&str>,
    body: &str,
) -> (u16, Value) {
    let mut headers = HeaderMap::new();
    if let Some(key) = key {
        let value = HeaderValue::from_str(&format!("Bearer {key}")).unwrap();
        headers.insert(http::header::AUTHORIZATION, value);
    }
    let response = service
        .handle_action(&Method::POST, path, &headers, body.as_bytes())
        .await;
    let status = response.status().as_u16();
    (status, serde_json::from_str(response.body()).unwrap())
}

#[tokio::test]
async fn the_routes_answer_with_the_accounts_key_only() {
    let world = World::new(Harness::sqlite().await).await;
    let id = calcom_booked(&world).await;
    let service = world.service(at("2026-03-05T12:00:00Z"));
    let key = world.secrets.api_key.expose().to_owned();
    let cancel = format!("/appointments/{id}/cancel");
    let code = |answer: &Value| {
        answer["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };

    let (status, answer) = post(&service, &cancel, None, "{}").await;
    assert_eq!((status, code(&answer)), (401, "missing_api_key".into()));
    let (status, answer) = post(&service, &cancel, Some("btk_wrong"), "{}").await;
    assert_eq!((status, code(&answer)), (401, "invalid_api_key".into()));
    let (status, answer) = post(&service, &cancel, Some(&key), r#"{"reasn": "typo"}"#).await;
    assert_eq!((status, code(&answer)), (400, "invalid_json".into()));
    let (status, answer) = post(&service, &cancel, Some(&key), "not json").await;
    assert_eq!((status, code(&answer)), (400, "invalid_json".into()));
    let unknown = "/appointments/apt_000000000000000000000000/cancel";
    let (status, answer) = post(&service, unknown, Some(&key), "{}").await;
    assert_eq!((status, code(&answer)), (404, "unknown_appointment".into()));
    assert!(
        world.calcom.requests().is_empty(),
        "nothing reached Cal.com"
    );

    let (status, answer) = post(&service, &cancel, Some(&key), r#"{"dryRun": true}"#).await;
    assert_eq!(
        (status, answer["result"].as_str()),
        (200, Some("dry_run")),
        "{answer}"
    );
    let no_show = format!("/appointments/{id}/no-show");
    let (status, answer) = post(&service, &no_show, Some(&key), r#"{"undo": false}"#).await;
    assert_eq!(
        (status, code(&answer)),
        (409, "not_actionable".into()),
        "the call is ahead"
    );
    let (status, answer) = post(&service, &cancel, Some(&key), r#"{"reason": "Moved"}"#).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        json!([
            answer["result"],
            answer["status"],
            answer["action"],
            answer["provider"]
        ]),
        json!(["done", "cancelled", "cancel", "calcom"])
    );
    let response = service
        .handle_action(&Method::GET, &cancel, &HeaderMap::new(), b"")
        .await;
    assert_eq!(response.status(), 405);

    // An account without credentials for the provider: a clear 409 naming the fix.
    let mut bare = world.account.clone();
    bare.calcom.api_key = None;
    world.h.store.update_account(&bare).await.unwrap();
    let mut body = sample("calcom-booking-created.json");
    body["payload"]["uid"] = "Zz9".into();
    world.webhook(Provider::Calcom, &body).await;
    let path = format!("/appointments/{}/cancel", calcom_id("Zz9"));
    let (status, answer) = post(&service, &path, Some(&key), "").await;
    assert_eq!((status, code(&answer)), (409, "not_actionable".into()));
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("--calcom-api-key")
    );
}
