//! The HAProxy files through the image's own path: consul-template 0.18.2
//! (ctmpl-render, byte-identical to it) renders the template from a Consul
//! API double, the reload step's configure pass (the project's stand-in,
//! proven against the image's recorded table) passes it through the shell,
//! Debian's HAProxy checks it, and carries traffic on loopback next to one
//! started from the image's own template. The keywords stay within HAProxy
//! 1.6's (the image's), as listed in `panteras::haproxy16`.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::net::TcpStream;
use std::path::{Path, PathBuf};

use common::Host;
use common::tools::{self, ConsulDouble, Readers};
use common::traffic::{Running, get, http_backend, on_ports, reached, tcp_backend, tcp_reply};
use serde_json::json;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn write_catalog(dir: &Path, catalog: &serde_json::Value) -> PathBuf {
    let path = dir.join("catalog.json");
    std::fs::write(&path, catalog.to_string()).unwrap();
    path
}

/// The compose environment of a generated host, as the container has it.
fn container_env(host: &Host) -> Vec<(String, String)> {
    common::environment(&host.path().join("docker-compose.yml"))
}

/// Generates, renders our template with the real consul-template and
/// returns the file as consul-template writes it.
fn rendered(host: &Host, args: &[&str], readers: &Readers, catalog: &Path) -> String {
    host.compose(args);
    let consul = ConsulDouble::start(readers, catalog);
    tools::consul_template(
        readers,
        &consul,
        &host.generated("haproxy/haproxy.cfg.ctmpl"),
        &container_env(host),
    )
}

/// The reload step (the configure pass, then `haproxy -c`): the final
/// configuration, which must be accepted, with only HAProxy 1.6 keywords.
fn reloaded(rendered: &str, env: &[(String, String)]) -> String {
    let config = tools::reload_step(rendered, env)
        .unwrap_or_else(|log| panic!("the reload step refused:\n{log}\n{rendered}"));
    let outside = panteras::haproxy16::outside(&config);
    assert!(
        outside.is_empty(),
        "not HAProxy 1.6 (the image's): {outside:#?}\n{config}"
    );
    config
}

/// A self-signed certificate and its key in one file, as HAProxy's `crt` takes them.
fn self_signed_certificate(dir: &Path) -> PathBuf {
    let (cert, key) = common::self_signed_certificate(dir);
    let pem = dir.join("haproxy.pem");
    let both = std::fs::read_to_string(&cert).unwrap() + &std::fs::read_to_string(&key).unwrap();
    std::fs::write(&pem, both).unwrap();
    pem
}

#[test]
fn haproxy_accepts_every_fixture_for_every_option_after_the_reload_step() {
    let test = "haproxy_accepts_every_fixture";
    let Some(readers) = Readers::find(test) else {
        return;
    };
    if !common::have("openssl", test) {
        return;
    }
    let certs = tempfile::tempdir().unwrap();
    let pem = self_signed_certificate(certs.path());
    let cert_opts = format!("HAPROXY_CERT_OPTS=ssl crt {}", pem.display());
    let options: Vec<Vec<String>> = vec![
        vec![],
        vec!["--set".into(), "HAPROXY_DEFAULT_WEIGHT=100".into()],
        vec![
            "--role".into(),
            "slave".into(),
            "--set".into(),
            "CONSUL_HOSTS=-join=10.0.0.9".into(),
            "--set".into(),
            "HAPROXY_SSL=true".into(),
            "--set".into(),
            cert_opts,
        ],
        vec![
            "--set".into(),
            "HAPROXY_ADD_DOMAIN=.apps.example.com".into(),
        ],
        vec!["--set".into(), "HAPROXY_STATS_AUTH=admin:s3cr3t!".into()],
        vec![
            "--listen-ip".into(),
            "127.0.0.1".into(),
            "--set".into(),
            "HAPROXY_MAXCONN=2000".into(),
        ],
        vec!["--set".into(), "CONSUL_DOMAIN=Example.Internal".into()],
    ];
    let scratch = tempfile::tempdir().unwrap();
    let hostile = write_catalog(scratch.path(), &hostile_catalog(&scratch.path().join("x")));
    for args in &options {
        for catalog in [
            fixture("catalog-cluster.json"),
            fixture("catalog-empty.json"),
            hostile.clone(),
        ] {
            let host = Host::new();
            let mut all = vec!["--ip", "10.0.0.9"];
            all.extend(args.iter().map(String::as_str));
            let text = rendered(&host, &all, &readers, &catalog);
            let env = container_env(&host);
            reloaded(&text, &env);
            // The base file alone, as the image starts HAProxy before the
            // first render, passes too.
            let base = std::fs::read_to_string(host.generated("haproxy/haproxy.cfg")).unwrap();
            reloaded(&base, &env);
        }
    }
}

