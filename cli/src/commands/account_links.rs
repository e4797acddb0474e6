//! `accounts update`'s link settings (`--calendly-lead-field`, `--booking-url`,
//! `--booking-provider`, `--no-booking-url`), checked before anything is saved, and how
//! `accounts show` prints them.

use shared::accounts::{Account, LinkSettings};
use shared::domain::{LeadField, Provider};
use shared::leads::{BookingPage, BookingPageError, web_url};

use super::Coded;
use crate::cli::AccountLinkArgs;

/// What changes about the account's links.
pub(super) struct LinkChange {
    lead_field: Option<LeadField>,
    /// `Some(None)` forgets the page; a new page drops the provider named for the old one.
    booking_url: Option<Option<String>>,
    provider: Option<Provider>,
}

impl LinkChange {
    pub(super) fn from_args(args: &AccountLinkArgs) -> anyhow::Result<Self> {
        let booking_url = match (&args.booking_url, args.no_booking_url) {
            (_, true) => Some(None),
            (Some(raw), false) => {
                let url = web_url(raw).map_err(|e| Coded::usage(format!("--booking-url: {e}")))?;
                Some(Some(url.to_string()))
            }
            (None, false) => None,
        };
        Ok(Self {
            lead_field: args.calendly_lead_field,
            booking_url,
            provider: args.booking_provider.map(Into::into),
        })
    }

    /// Applies the change; the page left on the account must be one links can be built from.
    pub(super) fn apply(&self, account: &mut Account) -> anyhow::Result<()> {
        let links = &mut account.links;
        if let Some(field) = self.lead_field {
            links.calendly_lead_field = field;
        }
        if let Some(url) = &self.booking_url {
            links.booking_url.clone_from(url);
            links.booking_provider = None;
        }
        if self.provider.is_some() {
            if links.booking_url.is_none() {
                return Err(Coded::usage(
                    "--booking-provider names the provider of the booking page: set one with --booking-url URL",
                )
                .into());
            }
            links.booking_provider = self.provider;
        }
        match BookingPage::of_account(links) {
            Some(Err(e @ BookingPageError::UnknownProvider(_))) => Err(Coded::usage(format!(
                "--booking-url: {e}; for a self-hosted Cal.com add --booking-provider calcom"
            ))
            .into()),
            Some(Err(e)) => Err(Coded::usage(format!("--booking-url: {e}")).into()),
            _ => Ok(()),
        }
    }
}

/// `links` in `accounts show --json`.
pub(super) fn view(links: &LinkSettings) -> serde_json::Value {
    serde_json::json!({
        "calendlyLeadField": links.calendly_lead_field,
        "bookingUrl": links.booking_url,
        "bookingProvider": BookingPage::of_account(links)
            .and_then(Result::ok)
            .map(|page| page.provider()),
    })
}

/// The rows of `accounts show`.
pub(super) fn link_rows(links: &LinkSettings) -> [Vec<String>; 2] {
    let page = match (&links.booking_url, BookingPage::of_account(links)) {
        (Some(url), Some(Ok(page))) => format!("{url} ({})", page.provider()),
        (Some(url), _) => url.clone(),
        (None, _) => "not set".into(),
    };
    [
        vec![
            "Calendly lead field".into(),
            links.calendly_lead_field.to_string(),
        ],
        vec!["booking page".into(), page],
    ]
}
