//! The cluster inventory of `panteras cluster`: one YAML file that names the
//! masters and slaves, from which each host's restricted/host is derived
//! (roles, the ZooKeeper ensemble and ids, the quorum, the Consul joins).

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

mod entries;
mod rollout;
mod yaml;

pub use rollout::{Gates, Rollout};

use anyhow::{Context as _, Result, anyhow, bail};

use crate::finding::Finding;
use crate::identity::{Answer, System};
use crate::layers::{Layers, Source as LayerSource};
use crate::output;
use crate::render::{RenderedFile, Renderer};
use crate::settings::Settings;
use crate::show::shell_quote;
use entries::{Entry, boolean, entry, settings, validate};
use yaml::{Node, Problems, Source, document, pairs};

/// The most masters an inventory may have: ZooKeeper's server ids (myid)
/// run from 1 to 255, and every host's files list every master.
const MAX_MASTERS: usize = 255;

/// Variables the inventory sets from each host's entry and role.
const PER_HOST: [&str; 5] = ["HOSTNAME", "FQDN", "IP", "MASTER", "SLAVE"];

/// A checked inventory: every host with the restricted/host derived for it.
pub struct Inventory {
    hosts: Vec<Host>,
    rollout: Rollout,
    /// The move between image lines the inventory allows (`0.3 to 0.4`).
    line_change: Option<String>,
}