#[test]
fn consul_template_renders_the_cluster_fixture() {
    let Some(readers) = Readers::find("consul_template_renders_the_cluster_fixture") else {
        return;
    };
    let host = Host::new()
        .env("HOSTNAME", "slave-1")
        .env("FQDN", "slave-1.example.com");
    let args = [
        "--ip",
        "10.0.1.1",
        "--role",
        "slave",
        "--set",
        "CONSUL_HOSTS=-join=10.0.0.9",
        "--set",
        "HAPROXY_ADD_DOMAIN=.apps.example.com",
        "--set",
        "PANTERAS_HOSTNAME=container-1",
    ];
    let text = rendered(&host, &args, &readers, &fixture("catalog-cluster.json"));
    reloaded(&text, &container_env(&host));
    let frontend = &text[text.find("frontend http-in").unwrap()..];
    insta::assert_snapshot!(frontend);
}

/// Every form of hostile text, each in every place a tag, a name, an
/// address, a node, a datacenter or a KV value lands; the shell payloads
/// would create `marker`.
fn hostile_catalog(marker: &Path) -> serde_json::Value {
    let m = marker.display();
    let payloads = [
        format!("\n`touch {m}`"),
        format!("\r`touch {m}`"),
        format!("\n\"$(touch {m})\""),
        format!("`touch {m}`"),
        format!("$(touch {m})"),
        "\"".to_string(),
        " # comment".to_string(),
        "\u{0}".to_string(),
        "\\".to_string(),
        "\nlisten injected\n    bind :1".to_string(),
        "x".repeat(5000),
    ];
    let forms = [
        "haproxy_route=/ok",
        "haproxy_weight=5",
        "haproxy_httpchk=GET /ok",
        "haproxy_tcp=9999",
    ];
    let mut services = Vec::new();
    for (i, p) in payloads.iter().enumerate() {
        // Every tag form with the payload after it, before it and alone
        // beside a valid tag of the same form (the case of an anchored
        // match over all the tags joined).
        let mut tags = vec!["haproxy".to_string(), "haproxy_weight=5".to_string()];
        for form in forms {
            tags.push(format!("{form}{p}"));
            tags.push(format!("{p}{form}"));
        }
        tags.push(p.clone());
        let port = 8100 + i;
        services.push(json!({"name": format!("tags{i}"), "node": "n1", "address": "10.0.1.1", "port": port, "tags": tags}));
        services.push(json!({"name": format!("name{i}{p}"), "node": "n1", "address": "10.0.1.1", "port": port, "tags": ["haproxy"]}));
        services.push(json!({"name": format!("addr{i}"), "node": "n1", "address": format!("10.0.1.1{p}"), "port": port, "tags": ["haproxy", "haproxy_tcp=9000"]}));
        services.push(json!({"name": format!("node{i}"), "node": format!("n1{p}"), "address": "10.0.1.2", "port": port, "tags": ["haproxy", "haproxy_tcp=9001"]}));
        services.push(json!({"name": "consul", "node": format!("m{i}{p}"), "address": format!("10.0.0.{i}{p}"), "port": 8300, "tags": []}));
    }
    services.push(json!({"name": "fine", "node": "n1", "address": "10.0.1.3", "port": 8007, "tags": ["haproxy", "haproxy_route=/fine", "haproxy_weight=7", "haproxy_httpchk=GET /check HTTP/1.0\\r\\nHost:\\ www.domain.com"]}));
    services.push(
        json!({"name": "consul", "node": "m-ok", "address": "10.0.0.1", "port": 8300, "tags": []}),
    );
    // A listener on a port HAProxy or the container uses would take its
    // traffic: left out, for every such port.
    for (port, _) in panteras::tags::RESERVED_PORTS {
        services.push(json!({"name": format!("grab{port}"), "node": "n1", "address": "10.0.1.1", "port": 8200, "tags": ["haproxy", format!("haproxy_tcp={port}")]}));
    }
    // Ports HAProxy refuses, and an option for a name: the whole file
    // would be refused.
    for (i, port) in [0i64, -1, 65536, 99999].iter().enumerate() {
        services.push(json!({"name": format!("port{i}"), "node": "n1", "address": "10.0.1.1", "port": port, "tags": ["haproxy", "haproxy_tcp=9100"]}));
    }
    services.push(json!({"name": "-web", "node": "n1", "address": "10.0.1.1", "port": 8201, "tags": ["haproxy"]}));
    // Backends no host should send traffic to: this node's own loopback
    // (its supervisord console, Consul), the cloud's metadata service,
    // unspecified, broadcast and multicast addresses.
    for (i, address) in [
        "127.0.0.1",
        "169.254.169.254",
        "0.0.0.0",
        "255.255.255.255",
        "224.0.0.1",
    ]
    .iter()
    .enumerate()
    {
        services.push(json!({"name": format!("away{i}"), "node": format!("away{i}"), "address": address, "port": 9000, "tags": ["haproxy", "haproxy_tcp=9102"]}));
    }
    // Two instances on one node and port, and a node named as another
    // instance's address: every server still gets a name of its own.
    services.push(json!({"name": "twice", "id": "twice-a", "node": "n2", "address": "10.0.1.5", "port": 8202, "tags": ["haproxy"]}));
    services.push(json!({"name": "twice", "id": "twice-b", "node": "n2", "address": "10.0.1.5", "port": 8202, "tags": ["haproxy"]}));
    services.push(json!({"name": "twice", "node": "10.0.1.6", "address": "10.0.1.6", "port": 8202, "tags": ["haproxy"]}));
    services.push(json!({"name": "twice", "node": "n%", "address": "10.0.1.6", "port": 8202, "tags": ["haproxy"]}));
    // A failing instance's tags route nothing (the image reads the passing).
    services.push(json!({"name": "fine", "node": "n9", "address": "10.0.1.9", "port": 8008, "tags": ["haproxy", "haproxy_route=/sick", "haproxy_tcp=9103"], "status": "critical"}));
    services.push(
        json!({"name": "consul", "node": "n1", "address": "10.0.1.1", "port": 8300, "tags": []}),
    );
    services.push(json!({"name": "panteras", "node": "n1", "address": "10.0.1.1", "port": 8004, "tags": ["haproxy"]}));
    let mut kv = serde_json::Map::new();
    for (i, p) in payloads.iter().enumerate() {
        kv.insert(format!("haproxy/tags{i}/maxconn"), json!(format!("12{p}")));
    }
    let mut datacenters = vec![json!("dc1")];
    datacenters.extend(payloads.iter().map(|p| json!(format!("dc{p}"))));
    json!({"datacenters": datacenters, "services": services, "kv": kv, "self": "n1"})
}

