//! Each daemon's command line (contract section 3, "Daemon parameters"):
//! the base, filled in from the settings, then `<DAEMON>_PARAMS`. The
//! result is the default of `<DAEMON>_APP_PARAMS`, which replaces it when set.

use crate::scope::Lookup;

/// The daemons, by the prefix of their variables.
pub const DAEMONS: [&str; 12] = [
    "CONSUL",
    "CONSUL_TEMPLATE",
    "DNSMASQ",
    "MARATHON",
    "MESOS_MASTER",
    "MESOS_SLAVE",
    "REGISTRATOR",
    "ZOOKEEPER",
    "CHRONOS",
    "FABIO",
    "TRAEFIK",
    "NETDATA",
];

const CONSUL: &str = "agent -client=${LISTEN_IP} -advertise=${CONSUL_IP} -bind=${LISTEN_IP} \
    -data-dir=/opt/consul/data -ui -node=${HOSTNAME} -datacenter=${CONSUL_DC} \
    -domain ${CONSUL_DOMAIN} ${CONSUL_MODE} ${CONSUL_HOSTS}";
const CONSUL_TEMPLATE: &str = "-consul=${CONSUL_IP}:8500 \
    -template haproxy.cfg.ctmpl:/etc/haproxy/haproxy.cfg:/opt/consul-template/haproxy_reload.sh \
    -consul-retry -max-stale=0 ${KEEPALIVED_CONSUL_TEMPLATE}";
const DNSMASQ: &str = "-d -u dnsmasq -r /etc/resolv.conf.orig -7 /etc/dnsmasq.d \
    --server=/${CONSUL_DOMAIN}/${CONSUL_IP}#8600 --host-record=${HOSTNAME},${CONSUL_IP} \
    ${DNSMASQ_BIND_INTERFACES} ${DNSMASQ_ADDRESS}";
const MARATHON: &str = "--master zk://${ZOOKEEPER_HOSTS}/mesos --zk zk://${ZOOKEEPER_HOSTS}/marathon \
    --hostname ${HOSTNAME} --no-logger --http_address ${LISTEN_IP} --https_address ${LISTEN_IP}";
const MESOS_MASTER: &str = "--zk=zk://${ZOOKEEPER_HOSTS}/mesos --work_dir=/var/lib/mesos \
    --quorum=${MESOS_MASTER_QUORUM} --ip=${LISTEN_IP} --hostname=${FQDN} \
    --cluster=${MESOS_CLUSTER_NAME}";
const MESOS_SLAVE: &str = "--master=zk://${ZOOKEEPER_HOSTS}/mesos --containerizers=docker,mesos \
    --executor_registration_timeout=5mins --hostname=${FQDN} --ip=${LISTEN_IP} \
    --docker_stop_timeout=5secs --docker_socket=/var/run/docker.sock \
    --no-systemd_enable_support --work_dir=/tmp/mesos";
const REGISTRATOR: &str = "-cleanup -ip=${HOST_IP} consul://${CONSUL_IP}:8500";
const ZOOKEEPER: &str = "start-foreground";
const CHRONOS: &str = "--master zk://${ZOOKEEPER_HOSTS}/mesos --zk_hosts ${ZOOKEEPER_HOSTS} \
    --http_address ${LISTEN_IP} --http_port 4400";
const FABIO: &str = "-cfg ./fabio.properties";
const TRAEFIK: &str = "-c ./traefik.toml";
// The 0.4 line's: Marathon 1.8 without `--no-logger`, the Mesos master's
// work directory on the host's /tmp/mesos.
const MARATHON_04: &str = "--master zk://${ZOOKEEPER_HOSTS}/mesos \
    --zk zk://${ZOOKEEPER_HOSTS}/marathon --hostname ${HOSTNAME} --http_address ${LISTEN_IP} \
    --https_address ${LISTEN_IP}";
const MESOS_MASTER_04: &str = "--zk=zk://${ZOOKEEPER_HOSTS}/mesos --work_dir=/tmp/mesos \
    --quorum=${MESOS_MASTER_QUORUM} --ip=${LISTEN_IP} --hostname=${FQDN} \
    --cluster=${MESOS_CLUSTER_NAME}";
const NETDATA: &str = "-nd -ch /host";

