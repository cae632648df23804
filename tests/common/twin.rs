//! The twin of the 0.3.x image (built here from Debian's packages, the
//! image's data files, ctmpl-render and the project's stand-ins) and
//! projects of it started by Docker Compose v2 from generated files.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use super::{Host, tools};
use super::{ok, run};

/// The only change the tests make to the generated compose file.
pub const OVERRIDE: &str = "services:\n  panteras:\n    privileged: false\n    \
                        cap_add: [NET_ADMIN, NET_RAW, SYS_ADMIN]\n";

/// Whether a Docker Engine answers; outside CI its absence skips.
pub fn docker_answers(test: &str) -> bool {
    if !super::have("docker", test) {
        return false;
    }
    let up = run(Command::new("docker").arg("info")).status.success();
    if !up {
        assert!(
            std::env::var_os("CI").is_none(),
            "{test}: no Docker Engine answers (.ci/run starts dockerd)"
        );
        eprintln!("SKIPPED {test}: no Docker Engine answers");
    }
    up
}

/// FNV-1a over every input of the twin image, so that a change to any of
/// them builds a new one and an unchanged twin is reused.
pub fn inputs_key(files: &[PathBuf]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for file in files {
        let bytes = std::fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for byte in file.to_string_lossy().bytes().chain(bytes) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

/// The tag of the twin image, built on first use (and reused while no
/// input changes); `None` when the test is skipped.
pub fn twin(test: &str) -> Option<&'static str> {
    static TAG: OnceLock<Option<String>> = OnceLock::new();
    TAG.get_or_init(|| {
        if !docker_answers(test) || !super::have("debootstrap", test) {
            return None;
        }
        let consul_template = tools::built_tool("consul-template", test)?;
        let support = tools::support("twin");
        let infrastructure = super::shared().join("image/0.3.9/infrastructure");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&support)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        files.push(tools::support("haproxy_configure.sh"));
        let mut shared: Vec<PathBuf> = std::fs::read_dir(&infrastructure)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        shared.sort();
        files.extend(shared);
        files.push(consul_template.clone());
        let tag = format!("twin-{:016x}", inputs_key(&files));
        let image = format!("panteras/paas-in-a-box:{tag}");
        let present = run(Command::new("docker").args(["image", "inspect", &image]))
            .status
            .success();
        if !present {
            let work = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/twin");
            let started = Instant::now();
            ok(Command::new("bash")
                .arg(support.join("build.sh"))
                .arg(&infrastructure)
                .arg(&consul_template)
                .arg(&work)
                .arg(&image));
            eprintln!("built {image} in {:.0?}", started.elapsed());
        }
        Some(tag)
    })
    .as_deref()
}

/// The tag of the twin of the 0.4.4 image, built from the 0.3 twin on
/// first use (and reused while no input changes); `None` when skipped.
pub fn twin04(test: &str) -> Option<&'static str> {
    static TAG: OnceLock<Option<String>> = OnceLock::new();
    TAG.get_or_init(|| {
        let base = twin(test)?;
        let support = tools::support("twin04");
        let infrastructure = super::shared().join("image/0.4.4/infrastructure");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&support)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        let mut shared: Vec<PathBuf> = std::fs::read_dir(&infrastructure)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.append(&mut shared);
        files.sort();
        let key = inputs_key(&files) ^ u64::from_str_radix(&base[5..], 16).unwrap_or(0);
        let tag = format!("twin04-{key:016x}");
        let image = format!("panteras/paas-in-a-box:{tag}");
        let present = run(Command::new("docker").args(["image", "inspect", &image]))
            .status
            .success();
        if !present {
            let work = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/twin04");
            let started = Instant::now();
            ok(Command::new("bash")
                .arg(support.join("build.sh"))
                .arg(&infrastructure)
                .arg(format!("panteras/paas-in-a-box:{base}"))
                .arg(&work)
                .arg(&image));
            eprintln!("built {image} in {:.0?}", started.elapsed());
        }
        Some(tag)
    })
    .as_deref()
}

/// A started project, taken down when dropped (also when a test fails).
pub struct Up<'a> {
    pub host: &'a Host,
    pub compose_v2: PathBuf,
    pub project: String,
}

