//! `GET /dashboard` (SPEC §9): one self-contained page for the people the numbers are for. Its
//! HTML, stylesheet and script are hand-written, embedded in the binary, and served by the
//! metrics function (and so by `serve`) from three same-origin routes, under a Content-Security-
//! Policy that allows nothing inline and nothing from another origin. The page holds no data and
//! needs no key: it asks for the account's API key and calls `/metrics`, `/health`, `/explain`
//! and the action routes with it, as any other client does.

mod assets;

use std::collections::BTreeMap;

use http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderName, HeaderValue};
use http::{Method, header};

use crate::http::{ApiError, HttpResponse, error};

pub use assets::{Asset, VERSION};

/// The page's policy: its own script, stylesheet and API only; no inline code, no framing, no
/// form posted anywhere (the forms are handled by the script), no `<base>` rewriting.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// Answers `GET /dashboard`, `/dashboard/app.js` and `/dashboard/app.css`; `None` for any other
/// path, which is not the dashboard's.
pub fn handle(
    method: &Method,
    path: &str,
    query: &BTreeMap<String, String>,
) -> Option<HttpResponse> {
    let asset = Asset::for_path(path)?;
    if method != Method::GET {
        return Some(error(&ApiError::MethodNotAllowed {
            method: method.to_string(),
            path: path.to_owned(),
            allowed: "GET",
        }));
    }
    // The page names its assets with the build's version, so they may be kept for good; an
    // asset asked for under another version (a page from an older deploy) is not.
    let cache = match asset {
        Asset::Page => "no-cache",
        _ if query.get("v").map(String::as_str) == Some(VERSION.as_str()) => {
            "public, max-age=31536000, immutable"
        }
        _ => "no-cache",
    };
    let mut response = http::Response::new(asset.body().to_owned());
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(asset.content_type()));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    for (name, value) in [
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ),
    ] {
        headers.insert(name, value);
    }
    Some(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(path: &str, query: &[(&str, &str)]) -> HttpResponse {
        let query = query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        handle(&Method::GET, path, &query).expect("a dashboard path")
    }

    #[test]
    fn serves_the_page_and_its_assets_under_the_policy() {
        for (path, kind) in [
            ("/dashboard", "text/html"),
            ("/dashboard/app.js", "text/javascript"),
            ("/dashboard/app.css", "text/css"),
        ] {
            let response = get(path, &[]);
            assert_eq!(response.status(), 200, "{path}");
            let headers = response.headers();
            assert!(
                headers[CONTENT_TYPE]
                    .to_str()
                    .unwrap_or("")
                    .starts_with(kind)
            );
            assert_eq!(
                headers[header::CONTENT_SECURITY_POLICY],
                CONTENT_SECURITY_POLICY
            );
            assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
            assert_eq!(headers[header::REFERRER_POLICY], "no-referrer");
        }
    }

    #[test]
    fn the_page_names_its_versioned_assets_which_are_cached_for_good() {
        let page = get("/dashboard", &[]);
        assert_eq!(page.headers()[CACHE_CONTROL], "no-cache");
        let script = format!("dashboard/app.js?v={}", VERSION.as_str());
        assert!(page.body().contains(&script), "{}", page.body());
        let current = get("/dashboard/app.js", &[("v", VERSION.as_str())]);
        assert!(
            current.headers()[CACHE_CONTROL]
                .to_str()
                .is_ok_and(|c| c.contains("immutable"))
        );
        let other = get("/dashboard/app.css", &[("v", "old")]);
        assert_eq!(other.headers()[CACHE_CONTROL], "no-cache");
    }

    #[test]
    fn nothing_inline_and_nothing_from_another_origin() {
        let page = get("/dashboard", &[]);
        let html = page.body();
        assert!(!html.contains("<style"), "inline style");
        assert!(!html.contains(" style="), "inline style attribute");
        assert!(!html.contains("<script>"), "inline script");
        assert!(!html.contains("http://") && !html.contains("https://"));
        let script = get("/dashboard/app.js", &[]);
        assert!(!script.body().contains("innerHTML"), "markup from strings");
        let script = script.body().replace("http://www.w3.org/2000/svg", "");
        assert!(!script.contains("http://") && !script.contains("https://"));
    }

    #[test]
    fn other_paths_are_not_the_dashboards_and_other_methods_are_refused() {
        let none = BTreeMap::new();
        assert!(handle(&Method::GET, "/metrics", &none).is_none());
        assert!(handle(&Method::GET, "/dashboard/other.js", &none).is_none());
        let post = handle(&Method::POST, "/dashboard", &none).expect("a dashboard path");
        assert_eq!(post.status(), 405);
    }
}
