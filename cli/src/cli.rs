//! The command line (SPEC §4).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::store_url::StoreUrl;

mod actions;
mod explain;
mod links;
mod sheet;

pub use actions::{CancelArgs, NoShowArgs};
pub use explain::ExplainArgs;
pub use links::{AccountLinkArgs, LinkArgs, LinksArgs, PageArgs};
pub use sheet::AccountSheetArgs;

#[derive(Debug, Parser)]
#[command(
    name = "booking-tracker",
    version,
    about = "Every Cal.com and Calendly booking, where a sales team looks.",
    after_help = "Start locally: booking-tracker serve   (SQLite in ./booking-tracker.db)"
)]
pub struct Cli {
    /// Where data lives: sqlite:PATH or dynamodb:TABLE (AWS settings from the environment;
    /// AWS_ENDPOINT_URL_DYNAMODB for DynamoDB Local).
    #[arg(
        long,
        global = true,
        env = "BOOKING_TRACKER_STORE",
        default_value = "sqlite:booking-tracker.db"
    )]
    pub store: StoreUrl,

    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Command,
}

// Parsed once per process: the size of a variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the store if missing: the SQLite schema, or the DynamoDB table with its indexes
    /// and TTL. Idempotent.
    Init,
    /// Run every route locally, on the same handlers as the Lambda functions.
    Serve(ServeArgs),
    /// Create, show, change and rotate the secrets of accounts.
    #[command(subcommand)]
    Accounts(AccountsCommand),
    /// Import and list leads.
    #[command(subcommand)]
    Leads(LeadsCommand),
    /// Add and list appointments.
    #[command(subcommand)]
    Appointments(AppointmentsCommand),
    /// Show an account's webhook delivery log (the last 30 days).
    Deliveries {
        account: String,
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Print an account's dashboard metrics (the JSON of GET /metrics with --json).
    Metrics {
        account: String,
        /// 7d, 30d, 90d or all (default 7d).
        #[arg(long, conflicts_with_all = ["from", "to"])]
        range: Option<String>,
        /// First day (YYYY-MM-DD, the account's time zone), with --to.
        #[arg(long, requires = "to")]
        from: Option<String>,
        /// Last day, included.
        #[arg(long, requires = "from")]
        to: Option<String>,
        /// Also break the KPIs down by campaign or source.
        #[arg(long, value_parser = ["campaign", "source"])]
        by: Option<String>,
    },
    /// Why a booking counts where it does, or why nothing counts: for a booking uid, an email, a
    /// phone or an appointment id (the JSON of GET /explain with --json).
    Explain(ExplainArgs),
    /// Rebuild an account's counters from its appointments, and report any drift it fixed.
    Recount { account: String },
    /// Reconcile with the providers' APIs now (the JSON of POST /sync with --json). Exits 1 when
    /// a provider failed.
    #[command(group(clap::ArgGroup::new("which").required(true).args(["account", "all"])))]
    Sync {
        account: Option<String>,
        /// Every account with provider credentials or a sheet, as the hourly schedule does.
        #[arg(long)]
        all: bool,
        /// With --all: accounts synced at once (default 8).
        #[arg(long, conflicts_with = "account", value_parser = clap::value_parser!(u16).range(1..=256))]
        concurrency: Option<u16>,
    },
    /// Check everything an account's bookings depend on: webhooks registered at the providers,
    /// credentials, deliveries, the last sync, the sheet, counters, unmatched bookings. Each
    /// check says what to run about it; exits 1 when one fails.
    Doctor {
        account: String,
        /// The deployment's base URL: webhooks must post exactly to
        /// <URL>/webhooks/<provider>/<account> (without it, any host with that path counts).
        #[arg(long, value_name = "URL")]
        url: Option<String>,
    },
    /// Keep the account's Google Sheet in step now (each sync run also does).
    #[command(subcommand)]
    Sheets(SheetsCommand),
    /// Sign a payload the way a provider would, to test a webhook by hand.
    #[command(subcommand)]
    Webhook(WebhookCommand),
    /// The data keys that seal the accounts' secrets at rest.
    #[command(subcommand)]
    Keys(KeysCommand),
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Seal every account's secrets under a new data key, then drop the old one. Old keys open
    /// until it is done; safe to interrupt and run again.
    Rotate,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free one and prints it).
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,
    /// How often to reconcile every account with provider credentials: 90s, 30m, 1h... or off.
    #[arg(long, default_value = "1h", value_parser = parse_interval)]
    pub sync_every: SyncEvery,
}

