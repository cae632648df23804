//! `panteras cluster --import`: hosts as the old script left them (the
//! compose files recorded from the image's own generate_yml.sh, with the
//! restricted/host it read) are read back into an inventory, and the
//! inventory, rendered by `panteras cluster`, gives every host the
//! container environment it had, but for the deliberate changes.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::old_docs::{host_folder, old_docs_cluster};
use common::panteras;
use std::process::Output;

/// Imports `dir`, renders the inventory under `out`, and returns the
/// inventory and what import said on stderr.
fn import_and_render(dir: &Path, out: &Path) -> (String, String) {
    let imported = panteras(&["cluster", "--import", dir.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&imported.stderr).into_owned();
    assert!(imported.status.success(), "{stderr}");
    let inventory = String::from_utf8(imported.stdout).unwrap();
    let path = out.join("cluster.yaml");
    std::fs::create_dir_all(out).unwrap();
    std::fs::write(&path, &inventory).unwrap();
    let rendered = panteras(&[
        "cluster",
        "--inventory",
        path.to_str().unwrap(),
        "--out",
        out.join("hosts").to_str().unwrap(),
    ]);
    assert!(
        rendered.status.success(),
        "{}\n{inventory}",
        String::from_utf8_lossy(&rendered.stderr)
    );
    (inventory, stderr)
}

/// The environment, image and volumes a compose file (either format) gives.
fn service(path: &Path) -> (BTreeMap<String, String>, String, Vec<String>) {
    let doc: serde_json::Value =
        serde_norway::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let service = if doc["services"].is_object() {
        doc["services"]["panteras"].clone()
    } else {
        doc["panteras"].clone()
    };
    let env = service["environment"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().replace("$$", "$")))
        .collect();
    let mut volumes: Vec<String> = service["volumes"]
        .as_array()
        .map(|v| v.iter().map(|x| x.as_str().unwrap().to_string()).collect())
        .unwrap_or_default();
    volumes.sort();
    (env, service["image"].as_str().unwrap().to_string(), volumes)
}

/// What differs between the old container's environment and the one the
/// rendered host gets, blanks aside (deliberate change 3); with the keys
/// deliberate changes 4 and 5 (the daemons whose `_PARAMS` the script
/// dropped: `appended`) and 12 (booleans in lower case) explain for that
/// host's restricted/host.
fn differences(old: &Path, new: &Path, host_file: &str, appended: &[&str]) -> Vec<String> {
    let words = |v: &str| v.split_whitespace().collect::<Vec<_>>().join(" ");
    let (a, image_a, volumes_a) = service(old);
    let (b, image_b, volumes_b) = service(new);
    let mut found = Vec::new();
    if image_a != image_b {
        found.push(format!("image {image_a} -> {image_b}"));
    }
    if volumes_a != volumes_b {
        found.push(format!("volumes {volumes_a:?} -> {volumes_b:?}"));
    }
    let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for key in keys {
        let (x, y) = (a.get(key).map(|v| words(v)), b.get(key).map(|v| words(v)));
        let domain = host_file.contains("CONSUL_DOMAIN=")
            && (key.ends_with("_TAGS") || key == "DNSMASQ_APP_PARAMS");
        let appended = appended.iter().any(|d| {
            *key == format!("{d}_APP_PARAMS") && host_file.contains(&format!("{d}_PARAMS="))
        });
        let boolean = key.starts_with("START_") && x.as_ref().map(|v| v.to_ascii_lowercase()) == y;
        if x != y && !domain && !appended && !boolean {
            found.push(format!("{key}: {x:?} -> {y:?}"));
        }
    }
    found
}

/// The docker binary HOST_DOCKER mounts by default; panteras refuses a
/// mount of one this machine lacks.
const DOCKER_BINARY: &str = "/usr/local/bin/docker";

/// The daemons whose `_PARAMS` 0.3.9's script dropped (deliberate change 5).
const OLD_APPENDED: [&str; 4] = ["CONSUL_TEMPLATE", "ZOOKEEPER", "FABIO", "NETDATA"];

