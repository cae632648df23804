//! Typed settings of one host: every variable of the table resolved from
//! the layers, the machine or its default, checked, with its source.

use anyhow::{Result, anyhow};

use crate::identity::{self, System};
use crate::layers::{Layers, Source};
use crate::scope::Lookup;
use crate::values::Value;
use crate::vars::{self, DefaultRule, VARS};

/// A variable's final value and where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    pub value: Value,
    pub source: Source,
}

/// The resolved values of every variable, in table order.
#[derive(Clone, Debug)]
pub struct Settings {
    values: Vec<Resolved>,
}

/// The variables resolved so far, as derivations see them.
pub struct Scope<'a> {
    done: &'a [Resolved],
}

fn lookup<'a>(done: &'a [Resolved], name: &str) -> &'a Resolved {
    let index = vars::index(name).unwrap_or_else(|| panic!("{name} is not in the table"));
    done.get(index)
        .unwrap_or_else(|| panic!("{name} is read before it is resolved"))
}

impl Lookup for Scope<'_> {
    fn text(&self, name: &str) -> String {
        lookup(self.done, name).value.to_string()
    }

    fn flag(&self, name: &str) -> bool {
        lookup(self.done, name).value == Value::Bool(true)
    }

    fn is_set_by_user(&self, name: &str) -> bool {
        lookup(self.done, name).source.is_user()
    }
}

impl Settings {
    /// Resolves every variable in table order: the layers' value when it is
    /// not empty (the shell's `${VAR:-default}`), else the default.
    pub fn resolve(layers: &Layers, system: &dyn System) -> Result<Settings> {
        let mut done: Vec<Resolved> = Vec::with_capacity(VARS.len());
        // Every problem is collected, so one run reports them all; a value
        // derived from a refused one is left empty rather than reported again.
        let mut problems: Vec<String> = Vec::new();
        for var in VARS {
            let scope = Scope { done: &done };
            let (text, source) = match machine_override(var.name, &scope) {
                Some(pair) => pair,
                None => match layers.get(var.name).filter(|raw| !raw.value.is_empty()) {
                    Some(raw) => (raw.value.clone(), raw.source.clone()),
                    None => match var.default {
                        DefaultRule::Value(text) => (text.to_string(), Source::Default),
                        DefaultRule::Derived(from, derive) => {
                            (derive(&scope), Source::Derived(from.to_string()))
                        }
                        DefaultRule::Machine(_) => {
                            match machine_default(var.name, &scope, system) {
                                Ok(pair) => pair,
                                Err(problem) => {
                                    problems.push(problem);
                                    (String::new(), Source::Default)
                                }
                            }
                        }
                        DefaultRule::Unset => (String::new(), Source::Default),
                    },
                },
            };
            let value = if text.is_empty() {
                Value::Empty
            } else {
                match var.kind.parse(&text) {
                    Ok(value) => value,
                    Err(accepted) => {
                        let consequence =
                            matches!(source, Source::Derived(_)) && !problems.is_empty();
                        if !consequence {
                            let shown = vars::shown(var.name, &text);
                            problems.push(format!(
                                "{}={shown:?} ({source}) is not valid: {accepted}",
                                var.name
                            ));
                        }
                        Value::Empty
                    }
                }
            };
            done.push(Resolved { value, source });
        }
        match problems.as_slice() {
            [] => Ok(Settings { values: done }),
            [one] => Err(anyhow!("{one}")),
            many => Err(anyhow!(
                "{} values are not valid:\n  {}",
                many.len(),
                many.join("\n  ")
            )),
        }
    }

    /// A variable's value and source.
    pub fn get(&self, name: &str) -> &Resolved {
        lookup(&self.values, name)
    }

    /// The value as text.
    pub fn text(&self, name: &str) -> String {
        self.get(name).value.to_string()
    }

    /// Whether a boolean variable is true.
    pub fn flag(&self, name: &str) -> bool {
        self.get(name).value == Value::Bool(true)
    }

    /// Every variable with its resolved value, in table order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &Resolved)> {
        VARS.iter().map(|v| v.name).zip(self.values.iter())
    }
}

/// DOCKER_MACHINE_NAME replaces HOSTNAME and FQDN, whatever set them.
fn machine_override(name: &str, scope: &Scope) -> Option<(String, Source)> {
    if !matches!(name, "HOSTNAME" | "FQDN") {
        return None;
    }
    let machine = scope.text("DOCKER_MACHINE_NAME");
    (!machine.is_empty()).then(|| (machine, Source::Derived("DOCKER_MACHINE_NAME".into())))
}

