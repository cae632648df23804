//! `check --ports`: the ports the started daemons need, tried on LISTEN_IP.

use super::*;

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
    (
        "START_TRAEFIK",
        &[tcp(80, "Traefik"), tcp(81, "Traefik API")],
    ),
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
    use super::super::testing::*;
    use super::*;

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
        assert_eq!(wanted(&["START_TRAEFIK"]), [80, 81]);
        // Consul 1.x (both images') has no CLI RPC port.
        assert_eq!(wanted(&["START_CONSUL"]), [8300, 8301, 8302, 8500, 8600]);
    }

    #[test]
    fn untestable_ports_are_said_once() {
        let found = findings(&[("LISTEN_IP", "203.0.113.7")], "");
        let settings_found = found.len();
        assert!(settings_found > 0);
        let text = "LISTEN_IP=203.0.113.7\nCONSUL_IP=10.0.0.2\n";
        let system = master_2();
        let layers = Layers::from_text("restricted/host", text, None).unwrap();
        let (settings, _) = Settings::resolve(&layers, &system);
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
}
