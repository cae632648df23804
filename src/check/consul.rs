//! Rules of Consul: servers that wait for more servers than they join, clients that may not wait or join none.

use super::*;

/// What a host's Consul command line says about its part in the cluster.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConsulRole {
    /// Consul starts, as a server (`-server`).
    pub server: bool,
    /// `-bootstrap-expect N`.
    pub expect: Option<usize>,
    /// `-bootstrap` (a server that elects itself).
    pub bootstrap: bool,
    /// The `-join` and `-retry-join` targets, lower case.
    pub joins: BTreeSet<String>,
}

impl ConsulRole {
    /// The role the settings give Consul.
    pub fn of(s: &Settings) -> ConsulRole {
        let params = s.text("CONSUL_APP_PARAMS");
        let words: Vec<&str> = params.split_whitespace().collect();
        let mut role = ConsulRole {
            server: s.flag("START_CONSUL") && words.contains(&"-server"),
            ..ConsulRole::default()
        };
        for (i, word) in words.iter().enumerate() {
            let next = words.get(i + 1).copied();
            if let Some(n) = word.strip_prefix("-bootstrap-expect=") {
                role.expect = n.parse::<usize>().ok();
            } else if *word == "-bootstrap-expect" {
                role.expect = next.and_then(|n| n.parse().ok());
            } else if matches!(*word, "-bootstrap" | "-bootstrap=true") {
                role.bootstrap = true;
            } else if let Some(target) = word
                .strip_prefix("-join=")
                .or_else(|| word.strip_prefix("-retry-join="))
            {
                role.joins.insert(target.to_ascii_lowercase());
            } else if matches!(*word, "-join" | "-retry-join") {
                role.joins.extend(next.map(str::to_ascii_lowercase));
            }
        }
        role
    }
}

/// Across the Consul servers of a cluster (each host's name and role): a
/// leader is elected only when some server bootstraps (`-bootstrap-expect`
/// or `-bootstrap`), and servers that expect different numbers never agree.
pub fn consul_servers(hosts: &[(&str, ConsulRole)]) -> Vec<Finding> {
    let servers: Vec<&(&str, ConsulRole)> = hosts.iter().filter(|(_, r)| r.server).collect();
    let listed = |names: &[&str]| match names {
        [] => String::new(),
        [one] => (*one).to_string(),
        [first, second, third, rest @ ..] if !rest.is_empty() => {
            format!("{first}, {second}, {third} and {} more", rest.len())
        }
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    };
    let names: Vec<&str> = servers.iter().map(|(n, _)| *n).collect();
    let mut found = Vec::new();
    if !servers.is_empty()
        && servers
            .iter()
            .all(|(_, r)| r.expect.is_none() && !r.bootstrap)
    {
        found.push(error(
            format!("the Consul servers ({})", listed(&names)),
            "none has -bootstrap-expect (or -bootstrap): they never elect a leader, and \
             Registrator, consul-template and the cluster's DNS get no catalog"
                .into(),
            "leave CONSUL_HOSTS to the inventory (every master gets -bootstrap-expect N and the \
             joins), or keep -bootstrap-expect N in it"
                .into(),
        ));
    }
    let expects: BTreeSet<usize> = servers.iter().filter_map(|(_, r)| r.expect).collect();
    if expects.len() > 1 {
        let by: Vec<String> = expects
            .iter()
            .map(|n| {
                let on: Vec<&str> = servers
                    .iter()
                    .filter(|(_, r)| r.expect == Some(*n))
                    .map(|(h, _)| *h)
                    .collect();
                format!("{n} on {}", listed(&on))
            })
            .collect();
        found.push(error(
            format!("the Consul servers ({})", listed(&names)),
            format!(
                "they expect different numbers of servers (-bootstrap-expect {}): Consul \
                 refuses to bootstrap until they agree",
                by.join(", ")
            ),
            "give every server the same -bootstrap-expect, the number of servers".into(),
        ));
    }
    found
}

