//! A plan: one Marathon app definition in YAML or JSON, its `%%NAME%%`
//! macros filled in and an environment's overlay merged over it, held as
//! JSON with the file and line every value came from.
//!
//! Macros are filled in after the file is parsed, in the text of single
//! values only: each `%%NAME%%` is first swapped for a placeholder of
//! private-use characters, the YAML is read, then each value's placeholders
//! are replaced. Whatever a macro's value holds (quotes, newlines, `#`,
//! `: `, `%%`), it stays inside the one value it was written in.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use regex::Regex;
use serde_json::{Map, Number, Value};

use super::Findings;
use crate::yaml::{self, Node};

/// Opens and closes a macro's placeholder; plans may not hold them.
const OPEN: char = '\u{E000}';
const CLOSE: char = '\u{E001}';

/// Where a value of a plan came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spot {
    pub file: Rc<str>,
    pub line: usize,
}

impl std::fmt::Display for Spot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// A plan read, filled in and merged: the app definition as JSON (the
/// `service:` block still in it) and where each value came from, by JSON
/// pointer.
#[derive(Debug)]
pub struct Plan {
    /// The plan's file as it was named.
    pub file: PathBuf,
    pub app: Value,
    /// Whether SERVICE_NAME and SERVICE_TAGS came from a `service:` block.
    pub service_block: bool,
    /// The values of the macros the plan uses whose names say they are
    /// secrets (`%%DB_PASSWORD%%`): shown masked.
    pub secrets: Vec<String>,
    spots: BTreeMap<String, Spot>,
}

impl Plan {
    /// Where the value at `pointer` came from: its own line or, for a value
    /// the plan does not hold, the nearest enclosing one's.
    pub fn spot(&self, pointer: &str) -> Spot {
        let mut pointer = pointer;
        loop {
            if let Some(spot) = self.spots.get(pointer) {
                return spot.clone();
            }
            match pointer.rfind('/') {
                Some(at) => pointer = &pointer[..at],
                None => {
                    return Spot {
                        file: self.file.display().to_string().into(),
                        line: 1,
                    };
                }
            }
        }
    }

    /// Records that the value at `pointer` came from `spot`.
    pub fn set_spot(&mut self, pointer: &str, spot: Spot) {
        self.spots.insert(pointer.to_string(), spot);
    }

    /// The app's `id`, when it is a string.
    pub fn id(&self) -> Option<&str> {
        self.app.get("id").and_then(Value::as_str)
    }
}

/// The values macros take: the environment's, then `--set`'s over them.
/// The variables panteras reads Marathon's URL and credentials from are
/// never taken from the environment: a plan that names them would send
/// them to Marathon and print them with `render`.
pub struct Macros(HashMap<String, String>, Vec<String>);

/// The environment's variables that hold panteras' own credentials.
pub const CREDENTIALS: [&str; 3] = ["MARATHON_URL", "MARATHON_USER", "MARATHON_PASSWORD"];

impl Macros {
    pub fn new(env: impl IntoIterator<Item = (String, String)>, set: &[(String, String)]) -> Self {
        let mut withheld = Vec::new();
        let mut values: HashMap<String, String> = env
            .into_iter()
            .filter(|(k, _)| {
                let credential = CREDENTIALS.contains(&k.as_str());
                if credential {
                    withheld.push(k.clone());
                }
                !credential
            })
            .collect();
        values.extend(set.iter().cloned());
        withheld.retain(|k| !values.contains_key(k));
        Macros(values, withheld)
    }
}

