//! Rendering: settings in, the files of one host out, without touching the
//! disk. Derivations are done here, in Rust; the Tera templates under
//! `templates/` only lay the values out.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow, bail};
use tera::{Context, Delimiters, Kwargs, State, Tera};

use crate::line::DaemonFile;
use crate::settings::Settings;
use model::model;
pub use model::{environment, volumes};

mod model;

/// A file to write, relative to the output directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedFile {
    pub path: PathBuf,
    pub content: String,
    /// Written only when missing, never replaced (the compose env_file).
    pub keep_existing: bool,
    /// Holds a password: never readable by group or others.
    pub secret: bool,
    /// Replaced as the runner's own file (its owner and group), never
    /// writable by group or others: a playbook, which runs what it says.
    pub runner_owned: bool,
}

impl RenderedFile {
    /// A file that is rewritten whenever its content changes.
    pub fn new(path: impl Into<PathBuf>, content: String) -> RenderedFile {
        RenderedFile {
            path: path.into(),
            content,
            keep_existing: false,
            secret: false,
            runner_owned: false,
        }
    }

    /// The same file, marked as holding a secret when `secret`.
    pub fn secret_if(self, secret: bool) -> RenderedFile {
        RenderedFile { secret, ..self }
    }
}

/// The templates built into the binary, by the name a `--templates`
/// directory overrides them with. Names ending in `.ctmpl` are
/// consul-template files: Tera fills only their `[[ ]]` and `[% %]` parts,
/// so the `{{ }}` of consul-template stays as it is.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "docker-compose.yml",
        include_str!("../../templates/docker-compose.yml"),
    ),
    (
        "haproxy/haproxy.cfg",
        include_str!("../../templates/haproxy/haproxy.cfg"),
    ),
    (
        "haproxy/haproxy.cfg.ctmpl",
        include_str!("../../templates/haproxy/haproxy.cfg.ctmpl"),
    ),
    (
        "keepalived/keepalived.conf.ctmpl",
        include_str!("../../templates/keepalived/keepalived.conf.ctmpl"),
    ),
    (
        "supervisord/supervisord.conf",
        include_str!("../../templates/supervisord/supervisord.conf"),
    ),
    (
        "fabio/fabio.properties",
        include_str!("../../templates/fabio/fabio.properties"),
    ),
    (
        "fabio/fabio-0.4.properties",
        include_str!("../../templates/fabio/fabio-0.4.properties"),
    ),
    (
        "traefik/traefik.toml",
        include_str!("../../templates/traefik/traefik.toml"),
    ),
];

/// Every volume of the container: the host's own, then the read-only
/// mounts of the daemon files this host gets.
pub fn mounts(s: &Settings) -> Vec<String> {
    let mut mounts = volumes(s);
    for file in s.line().files.iter().filter(|g| (g.when)(s)) {
        mounts.push(format!("./{GENERATED_DIR}/{}:{}:ro", file.path, file.mount));
    }
    mounts
}

/// The daemon files this host gets from panteras: each file's path under
/// the output directory and where the container reads it.
pub fn mounted_files(s: &Settings) -> Vec<(String, &'static str)> {
    s.line()
        .files
        .iter()
        .filter(|g| (g.when)(s))
        .map(|g| (format!("{GENERATED_DIR}/{}", g.path), g.mount))
        .collect()
}

/// The directory of the daemon files, relative to the output directory.
pub const GENERATED_DIR: &str = "generated";

/// The templates, parsed once: the built-in ones, or the replacements in
/// an overrides directory. One renderer serves any number of hosts.
pub struct Renderer {
    plain: Arc<Tera>,
    ctmpl: Arc<Tera>,
    origins: Vec<(&'static str, String)>,
    /// Names of the templates replaced from `--templates`.
    replaced: Vec<&'static str>,
}

/// The longest a replaced template may take to render.
const RENDER_TIME: Duration = Duration::from_secs(10);
/// The largest file a template may render.
const RENDER_SIZE: usize = 16 * 1024 * 1024;

impl Renderer {
    /// Parses every template; one in `overrides`, when given, replaces the
    /// built-in one of the same name.
    pub fn new(overrides: Option<&Path>) -> Result<Renderer> {
        if let Some(dir) = overrides {
            check_overrides(dir)?;
        }
        let mut plain = engine(Delimiters::default())?;
        let mut ctmpl = engine(Delimiters {
            block_start: "[%".into(),
            block_end: "%]".into(),
            variable_start: "[[".into(),
            variable_end: "]]".into(),
            comment_start: "[#".into(),
            comment_end: "#]".into(),
        })?;
        let mut origins = Vec::new();
        let mut replaced = Vec::new();
        for (name, _) in TEMPLATES {
            let tera = if name.ends_with(".ctmpl") {
                &mut ctmpl
            } else {
                &mut plain
            };
            let (source, origin, from_dir) = template_source(name, overrides)?;
            tera.add_raw_template(name, &source)
                .map_err(|e| anyhow!("{origin}: {}", error_chain(&e)))?;
            origins.push((*name, origin));
            if from_dir {
                replaced.push(*name);
            }
        }
        Ok(Renderer {
            plain: Arc::new(plain),
            ctmpl: Arc::new(ctmpl),
            origins,
            replaced,
        })
    }

