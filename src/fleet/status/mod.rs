//! `panteras status`: whether the container of a folder's
//! docker-compose.yml runs what the file names (its image, its environment,
//! its mounted files by their digest label), asked of the Docker Engine
//! through its API.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};

use crate::container::compose;
use crate::engine::{self, Engine};

mod diff;
mod tar;

pub use diff::{Differences, diff};

/// The label whose value changes with any mounted file.
const DIGEST: &str = "panteras.generated-digest";

/// What runs, against what the compose file names.
#[derive(Debug, PartialEq, Eq)]
pub enum State {
    UpToDate,
    /// `docker compose up -d` would recreate the container; each reason.
    NeedsUp(Vec<String>),
    /// The container does not run: how it stands.
    NotRunning(String),
    NoContainer,
}

impl State {
    /// The exit status of `panteras status`.
    pub fn code(&self) -> u8 {
        match self {
            State::UpToDate => 0,
            State::NeedsUp(_) => 3,
            State::NotRunning(_) => 4,
            State::NoContainer => 5,
        }
    }

    pub fn word(&self) -> &'static str {
        match self {
            State::UpToDate => "up-to-date",
            State::NeedsUp(_) => "needs-up",
            State::NotRunning(_) => "not-running",
            State::NoContainer => "no-container",
        }
    }
}

/// The answer for one folder.
#[derive(Debug)]
pub struct Report {
    pub project: String,
    pub service: String,
    pub container: Option<String>,
    pub state: State,
}

impl Report {
    /// One line per finding, without control characters.
    pub fn lines(&self) -> Vec<String> {
        self.raw_lines()
            .iter()
            .map(|l| crate::term::printable(l, 2000))
            .collect()
    }

    fn raw_lines(&self) -> Vec<String> {
        let who = match &self.container {
            Some(name) => format!(
                "{} (project {})",
                name.trim_start_matches('/'),
                self.project
            ),
            None => format!("project {}", self.project),
        };
        match &self.state {
            State::UpToDate => vec![format!(
                "{who}: up to date: it runs the image, environment and mounted files the compose file names"
            )],
            State::NeedsUp(reasons) => reasons
                .iter()
                .map(|why| format!("{who}: needs `docker compose up -d`: {why}"))
                .collect(),
            State::NotRunning(how) => vec![format!("{who}: not running: {how}")],
            State::NoContainer => vec![format!(
                "{who}: no container of service {}: run `docker compose up -d` in the folder",
                self.service
            )],
        }
    }

    pub fn json(&self) -> serde_json::Value {
        let reasons = match &self.state {
            State::NeedsUp(reasons) => reasons.clone(),
            State::NotRunning(how) => vec![how.clone()],
            _ => Vec::new(),
        };
        serde_json::json!({
            "project": self.project,
            "service": self.service,
            "container": self.container.as_deref().map(|n| n.trim_start_matches('/')),
            "state": self.state.word(),
            "reasons": reasons,
            "exit_code": self.state.code(),
        })
    }
}

/// The compose project of `dir`: `project` when given, else Compose's own
/// choice (the folder's name, lower case, letters, digits, `_` and `-`).
pub fn project_name(dir: &Path, project: Option<&str>) -> Result<String> {
    if let Some(name) = project.filter(|p| !p.is_empty()) {
        return Ok(name.to_string());
    }
    let dir = dir
        .canonicalize()
        .with_context(|| format!("cannot read {}", dir.display()))?;
    let base = dir
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let name: String = base
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-'))
        .collect();
    let name = name.trim_start_matches(['_', '-']).to_string();
    if name.is_empty() {
        return Err(anyhow!(
            "{}: Compose takes the project's name from the folder's, which has no letter or digit; give --project",
            dir.display()
        ));
    }
    Ok(name)
}

/// Asks the Docker Engine about the container of `dir`'s compose file.
pub fn status(dir: &Path, project: Option<&str>) -> Result<Report> {
    let path = dir.join("docker-compose.yml");
    let shown = path.display().to_string();
    let text = crate::layers::read_input(&path, &shown)?.with_context(|| {
        format!("{shown}: no such file; panteras status reads the compose file of --dir")
    })?;
    let service = compose::read(&text).map_err(|why| anyhow!("{shown}: {why}"))?;
    let project = project_name(dir, project)?;
    let env_file = read_env_file(&dir.join("restricted/env"));
    let engine = Engine::from_env(TOTAL, MOST_ANSWER).map_err(|e| engine_error(&e, None))?;
    ask(&engine, service, project, env_file).map_err(|e| engine_error(&e, Some(&engine)))
}

/// How long `panteras status` may talk to the engine in all: a body that
/// trickles in must not hold the command.
const TOTAL: Duration = Duration::from_secs(30);

/// The most one answer of the engine may take; a container's inspection
/// is a few kilobytes.
const MOST_ANSWER: usize = 16 * 1024 * 1024;

