//! `calcom_credentials`, `calendly_credentials` and `google_sheet`: one cheap authenticated call
//! each, with the sync's clients and pace. Cal.com: `GET /v2/me`; Calendly: `GET /users/me`
//! (its organization must be the account's); Google: the first row of the sheet's range.

use crate::accounts::SheetSettings;
use crate::domain::Provider;
use crate::outbound::{Call, FetchError};
use crate::providers::calcom::profile::{ME_PATH, parse_me};
use crate::sheets::SheetError;
use crate::store::Store;

use super::report::Finding;
use super::{Credential, Doctor, Who};

pub(super) async fn calcom<S: Store + ?Sized>(d: &Doctor<'_, S>) -> Finding {
    let key = Credential::of(Provider::Calcom);
    let Some(source) = d.service.calcom_source(d.account).await else {
        return not_configured(key);
    };
    let source = match source {
        Ok(source) => source,
        Err(e) => return d.unopened(&e),
    };
    let url = format!("{}{ME_PATH}", source.base.trim_end_matches('/'));
    let call = Call {
        pace: Some(&*source.pace),
        ..Call::get(&url, &[], &source.api_key)
    };
    let answer = source.http.send(&call, d.deadline).await;
    match answer.and_then(|body| Ok(parse_me(&body)?)) {
        Ok(me) => {
            let username = me.username.map(|name| format!(" ({name})"));
            Finding::ok(format!(
                "the API key works: Cal.com user {}{}",
                me.id,
                username.unwrap_or_default()
            ))
        }
        Err(e) => d.refused(key, "cannot check the API key", &e),
    }
}

pub(super) async fn calendly<S: Store + ?Sized>(d: &Doctor<'_, S>) -> Finding {
    let token = Credential::of(Provider::Calendly);
    let Some(source) = d.service.calendly_source(d.account).await else {
        return not_configured(token);
    };
    let organization = match source {
        Ok(source) => source.organization(d.deadline).await,
        Err(e) => return d.unopened(&e),
    };
    let organization = match organization {
        Ok(organization) => organization,
        Err(e) => return d.refused(token, "cannot check the token", &e),
    };
    match &d.account.calendly.organization {
        Some(set) if *set != organization => Finding::warn(
            format!(
                "the token works, but belongs to organization {organization}, not the \
                 account's {set}"
            ),
            format!(
                "set the token's organization with {}",
                d.command(
                    "accounts update",
                    &format!("--calendly-organization {organization}")
                )
            ),
        ),
        _ => Finding::ok(format!("the token works: organization {organization}")),
    }
}

fn not_configured(credential: Credential) -> Finding {
    let provider = credential.who.name();
    Finding::ok(format!(
        "not configured: no {provider} {}, so the hourly sync does not read {provider}",
        credential.name
    ))
}

/// The sheet's first row, read as the sync reads the whole range.
pub(super) async fn google_sheet<S: Store + ?Sized>(d: &Doctor<'_, S>) -> Finding {
    let Some(sheet) = &d.account.google_sheet else {
        return Finding::ok("not configured: no Google Sheet");
    };
    let (settings, credentials) = match d.service.open_sheet(d.account).await {
        None => {
            return Finding::warn(
                format!(
                    "sheet {} has no service account, so the sync leaves it alone",
                    sheet.spreadsheet_id
                ),
                format!(
                    "give it the service account's key file with {}",
                    d.command("accounts update", "--google-credentials KEY.json")
                ),
            );
        }
        Some(Err(e)) => return d.unopened(&e),
        Some(Ok(opened)) => opened,
    };
    let probe = SheetSettings {
        range: settings.range.first_row_only(),
        ..settings.clone()
    };
    let answer = d
        .service
        .sheets
        .read(&probe, &credentials, d.deadline)
        .await;
    let email = &credentials.client_email;
    let at = format!(
        "sheet {} ({})",
        settings.spreadsheet_id,
        settings.range.as_str()
    );
    match answer {
        Ok(_) => Finding::ok(format!("{at} is readable by {email}")),
        Err(SheetError::Google(e)) if !refused(&e) => {
            d.unreachable(Who::Google, &format!("cannot read {at}"), &e)
        }
        Err(e @ SheetError::Key(_)) => Finding::fail(
            format!("cannot read {at}: {e}"),
            format!(
                "give it a valid key file with {}",
                d.command("accounts update", "--google-credentials KEY.json")
            ),
        ),
        Err(e) => Finding::fail(
            format!("cannot read {at}: {e}"),
            format!(
                "share the sheet with {email} as an editor, and check its id with {}",
                d.command("accounts show", "")
            ),
        ),
    }
}

/// Google said no (a 4xx): retrying will not help.
fn refused(error: &FetchError) -> bool {
    matches!(error, FetchError::Unauthorized(..))
        || matches!(error, FetchError::Status(status, _) if (400..500).contains(status))
}
