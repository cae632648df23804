//! The JSON marathon_deploy 0.1.55 sends, built as it builds it: the plan
//! with its macros, `env` numbers as text, the environment's overlay merged
//! its way (lists joined, nulls kept out), `-f`, `-r`, the
//! `MARATHON_DEPLOY_*` variables, `APPLICATION_NAME` and `ENVIRONMENT`, and
//! the resource caps outside PRODUCTION. Where marathon_deploy reads a
//! plan otherwise than a YAML 1.2 reader does (YAML 1.1's octals, base 60,
//! `yes`/`no`; Ruby's backslashes in macro values), the plan is refused at
//! its line with the way to write it so both agree.

use std::path::{Path, PathBuf};

use regex::Regex;
use serde_json::{Map, Value};

use super::args::Args;
use crate::app::Findings;
use crate::app::plan::{self, Macros, Plan, Spot};

/// The environment when `-e` is not given.
pub const DEFAULT_ENVIRONMENT: &str = "PREPRODUCTION";

/// The environment in which no resource caps apply.
const PRODUCTION: &str = "PRODUCTION";

/// `instances`, `mem` and `cpus` outside PRODUCTION: (default, cap).
const CAPS: [(&str, f64, f64); 3] = [
    ("instances", 1.0, 5.0),
    ("mem", 256.0, 4096.0),
    ("cpus", 0.1, 0.5),
];

/// The plan to send, or `None` with the findings that say why not.
pub fn build(
    args: &Args,
    environment: &[(String, String)],
    macros: &Macros,
    findings: &mut Findings,
) -> Option<Plan> {
    let path = PathBuf::from(args.plan.as_deref().unwrap_or("deploy.yml"));
    let shown = path.display().to_string();
    let at = |line| Spot {
        file: shown.clone().into(),
        line,
    };
    let yaml = match path.extension().and_then(|e| e.to_str()) {
        Some("yml" | "yaml") => true,
        Some("json") => false,
        _ => {
            findings.error(
                at(0),
                "",
                "marathon_deploy reads plans named .yml, .yaml or .json".into(),
                "name the plan by its format",
            );
            return None;
        }
    };
    if !path.is_file() {
        findings.error(
            at(0),
            "",
            "no such file".into(),
            "name the plan, or run in the folder of deploy.yml",
        );
        return None;
    }
    let name = args
        .environment
        .as_deref()
        .unwrap_or(DEFAULT_ENVIRONMENT)
        .to_ascii_uppercase();
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        || name.starts_with('.')
    {
        findings.error(
            at(0),
            "",
            format!(
                "-e {}: not an environment's name",
                crate::term::printable(&name, 64)
            ),
            "write letters, digits, _, - and .",
        );
        return None;
    }
    let mut app = document(&path, yaml, environment, macros, findings)?;
    let overlay = [("yml", true), ("json", false)]
        .into_iter()
        .map(|(ext, yaml)| (path.with_file_name(format!("{name}.{ext}")), yaml))
        .find(|(p, _)| p.is_file());
    if let Some((over_path, over_yaml)) = overlay {
        let over = document(&over_path, over_yaml, environment, macros, findings)?;
        let base = std::mem::take(&mut app.app);
        app.app = merged(base, over.app);
        app.secrets.extend(over.secrets);
    }
    let caps_at = CAPS.map(|(key, ..)| app.spot(&format!("/{key}")));
    let object = app.app.as_object_mut()?;
    let id = match object.get("id") {
        Some(Value::String(id)) => id.clone(),
        Some(Value::Null) | None => {
            findings.error(
                at(1),
                "id",
                "missing: marathon_deploy needs the app's id".into(),
                "add id: /group/name",
            );
            return None;
        }
        Some(other) => other.to_string(),
    };
    let mut secrets = Vec::new();
    if args.force {
        env_of(object).insert(
            "UNIQUE_ID".into(),
            Value::String(format!("{id}_{}", random30())),
        );
    }
    for field in &args.remove {
        if field != "id" {
            object.remove(field);
        }
    }
    for (key, value) in environment {
        if let Some(rest) = key
            .strip_prefix("MARATHON_DEPLOY_")
            .filter(|r| !r.is_empty())
        {
            env_of(object).insert(rest.to_string(), Value::String(value.clone()));
            if plan::secret_name(rest) && !value.is_empty() {
                secrets.push(value.clone());
            }
        }
    }
    let env = env_of(object);
    env.insert("APPLICATION_NAME".into(), Value::String(id.clone()));
    env.insert("ENVIRONMENT".into(), Value::String(name.clone()));
    if name != PRODUCTION && !args.ignore_defaults {
        for ((key, default, cap), spot) in CAPS.into_iter().zip(caps_at) {
            let number = |n: f64| {
                if key == "cpus" {
                    serde_json::json!(n)
                } else {
                    serde_json::json!(n as i64)
                }
            };
            match object.get(key) {
                None | Some(Value::Null | Value::Bool(false)) => {
                    object.insert(key.into(), number(default));
                }
                Some(Value::Number(n)) if n.as_f64().is_some_and(|n| n > cap) => {
                    object.insert(key.into(), number(cap));
                }
                Some(Value::Number(_)) => {}
                Some(other) => {
                    findings.error(
                        spot,
                        key,
                        format!("{other} is not a number; outside PRODUCTION marathon_deploy caps it and stops"),
                        "write a number, or deploy with -e PRODUCTION or -i",
                    );
                    return None;
                }
            }
        }
    }
    app.secrets.extend(secrets);
    Some(app)
}

