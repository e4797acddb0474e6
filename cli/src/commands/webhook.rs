//! `booking-tracker webhook sign (--calcom | --calendly) --secret S FILE`: the header a provider
//! would send, for testing a webhook with curl.

use anyhow::Context;
use chrono::Utc;
use shared::domain::Secret;
use shared::providers::{calcom, calendly};

use crate::cli::{SignArgs, WebhookCommand};
use crate::output;

pub fn run(command: WebhookCommand, json: bool) -> anyhow::Result<()> {
    let WebhookCommand::Sign(args) = command;
    sign(&args, json)
}

fn sign(args: &SignArgs, json: bool) -> anyhow::Result<()> {
    let body = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let secret = Secret::new(args.secret.trim());
    let (name, value) = if args.calcom {
        ("X-Cal-Signature-256", calcom::sign(&secret, &body))
    } else {
        (
            "Calendly-Webhook-Signature",
            calendly::sign(&secret, Utc::now().timestamp(), &body),
        )
    };
    if json {
        output::json(&serde_json::json!({"header": name, "value": value}));
    } else {
        output::line(format!("{name}: {value}"));
    }
    Ok(())
}
