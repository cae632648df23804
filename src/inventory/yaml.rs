//! The inventory's keys read from the YAML tree, every problem kept with
//! its line.

use crate::layers::Source as LayerSource;
pub(super) use crate::yaml::{Node, document};

/// The inventory's name, for pointing at lines.
pub(super) struct Source {
    pub(super) shown: String,
}

impl Source {
    /// The source of a value read at `line` of the inventory.
    pub(super) fn origin(&self, line: usize) -> LayerSource {
        LayerSource::File {
            path: self.shown.clone(),
            line,
        }
    }

    pub(super) fn at(&self, line: usize) -> String {
        format!("{}:{line}", self.shown)
    }
}

/// Every error of an inventory, each with its line.
pub(super) struct Problems<'a> {
    pub(super) source: &'a Source,
    pub(super) found: Vec<(usize, String)>,
}

impl Problems<'_> {
    pub(super) fn add(&mut self, line: usize, message: String) {
        self.found.push((line, message));
    }
}

/// The pairs of a map node, refusing duplicate keys and keys that are not
/// single values; a node that is not a map is refused as `what`.
pub(super) fn pairs<'n>(
    node: &'n Node,
    what: &str,
    problems: &mut Problems,
) -> Vec<(String, &'n Node, usize)> {
    let Node::Map(pairs, _) = node else {
        if node.text().is_some_and(|t| t.is_empty()) {
            return Vec::new();
        }
        problems.add(
            node.line(),
            format!("{what} must be a map, not {}", node.what()),
        );
        return Vec::new();
    };
    let mut out: Vec<(String, &Node, usize)> = Vec::new();
    for (key, value) in pairs {
        let Some(name) = key.text() else {
            problems.add(
                key.line(),
                format!("a key of {what} must be a single value"),
            );
            continue;
        };
        if let Some((_, _, first)) = out.iter().find(|(k, ..)| *k == name) {
            problems.add(
                key.line(),
                format!("{name} is given twice in {what} (first at line {first})"),
            );
            continue;
        }
        out.push((name, value, key.line()));
    }
    out
}