/// The shapes every line the template adds may take: each user-controlled
/// piece only in its exactly matched form.
const LINE_SHAPES: &[&str] = &[
    r"",
    r"    # [A-Za-z0-9 ,.:()=/_*'-]+",
    r"    acl host_[A-Za-z0-9_-]{1,63} var\(txn\.host\) -m str( [a-z0-9._-]+)+",
    r"    use_backend backend_[A-Za-z0-9_-]{1,63} if host_[A-Za-z0-9_-]{1,63}",
    r"    use_backend backend_[A-Za-z0-9_-]{1,63} if \{ path_beg /[A-Za-z0-9._~/-]{0,255}/ \}",
    r"    acl host_panteras var\(txn\.host\) -m str( [a-z0-9._-]+)+",
    r"    use_backend backend_panteras if host_panteras",
    r"backend backend_panteras",
    r"    errorfile 503 /etc/haproxy/errors/panteras\.http",
    r"backend backend_[A-Za-z0-9_-]{1,63}",
    r"    balance roundrobin",
    r"    default-server weight [0-9]{1,3}",
    r"    option httpchk ([A-Za-z0-9._~/?=&%:;,+*@!-]|\\[rnt ]){1,255}( ([A-Za-z0-9._~/?=&%:;,+*@!-]|\\[rnt ]){1,255}){0,2}",
    r"    server [A-Za-z0-9_][A-Za-z0-9._-]{0,62}_[0-9]{1,5}_[0-9]+ [0-9.]{7,15}:[0-9]{1,5} maxconn [0-9]{1,6}( weight [0-9]{1,3})* check",
    r"listen tcp_[A-Za-z0-9_-]{1,63}_[0-9]{1,5}",
    r"    bind :[0-9]{1,5}",
    r"    mode tcp",
    r"    option tcplog",
    r"    server [A-Za-z0-9_][A-Za-z0-9._-]{0,62}_[0-9]{1,5}_[0-9]+ [0-9.]{7,15}:[0-9]{1,5} check",
];

