//! The old docs' cluster as `generate_yml.sh` left it on its hosts, made
//! from the recorded scenarios of the old script.

use std::path::{Path, PathBuf};

/// A recorded scenario of the old script: its folder.
pub fn scenario(name: &str) -> PathBuf {
    super::shared()
        .join("image/0.3.9/oracle/generate_yml")
        .join(name)
}

/// Makes the folder `dir/<host>` from a recorded scenario, its texts
/// changed by `edit` (the compose file and restricted/host alike).
pub fn host_folder(dir: &Path, host: &str, from: &Path, edit: &dyn Fn(&str) -> String) {
    let folder = dir.join(host);
    std::fs::create_dir_all(folder.join("restricted")).unwrap();
    let read = |name: &str| std::fs::read_to_string(from.join(name)).unwrap();
    std::fs::write(
        folder.join("docker-compose.yml"),
        edit(&read("docker-compose.yml")),
    )
    .unwrap();
    std::fs::write(folder.join("restricted/host"), edit(&read("host"))).unwrap();
}

/// The old docs' cluster, three masters (`SLAVE=false` in restricted/host)
/// and two slaves, each as generate_yml.sh left it: the recorded master 1
/// of 3 and slave, with each host's own name, address and id, and the
/// slaves' ensemble, joins and datacenter the masters', put where the
/// script puts them. The second slave was set up as the docs said,
/// `MASTER=false ./generate_yml.sh`: its restricted/host does not say it.
/// With `by_name`, the ensemble and the joins name the masters.
pub fn old_docs_cluster(dir: &Path, by_name: bool) {
    const ENSEMBLE: &str = "10.0.0.1:2181,10.0.0.2:2181,10.0.0.3:2181";
    const JOINS: &str = "-join=10.0.0.1 -join=10.0.0.2 -join=10.0.0.3";
    let names = |t: &str| {
        if by_name {
            t.replace(ENSEMBLE, "master-1:2181,master-2:2181,master-3:2181")
                .replace(JOINS, "-join=master-1 -join=master-2 -join=master-3")
        } else {
            t.to_string()
        }
    };
    for n in 1..=3 {
        host_folder(
            dir,
            &format!("master-{n}"),
            &scenario("02-master-1-of-3"),
            &|t| {
                let own = own_address(t, "10.0.0.1", &format!("10.0.0.{n}"));
                names(
                    &own.replace("paas-node-1", &format!("master-{n}"))
                        .replace("ZOOKEEPER_ID=1", &format!("ZOOKEEPER_ID={n}"))
                        .replace(
                            "ZOOKEEPER_ID:               \"1\"",
                            &format!("ZOOKEEPER_ID:               \"{n}\""),
                        ),
                )
            },
        );
    }
    for n in 1..=2 {
        host_folder(
            dir,
            &format!("slave-{n}"),
            &scenario("04-slave-only"),
            &|t| {
                let own = t
                    .replace("10.0.0.21", &format!("10.0.0.2{n}"))
                    .replace("paas-node-1", &format!("slave-{n}"))
                    .replace("10.0.0.1:2181", ENSEMBLE)
                    .replace("-join=10.0.0.1", JOINS)
                    .replace("-datacenter=UNKNOWN", "-datacenter=ams1")
                    .replace(
                        "MASTER=false\n",
                        if n == 1 {
                            "MASTER=false\nCONSUL_DC=ams1\n"
                        } else {
                            "CONSUL_DC=ams1\n"
                        },
                    );
                names(&own)
            },
        );
    }
}

/// `text` with the host's own address `from` replaced by `to`, leaving
/// the ensemble (`from:2181`) and the Consul joins (`-join=from`).
fn own_address(text: &str, from: &str, to: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(from) {
        let after = &rest[at + from.len()..];
        let before = &rest[..at];
        let next_is_digit = after.starts_with(|c: char| c.is_ascii_digit());
        let kept = after.starts_with(":2181") || before.ends_with("-join=") || next_is_digit;
        out.push_str(before);
        out.push_str(if kept { from } else { to });
        rest = after;
    }
    out.push_str(rest);
    out
}

/// The folders of `old_docs_cluster` with the hosts on loopback addresses
/// of their own (`base`+1.. for the masters, `base`+4.. for the slaves) and
/// the image `tag`: for twins that must send no traffic elsewhere.
pub fn on_loopback(dir: &Path, base: u8, tag: &str) {
    let moves = [
        ("10.0.0.21", base + 4),
        ("10.0.0.22", base + 5),
        ("10.0.0.1", base + 1),
        ("10.0.0.2", base + 2),
        ("10.0.0.3", base + 3),
    ];
    for host in ["master-1", "master-2", "master-3", "slave-1", "slave-2"] {
        for name in ["docker-compose.yml", "restricted/host"] {
            let path = dir.join(host).join(name);
            let mut text = std::fs::read_to_string(&path).unwrap();
            for (from, to) in moves {
                text = text.replace(from, &format!("127.0.0.{to}"));
            }
            text = text.replace("paas-in-a-box:0.3.9", &format!("paas-in-a-box:{tag}"));
            std::fs::write(&path, text).unwrap();
        }
    }
}
