//! The generated playbook, run by ansible-core against a loopback double of
//! a cluster of three masters and two slaves (tests/support/cluster_double.py:
//! ZooKeeper 3.4, Consul 1.0, Mesos 1.4 and Marathon 1.4 as the rollout's
//! gates ask them, with boot and recovery delays, and a stand-in for docker
//! and docker compose): a change never has more than one master down nor
//! loses a quorum; the ZooKeeper leader goes last and each next master waits
//! for the registry's recovery; a master down or cut off stops the run before
//! anything is touched; a failed `up` is redone; a down cluster starts only
//! with panteras_bootstrap; secrets land 0600 from 0644 copies; a second run
//! changes nothing; a move to another image line stops the run before
//! anything unless the inventory says it.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::double::Double;
use common::tools;

/// The ansible-core versions the playbook is run with (.ci/run installs
/// each in target/tools/ansible-VERSION): 2.15, the last that manages hosts
/// with Python 2.7 or 3.5, and 2.19, the newest whose controller runs on
/// Debian 12's Python 3.11.
pub const ANSIBLE: [&str; 2] = ["2.15.13", "2.19.14"];

struct Cluster {
    dir: tempfile::TempDir,
    ansible: PathBuf,
    double: Double,
    masters: Vec<(String, String)>,
    slaves: Vec<(String, String)>,
}

impl Cluster {
    /// A master's loopback address.
    fn ip(&self, host: &str) -> &str {
        let all = self.masters.iter().chain(&self.slaves);
        all.clone()
            .find(|(h, _)| h == host)
            .map(|(_, ip)| ip.as_str())
            .unwrap()
    }

    fn on_hosts(&self) -> PathBuf {
        self.dir.path().join("on-hosts")
    }

    /// Writes the inventory with `settings` for every host and renders it.
    fn render(&self, settings: &str) {
        self.render_inventory(settings, "");
    }

    /// The same, with `top` (lines of the inventory's own keys) added.
    fn render_inventory(&self, settings: &str, top: &str) {
        let mut text = format!(
            "settings: {{SUPERVISOR_USER: ops, SUPERVISOR_PASSWORD: s3cret{settings}}}\n{top}\
             rollout: {{gate_timeout: 30}}\nmasters:\n"
        );
        for (i, (name, ip)) in self.masters.iter().chain(&self.slaves).enumerate() {
            if i == self.masters.len() {
                text.push_str("slaves:\n");
            }
            text.push_str(&format!(
                "  - host: {name}\n    ip: {ip}\n    panteras_dir: {}\n    settings: {{LISTEN_IP: {ip}}}\n",
                self.on_hosts().join(name).display()
            ));
        }
        std::fs::write(self.dir.path().join("cluster.yaml"), text).unwrap();
        common::ansible::write_hosts(self.dir.path());
    }

    /// `ansible-playbook` on this machine with the double's docker and
    /// compose, and `extra` variables.
    fn roll(&self, extra: serde_json::Value, args: &[&str]) -> Output {
        let bin = self.ansible.parent().unwrap();
        let mut vars = self.double.ansible_vars();
        vars["ansible_python_interpreter"] = bin.join("python").to_str().unwrap().into();
        vars["panteras_gate_delay"] = 0.2.into();
        for (k, v) in extra.as_object().unwrap() {
            vars[k.as_str()] = v.clone();
        }
        let mut cmd = common::ansible::command(bin, "ansible-playbook", self.dir.path());
        cmd.args(["-i", "hosts/inventory.yml", "hosts/site.yml", "-c", "local"])
            .args(["-e", &vars.to_string()])
            .args(args);
        let started = std::time::Instant::now();
        let out = common::run_with_deadline(cmd, 600);
        eprintln!("ansible-playbook {extra}: {:?}", started.elapsed());
        out
    }

    fn roll_ok(&self, extra: serde_json::Value) -> String {
        let out = self.roll(extra, &[]);
        let said = text(&out);
        assert!(out.status.success(), "{said}");
        said
    }

    fn roll_fails(&self, extra: serde_json::Value) -> String {
        let out = self.roll(extra, &[]);
        let said = text(&out);
        assert!(!out.status.success(), "{said}");
        said
    }

    fn file(&self, host: &str, name: &str) -> String {
        std::fs::read_to_string(self.on_hosts().join(host).join(name)).unwrap_or_default()
    }
}

fn text(out: &Output) -> String {
    common::said(out)
}

