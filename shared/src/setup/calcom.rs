//! `webhook calcom-subscribe`: carries out [`plan_calcom`] against Cal.com API v2
//! `/v2/webhooks` (PROVIDERS.md §7.1) with the account's API key, through the sync's HTTP
//! client (timeouts, retries, rate-limit waits) and the key's pace.

use reqwest::Method;
use tokio::time::Instant;

use super::calcom_plan::{CalcomOutcome, CalcomStep, plan_calcom};
use crate::domain::Secret;
use crate::outbound::{Call, FetchError};
use crate::providers::calcom::webhooks_api::{
    CalcomWebhook, WEBHOOK_TRIGGERS, WEBHOOKS_TAKE, parse_webhook, parse_webhooks_page,
};
use crate::sync::CalcomSource;

/// A guard against a provider that never sends a short page.
const MAX_PAGES: usize = 40;

/// What to register.
#[derive(Debug)]
pub struct CalcomSubscription<'a> {
    /// `https://<host>/webhooks/calcom/<account>`.
    pub subscriber_url: &'a str,
    /// The account's Cal.com webhook secret: Cal.com signs deliveries with it.
    pub secret: &'a Secret,
    /// Delete and recreate a working webhook too.
    pub replace: bool,
}

/// The webhook posting to our URL, and how it came to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CalcomSubscribed {
    pub outcome: CalcomOutcome,
    pub webhook_id: String,
    /// Ids of the webhooks to our URL deleted on the way (duplicates, or all with `replace`).
    pub deleted: Vec<String>,
}

/// Makes sure exactly one active webhook posts every trigger we follow to the URL, signed
/// with the secret. Safe to repeat: a second run finds the first run's webhook and leaves it.
pub async fn subscribe_calcom(
    calcom: &CalcomSource<'_>,
    wanted: &CalcomSubscription<'_>,
    deadline: Instant,
) -> Result<CalcomSubscribed, FetchError> {
    let listed = calcom_webhooks(calcom, deadline).await?;
    let plan = plan_calcom(&listed, wanted.subscriber_url, wanted.replace);
    for id in &plan.delete {
        delete(calcom, id, deadline).await?;
    }
    let webhook_id = match plan.step {
        CalcomStep::Keep { id } => id,
        CalcomStep::Patch { id, triggers } => {
            let body = serde_json::json!({
                "active": true,
                "triggers": triggers,
                "secret": wanted.secret.expose(),
            });
            let url = webhook_url(calcom, &id);
            let call = Call {
                method: Method::PATCH,
                json: Some(&body),
                ..paced(calcom, Call::get(&url, &[], &calcom.api_key))
            };
            parse_webhook(&calcom.http.send(&call, deadline).await?)?.id
        }
        CalcomStep::Create => {
            let body = serde_json::json!({
                "subscriberUrl": wanted.subscriber_url,
                "triggers": WEBHOOK_TRIGGERS,
                "active": true,
                "secret": wanted.secret.expose(),
            });
            let url = list_url(calcom);
            let call = paced(calcom, Call::post(&url, &body, &calcom.api_key));
            parse_webhook(&calcom.http.send(&call, deadline).await?)?.id
        }
    };
    Ok(CalcomSubscribed {
        outcome: plan.outcome,
        webhook_id,
        deleted: plan.delete,
    })
}

/// Every webhook of the API key's user, `take` at a time until a page comes back short.
pub async fn calcom_webhooks(
    calcom: &CalcomSource<'_>,
    deadline: Instant,
) -> Result<Vec<CalcomWebhook>, FetchError> {
    let url = list_url(calcom);
    let mut found = Vec::new();
    for _ in 0..MAX_PAGES {
        let query = [
            ("skip", found.len().to_string()),
            ("take", WEBHOOKS_TAKE.to_string()),
        ];
        let call = paced(calcom, Call::get(&url, &query, &calcom.api_key));
        let page = parse_webhooks_page(&calcom.http.send(&call, deadline).await?)?;
        let short = page.len() < WEBHOOKS_TAKE;
        found.extend(page);
        if short {
            return Ok(found);
        }
    }
    Err(FetchError::Malformed(format!(
        "more than {MAX_PAGES} pages of webhooks"
    )))
}

/// `DELETE /v2/webhooks/{id}`; one already gone counts as deleted.
async fn delete(calcom: &CalcomSource<'_>, id: &str, deadline: Instant) -> Result<(), FetchError> {
    let url = webhook_url(calcom, id);
    let call = Call {
        method: Method::DELETE,
        ..paced(calcom, Call::get(&url, &[], &calcom.api_key))
    };
    match calcom.http.send(&call, deadline).await {
        Ok(_) | Err(FetchError::Status(404, _)) => Ok(()),
        Err(e) => Err(e),
    }
}

fn paced<'a>(calcom: &'a CalcomSource<'_>, call: Call<'a>) -> Call<'a> {
    Call {
        pace: Some(&*calcom.pace),
        ..call
    }
}

fn list_url(calcom: &CalcomSource<'_>) -> String {
    format!("{}/v2/webhooks", calcom.base.trim_end_matches('/'))
}

fn webhook_url(calcom: &CalcomSource<'_>, id: &str) -> String {
    format!("{}/{id}", list_url(calcom))
}
