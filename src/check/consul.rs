//! Rules of Consul: servers that wait for more servers than they join, clients that may not wait or join none.

use super::*;

pub(super) fn consul_bootstrap(s: &Settings, found: &mut Vec<Finding>) {
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
    let among = joins.iter().any(|j| own.contains(j));
    let servers = joins.len() + usize::from(!among);
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
}
