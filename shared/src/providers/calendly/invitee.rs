//! The parts of an invitee that webhooks and the API read the same way.

use super::wire::{Invitee, Location};

use crate::domain::{Attendee, Attribution, BookingKey, Email, LeadField, Phone, Region, Tracking};
use crate::providers::json::{self, PayloadError};

/// The invitee's links to the bookings it replaced and was replaced by.
pub(super) fn links(
    invitee: &Invitee,
    at: &str,
) -> Result<(Option<BookingKey>, Option<BookingKey>), PayloadError> {
    Ok((
        json::optional_key(invitee.old_invitee.as_deref(), &format!("{at}old_invitee"))?,
        json::optional_key(invitee.new_invitee.as_deref(), &format!("{at}new_invitee"))?,
    ))
}

/// What the scheduling link carried: every field that may name the lead (the account picks
/// one), the campaign and the source.
pub(super) fn tracking(invitee: &Invitee) -> Tracking {
    let Some(t) = &invitee.tracking else {
        return Tracking::default();
    };
    Tracking {
        attribution: Attribution::new(t.utm_campaign.as_deref(), t.utm_source.as_deref()),
        ..Tracking::default()
    }
    .with_lead_ref(LeadField::UtmContent, t.utm_content.as_deref())
    .with_lead_ref(LeadField::UtmTerm, t.utm_term.as_deref())
    .with_lead_ref(LeadField::SalesforceUuid, t.salesforce_uuid.as_deref())
}

/// The number of an outbound-call location: the host calls the invitee on it.
pub(super) fn outbound_phone(location: Option<&Location>) -> Option<&str> {
    location
        .filter(|l| l.kind.as_deref() == Some("outbound_call"))
        .and_then(|l| l.location.as_deref())
}

pub(super) fn attendee(
    invitee: &Invitee,
    outbound_phone: Option<&str>,
    region: Region,
) -> Attendee {
    let name = json::text(invitee.name.as_deref()).or_else(|| {
        let first = invitee.first_name.as_deref().unwrap_or_default().trim();
        let last = invitee.last_name.as_deref().unwrap_or_default().trim();
        json::text(Some(format!("{first} {last}").as_str()))
    });
    let email = invitee.email.as_deref().and_then(Email::parse_optional);
    let phone = phone_candidates(invitee, outbound_phone)
        .into_iter()
        .find_map(|raw| Phone::parse_optional(raw, region));
    Attendee { name, email, phone }
}

/// Where Calendly puts the invitee's phone, in the order PROVIDERS.md §2.4 gives: the SMS
/// reminder number, answers to phone questions, then an outbound-call location.
fn phone_candidates<'a>(invitee: &'a Invitee, outbound_phone: Option<&'a str>) -> Vec<&'a str> {
    let mut out = Vec::with_capacity(4);
    out.extend(invitee.text_reminder_number.as_deref());
    out.extend(invitee.questions_and_answers.iter().filter_map(|qa| {
        let question = qa.question.as_deref().unwrap_or_default().to_lowercase();
        let phoneish = ["phone", "mobile", "cell", "whatsapp"]
            .iter()
            .any(|word| question.contains(word));
        phoneish.then_some(qa.answer.as_deref()).flatten()
    }));
    out.extend(outbound_phone);
    out
}
