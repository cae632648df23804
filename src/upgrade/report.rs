//! `panteras check --upgrade-to 0.4.4`: what moving one 0.3.9 host, as its
//! settings stand, to PanteraS 0.4.4 changes, and what the operator must
//! do, section by section; only what concerns this host's roles and
//! settings is said.

use super::LAST_RELEASE;
use super::changes::{GONE, RENAMED, VERSIONS};
use crate::settings::Settings;
use crate::vars;

/// The report, one line each, section titles unindented.
pub fn report(s: &Settings) -> Vec<String> {
    let master =
        s.flag("START_ZOOKEEPER") || s.flag("START_MESOS_MASTER") || s.flag("START_MARATHON");
    let mut out = vec![format!(
        "Moving {} (MASTER={} SLAVE={}, {}) to PanteraS {LAST_RELEASE}:",
        s.text("HOSTNAME"),
        s.text("MASTER"),
        s.text("SLAVE"),
        s.text("PANTERAS_DOCKER_IMAGE"),
    )];
    let mut section = |title: &str, items: Vec<String>| {
        if !items.is_empty() {
            out.push(title.to_string());
            out.extend(items.into_iter().map(|i| format!("  - {i}")));
        }
    };
    section("Variables 0.4.4 no longer reads:", variables(s));
    section("Programs:", programs(s, master));
    section("Routing:", routing(s));
    section("Ports:", ports(s));
    section("Volumes, users and owners:", volumes(master));
    if master {
        section("The masters' state:", masters(s));
    }
    section(
        "Names of the PaaS's own services:",
        RENAMED
            .iter()
            .map(|(from, to)| format!("{from} -> {to}"))
            .collect(),
    );
    section(
        "Versions:",
        VERSIONS
            .iter()
            .map(|(daemon, from, to)| format!("{daemon} {from} -> {to}"))
            .collect(),
    );
    out
}

/// Each variable this host sets that 0.4.4 no longer reads, with where.
fn variables(s: &Settings) -> Vec<String> {
    let mut items = Vec::new();
    for (names, instead) in GONE {
        let set: Vec<String> = names
            .iter()
            .filter(|name| s.get(name).source.is_user())
            .map(|name| {
                let resolved = s.get(name);
                format!(
                    "{name}={} ({})",
                    vars::brief(name, &resolved.value.to_string()),
                    resolved.source
                )
            })
            .collect();
        if !set.is_empty() {
            items.push(format!("{}: {instead}", set.join(", ")));
        }
    }
    items
}

fn programs(s: &Settings, master: bool) -> Vec<String> {
    let mut gone = Vec::new();
    for (flag, name) in [
        ("START_DNSMASQ", "dnsmasq"),
        ("START_CHRONOS", "Chronos"),
        ("START_CONSUL_TEMPLATE", "consul-template with HAProxy"),
    ] {
        if s.flag(flag) {
            gone.push(name);
        }
    }
    if s.flag("START_CONSUL_TEMPLATE") && !s.text("KEEPALIVED_VIP").is_empty() {
        gone.push("keepalived");
    }
    let mut items = Vec::new();
    if !gone.is_empty() {
        items.push(format!("no longer run: {}", gone.join(", ")));
    }
    if !s.flag("START_FABIO") {
        items.push(format!(
            "Fabio starts by default on every host{} (START_FABIO=true is 0.4.4's default; \
             START_TRAEFIK=true runs Traefik instead, START_FABIO=false neither)",
            if master && !s.flag("SLAVE") {
                ", masters included"
            } else {
                ""
            }
        ));
    }
    items.push(
        "Consul, ZooKeeper, Fabio, Traefik and Marathon run as users of their own, not root".into(),
    );
    items
}