/// A JSON pointer's field as a person reads it:
/// `/container/docker/portMappings/0/hostPort` is
/// `container.docker.portMappings[0].hostPort`.
pub fn field(pointer: &str) -> String {
    let mut out = String::new();
    for part in pointer.split('/').skip(1) {
        let part = part.replace("~1", "/").replace("~0", "~");
        if !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str(&format!("[{part}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&part);
        }
    }
    out
}

/// `key` as one step of a JSON pointer.
pub fn step(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// A macro as written in a file.
struct Use {
    name: String,
    line: usize,
    col: usize,
}

/// Reads the plan `path` and, with `env`, the overlay beside it, filling
/// in macros; what is wrong goes to `findings` (a plan that cannot be read
/// is `None`).
pub fn read(
    path: &Path,
    env: Option<&str>,
    macros: &Macros,
    findings: &mut Findings,
) -> Option<Plan> {
    let shown = path.display().to_string();
    let (mut app, mut spots, mut secrets) = document(path, None, &shown, macros, findings)?;
    if let Some(env) = env {
        match overlay(path, env) {
            Ok(Some(over)) => {
                let over_shown = over.display().to_string();
                let (value, over_spots, over_secrets) =
                    document(&over, None, &over_shown, macros, findings)?;
                secrets.extend(over_secrets);
                if !value.is_object() {
                    findings.error(
                        Spot {
                            file: over_shown.into(),
                            line: 1,
                        },
                        "",
                        format!("the overlay of --env {env} is not a map of fields"),
                        "write the fields that differ in this environment, as in the plan",
                    );
                    return None;
                }
                merge(&mut app, &mut spots, value, &over_spots, String::new());
            }
            Ok(None) => findings.warning(
                Spot {
                    file: shown.clone().into(),
                    line: 1,
                },
                "",
                format!(
                    "--env {env}: no {env}.yml, {env}.yaml or {env}.json beside the plan; \
                     it is deployed as it is"
                ),
                "write the overlay beside the plan, or leave --env out",
            ),
            Err(problem) => {
                findings.error(
                    Spot {
                        file: shown.into(),
                        line: 1,
                    },
                    "",
                    problem,
                    "keep one overlay per environment beside the plan",
                );
                return None;
            }
        }
    }
    plan_of(path, &shown, app, spots, secrets, findings)
}

/// The plan `path` whose text is `text` (read from the file otherwise
/// named), without an overlay.
pub fn read_text(
    path: &Path,
    text: &str,
    macros: &Macros,
    findings: &mut Findings,
) -> Option<Plan> {
    let shown = path.display().to_string();
    let (app, spots, secrets) = document(path, Some(text), &shown, macros, findings)?;
    plan_of(path, &shown, app, spots, secrets, findings)
}

/// The plan of `path` read as `app`, when it is a map of fields.
fn plan_of(
    path: &Path,
    shown: &str,
    app: Value,
    spots: Spots,
    secrets: Vec<String>,
    findings: &mut Findings,
) -> Option<Plan> {
    if !app.is_object() {
        findings.error(
            Spot {
                file: shown.into(),
                line: 1,
            },
            "",
            format!(
                "the plan is {}, not a Marathon app definition (a map of fields)",
                kind(&app)
            ),
            "write one app: id, container or cmd, cpus, mem, instances, ...",
        );
        return None;
    }
    Some(Plan {
        file: path.to_path_buf(),
        app,
        service_block: false,
        spots,
        secrets,
    })
}

/// The overlay file of `env` beside `plan`, if there is one.
fn overlay(plan: &Path, env: &str) -> Result<Option<PathBuf>, String> {
    let dir = plan.parent().unwrap_or(Path::new("."));
    let found: Vec<PathBuf> = ["yml", "yaml", "json"]
        .iter()
        .map(|ext| dir.join(format!("{env}.{ext}")))
        .filter(|candidate| candidate.is_file())
        .filter(|candidate| !same_file(candidate, plan))
        .collect();
    match found.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one.clone())),
        many => Err(format!(
            "--env {env}: {} overlays beside the plan ({}); which one is meant is unclear",
            many.len(),
            many.iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    matches!((a.canonicalize(), b.canonicalize()), (Ok(a), Ok(b)) if a == b)
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "empty",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a single value",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

type Spots = BTreeMap<String, Spot>;

/// One file as JSON with its spots; problems go to `findings`.
fn document(
    path: &Path,
    text: Option<&str>,
    shown: &str,
    macros: &Macros,
    findings: &mut Findings,
) -> Option<(Value, Spots, Vec<String>)> {
    let file: Rc<str> = shown.into();
    let at = |line| Spot {
        file: file.clone(),
        line,
    };
    let text = match text {
        Some(text) => Ok(Some(text.to_string())),
        None => crate::layers::read_input(path, shown),
    };
    let text = match text {
        Ok(Some(text)) => text,
        Ok(None) => {
            findings.error(
                at(0),
                "",
                "no such file".into(),
                "name an existing plan (YAML or JSON)",
            );
            return None;
        }
        Err(e) => {
            // The message names the file, and maybe a line: `FILE:LINE: ...`.
            let problem = format!("{e:#}");
            let rest = problem.strip_prefix(shown).unwrap_or(&problem);
            let (line, rest) = match rest.strip_prefix(':').and_then(|r| r.split_once(": ")) {
                Some((line, rest)) if line.parse::<usize>().is_ok() => {
                    (line.parse().unwrap_or(0), rest)
                }
                _ => (0, rest.trim_start_matches(": ")),
            };
            findings.error(
                at(line),
                "",
                rest.to_string(),
                "name a plan file on disk, in UTF-8",
            );
            return None;
        }
    };
    if let Some((line, c)) = text.lines().enumerate().find_map(|(n, l)| {
        l.chars()
            .find(|c| *c == OPEN || *c == CLOSE)
            .map(|c| (n + 1, c))
    }) {
        findings.error(
            at(line),
            "",
            format!(
                "the character U+{:04X} (private use) is not allowed in a plan",
                c as u32
            ),
            "remove it",
        );
        return None;
    }
    let (marked, uses) = mark(&text);
    let root = match yaml::document(&marked, "a plan") {
        Ok(Some(root)) => root,
        Ok(None) => {
            findings.error(
                at(1),
                "",
                "the file is empty".into(),
                "write one Marathon app definition",
            );
            return None;
        }
        Err((line, problem)) => {
            findings.error(
                at(line),
                "",
                format!("not YAML or JSON: {problem}"),
                "mend the syntax at that line",
            );
            return None;
        }
    };
    let mut reader = Reader {
        file: file.clone(),
        uses: &uses,
        macros,
        used: BTreeSet::new(),
        spots: Spots::new(),
        findings,
        broken: false,
        filled: 0,
    };
    let value = reader.value(&root, &mut String::new());
    let used = std::mem::take(&mut reader.used);
    let (spots, broken) = (std::mem::take(&mut reader.spots), reader.broken);
    let mut missing = false;
    let mut secrets = Vec::new();
    for index in used {
        let u = &uses[index];
        if let Some(value) = macros.0.get(&u.name).filter(|v| !v.is_empty())
            && secret_name(&u.name)
        {
            secrets.push(value.clone());
        }
        let withheld = macros.1.contains(&u.name);
        let problem = match macros.0.get(&u.name) {
            None if withheld => {
                "names the environment's credentials for Marathon, which a plan never takes"
            }
            None => "is not set",
            Some(value) if value.is_empty() => "is empty",
            Some(_) => continue,
        };
        missing = true;
        let fix = if withheld {
            format!(
                "give the app its own value with --set {}=VALUE, or another macro",
                u.name
            )
        } else {
            format!("set it in the environment or with --set {}=VALUE", u.name)
        };
        findings.error(
            Spot {
                file: file.clone(),
                line: u.line,
            },
            "",
            format!("column {}: the macro %%{}%% {problem}", u.col, u.name),
            &fix,
        );
    }
    (!missing && !broken).then_some((value, spots, secrets))
}

/// Whether a macro's name says its value is a secret.
pub use crate::params::secret_name;

/// The app as JSON text, with the values of its secret macros masked
/// unless `show` is given.
pub fn shown(plan: &Plan, show: bool) -> Result<String, serde_json::Error> {
    let mut text = serde_json::to_string_pretty(&plan.app)?;
    if !show {
        for secret in &plan.secrets {
            let escaped = serde_json::to_string(secret)?;
            let inner = &escaped[1..escaped.len() - 1];
            if !inner.is_empty() {
                text = text.replace(inner, "********");
            }
        }
    }
    Ok(text)
}

/// `text` with every `%%NAME%%` swapped for a placeholder, and the macros
/// in the order of their placeholders.
fn mark(text: &str) -> (String, Vec<Use>) {
    static MACRO: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let pattern = MACRO.get_or_init(|| Regex::new("%%([A-Za-z_][A-Za-z0-9_]*)%%").unwrap());
    let mut out = String::with_capacity(text.len());
    let mut uses = Vec::new();
    let (mut last, mut line, mut line_start) = (0, 1, 0);
    for found in pattern.captures_iter(text) {
        let whole = found.get(0).unwrap();
        let before = &text[last..whole.start()];
        for (offset, _) in before.match_indices('\n') {
            line += 1;
            line_start = last + offset + 1;
        }
        out.push_str(before);
        out.push(OPEN);
        out.push_str(&uses.len().to_string());
        out.push(CLOSE);
        uses.push(Use {
            name: found[1].to_string(),
            line,
            col: text[line_start..whole.start()].chars().count() + 1,
        });
        last = whole.end();
    }
    out.push_str(&text[last..]);
    (out, uses)
}

/// Turns a YAML tree into JSON, filling in macros and recording spots.
struct Reader<'a> {
    file: Rc<str>,
    uses: &'a [Use],
    macros: &'a Macros,
    used: BTreeSet<usize>,
    spots: Spots,
    findings: &'a mut Findings,
    broken: bool,
    /// Bytes the macros' values have added so far.
    filled: usize,
}

/// The most bytes macros may add to one plan: far more than any app
/// definition, far less than memory (Marathon stores each app in ZooKeeper,
/// whose nodes hold 1 MB).
const MOST_FILLED: usize = 16 * 1024 * 1024;

impl Reader<'_> {
    fn value(&mut self, node: &Node, pointer: &mut String) -> Value {
        self.spots.insert(
            pointer.clone(),
            Spot {
                file: self.file.clone(),
                line: node.line(),
            },
        );
        match node {
            Node::Scalar { text, plain, .. } => {
                let text = self.fill(text);
                if *plain {
                    typed(&text)
                } else {
                    Value::String(text)
                }
            }
            Node::List(items, _) => {
                let len = pointer.len();
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    pointer.push_str(&format!("/{i}"));
                    out.push(self.value(item, pointer));
                    pointer.truncate(len);
                }
                Value::Array(out)
            }
            Node::Map(pairs, _) => {
                let len = pointer.len();
                let mut out = Map::new();
                for (key, value) in pairs {
                    let Node::Scalar { text, .. } = key else {
                        self.broken = true;
                        self.findings.error(
                            Spot {
                                file: self.file.clone(),
                                line: key.line(),
                            },
                            &super::plan::field(pointer),
                            format!("a key is {}; keys are single values", key.what()),
                            "write the key as a plain name",
                        );
                        continue;
                    };
                    let key_text = self.fill(text);
                    pointer.push('/');
                    pointer.push_str(&step(&key_text));
                    if out.contains_key(&key_text) {
                        self.broken = true;
                        self.findings.error(
                            Spot {
                                file: self.file.clone(),
                                line: key.line(),
                            },
                            &field(pointer),
                            "given twice in one map".into(),
                            "keep one of them",
                        );
                    } else {
                        let v = self.value(value, pointer);
                        out.insert(key_text, v);
                    }
                    pointer.truncate(len);
                }
                Value::Object(out)
            }
        }
    }

    /// A single value's text with its placeholders replaced.
    fn fill(&mut self, text: &str) -> String {
        if !text.contains(OPEN) {
            return text.to_string();
        }
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find(OPEN) {
            out.push_str(&rest[..start]);
            let after = &rest[start + OPEN.len_utf8()..];
            let Some(end) = after.find(CLOSE) else {
                out.push_str(&rest[start..]);
                return out;
            };
            if let Some(index) = after[..end]
                .parse::<usize>()
                .ok()
                .filter(|i| *i < self.uses.len())
            {
                self.used.insert(index);
                if let Some(value) = self.macros.0.get(&self.uses[index].name) {
                    self.filled += value.len();
                    if self.filled > MOST_FILLED {
                        if !self.broken {
                            let u = &self.uses[index];
                            self.findings.error(
                                Spot {
                                    file: self.file.clone(),
                                    line: u.line,
                                },
                                "",
                                format!(
                                    "column {}: the macros' values add more than {} MiB to this plan",
                                    u.col,
                                    MOST_FILLED >> 20
                                ),
                                "give large values in a file the app fetches (uris), not in a macro",
                            );
                        }
                        self.broken = true;
                        return out;
                    }
                    out.push_str(value);
                }
            }
            rest = &after[end + CLOSE.len_utf8()..];
        }
        out.push_str(rest);
        out
    }
}

