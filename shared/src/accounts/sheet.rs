//! The team's Google Sheet of leads: where it is, which columns hold what, and the service
//! account that reads and writes it.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::SheetColumns;
use crate::domain::Secret;
use crate::secrets::StoredSecret;

pub const DEFAULT_SHEET_RANGE: &str = "Leads!A2:X";

/// Where the account's lead directory lives and how to reach it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SheetSettings {
    pub spreadsheet_id: String,
    /// The rows of leads, in A1 notation (`Leads!A2:X`): the first row holds leads, not headers.
    pub range: SheetRange,
    #[serde(default)]
    pub columns: SheetColumns,
    /// The service account the sheet is shared with; the sync skips the sheet until it is set.
    #[serde(default)]
    pub credentials: Option<GoogleCredentials>,
    /// Sheet actions (SPEC §10, opt-in): a status cell the team sets to the cancelled or
    /// no-show label while its lead has a live booking cancels that booking (or marks it a
    /// no-show) at its provider on the next sync, once.
    #[serde(default)]
    pub actions: bool,
}

/// A column by its letters (`A`, `X`, `AB`), kept as a zero-based index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Column(pub(super) u16);

impl Column {
    /// Parses `A`..`ZZZ` (any case).
    pub fn parse(raw: &str) -> Result<Self, String> {
        let letters = raw.trim();
        if letters.is_empty()
            || letters.len() > 3
            || !letters.chars().all(|c| c.is_ascii_alphabetic())
        {
            return Err(format!(
                "{raw:?} is not a column: use letters such as A or X"
            ));
        }
        let number = letters.bytes().fold(0u16, |n, b| {
            n * 26 + u16::from(b.to_ascii_uppercase() - b'A' + 1)
        });
        Ok(Self(number - 1))
    }

    pub fn index(self) -> usize {
        usize::from(self.0)
    }
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut n = u32::from(self.0) + 1;
        let mut letters = Vec::new();
        while n > 0 {
            let rem = (n - 1) % 26;
            letters.push(char::from(b'A' + rem as u8));
            n = (n - 1) / 26;
        }
        letters.iter().rev().try_for_each(|c| write!(f, "{c}"))
    }
}

impl Serialize for Column {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Column {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Column::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// A block of rows in A1 notation: `Leads!A2:X`, `'Team leads'!B5:Z900`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SheetRange {
    text: String,
    /// The tab's name as written, quotes included (`'Team leads'`).
    tab: String,
    pub first_column: Column,
    pub last_column: Column,
    /// The sheet row the range starts at (1-based).
    pub first_row: u32,
}

impl SheetRange {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let text = raw.trim();
        let bad = |why: &str| {
            format!(
                "{raw:?} is not a sheet range ({why}): use A1 notation such as {DEFAULT_SHEET_RANGE}"
            )
        };
        let (tab, cells) = text.rsplit_once('!').ok_or_else(|| bad("no tab name"))?;
        if tab.is_empty() {
            return Err(bad("no tab name"));
        }
        let (start, end) = cells.split_once(':').ok_or_else(|| bad("no end column"))?;
        let split = |cell: &str| {
            let at = cell
                .find(|c: char| c.is_ascii_digit())
                .unwrap_or(cell.len());
            (cell[..at].to_owned(), cell[at..].to_owned())
        };
        let (start_col, start_row) = split(start);
        let (end_col, end_row) = split(end);
        let first_column = Column::parse(&start_col).map_err(|_| bad("bad start column"))?;
        let last_column = Column::parse(&end_col).map_err(|_| bad("bad end column"))?;
        let first_row = if start_row.is_empty() {
            1
        } else {
            start_row
                .parse::<u32>()
                .ok()
                .filter(|r| *r > 0)
                .ok_or_else(|| bad("bad start row"))?
        };
        if !end_row.is_empty() && end_row.parse::<u32>().map_or(true, |r| r < first_row) {
            return Err(bad("bad end row"));
        }
        if last_column < first_column {
            return Err(bad("the end column is before the start column"));
        }
        Ok(Self {
            text: text.to_owned(),
            tab: tab.to_owned(),
            first_column,
            last_column,
            first_row,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The range's first row alone (`Leads!A2:X2`): the cheapest read that proves access.
    pub fn first_row_only(&self) -> SheetRange {
        let row = self.first_row;
        Self {
            text: format!(
                "{}!{}{row}:{}{row}",
                self.tab, self.first_column, self.last_column
            ),
            ..self.clone()
        }
    }

    /// One cell of this range's tab, in A1 notation.
    pub fn cell(&self, column: Column, row: u32) -> String {
        format!("{}!{column}{row}", self.tab)
    }

    /// Whether the column lies inside the range.
    pub fn holds(&self, column: Column) -> bool {
        (self.first_column..=self.last_column).contains(&column)
    }

    /// The position of a column in a row as the Sheets API returns it.
    pub fn offset(&self, column: Column) -> usize {
        column.index() - self.first_column.index()
    }

    /// How many cells a full row of the range has.
    pub fn width(&self) -> usize {
        self.last_column.index() - self.first_column.index() + 1
    }
}

impl Serialize for SheetRange {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for SheetRange {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        SheetRange::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// The parts of a Google service-account key file the sync uses. The private key is a secret:
/// never logged, never shown.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GoogleCredentials {
    /// The account the team shares its sheet with (`...@....iam.gserviceaccount.com`).
    pub client_email: String,
    #[serde(default)]
    pub private_key_id: Option<String>,
    pub private_key: StoredSecret,
    /// Where the signed assertion is exchanged for an access token.
    pub token_uri: String,
}

impl fmt::Debug for GoogleCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GoogleCredentials")
            .field("client_email", &self.client_email)
            .field("token_uri", &self.token_uri)
            .finish_non_exhaustive()
    }
}

impl GoogleCredentials {
    /// The same credentials holding `key`, opened (in memory only: never stored so).
    pub fn with_private_key(&self, key: Secret) -> Self {
        Self {
            private_key: StoredSecret::Plain(key),
            ..self.clone()
        }
    }

