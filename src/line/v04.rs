//! The 0.4 line (PanteraS 0.4.x, release 0.4.4, the last): Fabio (tag
//! prefix `paas-`) or Traefik route, reading Consul themselves; no HAProxy,
//! consul-template, keepalived, dnsmasq or Chronos; ZooKeeper's data in a
//! volume; daemons as users of their own. panteras renders the
//! supervisord.conf of its programs and the router's file (Fabio's or
//! Traefik's), pointed at Consul where it listens.

use super::{DaemonFile, Entry, ImageLine, Program, Ui};
use crate::vars::DefaultRule::{Branch, Derived, Value};

const ROUTING: &str = "HAProxy and consul-template are gone from the 0.4 line: Fabio routes \
    (START_FABIO, the default; the apps' tags become `paas-` tags: `panteras app check --image \
    0.4.4`) or Traefik (START_TRAEFIK=true)";
const TLS: &str = "HAProxy is gone from the 0.4 line: TLS is terminated by a Fabio or Traefik \
    configuration of one's own";
const KEEPALIVED: &str = "keepalived is gone from the 0.4 line: a virtual IP in front of the \
    routers is set up on the hosts";
const DNSMASQ: &str = "dnsmasq is gone from the 0.4 line: point the host's resolver (or the \
    apps) at Consul's DNS, port 8600 of CONSUL_IP";
const CHRONOS: &str = "Chronos is gone from the 0.4 line, with its jobs: scheduled jobs need \
    another home";

/// A program of the 0.4.4 image: name, priority, user, directory,
/// command, start switch and extra settings.
#[rustfmt::skip]
const fn program(
    name: &'static str,
    priority: u32,
    user: &'static str,
    directory: Option<&'static str>,
    command: &'static str,
    start: &'static str,
    extra: &'static [&'static str],
) -> Program {
    Program { name, priority, user, directory, command, start, extra }
}

