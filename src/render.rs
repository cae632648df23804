//! Rendering: settings in, the files of one host out, without touching the
//! disk. Derivations are done here, in Rust; the Tera templates under
//! `templates/` only lay the values out.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow, bail};
use serde::Serialize;
use tera::{Context, Delimiters, Kwargs, State, Tera};

use crate::settings::Settings;

/// A file to write, relative to the output directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedFile {
    pub path: PathBuf,
    pub content: String,
    /// Written only when missing, never replaced (the compose env_file).
    pub keep_existing: bool,
    /// Holds a password: never readable by group or others.
    pub secret: bool,
}

impl RenderedFile {
    /// A file that is rewritten whenever its content changes.
    pub fn new(path: impl Into<PathBuf>, content: String) -> RenderedFile {
        RenderedFile {
            path: path.into(),
            content,
            keep_existing: false,
            secret: false,
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
        include_str!("../templates/docker-compose.yml"),
    ),
    (
        "haproxy/haproxy.cfg",
        include_str!("../templates/haproxy/haproxy.cfg"),
    ),
    (
        "haproxy/haproxy.cfg.ctmpl",
        include_str!("../templates/haproxy/haproxy.cfg.ctmpl"),
    ),
    (
        "keepalived/keepalived.conf.ctmpl",
        include_str!("../templates/keepalived/keepalived.conf.ctmpl"),
    ),
    (
        "supervisord/supervisord.conf",
        include_str!("../templates/supervisord/supervisord.conf"),
    ),
    (
        "fabio/fabio.properties",
        include_str!("../templates/fabio/fabio.properties"),
    ),
];

/// A file rendered under `generated/`: its template, when the host needs
/// it, and where the container reads it (read-only, over the image's copy).
struct Generated {
    template: &'static str,
    when: fn(&Settings) -> bool,
    mount: &'static str,
    /// Whether the file holds a password (written 0600).
    secret: fn(&Settings) -> bool,
}

/// The daemon files of outputs.md. ZooKeeper has none: the image's
/// zkStart.sh edits its zoo.cfg in place at every start, so it cannot be
/// mounted, and derives it from the compose environment.
const GENERATED: [Generated; 5] = [
    Generated {
        template: "haproxy/haproxy.cfg",
        when: |s| s.flag("START_CONSUL_TEMPLATE"),
        mount: "/opt/consul-template/haproxy.cfg",
        secret: |s| !s.text("HAPROXY_STATS_AUTH").is_empty(),
    },
    Generated {
        template: "haproxy/haproxy.cfg.ctmpl",
        when: |s| s.flag("START_CONSUL_TEMPLATE"),
        mount: "/opt/consul-template/haproxy.cfg.ctmpl",
        secret: |_| false,
    },
    Generated {
        template: "keepalived/keepalived.conf.ctmpl",
        when: |s| s.flag("START_CONSUL_TEMPLATE") && !s.text("KEEPALIVED_VIP").is_empty(),
        mount: "/opt/consul-template/keepalived.conf.ctmpl",
        secret: |_| false,
    },
    Generated {
        template: "supervisord/supervisord.conf",
        when: |_| true,
        mount: "/etc/supervisord.conf",
        secret: |s| !s.text("SUPERVISOR_PASSWORD").is_empty(),
    },
    Generated {
        template: "fabio/fabio.properties",
        when: |s| s.flag("START_FABIO"),
        mount: "/opt/fabio/fabio.properties",
        secret: |_| false,
    },
];

/// The directory of the daemon files, relative to the output directory.
pub const GENERATED_DIR: &str = "generated";

/// A supervisord program as the image's supervisord.conf declares it:
/// name, priority, directory, command, start switch and extra settings.
/// Every program runs as root, as in the image, which creates no other user.
#[derive(Serialize)]
struct Program {
    name: &'static str,
    priority: u32,
    directory: Option<&'static str>,
    command: &'static str,
    start: &'static str,
    extra: &'static [&'static str],
}

