//! Rules of addresses: where the daemons listen and where other hosts reach this one.

use super::*;

pub(super) fn listen_ip(s: &Settings, here: bool, found: &mut Vec<Finding>) {
    let Value::Ip(ip) = s.get("LISTEN_IP").value else {
        return;
    };
    if ip.is_broadcast() || ip.is_multicast() {
        found.push(error(
            about(s, "LISTEN_IP"),
            format!("{ip} is a broadcast or multicast address: the daemons cannot listen there"),
            "set LISTEN_IP to this host's address on the cluster's network, or leave it unset"
                .into(),
        ));
    } else if ip == Ipv4Addr::UNSPECIFIED {
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

/// The VIP keepalived moves between slaves: an address of its own, which
/// a host can hold and another can take.
pub(super) fn keepalived_vip(s: &Settings, found: &mut Vec<Finding>) {
    let Value::Ip(vip) = s.get("KEEPALIVED_VIP").value else {
        return;
    };
    let why = if vip.is_unspecified() || vip.is_broadcast() || vip.is_multicast() {
        format!("{vip} is no address a host can hold")
    } else if [s.get("IP"), s.get("HOST_IP")]
        .iter()
        .any(|r| r.value == Value::Ip(vip))
    {
        format!(
            "{vip} is this host's own address: keepalived would take it away from the host when \
             another slave holds the VIP"
        )
    } else {
        return;
    };
    found.push(error(
        about(s, "KEEPALIVED_VIP"),
        why,
        "set KEEPALIVED_VIP to a free address of the slaves' network, the same on every slave"
            .into(),
    ));
}

/// Whether `ip` is an address of this machine.
fn is_local(ip: Ipv4Addr) -> bool {
    ip.is_loopback() || UdpSocket::bind((ip, 0)).is_ok()
}

/// Files that describe another host than the machine they are read on: a
/// copy of another host's restricted/host makes a second host of that
/// name, which nothing else would notice.
pub(super) fn another_host(s: &Settings, machine: Option<&str>, found: &mut Vec<Finding>) {
    let (Value::Ip(ip), Some(machine)) = (&s.get("IP").value, machine) else {
        return;
    };
    let hostname = s.text("HOSTNAME");
    let short = |name: &str| name.split('.').next().unwrap_or("").to_ascii_lowercase();
    if is_local(*ip) || short(&hostname) == short(machine) {
        return;
    }
    found.push(warning(
        both(s, "HOSTNAME", "IP"),
        format!(
            "neither is this machine's (its name is {machine}): these files describe another \
             host (fine when generating for that host); run as they are on this machine, they \
             would start a second {hostname}"
        ),
        "on this machine, set HOSTNAME and IP to its own in restricted/host".into(),
    ));
}

/// The addresses other hosts use to reach this one: HOST_IP (registered
/// services), CONSUL_IP (advertised to Consul) and IP they derive from.
pub(super) fn addresses(s: &Settings, found: &mut Vec<Finding>) {
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

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

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
    fn files_of_another_host_are_a_warning_here() {
        // master-2 with 10.0.0.2 read on a machine called master-1.
        let text = "IP=10.0.0.2\nHOSTNAME=master-2\nLISTEN_IP=127.0.0.1\n";
        let layers = Layers::from_text("restricted/host", text, None).unwrap();
        let system = FakeSystem {
            hostname: Some("master-1".into()),
            fqdn: None,
            answer: Err("no lookup".into()),
        };
        let (settings, _) = Settings::resolve(&layers, &system);
        let mut found = Vec::new();
        another_host(&settings, Some("master-1"), &mut found);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0]
                .problem
                .starts_with("neither is this machine's (its name is master-1)"),
            "{}",
            found[0].problem
        );
        // The machine's own name, or an address of this machine: no warning.
        let mut found = Vec::new();
        another_host(&settings, Some("MASTER-2.example.com"), &mut found);
        let text = "IP=127.0.0.1\nHOSTNAME=master-2\n";
        let layers = Layers::from_text("restricted/host", text, None).unwrap();
        let (settings, _) = Settings::resolve(&layers, &system);
        another_host(&settings, Some("master-1"), &mut found);
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn addresses_the_daemons_and_keepalived_cannot_use_are_errors() {
        let found = findings(&[("LISTEN_IP", "255.255.255.255")], "");
        assert!(
            problems(&found, Severity::Error)
                .iter()
                .any(|p| p.contains("the daemons cannot listen there")),
            "{found:?}"
        );
        for vip in ["10.0.0.2", "0.0.0.0", "255.255.255.255", "224.0.0.5"] {
            let found = findings(&with(&[("IP", "10.0.0.2"), ("KEEPALIVED_VIP", vip)]), "");
            assert_eq!(
                found
                    .iter()
                    .filter(|f| f.subject.starts_with("KEEPALIVED_VIP="))
                    .count(),
                1,
                "{vip}: {found:?}"
            );
        }
        let fine = findings(
            &with(&[("IP", "10.0.0.2"), ("KEEPALIVED_VIP", "10.0.0.100")]),
            "",
        );
        assert!(
            fine.iter()
                .all(|f| !f.subject.starts_with("KEEPALIVED_VIP="))
        );
    }
}
