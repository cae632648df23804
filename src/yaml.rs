//! YAML (and JSON, which it reads too) as a tree of nodes, each with the
//! line it starts on and each scalar with its source text and column;
//! anchors, aliases, second documents and deep nesting refused. Read with
//! yaml-rust2's events, pulled one by one, so that nothing recurses.

use yaml_rust2::parser::Event;
use yaml_rust2::scanner::TScalarStyle;

/// A node of the YAML document with the line it starts on. Scalars keep
/// their source text (`1.10` stays `1.10`, `0x1A` stays `0x1A`).
#[derive(Debug)]
pub enum Node {
    Scalar {
        text: String,
        plain: bool,
        line: usize,
        /// The column (from 1) the scalar's text starts at, past a quote.
        col: usize,
    },
    List(Vec<Node>, usize),
    Map(Vec<(Node, Node)>, usize),
}

impl Node {
    pub fn line(&self) -> usize {
        match self {
            Node::Scalar { line, .. } | Node::List(_, line) | Node::Map(_, line) => *line,
        }
    }

    pub fn what(&self) -> &'static str {
        match self {
            Node::Scalar { .. } => "a single value",
            Node::List(..) => "a list",
            Node::Map(..) => "a map",
        }
    }

    /// A scalar's text; a plain `~`, `null` or nothing is empty.
    pub fn text(&self) -> Option<String> {
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

/// How deep maps and lists may nest: an inventory needs four levels, an app
/// plan seven or so; more is refused before it can exhaust the stack.
const MAX_DEPTH: usize = 32;

/// The one document of `text` as a tree; anchors, aliases and more than
/// one document are refused (`what`, "an inventory" or "a plan", needs none
/// of them, and an alias can make a small file expand without bound).
pub fn document(text: &str, what: &str) -> Result<Option<Node>, (usize, String)> {
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
                format!("lists and maps nested more than {MAX_DEPTH} deep; {what} needs far fewer"),
            ));
        }
        let node = match event {
            Event::StreamEnd => break,
            Event::DocumentStart => {
                documents += 1;
                if documents > 1 {
                    return Err((line, format!("more than one YAML document; {what} is one")));
                }
                continue;
            }
            Event::Alias(_) => {
                return Err((line, format!("aliases (*name) are not supported in {what}")));
            }
            Event::Scalar(_, _, anchor, _)
            | Event::SequenceStart(anchor, _)
            | Event::MappingStart(anchor, _)
                if anchor != 0 =>
            {
                return Err((line, format!("anchors (&name) are not supported in {what}")));
            }
            Event::Scalar(text, style, _, _) => Node::Scalar {
                text,
                plain: style == TScalarStyle::Plain,
                line,
                col: mark.col() + 1 + usize::from(style != TScalarStyle::Plain),
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
                        col: 0,
                    },
                )),
            },
            _ => root = Some(node),
        }
    }
    Ok(root)
}
