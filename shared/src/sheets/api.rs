//! The three Google Sheets API v4 calls the lead directory makes: `values.get` (read the range),
//! `values.batchUpdate` (changed cells, in one call) and `values.append` (new leads' rows).

use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::time::Instant;

use super::{GoogleAuth, SheetError};
use crate::accounts::{GoogleCredentials, SheetSettings};
use crate::outbound::{Call, FetchError, ProviderHttp, RetryPolicy};

pub const DEFAULT_GOOGLE_SHEETS_API_URL: &str = "https://sheets.googleapis.com";

/// The Sheets API client, built once per process: its connection pool is the sync's, its tokens
/// are cached across accounts and runs.
#[derive(Debug)]
pub struct SheetsClient {
    http: ProviderHttp,
    base: String,
    auth: GoogleAuth,
}

/// One cell to write, in A1 notation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CellWrite {
    pub cell: String,
    pub value: String,
}

#[derive(Deserialize)]
struct ValueRange {
    #[serde(default)]
    values: Vec<Vec<Value>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BatchUpdateResponse {
    #[serde(default)]
    total_updated_cells: u64,
}

#[derive(Deserialize)]
struct AppendResponse {
    updates: AppendUpdates,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AppendUpdates {
    updated_range: String,
}

impl SheetsClient {
    /// A client on `http`'s connection pool. Google names no reset on its 429s and asks for
    /// exponential backoff, so the policy's fixed rate-limit pause is dropped.
    pub fn new(http: &ProviderHttp, base: &str) -> Self {
        let policy = RetryPolicy {
            rate_limit_fallback: None,
            ..http.policy().clone()
        };
        Self {
            http: http.with_policy(policy),
            base: base.trim_end_matches('/').to_owned(),
            auth: GoogleAuth::default(),
        }
    }

    /// The base URL from `GOOGLE_SHEETS_API_URL`, else Google's.
    pub fn from_env(http: &ProviderHttp) -> Self {
        let base = std::env::var("GOOGLE_SHEETS_API_URL")
            .ok()
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| DEFAULT_GOOGLE_SHEETS_API_URL.to_owned());
        Self::new(http, &base)
    }

    /// `GET /v4/spreadsheets/{id}/values/{range}`: the range's rows as displayed, trailing empty
    /// cells and rows left out as the API does.
    pub async fn read(
        &self,
        sheet: &SheetSettings,
        credentials: &GoogleCredentials,
        deadline: Instant,
    ) -> Result<Vec<Vec<String>>, SheetError> {
        let url = self.url(&sheet.spreadsheet_id, &["values", sheet.range.as_str()])?;
        let query = [
            ("majorDimension", "ROWS".to_owned()),
            ("valueRenderOption", "FORMATTED_VALUE".to_owned()),
        ];
        let body = self
            .send(
                credentials,
                deadline,
                Call {
                    query: &query,
                    ..Call::to(Method::GET, &url)
                },
            )
            .await?;
        let range: ValueRange = serde_json::from_slice(&body)
            .map_err(|e| FetchError::Malformed(format!("values.get: {e}")))?;
        Ok(range
            .values
            .into_iter()
            .map(|row| row.into_iter().map(cell_text).collect())
            .collect())
    }

    /// `POST /v4/spreadsheets/{id}/values:batchUpdate` of every cell, raw text, in one call.
    /// Writing the same values twice is harmless, so failures are retried. Returns the cells
    /// Google says it updated.
    pub async fn write_cells(
        &self,
        sheet: &SheetSettings,
        credentials: &GoogleCredentials,
        cells: &[CellWrite],
        deadline: Instant,
    ) -> Result<u64, SheetError> {
        let url = self.url(&sheet.spreadsheet_id, &["values:batchUpdate"])?;
        let data: Vec<Value> = cells
            .iter()
            .map(|c| json!({"range": c.cell, "majorDimension": "ROWS", "values": [[c.value]]}))
            .collect();
        let body = json!({"valueInputOption": "RAW", "data": data});
        let answer = self
            .send(
                credentials,
                deadline,
                Call {
                    json: Some(&body),
                    idempotent: true,
                    ..Call::to(Method::POST, &url)
                },
            )
            .await?;
        let response: BatchUpdateResponse = serde_json::from_slice(&answer)
            .map_err(|e| FetchError::Malformed(format!("values.batchUpdate: {e}")))?;
        Ok(response.total_updated_cells)
    }

