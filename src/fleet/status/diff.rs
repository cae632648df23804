//! `panteras status --diff`: what the running container has (its
//! environment, and the daemon files at the paths panteras mounts them,
//! read through the Engine API's archive endpoint) against what panteras
//! would give it, each difference said to be one of README's deliberate
//! changes or not.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{Result, anyhow};
use similar::TextDiff;

use super::{
    MOST_ANSWER, TOTAL, answers, engine_error, find, image_env, pairs, project_name, read_env_file,
};
use crate::container::{compose, deliberate};
use crate::engine::{self, Engine};
use crate::render::{self, RenderedFile};
use crate::settings::Settings;

/// What `status --diff` found for one folder.
pub struct Differences {
    pub lines: Vec<String>,
    /// Whether anything differs (or there is no container).
    pub any: bool,
    /// Whether there is a container to compare with.
    pub found: bool,
}

/// Where README says why panteras' daemon files differ from the image's.
const FILES_CHANGE: &str =
    "README, \"What runs in the container\": panteras' file replaces the image's own";

/// Compares the container of the compose project of `dir` with what
/// panteras renders for it: `files` (the whole host, its daemon files
/// included) from `settings`; with `image_files`, the container should
/// run the image's own daemon files.
pub fn diff(
    dir: &Path,
    project: Option<&str>,
    settings: &Settings,
    files: &[RenderedFile],
    image_files: bool,
) -> Result<Differences> {
    let compose_text = files
        .iter()
        .find(|f| f.path == Path::new("docker-compose.yml"))
        .map(|f| f.content.as_str())
        .ok_or_else(|| anyhow!("panteras rendered no docker-compose.yml"))?;
    let service = compose::read(compose_text).map_err(|why| anyhow!("the rendered file: {why}"))?;
    let project = project_name(dir, project)?;
    let env_file = read_env_file(&dir.join("restricted/env"));
    let engine = Engine::from_env(TOTAL, MOST_ANSWER).map_err(|e| engine_error(&e, None))?;
    let asked = Asked {
        engine: &engine,
        settings,
        files,
        image_files,
    };
    asked
        .compare(&service, &project, env_file)
        .map_err(|e| engine_error(&e, Some(&engine)))
}

struct Asked<'a> {
    engine: &'a Engine,
    settings: &'a Settings,
    files: &'a [RenderedFile],
    image_files: bool,
}

