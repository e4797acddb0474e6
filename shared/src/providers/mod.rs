//! Provider wire formats: verifying webhook signatures and turning payloads into
//! [`BookingEvent`]s. Each provider's wire types are private to its module and become domain
//! events in exactly one place.

pub mod calcom;
pub mod calendly;
mod json;
mod signature;

pub use json::PayloadError;
pub use signature::SignatureError;

use crate::domain::BookingEvent;

/// What a webhook body turned out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Parsed {
    /// A booking event to apply.
    Event(Box<BookingEvent>),
    /// Cal.com's "Ping test": answer 200, store nothing.
    Ping,
    /// A notification the product does not track (or not about a booking); answered 200 so the
    /// provider does not retry.
    Ignored { trigger: String },
}

impl Parsed {
    /// The provider's trigger name, for the delivery log.
    pub fn trigger(&self) -> &str {
        match self {
            Parsed::Event(event) => &event.trigger,
            Parsed::Ping => "PING",
            Parsed::Ignored { trigger } => trigger,
        }
    }
}
