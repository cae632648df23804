//! What panteras does to the file system around the files it writes:
//! modes of files holding secrets, no link followed below the output
//! directory, a whole set written or nothing, one run at a time.

mod common;

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::Host;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

fn succeeded(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `panteras cluster --inventory cluster.yaml --out hosts` in `dir`.
fn cluster(dir: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_panteras"))
        .env_clear()
        .current_dir(dir)
        .args(["cluster", "--inventory", "cluster.yaml", "--out", "hosts"])
        .output()
        .unwrap()
}

#[test]
fn files_holding_a_password_are_written_0600_and_the_others_0644() {
    let host = Host::new();
    succeeded(&host.run(&["--ip", "10.0.0.5"]));
    let supervisord = host.path().join("generated/supervisord/supervisord.conf");
    let haproxy = host.path().join("generated/haproxy/haproxy.cfg");
    assert_eq!(mode(&supervisord), 0o644);
    assert_eq!(mode(&haproxy), 0o644);
    succeeded(&host.run(&[
        "--ip",
        "10.0.0.5",
        "--set",
        "SUPERVISOR_USER=ops",
        "--set",
        "SUPERVISOR_PASSWORD=s3cret",
        "--set",
        "HAPROXY_STATS_AUTH=admin:s3cret",
    ]));
    assert_eq!(mode(&supervisord), 0o600);
    assert_eq!(mode(&haproxy), 0o600);
    assert_eq!(mode(&host.path().join("docker-compose.yml")), 0o644);
    assert!(
        std::fs::read_to_string(&supervisord)
            .unwrap()
            .contains("password=s3cret")
    );
}

#[test]
fn a_secret_on_a_command_line_is_flagged_and_its_compose_file_written_0600() {
    let host = Host::new();
    let out = host.run(&[
        "--ip",
        "10.0.0.5",
        "--set",
        "CONSUL_PARAMS=-encrypt=c2VjcmV0LWtleS0xMjM0NQ==",
    ]);
    succeeded(&out);
    let said =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("CONSUL_PARAMS"), "{said}");
    assert!(said.contains("-encrypt on a command line"), "{said}");
    assert!(said.contains("/etc/consul.d/"), "{said}");
    assert!(!said.contains("c2VjcmV0"), "{said}");
    assert_eq!(mode(&host.path().join("docker-compose.yml")), 0o600);
}

#[test]
fn cluster_writes_each_restricted_host_0600() {
    let dir = tempfile::tempdir().unwrap();
    let inventory = dir.path().join("cluster.yaml");
    std::fs::write(
        &inventory,
        "settings:\n  SUPERVISOR_USER: ops\n  SUPERVISOR_PASSWORD: s3cret\n\
         masters: [{host: m1, ip: 10.0.0.1}]\nslaves: [{host: s1, ip: 10.0.0.2}]\n",
    )
    .unwrap();
    std::fs::set_permissions(&inventory, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = cluster(dir.path());
    succeeded(&out);
    for host in ["m1", "s1"] {
        let host_file = dir.path().join("hosts").join(host).join("restricted/host");
        assert_eq!(mode(&host_file), 0o600, "{host}");
        let conf = dir
            .path()
            .join("hosts")
            .join(host)
            .join("generated/supervisord/supervisord.conf");
        assert_eq!(mode(&conf), 0o600, "{host}");
    }
}

#[test]
fn a_linked_directory_below_out_is_refused_for_generate_and_cluster() {
    let host = Host::new();
    let elsewhere = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), host.path().join("generated")).unwrap();
    let out = host.run(&["--ip", "10.0.0.5"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "generated: a symbolic link; panteras follows no link below the output directory"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert!(!host.path().join("docker-compose.yml").exists());
    assert_eq!(std::fs::read_dir(elsewhere.path()).unwrap().count(), 0);

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("cluster.yaml"),
        "masters: [{host: m1, ip: 10.0.0.1}]\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("hosts")).unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), dir.path().join("hosts/m1")).unwrap();
    let out = cluster(dir.path());
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("hosts/m1: a symbolic link"), "{stderr}");
    assert_eq!(std::fs::read_dir(elsewhere.path()).unwrap().count(), 0);
}

/// A shell script run in a private mount namespace, where it may mount a
/// small tmpfs; returns its standard output.
fn in_mount_namespace(script: &str, args: &[&str]) -> String {
    let out = Command::new("unshare")
        .args(["-m", "--propagation", "private", "sh", "-euc", script, "sh"])
        .args(args)
        .output()
        .unwrap();
    succeeded(&out);
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_full_disk_part_way_leaves_every_old_file_as_it_was() {
    // The first run fills the tmpfs's files; the tmpfs is then shrunk to
    // leave room for the small new haproxy.cfg but not for a compose file
    // with a 100 KiB value, whose temporary file is written after it.
    let mnt = tempfile::tempdir().unwrap();
    let big = "x".repeat(100 * 1024);
    let script = r#"
        mnt=$1; bin=$2; big=$3
        mount -t tmpfs -o size=1m panteras-test "$mnt"
        cd "$mnt"
        export HOSTNAME=node-1 FQDN=node-1.example.com PANTERAS_DEFAULTS=none
        "$bin" generate --ip 10.0.0.5 >/dev/null
        used=$(df --output=used -k . | tail -1)
        mount -o remount,size=$((used + 48))k "$mnt"
        before=$(find . -type f | sort | xargs sha256sum; ls -i docker-compose.yml)
        if "$bin" generate --ip 10.0.0.5 --set HAPROXY_MAXCONN=999 \
            --set "MARATHON_JAVA_OPTS=$big" 2>err >/dev/null; then
            echo "generate succeeded"
        fi
        after=$(find . -type f ! -name err | sort | xargs sha256sum; ls -i docker-compose.yml)
        [ "$before" = "$after" ] && echo "old files kept"
        find . -name '.panteras-*' | sed 's/^/left over: /'
        grep -o 'No space left on device' err | head -1
        grep -o 'nothing was written' err | head -1
    "#;
    let printed = in_mount_namespace(
        script,
        &[
            mnt.path().to_str().unwrap(),
            env!("CARGO_BIN_EXE_panteras"),
            &big,
        ],
    );
    assert_eq!(
        printed,
        "old files kept\nNo space left on device\nnothing was written\n"
    );
}

#[test]
fn a_second_run_waits_for_the_first_to_finish_with_the_directory() {
    let host = Host::new();
    let dir = std::fs::File::open(host.path()).unwrap();
    dir.lock().unwrap();
    let mut child = host
        .command(&["--ip", "10.0.0.5"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut said = String::new();
    while !said.contains("waiting for another panteras run to finish with") {
        let mut line = String::new();
        assert_ne!(stderr.read_line(&mut line).unwrap(), 0, "{said}");
        said.push_str(&line);
    }
    std::thread::sleep(Duration::from_millis(200));
    assert!(child.try_wait().unwrap().is_none(), "did not wait");
    assert!(!host.path().join("docker-compose.yml").exists());
    dir.unlock().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "still waiting after the unlock");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success());
    assert!(host.path().join("docker-compose.yml").exists());
}
