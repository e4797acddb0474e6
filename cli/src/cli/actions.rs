//! The command line of `appointments cancel|no-show` (SPEC §10): act on one booking at its
//! provider, then here.

use clap::Args;

#[derive(Debug, Args)]
pub struct CancelArgs {
    pub account: String,
    /// The appointment (apt_...; `appointments list` and `explain` show it).
    pub appointment: String,
    /// Why, passed on to the provider (which may show it to the attendee).
    #[arg(long)]
    pub reason: Option<String>,
    /// Check everything here and say what would be sent; call nothing, change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct NoShowArgs {
    pub account: String,
    /// The appointment (apt_...; `appointments list` and `explain` show it).
    pub appointment: String,
    /// Take the no-show mark back.
    #[arg(long)]
    pub undo: bool,
    /// Check everything here and say what would be sent; call nothing, change nothing.
    #[arg(long)]
    pub dry_run: bool,
}