fn routing(s: &Settings) -> Vec<String> {
    let mut items = Vec::new();
    if s.flag("START_CONSUL_TEMPLATE") || s.flag("START_FABIO") {
        items.push(format!(
            "the apps' `haproxy...` and `urlprefix-` tags route nothing on {LAST_RELEASE}, \
             silently: Fabio takes `paas-` tags (`paas-NAME.service.consul/`, `paas-/path`); \
             `panteras app check --image {LAST_RELEASE} PLAN...` names every tag to change and \
             `--fix` rewrites them"
        ));
    }
    if s.flag("START_CONSUL_TEMPLATE") {
        items.push(
            "the 0.3 container's iptables rules (chains HAPROXY, haproxy_a, haproxy_b, jumps \
             from PREROUTING and OUTPUT) go only with a clean stop of it: check `iptables -t \
             nat -S` after, or :80 and :81 lead to dead ports instead of Fabio"
                .into(),
        );
    }
    let listen = s.text("LISTEN_IP");
    if s.get("LISTEN_IP").source.is_user() && listen != "0.0.0.0" {
        items.push(format!(
            "LISTEN_IP={listen}: Fabio and Traefik look for Consul on localhost, where Consul no \
             longer listens, and would route nothing: leave LISTEN_IP unset, or give the router \
             Consul's address, and put CONSUL_HTTP_ADDR in restricted/env"
        ));
    }
    items
}

fn ports(s: &Settings) -> Vec<String> {
    let mut items = Vec::new();
    if s.flag("START_DNSMASQ") {
        items.push("53 (dnsmasq) is no longer used".into());
    }
    if s.flag("START_CHRONOS") {
        items.push("4400 (Chronos) is no longer used".into());
    }
    if s.flag("START_CONSUL_TEMPLATE") {
        items.push(
            "80 and 81 are served by Fabio (or Traefik) itself, not redirected to HAProxy's \
             8550/8551 and 8660/8661"
                .into(),
        );
    }
    items.push("8400 is no longer used by Consul 1.x".into());
    items
}

fn volumes(master: bool) -> Vec<String> {
    let mut items = vec![
        "/var/spool/marathon/artifacts/store is no longer mounted (Marathon 1.5 dropped the \
         artifact store)"
            .to_string(),
        "the host's /tmp/consul/data becomes uid 3000's at each start".to_string(),
    ];
    if master {
        items.push(
            "new: the host's /tmp/zookeeper at /var/lib/zookeeper/version-2, the zookeeper \
             user's: ZooKeeper's data outlives the container from now on"
                .into(),
        );
        items.push(
            "the Mesos master's work directory moves from /var/lib/mesos (in the container) to \
             /tmp/mesos on the host, shared with the agent"
                .into(),
        );
    }
    items
}

fn masters(s: &Settings) -> Vec<String> {
    let ensemble = s
        .text("ZOOKEEPER_HOSTS")
        .split(',')
        .filter(|h| !h.is_empty())
        .count();
    let spare = ensemble.saturating_sub(1) / 2;
    let mut items = vec![format!(
        "a 0.3 container keeps ZooKeeper's data inside it: the first {LAST_RELEASE} master \
         starts with an empty /tmp/zookeeper and must sync from the others. Move the masters one \
         at a time, the ZooKeeper leader last, each only when the others hold a quorum \
         (ZOOKEEPER_HOSTS has {ensemble}: {spare} may be away at once), or back ZooKeeper up \
         first: else Marathon's apps and Mesos' state are lost"
    )];
    if ensemble <= 1 {
        items.push(
            "a single ZooKeeper: its data goes with the 0.3 container; back it up (Marathon's \
             apps) before the move"
                .into(),
        );
    }
    items.push(
        "Marathon 1.4.10 -> 1.8.222: its changelog allows the step to 1.5 only from 1.4, and \
         gives no direct 1.4 -> 1.8 path on existing state; Marathon 1.8 answers with the 1.5 \
         form of an app (networks, container.portMappings), so a deploy tool that compares what \
         it sent sees differences"
            .into(),
    );
    items
}