const fn program(
    name: &'static str,
    priority: u32,
    command: &'static str,
    start: &'static str,
) -> Program {
    Program {
        name,
        priority,
        directory: None,
        command,
        start,
        extra: &[],
    }
}

/// The image's programs, in the image's order.
const PROGRAMS: [Program; 11] = [
    program(
        "consul",
        4,
        "/opt/consul/consul %(ENV_CONSUL_APP_PARAMS)s",
        "START_CONSUL",
    ),
    program(
        "dnsmasq",
        2,
        "/usr/sbin/dnsmasq %(ENV_DNSMASQ_APP_PARAMS)s",
        "START_DNSMASQ",
    ),
    // The image's consul-template.sh starts HAProxy on /etc/haproxy/
    // haproxy.cfg before consul-template renders the template: that file is
    // the generated base file from the start (a mount there would stop
    // consul-template, which renders over it with a rename).
    Program {
        directory: Some("/opt/consul-template"),
        ..program(
            "consul-template_haproxy",
            16,
            "/bin/sh -c \"cp haproxy.cfg /etc/haproxy/haproxy.cfg && exec consul-template.sh\"",
            "START_CONSUL_TEMPLATE",
        )
    },
    Program {
        directory: Some("/opt/fabio"),
        ..program("fabio", 16, "fabio %(ENV_FABIO_APP_PARAMS)s", "START_FABIO")
    },
    program(
        "zookeeper",
        8,
        "/opt/zkStart.sh %(ENV_ZOOKEEPER_APP_PARAMS)s",
        "START_ZOOKEEPER",
    ),
    program(
        "mesos-master",
        32,
        "mesos-master %(ENV_MESOS_MASTER_APP_PARAMS)s",
        "START_MESOS_MASTER",
    ),
    program(
        "marathon",
        64,
        "marathon %(ENV_MARATHON_APP_PARAMS)s",
        "START_MARATHON",
    ),
    Program {
        extra: &["stopsignal=USR1"],
        ..program(
            "mesos-slave",
            128,
            "mesos-slave %(ENV_MESOS_SLAVE_APP_PARAMS)s",
            "START_MESOS_SLAVE",
        )
    },
    Program {
        extra: &["startretries=100", "stopwaitsecs=30"],
        ..program(
            "registrator",
            256,
            "registrator %(ENV_REGISTRATOR_APP_PARAMS)s",
            "START_REGISTRATOR",
        )
    },
    program(
        "chronos",
        512,
        "/usr/bin/chronos run_jar %(ENV_CHRONOS_APP_PARAMS)s",
        "START_CHRONOS",
    ),
    program(
        "netdata",
        768,
        "/opt/netdata/usr/sbin/netdata %(ENV_NETDATA_APP_PARAMS)s",
        "START_NETDATA",
    ),
];

/// The web UIs the container runs: port, Registrator name, health check,
/// and the variable that starts it.
const UIS: [(u16, &str, &str, &str); 5] = [
    (8500, "consul-ui", "/v1/status/leader", "START_CONSUL"),
    (8080, "marathon", "/v2/leader", "START_MARATHON"),
    (5050, "mesos", "/master/health", "START_MESOS_MASTER"),
    (4400, "chronos", "/ping", "START_CHRONOS"),
    (19999, "netdata", "/version.txt", "START_NETDATA"),
];

/// The volumes every host mounts, before the optional ones.
const VOLUMES: [&str; 10] = [
    "/etc/resolv.conf:/etc/resolv.conf.orig",
    "/var/spool/marathon/artifacts/store:/var/spool/store",
    "/var/run/docker.sock:/tmp/docker.sock",
    "/var/run/docker.sock:/var/run/docker.sock",
    "/var/lib/docker:/var/lib/docker",
    "/sys:/sys",
    "/tmp/supervisord:/tmp/supervisord",
    "/tmp/consul/data:/opt/consul/data",
    "/proc:/host/proc:ro",
    "/sys:/host/sys:ro",
];

