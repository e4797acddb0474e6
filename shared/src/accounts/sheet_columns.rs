//! Which column of the team's sheet holds what: the previous system's six, and the optional
//! `campaign`, `source` (read into the lead) and `link` (the lead's booking link, written).

use serde::{Deserialize, Serialize};

use super::sheet::{Column, SheetRange};

/// Which column holds what. The defaults are the previous system's layout; the optional columns
/// are off until named.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SheetColumns {
    /// `Contact_Status`: the label booking-tracker writes.
    pub status: Column,
    pub first_name: Column,
    pub last_name: Column,
    pub phone: Column,
    pub email: Column,
    /// `call_booked`: the next call, `HH:MM DD/MM/YYYY` in the account's time zone.
    pub booked: Column,
    /// The campaign the lead came from, read on pull.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<Column>,
    /// The source the lead came from, read on pull.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Column>,
    /// The lead's personal booking link, written on push from the account's booking page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<Column>,
}

impl Default for SheetColumns {
    fn default() -> Self {
        let col = |n: u16| Column(n);
        Self {
            status: col(0),
            first_name: col(1),
            last_name: col(2),
            phone: col(3),
            email: col(4),
            booked: col(23),
            campaign: None,
            source: None,
            link: None,
        }
    }
}

const NAMES: &str = "status, first_name, last_name, phone, email, booked, campaign, source or link";

impl SheetColumns {
    /// Applies `status=A,first_name=B,...,link=Y` over these columns; unnamed ones keep their
    /// value. An optional column given no letters (`link=`) is turned off.
    pub fn with_spec(mut self, spec: &str) -> Result<Self, String> {
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, letters) = part
                .split_once('=')
                .ok_or_else(|| format!("{part:?}: expected name=COLUMN, such as phone=D"))?;
            let name = name.trim().to_ascii_lowercase();
            let optional = match name.as_str() {
                "campaign" => Some(&mut self.campaign),
                "source" => Some(&mut self.source),
                "link" => Some(&mut self.link),
                _ => None,
            };
            if let Some(slot) = optional {
                *slot = match letters.trim() {
                    "" => None,
                    letters => Some(Column::parse(letters)?),
                };
                continue;
            }
            let column = Column::parse(letters)?;
            let slot = match name.as_str() {
                "status" => &mut self.status,
                "first_name" => &mut self.first_name,
                "last_name" => &mut self.last_name,
                "phone" => &mut self.phone,
                "email" => &mut self.email,
                "booked" => &mut self.booked,
                other => {
                    return Err(format!("unknown sheet column {other:?}: expected {NAMES}"));
                }
            };
            *slot = column;
        }
        Ok(self)
    }

    /// Every column in use, by name: the six always, the optional ones when set.
    pub fn all(&self) -> Vec<(&'static str, Column)> {
        let optional = [
            ("campaign", self.campaign),
            ("source", self.source),
            ("link", self.link),
        ];
        [
            ("status", self.status),
            ("first_name", self.first_name),
            ("last_name", self.last_name),
            ("phone", self.phone),
            ("email", self.email),
            ("booked", self.booked),
        ]
        .into_iter()
        .chain(optional.into_iter().filter_map(|(n, c)| Some((n, c?))))
        .collect()
    }

    /// Every column inside `range`, and no two fields sharing one.
    pub fn check(&self, range: &SheetRange) -> Result<(), String> {
        let all = self.all();
        for (i, (name, column)) in all.iter().enumerate() {
            if !range.holds(*column) {
                return Err(format!(
                    "the {name} column {column} is outside the range {}",
                    range.as_str()
                ));
            }
            if let Some((other, _)) = all[..i].iter().find(|(_, c)| c == column) {
                return Err(format!("{other} and {name} are both column {column}"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::DEFAULT_SHEET_RANGE;

    #[test]
    fn column_specs_override_the_defaults_and_must_fit_the_range() {
        let columns = SheetColumns::default()
            .with_spec("phone=F, booked=Y")
            .unwrap();
        assert_eq!(columns.phone.to_string(), "F");
        assert_eq!(columns.email.to_string(), "E");
        let range = SheetRange::parse(DEFAULT_SHEET_RANGE).unwrap();
        assert!(SheetColumns::default().check(&range).is_ok());
        assert!(columns.check(&range).unwrap_err().contains("outside"));
        let clash = SheetColumns::default().with_spec("email=D").unwrap();
        assert!(clash.check(&range).unwrap_err().contains("both column D"));
        assert!(SheetColumns::default().with_spec("notes=F").is_err());
    }

    #[test]
    fn optional_columns_are_checked_when_set_and_can_be_turned_off() {
        let range = SheetRange::parse(DEFAULT_SHEET_RANGE).unwrap();
        let columns = SheetColumns::default()
            .with_spec("campaign=F,source=G,link=H")
            .unwrap();
        assert_eq!(columns.link.map(|c| c.to_string()).as_deref(), Some("H"));
        assert_eq!(columns.all().len(), 9);
        assert!(columns.check(&range).is_ok());
        let clash = columns.clone().with_spec("link=A").unwrap();
        assert!(clash.check(&range).unwrap_err().contains("status and link"));
        let outside = columns.clone().with_spec("link=Z").unwrap();
        assert!(outside.check(&range).unwrap_err().contains("link column Z"));
        let off = columns.with_spec("link=").unwrap();
        assert_eq!(off.link, None);
        assert!(SheetColumns::default().with_spec("phone=").is_err());
    }

    #[test]
    fn stored_columns_without_the_optional_ones_still_read() {
        let stored =
            r#"{"status":"A","firstName":"B","lastName":"C","phone":"D","email":"E","booked":"X"}"#;
        let columns: SheetColumns = serde_json::from_str(stored).unwrap();
        assert_eq!(columns, SheetColumns::default());
        assert_eq!(serde_json::to_string(&columns).unwrap(), stored);
    }
}
