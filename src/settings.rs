//! Typed settings of one host: every variable of the table resolved from
//! the layers, the machine or its default, checked, with its source. A value
//! that cannot be used is reported and left out, and so is every value
//! derived from it, so the other values can still be checked.

use std::cell::Cell;

use crate::finding::Finding;
use crate::identity::{self, System};
use crate::layers::{Layers, Source};
use crate::line::{self, ImageLine};
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
    /// The image line the host follows, chosen before its variables.
    line: &'static ImageLine,
    values: Vec<Resolved>,
    /// Whether each value could be used: false for a refused value and for
    /// every value derived from one.
    valid: Vec<bool>,
}

/// The variables resolved so far, as derivations see them; it remembers
/// whether a derivation read a value that could not be used.
pub struct Scope<'a> {
    done: &'a [Resolved],
    valid: &'a [bool],
    tainted: Cell<bool>,
}

fn lookup<'a>(done: &'a [Resolved], name: &str) -> &'a Resolved {
    let index = vars::index(name).unwrap_or_else(|| panic!("{name} is not in the table"));
    done.get(index)
        .unwrap_or_else(|| panic!("{name} is read before it is resolved"))
}

impl Scope<'_> {
    fn read(&self, name: &str) -> &Resolved {
        if vars::index(name).is_some_and(|i| !self.valid.get(i).copied().unwrap_or(true)) {
            self.tainted.set(true);
        }
        lookup(self.done, name)
    }
}

impl Lookup for Scope<'_> {
    fn text(&self, name: &str) -> String {
        self.read(name).value.to_string()
    }

    fn flag(&self, name: &str) -> bool {
        self.read(name).value == Value::Bool(true)
    }

    fn is_set_by_user(&self, name: &str) -> bool {
        self.read(name).source.is_user()
    }
}

/// What the layers, a default or the machine gave a variable, before it
/// is typed; or why the machine could not give it.
enum Given {
    Text(String, Source),
    Missing(Finding),
}

impl Settings {
    /// Resolves every variable in table order: the layers' value when it is
    /// not empty (the shell's `${VAR:-default}`), else the default. Every
    /// value that cannot be used is an error finding; it and what derives
    /// from it are empty and marked, and the rest resolve as usual.
    pub fn resolve(layers: &Layers, system: &dyn System) -> (Settings, Vec<Finding>) {
        let mut done: Vec<Resolved> = Vec::with_capacity(VARS.len());
        let mut valid: Vec<bool> = Vec::with_capacity(VARS.len());
        let mut problems: Vec<Finding> = Vec::new();
        let chosen = line::choose(layers);
        let line = chosen.line;
        if let Some((about, fix)) = &chosen.refused {
            problems.push(Finding::error(
                about.clone(),
                "the image line and the image's tag disagree".into(),
                fix.clone(),
            ));
        }
        for var in VARS {
            let scope = Scope {
                done: &done,
                valid: &valid,
                tainted: Cell::new(false),
            };
            let set = layers.get(var.name).filter(|raw| !raw.value.is_empty());
            if let Some(instead) = line.instead_of(var.name) {
                // A variable of another line: said, and empty here.
                if let Some(raw) = set {
                    let shown = vars::brief(var.name, &raw.value);
                    problems.push(Finding::error(
                        format!("{}={shown:?} ({})", var.name, raw.source),
                        format!(
                            "is not read on the {} line (PanteraS {}), which this host follows \
                             ({})",
                            line.name, line.release, chosen.from
                        ),
                        instead.to_string(),
                    ));
                }
                done.push(Resolved {
                    value: Value::Empty,
                    source: Source::Default,
                });
                valid.push(true);
                continue;
            }
            let default = line.default_of(var.name).unwrap_or(var.default);
            let given = match machine_override(var.name, &scope) {
                Some((text, source)) => Given::Text(text, source),
                None if var.name == "PANTERAS_IMAGE_LINE" => Given::Text(
                    line.name.to_string(),
                    match set {
                        Some(raw) => raw.source.clone(),
                        None if chosen.by_default => Source::Default,
                        None => Source::Derived(chosen.from.clone()),
                    },
                ),
                None => match set {
                    Some(raw) => Given::Text(raw.value.clone(), raw.source.clone()),
                    None => match default {
                        DefaultRule::Value(text) => Given::Text(text.to_string(), Source::Default),
                        DefaultRule::Derived(from, derive) => {
                            Given::Text(derive(&scope), Source::Derived(from.to_string()))
                        }
                        DefaultRule::Branch(_, derive) => {
                            let (text, branch) = derive(&scope);
                            Given::Text(text, Source::Derived(branch))
                        }
                        DefaultRule::Machine(_) => machine_default(var.name, &scope, system),
                        DefaultRule::Unset => Given::Text(String::new(), Source::Default),
                    },
                },
            };
            let tainted = scope.tainted.get();
            let (value, source, usable) = match given {
                Given::Missing(finding) => {
                    if !tainted {
                        problems.push(finding);
                    }
                    (Value::Empty, Source::Default, false)
                }
                Given::Text(text, source) if text.is_empty() => (Value::Empty, source, !tainted),
                Given::Text(text, source) => match var.kind.parse(&text) {
                    Ok(value) => (value, source, !tainted),
                    Err(accepted) => {
                        // A value derived from a refused one is its consequence.
                        if !tainted {
                            let shown = vars::brief(var.name, &text);
                            problems.push(Finding::error(
                                format!("{}={shown:?} ({source})", var.name),
                                format!("is not valid: {accepted}"),
                                format!("set {} to {}", var.name, var.kind.accepted()),
                            ));
                        }
                        (Value::Empty, source, false)
                    }
                },
            };
            done.push(Resolved { value, source });
            valid.push(usable);
        }
        (
            Settings {
                line,
                values: done,
                valid,
            },
            problems,
        )
    }

