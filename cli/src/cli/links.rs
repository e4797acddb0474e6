//! The command line of personal booking links (SPEC §7): `leads link`, `leads links`, and the
//! account's link settings in `accounts update`.

use clap::{Args, ValueEnum};
use shared::domain::{LeadField, Provider};

/// A booking page's provider, when its host does not say.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ProviderArg {
    Calcom,
    Calendly,
}

impl From<ProviderArg> for Provider {
    fn from(arg: ProviderArg) -> Self {
        match arg {
            ProviderArg::Calcom => Provider::Calcom,
            ProviderArg::Calendly => Provider::Calendly,
        }
    }
}

/// Which page links are built from, and what they carry besides the lead.
#[derive(Debug, Args)]
pub struct PageArgs {
    /// The booking page (default: the account's `--booking-url`).
    #[arg(long, value_name = "BOOKING_URL")]
    pub url: Option<String>,
    /// The campaign the link credits (default: the lead's own).
    #[arg(long)]
    pub campaign: Option<String>,
    /// The source the link credits (default: the lead's own).
    #[arg(long)]
    pub source: Option<String>,
    /// The page's provider, for hosts other than cal.com and calendly.com (a self-hosted Cal.com).
    #[arg(long, value_enum)]
    pub provider: Option<ProviderArg>,
}

#[derive(Debug, Args)]
pub struct LinkArgs {
    pub account: String,
    pub lead: String,
    #[command(flatten)]
    pub page: PageArgs,
}

#[derive(Debug, Args)]
pub struct LinksArgs {
    pub account: String,
    #[command(flatten)]
    pub page: PageArgs,
}

/// `accounts update`'s link settings.
#[derive(Debug, Args)]
pub struct AccountLinkArgs {
    /// The Calendly tracking field booking links carry the lead id in.
    #[arg(long, value_name = "utm_content|utm_term|salesforce_uuid")]
    pub calendly_lead_field: Option<LeadField>,
    /// The account's booking page, the default of `leads link` and the sheet's link column
    /// (an https:// or http:// URL).
    #[arg(long, value_name = "URL", conflicts_with = "no_booking_url")]
    pub booking_url: Option<String>,
    /// The booking page's provider when its host does not say (a self-hosted Cal.com).
    #[arg(long, value_enum, value_name = "calcom|calendly")]
    pub booking_provider: Option<ProviderArg>,
    /// Forget the account's booking page.
    #[arg(long, conflicts_with = "booking_provider")]
    pub no_booking_url: bool,
}