    /// `POST /v4/spreadsheets/{id}/values/{range}:append` of new rows after the range's table.
    /// Not retried on a 5xx or a timeout (the rows may have landed; the next pull finds them).
    /// Returns the sheet row the first one landed on.
    pub async fn append_rows(
        &self,
        sheet: &SheetSettings,
        credentials: &GoogleCredentials,
        rows: &[Vec<String>],
        deadline: Instant,
    ) -> Result<u32, SheetError> {
        let target = format!("{}:append", sheet.range.as_str());
        let url = self.url(&sheet.spreadsheet_id, &["values", &target])?;
        let query = [
            ("valueInputOption", "RAW".to_owned()),
            ("insertDataOption", "INSERT_ROWS".to_owned()),
        ];
        let body = json!({"range": sheet.range.as_str(), "majorDimension": "ROWS", "values": rows});
        let answer = self
            .send(
                credentials,
                deadline,
                Call {
                    query: &query,
                    json: Some(&body),
                    ..Call::to(Method::POST, &url)
                },
            )
            .await?;
        let response: AppendResponse = serde_json::from_slice(&answer)
            .map_err(|e| FetchError::Malformed(format!("values.append: {e}")))?;
        first_row(&response.updates.updated_range).ok_or_else(|| {
            FetchError::Malformed(format!(
                "values.append: updatedRange {:?} names no row",
                response.updates.updated_range
            ))
            .into()
        })
    }

    /// Sends a call with a current token. A 401 means Google no longer takes the cached token
    /// (expired or revoked early): it is dropped and the call made once more with a fresh one.
    async fn send(
        &self,
        credentials: &GoogleCredentials,
        deadline: Instant,
        call: Call<'_>,
    ) -> Result<Vec<u8>, SheetError> {
        let token = self.auth.token(&self.http, credentials, deadline).await?;
        let first = Call {
            bearer: Some(&token),
            ..call.clone()
        };
        match self.http.send(&first, deadline).await {
            Err(FetchError::Unauthorized(401, _)) => {
                tracing::info!(
                    "Google refused the cached access token: fetching a new one and retrying"
                );
                self.auth.forget(credentials);
                let token = self.auth.token(&self.http, credentials, deadline).await?;
                let again = Call {
                    bearer: Some(&token),
                    ..call
                };
                Ok(self.http.send(&again, deadline).await?)
            }
            other => Ok(other?),
        }
    }

    fn url(&self, spreadsheet: &str, rest: &[&str]) -> Result<String, SheetError> {
        let mut url = reqwest::Url::parse(&self.base)
            .map_err(|e| FetchError::Network(format!("bad GOOGLE_SHEETS_API_URL: {e}")))?;
        url.path_segments_mut()
            .map_err(|()| FetchError::Network("bad GOOGLE_SHEETS_API_URL".into()))?
            .pop_if_empty()
            .extend(["v4", "spreadsheets", spreadsheet])
            .extend(rest);
        Ok(url.into())
    }
}

/// A cell as text: formatted values are strings, but numbers and booleans are taken as written.
fn cell_text(value: Value) -> String {
    match value {
        Value::String(s) => s,
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The first row of an A1 range such as `Leads!A7:X9` or `'My leads'!A7`.
fn first_row(range: &str) -> Option<u32> {
    let cells = range.rsplit_once('!').map_or(range, |(_, cells)| cells);
    let start = cells.split(':').next()?;
    start
        .trim_start_matches(|c: char| c.is_ascii_alphabetic())
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appended_rows_are_found_from_the_updated_range() {
        assert_eq!(first_row("Leads!A7:X9"), Some(7));
        assert_eq!(first_row("'My leads'!B12"), Some(12));
        assert_eq!(first_row("Leads!A:X"), None);
    }

    #[test]
    fn urls_escape_the_range() {
        let http = ProviderHttp::new(RetryPolicy::default()).unwrap();
        let client = SheetsClient::new(&http, "http://127.0.0.1:9/");
        let url = client.url("abc", &["values", "'My leads'!A2:X"]).unwrap();
        assert_eq!(
            url,
            "http://127.0.0.1:9/v4/spreadsheets/abc/values/'My%20leads'!A2:X"
        );
    }
}