    /// Renders every file of a host: the compose file first, then the
    /// daemon files it mounts; with `image_files`, the compose file alone,
    /// which mounts none (the container runs the image's own files, as
    /// with generate_yml.sh).
    pub fn render(&self, settings: &Settings, image_files: bool) -> Result<Vec<RenderedFile>> {
        let generated: Vec<&DaemonFile> = settings
            .line()
            .files
            .iter()
            .filter(|g| !image_files && (g.when)(settings))
            .collect();
        let model = model(settings, &generated);
        let mut context = Context::from_serialize(&model)
            .map_err(|e| anyhow!("cannot build the template context: {e}"))?;
        let mut files = vec![RenderedFile::new("docker-compose.yml", String::new())];
        for g in &generated {
            let content = self.render_one(g.template, &context)?;
            files.push(
                RenderedFile::new(Path::new(GENERATED_DIR).join(g.path), content)
                    .secret_if((g.secret)(settings)),
            );
        }
        // A bind-mounted file that is replaced (a new inode) is not seen by
        // a running container: the digest label changes the compose file's
        // service, so `docker compose up -d` recreates the container.
        let digest = if generated.is_empty() {
            String::new()
        } else {
            mounted_digest(&files[1..])
        };
        context.insert("mounted_digest", &digest);
        files[0].content = self.render_one("docker-compose.yml", &context)?;
        // A secret given on a command line is in the compose environment.
        files[0].secret = !crate::vars::params_with_secrets(|n| settings.text(n)).is_empty();
        Ok(files)
    }

    fn render_one(&self, name: &'static str, context: &Context) -> Result<String> {
        let tera = if name.ends_with(".ctmpl") {
            &self.ctmpl
        } else {
            &self.plain
        };
        let origin = self
            .origins
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(name, |(_, o)| o);
        let rendered = if self.replaced.contains(&name) {
            // An operator's template runs on a thread of its own, so that
            // one that never ends is given up (the process then exits), and
            // writes into a buffer that refuses to grow past the largest
            // file, so that one that never stops writing is stopped there.
            let (tera, context) = (Arc::clone(tera), context.clone());
            let (send, receive) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let mut buffer = Capped(Vec::new());
                let rendered = tera
                    .render_to(name, &context, &mut buffer)
                    .map_err(|e| {
                        if buffer.0.len() >= RENDER_SIZE {
                            format!(
                                "renders more than {} MiB; a file holds at most that",
                                RENDER_SIZE >> 20
                            )
                        } else {
                            error_chain(&e)
                        }
                    })
                    .and_then(|()| {
                        String::from_utf8(buffer.0)
                            .map_err(|_| "renders text that is not UTF-8".into())
                    });
                let _ = send.send(rendered);
            });
            receive.recv_timeout(RENDER_TIME).map_err(|_| {
                anyhow!(
                    "{origin}: still rendering after {} s; a template must finish within that",
                    RENDER_TIME.as_secs()
                )
            })?
        } else {
            tera.render(name, context).map_err(|e| error_chain(&e))
        };
        let content = rendered.map_err(|e| anyhow!("{origin}: {e}"))?;
        if content.len() > RENDER_SIZE {
            bail!(
                "{origin}: renders {} bytes; a file holds at most {} MiB",
                content.len(),
                RENDER_SIZE >> 20
            );
        }
        Ok(ensure_newline(content))
    }
}

/// A buffer that refuses to hold more than a file may.
struct Capped(Vec<u8>);

