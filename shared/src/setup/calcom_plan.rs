//! What `webhook calcom-subscribe` must do, decided from the webhooks Cal.com lists: exactly one
//! active webhook posting to our URL with every trigger we follow, carrying the account's secret.
//!
//! Cal.com never gives a webhook's secret back, so a working webhook is trusted to hold it;
//! `replace` recreates it (after `accounts rotate --secret calcom`). Two webhooks to our URL
//! deliver every booking twice: one is kept, the others deleted. A webhook with a custom payload
//! template sends a body booking-tracker cannot read: it is deleted and a plain one created.

use crate::providers::calcom::webhooks_api::{CalcomWebhook, WEBHOOK_TRIGGERS};

/// What `webhook calcom-subscribe` did (SPEC §8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CalcomOutcome {
    /// No webhook posted to our URL; one was made.
    Created,
    /// An active webhook with every trigger posts to our URL; left alone.
    AlreadyActive,
    /// Ours was inactive or missing triggers: it was switched on with every trigger and the
    /// account's secret (`PATCH`).
    Repaired,
    /// Every webhook posting to our URL was deleted (`replace`, or none usable) and one made.
    Replaced,
}

impl CalcomOutcome {
    pub fn code(self) -> &'static str {
        match self {
            CalcomOutcome::Created => "created",
            CalcomOutcome::AlreadyActive => "already_active",
            CalcomOutcome::Repaired => "repaired",
            CalcomOutcome::Replaced => "replaced",
        }
    }
}

/// The call made after the deletions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CalcomStep {
    /// Nothing: the webhook works.
    Keep { id: String },
    /// `PATCH /v2/webhooks/{id}` `{active: true, triggers, secret}`.
    Patch { id: String, triggers: Vec<String> },
    /// `POST /v2/webhooks`.
    Create,
}

/// What to do, in order: delete these webhooks, then take the step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CalcomPlan {
    pub outcome: CalcomOutcome,
    pub delete: Vec<String>,
    pub step: CalcomStep,
}

/// Whether a webhook's subscriber URL is ours (a trailing slash aside).
pub fn same_url(subscriber_url: &str, ours: &str) -> bool {
    subscriber_url.trim().trim_end_matches('/') == ours.trim().trim_end_matches('/')
}

/// The plan for `url`, given every webhook Cal.com listed.
pub fn plan_calcom(listed: &[CalcomWebhook], url: &str, replace: bool) -> CalcomPlan {
    let ours: Vec<&CalcomWebhook> = listed
        .iter()
        .filter(|w| same_url(&w.subscriber_url, url))
        .collect();
    let all_ids = || ours.iter().map(|w| w.id.clone()).collect::<Vec<_>>();
    if ours.is_empty() {
        return CalcomPlan {
            outcome: CalcomOutcome::Created,
            delete: Vec::new(),
            step: CalcomStep::Create,
        };
    }
    let usable = || ours.iter().copied().filter(|w| !w.custom_payload);
    let keeper = usable()
        .find(|w| w.active && w.covers_our_triggers())
        .or_else(|| usable().find(|w| w.active))
        .or_else(|| usable().next());
    let keeper = match keeper {
        Some(keeper) if !replace => keeper,
        _ => {
            return CalcomPlan {
                outcome: CalcomOutcome::Replaced,
                delete: all_ids(),
                step: CalcomStep::Create,
            };
        }
    };
    let delete = ours
        .iter()
        .filter(|w| w.id != keeper.id)
        .map(|w| w.id.clone())
        .collect();
    if keeper.active && keeper.covers_our_triggers() {
        return CalcomPlan {
            outcome: CalcomOutcome::AlreadyActive,
            delete,
            step: CalcomStep::Keep {
                id: keeper.id.clone(),
            },
        };
    }
    CalcomPlan {
        outcome: CalcomOutcome::Repaired,
        delete,
        step: CalcomStep::Patch {
            id: keeper.id.clone(),
            triggers: with_ours(&keeper.triggers),
        },
    }
}

