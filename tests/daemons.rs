//! The per-daemon files read by the real programs: supervisor's parser,
//! ZooKeeper's parser and a three-node ensemble, keepalived -t, dnsmasq
//! --test, and Java's properties reader for Fabio.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::Host;
use serde_json::Value;

fn support(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/support")
        .join(name)
}

/// supervisord's own reading of the generated file, with the compose
/// environment (plus `extra`) exported as the container has it.
fn supervisor_view(host: &Host, extra: &[(&str, &str)]) -> Value {
    std::fs::create_dir_all("/tmp/supervisord").unwrap();
    let mut cmd = Command::new("/usr/bin/python3");
    cmd.arg(support("supervisor_config.py"))
        .arg(host.generated("supervisord/supervisord.conf"));
    common::with_compose_env(&mut cmd, &host.path().join("docker-compose.yml"));
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "supervisor refused the file: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn autostarted(view: &Value) -> Vec<String> {
    let mut names: Vec<String> = view["programs"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, p)| p["autostart"] == true)
        .map(|(n, _)| n.clone())
        .collect();
    names.sort();
    names
}

fn have_supervisor(test: &str) -> bool {
    let found = Path::new("/usr/lib/python3/dist-packages/supervisor").exists();
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "{test}: Debian's supervisor is required in CI"
        );
        eprintln!("SKIPPED {test}: Debian's supervisor is not installed");
    }
    found
}

#[test]
fn supervisor_parser_autostarts_the_programs_of_each_role() {
    if !have_supervisor("supervisor_parser_autostarts") {
        return;
    }
    let cases: [(&[&str], &[&str]); 4] = [
        (
            &["--role", "standalone"],
            &[
                "chronos",
                "consul",
                "consul-template",
                "dnsmasq",
                "marathon",
                "mesos-master",
                "mesos-slave",
                "registrator",
                "zookeeper",
            ],
        ),
        (
            &["--role", "master"],
            &[
                "chronos",
                "consul",
                "dnsmasq",
                "marathon",
                "mesos-master",
                "zookeeper",
            ],
        ),
        (
            &["--role", "slave"],
            &[
                "consul",
                "consul-template",
                "dnsmasq",
                "mesos-slave",
                "registrator",
            ],
        ),
        (
            &[
                "--role",
                "slave",
                "--set",
                "START_FABIO=true",
                "--set",
                "START_CONSUL_TEMPLATE=false",
                "--set",
                "START_NETDATA=true",
            ],
            &[
                "consul",
                "dnsmasq",
                "fabio",
                "mesos-slave",
                "netdata",
                "registrator",
            ],
        ),
    ];
    for (args, expected) in cases {
        let host = Host::new();
        let mut all = vec!["--ip", "10.0.0.1"];
        all.extend_from_slice(args);
        host.compose(&all);
        let view = supervisor_view(&host, &[]);
        assert_eq!(autostarted(&view), expected, "{args:?}");
        let programs = &view["programs"];
        assert_eq!(programs.as_object().unwrap().len(), 11);
        assert_eq!(view["listeners"], serde_json::json!(["stdout"]));
        assert_eq!(programs["mesos-slave"]["stopsignal"], 10, "USR1");
        assert_eq!(programs["consul"]["user"], "consul");
        assert_eq!(
            programs["consul-template"]["directory"],
            "/opt/consul-template"
        );
        assert_eq!(
            programs["chronos"]["command"]
                .as_str()
                .unwrap()
                .split(' ')
                .take(2)
                .collect::<Vec<_>>(),
            ["chronos", "run_jar"]
        );
        let env = common::environment(&host.path().join("docker-compose.yml"));
        let consul_params = common::env_value(&env, "CONSUL_APP_PARAMS");
        assert_eq!(
            programs["consul"]["command"],
            format!("/opt/consul/consul {consul_params}")
        );
    }
}

#[test]
fn supervisor_parser_sees_a_change_in_restricted_env() {
    if !have_supervisor("supervisor_parser_sees_a_change") {
        return;
    }
    let host = Host::new();
    host.compose(&["--ip", "10.0.0.1", "--role", "master"]);
    let view = supervisor_view(
        &host,
        &[
            ("START_NETDATA", "true"),
            ("MARATHON_APP_PARAMS", "--changed"),
        ],
    );
    assert_eq!(view["programs"]["netdata"]["autostart"], true);
    assert_eq!(
        view["programs"]["marathon"]["command"],
        "marathon --changed"
    );
}

