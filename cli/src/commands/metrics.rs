//! `booking-tracker metrics ID [--range 7d | --from D --to D]` and `booking-tracker recount ID`.

use anyhow::anyhow;
use chrono::Utc;
use shared::booking::Dimension;
use shared::ingest::RecountReport;
use shared::metrics::{Kpis, MetricsReport, RangeQuery, metrics_report_by};
use shared::store::Store;

use super::{load_account, local, or_dash};
use crate::output;

/// What `metrics` was asked for.
pub struct Ask<'a> {
    pub range: Option<&'a str>,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    /// `campaign` or `source`.
    pub by: Option<&'a str>,
}

pub async fn metrics(store: &dyn Store, raw: &str, ask: Ask<'_>, json: bool) -> anyhow::Result<()> {
    let account = load_account(store, raw).await?;
    let query = RangeQuery::parse(ask.range, ask.from, ask.to)
        .map_err(|e| anyhow!("invalid range: {e}"))?;
    let by = ask.by.map(str::parse::<Dimension>).transpose()?;
    let report = metrics_report_by(store, &account, query, by, Utc::now()).await?;
    if json {
        output::json(&report);
    } else {
        print(&report, account.time_zone);
    }
    Ok(())
}

const KPI_HEADERS: [&str; 9] = [
    "booked",
    "cancelled",
    "rescheduled",
    "no-shows",
    "completed",
    "pending",
    "show rate",
    "leads",
    "unmatched",
];

fn kpi_row(k: &Kpis) -> Vec<String> {
    let show_rate = k
        .show_rate
        .map_or_else(|| "-".to_owned(), |rate| format!("{:.1}%", rate * 100.0));
    vec![
        k.appointments_booked.to_string(),
        k.appointments_cancelled.to_string(),
        k.appointments_rescheduled.to_string(),
        k.no_shows.to_string(),
        k.completed.to_string(),
        k.pending.to_string(),
        show_rate,
        k.leads_booked.to_string(),
        k.unmatched_bookings.to_string(),
    ]
}

fn print(report: &MetricsReport, zone: chrono_tz::Tz) {
    let r = &report.range;
    output::line(format!(
        "{} {} to {} ({})",
        report.account_id, r.from, r.to, r.timezone
    ));
    output::table(&KPI_HEADERS, &[kpi_row(&report.kpis)]);
    if let Some(breakdown) = &report.breakdown {
        output::line("");
        let rows: Vec<Vec<String>> = breakdown
            .iter()
            .map(|entry| {
                let mut row = vec![or_dash(entry.key.as_deref())];
                row.extend(kpi_row(&entry.kpis));
                row
            })
            .collect();
        let mut headers = vec!["key"];
        headers.extend(KPI_HEADERS);
        output::table(&headers, &rows);
    }
    output::line("");
    let days: Vec<Vec<String>> = report
        .series
        .iter()
        .map(|d| {
            vec![
                d.date.to_string(),
                d.booked.to_string(),
                d.cancelled.to_string(),
                d.rescheduled.to_string(),
                d.no_shows.to_string(),
                d.completed.to_string(),
            ]
        })
        .collect();
    output::table(
        &[
            "date",
            "booked",
            "cancelled",
            "rescheduled",
            "no-shows",
            "completed",
        ],
        &days,
    );
    if !report.upcoming.is_empty() {
        output::line("");
        let calls: Vec<Vec<String>> = report
            .upcoming
            .iter()
            .map(|u| {
                vec![
                    or_dash(u.scheduled_at.map(|t| local(t, zone))),
                    u.provider.to_string(),
                    or_dash(u.attendee_name.as_deref()),
                    or_dash(u.event_type.as_deref()),
                    or_dash(u.lead_id.as_deref()),
                ]
            })
            .collect();
        output::table(
            &["upcoming", "provider", "attendee", "event type", "lead"],
            &calls,
        );
    }
    if let Some(sync) = &report.last_sync {
        output::line(format!(
            "last sync: {} ({})",
            local(sync.at, zone),
            if sync.ok { "ok" } else { "with errors" }
        ));
    }
}

pub async fn recount(store: &dyn Store, raw: &str, json: bool) -> anyhow::Result<()> {
    let account = load_account(store, raw).await?;
    let report = shared::ingest::recount(store, &account, Utc::now()).await?;
    print_recount(&report, json);
    Ok(())
}

pub fn print_recount(report: &RecountReport, json: bool) {
    if json {
        output::json(report);
        return;
    }
    output::line(format!(
        "Recounted {} appointments and {} leads of {}: {} counters had drifted, {} leads fixed.",
        report.appointments,
        report.leads,
        report.account_id,
        report.drift.len(),
        report.leads_fixed
    ));
    if !report.drift.is_empty() {
        let rows: Vec<Vec<String>> = report
            .drift
            .iter()
            .map(|d| {
                vec![
                    d.date.to_string(),
                    d.counter.clone(),
                    d.stored.to_string(),
                    d.recounted.to_string(),
                ]
            })
            .collect();
        output::table(&["date", "counter", "stored", "recounted"], &rows);
    }
}
