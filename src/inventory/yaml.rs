//! The inventory's YAML read as a tree of nodes, each with the line it
//! starts on and each scalar with its source text; anchors, aliases and
//! second documents refused; every problem kept with its line.

use yaml_rust2::parser::Event;
use yaml_rust2::scanner::TScalarStyle;

use crate::layers::Source as LayerSource;

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

/// A node of the YAML document with the line it starts on. Scalars keep
/// their source text (`1.10` stays `1.10`, `0x1A` stays `0x1A`).
#[derive(Debug)]
pub(super) enum Node {
    Scalar {
        text: String,
        plain: bool,
        line: usize,
    },
    List(Vec<Node>, usize),
    Map(Vec<(Node, Node)>, usize),
}

impl Node {
    pub(super) fn line(&self) -> usize {
        match self {
            Node::Scalar { line, .. } | Node::List(_, line) | Node::Map(_, line) => *line,
        }
    }

    pub(super) fn what(&self) -> &'static str {
        match self {
            Node::Scalar { .. } => "a single value",
            Node::List(..) => "a list",
            Node::Map(..) => "a map",
        }
    }

    /// A scalar's text; a plain `~`, `null` or nothing is empty.
    pub(super) fn text(&self) -> Option<String> {
        match self {
            Node::Scalar { text, plain, .. } => Some(
                if *plain && matches!(text.as_str(), "~" | "null" | "Null" | "NULL" | "") {
                    String::new()
                } else {
                    text.clone()
                },
            ),
            _ => None,
        }
    }
}

/// How deep maps and lists may nest: an inventory needs four levels
/// (masters, an entry, its settings, a value); more is refused before it
/// can exhaust the stack.
const MAX_DEPTH: usize = 32;

/// The one document of `text` as a tree; anchors, aliases and more than
/// one document are refused (an inventory needs none of them, and an alias
/// can make a small file expand without bound).
pub(super) fn document(text: &str) -> Result<Option<Node>, (usize, String)> {
    let mut parser = yaml_rust2::parser::Parser::new_from_str(text);
    let mut stack: Vec<Node> = Vec::new();
    let mut root: Option<Node> = None;
    let mut documents = 0;
    loop {
        let (event, mark) = parser
            .next_token()
            .map_err(|e| (e.marker().line(), e.info().to_string()))?;
        let line = mark.line();
        if matches!(event, Event::SequenceStart(..) | Event::MappingStart(..))
            && stack.len() >= MAX_DEPTH
        {
            // The nodes built so far are flat enough to drop.
            return Err((
                line,
                format!(
                    "lists and maps nested more than {MAX_DEPTH} deep; an inventory needs four"
                ),
            ));
        }
        let node = match event {
            Event::StreamEnd => break,
            Event::DocumentStart => {
                documents += 1;
                if documents > 1 {
                    return Err((
                        line,
                        "more than one YAML document; an inventory is one".into(),
                    ));
                }
                continue;
            }
            Event::Alias(_) => {
                return Err((
                    line,
                    "aliases (*name) are not supported in an inventory".into(),
                ));
            }
            Event::Scalar(_, _, anchor, _)
            | Event::SequenceStart(anchor, _)
            | Event::MappingStart(anchor, _)
                if anchor != 0 =>
            {
                return Err((
                    line,
                    "anchors (&name) are not supported in an inventory".into(),
                ));
            }
            Event::Scalar(text, style, _, _) => Node::Scalar {
                text,
                plain: style == TScalarStyle::Plain,
                line,
            },
            Event::SequenceStart(..) => {
                stack.push(Node::List(Vec::new(), line));
                continue;
            }
            Event::MappingStart(..) => {
                stack.push(Node::Map(Vec::new(), line));
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(node) => node,
                None => continue,
            },
            _ => continue,
        };
        match stack.last_mut() {
            Some(Node::List(items, _)) => items.push(node),
            // A map collects keys and values in turn: a key waits as a
            // pair with a placeholder until its value comes.
            Some(Node::Map(pairs, _)) => match pairs.last_mut() {
                Some((_, value @ Node::Scalar { line: 0, .. })) => *value = node,
                _ => pairs.push((
                    node,
                    Node::Scalar {
                        text: String::new(),
                        plain: true,
                        line: 0,
                    },
                )),
            },
            _ => root = Some(node),
        }
    }
    Ok(root)
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