/// The supervisord web console (port 9000) in supervisor's reading.
fn console(view: &Value) -> &Value {
    view["servers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["port"] == 9000)
        .unwrap()
}

#[test]
fn supervisor_parser_reads_the_console_address_and_credentials() {
    if !have_supervisor("supervisor_parser_reads_the_console") {
        return;
    }
    let host = Host::new();
    host.compose(&["--ip", "10.0.0.1", "--listen-ip", "10.0.0.2"]);
    let view = supervisor_view(&host, &[]);
    let inet = console(&view);
    assert_eq!(inet["host"], "10.0.0.2");
    assert!(inet["username"].is_null());

    let host = Host::new();
    host.compose(&[
        "--ip",
        "10.0.0.1",
        "--set",
        "SUPERVISOR_USER=ops",
        "--set",
        "SUPERVISOR_PASSWORD=100%s(ecret)!",
    ]);
    let view = supervisor_view(&host, &[]);
    let inet = console(&view);
    assert_eq!(inet["username"], "ops");
    assert_eq!(inet["password"], "100%s(ecret)!");
}

#[test]
fn supervisor_credentials_come_in_pairs() {
    let host = Host::new();
    let out = host.run(&["--ip", "10.0.0.1", "--set", "SUPERVISOR_USER=ops"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error: SUPERVISOR_USER=ops (flag --set): SUPERVISOR_USER is set but SUPERVISOR_PASSWORD is not"),
        "{stderr}"
    );
    assert!(host.read("docker-compose.yml").is_none());
}

/// ZooKeeper's QuorumPeerConfig reading a zoo.cfg, as key=value lines.
fn zookeeper_view(zoo_cfg: &Path) -> String {
    let out = Command::new("java")
        .args(["-cp", "/usr/share/java/zookeeper.jar"])
        .arg(support("ZooKeeperConfig.java"))
        .arg(zoo_cfg)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ZooKeeper refused {}: {}",
        zoo_cfg.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn ensemble_master(n: usize, data: &Path) -> Host {
    let host = Host::new()
        .env("HOSTNAME", &format!("master-{n}"))
        .env("FQDN", &format!("master-{n}.example.com"))
        .file(
            "common",
            "ZOOKEEPER_HOSTS=127.0.0.1:2181,127.0.0.2:2181,127.0.0.3:2181\nMESOS_MASTER_QUORUM=2\n",
        );
    let data = data.join(format!("zk-{n}"));
    std::fs::create_dir_all(&data).unwrap();
    host.compose(&[
        "--role",
        "master",
        "--ip",
        &format!("10.0.0.{n}"),
        "--listen-ip",
        &format!("127.0.0.{n}"),
        "--set",
        &format!("ZOOKEEPER_ID={n}"),
        "--set",
        &format!("ZOOKEEPER_DATA_DIR={}", data.display()),
    ]);
    // The image keeps myid beside zoo.cfg, which Debian links into dataDir.
    std::fs::copy(host.generated("zookeeper/myid"), data.join("myid")).unwrap();
    host
}

#[test]
fn zookeeper_parser_reads_the_generated_files() {
    if !common::have_zookeeper("zookeeper_parser_reads") {
        return;
    }
    let data = tempfile::tempdir().unwrap();
    let host = ensemble_master(2, data.path());
    let view = zookeeper_view(&host.generated("zookeeper/zoo.cfg"));
    let expected = format!(
        "dataDir={}\nclientPortAddress=/127.0.0.2:2181\ntickTime=2000\ninitLimit=10\nsyncLimit=5\n\
         distributed=true\nserverId=2\n\
         server.1=/127.0.0.1:2888 election=/127.0.0.1:3888\n\
         server.2=/127.0.0.2:2888 election=/127.0.0.2:3888\n\
         server.3=/127.0.0.3:2888 election=/127.0.0.3:3888\n",
        data.path().join("zk-2").display()
    );
    assert_eq!(view, expected);

    // A standalone ZooKeeper: no server list and no myid.
    let host = Host::new().file(
        "host",
        &format!("ZOOKEEPER_DATA_DIR={}\n", data.path().display()),
    );
    host.compose(&["--ip", "10.0.0.1"]);
    assert!(!host.generated("zookeeper/myid").exists());
    let view = zookeeper_view(&host.generated("zookeeper/zoo.cfg"));
    assert!(view.contains("distributed=false\n"), "{view}");
    assert!(view.contains("clientPortAddress=/0.0.0.0:2181\n"), "{view}");

    // A slave runs no ZooKeeper and gets no files for it.
    let host = Host::new();
    host.compose(&["--ip", "10.0.0.1", "--role", "slave"]);
    assert!(!host.generated("zookeeper").exists());
}

#[test]
fn zookeeper_ensemble_of_three_generated_masters_elects_a_leader() {
    if !common::have_zookeeper("zookeeper_ensemble") {
        return;
    }
    let data = tempfile::tempdir().unwrap();
    let hosts: Vec<Host> = (1..=3).map(|n| ensemble_master(n, data.path())).collect();
    let configs: Vec<PathBuf> = hosts
        .iter()
        .map(|h| h.generated("zookeeper/zoo.cfg"))
        .collect();
    common::zookeeper_ensemble_elects_a_leader(
        &configs,
        &["127.0.0.1", "127.0.0.2", "127.0.0.3"],
        data.path(),
    );
}

/// An interface of this machine keepalived can run VRRP on.
fn interface() -> String {
    std::fs::read_dir("/sys/class/net")
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name != "lo")
        .min()
        .expect("a network interface besides lo")
}

#[test]
fn keepalived_t_accepts_the_rendered_template() {
    let test = "keepalived_t_accepts";
    if !common::have("keepalived", test) {
        return;
    }
    let Some(render) = common::ctmpl_render(test) else {
        return;
    };
    let host = Host::new().env("HOSTNAME", "slave-1");
    let interface = interface();
    host.compose(&[
        "--ip",
        "10.0.0.1",
        "--role",
        "slave",
        "--set",
        "KEEPALIVED_VIP=10.0.0.100",
        "--set",
        &format!("KEEPALIVED_INTERFACE={interface}"),
        "--set",
        "KEEPALIVED_ROUTER_ID=42",
    ]);
    let catalog = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/catalog-cluster.json");
    let rendered = common::render_ctmpl(
        &render,
        &host.generated("keepalived/keepalived.conf.ctmpl"),
        &catalog,
    );
    // The peers are the other Consul nodes; this host (10.0.0.1) is left out.
    let peers: Vec<&str> = rendered
        .split("unicast_peer {")
        .nth(1)
        .and_then(|rest| rest.split('}').next())
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(peers, ["10.0.0.2", "10.0.0.3"]);
    assert!(rendered.contains(&format!("interface {interface}\n")));
    assert!(rendered.contains("virtual_router_id 42\n"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keepalived.conf");
    std::fs::write(&path, &rendered).unwrap();
    let out = Command::new("keepalived")
        .arg("-t")
        .arg("-f")
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "keepalived -t refused:\n{}{}\n{rendered}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // And keepalived -t does refuse a broken one.
    std::fs::write(
        &path,
        rendered.replace("virtual_router_id 42", "virtual_router_id 420"),
    )
    .unwrap();
    assert!(
        !Command::new("keepalived")
            .arg("-t")
            .arg("-f")
            .arg(&path)
            .output()
            .unwrap()
            .status
            .success()
    );
}

#[test]
fn keepalived_template_only_with_a_vip_on_a_consul_template_host() {
    let host = Host::new();
    host.compose(&["--ip", "10.0.0.1"]);
    assert!(!host.generated("keepalived").exists());
    host.compose(&[
        "--ip",
        "10.0.0.1",
        "--role",
        "master",
        "--set",
        "KEEPALIVED_VIP=10.0.0.100",
    ]);
    assert!(!host.generated("keepalived").exists());
}

#[test]
fn dnsmasq_test_accepts_the_generated_parameters() {
    if !common::have("dnsmasq", "dnsmasq_test_accepts") {
        return;
    }
    let cases: [&[&str]; 4] = [
        &["--ip", "10.0.0.1"],
        &["--ip", "10.0.0.1", "--role", "master"],
        &[
            "--ip",
            "10.0.0.1",
            "--listen-ip",
            "127.0.0.2",
            "--set",
            "CONSUL_DOMAIN=cluster.internal",
        ],
        &[
            "--ip",
            "10.0.0.1",
            "--set",
            "DNSMASQ_PARAMS=--cache-size=1000 --no-negcache",
        ],
    ];
    for args in cases {
        let host = Host::new();
        host.compose(args);
        let env = common::environment(&host.path().join("docker-compose.yml"));
        let params = common::env_value(&env, "DNSMASQ_APP_PARAMS");
        let out = Command::new("dnsmasq")
            .arg("--test")
            .args(params.split_whitespace())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "dnsmasq --test {params}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // dnsmasq --test does refuse what it cannot run.
    let out = Command::new("dnsmasq")
        .args(["--test", "--server=/consul/10.0.0.1#86x00"])
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[test]
fn java_properties_reader_reads_fabio_properties() {
    if !common::have("java", "java_properties_reader") {
        return;
    }
    let host = Host::new();
    host.compose(&[
        "--ip",
        "10.0.0.1",
        "--listen-ip",
        "10.0.0.2",
        "--role",
        "slave",
        "--set",
        "START_FABIO=true",
        "--set",
        "START_CONSUL_TEMPLATE=false",
    ]);
    assert!(!host.generated("haproxy").exists());
    let out = Command::new("java")
        .arg(support("PropertiesDump.java"))
        .arg(host.generated("fabio/fabio.properties"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "proxy.addr=10.0.0.2:80\nregistry.consul.addr=10.0.0.2:8500\nregistry.consul.register.addr=10.0.0.2:81\nui.addr=10.0.0.2:81\n"
    );
}
