//! The model the templates lay out: what the container gets (image,
//! volumes, the environment and its keys, the supervisord programs), and
//! what Rust derives for the daemon files. The checks read the same
//! environment and volumes, so what they check is what is written.

use serde::Serialize;

use super::{GENERATED_DIR, Generated};
use crate::settings::Settings;

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
    supervisor_user: String,
    supervisor_password: String,
    /// The host part of Fabio's addresses: empty (every address, and Fabio
    /// registers the machine's own) unless LISTEN_IP names one.
    listen: String,
}

/// The container's environment, as the compose file sets it: every key
/// with its value, in the contract's order.
pub fn environment(s: &Settings) -> Vec<(String, String)> {
    let mut environment: Vec<(String, String)> = ENV_HEAD
        .iter()
        .map(|n| (n.to_string(), s.text(n)))
        .collect();
    for (port, name, check, _) in UIS {
        environment.push((format!("SERVICE_{port}_NAME"), name.into()));
        environment.push((
            format!("SERVICE_{port}_TAGS"),
            format!(
                "haproxy,urlprefix-{name}.service.{}/",
                s.text("CONSUL_DOMAIN")
            ),
        ));
        environment.push((format!("SERVICE_{port}_CHECK_HTTP"), check.into()));
    }
    environment.extend(ENV_TAIL.iter().map(|n| (n.to_string(), s.text(n))));
    environment.extend(
        ENV_RENAMED
            .iter()
            .map(|(key, var)| (key.to_string(), s.text(var))),
    );
    environment
}

/// The volumes of the host's own (before the mounts of generated files).
pub fn volumes(s: &Settings) -> Vec<String> {
    let mut volumes: Vec<String> = VOLUMES.iter().map(|v| v.to_string()).collect();
    volumes.insert(6, format!("/tmp/mesos:/tmp/mesos{}", s.text("SHARED")));
    if s.flag("HOST_DOCKER") {
        volumes.push(s.text("VOLUME_DOCKER"));
    }
    volumes
}

pub(super) fn model(s: &Settings, generated: &[&Generated]) -> Model {
    let environment = environment(s)
        .into_iter()
        .map(|(name, value)| EnvEntry { name, value })
        .collect();

    let proxied = s.flag("START_CONSUL_TEMPLATE") || s.flag("START_FABIO");
    let expose = UIS
        .iter()
        .filter(|(_, _, _, start)| proxied && s.flag(start))
        .map(|(port, ..)| port.to_string())
        .collect();

    let mut volumes = volumes(s);
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

#[cfg(test)]
mod tests {
    use super::*;

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
