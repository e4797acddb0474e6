//! An account: one team, its settings and its provider credentials.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::keys::{
    API_KEY_PREFIX, ApiKeyHash, CALCOM_SECRET_PREFIX, CALENDLY_KEY_PREFIX, DEMO_ACCOUNT,
    DEMO_API_KEY, DEMO_CALCOM_SECRET, DEMO_CALENDLY_KEY, generate_secret,
};
use super::links::LinkSettings;
use super::sheet::{GoogleCredentials, SheetSettings};
use crate::domain::{AccountId, Region, Secret};
use crate::secrets::StoredSecret;

/// Everything booking-tracker knows about one team. Stored as one document; fields added later
/// take their defaults when older documents are read.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    pub id: AccountId,
    pub name: String,
    /// Days for metrics start at local midnight here.
    #[serde(with = "tz_name")]
    pub time_zone: Tz,
    /// Numbers written without `+` are read in this country's plan.
    pub phone_region: Region,
    /// Create a lead from an unmatched attendee (default), or keep the booking unmatched.
    #[serde(default = "yes")]
    pub auto_create_leads: bool,
    /// Browser origins allowed to fetch this account's metrics.
    #[serde(default)]
    pub cors_origins: Vec<String>,
    pub calcom: CalcomSettings,
    pub calendly: CalendlySettings,
    pub api_key_hash: ApiKeyHash,
    #[serde(default)]
    pub labels: StatusLabels,
    /// The team's Google Sheet of leads, kept in step by the sync.
    #[serde(default)]
    pub google_sheet: Option<SheetSettings>,
    /// How personal booking links carry the lead.
    #[serde(default)]
    pub links: LinkSettings,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The layout the account's counters were built with (see [`COUNTERS_LAYOUT`]); older
    /// accounts are recounted by `init`.
    #[serde(default)]
    pub counters_layout: u32,
    /// Counts the writes of this account; stores make each write conditional on it.
    #[serde(default)]
    pub revision: u64,
}

/// The counters' current layout: 1 kept per-day counts, 2 adds the per-campaign and per-source
/// segments (SPEC §7). An account below it has counters a recount must rebuild.
pub const COUNTERS_LAYOUT: u32 = 2;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CalcomSettings {
    /// Signs Cal.com's webhooks to us (`X-Cal-Signature-256`).
    pub webhook_secret: StoredSecret,
    /// For the hourly sync (`GET /v2/bookings`).
    #[serde(default)]
    pub api_key: Option<StoredSecret>,
    /// Restricts the sync to these event types; empty means all.
    #[serde(default)]
    pub event_type_ids: Vec<u64>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CalendlySettings {
    /// Signs Calendly's webhooks to us (`Calendly-Webhook-Signature`).
    pub signing_key: StoredSecret,
    /// Personal access token or OAuth token for the hourly sync.
    #[serde(default)]
    pub token: Option<StoredSecret>,
    /// Organization URI; looked up from `GET /users/me` when not set.
    #[serde(default)]
    pub organization: Option<String>,
}

/// The status labels written on leads (and to the team's sheet).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusLabels {
    pub booked: String,
    pub cancelled: String,
    pub no_show: String,
}

impl Default for StatusLabels {
    fn default() -> Self {
        Self {
            booked: "CALL_BOOKED".into(),
            cancelled: "CALL_CANCELLED".into(),
            no_show: "NO_SHOW".into(),
        }
    }
}

/// The secrets of a new or rotated account, shown to the user once and never stored in clear
/// (the API key) or never shown again (the webhook secrets).
#[derive(Debug)]
pub struct IssuedSecrets {
    pub calcom_webhook_secret: Secret,
    pub calendly_signing_key: Secret,
    pub api_key: Secret,
}

/// What `accounts create` may set.
#[derive(Clone, Debug)]
pub struct NewAccount {
    pub id: AccountId,
    pub name: Option<String>,
    pub time_zone: Tz,
    pub phone_region: Region,
    pub auto_create_leads: bool,
}

