//! Personal booking links through the real binary (SPEC §7): imports that keep campaign, source
//! and leads with an unusable phone, the account's booking page, and `leads link` / `leads
//! links`. Once on SQLite, once on DynamoDB Local.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{Value, json};

mod common;

use common::{Run, run};

const LEADS_CSV: &str = "\
Email,Phone,Full Name,Campaign,SOURCE
jane@example.com,07700 123456,\"Doe, Jane\",spring,linkedin
bob@example.com,12,Bob,spring,
,12,Nobody,,
carol@example.com,,Carol & Co,,
";

async fn scenario(store: &str, env: &[(&str, &str)]) {
    let cli = |args: &[&str]| run(store, env, true, args);
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(cli(&["init"]).0, 0);
    assert_eq!(cli(&["accounts", "create", "acme"]).0, 0);

    let csv = dir.path().join("leads.csv");
    std::fs::write(&csv, LEADS_CSV).unwrap();
    let csv = csv.to_str().unwrap();
    let (code, report, err) = cli(&["leads", "import", "acme", csv]);
    assert_eq!(code, 0, "{report} {err}");
    assert_eq!(report["imported"], 3, "{report}");
    assert_eq!(report["warnings"].as_array().unwrap().len(), 1, "{report}");
    assert_eq!(report["warnings"][0]["line"], 3);
    let warning = report["warnings"][0]["reason"].as_str().unwrap();
    assert!(warning.contains("phone") && warning.contains("imported by its email"));
    assert_eq!(report["invalid"].as_array().unwrap().len(), 1, "{report}");
    assert_eq!(
        report["invalid"][0]["line"], 4,
        "a bad phone alone stays invalid"
    );

    let (_, leads, _) = cli(&["leads", "list", "acme"]);
    let id_of = |name: &str| {
        leads
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["name"] == name)
            .unwrap_or_else(|| panic!("{name} in {leads}"))["leadId"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (jane, bob) = (id_of("Doe, Jane"), id_of("Bob"));
    let listed_jane = leads
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["leadId"] == jane.as_str());
    assert_eq!(
        listed_jane.unwrap()["attribution"],
        json!({"campaign": "spring", "source": "linkedin"})
    );

    // No page anywhere: a usage error naming both ways to give one.
    let (code, refused, _) = cli(&["leads", "link", "acme", &jane]);
    assert_eq!(code, 2, "{refused}");
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("--url") && message.contains("accounts update acme --booking-url"),
        "{message}"
    );

    // The account keeps a Cal.com page (a subdomain) and reads Calendly's utm_term.
    let (code, shown, err) = cli(&[
        "accounts",
        "update",
        "acme",
        "--booking-url",
        "https://app.cal.com/acme/intro",
        "--calendly-lead-field",
        "utm_term",
    ]);
    assert_eq!(code, 0, "{shown} {err}");
    assert_eq!(
        shown["links"],
        json!({"calendlyLeadField": "utm_term", "bookingUrl": "https://app.cal.com/acme/intro", "bookingProvider": "calcom"})
    );
    let (code, link, _) = cli(&["leads", "link", "acme", &jane]);
    assert_eq!(code, 0, "{link}");
    assert_eq!(link["leadId"], jane.as_str());
    assert_eq!(
        link["url"],
        format!(
            "https://app.cal.com/acme/intro?metadata%5Bbt_lead%5D={jane}\
             &metadata%5Butm_campaign%5D=spring&metadata%5Butm_source%5D=linkedin\
             &name=Doe%2C+Jane&email=jane%40example.com&attendeePhoneNumber=%2B447700123456"
        )
    );

    // Another page for one link: Calendly, the account's field, a campaign given here.
    let (_, link, _) = cli(&[
        "leads",
        "link",
        "acme",
        &bob,
        "--url",
        "https://calendly.com/acme/30min",
        "--campaign",
        "Q2 & more",
    ]);
    assert_eq!(
        link["url"],
        format!(
            "https://calendly.com/acme/30min?utm_term={bob}&utm_campaign=Q2+%26+more\
             &name=Bob&email=bob%40example.com"
        )
    );

    // A self-hosted page needs its provider; a lead of no one is unknown.
    let selfhosted = ["--url", "https://book.example.org/sales"];
    let (code, refused, _) = cli(&[&["leads", "link", "acme", &jane][..], &selfhosted].concat());
    assert_eq!(code, 2);
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("--provider calcom"),
        "{refused}"
    );
    let with_provider = [
        &["leads", "link", "acme", &jane][..],
        &selfhosted,
        &["--provider", "calcom"],
    ]
    .concat();
    let (code, link, _) = cli(&with_provider);
    assert_eq!(code, 0, "{link}");
    assert!(link["url"].as_str().unwrap().starts_with(&format!(
        "https://book.example.org/sales?metadata%5Bbt_lead%5D={jane}"
    )));
    let (code, unknown, _) = cli(&["leads", "link", "acme", "ld_nobody"]);
    assert_eq!(code, 1);
    assert_eq!(unknown["error"]["code"], "unknown_lead", "{unknown}");

    // Every lead as CSV, quoted where a value needs it.
    let (code, text, err) = run(
        store,
        env,
        false,
        &["leads", "links", "acme", "--source", "mail"],
    );
    assert_eq!(code, 0, "{err}");
    let text = text.as_str().unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(
        reader.headers().unwrap(),
        vec!["leadId", "name", "phone", "email", "url"]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3);
    let jane_row = rows.iter().find(|r| r[0] == *jane).unwrap();
    assert_eq!(&jane_row[1], "Doe, Jane");
    assert_eq!(&jane_row[2], "+447700123456");
    assert!(jane_row[4].contains("metadata%5Butm_source%5D=mail"));
    assert!(text.contains("\"Doe, Jane\""), "{text}");
    let (_, listed, _) = cli(&["leads", "links", "acme"]);
    let first = &listed.as_array().unwrap()[0];
    let keys: Vec<&str> = first
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys.len(), 5, "{first}");
    assert!(
        ["leadId", "name", "phone", "email", "url"]
            .iter()
            .all(|k| keys.contains(k))
    );

    // The account's page can be self-hosted with its provider named, and forgotten.
    let page = [
        "accounts",
        "update",
        "acme",
        "--booking-url",
        "https://book.example.org/sales",
    ];
    let (code, refused, _) = cli(&page);
    assert_eq!(code, 2, "{refused}");
    let (code, shown, _) = cli(&[&page[..], &["--booking-provider", "calcom"]].concat());
    assert_eq!(code, 0, "{shown}");
    assert_eq!(shown["links"]["bookingProvider"], "calcom");
    let (code, bad, _) = cli(&[
        "accounts",
        "update",
        "acme",
        "--booking-url",
        "cal.com/acme",
    ]);
    assert_eq!(code, 2, "{bad}");
    let (code, shown, _) = cli(&["accounts", "update", "acme", "--no-booking-url"]);
    assert_eq!(code, 0);
    assert_eq!(shown["links"]["bookingUrl"], Value::Null);
    let (code, _, err) = run(
        store,
        env,
        false,
        &[
            "accounts",
            "update",
            "acme",
            "--calendly-lead-field",
            "bt_lead",
        ],
    );
    assert_eq!(
        code, 2,
        "clap refuses a field Calendly does not pass: {err}"
    );

    // Re-importing with another campaign updates the lead.
    std::fs::write(
        dir.path().join("again.csv"),
        "email,campaign\njane@example.com,summer\n",
    )
    .unwrap();
    let again = dir.path().join("again.csv");
    let (_, report, _) = cli(&["leads", "import", "acme", again.to_str().unwrap()]);
    assert_eq!(report["updated"], 1, "{report}");
    let (_, link, _) = cli(&[
        "leads",
        "link",
        "acme",
        &jane,
        "--url",
        "https://cal.com/acme",
    ]);
    let url = link["url"].as_str().unwrap();
    assert!(
        url.contains("utm_campaign%5D=summer") && url.contains("utm_source%5D=linkedin"),
        "{url}"
    );

    manual_bookings(&cli, &jane);
}