fn machine_default(
    name: &str,
    scope: &Scope,
    system: &dyn System,
) -> Result<(String, Source), String> {
    match name {
        "HOSTNAME" => system
            .hostname()
            .map(|h| (h, Source::Machine("the machine's host name".into())))
            .ok_or_else(|| "HOSTNAME is not set and the machine's host name cannot be read; set HOSTNAME in restricted/host".into()),
        "FQDN" => Ok(match system.fqdn() {
            Some(fqdn) => (fqdn, Source::Machine("the machine's fully qualified name".into())),
            None => (scope.text("HOSTNAME"), Source::Derived("HOSTNAME".into())),
        }),
        "IP" => identity::find_ip(&scope.text("HOSTNAME"), &scope.text("DOCKER_HOST"), system)
            .map(|(ip, source)| (ip.to_string(), source)),
        other => Err(format!("{other} has no machine default")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Answer;
    use crate::identity::tests::FakeSystem;
    use crate::layers::{Flags, Inputs};

    fn machine() -> FakeSystem {
        FakeSystem {
            hostname: Some("box".into()),
            fqdn: Some("box.example.com".into()),
            answer: Ok(Answer {
                addrs: vec!["10.0.0.5".parse().unwrap()],
                via: "/etc/hosts".into(),
            }),
        }
    }

    fn settings(env: &[(&str, &str)]) -> Result<Settings> {
        let tmp = tempfile::tempdir().unwrap();
        let inputs = Inputs {
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            env_not_utf8: vec![],
            defaults_file: tmp.path().join("none"),
            dir: tmp.path().to_path_buf(),
            flags: Flags::default(),
            machine_hostname: Some("box".into()),
        };
        Settings::resolve(&Layers::load(&inputs)?, &machine())
    }

    fn shown(s: &Settings, name: &str) -> String {
        let r = s.get(name);
        format!("{} ({})", r.value, r.source)
    }

    #[test]
    fn standalone_defaults_come_from_the_machine() {
        let s = settings(&[]).unwrap();
        assert_eq!(
            shown(&s, "HOSTNAME"),
            "box (lookup: the machine's host name)"
        );
        assert_eq!(
            shown(&s, "FQDN"),
            "box.example.com (lookup: the machine's fully qualified name)"
        );
        assert_eq!(shown(&s, "IP"), "10.0.0.5 (lookup: box in /etc/hosts)");
        assert_eq!(
            shown(&s, "CONSUL_IP"),
            "10.0.0.5 (derived from LISTEN_IP when set, else IP)"
        );
        assert_eq!(shown(&s, "LISTEN_IP"), "0.0.0.0 (default)");
        assert_eq!(
            shown(&s, "ZOOKEEPER_HOSTS"),
            "box:2181 (derived from `${HOSTNAME}:2181`)"
        );
        assert_eq!(s.text("CONSUL_MODE"), "-server");
        assert_eq!(s.text("DNSMASQ_ADDRESS"), "--address=/consul/10.0.0.5");
    }

    #[test]
    fn an_empty_value_counts_as_unset_and_a_blank_one_switches_the_default_off() {
        let s = settings(&[("CONSUL_MODE", ""), ("DNSMASQ_ADDRESS", " ")]).unwrap();
        assert_eq!(
            shown(&s, "CONSUL_MODE"),
            "-server (derived from blank (client) when MASTER=false, else `-server`)"
        );
        assert_eq!(shown(&s, "DNSMASQ_ADDRESS"), " (env)");
        assert_eq!(s.get("DNSMASQ_ADDRESS").value, Value::Empty);
    }

    #[test]
    fn listen_ip_set_by_the_user_becomes_consul_ip() {
        let s = settings(&[("IP", "10.0.0.1"), ("LISTEN_IP", "10.0.0.2")]).unwrap();
        assert_eq!(s.text("CONSUL_IP"), "10.0.0.2");
        assert_eq!(s.text("HOST_IP"), "10.0.0.1");
        assert_eq!(
            s.text("DNSMASQ_BIND_INTERFACES"),
            "--bind-interfaces --listen-address=10.0.0.2"
        );
    }

    #[test]
    fn roles_drive_the_daemons() {
        let slave = settings(&[("MASTER", "false"), ("IP", "10.0.0.1")]).unwrap();
        assert!(!slave.flag("START_MARATHON") && slave.flag("START_MESOS_SLAVE"));
        assert_eq!(slave.text("CONSUL_MODE"), "");
        let master = settings(&[("SLAVE", "FALSE"), ("IP", "10.0.0.1")]).unwrap();
        assert!(master.flag("START_ZOOKEEPER") && !master.flag("START_CONSUL_TEMPLATE"));
        assert_eq!(master.text("DNSMASQ_ADDRESS"), "");
        assert_eq!(master.text("SLAVE"), "false");
    }

    #[test]
    fn docker_machine_name_replaces_hostname_and_fqdn() {
        let s = settings(&[
            ("DOCKER_MACHINE_NAME", "dev"),
            ("HOSTNAME", "other"),
            ("IP", "10.0.0.1"),
        ])
        .unwrap();
        assert_eq!(
            shown(&s, "HOSTNAME"),
            "dev (derived from DOCKER_MACHINE_NAME)"
        );
        assert_eq!(shown(&s, "FQDN"), "dev (derived from DOCKER_MACHINE_NAME)");
    }

    #[test]
    fn every_bad_value_is_reported_at_once_without_consequences() {
        let err = settings(&[
            ("MESOS_MASTER_QUORUM", "two"),
            ("HOSTNAME", "bad_name"),
            ("SLAVE", "yes"),
        ])
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("3 values are not valid:\n"), "{err}");
        assert!(err.contains("HOSTNAME=\"bad_name\""), "{err}");
        assert!(err.contains("SLAVE=\"yes\""), "{err}");
        assert!(err.contains("MESOS_MASTER_QUORUM=\"two\""), "{err}");
        assert!(!err.contains("ZOOKEEPER_HOSTS"), "{err}");
    }

    #[test]
    fn errors_name_the_variable_value_source_and_what_is_accepted() {
        let err = settings(&[("MESOS_MASTER_QUORUM", "two")])
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "MESOS_MASTER_QUORUM=\"two\" (env) is not valid: expected a whole number from 1 up"
        );
    }
}