/// The app's `env`, made a map when it is not one.
fn env_of(object: &mut Map<String, Value>) -> &mut Map<String, Value> {
    if !object.get("env").is_some_and(Value::is_object) {
        object.insert("env".into(), Value::Object(Map::new()));
    }
    object
        .get_mut("env")
        .and_then(Value::as_object_mut)
        .expect("env is a map")
}

/// One file (the plan or its overlay) read as marathon_deploy reads it.
fn document(
    path: &Path,
    yaml: bool,
    environment: &[(String, String)],
    macros: &Macros,
    findings: &mut Findings,
) -> Option<Plan> {
    let shown = path.display().to_string();
    let text = match crate::layers::read_input(path, &shown) {
        Ok(Some(text)) => text,
        Ok(None) | Err(_) => {
            findings.error(
                Spot {
                    file: shown.into(),
                    line: 0,
                },
                "",
                "cannot be read".into(),
                "name a plan file on disk, in UTF-8",
            );
            return None;
        }
    };
    let before = findings.errors();
    macros_everywhere(&text, &shown, environment, findings);
    let text = if yaml {
        yaml_1_1(&text, &shown, findings);
        text
    } else {
        ruby_json(&text, &shown, environment, findings)
    };
    if findings.errors() > before {
        return None;
    }
    let mut plan = plan::read_text(path, &text, macros, findings)?;
    match plan.app.get_mut("env") {
        Some(Value::Object(env)) => {
            for value in env.values_mut() {
                if let Value::Number(n) = value {
                    *value = Value::String(ruby_number(n));
                }
            }
        }
        _ => {
            findings.error(
                Spot { file: shown.into(), line: 1 },
                "env",
                "missing or not a map: marathon_deploy stops on a plan or overlay without an env map".into(),
                "add env: {}",
            );
            return None;
        }
    }
    Some(plan)
}

