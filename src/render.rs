//! Rendering: settings in, the files of one host out, without touching the
//! disk. Derivations are done here, in Rust; the Tera templates under
//! `templates/` only lay the values out.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, anyhow};
use serde::Serialize;
use tera::{Context, Kwargs, State, Tera};

use crate::settings::Settings;

/// A file to write, relative to the output directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedFile {
    pub path: PathBuf,
    pub content: String,
}

/// The templates built into the binary, by the name a `--templates`
/// directory overrides them with.
pub const TEMPLATES: &[(&str, &str)] = &[(
    "docker-compose.yml",
    include_str!("../templates/docker-compose.yml"),
)];

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

#[derive(Serialize)]
struct Compose {
    image: String,
    restart: String,
    expose: Vec<String>,
    volumes: Vec<String>,
    environment: Vec<EnvEntry>,
}

fn compose(s: &Settings) -> Compose {
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

    Compose {
        image: s.text("PANTERAS_DOCKER_IMAGE"),
        restart: s.text("PANTERAS_RESTART"),
        expose,
        volumes,
        environment,
    }
}

/// Renders every file of this host. A template in `overrides`, when given,
/// replaces the built-in one of the same name.
pub fn render(settings: &Settings, overrides: Option<&Path>) -> Result<Vec<RenderedFile>> {
    let mut tera = Tera::new();
    tera.autoescape_on(Vec::<&str>::new());
    tera.register_filter("compose_string", |text: &str, _: Kwargs, _: &State| {
        compose_string(text)
    });
    for (name, builtin) in TEMPLATES {
        let (source, origin) = match overrides.map(|dir| dir.join(name)) {
            Some(path) if path.exists() => {
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("cannot read template {}", path.display()))?;
                (text, path.display().to_string())
            }
            _ => (builtin.to_string(), format!("built-in template {name}")),
        };
        tera.add_raw_template(name, &source)
            .map_err(|e| anyhow!("{origin}: {}", error_chain(&e)))?;
    }
    let context = Context::from_serialize(&compose(settings))
        .map_err(|e| anyhow!("cannot build the template context: {e}"))?;
    let content = tera
        .render("docker-compose.yml", &context)
        .map_err(|e| anyhow!("docker-compose.yml: {}", error_chain(&e)))?;
    Ok(vec![RenderedFile {
        path: PathBuf::from("docker-compose.yml"),
        content: ensure_newline(content),
    }])
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
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
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