/// Compose environment keys copied from variables of the same name, in
/// the order of contract section 4 (the UI metadata goes after the first five).
const ENV_HEAD: [&str; 5] = ["CONSUL_IP", "HOST_IP", "LISTEN_IP", "FQDN", "GOMAXPROCS"];
const ENV_TAIL: [&str; 29] = [
    "START_CONSUL",
    "START_CONSUL_TEMPLATE",
    "START_DNSMASQ",
    "START_MESOS_MASTER",
    "START_MARATHON",
    "START_MESOS_SLAVE",
    "START_REGISTRATOR",
    "START_ZOOKEEPER",
    "START_CHRONOS",
    "START_FABIO",
    "START_NETDATA",
    "HAPROXY_SSL",
    "HAPROXY_ADD_DOMAIN",
    "HAPROXY_CERT_OPTS",
    "CONSUL_DOMAIN",
    "KEEPALIVED_VIP",
    "ZOOKEEPER_HOSTS",
    "ZOOKEEPER_ID",
    "CONSUL_APP_PARAMS",
    "CONSUL_TEMPLATE_APP_PARAMS",
    "DNSMASQ_APP_PARAMS",
    "MARATHON_APP_PARAMS",
    "MESOS_MASTER_APP_PARAMS",
    "MESOS_SLAVE_APP_PARAMS",
    "REGISTRATOR_APP_PARAMS",
    "ZOOKEEPER_APP_PARAMS",
    "CHRONOS_APP_PARAMS",
    "FABIO_APP_PARAMS",
    "NETDATA_APP_PARAMS",
];
/// Compose keys whose variable has another name.
const ENV_RENAMED: [(&str, &str); 4] = [
    ("MARATHON_JAVA_OPTS", "MARATHON_JAVA_OPTS"),
    ("JVMFLAGS", "ZOOKEEPER_JAVA_OPTS"),
    ("JAVA_OPTS", "CHRONOS_JAVA_OPTS"),
    ("HOSTNAME", "PANTERAS_HOSTNAME"),
];

#[derive(Serialize)]
struct EnvEntry {
    name: String,
    value: String,
}

/// Everything the templates lay out: every variable as text (`v`), and
/// what Rust derived from them.
#[derive(Serialize)]
struct Model {
    v: std::collections::BTreeMap<&'static str, String>,
    image: String,
    restart: String,
    expose: Vec<String>,
    volumes: Vec<String>,
    environment: Vec<EnvEntry>,
    own_names: Vec<String>,
    /// The forms of names, tags, addresses and ports the HAProxy template
    /// accepts (src/tags.rs), each in a Go string literal.
    t: std::collections::BTreeMap<&'static str, String>,
    programs: &'static [Program],
    supervisor_user: String,
    supervisor_password: String,
    /// The host part of Fabio's addresses: empty (every address, and Fabio
    /// registers the machine's own) unless LISTEN_IP names one.
    listen: String,
}

