//! `panteras cluster --ansible DIR`: an Ansible inventory of the cluster's
//! hosts and a playbook (site.yml and its tasks) that puts each host's
//! files in place and restarts its container when they changed: the
//! masters one at a time, each healthy before the next, then the slaves in
//! batches. ansible-core's own modules only.

use std::net::Ipv4Addr;
use std::path::{Component, Path, PathBuf};

use anyhow::{Result, bail};

use crate::inventory::{Host, Inventory};
use crate::render::RenderedFile;
use crate::settings::Settings;

/// The playbook's files, as they are written.
const PLAYBOOK: &[(&str, &str)] = &[
    ("site.yml", include_str!("playbook/site.yml")),
    ("vars.yml", include_str!("playbook/vars.yml")),
    ("gate.py", include_str!("playbook/gate.py")),
    ("lines.py", include_str!("playbook/lines.py")),
    ("tasks/roll.yml", include_str!("playbook/tasks/roll.yml")),
    ("tasks/files.yml", include_str!("playbook/tasks/files.yml")),
    ("tasks/state.yml", include_str!("playbook/tasks/state.yml")),
    (
        "tasks/container.yml",
        include_str!("playbook/tasks/container.yml"),
    ),
];

/// Seconds between two looks of a gate.
const GATE_DELAY: u32 = 5;
/// Looks in a row that a gate must pass.
const GATE_PASSES: u32 = 3;

/// What the rollout needs to know of a host.
pub struct Member {
    pub name: String,
    pub ip: Ipv4Addr,
    pub master: bool,
    pub panteras_dir: Option<String>,
    /// Where its daemons answer the controller: LISTEN_IP, or the host's
    /// address when they listen on every address.
    pub address: String,
    pub runs: Runs,
    /// The image line its files follow (`0.3`, `0.4`) and their image.
    pub line: &'static str,
    pub image: String,
    /// Its files below its folder, each with whether it holds a secret:
    /// docker-compose.yml, restricted/host and generated/.
    pub files: Vec<(String, bool)>,
}

/// The daemons a host runs that have a gate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Runs {
    pub zookeeper: bool,
    pub consul: bool,
    pub mesos_master: bool,
    pub mesos_slave: bool,
    pub marathon: bool,
}

impl Member {
    /// A host of the inventory with its resolved settings.
    pub fn of(host: &Host, settings: &Settings) -> Member {
        let listen = settings.text("LISTEN_IP");
        Member {
            name: host.name.clone(),
            ip: host.ip,
            master: host.master,
            panteras_dir: host.panteras_dir.clone(),
            address: if listen == "0.0.0.0" {
                host.ip.to_string()
            } else {
                listen
            },
            runs: Runs {
                zookeeper: settings.flag("START_ZOOKEEPER"),
                consul: settings.flag("START_CONSUL"),
                mesos_master: settings.flag("START_MESOS_MASTER"),
                mesos_slave: settings.flag("START_MESOS_SLAVE"),
                marathon: settings.flag("START_MARATHON"),
            },
            line: settings.line().name,
            image: settings.text("PANTERAS_DOCKER_IMAGE"),
            files: Vec::new(),
        }
    }

    /// Takes its files from everything `panteras cluster` renders (paths
    /// below `<host>/`); restricted/env stays the operator's on the host.
    pub fn take_files(&mut self, rendered: &[RenderedFile]) {
        let folder = Path::new(&self.name);
        self.files = rendered
            .iter()
            .filter_map(|f| {
                let path = f.path.strip_prefix(folder).ok()?.to_str()?.to_string();
                (!f.keep_existing).then_some((path, f.secret))
            })
            .collect();
        self.files.sort();
    }
}

