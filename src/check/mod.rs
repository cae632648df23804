//! Consistency checks across variables, run by `panteras check` and before
//! `generate` writes anything: each finding names the variables involved,
//! where their values came from, and a fix.

mod commands;
mod consul;
mod daemons;
mod ensemble;
mod names;
mod network;
mod ports;
mod secrets;

use std::collections::BTreeSet;
use std::net::{Ipv4Addr, TcpListener, UdpSocket};

use crate::layers::Layers;
use crate::settings::Settings;
use crate::values::{HostPort, Value};
use crate::vars;

pub use crate::finding::{Finding, Severity};
pub use commands::unsplittable;
use commands::{command_lines, consul_template_words, environment_sizes};
pub use consul::{ConsulRole, consul_servers};
use consul::{consul_bootstrap, consul_client};
use daemons::{
    certificate, docker_binary, fabio_options, image_line, mount_targets, proxies, registry,
    routers, supervisor_credentials, traefik_options,
};
use ensemble::{even_masters, quorum, zookeeper_id};
pub use names::explain_typos;
use names::{shadowed, unknown_names};
use network::{addresses, another_host, keepalived_vip, listen_ip};
pub use ports::ports;
use secrets::params_secrets;

/// `NAME=value (source)`, the value masked when it is a secret.
fn about(s: &Settings, name: &str) -> String {
    let resolved = s.get(name);
    let value = vars::brief(name, &resolved.value.to_string());
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
    type Rule = fn(&Settings, &mut Vec<Finding>);
    // Each rule with the values it stands on: a rule is left out when one
    // of them could not be used (it is reported already, and the rule
    // would only report its consequences), and so is a rule of variables
    // the host's image line does not read.
    let rules: [(&[&str], Rule); 20] = [
        (
            &["START_ZOOKEEPER", "ZOOKEEPER_ID", "ZOOKEEPER_HOSTS"],
            zookeeper_id,
        ),
        (
            &[
                "START_MESOS_MASTER",
                "MESOS_MASTER_QUORUM",
                "ZOOKEEPER_HOSTS",
            ],
            quorum,
        ),
        (&["START_CONSUL", "CONSUL_APP_PARAMS"], consul_bootstrap),
        (&["START_FABIO", "START_CONSUL_TEMPLATE"], proxies),
        (&["START_FABIO", "START_TRAEFIK"], routers),
        (&["START_FABIO", "FABIO_PARAMS"], fabio_options),
        (&["START_TRAEFIK", "TRAEFIK_PARAMS"], traefik_options),
        (&["HAPROXY_SSL", "HAPROXY_CERT_OPTS"], certificate),
        (
            &["SUPERVISOR_USER", "SUPERVISOR_PASSWORD"],
            supervisor_credentials,
        ),
        (&["START_ZOOKEEPER", "ZOOKEEPER_HOSTS"], even_masters),
        (
            &["LISTEN_IP"],
            if here {
                listen_ip_here
            } else {
                listen_ip_elsewhere
            },
        ),
        (&[], addresses),
        (&[], command_lines),
        (&["REGISTRY", "PANTERAS_DOCKER_IMAGE"], registry),
        (&["PANTERAS_DOCKER_IMAGE"], image_line),
        (&["START_CONSUL", "CONSUL_APP_PARAMS"], consul_client),
        (
            &["START_CONSUL_TEMPLATE", "CONSUL_TEMPLATE_APP_PARAMS"],
            consul_template_words,
        ),
        (&[], environment_sizes),
        (&["KEEPALIVED_VIP", "IP", "HOST_IP"], keepalived_vip),
        (&[], params_secrets),
    ];
    let mut found = Vec::new();
    let line = s.line();
    for (inputs, rule) in rules {
        if s.all_valid(inputs) && inputs.iter().all(|name| line.reads(name)) {
            rule(s, &mut found);
        }
    }
    if here && s.all_valid(&["HOST_DOCKER", "VOLUME_DOCKER"]) {
        docker_binary(s, &mut found);
    }
    if s.all_valid(&["HOST_DOCKER", "VOLUME_DOCKER", "SHARED"]) {
        mount_targets(s, &mut found);
    }
    if here && s.all_valid(&["HOSTNAME", "IP"]) {
        another_host(s, layers.machine_hostname(), &mut found);
    }
    unknown_names(layers, &mut found);
    shadowed(layers, &mut found);
    found.sort_by_key(|f| f.severity);
    found
}

fn listen_ip_here(s: &Settings, found: &mut Vec<Finding>) {
    listen_ip(s, true, found);
}

