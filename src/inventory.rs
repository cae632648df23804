//! The cluster inventory of `panteras cluster`: one YAML file that names the
//! masters and slaves, from which each host's restricted/host is derived
//! (roles, the ZooKeeper ensemble and ids, the quorum, the Consul joins).

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, anyhow, bail};
use yaml_rust2::parser::{Event, MarkedEventReceiver};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use crate::finding::Finding;
use crate::identity::{Answer, System};
use crate::layers::{Layers, Source as LayerSource};
use crate::output;
use crate::render::{RenderedFile, Renderer};
use crate::settings::Settings;
use crate::show::shell_quote;
use crate::values::{Kind, is_host_name};
use crate::vars;

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

/// The inventory's name, for pointing at lines.
struct Source {
    shown: String,
}

impl Source {
    /// The source of a value read at `line` of the inventory.
    fn origin(&self, line: usize) -> LayerSource {
        LayerSource::File {
            path: self.shown.clone(),
            line,
        }
    }

    fn at(&self, line: usize) -> String {
        format!("{}:{line}", self.shown)
    }
}

/// A node of the YAML document with the line it starts on. Scalars keep
/// their source text (`1.10` stays `1.10`, `0x1A` stays `0x1A`).
#[derive(Debug)]
enum Node {
    Scalar {
        text: String,
        plain: bool,
        line: usize,
    },
    List(Vec<Node>, usize),
    Map(Vec<(Node, Node)>, usize),
}

impl Node {
    fn line(&self) -> usize {
        match self {
            Node::Scalar { line, .. } | Node::List(_, line) | Node::Map(_, line) => *line,
        }
    }

    fn what(&self) -> &'static str {
        match self {
            Node::Scalar { .. } => "a single value",
            Node::List(..) => "a list",
            Node::Map(..) => "a map",
        }
    }

    /// A scalar's text; a plain `~`, `null` or nothing is empty.
    fn text(&self) -> Option<String> {
        match self {
            Node::Scalar { text, plain, .. } => Some(
                if *plain && matches!(text.as_str(), "~" | "null" | "Null" | "NULL" | "") {
                    String::new()
                } else {
                    text.clone()
                },
            ),
            _ => None,
        }
    }
}

/// Collects the parser's events with the line of each.
struct Events(Vec<(Event, usize)>);

impl MarkedEventReceiver for Events {
    fn on_event(&mut self, event: Event, mark: Marker) {
        self.0.push((event, mark.line()));
    }
}

/// The one document of `text` as a tree; anchors, aliases and more than
/// one document are refused (an inventory needs none of them, and an alias
/// can make a small file expand without bound).
fn document(text: &str) -> Result<Option<Node>, (usize, String)> {
    let mut events = Events(Vec::new());
    yaml_rust2::parser::Parser::new_from_str(text)
        .load(&mut events, true)
        .map_err(|e| (e.marker().line(), e.info().to_string()))?;
    let mut stack: Vec<Node> = Vec::new();
    let mut root: Option<Node> = None;
    let mut documents = 0;
    for (event, line) in events.0 {
        let node = match event {
            Event::DocumentStart => {
                documents += 1;
                if documents > 1 {
                    return Err((
                        line,
                        "more than one YAML document; an inventory is one".into(),
                    ));
                }
                continue;
            }
            Event::Alias(_) => {
                return Err((
                    line,
                    "aliases (*name) are not supported in an inventory".into(),
                ));
            }
            Event::Scalar(_, _, anchor, _)
            | Event::SequenceStart(anchor, _)
            | Event::MappingStart(anchor, _)
                if anchor != 0 =>
            {
                return Err((
                    line,
                    "anchors (&name) are not supported in an inventory".into(),
                ));
            }
            Event::Scalar(text, style, _, _) => Node::Scalar {
                text,
                plain: style == TScalarStyle::Plain,
                line,
            },
            Event::SequenceStart(..) => {
                stack.push(Node::List(Vec::new(), line));
                continue;
            }
            Event::MappingStart(..) => {
                stack.push(Node::Map(Vec::new(), line));
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(node) => node,
                None => continue,
            },
            _ => continue,
        };
        match stack.last_mut() {
            Some(Node::List(items, _)) => items.push(node),
            // A map collects keys and values in turn: a key waits as a
            // pair with a placeholder until its value comes.
            Some(Node::Map(pairs, _)) => match pairs.last_mut() {
                Some((_, value @ Node::Scalar { line: 0, .. })) => *value = node,
                _ => pairs.push((
                    node,
                    Node::Scalar {
                        text: String::new(),
                        plain: true,
                        line: 0,
                    },
                )),
            },
            _ => root = Some(node),
        }
    }
    Ok(root)
}