/// `restricted/env` as Compose reads an env_file: `KEY=VALUE` lines,
/// comments and blank lines left out, quotes around a value taken off.
fn read_env_file(path: &Path) -> BTreeMap<String, String> {
    let shown = path.display().to_string();
    let text = crate::layers::read_input(path, &shown)
        .ok()
        .flatten()
        .unwrap_or_default();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| {
            let v = v.trim();
            let unquoted = ['"', '\'']
                .iter()
                .find_map(|q| v.strip_prefix(*q).and_then(|r| r.strip_suffix(*q)))
                .unwrap_or(v);
            (k.trim().to_string(), unquoted.to_string())
        })
        .collect()
}

fn engine_error(e: &engine::Error, engine: Option<&Engine>) -> anyhow::Error {
    use engine::Error as E;
    let host = match engine {
        Some(engine) => brief(engine.address()),
        None => brief(&std::env::var("DOCKER_HOST").unwrap_or_default()),
    };
    match e {
        E::Setup(why) => anyhow!("{}", brief(why)),
        E::Late(limit) => anyhow!(
            "the Docker Engine at {host} did not answer within {} s in all; nothing is known of \
             the container",
            limit.as_secs()
        ),
        E::Unreadable(why) => anyhow!(
            "the Docker Engine at {host} answered what panteras cannot read (a state or field it \
             does not know): {}",
            brief(why)
        ),
        E::TooLarge(most) => anyhow!(
            "the Docker Engine at {host} answered more than panteras reads ({} MiB); nothing is \
             known of the container",
            most / (1024 * 1024)
        ),
        E::Answered { status, message } => anyhow!(
            "the Docker Engine at {host} answered {status}: {}",
            brief(message)
        ),
        E::Unreachable(why) => anyhow!(
            "the Docker Engine at {host} cannot be reached: {}\n  fix: start dockerd, or set \
             DOCKER_HOST to where it listens",
            brief(why)
        ),
    }
}

/// An engine's words as one printable line of at most 300 characters.
fn brief(text: &str) -> String {
    let line = crate::term::printable(text, 300);
    if line.ends_with("...") && text.chars().count() > 300 {
        format!("{line} ({} bytes in all)", text.len())
    } else {
        line
    }
}

/// What panteras reads of the engine's answers.
mod answers {
    use std::collections::BTreeMap;