impl NewAccount {
    pub fn new(id: AccountId) -> Self {
        Self {
            id,
            name: None,
            time_zone: chrono_tz::Europe::London,
            phone_region: Region::GB,
            auto_create_leads: true,
        }
    }
}

/// Which secret to rotate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecretKind {
    Calcom,
    Calendly,
    Api,
}

impl IssuedSecrets {
    /// Fresh random secrets.
    pub fn generate() -> Self {
        Self {
            calcom_webhook_secret: generate_secret(CALCOM_SECRET_PREFIX),
            calendly_signing_key: generate_secret(CALENDLY_KEY_PREFIX),
            api_key: generate_secret(API_KEY_PREFIX),
        }
    }

    /// The published secrets the sample events in `events/` are signed with, for the account
    /// [`DEMO_ACCOUNT`] only: anyone can forge requests for an account that uses them.
    pub fn demo(id: &AccountId) -> Result<Self, String> {
        if id.as_str() != DEMO_ACCOUNT {
            return Err(format!(
                "the demo secrets are public, so only the account {DEMO_ACCOUNT:?} may use them"
            ));
        }
        Ok(Self {
            calcom_webhook_secret: Secret::new(DEMO_CALCOM_SECRET.to_owned()),
            calendly_signing_key: Secret::new(DEMO_CALENDLY_KEY.to_owned()),
            api_key: Secret::new(DEMO_API_KEY.to_owned()),
        })
    }
}

impl Account {
    /// A new account with freshly generated secrets.
    pub fn create(new: NewAccount, now: DateTime<Utc>) -> (Account, IssuedSecrets) {
        let secrets = IssuedSecrets::generate();
        let account = Account::with_secrets(new, &secrets, now);
        (account, secrets)
    }

    /// A new account holding `secrets`.
    pub fn with_secrets(new: NewAccount, secrets: &IssuedSecrets, now: DateTime<Utc>) -> Account {
        Account {
            name: new.name.unwrap_or_else(|| new.id.to_string()),
            id: new.id,
            time_zone: new.time_zone,
            phone_region: new.phone_region,
            auto_create_leads: new.auto_create_leads,
            cors_origins: Vec::new(),
            calcom: CalcomSettings {
                webhook_secret: StoredSecret::Plain(secrets.calcom_webhook_secret.clone()),
                api_key: None,
                event_type_ids: Vec::new(),
            },
            calendly: CalendlySettings {
                signing_key: StoredSecret::Plain(secrets.calendly_signing_key.clone()),
                token: None,
                organization: None,
            },
            api_key_hash: ApiKeyHash::of(secrets.api_key.expose()),
            labels: StatusLabels::default(),
            google_sheet: None,
            links: LinkSettings::default(),
            // A new account has no counters yet: they start in the current layout.
            counters_layout: COUNTERS_LAYOUT,
            created_at: now,
            updated_at: now,
            revision: 0,
        }
    }

    /// Replaces one secret with a fresh one and returns it (to show once).
    pub fn rotate(&mut self, kind: SecretKind, now: DateTime<Utc>) -> Secret {
        let secret = match kind {
            SecretKind::Calcom => generate_secret(CALCOM_SECRET_PREFIX),
            SecretKind::Calendly => generate_secret(CALENDLY_KEY_PREFIX),
            SecretKind::Api => generate_secret(API_KEY_PREFIX),
        };
        match kind {
            SecretKind::Calcom => self.calcom.webhook_secret = StoredSecret::Plain(secret.clone()),
            SecretKind::Calendly => {
                self.calendly.signing_key = StoredSecret::Plain(secret.clone());
            }
            SecretKind::Api => self.api_key_hash = ApiKeyHash::of(secret.expose()),
        }
        self.updated_at = now;
        secret
    }

    /// Has credentials the hourly sync can use.
    pub fn has_provider_api_credentials(&self) -> bool {
        self.calcom.api_key.is_some() || self.calendly.token.is_some()
    }

