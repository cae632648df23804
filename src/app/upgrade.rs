//! `panteras app check --image 0.4.4 [--fix]`: each routing tag of the
//! plans' `SERVICE_TAGS` and `SERVICE_<port>_TAGS`, what it becomes on
//! PanteraS 0.4.4 ([`crate::upgrade::tags`]), and with `--fix` the new tags
//! added where the plan writes the value, the old ones kept.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use serde_json::Value;

use super::plan::Plan;
use crate::Ui;
use crate::output::{self, Mode};
use crate::render::RenderedFile;
use crate::upgrade::tags::advice;

/// One value to change: its file, line, the value as written and the new.
struct Change {
    file: PathBuf,
    line: usize,
    old: String,
    new: String,
}

/// Says what becomes of every routing tag; with `fix`, writes the plans.
pub fn tags(plans: &[Plan], fix: bool, ui: Ui) -> Result<()> {
    let mut out = std::io::stdout().lock();
    let mut changes = Vec::new();
    let mut unfixed = Vec::new();
    let mut said = 0;
    for plan in plans {
        let Some(env) = plan.app.get("env").and_then(Value::as_object) else {
            continue;
        };
        for (key, value) in env {
            let Some(port) = tags_key(key) else { continue };
            let Some(value) = value.as_str() else {
                continue;
            };
            let name_key = port.map_or("SERVICE_NAME".to_string(), |p| format!("SERVICE_{p}_NAME"));
            let name = env
                .get(&name_key)
                .or_else(|| env.get("SERVICE_NAME"))
                .and_then(Value::as_str);
            let spot = plan.spot(&format!("/env/{key}"));
            let old: Vec<&str> = value
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .collect();
            let mut added: Vec<String> = Vec::new();
            for tag in &old {
                let Some(advice) = advice(tag, name) else {
                    continue;
                };
                said += 1;
                let becomes = if advice.becomes.is_empty() {
                    "no tag".to_string()
                } else {
                    advice
                        .becomes
                        .iter()
                        .map(|t| format!("`{t}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                writeln!(
                    out,
                    "{spot}: env.{key}: `{tag}` -> {becomes}: {}",
                    advice.say
                )?;
                for tag in advice.becomes {
                    if !old.contains(&tag.as_str()) && !added.contains(&tag) {
                        added.push(tag);
                    }
                }
            }
            if added.is_empty() {
                continue;
            }
            let new = old
                .iter()
                .map(|t| t.to_string())
                .chain(added)
                .collect::<Vec<_>>()
                .join(",");
            if plan.service_block && key == "SERVICE_TAGS" {
                unfixed.push(format!(
                    "{spot}: the service: block writes SERVICE_TAGS; add to its `tags:` {}",
                    new.split(',')
                        .filter(|t| t.starts_with(crate::upgrade::tags::PREFIX))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
                continue;
            }
            changes.push(Change {
                file: PathBuf::from(&*spot.file),
                line: spot.line,
                old: value.to_string(),
                new,
            });
        }
    }
    if said == 0 {
        writeln!(
            out,
            "no routing tag of the 0.3 line's routers in {}",
            crate::plural(plans.len(), "plan")
        )?;
        return Ok(());
    }
    if !fix {
        writeln!(
            out,
            "{} to change in {} ({} can be added by --fix)",
            crate::plural(said, "tag"),
            crate::plural(plans.len(), "plan"),
            crate::plural(changes.len(), "value")
        )?;
        for line in &unfixed {
            writeln!(out, "{line}")?;
        }
        return Ok(());
    }
    write(&changes, &unfixed, ui)
}

/// `Some(port)` for `SERVICE_<port>_TAGS`, `Some(None)` for `SERVICE_TAGS`.
fn tags_key(key: &str) -> Option<Option<&str>> {
    if key == "SERVICE_TAGS" {
        return Some(None);
    }
    let port = key.strip_prefix("SERVICE_")?.strip_suffix("_TAGS")?;
    port.bytes()
        .all(|b| b.is_ascii_digit())
        .then_some(Some(port))
}

/// Writes every change, each file at once and only when each value is
/// found as written on its line; otherwise nothing is written.
fn write(changes: &[Change], unfixed: &[String], ui: Ui) -> Result<()> {
    let mut files: BTreeMap<&Path, Vec<&Change>> = BTreeMap::new();
    for change in changes {
        files.entry(&change.file).or_default().push(change);
    }
    let mut problems: Vec<String> = unfixed.to_vec();
    let mut rendered = Vec::new();
    for (path, changes) in files {
        let shown = path.display().to_string();
        let Some(text) = crate::layers::read_input(path, &shown)? else {
            problems.push(format!("{shown}: no such file"));
            continue;
        };
        let mut lines: Vec<String> = text.split_inclusive('\n').map(str::to_string).collect();
        for change in changes {
            let found = lines
                .get(change.line.saturating_sub(1))
                .map(|l| l.matches(&change.old).count());
            let plain = !change.old.contains(['"', '\\', '\'']);
            if found != Some(1) || !plain {
                problems.push(format!(
                    "{shown}:{}: the value {:?} is not written there as it is (a macro, an \
                     escape, or an overlay's): change it by hand to {:?}",
                    change.line, change.old, change.new
                ));
                continue;
            }
            let at = change.line - 1;
            lines[at] = lines[at].replacen(&change.old, &change.new, 1);
        }
        rendered.push((path.to_path_buf(), lines.concat()));
    }
    if !problems.is_empty() {
        bail!("{}\nnothing was written", problems.join("\n"));
    }
    for (path, text) in rendered {
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = path.file_name().map(PathBuf::from).unwrap_or_default();
        let mut printer: Box<dyn std::io::Write> = if ui.quiet {
            Box::new(std::io::sink())
        } else {
            Box::new(std::io::stderr().lock())
        };
        output::apply(
            dir,
            &[RenderedFile::new(name, text)],
            Mode::Write,
            &mut *printer,
        )?;
    }
    Ok(())
}