    /// Reads a service-account key file as the Google Cloud console downloads it.
    pub fn from_key_file(json: &str) -> Result<Self, String> {
        #[derive(Deserialize)]
        struct KeyFile {
            #[serde(rename = "type")]
            kind: Option<String>,
            client_email: Option<String>,
            private_key_id: Option<String>,
            private_key: Option<String>,
            token_uri: Option<String>,
        }
        let file: KeyFile = serde_json::from_str(json)
            .map_err(|e| format!("not a service-account key file (JSON: {e})"))?;
        if file.kind.as_deref() != Some("service_account") {
            return Err(
                "not a service-account key file: \"type\" must be \"service_account\" (create a key for a service account in the Google Cloud console)".into(),
            );
        }
        let field = |value: Option<String>, name: &str| {
            value
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
                .ok_or_else(|| format!("the key file has no {name}"))
        };
        let private_key = field(file.private_key, "private_key")?;
        if !private_key.contains("PRIVATE KEY-----") {
            return Err("the key file's private_key is not a PEM private key".into());
        }
        let token_uri = field(file.token_uri, "token_uri")?;
        if !(token_uri.starts_with("https://") || token_uri.starts_with("http://")) {
            return Err("the key file's token_uri is not a URL".into());
        }
        Ok(Self {
            client_email: field(file.client_email, "client_email")?,
            private_key_id: file.private_key_id.filter(|id| !id.trim().is_empty()),
            private_key: StoredSecret::Plain(Secret::new(private_key)),
            token_uri,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_read_and_print_as_letters() {
        for (letters, index) in [
            ("A", 0),
            ("x", 23),
            ("Z", 25),
            ("AA", 26),
            ("AZ", 51),
            ("BA", 52),
        ] {
            let column = Column::parse(letters).unwrap();
            assert_eq!(column.index(), index);
            assert_eq!(column.to_string(), letters.to_ascii_uppercase());
        }
        assert!(Column::parse("").is_err());
        assert!(Column::parse("A1").is_err());
        assert!(Column::parse("ABCD").is_err());
    }

    #[test]
    fn ranges_in_a1_notation() {
        let range = SheetRange::parse("Leads!A2:X").unwrap();
        assert_eq!(range.first_row, 2);
        assert_eq!(range.width(), 24);
        assert_eq!(range.cell(Column::parse("X").unwrap(), 7), "Leads!X7");
        let quoted = SheetRange::parse("'Team leads'!B5:Z900").unwrap();
        assert_eq!(quoted.first_row, 5);
        assert_eq!(quoted.offset(Column::parse("D").unwrap()), 2);
        assert_eq!(
            quoted.cell(Column::parse("C").unwrap(), 6),
            "'Team leads'!C6"
        );
        assert_eq!(
            quoted.first_row_only().as_str(),
            "'Team leads'!B5:Z5",
            "the first row of the range, whatever its end"
        );
        assert_eq!(quoted.first_row_only().width(), quoted.width());
        for bad in [
            "A2:X",
            "Leads",
            "Leads!A2",
            "Leads!X2:A",
            "Leads!A0:X",
            "Leads!A9:X3",
        ] {
            assert!(SheetRange::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn key_files_keep_only_what_the_sync_needs_and_never_show_the_key() {
        let file = r#"{"type": "service_account", "project_id": "p", "private_key_id": "k1",
            "private_key": "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n",
            "client_email": "sync@p.iam.gserviceaccount.com", "token_uri": "https://oauth2.googleapis.com/token"}"#;
        let credentials = GoogleCredentials::from_key_file(file).unwrap();
        assert_eq!(credentials.client_email, "sync@p.iam.gserviceaccount.com");
        assert!(!format!("{credentials:?}").contains("BEGIN"));
        assert!(GoogleCredentials::from_key_file(r#"{"type": "authorized_user"}"#).is_err());
        assert!(GoogleCredentials::from_key_file("not json").is_err());
    }
}
