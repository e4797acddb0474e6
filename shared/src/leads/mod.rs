//! Leads and their booking timelines.

mod distinct;
mod lead;
mod link;
mod sheet_action;
mod timeline;

pub use distinct::{GAP_CAP, distinct_leads, lead_change, lead_contribution};
pub use lead::{Lead, LeadBooking, LeadSource, SheetCells, format_booking_time};
pub use link::{BookingPage, BookingPageError, detect_provider, web_url};
pub use sheet_action::{SheetAction, SheetActionResult};
pub use timeline::TimelineEntry;