/// Every `%%NAME%%` of the file, comments too, must be set and not empty,
/// and hold no backslash (which marathon_deploy reads as Ruby's
/// substitution does).
fn macros_everywhere(
    text: &str,
    shown: &str,
    environment: &[(String, String)],
    findings: &mut Findings,
) {
    static MACRO: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let pattern =
        MACRO.get_or_init(|| Regex::new("%%([A-Za-z0-9_]+)%%").expect("the pattern compiles"));
    let mut seen = std::collections::BTreeSet::new();
    for (n, line) in text.lines().enumerate() {
        for found in pattern.captures_iter(line) {
            let name = &found[1];
            if !seen.insert(name.to_string()) {
                continue;
            }
            let at = Spot {
                file: shown.into(),
                line: n + 1,
            };
            let value = environment
                .iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str());
            match value {
                None | Some("") => findings.error(
                    at,
                    "",
                    format!("the macro %%{name}%% is {} (marathon_deploy fills every macro of the file, comments too)", if value.is_none() { "not set" } else { "empty" }),
                    &format!("set {name} in the environment, or remove the macro"),
                ),
                Some(v) if v.contains('\\') => findings.error(
                    at,
                    "",
                    format!("the value of %%{name}%% holds a backslash, which marathon_deploy reads as Ruby's substitution (\\\\ is one backslash, \\0 the macro itself)"),
                    "give the value without backslashes, or write it into the plan",
                ),
                Some(_) => {}
            }
        }
    }
}

/// Plain YAML values that YAML 1.1 (marathon_deploy's reader) reads
/// otherwise than YAML 1.2 (panteras'): booleans `yes`/`no`/`on`/`off`,
/// octals `0644`, base 60 `03:30`, digits with `_` or `,`.
fn yaml_1_1(text: &str, shown: &str, findings: &mut Findings) {
    static PLAIN: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let plain = PLAIN.get_or_init(|| {
        Regex::new(r"^\s*(?:-\s+)?(?:[^#'\x22{}\[\]]+?:\s+|-\s+)?([^\s#'\x22][^#]*?)\s*(?:#.*)?$")
            .expect("the pattern compiles")
    });
    static ODD: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let odd = ODD.get_or_init(|| {
        Regex::new(r"^(?:(?i:yes|no|on|off)|[-+]?0[0-7]+|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?|[-+]?[0-9][0-9_,]*[_,][0-9_,]*)$").expect("the pattern compiles")
    });
    for (n, line) in text.lines().enumerate() {
        if line.trim_start().starts_with('#') {
            continue;
        }
        let Some(value) = plain.captures(line).and_then(|c| c.get(1)) else {
            continue;
        };
        let value = value.as_str();
        if !odd.is_match(value) {
            continue;
        }
        let meant = if value.eq_ignore_ascii_case("yes") || value.eq_ignore_ascii_case("on") {
            "true".to_string()
        } else if value.eq_ignore_ascii_case("no") || value.eq_ignore_ascii_case("off") {
            "false".to_string()
        } else {
            "the number it stands for".to_string()
        };
        findings.error(
            Spot { file: shown.into(), line: n + 1 },
            "",
            format!("{value}: marathon_deploy reads YAML 1.1, where this is not the text it reads as here (a boolean, an octal, a base-60 number or a number with separators)"),
            &format!("quote it (\"{value}\") for text, or write {meant}"),
        );
    }
}

/// A JSON plan as Ruby's json library reads it: `//` and `/* */` comments
/// taken out (as blanks, so lines keep their numbers), and, with its
/// macros filled as text, strict JSON (no trailing comma, no `#`, no
/// single quotes).
fn ruby_json(
    text: &str,
    shown: &str,
    environment: &[(String, String)],
    findings: &mut Findings,
) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match c {
                '\\' => out.extend(chars.next()),
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match (c, chars.peek()) {
            ('"', _) => {
                in_string = true;
                out.push(c);
            }
            ('/', Some('/')) => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                    out.push(' ');
                }
            }
            ('/', Some('*')) => {
                chars.next();
                out.push_str("  ");
                let mut last = ' ';
                for c in chars.by_ref() {
                    out.push(if c == '\n' { '\n' } else { ' ' });
                    if last == '*' && c == '/' {
                        break;
                    }
                    last = c;
                }
            }
            _ => out.push(c),
        }
    }
    let mut filled = out.clone();
    for (key, value) in environment {
        filled = filled.replace(&format!("%%{key}%%"), value);
    }
    if let Err(e) = serde_json::from_str::<serde_json::Value>(&filled) {
        findings.error(
            Spot {
                file: shown.into(),
                line: e.line(),
            },
            "",
            format!("not JSON as marathon_deploy reads it: {e}"),
            "mend the syntax at that line (no trailing commas, # comments or single quotes)",
        );
    }
    out
}

