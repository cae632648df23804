//! The image's real programs and scripts as test readers: consul-template
//! 0.18.2 against a Consul API double, the image's haproxy_reload.sh
//! `configure` step, HAProxy 1.6 and Debian's HAProxy.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::{have, shared};

/// The image's files, `../shared/image/0.3.9/infrastructure/NAME`.
pub fn image_file(name: &str) -> PathBuf {
    shared().join("image/0.3.9/infrastructure").join(name)
}

/// `tests/support/NAME`.
pub fn support(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/support")
        .join(name)
}

/// A program that `.ci/run` builds or installs under `target/tools`
/// (or `$PANTERAS_TOOLS`); outside CI a missing one skips the test with
/// a visible message, in CI it fails the test.
pub fn built_tool(name: &str, test: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("PANTERAS_TOOLS").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("target/tools"),
        PathBuf::from,
    );
    let path = dir.join(name);
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{test}: {} is required in CI (.ci/run builds it)",
        path.display()
    );
    eprintln!("SKIPPED {test}: {} is not built", path.display());
    None
}

/// consul-template 0.18.2, HAProxy 1.6, Debian's HAProxy and bash, or None
/// (outside CI) to skip.
pub struct Readers {
    pub consul_template: PathBuf,
    pub haproxy_16: PathBuf,
}

impl Readers {
    pub fn find(test: &str) -> Option<Readers> {
        let consul_template = built_tool("consul-template", test);
        let haproxy_16 = built_tool("haproxy-1.6", test);
        let debian = have("haproxy", test) & have("bash", test) & have("python3", test);
        Some(Readers {
            consul_template: consul_template?,
            haproxy_16: haproxy_16.filter(|_| debian)?,
        })
    }
}

/// The Consul HTTP API double of `tests/support/consul_double.py`,
/// serving a catalog fixture on 127.0.0.1; stopped when dropped.
pub struct ConsulDouble {
    child: Child,
    pub port: u16,
}

impl ConsulDouble {
    pub fn start(fixture: &Path) -> ConsulDouble {
        let mut child = Command::new("python3")
            .arg(support("consul_double.py"))
            .arg(fixture)
            .args(["127.0.0.1", "0"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("the Consul double did not start: {line:?}"));
        ConsulDouble { child, port }
    }

    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for ConsulDouble {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Renders `template` once with the real consul-template, from the
/// template's directory (as the image runs it, so `{{file "haproxy.cfg"}}`
/// reads the file beside it), with only `env` in its environment.
pub fn consul_template(
    readers: &Readers,
    consul: &ConsulDouble,
    template: &Path,
    env: &[(String, String)],
) -> String {
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("rendered");
    let mut cmd = Command::new(&readers.consul_template);
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(env.iter().map(|(k, v)| (k, v)))
        .current_dir(template.parent().unwrap())
        .arg("-once")
        .arg(format!("-consul-addr={}", consul.address()))
        .arg("-max-stale=0")
        .arg(format!(
            "-template={}:{}",
            template.file_name().unwrap().to_str().unwrap(),
            out.display()
        ));
    let result = crate::common::run_with_deadline(cmd, 60);
    assert!(
        result.status.success(),
        "consul-template refused {}:\n{}",
        template.display(),
        String::from_utf8_lossy(&result.stderr)
    );
    std::fs::read_to_string(&out).unwrap()
}

/// The image's reload step on a rendered HAProxy file: the `configure`
/// function of the image's own haproxy_reload.sh (read from ../shared, its
/// /etc/haproxy and /usr/sbin pointed at a temporary directory), which
/// passes every line through `eval echo` with the instance's ports and
/// `env`, then runs `haproxy_a -c` on the result; `haproxy` is the program
/// that stands as haproxy_a. Returns the final configuration, or the
/// script's output when it refuses.
pub fn image_configure(
    rendered: &str,
    env: &[(String, String)],
    haproxy: &Path,
) -> Result<String, String> {
    let dir = tempfile::tempdir().unwrap();
    let etc = dir.path().join("etc");
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&etc).unwrap();
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(haproxy, bin.join("haproxy_a")).unwrap();
    // The PanteraS page that the image ships.
    let rendered = rendered.replace(
        "/etc/haproxy/errors/panteras.http",
        image_file("panteras.http").to_str().unwrap(),
    );
    std::fs::write(etc.join("haproxy.cfg"), rendered).unwrap();
    let script = std::fs::read_to_string(image_file("haproxy_reload.sh")).unwrap();
    let body = script
        .trim_end()
        .strip_suffix("main $1")
        .expect("haproxy_reload.sh ends with `main $1`");
    let body = body
        .replace("/etc/haproxy/", &format!("{}/", etc.display()))
        .replace("/usr/sbin/", &format!("{}/", bin.display()));
    let script_path = dir.path().join("haproxy_reload.sh");
    std::fs::write(&script_path, format!("{body}\nconfigure haproxy_a\n")).unwrap();
    let out = Command::new("bash")
        .arg(&script_path)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap();
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if !out.status.success() {
        return Err(log);
    }
    Ok(std::fs::read_to_string(etc.join("haproxy_a.cfg")).unwrap())
}

/// `haproxy -c -f FILE` with the given binary: Ok, or its complaint.
pub fn haproxy_c(haproxy: &Path, config: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("haproxy.cfg");
    std::fs::write(&path, config).unwrap();
    let out = Command::new(haproxy)
        .arg("-c")
        .arg("-f")
        .arg(&path)
        .output()
        .unwrap();
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}