/// Each host's `changed=` of the PLAY RECAP.
fn changed(said: &str) -> Vec<(String, u32)> {
    let recap = said.split("PLAY RECAP").nth(1).unwrap_or_default();
    recap
        .lines()
        .filter_map(|line| {
            let (host, counts) = line.split_once(" : ")?;
            let n = counts
                .split_whitespace()
                .find_map(|c| c.strip_prefix("changed="))?;
            Some((host.trim().to_string(), n.parse().ok()?))
        })
        .collect()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// The cluster of the double, its hosts on 127.0.0.`net`1 to `net`5, and
/// ansible-core `version`.
fn setup(test: &str, version: &str, net: u8) -> Option<Cluster> {
    let ansible = tools::built_tool(&format!("ansible-{version}/bin/ansible-playbook"), test)?;
    if !common::have("python3", test) {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let host = |name: &str, i: u8| (name.to_string(), format!("127.0.0.{}", net * 10 + i));
    let masters = vec![host("m1", 1), host("m2", 2), host("m3", 3)];
    let slaves = vec![host("s1", 4), host("s2", 5)];
    let mut hosts = Vec::new();
    for (list, master) in [(&masters, true), (&slaves, false)] {
        for (name, ip) in list {
            hosts.push(serde_json::json!({"name": name, "address": ip, "ip": ip, "master": master, "agent": !master}));
        }
    }
    let double = Double::start(serde_json::Value::Array(hosts));
    Some(Cluster {
        dir,
        ansible,
        double,
        masters,
        slaves,
    })
}

#[test]
fn with_ansible_2_15_a_rollout_keeps_the_quorum_waits_for_readiness_and_converges() {
    if let Some(c) = setup(
        "with_ansible_2_15_a_rollout_keeps_the_quorum",
        ANSIBLE[0],
        4,
    ) {
        rollout(&c);
    }
}

#[test]
fn with_ansible_2_19_a_rollout_keeps_the_quorum_waits_for_readiness_and_converges() {
    if let Some(c) = setup(
        "with_ansible_2_19_a_rollout_keeps_the_quorum",
        ANSIBLE[1],
        5,
    ) {
        rollout(&c);
    }
}

fn rollout(c: &Cluster) {
    let fast_fail = serde_json::json!({"panteras_gate_timeout": 3});

    // A cluster that is down starts only when asked to.
    c.render("");
    let said = c.roll_fails(fast_fail.clone());
    assert!(said.contains("-e panteras_bootstrap=true"), "{said}");
    assert!(c.double.ups().is_empty(), "{said}");
    assert_eq!(
        c.file("m1", "docker-compose.yml"),
        "",
        "files were put in place"
    );

    // With it, the masters start together, then the slaves.
    let said = c.roll_ok(serde_json::json!({"panteras_bootstrap": true}));
    let ups = c.double.ups();
    assert_eq!(ups.len(), 5, "{ups:?}\n{said}");
    assert!(ups.iter().all(|(_, what)| what == "created"), "{ups:?}");
    assert_eq!(c.double.state()["serving"].as_array().unwrap().len(), 3);

    // Asked again, it refuses: the cluster serves.
    c.double.mark();
    let said = c.roll_fails(serde_json::json!({"panteras_bootstrap": true}));
    assert!(said.contains("only a cluster that is down"), "{said}");
    assert!(c.double.ups().is_empty());

    // Nothing changed: nothing changes, nothing restarts; each host's
    // Compose is asked its version once.
    c.double.mark();
    let said = c.roll_ok(serde_json::json!({}));
    assert!(changed(&said).iter().all(|(_, n)| *n == 0), "{said}");
    assert!(c.double.ups().is_empty(), "{said}");
    let versions = c.double.asked(&["version"]);
    assert_eq!(versions.len(), 5, "{versions:?}");
    assert!(versions.values().all(|n| *n == 1), "{versions:?}");

    // A change of every host, from copies a CI artifact left 0644: one
    // master at a time, the quorum kept, the leader last, each next master
    // after the last one's registry recovered; the secrets land 0600.
    c.render(", GOMAXPROCS: 2");
    for entry in walk(&c.dir.path().join("hosts")) {
        std::fs::set_permissions(&entry, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let leader = c.double.state()["leaders"]["zookeeper"]
        .as_str()
        .unwrap()
        .to_string();
    c.double.mark();
    let said = c.roll_ok(serde_json::json!({}));
    let state = c.double.state();
    assert_eq!(state["watch"]["least_serving"], 2, "{state}\n{said}");
    assert_eq!(state["watch"]["most_masters_down"], 1, "{state}");
    let events = state["events"].as_array().unwrap();
    let masters: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["host"].as_str().unwrap().starts_with('m'))
        .collect();
    assert_eq!(masters.len(), 3, "{state}");
    assert_eq!(masters[2]["host"], leader.as_str(), "{state}");
    for pair in masters.windows(2) {
        let (before, next) = (pair[0]["host"].as_str().unwrap(), pair[1]);
        // The double's recovery time of the container the up created.
        let recovered = state["hosts"][before]["container"]["recovered_at"]
            .as_f64()
            .unwrap();
        assert!(
            next["at"].as_f64().unwrap() > recovered,
            "{} restarted before {before}'s registry recovered: {state}",
            next["host"]
        );
    }
    assert_eq!(events.len(), 5, "{state}");
    for (host, _) in c.masters.iter().chain(&c.slaves) {
        let on = c.on_hosts().join(host);
        assert!(c.file(host, "docker-compose.yml").contains("GOMAXPROCS"));
        assert_eq!(mode(&on.join("docker-compose.yml")), 0o644);
        assert_eq!(mode(&on.join("restricted")), 0o700);
        assert_eq!(mode(&on.join("restricted/host")), 0o600);
        assert_eq!(
            mode(&on.join("generated/supervisord/supervisord.conf")),
            0o600
        );
    }
    assert!(!said.contains("s3cret"), "{said}");

    // A master down at the start: the run stops before anything is touched.
    c.render(", GOMAXPROCS: 3");
    c.double.on("/stop", "m2");
    c.double.mark();
    let said = c.roll_fails(fast_fail.clone());
    let expected = format!("m2: ZooKeeper at {}:2181", c.ip("m2"));
    assert!(said.contains(&expected), "{said}");
    assert!(said.contains("-e panteras_repair=m2"), "{said}");
    assert!(c.double.ups().is_empty(), "{said}");
    assert!(
        !c.file("m1", "docker-compose.yml")
            .contains("GOMAXPROCS: \"3\"")
    );

    // Named, it alone is started first, with its files.
    let said = c.roll_ok(serde_json::json!({"panteras_repair": "m2"}));
    let ups = c.double.ups();
    assert_eq!(ups[0].0, "m2", "{ups:?}\n{said}");
    assert_eq!(ups.len(), 5, "{ups:?}");
    assert_eq!(c.double.state()["watch"]["least_serving"], 2);

    // A master cut off from the others: stopped before anything.
    c.render(", GOMAXPROCS: 4");
    c.double.cut("m3", true);
    c.double.mark();
    let said = c.roll_fails(fast_fail.clone());
    let expected = format!("m3: ZooKeeper at {}:2181 does not serve", c.ip("m3"));
    assert!(said.contains(&expected), "{said}");
    assert!(c.double.ups().is_empty(), "{said}");
    c.double.cut("m3", false);

    // An up that fails once stops the run at that host; the next run
    // redoes it, though no file changes any more.
    let leader = c.double.state()["leaders"]["zookeeper"].clone();
    let first = c
        .masters
        .iter()
        .map(|(m, _)| m.as_str())
        .find(|m| *m != leader)
        .unwrap();
    c.double.on("/fail-up", first);
    let said = c.roll_fails(serde_json::json!({}));
    assert!(said.contains("pull access denied"), "{said}");
    let hash = c.double.container(first)["hash"].clone();
    let said = c.roll_ok(serde_json::json!({}));
    assert_ne!(c.double.container(first)["hash"], hash, "{said}");

    // A cluster-wide setting of a master's daemon restarts the masters
    // alone; one of a slave's daemon, the slaves alone.
    c.double.mark();
    c.render(", GOMAXPROCS: 4, MARATHON_JAVA_OPTS: -Xmx600m");
    c.roll_ok(serde_json::json!({}));
    let hosts: Vec<String> = c.double.ups().into_iter().map(|(h, _)| h).collect();
    assert_eq!(hosts.len(), 3, "{hosts:?}");
    assert!(hosts.iter().all(|h| h.starts_with('m')), "{hosts:?}");
    c.double.mark();
    c.render(", GOMAXPROCS: 4, MARATHON_JAVA_OPTS: -Xmx600m, HAPROXY_MAXCONN: 2000");
    c.roll_ok(serde_json::json!({}));
    let hosts: Vec<String> = c.double.ups().into_iter().map(|(h, _)| h).collect();
    assert_eq!(hosts, ["s1", "s2"]);

    // A master whose new container never comes up stops the run at its
    // own gate, before the next master; the next run stops before
    // anything; once its files mend it, named with panteras_repair, it is
    // started first.
    c.double.sick(first, true);
    c.render(", GOMAXPROCS: 4, MARATHON_JAVA_OPTS: -Xmx700m, HAPROXY_MAXCONN: 2000");
    c.double.mark();
    let said = c.roll_fails(fast_fail.clone());
    let expected = format!("{first} is not ready within 3 s: {first}: ZooKeeper");
    assert!(said.contains(&expected), "{said}");
    let hosts: Vec<String> = c.double.ups().into_iter().map(|(h, _)| h).collect();
    assert_eq!(hosts, [first], "{said}");
    c.double.sick(first, false);
    // Its cause mended in its files: a new container will come up.
    c.render(", GOMAXPROCS: 4, MARATHON_JAVA_OPTS: -Xmx710m, HAPROXY_MAXCONN: 2000");
    c.double.mark();
    let said = c.roll_fails(fast_fail.clone());
    assert!(said.contains("-e panteras_repair=HOST"), "{said}");
    c.double.mark();
    c.roll_ok(serde_json::json!({"panteras_repair": first}));
    let hosts: Vec<String> = c.double.ups().into_iter().map(|(h, _)| h).collect();
    assert_eq!(hosts.len(), 3, "{hosts:?}");
    assert_eq!(hosts[0], first, "{hosts:?}");

    // A stopped slave with unchanged files is started again.
    c.double.on("/stop", "s1");
    c.double.mark();
    c.roll_ok(serde_json::json!({}));
    assert_eq!(c.double.ups(), [("s1".to_string(), "started".to_string())]);

    // And then nothing is left to do.
    c.double.mark();
    let said = c.roll_ok(serde_json::json!({}));
    assert!(changed(&said).iter().all(|(_, n)| *n == 0), "{said}");
    assert!(c.double.ups().is_empty());

    line_change(c, &fast_fail);
}

/// A move to the 0.4 line from files made anew (`cluster` itself refuses
/// it when its out folder holds the 0.3 files): the playbook reads which
/// line each container runs (its image's tag, else the mount only that
/// line's files make) and stops before anything is touched unless the
/// inventory says so; a line it cannot show stops it too until the
/// operator names it. Said, the masters move one at a time.
fn line_change(c: &Cluster, fast_fail: &serde_json::Value) {
    let made_elsewhere = |host: &str, mounts: serde_json::Value| {
        let body = serde_json::json!({"host": host, "image": "panteras/paas-in-a-box:latest", "mounts": mounts});
        c.double.call("POST", "/run", body);
    };
    made_elsewhere("s1", serde_json::json!([]));
    made_elsewhere(
        "s2",
        serde_json::json!([["/var/spool/marathon/artifacts/store", "/var/spool/store"]]),
    );
    std::fs::remove_dir_all(c.dir.path().join("hosts")).unwrap();
    let settings = ", PANTERAS_IMAGE_TAG: 0.4.4, GOMAXPROCS: 4";
    c.render_inventory(settings, "");
    c.double.mark();
    let said = c.roll_fails(fast_fail.clone());
    for (host, _) in &c.masters {
        let expected = format!(
            "{host}: runs the 0.3 line (image panteras/paas-in-a-box:0.3.9); its files give the \
             0.4 line (panteras/paas-in-a-box:0.4.4)"
        );
        assert!(said.contains(&expected), "{said}");
    }
    let by_mount = "s2: runs the 0.3 line (image panteras/paas-in-a-box:latest, with the 0.3 \
                    line's mount /var/spool/store)";
    assert!(said.contains(by_mount), "{said}");
    let unknown =
        "s1: image panteras/paas-in-a-box:latest names no release and its mounts fit no line";
    assert!(said.contains(unknown), "{said}");
    assert!(
        said.contains("add `line_change: 0.3 to 0.4` to the inventory"),
        "{said}"
    );
    assert!(said.contains("-e panteras_running_line=0.3"), "{said}");
    assert!(c.double.ups().is_empty(), "{said}");
    assert!(c.file("m1", "docker-compose.yml").contains(":0.3.9"));

    // Said in the inventory and for the container whose line does not
    // show: the masters one at a time, the quorum kept, then the slaves.
    c.render_inventory(settings, "line_change: 0.3 to 0.4\n");
    c.double.mark();
    let said = c.roll_ok(serde_json::json!({"panteras_running_line": "0.3"}));
    let state = c.double.state();
    assert_eq!(state["watch"]["least_serving"], 2, "{state}\n{said}");
    assert_eq!(state["watch"]["most_masters_down"], 1, "{state}");
    assert_eq!(c.double.ups().len(), 5, "{said}");
    for (host, _) in c.masters.iter().chain(&c.slaves) {
        let image = &state["hosts"][host.as_str()]["container"]["image"];
        assert_eq!(image, "panteras/paas-in-a-box:0.4.4", "{state}");
    }
}

/// Every file below `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(walk(&path));
        } else {
            found.push(path);
        }
    }
    found
}