/// A plain scalar's JSON value by YAML 1.2's core schema: null, booleans,
/// integers (decimal, 0o, 0x) and finite floats; anything else a string.
fn typed(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    let negative = text.starts_with('-');
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(n) = text.trim_start_matches('+').parse::<i64>() {
            return Value::Number(n.into());
        }
        if let Some(n) = digits.parse::<u64>().ok().filter(|_| !negative) {
            return Value::Number(n.into());
        }
    }
    for (prefix, radix) in [("0o", 8), ("0x", 16)] {
        if let Some(rest) = text.strip_prefix(prefix)
            && let Ok(n) = i64::from_str_radix(rest, radix)
        {
            return Value::Number(n.into());
        }
    }
    if is_float(text)
        && let Some(n) = text.parse::<f64>().ok().and_then(Number::from_f64)
    {
        return Value::Number(n);
    }
    Value::String(text.to_string())
}

/// YAML 1.2's float form: `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`.
fn is_float(text: &str) -> bool {
    let text = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", fraction)) => digits(fraction),
        Some((whole, fraction)) => digits(whole) && (fraction.is_empty() || digits(fraction)),
        None => digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['-', '+']).unwrap_or(e)));
    mantissa_ok && exponent_ok
}

/// Merges `over` into `base` at `pointer`: maps key by key, anything else
/// (lists among them) replaced whole, with the spots to match.
fn merge(base: &mut Value, spots: &mut Spots, over: Value, over_spots: &Spots, pointer: String) {
    match (base, over) {
        (Value::Object(base), Value::Object(over)) => {
            for (key, value) in over {
                let below = format!("{pointer}/{}", step(&key));
                match base.get_mut(&key) {
                    Some(existing) => merge(existing, spots, value, over_spots, below),
                    None => {
                        take_spots(spots, over_spots, &below);
                        base.insert(key, value);
                    }
                }
            }
        }
        (base, over) => {
            let prefix = format!("{pointer}/");
            spots.retain(|key, _| key != &pointer && !key.starts_with(&prefix));
            take_spots(spots, over_spots, &pointer);
            *base = over;
        }
    }
}