#[test]
fn hostile_tags_names_and_addresses_reach_the_file_only_in_matched_forms() {
    let Some(readers) = Readers::find("hostile_tags_names_and_addresses") else {
        return;
    };
    let scratch = tempfile::tempdir().unwrap();
    let marker = scratch.path().join("marker");
    let catalog = write_catalog(scratch.path(), &hostile_catalog(&marker));
    let host = Host::new();
    let text = rendered(
        &host,
        &["--ip", "10.0.0.9", "--set", "KEEPALIVED_VIP=10.0.0.100"],
        &readers,
        &catalog,
    );
    let base = std::fs::read_to_string(host.generated("haproxy/haproxy.cfg")).unwrap();
    let added = text
        .strip_prefix(base.as_str())
        .expect("the template starts with the base file");
    let shapes: Vec<regex::Regex> = LINE_SHAPES
        .iter()
        .map(|s| regex::Regex::new(&format!("^{s}$")).unwrap())
        .collect();
    for line in added.split('\n') {
        assert!(
            shapes.iter().any(|r| r.is_match(line)),
            "a line of an unexpected shape reached haproxy.cfg: {line:?}"
        );
    }
    for absent in [
        "injected",
        "touch",
        "`",
        "$(",
        "\"",
        "\r",
        "\0",
        "xxxxxxxxxx",
    ] {
        assert!(!added.contains(absent), "{absent:?} reached the file");
    }
    // The valid tags still count: weight, route, the README's httpchk form.
    assert!(added.contains("    server n1_8100_0 10.0.1.1:8100 maxconn 128 weight 5 check"));
    assert!(added.contains("    server n1_8007_0 10.0.1.3:8007 maxconn 128 weight 7 check"));
    assert!(added.contains("if { path_beg /fine/ }"));
    assert!(added.contains(r"    option httpchk GET /check HTTP/1.0\r\nHost:\ www.domain.com"));
    assert!(added.contains("    # a haproxy_httpchk tag was left out"));
    assert_eq!(added.matches("\nbackend backend_panteras\n").count(), 1);
    for (port, _) in panteras::tags::RESERVED_PORTS {
        assert!(
            !added.contains(&format!("bind :{port}\n")),
            "a listener on {port}"
        );
    }
    assert!(added.contains("its port is one HAProxy or the container listens on"));
    for absent in [
        ":0 ",
        ":-1 ",
        ":65536 ",
        ":99999 ",
        "backend_-web",
        "127.0.0.1:",
        "169.254.",
        "0.0.0.0:",
        "255.255.255.255",
        "224.0.0.1",
        "/sick/",
        "tcp_fine_9103",
    ] {
        assert!(!added.contains(absent), "{absent:?} reached the file");
    }
    let servers: Vec<&str> = added
        .lines()
        .filter(|l| l.trim_start().starts_with("server "))
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    let backend_twice = &added[added.find("backend backend_twice\n").unwrap()..];
    let twice: Vec<&str> = backend_twice
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with(' '))
        .filter(|l| l.contains("server "))
        .collect();
    assert_eq!(twice.len(), 4, "{twice:?}");
    let mut names: Vec<&str> = twice
        .iter()
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), 4, "server names repeat: {twice:?}");
    assert!(!servers.is_empty());
    for change in [
        "haproxy-reserved-ports",
        "haproxy-unusable-backends",
        "haproxy-server-names",
        "haproxy-names-left-out",
    ] {
        assert!(
            common::DELIBERATE.iter().any(|(id, _)| *id == change),
            "{change} is not a listed deliberate change"
        );
    }

    // The reload step runs nothing from the file, and HAProxy accepts
    // what it makes.
    let env = container_env(&host);
    reloaded(&text, &env);
    assert!(
        !marker.exists(),
        "the reload shell ran a command from a tag"
    );

    // The keepalived template: only well-formed peer addresses, no command.
    let consul = ConsulDouble::start(&readers, &catalog);
    let keepalived = tools::consul_template(
        &readers,
        &consul,
        &host.generated("keepalived/keepalived.conf.ctmpl"),
        &env,
    );
    for absent in ["touch", "`", "$(", "\r", "\0", "injected"] {
        assert!(
            !keepalived.contains(absent),
            "{absent:?} reached keepalived.conf"
        );
    }
    // The other node is a peer; this node (n1, 10.0.1.1) is not.
    assert!(keepalived.contains("        10.0.0.1\n"), "{keepalived}");
    assert!(!keepalived.contains("10.0.1.1"), "{keepalived}");
}