/// Every error of an inventory, each with its line.
struct Problems<'a> {
    source: &'a Source,
    found: Vec<(usize, String)>,
}

impl Problems<'_> {
    fn add(&mut self, line: usize, message: String) {
        self.found.push((line, message));
    }
}

/// The pairs of a map node, refusing duplicate keys and keys that are not
/// single values; a node that is not a map is refused as `what`.
fn pairs<'n>(
    node: &'n Node,
    what: &str,
    problems: &mut Problems,
) -> Vec<(String, &'n Node, usize)> {
    let Node::Map(pairs, _) = node else {
        if node.text().is_some_and(|t| t.is_empty()) {
            return Vec::new();
        }
        problems.add(
            node.line(),
            format!("{what} must be a map, not {}", node.what()),
        );
        return Vec::new();
    };
    let mut out: Vec<(String, &Node, usize)> = Vec::new();
    for (key, value) in pairs {
        let Some(name) = key.text() else {
            problems.add(
                key.line(),
                format!("a key of {what} must be a single value"),
            );
            continue;
        };
        if let Some((_, _, first)) = out.iter().find(|(k, ..)| *k == name) {
            problems.add(
                key.line(),
                format!("{name} is given twice in {what} (first at line {first})"),
            );
            continue;
        }
        out.push((name, value, key.line()));
    }
    out
}

/// A host's entry as read.
struct Entry {
    host: String,
    ip: Ipv4Addr,
    fqdn: Option<(String, usize)>,
    settings: Vec<Assigned>,
    master: bool,
    line: usize,
}

impl Inventory {
    /// Reads and checks an inventory; every refusal names the file and line.
    pub fn read(path: &Path) -> Result<Inventory> {
        let shown = path.display().to_string();
        let text = crate::layers::read_input(path, &shown)?
            .ok_or_else(|| anyhow!("cannot read {shown}: no such file"))?;
        Inventory::parse(&shown, &text)
    }

