//! The HAProxy files: the consul-template template rendered offline by
//! ctmpl-render (Go's template engine with consul-template's functions),
//! passed through the image's reload shell, then checked by `haproxy -c`
//! and by a real HAProxy carrying traffic on loopback.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::Host;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The tools this file needs, or None (outside CI) to skip.
fn tools(test: &str) -> Option<PathBuf> {
    let ok = common::have("haproxy", test) & common::have("bash", test);
    let render = common::ctmpl_render(test)?;
    ok.then_some(render)
}

/// Generates, renders the template with `catalog`, applies the reload
/// substitution and returns the final configuration text.
fn final_config(
    host: &Host,
    args: &[&str],
    render: &Path,
    catalog: &Path,
    ports: (u16, u16),
) -> String {
    host.compose(args);
    let rendered = common::render_ctmpl(
        render,
        &host.generated("haproxy/haproxy.cfg.ctmpl"),
        catalog,
    );
    let expected = rendered
        .replace("${PORT_HTTP}", &ports.0.to_string())
        .replace("${PORT_STATS}", &ports.1.to_string());
    let reloaded = common::reload_substitution(&rendered, ports.0, ports.1);
    // The shell filled the two placeholders and changed nothing else.
    assert_eq!(reloaded, expected);
    assert!(!reloaded.contains(['$', '"', '`']), "{reloaded}");
    reloaded
}

fn self_signed_certificate(dir: &Path) -> PathBuf {
    let key = dir.join("key.pem");
    let cert = dir.join("cert.pem");
    let out = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=panteras-test",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pem = dir.join("haproxy.pem");
    let both = std::fs::read_to_string(&cert).unwrap() + &std::fs::read_to_string(&key).unwrap();
    std::fs::write(&pem, both).unwrap();
    pem
}

#[test]
fn haproxy_check_accepts_every_fixture_for_every_option() {
    let test = "haproxy_check_accepts_every_fixture_for_every_option";
    let Some(render) = tools(test) else { return };
    if !common::have("openssl", test) {
        return;
    }
    let certs = tempfile::tempdir().unwrap();
    let pem = self_signed_certificate(certs.path());
    let cert_opts = format!("HAPROXY_CERT_OPTS=ssl crt {}", pem.display());
    let options: Vec<Vec<String>> = vec![
        vec![],
        vec![
            "--role".into(),
            "slave".into(),
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
        vec![
            "--set".into(),
            "CONSUL_DOMAIN=Example.Internal".into(),
            "--set".into(),
            "KEEPALIVED_VIP=10.0.0.100".into(),
        ],
    ];
    for args in &options {
        for catalog in [
            "catalog-cluster.json",
            "catalog-empty.json",
            "catalog-hostile.json",
        ] {
            let host = Host::new();
            let mut all = vec!["--ip", "10.0.0.9"];
            all.extend(args.iter().map(String::as_str));
            let config = final_config(&host, &all, &render, &fixture(catalog), (8550, 8551));
            let dir = tempfile::tempdir().unwrap();
            common::haproxy_check(&common::haproxy_file(dir.path(), &config));
            // The base file alone, as the image starts HAProxy before the
            // first render, is valid too.
            let base = std::fs::read_to_string(host.generated("haproxy/haproxy.cfg")).unwrap();
            let base = common::reload_substitution(&base, 8660, 8661);
            common::haproxy_check(&common::haproxy_file(dir.path(), &base));
        }
    }
}

#[test]
fn ctmpl_render_of_the_cluster_fixture() {
    let Some(render) = tools("ctmpl_render_of_the_cluster_fixture") else {
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
        "HAPROXY_ADD_DOMAIN=.apps.example.com",
    ];
    let config = final_config(
        &host,
        &args,
        &render,
        &fixture("catalog-cluster.json"),
        (8550, 8551),
    );
    let frontend = &config[config.find("frontend http-in").unwrap()..];
    insta::assert_snapshot!(frontend);
}

#[test]
fn ctmpl_render_leaves_out_what_haproxy_or_the_shell_could_not_take() {
    let Some(render) = tools("ctmpl_render_leaves_out") else {
        return;
    };
    let host = Host::new();
    let config = final_config(
        &host,
        &["--ip", "10.0.0.9"],
        &render,
        &fixture("catalog-hostile.json"),
        (8550, 8551),
    );
    let frontend = &config[config.find("frontend http-in").unwrap()..];
    insta::assert_snapshot!(frontend);
    assert!(config.contains("backend backend_fine"));
    assert!(config.contains("server 10.0.1.3:8007 10.0.1.3:8007 maxconn 128 weight 100 check"));
    assert_eq!(
        config
            .lines()
            .filter(|l| *l == "backend backend_panteras")
            .count(),
        1
    );
    for absent in [
        "bad",
        "dollar",
        "spaced",
        "1.2.3.4",
        "unresolvable",
        "300.1.2.3",
        "reboot",
        "DELETE",
        "9999999",
        "weight 999",
    ] {
        assert!(!config.contains(absent), "{absent} reached the file");
    }
}

/// A tiny HTTP server on loopback that answers every request with `name`.
fn http_backend(name: &'static str) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream);
                let mut line = String::new();
                while reader.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                    if line == "\r\n" {
                        break;
                    }
                    line.clear();
                }
                let body = format!("{name}\n");
                let reply = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let mut stream = reader.into_inner();
                let _ = stream.write_all(reply.as_bytes());
            });
        }
    });
    port
}

