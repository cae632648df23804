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

/// The supervisor parsers that read the generated file: the image's
/// supervisor 3.3.3 under Python 2.7 (with the image's supervisor-stdout),
/// installed by .ci/run under target/tools, and Debian's under Python 3.
fn supervisor_parsers(test: &str) -> Vec<Vec<std::ffi::OsString>> {
    let mut parsers = Vec::new();
    let python2 = std::env::var_os("PYTHON2").map_or_else(
        || PathBuf::from("/root/.pyenv/versions/2.7.18/bin/python"),
        PathBuf::from,
    );
    if let Some(site) = common::tools::built_tool("supervisor-3.3.3", test) {
        assert!(
            python2.exists(),
            "{test}: no Python 2.7 at {}",
            python2.display()
        );
        parsers.push(vec![
            python2.into(),
            support("supervisor_config.py").into(),
            site.into(),
        ]);
    }
    if have_supervisor(test) {
        parsers.push(vec![
            "/usr/bin/python3".into(),
            support("supervisor_config.py").into(),
        ]);
    }
    parsers
}

/// Every supervisor's own reading of `conf`, with the compose environment
/// of `host` (plus `extra`) exported as the container has it; the views
/// of all the parsers agree, and the image's version is among them.
fn supervisor_read(host: &Host, conf: &Path, extra: &[(&str, &str)]) -> Option<Value> {
    std::fs::create_dir_all("/tmp/supervisord").unwrap();
    let mut views: Vec<Value> = Vec::new();
    for parser in supervisor_parsers("supervisor_read") {
        let mut cmd = Command::new(&parser[0]);
        cmd.arg(&parser[1]).arg(conf).args(&parser[2..]);
        common::with_compose_env(&mut cmd, &host.path().join("docker-compose.yml"));
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "supervisor ({:?}) refused {}: {}",
            parser[0],
            conf.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        views.push(serde_json::from_slice(&out.stdout).unwrap());
    }
    let versions: Vec<String> = views
        .iter()
        .map(|v| v["version"].as_str().unwrap().to_string())
        .collect();
    if std::env::var_os("CI").is_some() {
        assert!(versions.iter().any(|v| v == "3.3.3"), "{versions:?}");
    }
    let mut views = views.into_iter().map(|mut v| {
        v.as_object_mut().unwrap().remove("version");
        v
    });
    let first = views.next()?;
    for other in views {
        assert_eq!(
            first, other,
            "supervisor versions {versions:?} read it differently"
        );
    }
    Some(first)
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

/// supervisord's reading of the generated file.
fn supervisor_view(host: &Host, extra: &[(&str, &str)]) -> Value {
    supervisor_read(host, &host.generated("supervisord/supervisord.conf"), extra)
        .expect("a supervisor parser")
}

#[test]
fn supervisor_parser_autostarts_the_programs_of_each_role() {
    if supervisor_parsers("supervisor_parser_autostarts").is_empty() {
        return;
    }
    let cases: [(&[&str], &[&str]); 4] = [
        (
            &["--role", "standalone"],
            &[
                "chronos",
                "consul",
                "consul-template_haproxy",
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
            &["--role", "slave", "--set", "CONSUL_HOSTS=-join=10.0.0.9"],
            &[
                "consul",
                "consul-template_haproxy",
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
                "CONSUL_HOSTS=-join=10.0.0.9",
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
        for (name, program) in programs.as_object().unwrap() {
            assert_eq!(
                program["user"], "root",
                "{name} runs as root, as in the image"
            );
        }
        assert_eq!(
            programs["consul-template_haproxy"]["directory"],
            "/opt/consul-template"
        );
        assert_eq!(
            programs["chronos"]["command"]
                .as_str()
                .unwrap()
                .split(' ')
                .take(2)
                .collect::<Vec<_>>(),
            ["/usr/bin/chronos", "run_jar"]
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
fn supervisor_parser_takes_commands_and_autostart_from_the_environment() {
    if supervisor_parsers("supervisor_parser_takes_commands").is_empty() {
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

#[test]
fn supervisor_reads_the_image_file_and_ours_alike_for_every_role() {
    if supervisor_parsers("supervisor_reads_the_image_file_and_ours").is_empty() {
        return;
    }
    let image = common::tools::image_file("supervisord.conf");
    for args in [
        &["--role", "standalone"][..],
        &["--role", "master"],
        &[
            "--role",
            "slave",
            "--set",
            "CONSUL_HOSTS=-join=10.0.0.9",
            "--set",
            "START_FABIO=true",
            "--set",
            "START_CONSUL_TEMPLATE=false",
            "--set",
            "START_NETDATA=true",
        ],
        &[
            "--listen-ip",
            "10.0.0.2",
            "--set",
            "SUPERVISOR_USER=ops",
            "--set",
            "SUPERVISOR_PASSWORD=pw",
        ],
    ] {
        let host = Host::new();
        let mut all = vec!["--ip", "10.0.0.1"];
        all.extend_from_slice(args);
        host.compose(&all);
        let mut ours = supervisor_view(&host, &[]);
        let theirs = supervisor_read(&host, &image, &[]).unwrap();
        // Programs: names, users, commands, directories, priorities,
        // restart and stop settings, autostart and its variable; the one
        // difference is listed (common::DELIBERATE, haproxy-first-start).
        let first_start = &mut ours["programs"]["consul-template_haproxy"]["command"];
        assert_eq!(
            first_start,
            "/bin/sh -c \"cp haproxy.cfg /etc/haproxy/haproxy.cfg && exec consul-template.sh\""
        );
        *first_start = theirs["programs"]["consul-template_haproxy"]["command"].clone();
        assert!(
            common::DELIBERATE
                .iter()
                .any(|(id, _)| *id == "haproxy-first-start")
        );
        assert_eq!(ours["programs"], theirs["programs"], "{args:?}");
        assert_eq!(ours["listeners"], theirs["listeners"], "{args:?}");
        // The console: the same address; credentials only as listed in
        // common::DELIBERATE (supervisor-console-auth).
        let mut console = console(&ours).clone();
        if args.contains(&"SUPERVISOR_USER=ops") {
            assert_eq!(
                (console["username"].as_str(), console["password"].as_str()),
                (Some("ops"), Some("pw"))
            );
            assert!(
                common::DELIBERATE
                    .iter()
                    .any(|(id, _)| *id == "supervisor-console-auth")
            );
            console["username"] = Value::Null;
            console["password"] = Value::Null;
        }
        assert_eq!(&console, crate::console(&theirs), "{args:?}");
    }
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
    if supervisor_parsers("supervisor_parser_reads_the_console").is_empty() {
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

fn ensemble_master(n: usize) -> Host {
    let host = Host::new()
        .env("HOSTNAME", &format!("master-{n}"))
        .env("FQDN", &format!("master-{n}.example.com"))
        .file(
            "common",
            "ZOOKEEPER_HOSTS=127.0.0.1:2181,127.0.0.2:2181,127.0.0.3:2181\nMESOS_MASTER_QUORUM=2\n\
             ZOOKEEPER_JAVA_OPTS='-Xmx128m -Dzookeeper.admin.enableServer=false -Dzookeeper.4lw.commands.whitelist=srvr'\n",
        );
    host.compose(&[
        "--role",
        "master",
        "--ip",
        &format!("10.0.0.{n}"),
        "--listen-ip",
        &format!("127.0.0.{n}"),
        "--set",
        &format!("ZOOKEEPER_ID={n}"),
    ]);
    host
}

#[test]
fn zookeeper_ensemble_of_three_masters_through_zkstart_elects_a_leader() {
    let test = "zookeeper_ensemble_through_zkstart";
    if !common::have_zookeeper(test) || !common::have("unshare", test) {
        return;
    }
    let logs = tempfile::tempdir().unwrap();
    let hosts: Vec<Host> = (1..=3).map(ensemble_master).collect();
    // No ZooKeeper file is generated: the image's zkStart.sh edits its own.
    assert!(!hosts[0].generated("zookeeper").exists());
    let composes: Vec<PathBuf> = hosts
        .iter()
        .map(|h| h.path().join("docker-compose.yml"))
        .collect();
    common::zookeeper_ensemble_elects_a_leader(
        &composes,
        &["127.0.0.1", "127.0.0.2", "127.0.0.3"],
        logs.path(),
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

/// Every keyword of keepalived 1.2 (Ubuntu 16.04's 1.2.19, the image's)
/// that a configuration like the image's can use.
const KEEPALIVED_12_KEYWORDS: &[&str] = &[
    "global_defs",
    "router_id",
    "notification_email",
    "notification_email_from",
    "smtp_server",
    "smtp_connect_timeout",
    "vrrp_script",
    "script",
    "interval",
    "weight",
    "fall",
    "rise",
    "timeout",
    "vrrp_instance",
    "interface",
    "state",
    "virtual_router_id",
    "priority",
    "advert_int",
    "virtual_ipaddress",
    "unicast_peer",
    "unicast_src_ip",
    "track_script",
    "track_interface",
    "authentication",
    "auth_type",
    "auth_pass",
    "nopreempt",
    "preempt_delay",
    "garp_master_delay",
    "notify_master",
    "notify_backup",
    "notify_fault",
    "notify",
];

/// keepalived.conf as (block path, keyword, arguments) lines, comments
/// and layout left out.
fn keepalived_structure(text: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut path: Vec<String> = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap().trim();
        if line.is_empty() {
            continue;
        }
        if line == "}" {
            path.pop();
            continue;
        }
        let (words, opens) = match line.strip_suffix('{') {
            Some(head) => (head.trim(), true),
            None => (line, false),
        };
        let mut parts = words.splitn(2, char::is_whitespace);
        let keyword = parts.next().unwrap_or("").to_string();
        let args = parts.next().unwrap_or("").trim().to_string();
        out.push((path.join("/"), keyword.clone(), args));
        if opens {
            path.push(keyword);
        }
    }
    out
}

fn keepalived_catalog(dir: &Path) -> PathBuf {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/catalog-cluster.json");
    let mut catalog: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture).unwrap()).unwrap();
    catalog["self"] = "master-1".into();
    let path = dir.join("catalog.json");
    std::fs::write(&path, catalog.to_string()).unwrap();
    path
}

#[test]
fn keepalived_t_accepts_the_template_rendered_by_consul_template() {
    let test = "keepalived_t_accepts";
    if !common::have("keepalived", test) {
        return;
    }
    let Some(readers) = common::tools::Readers::find(test) else {
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
        "CONSUL_HOSTS=-join=10.0.0.9",
        "--set",
        "KEEPALIVED_VIP=10.0.0.100",
        "--set",
        &format!("KEEPALIVED_INTERFACE={interface}"),
        "--set",
        "KEEPALIVED_ROUTER_ID=42",
    ]);
    let scratch = tempfile::tempdir().unwrap();
    let consul = common::tools::ConsulDouble::start(&readers, &keepalived_catalog(scratch.path()));
    let env = common::environment(&host.path().join("docker-compose.yml"));
    let rendered = common::tools::consul_template(
        &readers,
        &consul,
        &host.generated("keepalived/keepalived.conf.ctmpl"),
        &env,
    );
    // The peers are the other Consul nodes; this node (master-1, 10.0.0.1)
    // is left out, and names the router.
    let structure = keepalived_structure(&rendered);
    let peers: Vec<&str> = structure
        .iter()
        .filter(|(path, _, _)| path == "vrrp_instance/unicast_peer")
        .map(|(_, keyword, _)| keyword.as_str())
        .collect();
    assert_eq!(peers, ["10.0.0.2", "10.0.0.3"]);
    assert!(rendered.contains("router_id master-1\n"), "{rendered}");
    assert!(rendered.contains(&format!("interface {interface}\n")));
    assert!(rendered.contains("virtual_router_id 42\n"));
    // keepalived 1.2 keywords only: the image runs 1.2.x.
    for (path, keyword, _) in &structure {
        // Lines inside these blocks are values (addresses, script names).
        let is_value = ["virtual_ipaddress", "unicast_peer", "track_script"]
            .iter()
            .any(|block| path.ends_with(block));
        assert!(
            is_value || KEEPALIVED_12_KEYWORDS.contains(&keyword.as_str()),
            "{path}/{keyword} is not a keepalived 1.2 keyword"
        );
    }
    // Debian's keepalived (2.x) refuses a script without script security,
    // a 2.x setting that 1.2 does not know: its copy alone gets the two
    // lines, keepalived 1.2's file (checked above) does not.
    let rendered = rendered.replacen(
        "global_defs {\n",
        "global_defs {\n    script_user root\n    enable_script_security\n",
        1,
    );
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
fn keepalived_image_template_and_ours_have_the_same_blocks() {
    let Some(readers) = common::tools::Readers::find("keepalived_image_template_and_ours") else {
        return;
    };
    let host = Host::new();
    host.compose(&["--ip", "10.0.0.1", "--set", "KEEPALIVED_VIP=10.0.0.100"]);
    let scratch = tempfile::tempdir().unwrap();
    let consul = common::tools::ConsulDouble::start(&readers, &keepalived_catalog(scratch.path()));
    let env = common::environment(&host.path().join("docker-compose.yml"));
    let ours = common::tools::consul_template(
        &readers,
        &consul,
        &host.generated("keepalived/keepalived.conf.ctmpl"),
        &env,
    );
    let image_dir = tempfile::tempdir().unwrap();
    let image_template = image_dir.path().join("keepalived.conf.ctmpl");
    std::fs::copy(
        common::tools::image_file("keepalived.conf.ctmpl"),
        &image_template,
    )
    .unwrap();
    let theirs = common::tools::consul_template(&readers, &consul, &image_template, &env);
    let mut ours = keepalived_structure(&ours);
    let theirs = keepalived_structure(&theirs);
    // The one difference: the start state (common::DELIBERATE, keepalived-backup).
    let state = ours
        .iter_mut()
        .find(|(_, keyword, _)| keyword == "state")
        .unwrap();
    assert_eq!(state.2, "BACKUP");
    assert!(
        common::DELIBERATE
            .iter()
            .any(|(id, _)| *id == "keepalived-backup")
    );
    state.2 = "MASTER".into();
    assert_eq!(ours, theirs);
}

#[test]
fn keepalived_template_waits_for_this_node_where_the_images_stops_consul_template() {
    let Some(readers) = common::tools::Readers::find("keepalived_template_waits") else {
        return;
    };
    let host = Host::new();
    host.compose(&["--ip", "10.0.0.1", "--set", "KEEPALIVED_VIP=10.0.0.100"]);
    // The agent's own node is not in the catalog yet (it has not joined).
    let scratch = tempfile::tempdir().unwrap();
    let catalog = scratch.path().join("catalog.json");
    std::fs::write(
        &catalog,
        r#"{"datacenters": ["dc1"], "self": "slave-9", "services": []}"#,
    )
    .unwrap();
    let consul = common::tools::ConsulDouble::start(&readers, &catalog);
    let env = common::environment(&host.path().join("docker-compose.yml"));
    let ours = common::tools::consul_template(
        &readers,
        &consul,
        &host.generated("keepalived/keepalived.conf.ctmpl"),
        &env,
    );
    assert_eq!(ours.trim(), "", "a VIP without knowing this node: {ours}");
    let image_dir = tempfile::tempdir().unwrap();
    let image_template = image_dir.path().join("keepalived.conf.ctmpl");
    std::fs::copy(
        common::tools::image_file("keepalived.conf.ctmpl"),
        &image_template,
    )
    .unwrap();
    let out = std::process::Command::new(&readers.consul_template)
        .current_dir(image_dir.path())
        .arg("-once")
        .arg(format!("-consul-addr={}", consul.address()))
        .arg("-template=keepalived.conf.ctmpl:out")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(14), "the image's template rendered");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("nil pointer"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        common::DELIBERATE
            .iter()
            .any(|(id, _)| *id == "keepalived-unknown-node")
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
        "CONSUL_HOSTS=-join=10.0.0.9",
        "--set",
        "START_FABIO=true",
        "--set",
        "START_CONSUL_TEMPLATE=false",
    ]);
    assert!(!host.generated("haproxy").exists());
    assert_eq!(
        properties(host.generated("fabio/fabio.properties")),
        "proxy.addr=10.0.0.2:80\nregistry.consul.addr=10.0.0.2:8500\nregistry.consul.register.addr=10.0.0.2:81\nui.addr=10.0.0.2:81\n"
    );

    // With LISTEN_IP unset the image's keys and values, empty host parts
    // (Fabio then registers the machine's own address, never 0.0.0.0),
    // plus where Consul is (common::DELIBERATE, fabio-consul-address).
    let host = Host::new();
    host.compose(&[
        "--ip",
        "10.0.0.1",
        "--role",
        "slave",
        "--set",
        "CONSUL_HOSTS=-join=10.0.0.9",
        "--set",
        "START_FABIO=true",
        "--set",
        "START_CONSUL_TEMPLATE=false",
    ]);
    let ours = properties(host.generated("fabio/fabio.properties"));
    let theirs = properties(common::tools::image_file("fabio.properties"));
    assert!(
        common::DELIBERATE
            .iter()
            .any(|(id, _)| *id == "fabio-consul-address")
    );
    assert_eq!(
        ours.replace("registry.consul.addr=10.0.0.1:8500\n", ""),
        theirs
    );
    assert!(theirs.contains("registry.consul.register.addr=:81\n"));
    // Every property, ours and the 0.3.9 image's, is one Fabio reads.
    for dump in [&ours, &theirs] {
        let outside = panteras::routers::fabio::outside(property_names(dump));
        assert!(outside.is_empty(), "{outside:?}");
    }
}

/// A properties file as Java's reader reads it: `key=value` lines, sorted.
fn properties(path: PathBuf) -> String {
    let out = Command::new("java")
        .arg(support("PropertiesDump.java"))
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The keys of what [`properties`] printed.
fn property_names(dump: &str) -> Vec<&str> {
    dump.lines()
        .filter_map(|l| l.split_once('=').map(|(k, _)| k))
        .collect()
}

/// The 0.4 line's Fabio file, read by Java's properties reader: the 0.4.4
/// image's keys and values (the `paas-` tag prefix, 503 and the no-route
/// page from Consul, the `fabio-paas` registration), plus where Consul is
/// (common::DELIBERATE, fabio-consul-address); with LISTEN_IP, Fabio
/// listens there.
#[test]
fn the_0_4_lines_fabio_properties_are_the_images_and_find_consul() {
    if !common::have("java", "the_0_4_lines_fabio_properties") {
        return;
    }
    let theirs = properties(common::shared().join("image/0.4.4/infrastructure/fabio.properties"));
    assert!(
        theirs.contains("registry.consul.tagprefix=paas-\n"),
        "{theirs}"
    );
    let host = Host::new();
    host.compose(&["--ip", "10.0.0.1", "--set", "PANTERAS_IMAGE_TAG=0.4.4"]);
    let ours = properties(host.generated("fabio/fabio.properties"));
    assert_eq!(
        ours.replace("registry.consul.addr=10.0.0.1:8500\n", ""),
        theirs
    );
    assert!(ours.contains("registry.consul.addr=10.0.0.1:8500\n"));
    let host = Host::new();
    host.compose(&[
        "--ip",
        "10.0.0.1",
        "--listen-ip",
        "10.0.0.2",
        "--set",
        "PANTERAS_IMAGE_TAG=0.4.4",
    ]);
    let ours = properties(host.generated("fabio/fabio.properties"));
    for line in [
        "proxy.addr=10.0.0.2:80\n",
        "ui.addr=10.0.0.2:81\n",
        "registry.consul.addr=10.0.0.2:8500\n",
        "registry.consul.register.addr=10.0.0.2:81\n",
    ] {
        assert!(ours.contains(line), "{line}: {ours}");
    }
    // Every property, ours and the image's, is one Fabio reads
    // (panteras::routers::fabio); a misspelt one is not.
    for dump in [&theirs, &ours] {
        let names = property_names(dump);
        assert!(names.len() >= 7, "{dump}");
        let outside = panteras::routers::fabio::outside(names);
        assert!(outside.is_empty(), "{outside:?}");
    }
    let misspelt = ours.replace("registry.consul.tagprefix", "registry.consul.tagprefx");
    assert_eq!(
        panteras::routers::fabio::outside(property_names(&misspelt)),
        ["registry.consul.tagprefx"]
    );
}

/// The dotted paths of a TOML document's keys (a table without keys is
/// one path: it turns a provider on).
fn toml_paths(value: &serde_json::Value, prefix: &str, paths: &mut Vec<String>) {
    match value.as_object() {
        Some(table) if !table.is_empty() => {
            for (key, inner) in table {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                toml_paths(inner, &path, paths);
            }
        }
        _ => paths.push(prefix.to_string()),
    }
}

/// The 0.4 line's Traefik file, read by a TOML parser (Python's tomllib):
/// the 0.4.4 image's settings for Traefik 1.7, but Consul's catalog asked
/// at `CONSUL_IP:8500` (common::DELIBERATE, traefik-consul-address) and,
/// with LISTEN_IP, the entry points there.
#[test]
fn the_0_4_lines_traefik_toml_is_the_images_and_finds_consul() {
    if !common::have("python3", "the_0_4_lines_traefik_toml") {
        return;
    }
    let read = |path: PathBuf| -> serde_json::Value {
        let out = Command::new("python3")
            .args([
                "-c",
                "import json, sys, tomllib; print(json.dumps(tomllib.load(open(sys.argv[1], 'rb'))))",
            ])
            .arg(path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let theirs = read(common::shared().join("image/0.4.4/infrastructure/traefik.toml"));
    let host = Host::new();
    host.compose(&[
        "--ip",
        "10.0.0.1",
        "--set",
        "PANTERAS_IMAGE_TAG=0.4.4",
        "--set",
        "START_TRAEFIK=true",
    ]);
    assert!(!host.generated("fabio").exists());
    let mut ours = read(host.generated("traefik/traefik.toml"));
    assert!(
        common::DELIBERATE
            .iter()
            .any(|(id, _)| *id == "traefik-consul-address")
    );
    assert_eq!(ours["consulCatalog"]["endpoint"], "10.0.0.1:8500");
    ours["consulCatalog"]["endpoint"] = theirs["consulCatalog"]["endpoint"].clone();
    assert_eq!(ours, theirs);
    let host = Host::new();
    host.compose(&[
        "--ip",
        "10.0.0.1",
        "--listen-ip",
        "10.0.0.2",
        "--set",
        "PANTERAS_IMAGE_TAG=0.4.4",
        "--set",
        "START_TRAEFIK=true",
    ]);
    let ours = read(host.generated("traefik/traefik.toml"));
    assert_eq!(ours["entryPoints"]["http"]["address"], "10.0.0.2:80");
    assert_eq!(ours["entryPoints"]["api"]["address"], "10.0.0.2:81");
    assert_eq!(ours["consulCatalog"]["endpoint"], "10.0.0.2:8500");
    // Every key, ours and the image's, is one Traefik 1.7 reads
    // (panteras::routers::traefik); a misspelt one is not.
    for document in [&theirs, &ours] {
        let mut paths = Vec::new();
        toml_paths(document, "", &mut paths);
        assert!(paths.len() >= 13, "{paths:?}");
        let outside = panteras::routers::traefik::outside(paths.iter().map(String::as_str));
        assert!(outside.is_empty(), "{outside:?}");
    }
    let mut misspelt = ours.clone();
    misspelt["consulCatalog"]["exposedByDefualt"] = false.into();
    let mut paths = Vec::new();
    toml_paths(&misspelt, "", &mut paths);
    assert_eq!(
        panteras::routers::traefik::outside(paths.iter().map(String::as_str)),
        ["consulCatalog.exposedByDefualt"]
    );
}