    /// Checks an inventory's text; `shown` names it in messages. Every
    /// error is reported together.
    pub fn parse(shown: &str, text: &str) -> Result<Inventory> {
        let source = Source {
            shown: shown.to_string(),
        };
        let root = document(text).map_err(|(line, why)| anyhow!("{}: {why}", source.at(line)))?;
        let mut problems = Problems {
            source: &source,
            found: Vec::new(),
        };
        let empty = Node::Map(Vec::new(), 1);
        let root = root.as_ref().unwrap_or(&empty);
        let mut assignments: Vec<Assigned> = Vec::new();
        let mut lists: Vec<(&Node, bool)> = Vec::new();
        let mut masters_line = None;
        for (key, value, line) in pairs(root, "the inventory", &mut problems) {
            match key.as_str() {
                "name" | "datacenter" => {
                    let name = if key == "name" { "CLUSTER_NAME" } else { "CONSUL_DC" };
                    match value.text() {
                        Some(text) => {
                            validate(&mut problems, value.line(), name, &text);
                            assignments.push((name.into(), text, source.origin(value.line())));
                        }
                        None => problems.add(line, format!("{key} must be a single value")),
                    }
                }
                "settings" => {
                    assignments.extend(settings(value, "the cluster", &mut problems));
                }
                "masters" | "slaves" => {
                    if key == "masters" {
                        masters_line = Some(line);
                    }
                    lists.push((value, key == "masters"));
                }
                _ => problems.add(
                    line,
                    format!(
                        "unknown key `{key}`; expected name, datacenter, settings, masters or slaves"
                    ),
                ),
            }
        }
        // Masters first, then slaves, each in the inventory's order.
        lists.sort_by_key(|(_, master)| !master);
        let mut entries: Vec<Entry> = Vec::new();
        let mut masters_given = 0;
        for (list, master) in lists {
            let items: &[Node] = match list {
                Node::List(items, _) => items,
                other if other.text().is_some_and(|t| t.is_empty()) => &[],
                other => {
                    problems.add(
                        other.line(),
                        format!("the hosts must be a list, not {}", other.what()),
                    );
                    &[]
                }
            };
            if master {
                masters_given += items.len();
            }
            for item in items {
                if let Some(entry) = entry(item, master, &mut problems) {
                    entries.push(entry);
                }
            }
        }
        if masters_given == 0 {
            problems.add(
                masters_line.unwrap_or(1),
                "no masters: a cluster needs at least one (three to survive the loss of one)"
                    .into(),
            );
        }
        let mut names: HashMap<String, (usize, &str)> = HashMap::new();
        let mut ips: HashMap<Ipv4Addr, usize> = HashMap::new();
        for entry in &entries {
            // Host names are the same whatever their case (DNS, Consul).
            let key = entry.host.to_ascii_lowercase();
            if let Some((first, name)) = names.insert(key, (entry.line, &entry.host)) {
                let why = if name == entry.host {
                    format!(
                        "host {} is listed twice (first at line {first})",
                        entry.host
                    )
                } else {
                    format!(
                        "host {} is host {name} of line {first}: host names are the same whatever their case",
                        entry.host
                    )
                };
                problems.add(entry.line, why);
            }
            if let Some(first) = ips.insert(entry.ip, entry.line) {
                problems.add(
                    entry.line,
                    format!(
                        "ip {} of host {} is already used at line {first}",
                        entry.ip, entry.host
                    ),
                );
            }
        }
        if !problems.found.is_empty() {
            problems.found.sort_by_key(|(line, _)| *line);
            let report: Vec<String> = problems
                .found
                .iter()
                .map(|(line, why)| format!("{}: {why}", source.at(*line)))
                .collect();
            bail!("{}", report.join("\n"));
        }

        let masters: Vec<&Entry> = entries.iter().filter(|e| e.master).collect();
        let n = masters.len();
        let ensemble: Vec<String> = masters.iter().map(|m| format!("{}:2181", m.ip)).collect();
        let joins: Vec<String> = masters.iter().map(|m| format!("-join={}", m.ip)).collect();
        let mut hosts = Vec::new();
        for entry in &entries {
            let derived =
                LayerSource::Derived(format!("the inventory ({})", source.at(entry.line)));
            let fqdn = entry
                .fqdn
                .as_ref()
                .map_or_else(|| entry.host.clone(), |(fqdn, _)| fqdn.clone());
            let mut vars: Vec<(String, String)> = vec![
                ("MASTER".into(), entry.master.to_string()),
                ("SLAVE".into(), (!entry.master).to_string()),
                ("HOSTNAME".into(), entry.host.clone()),
                ("FQDN".into(), fqdn),
                ("IP".into(), entry.ip.to_string()),
                ("ZOOKEEPER_HOSTS".into(), ensemble.join(",")),
                ("MESOS_MASTER_QUORUM".into(), (n / 2 + 1).to_string()),
            ];
            if entry.master {
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
            if let Some((fqdn, line)) = &entry.fqdn {
                let slot = vars.iter_mut().find(|(name, ..)| name == "FQDN");
                if let Some(slot) = slot {
                    *slot = ("FQDN".into(), fqdn.clone(), source.origin(*line));
                }
            }
            vars.extend(assignments.iter().cloned());
            vars.extend(entry.settings.iter().cloned());
            let (host_file, origins) = host_file(&entry.host, &vars);
            hosts.push(Host {
                name: entry.host.clone(),
                origin: source.at(entry.line),
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

/// One entry of `masters` or `slaves`.
fn entry(node: &Node, master: bool, problems: &mut Problems) -> Option<Entry> {
    let line = node.line();
    let (mut host, mut ip, mut fqdn, mut own) = (None, None, None, Vec::new());
    for (key, value, key_line) in pairs(node, "a host's entry", problems) {
        let Some(text) = value.text().filter(|_| key != "settings") else {
            if key == "settings" {
                own = settings(value, "this host", problems);
            } else {
                problems.add(
                    key_line,
                    format!("{key} must be a single value, not {}", value.what()),
                );
            }
            continue;
        };
        match key.as_str() {
            "host" => {
                if is_host_name(&text) {
                    host = Some(text);
                } else {
                    problems.add(
                        value.line(),
                        format!("host {text:?}: expected {}", Kind::HostName.accepted()),
                    );
                }
            }
            "ip" => match text.parse::<Ipv4Addr>() {
                Ok(address) => ip = Some(address),
                Err(_) => problems.add(
                    value.line(),
                    format!("ip {text:?}: expected {}", Kind::Ipv4.accepted()),
                ),
            },
            "fqdn" => {
                validate(problems, value.line(), "FQDN", &text);
                fqdn = Some((text, value.line()));
            }
            _ => problems.add(
                key_line,
                format!(
                    "unknown key `{key}` in a host's entry; expected host, ip, fqdn or settings"
                ),
            ),
        }
    }
    let (Some(host), Some(ip)) = (host, ip) else {
        let given = |key: &str| matches!(node, Node::Map(pairs, _) if pairs.iter().any(|(k, _)| k.text().as_deref() == Some(key)));
        if matches!(node, Node::Map(..)) && !(given("host") && given("ip")) {
            problems.add(line, "a host's entry needs `host` and `ip`".into());
        }
        return None;
    };
    Some(Entry {
        host,
        ip,
        fqdn,
        settings: own,
        master,
        line,
    })
}

/// The variables of a `settings:` map, each with its own line, refusing
/// unknown names, the ones the inventory sets per host, values that are
/// not single values and values their variable does not accept.
fn settings(node: &Node, whose: &str, problems: &mut Problems) -> Vec<Assigned> {
    let mut out = Vec::new();
    for (name, value, line) in pairs(node, &format!("the settings of {whose}"), problems) {
        if vars::find(&name).is_none() {
            let hint = vars::closest(&name)
                .map(|k| format!("; did you mean {k}?"))
                .unwrap_or_default();
            problems.add(
                line,
                format!("{name} in the settings of {whose} is not a panteras variable{hint}"),
            );
            continue;
        }
        if PER_HOST.contains(&name.as_str()) {
            problems.add(
                line,
                format!("{name} is set for each host by the inventory (host, ip, fqdn, masters and slaves), not in settings"),
            );
            continue;
        }
        let Some(text) = value.text() else {
            problems.add(
                line,
                format!("{name} must be a single value, not {}", value.what()),
            );
            continue;
        };
        validate(problems, line, &name, &text);
        let origin = problems.source.origin(line);
        out.push((name, text, origin));
    }
    out
}

/// Checks a value against its variable's kind where it is read.
fn validate(problems: &mut Problems, line: usize, name: &str, value: &str) {
    let kind = vars::find(name).map_or(Kind::Text, |v| v.kind);
    if value.is_empty() {
        return;
    }
    if let Err(accepted) = kind.parse(value) {
        problems.add(
            line,
            format!(
                "{name}={:?} is not valid: {accepted}",
                vars::shown(name, value)
            ),
        );
    }
}

/// restricted/host for one host: shell assignments that panteras and
/// generate_yml.sh read alike; later lines win. Also where each line's
/// value came from in the inventory, by line.
fn host_file(host: &str, vars: &[Assigned]) -> (String, Vec<LayerSource>) {
    // The header names no path: the same inventory gives the same files
    // wherever it lies and by whatever path it is named.
    let mut text = format!(
        "# restricted/host of {host}, written by `panteras cluster` from the cluster's inventory.\n\
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
    /// host from its restricted/host alone, with the values that could not
    /// be used.
    pub fn resolve(&self) -> Result<(Layers, Settings, Vec<Finding>)> {
        let shown = format!("{}/restricted/host", self.name);
        let context = || format!("host {} ({})", self.name, self.origin);
        let layers = Layers::from_text(&shown, &self.host_file, Some(&self.origins))
            .with_context(context)?;
        let (settings, problems) = Settings::resolve(&layers, &Offline);
        Ok((layers, settings, problems))
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
        let (_, settings, problems) = host.resolve().unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        assert!(
            settings
                .text("CONSUL_APP_PARAMS")
                .contains("-bootstrap-expect 1 -join=10.0.0.1")
        );
    }

    fn error(text: &str) -> String {
        match Inventory::parse("cluster.yaml", text) {
            Ok(_) => panic!("accepted:\n{text}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn scalars_keep_their_source_text() {
        let text = "settings:\n  PANTERAS_IMAGE_TAG: 1.10\n  CONSUL_DC: 0x1A\n  \
                    MARATHON_JAVA_OPTS: 1e3\n  HAPROXY_SSL: True\n  START_NETDATA: ~\n\
                    masters: [{host: solo, ip: 10.0.0.1}]\n";
        let inventory = Inventory::parse("cluster.yaml", text).unwrap();
        let host_file = &inventory.hosts()[0].host_file;
        for line in [
            "PANTERAS_IMAGE_TAG='1.10'\n",
            "CONSUL_DC='0x1A'\n",
            "MARATHON_JAVA_OPTS='1e3'\n",
            "HAPROXY_SSL='True'\n",
            "START_NETDATA=''\n",
        ] {
            assert!(host_file.contains(line), "{line}in\n{host_file}");
        }
        // Where the variable takes a number, the text must be one.
        let refused = error("settings:\n  GOMAXPROCS: 0x1A\nmasters: [{host: a, ip: 10.0.0.1}]\n");
        assert!(
            refused.starts_with("cluster.yaml:2: GOMAXPROCS=\"0x1A\" is not valid"),
            "{refused}"
        );
    }

    #[test]
    fn every_error_is_reported_at_its_own_line_together() {
        let text = "settings:\n  MESOS_CLUSTER_NAME: a\n  HAPROXY_SSL: maybe\n  \
                    MESOS_CLUSTER_NAME: b\nmasters:\n  - host: m1\n    ip: 10.0.0.300\n  \
                    - host: m2\n    ip: 10.0.0.2\n    settings:\n      CLUSTER_NAME: x\n      \
                    GOMAXPROCS: none\n  - {host: M2, ip: 10.0.0.3}\n";
        assert_eq!(
            error(text),
            "cluster.yaml:3: HAPROXY_SSL=\"maybe\" is not valid: expected `true` or `false` (any case)\n\
             cluster.yaml:4: MESOS_CLUSTER_NAME is given twice in the settings of the cluster (first at line 2)\n\
             cluster.yaml:7: ip \"10.0.0.300\": expected an IPv4 address such as 192.168.10.10\n\
             cluster.yaml:12: GOMAXPROCS=\"none\" is not valid: expected a whole number from 1 up\n\
             cluster.yaml:13: host M2 is host m2 of line 8: host names are the same whatever their case"
        );
    }

    #[test]
    fn anchors_aliases_and_second_documents_are_refused() {
        let bomb = "a: &a [x, x]\nb: &b [*a, *a]\nmasters: [{host: m, ip: 10.0.0.1}]\n";
        assert!(error(bomb).contains("anchors (&name) are not supported"));
        let two = "masters: [{host: m, ip: 10.0.0.1}]\n---\nmasters: []\n";
        assert!(error(two).contains("more than one YAML document"));
    }

    #[test]
    fn the_files_do_not_depend_on_the_inventorys_path() {
        let text = "masters: [{host: m, ip: 10.0.0.1}]\n";
        let here = Inventory::parse("cluster.yaml", text).unwrap();
        let there = Inventory::parse("/srv/ops/../ops/prod\nx.yaml", text).unwrap();
        assert_eq!(here.hosts()[0].host_file, there.hosts()[0].host_file);
    }
}
