//! Bad input: a clear message naming the variable, where it came from and
//! what is accepted, exit status 1 (2 for usage), and no file written or
//! touched.

mod common;

use std::fs;

use common::Host;
use insta_cmd::assert_cmd_snapshot;

const SENTINEL: &str = "# the operator's current file\n";

/// Runs generate on `host` (which already has a compose file) and checks
/// that nothing was written, then snapshots status, stdout and stderr.
macro_rules! refused {
    ($host:expr, $args:expr) => {{
        let host = $host.file("./docker-compose.yml", SENTINEL);
        let compose = host.path().join("docker-compose.yml");
        let before = fs::metadata(&compose).unwrap().modified().unwrap();
        let settings = common::masked(&host);
        settings.bind(|| assert_cmd_snapshot!(host.command($args)));
        assert_eq!(fs::read_to_string(&compose).unwrap(), SENTINEL);
        assert_eq!(fs::metadata(&compose).unwrap().modified().unwrap(), before);
        assert!(
            !host.path().join("restricted/env").exists(),
            "env file created"
        );
        let names: Vec<String> = fs::read_dir(host.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".panteras-"))
            .collect();
        assert!(names.is_empty(), "temporary files left: {names:?}");
    }};
}

#[test]
fn defaults_file_named_on_the_command_line_that_does_not_exist() {
    refused!(
        Host::new(),
        &[
            "--ip",
            "10.0.0.1",
            "--defaults-file",
            "/nonexistent/panteras"
        ]
    );
}

#[test]
fn ip_flag_that_is_not_ipv4() {
    refused!(Host::new(), &["--ip", "10.0.0.300"]);
}

#[test]
fn boolean_in_a_file_that_is_not_true_or_false() {
    refused!(Host::new().file("host", "IP=10.0.0.1\n\nSLAVE=yes\n"), &[]);
}

#[test]
fn quorum_that_is_not_a_number() {
    refused!(
        Host::new().file("common", "MESOS_MASTER_QUORUM=two\n"),
        &["--ip", "10.0.0.1"]
    );
}

#[test]
fn zookeeper_host_without_port() {
    refused!(
        Host::new().file("common", "ZOOKEEPER_HOSTS=master-1,master-2:2181\n"),
        &["--ip", "10.0.0.1"]
    );
}

#[test]
fn unknown_restart_policy() {
    refused!(
        Host::new().env("PANTERAS_RESTART", "never"),
        &["--ip", "10.0.0.1"]
    );
}

#[test]
fn hostname_with_a_quote() {
    refused!(
        Host::new().env("HOSTNAME", "node\"1"),
        &["--ip", "10.0.0.1"]
    );
}

#[test]
fn blank_listen_ip() {
    refused!(
        Host::new().file("host", "LISTEN_IP=' '\n"),
        &["--ip", "10.0.0.1"]
    );
}

#[test]
fn line_break_in_an_environment_value() {
    refused!(
        Host::new().env("MARATHON_JAVA_OPTS", "-Xmx1g\nSTART_CONSUL: false"),
        &["--ip", "10.0.0.1"]
    );
}

#[test]
fn command_substitution_in_a_file() {
    refused!(
        Host::new().file("host", "MASTER=true\nIP=$(hostname -i)\n"),
        &[]
    );
}

#[test]
fn backticks_in_a_file() {
    refused!(
        Host::new().file("common", "CONSUL_DC=\"`whoami`\"\n"),
        &["--ip", "10.0.0.1"]
    );
}

#[test]
fn shell_commands_in_a_file() {
    refused!(
        Host::new().file("overwrite", "IP=10.0.0.1; rm -rf /\n"),
        &[]
    );
}

#[test]
fn reference_to_an_unset_variable() {
    refused!(Host::new().file("host", "IP=$HOST_ADDRESS\n"), &[]);
}

#[test]
fn unterminated_quote() {
    refused!(
        Host::new().file("host", "CONSUL_HOSTS=\"-join=a\n"),
        &["--ip", "10.0.0.1"]
    );
}

#[test]
fn file_that_is_not_utf8() {
    let host = Host::new().file("host", "IP=10.0.0.1\n");
    fs::write(host.path().join("restricted/common"), b"CONSUL_DC=\xff\n").unwrap();
    refused!(host, &[]);
}

#[test]
fn set_of_an_unknown_variable() {
    refused!(Host::new(), &["--ip", "10.0.0.1", "--set", "ZOOKEPER_ID=1"]);
}

#[test]
fn set_without_equals() {
    refused!(Host::new(), &["--ip", "10.0.0.1", "--set", "ZOOKEEPER_ID"]);
}

#[test]
fn docker_host_naming_a_host() {
    refused!(
        Host::new().env("DOCKER_HOST", "tcp://docker.example.com:2376"),
        &[]
    );
}

#[test]
fn real_lookup_that_finds_only_loopback() {
    // localhost is 127.0.0.1 in every hosts file: the Debian 127.0.1.1 trap.
    refused!(Host::new().env("HOSTNAME", "localhost"), &[]);
}

#[test]
fn broken_template_override() {
    refused!(
        Host::new().file("tpl/docker-compose.yml", "services: {{ image \n"),
        &["--ip", "10.0.0.1", "--templates", "tpl"]
    );
}

#[test]
fn unknown_role_is_a_usage_error() {
    refused!(Host::new(), &["--ip", "10.0.0.1", "--role", "leader"]);
}

#[test]
fn check_reports_drift_with_exit_1_and_writes_nothing() {
    refused!(Host::new(), &["--ip", "10.0.0.1", "--check"]);
}

#[test]
fn every_refused_line_of_every_file_at_once() {
    refused!(
        Host::new()
            .file("common", "A=$(id)\nB=ok\n\u{a0}# $(touch x)\n")
            .file("host", "C=`id`\nD='open\n")
            .file("overwrite", "\u{feff}E=1\nF=a\u{b}b\n"),
        &["--ip", "10.0.0.1"]
    );
}

#[test]
fn a_fifo_as_restricted_host() {
    let host = Host::new().file("common", "");
    let made = std::process::Command::new("mkfifo")
        .arg(host.path().join("restricted/host"))
        .status()
        .unwrap();
    assert!(made.success());
    refused!(host, &["--ip", "10.0.0.1"]);
}

#[test]
fn a_dir_that_does_not_exist() {
    let host = Host::new();
    let out = host.run(&["--dir", "nowhere", "--ip", "10.0.0.1"]);
    assert!(!out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: --dir nowhere: no such directory; panteras reads restricted/ from it\n  \
         fix: create it (mkdir -p nowhere) or name the directory that holds restricted/\n"
    );
    assert!(!host.path().join("nowhere").exists());
}

#[test]
fn an_environment_value_that_is_not_utf8() {
    use std::os::unix::ffi::OsStrExt;
    let host = Host::new();
    let out = host
        .command(&["--ip", "10.0.0.1"])
        .env("CONSUL_DC", std::ffi::OsStr::from_bytes(b"ams\xff1"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("CONSUL_DC in the environment is not UTF-8 text"),
        "{stderr}"
    );
    assert!(!host.path().join("docker-compose.yml").exists());
}
