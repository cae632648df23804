//! Consistency checks across variables, run by `panteras check` and before
//! `generate` writes anything: each finding names the variables involved,
//! where their values came from, and a fix.

use std::collections::BTreeSet;
use std::fmt;
use std::net::{Ipv4Addr, TcpListener, UdpSocket};

use crate::layers::Layers;
use crate::settings::Settings;
use crate::values::{HostPort, Value};
use crate::vars;

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

/// One problem found in a host's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    /// The variables involved, with their values and sources.
    pub subject: String,
    pub problem: String,
    pub fix: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}\n  fix: {}", self.subject, self.problem, self.fix)
    }
}

/// Variables older scripts read that the 0.3.x image no longer does.
const DEPRECATED: [(&str, &str); 3] = [
    (
        "START_HAPROXY",
        "HAProxy runs under consul-template; use START_CONSUL_TEMPLATE",
    ),
    (
        "HAPROXY_RELOAD_COMMAND",
        "the image's haproxy_reload.sh reloads HAProxy; remove it",
    ),
    (
        "ZOOKEEPER_DATA_DIR",
        "the image's zkStart.sh keeps the package's dataDir, /var/lib/zookeeper; remove it",
    ),
];

/// `NAME=value (source)`, the value masked when it is a secret.
fn about(s: &Settings, name: &str) -> String {
    let resolved = s.get(name);
    let value = vars::shown(name, &resolved.value.to_string());
    format!("{name}={value} ({})", resolved.source)
}

/// `A=a (source) and B=b (source)`.
fn both(s: &Settings, a: &str, b: &str) -> String {
    format!("{} and {}", about(s, a), about(s, b))
}

fn hosts(s: &Settings) -> &[HostPort] {
    match &s.get("ZOOKEEPER_HOSTS").value {
        Value::Hosts(hosts) => hosts,
        _ => &[],
    }
}

fn number(s: &Settings, name: &str) -> u32 {
    match s.get(name).value {
        Value::Number(n) => n,
        _ => 0,
    }
}

/// Every consistency problem of the settings, errors first. `here` says
/// whether they are for the machine running panteras (its addresses are
/// then compared with LISTEN_IP).
pub fn check(s: &Settings, layers: &Layers, here: bool) -> Vec<Finding> {
    let mut found = Vec::new();
    zookeeper_id(s, &mut found);
    quorum(s, &mut found);
    consul_bootstrap(s, &mut found);
    proxies(s, &mut found);
    certificate(s, &mut found);
    supervisor_credentials(s, &mut found);
    even_masters(s, &mut found);
    listen_ip(s, here, &mut found);
    addresses(s, &mut found);
    command_lines(s, &mut found);
    registry(s, &mut found);
    consul_client(s, &mut found);
    if here {
        docker_binary(s, &mut found);
    }
    unknown_names(layers, &mut found);
    found.sort_by_key(|f| f.severity);
    found
}

fn error(subject: String, problem: String, fix: String) -> Finding {
    Finding {
        severity: Severity::Error,
        subject,
        problem,
        fix,
    }
}

fn warning(subject: String, problem: String, fix: String) -> Finding {
    Finding {
        severity: Severity::Warning,
        subject,
        problem,
        fix,
    }
}

/// The position (1-based) of this host in ZOOKEEPER_HOSTS, if it is there.
fn own_position(s: &Settings) -> Option<usize> {
    let names = ["HOSTNAME", "FQDN", "IP", "LISTEN_IP"].map(|n| s.text(n).to_ascii_lowercase());
    hosts(s)
        .iter()
        .position(|h| names.contains(&h.host.to_ascii_lowercase()))
        .map(|i| i + 1)
}

fn zookeeper_id(s: &Settings, found: &mut Vec<Finding>) {
    if !s.flag("START_ZOOKEEPER") {
        return;
    }
    let n = hosts(s).len();
    let id = number(s, "ZOOKEEPER_ID") as usize;
    let subject = both(s, "ZOOKEEPER_ID", "ZOOKEEPER_HOSTS");
    let position = own_position(s);
    let fix = match position {
        Some(p) => format!("set ZOOKEEPER_ID={p}, this host's position in ZOOKEEPER_HOSTS"),
        None => format!("set ZOOKEEPER_ID to this master's position in ZOOKEEPER_HOSTS (1 to {n})"),
    };
    if id == 0 && n > 1 {
        found.push(error(
            subject,
            format!("ZOOKEEPER_ID=0 means a single-node ZooKeeper, but ZOOKEEPER_HOSTS lists {n} servers"),
            fix,
        ));
    } else if id > n {
        found.push(error(
            subject,
            format!("ZOOKEEPER_ID is outside 1..{n}, the entries of ZOOKEEPER_HOSTS"),
            fix,
        ));
    } else if let Some(p) = position.filter(|&p| id != 0 && p != id) {
        found.push(error(
            subject,
            format!("this host is entry {p} of ZOOKEEPER_HOSTS, not entry {id}"),
            fix,
        ));
    } else if id != 0 && position.is_none() {
        found.push(warning(
            format!("{subject}, {}", about(s, "HOSTNAME")),
            format!(
                "entry {id} of ZOOKEEPER_HOSTS is {}, which is none of this host's names and \
                 addresses (HOSTNAME, FQDN, IP, LISTEN_IP): ZooKeeper would take this server for \
                 that one (fine only if it is another name of this host)",
                hosts(s)[id - 1].host
            ),
            "list this host in ZOOKEEPER_HOSTS by its HOSTNAME or IP, at position ZOOKEEPER_ID"
                .into(),
        ));
    }
}

