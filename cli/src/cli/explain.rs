//! The command line of `explain` (SPEC §8): one question about one account.

use clap::Args;

/// "Why didn't this booking count?": exactly one of the four questions.
#[derive(Debug, Args)]
#[command(group(
    clap::ArgGroup::new("question")
        .required(true)
        .args(["booking", "email", "phone", "appointment"])
))]
pub struct ExplainArgs {
    pub account: String,
    /// The provider's booking id: Cal.com's uid, or Calendly's invitee URI (or its UUID, or its
    /// event's UUID).
    #[arg(long)]
    pub booking: Option<String>,
    /// The attendee's email.
    #[arg(long)]
    pub email: Option<String>,
    /// The attendee's phone (numbers without + are read in the account's region).
    #[arg(long)]
    pub phone: Option<String>,
    /// booking-tracker's appointment id (apt_...).
    #[arg(long)]
    pub appointment: Option<String>,
    /// Also say whether it counts inside this dashboard range: 7d, 30d, 90d or all.
    #[arg(long, conflicts_with_all = ["from", "to"])]
    pub range: Option<String>,
    /// First day of a range (YYYY-MM-DD, the account's time zone), with --to.
    #[arg(long, requires = "to")]
    pub from: Option<String>,
    /// Last day, included.
    #[arg(long, requires = "from")]
    pub to: Option<String>,
}