fn model(s: &Settings, generated: &[&Generated]) -> Model {
    let entry = |name: &str, value: String| EnvEntry {
        name: name.to_string(),
        value,
    };
    let mut environment: Vec<EnvEntry> = ENV_HEAD.iter().map(|n| entry(n, s.text(n))).collect();
    for (port, name, check, _) in UIS {
        environment.push(entry(&format!("SERVICE_{port}_NAME"), name.into()));
        environment.push(entry(
            &format!("SERVICE_{port}_TAGS"),
            format!(
                "haproxy,urlprefix-{name}.service.{}/",
                s.text("CONSUL_DOMAIN")
            ),
        ));
        environment.push(entry(&format!("SERVICE_{port}_CHECK_HTTP"), check.into()));
    }
    environment.extend(ENV_TAIL.iter().map(|n| entry(n, s.text(n))));
    environment.extend(ENV_RENAMED.iter().map(|(key, var)| entry(key, s.text(var))));

    let proxied = s.flag("START_CONSUL_TEMPLATE") || s.flag("START_FABIO");
    let expose = UIS
        .iter()
        .filter(|(_, _, _, start)| proxied && s.flag(start))
        .map(|(port, ..)| port.to_string())
        .collect();

    let mut volumes: Vec<String> = VOLUMES.iter().map(|v| v.to_string()).collect();
    volumes.insert(6, format!("/tmp/mesos:/tmp/mesos{}", s.text("SHARED")));
    if s.flag("HOST_DOCKER") {
        volumes.push(s.text("VOLUME_DOCKER"));
    }
    for file in generated {
        volumes.push(format!(
            "./{GENERATED_DIR}/{}:{}:ro",
            file.template, file.mount
        ));
    }

    let mut own_names: Vec<String> = Vec::new();
    for name in ["localhost", "127.0.0.1"]
        .into_iter()
        .map(String::from)
        .chain(
            // The container's HOSTNAME is PANTERAS_HOSTNAME.
            ["PANTERAS_HOSTNAME", "FQDN", "HOST_IP"]
                .iter()
                .map(|n| s.text(n).to_ascii_lowercase()),
        )
    {
        if !own_names.contains(&name) {
            own_names.push(name);
        }
    }

    let (supervisor_user, supervisor_password) =
        (s.text("SUPERVISOR_USER"), s.text("SUPERVISOR_PASSWORD"));

    let listen = match s.text("LISTEN_IP").as_str() {
        "0.0.0.0" => String::new(),
        ip => ip.to_string(),
    };

    Model {
        v: s.iter()
            .map(|(name, r)| (name, r.value.to_string()))
            .collect(),
        image: s.text("PANTERAS_DOCKER_IMAGE"),
        restart: s.text("PANTERAS_RESTART"),
        expose,
        volumes,
        environment,
        own_names,
        t: crate::tags::for_template(
            matches!(s.get("HOST_IP").value, crate::values::Value::Ip(ip) if ip.is_loopback()),
        ),
        programs: &PROGRAMS,
        supervisor_user,
        // supervisord expands `%(name)s` in values; a literal % is %%.
        supervisor_password: supervisor_password.replace('%', "%%"),
        listen,
    }
}

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
    /// daemon files it mounts.
    pub fn render(&self, settings: &Settings) -> Result<Vec<RenderedFile>> {
        let generated: Vec<&Generated> = GENERATED.iter().filter(|g| (g.when)(settings)).collect();
        let model = model(settings, &generated);
        let mut context = Context::from_serialize(&model)
            .map_err(|e| anyhow!("cannot build the template context: {e}"))?;
        let mut files = vec![RenderedFile::new("docker-compose.yml", String::new())];
        for g in &generated {
            let content = self.render_one(g.template, &context)?;
            files.push(
                RenderedFile::new(Path::new(GENERATED_DIR).join(g.template), content)
                    .secret_if((g.secret)(settings)),
            );
        }
        // A bind-mounted file that is replaced (a new inode) is not seen by
        // a running container: the digest label changes the compose file's
        // service, so `docker compose up -d` recreates the container.
        context.insert("mounted_digest", &mounted_digest(&files[1..]));
        files[0].content = self.render_one("docker-compose.yml", &context)?;
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
            // one that never ends is given up (the process then exits).
            let (tera, context) = (Arc::clone(tera), context.clone());
            let (send, receive) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let _ = send.send(tera.render(name, &context).map_err(|e| error_chain(&e)));
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
pub fn render(settings: &Settings, overrides: Option<&Path>) -> Result<Vec<RenderedFile>> {
    Renderer::new(overrides)?.render(settings)
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
            if path.is_dir() {
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

    #[test]
    fn environment_has_exactly_the_contract_keys() {
        let all: Vec<&str> = ENV_HEAD
            .iter()
            .chain(ENV_TAIL.iter())
            .copied()
            .chain(ENV_RENAMED.iter().map(|(k, _)| *k))
            .collect();
        assert_eq!(all.len() + UIS.len() * 3, 53);
        for (_, var) in ENV_RENAMED {
            assert!(crate::vars::find(var).is_some(), "{var}");
        }
    }
}
