//! Records as the column values they are stored as, documents serialized. Callers encode on
//! their own thread before queuing a write: the process has one writer thread (`writer.rs`), so
//! what it does per booking bounds every webhook, and it should only bind and step statements.

use super::{int, to_doc, ts};
use crate::booking::{CounterDelta, Write};
use crate::domain::LeadId;
use crate::leads::{Lead, TimelineEntry};
use crate::store::{ApplyBatch, Delivery, LeadWrite, LookupClaim, StoreResult};

/// An appointment's row, and the revision the write expects to find (`None`: a new one).
#[derive(Debug)]
pub(super) struct AppointmentRow {
    pub(super) id: String,
    pub(super) status: &'static str,
    pub(super) booked_at: String,
    pub(super) lead_id: Option<String>,
    /// The start of a live booking, for the upcoming index; `None` otherwise.
    pub(super) live_start: Option<String>,
    pub(super) doc: String,
    pub(super) revision: i64,
    pub(super) before_revision: Option<i64>,
}

impl AppointmentRow {
    pub(super) fn encode(write: &Write) -> StoreResult<Self> {
        let a = &write.after;
        Ok(Self {
            id: a.id().as_str().to_owned(),
            status: a.status().as_str(),
            booked_at: ts(a.booked_at()),
            lead_id: a.lead_id().map(|l| l.as_str().to_owned()),
            live_start: a.start().filter(|_| a.status().is_live()).map(ts),
            doc: to_doc(a)?,
            revision: int(a.revision()),
            before_revision: write.before.as_ref().map(|b| int(b.revision())),
        })
    }
}

/// A lead's row, and the revision the write expects to find (`None`: a new one).
#[derive(Debug)]
pub(super) struct LeadRow {
    pub(super) id: String,
    pub(super) doc: String,
    pub(super) revision: i64,
    pub(super) before_revision: Option<i64>,
}

impl LeadRow {
    pub(super) fn encode(write: &LeadWrite) -> StoreResult<Self> {
        Self::of(&write.after, write.before_revision)
    }

    /// `lead`'s row, written over the revision `before` (`None`: a new lead).
    pub(super) fn of(lead: &Lead, before: Option<u64>) -> StoreResult<Self> {
        Ok(Self {
            id: lead.id.as_str().to_owned(),
            doc: to_doc(lead)?,
            revision: int(lead.revision),
            before_revision: before.map(int),
        })
    }
}

#[derive(Debug)]
pub(super) struct TimelineRow {
    pub(super) lead_id: String,
    pub(super) entry_key: String,
    pub(super) doc: String,
}

impl TimelineRow {
    fn encode(lead: &LeadId, entry: &TimelineEntry) -> StoreResult<Self> {
        Ok(Self {
            lead_id: lead.as_str().to_owned(),
            entry_key: entry.key(),
            doc: to_doc(entry)?,
        })
    }
}

#[derive(Debug)]
pub(super) struct DeliveryRow {
    pub(super) id: String,
    pub(super) received_at: i64,
    pub(super) expires_at: i64,
    pub(super) doc: String,
}

impl DeliveryRow {
    pub(super) fn encode(delivery: &Delivery) -> StoreResult<Self> {
        Ok(Self {
            id: delivery.id.clone(),
            received_at: delivery.received_at.timestamp(),
            expires_at: delivery.expires_at.timestamp(),
            doc: to_doc(delivery)?,
        })
    }
}

/// Everything an [`ApplyBatch`] writes.
#[derive(Debug)]
pub(super) struct BatchRows {
    pub(super) appointments: Vec<AppointmentRow>,
    pub(super) leads: Vec<LeadRow>,
    pub(super) claims: Vec<LookupClaim>,
    pub(super) counters: CounterDelta,
    pub(super) timeline: Vec<TimelineRow>,
    pub(super) delivery: Option<DeliveryRow>,
}

impl BatchRows {
    pub(super) fn encode(batch: &ApplyBatch) -> StoreResult<Self> {
        Ok(Self {
            appointments: encode_all(&batch.appointments, AppointmentRow::encode)?,
            leads: encode_all(&batch.leads, LeadRow::encode)?,
            claims: batch.claims.clone(),
            counters: batch.counters.clone(),
            timeline: encode_all(&batch.timeline, |(lead, entry)| {
                TimelineRow::encode(lead, entry)
            })?,
            delivery: batch
                .delivery
                .as_ref()
                .map(DeliveryRow::encode)
                .transpose()?,
        })
    }
}

fn encode_all<T, R>(items: &[T], encode: impl Fn(&T) -> StoreResult<R>) -> StoreResult<Vec<R>> {
    items.iter().map(encode).collect()
}
