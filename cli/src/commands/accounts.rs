//! `booking-tracker accounts create|show|list|update|rotate`.

use anyhow::{Context, anyhow, bail};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use shared::accounts::{Account, IssuedSecrets, NewAccount, SecretKind, StatusLabels};
use shared::domain::{AccountId, Region, Secret};
use shared::secrets::StoredSecret;
use shared::store::{Store, StoreError};

use super::account_links::{LinkChange, link_rows};
use super::account_sheet::{SheetChange, sheet_summary};
use super::{load_account, local};
use crate::cli::{AccountsCommand, CreateAccountArgs, SecretArg, UpdateAccountArgs};
use crate::output;

pub async fn run(store: &dyn Store, command: AccountsCommand, json: bool) -> anyhow::Result<()> {
    match command {
        AccountsCommand::Create(args) => create(store, args, json).await,
        AccountsCommand::Show { account } => {
            let account = load_account(store, &account).await?;
            show(&account, json);
            Ok(())
        }
        AccountsCommand::List => list(store, json).await,
        AccountsCommand::Update(args) => update(store, args, json).await,
        AccountsCommand::Rotate { account, secret } => rotate(store, &account, secret, json).await,
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WebhookPaths {
    calcom: String,
    calendly: String,
}

fn paths(id: &AccountId) -> WebhookPaths {
    WebhookPaths {
        calcom: format!("/webhooks/calcom/{id}"),
        calendly: format!("/webhooks/calendly/{id}"),
    }
}

fn time_zone(raw: &str) -> anyhow::Result<Tz> {
    raw.trim()
        .parse()
        .map_err(|_| anyhow!("unknown time zone {raw:?}: use an IANA name such as Europe/London"))
}

fn region(raw: &str) -> anyhow::Result<Region> {
    Region::parse(raw).map_err(|e| anyhow!("{e}"))
}

async fn create(store: &dyn Store, args: CreateAccountArgs, json: bool) -> anyhow::Result<()> {
    let id = AccountId::parse(&args.account)
        .map_err(|e| anyhow!("{:?} is not a valid account id: {e}", args.account))?;
    let new = NewAccount {
        name: args.name,
        time_zone: time_zone(&args.timezone)?,
        phone_region: region(&args.phone_region)?,
        auto_create_leads: !args.no_auto_create_leads,
        ..NewAccount::new(id.clone())
    };
    let secrets = if args.demo_secrets {
        IssuedSecrets::demo(&id).map_err(|e| anyhow!("--demo-secrets: {e}"))?
    } else {
        IssuedSecrets::generate()
    };
    let account = Account::with_secrets(new, &secrets, Utc::now());
    match store.create_account(&account).await {
        Err(StoreError::AlreadyExists) => bail!("account {id} already exists"),
        other => other?,
    };
    if json {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Created<'a> {
            account_id: &'a str,
            calcom_webhook_secret: &'a str,
            calendly_signing_key: &'a str,
            api_key: &'a str,
            webhook_paths: WebhookPaths,
        }
        output::json(&Created {
            account_id: id.as_str(),
            calcom_webhook_secret: secrets.calcom_webhook_secret.expose(),
            calendly_signing_key: secrets.calendly_signing_key.expose(),
            api_key: secrets.api_key.expose(),
            webhook_paths: paths(&id),
        });
    } else {
        let p = paths(&id);
        output::line(format!(
            "Created account {id}. These secrets are shown once: keep them now."
        ));
        output::table(
            &["secret", "value", "use"],
            &[
                row([
                    "Cal.com webhook secret",
                    secrets.calcom_webhook_secret.expose(),
                    "registered by `webhook calcom-subscribe`",
                ]),
                row([
                    "Calendly signing key",
                    secrets.calendly_signing_key.expose(),
                    "registered by `webhook calendly-subscribe`",
                ]),
                row([
                    "API key",
                    secrets.api_key.expose(),
                    "Authorization: Bearer <key> for /metrics and /sync",
                ]),
            ],
        );
        output::line(format!(
            "Webhook URLs: https://<your host>{} and https://<your host>{}",
            p.calcom, p.calendly
        ));
    }
    Ok(())
}

fn row<const N: usize>(cells: [&str; N]) -> Vec<String> {
    cells.iter().map(|c| (*c).to_owned()).collect()
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AccountView<'a> {
    account_id: &'a str,
    name: &'a str,
    timezone: &'a str,
    phone_region: &'a str,
    auto_create_leads: bool,
    cors_origins: &'a [String],
    calcom: serde_json::Value,
    calendly: serde_json::Value,
    labels: &'a StatusLabels,
    google_sheet: Option<serde_json::Value>,
    links: serde_json::Value,
    webhook_paths: WebhookPaths,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

fn view(account: &Account) -> AccountView<'_> {
    AccountView {
        account_id: account.id.as_str(),
        name: &account.name,
        timezone: account.time_zone.name(),
        phone_region: account.phone_region.as_str(),
        auto_create_leads: account.auto_create_leads,
        cors_origins: &account.cors_origins,
        calcom: serde_json::json!({
            "apiKeyConfigured": account.calcom.api_key.is_some(),
            "eventTypeIds": account.calcom.event_type_ids,
        }),
        calendly: serde_json::json!({
            "tokenConfigured": account.calendly.token.is_some(),
            "organization": account.calendly.organization,
        }),
        labels: &account.labels,
        google_sheet: account.google_sheet.as_ref().map(|sheet| {
            serde_json::json!({
                "spreadsheetId": sheet.spreadsheet_id,
                "range": sheet.range,
                "columns": sheet.columns,
                "serviceAccount": sheet.credentials.as_ref().map(|c| &c.client_email),
                "actions": sheet.actions,
            })
        }),
        links: super::account_links::view(&account.links),
        webhook_paths: paths(&account.id),
        created_at: account.created_at,
        updated_at: account.updated_at,
    }
}

fn show(account: &Account, json: bool) {
    if json {
        output::json(&view(account));
        return;
    }
    let yes_no = |b: bool| if b { "configured" } else { "not set" }.to_owned();
    let p = paths(&account.id);
    let ids = &account.calcom.event_type_ids;
    output::table(
        &["setting", "value"],
        &[
            vec!["account".into(), account.id.to_string()],
            vec!["name".into(), account.name.clone()],
            vec!["time zone".into(), account.time_zone.name().into()],
            vec!["phone region".into(), account.phone_region.to_string()],
            vec![
                "auto-create leads".into(),
                account.auto_create_leads.to_string(),
            ],
            vec!["CORS origins".into(), account.cors_origins.join(", ")],
            vec![
                "Cal.com API key".into(),
                yes_no(account.calcom.api_key.is_some()),
            ],
            vec![
                "Cal.com event types".into(),
                if ids.is_empty() {
                    "all".into()
                } else {
                    format!("{ids:?}")
                },
            ],
            vec![
                "Calendly token".into(),
                yes_no(account.calendly.token.is_some()),
            ],
            vec![
                "Calendly organization".into(),
                account
                    .calendly
                    .organization
                    .clone()
                    .unwrap_or_else(|| "from the token".into()),
            ],
            vec![
                "labels".into(),
                format!(
                    "{} / {} / {}",
                    account.labels.booked, account.labels.cancelled, account.labels.no_show
                ),
            ],
            vec!["Google Sheet".into(), sheet_summary(account)],
        ]
        .into_iter()
        .chain(link_rows(&account.links))
        .chain([
            vec!["Cal.com webhook path".into(), p.calcom],
            vec!["Calendly webhook path".into(), p.calendly],
            vec![
                "created".into(),
                local(account.created_at, account.time_zone),
            ],
        ])
        .collect::<Vec<_>>(),
    );
}

async fn list(store: &dyn Store, json: bool) -> anyhow::Result<()> {
    let accounts = store.list_accounts().await?;
    if json {
        output::json(&accounts.iter().map(view).collect::<Vec<_>>());
    } else {
        let rows: Vec<Vec<String>> = accounts
            .iter()
            .map(|a| {
                vec![
                    a.id.to_string(),
                    a.name.clone(),
                    a.time_zone.name().into(),
                    a.phone_region.to_string(),
                ]
            })
            .collect();
        output::table(&["account", "name", "time zone", "region"], &rows);
    }
    Ok(())
}

/// A browser origin: scheme and host (and port), no path.
fn origin(raw: &str) -> anyhow::Result<String> {
    let trimmed = raw.trim().trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"))
        .with_context(|| format!("CORS origin {raw:?} must start with https:// or http://"))?;
    if rest.is_empty() || rest.contains(['/', '?', '#', ' ', '*']) {
        bail!("CORS origin {raw:?} must be scheme://host[:port], with no path or wildcard");
    }
    Ok(trimmed.to_owned())
}

async fn update(store: &dyn Store, args: UpdateAccountArgs, json: bool) -> anyhow::Result<()> {
    let zone = args.timezone.as_deref().map(time_zone).transpose()?;
    let phone_region = args.phone_region.as_deref().map(region).transpose()?;
    let origins = args
        .cors_origins
        .iter()
        .map(|o| origin(o))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let secret = |value: &Option<String>| -> anyhow::Result<Option<Secret>> {
        match value.as_deref().map(str::trim) {
            Some("") => bail!("a secret or token cannot be empty"),
            other => Ok(other.map(Secret::new)),
        }
    };
    let (calcom_key, calendly_token) =
        (secret(&args.calcom_api_key)?, secret(&args.calendly_token)?);
    let (calcom_secret, calendly_key) = (
        secret(&args.calcom_webhook_secret)?,
        secret(&args.calendly_signing_key)?,
    );
    let sheet_change = SheetChange::from_args(&args.sheet)?;
    let link_change = LinkChange::from_args(&args.links)?;

    for _ in 0..5 {
        let mut account = load_account(store, &args.account).await?;
        let before_zone = account.time_zone;
        if let Some(name) = &args.name {
            account.name.clone_from(name);
        }
        if let Some(zone) = zone {
            account.time_zone = zone;
        }
        if let Some(region) = phone_region {
            account.phone_region = region;
        }
        if !origins.is_empty() || args.clear_cors_origins {
            account.cors_origins.clone_from(&origins);
        }
        if args.auto_create_leads {
            account.auto_create_leads = true;
        }
        if args.no_auto_create_leads {
            account.auto_create_leads = false;
        }
        if let Some(key) = &calcom_key {
            account.calcom.api_key = Some(StoredSecret::Plain(key.clone()));
        }
        if let Some(ids) = &args.calcom_event_type_ids {
            account.calcom.event_type_ids.clone_from(ids);
        }
        if let Some(secret) = &calcom_secret {
            account.calcom.webhook_secret = StoredSecret::Plain(secret.clone());
        }
        if let Some(token) = &calendly_token {
            account.calendly.token = Some(StoredSecret::Plain(token.clone()));
        }
        if let Some(organization) = &args.calendly_organization {
            account.calendly.organization =
                Some(organization.trim().to_owned()).filter(|o| !o.is_empty());
        }
        if let Some(key) = &calendly_key {
            account.calendly.signing_key = StoredSecret::Plain(key.clone());
        }
        sheet_change.apply(&mut account)?;
        link_change.apply(&mut account)?;
        for (slot, value) in [
            (&mut account.labels.booked, &args.booked_label),
            (&mut account.labels.cancelled, &args.cancelled_label),
            (&mut account.labels.no_show, &args.no_show_label),
        ] {
            if let Some(label) = value.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
                *slot = label.to_owned();
            }
        }
        account.updated_at = Utc::now();
        match store.update_account(&account).await {
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
            Ok(saved) => {
                // Counters are per local day: a new time zone moves every day boundary.
                if saved.time_zone != before_zone {
                    let report = shared::ingest::recount(store, &saved, Utc::now()).await?;
                    if !json {
                        output::line(format!(
                            "Time zone changed: counters recounted ({} counters moved).",
                            report.drift.len()
                        ));
                    }
                }
                show(&saved, json);
                return Ok(());
            }
        }
    }
    bail!("the account kept changing while it was being updated; try again")
}

