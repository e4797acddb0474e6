//! Onboarding: registering an account's webhooks at the providers through their APIs, so a
//! team never copies a URL or a secret into a provider's settings by hand. Each provider has a
//! pure decision (what to create, repair or delete, given what is registered) and a driver that
//! makes the calls with the sync's HTTP client and pacing.
//!
//! Cal.com lives here; Calendly's subscription is still `sync::subscribe` (it shares the
//! Calendly reader's paging helpers).

mod calcom;
mod calcom_plan;

pub use calcom::{CalcomSubscribed, CalcomSubscription, calcom_webhooks, subscribe_calcom};
pub use calcom_plan::{CalcomOutcome, CalcomPlan, CalcomStep, plan_calcom, same_url};
