//! The store's layers import each other one way only, and only the API layer knows HTTP: a file of a
//! layer names (`crate::x`) only the layers listed for it below, and no file outside `api/` names the
//! `http`, `bytes` or `logpipe_http` crates. Test code (files named `tests.rs`, `#[cfg(test)]` modules) is
//! left out: tests may look at a layer through the API. The compiler keeps crates apart; inside one crate
//! only a check like this one can.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Each layer and the layers it may use.
const ALLOWED: &[(&str, &[&str])] = &[
    ("wildcard", &[]),
    ("breaker", &[]),
    ("doc", &[]),
    ("index", &["doc", "wildcard"]),
    ("query", &["doc"]),
    ("bulk", &["doc", "index"]),
    ("search", &["doc", "index", "query", "wildcard", "breaker"]),
    (
        "api",
        &[
            "doc", "index", "query", "bulk", "search", "wildcard", "breaker",
        ],
    ),
    // The fuzz targets' entry points reach every layer, as a client does through the API.
    (
        "fuzzing",
        &[
            "api", "doc", "index", "query", "bulk", "search", "wildcard", "breaker",
        ],
    ),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without its tests and comments.
fn code(source: &str) -> Vec<&str> {
    source
        .lines()
        .take_while(|l| l.trim() != "#[cfg(test)]")
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect()
}

/// The layers a file names as `crate::layer`.
fn layers_named(lines: &[&str]) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for line in lines {
        for (at, _) in line.match_indices("crate::") {
            let name: String = line[at + "crate::".len()..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if !name.is_empty() {
                found.insert(name);
            }
        }
    }
    found
}

#[test]
fn layers_import_one_way_and_only_the_api_knows_http() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut wrong = Vec::new();
    for file in files.iter().filter(|f| !f.ends_with("tests.rs")) {
        let relative = file.strip_prefix(&src).expect("under src");
        let first = relative
            .components()
            .next()
            .map(|c| {
                c.as_os_str()
                    .to_string_lossy()
                    .trim_end_matches(".rs")
                    .to_string()
            })
            .unwrap_or_default();
        if first == "lib" {
            continue;
        }
        let Some((layer, allowed)) = ALLOWED.iter().find(|(l, _)| *l == first) else {
            wrong.push(format!(
                "{}: a layer the table does not list",
                relative.display()
            ));
            continue;
        };
        let source = std::fs::read_to_string(file).expect("read source");
        let lines = code(&source);
        for named in layers_named(&lines) {
            if named != *layer && !allowed.contains(&named.as_str()) {
                wrong.push(format!("{}: {layer} uses {named}", relative.display()));
            }
        }
        if *layer != "api" && *layer != "fuzzing" {
            for krate in ["http::", "bytes::", "logpipe_http"] {
                if lines.iter().any(|l| {
                    l.contains(krate)
                        && !l.contains(&format!("tiny_{krate}"))
                        && !l.contains("logpipe_http")
                }) {
                    wrong.push(format!("{}: {layer} names {krate}", relative.display()));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
