//! The text of an imported inventory: what every host shares once, what
//! is its own in its entry, and a note where panteras cannot keep a value.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use super::host::OldHost;

/// cluster.yaml for `hosts` (masters first), with `pins`, each host's
/// values kept over the inventory's derivations.
pub(super) fn inventory(
    dir: &Path,
    hosts: &[OldHost],
    pins: &[BTreeMap<String, String>],
) -> String {
    let masters = hosts.iter().filter(|h| h.master).count();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Imported by `panteras cluster --import {}` from the files of {} ({}, {}).",
        dir.display(),
        crate::plural(hosts.len(), "host"),
        crate::plural(masters, "master"),
        crate::plural(hosts.len() - masters, "slave")
    );
    out.push_str(
        "# Each host keeps its names, address, roles and settings; a value the\n\
         # inventory would derive otherwise is written in the host's entry.\n",
    );
    // Each host's own values: what it set, and where the inventory's
    // derivations would give it another value, its own.
    let own: Vec<BTreeMap<String, String>> = hosts
        .iter()
        .zip(pins)
        .map(|(h, pinned)| {
            let mut all = h.set.clone();
            all.extend(pinned.iter().map(|(k, v)| (k.clone(), v.clone())));
            all
        })
        .collect();
    let shared = shared(hosts, &own);
    for (key, name) in [("name", "CLUSTER_NAME"), ("datacenter", "CONSUL_DC")] {
        if let Some(value) = shared.get(name) {
            let _ = writeln!(out, "{key}: {}", scalar(value));
        }
    }
    let all_slaves = hosts.iter().filter(|h| h.master).all(|h| h.slave);
    if all_slaves {
        out.push_str("masters_are_slaves: true\n");
    }
    let image_files = hosts.iter().all(|h| h.image_files);
    if image_files {
        out.push_str(
            "# The hosts run the image's own daemon files: the first step of README's\n\
             # \"Moving from generate_yml.sh\". Remove this line for panteras' files.\n\
             image_files: true\n",
        );
    }
    let cluster: Vec<(&String, &String)> = shared
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "CLUSTER_NAME" | "CONSUL_DC"))
        .collect();
    if !cluster.is_empty() {
        out.push_str("settings:\n");
        for (name, value) in cluster {
            let _ = writeln!(out, "  {name}: {}", scalar(value));
        }
    }
    for (list, master) in [("masters", true), ("slaves", false)] {
        if !hosts.iter().any(|h| h.master == master) {
            continue;
        }
        let _ = writeln!(out, "{list}:");
        for (host, own) in hosts.iter().zip(&own).filter(|(h, _)| h.master == master) {
            entry(&mut out, host, own, &shared, all_slaves, image_files);
        }
    }
    out
}

fn entry(
    out: &mut String,
    host: &OldHost,
    own: &BTreeMap<String, String>,
    shared: &BTreeMap<String, String>,
    all_slaves: bool,
    image_files: bool,
) {
    if host.folder != host.name {
        let _ = writeln!(out, "  # from the folder {}", host.folder);
    }
    for note in &host.notes {
        let _ = writeln!(out, "  # not kept: {}", crate::term::printable(note, 2000));
    }
    let _ = writeln!(out, "  - host: {}", host.name);
    let _ = writeln!(out, "    ip: {}", host.ip);
    if host.fqdn != host.name {
        let _ = writeln!(out, "    fqdn: {}", scalar(&host.fqdn));
    }
    if host.master && host.slave && !all_slaves {
        out.push_str("    slave: true\n");
    }
    if host.image_files && !image_files {
        out.push_str("    image_files: true\n");
    }
    let own: BTreeMap<&String, &String> = own
        .iter()
        .filter(|(name, _)| !shared.contains_key(*name))
        .collect();
    if own.is_empty() {
        return;
    }
    out.push_str("    settings:\n");
    for (name, value) in own {
        let _ = writeln!(out, "      {name}: {}", scalar(value));
    }
}

/// The variables every host whose daemons read them sets to one value
/// (the inventory gives a cluster-wide value to those hosts only), no
/// other host setting them otherwise.
fn shared(hosts: &[OldHost], own: &[BTreeMap<String, String>]) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    let names: std::collections::BTreeSet<&String> = own.iter().flat_map(|o| o.keys()).collect();
    for name in names {
        // A master's own ZooKeeper id is never the cluster's.
        if name == "ZOOKEEPER_ID" {
            continue;
        }
        let concerned = |h: &OldHost| crate::inventory::concerns(name, h.master, h.slave);
        let both = || hosts.iter().zip(own);
        let Some(value) = both()
            .filter(|(h, _)| concerned(h))
            .find_map(|(_, o)| o.get(name))
        else {
            continue;
        };
        let agree = both().all(|(h, o)| match o.get(name) {
            Some(own) => own == value,
            None => !concerned(h),
        });
        if agree {
            found.insert(name.clone(), value.clone());
        }
    }
    found
}

/// A value as YAML: plain when it reads back as the same text, else in
/// double quotes (JSON's escapes are YAML's).
fn scalar(value: &str) -> String {
    let plain = value
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/'))
        && !matches!(
            value.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "y" | "n"
        );
    if plain {
        value.to_string()
    } else {
        serde_json::to_string(value).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::scalar;

    #[test]
    fn a_value_is_plain_only_when_it_reads_back_as_itself() {
        assert_eq!(scalar("prod"), "prod");
        assert_eq!(scalar("ams-1.example"), "ams-1.example");
        assert_eq!(scalar("yes"), "\"yes\"");
        assert_eq!(scalar("2"), "\"2\"");
        assert_eq!(scalar("-join=m1 -join=m2"), "\"-join=m1 -join=m2\"");
        assert_eq!(scalar("a \"b\"\\"), "\"a \\\"b\\\"\\\\\"");
        assert_eq!(scalar(""), "\"\"");
    }
}