/// `--sync-every`: an interval, or `None` for off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyncEvery(pub Option<Duration>);

/// `off`, or a number with `s`, `m` or `h`.
fn parse_interval(raw: &str) -> Result<SyncEvery, String> {
    let raw = raw.trim();
    if raw.eq_ignore_ascii_case("off") {
        return Ok(SyncEvery(None));
    }
    let (number, unit) = raw.split_at(raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len()));
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{raw:?}: expected off, or a number with s, m or h (e.g. 1h)"))?;
    let seconds = match unit {
        "s" => number,
        "m" => number * 60,
        "h" => number * 3600,
        _ => return Err(format!("{raw:?}: the unit must be s, m or h (e.g. 30m)")),
    };
    if seconds < 60 {
        return Err(format!("{raw:?}: sync at most once a minute"));
    }
    Ok(SyncEvery(Some(Duration::from_secs(seconds))))
}

#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum AccountsCommand {
    /// Create an account; its secrets are printed once.
    Create(CreateAccountArgs),
    /// Show an account's settings (never its secrets).
    Show { account: String },
    /// List accounts.
    List,
    /// Change an account's settings and provider credentials.
    Update(UpdateAccountArgs),
    /// Replace one secret with a fresh one, printed once.
    Rotate {
        account: String,
        #[arg(long, value_enum)]
        secret: SecretArg,
    },
}

#[derive(Debug, Args)]
pub struct CreateAccountArgs {
    pub account: String,
    #[arg(long)]
    pub name: Option<String>,
    /// IANA time zone: days in metrics start at local midnight here.
    #[arg(long, default_value = "Europe/London")]
    pub timezone: String,
    /// Country whose numbering plan reads phone numbers written without +.
    #[arg(long, default_value = "GB")]
    pub phone_region: String,
    /// Keep unmatched bookings unmatched instead of creating a lead from the attendee.
    #[arg(long)]
    pub no_auto_create_leads: bool,
    /// Use the published demo secrets the files in events/ are signed with, so they can be
    /// replayed locally. Only for the account `demo`; never for real traffic.
    #[arg(long)]
    pub demo_secrets: bool,
}