/// A number as Ruby writes it (`Integer#to_s`, `Float#to_s`).
fn ruby_number(n: &serde_json::Number) -> String {
    if n.is_i64() || n.is_u64() {
        return n.to_string();
    }
    let f = n.as_f64().unwrap_or(0.0);
    if f != 0.0 && (f.abs() >= 1e15 || f.abs() < 1e-4) {
        let text = format!("{f:e}");
        let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
        let mantissa = if mantissa.contains('.') {
            mantissa.to_string()
        } else {
            format!("{mantissa}.0")
        };
        let exponent: i32 = exponent.parse().unwrap_or(0);
        let sign = if exponent < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exponent.abs());
    }
    let text = format!("{f}");
    if text.contains('.') {
        text
    } else {
        format!("{text}.0")
    }
}

/// deep_merge's merge of an overlay into the plan: maps key by key, lists
/// joined without repeats, a scalar (or a value of another kind) replaces,
/// a null leaves the plan's value unless it is false or null.
fn merged(base: Value, over: Value) -> Value {
    match (base, over) {
        (Value::Object(mut base), Value::Object(over)) => {
            for (key, value) in over {
                let old = base.remove(&key);
                let new = match (old, value) {
                    (None, value) => unique(value),
                    (Some(old @ (Value::Null | Value::Bool(false))), Value::Null) => {
                        let _ = old;
                        Value::Null
                    }
                    (Some(old), Value::Null) => old,
                    (Some(old), value) => merged(old, value),
                };
                base.insert(key, new);
            }
            Value::Object(base)
        }
        (Value::Array(base), Value::Array(over)) => {
            let mut out: Vec<Value> = Vec::new();
            for item in base.into_iter().chain(over) {
                if !out.contains(&item) {
                    out.push(item);
                }
            }
            Value::Array(out)
        }
        (_, over) => over,
    }
}

/// A list without its repeated items (what deep_merge leaves of a list
/// only the overlay has).
fn unique(value: Value) -> Value {
    match value {
        Value::Array(items) => merged(Value::Array(Vec::new()), Value::Array(items)),
        other => other,
    }
}

/// 30 random letters and digits, as `-f` puts into UNIQUE_ID.
fn random30() -> String {
    use std::io::Read;
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut bytes = [0u8; 30];
    let read = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes));
    if read.is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (nanos >> (i % 16 * 8)) as u8 ^ (std::process::id() as u8).wrapping_add(i as u8);
        }
    }
    bytes
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_are_written_as_ruby_writes_them() {
        for (n, text) in [
            (json!(8080), "8080"),
            (json!(1.5), "1.5"),
            (json!(1.0), "1.0"),
            (json!(1e6), "1000000.0"),
            (json!(1e15), "1.0e+15"),
            (json!(0.00001), "1.0e-05"),
        ] {
            let Value::Number(n) = n else { unreachable!() };
            assert_eq!(ruby_number(&n), text);
        }
    }

    #[test]
    fn the_overlay_merges_as_deep_merge_does() {
        let base = json!({"a": {"x": 1, "y": [1, 2, 1]}, "l": ["--listen", "a", "--listen", "b"], "f": false, "k": 3, "s": "keep"});
        let over = json!({"a": {"y": [2, 3], "z": 0}, "l": ["--verbose"], "f": null, "k": null, "s": ["x"], "n": null, "m": [1, 1]});
        let got = merged(base, over);
        assert_eq!(
            got,
            json!({"a": {"x": 1, "y": [1, 2, 3], "z": 0}, "l": ["--listen", "a", "b", "--verbose"], "f": null, "k": 3, "s": ["x"], "n": null, "m": [1]})
        );
    }
}
