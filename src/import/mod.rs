//! `panteras cluster --import DIR`: an inventory read back from running
//! hosts' files (each host's docker-compose.yml and restricted/, in a
//! folder of DIR named after it) that keeps every host as it is: its names
//! and address, its roles, its ZooKeeper id and ensemble as written, its
//! Consul joins and bootstrap, the quorum and every variable that is not
//! its default. The inventory is proven before it is printed: every host it
//! gives resolves to the settings the host had.

mod host;
mod write;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use anyhow::{Result, bail};

use crate::inventory::Inventory;
use crate::render::Renderer;
use host::OldHost;

/// An imported inventory and what it could not keep, host by host.
pub struct Imported {
    /// cluster.yaml.
    pub text: String,
    /// `host: what`, each a difference the inventory cannot express.
    pub notes: Vec<String>,
    pub hosts: usize,
    /// The folders that are no host's: no docker-compose.yml, no restricted/.
    pub skipped: Vec<String>,
}

/// Variables the inventory derives for each host from the list of masters;
/// an imported host keeps its own value where the derivation differs.
const DERIVED: [&str; 4] = [
    "ZOOKEEPER_HOSTS",
    "ZOOKEEPER_ID",
    "MESOS_MASTER_QUORUM",
    "CONSUL_HOSTS",
];

/// The most hosts one import reads.
const MOST_HOSTS: usize = 100_000;

/// Reads every host folder of `dir` and writes the inventory that keeps
/// them; every problem of every host is reported together.
pub fn import(dir: &Path, templates: Option<&Path>) -> Result<Imported> {
    let renderer = Renderer::new(templates)?;
    let mut folders = Vec::new();
    let listing =
        std::fs::read_dir(dir).map_err(|e| anyhow::anyhow!("--import {}: {e}", dir.display()))?;
    let mut skipped = Vec::new();
    for entry in listing.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        let is_dir = std::fs::metadata(&path).is_ok_and(|m| m.is_dir());
        if !is_dir || name.starts_with('.') {
            continue;
        }
        // A folder with neither file of a host's is not one (the playbook's
        // tasks/ beside the hosts' folders, say).
        let host_like =
            path.join("docker-compose.yml").exists() || path.join("restricted").is_dir();
        if host_like {
            folders.push(name);
        } else {
            skipped.push(name);
        }
        if folders.len() > MOST_HOSTS {
            bail!("--import {}: more than {MOST_HOSTS} folders", dir.display());
        }
    }
    folders.sort();
    if folders.is_empty() {
        bail!(
            "--import {}: no host folders; put each host's docker-compose.yml and restricted/ \
             in a folder named after it (README shows how with Ansible's fetch)",
            dir.display()
        );
    }
    // The folders are read on every core, each thread a run of them, in
    // order; a thread holds one file open at a time.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = folders.len().div_ceil(threads).max(1);
    let read: Vec<Vec<Result<OldHost, Vec<String>>>> = std::thread::scope(|scope| {
        let renderer = &renderer;
        let running: Vec<_> = folders
            .chunks(chunk)
            .map(|names| {
                scope.spawn(move || {
                    names
                        .iter()
                        .map(|name| host::read(&dir.join(name), name, renderer))
                        .collect()
                })
            })
            .collect();
        running
            .into_iter()
            .map(|thread| {
                thread
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    let mut hosts = Vec::new();
    let mut errors = Vec::new();
    for result in read.into_iter().flatten() {
        match result {
            Ok(host) => hosts.push(host),
            Err(found) => errors.extend(found),
        }
    }
    errors.extend(clashes(&hosts));
    if !hosts.is_empty() && !hosts.iter().any(|h| h.master) {
        errors.push(format!(
            "--import {}: no host is a master (none starts ZooKeeper and the Mesos master); \
             an inventory needs at least one",
            dir.display()
        ));
    }
    if !errors.is_empty() {
        bail!("{}\nno inventory was written", errors.join("\n"));
    }
    // Masters in the order of their ZooKeeper ids, the inventory's.
    hosts.sort_by(|a, b| {
        (!a.master, zookeeper_id(a), &a.name).cmp(&(!b.master, zookeeper_id(b), &b.name))
    });
    // The values the inventory derives are written only where a host's
    // differ from the derivation (found below).
    for host in &mut hosts {
        host.set.retain(|name, _| !DERIVED.contains(&name.as_str()));
    }
    let mut pins: Vec<BTreeMap<String, String>> = vec![BTreeMap::new(); hosts.len()];
    let mut text = write::inventory(dir, &hosts, &pins);
    // Where the inventory's derivations give a host another value than it
    // had, the host's own is written in its entry; then it is proven.
    for round in 0..2 {
        let inventory = Inventory::parse("the imported inventory", &text)?;
        let mut differ = Vec::new();
        for ((host, entry), pinned) in hosts.iter().zip(inventory.hosts()).zip(pins.iter_mut()) {
            let (_, settings, _) = entry.resolve()?;
            for (name, resolved) in settings.iter() {
                let own = host.settings.text(name);
                if resolved.value.to_string() == own {
                    continue;
                }
                if round == 0 && (DERIVED.contains(&name) || host.set.contains_key(name)) {
                    pinned.insert(name.to_string(), own);
                } else if round == 1 {
                    differ.push(format!(
                        "{}: {name} is {:?} in the inventory, {own:?} on the host",
                        host.name,
                        resolved.value.to_string()
                    ));
                }
            }
        }
        if round == 1 && !differ.is_empty() {
            bail!(
                "the imported inventory does not give every host what it had:\n{}",
                differ.join("\n")
            );
        }
        text = write::inventory(dir, &hosts, &pins);
    }
    let notes = hosts
        .iter()
        .flat_map(|h| h.notes.iter().map(move |n| format!("{}: {n}", h.name)))
        .collect();
    skipped.sort();
    Ok(Imported {
        text,
        notes,
        hosts: hosts.len(),
        skipped,
    })
}

fn zookeeper_id(host: &OldHost) -> u64 {
    host.settings.text("ZOOKEEPER_ID").parse().unwrap_or(0)
}

/// Two folders that are one host (by name, whatever the case, or address).
fn clashes(hosts: &[OldHost]) -> Vec<String> {
    let mut names: HashMap<String, &str> = HashMap::new();
    let mut ips: HashMap<std::net::Ipv4Addr, &str> = HashMap::new();
    let mut found = Vec::new();
    for host in hosts {
        if let Some(first) = names.insert(host.name.to_ascii_lowercase(), &host.folder) {
            found.push(format!(
                "folders {first} and {} are both host {}: keep one",
                host.folder, host.name
            ));
        }
        if let Some(first) = ips.insert(host.ip, &host.folder) {
            found.push(format!(
                "folders {first} and {} both have address {}: keep one",
                host.folder, host.ip
            ));
        }
    }
    found
}