/// Fills `${NAME}` in each word of `base`, drops words left empty, appends
/// `<daemon>_PARAMS`, and joins everything with single spaces.
fn build(base: &str, daemon: &str, scope: &dyn Lookup) -> String {
    let mut words: Vec<String> = base.split_whitespace().map(|w| fill(w, scope)).collect();
    words.push(scope.text(&format!("{daemon}_PARAMS")));
    words
        .iter()
        .map(|w| w.trim_matches(|c: char| c.is_ascii_whitespace()))
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn fill(word: &str, scope: &dyn Lookup) -> String {
    let mut out = String::new();
    let mut rest = word;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find('}')
            .map(|e| start + e)
            .unwrap_or(rest.len());
        out.push_str(
            scope
                .text(&rest[start + 2..end])
                .trim_matches(|c: char| c.is_ascii_whitespace()),
        );
        rest = rest.get(end + 1..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

/// The default of CONSUL_APP_PARAMS: the command line of Consul.
pub fn consul(s: &dyn Lookup) -> String {
    build(CONSUL, "CONSUL", s)
}
/// The default of CONSUL_TEMPLATE_APP_PARAMS: the command line of consul-template.
pub fn consul_template(s: &dyn Lookup) -> String {
    build(CONSUL_TEMPLATE, "CONSUL_TEMPLATE", s)
}
/// The default of DNSMASQ_APP_PARAMS: the command line of dnsmasq.
pub fn dnsmasq(s: &dyn Lookup) -> String {
    build(DNSMASQ, "DNSMASQ", s)
}
/// The default of MARATHON_APP_PARAMS: the command line of Marathon.
pub fn marathon(s: &dyn Lookup) -> String {
    build(MARATHON, "MARATHON", s)
}
/// The default of MESOS_MASTER_APP_PARAMS: the command line of the Mesos master.
pub fn mesos_master(s: &dyn Lookup) -> String {
    build(MESOS_MASTER, "MESOS_MASTER", s)
}
/// The default of MESOS_SLAVE_APP_PARAMS: the command line of the Mesos agent.
pub fn mesos_slave(s: &dyn Lookup) -> String {
    build(MESOS_SLAVE, "MESOS_SLAVE", s)
}
/// The default of REGISTRATOR_APP_PARAMS: the command line of Registrator.
pub fn registrator(s: &dyn Lookup) -> String {
    build(REGISTRATOR, "REGISTRATOR", s)
}
/// The default of ZOOKEEPER_APP_PARAMS: the command line of ZooKeeper.
pub fn zookeeper(s: &dyn Lookup) -> String {
    build(ZOOKEEPER, "ZOOKEEPER", s)
}
/// The default of CHRONOS_APP_PARAMS: the command line of Chronos.
pub fn chronos(s: &dyn Lookup) -> String {
    build(CHRONOS, "CHRONOS", s)
}
/// The default of FABIO_APP_PARAMS: the command line of Fabio.
pub fn fabio(s: &dyn Lookup) -> String {
    build(FABIO, "FABIO", s)
}
/// The default of TRAEFIK_APP_PARAMS (0.4 line): the command line of Traefik.
pub fn traefik(s: &dyn Lookup) -> String {
    build(TRAEFIK, "TRAEFIK", s)
}
/// The default of MARATHON_APP_PARAMS on the 0.4 line.
pub fn marathon_04(s: &dyn Lookup) -> String {
    build(MARATHON_04, "MARATHON", s)
}
/// The default of MESOS_MASTER_APP_PARAMS on the 0.4 line.
pub fn mesos_master_04(s: &dyn Lookup) -> String {
    build(MESOS_MASTER_04, "MESOS_MASTER", s)
}
/// The default of NETDATA_APP_PARAMS: the command line of netdata.
pub fn netdata(s: &dyn Lookup) -> String {
    build(NETDATA, "NETDATA", s)
}

/// Words of a flag's name that say its value is a secret.
pub const SECRET_WORDS: [&str; 5] = ["encrypt", "credential", "password", "secret", "token"];

/// Whether a name (a macro's, an environment variable's) says its value
/// is a secret.
pub fn secret_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    SECRET_WORDS
        .iter()
        .chain(&["passwd", "apikey", "api_key", "private_key"])
        .any(|word| lower.contains(word))
}

/// The flags of `text` (a command line) whose value is a secret, and
/// addresses with a password (`scheme://user:password@host`): each as it
/// may be named, without its value.
pub fn secret_flags(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let words: Vec<&str> = text.split_whitespace().collect();
    for (i, word) in words.iter().enumerate() {
        if word.starts_with('-') {
            let (flag, inline) = match word.split_once('=') {
                Some((flag, value)) => (flag, !value.is_empty()),
                None => (*word, false),
            };
            let lower = flag.to_ascii_lowercase();
            let given = inline || words.get(i + 1).is_some_and(|next| !next.starts_with('-'));
            if given && SECRET_WORDS.iter().any(|w| lower.contains(w)) {
                found.push(flag.to_string());
            }
        }
        if let Some((_, rest)) = word.split_once("://") {
            let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
            if let Some((user, _)) = authority.rsplit_once('@')
                && user.contains(':')
            {
                found.push("an address with a password (user:password@)".into());
            }
        }
    }
    found.dedup();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_flags_are_named_without_their_values() {
        assert_eq!(secret_flags("-encrypt=abc -bind=1.2.3.4"), ["-encrypt"]);
        assert_eq!(secret_flags("-encrypt abc"), ["-encrypt"]);
        assert_eq!(
            secret_flags("--http_credentials=ops:pw --zk=zk://a:b@h:2181/m"),
            [
                "--http_credentials",
                "an address with a password (user:password@)"
            ]
        );
        assert_eq!(
            secret_flags("-registry.consul.token=t"),
            ["-registry.consul.token"]
        );
        // No value, or no secret.
        assert!(secret_flags("-encrypt").is_empty());
        assert!(secret_flags("--quiet --zk=zk://h:2181/m --work_dir=/x").is_empty());
        assert!(secret_flags("--zk=zk://user@h:2181/m").is_empty());
    }
}
