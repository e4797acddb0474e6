//! Matching a booking's attendee to a lead: the tracked id a personal link carried, then phone,
//! then email.
//!
//! Pure: the store looks up the leads holding the attendee's phone and email (one read each),
//! and [`match_lead`] decides; a tracked id that names a lead of the account wins before that.

use serde::{Deserialize, Serialize};

use crate::domain::{Attendee, LeadId};

/// Which contact detail matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatchedBy {
    /// The booking link carried the lead's id (SPEC §7).
    TrackedId,
    Phone,
    /// The phone matched, and the email pointed at the same lead.
    PhoneAndEmail,
    Email,
}

/// Which detail several leads share.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SharedDetail {
    Phone,
    Email,
}

/// Why no lead was chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoMatchReason {
    /// The attendee gave neither a valid phone nor a real email.
    NoContactDetails,
    /// No lead has the attendee's phone or email.
    NotFound,
}

/// The decision, with its reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeadMatch {
    Matched {
        lead: LeadId,
        by: MatchedBy,
    },
    /// Several leads share the detail that decided, and nothing tells them apart.
    Ambiguous {
        shared: SharedDetail,
        candidates: Vec<LeadId>,
    },
    NoMatch(NoMatchReason),
}

impl LeadMatch {
    pub fn lead(&self) -> Option<&LeadId> {
        match self {
            LeadMatch::Matched { lead, .. } => Some(lead),
            _ => None,
        }
    }

    /// A short phrase for logs and timelines; never contains the phone or email.
    pub fn reason(&self) -> String {
        match self {
            LeadMatch::Matched { by, .. } => match by {
                MatchedBy::TrackedId => {
                    "matched by the lead id the booking link carried".to_owned()
                }
                MatchedBy::Phone => "matched by phone".to_owned(),
                MatchedBy::PhoneAndEmail => "matched by phone and email".to_owned(),
                MatchedBy::Email => "matched by email".to_owned(),
            },
            LeadMatch::Ambiguous { shared, candidates } => {
                let detail = match shared {
                    SharedDetail::Phone => "phone",
                    SharedDetail::Email => "email",
                };
                format!("{} leads share this {detail}", candidates.len())
            }
            LeadMatch::NoMatch(NoMatchReason::NoContactDetails) => {
                "attendee gave no valid phone or email".to_owned()
            }
            LeadMatch::NoMatch(NoMatchReason::NotFound) => {
                "no lead has this phone or email".to_owned()
            }
        }
    }
}

/// How an appointment's lead was chosen, as stored and shown (`matchedBy`, SPEC §8).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchMethod {
    TrackedId,
    Phone,
    Email,
    /// Taken from the booking it replaced.
    Inherited,
    /// Created from the attendee: no lead matched.
    Created,
    /// Chosen by hand.
    Manual,
    None,
}

/// How an appointment's lead was chosen, with the reason in words (never a phone or email).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeadChoice {
    #[serde(rename = "matchedBy")]
    pub method: MatchMethod,
    pub detail: String,
}

impl LeadChoice {
    pub fn inherited() -> Self {
        Self {
            method: MatchMethod::Inherited,
            detail: "taken from the booking it replaced".to_owned(),
        }
    }

    pub fn manual() -> Self {
        Self {
            method: MatchMethod::Manual,
            detail: "chosen by hand".to_owned(),
        }
    }

    pub fn created() -> Self {
        Self {
            method: MatchMethod::Created,
            detail: "no lead has this phone or email: a lead was created from the attendee"
                .to_owned(),
        }
    }

    /// What a matching decision says; a decision without a lead is `none`.
    pub fn of(decision: &LeadMatch) -> Self {
        let method = match decision {
            LeadMatch::Matched { by, .. } => match by {
                MatchedBy::TrackedId => MatchMethod::TrackedId,
                MatchedBy::Phone | MatchedBy::PhoneAndEmail => MatchMethod::Phone,
                MatchedBy::Email => MatchMethod::Email,
            },
            _ => MatchMethod::None,
        };
        Self {
            method,
            detail: decision.reason(),
        }
    }
}

/// Chooses the lead for `attendee`. `by_phone` and `by_email` are the leads holding the
/// attendee's phone and email (ignored when the attendee has no such detail).
///
/// A phone match beats an email match, even when the two point at different leads: a phone
/// number is personal, an email inbox is often shared. When several leads share the phone, the
/// email decides between them if it can.
pub fn match_lead(attendee: &Attendee, by_phone: &[LeadId], by_email: &[LeadId]) -> LeadMatch {
    let phone_hits = if attendee.phone.is_some() {
        distinct(by_phone)
    } else {
        Vec::new()
    };
    let email_hits = if attendee.email.is_some() {
        distinct(by_email)
    } else {
        Vec::new()
    };

    match phone_hits.as_slice() {
        [lead] => {
            let by = if email_hits.contains(lead) {
                MatchedBy::PhoneAndEmail
            } else {
                MatchedBy::Phone
            };
            return LeadMatch::Matched {
                lead: lead.clone(),
                by,
            };
        }
        [] => {}
        several => {
            let both: Vec<_> = several.iter().filter(|l| email_hits.contains(l)).collect();
            return match both.as_slice() {
                [lead] => LeadMatch::Matched {
                    lead: (*lead).clone(),
                    by: MatchedBy::PhoneAndEmail,
                },
                _ => LeadMatch::Ambiguous {
                    shared: SharedDetail::Phone,
                    candidates: phone_hits,
                },
            };
        }
    }

    match email_hits.as_slice() {
        [lead] => LeadMatch::Matched {
            lead: lead.clone(),
            by: MatchedBy::Email,
        },
        [] if attendee.phone.is_none() && attendee.email.is_none() => {
            LeadMatch::NoMatch(NoMatchReason::NoContactDetails)
        }
        [] => LeadMatch::NoMatch(NoMatchReason::NotFound),
        _ => LeadMatch::Ambiguous {
            shared: SharedDetail::Email,
            candidates: email_hits,
        },
    }
}

