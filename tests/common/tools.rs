//! The readers of the files the image's consul-template path reads:
//! ctmpl-render (the stand-in for consul-template 0.18.2) against its Consul
//! API double, the project's stand-in for the reload step's configure pass,
//! and Debian's HAProxy.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};

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

/// The readers of HAProxy files: ctmpl-render as consul-template 0.18.2
/// (built by .ci/run into target/tools), Debian's HAProxy and bash; None
/// (outside CI) to skip.
pub struct Readers {
    pub consul_template: PathBuf,
}

impl Readers {
    pub fn find(test: &str) -> Option<Readers> {
        let consul_template = built_tool("consul-template", test);
        let debian = have("haproxy", test) & have("bash", test);
        Some(Readers {
            consul_template: consul_template.filter(|_| debian)?,
        })
    }
}

/// The Consul HTTP API double of ctmpl-render (`-serve`), serving a catalog
/// fixture on 127.0.0.1 (and again whenever the file changes); stopped
/// when dropped.
pub struct ConsulDouble {
    child: Child,
    pub port: u16,
}

impl ConsulDouble {
    pub fn start(readers: &Readers, fixture: &Path) -> ConsulDouble {
        let (child, line) = super::spawn_and_read_line(
            Command::new(&readers.consul_template)
                .arg("-serve")
                .arg(fixture)
                .args(["-listen", "127.0.0.1:0"]),
        );
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

/// Renders `template` once with consul-template (ctmpl-render), from the
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

/// The image's reload step on a rendered HAProxy file, as it configures
/// haproxy_a: the configure pass (the project's stand-in,
/// tests/support/haproxy_configure.sh, proven against the image's recorded
/// table) with haproxy_a's ports and `env`, then Debian's `haproxy -c`.
/// Returns the final configuration, or why the pass or HAProxy refused it.
pub fn reload_step(rendered: &str, env: &[(String, String)]) -> Result<String, String> {
    let dir = tempfile::tempdir().unwrap();
    // The PanteraS page that the image ships.
    let rendered = rendered.replace(
        "/etc/haproxy/errors/panteras.http",
        image_file("panteras.http").to_str().unwrap(),
    );
    let (source, dest) = (
        dir.path().join("haproxy.cfg"),
        dir.path().join("haproxy_a.cfg"),
    );
    std::fs::write(&source, rendered).unwrap();
    let out = configure_pass(
        &source,
        &dest,
        env,
        &[("PORT_HTTP", "8550"), ("PORT_STATS", "8551")],
    );
    if !out.status.success() {
        return Err(format!(
            "the configure pass failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let config = std::fs::read_to_string(&dest).unwrap();
    haproxy_c(&config)?;
    Ok(config)
}

/// Runs the configure pass stand-in on `source` into `dest` with exactly
/// `env` and `more` (and a PATH) as its environment.
pub fn configure_pass(
    source: &Path,
    dest: &Path,
    env: &[(String, String)],
    more: &[(&str, &str)],
) -> std::process::Output {
    Command::new("bash")
        .arg(support("haproxy_configure.sh"))
        .arg(source)
        .arg(dest)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(env.iter().map(|(k, v)| (k, v)))
        .envs(more.iter().copied())
        .output()
        .unwrap()
}

/// Debian's `haproxy -c -f FILE`: Ok, or its complaint.
pub fn haproxy_c(config: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("haproxy.cfg");
    std::fs::write(&path, config).unwrap();
    let out = Command::new("haproxy")
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
