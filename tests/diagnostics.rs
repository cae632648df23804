//! `panteras check` and `panteras config` as an operator runs them, and the
//! rest of the command line: completions, the manual page, colour, --quiet.

mod common;

use std::process::Command;

use common::Host;
use insta_cmd::assert_cmd_snapshot;

const CLUSTER: &str = "\
# the same on every host
ZOOKEEPER_HOSTS=master-1:2181,master-2:2181,master-3:2181
MESOS_MASTER_QUORUM=2
CONSUL_DC=ams1
SUPERVISOR_USER=ops
SUPERVISOR_PASSWORD=s3cret
";

/// master-2 of three, consistent, listening on loopback (an address of
/// every machine, so no warning depends on where the tests run).
fn master_2(host_extra: &str) -> Host {
    Host::new()
        .env("HOSTNAME", "master-2")
        .env("FQDN", "master-2.example.com")
        .file("common", CLUSTER)
        .file(
            "host",
            &format!(
                "MASTER=true\nSLAVE=false\nIP=10.0.0.2\nLISTEN_IP=127.0.0.1\nCONSUL_IP=10.0.0.2\nZOOKEEPER_ID=2\n\
                 CONSUL_HOSTS=\"-bootstrap-expect 3 -join=master-1 -join=master-2 -join=master-3\"\n{host_extra}"
            ),
        )
}

fn check(name: &str, host: &Host, args: &[&str]) {
    let settings = common::masked(host);
    settings.bind(|| assert_cmd_snapshot!(name, host.subcommand("check", args)));
}

#[test]
fn check_of_a_consistent_three_master_setup() {
    // Run as on master-2 itself: the machine's own host name, and master-2
    // as its fully qualified name, the entry of ZOOKEEPER_HOSTS and a
    // Consul join target.
    let machine = common::machine_hostname().expect("the machine's host name");
    check(
        "check_of_a_consistent_three_master_setup",
        &master_2("")
            .env("HOSTNAME", &machine)
            .env("FQDN", "master-2"),
        &["--strict"],
    );
}

#[test]
fn check_zookeeper_id_outside_the_ensemble() {
    check(
        "check_zookeeper_id_outside_the_ensemble",
        &master_2("ZOOKEEPER_ID=7\n"),
        &[],
    );
}

#[test]
fn check_zookeeper_id_of_another_host() {
    check(
        "check_zookeeper_id_of_another_host",
        &master_2("ZOOKEEPER_ID=1\n"),
        &[],
    );
}

#[test]
fn check_zookeeper_id_zero_in_an_ensemble() {
    check(
        "check_zookeeper_id_zero_in_an_ensemble",
        &master_2("ZOOKEEPER_ID=0\n"),
        &[],
    );
}

#[test]
fn check_quorum_that_is_not_a_majority() {
    check(
        "check_quorum_that_is_not_a_majority",
        &master_2("MESOS_MASTER_QUORUM=1\n"),
        &[],
    );
}

#[test]
fn check_consul_expecting_more_servers_than_it_joins() {
    check(
        "check_consul_expecting_more_servers_than_it_joins",
        &master_2("CONSUL_HOSTS=\"-bootstrap-expect 3 -join=master-1\"\n"),
        &[],
    );
}

#[test]
fn check_fabio_and_consul_template_together() {
    check(
        "check_fabio_and_consul_template_together",
        &master_2("SLAVE=true\nSTART_FABIO=true\n"),
        &[],
    );
}

#[test]
fn check_tls_without_a_certificate() {
    check(
        "check_tls_without_a_certificate",
        &master_2("SLAVE=true\nHAPROXY_SSL=true\nHAPROXY_CERT_OPTS=\"ssl no-sslv3\"\n"),
        &[],
    );
}