fn quorum(s: &Settings, found: &mut Vec<Finding>) {
    if !s.flag("START_MESOS_MASTER") {
        return;
    }
    let n = hosts(s).len() as u32;
    let q = number(s, "MESOS_MASTER_QUORUM");
    if q <= n / 2 || q > n {
        let majority = n / 2 + 1;
        let problem = if q > n {
            format!(
                "a quorum of {q} can never be reached with {n} masters (the entries of ZOOKEEPER_HOSTS)"
            )
        } else {
            format!(
                "a quorum of {q} out of {n} masters (the entries of ZOOKEEPER_HOSTS) is not a majority: two halves of the cluster could each elect a leader (split brain)"
            )
        };
        found.push(error(
            both(s, "MESOS_MASTER_QUORUM", "ZOOKEEPER_HOSTS"),
            problem,
            format!("set MESOS_MASTER_QUORUM={majority}"),
        ));
    }
}

fn consul_bootstrap(s: &Settings, found: &mut Vec<Finding>) {
    let params = s.text("CONSUL_APP_PARAMS");
    let words: Vec<&str> = params.split_whitespace().collect();
    if !s.flag("START_CONSUL") || !words.contains(&"-server") {
        return;
    }
    let mut expect = None;
    let mut joins = BTreeSet::new();
    for (i, word) in words.iter().enumerate() {
        let next = words.get(i + 1).copied();
        if let Some(n) = word.strip_prefix("-bootstrap-expect=") {
            expect = n.parse::<usize>().ok();
        } else if *word == "-bootstrap-expect" {
            expect = next.and_then(|n| n.parse().ok());
        } else if let Some(target) = word
            .strip_prefix("-join=")
            .or_else(|| word.strip_prefix("-retry-join="))
        {
            joins.insert(target.to_ascii_lowercase());
        } else if matches!(*word, "-join" | "-retry-join") {
            joins.extend(next.map(str::to_ascii_lowercase));
        }
    }
    let Some(expect) = expect else { return };
    let own = ["HOSTNAME", "FQDN", "IP", "LISTEN_IP", "CONSUL_IP"]
        .map(|n| s.text(n).to_ascii_lowercase());
    let servers = joins.len() + usize::from(!joins.iter().any(|j| own.contains(j)));
    if expect > servers {
        let holder = [
            "CONSUL_APP_PARAMS",
            "CONSUL_PARAMS",
            "CONSUL_HOSTS",
            "CONSUL_BOOTSTRAP",
        ]
        .into_iter()
        .filter(|n| s.text(n).contains("-bootstrap-expect"))
        .max_by_key(|n| s.get(n).source.is_user())
        .unwrap_or("CONSUL_BOOTSTRAP");
        found.push(error(
            about(s, holder),
            format!(
                "Consul waits for {expect} servers but can join only {servers} (this one and {} -join targets)",
                joins.len()
            ),
            format!("add -join=<server> for every Consul server to CONSUL_HOSTS, or set -bootstrap-expect {servers}"),
        ));
    }
}

fn proxies(s: &Settings, found: &mut Vec<Finding>) {
    if s.flag("START_FABIO") && s.flag("START_CONSUL_TEMPLATE") {
        found.push(error(
            both(s, "START_FABIO", "START_CONSUL_TEMPLATE"),
            "Fabio and consul-template with HAProxy both want ports 80 and 81".into(),
            "start one of them: set START_CONSUL_TEMPLATE=false to use Fabio".into(),
        ));
    }
}

fn certificate(s: &Settings, found: &mut Vec<Finding>) {
    if !s.flag("HAPROXY_SSL") {
        return;
    }
    let options = s.text("HAPROXY_CERT_OPTS");
    let words: Vec<&str> = options.split_whitespace().collect();
    let names_one = words.windows(2).any(|w| w[0] == "crt" && !w[1].is_empty());
    if !names_one {
        found.push(error(
            both(s, "HAPROXY_SSL", "HAPROXY_CERT_OPTS"),
            "TLS is on but the bind options name no certificate (`crt <file>`)".into(),
            "set HAPROXY_CERT_OPTS=\"ssl crt /etc/haproxy/haproxy.pem\" (or leave it unset for that default)".into(),
        ));
    }
}

fn supervisor_credentials(s: &Settings, found: &mut Vec<Finding>) {
    let user = !s.text("SUPERVISOR_USER").is_empty();
    let password = !s.text("SUPERVISOR_PASSWORD").is_empty();
    if user != password {
        let (set, unset) = if user {
            ("SUPERVISOR_USER", "SUPERVISOR_PASSWORD")
        } else {
            ("SUPERVISOR_PASSWORD", "SUPERVISOR_USER")
        };
        found.push(error(
            about(s, set),
            format!("{set} is set but {unset} is not: the supervisord console needs both"),
            format!("set {unset} too, or neither"),
        ));
    } else if !password {
        found.push(warning(
            "SUPERVISOR_USER and SUPERVISOR_PASSWORD (unset)".into(),
            format!(
                "the supervisord console on {}:9000 asks for no password, and it starts and stops every daemon",
                s.text("LISTEN_IP")
            ),
            "set SUPERVISOR_USER and SUPERVISOR_PASSWORD".into(),
        ));
    }
}