/// Copies the spots of `pointer` and below from `from`.
fn take_spots(spots: &mut Spots, from: &Spots, pointer: &str) {
    let prefix = format!("{pointer}/");
    for (key, spot) in from.range(pointer.to_string()..) {
        if key != pointer && !key.starts_with(&prefix) {
            break;
        }
        spots.insert(key.clone(), spot.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_values_take_the_core_schema_types() {
        assert_eq!(typed("3"), Value::from(3));
        assert_eq!(typed("-3"), Value::from(-3));
        assert_eq!(typed("0x1A"), Value::from(26));
        assert_eq!(typed("0.1"), Value::from(0.1));
        assert_eq!(typed("1e3"), Value::from(1000.0));
        assert_eq!(typed(".5"), Value::from(0.5));
        assert_eq!(typed("true"), Value::Bool(true));
        assert_eq!(typed("~"), Value::Null);
        for text in ["yes", "1.2.3", ".inf", "0x", "1e", "--1", "1_000"] {
            assert_eq!(typed(text), Value::from(text), "{text}");
        }
    }

    #[test]
    fn macros_are_marked_with_their_line_and_column() {
        let (marked, uses) = mark("a: %%A%%\nb: x-%%B_2%%-%%A%%\n%%nope\n");
        assert_eq!(
            marked,
            "a: \u{E000}0\u{E001}\nb: x-\u{E000}1\u{E001}-\u{E000}2\u{E001}\n%%nope\n"
        );
        let at: Vec<(&str, usize, usize)> = uses
            .iter()
            .map(|u| (u.name.as_str(), u.line, u.col))
            .collect();
        assert_eq!(at, [("A", 1, 4), ("B_2", 2, 6), ("A", 2, 14)]);
    }

    #[test]
    fn fields_read_as_written() {
        assert_eq!(
            field("/container/docker/portMappings/0/hostPort"),
            "container.docker.portMappings[0].hostPort"
        );
        assert_eq!(field("/env/A~1B"), "env.A/B");
        assert_eq!(field(""), "");
    }
}
