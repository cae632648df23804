//! The 0.3 line (PanteraS 0.3.x, release 0.3.9): HAProxy through
//! consul-template or Fabio, keepalived, dnsmasq, Chronos; every daemon as
//! root. panteras renders its daemon files.

use super::{DaemonFile, Entry, ImageLine, Program, Ui};

const fn program(
    name: &'static str,
    priority: u32,
    command: &'static str,
    start: &'static str,
) -> Program {
    Program {
        name,
        priority,
        // Every program runs as root in the 0.3 image, which creates no
        // other user.
        user: "root",
        directory: None,
        command,
        start,
        extra: &[],
    }
}

/// What the 0.3 line has instead of the 0.4 line's Traefik.
const NO_TRAEFIK: &str = "Traefik comes with the 0.4 line (PANTERAS_IMAGE_TAG=0.4.4); on the 0.3 \
    line HAProxy (START_CONSUL_TEMPLATE) or Fabio (START_FABIO) routes";

pub static V03: ImageLine = ImageLine {
    name: "0.3",
    release: "0.3.9",
    absent: &[
        ("START_TRAEFIK", NO_TRAEFIK),
        ("TRAEFIK_PARAMS", NO_TRAEFIK),
        ("TRAEFIK_APP_PARAMS", NO_TRAEFIK),
    ],
    defaults: &[],
    environment: &[
        Entry::Same("CONSUL_IP"),
        Entry::Same("HOST_IP"),
        Entry::Same("LISTEN_IP"),
        Entry::Same("FQDN"),
        Entry::Same("GOMAXPROCS"),
        Entry::Uis,
        Entry::Same("START_CONSUL"),
        Entry::Same("START_CONSUL_TEMPLATE"),
        Entry::Same("START_DNSMASQ"),
        Entry::Same("START_MESOS_MASTER"),
        Entry::Same("START_MARATHON"),
        Entry::Same("START_MESOS_SLAVE"),
        Entry::Same("START_REGISTRATOR"),
        Entry::Same("START_ZOOKEEPER"),
        Entry::Same("START_CHRONOS"),
        Entry::Same("START_FABIO"),
        Entry::Same("START_NETDATA"),
        Entry::Same("HAPROXY_SSL"),
        Entry::Same("HAPROXY_ADD_DOMAIN"),
        Entry::Same("HAPROXY_CERT_OPTS"),
        Entry::Same("CONSUL_DOMAIN"),
        Entry::Same("KEEPALIVED_VIP"),
        Entry::Same("ZOOKEEPER_HOSTS"),
        Entry::Same("ZOOKEEPER_ID"),
        Entry::Same("CONSUL_APP_PARAMS"),
        Entry::Same("CONSUL_TEMPLATE_APP_PARAMS"),
        Entry::Same("DNSMASQ_APP_PARAMS"),
        Entry::Same("MARATHON_APP_PARAMS"),
        Entry::Same("MESOS_MASTER_APP_PARAMS"),
        Entry::Same("MESOS_SLAVE_APP_PARAMS"),
        Entry::Same("REGISTRATOR_APP_PARAMS"),
        Entry::Same("ZOOKEEPER_APP_PARAMS"),
        Entry::Same("CHRONOS_APP_PARAMS"),
        Entry::Same("FABIO_APP_PARAMS"),
        Entry::Same("NETDATA_APP_PARAMS"),
        Entry::Same("MARATHON_JAVA_OPTS"),
        Entry::Renamed("JVMFLAGS", "ZOOKEEPER_JAVA_OPTS"),
        Entry::Renamed("JAVA_OPTS", "CHRONOS_JAVA_OPTS"),
        Entry::Renamed("HOSTNAME", "PANTERAS_HOSTNAME"),
    ],
    uis: &[
        Ui {
            port: 8500,
            name: "consul-ui",
            host: "consul-ui",
            check: "/v1/status/leader",
            start: &["START_CONSUL"],
        },
        Ui {
            port: 8080,
            name: "marathon",
            host: "marathon",
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
            port: 4400,
            name: "chronos",
            host: "chronos",
            check: "/ping",
            start: &["START_CHRONOS"],
        },
        Ui {
            port: 19999,
            name: "netdata",
            host: "netdata",
            check: "/version.txt",
            start: &["START_NETDATA"],
        },
    ],
    ui_tags: |host, domain| format!("haproxy,urlprefix-{host}.service.{domain}/"),
    always_exposed: &[],
    routers: &["START_CONSUL_TEMPLATE", "START_FABIO"],
    volumes: &[
        "/etc/resolv.conf:/etc/resolv.conf.orig",
        "/var/spool/marathon/artifacts/store:/var/spool/store",
        "/var/run/docker.sock:/tmp/docker.sock",
        "/var/run/docker.sock:/var/run/docker.sock",
        "/var/lib/docker:/var/lib/docker",
        "/sys:/sys",
        "/tmp/mesos:/tmp/mesos${SHARED}",
        "/tmp/supervisord:/tmp/supervisord",
        "/tmp/consul/data:/opt/consul/data",
        "/proc:/host/proc:ro",
        "/sys:/host/sys:ro",
    ],
    stdout_listener: true,
    programs: &[
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
        // haproxy.cfg before consul-template renders the template: that file
        // is the generated base file from the start (a mount there would stop
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
    ],
    // ZooKeeper has none: the image's zkStart.sh edits its zoo.cfg in place
    // at every start, so it cannot be mounted, and derives it from the
    // compose environment.
    files: &[
        DaemonFile {
            template: "haproxy/haproxy.cfg",
            path: "haproxy/haproxy.cfg",
            when: |s| s.flag("START_CONSUL_TEMPLATE"),
            mount: "/opt/consul-template/haproxy.cfg",
            secret: |s| !s.text("HAPROXY_STATS_AUTH").is_empty(),
        },
        DaemonFile {
            template: "haproxy/haproxy.cfg.ctmpl",
            path: "haproxy/haproxy.cfg.ctmpl",
            when: |s| s.flag("START_CONSUL_TEMPLATE"),
            mount: "/opt/consul-template/haproxy.cfg.ctmpl",
            secret: |_| false,
        },
        DaemonFile {
            template: "keepalived/keepalived.conf.ctmpl",
            path: "keepalived/keepalived.conf.ctmpl",
            when: |s| s.flag("START_CONSUL_TEMPLATE") && !s.text("KEEPALIVED_VIP").is_empty(),
            mount: "/opt/consul-template/keepalived.conf.ctmpl",
            secret: |_| false,
        },
        DaemonFile {
            template: "supervisord/supervisord.conf",
            path: "supervisord/supervisord.conf",
            when: |_| true,
            mount: "/etc/supervisord.conf",
            secret: |s| !s.text("SUPERVISOR_PASSWORD").is_empty(),
        },
        DaemonFile {
            template: "fabio/fabio.properties",
            path: "fabio/fabio.properties",
            when: |s| s.flag("START_FABIO"),
            mount: "/opt/fabio/fabio.properties",
            secret: |_| false,
        },
    ],
};
