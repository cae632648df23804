//! `panteras cluster --ansible` and `panteras status`: the generated
//! inventory and playbook run by ansible-core (pinned, installed by
//! .ci/run), first on folders only, then rolling a cluster of twins of the
//! image out with quorum kept; `status` asked of the Docker Engine about
//! twins in every state.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::tools;

/// ansible-playbook and ansible-inventory of .ci/run's virtual environment.
struct Ansible {
    bin: PathBuf,
}

impl Ansible {
    fn find(test: &str) -> Option<Ansible> {
        let playbook = tools::built_tool("ansible/bin/ansible-playbook", test)?;
        Some(Ansible {
            bin: playbook.parent().unwrap().to_path_buf(),
        })
    }

    fn command(&self, program: &str, dir: &Path) -> Command {
        let mut cmd = Command::new(self.bin.join(program));
        cmd.current_dir(dir)
            .env("ANSIBLE_NOCOLOR", "1")
            .env("ANSIBLE_PIPELINING", "1")
            .env("ANSIBLE_HOME", dir.join(".ansible"))
            .env("ANSIBLE_LOCAL_TEMP", dir.join(".ansible/tmp"));
        cmd
    }

    /// `ansible-playbook -i hosts/inventory.yml hosts/site.yml` on this
    /// machine (`-c local`), with `args`.
    fn playbook(&self, dir: &Path, args: &[&str]) -> Output {
        let python = format!(
            "ansible_python_interpreter={}",
            self.bin.join("python").display()
        );
        let mut cmd = self.command("ansible-playbook", dir);
        cmd.args([
            "-i",
            "hosts/inventory.yml",
            "hosts/site.yml",
            "-c",
            "local",
            "-e",
            &python,
        ])
        .args(args);
        common::run_with_deadline(cmd, 900)
    }
}

