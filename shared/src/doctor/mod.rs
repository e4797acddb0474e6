//! `booking-tracker doctor ID` and `GET /health` (SPEC §8): every reason an account's bookings
//! could fail to show up, checked at once, each with what to run about it.
//!
//! The straight line: [`run_doctor`] starts every check at once, each under its own time budget,
//! so a provider that hangs costs one `warn` and never the report → `webhooks` (registered at
//! the providers, active, our URL, every trigger) / `credentials` (one cheap authenticated call
//! per provider, and the sheet) / `evidence` (the store alone: deliveries, the last sync,
//! counters, unmatched bookings) → one report in the fixed order of [`CheckName::ALL`]. `http`
//! serves it as `GET /health` on the sync function. Provider calls go through the sync's
//! clients, with its retries and per-credential pace.

mod credentials;
mod evidence;
mod http;
mod report;
mod webhooks;

pub use report::{Check, CheckName, CheckStatus, DoctorReport};

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::time::Instant;

use crate::accounts::Account;
use crate::domain::Provider;
use crate::outbound::FetchError;
use crate::store::{Store, StoreError};
use crate::sync::SyncService;
use report::Finding;

/// How long one check may take by default: the whole report answers within it, well inside API
/// Gateway's 30 s.
pub const DEFAULT_CHECK_TIMEOUT: Duration = Duration::from_secs(8);

/// How the doctor runs.
#[derive(Clone, Debug)]
pub struct DoctorOptions {
    /// Each check's budget; one that runs over it is a `warn`.
    pub check_timeout: Duration,
    /// The deployment's base URL (`--url`): our webhooks must post exactly there. Without it,
    /// any webhook posting to `.../webhooks/<provider>/<account>` is ours.
    pub base_url: Option<String>,
}

impl Default for DoctorOptions {
    fn default() -> Self {
        Self {
            check_timeout: DEFAULT_CHECK_TIMEOUT,
            base_url: None,
        }
    }
}

/// Checks `account` now. Never fails: what cannot be checked is a check's `warn`.
pub async fn run_doctor<S: Store + ?Sized>(
    service: &SyncService<S>,
    account: &Account,
    options: &DoctorOptions,
) -> DoctorReport {
    let doctor = Doctor {
        service,
        account,
        options,
        now: service.clock.now(),
        deadline: Instant::now() + options.check_timeout,
    };
    let d = &doctor;
    let checks = tokio::join!(
        d.timed(CheckName::CalcomWebhook, webhooks::calcom(d)),
        d.timed(CheckName::CalendlyWebhook, webhooks::calendly(d)),
        d.timed(CheckName::CalcomCredentials, credentials::calcom(d)),
        d.timed(CheckName::CalendlyCredentials, credentials::calendly(d)),
        d.timed(CheckName::Deliveries, evidence::deliveries(d)),
        d.timed(CheckName::LastSync, evidence::last_sync(d)),
        d.timed(CheckName::GoogleSheet, credentials::google_sheet(d)),
        d.timed(CheckName::Counters, evidence::counters(d)),
        d.timed(CheckName::Unmatched, evidence::unmatched(d)),
    );
    let (a, b, c, e, f, g, h, i, j) = checks;
    DoctorReport {
        account_id: account.id.to_string(),
        checks: vec![a, b, c, e, f, g, h, i, j],
    }
}

/// Who a check waits on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Calcom,
    Calendly,
    Google,
    Store,
}

impl Who {
    fn of(check: CheckName) -> Self {
        match check {
            CheckName::CalcomWebhook | CheckName::CalcomCredentials => Who::Calcom,
            CheckName::CalendlyWebhook | CheckName::CalendlyCredentials => Who::Calendly,
            CheckName::GoogleSheet => Who::Google,
            _ => Who::Store,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Who::Calcom => "Cal.com",
            Who::Calendly => "Calendly",
            Who::Google => "Google",
            Who::Store => "the store",
        }
    }

    /// Where to look when it keeps failing.
    fn status(self) -> &'static str {
        match self {
            Who::Calcom => "https://status.cal.com",
            Who::Calendly => "https://www.calendlystatus.com",
            Who::Google => "https://www.google.com/appsstatus/dashboard",
            Who::Store => "the store (the DynamoDB table, or the SQLite file)",
        }
    }
}