#[test]
fn httpchk_takes_every_form_the_image_readme_documents() {
    let Some(readers) = Readers::find("httpchk_takes_every_form") else {
        return;
    };
    let forms = [
        ("/status", "/status"),
        ("GET /health", "GET /health"),
        ("HEAD /", "HEAD /"),
        (
            r"GET /check HTTP/1.0\r\nHost:\ www.domain.com",
            r"GET /check HTTP/1.0\r\nHost:\ www.domain.com",
        ),
        ("OPTIONS /ping?x=1&y=%20", "OPTIONS /ping?x=1&y=%20"),
    ];
    let scratch = tempfile::tempdir().unwrap();
    for (tag, written) in forms {
        let catalog = write_catalog(
            scratch.path(),
            &json!({"datacenters": ["dc1"], "services": [
                {"name": "web", "node": "n1", "address": "10.0.1.1", "port": 8080, "tags": ["haproxy", format!("haproxy_httpchk={tag}")]}
            ]}),
        );
        let host = Host::new();
        let text = rendered(&host, &["--ip", "10.0.0.9"], &readers, &catalog);
        let config = reloaded(&text, &container_env(&host));
        assert!(
            config.contains(&format!("\n    option httpchk {written}\n")),
            "{tag}: {config}"
        );
    }
    // A form the shell or HAProxy cannot take is said, not dropped silently.
    let catalog = write_catalog(
        scratch.path(),
        &json!({"datacenters": ["dc1"], "services": [
            {"name": "web", "node": "n1", "address": "10.0.1.1", "port": 8080, "tags": ["haproxy", "haproxy_httpchk=GET /$(id)"]}
        ]}),
    );
    let host = Host::new();
    let text = rendered(&host, &["--ip", "10.0.0.9"], &readers, &catalog);
    assert!(text.contains("    # a haproxy_httpchk tag was left out"));
    assert!(!text.contains("option httpchk"));
}

/// The image's base file, template and environment run on loopback ports:
/// the final configuration its own reload step makes.
fn image_config(
    readers: &Readers,
    consul: &ConsulDouble,
    env: &[(String, String)],
    (http, stats): (u16, u16),
) -> String {
    let dir = tempfile::tempdir().unwrap();
    for name in ["haproxy.cfg", "haproxy.cfg.ctmpl"] {
        std::fs::copy(tools::image_file(name), dir.path().join(name)).unwrap();
    }
    let text = tools::consul_template(readers, consul, &dir.path().join("haproxy.cfg.ctmpl"), env);
    let config = tools::reload_step(&text, env)
        .unwrap_or_else(|log| panic!("the image's own files failed the reload step: {log}"));
    on_ports(&config, (8550, 8551), (http, stats))
}

