//! The single-page app, embedded in the binary at build time from `console/dist/` (built by
//! `console/build.mjs` and committed, so `cargo build` needs no npm).
//!
//! Only the files listed here are served; any other path under `/` gets `index.html` (the app routes with
//! `#/...`, so this is just a friendly fallback), and unknown `/assets/...` paths are 404.

/// One embedded file.
pub struct Asset {
    pub path: &'static str,
    pub content_type: &'static str,
    pub bytes: &'static [u8],
}

macro_rules! asset {
    ($path:literal, $ctype:literal) => {
        Asset {
            path: $path,
            content_type: $ctype,
            bytes: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/console/dist", $path)),
        }
    };
}

/// Every file of `console/dist/`.
pub const ASSETS: &[Asset] = &[
    asset!("/index.html", "text/html; charset=utf-8"),
    asset!("/assets/app.js", "text/javascript; charset=utf-8"),
    asset!("/assets/api.js", "text/javascript; charset=utf-8"),
    asset!("/assets/dom.js", "text/javascript; charset=utf-8"),
    asset!("/assets/discover.js", "text/javascript; charset=utf-8"),
    asset!("/assets/collect.js", "text/javascript; charset=utf-8"),
    asset!("/assets/history.js", "text/javascript; charset=utf-8"),
    asset!("/assets/login.js", "text/javascript; charset=utf-8"),
    asset!("/assets/fleet.js", "text/javascript; charset=utf-8"),
    asset!("/assets/metrics.js", "text/javascript; charset=utf-8"),
    asset!("/assets/style.css", "text/css; charset=utf-8"),
    asset!(
        "/assets/uPlot.iife.min.js",
        "text/javascript; charset=utf-8"
    ),
    asset!("/assets/uPlot.min.css", "text/css; charset=utf-8"),
];

/// The asset served for `path` (`/` and unknown non-asset paths give `index.html`).
pub fn lookup(path: &str) -> Option<&'static Asset> {
    if let Some(asset) = ASSETS.iter().find(|a| a.path == path) {
        return Some(asset);
    }
    if path.starts_with("/assets/") || path.starts_with("/api/") {
        return None;
    }
    ASSETS.first()
}

/// Total bytes of the embedded assets (the page weight, uncompressed).
pub fn total_bytes() -> usize {
    ASSETS.iter().map(|a| a.bytes.len()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_is_the_fallback_and_assets_are_exact() {
        assert_eq!(lookup("/").map(|a| a.path), Some("/index.html"));
        assert_eq!(lookup("/discover").map(|a| a.path), Some("/index.html"));
        assert_eq!(
            lookup("/assets/app.js").map(|a| a.path),
            Some("/assets/app.js")
        );
        assert!(lookup("/assets/nope.js").is_none());
        assert!(total_bytes() > 10_000);
    }
}