impl std::io::Write for Capped {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if self.0.len() + bytes.len() > RENDER_SIZE {
            self.0.resize(RENDER_SIZE, 0);
            return Err(std::io::Error::other("the largest file is reached"));
        }
        self.0.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A digest of the mounted files' paths and contents: 64-bit FNV-1a, which
/// only has to change when a file does (it guards nothing).
fn mounted_digest(files: &[RenderedFile]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for file in files {
        let path = file.path.to_string_lossy();
        for byte in path
            .bytes()
            .chain([0])
            .chain(file.content.bytes())
            .chain([0])
        {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

/// Renders every file of one host (see [`Renderer`] for many).
pub fn render(
    settings: &Settings,
    overrides: Option<&Path>,
    image_files: bool,
) -> Result<Vec<RenderedFile>> {
    Renderer::new(overrides)?.render(settings, image_files)
}

fn engine(delimiters: Delimiters) -> Result<Tera> {
    let mut tera = Tera::new();
    tera.set_delimiters(delimiters)
        .map_err(|e| anyhow!("template delimiters: {e}"))?;
    tera.autoescape_on(Vec::<&str>::new());
    tera.register_filter("compose_string", |text: &str, _: Kwargs, _: &State| {
        compose_string(text)
    });
    Ok(tera)
}

/// The text of a template: the override's when there is one, else the
/// built-in one; and how to name it in errors.
/// Refuses a `--templates` that is not a directory, and every file in it
/// that replaces no built-in template (a misspelt name would otherwise be
/// ignored without a word).
fn check_overrides(dir: &Path) -> Result<()> {
    let meta = std::fs::metadata(dir).map_err(|e| {
        anyhow!(
            "--templates {}: {e}; expected a directory of templates",
            dir.display()
        )
    })?;
    if !meta.is_dir() {
        bail!(
            "--templates {}: not a directory; expected a directory holding files named as the \
             built-in templates ({})",
            dir.display(),
            template_names()
        );
    }
    let mut strays = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(at) = stack.pop() {
        let entries =
            std::fs::read_dir(&at).with_context(|| format!("cannot read {}", at.display()))?;
        for entry in entries {
            let path = entry
                .with_context(|| format!("cannot read {}", at.display()))?
                .path();
            let kind = std::fs::symlink_metadata(&path)
                .with_context(|| format!("cannot read {}", path.display()))?
                .file_type();
            if kind.is_symlink() {
                strays.push(format!(
                    "--templates {}: {} is a symbolic link; templates are read from the files of \
                     the directory itself",
                    dir.display(),
                    path.display()
                ));
                continue;
            }
            if kind.is_dir() {
                stack.push(path);
                continue;
            }
            let name = path
                .strip_prefix(dir)
                .unwrap_or(&path)
                .to_string_lossy()
                .into_owned();
            if !TEMPLATES.iter().any(|(n, _)| *n == name) {
                strays.push(format!(
                    "--templates {}: {name} replaces no built-in template; the names are {}",
                    dir.display(),
                    template_names()
                ));
            }
        }
    }
    if strays.is_empty() {
        return Ok(());
    }
    strays.sort();
    bail!("{}", strays.join("\n"))
}

fn template_names() -> String {
    TEMPLATES
        .iter()
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A template's text, where it came from, and whether `--templates` gave it.
fn template_source(name: &str, overrides: Option<&Path>) -> Result<(String, String, bool)> {
    if let Some(path) = overrides.map(|dir| dir.join(name)).filter(|p| p.exists()) {
        let shown = path.display().to_string();
        let text = crate::layers::read_input(&path, &shown)?
            .ok_or_else(|| anyhow!("cannot read template {shown}"))?;
        return Ok((text, shown, true));
    }
    let builtin = TEMPLATES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| text.to_string())
        .ok_or_else(|| anyhow!("no built-in template {name}"))?;
    Ok((builtin, format!("built-in template {name}"), false))
}

fn ensure_newline(mut text: String) -> String {
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let _ = write!(text, ": {cause}");
        source = cause.source();
    }
    text
}

/// A YAML double-quoted scalar that Compose reads back as exactly `text`:
/// YAML escapes for quotes, backslashes and control characters, and `$$`
/// for `$` so that Compose does not interpolate it.
pub fn compose_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '$' => out.push_str("$$"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control()
                || !yaml_printable(c)
                || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') =>
            {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Whether YAML allows `c` as it is in a document (YAML 1.2, 5.1): tab,
/// line feed, carriage return, NEL and the printable characters; never the
/// other controls nor the non-characters U+FFFE and U+FFFF.
fn yaml_printable(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{85}' | ' '..='~' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compose_strings_escape_what_yaml_and_compose_would_read() {
        assert_eq!(compose_string("plain"), "\"plain\"");
        assert_eq!(compose_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(compose_string("$HOME ${X}"), "\"$$HOME $${X}\"");
        assert_eq!(
            compose_string("line\nbreak\u{7}"),
            "\"line\\nbreak\\u0007\""
        );
    }

    #[test]
    fn every_character_reads_back_from_the_yaml_exactly() {
        // libyaml (through serde_norway) refuses a document holding a
        // character YAML forbids, such as U+FFFE, unless it is escaped.
        for c in [
            '\u{0}',
            '\u{7f}',
            '\u{80}',
            '\u{85}',
            '\u{9f}',
            '\u{a0}',
            '\u{2028}',
            '\u{d7ff}',
            '\u{e000}',
            '\u{fdd0}',
            '\u{fffd}',
            '\u{fffe}',
            '\u{ffff}',
            '\u{10000}',
            '\u{1f600}',
            '\u{10ffff}',
        ] {
            let value = format!("a{c}b");
            let document = format!("key: {}\n", compose_string(&value));
            let read: std::collections::BTreeMap<String, String> =
                serde_norway::from_str(&document)
                    .unwrap_or_else(|e| panic!("U+{:04X}: {e}", c as u32));
            assert_eq!(read["key"], value, "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn the_mounted_digest_follows_every_byte_and_path() {
        let file = |path: &str, text: &str| RenderedFile::new(path, text.to_string());
        let base = mounted_digest(&[file("a", "x"), file("b", "y")]);
        assert_eq!(base, mounted_digest(&[file("a", "x"), file("b", "y")]));
        assert_ne!(base, mounted_digest(&[file("a", "x"), file("b", "z")]));
        assert_ne!(base, mounted_digest(&[file("a", "xb"), file("", "y")]));
        assert_ne!(base, mounted_digest(&[file("c", "x"), file("b", "y")]));
    }
}
