//! The cluster inventory of `panteras cluster`: one YAML file that names the
//! masters and slaves, from which each host's restricted/host is derived
//! (roles, the ZooKeeper ensemble and ids, the quorum, the Consul joins).

use std::collections::{BTreeMap, HashMap};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, anyhow, bail};
use serde::Deserialize;

use crate::identity::{Answer, System};
use crate::layers::{Layers, Source as LayerSource};
use crate::output;
use crate::render::{RenderedFile, Renderer};
use crate::settings::Settings;
use crate::show::shell_quote;
use crate::values::{Kind, is_host_name};
use crate::vars;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    name: Option<String>,
    datacenter: Option<String>,
    #[serde(default)]
    settings: BTreeMap<String, serde_norway::Value>,
    #[serde(default)]
    masters: Vec<Entry>,
    #[serde(default)]
    slaves: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    host: String,
    ip: Ipv4Addr,
    fqdn: Option<String>,
    #[serde(default)]
    settings: BTreeMap<String, serde_norway::Value>,
}

/// Variables the inventory sets from each host's entry and role.
const PER_HOST: [&str; 5] = ["HOSTNAME", "FQDN", "IP", "MASTER", "SLAVE"];

/// A checked inventory: every host with the restricted/host derived for it.
pub struct Inventory {
    hosts: Vec<Host>,
}

/// One host of the inventory.
pub struct Host {
    pub name: String,
    /// Where its entry is: `cluster.yaml:12`.
    pub origin: String,
    /// The restricted/host written for it.
    pub host_file: String,
    /// Where the value of each of its lines came from in the inventory.
    origins: Vec<LayerSource>,
}

/// A variable, its value, and where in the inventory it came from.
type Assigned = (String, String, LayerSource);

/// Resolving happens for hosts other than this machine: nothing is looked
/// up (the inventory gives every host's name and address).
struct Offline;

impl System for Offline {
    fn hostname(&self) -> Option<String> {
        None
    }
    fn fqdn(&self) -> Option<String> {
        None
    }
    fn resolve(&self, _: &str) -> Result<Answer, String> {
        Err("panteras cluster looks nothing up; the inventory gives every address".into())
    }
}

/// The inventory's text, for pointing at lines.
struct Source<'a> {
    shown: String,
    lines: Vec<&'a str>,
}

impl Source<'_> {
    /// The first line at or after `from` (1-based) that `matches`.
    fn find(&self, from: usize, matches: impl Fn(&str) -> bool) -> Option<usize> {
        let start = from.max(1);
        self.lines
            .iter()
            .enumerate()
            .skip(start - 1)
            .find(|(_, line)| matches(line.split('#').next().unwrap_or("")))
            .map(|(i, _)| i + 1)
    }

    /// The line of `key: value` (value bare or quoted) at or after `from`.
    fn find_pair(&self, from: usize, key: &str, value: &str) -> Option<usize> {
        self.find(from, |line| {
            let mut rest = line;
            while let Some(at) = rest.find(key) {
                let before = rest[..at].chars().last();
                let after = rest[at + key.len()..].trim_start();
                rest = &rest[at + key.len()..];
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    continue;
                }
                let Some(after) = after.strip_prefix(':') else {
                    continue;
                };
                let token: String = after
                    .trim_start()
                    .trim_start_matches(['"', '\''])
                    .chars()
                    .take_while(|c| !matches!(c, '"' | '\'' | ',' | '}' | ' ' | '\t'))
                    .collect();
                if token == value {
                    return true;
                }
            }
            false
        })
    }

    /// The source of a value read at `line` of the inventory.
    fn origin(&self, line: Option<usize>) -> LayerSource {
        match line {
            Some(line) => LayerSource::File {
                path: self.shown.clone(),
                line,
            },
            None => LayerSource::Derived(format!("the inventory {}", self.shown)),
        }
    }

    fn at(&self, line: Option<usize>) -> String {
        match line {
            Some(line) => format!("{}:{line}", self.shown),
            None => self.shown.clone(),
        }
    }
}