    use serde::Deserialize;

    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    pub struct Listed {
        pub id: String,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    pub struct Container {
        pub id: Option<String>,
        pub name: Option<String>,
        pub image: Option<String>,
        pub state: Option<State>,
        pub config: Option<Config>,
        pub mounts: Option<Vec<Mount>>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    pub struct Mount {
        pub source: Option<String>,
        pub destination: Option<String>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    pub struct State {
        pub status: Option<String>,
        pub running: Option<bool>,
        pub exit_code: Option<i64>,
    }

    #[derive(Deserialize, Default)]
    #[serde(rename_all = "PascalCase")]
    pub struct Config {
        pub image: Option<String>,
        pub env: Option<Vec<String>>,
        pub labels: Option<BTreeMap<String, String>>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    pub struct Image {
        pub id: Option<String>,
        pub config: Option<Config>,
    }
}

/// How a container that does not run stands, or `None` when it runs.
fn not_running(state: Option<answers::State>) -> Result<Option<String>, engine::Error> {
    let Some(state) = state else {
        return Err(engine::Error::Unreadable(
            "a container without a state".to_string(),
        ));
    };
    let code = state.exit_code.unwrap_or(0);
    Ok(match state.status.as_deref() {
        Some("running") if state.running != Some(false) => None,
        None if state.running == Some(true) => None,
        Some("exited") => Some(format!("exited with code {code}")),
        Some("restarting") => Some(format!(
            "restarting (last exit code {code}); see `docker compose logs`"
        )),
        Some(how @ ("created" | "paused" | "removing" | "dead")) => Some(how.to_string()),
        Some(other) => {
            return Err(engine::Error::Unreadable(format!(
                "a container state named {other:?}"
            )));
        }
        None => Some(format!(
            "in no state the engine names (running: {:?})",
            state.running
        )),
    })
}

/// The container Compose made for `service` of `project`, inspected.
fn find(
    engine: &Engine,
    project: &str,
    service: &str,
) -> Result<Option<answers::Container>, engine::Error> {
    engine.get_bytes("/_ping")?;
    let filters = serde_json::json!({
        "label": [
            format!("com.docker.compose.project={project}"),
            format!("com.docker.compose.service={service}"),
        ],
    });
    let found: Vec<answers::Listed> = engine.get(&format!(
        "/containers/json?all=1&filters={}",
        engine::escaped(&filters.to_string(), "")
    ))?;
    let Some(id) = found.first().map(|c| c.id.clone()) else {
        return Ok(None);
    };
    let mut inspected: answers::Container =
        engine.get(&format!("/containers/{}/json", engine::escaped(&id, "")))?;
    inspected.id.get_or_insert(id);
    Ok(Some(inspected))
}

/// The environment of the image `image` names, when it is here.
fn image_env(engine: &Engine, image: &str) -> Result<Option<answers::Image>, engine::Error> {
    match engine.get::<answers::Image>(&format!("/images/{}/json", engine::escaped(image, "/:@"))) {
        Ok(image) => Ok(Some(image)),
        // Not pulled here: nothing to compare its environment with.
        Err(engine::Error::Answered { status: 404, .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

fn ask(
    engine: &Engine,
    service: compose::Service,
    project: String,
    env_file: BTreeMap<String, String>,
) -> Result<Report, engine::Error> {
    let mut report = Report {
        project,
        service: service.name.clone(),
        container: None,
        state: State::NoContainer,
    };
    let Some(inspected) = find(engine, &report.project, &service.name)? else {
        return Ok(report);
    };
    report.container = inspected.name.clone();
    if let Some(how) = not_running(inspected.state)? {
        report.state = State::NotRunning(how);
        return Ok(report);
    }
    let config = inspected.config.unwrap_or_default();
    let mut reasons = Vec::new();
    let wanted_image = service.settings.get("image").cloned().unwrap_or_default();
    let running_image = config.image.clone().unwrap_or_default();
    let image = image_env(engine, &wanted_image)?;
    let mut image_env = Vec::new();
    if let Some(image) = image {
        if running_image == wanted_image && image.id.is_some() && image.id != inspected.image {
            reasons.push(format!(
                "the image: {wanted_image} now names another image than the one the container runs"
            ));
        }
        image_env = image.config.and_then(|c| c.env).unwrap_or_default();
    }
    if running_image != wanted_image {
        reasons.push(format!(
            "the image: the file names {wanted_image}, the container runs {running_image}"
        ));
    }
    let mut wanted: BTreeMap<String, String> = pairs(&image_env);
    wanted.extend(env_file);
    wanted.extend(service.environment.clone());
    let have = pairs(&config.env.unwrap_or_default());
    // Names only: values may be passwords.
    let changed: Vec<&str> = wanted
        .iter()
        .filter(|(k, v)| have.get(*k).is_some_and(|h| h != *v))
        .map(|(k, _)| k.as_str())
        .collect();
    let added: Vec<&str> = wanted
        .keys()
        .filter(|k| !have.contains_key(*k))
        .map(String::as_str)
        .collect();
    let removed: Vec<&str> = have
        .keys()
        .filter(|k| !wanted.contains_key(*k))
        .map(String::as_str)
        .collect();
    for (what, names) in [("changed", changed), ("added", added), ("removed", removed)] {
        if !names.is_empty() {
            reasons.push(format!("the environment: {} {what}", names.join(", ")));
        }
    }
    let labels = config.labels.unwrap_or_default();
    match (service.labels.get(DIGEST), labels.get(DIGEST)) {
        (Some(ours), Some(theirs)) if ours != theirs => reasons.push(format!(
            "a mounted file under generated/ changed ({DIGEST} {ours}, the container has {theirs})"
        )),
        (Some(_), None) => reasons.push(format!(
            "the container has no {DIGEST} label (made from another compose file or by hand)"
        )),
        _ => {}
    }
    report.state = if reasons.is_empty() {
        State::UpToDate
    } else {
        State::NeedsUp(reasons)
    };
    Ok(report)
}

/// `KEY=VALUE` items as a map.
fn pairs(items: &[String]) -> BTreeMap<String, String> {
    items
        .iter()
        .map(|item| match item.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (item.clone(), String::new()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_project_is_named_as_compose_names_it() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("My.Host-1_x");
        std::fs::create_dir(&folder).unwrap();
        assert_eq!(project_name(&folder, None).unwrap(), "myhost-1_x");
        assert_eq!(project_name(&folder, Some("given")).unwrap(), "given");
        let odd = dir.path().join("__--");
        std::fs::create_dir(&odd).unwrap();
        assert!(project_name(&odd, None).is_err());
    }

    #[test]
    fn the_env_file_reads_as_compose_reads_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("env");
        std::fs::write(&path, "# note\nA=1\n\nB=\"two words\"\nC='x'\n").unwrap();
        let read = read_env_file(&path);
        assert_eq!(read["A"], "1");
        assert_eq!(read["B"], "two words");
        assert_eq!(read["C"], "x");
        assert_eq!(read.len(), 3);
    }

    #[test]
    fn docker_strings_are_printed_without_control_characters() {
        let report = Report {
            project: "p".into(),
            service: "panteras".into(),
            container: Some("/x\u{1b}]0;owned\u{7}y".into()),
            state: State::NotRunning("exited\r\nfake line".into()),
        };
        let lines = report.lines();
        assert_eq!(lines.len(), 1);
        assert!(!lines[0].chars().any(char::is_control), "{lines:?}");
        assert!(lines[0].contains("x?]0;owned?y"), "{lines:?}");
    }

    #[test]
    fn exit_codes_tell_the_states_apart() {
        let codes: Vec<u8> = [
            State::UpToDate,
            State::NeedsUp(vec![]),
            State::NotRunning(String::new()),
            State::NoContainer,
        ]
        .iter()
        .map(State::code)
        .collect();
        assert_eq!(codes, [0, 3, 4, 5]);
    }
}
