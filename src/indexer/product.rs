//! What answers at the Elasticsearch URL: `GET /` before the first `_bulk`, as Elastic's own clients do.
//!
//! Accepted: Elasticsearch from 7.10 (7.14 and later identify themselves with the `X-Elastic-Product:
//! Elasticsearch` header; 7.10–7.13 by their tagline and `build_flavor: default`), OpenSearch 1.x and 2.x
//! (`version.distribution: opensearch`), and logpipe's store (an ES 8 compatible answer whose `build_hash`
//! is `logpipe`). Anything else — an older Elasticsearch, an unknown product, a proxy's HTML page — is
//! refused with what was found, so the transfer never writes into something it does not understand.
//! Elasticsearch 8 and later (and the store) are then spoken to in 8.x compatibility mode.

use serde_json::Value;
use std::fmt;

/// A product the indexer can write to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Product {
    Elasticsearch { version: Version },
    OpenSearch { version: Version },
    LogpipeStore { version: Version },
}

/// `major.minor.patch` of a `version.number`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl Version {
    /// Parses `8.15.0`, `7.10.2-SNAPSHOT`, `2.11.1`.
    pub fn parse(text: &str) -> Option<Version> {
        let core = text.split(['-', '+']).next()?;
        let mut parts = core.split('.').map(|p| p.parse::<u32>().ok());
        let major = parts.next()??;
        let minor = parts.next().flatten().unwrap_or(0);
        let patch = parts.next().flatten().unwrap_or(0);
        Some(Version {
            major,
            minor,
            patch,
        })
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

impl fmt::Display for Product {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Product::Elasticsearch { version } => write!(f, "Elasticsearch {version}"),
            Product::OpenSearch { version } => write!(f, "OpenSearch {version}"),
            Product::LogpipeStore { version } => {
                write!(f, "logpipe store (Elasticsearch {version} compatible)")
            }
        }
    }
}

impl Product {
    /// The `compatible-with` major version to ask for, when the product understands it.
    pub fn compatible_with(&self) -> Option<u32> {
        match self {
            Product::Elasticsearch { version } | Product::LogpipeStore { version }
                if version.major >= 8 =>
            {
                Some(8)
            }
            _ => None,
        }
    }
}

/// Why the answer to `GET /` is not a product the indexer writes to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unsupported(pub String);

/// Identifies the product from the `X-Elastic-Product` header (if any) and the body of `GET /`.
pub fn identify(product_header: Option<&str>, body: &[u8]) -> Result<Product, Unsupported> {
    let root: Value = serde_json::from_slice(body).map_err(|_| {
        Unsupported(format!(
            "GET / did not answer JSON (is this Elasticsearch?): {}",
            String::from_utf8_lossy(&body[..body.len().min(200)])
        ))
    })?;
    let number = root["version"]["number"].as_str().unwrap_or_default();
    let version = Version::parse(number).ok_or_else(|| {
        Unsupported(format!(
            "GET / names no version.number (is this Elasticsearch?): {}",
            String::from_utf8_lossy(&body[..body.len().min(200)])
        ))
    })?;
    if root["version"]["distribution"].as_str() == Some("opensearch") {
        return if (1..=2).contains(&version.major) {
            Ok(Product::OpenSearch { version })
        } else {
            Err(Unsupported(format!(
                "OpenSearch {version} is not supported (1.x and 2.x are)"
            )))
        };
    }
    if root["version"]["build_hash"].as_str() == Some("logpipe") {
        return Ok(Product::LogpipeStore { version });
    }
    let minimum = Version {
        major: 7,
        minor: 10,
        patch: 0,
    };
    if version < minimum {
        return Err(Unsupported(format!(
            "Elasticsearch {version} is too old: 7.10 or later is needed"
        )));
    }
    let says_elasticsearch = product_header == Some("Elasticsearch");
    let old_style = version
        < Version {
            major: 7,
            minor: 14,
            patch: 0,
        }
        && root["tagline"].as_str() == Some("You Know, for Search")
        && root["version"]["build_flavor"].as_str() == Some("default");
    if says_elasticsearch || old_style {
        Ok(Product::Elasticsearch { version })
    } else {
        Err(Unsupported(format!(
            "the server at this URL is not Elasticsearch (no `X-Elastic-Product: Elasticsearch` header for \
             version {version}): refusing to write to an unknown product"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(number: &str, extra: &str) -> Vec<u8> {
        format!(
            r#"{{"name":"n","cluster_name":"c","version":{{"number":"{number}"{extra}}},"tagline":"You Know, for Search"}}"#
        )
        .into_bytes()
    }

    #[test]
    fn products_are_told_apart() {
        let es8 = identify(Some("Elasticsearch"), &root("8.15.0", "")).expect("es 8");
        assert_eq!(es8.to_string(), "Elasticsearch 8.15.0");
        assert_eq!(es8.compatible_with(), Some(8));
        let es7 = identify(None, &root("7.10.2", r#","build_flavor":"default""#))
            .expect("es 7.10 without the header");
        assert_eq!(es7.compatible_with(), None);
        let os = identify(None, &root("2.11.1", r#","distribution":"opensearch""#)).expect("os");
        assert!(matches!(os, Product::OpenSearch { .. }));
        let store = identify(
            Some("Elasticsearch"),
            &root("8.15.0", r#","build_hash":"logpipe""#),
        )
        .expect("store");
        assert!(store.to_string().starts_with("logpipe store"));
    }

    #[test]
    fn others_are_refused_saying_what_was_found() {
        let old = identify(Some("Elasticsearch"), &root("6.8.23", "")).unwrap_err();
        assert!(old.0.contains("6.8.23 is too old"), "{old}");
        let fake = identify(None, &root("8.15.0", "")).unwrap_err();
        assert!(fake.0.contains("not Elasticsearch"), "{fake}");
        let os3 = identify(None, &root("3.0.0", r#","distribution":"opensearch""#)).unwrap_err();
        assert!(os3.0.contains("OpenSearch 3.0.0"), "{os3}");
        let html = identify(None, b"<html>proxy</html>").unwrap_err();
        assert!(html.0.contains("not answer JSON"), "{html}");
        assert!(identify(Some("Elasticsearch"), br#"{"version":{}}"#).is_err());
    }
}
