//! The modules resolve in one direction: no module reaches, through the
//! modules it names, back to itself (the variable table, the daemon
//! builders and the settings once imported each other in a circle).

use std::collections::{BTreeMap, BTreeSet};

/// Each module of src/ (a file, or a folder of files) with the modules it
/// names (`crate::NAME`).
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph = BTreeMap::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if matches!(name.as_str(), "lib" | "main") {
            continue;
        }
        // A folder module is all of its Rust files, at any depth.
        let files: Vec<std::path::PathBuf> = rust_files(&path);
        // Unit tests (at the end of a file) may use anything.
        let text: String = files
            .iter()
            .map(|file| {
                let text = std::fs::read_to_string(file).unwrap();
                text.split("#[cfg(test)]").next().unwrap_or("").to_string()
            })
            .collect();
        let text = text.as_str();
        let mut named = BTreeSet::new();
        for (at, _) in text.match_indices("crate::") {
            let rest = &text[at + "crate::".len()..];
            let module: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !module.is_empty() && module != name {
                named.insert(module);
            }
        }
        // `use crate::{a, b}` names several.
        for (at, _) in text.match_indices("use crate::{") {
            let rest = &text[at + "use crate::{".len()..];
            let list = &rest[..rest.find('}').unwrap_or(0)];
            for item in list.split(',') {
                let module = item.trim().split("::").next().unwrap_or("").to_string();
                if !module.is_empty() && module != name {
                    named.insert(module);
                }
            }
        }
        graph.insert(name, named);
    }
    graph
}

/// The Rust files of `path`: itself, or those of the folder and below.
fn rust_files(path: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
    found.sort();
    found
}

#[test]
fn no_module_reaches_back_to_itself() {
    let graph = graph();
    assert!(graph.contains_key("settings") && graph["vars"].contains("scope"));
    for start in graph.keys() {
        let mut stack: Vec<Vec<String>> = vec![vec![start.clone()]];
        while let Some(path) = stack.pop() {
            let last = path.last().unwrap();
            for next in graph.get(last).into_iter().flatten() {
                assert_ne!(next, start, "a circle: {} -> {next}", path.join(" -> "));
                if !path.contains(next) {
                    let mut longer = path.clone();
                    longer.push(next.clone());
                    stack.push(longer);
                }
            }
        }
    }
}

#[test]
fn no_source_file_grows_past_800_lines() {
    // A file that grows past that becomes a folder of its concepts.
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = rust_files(&src);
    assert!(files.len() > 20, "{files:?}");
    for path in files {
        let lines = std::fs::read_to_string(&path).unwrap().lines().count();
        assert!(lines <= 800, "{}: {lines} lines", path.display());
    }
}
