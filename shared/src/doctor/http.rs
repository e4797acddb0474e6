//! `GET /health` on the sync function (SPEC §11): the doctor's report on the API key's account,
//! 200 whatever the checks say. Authenticated like `/metrics`, `?account_id=` naming another
//! account included.

use std::collections::BTreeMap;
use std::time::Instant;

use http::header::{CACHE_CONTROL, HeaderValue};
use http::{HeaderMap, Method};

use super::{DoctorOptions, run_doctor};
use crate::http::{HttpResponse, error, json, read_account};
use crate::store::Store;
use crate::sync::SyncService;

impl<S: Store + ?Sized> SyncService<S> {
    /// Answers `GET /health`; `query` holds the first value of each query parameter.
    pub async fn handle_health(
        &self,
        method: &Method,
        headers: &HeaderMap,
        query: &BTreeMap<String, String>,
    ) -> HttpResponse {
        let started = Instant::now();
        let account = match read_account(&*self.store, method, "/health", headers, query).await {
            Ok(account) => account,
            Err(e) => return error(&e),
        };
        let report = run_doctor(self, &account, &DoctorOptions::default()).await;
        tracing::info!(
            account = %account.id,
            failed = report.failed(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "health"
        );
        let mut response = json(200, &report);
        response
            .headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}
