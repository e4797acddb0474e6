//! A local fake of Google's OAuth token endpoint and the Sheets API v4 `values` calls, built from
//! Google's documented request and response shapes: the service-account JWT grant
//! (developers.google.com/identity/protocols/oauth2/service-account), `spreadsheets.values.get`,
//! `values.batchUpdate` and `values.append`. It keeps one tab (`Leads`) as a grid, checks every
//! bearer token it issued, and logs each write so tests can count them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::{Value, json};
use shared::accounts::{Column, GoogleCredentials};
use shared::domain::Secret;
use shared::sheets::SHEETS_SCOPE;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::fixtures_dir;

pub const SPREADSHEET: &str = "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms";
pub const TAB: &str = "Leads";
pub const CLIENT_EMAIL: &str = "booking-tracker@test-project.iam.gserviceaccount.com";
const KEY_ID: &str = "test-key-1";

/// The test service account's key (a throwaway RSA key made for these tests).
pub fn private_key() -> String {
    std::fs::read_to_string(fixtures_dir().join("google/test-service-account.key")).unwrap()
}

fn public_key() -> Vec<u8> {
    std::fs::read(fixtures_dir().join("google/test-service-account.pub")).unwrap()
}

/// What the fake has seen and holds.
#[derive(Debug, Default)]
pub struct State {
    /// The tab, row 1 first; rows and cells as long as they were written.
    pub grid: Vec<Vec<String>>,
    /// Access tokens issued, with the Sheets calls each may still make (`None`: unlimited).
    tokens: HashMap<String, Option<u32>>,
    /// Sheets calls each new token is good for, to expire tokens mid-run.
    pub uses_per_token: Option<u32>,
    /// `expires_in` of new tokens.
    pub expires_in: u64,
    pub token_requests: u32,
    pub reads: u32,
    /// Each `values:batchUpdate`'s cells, and each `values:append`'s rows.
    pub batch_updates: Vec<Vec<(String, String)>>,
    pub appends: Vec<Vec<Vec<String>>>,
    /// The token endpoint's URL: the audience assertions must name.
    token_uri: String,
}

impl State {
    /// A cell by its A1 name in the tab (`X5`), empty when never written.
    pub fn cell(&self, a1: &str) -> String {
        let (column, row) = split_a1(a1);
        self.grid
            .get(row - 1)
            .and_then(|r| r.get(column))
            .cloned()
            .unwrap_or_default()
    }

    /// Row `number`'s cells, without trailing empty ones.
    pub fn row(&self, number: usize) -> Vec<String> {
        let mut row = self.grid.get(number - 1).cloned().unwrap_or_default();
        while row.last().is_some_and(String::is_empty) {
            row.pop();
        }
        row
    }

    /// Every token issued so far stops working, as when Google expires or revokes them.
    pub fn tokens_expire_now(&mut self) {
        for uses in self.tokens.values_mut() {
            *uses = Some(0);
        }
    }

    fn set(&mut self, column: usize, row: usize, value: String) {
        if self.grid.len() < row {
            self.grid.resize(row, Vec::new());
        }
        let cells = &mut self.grid[row - 1];
        if cells.len() <= column {
            cells.resize(column + 1, String::new());
        }
        cells[column] = value;
    }

    fn last_filled_row(&self) -> usize {
        self.grid
            .iter()
            .rposition(|r| r.iter().any(|c| !c.is_empty()))
            .map_or(0, |i| i + 1)
    }

    /// Spends one use of `token`; false when Google would refuse it.
    fn authorise(&mut self, request: &Request) -> bool {
        let Some(token) = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
        else {
            return false;
        };
        match self.tokens.get_mut(token) {
            Some(Some(0)) | None => false,
            Some(Some(left)) => {
                *left -= 1;
                true
            }
            Some(None) => true,
        }
    }
}

/// `Leads!X5` or `X5` → (column index, row number).
fn split_a1(a1: &str) -> (usize, usize) {
    let cell = a1.rsplit_once('!').map_or(a1, |(_, c)| c);
    let at = cell.find(|c: char| c.is_ascii_digit()).unwrap();
    (
        Column::parse(&cell[..at]).unwrap().index(),
        cell[at..].parse().unwrap(),
    )
}

/// The fake, running on a local port.
#[derive(Debug)]
pub struct FakeGoogle {
    pub server: MockServer,
    state: Arc<Mutex<State>>,
}