/// One host of the inventory.
pub struct Host {
    pub name: String,
    pub ip: Ipv4Addr,
    pub master: bool,
    /// Where its files go on the host, when its entry says.
    pub panteras_dir: Option<String>,
    /// Whether it gets only what generate_yml.sh wrote, its container
    /// running the image's own daemon files (`image_files:`).
    pub image_files: bool,
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
        let root = document(text, "an inventory")
            .map_err(|(line, why)| anyhow!("{}: {why}", source.at(line)))?;
        let mut problems = Problems {
            source: &source,
            found: Vec::new(),
        };
        let empty = Node::Map(Vec::new(), 1);
        let root = root.as_ref().unwrap_or(&empty);
        let mut assignments: Vec<Assigned> = Vec::new();
        let mut lists: Vec<(&Node, bool)> = Vec::new();
        let mut masters_line = None;
        let mut masters_are_slaves = false;
        let mut image_files = false;
        let mut line_change = None;
        let mut rollout = Rollout::default();
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
                "masters_are_slaves" => match value.text().as_deref().and_then(boolean) {
                    Some(runs) => masters_are_slaves = runs,
                    None => problems.add(
                        value.line(),
                        "masters_are_slaves: expected true (every master runs the slave daemons too) or false".into(),
                    ),
                },
                "image_files" => match value.text().as_deref().and_then(boolean) {
                    Some(only) => image_files = only,
                    None => problems.add(
                        value.line(),
                        "image_files: expected true (every host gets only what generate_yml.sh wrote) or false".into(),
                    ),
                },
                "line_change" => {
                    let text = value.text().unwrap_or_default();
                    let words: Vec<&str> = text.split_whitespace().collect();
                    let lines = ["0.3", "0.4"];
                    match words.as_slice() {
                        [from, "to", to]
                            if from != to && lines.contains(from) && lines.contains(to) =>
                        {
                            line_change = Some(words.join(" "));
                        }
                        _ => problems.add(
                            value.line(),
                            format!(
                                "line_change {text:?}: expected `0.3 to 0.4` (the hosts move \
                                 from PanteraS 0.3.x to 0.4.x) or `0.4 to 0.3`"
                            ),
                        ),
                    }
                }
                "rollout" => rollout = rollout::rollout(value, &mut problems),
                "masters" | "slaves" => {
                    if key == "masters" {
                        masters_line = Some(line);
                    }
                    lists.push((value, key == "masters"));
                }
                _ => problems.add(
                    line,
                    format!(
                        "unknown key `{key}`; expected name, datacenter, settings, masters_are_slaves, image_files, line_change, rollout, masters or slaves"
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
        if masters_given > MAX_MASTERS {
            problems.add(
                masters_line.unwrap_or(1),
                format!(
                    "{masters_given} masters: a ZooKeeper ensemble has at most {MAX_MASTERS} servers \
                     (their ids, ZOOKEEPER_ID, run from 1 to {MAX_MASTERS}); a cluster needs 3 or 5"
                ),
            );
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
                        "host {} is listed twice (first at line {first}); a master that runs \
                         the slave daemons too is listed once, with `slave: true`",
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
            let slave = !entry.master || entry.slave.unwrap_or(masters_are_slaves);
            let mut vars: Vec<(String, String)> = vec![
                ("MASTER".into(), entry.master.to_string()),
                ("SLAVE".into(), slave.to_string()),
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
            // A cluster-wide value of a master's (or a slave's) daemon goes
            // to the hosts that run it only: changing it restarts no other.
            vars.extend(
                assignments
                    .iter()
                    .filter(|(name, ..)| concerns(name, entry.master, slave))
                    .cloned(),
            );
            vars.extend(entry.settings.iter().cloned());
            let (host_file, origins) = host_file(&entry.host, &vars);
            hosts.push(Host {
                name: entry.host.clone(),
                ip: entry.ip,
                master: entry.master,
                panteras_dir: entry.panteras_dir.clone(),
                image_files: entry.image_files.unwrap_or(image_files),
                origin: source.at(entry.line),
                host_file,
                origins,
            });
        }
        Ok(Inventory {
            hosts,
            rollout,
            line_change,
        })
    }

    /// Every host, masters first, in the inventory's order.
    pub fn hosts(&self) -> &[Host] {
        &self.hosts
    }

    /// How the cluster is rolled out (`rollout:`, or the defaults).
    pub fn rollout(&self) -> &Rollout {
        &self.rollout
    }

    /// The move between image lines the inventory allows, if any.
    pub fn line_change(&self) -> Option<&str> {
        self.line_change.as_deref()
    }
}

/// Whether a cluster-wide value of `name` concerns a host with these roles:
/// the variables of the master daemons' command lines and options concern
/// masters, the slave daemons' slaves. Whether a daemon starts, and the
/// container's volumes, concern every host.
pub(crate) fn concerns(name: &str, master: bool, slave: bool) -> bool {
    const EVERY_HOST: [&str; 3] = ["SHARED", "HOST_DOCKER", "VOLUME_DOCKER"];
    if name.starts_with("START_") || EVERY_HOST.contains(&name) {
        return true;
    }
    match crate::vars::find(name).map(|v| v.roles) {
        Some(crate::vars::Roles::Master) => master,
        Some(crate::vars::Roles::Slave) => slave,
        _ => true,
    }
}

/// restricted/host for one host: shell assignments that panteras and
/// generate_yml.sh read alike; later lines win. Also where each line's
/// value came from in the inventory, by line.
fn host_file(host: &str, vars: &[Assigned]) -> (String, Vec<LayerSource>) {
    // The header names no path: the same inventory gives the same files
    // wherever it lies and by whatever path it is named.
    let mut text = format!(
        "{}\n# Change the inventory and run it again rather than editing this file.\n",
        header(host)
    );
    let mut origins = vec![LayerSource::Default, LayerSource::Default];
    for (name, value, origin) in vars {
        text.push_str(&format!("{name}={}\n", shell_quote(value)));
        origins.push(origin.clone());
    }
    (text, origins)
}

/// The first line of every restricted/host `panteras cluster` writes.
fn header(host: &str) -> String {
    format!(
        "# restricted/host of {host}, written by `panteras cluster` from the cluster's inventory."
    )
}

impl Inventory {
    /// The folders under `out` that `panteras cluster` wrote for hosts this
    /// inventory no longer has (their restricted/host starts with its
    /// header), sorted. Links are not followed; anything else is left alone.
    pub fn stale_folders(&self, out: &Path) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(out) else {
            return Vec::new();
        };
        let mut stale: Vec<String> = entries
            .filter_map(|entry| entry.ok())
            .filter(|entry| entry.file_type().is_ok_and(|t| t.is_dir()))
            .filter_map(|entry| entry.file_name().into_string().ok())
            .filter(|name| !self.hosts.iter().any(|h| h.name == *name))
            .filter(|name| {
                let path = out.join(name).join("restricted/host");
                let regular = std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file());
                regular && first_line(&path).as_deref() == Some(header(name).as_str())
            })
            .collect();
        stale.sort();
        stale
    }
}