/// A YAML scalar as the text of a variable.
fn scalar(value: &serde_norway::Value) -> Option<String> {
    match value {
        serde_norway::Value::String(s) => Some(s.clone()),
        serde_norway::Value::Bool(b) => Some(b.to_string()),
        serde_norway::Value::Number(n) => Some(n.to_string()),
        serde_norway::Value::Null => Some(String::new()),
        _ => None,
    }
}

impl Inventory {
    /// Reads and checks an inventory; every refusal names the file and line.
    pub fn read(path: &Path) -> Result<Inventory> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {shown}"))?;
        Inventory::parse(&shown, &text)
    }

    /// Checks an inventory's text; `shown` names it in messages.
    pub fn parse(shown: &str, text: &str) -> Result<Inventory> {
        let source = Source {
            shown: shown.to_string(),
            lines: text.lines().collect(),
        };
        let file: File = serde_norway::from_str(text).map_err(|e| match e.location() {
            Some(at) => {
                let message = e.to_string();
                let message = message
                    .split(" at line ")
                    .next()
                    .unwrap_or(&message)
                    .to_string();
                anyhow!("{shown}:{}: {message}", at.line())
            }
            None => anyhow!("{shown}: {e}"),
        })?;
        let top = |key: &str| source.find(1, |l| l.starts_with(&format!("{key}:")));
        if file.masters.is_empty() {
            bail!(
                "{}: no masters: a cluster needs at least one (three to survive the loss of one)",
                source.at(top("masters"))
            );
        }
        let mut named: Vec<(String, String)> = Vec::new();
        if let Some(name) = &file.name {
            named.push(("CLUSTER_NAME".into(), name.clone()));
        }
        if let Some(dc) = &file.datacenter {
            named.push(("CONSUL_DC".into(), dc.clone()));
        }
        named.extend(settings(
            &source,
            top("settings").unwrap_or(1),
            &file.settings,
            "the cluster",
        )?);
        // The cluster-wide assignments, each with the line it came from.
        let mut assignments: Vec<Assigned> = Vec::new();
        for (name, value) in named {
            let line = match name.as_str() {
                "CLUSTER_NAME" => top("name"),
                "CONSUL_DC" => top("datacenter"),
                _ => source.find(top("settings").unwrap_or(1), |l| {
                    l.trim_start().starts_with(&format!("{name}:"))
                }),
            };
            validate(&source, line, &name, &value)?;
            assignments.push((name, value, source.origin(line)));
        }

        // Entries in order, each with the line of its `host:`.
        let mut entries: Vec<(&Entry, bool, usize)> = Vec::new();
        for (list, master) in [(&file.masters, true), (&file.slaves, false)] {
            let mut cursor = top(if master { "masters" } else { "slaves" }).unwrap_or(1);
            for entry in list {
                let line = source
                    .find_pair(cursor, "host", &entry.host)
                    .unwrap_or(cursor);
                cursor = line + 1;
                entries.push((entry, master, line));
            }
        }
        let mut names: HashMap<&str, usize> = HashMap::new();
        let mut ips: HashMap<Ipv4Addr, usize> = HashMap::new();
        for &(entry, _, line) in &entries {
            let at = source.at(Some(line));
            if !is_host_name(&entry.host) {
                bail!(
                    "{at}: host {:?}: expected {}",
                    entry.host,
                    Kind::HostName.accepted()
                );
            }
            if let Some(first) = names.insert(&entry.host, line) {
                bail!(
                    "{at}: host {} is listed twice (first at line {first})",
                    entry.host
                );
            }
            let ip_line = source
                .find_pair(line, "ip", &entry.ip.to_string())
                .unwrap_or(line);
            if let Some(first) = ips.insert(entry.ip, ip_line) {
                bail!(
                    "{}: ip {} of host {} is already used at line {first}",
                    source.at(Some(ip_line)),
                    entry.ip,
                    entry.host
                );
            }
            if let Some(fqdn) = &entry.fqdn {
                validate(&source, source.find_pair(line, "fqdn", fqdn), "FQDN", fqdn)?;
            }
        }

        let masters: Vec<&Entry> = file.masters.iter().collect();
        let n = masters.len();
        let ensemble: Vec<String> = masters.iter().map(|m| format!("{}:2181", m.ip)).collect();
        let joins: Vec<String> = masters.iter().map(|m| format!("-join={}", m.ip)).collect();
        let mut hosts = Vec::new();
        for &(entry, master, line) in &entries {
            let derived =
                LayerSource::Derived(format!("the inventory ({})", source.at(Some(line))));
            let mut vars: Vec<(String, String)> = vec![
                ("MASTER".into(), master.to_string()),
                ("SLAVE".into(), (!master).to_string()),
                ("HOSTNAME".into(), entry.host.clone()),
                (
                    "FQDN".into(),
                    entry.fqdn.clone().unwrap_or_else(|| entry.host.clone()),
                ),
                ("IP".into(), entry.ip.to_string()),
                ("ZOOKEEPER_HOSTS".into(), ensemble.join(",")),
                ("MESOS_MASTER_QUORUM".into(), (n / 2 + 1).to_string()),
            ];
            if master {
                let id = masters
                    .iter()
                    .position(|m| m.host == entry.host)
                    .unwrap_or(0)
                    + 1;
                vars.push(("ZOOKEEPER_ID".into(), id.to_string()));
                vars.push((
                    "CONSUL_HOSTS".into(),
                    format!("-bootstrap-expect {n} {}", joins.join(" ")),
                ));
            } else {
                vars.push(("CONSUL_HOSTS".into(), joins.join(" ")));
            }
            let mut vars: Vec<Assigned> = vars
                .into_iter()
                .map(|(name, value)| (name, value, derived.clone()))
                .collect();
            vars.extend(assignments.iter().cloned());
            let own = settings(
                &source,
                line,
                &entry.settings,
                &format!("host {}", entry.host),
            )?;
            for (name, value) in own {
                let key_line = source.find(line, |l| l.contains(&format!("{name}:")));
                validate(&source, key_line, &name, &value)?;
                vars.push((name, value, source.origin(key_line)));
            }
            let (host_file, origins) = host_file(shown, &entry.host, &vars);
            hosts.push(Host {
                name: entry.host.clone(),
                origin: source.at(Some(line)),
                host_file,
                origins,
            });
        }
        Ok(Inventory { hosts })
    }

    /// Every host, masters first, in the inventory's order.
    pub fn hosts(&self) -> &[Host] {
        &self.hosts
    }
}