    /// A variable's value and source.
    pub fn get(&self, name: &str) -> &Resolved {
        lookup(&self.values, name)
    }

    /// Whether every one of `names` holds a value that could be used (not
    /// refused, and not derived from a refused one).
    pub fn all_valid(&self, names: &[&str]) -> bool {
        names
            .iter()
            .all(|n| vars::index(n).is_some_and(|i| self.valid[i]))
    }

    /// The value as text.
    pub fn text(&self, name: &str) -> String {
        self.get(name).value.to_string()
    }

    /// Whether a boolean variable is true.
    pub fn flag(&self, name: &str) -> bool {
        self.get(name).value == Value::Bool(true)
    }

    /// Every variable of the host's line with its resolved value, in table
    /// order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &Resolved)> {
        VARS.iter()
            .map(|v| v.name)
            .zip(self.values.iter())
            .filter(|(name, _)| self.line.reads(name))
    }

    /// The image line the host follows.
    pub fn line(&self) -> &'static ImageLine {
        self.line
    }
}

impl Lookup for Settings {
    fn text(&self, name: &str) -> String {
        Settings::text(self, name)
    }

    fn flag(&self, name: &str) -> bool {
        Settings::flag(self, name)
    }

    fn is_set_by_user(&self, name: &str) -> bool {
        self.get(name).source.is_user()
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

fn machine_default(name: &str, scope: &Scope, system: &dyn System) -> Given {
    match name {
        "HOSTNAME" => match system.hostname() {
            Some(h) => Given::Text(h, Source::Machine("the machine's host name".into())),
            None => Given::Missing(Finding::error(
                "HOSTNAME (unset)".into(),
                "the machine's host name cannot be read".into(),
                "set HOSTNAME in restricted/host".into(),
            )),
        },
        "FQDN" => {
            // The machine's name is this host's only when HOSTNAME is the
            // machine's, or the machine's name starts with it: files made
            // here for another host (HOSTNAME given) do not take this
            // machine's name.
            let hostname = scope.text("HOSTNAME");
            let ours = |fqdn: &str| {
                !scope.is_set_by_user("HOSTNAME")
                    || fqdn.eq_ignore_ascii_case(&hostname)
                    || fqdn
                        .to_ascii_lowercase()
                        .starts_with(&format!("{}.", hostname.to_ascii_lowercase()))
            };
            match system.fqdn() {
                Some(fqdn) if ours(&fqdn) => Given::Text(
                    fqdn,
                    Source::Machine("the machine's fully qualified name".into()),
                ),
                Some(fqdn) => Given::Text(
                    hostname,
                    Source::Derived(format!(
                        "HOSTNAME (the machine's fully qualified name, {fqdn}, is not of host {})",
                        scope.text("HOSTNAME")
                    )),
                ),
                None => Given::Text(hostname, Source::Derived("HOSTNAME".into())),
            }
        }
        "IP" => {
            match identity::find_ip(&scope.text("HOSTNAME"), &scope.text("DOCKER_HOST"), system) {
                Ok((ip, source)) => Given::Text(ip.to_string(), source),
                Err(problem) => Given::Missing(Finding::error(
                    "IP (unset)".into(),
                    problem,
                    identity::IP_ADVICE.into(),
                )),
            }
        }
        other => Given::Missing(Finding::error(
            format!("{other} (unset)"),
            "has no machine default".into(),
            format!("set {other}"),
        )),
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

    /// The settings, or every value problem, one a line.
    fn settings(env: &[(&str, &str)]) -> Result<Settings, String> {
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
        let layers = Layers::load(&inputs).map_err(|e| e.to_string())?;
        let (settings, problems) = Settings::resolve(&layers, &machine());
        if problems.is_empty() {
            Ok(settings)
        } else {
            let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
            Err(lines.join("\n"))
        }
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
            "10.0.0.5 (derived from IP (LISTEN_IP is not set))"
        );
        assert_eq!(shown(&s, "LISTEN_IP"), "0.0.0.0 (default)");
        assert_eq!(
            shown(&s, "ZOOKEEPER_HOSTS"),
            "box:2181 (derived from `${HOSTNAME}:2181`)"
        );
        assert_eq!(s.text("CONSUL_MODE"), "-server");
        assert_eq!(s.text("DNSMASQ_ADDRESS"), "--address=/consul/10.0.0.5");
    }

    /// Deliberate change 14: the machine's fully qualified name is the
    /// host's only when HOSTNAME is the machine's or it starts with it.
    #[test]
    fn the_machines_fqdn_is_not_taken_for_another_host() {
        let s = settings(&[("HOSTNAME", "paas-node-9"), ("IP", "10.0.0.9")]).unwrap();
        assert_eq!(
            shown(&s, "FQDN"),
            "paas-node-9 (derived from HOSTNAME (the machine's fully qualified name, \
             box.example.com, is not of host paas-node-9))"
        );
        let s = settings(&[("HOSTNAME", "BOX")]).unwrap();
        assert_eq!(
            shown(&s, "FQDN"),
            "box.example.com (lookup: the machine's fully qualified name)"
        );
        let s = settings(&[("HOSTNAME", "box.example.com")]).unwrap();
        assert_eq!(s.text("FQDN"), "box.example.com");
    }

    #[test]
    fn an_empty_value_counts_as_unset_and_a_blank_one_switches_the_default_off() {
        let s = settings(&[("CONSUL_MODE", ""), ("DNSMASQ_ADDRESS", " ")]).unwrap();
        assert_eq!(
            shown(&s, "CONSUL_MODE"),
            "-server (derived from MASTER=true and SLAVE=true: a server)"
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
    fn consul_is_a_client_only_on_a_slave_that_is_no_master() {
        // As the old script: a host running neither role's daemons (a
        // dedicated Consul server) keeps -server.
        for (master, slave, mode) in [
            ("true", "true", "-server"),
            ("true", "false", "-server"),
            ("false", "true", ""),
            ("false", "false", "-server"),
        ] {
            let s = settings(&[("MASTER", master), ("SLAVE", slave), ("IP", "10.0.0.1")]).unwrap();
            assert_eq!(s.text("CONSUL_MODE"), mode, "MASTER={master} SLAVE={slave}");
        }
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
        .unwrap_err();
        assert_eq!(err.matches("fix: ").count(), 3, "{err}");
        assert!(err.contains("HOSTNAME=\"bad_name\""), "{err}");
        assert!(err.contains("SLAVE=\"yes\""), "{err}");
        assert!(err.contains("MESOS_MASTER_QUORUM=\"two\""), "{err}");
        assert!(!err.contains("ZOOKEEPER_HOSTS"), "{err}");
    }

    #[test]
    fn values_derived_from_a_refused_one_are_left_out_and_the_rest_resolve() {
        let tmp = tempfile::tempdir().unwrap();
        let inputs = Inputs {
            env: vec![("MESOS_MASTER_QUORUM".into(), "two".into())],
            env_not_utf8: vec![],
            defaults_file: tmp.path().join("none"),
            dir: tmp.path().to_path_buf(),
            flags: Flags::default(),
            machine_hostname: Some("box".into()),
        };
        let layers = Layers::load(&inputs).unwrap();
        let unresolvable = FakeSystem {
            hostname: Some("box".into()),
            fqdn: None,
            answer: Err("DNS gave no answer".into()),
        };
        let (s, problems) = Settings::resolve(&layers, &unresolvable);
        let shown: Vec<String> = problems.iter().map(|p| p.subject.clone()).collect();
        assert_eq!(shown, ["IP (unset)", "MESOS_MASTER_QUORUM=\"two\" (env)"]);
        assert!(!s.all_valid(&["IP"]) && !s.all_valid(&["HOST_IP", "CONSUL_IP"]));
        assert!(!s.all_valid(&["REGISTRATOR_APP_PARAMS"]), "derived from IP");
        assert!(s.all_valid(&["ZOOKEEPER_HOSTS", "HOSTNAME", "CONSUL_DC"]));
        assert_eq!(s.text("ZOOKEEPER_HOSTS"), "box:2181");
    }

    #[test]
    fn errors_name_the_variable_value_source_and_what_is_accepted() {
        let err = settings(&[("MESOS_MASTER_QUORUM", "two")]).unwrap_err();
        assert_eq!(
            err,
            "MESOS_MASTER_QUORUM=\"two\" (env): is not valid: expected a whole number from 1 up\n  \
             fix: set MESOS_MASTER_QUORUM to a whole number from 1 up"
        );
    }

    #[test]
    fn config_sources_name_the_branch_taken() {
        let slave = settings(&[("MASTER", "false"), ("IP", "10.0.0.1")]).unwrap();
        assert_eq!(
            shown(&slave, "CONSUL_MODE"),
            " (derived from MASTER=false and SLAVE=true: a client)"
        );
        let master = settings(&[("IP", "10.0.0.1"), ("LISTEN_IP", "10.0.0.2")]).unwrap();
        assert_eq!(
            shown(&master, "CONSUL_IP"),
            "10.0.0.2 (derived from LISTEN_IP, which is set)"
        );
    }
}