#[rustfmt::skip]
pub static V04: ImageLine = ImageLine {
    name: "0.4",
    release: super::LAST_RELEASE,
    absent: &[
        ("START_CONSUL_TEMPLATE", ROUTING),
        ("CONSUL_TEMPLATE_PARAMS", ROUTING),
        ("CONSUL_TEMPLATE_APP_PARAMS", ROUTING),
        ("HAPROXY_SSL", TLS),
        ("HAPROXY_CERT_OPTS", TLS),
        ("HAPROXY_ADD_DOMAIN", ROUTING),
        ("HAPROXY_MAXCONN", ROUTING),
        ("HAPROXY_DEFAULT_WEIGHT", ROUTING),
        ("HAPROXY_STATS_AUTH", ROUTING),
        ("KEEPALIVED_VIP", KEEPALIVED),
        ("KEEPALIVED_INTERFACE", KEEPALIVED),
        ("KEEPALIVED_ROUTER_ID", KEEPALIVED),
        ("KEEPALIVED_CONSUL_TEMPLATE", KEEPALIVED),
        ("START_DNSMASQ", DNSMASQ),
        ("DNSMASQ_ADDRESS", DNSMASQ),
        ("DNSMASQ_BIND_INTERFACES", DNSMASQ),
        ("DNSMASQ_PARAMS", DNSMASQ),
        ("DNSMASQ_APP_PARAMS", DNSMASQ),
        ("START_CHRONOS", CHRONOS),
        ("CHRONOS_JAVA_OPTS", CHRONOS),
        ("CHRONOS_PARAMS", CHRONOS),
        ("CHRONOS_APP_PARAMS", CHRONOS),
        (
            "MARATHON_JAVA_OPTS",
            "Marathon 1.8 of the 0.4 line reads JAVA_OPTS: put `JAVA_OPTS=-Xmx512m` in \
             restricted/env (it reaches every program of the container)",
        ),
    ],
    defaults: &[
        ("PANTERAS_IMAGE_TAG", Value("0.4.4")),
        (
            "START_FABIO",
            Branch("`false` when START_TRAEFIK=true, else `true`", |s| {
                if s.flag("START_TRAEFIK") {
                    ("false".into(), "START_TRAEFIK=true: Traefik routes".into())
                } else {
                    ("true".into(), "START_TRAEFIK=false: Fabio routes".into())
                }
            }),
        ),
        (
            "MARATHON_APP_PARAMS",
            Derived(
                "the Marathon base of 0.4 and MARATHON_PARAMS",
                crate::params::marathon_04,
            ),
        ),
        (
            "MESOS_MASTER_APP_PARAMS",
            Derived(
                "the Mesos master base of 0.4 and MESOS_MASTER_PARAMS",
                crate::params::mesos_master_04,
            ),
        ),
    ],
    environment: &[
        Entry::Same("CONSUL_IP"),
        Entry::Same("HOST_IP"),
        Entry::Same("LISTEN_IP"),
        Entry::Same("FQDN"),
        Entry::Same("GOMAXPROCS"),
        Entry::Uis,
        Entry::Same("START_CONSUL"),
        Entry::Same("START_MESOS_MASTER"),
        Entry::Same("START_MARATHON"),
        Entry::Same("START_MESOS_SLAVE"),
        Entry::Same("START_REGISTRATOR"),
        Entry::Same("START_ZOOKEEPER"),
        Entry::Same("START_FABIO"),
        Entry::Same("START_TRAEFIK"),
        Entry::Same("START_NETDATA"),
        Entry::Same("CONSUL_APP_PARAMS"),
        Entry::Same("CONSUL_DOMAIN"),
        Entry::Same("MARATHON_APP_PARAMS"),
        Entry::Same("MESOS_MASTER_APP_PARAMS"),
        Entry::Same("MESOS_SLAVE_APP_PARAMS"),
        Entry::Same("REGISTRATOR_APP_PARAMS"),
        Entry::Renamed("JVMFLAGS", "ZOOKEEPER_JAVA_OPTS"),
        Entry::Same("ZOOKEEPER_APP_PARAMS"),
        Entry::Same("ZOOKEEPER_HOSTS"),
        Entry::Same("ZOOKEEPER_ID"),
        Entry::Same("FABIO_APP_PARAMS"),
        Entry::Same("TRAEFIK_APP_PARAMS"),
        Entry::Same("NETDATA_APP_PARAMS"),
        Entry::Renamed("HOSTNAME", "PANTERAS_HOSTNAME"),
    ],
    uis: &[
        Ui {
            port: 81,
            name: "router-ui",
            host: "router.ui",
            check: "/routes",
            start: &["START_FABIO", "START_TRAEFIK"],
        },
        Ui {
            port: 8500,
            name: "consul-ui",
            host: "consul.ui",
            check: "/v1/status/leader",
            start: &["START_CONSUL"],
        },
        Ui {
            port: 8080,
            name: "marathon",
            host: "marathon.ui",
            check: "/v2/leader",
            start: &["START_MARATHON"],
        },
        Ui {
            port: 5050,
            name: "mesos",
            host: "mesos",
            check: "/master/health",
            start: &["START_MESOS_MASTER"],
        },
        Ui {
            port: 19999,
            name: "netdata",
            host: "netdata",
            check: "/version.txt",
            start: &["START_NETDATA"],
        },
    ],
    ui_tags: |host, domain| format!("paas-{host}.service.{domain}/"),
    always_exposed: &[9000],
    routers: &[],
    volumes: &[
        "/etc/resolv.conf:/etc/resolv.conf.orig",
        "/var/run/docker.sock:/tmp/docker.sock",
        "/var/run/docker.sock:/var/run/docker.sock",
        "/var/lib/docker:/var/lib/docker",
        "/sys:/sys",
        "/tmp/mesos:/tmp/mesos${SHARED}",
        "/tmp/supervisord:/tmp/supervisord",
        "/tmp/consul/data:/opt/consul/data",
        "/tmp/zookeeper:/var/lib/zookeeper/version-2",
        "/proc:/host/proc:ro",
        "/sys:/host/sys:ro",
    ],
    programs: &[
        program("consul", 4, "consul", None, "/opt/consul/consul %(ENV_CONSUL_APP_PARAMS)s", "START_CONSUL", &[]),
        program("zookeeper", 8, "zookeeper", None, "/opt/zkStart.sh %(ENV_ZOOKEEPER_APP_PARAMS)s", "START_ZOOKEEPER", &[]),
        program("fabio", 16, "fabio", Some("/opt/fabio"), "fabio %(ENV_FABIO_APP_PARAMS)s", "START_FABIO", &[]),
        program("traefik", 16, "traefik", Some("/opt/traefik"), "traefik %(ENV_TRAEFIK_APP_PARAMS)s", "START_TRAEFIK", &[]),
        program("mesos-master", 32, "root", None, "mesos-master %(ENV_MESOS_MASTER_APP_PARAMS)s", "START_MESOS_MASTER", &[]),
        program("marathon", 64, "marathon", None, "marathon %(ENV_MARATHON_APP_PARAMS)s", "START_MARATHON", &[]),
        program("mesos-slave", 128, "root", None, "mesos-slave %(ENV_MESOS_SLAVE_APP_PARAMS)s", "START_MESOS_SLAVE", &["stopsignal=USR1"]),
        program("registrator", 256, "root", None, "registrator %(ENV_REGISTRATOR_APP_PARAMS)s", "START_REGISTRATOR", &["startretries=100", "stopwaitsecs=30"]),
        program("netdata", 512, "root", None, "/opt/netdata/usr/sbin/netdata %(ENV_NETDATA_APP_PARAMS)s", "START_NETDATA", &[]),
    ],
    // 0.4.3 dropped supervisor_stdout: the programs' output goes to files
    // in /tmp/supervisord only.
    stdout_listener: false,
    files: &[
        DaemonFile {
            template: "supervisord/supervisord.conf",
            path: "supervisord/supervisord.conf",
            when: |_| true,
            mount: "/etc/supervisord.conf",
            secret: |s| !s.text("SUPERVISOR_PASSWORD").is_empty(),
        },
        DaemonFile {
            template: "fabio/fabio-0.4.properties",
            path: "fabio/fabio.properties",
            when: |s| s.flag("START_FABIO"),
            mount: "/opt/fabio/fabio.properties",
            secret: |_| false,
        },
        DaemonFile {
            template: "traefik/traefik.toml",
            path: "traefik/traefik.toml",
            when: |s| s.flag("START_TRAEFIK"),
            mount: "/opt/traefik/traefik.toml",
            secret: |_| false,
        },
    ],
};