/// The variables of a `settings:` map, refusing unknown names and the ones
/// the inventory sets per host.
fn settings(
    source: &Source,
    from: usize,
    map: &BTreeMap<String, serde_norway::Value>,
    whose: &str,
) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for (name, value) in map {
        let line = source.find(from, |l| l.contains(&format!("{name}:")));
        let at = source.at(line);
        if vars::find(name).is_none() {
            let hint = vars::closest(name)
                .map(|k| format!("; did you mean {k}?"))
                .unwrap_or_default();
            bail!("{at}: {name} in the settings of {whose} is not a panteras variable{hint}");
        }
        if PER_HOST.contains(&name.as_str()) {
            bail!(
                "{at}: {name} is set for each host by the inventory (host, ip, fqdn, masters and slaves), not in settings"
            );
        }
        let Some(text) = scalar(value) else {
            bail!("{at}: {name} must be a single value, not a list or a map");
        };
        out.push((name.clone(), text));
    }
    Ok(out)
}

/// Checks a value against its variable's kind where it is read.
fn validate(source: &Source, line: Option<usize>, name: &str, value: &str) -> Result<()> {
    let kind = vars::find(name).map_or(Kind::Text, |v| v.kind);
    if value.is_empty() {
        return Ok(());
    }
    kind.parse(value).map(drop).map_err(|accepted| {
        anyhow!(
            "{}: {name}={:?} is not valid: {accepted}",
            source.at(line),
            vars::shown(name, value)
        )
    })
}