/// The variables a `-bootstrap-expect` of Consul's command line can come from.
const BOOTSTRAP_HOLDERS: [&str; 4] = [
    "CONSUL_APP_PARAMS",
    "CONSUL_PARAMS",
    "CONSUL_HOSTS",
    "CONSUL_BOOTSTRAP",
];

pub(super) fn consul_bootstrap(s: &Settings, found: &mut Vec<Finding>) {
    let role = ConsulRole::of(s);
    let (Some(expect), true) = (role.expect, role.server) else {
        return;
    };
    let joins = role.joins;
    let own = ["HOSTNAME", "FQDN", "IP", "LISTEN_IP", "CONSUL_IP"]
        .map(|n| s.text(n).to_ascii_lowercase());
    let among = joins.iter().any(|j| own.contains(j));
    let servers = joins.len() + usize::from(!among);
    if expect > servers {
        let holder = BOOTSTRAP_HOLDERS
            .into_iter()
            .filter(|n| s.text(n).contains("-bootstrap-expect"))
            .max_by_key(|n| s.get(n).source.is_user())
            .unwrap_or("CONSUL_BOOTSTRAP");
        found.push(error(
            about(s, holder),
            format!(
                "Consul waits for {expect} servers but can join only {servers} ({})",
                match (among, joins.len()) {
                    (true, n) => format!("its {n} -join targets, this one among them"),
                    (false, 1) => "this one and 1 -join target".into(),
                    (false, n) => format!("this one and {n} -join targets"),
                }
            ),
            format!("add -join=<server> for every Consul server to CONSUL_HOSTS, or set -bootstrap-expect {servers}"),
        ));
    }
}

/// A Consul agent that is not a server: it may not wait for servers, and
/// finds none unless it joins one.
pub(super) fn consul_client(s: &Settings, found: &mut Vec<Finding>) {
    let params = s.text("CONSUL_APP_PARAMS");
    let words: Vec<&str> = params.split_whitespace().collect();
    if !s.flag("START_CONSUL") || words.contains(&"-server") || words.contains(&"-dev") {
        return;
    }
    let holder = BOOTSTRAP_HOLDERS
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

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn consul_cannot_expect_more_servers_than_it_joins() {
        let found = findings(&with(&[("CONSUL_BOOTSTRAP", "-bootstrap-expect 3")]), "");
        assert_eq!(
            problems(&found, Severity::Error),
            ["Consul waits for 3 servers but can join only 1 (this one and 0 -join targets)"]
        );
        // This host among its join targets counts once.
        let own = findings(
            &with(&[(
                "CONSUL_HOSTS",
                "-bootstrap-expect 5 -join=master-1 -join=master-2 -join=master-3",
            )]),
            "",
        );
        assert_eq!(
            problems(&own, Severity::Error),
            [
                "Consul waits for 5 servers but can join only 3 (its 3 -join targets, this one among them)"
            ]
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
    fn a_cluster_whose_servers_never_bootstrap_or_disagree_is_refused() {
        let role = |server, expect| ConsulRole {
            server,
            expect,
            ..ConsulRole::default()
        };
        let none = consul_servers(&[
            ("m1", role(true, None)),
            ("m2", role(true, None)),
            ("s1", role(false, None)),
        ]);
        assert_eq!(none.len(), 1, "{none:?}");
        assert_eq!(none[0].subject, "the Consul servers (m1 and m2)");
        assert!(none[0].problem.starts_with("none has -bootstrap-expect"));
        let mixed = consul_servers(&[("m1", role(true, Some(3))), ("m2", role(true, Some(2)))]);
        assert_eq!(
            mixed[0].problem,
            "they expect different numbers of servers (-bootstrap-expect 2 on m2, 3 on m1): \
             Consul refuses to bootstrap until they agree"
        );
        let fine = consul_servers(&[("m1", role(true, Some(1))), ("s1", role(false, None))]);
        assert!(fine.is_empty(), "{fine:?}");
    }
}