/// The inventory and the playbook, as files under `dir`; `hosts` is the
/// folder (`--out`) whose `<host>/` folders the playbook copies from.
pub fn files(
    inventory: &Inventory,
    members: &[Member],
    dir: &Path,
    hosts: &Path,
) -> Result<Vec<RenderedFile>> {
    for (flag, path) in [("--ansible", dir), ("--out", hosts)] {
        safe_path(flag, path)?;
    }
    if below(dir, hosts)?.is_some_and(|p| p.as_os_str().is_empty()) {
        let taken: Vec<&str> = PLAYBOOK
            .iter()
            .map(|(name, _)| name.split('/').next().unwrap_or(name))
            .chain(["inventory.yml"])
            .collect();
        if let Some(member) = members.iter().find(|m| taken.contains(&m.name.as_str())) {
            bail!(
                "host {}: its folder would be the playbook's own {} (--ansible is --out);                  choose another --ansible folder, or rename the host",
                member.name,
                member.name
            );
        }
    }
    let from = relative(&absolute(hosts)?, &absolute(dir)?);
    let from = from.to_str().filter(|p| !p.contains(['\n', '\r', '\'']));
    let Some(from) = from else {
        bail!(
            "--out {}: the playbook names the hosts' folders by this path, which holds a newline or a quote; choose another",
            hosts.display()
        );
    };
    let rollout = inventory.rollout();
    let mut files = vec![RenderedFile::new(
        "inventory.yml",
        inventory_yml(members, rollout, inventory.line_change(), from),
    )];
    for (name, text) in PLAYBOOK {
        let text = text.replace("[[ serial ]]", &rollout.serial).replace(
            "[[ max_fail_percentage ]]",
            &rollout.max_fail_percentage.to_string(),
        );
        files.push(RenderedFile::new(*name, text));
    }
    for file in &mut files {
        file.runner_owned = true;
    }
    Ok(files)
}

/// Refuses a path that Ansible would template (`{{`, `{%`, `{#` in the
/// playbook's folder, `playbook_dir`), or one whose `..` follows a
/// symbolic link (it would climb out of the link's target, not out of
/// the folder written before it).
fn safe_path(flag: &str, path: &Path) -> Result<()> {
    let absolute = absolute(path)?;
    let text = absolute.to_string_lossy();
    if ["{{", "{%", "{#"].iter().any(|j| text.contains(j)) {
        bail!(
            "{flag} {}: Ansible reads `{{{{`, `{{%` and `{{#` in the playbook's path as a template; \
             choose a folder without them",
            path.display()
        );
    }
    let mut walked = PathBuf::new();
    for part in path.components() {
        if part == Component::ParentDir
            && !walked.as_os_str().is_empty()
            && std::fs::symlink_metadata(&walked).is_ok_and(|m| m.file_type().is_symlink())
        {
            bail!(
                "{flag} {}: `..` follows the symbolic link {}, so the folder meant is not the \
                 one written; give the path without `..`",
                path.display(),
                walked.display()
            );
        }
        walked.push(part);
    }
    Ok(())
}

/// `dir` as a folder below `out` (`.` for `out` itself), when it is one.
pub fn below(dir: &Path, out: &Path) -> Result<Option<PathBuf>> {
    let path = relative(&absolute(dir)?, &absolute(out)?);
    let path = if path == Path::new(".") {
        PathBuf::new()
    } else {
        path
    };
    Ok((!path.starts_with("..")).then_some(path))
}

/// The Ansible inventory: groups masters and slaves (and agents, the hosts
/// that run a Mesos agent, masters among them), each host's address,
/// folder of files, daemons and image line, and the rollout's settings for
/// all: with the move between lines the inventory allows and the mounts
/// that show which line's files made a container. Host names are quoted:
/// YAML would read `no` or `0x10` as no string.
fn inventory_yml(
    members: &[Member],
    rollout: &crate::inventory::Rollout,
    line_change: Option<&str>,
    from: &str,
) -> String {
    let gates = rollout.gates;
    let marks: Vec<String> = crate::line::LINES
        .iter()
        .map(|l| {
            let paths: Vec<String> = l.marks().into_iter().map(quoted).collect();
            format!("{}: [{}]", quoted(l.name), paths.join(", "))
        })
        .collect();
    let mut text = format!(
        "# The Ansible inventory of the cluster, written by `panteras cluster --ansible`.\n\
         # Run it again rather than editing this file; with site.yml beside it:\n\
         #   ansible-playbook -i inventory.yml site.yml\n\
         all:\n  vars:\n\
         \x20   panteras_dir: {}\n\
         \x20   panteras_compose: docker compose\n\
         \x20   panteras_docker: docker\n\
         \x20   panteras_gate_timeout: {}\n\
         \x20   panteras_gate_delay: {GATE_DELAY}\n\
         \x20   panteras_gate_passes: {GATE_PASSES}\n\
         \x20   panteras_gates: {{zookeeper: {}, consul: {}, mesos: {}, marathon: {}}}\n\
         \x20   panteras_line_change: {}\n\
         \x20   panteras_line_marks: {{{}}}\n\
         \x20 children:\n",
        quoted(&rollout.panteras_dir),
        rollout.gate_timeout,
        gates.zookeeper,
        gates.consul,
        gates.mesos,
        gates.marathon,
        quoted(line_change.unwrap_or_default()),
        marks.join(", "),
    );
    for (group, master) in [("masters", true), ("slaves", false)] {
        text.push_str(&format!("    {group}:\n      hosts:\n"));
        let mut any = false;
        for member in members.iter().filter(|m| m.master == master) {
            any = true;
            text.push_str(&host_vars(member, from));
        }
        if !any {
            text.truncate(text.len() - "      hosts:\n".len());
            text.push_str("      hosts: {}\n");
        }
    }
    text.push_str("    agents:\n      hosts:\n");
    let agents: Vec<&Member> = members.iter().filter(|m| m.runs.mesos_slave).collect();
    for member in &agents {
        text.push_str(&format!("        {}:\n", quoted(&member.name)));
    }
    if agents.is_empty() {
        text.truncate(text.len() - "      hosts:\n".len());
        text.push_str("      hosts: {}\n");
    }
    text
}