/// restricted/host for one host: shell assignments that panteras and
/// generate_yml.sh read alike; later lines win. Also where each line's
/// value came from in the inventory, by line.
fn host_file(inventory: &str, host: &str, vars: &[Assigned]) -> (String, Vec<LayerSource>) {
    let mut text = format!(
        "# restricted/host of {host}, written by `panteras cluster` from {inventory}.\n\
         # Change the inventory and run it again rather than editing this file.\n"
    );
    let mut origins = vec![LayerSource::Default, LayerSource::Default];
    for (name, value, origin) in vars {
        text.push_str(&format!("{name}={}\n", shell_quote(value)));
        origins.push(origin.clone());
    }
    (text, origins)
}

impl Host {
    /// This host's settings, as `panteras generate` resolves them on the
    /// host from its restricted/host alone.
    pub fn resolve(&self) -> Result<(Layers, Settings)> {
        let shown = format!("{}/restricted/host", self.name);
        let context = || format!("host {} ({})", self.name, self.origin);
        let layers = Layers::from_text(&shown, &self.host_file, Some(&self.origins))
            .with_context(context)?;
        let settings = Settings::resolve(&layers, &Offline).with_context(context)?;
        Ok((layers, settings))
    }

    /// Every file of this host under `<name>/`.
    pub fn files(&self, renderer: &Renderer, settings: &Settings) -> Result<Vec<RenderedFile>> {
        let dir = PathBuf::from(&self.name);
        // restricted/host may hold any setting of the inventory, passwords
        // among them: 0600 like every file holding a secret.
        let mut files = vec![
            RenderedFile::new(dir.join("restricted/host"), self.host_file.clone()).secret_if(true),
        ];
        for file in renderer.render(settings)? {
            files.push(RenderedFile {
                path: dir.join(&file.path),
                ..file
            });
        }
        files.push(output::env_file(&dir));
        Ok(files)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arbitrary_documents_are_refused_without_panicking() {
        for text in [
            "",
            "~",
            "[]",
            "masters:",
            "masters: 3",
            "masters: [{}]",
            "masters: [{host: a}]",
            "masters: [{host: a, ip: 1.2.3.4, settings: {GOMAXPROCS: [1]}}]",
            "masters: [{host: a, ip: 1.2.3.4, settings: {GOMAXPROCS: {x: 1}}}]",
            "masters: [{host: \"\", ip: 1.2.3.4}]",
            "masters: [{host: a, ip: 1.2.3.4, fqdn: \"a b\"}]",
            "settings: 5\nmasters: [{host: a, ip: 1.2.3.4}]",
            "masters:\n  - host: a\n    ip: 1.2.3.4\n  - host: a\n",
            "name: [x]\nmasters: [{host: a, ip: 1.2.3.4}]",
            "\u{feff}masters: [{host: a, ip: 1.2.3.4}]\n\t\u{0}",
        ] {
            let _ = Inventory::parse("cluster.yaml", text);
        }
    }

    #[test]
    fn a_minimal_inventory_derives_a_single_master() {
        let inventory =
            Inventory::parse("cluster.yaml", "masters: [{host: solo, ip: 10.0.0.1}]\n").unwrap();
        let host = &inventory.hosts()[0];
        assert_eq!(host.origin, "cluster.yaml:1");
        assert!(host.host_file.contains(
            "ZOOKEEPER_HOSTS='10.0.0.1:2181'\nMESOS_MASTER_QUORUM='1'\nZOOKEEPER_ID='1'\n"
        ));
        let (_, settings) = host.resolve().unwrap();
        assert!(
            settings
                .text("CONSUL_APP_PARAMS")
                .contains("-bootstrap-expect 1 -join=10.0.0.1")
        );
    }
}