#[test]
fn check_every_error_at_once() {
    let extra = "ZOOKEEPER_ID=7\nMESOS_MASTER_QUORUM=1\nSLAVE=true\nSTART_FABIO=true\nHAPROXY_SSL=true\nHAPROXY_CERT_OPTS=ssl\n";
    check(
        "check_every_error_at_once",
        &master_2(extra).env("SUPERVISOR_PASSWORD", ""),
        &[],
    );
}

#[test]
fn check_a_typo_and_a_deprecated_name() {
    check(
        "check_a_typo_and_a_deprecated_name",
        &master_2("ZOOKEPER_HOSTS=a:2181\nSTART_HAPROXY=true\n"),
        &[],
    );
}

#[test]
fn check_strict_fails_on_warnings() {
    check(
        "check_strict_fails_on_warnings",
        &master_2("ZOOKEPER_HOSTS=a:2181\n"),
        &["--strict"],
    );
}

#[test]
fn check_reports_a_value_it_cannot_use_beside_every_other_problem() {
    // An IP no lookup gives (HOSTNAME=localhost is loopback only), a quorum
    // that is not a number, and a ZooKeeper id outside the ensemble: all
    // three in one run, and no consequence of the first two.
    let host = Host::new()
        .env("HOSTNAME", "localhost")
        .file("common", CLUSTER)
        .file(
            "host",
            "SLAVE=false\nLISTEN_IP=127.0.0.1\nZOOKEEPER_ID=7\nMESOS_MASTER_QUORUM=two\n",
        );
    check(
        "check_reports_a_value_it_cannot_use_beside_every_other_problem",
        &host,
        &[],
    );
}

#[test]
fn generate_strict_refuses_a_typo_and_notes_it_beside_the_error_it_explains() {
    let host = master_2("MESOS_MASTER_QUORUM=1\nMESOS_MASTER_QUORM=2\n");
    let settings = common::masked(&host);
    settings.bind(|| {
        assert_cmd_snapshot!(host.command(&["--strict", "--quiet"]));
    });
    assert!(host.read("docker-compose.yml").is_none());
    // Without --strict the typo alone is a warning, and the file is written.
    let host = master_2("CONSUL_DCC=ams2\n");
    let out = host.run(&[]);
    assert!(out.status.success());
    let out = host.run(&["--strict"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error: CONSUL_DCC (restricted/host:8): is not a panteras variable; did you mean CONSUL_DC?"),
        "{stderr}"
    );
}

#[test]
fn an_environment_value_that_a_file_replaces_is_a_warning() {
    let host = master_2("").env("MESOS_MASTER_QUORUM", "3");
    let out = host.run(&[]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "warning: MESOS_MASTER_QUORUM=3 (env) and MESOS_MASTER_QUORUM=2 (restricted/common:3): \
             the file wins over the environment"
        ),
        "{stderr}"
    );
    let compose = host.read("docker-compose.yml").unwrap();
    assert!(compose.contains("--quorum=2 "), "the precedence is kept");
}

#[test]
fn check_of_the_defaults_warns_about_exposure() {
    check(
        "check_of_the_defaults_warns_about_exposure",
        &Host::new(),
        &["--ip", "10.0.0.1"],
    );
}