/// One host's entry and variables in the inventory.
fn host_vars(member: &Member, from: &str) -> String {
    let runs = member.runs;
    let list = |secret: bool| {
        let items: Vec<String> = member
            .files
            .iter()
            .filter(|(_, s)| *s == secret)
            .map(|(p, _)| quoted(p))
            .collect();
        format!("[{}]", items.join(", "))
    };
    let mut folders: Vec<String> = member
        .files
        .iter()
        .filter_map(|(p, _)| Path::new(p).parent()?.to_str().map(str::to_string))
        .filter(|p| p.starts_with("generated"))
        .collect();
    folders.sort();
    folders.dedup();
    let folders: Vec<String> = folders.iter().map(|f| quoted(f)).collect();
    let mut text = format!(
        "        {}:\n\
         \x20         ansible_host: {}\n\
         \x20         panteras_ip: {}\n\
         \x20         panteras_files: !unsafe {}\n\
         \x20         panteras_address: {}\n\
         \x20         panteras_runs: {{zookeeper: {}, consul: {}, mesos_master: {}, mesos_slave: {}, marathon: {}}}\n\
         \x20         panteras_shown: {}\n\
         \x20         panteras_secret: {}\n\
         \x20         panteras_folders: [{}]\n\
         \x20         panteras_line: {}\n\
         \x20         panteras_image: !unsafe {}\n",
        quoted(&member.name),
        member.ip,
        member.ip,
        quoted(&format!("{from}/{}", member.name)),
        member.address,
        runs.zookeeper,
        runs.consul,
        runs.mesos_master,
        runs.mesos_slave,
        runs.marathon,
        list(false),
        list(true),
        folders.join(", "),
        quoted(member.line),
        quoted(&member.image),
    );
    if let Some(dir) = &member.panteras_dir {
        text.push_str(&format!("          panteras_dir: {}\n", quoted(dir)));
    }
    text
}

/// A YAML string in single quotes.
fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn absolute(path: &Path) -> Result<PathBuf> {
    Ok(std::path::absolute(path)?)
}

/// `to` as a path from `from`, both absolute: `../hosts`.
fn relative(to: &Path, from: &Path) -> PathBuf {
    fn normal(p: &Path) -> Vec<Component<'_>> {
        let mut parts = Vec::new();
        for part in p.components() {
            match part {
                Component::CurDir => {}
                Component::ParentDir => {
                    parts.pop();
                }
                other => parts.push(other),
            }
        }
        parts
    }
    let (to, from) = (normal(to), normal(from));
    let shared = to.iter().zip(&from).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in shared..from.len() {
        out.push("..");
    }
    for part in &to[shared..] {
        out.push(part.as_os_str());
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_climb_and_descend() {
        assert_eq!(
            relative(Path::new("/a/hosts"), Path::new("/a/ansible")),
            Path::new("../hosts")
        );
        assert_eq!(
            relative(Path::new("/a/hosts"), Path::new("/a/hosts")),
            Path::new(".")
        );
        assert_eq!(
            relative(Path::new("/a/hosts"), Path::new("/a")),
            Path::new("hosts")
        );
        assert_eq!(
            relative(Path::new("/x/./y/../hosts"), Path::new("/x/z")),
            Path::new("../hosts")
        );
    }

    #[test]
    fn single_quotes_double_inside() {
        assert_eq!(quoted("it's"), "'it''s'");
    }
}