fn distinct(ids: &[LeadId]) -> Vec<LeadId> {
    let mut out: Vec<LeadId> = ids.to_vec();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Email, Phone, Region};

    fn lead(id: &str) -> LeadId {
        LeadId::parse(id).unwrap()
    }

    fn attendee(phone: Option<&str>, email: Option<&str>) -> Attendee {
        Attendee {
            name: Some("Priya Nair".into()),
            phone: phone.map(|p| Phone::parse(p, Region::GB).unwrap()),
            email: email.and_then(Email::parse_optional),
        }
    }

    #[test]
    fn phone_beats_email() {
        let a = attendee(Some("07742201349"), Some("priya@example.com"));
        let m = match_lead(&a, &[lead("ld_phone")], &[lead("ld_email")]);
        assert_eq!(
            m,
            LeadMatch::Matched {
                lead: lead("ld_phone"),
                by: MatchedBy::Phone
            }
        );
    }

    #[test]
    fn phone_and_email_agreeing_is_reported() {
        let a = attendee(Some("07742201349"), Some("priya@example.com"));
        let m = match_lead(&a, &[lead("ld_1")], &[lead("ld_1")]);
        assert_eq!(
            m,
            LeadMatch::Matched {
                lead: lead("ld_1"),
                by: MatchedBy::PhoneAndEmail
            }
        );
    }

    #[test]
    fn email_matches_when_no_lead_has_the_phone() {
        let a = attendee(Some("07742201349"), Some("priya@example.com"));
        let m = match_lead(&a, &[], &[lead("ld_email")]);
        assert_eq!(m.lead(), Some(&lead("ld_email")));
        assert_eq!(m.reason(), "matched by email");
    }

    #[test]
    fn email_case_and_whitespace_do_not_matter() {
        // The store is keyed by the normalised email; both spellings normalise the same.
        let stored = Email::parse("priya.nair@example.com").unwrap();
        let typed = Email::parse("  Priya.Nair@EXAMPLE.com ").unwrap();
        assert_eq!(stored, typed);
        let a = Attendee {
            email: Some(typed),
            ..Attendee::default()
        };
        assert!(match_lead(&a, &[], &[lead("ld_1")]).lead().is_some());
    }

    #[test]
    fn placeholder_email_never_matches() {
        let a = attendee(None, Some("447700900987@sms.cal.com"));
        assert_eq!(a.email, None);
        // Even if a store returned hits for it, an attendee without an email cannot match by one.
        let m = match_lead(&a, &[], &[lead("ld_1")]);
        assert_eq!(m, LeadMatch::NoMatch(NoMatchReason::NoContactDetails));
    }

    #[test]
    fn no_match_is_explicit() {
        let a = attendee(Some("07742201349"), None);
        assert_eq!(
            match_lead(&a, &[], &[]),
            LeadMatch::NoMatch(NoMatchReason::NotFound)
        );
    }

    #[test]
    fn shared_phone_is_decided_by_email_or_reported_ambiguous() {
        let a = attendee(Some("07742201349"), Some("priya@example.com"));
        let family = [lead("ld_a"), lead("ld_b")];
        assert_eq!(
            match_lead(&a, &family, &[lead("ld_b")]),
            LeadMatch::Matched {
                lead: lead("ld_b"),
                by: MatchedBy::PhoneAndEmail
            }
        );
        let m = match_lead(&a, &family, &[]);
        assert_eq!(
            m,
            LeadMatch::Ambiguous {
                shared: SharedDetail::Phone,
                candidates: family.to_vec()
            }
        );
        assert_eq!(m.lead(), None);
        assert_eq!(m.reason(), "2 leads share this phone");
    }

    #[test]
    fn shared_email_is_ambiguous() {
        let a = attendee(None, Some("office@example.com"));
        let m = match_lead(&a, &[], &[lead("ld_b"), lead("ld_a"), lead("ld_a")]);
        assert_eq!(
            m,
            LeadMatch::Ambiguous {
                shared: SharedDetail::Email,
                candidates: vec![lead("ld_a"), lead("ld_b")]
            }
        );
    }
}