#[test]
fn every_recorded_host_imports_to_the_container_it_had() {
    every_recorded_host_of("0.3.9", "02-master-1-of-3", &OLD_APPENDED);
}

/// The hosts of the 0.4.4 script import to the 0.4 line (from the image's
/// tag, or the line's own mount when the image is one's own); the 0.3
/// line's variables its restricted/host still held, which that script
/// ignored, are left out and named.
#[test]
fn every_recorded_0_4_4_host_imports_to_the_container_it_had() {
    let appended = ["ZOOKEEPER", "FABIO", "TRAEFIK", "NETDATA"];
    every_recorded_host_of("0.4.4", "02-master-1-of-3-bootstraps", &appended);
}

fn every_recorded_host_of(release: &str, master: &str, appended: &[&str]) {
    let mut failures = Vec::new();
    let mut count = 0;
    let mut ignored = 0;
    let master = common::shared()
        .join("image")
        .join(release)
        .join("oracle/generate_yml")
        .join(master);
    for from in common::oracle_cases_of(release, "generate_yml") {
        let name = from.file_name().unwrap().to_string_lossy().into_owned();
        let host_file = std::fs::read_to_string(from.join("host")).unwrap();
        if host_file.contains("HOST_DOCKER=true") && !Path::new(DOCKER_BINARY).exists() {
            continue;
        }
        if !from.join("docker-compose.yml").exists() {
            continue; // the script wrote nothing
        }
        if name == "28-cluster-gomaxprocs-zk-heap-hostname" && release == "0.4.4" {
            continue; // deliberate change 6: a quorum no ensemble reaches is refused
        }
        let compose = std::fs::read_to_string(from.join("docker-compose.yml")).unwrap();
        let work = tempfile::tempdir().unwrap();
        let dir = work.path().join("fetched");
        host_folder(&dir, "the-host", &from, &|t| t.to_string());
        let consul_server = compose.contains("-server ");
        let bootstrap = compose.contains("-bootstrap");
        if compose.contains("START_MESOS_MASTER:      \"false\"") || (consul_server && !bootstrap) {
            // A slave needs a master in its inventory, and a Consul server
            // without a bootstrap option one that has it: the recorded
            // master 1 of 3, under another name.
            let name = service(&master.join("docker-compose.yml")).0["HOSTNAME"].clone();
            host_folder(&dir, "a-master", &master, &|t| t.replace(&name, "a-master"));
        }
        let (inventory, stderr) = import_and_render(&dir, &work.path().join("out"));
        // The only warnings: a variable of the 0.3 line on a 0.4.4 host.
        let of_the_03_line = "whose script ignored it as well; left out";
        for warning in stderr.lines().filter(|l| l.starts_with("warning")) {
            if warning.contains(of_the_03_line) && release != "0.3.9" {
                ignored += 1;
            } else {
                failures.push(format!("{name}: {warning}\n{inventory}"));
            }
        }
        let hostname = service(&dir.join("the-host/docker-compose.yml")).0["HOSTNAME"].clone();
        let folder = std::fs::read_dir(work.path().join("out/hosts"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .find(|f| *f != "a-master")
            .unwrap();
        assert!(
            inventory.contains(&format!("host: {folder}")),
            "{name}: {hostname}\n{inventory}"
        );
        let found = differences(
            &dir.join("the-host/docker-compose.yml"),
            &work
                .path()
                .join("out/hosts")
                .join(&folder)
                .join("docker-compose.yml"),
            &host_file,
            appended,
        );
        if !found.is_empty() {
            failures.push(format!("{name}:\n  {}\n{inventory}", found.join("\n  ")));
        }
        count += 1;
    }
    assert!(count >= 25, "{count} scenarios");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    if release != "0.3.9" {
        assert!(ignored > 0, "no scenario holds a variable of the 0.3 line");
    }
}

#[test]
fn the_old_docs_three_masters_and_two_slaves_import_as_they_run() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("fetched");
    old_docs_cluster(&dir, false);
    let (inventory, stderr) = import_and_render(&dir, &work.path().join("out"));
    assert!(!stderr.contains("warning"), "{stderr}");
    assert!(stderr.contains("imported 5 hosts"), "{stderr}");
    // Masters in their ZooKeeper ids' order, each with its FQDN; the
    // ensemble, joins and quorum as they were written, shared once.
    let masters = inventory.find("masters:").unwrap();
    let slaves = inventory.find("slaves:").unwrap();
    let order: Vec<usize> = ["master-1", "master-2", "master-3"]
        .iter()
        .map(|h| inventory.find(&format!("host: {h}\n")).unwrap())
        .collect();
    assert!(
        masters < order[0] && order[0] < order[1] && order[1] < order[2] && order[2] < slaves,
        "{inventory}"
    );
    for (text, what) in [
        ("fqdn: master-2.example.com", "a master's FQDN"),
        ("fqdn: slave-2.example.com", "a slave's FQDN"),
        ("name: prod", "the cluster's name"),
        ("datacenter: ams1", "the datacenter"),
        ("image_files: true", "the image's own files"),
    ] {
        assert!(inventory.contains(text), "{what}: {text}\n{inventory}");
    }
    // The ensemble, ids, joins and the masters' quorum are what the
    // inventory derives; the slaves keep the quorum the old script gave
    // them (1, the default: their Mesos master never starts).
    for derived in [
        "ZOOKEEPER_HOSTS",
        "ZOOKEEPER_ID",
        "CONSUL_HOSTS",
        "\nsettings:",
    ] {
        assert!(!inventory.contains(derived), "{derived}\n{inventory}");
    }
    assert_eq!(
        inventory.matches("MESOS_MASTER_QUORUM").count(),
        2,
        "{inventory}"
    );
    assert!(
        inventory[slaves..].contains("MESOS_MASTER_QUORUM: \"1\""),
        "{inventory}"
    );
    assert!(
        !inventory.contains("masters_are_slaves: true"),
        "{inventory}"
    );
    each_host_as_before(&dir, &work.path().join("out/hosts"), &inventory);
}

/// Names stay names: an ensemble and joins written with the masters' names
/// are kept as written, once for the cluster (with the masters' bootstrap
/// in each master's entry); every host still gets what it had.
#[test]
fn an_ensemble_of_names_is_kept_as_written() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("fetched");
    old_docs_cluster(&dir, true);
    let (inventory, stderr) = import_and_render(&dir, &work.path().join("out"));
    assert!(!stderr.contains("warning"), "{stderr}");
    let settings = inventory
        .find("\nsettings:\n")
        .unwrap_or_else(|| panic!("cluster settings\n{inventory}"));
    let ensemble = inventory
        .find("  ZOOKEEPER_HOSTS: \"master-1:2181,master-2:2181,master-3:2181\"")
        .expect("the ensemble by name");
    assert!(
        settings < ensemble && ensemble < inventory.find("masters:").unwrap(),
        "{inventory}"
    );
    assert!(
        inventory.contains("CONSUL_HOSTS: \"-join=master-1 -join=master-2 -join=master-3\""),
        "{inventory}"
    );
    assert_eq!(
        inventory
            .matches(
                "CONSUL_HOSTS: \"-bootstrap-expect 3 -join=master-1 -join=master-2 -join=master-3\""
            )
            .count(),
        3,
        "{inventory}"
    );
    each_host_as_before(&dir, &work.path().join("out/hosts"), &inventory);
}