#[derive(Debug, Args)]
pub struct UpdateAccountArgs {
    pub account: String,
    #[arg(long)]
    pub name: Option<String>,
    #[arg(long)]
    pub timezone: Option<String>,
    #[arg(long)]
    pub phone_region: Option<String>,
    /// A browser origin allowed to fetch metrics (repeatable; replaces the list).
    #[arg(long = "cors-origin", value_name = "URL")]
    pub cors_origins: Vec<String>,
    /// Remove every CORS origin.
    #[arg(long, conflicts_with = "cors_origins")]
    pub clear_cors_origins: bool,
    #[arg(long, overrides_with = "no_auto_create_leads")]
    pub auto_create_leads: bool,
    #[arg(long)]
    pub no_auto_create_leads: bool,
    /// Cal.com API key (cal_live_...) for the hourly sync.
    #[arg(long, value_name = "KEY")]
    pub calcom_api_key: Option<String>,
    /// Restrict the Cal.com sync to these event type ids (comma-separated; empty for all).
    #[arg(long, value_name = "IDS", value_delimiter = ',', num_args = 0..)]
    pub calcom_event_type_ids: Option<Vec<u64>>,
    /// The secret set on the Cal.com webhook, if you chose your own.
    #[arg(long, value_name = "SECRET")]
    pub calcom_webhook_secret: Option<String>,
    /// Calendly personal access token or OAuth token for the hourly sync.
    #[arg(long, value_name = "TOKEN")]
    pub calendly_token: Option<String>,
    /// Calendly organization URI (looked up from the token when not set).
    #[arg(long, value_name = "URI")]
    pub calendly_organization: Option<String>,
    /// The signing key of the Calendly webhook subscription, if you chose your own.
    #[arg(long, value_name = "KEY")]
    pub calendly_signing_key: Option<String>,
    #[command(flatten)]
    pub sheet: AccountSheetArgs,
    /// Status label written on leads with a live booking.
    #[arg(long, value_name = "LABEL")]
    pub booked_label: Option<String>,
    /// Status label written on leads whose booking was cancelled.
    #[arg(long, value_name = "LABEL")]
    pub cancelled_label: Option<String>,
    /// Status label written on leads who did not show.
    #[arg(long, value_name = "LABEL")]
    pub no_show_label: Option<String>,
    #[command(flatten)]
    pub links: AccountLinkArgs,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum SecretArg {
    Calcom,
    Calendly,
    Api,
}

#[derive(Debug, Subcommand)]
pub enum SheetsCommand {
    /// Read the sheet and upsert its rows as leads.
    Pull { account: String },
    /// Read the sheet, then write status labels and call times where it is out of date and
    /// append leads created from bookings.
    Push { account: String },
}

#[derive(Debug, Subcommand)]
pub enum LeadsCommand {
    /// Import leads from a CSV file with a header row: name, phone, email, status, campaign,
    /// source (any case, any order; first_name/last_name also work).
    Import { account: String, file: PathBuf },
    /// List an account's leads.
    List { account: String },
    /// Print a lead's personal booking link: the page plus the lead id, campaign and source,
    /// and the lead's details as prefill.
    Link(LinkArgs),
    /// Print every lead's personal booking link as CSV: leadId,name,phone,email,url.
    Links(LinksArgs),
}

#[derive(Debug, Subcommand)]
pub enum AppointmentsCommand {
    /// Record a booking made outside Cal.com and Calendly.
    Add(AddAppointmentArgs),
    /// List an account's appointments.
    List {
        account: String,
        /// Only live appointments yet to start, soonest first.
        #[arg(long)]
        upcoming: bool,
    },
    /// Cancel a booking at Cal.com or Calendly, then here (manual ones here only).
    Cancel(CancelArgs),
    /// Mark the attendee a no-show at the provider, then here; --undo takes it back.
    NoShow(NoShowArgs),
}

#[derive(Debug, Args)]
pub struct AddAppointmentArgs {
    pub account: String,
    #[arg(long)]
    pub name: String,
    #[arg(long)]
    pub email: Option<String>,
    #[arg(long)]
    pub phone: Option<String>,
    /// When the call starts (RFC 3339, e.g. 2026-03-10T14:00:00Z).
    #[arg(long)]
    pub at: DateTime<Utc>,
    /// How long the call lasts, in minutes.
    #[arg(long, default_value_t = 30)]
    pub minutes: u32,
    #[arg(long)]
    pub event_type: Option<String>,
    /// The lead the call is with (matched by hand, before phone and email).
    #[arg(long)]
    pub lead: Option<String>,
    /// The campaign and source the booking is credited to (else its lead's).
    #[arg(long)]
    pub campaign: Option<String>,
    #[arg(long)]
    pub source: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Print the signature header a provider would send with FILE's bytes.
    Sign(SignArgs),
    /// Create the account's Calendly webhook subscription (organization scope, the four
    /// invitee triggers, signed with the account's signing key), using its Calendly token.
    /// Safe to repeat: an active subscription to the same URL is left alone.
    CalendlySubscribe(SubscribeArgs),
    /// Register the account's Cal.com webhook (the seven booking triggers, the account's
    /// webhook secret) with its Cal.com API key. Safe to repeat: an active webhook to the same
    /// URL is left alone, an inactive or incomplete one repaired, duplicates deleted.
    CalcomSubscribe(SubscribeArgs),
}

#[derive(Debug, Args)]
pub struct SubscribeArgs {
    pub account: String,
    /// The deployment's base URL (the stack's ApiUrl output, e.g.
    /// https://abc123.execute-api.eu-west-2.amazonaws.com); /webhooks/<provider>/<account> is added.
    #[arg(long, value_name = "URL")]
    pub url: String,
    /// Delete and recreate a working webhook too: after `accounts rotate --secret
    /// calcom|calendly`, or when deliveries fail with invalid_signature.
    #[arg(long)]
    pub replace: bool,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("provider").required(true).args(["calcom", "calendly"])))]
pub struct SignArgs {
    #[arg(long)]
    pub calcom: bool,
    #[arg(long)]
    pub calendly: bool,
    /// The webhook secret (Cal.com) or signing key (Calendly).
    #[arg(long)]
    pub secret: String,
    pub file: PathBuf,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn sync_intervals_parse() {
        let every = |s| Ok(SyncEvery(Some(Duration::from_secs(s))));
        assert_eq!(parse_interval("1h"), every(3600));
        assert_eq!(parse_interval("30m"), every(1800));
        assert_eq!(parse_interval("OFF"), Ok(SyncEvery(None)));
        for bad in ["", "h", "10", "5s", "1d", "-1h"] {
            assert!(parse_interval(bad).is_err(), "{bad}");
        }
    }
}
