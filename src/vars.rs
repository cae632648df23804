//! The table of every variable panteras reads: name, kind, default or
//! derivation, the roles it concerns and one line of documentation.
//!
//! The table drives loading, validation, `--help`, the README and typo
//! suggestions. Its order is the order of resolution: a derivation may only
//! read variables that stand above it.

use crate::scope::Lookup;
use crate::values::Kind;

/// Which hosts a variable matters to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Roles {
    All,
    Master,
    Slave,
}

impl Roles {
    /// The README spelling.
    pub fn label(self) -> &'static str {
        match self {
            Roles::All => "all",
            Roles::Master => "master",
            Roles::Slave => "slave",
        }
    }
}

/// Where a variable's value comes from when no layer sets it.
#[derive(Clone, Copy)]
pub enum DefaultRule {
    /// A fixed value (possibly empty).
    Value(&'static str),
    /// Computed from variables above it; the text documents the rule.
    Derived(&'static str, fn(&dyn Lookup) -> String),
    /// Computed from variables above it by a rule with branches; the text
    /// documents the rule, the function gives the value and the branch
    /// taken (`MASTER=false: a client`), which `config` shows.
    Branch(&'static str, fn(&dyn Lookup) -> (String, String)),
    /// Found on the machine (host name, address lookup); the text documents it.
    Machine(&'static str),
    /// No value at all.
    Unset,
}

/// One row of the table.
pub struct Var {
    pub name: &'static str,
    pub kind: Kind,
    pub default: DefaultRule,
    pub roles: Roles,
    pub doc: &'static str,
}

const fn var(
    name: &'static str,
    kind: Kind,
    default: DefaultRule,
    roles: Roles,
    doc: &'static str,
) -> Var {
    Var {
        name,
        kind,
        default,
        roles,
        doc,
    }
}

use DefaultRule::{Branch, Derived, Machine, Unset, Value};
use Kind::*;
use Roles::{All, Master, Slave};

/// Every variable, in resolution order.
#[rustfmt::skip]
pub static VARS: &[Var] = &[
    // Roles.
    var("MASTER", Bool, Value("true"), All, "This host runs the master daemons."),
    var("SLAVE", Bool, Value("true"), All, "This host runs the slave daemons."),
    // Host identity (contract section 2).
    var("DOCKER_MACHINE_NAME", HostName, Unset, All, "When set, HOSTNAME and FQDN both become this value."),
    var("DOCKER_HOST", Text, Unset, All, "A `tcp://ADDRESS:PORT` Docker endpoint; its address is the IP when IP is unset."),
    var("HOSTNAME", HostName, Machine("the machine's host name"), All, "This host's name, as the other hosts know it."),
    var("FQDN", HostName, Machine("the machine's fully qualified name when it is this host's (HOSTNAME is the machine's, or the name starts with it), else HOSTNAME"), All, "Fully qualified name; Mesos advertises it."),
    var("IP", Ipv4, Machine("DOCKER_HOST's address, `192.168.10.10` for HOSTNAME=standalone, else a lookup of HOSTNAME"), All, "This host's address, reachable by the other hosts."),
    var("PANTERAS_HOSTNAME", HostName, Derived("HOSTNAME", |s| s.text("HOSTNAME")), All, "The container's HOSTNAME variable."),
    // Image and container.
    var("REGISTRY", Registry, Value(""), All, "Registry prefix of the image, e.g. `registry:5000/`."),
    var("PANTERAS_IMAGE_TAG", ImageTag, Value("0.3.9"), All, "Tag of the paas-in-a-box image."),
    var("PANTERAS_DOCKER_IMAGE", Image, Branch("`${REGISTRY}panteras/paas-in-a-box:${PANTERAS_IMAGE_TAG}` (with a `/` after a REGISTRY that lacks it)", |s| image(&s.text("REGISTRY"), &s.text("PANTERAS_IMAGE_TAG"))), All, "The whole image reference."),
    var("PANTERAS_IMAGE_LINE", Text, Derived("the line of the image's tag (PANTERAS_DOCKER_IMAGE, else PANTERAS_IMAGE_TAG), else `0.3`", |_| String::new()), All, "The image line, `0.3` or `0.4`: which variables, files and contract panteras follows. Needed only for a tag of no known release."),
    var("PANTERAS_RESTART", Restart, Value("no"), All, "Compose restart policy of the container."),
    var("SHARED", VolumeSuffix, Value(""), Slave, "Appended to the `/tmp/mesos` volume, e.g. `:shared`."),
    var("HOST_DOCKER", Bool, Value("false"), Slave, "Mount the host's docker binary (VOLUME_DOCKER) into the container."),
    var("VOLUME_DOCKER", Volume, Value("/usr/local/bin/docker:/usr/local/bin/docker"), Slave, "The volume added when HOST_DOCKER=true."),
    // Which daemons start.
    var("START_CONSUL", Bool, Value("true"), All, "Start Consul."),
    var("START_MESOS_MASTER", Bool, Derived("MASTER", |s| s.text("MASTER")), Master, "Start the Mesos master."),
    var("START_MARATHON", Bool, Derived("MASTER", |s| s.text("MASTER")), Master, "Start Marathon."),
    var("START_ZOOKEEPER", Bool, Derived("MASTER", |s| s.text("MASTER")), Master, "Start ZooKeeper."),
    var("START_CHRONOS", Bool, Derived("MASTER", |s| s.text("MASTER")), Master, "Start Chronos."),
    var("START_CONSUL_TEMPLATE", Bool, Derived("SLAVE", |s| s.text("SLAVE")), Slave, "Start consul-template with HAProxy."),
    var("START_MESOS_SLAVE", Bool, Derived("SLAVE", |s| s.text("SLAVE")), Slave, "Start the Mesos agent."),
    var("START_REGISTRATOR", Bool, Derived("SLAVE", |s| s.text("SLAVE")), Slave, "Start Registrator."),
    var("START_TRAEFIK", Bool, Value("false"), All, "Start Traefik instead of Fabio (0.4 line)."),
    var("START_FABIO", Bool, Value("false"), Slave, "Start Fabio (instead of consul-template and HAProxy; on the 0.4 line by default, unless START_TRAEFIK)."),
    var("START_NETDATA", Bool, Value("false"), All, "Start netdata."),
    var("START_DNSMASQ", Bool, Value("true"), All, "Start dnsmasq."),
    // Addresses.
    var("HOST_IP", Ipv4, Derived("IP", |s| s.text("IP")), All, "Address Registrator registers services under."),
    var("LISTEN_IP", Ipv4, Value("0.0.0.0"), All, "Address the daemons listen on."),
    var("CONSUL_IP", Ipv4, Branch("LISTEN_IP when set, else IP", |s| if s.is_set_by_user("LISTEN_IP") { (s.text("LISTEN_IP"), "LISTEN_IP, which is set".into()) } else { (s.text("IP"), "IP (LISTEN_IP is not set)".into()) }), All, "Address Consul advertises and the other daemons talk to."),
    // HAProxy.
    var("HAPROXY_SSL", Bool, Value("false"), Slave, "Terminate TLS in HAProxy."),
    var("HAPROXY_CERT_OPTS", ProxyOptions, Branch("`ssl crt /etc/haproxy/haproxy.pem` when HAPROXY_SSL=true, else empty", |s| if s.flag("HAPROXY_SSL") { ("ssl crt /etc/haproxy/haproxy.pem".into(), "HAPROXY_SSL=true: the image's certificate".into()) } else { (String::new(), "HAPROXY_SSL=false: none".into()) }), Slave, "Certificate options of HAProxy's bind line."),
    var("HAPROXY_ADD_DOMAIN", DomainSuffix, Value(""), Slave, "Extra domain suffix for HAProxy virtual hosts, e.g. `.apps.example.com`."),
    var("HAPROXY_MAXCONN", Positive, Value("16384"), Slave, "HAProxy's global maxconn."),
    var("HAPROXY_DEFAULT_WEIGHT", Weight, Unset, Slave, "Weight of the servers without a `haproxy_weight` tag (HAProxy's default, 1, when unset); 100 lets a `haproxy_weight=1` canary get about 1%."),
    var("HAPROXY_STATS_AUTH", Credentials, Unset, Slave, "`user:password` the HAProxy statistics page asks for."),
    // Consul.
    var("CONSUL_DC", Datacenter, Value("UNKNOWN"), All, "Consul datacenter."),
    var("CONSUL_DOMAIN", Domain, Value("consul"), All, "Consul DNS domain."),
    var("CONSUL_MODE", Text, Branch("blank (client) when SLAVE=true and MASTER=false, else `-server`", |s| if !s.flag("MASTER") && s.flag("SLAVE") { (String::new(), "MASTER=false and SLAVE=true: a client".into()) } else { ("-server".into(), format!("MASTER={} and SLAVE={}: a server", s.flag("MASTER"), s.flag("SLAVE"))) }), All, "`-server`, or blank for a Consul client."),
    var("CONSUL_BOOTSTRAP", Text, Value("-bootstrap-expect 1"), Master, "Consul bootstrap option."),
    var("CONSUL_HOSTS", Text, Derived("CONSUL_BOOTSTRAP", |s| s.text("CONSUL_BOOTSTRAP")), All, "Consul join options, e.g. `-join=master-1 -join=master-2`."),
    // Mesos, ZooKeeper and the JVMs.
    var("CLUSTER_NAME", Text, Value("mesoscluster"), Master, "Cluster name."),
    var("MESOS_CLUSTER_NAME", Text, Derived("CLUSTER_NAME", |s| s.text("CLUSTER_NAME")), Master, "Mesos cluster name."),
    var("MESOS_MASTER_QUORUM", Positive, Value("1"), Master, "Mesos master quorum: a majority of the masters."),
    var("ZOOKEEPER_HOSTS", HostList, Derived("`${HOSTNAME}:2181`", |s| format!("{}:2181", s.text("HOSTNAME"))), All, "The ZooKeeper ensemble, `host:port,...`."),
    var("ZOOKEEPER_ID", Count, Value("0"), Master, "This master's ZooKeeper id, 1..N; 0 for a single-node ZooKeeper."),
    var("GOMAXPROCS", Positive, Value("4"), All, "GOMAXPROCS of the Go daemons."),
    var("MARATHON_JAVA_OPTS", Text, Value("-Xmx512m"), Master, "JVM options of Marathon."),
    var("ZOOKEEPER_JAVA_OPTS", Text, Value("-Xmx512m"), Master, "JVM options of ZooKeeper (JVMFLAGS)."),
    var("CHRONOS_JAVA_OPTS", Text, Value("-Xmx512m"), Master, "JVM options of Chronos (JAVA_OPTS)."),
    // dnsmasq and keepalived.
    var("DNSMASQ_ADDRESS", Text, Branch("blank when SLAVE=false, else `--address=/${CONSUL_DOMAIN}/${CONSUL_IP}`", |s| if s.flag("SLAVE") { (format!("--address=/{}/{}", s.text("CONSUL_DOMAIN"), s.text("CONSUL_IP")), "SLAVE=true, CONSUL_DOMAIN and CONSUL_IP".into()) } else { (String::new(), "SLAVE=false: none".into()) }), All, "dnsmasq address option."),
    var("DNSMASQ_BIND_INTERFACES", Text, Branch("`--bind-interfaces --listen-address=${LISTEN_IP}` unless LISTEN_IP is 0.0.0.0", |s| if s.text("LISTEN_IP") == "0.0.0.0" { (String::new(), "LISTEN_IP=0.0.0.0: every interface".into()) } else { (format!("--bind-interfaces --listen-address={}", s.text("LISTEN_IP")), format!("LISTEN_IP={}", s.text("LISTEN_IP"))) }), All, "dnsmasq interface options."),
    var("KEEPALIVED_VIP", OptionalIpv4, Unset, Slave, "Virtual IP that keepalived holds for HAProxy."),
    var("KEEPALIVED_INTERFACE", Interface, Value("eth0"), Slave, "Interface keepalived puts the VIP on."),
    var("KEEPALIVED_ROUTER_ID", RouterId, Value("111"), Slave, "VRRP virtual_router_id, the same on every slave of one VIP."),
    var("KEEPALIVED_CONSUL_TEMPLATE", Text, Branch("the keepalived template option when consul-template starts and KEEPALIVED_VIP is set", keepalived_template), Slave, "consul-template option that renders keepalived.conf."),
    // supervisord.
    var("SUPERVISOR_USER", User, Unset, All, "User the supervisord web console (port 9000) asks for; set with SUPERVISOR_PASSWORD."),
    var("SUPERVISOR_PASSWORD", Password, Unset, All, "Password of the supervisord web console."),
    // Extra parameters appended to each daemon's base.
    var("CONSUL_PARAMS", Text, Value(""), All, "Appended to Consul's parameters."),
    var("CONSUL_TEMPLATE_PARAMS", Text, Value(""), Slave, "Appended to consul-template's parameters."),
    var("DNSMASQ_PARAMS", Text, Value(""), All, "Appended to dnsmasq's parameters."),
    var("MARATHON_PARAMS", Text, Value(""), Master, "Appended to Marathon's parameters."),
    var("MESOS_MASTER_PARAMS", Text, Value(""), Master, "Appended to the Mesos master's parameters."),
    var("MESOS_SLAVE_PARAMS", Text, Value(""), Slave, "Appended to the Mesos agent's parameters."),
    var("REGISTRATOR_PARAMS", Text, Value(""), Slave, "Appended to Registrator's parameters."),
    var("ZOOKEEPER_PARAMS", Text, Value(""), Master, "Appended to ZooKeeper's parameters."),
    var("CHRONOS_PARAMS", Text, Value(""), Master, "Appended to Chronos' parameters."),
    var("FABIO_PARAMS", Text, Value(""), Slave, "Appended to Fabio's parameters."),
    var("TRAEFIK_PARAMS", Text, Value(""), All, "Appended to Traefik's parameters (0.4 line)."),
    var("NETDATA_PARAMS", Text, Value(""), All, "Appended to netdata's parameters."),
    // Each daemon's whole command line.
    var("CONSUL_APP_PARAMS", Text, Derived("the Consul base and CONSUL_PARAMS", crate::params::consul), All, "Consul's whole command line."),
    var("CONSUL_TEMPLATE_APP_PARAMS", Text, Derived("the consul-template base and CONSUL_TEMPLATE_PARAMS", crate::params::consul_template), Slave, "consul-template's whole command line."),
    var("DNSMASQ_APP_PARAMS", Text, Derived("the dnsmasq base and DNSMASQ_PARAMS", crate::params::dnsmasq), All, "dnsmasq's whole command line."),
    var("MARATHON_APP_PARAMS", Text, Derived("the Marathon base and MARATHON_PARAMS", crate::params::marathon), Master, "Marathon's whole command line."),
    var("MESOS_MASTER_APP_PARAMS", Text, Derived("the Mesos master base and MESOS_MASTER_PARAMS", crate::params::mesos_master), Master, "The Mesos master's whole command line."),
    var("MESOS_SLAVE_APP_PARAMS", Text, Derived("the Mesos agent base and MESOS_SLAVE_PARAMS", crate::params::mesos_slave), Slave, "The Mesos agent's whole command line."),
    var("REGISTRATOR_APP_PARAMS", Text, Derived("the Registrator base and REGISTRATOR_PARAMS", crate::params::registrator), Slave, "Registrator's whole command line."),
    var("ZOOKEEPER_APP_PARAMS", Text, Derived("`start-foreground` and ZOOKEEPER_PARAMS", crate::params::zookeeper), Master, "ZooKeeper's whole command line."),
    var("CHRONOS_APP_PARAMS", Text, Derived("the Chronos base and CHRONOS_PARAMS", crate::params::chronos), Master, "Chronos' whole command line."),
    var("FABIO_APP_PARAMS", Text, Derived("`-cfg ./fabio.properties` and FABIO_PARAMS", crate::params::fabio), Slave, "Fabio's whole command line."),
    var("TRAEFIK_APP_PARAMS", Text, Derived("`-c ./traefik.toml` and TRAEFIK_PARAMS", crate::params::traefik), All, "Traefik's whole command line (0.4 line)."),
    var("NETDATA_APP_PARAMS", Text, Derived("`-nd -ch /host` and NETDATA_PARAMS", crate::params::netdata), All, "netdata's whole command line."),
];

/// The row of a variable, if panteras knows it.
pub fn find(name: &str) -> Option<&'static Var> {
    VARS.iter().find(|v| v.name == name)
}

/// The position of a known variable in the table.
/// The whole image reference of a registry prefix and a tag; a prefix
/// without its final `/` gets one (`panteras check` says so).
fn image(registry: &str, tag: &str) -> (String, String) {
    if registry.is_empty() || registry.ends_with('/') {
        (
            format!("{registry}panteras/paas-in-a-box:{tag}"),
            "REGISTRY and PANTERAS_IMAGE_TAG".into(),
        )
    } else {
        (
            format!("{registry}/panteras/paas-in-a-box:{tag}"),
            "REGISTRY with a `/` added, and PANTERAS_IMAGE_TAG".into(),
        )
    }
}

/// The consul-template option that renders keepalived.conf, and why it is
/// there or not.
fn keepalived_template(s: &dyn Lookup) -> (String, String) {
    if !s.flag("START_CONSUL_TEMPLATE") {
        (String::new(), "START_CONSUL_TEMPLATE=false: none".into())
    } else if s.text("KEEPALIVED_VIP").is_empty() {
        (String::new(), "no KEEPALIVED_VIP: none".into())
    } else {
        (
            "-template=./keepalived.conf.ctmpl:/etc/keepalived/keepalived.conf:./keepalived_reload.sh".into(),
            "START_CONSUL_TEMPLATE=true and KEEPALIVED_VIP".into(),
        )
    }
}

/// `<DAEMON>_APP_PARAMS` of a daemon of [`crate::params::DAEMONS`].
pub fn app_params(daemon: &str) -> &'static str {
    find(&format!("{daemon}_APP_PARAMS")).map_or("CONSUL_APP_PARAMS", |v| v.name)
}

/// A value as panteras prints it (check, config, errors): a password
/// masked, and the password part of `user:password`.
pub fn shown(name: &str, value: &str) -> String {
    const MASK: &str = "********";
    match find(name).map(|v| v.kind) {
        Some(Kind::Password) if !value.trim().is_empty() => MASK.into(),
        Some(Kind::Credentials) if !value.trim().is_empty() => match value.split_once(':') {
            Some((user, _)) => format!("{user}:{MASK}"),
            None => MASK.into(),
        },
        _ => value.to_string(),
    }
}

/// Whether an environment value is not to be printed: a password by its
/// variable, a name that says secret, a command line with a secret flag.
pub fn holds_secret(key: &str, value: &str) -> bool {
    is_secret(key)
        || crate::params::secret_name(key)
        || !crate::params::secret_flags(value).is_empty()
}

/// Whether a variable holds a secret (its value is masked when shown).
pub fn is_secret(name: &str) -> bool {
    matches!(
        find(name).map(|v| v.kind),
        Some(Kind::Password | Kind::Credentials)
    )
}

/// A value as a message shows it: [`shown`], and cut after 200 characters
/// (a value may be 128 KiB long).
pub fn brief(name: &str, value: &str) -> String {
    const SHOWN: usize = 200;
    let shown = shown(name, value);
    match shown.char_indices().nth(SHOWN) {
        Some((at, _)) => format!("{}... ({} bytes in all)", &shown[..at], shown.len()),
        None => shown,
    }
}

pub fn index(name: &str) -> Option<usize> {
    VARS.iter().position(|v| v.name == name)
}

/// The known variable closest to a misspelt name, if one is close enough.
pub fn closest(name: &str) -> Option<&'static str> {
    let names: Vec<&'static str> = VARS.iter().map(|v| v.name).collect();
    closest_in(name, &names)
}

/// The name of `known` closest to a misspelt `name`, whatever the case, if
/// one is close enough (an edit for every four letters, at least one).
pub fn closest_in<'a>(name: &str, known: &[&'a str]) -> Option<&'a str> {
    let lower = name.to_ascii_lowercase();
    known
        .iter()
        .map(|k| (edit_distance(&lower, &k.to_ascii_lowercase()), *k))
        .filter(|(d, k)| *d <= 1.max(k.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Edits from `a` to `b`: a letter added, removed, changed, or two
/// neighbours swapped (`mme` is one edit from `mem`).
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    // Three rows of the table: two back, one back, this one.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut last: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut row = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            row[j] = (last[j] + 1).min(row[j - 1] + 1).min(last[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                row[j] = row[j].min(before[j - 2] + 1);
            }
        }
        before = std::mem::replace(&mut last, row);
    }
    last[b.len()]
}