impl FakeGoogle {
    /// A sheet with a header row and `rows` from row 2.
    pub async fn start(rows: &[&[&str]]) -> Self {
        let mut grid = vec![
            [
                "Contact_Status",
                "First_Name",
                "Last_Name",
                "Phone",
                "Email",
            ]
            .iter()
            .map(|s| (*s).to_owned())
            .collect::<Vec<_>>(),
        ];
        grid.extend(
            rows.iter()
                .map(|r| r.iter().map(|c| (*c).to_owned()).collect()),
        );
        grid[0].resize(24, String::new());
        grid[0][23] = "call_booked".into();
        let state = Arc::new(Mutex::new(State {
            grid,
            expires_in: 3599,
            ..State::default()
        }));
        let server = MockServer::start().await;
        state.lock().unwrap().token_uri = format!("{}/token", server.uri());
        let handler = Handler(Arc::clone(&state));
        Mock::given(method("POST"))
            .and(path("/token"))
            .respond_with(handler.clone())
            .mount(&server)
            .await;
        Mock::given(path_regex(format!("^/v4/spreadsheets/{SPREADSHEET}/")))
            .respond_with(handler)
            .mount(&server)
            .await;
        Self { server, state }
    }

    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }

    /// The key file's fields, pointing at this fake's token endpoint.
    pub fn credentials(&self) -> GoogleCredentials {
        GoogleCredentials {
            client_email: CLIENT_EMAIL.into(),
            private_key_id: Some(KEY_ID.into()),
            private_key: Secret::new(private_key()).into(),
            token_uri: self.token_uri(),
        }
    }

    /// A service-account key file as the Google Cloud console downloads it.
    pub fn key_file(&self) -> String {
        json!({
            "type": "service_account",
            "project_id": "test-project",
            "private_key_id": KEY_ID,
            "private_key": private_key(),
            "client_email": CLIENT_EMAIL,
            "client_id": "100000000000000000001",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": self.token_uri(),
        })
        .to_string()
    }

    pub fn token_uri(&self) -> String {
        format!("{}/token", self.server.uri())
    }

    /// The next `times` cell writes (`values:batchUpdate`) get `response` instead.
    pub async fn fail_writes(&self, response: ResponseTemplate, times: u64) {
        Mock::given(method("POST"))
            .and(path_regex(r"values:batchUpdate$"))
            .respond_with(response)
            .up_to_n_times(times)
            .with_priority(1)
            .mount(&self.server)
            .await;
    }

    /// Google's 429 for a spent write quota (`RESOURCE_EXHAUSTED`, no reset header).
    pub fn quota_exceeded() -> ResponseTemplate {
        ResponseTemplate::new(429).set_body_json(json!({
            "error": {"code": 429, "message": "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per user'", "status": "RESOURCE_EXHAUSTED"}
        }))
    }
}

#[derive(Clone)]
struct Handler(Arc<Mutex<State>>);

#[derive(Deserialize)]
struct Assertion {
    scope: String,
}

impl Respond for Handler {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut state = self.0.lock().unwrap();
        let path = request.url.path().to_owned();
        if path == "/token" {
            return token(&mut state, request);
        }
        if !state.authorise(request) {
            return ResponseTemplate::new(401).set_body_json(json!({"error": {
                "code": 401,
                "message": "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
                "status": "UNAUTHENTICATED"
            }}));
        }
        let rest = path
            .strip_prefix(&format!("/v4/spreadsheets/{SPREADSHEET}/"))
            .unwrap();
        let rest = percent_decode(rest);
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        match (request.method.as_str(), rest.as_str()) {
            ("POST", "values:batchUpdate") => batch_update(&mut state, &body),
            ("POST", r) if r.ends_with(":append") => append(&mut state, request, &body),
            ("GET", r) if r.starts_with("values/") => read(&mut state, request, &r[7..]),
            _ => ResponseTemplate::new(404),
        }
    }
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap()
}

