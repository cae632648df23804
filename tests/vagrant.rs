//! The Vagrant examples: the provisioning scripts pass shellcheck, the
//! Vagrantfiles pass `ruby -c` and describe the right machines, and the
//! provisioning's panteras steps run here (all but installing packages and
//! starting Docker).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn vagrant(name: &str) -> PathBuf {
    repo().join("examples/vagrant").join(name)
}

#[test]
fn shellcheck_accepts_the_provisioning_scripts() {
    if !common::have("shellcheck", "shellcheck_accepts_the_provisioning_scripts") {
        return;
    }
    let out = Command::new("shellcheck")
        .arg(vagrant("provision.sh"))
        .arg(repo().join("examples/cluster.sh"))
        .arg(repo().join("scripts/test.sh"))
        .arg(repo().join(".ci/run"))
        .arg(repo().join("tests/support/twin/build.sh"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// The machines a Vagrantfile defines, read with a recording stand-in for
/// Vagrant (after `ruby -c` accepts the file).
fn machines(vagrantfile: &Path) -> Vec<Value> {
    let out = Command::new("ruby")
        .arg("-c")
        .arg(vagrantfile)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ruby -c: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new("ruby")
        .arg(repo().join("tests/support/vagrant_stub.rb"))
        .arg(vagrantfile)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn provisioned_with(machine: &Value) -> (PathBuf, Vec<String>) {
    let provision = &machine["provision"][0];
    let path = PathBuf::from(provision["path"].as_str().unwrap());
    let args = provision["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    (path.canonicalize().unwrap(), args)
}

#[test]
fn ruby_reads_the_standalone_vagrantfile() {
    if !common::have("ruby", "ruby_reads_the_standalone_vagrantfile") {
        return;
    }
    let found = machines(&vagrant("standalone/Vagrantfile"));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["hostname"], "standalone");
    assert_eq!(found[0]["networks"][0]["ip"], "192.168.10.10");
    let (path, args) = provisioned_with(&found[0]);
    assert_eq!(path, vagrant("provision.sh").canonicalize().unwrap());
    assert_eq!(args, ["standalone"]);
    assert_eq!(found[0]["synced_folders"][0][1], "/vagrant");
}

#[test]
fn ruby_reads_the_cluster_vagrantfile_from_the_inventory() {
    if !common::have("ruby", "ruby_reads_the_cluster_vagrantfile") {
        return;
    }
    let found = machines(&vagrant("cluster/Vagrantfile"));
    let seen: Vec<(String, String, Vec<String>)> = found
        .iter()
        .map(|m| {
            let (_, args) = provisioned_with(m);
            (
                m["hostname"].as_str().unwrap().into(),
                m["networks"][0]["ip"].as_str().unwrap().into(),
                args,
            )
        })
        .collect();
    let expected: Vec<(String, String, Vec<String>)> = [
        ("master-1", "192.168.10.11"),
        ("master-2", "192.168.10.12"),
        ("master-3", "192.168.10.13"),
        ("slave-1", "192.168.10.21"),
        ("slave-2", "192.168.10.22"),
    ]
    .iter()
    .map(|(h, ip)| {
        (
            h.to_string(),
            ip.to_string(),
            vec!["cluster".to_string(), h.to_string()],
        )
    })
    .collect();
    assert_eq!(seen, expected);
}

/// Runs provision.sh's panteras steps with everything under `root`.
fn provision(root: &Path, args: &[&str]) -> std::process::Output {
    Command::new("bash")
        .arg(vagrant("provision.sh"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("PANTERAS_STEPS", "panteras")
        .env("PANTERAS_SRC", repo())
        .env("PANTERAS_BIN", env!("CARGO_BIN_EXE_panteras"))
        .env("PANTERAS_BINDIR", root.join("bin"))
        .env("PANTERAS_ROOT", root.join("panteras"))
        .env("PANTERAS_DEFAULTS", root.join("no-defaults"))
        .output()
        .unwrap()
}

#[test]
fn provisioning_panteras_steps_for_the_standalone_box() {
    let root = tempfile::tempdir().unwrap();
    let out = provision(root.path(), &["standalone"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(root.path().join("bin/panteras").exists());
    let compose = root.path().join("panteras/docker-compose.yml");
    common::check_compose(&compose);
    let env = common::environment(&compose);
    let get = |k: &str| common::env_value(&env, k);
    assert_eq!(get("HOST_IP"), "192.168.10.10");
    assert_eq!(get("HOSTNAME"), "standalone");
    assert!(
        root.path()
            .join("panteras/generated/haproxy/haproxy.cfg.ctmpl")
            .exists()
    );
}

#[test]
fn provisioning_panteras_steps_for_each_cluster_host() {
    for host in ["master-1", "master-2", "master-3", "slave-1", "slave-2"] {
        let root = tempfile::tempdir().unwrap();
        let out = provision(root.path(), &["cluster", host]);
        assert!(
            out.status.success(),
            "{host}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let current = root.path().join("panteras/current");
        assert_eq!(
            std::fs::read_link(&current).unwrap(),
            Path::new("hosts").join(host)
        );
        let compose = current.join("docker-compose.yml");
        common::check_compose(&compose);
        let env = common::environment(&compose);
        let get = |k: &str| common::env_value(&env, k);
        assert_eq!(get("HOSTNAME"), host);
        assert_eq!(
            get("ZOOKEEPER_HOSTS"),
            "192.168.10.11:2181,192.168.10.12:2181,192.168.10.13:2181"
        );
    }
    let root = tempfile::tempdir().unwrap();
    let out = provision(root.path(), &["cluster", "master-9"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("master-9 is not a host of cluster.yaml")
    );
}

#[test]
fn vagrant_validates_every_vagrantfile_of_the_examples() {
    if !common::have("vagrant", "vagrant_validates_every_vagrantfile") {
        return;
    }
    for example in ["standalone", "cluster"] {
        let state = tempfile::tempdir().unwrap();
        let out = Command::new("vagrant")
            .args(["validate", "--ignore-provider"])
            .current_dir(vagrant(example))
            .env("HOME", state.path())
            .env("VAGRANT_HOME", state.path().join("vagrant.d"))
            .env("VAGRANT_DOTFILE_PATH", state.path().join("dot"))
            .env("VAGRANT_CHECKPOINT_DISABLE", "1")
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && said.contains("Vagrantfile validated successfully"),
            "{example}: {said}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!vagrant(example).join(".vagrant").exists());
    }
}
