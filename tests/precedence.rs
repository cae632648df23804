//! One test per precedence rule of contract section 1 and per IP rule of
//! section 2, observed in the generated compose file.

mod common;

use common::{Host, environment};

/// The compose environment value of `key` after generating with `args`.
fn value(host: &Host, args: &[&str], key: &str) -> String {
    host.compose(args);
    common::env_value(&environment(&host.path().join("docker-compose.yml")), key)
}

fn gomaxprocs(host: Host) -> String {
    value(&host, &["--ip", "10.0.0.1"], "GOMAXPROCS")
}

#[test]
fn rule_1_the_default_applies_when_nothing_sets_a_variable() {
    assert_eq!(gomaxprocs(Host::new()), "4");
}

#[test]
fn rule_2_the_environment_beats_the_default() {
    assert_eq!(gomaxprocs(Host::new().env("GOMAXPROCS", "2")), "2");
}

#[test]
fn rule_3_the_defaults_file_beats_the_environment() {
    let host = Host::new()
        .env("GOMAXPROCS", "2")
        .file("./etc-default-panteras", "GOMAXPROCS=3\n");
    assert_eq!(gomaxprocs(host), "3");
}

#[test]
fn rule_4_common_beats_the_defaults_file() {
    let host = Host::new()
        .file("./etc-default-panteras", "GOMAXPROCS=3\n")
        .file("common", "GOMAXPROCS=5\n");
    assert_eq!(gomaxprocs(host), "5");
}

#[test]
fn rule_5_host_beats_common() {
    let host = Host::new()
        .file("common", "GOMAXPROCS=5\n")
        .file("host", "GOMAXPROCS=6\n");
    assert_eq!(gomaxprocs(host), "6");
}

#[test]
fn rule_6_overwrite_beats_host() {
    let host = Host::new()
        .file("host", "GOMAXPROCS=6\n")
        .file("overwrite", "GOMAXPROCS=7\n");
    assert_eq!(gomaxprocs(host), "7");
}

#[test]
fn rule_7_flags_beat_every_file() {
    let host = Host::new().file("overwrite", "GOMAXPROCS=7\nIP=10.9.9.9\n");
    assert_eq!(
        value(
            &host,
            &["--ip", "10.0.0.1", "--set", "GOMAXPROCS=8"],
            "GOMAXPROCS"
        ),
        "8"
    );
    assert_eq!(value(&host, &["--ip", "10.0.0.1"], "HOST_IP"), "10.0.0.1");
}

#[test]
fn rule_7_set_beats_the_named_flags() {
    let host = Host::new();
    assert_eq!(
        value(
            &host,
            &["--ip", "10.0.0.1", "--set", "IP=10.0.0.2"],
            "HOST_IP"
        ),
        "10.0.0.2"
    );
    let host = Host::new();
    let args = [
        "--ip",
        "10.0.0.1",
        "--role",
        "master",
        "--set",
        "SLAVE=true",
    ];
    assert_eq!(value(&host, &args, "START_MESOS_SLAVE"), "true");
}

#[test]
fn an_empty_value_in_a_later_layer_brings_the_default_back() {
    let host = Host::new()
        .file("common", "GOMAXPROCS=5\n")
        .file("host", "GOMAXPROCS=\n");
    assert_eq!(gomaxprocs(host), "4");
}

#[test]
fn a_blank_value_switches_a_default_off() {
    let host = Host::new().file("host", "IP=10.0.0.1\nDNSMASQ_ADDRESS=' '\n");
    assert!(!value(&host, &[], "DNSMASQ_APP_PARAMS").contains("--address"));
    let host = Host::new().file("host", "IP=10.0.0.1\n");
    assert!(value(&host, &[], "DNSMASQ_APP_PARAMS").ends_with(" --address=/consul/10.0.0.1"));
}

#[test]
fn ip_rule_1_ip_from_the_layers_wins() {
    let host = Host::new()
        .env("DOCKER_HOST", "tcp://192.168.99.100:2376")
        .env("HOSTNAME", "standalone")
        .file("host", "IP=10.0.0.7\n");
    assert_eq!(value(&host, &[], "HOST_IP"), "10.0.0.7");
}

#[test]
fn ip_rule_2_docker_host_gives_the_address() {
    let host = Host::new()
        .env("DOCKER_HOST", "tcp://192.168.99.100:2376")
        .env("HOSTNAME", "standalone");
    assert_eq!(value(&host, &[], "HOST_IP"), "192.168.99.100");
}

#[test]
fn ip_rule_3_the_standalone_box() {
    let host = Host::new().env("HOSTNAME", "standalone");
    assert_eq!(value(&host, &[], "HOST_IP"), "192.168.10.10");
}

#[test]
fn ip_rule_4_a_host_name_that_is_an_address() {
    let host = Host::new().env("HOSTNAME", "10.1.2.3");
    assert_eq!(value(&host, &[], "HOST_IP"), "10.1.2.3");
}

#[test]
fn ip_rule_5_no_usable_answer_fails_and_says_what_to_set() {
    let host = Host::new().env("HOSTNAME", "localhost");
    let out = host.run(&[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("set IP"), "{stderr}");
    assert!(host.read("docker-compose.yml").is_none());
}

#[test]
fn docker_machine_name_names_the_host() {
    let host = Host::new().env("DOCKER_MACHINE_NAME", "dev-box");
    assert_eq!(value(&host, &["--ip", "10.0.0.1"], "HOSTNAME"), "dev-box");
    assert_eq!(value(&host, &["--ip", "10.0.0.1"], "FQDN"), "dev-box");
}

#[test]
fn change_12_booleans_are_read_in_any_case_and_written_lower_case() {
    // The old script compared with `false` as written: MASTER=FALSE left
    // the host a master. Here it is a slave.
    let host = Host::new().file("host", "MASTER=FALSE\nCONSUL_HOSTS=-join=10.0.0.9\n");
    assert_eq!(
        value(&host, &["--ip", "10.0.0.1"], "START_ZOOKEEPER"),
        "false"
    );
    assert_eq!(
        value(&host, &["--ip", "10.0.0.1"], "START_MESOS_SLAVE"),
        "true"
    );
}

#[test]
fn change_13_values_the_user_gives_derived_variables_are_used() {
    // The old script derived these whatever the files said.
    let host = Host::new().file(
        "host",
        "LISTEN_IP=10.0.0.1\nDNSMASQ_BIND_INTERFACES=--interface=eth1\n\
         CLUSTER_NAME=prod\nMESOS_CLUSTER_NAME=prod-mesos\nKEEPALIVED_VIP=10.0.0.100\n\
         KEEPALIVED_CONSUL_TEMPLATE=' '\n",
    );
    let dnsmasq = value(&host, &["--ip", "10.0.0.1"], "DNSMASQ_APP_PARAMS");
    assert!(dnsmasq.contains(" --interface=eth1"), "{dnsmasq}");
    assert!(!dnsmasq.contains("--listen-address"), "{dnsmasq}");
    let mesos = value(&host, &["--ip", "10.0.0.1"], "MESOS_MASTER_APP_PARAMS");
    assert!(mesos.ends_with("--cluster=prod-mesos"), "{mesos}");
    let template = value(&host, &["--ip", "10.0.0.1"], "CONSUL_TEMPLATE_APP_PARAMS");
    assert!(!template.contains("keepalived"), "{template}");
}