    /// The sheet and the credentials to reach it, once both are set.
    pub fn connected_sheet(&self) -> Option<(&SheetSettings, &GoogleCredentials)> {
        let sheet = self.google_sheet.as_ref()?;
        Some((sheet, sheet.credentials.as_ref()?))
    }

    /// Has something for the hourly sync to do: a provider to read or a sheet to keep.
    pub fn needs_sync(&self) -> bool {
        self.has_provider_api_credentials() || self.connected_sheet().is_some()
    }
}

fn yes() -> bool {
    true
}

/// Time zones are stored by their IANA name.
mod tz_name {
    use chrono_tz::Tz;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(tz: &Tz, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(tz.name())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Tz, D::Error> {
        let name = String::deserialize(d)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::Keyring;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap()
    }

    #[test]
    fn a_new_account_gets_defaults_and_fresh_secrets() {
        let id = AccountId::parse("acme").unwrap();
        let (account, secrets) = Account::create(NewAccount::new(id), now());
        assert_eq!(account.name, "acme");
        assert_eq!(account.time_zone, chrono_tz::Europe::London);
        assert_eq!(account.phone_region, Region::GB);
        assert!(account.auto_create_leads);
        assert_eq!(
            account.calcom.webhook_secret,
            StoredSecret::Plain(secrets.calcom_webhook_secret.clone())
        );
        assert!(
            account
                .api_key_hash
                .matches(&ApiKeyHash::of(secrets.api_key.expose()))
        );
        assert!(!account.has_provider_api_credentials());
        assert!(
            account.has_plain_secrets(),
            "sealed by the store when written"
        );
    }

    #[test]
    fn the_stored_document_never_holds_the_api_key_nor_plain_secrets() {
        let id = AccountId::parse("acme").unwrap();
        let (mut account, secrets) = Account::create(NewAccount::new(id), now());
        assert!(
            serde_json::to_string(&account).is_err(),
            "unsealed secrets are refused"
        );
        let ring = Keyring::new(crate::secrets::DataKey::generate().unwrap()).unwrap();
        account.seal_with(&ring).unwrap();
        assert!(!account.has_plain_secrets());
        let doc = serde_json::to_string(&account).unwrap();
        assert!(!doc.contains(secrets.calcom_webhook_secret.expose()));
        assert!(!doc.contains(secrets.calendly_signing_key.expose()));
        assert!(!doc.contains(secrets.api_key.expose()));
        let back: Account = serde_json::from_str(&doc).unwrap();
        assert_eq!(back.time_zone, account.time_zone);
    }

    #[test]
    fn rotation_replaces_exactly_one_secret() {
        let id = AccountId::parse("acme").unwrap();
        let (mut account, secrets) = Account::create(NewAccount::new(id), now());
        let fresh = account.rotate(SecretKind::Api, now());
        assert!(
            !account
                .api_key_hash
                .matches(&ApiKeyHash::of(secrets.api_key.expose()))
        );
        assert!(
            account
                .api_key_hash
                .matches(&ApiKeyHash::of(fresh.expose()))
        );
        assert_eq!(
            account.calcom.webhook_secret,
            StoredSecret::Plain(secrets.calcom_webhook_secret)
        );
    }

    #[test]
    fn only_the_demo_account_may_hold_the_published_demo_secrets() {
        let refused = IssuedSecrets::demo(&AccountId::parse("acme").unwrap());
        assert!(refused.unwrap_err().contains("\"demo\""));
        let demo = AccountId::parse(DEMO_ACCOUNT).unwrap();
        let secrets = IssuedSecrets::demo(&demo).unwrap();
        let account = Account::with_secrets(NewAccount::new(demo), &secrets, now());
        assert_eq!(
            account.calcom.webhook_secret,
            StoredSecret::plain(Secret::new(DEMO_CALCOM_SECRET))
        );
        assert_eq!(
            account.calendly.signing_key,
            StoredSecret::plain(Secret::new(DEMO_CALENDLY_KEY))
        );
        assert!(account.api_key_hash.matches(&ApiKeyHash::of(DEMO_API_KEY)));
    }
}
