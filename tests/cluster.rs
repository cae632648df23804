//! `panteras cluster`: one inventory, every host's files, consistent across
//! the cluster and exactly what `panteras generate` writes on each host.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use insta_cmd::assert_cmd_snapshot;
use serde_json::Value;

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/cluster/cluster.yaml")
}

fn panteras(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_panteras"));
    cmd.env_clear().current_dir(dir);
    cmd
}

/// A temporary directory holding `cluster.yaml` with `text`.
fn inventory(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cluster.yaml"), text).unwrap();
    dir
}

fn cluster(dir: &Path, args: &[&str]) -> Output {
    panteras(dir)
        .args(["cluster", "--inventory", "cluster.yaml", "--out", "hosts"])
        .args(args)
        .output()
        .unwrap()
}

fn example_written() -> tempfile::TempDir {
    let dir = inventory(&std::fs::read_to_string(example()).unwrap());
    let out = cluster(dir.path(), &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

const HOSTS: [&str; 5] = ["master-1", "master-2", "master-3", "slave-1", "slave-2"];

#[test]
fn the_whole_tree_of_the_example_inventory() {
    let dir = inventory(&std::fs::read_to_string(example()).unwrap());
    assert_cmd_snapshot!(panteras(dir.path()).args([
        "cluster",
        "--inventory",
        "cluster.yaml",
        "--out",
        "hosts",
        "--dry-run"
    ]));
    assert!(!dir.path().join("hosts").exists());
}

fn env_of(dir: &Path, host: &str) -> Vec<(String, String)> {
    common::environment(&dir.join("hosts").join(host).join("docker-compose.yml"))
}

fn get(env: &[(String, String)], key: &str) -> String {
    common::env_value(env, key)
}

#[test]
fn every_host_of_the_example_is_consistent_with_the_others() {
    let dir = example_written();
    let ensemble = "10.0.0.1:2181,10.0.0.2:2181,10.0.0.3:2181";
    for (i, host) in HOSTS.iter().enumerate() {
        let path = dir
            .path()
            .join("hosts")
            .join(host)
            .join("docker-compose.yml");
        common::check_compose(&path);
        let env = env_of(dir.path(), host);
        let master = host.starts_with("master");
        // masters_are_slaves: true, but master-3 says `slave: false`.
        let slave = !master || *host != "master-3";
        assert_eq!(get(&env, "HOSTNAME"), *host);
        assert_eq!(get(&env, "ZOOKEEPER_HOSTS"), ensemble, "{host}");
        assert_eq!(get(&env, "START_ZOOKEEPER"), master.to_string(), "{host}");
        assert_eq!(get(&env, "START_MESOS_SLAVE"), slave.to_string(), "{host}");
        assert_eq!(
            get(&env, "START_CONSUL_TEMPLATE"),
            slave.to_string(),
            "{host}"
        );
        let consul = get(&env, "CONSUL_APP_PARAMS");
        for ip in ["10.0.0.1", "10.0.0.2", "10.0.0.3"] {
            assert!(consul.contains(&format!(" -join={ip}")), "{host}: {consul}");
        }
        assert!(consul.contains("-datacenter=ams1"), "{host}");
        if master {
            assert_eq!(get(&env, "ZOOKEEPER_ID"), (i + 1).to_string());
            assert!(
                consul.contains(" -server -bootstrap-expect 3 "),
                "{host}: {consul}"
            );
            let mesos = get(&env, "MESOS_MASTER_APP_PARAMS");
            assert!(
                mesos.contains("--quorum=2 ") && mesos.contains("--cluster=prod"),
                "{mesos}"
            );
            // zkStart.sh derives server.N from these, in this order.
            assert_eq!(
                get(&env, "ZOOKEEPER_HOSTS"),
                "10.0.0.1:2181,10.0.0.2:2181,10.0.0.3:2181"
            );
        } else {
            assert!(
                !consul.contains("-server") && !consul.contains("-bootstrap-expect"),
                "{host}: {consul}"
            );
            assert_eq!(get(&env, "HAPROXY_ADD_DOMAIN"), ".apps.example.com");
        }
    }
    assert_eq!(get(&env_of(dir.path(), "slave-2"), "LISTEN_IP"), "10.0.1.2");
    assert_eq!(get(&env_of(dir.path(), "slave-1"), "LISTEN_IP"), "0.0.0.0");
}

#[test]
fn each_host_gets_what_generate_writes_there_from_its_restricted_host() {
    let dir = example_written();
    for host in HOSTS {
        let host_dir = dir.path().join("hosts").join(host);
        let out = panteras(&host_dir)
            .env("PANTERAS_DEFAULTS", "none")
            .args(["generate", "--check"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{host}: generate would change {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn restricted_host_reads_the_same_in_bash_as_generate_yml_sourced_it() {
    if !common::have("bash", "restricted_host_reads_the_same_in_bash") {
        return;
    }
    let dir = example_written();
    let host_dir = dir.path().join("hosts/master-2");
    let json = panteras(&host_dir)
        .env("PANTERAS_DEFAULTS", "none")
        .args(["config", "--format", "json", "--show-secrets"])
        .output()
        .unwrap();
    let entries: Vec<Value> = serde_json::from_slice(&json.stdout).unwrap();
    for e in entries.iter().filter(|e| {
        e["source"]
            .as_str()
            .unwrap()
            .starts_with("restricted/host:")
    }) {
        let name = e["name"].as_str().unwrap();
        let script = format!(". ./restricted/host; printf '%s' \"${name}\"");
        let out = Command::new("bash")
            .args(["-c", &script])
            .current_dir(&host_dir)
            .env_clear()
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            e["value"].as_str().unwrap(),
            "{name}"
        );
    }
}

#[test]
fn dry_run_diff_and_check_work_as_in_generate() {
    let dir = inventory(&std::fs::read_to_string(example()).unwrap());
    assert_eq!(cluster(dir.path(), &["--check"]).status.code(), Some(1));
    assert!(!dir.path().join("hosts").exists());
    assert!(cluster(dir.path(), &[]).status.success());
    assert!(cluster(dir.path(), &["--check"]).status.success());
    let changed = std::fs::read_to_string(example())
        .unwrap()
        .replace("datacenter: ams1", "datacenter: ams2");
    std::fs::write(dir.path().join("cluster.yaml"), changed).unwrap();
    let out = cluster(dir.path(), &["--diff", "--check"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("-CONSUL_DC='ams1'\n+CONSUL_DC='ams2'\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("out of date: hosts/slave-2/docker-compose.yml\n"),
        "{stdout}"
    );
    assert!(
        std::fs::read_to_string(dir.path().join("hosts/slave-2/restricted/host"))
            .unwrap()
            .contains("ams1")
    );
}

/// Refusals: status, stderr with the inventory's file and line, and no
/// file written.
fn refused(name: &str, text: &str) {
    let dir = inventory(text);
    let settings = insta::Settings::clone_current();
    settings.bind(|| {
        assert_cmd_snapshot!(
            name,
            panteras(dir.path()).args(["cluster", "--inventory", "cluster.yaml", "--out", "hosts"])
        )
    });
    assert!(!dir.path().join("hosts").exists(), "{name} wrote files");
}

const TWO_SLAVES: &str =
    "slaves:\n  - {host: slave-1, ip: 10.0.1.1}\n  - {host: slave-2, ip: 10.0.1.2}\n";

#[test]
fn refuses_unknown_keys() {
    refused(
        "unknown_top_level_key",
        "name: prod\nregion: eu\nmasters:\n  - {host: m1, ip: 10.0.0.1}\n",
    );
    refused(
        "unknown_host_key",
        "masters:\n  - host: m1\n    ip: 10.0.0.1\n    role: leader\n",
    );
}

#[test]
fn refuses_duplicate_hosts_and_addresses() {
    refused(
        "duplicate_host",
        &format!(
            "masters:\n  - {{host: m1, ip: 10.0.0.1}}\n{TWO_SLAVES}  - {{host: m1, ip: 10.0.1.3}}\n"
        ),
    );
    refused(
        "duplicate_ip",
        &format!(
            "masters:\n  - {{host: m1, ip: 10.0.0.1}}\n{TWO_SLAVES}  - {{host: slave-3, ip: 10.0.1.1}}\n"
        ),
    );
}

#[test]
fn refuses_an_address_that_is_not_ipv4() {
    refused(
        "ip_not_ipv4",
        &format!("masters:\n  - {{host: m1, ip: 10.0.0.300}}\n{TWO_SLAVES}"),
    );
    refused(
        "ip_v6",
        &format!("masters:\n  - host: m1\n    ip: \"fd00::1\"\n{TWO_SLAVES}"),
    );
}

#[test]
fn refuses_zero_masters() {
    refused(
        "no_masters",
        &format!("name: prod\nmasters: []\n{TWO_SLAVES}"),
    );
    refused("no_masters_key", TWO_SLAVES);
}

#[test]
fn refuses_bad_settings() {
    refused(
        "unknown_variable",
        &format!(
            "settings:\n  ZOOKEPER_ID: 1\nmasters:\n  - {{host: m1, ip: 10.0.0.1}}\n{TWO_SLAVES}"
        ),
    );
    refused(
        "bad_value",
        &format!(
            "masters:\n  - {{host: m1, ip: 10.0.0.1}}\n{TWO_SLAVES}  - host: slave-3\n    ip: 10.0.1.3\n    settings: {{HAPROXY_SSL: maybe}}\n"
        ),
    );
    refused(
        "per_host_variable",
        &format!(
            "settings:\n  IP: 10.0.0.9\nmasters:\n  - {{host: m1, ip: 10.0.0.1}}\n{TWO_SLAVES}"
        ),
    );
}

#[test]
fn refuses_what_check_calls_an_error_on_any_host() {
    refused(
        "check_error",
        &format!(
            "settings:\n  MESOS_MASTER_QUORUM: 1\nmasters:\n  - {{host: m1, ip: 10.0.0.1}}\n  - {{host: m2, ip: 10.0.0.2}}\n  - {{host: m3, ip: 10.0.0.3}}\n{TWO_SLAVES}"
        ),
    );
}

#[test]
fn an_even_number_of_masters_is_a_warning() {
    let dir = inventory(&format!(
        "masters:\n  - {{host: m1, ip: 10.0.0.1}}\n  - {{host: m2, ip: 10.0.0.2}}\n{TWO_SLAVES}"
    ));
    let out = cluster(dir.path(), &[]);
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("warning: hosts m1, m2: ZOOKEEPER_HOSTS=10.0.0.1:2181,10.0.0.2:2181 (derived from the inventory (cluster.yaml:2))"),
        "{stderr}"
    );
    assert!(
        stderr.contains("2 masters survive no more failures than 1"),
        "{stderr}"
    );
}

#[test]
fn the_masters_of_an_inventory_form_a_real_zookeeper_ensemble() {
    let test = "the_masters_of_an_inventory_form_a_real_zookeeper_ensemble";
    if !common::have_zookeeper(test) || !common::have("unshare", test) {
        return;
    }
    let logs = tempfile::tempdir().unwrap();
    let mut text = String::from(
        "name: local\nsettings: {ZOOKEEPER_JAVA_OPTS: -Xmx128m -Dzookeeper.admin.enableServer=false -Dzookeeper.4lw.commands.whitelist=srvr}\nmasters:\n",
    );
    for n in 1..=3 {
        text.push_str(&format!(
            "  - host: master-{n}\n    ip: 127.0.0.{n}\n    settings: {{LISTEN_IP: 127.0.0.{n}}}\n"
        ));
    }
    let dir = inventory(&text);
    let out = cluster(dir.path(), &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let composes: Vec<std::path::PathBuf> = (1..=3)
        .map(|n| {
            dir.path()
                .join(format!("hosts/master-{n}/docker-compose.yml"))
        })
        .collect();
    common::zookeeper_ensemble_elects_a_leader(
        &composes,
        &["127.0.0.1", "127.0.0.2", "127.0.0.3"],
        logs.path(),
    );
}

#[test]
fn a_reader_that_stops_reading_ends_the_run_quietly() {
    use std::io::Read;
    // Far more output than a pipe holds (64 KiB).
    let mut text = String::from("masters: [{host: m1, ip: 10.0.0.1}]\nslaves:\n");
    for i in 1..=40 {
        text.push_str(&format!("  - {{host: s{i}, ip: 10.0.1.{i}}}\n"));
    }
    let dir = inventory(&text);
    for mode in ["--dry-run", "--diff"] {
        let mut child = panteras(dir.path())
            .args([
                "cluster",
                "--inventory",
                "cluster.yaml",
                "--out",
                "hosts",
                mode,
            ])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = [0u8; 100];
        child.stdout.take().unwrap().read_exact(&mut first).unwrap();
        // The pipe is closed here, with most of the output unread.
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("error"), "{mode}: {stderr}");
        assert!(!stderr.contains("panicked"), "{mode}: {stderr}");
        assert_eq!(out.status.code(), Some(141), "{mode}: {stderr}");
    }
}

#[test]
fn settings_that_leave_the_consul_servers_without_a_bootstrap_are_refused() {
    let dir = inventory(
        "settings:\n  CONSUL_HOSTS: -join=10.0.0.1\nmasters:\n  - {host: m1, ip: 10.0.0.1}\n  \
         - {host: m2, ip: 10.0.0.2}\n  - {host: m3, ip: 10.0.0.3}\n",
    );
    let out = cluster(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "error: the Consul servers (m1, m2 and m3): none has -bootstrap-expect (or -bootstrap): \
             they never elect a leader"
        ),
        "{stderr}"
    );
    assert!(!dir.path().join("hosts").exists());
}

#[test]
fn a_quorum_of_every_master_is_a_warning() {
    let dir = inventory(
        "settings:\n  MESOS_MASTER_QUORUM: 3\nmasters:\n  - {host: m1, ip: 10.0.0.1}\n  \
         - {host: m2, ip: 10.0.0.2}\n  - {host: m3, ip: 10.0.0.3}\n",
    );
    let out = cluster(dir.path(), &[]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: hosts m1, m2, m3: MESOS_MASTER_QUORUM=3 (cluster.yaml:2)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("a quorum of all 3 masters tolerates no failure"),
        "{stderr}"
    );
}

#[test]
fn folders_of_hosts_the_inventory_no_longer_has_are_reported_and_pruned() {
    let dir = example_written();
    // slave-2 leaves the inventory; a folder panteras did not write stays.
    let text = std::fs::read_to_string(example()).unwrap();
    let without = text[..text.find("  - host: slave-2").unwrap()].to_string();
    std::fs::write(dir.path().join("cluster.yaml"), &without).unwrap();
    std::fs::create_dir_all(dir.path().join("hosts/notes/restricted")).unwrap();
    std::fs::write(dir.path().join("hosts/notes/restricted/host"), "# mine\n").unwrap();

    let out = cluster(dir.path(), &[]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "warning: hosts/slave-2/: the folder of a host that the inventory no longer has"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("notes"), "{stderr}");
    assert!(dir.path().join("hosts/slave-2").exists());

    let out = cluster(dir.path(), &["--check"]);
    assert_eq!(out.status.code(), Some(1), "stale folders are drift");
    assert!(String::from_utf8_lossy(&out.stdout).contains("stale: hosts/slave-2/"));

    let out = cluster(dir.path(), &["--prune"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("removed hosts/slave-2/"));
    assert!(!dir.path().join("hosts/slave-2").exists());
    assert!(dir.path().join("hosts/notes/restricted/host").exists());
    assert!(dir.path().join("hosts/slave-1/docker-compose.yml").exists());
    let out = cluster(dir.path(), &["--check"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// An inventory of three masters and `slaves` slaves.
fn large_inventory(slaves: usize) -> String {
    let mut text = String::from("masters:\n");
    for i in 1..=3 {
        text.push_str(&format!("  - {{host: m{i}, ip: 10.0.0.{i}}}\n"));
    }
    text.push_str("slaves:\n");
    for i in 0..slaves {
        text.push_str(&format!(
            "  - {{host: s{i}, ip: 10.{}.{}.{}}}\n",
            1 + i / 62500,
            (i / 250) % 250,
            i % 250 + 1
        ));
    }
    text
}

#[test]
fn three_thousand_hosts_are_written_with_a_thousand_file_descriptors() {
    let test = "three_thousand_hosts_with_a_thousand_file_descriptors";
    if !common::have("prlimit", test) {
        return;
    }
    let dir = inventory(&large_inventory(2997));
    let out = Command::new("prlimit")
        .arg("--nofile=1024")
        .arg(env!("CARGO_BIN_EXE_panteras"))
        .args([
            "-q",
            "cluster",
            "--inventory",
            "cluster.yaml",
            "--out",
            "hosts",
        ])
        .current_dir(dir.path())
        .env_clear()
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let hosts = std::fs::read_dir(dir.path().join("hosts")).unwrap().count();
    assert_eq!(hosts, 3000);
    assert!(dir.path().join("hosts/s2996/docker-compose.yml").exists());
}

/// What `cluster --ansible` refuses before writing anything: a path Ansible
/// would template, `..` after a symbolic link, a host whose folder is one
/// of the playbook's files, `panteras_dir` with `//` or `.`.
#[test]
fn the_rollout_files_refuse_paths_that_would_deploy_another_folder() {
    let simple = "masters:\n  - {host: m1, ip: 10.0.0.1}\n";
    let refused = |text: &str, args: &[&str], expected: &str| {
        let dir = inventory(text);
        std::fs::create_dir_all(dir.path().join("real/deep")).unwrap();
        std::os::unix::fs::symlink("real/deep", dir.path().join("link")).unwrap();
        let out = cluster(dir.path(), args);
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}: {said}");
        assert!(said.contains(expected), "{args:?}: {said}");
        assert!(!dir.path().join("hosts").exists(), "{args:?}: written");
    };
    refused(simple, &["--ansible", "play{{ 7*7 }}"], "as a template");
    refused(simple, &["--ansible", "x{%y"], "as a template");
    refused(
        simple,
        &["--ansible", "link/../play"],
        "follows the symbolic link",
    );
    refused(
        "masters:\n  - {host: site.yml, ip: 10.0.0.1}\n",
        &["--ansible", "hosts"],
        "host site.yml: its folder would be the playbook's own",
    );
    refused(
        "masters:\n  - {host: tasks, ip: 10.0.0.1}\n",
        &["--ansible", "hosts"],
        "host tasks: its folder",
    );
    for dir in ["//", "/opt//panteras", "/opt/./p", "/"] {
        refused(
            &format!("rollout: {{panteras_dir: '{dir}'}}\n{simple}"),
            &["--ansible", "hosts"],
            "panteras_dir",
        );
    }
    // `..` without a link before it is the folder it names.
    let dir = inventory(simple);
    std::fs::create_dir(dir.path().join("a")).unwrap();
    let out = cluster(dir.path(), &["--ansible", "a/../play"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().join("play/site.yml").is_file());
}

/// A playbook file another user gave to someone else, or made writable by
/// others, is replaced as the runner's own and writable by it alone: the
/// playbook runs what it says on every host.
#[test]
fn replaced_playbook_files_are_the_runners_and_writable_by_it_alone() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let dir = inventory("masters:\n  - {host: m1, ip: 10.0.0.1}\n");
    let out = cluster(dir.path(), &["--ansible", "play"]);
    assert!(out.status.success());
    let site = dir.path().join("play/site.yml");
    let task = dir.path().join("play/tasks/roll.yml");
    for file in [&site, &task] {
        std::fs::write(file, "# changed by another\n").unwrap();
        std::os::unix::fs::chown(file, Some(4321), Some(4321)).unwrap();
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o666)).unwrap();
    }
    let out = cluster(dir.path(), &["--ansible", "play"]);
    assert!(out.status.success());
    let me = std::fs::metadata(dir.path()).unwrap();
    for file in [&site, &task] {
        let meta = std::fs::metadata(file).unwrap();
        assert_eq!(
            (meta.uid(), meta.gid()),
            (me.uid(), me.gid()),
            "{}",
            file.display()
        );
        assert_eq!(meta.mode() & 0o777, 0o644, "{}", file.display());
    }
}

/// `image_files: true` in the inventory gives every host only what
/// generate_yml.sh wrote; a host's own `image_files: false` takes
/// panteras' files; `--image-files` gives every host the image's.
#[test]
fn image_files_give_hosts_only_what_the_old_script_wrote() {
    let dir = inventory(
        "image_files: true
masters:
  - {host: m1, ip: 10.0.0.1}
slaves:
  - {host: s1, ip: 10.0.0.11, image_files: false}
  - {host: s2, ip: 10.0.0.12}
",
    );
    let out = cluster(dir.path(), &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let hosts = dir.path().join("hosts");
    let mounts = |host: &str| {
        std::fs::read_to_string(hosts.join(host).join("docker-compose.yml"))
            .unwrap()
            .contains("./generated/")
    };
    for host in ["m1", "s2"] {
        assert!(!hosts.join(host).join("generated").exists(), "{host}");
        assert!(!mounts(host), "{host}");
        assert!(hosts.join(host).join("restricted/env").exists(), "{host}");
    }
    assert!(
        hosts
            .join("s1/generated/supervisord/supervisord.conf")
            .exists()
    );
    assert!(mounts("s1"));

    let dir = inventory("masters:\n  - {host: m1, ip: 10.0.0.1}\n");
    let out = cluster(dir.path(), &["--image-files"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!dir.path().join("hosts/m1/generated").exists());

    let dir = inventory("image_files: maybe\nmasters: [{host: m1, ip: 10.0.0.1}]\n");
    let out = cluster(dir.path(), &[]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("cluster.yaml:1") && said.contains("image_files: expected true"),
        "{said}"
    );
    assert!(!dir.path().join("hosts").exists());
}

/// A cluster whose hosts last got the 0.3 line's files is not moved to the
/// 0.4 line unless the inventory says `line_change: 0.3 to 0.4`; every host
/// is named, nothing is written; with it, every host gets the 0.4 line.
#[test]
fn a_move_to_the_0_4_line_needs_the_inventorys_word() {
    let example =
        "name: prod\nmasters_are_slaves: true\nsettings:\n  PANTERAS_RESTART: unless-stopped\n\
         masters:\n  - {host: master-1, ip: 10.0.0.1}\n  - {host: master-2, ip: 10.0.0.2}\n\
         \x20 - {host: master-3, ip: 10.0.0.3}\nslaves:\n  - {host: slave-1, ip: 10.0.1.1}\n\
         \x20 - {host: slave-2, ip: 10.0.1.2}\n"
            .to_string();
    let dir = inventory(&example);
    let out = cluster(dir.path(), &[]);
    assert!(out.status.success(), "{}", common::said(&out));
    let compose = |host: &str| {
        std::fs::read_to_string(
            dir.path()
                .join("hosts")
                .join(host)
                .join("docker-compose.yml"),
        )
        .unwrap()
    };
    let before: Vec<String> = HOSTS.iter().map(|h| compose(h)).collect();
    assert!(before[0].contains("paas-in-a-box:0.3.9"));
    let moved = example.replacen(
        "settings:\n",
        "settings:\n  PANTERAS_IMAGE_TAG: \"0.4.4\"\n",
        1,
    );
    assert_ne!(moved, example, "the example has cluster-wide settings");
    std::fs::write(dir.path().join("cluster.yaml"), &moved).unwrap();
    let out = cluster(dir.path(), &[]);
    let said = common::said(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    for host in HOSTS {
        assert!(
            said.contains(&format!("host {host} ("))
                && said.contains("runs the 0.3 line and the inventory moves it to the 0.4 line"),
            "{host}: {said}"
        );
    }
    assert!(
        said.contains("add `line_change: 0.3 to 0.4` to the inventory"),
        "{said}"
    );
    let after: Vec<String> = HOSTS.iter().map(|h| compose(h)).collect();
    assert_eq!(before, after, "nothing is written");
    // A line_change that names no move is refused where it stands.
    std::fs::write(
        dir.path().join("cluster.yaml"),
        format!("line_change: 0.3 to 0.5\n{moved}"),
    )
    .unwrap();
    let said = common::said(&cluster(dir.path(), &[]));
    assert!(
        said.contains("cluster.yaml:1: line_change \"0.3 to 0.5\": expected `0.3 to 0.4`"),
        "{said}"
    );
    // Said, the move is rendered: every host of the 0.4 line.
    std::fs::write(
        dir.path().join("cluster.yaml"),
        format!("line_change: 0.3 to 0.4\n{moved}"),
    )
    .unwrap();
    let out = cluster(dir.path(), &[]);
    assert!(out.status.success(), "{}", common::said(&out));
    for host in HOSTS {
        let text = compose(host);
        assert!(text.contains("paas-in-a-box:0.4.4"), "{host}");
        assert!(text.contains("START_TRAEFIK"), "{host}");
        // panteras' supervisord.conf of the 0.4 line's programs.
        assert!(
            text.contains("./generated/supervisord/supervisord.conf:/etc/supervisord.conf:ro"),
            "{host}: {text}"
        );
    }
}

/// lines.py of the playbook, asked on the controller with `spec`.
fn lines_py(dir: &Path, spec: Value) -> Value {
    use std::io::Write;
    let mut child = Command::new("python3")
        .arg(dir.join("hosts/lines.py"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(spec.to_string().as_bytes()).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", common::said(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn the_playbook_reads_a_containers_line_as_panteras_reads_an_image() {
    if !common::have("python3", "the_playbook_reads_a_containers_line") {
        return;
    }
    let dir = example_written();
    let out = cluster(dir.path(), &["--ansible", "hosts"]);
    assert!(out.status.success(), "{}", common::said(&out));
    let inventory = std::fs::read_to_string(dir.path().join("hosts/inventory.yml")).unwrap();
    assert!(
        inventory.contains("panteras_line_change: ''"),
        "{inventory}"
    );
    assert!(
        inventory.contains(
            "panteras_line_marks: {'0.3': ['/var/spool/store'], '0.4': ['/var/lib/zookeeper/version-2']}"
        ),
        "{inventory}"
    );
    assert!(inventory.contains("panteras_line: '0.3'"), "{inventory}");
    let marks =
        serde_json::json!({"0.3": ["/var/spool/store"], "0.4": ["/var/lib/zookeeper/version-2"]});
    let images = [
        "panteras/paas-in-a-box:0.3.9",
        "registry:5000/panteras/paas-in-a-box:0.3.8",
        "panteras/paas-in-a-box:0.2.1",
        "panteras/paas-in-a-box:0.4.4",
        "panteras/paas-in-a-box:v0.4.0@sha256:ab",
        "panteras/paas-in-a-box:1.0",
        "panteras/paas-in-a-box:0.4",
        "panteras/paas-in-a-box:0.4-rc1",
        "panteras/paas-in-a-box:0.3abc",
        "panteras/paas-in-a-box",
        "registry:5000/p/x",
        "panteras/paas-in-a-box:latest",
        "panteras/paas-in-a-box:twin-0123abcd",
    ];
    for image in images {
        // A host whose files give the 0.3 line: moved when the container's
        // image is of the 0.4 line, unknown when its tag names no release.
        let spec = serde_json::json!({
            "hosts": {"h": {"line": "0.3", "image": "i", "running": {"image": image, "mounts": []}}},
            "unread": [], "masters": ["h"], "change": "", "marks": marks, "running_line": ""});
        let said = lines_py(dir.path(), spec);
        let message = said["message"].as_str().unwrap();
        match panteras::line::of_image(image).map(|l| l.name) {
            Some("0.3") => assert_eq!(said["ok"], true, "{image}: {said}"),
            Some(line) => {
                assert_eq!(
                    said["moves"]["h"],
                    format!("{line} to 0.3"),
                    "{image}: {said}"
                );
                assert!(message.contains("give every host") || message.contains("line_change"));
            }
            None => assert!(message.contains("names no release"), "{image}: {said}"),
        }
    }
    // A mount of one line's files shows the line of an image of no
    // release; a move the inventory names passes; a master whose
    // container was not read stops the run, a slave is left out.
    let host = |line: &str, image: &str, mounts: Value| serde_json::json!({"line": line, "image": "new", "running": {"image": image, "mounts": mounts}});
    let spec = serde_json::json!({
        "hosts": {
            "m1": host("0.4", "p:latest", serde_json::json!(["/sys", "/var/spool/store"])),
            "m2": host("0.4", "p:0.3.9", serde_json::json!([])),
            "s1": {"line": "0.4", "image": "new", "running": null},
        },
        "unread": ["s2"], "masters": ["m1", "m2", "m3"], "change": "0.3 to 0.4",
        "marks": marks, "running_line": ""});
    let said = lines_py(dir.path(), spec.clone());
    assert_eq!(said["ok"], true, "{said}");
    assert_eq!(
        said["moves"],
        serde_json::json!({"m1": "0.3 to 0.4", "m2": "0.3 to 0.4"})
    );
    let message = said["message"].as_str().unwrap();
    assert!(
        message.contains("with the 0.3 line's mount /var/spool/store"),
        "{message}"
    );
    assert!(
        message.contains("left out, their container could not be read: s2"),
        "{message}"
    );
    let mut unread_master = spec.clone();
    unread_master["unread"] = serde_json::json!(["m3"]);
    let said = lines_py(dir.path(), unread_master);
    assert_eq!(said["ok"], false, "{said}");
    assert!(
        said["message"]
            .as_str()
            .unwrap()
            .contains("master m3 could not be read")
    );
    // Both ways at once: no line_change can name it.
    let mut both = spec.clone();
    both["change"] = "".into();
    both["hosts"]["s1"] = host("0.3", "p:0.4.4", serde_json::json!([]));
    let said = lines_py(dir.path(), both);
    let message = said["message"].as_str().unwrap();
    assert!(
        message.contains("would move both ways (0.3 to 0.4 and 0.4 to 0.3)"),
        "{message}"
    );
    // A large cluster's spec (more than a command line's argument holds,
    // 128 KiB) comes on standard input.
    let mut large = spec.clone();
    for i in 0..3000 {
        large["hosts"][format!("slave-{i}")] = host(
            "0.4",
            "panteras/paas-in-a-box:0.4.4",
            serde_json::json!(["/var/lib/zookeeper/version-2"]),
        );
    }
    assert!(large.to_string().len() > 128 * 1024);
    assert_eq!(lines_py(dir.path(), large)["ok"], true);
    // A line said of no line is refused.
    let mut told = spec;
    told["running_line"] = "0.5".into();
    let said = lines_py(dir.path(), told);
    assert!(
        said["message"]
            .as_str()
            .unwrap()
            .contains("expected one of 0.3, 0.4"),
        "{said}"
    );
}
