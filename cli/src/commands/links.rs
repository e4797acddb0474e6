//! `booking-tracker leads link|links`: personal booking links (SPEC §7).

use anyhow::anyhow;
use serde::Serialize;
use shared::accounts::Account;
use shared::domain::Attribution;
use shared::leads::{BookingPage, BookingPageError, Lead};
use shared::store::Store;

use super::leads::{Contact, all_leads};
use super::{Coded, load_lead};
use crate::cli::{LinkArgs, LinksArgs, PageArgs};
use crate::output;

/// The page links are built from: `--url`, else the account's; and what they credit.
struct Links {
    page: BookingPage,
    attribution: Attribution,
}

impl Links {
    fn new(account: &Account, args: &PageArgs) -> anyhow::Result<Self> {
        let flag = args.provider.map(Into::into);
        let (url, provider) = match (&args.url, &account.links.booking_url) {
            (Some(url), _) => (url, flag),
            (None, Some(url)) => (url, flag.or(account.links.booking_provider)),
            (None, None) => {
                return Err(Coded::usage(format!(
                    "no booking page: pass --url BOOKING_URL, or keep one on the account with \
                     `booking-tracker accounts update {} --booking-url URL`",
                    account.id
                ))
                .into());
            }
        };
        let page = BookingPage::parse(url, provider).map_err(|e| match e {
            BookingPageError::UnknownProvider(_) => Coded::usage(format!(
                "{e}; for a self-hosted Cal.com pass --provider calcom (or --provider calendly)"
            )),
            e => Coded::usage(format!("the booking page: {e}")),
        })?;
        Ok(Self {
            page,
            attribution: Attribution::new(args.campaign.as_deref(), args.source.as_deref()),
        })
    }

    fn of(&self, account: &Account, lead: &Lead) -> String {
        self.page.link(lead, &self.attribution, &account.links)
    }
}

/// `leads link ID LEAD`: one lead's link (`--json`: `{"leadId", "url"}`).
pub async fn link(
    store: &dyn Store,
    account: &Account,
    args: &LinkArgs,
    json: bool,
) -> anyhow::Result<()> {
    let links = Links::new(account, &args.page)?;
    let lead = load_lead(store, account, &args.lead).await?;
    let url = links.of(account, &lead);
    if json {
        output::json(&serde_json::json!({"leadId": lead.id, "url": url}));
    } else {
        output::line(url);
    }
    Ok(())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LinkRow<'a> {
    #[serde(flatten)]
    contact: Contact<'a>,
    url: String,
}

/// `leads links ID`: every lead's link, as CSV (`leadId,name,phone,email,url`) or a JSON list.
pub async fn links(
    store: &dyn Store,
    account: &Account,
    args: &LinksArgs,
    json: bool,
) -> anyhow::Result<()> {
    let links = Links::new(account, &args.page)?;
    let leads = all_leads(store, account).await?;
    let rows: Vec<LinkRow<'_>> = leads
        .iter()
        .map(|lead| LinkRow {
            contact: Contact::of(lead),
            url: links.of(account, lead),
        })
        .collect();
    if json {
        output::json(&rows);
        return Ok(());
    }
    let mut csv = csv::Writer::from_writer(Vec::new());
    csv.write_record(["leadId", "name", "phone", "email", "url"])?;
    for LinkRow { contact, url } in &rows {
        csv.write_record([
            contact.lead_id,
            contact.name.unwrap_or_default(),
            contact.phone.unwrap_or_default(),
            contact.email.unwrap_or_default(),
            url,
        ])?;
    }
    let bytes = csv.into_inner().map_err(|e| anyhow!("{e}"))?;
    output::raw(&String::from_utf8(bytes)?);
    Ok(())
}
