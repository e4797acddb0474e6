//! A lead's personal booking link (SPEC §7): the team's booking page, plus the lead id the
//! provider hands back with the booking, the campaign and source, and the lead's details as
//! prefill.

use url::Url;

use crate::accounts::LinkSettings;
use crate::domain::{Attribution, LeadField, Provider};
use crate::leads::Lead;

/// A booking page links are built from, and the provider it belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BookingPage {
    url: Url,
    provider: Provider,
}

/// Why a booking page cannot carry links.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BookingPageError {
    #[error("{0:?} is not a URL: {1}")]
    NotAUrl(String, url::ParseError),
    #[error("{0:?} is not a web page: it must start with https:// (or http://) and name a host")]
    NotWeb(String),
    #[error(
        "cannot tell the booking provider of {0}: pages on cal.com and calendly.com (and their subdomains) are recognised"
    )]
    UnknownProvider(String),
    #[error("manual bookings have no booking page")]
    Manual,
}

/// An absolute `https://` or `http://` URL with a host: what an account may keep as its
/// booking page.
pub fn web_url(raw: &str) -> Result<Url, BookingPageError> {
    let raw = raw.trim();
    let url = Url::parse(raw).map_err(|e| BookingPageError::NotAUrl(raw.to_owned(), e))?;
    let web =
        matches!(url.scheme(), "https" | "http") && url.host_str().is_some_and(|h| !h.is_empty());
    if !web {
        return Err(BookingPageError::NotWeb(raw.to_owned()));
    }
    Ok(url)
}

/// The provider a booking page's host belongs to: `cal.com`, `calendly.com` or a subdomain.
pub fn detect_provider(url: &Url) -> Option<Provider> {
    let host = url.host_str()?.trim_end_matches('.');
    let on = |domain: &str| {
        host == domain
            || host
                .strip_suffix(domain)
                .is_some_and(|sub| sub.ends_with('.'))
    };
    if on("cal.com") {
        Some(Provider::Calcom)
    } else if on("calendly.com") {
        Some(Provider::Calendly)
    } else {
        None
    }
}

impl BookingPage {
    /// A page from its URL; `provider` names it when the host does not (a self-hosted Cal.com),
    /// and wins over the host when given.
    pub fn parse(raw: &str, provider: Option<Provider>) -> Result<Self, BookingPageError> {
        let url = web_url(raw)?;
        let provider = match provider.or_else(|| detect_provider(&url)) {
            Some(Provider::Manual) => return Err(BookingPageError::Manual),
            Some(p) => p,
            None => {
                let host = url.host_str().unwrap_or_default().to_owned();
                return Err(BookingPageError::UnknownProvider(host));
            }
        };
        Ok(Self { url, provider })
    }

    /// The account's default page, when it keeps one.
    pub fn of_account(settings: &LinkSettings) -> Option<Result<Self, BookingPageError>> {
        let url = settings.booking_url.as_deref()?;
        Some(Self::parse(url, settings.booking_provider))
    }

    pub fn provider(&self) -> Provider {
        self.provider
    }

    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The lead's link. `attribution` overrides the lead's own campaign and source; the lead id
    /// goes in the field the account's bookings are read from. The page's own query parameters
    /// are kept, except those the link sets.
    pub fn link(&self, lead: &Lead, attribution: &Attribution, settings: &LinkSettings) -> String {
        let attribution = attribution.or(&lead.attribution);
        let field = settings
            .lead_field(self.provider)
            .unwrap_or(LeadField::BtLead);
        let calcom = self.provider == Provider::Calcom;
        let tracked = |key: &str| {
            if calcom {
                format!("metadata[{key}]")
            } else {
                key.to_owned()
            }
        };
        let mut params: Vec<(String, &str)> = vec![(tracked(field.as_str()), lead.id.as_str())];
        params.extend(
            [
                ("utm_campaign", attribution.campaign.as_deref()),
                ("utm_source", attribution.source.as_deref()),
            ]
            .into_iter()
            .filter_map(|(key, value)| Some((tracked(key), value?))),
        );
        let phone = lead.phone.as_ref().filter(|_| calcom).map(|p| p.as_str());
        params.extend(
            [
                ("name", lead.name.as_deref().map(str::trim)),
                ("email", lead.email.as_ref().map(|e| e.as_str())),
                ("attendeePhoneNumber", phone),
            ]
            .into_iter()
            .filter_map(|(key, value)| Some((key.to_owned(), value.filter(|v| !v.is_empty())?))),
        );
        let mut url = self.url.clone();
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(key, _)| params.iter().all(|(ours, _)| ours != key))
            .map(|(key, value)| (key.into_owned(), value.into_owned()))
            .collect();
        url.query_pairs_mut()
            .clear()
            .extend_pairs(kept)
            .extend_pairs(params);
        url.into()
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::domain::{Email, LeadId, Phone, Region};
    use crate::leads::LeadSource;

    fn lead() -> Lead {
        let mut lead = Lead::new(
            LeadId::parse("ld_01JTEST").unwrap(),
            LeadSource::Import,
            Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap(),
        );
        lead.name = Some("Jane & Joe = Doe".into());
        lead.email = Some(Email::parse("jane@example.com").unwrap());
        lead.phone = Some(Phone::parse("07700 123456", Region::GB).unwrap());
        lead.attribution = Attribution::new(Some("spring"), Some("linkedin"));
        lead
    }

