//! The module graph of the root package has no cycles: each top-level module of `src/` imports others only
//! through `crate::name`, and following those imports never leads back to where it started. (The crates of
//! the workspace are kept apart by the compiler; inside one crate only a check like this one can.)
//!
//! Library code returns typed errors: no `Result<_, String>`, and `anyhow` only in the command entry points
//! (each list of exceptions below names the files still to convert).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

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

/// `crate::x` references of a file, comments left out.
fn references(source: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for line in source.lines().filter(|l| !l.trim_start().starts_with("//")) {
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

fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let module_of = |path: &Path| -> Option<String> {
        let relative = path.strip_prefix(&src).ok()?;
        let first = relative.components().next()?.as_os_str().to_string_lossy();
        let name = first.trim_end_matches(".rs").to_string();
        (name != "lib" && name != "main").then_some(name)
    };
    let modules: BTreeSet<String> = files.iter().filter_map(|f| module_of(f)).collect();
    for file in &files {
        let Some(module) = module_of(file) else {
            continue;
        };
        let source = std::fs::read_to_string(file).expect("read source");
        let targets: Vec<String> = references(&source)
            .into_iter()
            .filter(|t| *t != module && modules.contains(t))
            .collect();
        graph.entry(module).or_default().extend(targets);
    }
    graph
}

fn find_cycle(
    graph: &BTreeMap<String, BTreeSet<String>>,
    node: &str,
    path: &mut Vec<String>,
    done: &mut BTreeSet<String>,
) -> Option<Vec<String>> {
    if let Some(at) = path.iter().position(|p| p == node) {
        let mut cycle = path[at..].to_vec();
        cycle.push(node.to_string());
        return Some(cycle);
    }
    if done.contains(node) {
        return None;
    }
    path.push(node.to_string());
    for next in graph.get(node).into_iter().flatten() {
        if let Some(cycle) = find_cycle(graph, next, path, done) {
            return Some(cycle);
        }
    }
    path.pop();
    done.insert(node.to_string());
    None
}

#[test]
fn the_modules_of_the_root_package_import_each_other_without_cycles() {
    let graph = module_graph();
    assert!(
        graph.contains_key("agent") && graph.contains_key("tail"),
        "{graph:?}"
    );
    let mut done = BTreeSet::new();
    for module in graph.keys() {
        if let Some(cycle) = find_cycle(&graph, module, &mut Vec::new(), &mut done) {
            panic!("import cycle: {}", cycle.join(" → "));
        }
    }
}

#[test]
fn roles_do_not_import_each_other() {
    // `standalone` runs the console in its process, so it may use it; no other role reaches into another.
    let roles = ["agent", "transfer", "console", "standalone", "store"];
    let graph = module_graph();
    for role in roles {
        for target in graph.get(role).into_iter().flatten() {
            let allowed = role == "standalone" && target == "console";
            assert!(
                allowed || !roles.contains(&target.as_str()),
                "the {role} role imports the {target} role"
            );
        }
    }
}

/// Library source files of the workspace: `src/` of the root package and of each `crates/*`, without test
/// code (files named `tests.rs` / `*_tests.rs`, and everything from a file's first `#[cfg(test)]` on, where
/// this tree keeps its unit tests). Paths are relative to the workspace root.
fn library_sources() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut dirs = vec![root.join("src")];
    for entry in std::fs::read_dir(root.join("crates")).expect("read crates") {
        let src = entry.expect("entry").path().join("src");
        if src.is_dir() {
            dirs.push(src);
        }
    }
    let mut files = Vec::new();
    for dir in &dirs {
        rust_files(dir, &mut files);
    }
    files.sort();
    files
        .into_iter()
        .filter(|path| {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            name != "tests.rs" && !name.ends_with("_tests.rs")
        })
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("read source");
            let library = match text.find("#[cfg(test)]") {
                Some(at) => text[..at].to_string(),
                None => text,
            };
            let relative = path.strip_prefix(root).expect("under the root");
            (relative.to_string_lossy().into_owned(), library)
        })
        .collect()
}

/// Lines (from 1) where a `Result<…>` has `String` as its error type.
fn string_error_results(source: &str) -> Vec<usize> {
    let bytes = source.as_bytes();
    let mut found = Vec::new();
    for (start, _) in source.match_indices("Result<") {
        if start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_') {
            continue; // `IoResult<`, `my_Result<`: another type
        }
        let mut depth = 1;
        let mut argument = String::new();
        let mut arguments = Vec::new();
        for (i, &b) in bytes.iter().enumerate().skip(start + "Result<".len()) {
            match b {
                b'<' => depth += 1,
                b'>' if bytes[i - 1] != b'-' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                b',' if depth == 1 => {
                    arguments.push(std::mem::take(&mut argument));
                    continue;
                }
                _ => {}
            }
            argument.push(b as char);
        }
        arguments.push(argument);
        if arguments.len() == 2 && arguments[1].trim() == "String" {
            found.push(source[..start].matches('\n').count() + 1);
        }
    }
    found
}

/// Files still returning `Result<_, String>`, being converted (issue 17); remove each when it is done.
const STRING_ERRORS_LEFT: [&str; 0] = [];

#[test]
fn library_code_returns_typed_errors_not_strings() {
    assert_eq!(
        string_error_results("fn a() -> Result<Vec<u8>, String> {}\nfn b() -> io::Result<()>"),
        [1]
    );
    assert!(string_error_results("Result<HashMap<String, String>, E>").is_empty());
    let mut offenders = Vec::new();
    for (path, source) in library_sources() {
        if STRING_ERRORS_LEFT.contains(&path.as_str()) {
            continue;
        }
        for line in string_error_results(&source) {
            offenders.push(format!("{path}:{line}"));
        }
    }
    assert!(
        offenders.is_empty(),
        "library code returns Result<_, String>; give it a thiserror enum naming what went wrong: {offenders:?}"
    );
}

/// Where `anyhow` may be used: the binary and the command entry points, which report errors to a person.
const ANYHOW_EDGES: [&str; 9] = [
    "src/main.rs",
    "src/agent.rs",
    "src/transfer/mod.rs",
    "src/standalone/mod.rs",
    "src/store.rs",
    "src/check.rs",
    "src/import/mod.rs",
    "src/console/mod.rs",
    "src/console/http.rs",
];

#[test]
fn anyhow_is_used_only_at_the_edges() {
    let sources = library_sources();
    let mut offenders = Vec::new();
    for (path, source) in &sources {
        let allowed = ANYHOW_EDGES.contains(&path.as_str());
        let uses = source
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .any(|l| l.contains("anyhow"));
        if uses && !allowed {
            offenders.push(path.clone());
        }
    }
    assert!(
        offenders.is_empty(),
        "anyhow in library code (give it a thiserror enum; anyhow belongs to the command entry points): \
         {offenders:?}"
    );
    // The lists name files that exist: a renamed file is not silently allowed.
    for path in ANYHOW_EDGES.iter().chain(&STRING_ERRORS_LEFT) {
        assert!(
            sources.iter().any(|(p, _)| p == path),
            "{path} is listed but not a library source"
        );
    }
}