#[test]
fn check_quiet_says_nothing_on_success() {
    let out = master_2("")
        .subcommand("check", &["--quiet"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(out.stdout.is_empty() && out.stderr.is_empty());
    let out = master_2("MESOS_MASTER_QUORUM=1\n")
        .subcommand("check", &["-q"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: "));
}

#[test]
fn check_ports_reports_a_port_in_use() {
    // Chronos' port on an address of loopback that nothing else uses.
    let Ok(held) = std::net::TcpListener::bind("127.0.0.9:4400") else {
        panic!("127.0.0.9:4400 is needed for this test");
    };
    let host = master_2("LISTEN_IP=127.0.0.9\n");
    let out = host.subcommand("check", &["--ports"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error: port 4400/tcp on 127.0.0.9 (Chronos): is in use\n"),
        "{stderr}"
    );
    assert!(!stderr.contains("port 8080/tcp"), "{stderr}");
    drop(held);
    let out = host.subcommand("check", &["--ports"]).output().unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("in use"));
}

#[test]
fn generate_refuses_to_write_when_a_check_finds_an_error() {
    let host = master_2("MESOS_MASTER_QUORUM=1\n");
    let out = host.run(&[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.ends_with("error: 1 error above; nothing was written\n"),
        "{stderr}"
    );
    assert!(host.read("docker-compose.yml").is_none());
    assert!(!host.path().join("generated").exists());
}

/// Layering of every kind: defaults file, common, host, overwrite, the
/// environment and flags, as `config` reports it.
fn layered() -> Host {
    Host::new()
        .env("CONSUL_DC", "from-env")
        .env("GOMAXPROCS", "2")
        .file(
            "./etc-default-panteras",
            "CLUSTER_NAME=from-defaults-file\n",
        )
        .file(
            "common",
            "CONSUL_DOMAIN=cluster.internal\nMARATHON_JAVA_OPTS=-Xmx1g\n",
        )
        .file(
            "host",
            "IP=10.0.0.1\nMARATHON_JAVA_OPTS=\"-Xmx2g -Dname='it''s'\"\n",
        )
        .file("overwrite", "GOMAXPROCS=6\n")
}

#[test]
fn config_text_shows_every_value_and_its_source() {
    let host = layered();
    let settings = common::masked(&host);
    settings.bind(|| {
        assert_cmd_snapshot!(host.subcommand(
            "config",
            &["--listen-ip", "127.0.0.1", "--set", "HAPROXY_MAXCONN=2000"]
        ))
    });
}

#[test]
fn config_json_has_name_value_and_source_for_every_variable() {
    let host = layered();
    let out = host
        .subcommand("config", &["--format", "json", "--role", "master"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let entries: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    // Every variable of the host's line (0.3: all but Traefik's three).
    let of_the_line = panteras::vars::VARS
        .iter()
        .filter(|v| panteras::line::V03.reads(v.name))
        .count();
    assert_eq!(entries.len(), of_the_line);
    assert_eq!(of_the_line, panteras::vars::VARS.len() - 3);
    assert!(!entries.iter().any(|e| e["name"] == "START_TRAEFIK"));
    let get = |name: &str| {
        entries
            .iter()
            .find(|e| e["name"] == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    for e in &entries {
        assert_eq!(
            e.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["name", "value", "source"]
        );
    }
    let expect = |name: &str, value: &str, source: &str| {
        assert_eq!(
            (
                get(name)["value"].as_str().unwrap(),
                get(name)["source"].as_str().unwrap()
            ),
            (value, source),
            "{name}"
        );
    };
    expect("CONSUL_DC", "from-env", "env");
    expect(
        "CLUSTER_NAME",
        "from-defaults-file",
        "etc-default-panteras:1",
    );
    expect("CONSUL_DOMAIN", "cluster.internal", "restricted/common:1");
    expect(
        "MARATHON_JAVA_OPTS",
        "-Xmx2g -Dname='it''s'",
        "restricted/host:2",
    );
    expect("GOMAXPROCS", "6", "restricted/overwrite:1");
    expect("IP", "10.0.0.1", "restricted/host:1");
    expect("MASTER", "true", "flag --role");
    expect("SLAVE", "false", "flag --role");
    expect("START_MARATHON", "true", "derived from MASTER");
    expect("START_MESOS_SLAVE", "false", "derived from SLAVE");
    expect("HOST_IP", "10.0.0.1", "derived from IP");
    expect("LISTEN_IP", "0.0.0.0", "default");
    expect("HOSTNAME", "node-1", "env");
    expect("KEEPALIVED_VIP", "", "default");
}

#[test]
fn config_env_reads_back_unchanged_in_a_shell() {
    let host = layered().env("CHRONOS_PARAMS", "--name \"a b\" $HOME 'q' `x`");
    let out = host
        .subcommand("config", &["--format", "env"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let env_text = String::from_utf8(out.stdout).unwrap();
    let json = host
        .subcommand("config", &["--format", "json"])
        .output()
        .unwrap();
    let entries: Vec<serde_json::Value> = serde_json::from_slice(&json.stdout).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("resolved");
    std::fs::write(&file, &env_text).unwrap();
    for e in entries {
        let name = e["name"].as_str().unwrap();
        let script = format!(". \"$1\"; printf '%s' \"${name}\"");
        let out = Command::new("bash")
            .args(["-c", &script, "sh"])
            .arg(&file)
            .env_clear()
            .output()
            .unwrap();
        assert!(out.status.success());
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            e["value"].as_str().unwrap(),
            "{name}"
        );
    }
}

#[test]
fn completions_for_bash_zsh_and_fish() {
    for shell in ["bash", "zsh", "fish"] {
        let out = Command::new(env!("CARGO_BIN_EXE_panteras"))
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8(out.stdout).unwrap();
        for word in ["generate", "check", "config", "listen-ip"] {
            assert!(script.contains(word), "{shell} completion lacks {word}");
        }
    }
    let out = Command::new(env!("CARGO_BIN_EXE_panteras"))
        .args(["completions", "bash"])
        .output()
        .unwrap();
    let syntax = Command::new("bash")
        .arg("-n")
        .stdin(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(&out.stdout)?;
            child.wait()
        });
    assert!(
        syntax.unwrap().success(),
        "the bash completion is not valid bash"
    );
}

#[test]
fn man_page_is_roff() {
    let out = Command::new(env!("CARGO_BIN_EXE_panteras"))
        .arg("man")
        .output()
        .unwrap();
    assert!(out.status.success());
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(page.starts_with(".ie"), "{}", &page[..40.min(page.len())]);
    assert!(page.contains(".TH panteras 1"), "{page}");
    assert!(page.contains("generate"));
}

#[test]
fn every_subcommand_help_has_an_example() {
    for sub in [
        "generate",
        "check",
        "config",
        "completions",
        "man",
        "app render",
        "app check",
        "app deploy",
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_panteras"))
            .args(sub.split(' '))
            .arg("--help")
            .output()
            .unwrap();
        assert!(out.status.success());
        let help = String::from_utf8(out.stdout).unwrap();
        assert!(help.contains("Example"), "{sub} --help has no example");
        assert!(help.contains(&format!("panteras {sub}")), "{sub} --help");
    }
}

#[test]
fn no_colour_outside_a_terminal_or_with_no_color() {
    for no_color in [None, Some("1")] {
        let host = Host::new();
        let mut cmd = host.subcommand("check", &["--ip", "10.0.0.1"]);
        if let Some(v) = no_color {
            cmd.env("NO_COLOR", v);
        }
        let out = cmd.output().unwrap();
        assert!(!out.stderr.is_empty());
        assert!(!out.stderr.contains(&0x1b) && !out.stdout.contains(&0x1b));
    }
}

#[test]
fn quiet_generate_prints_nothing_but_errors() {
    let host = Host::new();
    let out = host
        .command(&["--ip", "10.0.0.1", "--quiet"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(host.read("docker-compose.yml").is_some());
}

#[test]
fn colour_on_a_terminal_unless_no_color() {
    // script(1) runs the command on a pseudo-terminal.
    if !common::have("script", "colour_on_a_terminal_unless_no_color") {
        return;
    }
    let host = Host::new();
    let command = format!("{} check --ip 10.0.0.1", env!("CARGO_BIN_EXE_panteras"));
    let run = |no_color: Option<&str>| {
        let mut cmd = Command::new("script");
        cmd.args(["-qec", &command, "/dev/null"])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("PANTERAS_DEFAULTS", "none")
            .env("HOSTNAME", "node-1")
            .env("FQDN", "node-1")
            .current_dir(host.path());
        if let Some(value) = no_color {
            cmd.env("NO_COLOR", value);
        }
        String::from_utf8(cmd.output().unwrap().stdout).unwrap()
    };
    assert!(run(None).contains("\x1b[1;33mwarning:\x1b[0m"));
    let plain = run(Some("1"));
    assert!(
        plain.contains("warning:") && !plain.contains('\x1b'),
        "{plain:?}"
    );
}

#[test]
fn the_manual_page_covers_every_subcommand_and_groff_reads_it_cleanly() {
    let out = Host::new().subcommand("man", &[]).output().unwrap();
    assert!(out.status.success());
    let page = String::from_utf8(out.stdout).unwrap();
    for (section, option) in [
        ("PANTERAS GENERATE", "templates"),
        ("PANTERAS CLUSTER", "inventory"),
        ("PANTERAS CHECK", "strict"),
        ("PANTERAS CONFIG", "show\\-secrets"),
        ("PANTERAS STATUS", "\\-\\-project"),
        ("PANTERAS APP RENDER", "\\-\\-env"),
        ("PANTERAS APP CHECK", "\\-\\-schema"),
        ("PANTERAS APP DEPLOY", "\\-\\-marathon"),
        ("PANTERAS COMPLETIONS", "help"),
        ("PANTERAS MAN", "help"),
    ] {
        let at = page
            .find(&format!(".SH \"{section}\""))
            .unwrap_or_else(|| panic!("no section {section}"));
        let rest = &page[at..];
        let end = rest[4..].find(".SH ").map_or(rest.len(), |e| e + 4);
        assert!(rest[..end].contains(option), "{section} lacks {option}");
    }
    // No reference to a page of its own per subcommand: there is one page.
    assert!(!page.contains("(1)"), "a reference to another page");
    // The inventory's keys, per host too.
    for key in [
        "masters_are_slaves",
        "fqdn:",
        "slave: false",
        "settings: {KEY: value}",
    ] {
        assert!(page.contains(key), "the page lacks the inventory key {key}");
    }
    if !common::have("groff", "the_manual_page_covers_every_subcommand") {
        return;
    }
    let mut groff = std::process::Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    groff
        .stdin
        .take()
        .unwrap()
        .write_all(page.as_bytes())
        .unwrap();
    let out = groff.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "groff warns");
}

#[test]
fn config_as_shell_assignments_refuses_to_write_a_masked_password() {
    let host = master_2("");
    let out = host
        .subcommand("config", &["--format", "env"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--format env would write SUPERVISOR_PASSWORD as '********'"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
    let out = host
        .subcommand("config", &["--format", "env", "--show-secrets"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("SUPERVISOR_PASSWORD='s3cret'"));
}

/// A slave the old docs set up with `MASTER=false ./generate_yml.sh` has
/// no MASTER in restricted/host: `check` on it, master by default, names
/// that way out in the ZooKeeper id's fix, and with MASTER=false (as the
/// old command line gave it) finds no error and says it checked a slave.
#[test]
fn a_slave_of_the_old_docs_is_told_how_to_say_so() {
    let host = Host::bare().file(
        "host",
        "ZOOKEEPER_HOSTS=\"m1:2181,m2:2181,m3:2181\"\nCONSUL_HOSTS=\"-join=10.0.0.1\"\nMESOS_MASTER_QUORUM=2\n",
    );
    let out = host
        .subcommand("check", &["--ip", "10.0.0.20"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("if this host is a slave (set up with `MASTER=false ./generate_yml.sh`), say so: --role slave, or MASTER=false in restricted/host"),
        "{said}"
    );
    let slave = host.env("MASTER", "false");
    let out = slave
        .subcommand("check", &["--ip", "10.0.0.20"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // And it says which roles it checked, and where they came from.
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("checked as a slave only (MASTER=false from the environment)\n"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = slave
        .subcommand("check", &["--ip", "10.0.0.20", "--role", "slave"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("checked as a slave only (MASTER=false from --role, SLAVE=true from --role)"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
