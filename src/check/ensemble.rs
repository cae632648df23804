//! Rules of the masters' ensemble: ZooKeeper ids, the Mesos quorum, the number of masters.

use super::*;

/// The position (1-based) of this host in ZOOKEEPER_HOSTS, if it is there.
pub(super) fn own_position(s: &Settings) -> Option<usize> {
    let names = ["HOSTNAME", "FQDN", "IP", "LISTEN_IP"].map(|n| s.text(n).to_ascii_lowercase());
    let names = names.map(|n| if n.is_empty() { "\0".to_string() } else { n });
    hosts(s)
        .iter()
        .position(|h| names.contains(&h.host.to_ascii_lowercase()))
        .map(|i| i + 1)
}

pub(super) fn zookeeper_id(s: &Settings, found: &mut Vec<Finding>) {
    if !s.flag("START_ZOOKEEPER") {
        return;
    }
    let n = hosts(s).len();
    let id = number(s, "ZOOKEEPER_ID") as usize;
    let subject = both(s, "ZOOKEEPER_ID", "ZOOKEEPER_HOSTS");
    let position = own_position(s);
    let fix = match position {
        Some(p) => format!("set ZOOKEEPER_ID={p}, this host's position in ZOOKEEPER_HOSTS"),
        // A host not in the ensemble that is a master only by default may be
        // a slave the old docs set up with `MASTER=false ./generate_yml.sh`.
        None if matches!(s.get("MASTER").source, crate::layers::Source::Default) => format!(
            "set ZOOKEEPER_ID to this master's position in ZOOKEEPER_HOSTS (1 to {n}); or, if \
             this host is a slave (set up with `MASTER=false ./generate_yml.sh`), say so: \
             --role slave, or MASTER=false in restricted/host"
        ),
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
    } else if id != 0 && position.is_none() && s.all_valid(&["HOSTNAME", "FQDN", "IP", "LISTEN_IP"])
    {
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

pub(super) fn quorum(s: &Settings, found: &mut Vec<Finding>) {
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
    } else if q == n && n >= 3 {
        found.push(warning(
            both(s, "MESOS_MASTER_QUORUM", "ZOOKEEPER_HOSTS"),
            format!(
                "a quorum of all {n} masters tolerates no failure: the Mesos masters stop \
                 while any one of them is down"
            ),
            format!("set MESOS_MASTER_QUORUM={}, a majority", n / 2 + 1),
        ));
    }
}

pub(super) fn even_masters(s: &Settings, found: &mut Vec<Finding>) {
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

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

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
        // All three is a majority, but tolerates no failure.
        let found = findings(
            &with(&[THREE, ("ZOOKEEPER_ID", "2"), ("MESOS_MASTER_QUORUM", "3")]),
            "",
        );
        assert_eq!(
            problems(&found, Severity::Warning),
            [
                "a quorum of all 3 masters tolerates no failure: the Mesos masters stop while any one of them is down"
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
}