/// `appointments add --lead` puts a call on a lead chosen by hand, whatever details are typed,
/// credited to the lead's campaign unless one is given.
fn manual_bookings(cli: &dyn Fn(&[&str]) -> Run, jane: &str) {
    let add = |extra: &[&str]| {
        let mut args = vec![
            "appointments",
            "add",
            "acme",
            "--name",
            "J. D.",
            "--email",
            "someone-else@example.net",
            "--at",
            "2030-01-02T10:00:00Z",
        ];
        args.extend_from_slice(extra);
        cli(&args)
    };
    let (code, added, err) = add(&["--lead", jane]);
    assert_eq!(code, 0, "{added} {err}");
    assert_eq!(added["leadId"], jane);
    let (code, _, _) = add(&["--lead", jane, "--campaign", "webinar"]);
    assert_eq!(code, 0);
    let (code, refused, _) = add(&["--lead", "ld_nobody"]);
    assert_eq!(code, 1);
    assert_eq!(refused["error"]["code"], "unknown_lead", "{refused}");

    let (_, listed, _) = cli(&["appointments", "list", "acme"]);
    let mut campaigns: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            assert_eq!(a["leadId"], jane, "{a}");
            assert_eq!(a["matchedBy"], "manual", "{a}");
            assert_eq!(a["source"], "linkedin", "the lead's source fills in: {a}");
            a["campaign"].as_str().unwrap()
        })
        .collect();
    campaigns.sort_unstable();
    assert_eq!(campaigns, ["summer", "webinar"], "{listed}");
    let (_, leads, _) = cli(&["leads", "list", "acme"]);
    assert_eq!(leads.as_array().unwrap().len(), 3, "no lead was created");
}

#[tokio::test(flavor = "multi_thread")]
async fn links_and_imports_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite:{}", dir.path().join("bt.db").display());
    scenario(&store, &[]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn links_and_imports_on_dynamodb_local() {
    let Some((store, key)) = common::dynamodb_local("bt-links").await else {
        return;
    };
    scenario(&store, &[("KMS_KEY_ID", &key)]).await;
}