fn even_masters(s: &Settings, found: &mut Vec<Finding>) {
    let n = hosts(s).len();
    if s.flag("START_ZOOKEEPER") && n >= 2 && n.is_multiple_of(2) {
        found.push(warning(
            about(s, "ZOOKEEPER_HOSTS"),
            format!(
                "{n} masters survive no more failures than {}: an even number only adds a machine that can fail",
                n - 1
            ),
            format!("use an odd number of masters ({} or {})", n - 1, n + 1),
        ));
    }
}

fn listen_ip(s: &Settings, here: bool, found: &mut Vec<Finding>) {
    let Value::Ip(ip) = s.get("LISTEN_IP").value else {
        return;
    };
    if ip == Ipv4Addr::UNSPECIFIED {
        let daemons: Vec<&str> = [
            ("START_ZOOKEEPER", "ZooKeeper"),
            ("START_CONSUL", "Consul"),
            ("START_MARATHON", "Marathon"),
            ("START_MESOS_MASTER", "the Mesos master"),
            ("START_MESOS_SLAVE", "the Mesos agent"),
            ("START_CHRONOS", "Chronos"),
            ("START_CONSUL_TEMPLATE", "HAProxy"),
            ("START_FABIO", "Fabio"),
        ]
        .into_iter()
        .filter(|(start, _)| s.flag(start))
        .map(|(_, name)| name)
        .chain(["the supervisord console"])
        .collect();
        let listed = match daemons.split_last() {
            Some((last, [])) => last.to_string(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
            None => String::new(),
        };
        found.push(warning(
            about(s, "LISTEN_IP"),
            format!("{listed} listen on every interface"),
            "set LISTEN_IP to the address of the cluster's network".into(),
        ));
    } else if here && UdpSocket::bind((ip, 0)).is_err() {
        found.push(warning(
            about(s, "LISTEN_IP"),
            format!("{ip} is not an address of this machine (fine if the files are generated for another one)"),
            "set LISTEN_IP to one of this host's addresses".into(),
        ));
    }
}

/// The addresses other hosts use to reach this one: HOST_IP (registered
/// services), CONSUL_IP (advertised to Consul) and IP they derive from.
fn addresses(s: &Settings, found: &mut Vec<Finding>) {
    let mut reported: Vec<Ipv4Addr> = Vec::new();
    for name in ["IP", "HOST_IP", "CONSUL_IP"] {
        let Value::Ip(ip) = s.get(name).value else {
            continue;
        };
        if reported.contains(&ip) {
            continue;
        }
        let what = if ip.is_unspecified() {
            "the unspecified address"
        } else if ip.is_broadcast() {
            "the broadcast address"
        } else if ip.is_multicast() {
            "a multicast address"
        } else if ip.is_loopback() {
            reported.push(ip);
            found.push(warning(
                about(s, name),
                format!(
                    "{ip} is a loopback address: this machine alone reaches it, so no other host \
                     of a cluster can reach this one's services or Consul there"
                ),
                "fine for a single box; in a cluster set IP (and LISTEN_IP) to this host's address on the cluster's network".into(),
            ));
            continue;
        } else {
            continue;
        };
        reported.push(ip);
        found.push(error(
            about(s, name),
            format!("{ip} is {what}: no host can reach this one there"),
            "set IP (or HOST_IP and CONSUL_IP) to this host's address on the cluster's network"
                .into(),
        ));
    }
}

/// Variables whose values supervisord splits into a daemon's command line
/// (Python's `shlex`): the parameters and what they are built from.
const COMMAND_WORDS: [&str; 8] = [
    "CONSUL_MODE",
    "MESOS_CLUSTER_NAME",
    "CONSUL_BOOTSTRAP",
    "CONSUL_HOSTS",
    "CLUSTER_NAME",
    "DNSMASQ_ADDRESS",
    "DNSMASQ_BIND_INTERFACES",
    "KEEPALIVED_CONSUL_TEMPLATE",
];

/// Why `shlex.split` (POSIX mode, as supervisord uses it) refuses `text`.
pub fn unsplittable(text: &str) -> Option<&'static str> {
    let mut quote: Option<char> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, '\\') | (Some('"'), '\\') if chars.next().is_none() => {
                return Some("it ends with a backslash, which escapes nothing");
            }
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            _ => {}
        }
    }
    match quote {
        Some('\'') => Some("a single quote is not closed"),
        Some(_) => Some("a double quote is not closed"),
        None => None,
    }
}

fn command_lines(s: &Settings, found: &mut Vec<Finding>) {
    // The values the user set first, then every whole command line, so a
    // derived one is blamed only when no value the user set is.
    let culprits = vars::VARS
        .iter()
        .map(|v| v.name)
        .filter(|n| n.ends_with("_PARAMS") || COMMAND_WORDS.contains(n))
        .filter(|n| s.get(n).source.is_user());
    let mut reported = false;
    let mut checked: Vec<&str> = Vec::new();
    for name in culprits.chain(crate::params::DAEMONS.iter().map(|d| vars::app_params(d))) {
        if checked.contains(&name) || (reported && !s.get(name).source.is_user()) {
            continue;
        }
        checked.push(name);
        if let Some(why) = unsplittable(&s.text(name)) {
            reported = true;
            found.push(error(
                about(s, name),
                format!(
                    "supervisord cannot split it into words ({why}), so the daemon never starts"
                ),
                "close every quote, and escape a final backslash or remove it".into(),
            ));
        }
    }
}

