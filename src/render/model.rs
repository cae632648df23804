//! The model the templates lay out: what the container gets (image,
//! volumes, the environment and its keys, the supervisord programs), and
//! what Rust derives for the daemon files. The checks read the same
//! environment and volumes, so what they check is what is written.

use serde::Serialize;

use super::GENERATED_DIR;
use crate::line::{DaemonFile, Entry, Program};
use crate::settings::Settings;

#[derive(Serialize)]
struct EnvEntry {
    name: String,
    value: String,
}

/// Everything the templates lay out: every variable as text (`v`), and
/// what Rust derived from them.
#[derive(Serialize)]
pub(super) struct Model {
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
    stdout_listener: bool,
    supervisor_user: String,
    supervisor_password: String,
    /// The host part of Fabio's addresses: empty (every address, and Fabio
    /// registers the machine's own) unless LISTEN_IP names one.
    listen: String,
}

/// The container's environment, as the compose file sets it: every key
/// with its value, in the order of the host's line.
pub fn environment(s: &Settings) -> Vec<(String, String)> {
    let line = s.line();
    let mut environment = Vec::new();
    for entry in line.environment {
        match entry {
            Entry::Same(name) => environment.push((name.to_string(), s.text(name))),
            Entry::Renamed(key, var) => environment.push((key.to_string(), s.text(var))),
            Entry::Uis => {
                for ui in line.uis {
                    let port = ui.port;
                    environment.push((format!("SERVICE_{port}_NAME"), ui.name.into()));
                    environment.push((
                        format!("SERVICE_{port}_TAGS"),
                        (line.ui_tags)(ui.host, &s.text("CONSUL_DOMAIN")),
                    ));
                    environment.push((format!("SERVICE_{port}_CHECK_HTTP"), ui.check.into()));
                }
            }
        }
    }
    environment
}

/// The volumes of the host's own (before the mounts of generated files).
pub fn volumes(s: &Settings) -> Vec<String> {
    let mut volumes: Vec<String> = s
        .line()
        .volumes
        .iter()
        .map(|v| v.replace("${SHARED}", &s.text("SHARED")))
        .collect();
    if s.flag("HOST_DOCKER") {
        volumes.push(s.text("VOLUME_DOCKER"));
    }
    volumes
}

/// The ports the compose file exposes: Registrator registers the UIs'
/// services on them (with host networking nothing is published). On a
/// line with routers, only while one runs.
pub fn expose(s: &Settings) -> Vec<String> {
    let line = s.line();
    let routed = line.routers.is_empty() || line.routers.iter().any(|r| s.flag(r));
    let mut ports: Vec<u16> = line.always_exposed.to_vec();
    for ui in line.uis {
        if routed && ui.start.iter().any(|start| s.flag(start)) && !ports.contains(&ui.port) {
            ports.push(ui.port);
        }
    }
    ports.iter().map(u16::to_string).collect()
}

pub(super) fn model(s: &Settings, generated: &[&DaemonFile]) -> Model {
    let environment = environment(s)
        .into_iter()
        .map(|(name, value)| EnvEntry { name, value })
        .collect();

    let expose = expose(s);

    let mut volumes = volumes(s);
    for file in generated {
        volumes.push(format!("./{GENERATED_DIR}/{}:{}:ro", file.path, file.mount));
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
        programs: s.line().programs,
        stdout_listener: s.line().stdout_listener,
        supervisor_user,
        // supervisord expands `%(name)s` in values; a literal % is %%.
        supervisor_password: supervisor_password.replace('%', "%%"),
        listen,
    }
}

#[cfg(test)]
mod tests {
    use crate::line::{Entry, LINES};

    #[test]
    fn every_key_of_each_line_is_a_variable_of_that_line() {
        for line in LINES {
            for entry in line.environment {
                let var = match entry {
                    Entry::Same(name) | Entry::Renamed(_, name) => name,
                    Entry::Uis => continue,
                };
                assert!(crate::vars::find(var).is_some(), "{var}");
                assert!(line.reads(var), "{}: {var}", line.name);
            }
        }
        // 0.3.9's contract: 53 keys.
        let v03 = &LINES[0];
        let keys = v03.environment.len() - 1 + v03.uis.len() * 3;
        assert_eq!(keys, 53);
    }
}
