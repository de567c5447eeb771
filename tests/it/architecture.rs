//! The module graph of the root package has no cycles: each top-level module of `src/` imports others only
//! through `crate::name`, and following those imports never leads back to where it started. (The crates of
//! the workspace are kept apart by the compiler; inside one crate only a check like this one can.)

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