/// REGISTRY is a prefix: without its `/` the image names another registry.
fn registry(s: &Settings, found: &mut Vec<Finding>) {
    let registry = s.text("REGISTRY");
    if !registry.is_empty()
        && !registry.ends_with('/')
        && !s.get("PANTERAS_DOCKER_IMAGE").source.is_user()
    {
        found.push(warning(
            about(s, "REGISTRY"),
            format!(
                "a registry prefix ends with `/`; panteras added it: the image is {}",
                s.text("PANTERAS_DOCKER_IMAGE")
            ),
            format!("set REGISTRY={registry}/"),
        ));
    }
}

/// A Consul agent that is not a server: it may not wait for servers, and
/// finds none unless it joins one.
fn consul_client(s: &Settings, found: &mut Vec<Finding>) {
    let params = s.text("CONSUL_APP_PARAMS");
    let words: Vec<&str> = params.split_whitespace().collect();
    if !s.flag("START_CONSUL") || words.contains(&"-server") || words.contains(&"-dev") {
        return;
    }
    let holder = [
        "CONSUL_APP_PARAMS",
        "CONSUL_PARAMS",
        "CONSUL_HOSTS",
        "CONSUL_BOOTSTRAP",
    ]
    .into_iter()
    .filter(|n| s.get(n).source.is_user())
    .find(|n| s.text(n).contains("-bootstrap-expect"))
    .unwrap_or("CONSUL_HOSTS");
    if words.iter().any(|w| w.starts_with("-bootstrap-expect")) {
        found.push(error(
            both(s, holder, "CONSUL_MODE"),
            "Consul refuses -bootstrap-expect on an agent that is not a server (`-server`), so it never starts".into(),
            "on a slave-only host set CONSUL_HOSTS to -join=<server> for each Consul server".into(),
        ));
    } else if !words
        .iter()
        .any(|w| w.starts_with("-join") || w.starts_with("-retry-join") || w.starts_with("-config"))
    {
        found.push(warning(
            both(s, "CONSUL_HOSTS", "CONSUL_MODE"),
            "this Consul client joins no server, so it finds none: Registrator and consul-template get no catalog".into(),
            "set CONSUL_HOSTS to -join=<server> for each Consul server".into(),
        ));
    }
}

/// With HOST_DOCKER, the host's docker binary is mounted; Docker makes a
/// directory where a mounted file is missing.
fn docker_binary(s: &Settings, found: &mut Vec<Finding>) {
    if !s.flag("HOST_DOCKER") {
        return;
    }
    let volume = s.text("VOLUME_DOCKER");
    let source = volume.split(':').next().unwrap_or("");
    if !source.is_empty() && !std::path::Path::new(source).exists() {
        found.push(error(
            both(s, "HOST_DOCKER", "VOLUME_DOCKER"),
            format!("{source} does not exist on this machine: Docker would make an empty directory there and mount it over the container's docker"),
            "install the docker client at that path, set VOLUME_DOCKER to where it is, or set HOST_DOCKER=false".into(),
        ));
    }
}

fn unknown_names(layers: &Layers, found: &mut Vec<Finding>) {
    for (name, source) in layers.assigned_in_files() {
        if vars::find(name).is_some() {
            continue;
        }
        if let Some((_, why)) = DEPRECATED.iter().find(|(old, _)| old == name) {
            found.push(warning(
                format!("{name} ({source})"),
                "is no longer read by the 0.3.x image".into(),
                (*why).into(),
            ));
            continue;
        }
        let (problem, fix) = match vars::closest(name) {
            Some(known) => (
                format!("is not a panteras variable; did you mean {known}?"),
                format!("rename it to {known}"),
            ),
            None => (
                "is not a panteras variable".into(),
                "remove it, unless a later line refers to it as $NAME".into(),
            ),
        };
        found.push(warning(format!("{name} ({source})"), problem, fix));
    }
}

/// A port a started daemon needs.
struct Port {
    number: u16,
    udp: bool,
    what: &'static str,
}

const fn tcp(number: u16, what: &'static str) -> Port {
    Port {
        number,
        udp: false,
        what,
    }
}

const fn udp(number: u16, what: &'static str) -> Port {
    Port {
        number,
        udp: true,
        what,
    }
}

/// The ports of each daemon, by the variable that starts it.
const PORTS: &[(&str, &[Port])] = &[
    ("START_DNSMASQ", &[tcp(53, "dnsmasq"), udp(53, "dnsmasq")]),
    (
        "START_CONSUL",
        &[
            tcp(8300, "Consul server RPC"),
            tcp(8301, "Consul LAN gossip"),
            udp(8301, "Consul LAN gossip"),
            tcp(8302, "Consul WAN gossip"),
            udp(8302, "Consul WAN gossip"),
            tcp(8400, "Consul CLI RPC"),
            tcp(8500, "Consul HTTP"),
            tcp(8600, "Consul DNS"),
            udp(8600, "Consul DNS"),
        ],
    ),
    (
        "START_ZOOKEEPER",
        &[
            tcp(2181, "ZooKeeper clients"),
            tcp(2888, "ZooKeeper peers"),
            tcp(3888, "ZooKeeper election"),
        ],
    ),
    ("START_MESOS_MASTER", &[tcp(5050, "Mesos master")]),
    ("START_MARATHON", &[tcp(8080, "Marathon")]),
    ("START_CHRONOS", &[tcp(4400, "Chronos")]),
    ("START_MESOS_SLAVE", &[tcp(5051, "Mesos agent")]),
    (
        "START_CONSUL_TEMPLATE",
        &[tcp(80, "HAProxy"), tcp(81, "HAProxy statistics")],
    ),
    ("START_FABIO", &[tcp(80, "Fabio"), tcp(81, "Fabio UI")]),
    ("START_NETDATA", &[tcp(19999, "netdata")]),
];