fn listen_ip_elsewhere(s: &Settings, found: &mut Vec<Finding>) {
    listen_ip(s, false, found);
}

fn error(subject: String, problem: String, fix: String) -> Finding {
    Finding::error(subject, problem, fix)
}

fn warning(subject: String, problem: String, fix: String) -> Finding {
    Finding::warning(subject, problem, fix)
}

#[cfg(test)]
pub(crate) mod testing {
    pub(crate) use super::*;
    pub(crate) use crate::identity::Answer;
    pub(crate) use crate::identity::tests::FakeSystem;

    /// A machine called master-2 whose name resolves to 10.0.0.2.
    pub(crate) fn master_2() -> FakeSystem {
        FakeSystem {
            hostname: Some("master-2".into()),
            fqdn: None,
            answer: Ok(Answer {
                addrs: vec!["10.0.0.2".parse().unwrap()],
                via: "/etc/hosts".into(),
            }),
        }
    }

    /// The findings for a host whose restricted/host holds `host_file`
    /// followed by the assignments of `vars`.
    pub(crate) fn findings(vars: &[(&str, &str)], host_file: &str) -> Vec<Finding> {
        let mut text = host_file.to_string();
        for (name, value) in vars {
            text.push_str(&format!("{name}={}\n", crate::show::shell_quote(value)));
        }
        let system = master_2();
        let layers = Layers::from_text("restricted/host", &text, None).unwrap();
        let (settings, mut found) = Settings::resolve(&layers, &system);
        found.extend(check(&settings, &layers, true));
        found
    }

    pub(crate) const CLEAN: &[(&str, &str)] = &[
        ("LISTEN_IP", "127.0.0.1"),
        ("CONSUL_IP", "10.0.0.2"),
        ("SUPERVISOR_USER", "ops"),
        ("SUPERVISOR_PASSWORD", "secret"),
    ];

    pub(crate) fn with(
        extra: &[(&'static str, &'static str)],
    ) -> Vec<(&'static str, &'static str)> {
        let mut env = CLEAN.to_vec();
        env.extend_from_slice(extra);
        env
    }

    pub(crate) fn problems(found: &[Finding], severity: Severity) -> Vec<String> {
        found
            .iter()
            .filter(|f| f.severity == severity)
            .map(|f| f.problem.clone())
            .collect()
    }

    pub(crate) const THREE: (&str, &str) = (
        "ZOOKEEPER_HOSTS",
        "master-1:2181,master-2:2181,master-3:2181",
    );
}

#[cfg(test)]
mod tests {
    use super::testing::*;

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
}

#[cfg(test)]
mod router_tests {
    use super::testing::*;
    use crate::finding::Severity;

    /// The warnings of unknown router options for a master with `extra`.
    fn router_warnings(extra: &[(&'static str, &'static str)]) -> Vec<String> {
        let mut env = with(&[THREE, ("ZOOKEEPER_ID", "2"), ("MESOS_MASTER_QUORUM", "2")]);
        env.extend_from_slice(extra);
        let host = "CONSUL_HOSTS=\"-bootstrap-expect 3\"\n";
        let warnings = problems(&findings(&env, host), Severity::Warning);
        warnings
            .into_iter()
            .filter(|w| w.contains("no option of"))
            .collect()
    }

    #[test]
    fn an_option_fabio_or_traefik_does_not_know_is_a_warning() {
        let said = router_warnings(&[
            ("START_FABIO", "true"),
            ("START_CONSUL_TEMPLATE", "false"),
            ("FABIO_PARAMS", "-proxy.adr=:9 -registry.consul.tagprefix x"),
        ]);
        assert_eq!(said.len(), 1, "{said:?}");
        assert!(
            said[0].starts_with("`proxy.adr` is no option of Fabio 1.5"),
            "{said:?}"
        );
        let said = router_warnings(&[
            ("PANTERAS_IMAGE_TAG", "0.4.4"),
            ("START_TRAEFIK", "true"),
            (
                "TRAEFIK_PARAMS",
                "--consulCatalog.stale=true --api.dashbord --entrypoints.x.adress=:1",
            ),
        ]);
        assert_eq!(said.len(), 1, "{said:?}");
        let expected = "`api.dashbord`, `entrypoints.x.adress` are no option of Traefik 1.7";
        assert!(said[0].starts_with(expected), "{said:?}");
        // Known options alone: nothing said.
        let said = router_warnings(&[
            ("PANTERAS_IMAGE_TAG", "0.4.4"),
            ("FABIO_PARAMS", "-log.level=WARN"),
        ]);
        assert!(said.is_empty(), "{said:?}");
    }
}