/// A default rule as the README's table shows it.
pub fn default_shown(rule: DefaultRule) -> String {
    match rule {
        Value("") => "empty".to_string(),
        Value(text) => format!("`{text}`"),
        Derived(doc, _) | Branch(doc, _) | Machine(doc) => doc.to_string(),
        Unset => "unset".to_string(),
    }
}

/// The `*_PARAMS` variables the operator set whose value holds a secret.
/// `text` gives a variable's value.
pub fn params_with_secrets(text: impl Fn(&str) -> String) -> Vec<(&'static str, Vec<String>)> {
    VARS.iter()
        .filter(|v| v.name.ends_with("_PARAMS"))
        .filter_map(|v| {
            let flags = crate::params::secret_flags(&text(v.name));
            (!flags.is_empty()).then_some((v.name, flags))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_upper_case() {
        for (i, v) in VARS.iter().enumerate() {
            assert_eq!(index(v.name), Some(i), "{} appears twice", v.name);
            assert!(v.name.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'));
        }
    }

    #[test]
    fn literal_defaults_are_valid_for_their_kind() {
        for v in VARS {
            if let Value(text) = v.default
                && !text.is_empty()
            {
                v.kind
                    .parse(text)
                    .unwrap_or_else(|e| panic!("{}: {e}", v.name));
            }
        }
    }

    #[test]
    fn closest_suggests_known_names_for_typos() {
        assert_eq!(closest("ZOOKEPER_HOSTS"), Some("ZOOKEEPER_HOSTS"));
        assert_eq!(closest("listen_ip"), Some("LISTEN_IP"));
        assert_eq!(closest("START_MARATON"), Some("START_MARATHON"));
        assert_eq!(closest("COMPLETELY_DIFFERENT"), None);
        assert_eq!(closest_in("mme", &["mem", "cmd"]), Some("mem"));
        assert_eq!(edit_distance("abc", "acb"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "ab"), 2);
    }

    #[test]
    fn every_daemon_has_params_and_app_params() {
        for daemon in crate::params::DAEMONS {
            assert!(find(&format!("{daemon}_PARAMS")).is_some(), "{daemon}");
            assert!(find(&format!("{daemon}_APP_PARAMS")).is_some(), "{daemon}");
        }
    }
}