fn token(state: &mut State, request: &Request) -> ResponseTemplate {
    state.token_requests += 1;
    let form: HashMap<String, String> = url::form_urlencoded::parse(&request.body)
        .into_owned()
        .collect();
    let refuse = |why: &str| {
        ResponseTemplate::new(400)
            .set_body_json(json!({"error": "invalid_grant", "error_description": why}))
    };
    if form.get("grant_type").map(String::as_str)
        != Some("urn:ietf:params:oauth:grant-type:jwt-bearer")
    {
        return refuse("Invalid grant_type.");
    }
    let Some(assertion) = form.get("assertion") else {
        return refuse("Missing assertion.");
    };
    let header = jsonwebtoken::decode_header(assertion).unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(std::slice::from_ref(&state.token_uri));
    validation.set_issuer(&[CLIENT_EMAIL]);
    validation.set_required_spec_claims(&["exp", "iat", "iss", "aud"]);
    let key = DecodingKey::from_rsa_pem(&public_key()).unwrap();
    match jsonwebtoken::decode::<Assertion>(assertion, &key, &validation) {
        Ok(data) if data.claims.scope == SHEETS_SCOPE && header.kid.as_deref() == Some(KEY_ID) => {
            let token = format!("ya29.fake-token-{}", state.token_requests);
            let uses = state.uses_per_token;
            state.tokens.insert(token.clone(), uses);
            ResponseTemplate::new(200).set_body_json(json!({
                "access_token": token,
                "expires_in": state.expires_in,
                "token_type": "Bearer"
            }))
        }
        Ok(_) => refuse("Invalid scope or key id."),
        Err(e) => refuse(&format!("Invalid JWT: {e}")),
    }
}

fn read(state: &mut State, request: &Request, range: &str) -> ResponseTemplate {
    state.reads += 1;
    let query: HashMap<String, String> = request.url.query_pairs().into_owned().collect();
    assert_eq!(
        query.get("majorDimension").map(String::as_str),
        Some("ROWS")
    );
    // The configured range (`Leads!A2:X`), or its first rows (`Leads!A2:X2`, as `doctor` reads).
    let end = range
        .strip_prefix(&format!("{TAB}!A2:X"))
        .unwrap_or_else(|| panic!("{range:?} is not the configured range"));
    let last_asked = if end.is_empty() {
        usize::MAX
    } else {
        end.parse().unwrap()
    };
    let last = state.last_filled_row().min(last_asked);
    let values: Vec<Vec<String>> = (2..=last)
        .map(|n| {
            let mut row = state.row(n);
            row.truncate(24);
            row
        })
        .collect();
    let mut body = json!({"range": format!("{TAB}!A2:X{}", last.max(2)), "majorDimension": "ROWS"});
    if !values.is_empty() {
        body["values"] = json!(values);
    }
    ResponseTemplate::new(200).set_body_json(body)
}

fn batch_update(state: &mut State, body: &Value) -> ResponseTemplate {
    assert_eq!(body["valueInputOption"], "RAW");
    let mut cells = Vec::new();
    for entry in body["data"].as_array().unwrap() {
        let range = entry["range"].as_str().unwrap();
        let value = entry["values"][0][0].as_str().unwrap().to_owned();
        let (column, row) = split_a1(range);
        state.set(column, row, value.clone());
        cells.push((range.to_owned(), value));
    }
    let total = cells.len();
    state.batch_updates.push(cells);
    ResponseTemplate::new(200).set_body_json(json!({
        "spreadsheetId": SPREADSHEET,
        "totalUpdatedRows": total,
        "totalUpdatedColumns": total.min(2),
        "totalUpdatedCells": total,
        "totalUpdatedSheets": 1,
        "responses": []
    }))
}

fn append(state: &mut State, request: &Request, body: &Value) -> ResponseTemplate {
    let query: HashMap<String, String> = request.url.query_pairs().into_owned().collect();
    assert_eq!(
        query.get("valueInputOption").map(String::as_str),
        Some("RAW")
    );
    let rows: Vec<Vec<String>> = serde_json::from_value(body["values"].clone()).unwrap();
    let first = state.last_filled_row() + 1;
    for (i, row) in rows.iter().enumerate() {
        for (column, value) in row.iter().enumerate() {
            state.set(column, first + i, value.clone());
        }
    }
    let last = first + rows.len() - 1;
    state.appends.push(rows.clone());
    ResponseTemplate::new(200).set_body_json(json!({
        "spreadsheetId": SPREADSHEET,
        "tableRange": format!("{TAB}!A1:X{}", first - 1),
        "updates": {
            "spreadsheetId": SPREADSHEET,
            "updatedRange": format!("{TAB}!A{first}:X{last}"),
            "updatedRows": rows.len(),
            "updatedColumns": 24,
            "updatedCells": rows.len() * 24
        }
    }))
}