#[test]
fn real_haproxy_routes_traffic_by_host_path_weight_and_tcp() {
    let Some(readers) = Readers::find("real_haproxy_routes_traffic") else {
        return;
    };
    let web_1 = http_backend("web-1");
    let web_2 = http_backend("web-2");
    let canary = http_backend("web-canary");
    let api = http_backend("api");
    let echo = tcp_backend();
    let tcp_port = common::free_port();
    let scratch = tempfile::tempdir().unwrap();
    let catalog = write_catalog(
        scratch.path(),
        &json!({
            "datacenters": ["dc1", "ams1"],
            "services": [
                {"name": "web", "node": "n1", "address": "127.0.0.1", "port": web_1, "tags": ["haproxy", "haproxy_httpchk=GET /health"]},
                {"name": "web", "node": "n2", "address": "127.0.0.1", "port": web_2, "tags": ["haproxy"]},
                {"name": "web", "node": "n3", "address": "127.0.0.1", "port": canary, "tags": ["haproxy", "haproxy_weight=1"]},
                {"name": "my_api-v2", "node": "n1", "address": "127.0.0.1", "port": api, "tags": ["haproxy", "haproxy_route=/api"]},
                {"name": "my_api-v2", "node": "n2", "address": "127.0.0.1", "port": api, "tags": ["haproxy", "haproxy_route=/v2/"], "status": "critical"},
                {"name": "echo", "node": "n1", "address": "127.0.0.1", "port": echo, "tags": ["haproxy", format!("haproxy_tcp={tcp_port}")]},
                {"name": "down", "node": "n1", "address": "127.0.0.1", "port": web_1, "tags": ["haproxy"], "status": "critical"},
                {"name": "hidden", "node": "n1", "address": "127.0.0.1", "port": web_1, "tags": ["internal"]}
            ],
            "kv": {"haproxy/web/maxconn": "32"}
        }),
    );
    let host = Host::new()
        .env("HOSTNAME", "node-1")
        .env("FQDN", "node-1.example.com");
    // A modest maxconn: the default needs more file descriptors than a
    // test sandbox may allow. Untagged servers at 100 make the canary's
    // weight of 1 about 1% of the traffic.
    // The backends listen on loopback, which HAProxy routes to only on a
    // host whose HOST_IP is loopback itself (a box on one machine).
    let args = [
        "--ip",
        "10.11.12.13",
        "--set",
        "HOST_IP=127.0.0.1",
        "--listen-ip",
        "127.0.0.1",
        "--set",
        "HAPROXY_ADD_DOMAIN=.apps.example.com",
        "--set",
        "HAPROXY_MAXCONN=2000",
        "--set",
        "HAPROXY_DEFAULT_WEIGHT=100",
    ];
    let text = rendered(&host, &args, &readers, &catalog);
    let config = reloaded(&text, &container_env(&host));
    let (http, stats) = (common::free_port(), common::free_port());
    let config = on_ports(&config, (8550, 8551), (http, stats));
    let _haproxy = Running::start(&config, http);

    // Every name form of a service reaches it, whatever the case and port.
    for name in [
        "web.service",
        "web.service.consul",
        "web.service.dc1.consul",
        "web.service.ams1.consul",
        "web.apps.example.com",
        "WEB.Service.Consul:80",
    ] {
        assert!(reached(http, name, "/").starts_with("web-"), "{name}");
    }
    assert_eq!(reached(http, "my_api-v2.service", "/"), "api");

    // Path routes, from any host name; a critical instance's route none
    // (as in the image, tags count from the passing instances).
    assert_eq!(reached(http, "anything.example.com", "/api/users"), "api");
    assert_eq!(reached(http, "10.11.12.13", "/api/x"), "api");
    assert_eq!(reached(http, "anything.example.com", "/v2/x"), "503");
    assert_eq!(reached(http, "anything.example.com", "/apiary"), "503");

    // Weights: the canary gets about 1 in 201 requests, the others the rest.
    let mut hits: HashMap<String, usize> = HashMap::new();
    for _ in 0..402 {
        *hits.entry(reached(http, "web.service", "/")).or_default() += 1;
    }
    let canary_hits = hits.get("web-canary").copied().unwrap_or(0);
    assert!((1..=8).contains(&canary_hits), "{hits:?}");
    assert!(hits["web-1"] > 150 && hits["web-2"] > 150, "{hits:?}");

    // The TCP listener, bound on every address as in the image.
    assert_eq!(tcp_reply(tcp_port, "ping\n"), "echo ping\n");

    // Unknown hosts, services without passing instances and services
    // without the haproxy tag get HAProxy's 503.
    for name in ["unknown.example.com", "down.service", "hidden.service"] {
        assert_eq!(reached(http, name, "/"), "503", "{name}");
    }

    // The host's own names get the image's PanteraS page.
    for name in ["localhost", "127.0.0.1", "node-1", "NODE-1.example.com"] {
        assert_eq!(reached(http, name, "/"), "panteras page", "{name}");
    }

    // The statistics page listens on its own port.
    assert_eq!(get(stats, "localhost", "/").0, 200);
}

