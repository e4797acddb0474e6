//! `booking-tracker appointments add|list` (`cancel|no-show` are in `act`).

use std::sync::Arc;

use anyhow::anyhow;
use chrono::{Duration, Utc};
use serde::Serialize;
use shared::accounts::Account;
use shared::booking::Appointment;
use shared::domain::{
    Attendee, Attribution, BookingEvent, BookingKey, Email, EventKind, LeadField, LeadId, Phone,
    Provider, Tracking,
};
use shared::ingest::apply_event;
use shared::matching::MatchMethod;
use shared::store::Store;

use super::{load_account, load_lead, local, or_dash};
use crate::cli::{AddAppointmentArgs, AppointmentsCommand};
use crate::output;

pub async fn run(
    store: Arc<dyn Store>,
    command: AppointmentsCommand,
    json: bool,
) -> anyhow::Result<()> {
    match command {
        AppointmentsCommand::Add(args) => add(&*store, args, json).await,
        AppointmentsCommand::List { account, upcoming } => {
            let account = load_account(&*store, &account).await?;
            list(&*store, &account, upcoming, json).await
        }
        AppointmentsCommand::Cancel(args) => super::act::cancel(store, &args, json).await,
        AppointmentsCommand::NoShow(args) => super::act::no_show(store, &args, json).await,
    }
}

/// A manual booking goes through the same use-case as a webhook: matched to a lead, counted.
async fn add(store: &dyn Store, args: AddAppointmentArgs, json: bool) -> anyhow::Result<()> {
    let account = load_account(store, &args.account).await?;
    let phone = args
        .phone
        .as_deref()
        .map(|raw| {
            Phone::parse(raw, account.phone_region).map_err(|e| anyhow!("--phone {raw:?}: {e}"))
        })
        .transpose()?;
    let email = args
        .email
        .as_deref()
        .map(|raw| Email::parse(raw).map_err(|e| anyhow!("--email {raw:?}: {e}")))
        .transpose()?;
    let lead = match args.lead.as_deref() {
        Some(raw) => Some(load_lead(store, &account, raw).await?.id),
        None => None,
    };
    let tracking = Tracking {
        attribution: Attribution::new(args.campaign.as_deref(), args.source.as_deref()),
        ..Tracking::default()
    }
    .with_lead_ref(LeadField::BtLead, lead.as_ref().map(LeadId::as_str));
    let now = Utc::now();
    let key = BookingKey::parse(&format!("manual-{}", ulid::Ulid::new()))?;
    let event = BookingEvent {
        provider: Provider::Manual,
        kind: EventKind::Booked,
        key,
        predecessor: None,
        successor: None,
        start: Some(args.at),
        end: Some(args.at + Duration::minutes(i64::from(args.minutes))),
        attendee: Attendee {
            name: Some(args.name.trim().to_owned()).filter(|n| !n.is_empty()),
            email,
            phone,
        },
        event_type: args.event_type,
        occurred_at: now,
        booked_at: Some(now),
        trigger: "manual".into(),
        tracking,
    };
    let applied = apply_event(store, &account, &event, None, now).await?;
    if json {
        output::json(&serde_json::json!({
            "appointmentId": applied.appointment_id(),
            "leadId": applied.lead_id(),
            "outcome": applied.outcome.as_str(),
        }));
    } else {
        output::line(format!(
            "Appointment {} at {} ({}), lead {}",
            applied.appointment_id(),
            local(args.at, account.time_zone),
            applied.outcome.as_str(),
            or_dash(applied.lead_id()),
        ));
    }
    Ok(())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AppointmentView<'a> {
    appointment_id: &'a str,
    provider: Provider,
    booking_key: &'a str,
    status: &'static str,
    scheduled_at: Option<chrono::DateTime<Utc>>,
    ends_at: Option<chrono::DateTime<Utc>>,
    booked_at: chrono::DateTime<Utc>,
    attendee_name: Option<String>,
    event_type: Option<&'a str>,
    lead_id: Option<&'a str>,
    /// How the lead was chosen: `tracked_id`, `phone`, `email`, `inherited`, `created`, `none`.
    matched_by: MatchMethod,
    campaign: Option<&'a str>,
    source: Option<&'a str>,
    rescheduled_from: Option<&'a str>,
    rescheduled_to: Option<&'a str>,
    last_event: &'a str,
    last_event_at: chrono::DateTime<Utc>,
}

fn view(a: &Appointment) -> AppointmentView<'_> {
    AppointmentView {
        appointment_id: a.id().as_str(),
        provider: a.provider(),
        booking_key: a.key().as_str(),
        status: a.status().as_str(),
        scheduled_at: a.start(),
        ends_at: a.end(),
        booked_at: a.booked_at(),
        attendee_name: a.attendee().name,
        event_type: a.event_type(),
        lead_id: a.lead_id().map(|l| l.as_str()),
        matched_by: a.matched_by(),
        campaign: a.attribution().campaign.as_deref(),
        source: a.attribution().source.as_deref(),
        rescheduled_from: a.predecessor().map(|k| k.as_str()),
        rescheduled_to: a.successor().map(|k| k.as_str()),
        last_event: a.last_trigger(),
        last_event_at: a.last_event_at(),
    }
}

async fn list(
    store: &dyn Store,
    account: &Account,
    upcoming: bool,
    json: bool,
) -> anyhow::Result<()> {
    let appointments = if upcoming {
        store.upcoming(&account.id, Utc::now(), 100).await?
    } else {
        let mut all = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = store
                .list_appointments(&account.id, after.as_deref(), 500)
                .await?;
            all.extend(page.items);
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        all.sort_by_key(|a| std::cmp::Reverse(a.booked_at()));
        all
    };
    if json {
        output::json(&appointments.iter().map(view).collect::<Vec<_>>());
        return Ok(());
    }
    let rows: Vec<Vec<String>> = appointments
        .iter()
        .map(|a| {
            vec![
                a.id().to_string(),
                a.provider().to_string(),
                a.status().to_string(),
                or_dash(a.start().map(|t| local(t, account.time_zone))),
                or_dash(a.attendee().name),
                or_dash(a.event_type()),
                or_dash(a.lead_id()),
                or_dash(a.attribution().campaign.as_deref()),
            ]
        })
        .collect();
    output::table(
        &[
            "appointment",
            "provider",
            "status",
            "starts",
            "attendee",
            "event type",
            "lead",
            "campaign",
        ],
        &rows,
    );
    Ok(())
}