/// The supervisord console, which always runs.
const CONSOLE: Port = tcp(9000, "supervisord console");

/// Tries to bind every port the started daemons need on LISTEN_IP. A port
/// in use is an error of its own; ports that cannot be tested for one
/// reason (LISTEN_IP is not on this machine, no permission) are one warning.
pub fn ports(s: &Settings) -> Vec<Finding> {
    let Value::Ip(ip) = s.get("LISTEN_IP").value else {
        return Vec::new();
    };
    let mut needed: Vec<&Port> = PORTS
        .iter()
        .filter(|(start, _)| s.flag(start))
        .flat_map(|(_, ports)| ports.iter())
        .collect();
    needed.push(&CONSOLE);
    let mut found = Vec::new();
    let mut untested: Vec<(std::io::ErrorKind, String, Vec<String>)> = Vec::new();
    for port in needed {
        match probe(ip, port) {
            Probe::Free => {}
            Probe::InUse(finding) => found.push(finding),
            Probe::Untested(kind, why, name) => {
                match untested.iter_mut().find(|(k, ..)| *k == kind) {
                    Some((_, _, names)) => names.push(name),
                    None => untested.push((kind, why, vec![name])),
                }
            }
        }
    }
    for (kind, why, names) in untested {
        let fix = match kind {
            std::io::ErrorKind::AddrNotAvailable => {
                "run the check on the host that owns LISTEN_IP, or set LISTEN_IP to one of this host's addresses"
            }
            std::io::ErrorKind::PermissionDenied => "run the check as root",
            _ => "run the check as root on the host itself",
        };
        found.push(warning(
            format!("{} on {ip}", plural_ports(&names)),
            format!("cannot be tested: {why}"),
            fix.into(),
        ));
    }
    found
}

fn plural_ports(names: &[String]) -> String {
    match names {
        [one] => format!("port {one}"),
        many => format!("ports {}", many.join(", ")),
    }
}

/// What binding a port told.
#[derive(Debug, PartialEq, Eq)]
enum Probe {
    Free,
    InUse(Finding),
    /// Why it could not be tested, and the port as `53/udp`.
    Untested(std::io::ErrorKind, String, String),
}

