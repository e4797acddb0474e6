//! `GET /dashboard` in a real browser: headless Chromium (over the DevTools protocol, see
//! `browser/mod.rs`) opens the page that `booking-tracker serve` serves, for an account seeded
//! through the CLI and signed Cal.com webhooks (`seeded/mod.rs`). The page loads with no console
//! error and asks nothing of another origin; with the key it shows the figures `GET /metrics`
//! answers, for each range picked; a booker's name made of markup stays text and runs nothing; a
//! wrong key says so and lets the user try again; a section whose route answers 404 shows a note.
//! The run writes the README's screenshot (`docs/dashboard.png`) when
//! `BOOKING_TRACKER_SCREENSHOT=1`.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use chrono::{Duration, Utc};
use serde_json::{Value, json};
use shared::dashboard::CONTENT_SECURITY_POLICY;

mod browser;
mod common;
mod seeded;

use browser::Browser;
use seeded::{Seeded, XSS_EVENT_TYPE, XSS_NAME, XSS_UID, seed};

async fn metrics(seeded: &Seeded, query: &str) -> Value {
    reqwest::Client::new()
        .get(format!("{}/metrics?{query}", seeded.server.url))
        .bearer_auth(&seeded.key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Chromium (prepared by `prepare`) on the dashboard of an account with no bookings, asking
/// for the key, with the account's 7-day `GET /metrics`; `None` when the browser tests skip.
async fn empty_account_dashboard(
    prepare: impl FnOnce(&mut Browser),
) -> Option<(Browser, Seeded, Value)> {
    let mut page = Browser::launch()?;
    let seeded = seed(false).await;
    let week = metrics(&seeded, "range=7d").await;
    prepare(&mut page);
    page.navigate(&format!("{}/dashboard", seeded.server.url));
    page.wait_for("document.body.dataset.state === 'login'");
    Some((page, seeded, week))
}

/// Picks the dates `from`–`to` in the range picker and applies them.
fn pick_dates(page: &mut Browser, from: &str, to: &str) {
    page.eval(&format!(
        "document.getElementById('range-from').value = {from:?}; \
         document.getElementById('range-to').value = {to:?}; \
         document.querySelector('input[name=range][value=\"dates\"]').click(); \
         document.querySelector('#range-form button[type=submit]').click()"
    ));
}

/// Types `key` into the key form and sends it, as a user would.
fn enter_key(page: &mut Browser, key: &str) {
    page.type_into("#api-key", key);
    page.eval("document.querySelector('#login-form button').click()");
}

/// The KPI tiles' values (`data-value`, the JSON value the tile shows) by field name.
const TILES: &str = "Object.fromEntries([...document.querySelectorAll('#kpis [data-kpi]')]\
     .map(t => [t.dataset.kpi, JSON.parse(t.dataset.value)]))";

/// Waits for the figures of `label` and checks every tile against `GET /metrics`.
fn shows_the_figures_of(page: &mut Browser, label: &str, expected: &Value) {
    page.wait_for(&format!(
        "document.body.dataset.state === 'ready' && \
         document.getElementById('kpis').dataset.range === {label:?}"
    ));
    assert_eq!(&page.eval(TILES), &expected["kpis"], "range {label}");
    let booked =
        page.eval("document.querySelector('#kpi-appointmentsBooked .tile-value').textContent");
    assert_eq!(
        booked,
        json!(expected["kpis"]["appointmentsBooked"].to_string())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dashboard_shows_the_accounts_figures_in_a_real_browser() {
    let Some(mut page) = Browser::launch() else {
        return;
    };
    let seeded = seed(true).await;
    let base = seeded.server.url.clone();
    let week = metrics(&seeded, "range=7d").await;
    let month = metrics(&seeded, "range=30d").await;
    assert_ne!(
        week["kpis"]["appointmentsBooked"], month["kpis"]["appointmentsBooked"],
        "the ranges differ: {week} {month}"
    );

    // The page and its assets come with the policy; the page loads under it, asking for the key.
    let client = reqwest::Client::new();
    for asset in ["dashboard", "dashboard/app.js", "dashboard/app.css"] {
        let answer = client.get(format!("{base}/{asset}")).send().await.unwrap();
        assert_eq!(answer.status(), 200, "{asset}");
        let headers = answer.headers();
        assert_eq!(headers["content-security-policy"], CONTENT_SECURITY_POLICY);
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["referrer-policy"], "no-referrer");
    }
    page.navigate(&format!("{base}/dashboard"));
    page.wait_for("document.body.dataset.state === 'login'");
    assert_eq!(page.eval("document.activeElement.id"), "api-key");

    // The key, typed once: the 7-day figures are GET /metrics' figures.
    enter_key(&mut page, &seeded.key);
    shows_the_figures_of(&mut page, "7d", &week);
    assert_eq!(
        page.eval("sessionStorage.getItem('booking-tracker.apiKey')"),
        json!(seeded.key)
    );

    // The range picker: 30 days, then one day by dates.
    page.eval("document.querySelector('input[name=range][value=\"30d\"]').click()");
    shows_the_figures_of(&mut page, "30d", &month);
    // Dates: 200 days are drawn a week per bar (the table keeps every day); then 90 days; then
    // the one day the first booking was made.
    let day = |ago: i64| {
        (Utc::now() - Duration::days(ago))
            .format("%Y-%m-%d")
            .to_string()
    };
    let long = metrics(&seeded, &format!("from={}&to={}", day(199), day(0))).await;
    pick_dates(&mut page, &day(199), &day(0));
    shows_the_figures_of(&mut page, "custom", &long);
    assert_eq!(
        page.eval("document.querySelector('#chart title').textContent"),
        "Bookings per week"
    );
    assert_eq!(
        page.eval("document.querySelectorAll('#series-table tbody tr').length"),
        200
    );
    page.eval("document.querySelector('input[name=range][value=\"90d\"]').click()");
    shows_the_figures_of(&mut page, "90d", &metrics(&seeded, "range=90d").await);
    let one_day = metrics(&seeded, &format!("from={}&to={}", day(10), day(10))).await;
    pick_dates(&mut page, &day(10), &day(10));
    shows_the_figures_of(&mut page, "custom", &one_day);
    page.eval("document.querySelector('input[name=range][value=\"30d\"]').click()");
    shows_the_figures_of(&mut page, "30d", &month);

    // Markup a booker typed is text: shown as typed, no element made, nothing run.
    let attendees =
        page.eval("[...document.querySelectorAll('#upcoming .attendee')].map(a => a.textContent)");
    assert!(
        attendees.as_array().unwrap().contains(&json!(XSS_NAME)),
        "{attendees}"
    );
    let cells = page.eval("document.getElementById('upcoming').textContent");
    assert!(cells.as_str().unwrap().contains(XSS_EVENT_TYPE), "{cells}");
    assert_eq!(
        page.eval("document.querySelectorAll('img, main script').length"),
        0
    );
    let campaigns = page.eval("document.getElementById('campaigns').textContent");
    assert!(
        campaigns.as_str().unwrap().contains("spring"),
        "{campaigns}"
    );

    // The checks, and "why isn't this booking counted?" for the booking made 10 days ago.
    page.wait_for("document.getElementById('health').dataset.loaded === 'true'");
    let checks = page.eval("document.querySelectorAll('#health tbody tr').length");
    assert!(checks.as_u64().unwrap() >= 5, "{checks}");
    page.eval("document.getElementById('explain-by').value = 'booking'");
    page.type_into("#explain-value", XSS_UID);
    page.eval("document.querySelector('#explain-form button').click()");
    let story = page.wait_for(
        "document.querySelector('#explain-result article') && \
         document.getElementById('explain-result').textContent",
    );
    let story = story.as_str().unwrap();
    assert!(
        story.contains("Found 1 appointment") && story.contains(XSS_NAME),
        "{story}"
    );
    assert!(story.contains("appointmentsBooked"), "{story}");
    assert_eq!(page.eval("document.querySelectorAll('img').length"), 0);

    screenshot(&mut page);
    assert_eq!(page.dialogs(), Vec::<String>::new(), "a dialog opened");
    assert_eq!(page.console_errors(), Vec::<String>::new());
    let requests = page.requests();
    let elsewhere: Vec<&String> = requests
        .iter()
        .filter(|url| !url.starts_with(&format!("{base}/")) && !url.starts_with("data:"))
        .collect();
    assert!(
        elsewhere.is_empty(),
        "requests to another origin: {elsewhere:?}"
    );
    assert!(requests.iter().any(|url| url.contains("/metrics?")));
    assert!(
        requests.iter().all(|url| !url.contains(&seeded.key)),
        "the key went into a URL"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_key_says_so_and_the_right_one_can_be_entered_after_it() {
    let Some((mut page, seeded, week)) = empty_account_dashboard(|_| {}).await else {
        return;
    };
    enter_key(&mut page, "btk_not_the_key");
    let message = page.wait_for(
        "document.body.dataset.state === 'login' && \
         !document.getElementById('login-error').hidden && \
         document.getElementById('login-error').textContent",
    );
    let message = message.as_str().unwrap();
    assert!(
        message.contains("not accepted") && message.contains("invalid_api_key"),
        "{message}"
    );
    assert_eq!(page.eval("document.getElementById('board').hidden"), true);
    assert_eq!(page.eval("sessionStorage.length"), 0);
    enter_key(&mut page, &seeded.key);
    shows_the_figures_of(&mut page, "7d", &week);
    assert_eq!(page.dialogs(), Vec::<String>::new());

    // "Change API key" forgets it and asks again.
    page.eval("document.getElementById('change-key').click()");
    page.wait_for("document.body.dataset.state === 'login'");
    assert_eq!(page.eval("sessionStorage.length"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_section_whose_route_is_missing_shows_a_note_and_the_rest_works() {
    let without_health = |page: &mut Browser| page.without_route("*/health*");
    let Some((mut page, seeded, week)) = empty_account_dashboard(without_health).await else {
        return;
    };
    enter_key(&mut page, &seeded.key);
    shows_the_figures_of(&mut page, "7d", &week);
    let note = page.wait_for(
        "document.getElementById('health').dataset.loaded === 'error' && \
         document.querySelector('#health .note').textContent",
    );
    assert!(
        note.as_str().unwrap().contains("no GET /health route"),
        "{note}"
    );
    assert_eq!(page.eval("document.getElementById('board').hidden"), false);
}

/// The page as the test left it, into the target directory; and into `docs/dashboard.png`
/// (the README's picture) when `BOOKING_TRACKER_SCREENSHOT=1`.
fn screenshot(page: &mut Browser) {
    let png = page.screenshot();
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dashboard.png");
    std::fs::write(&target, &png).unwrap();
    if std::env::var("BOOKING_TRACKER_SCREENSHOT").is_ok_and(|v| v == "1") {
        let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs");
        std::fs::create_dir_all(&docs).unwrap();
        std::fs::write(docs.join("dashboard.png"), &png).unwrap();
    }
}