/// A TCP backend on loopback that echoes one line with a prefix.
fn tcp_backend() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream);
                let mut line = String::new();
                if reader.read_line(&mut line).is_ok() && !line.is_empty() {
                    let _ = reader
                        .into_inner()
                        .write_all(format!("echo {line}").as_bytes());
                }
            });
        }
    });
    port
}

/// One HTTP/1.1 request through HAProxy: (status, body).
fn get(port: u16, host: &str, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream.set_nodelay(true).unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// Stops HAProxy however the test ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn real_haproxy_routes_traffic_by_host_path_weight_and_tcp() {
    let Some(render) = tools("real_haproxy_routes_traffic") else {
        return;
    };
    let web_1 = http_backend("web-1");
    let web_2 = http_backend("web-2");
    let canary = http_backend("web-canary");
    let api = http_backend("api");
    let echo = tcp_backend();
    let tcp_port = common::free_port();
    let catalog = serde_json::json!({
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
    });
    let dir = tempfile::tempdir().unwrap();
    let catalog_path = dir.path().join("catalog.json");
    std::fs::write(&catalog_path, catalog.to_string()).unwrap();

    let host = Host::new()
        .env("HOSTNAME", "node-1")
        .env("FQDN", "node-1.example.com");
    // A modest maxconn: the default needs more file descriptors than a test sandbox may allow.
    let args = [
        "--ip",
        "10.11.12.13",
        "--listen-ip",
        "127.0.0.1",
        "--set",
        "HAPROXY_ADD_DOMAIN=.apps.example.com",
        "--set",
        "HAPROXY_MAXCONN=2000",
    ];
    let (http, stats) = (common::free_port(), common::free_port());
    let config = final_config(&host, &args, &render, &catalog_path, (http, stats));
    let path = common::haproxy_file(dir.path(), &config);
    common::haproxy_check(&path);
    let child = Command::new("haproxy")
        .arg("-db")
        .arg("-f")
        .arg(&path)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut haproxy = Running(child);
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", http)).is_err() {
        if started.elapsed() > Duration::from_secs(10) || haproxy.0.try_wait().unwrap().is_some() {
            let _ = haproxy.0.kill();
            let mut stderr = String::new();
            let _ = haproxy.0.stderr.take().unwrap().read_to_string(&mut stderr);
            panic!("HAProxy did not start:\n{stderr}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }

    // Every name form of a service reaches it, whatever the case and port.
    for name in [
        "web.service",
        "web.service.consul",
        "web.service.dc1.consul",
        "web.service.ams1.consul",
        "web.apps.example.com",
        "WEB.Service.Consul:80",
    ] {
        let (status, body) = get(http, name, "/");
        assert_eq!(status, 200, "{name}");
        assert!(body.starts_with("web-"), "{name}: {body}");
    }
    assert_eq!(get(http, "my_api-v2.service", "/").1, "api\n");

    // Path routes, from any host name, also from a critical instance's tag.
    assert_eq!(get(http, "anything.example.com", "/api/users").1, "api\n");
    assert_eq!(get(http, "10.11.12.13", "/v2/x").1, "api\n");
    assert_eq!(get(http, "anything.example.com", "/apiary").0, 503);

    // Weights: the canary gets about 1 in 201 requests, the others the rest.
    let mut hits: HashMap<String, usize> = HashMap::new();
    for _ in 0..402 {
        *hits.entry(get(http, "web.service", "/").1).or_default() += 1;
    }
    let canary_hits = hits.get("web-canary\n").copied().unwrap_or(0);
    assert!((1..=8).contains(&canary_hits), "{hits:?}");
    assert!(hits["web-1\n"] > 150 && hits["web-2\n"] > 150, "{hits:?}");

    // The TCP listener forwards to the service.
    let mut stream = TcpStream::connect(("127.0.0.1", tcp_port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream.write_all(b"ping\n").unwrap();
    stream.shutdown(Shutdown::Write).unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    assert_eq!(reply, "echo ping\n");

    // Unknown hosts, services without passing instances and services
    // without the haproxy tag get HAProxy's 503.
    for name in ["unknown.example.com", "down.service", "hidden.service"] {
        let (status, body) = get(http, name, "/");
        assert_eq!(status, 503, "{name}");
        assert!(!body.contains("PanteraS"), "{name}");
    }

    // The host's own names get the PanteraS page.
    for name in [
        "localhost",
        "127.0.0.1",
        "node-1",
        "NODE-1.example.com",
        "10.11.12.13",
    ] {
        let (status, body) = get(http, name, "/");
        assert_eq!(
            (status, body.as_str()),
            (200, "this is a PanteraS host\n"),
            "{name}"
        );
    }

    // The statistics page listens on its own port.
    assert_eq!(get(stats, "localhost", "/").0, 200);
}