/// Binds `port` on `ip` and lets it go.
fn probe(ip: Ipv4Addr, port: &Port) -> Probe {
    let result = if port.udp {
        UdpSocket::bind((ip, port.number)).map(drop)
    } else {
        TcpListener::bind((ip, port.number)).map(drop)
    };
    let proto = if port.udp { "udp" } else { "tcp" };
    match result {
        Ok(()) => Probe::Free,
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => Probe::InUse(error(
            format!("port {}/{proto} on {ip} ({})", port.number, port.what),
            "is in use".into(),
            "stop what listens there, or move it off LISTEN_IP".into(),
        )),
        Err(e) => {
            let why = match e.kind() {
                std::io::ErrorKind::AddrNotAvailable => {
                    format!("{ip} is not an address of this machine")
                }
                _ => e.to_string(),
            };
            Probe::Untested(e.kind(), why, format!("{}/{proto}", port.number))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Answer;
    use crate::identity::tests::FakeSystem;

    /// The findings for a host whose restricted/host holds `host_file`
    /// followed by the assignments of `vars`.
    fn findings(vars: &[(&str, &str)], host_file: &str) -> Vec<Finding> {
        let mut text = host_file.to_string();
        for (name, value) in vars {
            text.push_str(&format!("{name}={}\n", crate::show::shell_quote(value)));
        }
        let system = FakeSystem {
            hostname: Some("master-2".into()),
            fqdn: None,
            answer: Ok(Answer {
                addrs: vec!["10.0.0.2".parse().unwrap()],
                via: "/etc/hosts".into(),
            }),
        };
        let layers = Layers::from_text("restricted/host", &text, None).unwrap();
        let settings = Settings::resolve(&layers, &system).unwrap();
        check(&settings, &layers, true)
    }

    const CLEAN: &[(&str, &str)] = &[
        ("LISTEN_IP", "127.0.0.1"),
        ("CONSUL_IP", "10.0.0.2"),
        ("SUPERVISOR_USER", "ops"),
        ("SUPERVISOR_PASSWORD", "secret"),
    ];

    fn with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        let mut env = CLEAN.to_vec();
        env.extend_from_slice(extra);
        env
    }

    fn problems(found: &[Finding], severity: Severity) -> Vec<String> {
        found
            .iter()
            .filter(|f| f.severity == severity)
            .map(|f| f.problem.clone())
            .collect()
    }

    const THREE: (&str, &str) = (
        "ZOOKEEPER_HOSTS",
        "master-1:2181,master-2:2181,master-3:2181",
    );

    #[test]
    fn a_consistent_master_has_no_findings() {
        let env = with(&[
            THREE,
            ("ZOOKEEPER_ID", "2"),
            ("MESOS_MASTER_QUORUM", "2"),
            ("SLAVE", "false"),
        ]);
        let host =
            "CONSUL_HOSTS=\"-bootstrap-expect 3 -join=master-1 -join=master-2 -join=master-3\"\n";
        assert_eq!(findings(&env, host), vec![]);
    }

    #[test]
    fn zookeeper_id_must_be_this_hosts_position() {
        let base = [THREE, ("MESOS_MASTER_QUORUM", "2")];
        let found = findings(&with(&[base[0], base[1], ("ZOOKEEPER_ID", "7")]), "");
        assert_eq!(
            problems(&found, Severity::Error),
            ["ZOOKEEPER_ID is outside 1..3, the entries of ZOOKEEPER_HOSTS"]
        );
        assert_eq!(
            found[0].fix,
            "set ZOOKEEPER_ID=2, this host's position in ZOOKEEPER_HOSTS"
        );
        let found = findings(&with(&[base[0], base[1], ("ZOOKEEPER_ID", "1")]), "");
        assert_eq!(
            problems(&found, Severity::Error),
            ["this host is entry 2 of ZOOKEEPER_HOSTS, not entry 1"]
        );
        let found = findings(&with(&[base[0], base[1]]), "");
        assert_eq!(
            problems(&found, Severity::Error),
            ["ZOOKEEPER_ID=0 means a single-node ZooKeeper, but ZOOKEEPER_HOSTS lists 3 servers"]
        );
        // A slave starts no ZooKeeper, so its ZOOKEEPER_ID does not matter.
        let found = findings(
            &with(&[
                base[0],
                ("MASTER", "false"),
                ("CONSUL_HOSTS", "-join=master-1"),
            ]),
            "",
        );
        assert!(problems(&found, Severity::Error).is_empty(), "{found:?}");
        // An id whose entry names none of this host's names or addresses.
        let found = findings(
            &with(&[
                ("ZOOKEEPER_HOSTS", "zk-a:2181,zk-b:2181,zk-c:2181"),
                ("ZOOKEEPER_ID", "2"),
                base[1],
            ]),
            "",
        );
        assert_eq!(
            problems(&found, Severity::Warning),
            [
                "entry 2 of ZOOKEEPER_HOSTS is zk-b, which is none of this host's names and addresses (HOSTNAME, FQDN, IP, LISTEN_IP): ZooKeeper would take this server for that one (fine only if it is another name of this host)"
            ]
        );
    }

    #[test]
    fn quorum_must_be_a_majority() {
        for (q, ok) in [("1", false), ("2", true), ("3", true), ("4", false)] {
            let found = findings(
                &with(&[THREE, ("ZOOKEEPER_ID", "2"), ("MESOS_MASTER_QUORUM", q)]),
                "",
            );
            assert_eq!(
                problems(&found, Severity::Error).is_empty(),
                ok,
                "quorum {q}: {found:?}"
            );
        }
        let found = findings(&with(&[THREE, ("ZOOKEEPER_ID", "2")]), "");
        assert_eq!(found[0].fix, "set MESOS_MASTER_QUORUM=2");
    }

    #[test]
    fn consul_cannot_expect_more_servers_than_it_joins() {
        let found = findings(&with(&[("CONSUL_BOOTSTRAP", "-bootstrap-expect 3")]), "");
        assert_eq!(
            problems(&found, Severity::Error),
            ["Consul waits for 3 servers but can join only 1 (this one and 0 -join targets)"]
        );
        assert!(
            found[0]
                .subject
                .starts_with("CONSUL_BOOTSTRAP=-bootstrap-expect 3 (restricted/host:"),
            "{}",
            found[0].subject
        );
        let joined = findings(
            &with(&[("CONSUL_HOSTS", "-bootstrap-expect=3 -join=a -retry-join b")]),
            "",
        );
        assert!(problems(&joined, Severity::Error).is_empty(), "{joined:?}");
        // A client may not wait for servers: Consul refuses to start.
        let client = findings(
            &with(&[
                ("MASTER", "false"),
                ("CONSUL_BOOTSTRAP", "-bootstrap-expect 3"),
            ]),
            "",
        );
        assert_eq!(
            problems(&client, Severity::Error),
            [
                "Consul refuses -bootstrap-expect on an agent that is not a server (`-server`), so it never starts"
            ]
        );
        // A client that joins no server is warned about.
        let alone = findings(&with(&[("MASTER", "false"), ("CONSUL_HOSTS", " ")]), "");
        assert_eq!(
            problems(&alone, Severity::Warning),
            [
                "this Consul client joins no server, so it finds none: Registrator and consul-template get no catalog"
            ]
        );
        let joined = findings(
            &with(&[("MASTER", "false"), ("CONSUL_HOSTS", "-join=10.0.0.1")]),
            "",
        );
        assert!(joined.is_empty(), "{joined:?}");
    }

    #[test]
    fn fabio_and_consul_template_exclude_each_other() {
        let found = findings(&with(&[("START_FABIO", "true")]), "");
        assert_eq!(
            problems(&found, Severity::Error),
            ["Fabio and consul-template with HAProxy both want ports 80 and 81"]
        );
        let found = findings(
            &with(&[("START_FABIO", "true"), ("START_CONSUL_TEMPLATE", "false")]),
            "",
        );
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn tls_needs_a_certificate() {
        let found = findings(
            &with(&[("HAPROXY_SSL", "true"), ("HAPROXY_CERT_OPTS", "ssl")]),
            "",
        );
        assert_eq!(
            problems(&found, Severity::Error),
            ["TLS is on but the bind options name no certificate (`crt <file>`)"]
        );
        let found = findings(
            &with(&[("HAPROXY_SSL", "true"), ("HAPROXY_CERT_OPTS", " ")]),
            "",
        );
        assert_eq!(problems(&found, Severity::Error).len(), 1);
        assert!(findings(&with(&[("HAPROXY_SSL", "true")]), "").is_empty());
    }

    #[test]
    fn supervisor_credentials_come_in_pairs_and_their_absence_is_a_warning() {
        let found = findings(
            &[("LISTEN_IP", "127.0.0.1"), ("SUPERVISOR_PASSWORD", "x")],
            "",
        );
        assert_eq!(
            problems(&found, Severity::Error),
            [
                "SUPERVISOR_PASSWORD is set but SUPERVISOR_USER is not: the supervisord console needs both"
            ]
        );
        let found = findings(&[("LISTEN_IP", "127.0.0.1"), ("CONSUL_IP", "10.0.0.2")], "");
        assert_eq!(
            problems(&found, Severity::Warning),
            [
                "the supervisord console on 127.0.0.1:9000 asks for no password, and it starts and stops every daemon"
            ]
        );
    }

    #[test]
    fn even_numbers_of_masters_are_a_warning() {
        let env = with(&[
            ("ZOOKEEPER_HOSTS", "master-2:2181,b:2181,c:2181,d:2181"),
            ("ZOOKEEPER_ID", "1"),
            ("MESOS_MASTER_QUORUM", "3"),
        ]);
        let found = findings(&env, "");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].severity, Severity::Warning);
        assert_eq!(found[0].fix, "use an odd number of masters (3 or 5)");
    }

    #[test]
    fn listen_ip_everywhere_or_elsewhere_is_a_warning() {
        let found = findings(
            &[("SUPERVISOR_USER", "ops"), ("SUPERVISOR_PASSWORD", "x")],
            "",
        );
        assert_eq!(
            problems(&found, Severity::Warning),
            [
                "ZooKeeper, Consul, Marathon, the Mesos master, the Mesos agent, Chronos, HAProxy and the supervisord console listen on every interface"
            ]
        );
        // 192.0.2.0/24 is reserved for documentation: no machine has it.
        let found = findings(
            &[
                ("LISTEN_IP", "192.0.2.7"),
                ("SUPERVISOR_USER", "ops"),
                ("SUPERVISOR_PASSWORD", "x"),
            ],
            "",
        );
        assert_eq!(
            problems(&found, Severity::Warning),
            [
                "192.0.2.7 is not an address of this machine (fine if the files are generated for another one)"
            ]
        );
    }

    #[test]
    fn unknown_and_deprecated_names_in_files_are_warnings() {
        let found = findings(
            CLEAN,
            "ZOOKEPER_HOSTS=a:2181\nSTART_HAPROXY=true\nMY_HELPER=x\n",
        );
        let shown: Vec<String> = found
            .iter()
            .map(|f| format!("{}: {}", f.subject, f.problem))
            .collect();
        assert_eq!(shown.len(), 3, "{shown:?}");
        assert!(
            shown[0].ends_with(":1): is not a panteras variable; did you mean ZOOKEEPER_HOSTS?"),
            "{shown:?}"
        );
        assert!(
            shown[1].starts_with("START_HAPROXY (")
                && shown[1].ends_with("is no longer read by the 0.3.x image")
        );
        assert!(
            shown[2].ends_with(":3): is not a panteras variable"),
            "{shown:?}"
        );
        assert!(found.iter().all(|f| f.severity == Severity::Warning));
    }

    #[test]
    fn ports_in_use_are_errors() {
        let held = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = Port {
            number: held.local_addr().unwrap().port(),
            udp: false,
            what: "test",
        };
        let Probe::InUse(found) = probe(Ipv4Addr::LOCALHOST, &port) else {
            panic!("the port held is not in use");
        };
        assert_eq!(found.severity, Severity::Error);
        assert_eq!(
            found.subject,
            format!("port {}/tcp on 127.0.0.1 (test)", port.number)
        );
        assert_eq!(found.problem, "is in use");
        drop(held);
        assert_eq!(probe(Ipv4Addr::LOCALHOST, &port), Probe::Free);
    }

    #[test]
    fn ports_follow_the_started_daemons() {
        let slave = findings(
            &with(&[("MASTER", "false"), ("CONSUL_HOSTS", "-join=10.0.0.1")]),
            "",
        );
        assert!(slave.is_empty(), "{slave:?}");
        let wanted = |started: &[&str]| -> Vec<u16> {
            let mut numbers: Vec<u16> = PORTS
                .iter()
                .filter(|(start, _)| started.contains(start))
                .flat_map(|(_, ports)| ports.iter().map(|p| p.number))
                .collect();
            numbers.dedup();
            numbers
        };
        assert_eq!(wanted(&["START_ZOOKEEPER"]), [2181, 2888, 3888]);
        assert_eq!(wanted(&["START_DNSMASQ"]), [53]);
    }

    #[test]
    fn unusable_addresses_are_errors_and_loopback_a_warning() {
        for (ip, what) in [
            ("0.0.0.0", "the unspecified address"),
            ("255.255.255.255", "the broadcast address"),
            ("239.1.2.3", "a multicast address"),
        ] {
            let found = findings(&[("IP", ip), ("LISTEN_IP", "127.0.0.1")], "");
            let errors = problems(&found, Severity::Error);
            assert_eq!(
                errors,
                [format!("{ip} is {what}: no host can reach this one there")],
                "{found:?}"
            );
        }
        // LISTEN_IP of 127.x makes the advertised CONSUL_IP loopback.
        let found = findings(&with(&[("CONSUL_IP", "")]), "");
        let loopback: Vec<&Finding> = found
            .iter()
            .filter(|f| f.problem.contains("loopback"))
            .collect();
        assert_eq!(loopback.len(), 1, "{found:?}");
        assert!(
            loopback[0]
                .subject
                .starts_with("CONSUL_IP=127.0.0.1 (derived")
        );
    }

    #[test]
    fn words_supervisord_cannot_split_are_refused_by_name() {
        for (name, value, why) in [
            (
                "CONSUL_PARAMS",
                "-encrypt='abc",
                "a single quote is not closed",
            ),
            (
                "MARATHON_APP_PARAMS",
                "--zk \"x",
                "a double quote is not closed",
            ),
            ("CONSUL_HOSTS", "-join=a\\", "it ends with a backslash"),
            ("CLUSTER_NAME", "it's", "a single quote is not closed"),
        ] {
            let found = findings(&with(&[(name, value)]), "");
            let errors: Vec<&Finding> = found
                .iter()
                .filter(|f| f.severity == Severity::Error)
                .collect();
            assert_eq!(errors.len(), 1, "{name}: {found:?}");
            assert!(
                errors[0].subject.starts_with(&format!("{name}=")),
                "{:?}",
                errors[0]
            );
            assert!(errors[0].problem.contains(why), "{:?}", errors[0]);
        }
        assert_eq!(unsplittable("-a 'b c' \"d \\\" e\" f\\ g"), None);
    }

    #[test]
    fn a_registry_without_its_slash_gets_one_with_a_warning() {
        let found = findings(&with(&[("REGISTRY", "registry:5000")]), "");
        assert_eq!(
            problems(&found, Severity::Warning),
            [
                "a registry prefix ends with `/`; panteras added it: the image is registry:5000/panteras/paas-in-a-box:0.3.9"
            ]
        );
    }

    #[test]
    fn a_missing_docker_binary_is_refused_only_on_this_host() {
        let env = with(&[
            ("HOST_DOCKER", "true"),
            ("VOLUME_DOCKER", "/nonexistent/docker:/usr/local/bin/docker"),
        ]);
        let found = findings(&env, "");
        assert_eq!(
            problems(&found, Severity::Error),
            [
                "/nonexistent/docker does not exist on this machine: Docker would make an empty directory there and mount it over the container's docker"
            ]
        );
    }

    #[test]
    fn passwords_are_masked_wherever_a_value_is_shown() {
        let found = findings(
            &[
                ("LISTEN_IP", "127.0.0.1"),
                ("CONSUL_IP", "10.0.0.2"),
                ("SUPERVISOR_PASSWORD", "hunter2"),
                ("HAPROXY_STATS_AUTH", "admin:hunter2"),
            ],
            "",
        );
        let shown = format!("{found:?}");
        assert!(shown.contains("SUPERVISOR_PASSWORD=******** ("), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert_eq!(
            vars::shown("HAPROXY_STATS_AUTH", "admin:hunter2"),
            "admin:********"
        );
    }

    #[test]
    fn untestable_ports_are_said_once() {
        let found = findings(&[("LISTEN_IP", "203.0.113.7")], "");
        let settings_found = found.len();
        assert!(settings_found > 0);
        let text = "LISTEN_IP=203.0.113.7\nCONSUL_IP=10.0.0.2\n";
        let system = FakeSystem {
            hostname: Some("master-2".into()),
            fqdn: None,
            answer: Ok(Answer {
                addrs: vec!["10.0.0.2".parse().unwrap()],
                via: "/etc/hosts".into(),
            }),
        };
        let layers = Layers::from_text("restricted/host", text, None).unwrap();
        let settings = Settings::resolve(&layers, &system).unwrap();
        let found = ports(&settings);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            found[0].problem,
            "cannot be tested: 203.0.113.7 is not an address of this machine"
        );
        assert!(
            found[0]
                .subject
                .starts_with("ports 53/tcp, 53/udp, 8300/tcp"),
            "{}",
            found[0].subject
        );
    }

    #[test]
    fn words_are_split_as_pythons_shlex_splits_them() {
        // supervisord splits a command with shlex (POSIX mode).
        for text in [
            "a 'b c' d",
            "a 'b",
            "a \"b",
            "a \"b\\\" c\"",
            "a \"b\\\"",
            "a\\",
            "a\\\\",
            "it's",
            "'it'\\''s'",
            "\"x\\",
            "'x\\'",
            "-Dq=\"a b\" -Dr='c'",
        ] {
            let out = std::process::Command::new("python3")
                .args(["-c", "import shlex, sys; shlex.split(sys.argv[1])", text])
                .output()
                .expect("python3 runs");
            assert_eq!(
                unsplittable(text).is_none(),
                out.status.success(),
                "{text:?}: {:?}",
                unsplittable(text)
            );
        }
    }
}