impl Up<'_> {
    pub fn compose(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.compose_v2);
        cmd.current_dir(self.host.path())
            .args([
                "-f",
                "docker-compose.yml",
                "-f",
                "twin.override.yml",
                "-p",
                &self.project,
            ])
            .args(args);
        cmd
    }

    pub fn container(&self) -> String {
        format!("{}-panteras-1", self.project)
    }

    pub fn exec(&self, args: &[&str]) -> String {
        ok(Command::new("docker")
            .arg("exec")
            .arg(self.container())
            .args(args))
    }

    /// `supervisorctl status`: every process with its state.
    pub fn status(&self) -> Vec<(String, String)> {
        let out = run(Command::new("docker").args([
            "exec",
            &self.container(),
            "supervisorctl",
            "-c",
            "/etc/supervisord.conf",
            "status",
        ]));
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|line| {
                let mut words = line.split_whitespace();
                Some((words.next()?.to_string(), words.next()?.to_string()))
            })
            .collect()
    }

    /// Replaces the catalog the Consul double serves (it watches the file).
    pub fn write_catalog(&self, text: &str) {
        let mut child = Command::new("docker")
            .args(["exec", "-i", &self.container(), "sh", "-c"])
            .arg("cat > /tmp/twin/catalog.new && mv /tmp/twin/catalog.new /tmp/twin/catalog.json")
            .stdin(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        assert!(child.wait().unwrap().success());
    }

    pub fn down(&self) -> Output {
        run(&mut self.compose(&["down", "--timeout", "20"]))
    }
}

impl Drop for Up<'_> {
    fn drop(&mut self) {
        let _ = self.down();
    }
}

pub fn start<'a>(host: &'a Host, compose_v2: &Path, project: &str) -> Up<'a> {
    std::fs::write(host.path().join("twin.override.yml"), OVERRIDE).unwrap();
    let up = Up {
        host,
        compose_v2: compose_v2.to_path_buf(),
        project: project.to_string(),
    };
    ok(&mut up.compose(&["up", "-d"]));
    up
}

/// Waits until every program of `running` is RUNNING.
pub fn wait_running(up: &Up, running: &[&str]) -> Vec<(String, String)> {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let status = up.status();
        let all = running
            .iter()
            .all(|p| status.iter().any(|(n, s)| n == p && s == "RUNNING"));
        if all {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "{}: not all of {running:?} RUNNING: {status:?}\n{}",
            up.project,
            String::from_utf8_lossy(&run(&mut up.compose(&["logs", "--tail", "60"])).stdout)
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Removes the reload script's chains that an earlier run of these tests
/// left on this machine when it failed part-way (its container crashed
/// before its cleanup): the first reload would otherwise take them for its
/// state and switch rules made for another address.
pub fn clear_leftover_chains() {
    let nat = ok(Command::new("iptables").args(["-w", "-t", "nat", "-S"]));
    if !nat.contains("HAPROXY") {
        return;
    }
    eprintln!("removing the HAPROXY chains an earlier failed run left");
    for hook in ["PREROUTING", "OUTPUT"] {
        while run(Command::new("iptables").args(["-w", "-t", "nat", "-D", hook, "-j", "HAPROXY"]))
            .status
            .success()
        {}
    }
    for chain in ["HAPROXY", "haproxy_a", "haproxy_b"] {
        let _ = run(Command::new("iptables").args(["-w", "-t", "nat", "-F", chain]));
        let _ = run(Command::new("iptables").args(["-w", "-t", "nat", "-X", chain]));
    }
}

/// What `docker compose down` must leave: no container of the project
/// and, where HAProxy ran, no iptables rule of the image's reload script.
pub fn nothing_left(up: &Up, haproxy: bool) {
    let down = up.down();
    assert!(
        down.status.success(),
        "{}",
        String::from_utf8_lossy(&down.stderr)
    );
    let left = ok(Command::new("docker").args([
        "ps",
        "-a",
        "-q",
        "--filter",
        &format!("label=com.docker.compose.project={}", up.project),
    ]));
    assert_eq!(left.trim(), "", "{}: containers left", up.project);
    if haproxy {
        let nat = ok(Command::new("iptables").args(["-w", "-t", "nat", "-S"]));
        assert!(
            !nat.contains("HAPROXY"),
            "{}: iptables rules left:\n{nat}",
            up.project
        );
    }
}
