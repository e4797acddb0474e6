//! Google's service-account OAuth flow: a JWT signed with the key file's private key (RS256, by
//! `jsonwebtoken`) is exchanged at the key file's `token_uri` for an access token, which is
//! cached until shortly before it expires.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::SheetError;
use crate::accounts::GoogleCredentials;
use crate::domain::Secret;
use crate::outbound::{Call, FetchError, ProviderHttp};
use crate::secrets::StoredSecret;

/// Read and write access to the spreadsheets the service account is shared on.
pub const SHEETS_SCOPE: &str = "https://www.googleapis.com/auth/spreadsheets";

/// How long a signed assertion is valid (Google's maximum).
const ASSERTION_LIFETIME_SECS: i64 = 3600;

/// A token this close to its expiry is replaced before use.
const EXPIRY_MARGIN: Duration = Duration::from_secs(60);

/// Access tokens by service account, shared by every account of the process.
#[derive(Default)]
pub struct GoogleAuth {
    tokens: Mutex<HashMap<String, CachedToken>>,
}

impl std::fmt::Debug for GoogleAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GoogleAuth").finish_non_exhaustive()
    }
}

struct CachedToken {
    token: Secret,
    expires: Instant,
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    scope: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    expires_in: u64,
}

impl GoogleAuth {
    /// An access token for `credentials`: the cached one while it has more than a minute left,
    /// else a fresh one from the token endpoint.
    pub async fn token(
        &self,
        http: &ProviderHttp,
        credentials: &GoogleCredentials,
        deadline: Instant,
    ) -> Result<Secret, SheetError> {
        let key = cache_key(credentials);
        if let Some(cached) = self.lock().get(&key)
            && Instant::now() + EXPIRY_MARGIN < cached.expires
        {
            return Ok(cached.token.clone());
        }
        let assertion = sign_assertion(credentials, chrono::Utc::now().timestamp())?;
        let form = [
            ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
            ("assertion", assertion.as_str()),
        ];
        let call = Call {
            // Asking for a token twice is harmless.
            idempotent: true,
            ..Call::form_post(&credentials.token_uri, &form)
        };
        let sent_at = Instant::now();
        let body = http.send(&call, deadline).await?;
        let response: TokenResponse = serde_json::from_slice(&body)
            .map_err(|e| FetchError::Malformed(format!("the token endpoint's answer: {e}")))?;
        let token = Secret::new(response.access_token);
        self.lock().insert(
            key,
            CachedToken {
                token: token.clone(),
                expires: sent_at + Duration::from_secs(response.expires_in),
            },
        );
        Ok(token)
    }

    /// Drops the cached token, after Google refused it (revoked, or expired early).
    pub fn forget(&self, credentials: &GoogleCredentials) {
        self.lock().remove(&cache_key(credentials));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, CachedToken>> {
        // A panic while holding the lock cannot leave the map inconsistent.
        self.tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn cache_key(credentials: &GoogleCredentials) -> String {
    format!(
        "{}\n{}\n{}",
        credentials.client_email,
        credentials.private_key_id.as_deref().unwrap_or_default(),
        credentials.token_uri
    )
}

/// The JWT the token endpoint expects: RS256 over `{iss, scope, aud, iat, exp}`, with the key's
/// id in the header.
pub fn sign_assertion(credentials: &GoogleCredentials, now: i64) -> Result<String, SheetError> {
    let StoredSecret::Plain(private_key) = &credentials.private_key else {
        return Err(SheetError::Key(
            "the private key is still sealed: open it with the store's key ring first".into(),
        ));
    };
    let key = EncodingKey::from_rsa_pem(private_key.expose().as_bytes())
        .map_err(|e| SheetError::Key(e.to_string()))?;
    let mut header = Header::new(Algorithm::RS256);
    header.kid.clone_from(&credentials.private_key_id);
    let claims = Claims {
        iss: &credentials.client_email,
        scope: SHEETS_SCOPE,
        aud: &credentials.token_uri,
        iat: now,
        exp: now + ASSERTION_LIFETIME_SECS,
    };
    jsonwebtoken::encode(&header, &claims, &key).map_err(|e| SheetError::Key(e.to_string()))
}
