//! Domain types. Each one parses: holding a value means it is valid.

mod account_id;
mod email;
mod event;
mod ids;
pub mod phone;
mod provider;
mod secret;
mod status;
mod tracking;

pub use account_id::{AccountId, AccountIdError};
pub use email::{Email, EmailError};
pub use event::{Attendee, BookingEvent, EventKind};
pub use ids::{AppointmentId, BookingKey, BookingKeyError, LeadId};
pub use phone::{Phone, PhoneError, Region, UnknownRegion};
pub use provider::{Provider, UnknownProvider};
pub use secret::Secret;
pub use status::{AppointmentStatus, UnknownStatus};
pub use tracking::{
    Attribution, LeadField, MAX_ATTRIBUTION_CHARS, Tracking, UnknownLeadField, attribution_value,
};