/// Every host of the old docs' cluster in `dir` gets from its folder under
/// `rendered` what its old file gave it, but for the deliberate changes.
fn each_host_as_before(dir: &Path, rendered: &Path, inventory: &str) {
    for host in ["master-1", "master-2", "master-3", "slave-1", "slave-2"] {
        let host_file = std::fs::read_to_string(dir.join(host).join("restricted/host")).unwrap();
        let found = differences(
            &dir.join(host).join("docker-compose.yml"),
            &rendered.join(host).join("docker-compose.yml"),
            &host_file,
            &OLD_APPENDED,
        );
        assert!(found.is_empty(), "{host}: {found:?}\n{inventory}");
    }
}

/// A value no variable explains (the compose file edited by hand) is
/// named, host by host; the inventory is still printed.
#[test]
fn what_cannot_be_kept_is_named_with_its_host() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("fetched");
    old_docs_cluster(&dir, false);
    let path = dir.join("master-2/docker-compose.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replace("--no-logger", "--no-logger --hand-made"),
    )
    .unwrap();
    let out = panteras(&["cluster", "--import", dir.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let warnings: Vec<&str> = stderr.lines().filter(|l| l.contains("warning")).collect();
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert!(
        warnings[0].contains("master-2: MARATHON_APP_PARAMS")
            && warnings[0].contains("--hand-made"),
        "{stderr}"
    );
    assert!(stderr.contains("1 value not kept"), "{stderr}");
    let inventory = String::from_utf8_lossy(&out.stdout);
    assert!(
        inventory.contains("# not kept: MARATHON_APP_PARAMS"),
        "{inventory}"
    );
}

/// Every folder's problems are said together, each with its file; nothing
/// is printed on stdout.
#[test]
fn every_bad_folder_is_named_and_no_inventory_is_printed() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("fetched");
    old_docs_cluster(&dir, false);
    std::fs::create_dir_all(dir.join("empty/restricted")).unwrap();
    std::fs::write(dir.join("slave-1/restricted/host"), "IP=$(hostname -I)\n").unwrap();
    std::fs::create_dir_all(dir.join("again/restricted")).unwrap();
    for name in ["docker-compose.yml", "restricted/host"] {
        std::fs::copy(
            dir.join("master-1").join(name),
            dir.join("again").join(name),
        )
        .unwrap();
    }
    let out = panteras(&["cluster", "--import", dir.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    assert!(
        stderr.contains("empty/docker-compose.yml: no such file"),
        "{stderr}"
    );
    assert!(stderr.contains("slave-1/restricted/host:1"), "{stderr}");
    assert!(
        stderr.contains("folders again and master-1 are both host master-1"),
        "{stderr}"
    );
    assert!(stderr.contains("no inventory was written"), "{stderr}");
}

/// README's way of collecting the files, `examples/migration/fetch.yml`,
/// run by ansible-core 2.15 (local connections: the hosts' folders are
/// here) over the old docs' cluster, gives folders the import reads as the
/// folders themselves.
#[test]
fn the_fetch_playbook_collects_what_the_import_reads() {
    let test = "the_fetch_playbook_collects_what_the_import_reads";
    let Some(playbook) = common::tools::built_tool("ansible-2.15.13/bin/ansible-playbook", test)
    else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let hosts = work.path().join("on-the-hosts");
    old_docs_cluster(&hosts, false);
    std::fs::write(hosts.join("slave-1/restricted/env"), "EXTRA=1\n").unwrap();
    let mut inventory = String::from("[panteras]\n");
    for host in ["master-1", "master-2", "master-3", "slave-1", "slave-2"] {
        inventory.push_str(&format!(
            "{host} ansible_connection=local ansible_python_interpreter=python3 panteras_old_dir={}\n",
            hosts.join(host).display()
        ));
    }
    std::fs::write(work.path().join("hosts.ini"), inventory).unwrap();
    let fetched = work.path().join("fetched");
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/migration/fetch.yml");
    let bin = playbook.parent().unwrap();
    common::ok(
        common::ansible::command(bin, "ansible-playbook", work.path())
            .args(["-i", "hosts.ini"])
            .arg(&example)
            .arg("-e")
            .arg(format!("panteras_fetched={}", fetched.display())),
    );
    for host in ["master-1", "master-2", "master-3", "slave-1", "slave-2"] {
        for name in ["docker-compose.yml", "restricted/host"] {
            assert_eq!(
                std::fs::read(fetched.join(host).join(name)).unwrap(),
                std::fs::read(hosts.join(host).join(name)).unwrap(),
                "{host}/{name}"
            );
        }
    }
    assert!(fetched.join("slave-1/restricted/env").exists());
    let from_hosts = panteras(&["cluster", "--import", hosts.to_str().unwrap()]);
    let from_fetched = panteras(&["cluster", "--import", fetched.to_str().unwrap()]);
    assert!(
        from_fetched.status.success(),
        "{}",
        String::from_utf8_lossy(&from_fetched.stderr)
    );
    let text = |out: &Output| {
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.starts_with("# Imported by"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(text(&from_fetched), text(&from_hosts));
}

/// Folders panteras wrote (the Compose Specification, panteras' files
/// mounted) import too: the example inventory rendered, imported and
/// rendered again gives every host the same docker-compose.yml and
/// daemon files, byte for byte.
#[test]
fn folders_panteras_wrote_import_to_the_same_files() {
    let work = tempfile::tempdir().unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/cluster/cluster.yaml");
    let first = work.path().join("first");
    let rendered = panteras(&[
        "cluster",
        "--inventory",
        example.to_str().unwrap(),
        "--out",
        first.to_str().unwrap(),
    ]);
    assert!(
        rendered.status.success(),
        "{}",
        String::from_utf8_lossy(&rendered.stderr)
    );
    // Beside them, what --ansible writes: no host's folder.
    std::fs::create_dir_all(first.join("tasks")).unwrap();
    std::fs::write(first.join("tasks/state.yml"), "---\n").unwrap();
    std::fs::write(first.join("site.yml"), "---\n").unwrap();
    let (inventory, stderr) = import_and_render(&first, &work.path().join("again"));
    assert!(!stderr.contains("not kept"), "{stderr}");
    assert!(
        stderr.contains("skipped tasks/: no docker-compose.yml and no restricted/"),
        "{stderr}"
    );
    assert!(!inventory.contains("image_files"), "{inventory}");
    // Two masters run the slave daemons too, the third does not.
    assert_eq!(
        inventory.matches("    slave: true\n").count(),
        2,
        "{inventory}"
    );
    assert!(
        inventory.contains("  - host: master-3\n    ip: 10.0.0.3\nslaves:"),
        "{inventory}"
    );
    let hosts = ["master-1", "master-2", "master-3", "slave-1", "slave-2"];
    for host in hosts {
        for name in [
            "docker-compose.yml",
            "generated/supervisord/supervisord.conf",
            "generated/haproxy/haproxy.cfg.ctmpl",
        ] {
            let before = std::fs::read_to_string(first.join(host).join(name)).ok();
            let after =
                std::fs::read_to_string(work.path().join("again/hosts").join(host).join(name)).ok();
            assert_eq!(before, after, "{host}/{name}\n{inventory}");
        }
    }
}

/// A value that cannot be kept and holds a secret (a Consul key set by
/// hand in the middle of the command line) is named, never printed; one
/// appended at the end is Consul's extra parameters, kept in the inventory.
#[test]
fn a_secret_that_cannot_be_kept_is_named_not_printed() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("fetched");
    old_docs_cluster(&dir, false);
    let edit = |host: &str, from: &str, to: &str| {
        let path = dir.join(host).join("docker-compose.yml");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from));
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    };
    edit("master-1", "  -ui  ", "  -ui -encrypt=c2VjcmV0  ");
    edit(
        "master-2",
        "-join=10.0.0.3  \"",
        "-join=10.0.0.3 -encrypt=b3RoZXI=\"",
    );
    let out = panteras(&["cluster", "--import", dir.to_str().unwrap()]);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr
            .contains("master-1: CONSUL_APP_PARAMS: values that hold a secret (not shown) differ"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("c2VjcmV0") && !stdout.contains("c2VjcmV0"),
        "{stderr}{stdout}"
    );
    assert!(
        stdout.contains("CONSUL_PARAMS: \"-encrypt=b3RoZXI=\""),
        "{stdout}"
    );
    assert!(!stderr.contains("master-2"), "{stderr}");
}
