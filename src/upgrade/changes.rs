//! What 0.4.4 changed from 0.3.9 for a host, as data: the variables it
//! no longer reads with what takes their place, the services whose names
//! changed, the versions of the daemons.

/// Variables of the 0.3 line that 0.4.4 no longer reads, and what to do
/// instead.
pub(super) const GONE: &[(&[&str], &str)] = &[
    (
        &[
            "START_DNSMASQ",
            "DNSMASQ_PARAMS",
            "DNSMASQ_APP_PARAMS",
            "DNSMASQ_ADDRESS",
            "DNSMASQ_BIND_INTERFACES",
        ],
        "dnsmasq is gone: `*.consul` is no longer answered on the host's port 53; point the host's resolver (or the apps) at Consul's DNS, port 8600 of CONSUL_IP",
    ),
    (
        &[
            "START_CHRONOS",
            "CHRONOS_PARAMS",
            "CHRONOS_APP_PARAMS",
            "CHRONOS_JAVA_OPTS",
        ],
        "Chronos is gone, with its jobs, its port 4400 and its registration: scheduled jobs need another home",
    ),
    (
        &[
            "START_CONSUL_TEMPLATE",
            "CONSUL_TEMPLATE_PARAMS",
            "CONSUL_TEMPLATE_APP_PARAMS",
            "HAPROXY_ADD_DOMAIN",
            "HAPROXY_MAXCONN",
            "HAPROXY_DEFAULT_WEIGHT",
            "HAPROXY_STATS_AUTH",
        ],
        "consul-template and HAProxy are gone: Fabio routes (START_FABIO, on by default on every host) by the apps' `paas-` tags, or Traefik (START_TRAEFIK=true) by `paas.` labels",
    ),
    (
        &["HAPROXY_SSL", "HAPROXY_CERT_OPTS"],
        "TLS termination needs a Fabio or Traefik configuration of one's own (its certificates readable by uid 3001 or 3002)",
    ),
    (
        &[
            "KEEPALIVED_VIP",
            "KEEPALIVED_INTERFACE",
            "KEEPALIVED_ROUTER_ID",
            "KEEPALIVED_CONSUL_TEMPLATE",
        ],
        "keepalived is gone: a virtual IP in front of the routers must be set up on the hosts",
    ),
    (
        &["MARATHON_JAVA_OPTS"],
        "Marathon 1.8's launcher reads JAVA_OPTS (and turns MARATHON_<FLAG> variables into --<flag>): put JAVA_OPTS=... in restricted/env, and no MARATHON_JAVA_OPTS there",
    ),
    (
        &["ZOOKEEPER_PARAMS", "FABIO_PARAMS", "NETDATA_PARAMS"],
        "0.4.4 ignores it (the daemon's line is fixed): its <DAEMON>_APP_PARAMS replaces the whole line",
    ),
];

/// The PaaS's own services whose names change, as users reach them.
pub(super) const RENAMED: &[(&str, &str)] = &[
    ("consul-ui.service.consul", "consul.ui.service.consul"),
    ("marathon.service.consul", "marathon.ui.service.consul"),
    ("chronos.service.consul", "(gone with Chronos)"),
    (
        "(none)",
        "router.ui.service.consul, the router's UI on port 81",
    ),
];

/// The daemons whose versions change, from 0.3.9's to 0.4.4's.
pub(super) const VERSIONS: &[(&str, &str, &str)] = &[
    ("Consul", "1.0.6", "1.10.3"),
    ("Mesos", "1.4.1", "1.9.0"),
    ("Marathon", "1.4.10", "1.8.222"),
];
