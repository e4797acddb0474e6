//! The account's Google Sheet in `accounts update`: where it is, how it is laid out, who may
//! write it, and whether the team's status edits act on bookings (SPEC §10).

use std::path::PathBuf;

use clap::Args;

#[derive(Debug, Args)]
pub struct AccountSheetArgs {
    /// The team's Google Sheet of leads: its spreadsheet id, or its URL.
    #[arg(
        long,
        value_name = "SPREADSHEET_ID",
        conflicts_with = "no_google_sheet"
    )]
    pub google_sheet: Option<String>,
    /// The rows of leads in A1 notation; the first row holds a lead, not headers. A new sheet
    /// starts with Leads!A2:X.
    #[arg(long, value_name = "RANGE")]
    pub google_sheet_range: Option<String>,
    /// The key file (JSON) of the Google service account the sheet is shared with. Stored as a
    /// secret: never shown again.
    #[arg(long, value_name = "FILE")]
    pub google_credentials: Option<PathBuf>,
    /// Which column holds what, as name=COLUMN pairs; unnamed ones keep their column. A new
    /// sheet starts with status=A,first_name=B,last_name=C,phone=D,email=E,booked=X; campaign,
    /// source (read) and link (written) are off until named; one named with no letters (link=)
    /// is turned off again.
    #[arg(long, value_name = "SPEC")]
    pub sheet_columns: Option<String>,
    /// Act on the team's status edits (default off): a lead's status cell set to the cancelled
    /// or no-show label while it has a live booking cancels that booking (or marks it a
    /// no-show) at Cal.com or Calendly on the next sync, once.
    #[arg(long, value_name = "on|off", value_parser = clap::builder::BoolishValueParser::new())]
    pub sheet_actions: Option<bool>,
    /// Stop keeping a Google Sheet (the sheet itself is left as it is).
    #[arg(long)]
    pub no_google_sheet: bool,
}