/// Our triggers, then any other the team added (kept: it may feed something else).
fn with_ours(existing: &[String]) -> Vec<String> {
    let mut triggers: Vec<String> = WEBHOOK_TRIGGERS.iter().map(|t| (*t).to_owned()).collect();
    for extra in existing {
        if !triggers.contains(extra) {
            triggers.push(extra.clone());
        }
    }
    triggers
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://bt.example.com/webhooks/calcom/acme";

    fn hook(id: &str, url: &str, active: bool, triggers: &[&str]) -> CalcomWebhook {
        CalcomWebhook {
            id: id.into(),
            subscriber_url: url.into(),
            active,
            triggers: triggers.iter().map(|t| (*t).to_owned()).collect(),
            custom_payload: false,
        }
    }

    fn working(id: &str) -> CalcomWebhook {
        hook(id, URL, true, &WEBHOOK_TRIGGERS)
    }

    fn ours() -> Vec<String> {
        with_ours(&[])
    }

    #[test]
    fn creates_when_nothing_posts_to_our_url() {
        let other = hook("1", "https://zapier.example/hook", true, &WEBHOOK_TRIGGERS);
        for replace in [false, true] {
            let plan = plan_calcom(std::slice::from_ref(&other), URL, replace);
            assert_eq!(plan.outcome, CalcomOutcome::Created);
            assert_eq!(plan.step, CalcomStep::Create);
            assert!(
                plan.delete.is_empty(),
                "another URL's webhook is never touched"
            );
        }
    }

    #[test]
    fn leaves_a_working_webhook_alone_even_with_a_trailing_slash() {
        let mut slash = working("7");
        slash.subscriber_url = format!("{URL}/");
        let plan = plan_calcom(&[slash], URL, false);
        assert_eq!(plan.outcome, CalcomOutcome::AlreadyActive);
        assert_eq!(plan.step, CalcomStep::Keep { id: "7".into() });
        assert!(plan.delete.is_empty());
    }

    #[test]
    fn repairs_an_inactive_webhook() {
        let plan = plan_calcom(&[hook("7", URL, false, &WEBHOOK_TRIGGERS)], URL, false);
        assert_eq!(plan.outcome, CalcomOutcome::Repaired);
        assert_eq!(
            plan.step,
            CalcomStep::Patch {
                id: "7".into(),
                triggers: ours()
            }
        );
    }

    #[test]
    fn repairs_missing_triggers_and_keeps_the_teams_extra_ones() {
        let plan = plan_calcom(
            &[hook("7", URL, true, &["BOOKING_CREATED", "FORM_SUBMITTED"])],
            URL,
            false,
        );
        assert_eq!(plan.outcome, CalcomOutcome::Repaired);
        let CalcomStep::Patch { id, triggers } = plan.step else {
            panic!("a patch, not {:?}", plan.step);
        };
        assert_eq!(id, "7");
        assert_eq!(triggers.len(), WEBHOOK_TRIGGERS.len() + 1);
        assert_eq!(triggers.last().map(String::as_str), Some("FORM_SUBMITTED"));
    }

    #[test]
    fn keeps_the_working_duplicate_and_deletes_the_others() {
        let listed = [
            hook("1", URL, false, &WEBHOOK_TRIGGERS),
            working("2"),
            hook("3", URL, true, &["BOOKING_CREATED"]),
        ];
        let plan = plan_calcom(&listed, URL, false);
        assert_eq!(plan.outcome, CalcomOutcome::AlreadyActive);
        assert_eq!(plan.step, CalcomStep::Keep { id: "2".into() });
        assert_eq!(plan.delete, ["1", "3"]);
    }

    #[test]
    fn repairs_the_active_duplicate_when_none_works() {
        let listed = [
            hook("1", URL, false, &WEBHOOK_TRIGGERS),
            hook("2", URL, true, &["BOOKING_CREATED"]),
        ];
        let plan = plan_calcom(&listed, URL, false);
        assert_eq!(plan.outcome, CalcomOutcome::Repaired);
        assert!(matches!(plan.step, CalcomStep::Patch { ref id, .. } if id == "2"));
        assert_eq!(plan.delete, ["1"]);
    }

    #[test]
    fn replace_deletes_every_webhook_to_our_url_then_creates() {
        let listed = [
            working("1"),
            hook("2", URL, false, &[]),
            hook("3", "https://zapier.example/hook", true, &[]),
        ];
        let plan = plan_calcom(&listed, URL, true);
        assert_eq!(plan.outcome, CalcomOutcome::Replaced);
        assert_eq!(plan.delete, ["1", "2"]);
        assert_eq!(plan.step, CalcomStep::Create);
    }

    #[test]
    fn a_custom_payload_template_is_replaced_not_kept() {
        let mut templated = working("5");
        templated.custom_payload = true;
        let plan = plan_calcom(&[templated], URL, false);
        assert_eq!(plan.outcome, CalcomOutcome::Replaced);
        assert_eq!(plan.delete, ["5"]);
        assert_eq!(plan.step, CalcomStep::Create);
    }

    #[test]
    fn outcome_codes_are_the_specs() {
        let codes = [
            CalcomOutcome::Created,
            CalcomOutcome::AlreadyActive,
            CalcomOutcome::Repaired,
            CalcomOutcome::Replaced,
        ]
        .map(CalcomOutcome::code);
        assert_eq!(codes, ["created", "already_active", "repaired", "replaced"]);
    }
}