/// The first line of a file, read no further than a line's worth.
fn first_line(path: &Path) -> Option<String> {
    use std::io::Read;
    let mut head = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(4096)
        .read_to_end(&mut head)
        .ok()?;
    let text = String::from_utf8_lossy(&head);
    text.lines().next().map(str::to_string)
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
    pub fn files(
        &self,
        renderer: &Renderer,
        settings: &Settings,
        image_files: bool,
    ) -> Result<Vec<RenderedFile>> {
        let dir = PathBuf::from(&self.name);
        // restricted/host may hold any setting of the inventory, passwords
        // among them: 0600 like every file holding a secret.
        let mut files = vec![
            RenderedFile::new(dir.join("restricted/host"), self.host_file.clone()).secret_if(true),
        ];
        for file in renderer.render(settings, image_files || self.image_files)? {
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

    #[test]
    fn the_rollout_section_is_read_with_its_defaults_and_refusals() {
        let hosts = "masters: [{host: a, ip: 10.0.0.1, panteras_dir: /srv/p}]\n";
        let plain = Inventory::parse("c.yaml", hosts).unwrap();
        assert_eq!(*plain.rollout(), Rollout::default());
        assert_eq!(plain.hosts()[0].panteras_dir.as_deref(), Some("/srv/p"));
        let given = Inventory::parse(
            "c.yaml",
            &format!("rollout: {{serial: 2, max_fail_percentage: 50, gate_timeout: 60, gates: {{mesos: false}}}}\n{hosts}"),
        )
        .unwrap();
        let rollout = given.rollout();
        assert_eq!(
            (
                rollout.serial.as_str(),
                rollout.max_fail_percentage,
                rollout.gate_timeout
            ),
            ("2", 50, 60)
        );
        assert!(!rollout.gates.mesos && rollout.gates.zookeeper && rollout.gates.consul);
        let refused = error(&format!(
            "rollout:\n  serial: 0%\n  panteras_dir: relative/x\n  gates: {{zk: true}}\n  max_fail_percentage: 101\n  gate_timeout: 0\n  speed: 3\n{hosts}"
        ));
        for expected in [
            "cluster.yaml:2: rollout.serial \"0%\"",
            "cluster.yaml:3: panteras_dir \"relative/x\"",
            "cluster.yaml:4: unknown gate `zk`",
            "cluster.yaml:5: rollout.max_fail_percentage \"101\"",
            "cluster.yaml:6: rollout.gate_timeout \"0\"",
            "cluster.yaml:7: unknown key `speed` in rollout",
        ] {
            assert!(refused.contains(expected), "{expected}\n{refused}");
        }
        let refused = error("masters: [{host: a, ip: 10.0.0.1, panteras_dir: /srv/../etc}]\n");
        assert!(refused.contains("without `..`"), "{refused}");
    }

    fn error(text: &str) -> String {
        match Inventory::parse("cluster.yaml", text) {
            Ok(_) => panic!("accepted:\n{text}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn masters_run_the_slave_daemons_too_when_the_inventory_says_so() {
        let text = "masters_are_slaves: true\nmasters:\n  - {host: m1, ip: 10.0.0.1}\n  \
                    - {host: m2, ip: 10.0.0.2, slave: false}\n  - {host: m3, ip: 10.0.0.3}\n\
                    slaves: [{host: s1, ip: 10.0.1.1}]\n";
        let inventory = Inventory::parse("cluster.yaml", text).unwrap();
        let roles: Vec<(String, bool, bool)> = inventory
            .hosts()
            .iter()
            .map(|h| {
                let (_, s, problems) = h.resolve().unwrap();
                assert!(problems.is_empty(), "{problems:?}");
                (h.name.clone(), s.flag("MASTER"), s.flag("SLAVE"))
            })
            .collect();
        assert_eq!(
            roles,
            [
                ("m1".into(), true, true),
                ("m2".into(), true, false),
                ("m3".into(), true, true),
                ("s1".into(), false, true)
            ]
        );
        let (_, m1, _) = inventory.hosts()[0].resolve().unwrap();
        // A Consul server of the three, and the ensemble and quorum of three.
        assert!(
            m1.text("CONSUL_APP_PARAMS").contains(
                "-server -bootstrap-expect 3 -join=10.0.0.1 -join=10.0.0.2 -join=10.0.0.3"
            )
        );
        assert_eq!(m1.text("MESOS_MASTER_QUORUM"), "2");
        assert!(m1.flag("START_MESOS_SLAVE") && m1.flag("START_ZOOKEEPER"));
        // Per host only, on masters only.
        let refused = error(
            "masters: [{host: m, ip: 10.0.0.1}]\nslaves: [{host: s, ip: 10.0.1.1, slave: true}]\n",
        );
        assert!(
            refused.contains("`slave` belongs to a master's entry"),
            "{refused}"
        );
        let refused = error("settings: {SLAVE: true}\nmasters: [{host: m, ip: 10.0.0.1}]\n");
        assert!(
            refused.contains("with `slave: true` in its entry"),
            "{refused}"
        );
    }

    #[test]
    fn scalars_keep_their_source_text() {
        let text = "settings:\n  PANTERAS_IMAGE_TAG: 1.10\n  CONSUL_DC: 0x1A\n  \
                    MARATHON_JAVA_OPTS: 1e3\n  HAPROXY_SSL: True\n  START_NETDATA: ~\n\
                    masters: [{host: solo, ip: 10.0.0.1, slave: true}]\n";
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
    fn more_masters_than_a_zookeeper_ensemble_can_have_are_refused_before_rendering() {
        let mut text = String::from("masters:\n");
        for i in 0..256 {
            text.push_str(&format!(
                "  - {{host: m{i}, ip: 10.0.{}.{}}}\n",
                i / 250,
                i % 250 + 1
            ));
        }
        let refused = error(&text);
        assert!(
            refused
                .starts_with("cluster.yaml:1: 256 masters: a ZooKeeper ensemble has at most 255"),
            "{refused}"
        );
    }

    #[test]
    fn deep_nesting_of_every_kind_is_refused_without_exhausting_the_stack() {
        let deep = 50_000;
        let mut indented = String::from("masters:\n");
        for level in 0..200 {
            indented.push_str(&format!("{}- \n", "  ".repeat(level)));
        }
        for text in [
            format!("masters:\n{}x\n", "- ".repeat(deep)),
            format!("masters: {}\n", "[".repeat(deep)),
            format!("masters: {}\n", "{a: ".repeat(deep)),
            indented,
        ] {
            let refused = error(&text);
            assert!(
                refused.contains("nested more than 32 deep")
                    || refused.contains("recursion limit exceeded"),
                "{}",
                &refused[..refused.len().min(200)]
            );
        }
    }

    #[test]
    fn a_value_the_host_files_reader_would_refuse_is_said_at_the_inventorys_line() {
        let refused =
            error("masters: [{host: m, ip: 10.0.0.1}]\nsettings:\n  CLUSTER_NAME: \"a\\x01b\"\n");
        assert!(
            refused.starts_with("cluster.yaml:3: ") && refused.contains("U+0001"),
            "{refused}"
        );
        assert!(!refused.contains("restricted/host"), "{refused}");
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