/// A provider's API credential, as checks and fixes name it.
#[derive(Clone, Copy, Debug)]
struct Credential {
    who: Who,
    /// `API key`, `token`.
    name: &'static str,
    /// The `accounts update` option that sets it.
    option: &'static str,
    /// Where a team makes one.
    made_at: &'static str,
}

impl Credential {
    fn of(provider: Provider) -> Self {
        match provider {
            Provider::Calendly => Self {
                who: Who::Calendly,
                name: "token",
                option: "--calendly-token <token>",
                made_at: "Calendly > Integrations > API and webhooks",
            },
            _ => Self {
                who: Who::Calcom,
                name: "API key",
                option: "--calcom-api-key <key>",
                made_at: "Cal.com > Settings > Developer > API keys",
            },
        }
    }
}

/// One run's context, shared by every check.
struct Doctor<'a, S: ?Sized> {
    service: &'a SyncService<S>,
    account: &'a Account,
    options: &'a DoctorOptions,
    now: DateTime<Utc>,
    /// No provider call runs past this.
    deadline: Instant,
}

impl<S: ?Sized> Doctor<'_, S> {
    /// Runs one check within the budget; running over it is a `warn`.
    async fn timed(&self, name: CheckName, check: impl Future<Output = Finding>) -> Check {
        match tokio::time::timeout(self.options.check_timeout, check).await {
            Ok(finding) => finding.named(name),
            Err(_) => self.late(Who::of(name)).named(name),
        }
    }

    fn late(&self, who: Who) -> Finding {
        Finding::warn(
            format!(
                "{} did not answer within {} s",
                capitalised(who.name()),
                self.options.check_timeout.as_secs().max(1)
            ),
            format!("retry; if it persists check {}", who.status()),
        )
    }

    /// A provider call that failed for a reason that may pass: too slow, unreachable, a 5xx,
    /// an answer not in the documented format.
    fn unreachable(&self, who: Who, what: &str, error: &FetchError) -> Finding {
        match error {
            FetchError::Timeout(_) | FetchError::Deadline => self.late(who),
            FetchError::Credentials(_) => self.unopened(error),
            _ => Finding::warn(
                format!("{what}: {error}"),
                format!("retry; if it persists check {}", who.status()),
            ),
        }
    }

    /// A stored credential that does not open: the store's key is missing or another one.
    fn unopened(&self, error: &FetchError) -> Finding {
        Finding::fail(
            error.to_string(),
            "restore the store's key (the key file beside the SQLite database, or KMS_KEY_ID) \
             that sealed the account's secrets",
        )
    }

    /// A call made with `credential` failed: refused (`fail`: set a valid one), or not
    /// answered (`warn`).
    fn refused(&self, credential: Credential, what: &str, error: &FetchError) -> Finding {
        let Credential { who, name, .. } = credential;
        match error {
            FetchError::Unauthorized(..) => Finding::fail(
                format!("{} refused the {name}: {error}", who.name()),
                format!(
                    "set a valid {name} ({}) with {}",
                    credential.made_at,
                    self.command("accounts update", credential.option)
                ),
            ),
            _ => self.unreachable(who, what, error),
        }
    }

    fn store_failed(&self, error: &StoreError) -> Finding {
        Finding::warn(
            format!("cannot read the store: {error}"),
            format!("retry; if it persists check {}", Who::Store.status()),
        )
    }

    /// `booking-tracker <args>`, quoted, the account id after the subcommand.
    fn command(&self, subcommand: &str, rest: &str) -> String {
        let rest = if rest.is_empty() {
            String::new()
        } else {
            format!(" {rest}")
        };
        format!("`booking-tracker {subcommand} {}{rest}`", self.account.id)
    }

    /// The base URL for a fix: `--url`, else the one a registered webhook shows, else a
    /// placeholder.
    fn base<'b>(&'b self, found: Option<&'b str>) -> &'b str {
        self.options
            .base_url
            .as_deref()
            .or(found)
            .unwrap_or("<base>")
    }

    /// A time for people, in the account's zone.
    fn when(&self, time: DateTime<Utc>) -> String {
        time.with_timezone(&self.account.time_zone)
            .format("%Y-%m-%d %H:%M %Z")
            .to_string()
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}
