//! `accounts update`'s Google Sheet settings, checked before anything is saved, and how
//! `accounts show` sums them up.

use anyhow::{Context, anyhow, bail};
use shared::accounts::{
    Account, DEFAULT_SHEET_RANGE, GoogleCredentials, SheetColumns, SheetRange, SheetSettings,
};

use crate::cli::AccountSheetArgs;

pub(super) fn sheet_summary(account: &Account) -> String {
    let Some(sheet) = &account.google_sheet else {
        return "not set".into();
    };
    let columns = sheet
        .columns
        .all()
        .iter()
        .map(|(name, column)| format!("{name}={column}"))
        .collect::<Vec<_>>()
        .join(",");
    let shared_with = sheet.credentials.as_ref().map_or_else(
        || "no service account yet: set --google-credentials".to_owned(),
        |c| format!("shared with {}", c.client_email),
    );
    let actions = if sheet.actions {
        "status edits act on bookings"
    } else {
        "status edits are only imported"
    };
    format!(
        "{} {} ({columns}); {shared_with}; {actions}",
        sheet.spreadsheet_id,
        sheet.range.as_str()
    )
}

/// What `accounts update` changes about the account's sheet, checked before anything is saved.
pub(super) struct SheetChange {
    disconnect: bool,
    spreadsheet: Option<String>,
    range: Option<SheetRange>,
    columns: Option<String>,
    credentials: Option<GoogleCredentials>,
    actions: Option<bool>,
}

impl SheetChange {
    pub(super) fn from_args(args: &AccountSheetArgs) -> anyhow::Result<Self> {
        let spreadsheet = args
            .google_sheet
            .as_deref()
            .map(spreadsheet_id)
            .transpose()?;
        let range = args
            .google_sheet_range
            .as_deref()
            .map(|r| SheetRange::parse(r).map_err(|e| anyhow!("--google-sheet-range: {e}")))
            .transpose()?;
        if let Some(spec) = &args.sheet_columns {
            SheetColumns::default()
                .with_spec(spec)
                .map_err(|e| anyhow!("--sheet-columns: {e}"))?;
        }
        let credentials = args
            .google_credentials
            .as_deref()
            .map(|path| {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                let credentials = GoogleCredentials::from_key_file(&text)
                    .map_err(|e| anyhow!("{}: {e}", path.display()))?;
                shared::sheets::sign_assertion(&credentials, 0)
                    .map_err(|e| anyhow!("{}: {e}", path.display()))?;
                anyhow::Ok(credentials)
            })
            .transpose()?;
        Ok(Self {
            disconnect: args.no_google_sheet,
            spreadsheet,
            range,
            columns: args.sheet_columns.clone(),
            credentials,
            actions: args.sheet_actions,
        })
    }

    pub(super) fn apply(&self, account: &mut Account) -> anyhow::Result<()> {
        if self.disconnect {
            account.google_sheet = None;
            return Ok(());
        }
        if let Some(id) = &self.spreadsheet {
            match &mut account.google_sheet {
                Some(sheet) => sheet.spreadsheet_id.clone_from(id),
                None => {
                    account.google_sheet = Some(SheetSettings {
                        spreadsheet_id: id.clone(),
                        range: SheetRange::parse(DEFAULT_SHEET_RANGE).map_err(|e| anyhow!(e))?,
                        columns: SheetColumns::default(),
                        credentials: None,
                        actions: false,
                    });
                }
            }
        }
        // Turning sheet actions off needs no sheet; turning them on does.
        let touches = self.range.is_some()
            || self.columns.is_some()
            || self.credentials.is_some()
            || self.actions == Some(true);
        let Some(sheet) = &mut account.google_sheet else {
            if touches {
                bail!(
                    "the account has no Google Sheet: set one with --google-sheet SPREADSHEET_ID"
                );
            }
            return Ok(());
        };
        if let Some(range) = &self.range {
            sheet.range = range.clone();
        }
        if let Some(spec) = &self.columns {
            sheet.columns = sheet
                .columns
                .clone()
                .with_spec(spec)
                .map_err(|e| anyhow!("--sheet-columns: {e}"))?;
        }
        if let Some(credentials) = &self.credentials {
            sheet.credentials = Some(credentials.clone());
        }
        if let Some(on) = self.actions {
            sheet.actions = on;
        }
        sheet
            .columns
            .check(&sheet.range)
            .map_err(|e| anyhow!("the sheet's columns: {e}"))
    }
}

/// A spreadsheet id, or the id inside a spreadsheet's URL
/// (`https://docs.google.com/spreadsheets/d/<id>/edit`).
fn spreadsheet_id(raw: &str) -> anyhow::Result<String> {
    let raw = raw.trim();
    let id = raw.split_once("/spreadsheets/d/").map_or(raw, |(_, rest)| {
        rest.split(['/', '?', '#']).next().unwrap_or_default()
    });
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        bail!("--google-sheet {raw:?}: expected a spreadsheet id or its docs.google.com URL");
    }
    Ok(id.to_owned())
}
