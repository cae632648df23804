//! Every file `panteras generate` renders, for each role and option, as
//! `--dry-run` prints them.

mod common;

use common::Host;

fn dry_run(host: &Host, args: &[&str]) -> String {
    let out = host.run(&[&["--dry-run"], args].concat());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !host.path().join("generated").exists(),
        "--dry-run wrote files"
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `--dry-run` of slave-1, joining the Consul server 10.0.0.9, with `extra`
/// arguments.
fn dry_run_slave(extra: &[&str]) -> String {
    let host = Host::new()
        .env("HOSTNAME", "slave-1")
        .env("FQDN", "slave-1.example.com");
    let args = [
        "--role",
        "slave",
        "--set",
        "CONSUL_HOSTS=-join=10.0.0.9",
        "--ip",
        "10.0.1.1",
    ];
    dry_run(&host, &[&args, extra].concat())
}

#[test]
fn files_of_a_standalone_host() {
    insta::assert_snapshot!(dry_run(&Host::new(), &["--ip", "192.168.10.10"]));
}

#[test]
fn files_of_a_master() {
    let host = Host::new()
        .env("HOSTNAME", "master-2")
        .file(
            "common",
            "ZOOKEEPER_HOSTS=master-1:2181,master-2:2181,master-3:2181\nMESOS_MASTER_QUORUM=2\n",
        )
        .file("host", "ZOOKEEPER_ID=2\n");
    insta::assert_snapshot!(dry_run(&host, &["--role", "master", "--ip", "10.0.0.2"]));
}

#[test]
fn files_of_a_slave() {
    insta::assert_snapshot!(dry_run_slave(&[]));
}

#[test]
fn files_with_ssl() {
    insta::assert_snapshot!(dry_run_slave(&["--set", "HAPROXY_SSL=true"]));
}

#[test]
fn files_with_an_added_domain() {
    insta::assert_snapshot!(dry_run_slave(&[
        "--set",
        "HAPROXY_ADD_DOMAIN=.Apps.Example.com",
    ]));
}

#[test]
fn files_with_keepalived() {
    insta::assert_snapshot!(dry_run_slave(&[
        "--set",
        "KEEPALIVED_VIP=10.0.1.100",
        "--set",
        "KEEPALIVED_INTERFACE=ens3",
        "--set",
        "KEEPALIVED_ROUTER_ID=42",
    ]));
}

#[test]
fn files_with_fabio() {
    insta::assert_snapshot!(dry_run_slave(&[
        "--listen-ip",
        "10.0.1.1",
        "--set",
        "START_FABIO=true",
        "--set",
        "START_CONSUL_TEMPLATE=false",
    ]));
}

#[test]
fn files_with_stats_auth() {
    insta::assert_snapshot!(dry_run_slave(&[
        "--set",
        "HAPROXY_STATS_AUTH=admin:s3cr3t",
        "--set",
        "HAPROXY_MAXCONN=4096",
    ]));
}

#[test]
fn files_with_supervisor_auth() {
    let args = [
        "--ip",
        "10.0.0.1",
        "--set",
        "SUPERVISOR_USER=ops",
        "--set",
        "SUPERVISOR_PASSWORD=50%off!",
    ];
    insta::assert_snapshot!(dry_run(&Host::new(), &args));
}
