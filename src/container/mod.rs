//! What changes for the container: two compose files compared by what
//! their service gives it (image, settings, environment key by key,
//! volumes, ports, labels), whatever the format of either, so that moving a
//! host from `generate_yml.sh`'s file to panteras' can be reviewed before
//! `docker compose up -d` instead of as a rewrite of every line.

pub mod compose;
pub mod deliberate;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use compose::Service;

/// The changes from `old` to `new` as `--diff` shows them for
/// `docker-compose.yml`, or `None` when either is not a compose file.
pub fn diff(old: &str, new: &str) -> Option<String> {
    let (old, new) = (compose::read(old).ok()?, compose::read(new).ok()?);
    let mut out = String::from("--- docker-compose.yml: what the container gets\n");
    if old.name != new.name {
        let _ = writeln!(out, "  service: {} -> {}", old.name, new.name);
    }
    let mut same = Vec::new();
    let mut changed = old.name != new.name;
    let keys: BTreeSet<&String> = old.settings.keys().chain(new.settings.keys()).collect();
    for key in keys {
        match (old.settings.get(key), new.settings.get(key)) {
            (Some(a), Some(b)) if a == b => same.push(key.as_str()),
            (a, b) => {
                changed = true;
                let _ = writeln!(out, "  {key}: {} -> {}", shown(a), shown(b));
            }
        }
    }
    changed |= environment(&old, &new, &mut out);
    let lists: BTreeSet<&String> = old.lists.keys().chain(new.lists.keys()).collect();
    for key in lists {
        let empty = Vec::new();
        let (a, b) = (
            old.lists.get(key).unwrap_or(&empty),
            new.lists.get(key).unwrap_or(&empty),
        );
        if a == b {
            same.push(key.as_str());
            continue;
        }
        changed = true;
        let _ = writeln!(out, "  {key}:");
        for gone in a.iter().filter(|v| !b.contains(v)) {
            let _ = writeln!(out, "    - {gone}");
        }
        for added in b.iter().filter(|v| !a.contains(v)) {
            let _ = writeln!(out, "    + {added}");
        }
    }
    if old.labels == new.labels {
        if !old.labels.is_empty() {
            same.push("labels");
        }
    } else {
        changed = true;
        let _ = writeln!(out, "  labels:");
        changes(&old.labels, &new.labels, &mut out);
    }
    if !same.is_empty() {
        let _ = writeln!(out, "  unchanged: {}", same.join(", "));
    }
    if !changed {
        out.push_str("  the container gets the same; only the file's text changes\n");
    }
    Some(out)
}

fn shown(value: Option<&String>) -> String {
    value.map_or("(none)".into(), |v| format!("{v:?}"))
}

/// The environment key by key; values that differ only in their blanks
/// (the old script's double spaces) are counted apart, as the daemons get
/// the same words. Returns whether the container's environment changes.
fn environment(old: &Service, new: &Service, out: &mut String) -> bool {
    let (a, b) = (&old.environment, &new.environment);
    let same_words = |v: &str, w: &str| v.split_whitespace().eq(w.split_whitespace());
    let blanks: Vec<&str> = a
        .iter()
        .filter(|(k, v)| b.get(*k).is_some_and(|w| w != *v && same_words(v, w)))
        .map(|(k, _)| k.as_str())
        .collect();
    let unchanged = a.iter().filter(|(k, v)| b.get(*k) == Some(v)).count();
    let mut lines = String::new();
    let other = |x: &BTreeMap<String, String>| -> BTreeMap<String, String> {
        x.iter()
            .filter(|(k, _)| !blanks.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    changes(&other(a), &other(b), &mut lines);
    if lines.is_empty() && blanks.is_empty() {
        if !a.is_empty() {
            let _ = writeln!(out, "  environment: unchanged ({unchanged} variables)");
        }
        return false;
    }
    let _ = writeln!(out, "  environment:");
    out.push_str(&lines);
    if !blanks.is_empty() {
        let _ = writeln!(
            out,
            "    = {} differ in blanks only, the same words: {}",
            blanks.len(),
            blanks.join(", ")
        );
    }
    if unchanged > 0 {
        let _ = writeln!(out, "    = {unchanged} unchanged");
    }
    true
}

/// `- KEY: old`, `~ KEY: old -> new` and `+ KEY: new` lines.
fn changes(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>, out: &mut String) {
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for key in keys {
        let _ = match (a.get(key), b.get(key)) {
            (Some(x), Some(y)) if x == y => Ok(()),
            (Some(x), Some(y)) => writeln!(out, "    ~ {key}: {x:?} -> {y:?}"),
            (Some(x), None) => writeln!(out, "    - {key}: {x:?}"),
            (None, Some(y)) => writeln!(out, "    + {key}: {y:?}"),
            (None, None) => Ok(()),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_container_in_another_format_shows_as_the_same() {
        let v1 = "panteras:\n  image: x:1\n  net: host\n  environment:\n    A: \"a  b\"\n";
        let spec = "services:\n  panteras:\n    image: \"x:1\"\n    network_mode: host\n    \
                    environment:\n      A: \"a b\"\n";
        let shown = diff(v1, spec).unwrap();
        assert_eq!(
            shown,
            "--- docker-compose.yml: what the container gets\n  environment:\n    \
             = 1 differ in blanks only, the same words: A\n  unchanged: image, network_mode\n"
        );
        let same = diff(spec, &format!("# a comment\n{spec}")).unwrap();
        assert!(same.ends_with("the container gets the same; only the file's text changes\n"));
    }

    #[test]
    fn every_kind_of_change_is_named() {
        let old = "panteras:\n  image: x:1\n  restart: \"no\"\n  ports: [\"8500:8500\"]\n  \
                   environment:\n    A: \"1\"\n    B: \"2\"\n  volumes: [\"/a:/a\"]\n";
        let new = "services:\n  panteras:\n    image: x:2\n    restart: \"no\"\n    \
                   expose: [\"8500\"]\n    environment:\n      A: \"1\"\n      C: \"3\"\n      \
                   B: \"4\"\n    volumes: [\"/a:/a\", \"./g:/g:ro\"]\n    \
                   labels: {panteras.generated-digest: \"ab\"}\n";
        assert_eq!(
            diff(old, new).unwrap(),
            "--- docker-compose.yml: what the container gets\n  image: \"x:1\" -> \"x:2\"\n  \
             environment:\n    ~ B: \"2\" -> \"4\"\n    + C: \"3\"\n    = 1 unchanged\n  \
             expose:\n    + 8500\n  ports:\n    - 8500:8500\n  volumes:\n    + ./g:/g:ro\n  \
             labels:\n    + panteras.generated-digest: \"ab\"\n  unchanged: restart\n"
        );
        assert!(diff("not: [a, compose", new).is_none());
    }
}