async fn rotate(store: &dyn Store, raw: &str, which: SecretArg, json: bool) -> anyhow::Result<()> {
    let kind = match which {
        SecretArg::Calcom => SecretKind::Calcom,
        SecretArg::Calendly => SecretKind::Calendly,
        SecretArg::Api => SecretKind::Api,
    };
    for _ in 0..5 {
        let mut account = load_account(store, raw).await?;
        let fresh = account.rotate(kind, Utc::now());
        match store.update_account(&account).await {
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
            Ok(_) => {
                let (name, what) = match kind {
                    SecretKind::Calcom => (
                        "calcomWebhookSecret",
                        "Cal.com webhook secret: put it on the Cal.com webhook with \
                         `webhook calcom-subscribe <account> --url <base URL> --replace`",
                    ),
                    SecretKind::Calendly => (
                        "calendlySigningKey",
                        "Calendly signing key: put it on the webhook subscription with \
                         `webhook calendly-subscribe <account> --url <base URL> --replace`",
                    ),
                    SecretKind::Api => ("apiKey", "API key: the old key stopped working"),
                };
                if json {
                    output::json(
                        &serde_json::json!({"accountId": account.id, name: fresh.expose()}),
                    );
                } else {
                    output::line(format!("New {what}. Shown once:\n{}", fresh.expose()));
                }
                return Ok(());
            }
        }
    }
    bail!("the account kept changing while it was being updated; try again")
}