    fn query(link: &str) -> Vec<(String, String)> {
        Url::parse(link)
            .unwrap()
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn calcom_subdomains_carry_the_lead_in_metadata_and_prefill_the_phone() {
        let page = BookingPage::parse("https://app.cal.com/acme/intro", None).unwrap();
        assert_eq!(page.provider(), Provider::Calcom);
        let link = page.link(&lead(), &Attribution::default(), &LinkSettings::default());
        assert!(
            link.starts_with("https://app.cal.com/acme/intro?"),
            "{link}"
        );
        assert_eq!(
            query(&link),
            pairs(&[
                ("metadata[bt_lead]", "ld_01JTEST"),
                ("metadata[utm_campaign]", "spring"),
                ("metadata[utm_source]", "linkedin"),
                ("name", "Jane & Joe = Doe"),
                ("email", "jane@example.com"),
                ("attendeePhoneNumber", "+447700123456"),
            ])
        );
        for host in ["https://cal.com/acme", "https://team.cal.com/x"] {
            assert_eq!(
                BookingPage::parse(host, None).unwrap().provider(),
                Provider::Calcom
            );
        }
    }

    #[test]
    fn values_are_url_encoded() {
        let page = BookingPage::parse("https://cal.com/acme/intro", None).unwrap();
        let given = Attribution::new(Some("Q2 push"), None);
        let link = page.link(&lead(), &given, &LinkSettings::default());
        assert!(link.contains("name=Jane+%26+Joe+%3D+Doe"), "{link}");
        assert!(
            link.contains("attendeePhoneNumber=%2B447700123456"),
            "{link}"
        );
        assert!(
            link.contains("metadata%5Butm_campaign%5D=Q2+push"),
            "{link}"
        );
        assert!(!link.contains(' '));
    }

    #[test]
    fn calendly_uses_the_accounts_lead_field_and_takes_no_phone() {
        let page = BookingPage::parse("https://calendly.com/acme/30min", None).unwrap();
        assert_eq!(page.provider(), Provider::Calendly);
        let given = Attribution::new(None, Some("email"));
        let default = page.link(&lead(), &given, &LinkSettings::default());
        assert_eq!(
            query(&default),
            pairs(&[
                ("utm_content", "ld_01JTEST"),
                ("utm_campaign", "spring"),
                ("utm_source", "email"),
                ("name", "Jane & Joe = Doe"),
                ("email", "jane@example.com"),
            ])
        );
        let settings = LinkSettings {
            calendly_lead_field: LeadField::SalesforceUuid,
            ..LinkSettings::default()
        };
        let chosen = page.link(&lead(), &given, &settings);
        assert_eq!(
            query(&chosen)[0],
            pairs(&[("salesforce_uuid", "ld_01JTEST")])[0]
        );
    }

    #[test]
    fn the_pages_own_parameters_are_kept_and_ours_replace_theirs() {
        let page = BookingPage::parse(
            "https://calendly.com/acme/30min?hide_gdpr_banner=1&utm_source=old#top",
            None,
        )
        .unwrap();
        let link = page.link(&lead(), &Attribution::default(), &LinkSettings::default());
        let q = query(&link);
        assert_eq!(q[0], pairs(&[("hide_gdpr_banner", "1")])[0]);
        let sources: Vec<_> = q.iter().filter(|(k, _)| k == "utm_source").collect();
        assert_eq!(sources.len(), 1);
        assert_eq!(sources[0].1, "linkedin");
        assert!(link.ends_with("#top"), "{link}");
    }

    #[test]
    fn self_hosted_calcom_needs_the_provider_and_unknown_hosts_are_refused() {
        let raw = "https://book.example.org/sales/intro";
        assert_eq!(
            BookingPage::parse(raw, None),
            Err(BookingPageError::UnknownProvider("book.example.org".into()))
        );
        let page = BookingPage::parse(raw, Some(Provider::Calcom)).unwrap();
        assert!(
            page.link(&lead(), &Attribution::default(), &LinkSettings::default())
                .contains("metadata%5Bbt_lead%5D=ld_01JTEST")
        );
        for lookalike in [
            "https://notcal.com/x",
            "https://calendly.com.evil.example/x",
        ] {
            assert!(BookingPage::parse(lookalike, None).is_err(), "{lookalike}");
        }
    }

    #[test]
    fn only_absolute_web_urls_are_pages() {
        for bad in [
            "cal.com/acme",
            "ftp://cal.com/acme",
            "mailto:a@cal.com",
            "",
            "https://",
        ] {
            assert!(web_url(bad).is_err(), "{bad}");
        }
        assert!(web_url(" http://localhost:3000/book ").is_ok());
    }

    #[test]
    fn a_lead_without_details_still_carries_its_id() {
        let bare = Lead::new(
            LeadId::parse("ld_2").unwrap(),
            LeadSource::Booking,
            Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap(),
        );
        let page = BookingPage::parse("https://cal.com/acme", None).unwrap();
        let link = page.link(&bare, &Attribution::default(), &LinkSettings::default());
        assert_eq!(link, "https://cal.com/acme?metadata%5Bbt_lead%5D=ld_2");
    }
}
