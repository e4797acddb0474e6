//! The dashboard's three files, embedded at build time. The script is written as a few files
//! (one concern each) and served as one, wrapped in a function so nothing leaks into the page's
//! global scope.

use std::sync::LazyLock;

use sha2::{Digest, Sha256};

const PAGE: &str = include_str!("assets/index.html");
const STYLE: &str = include_str!("assets/app.css");
const SCRIPT: &str = concat!(
    "(function () {\n'use strict';\n",
    include_str!("assets/js/dom.js"),
    include_str!("assets/js/api.js"),
    include_str!("assets/js/chart.js"),
    include_str!("assets/js/tables.js"),
    include_str!("assets/js/explain.js"),
    include_str!("assets/js/main.js"),
    "})();\n"
);

/// The build's assets, fingerprinted: the page asks for `app.js?v=VERSION`, so a browser never
/// mixes a new page with an old script.
pub static VERSION: LazyLock<String> = LazyLock::new(|| {
    let digest = Sha256::new()
        .chain_update(STYLE)
        .chain_update(SCRIPT)
        .finalize();
    hex::encode(&digest[..6])
});

static PAGE_VERSIONED: LazyLock<String> =
    LazyLock::new(|| PAGE.replace("{{version}}", VERSION.as_str()));

/// One of the dashboard's files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Asset {
    Page,
    Script,
    Style,
}

impl Asset {
    /// The file a request path names (API Gateway may put a stage before it).
    pub fn for_path(path: &str) -> Option<Self> {
        [
            ("/dashboard", Asset::Page),
            ("/dashboard/app.js", Asset::Script),
            ("/dashboard/app.css", Asset::Style),
        ]
        .into_iter()
        .find_map(|(suffix, asset)| path.ends_with(suffix).then_some(asset))
    }

    pub fn body(self) -> &'static str {
        match self {
            Asset::Page => PAGE_VERSIONED.as_str(),
            Asset::Script => SCRIPT,
            Asset::Style => STYLE,
        }
    }

    pub const fn content_type(self) -> &'static str {
        match self {
            Asset::Page => "text/html; charset=utf-8",
            Asset::Script => "text/javascript; charset=utf-8",
            Asset::Style => "text/css; charset=utf-8",
        }
    }
}