#[test]
fn image_template_and_ours_send_every_request_to_the_same_backend() {
    let Some(readers) = Readers::find("image_template_and_ours") else {
        return;
    };
    let a1 = http_backend("a-1");
    let a2 = http_backend("a-2");
    let a3 = http_backend("a-3");
    let b1 = http_backend("b-1");
    let b2 = http_backend("b-2");
    let delta_port = common::free_port();
    let scratch = tempfile::tempdir().unwrap();
    // Node names sort the instances; `b` has its route only on its second
    // instance, which the image's template never reads, and so has `delta`
    // its TCP listener.
    let catalog = write_catalog(
        scratch.path(),
        &json!({
            "datacenters": ["dc1", "ams1"],
            "services": [
                {"name": "alpha", "node": "n1", "address": "127.0.0.1", "port": a1, "tags": ["haproxy", "haproxy_route=/shop"]},
                {"name": "alpha", "node": "n2", "address": "127.0.0.1", "port": a2, "tags": ["haproxy", "haproxy_route=/shop", "haproxy_weight=3"]},
                {"name": "alpha", "node": "n3", "address": "127.0.0.1", "port": a3, "tags": ["haproxy", "haproxy_route=/shop"], "status": "critical"},
                {"name": "beta", "node": "n1", "address": "127.0.0.1", "port": b1, "tags": ["haproxy"]},
                {"name": "beta", "node": "n2", "address": "127.0.0.1", "port": b2, "tags": ["haproxy", "haproxy_route=/blog"]},
                {"name": "gamma", "node": "n1", "address": "127.0.0.1", "port": b1, "tags": ["haproxy"], "status": "critical"},
                {"name": "delta", "node": "n1", "address": "127.0.0.1", "port": b1, "tags": ["haproxy"]},
                {"name": "delta", "node": "n2", "address": "127.0.0.1", "port": b2, "tags": ["haproxy", format!("haproxy_tcp={delta_port}")]}
            ]
        }),
    );
    let host = Host::new()
        .env("HOSTNAME", "node-1")
        .env("FQDN", "node-1.example.com");
    host.compose(&[
        "--ip",
        "127.0.0.1",
        "--set",
        "HAPROXY_ADD_DOMAIN=.apps.example.com",
        "--set",
        "HAPROXY_MAXCONN=2000",
    ]);
    let env = container_env(&host);
    let consul = ConsulDouble::start(&readers, &catalog);
    let ours_text = tools::consul_template(
        &readers,
        &consul,
        &host.generated("haproxy/haproxy.cfg.ctmpl"),
        &env,
    );
    let ours = reloaded(&ours_text, &env);
    let ours_ports = (common::free_port(), common::free_port());
    let image_ports = (common::free_port(), common::free_port());
    let _ours = Running::start(&on_ports(&ours, (8550, 8551), ours_ports), ours_ports.0);
    let image = image_config(&readers, &consul, &env, image_ports);
    let _image = Running::start(&image, image_ports.0);
    // A TCP listener tagged on a later instance: ours has it, the image's
    // lost it (common::DELIBERATE, haproxy-tcp-union).
    let listener = format!("bind :{delta_port}\n");
    assert!(ours.contains(&listener), "{ours}");
    assert!(!image.contains(&listener), "{image}");
    assert!(TcpStream::connect(("127.0.0.1", delta_port)).is_ok());
    assert!(
        common::DELIBERATE
            .iter()
            .any(|(id, _)| *id == "haproxy-tcp-union")
    );

    // (host, path, deliberate change or "" when both must agree)
    let requests = [
        ("alpha.service", "/", ""),
        ("ALPHA.service.consul", "/", ""),
        ("alpha.service.dc1.consul", "/x", ""),
        ("alpha.service.ams1.consul", "/", ""),
        ("alpha.apps.example.com", "/", ""),
        ("beta.service", "/", ""),
        ("unknown.example.com", "/shop/cart", ""),
        ("unknown.example.com", "/shopping", ""),
        ("unknown.example.com", "/", ""),
        ("gamma.service", "/", ""),
        ("localhost", "/", ""),
        ("127.0.0.1", "/", ""),
        ("node-1", "/", ""),
        ("node-1.example.com", "/", ""),
        ("alpha.service:80", "/", "haproxy-host-port-case"),
        ("unknown.example.com", "/blog/post", "haproxy-route-union"),
        ("beta.service", "/shop/cart", "haproxy-host-before-route"),
    ];
    let mut differences = BTreeMap::new();
    for (host_name, path, change) in requests {
        // Distribution over the round robin: the same backends, the same
        // number of times each.
        let spread = |port: u16| {
            let mut hits: BTreeMap<String, usize> = BTreeMap::new();
            for _ in 0..10 {
                *hits.entry(reached(port, host_name, path)).or_default() += 1;
            }
            hits
        };
        let (mine, theirs) = (spread(ours_ports.0), spread(image_ports.0));
        if change.is_empty() {
            assert_eq!(mine, theirs, "{host_name}{path}");
        } else {
            assert_ne!(
                mine, theirs,
                "{host_name}{path}: {change} made no difference"
            );
            assert!(
                common::DELIBERATE.iter().any(|(id, _)| *id == change),
                "{change} is not a listed deliberate change"
            );
            differences.insert(change, (mine, theirs));
        }
    }
    let shown: Vec<&str> = differences.keys().copied().collect();
    assert_eq!(
        shown,
        [
            "haproxy-host-before-route",
            "haproxy-host-port-case",
            "haproxy-route-union"
        ],
        "each routing difference is shown by a request"
    );
}

