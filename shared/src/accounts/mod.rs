//! Accounts: settings, provider credentials, generated secrets and API keys.

mod account;
mod account_secrets;
mod keys;
mod links;
mod sheet;
mod sheet_columns;

pub use account::{
    Account, COUNTERS_LAYOUT, CalcomSettings, CalendlySettings, IssuedSecrets, NewAccount,
    SecretKind, StatusLabels,
};
pub use keys::{
    API_KEY_PREFIX, ApiKeyHash, CALCOM_SECRET_PREFIX, CALENDLY_KEY_PREFIX, DEMO_ACCOUNT,
    DEMO_API_KEY, DEMO_CALCOM_SECRET, DEMO_CALENDLY_KEY, generate_secret,
};
pub use links::LinkSettings;
pub use sheet::{Column, DEFAULT_SHEET_RANGE, GoogleCredentials, SheetRange, SheetSettings};
pub use sheet_columns::SheetColumns;
