//! The sheet's rows as one read of the range gives them, and the account's leads found by phone
//! and email in memory: what pull and push compare.

use std::collections::HashMap;

use crate::accounts::{Account, Column, SheetSettings};
use crate::domain::{AccountId, Attribution, Email, Phone};
use crate::leads::Lead;
use crate::store::{Store, StoreError};

/// Leads listed per store call.
const LEAD_PAGE: usize = 500;

/// The sheet's rows as read at the start of a run: what push compares against.
#[derive(Clone, Debug)]
pub struct Snapshot {
    first_row: u32,
    pub(super) rows: Vec<SheetRow>,
}

/// One row of the range, its details read once.
#[derive(Clone, Debug)]
pub(super) struct SheetRow {
    pub(super) number: u32,
    cells: Vec<String>,
    pub(super) name: Option<String>,
    pub(super) status: Option<String>,
    pub(super) phone_text: Option<String>,
    pub(super) email_text: Option<String>,
    /// `None` when the text is missing or does not parse (the import reports which).
    pub(super) phone: Option<Phone>,
    pub(super) email: Option<Email>,
    /// The optional columns' values, as a lead keeps them.
    pub(super) attribution: Attribution,
}

impl SheetRow {
    pub(super) fn is_blank(&self) -> bool {
        self.cells.iter().all(|c| c.trim().is_empty())
    }

    /// Every detail written parses.
    pub(super) fn is_clean(&self) -> bool {
        self.phone_text.is_some() == self.phone.is_some()
            && self.email_text.is_some() == self.email.is_some()
    }

    /// The row is this lead's: it holds the lead's phone or email.
    pub(super) fn holds(&self, lead: &Lead) -> bool {
        let same = |a: Option<&Phone>, b: Option<&Phone>| a.is_some() && a == b;
        same(self.phone.as_ref(), lead.phone.as_ref())
            || (self.email.is_some() && self.email.as_ref() == lead.email.as_ref())
    }
}

impl Snapshot {
    pub fn new(settings: &SheetSettings, account: &Account, values: Vec<Vec<String>>) -> Self {
        let range = &settings.range;
        let columns = &settings.columns;
        let first_row = range.first_row;
        let rows = values
            .into_iter()
            .zip(first_row..)
            .map(|(cells, number)| {
                let text = |column: Column| {
                    cells
                        .get(range.offset(column))
                        .map(|c| c.trim())
                        .filter(|c| !c.is_empty())
                        .map(str::to_owned)
                };
                let name = [text(columns.first_name), text(columns.last_name)]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                let optional = |column: Option<Column>| column.and_then(text);
                let attribution = Attribution::new(
                    optional(columns.campaign).as_deref(),
                    optional(columns.source).as_deref(),
                );
                let phone_text = text(columns.phone);
                let email_text = text(columns.email);
                SheetRow {
                    number,
                    name: (!name.is_empty()).then_some(name),
                    status: text(columns.status),
                    phone: phone_text
                        .as_deref()
                        .and_then(|p| Phone::parse_optional(p, account.phone_region)),
                    email: email_text.as_deref().and_then(Email::parse_optional),
                    phone_text,
                    email_text,
                    attribution,
                    cells,
                }
            })
            .collect();
        Self { first_row, rows }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub(super) fn row(&self, number: u32) -> Option<&SheetRow> {
        let index = number.checked_sub(self.first_row)?;
        self.rows.get(usize::try_from(index).ok()?)
    }

    pub(super) fn cell<'a>(
        &'a self,
        settings: &SheetSettings,
        row: &'a SheetRow,
        column: Column,
    ) -> &'a str {
        row.cells
            .get(settings.range.offset(column))
            .map_or("", |c| c.trim())
    }
}

/// The account's leads, found by phone and email in memory: one listing per run, rather than a
/// lookup per row.
pub(super) struct LeadIndex {
    pub(super) leads: Vec<Lead>,
    by_phone: HashMap<Phone, usize>,
    by_email: HashMap<Email, usize>,
}

impl LeadIndex {
    pub(super) async fn load(
        store: &(impl Store + ?Sized),
        account: &AccountId,
    ) -> Result<Self, StoreError> {
        let mut leads = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = store
                .list_leads(account, after.as_deref(), LEAD_PAGE)
                .await?;
            leads.extend(page.items);
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        let mut by_phone = HashMap::new();
        let mut by_email = HashMap::new();
        for (i, lead) in leads.iter().enumerate() {
            if let Some(phone) = &lead.phone {
                by_phone.insert(phone.clone(), i);
            }
            if let Some(email) = &lead.email {
                by_email.insert(email.clone(), i);
            }
        }
        Ok(Self {
            leads,
            by_phone,
            by_email,
        })
    }

    /// The lead a row belongs to: phone first, then email, as bookings are matched.
    pub(super) fn find(&self, row: &SheetRow) -> Option<&Lead> {
        let by_phone = row.phone.as_ref().and_then(|p| self.by_phone.get(p));
        let by_email = row.email.as_ref().and_then(|e| self.by_email.get(e));
        by_phone.or(by_email).map(|&i| &self.leads[i])
    }
}