/// The sections of a configuration in order, each with its directives
/// (comments and blank lines left out).
fn sections(config: &str) -> Vec<(String, Vec<String>)> {
    let mut found: Vec<(String, Vec<String>)> = Vec::new();
    for line in config.lines() {
        let text = line.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, directives)) = found.last_mut() {
                directives.push(text.split_whitespace().collect::<Vec<_>>().join(" "));
            }
        } else {
            found.push((text.to_string(), Vec::new()));
        }
    }
    found
}

/// Where our base file may differ from the image's: the deliberate change,
/// the section, and how the directive that only one side has begins.
const BASE_ALLOWED: &[(&str, &str, &str)] = &[
    ("haproxy-maxconn-stats-auth", "global", "maxconn "),
    ("haproxy-maxconn-stats-auth", "listen stats", "stats auth "),
    (
        "haproxy-host-port-case",
        "frontend http-in",
        "http-request set-var(txn.host) ",
    ),
];

/// Compares the base files after the image's reload step; returns the
/// allowed changes seen.
fn compare_base(ours: &str, image: &str, failures: &mut Vec<String>) -> Vec<&'static str> {
    let (ours, image) = (sections(ours), sections(image));
    let names = |s: &[(String, Vec<String>)]| s.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&ours), names(&image), "sections");
    let mut seen = Vec::new();
    for ((section, mine), (_, theirs)) in ours.iter().zip(&image) {
        let allowed = |directive: &String| {
            BASE_ALLOWED
                .iter()
                .find(|(_, s, start)| s == section && directive.starts_with(start))
                .map(|(id, ..)| *id)
        };
        for directive in mine
            .iter()
            .filter(|d| !theirs.contains(d))
            .chain(theirs.iter().filter(|d| !mine.contains(d)))
        {
            match allowed(directive) {
                Some(id) => seen.push(id),
                None => failures.push(format!("{section}: `{directive}` is on one side only")),
            }
        }
        let kept = |list: &Vec<String>| {
            list.iter()
                .filter(|d| allowed(d).is_none())
                .cloned()
                .collect::<Vec<_>>()
        };
        if kept(mine) != kept(theirs) {
            failures.push(format!("{section}: directives in another order"));
        }
    }
    seen
}

#[test]
fn the_base_file_keeps_every_directive_of_the_images_after_the_reload_step() {
    let test = "the_base_file_keeps_every_directive_of_the_images";
    if Readers::find(test).is_none() || !common::have("openssl", test) {
        return;
    }
    let image = std::fs::read_to_string(tools::image_file("haproxy.cfg")).unwrap();
    let mut failures = Vec::new();
    let mut seen = Vec::new();

    // The values that change our file.
    let host = Host::new();
    host.compose(&[
        "--ip",
        "10.0.0.5",
        "--listen-ip",
        "10.0.0.5",
        "--set",
        "HAPROXY_MAXCONN=4096",
        "--set",
        "HAPROXY_STATS_AUTH=admin:s3cret",
    ]);
    let env = container_env(&host);
    let ours = std::fs::read_to_string(host.generated("haproxy/haproxy.cfg")).unwrap();
    let ours = reloaded(&ours, &env);
    let theirs = tools::reload_step(&image, &env).unwrap();
    seen.extend(compare_base(&ours, &theirs, &mut failures));

    // HAPROXY_CERT_OPTS without HAPROXY_SSL: appended to the bind line,
    // as the image does.
    let certificates = tempfile::tempdir().unwrap();
    let pem = self_signed_certificate(certificates.path());
    let opts = format!("ssl crt {}", pem.display());
    let host = Host::new();
    host.compose(&[
        "--ip",
        "10.0.0.5",
        "--set",
        &format!("HAPROXY_CERT_OPTS={opts}"),
    ]);
    let env = container_env(&host);
    assert_eq!(common::env_value(&env, "HAPROXY_SSL"), "false");
    let ours = std::fs::read_to_string(host.generated("haproxy/haproxy.cfg")).unwrap();
    let ours = reloaded(&ours, &env);
    let theirs = tools::reload_step(&image, &env).unwrap();
    assert!(
        ours.contains(&format!("bind 0.0.0.0:8550 {opts}\n")),
        "{ours}"
    );
    seen.extend(compare_base(&ours, &theirs, &mut failures));

    assert!(failures.is_empty(), "{}", failures.join("\n"));
    for (id, section, _) in BASE_ALLOWED {
        assert!(seen.contains(id), "{id} ({section}) is never seen");
        assert!(
            common::DELIBERATE.iter().any(|(listed, _)| listed == id),
            "{id} is not a listed deliberate change"
        );
    }
}