/// `panteras cluster --inventory cluster.yaml --out hosts --ansible hosts` in `dir`.
fn cluster(dir: &Path) {
    let out = Command::new(env!("CARGO_BIN_EXE_panteras"))
        .env_clear()
        .current_dir(dir)
        .args([
            "cluster",
            "--inventory",
            "cluster.yaml",
            "--out",
            "hosts",
            "--ansible",
            "hosts",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Each host's `changed=` of the PLAY RECAP.
fn changed(out: &Output) -> BTreeMap<String, u32> {
    let text = String::from_utf8_lossy(&out.stdout);
    let recap = text
        .split("PLAY RECAP")
        .nth(1)
        .unwrap_or_else(|| panic!("no recap:\n{text}"));
    recap
        .lines()
        .filter_map(|line| {
            let (host, counts) = line.split_once(" : ")?;
            let changed = counts
                .split_whitespace()
                .find_map(|c| c.strip_prefix("changed="))?;
            Some((host.trim().to_string(), changed.parse().ok()?))
        })
        .collect()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn the_playbook_of_each_example_inventory_passes_ansibles_own_checks() {
    let Some(ansible) = Ansible::find("the_playbook_of_each_example_inventory") else {
        return;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for example in [
        "examples/cluster/cluster.yaml",
        "examples/vagrant/cluster/cluster.yaml",
    ] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(root.join(example), dir.path().join("cluster.yaml")).unwrap();
        cluster(dir.path());
        let check = common::run_with_deadline(
            {
                let mut cmd = ansible.command("ansible-playbook", dir.path());
                cmd.args([
                    "-i",
                    "hosts/inventory.yml",
                    "hosts/site.yml",
                    "--syntax-check",
                ]);
                cmd
            },
            120,
        );
        assert!(check.status.success(), "{example}: {}", text(&check));
        let list = common::run_with_deadline(
            {
                let mut cmd = ansible.command("ansible-inventory", dir.path());
                cmd.args(["-i", "hosts/inventory.yml", "--list"]);
                cmd
            },
            120,
        );
        assert!(list.status.success(), "{example}: {}", text(&list));
        let listed: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
        // The groups and addresses are the inventory file's.
        let inventory = std::fs::read_to_string(dir.path().join("cluster.yaml")).unwrap();
        for group in ["masters", "slaves"] {
            let hosts = listed[group]["hosts"].as_array().unwrap();
            assert!(!hosts.is_empty(), "{example}: {group}");
            for host in hosts {
                let host = host.as_str().unwrap();
                let vars = &listed["_meta"]["hostvars"][host];
                let ip = vars["ansible_host"].as_str().unwrap();
                assert!(inventory.contains(ip), "{example}: {host} {ip}");
                let files = vars["panteras_files"]["__ansible_unsafe"].as_str().unwrap();
                assert!(
                    dir.path()
                        .join("hosts")
                        .join(files)
                        .join("docker-compose.yml")
                        .is_file(),
                    "{example}: {files}"
                );
            }
        }
    }
}

/// A stand-in for `docker compose` that records each call: the folder and
/// its arguments.
fn recording_compose(dir: &Path) -> (PathBuf, PathBuf) {
    let log = dir.join("compose.log");
    let script = dir.join("compose.sh");
    std::fs::write(
        &script,
        format!("#!/bin/sh\necho \"$(pwd) $*\" >> '{}'\n", log.display()),
    )
    .unwrap();
    std::os::unix::fs::PermissionsExt::set_mode(
        &mut std::fs::metadata(&script).unwrap().permissions(),
        0o755,
    );
    Command::new("chmod")
        .arg("0755")
        .arg(&script)
        .status()
        .unwrap();
    (script, log)
}

#[test]
fn the_rollout_puts_each_hosts_files_in_place_and_check_diff_shows_what_would_change() {
    let Some(ansible) = Ansible::find("the_rollout_puts_each_hosts_files_in_place") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let on_hosts = dir.path().join("on-hosts");
    let inventory = |slave_maxconn: u32| {
        format!(
            "settings: {{SUPERVISOR_USER: ops, SUPERVISOR_PASSWORD: s3cret}}
rollout:
  panteras_dir: {}/default
  gates: {{zookeeper: false, consul: false, mesos: false}}
masters:
  - {{host: m1, ip: 10.9.0.1, panteras_dir: {}/m1}}
slaves:
  - {{host: s1, ip: 10.9.1.1, panteras_dir: {}/s1}}
  - host: s2
    ip: 10.9.1.2
    panteras_dir: {}/s2
    settings: {{HAPROXY_MAXCONN: {slave_maxconn}}}
",
            on_hosts.display(),
            on_hosts.display(),
            on_hosts.display(),
            on_hosts.display()
        )
    };
    std::fs::write(dir.path().join("cluster.yaml"), inventory(1000)).unwrap();
    cluster(dir.path());
    let (compose, log) = recording_compose(dir.path());
    let compose = format!("panteras_compose={}", compose.display());

    let out = ansible.playbook(dir.path(), &["-e", &compose]);
    assert!(out.status.success(), "{}", text(&out));
    let ups = std::fs::read_to_string(&log).unwrap();
    for host in ["m1", "s1", "s2"] {
        assert!(
            ups.contains(&format!("{}/{host} up -d\n", on_hosts.display())),
            "{ups}"
        );
        // The files, with the modes panteras wrote: secrets stay 0600.
        for file in [
            "docker-compose.yml",
            "restricted/host",
            "generated/supervisord/supervisord.conf",
        ] {
            let wrote = dir.path().join("hosts").join(host).join(file);
            let put = on_hosts.join(host).join(file);
            assert_eq!(
                std::fs::read(&wrote).unwrap(),
                std::fs::read(&put).unwrap(),
                "{host} {file}"
            );
            let mode = |p: &Path| {
                std::os::unix::fs::PermissionsExt::mode(
                    &std::fs::metadata(p).unwrap().permissions(),
                ) & 0o777
            };
            assert_eq!(mode(&put), mode(&wrote), "{host} {file}");
        }
    }
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(on_hosts.join("s1/restricted/host"))
            .unwrap()
            .permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);

    // Nothing changed: nothing changes, no container is started again.
    let out = ansible.playbook(dir.path(), &["-e", &compose]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(changed(&out).values().all(|c| *c == 0), "{}", text(&out));
    assert_eq!(std::fs::read_to_string(&log).unwrap(), ups);

    // One slave's setting: --check --diff shows it on that host alone and
    // touches nothing; the rollout then starts that host alone again.
    std::fs::write(dir.path().join("cluster.yaml"), inventory(2000)).unwrap();
    cluster(dir.path());
    let before = std::fs::read(on_hosts.join("s2/docker-compose.yml")).unwrap();
    let out = ansible.playbook(dir.path(), &["-e", &compose, "--check", "--diff"]);
    assert!(out.status.success(), "{}", text(&out));
    let shown = text(&out);
    assert!(
        shown.contains("-    maxconn 1000\n+    maxconn 2000\n"),
        "{shown}"
    );
    assert!(
        shown.contains("changed: [s2] => (item=docker-compose.yml)"),
        "{shown}"
    );
    // The files that hold secrets change without their diff.
    assert!(
        shown.contains("changed: [s2] => (item=restricted/host)"),
        "{shown}"
    );
    assert!(!shown.contains("s3cret"), "{shown}");
    let changed_hosts: Vec<String> = changed(&out)
        .into_iter()
        .filter(|(_, c)| *c > 0)
        .map(|(h, _)| h)
        .collect();
    assert_eq!(changed_hosts, ["s2"], "{shown}");
    assert_eq!(
        std::fs::read(on_hosts.join("s2/docker-compose.yml")).unwrap(),
        before
    );
    assert_eq!(std::fs::read_to_string(&log).unwrap(), ups);

    let out = ansible.playbook(dir.path(), &["-e", &compose]);
    assert!(out.status.success(), "{}", text(&out));
    let after = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        &after[ups.len()..],
        format!("{}/s2 up -d\n", on_hosts.display())
    );
}