impl Asked<'_> {
    fn compare(
        &self,
        service: &compose::Service,
        project: &str,
        env_file: BTreeMap<String, String>,
    ) -> Result<Differences, engine::Error> {
        let Some(container) = find(self.engine, project, &service.name)? else {
            return Ok(Differences {
                lines: vec![format!(
                    "project {project}: no container of service {}: nothing runs to compare with",
                    service.name
                )],
                any: true,
                found: false,
            });
        };
        let name = container
            .name
            .as_deref()
            .unwrap_or_default()
            .trim_start_matches('/')
            .to_string();
        let mut lines = vec![format!(
            "{name} (project {project}) against what panteras gives it:"
        )];
        let config = container.config.as_ref();
        let running_image = config.and_then(|c| c.image.clone()).unwrap_or_default();
        let wanted_image = service.settings.get("image").cloned().unwrap_or_default();
        let mut any = false;
        if running_image != wanted_image {
            any = true;
            lines.push(format!(
                "  image: the container runs {running_image}, panteras names {wanted_image}"
            ));
        }
        let inside = container.mounts.iter().flatten();
        let inside = inside.filter_map(|m| m.destination.as_deref());
        let running_line = crate::line::of_container(&running_image, inside);
        let line = self.settings.line();
        if let Some(running) = running_line.filter(|l| l.name != line.name) {
            any = true;
            lines.push(format!(
                "  image line: the container was made for the {} line, panteras follows the {} \
                 line ({}): every daemon's files, users and data change (README, \"Moving to \
                 PanteraS 0.4.4\"); to keep the host as it runs, name its line \
                 (PANTERAS_IMAGE_TAG={} in restricted/host)",
                running.name,
                line.name,
                self.settings.get("PANTERAS_IMAGE_LINE").source,
                running.release
            ));
        }
        let image = image_env(self.engine, &wanted_image)?;
        let mut wanted = pairs(
            &image
                .and_then(|i| i.config)
                .and_then(|c| c.env)
                .unwrap_or_default(),
        );
        wanted.extend(env_file);
        wanted.extend(service.environment.clone());
        let have = pairs(&config.and_then(|c| c.env.clone()).unwrap_or_default());
        any |= self.environment(&have, &wanted, &mut lines);
        any |= self.files(&container, &mut lines)?;
        if !any {
            lines.push("  no difference".into());
        }
        Ok(Differences {
            lines: lines
                .iter()
                .flat_map(|l| {
                    l.lines()
                        .map(|l| crate::term::printable(l, 4000))
                        .collect::<Vec<_>>()
                })
                .collect(),
            any,
            found: true,
        })
    }

    /// The environment key by key; whether any differs.
    fn environment(
        &self,
        have: &BTreeMap<String, String>,
        wanted: &BTreeMap<String, String>,
        lines: &mut Vec<String>,
    ) -> bool {
        let keys: BTreeSet<&String> = have.keys().chain(wanted.keys()).collect();
        let (mut same, mut deliberate) = (0, 0);
        let mut found = Vec::new();
        for key in keys {
            let (a, b) = (
                have.get(key).map(String::as_str),
                wanted.get(key).map(String::as_str),
            );
            if a == b {
                same += 1;
                continue;
            }
            let why = match deliberate::explains(key, a, b, self.settings) {
                Some(why) => {
                    deliberate += 1;
                    why
                }
                None => "not a deliberate change of panteras'".into(),
            };
            let values = if [a, b]
                .iter()
                .flatten()
                .any(|v| crate::vars::holds_secret(key, v))
            {
                "(holds a secret: values not shown)".to_string()
            } else {
                format!("{} -> {}", shown(a), shown(b))
            };
            found.push(format!("    ~ {key}: {values} [{why}]"));
        }
        lines.push(format!(
            "  environment: {same} the same, {} differ, {deliberate} of them by deliberate \
             changes (the container's -> panteras')",
            found.len()
        ));
        let any = !found.is_empty();
        lines.extend(found);
        any
    }

    /// The daemon files at the paths panteras mounts them; whether any
    /// differs from what this step gives.
    fn files(
        &self,
        container: &answers::Container,
        lines: &mut Vec<String>,
    ) -> Result<bool, engine::Error> {
        let id = container.id.clone().unwrap_or_default();
        let mounts: BTreeMap<String, String> = container
            .mounts
            .iter()
            .flatten()
            .filter_map(|m| Some((m.destination.clone()?, m.source.clone().unwrap_or_default())))
            .collect();
        let mut any = false;
        for (generated, inside) in render::mounted_files(self.settings) {
            let mounted = mounts.get(inside);
            if self.image_files {
                if let Some(source) = mounted {
                    any = true;
                    lines.push(format!(
                        "  {inside}: mounted from {source}; the image-files step mounts nothing \
                         there (panteras generate --image-files, then docker compose up -d) \
                         [not a deliberate change of that step]"
                    ));
                } else {
                    lines.push(format!("  {inside}: the image's own, as this step gives"));
                }
                continue;
            }
            let Some(ours) = self.files.iter().find(|f| f.path == Path::new(&generated)) else {
                continue;
            };
            let theirs = self.file(&id, inside)?;
            let Some(theirs) = theirs else {
                any = true;
                lines.push(format!(
                    "  {inside}: the container has no such file; panteras mounts {generated} there"
                ));
                continue;
            };
            if theirs == ours.content {
                lines.push(format!("  {inside}: the same as {generated}"));
                continue;
            }
            any = true;
            let why = match mounted {
                None => format!("the image's own; {FILES_CHANGE} [deliberate]"),
                Some(source) => format!(
                    "mounted from {source}, which is not what panteras renders now (panteras \
                     generate, then docker compose up -d) [not a deliberate change of panteras']"
                ),
            };
            lines.push(format!("  {inside}: differs from {generated}: {why}"));
            if ours.secret {
                lines.push("    (holds a password: the lines are not shown)".into());
                continue;
            }
            let text = TextDiff::from_lines(theirs.as_str(), ours.content.as_str())
                .unified_diff()
                .header(
                    &format!("container:{inside}"),
                    &format!("panteras:{generated}"),
                )
                .to_string();
            lines.extend(text.lines().map(|l| format!("    {l}")));
        }
        Ok(any)
    }

    /// The text of the file at `path` in the container, `None` when it has
    /// none.
    fn file(&self, id: &str, path: &str) -> Result<Option<String>, engine::Error> {
        let asked = format!(
            "/containers/{}/archive?path={}",
            engine::escaped(id, ""),
            engine::escaped(path, "/")
        );
        let tar = match self.engine.get_bytes(&asked) {
            Ok(tar) => tar,
            Err(engine::Error::Answered { status: 404, .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        let bytes = super::tar::first_file(&tar)
            .map_err(|why| engine::Error::Unreadable(format!("the archive of {path}: {why}")))?;
        Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
    }
}

fn shown(value: Option<&str>) -> String {
    value.map_or_else(|| "(none)".into(), |v| format!("{v:?}"))
}
