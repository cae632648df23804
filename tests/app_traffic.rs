//! From plan to traffic: the SERVICE_NAME and SERVICE_TAGS that
//! `panteras app render` gives an app, registered as Registrator registers
//! them (two instances each) in the Consul API double, rendered by our
//! template with ctmpl-render (consul-template 0.18.2), passed through the
//! reload step and served by Debian's HAProxy on loopback.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use common::Host;
use common::tools::{self, ConsulDouble, Readers};
use common::traffic::{Running, http_backend, on_ports, reached, tcp_backend, tcp_reply};
use serde_json::{Value, json};

/// `panteras app render PLAN --set ...` in `dir`: the app's JSON.
fn render(dir: &Path, plan: &str, set: &[String]) -> Value {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_panteras"));
    cmd.env_clear()
        .current_dir(dir)
        .args(["app", "render", plan]);
    for item in set {
        cmd.args(["--set", item]);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The Consul services Registrator makes of an app's tasks, one per
/// backend port: the name and tags of its env, split at commas.
fn registered(app: &Value, ports: &[u16]) -> Vec<Value> {
    let name = app["env"]["SERVICE_NAME"].as_str().unwrap();
    let tags: Vec<&str> = app["env"]["SERVICE_TAGS"]
        .as_str()
        .unwrap()
        .split(',')
        .collect();
    ports
        .iter()
        .enumerate()
        .map(|(i, port)| {
            json!({"name": name, "node": format!("slave-{i}"), "address": "127.0.0.1", "port": port, "tags": tags})
        })
        .collect()
}

#[test]
fn a_plans_tags_route_its_name_routes_weights_and_tcp_port_through_haproxy() {
    let Some(readers) = Readers::find("a_plans_tags_route") else {
        return;
    };
    let plans = tempfile::tempdir().unwrap();
    let common = "cmd: serve
cpus: 0.1
mem: 32
container: {type: DOCKER, docker: {image: shop/web, network: BRIDGE, portMappings: [{containerPort: 8080, hostPort: 0}]}}
healthChecks: [{protocol: MESOS_HTTP, path: /, portIndex: 0}]
";
    let files = [
        (
            "stable.yml",
            "id: web-stable\ninstances: 2\nservice: {name: web, weight: 3, routes: [/shop], check: GET /}\n",
        ),
        (
            "canary.yml",
            "id: web-canary\ninstances: 2\nservice: {name: web, weight: 1, routes: [/shop], check: GET /}\n",
        ),
        (
            "echo.yml",
            "id: echo\ninstances: 2\nservice: {name: echo, tcp: '%%ECHO_PORT%%'}\n",
        ),
    ];
    for (name, text) in files {
        std::fs::write(plans.path().join(name), format!("{text}{common}")).unwrap();
    }
    let tcp_port = common::free_port();
    let set = [format!("ECHO_PORT={tcp_port}")];
    let stable = render(plans.path(), "stable.yml", &set);
    let canary = render(plans.path(), "canary.yml", &set);
    let echo = render(plans.path(), "echo.yml", &set);
    assert_eq!(
        echo["env"]["SERVICE_TAGS"],
        format!("haproxy,haproxy_tcp={tcp_port}")
    );

    let mut services = Vec::new();
    services.extend(registered(
        &stable,
        &[http_backend("stable-1"), http_backend("stable-2")],
    ));
    services.extend(registered(
        &canary,
        &[http_backend("canary-1"), http_backend("canary-2")],
    ));
    services.extend(registered(&echo, &[tcp_backend(), tcp_backend()]));
    let scratch = tempfile::tempdir().unwrap();
    let catalog = scratch.path().join("catalog.json");
    std::fs::write(
        &catalog,
        json!({"datacenters": ["dc1"], "services": services}).to_string(),
    )
    .unwrap();

    // A box whose HOST_IP is loopback, where the backends listen.
    let host = Host::new().env("HOSTNAME", "node-1");
    host.compose(&[
        "--ip",
        "10.11.12.13",
        "--set",
        "HOST_IP=127.0.0.1",
        "--listen-ip",
        "127.0.0.1",
        "--set",
        "HAPROXY_MAXCONN=2000",
    ]);
    let env = common::environment(&host.path().join("docker-compose.yml"));
    let consul = ConsulDouble::start(&readers, &catalog);
    let text = tools::consul_template(
        &readers,
        &consul,
        &host.generated("haproxy/haproxy.cfg.ctmpl"),
        &env,
    );
    let config = tools::reload_step(&text, &env).unwrap_or_else(|log| panic!("{log}\n{text}"));
    let (http, stats) = (common::free_port(), common::free_port());
    let config = on_ports(&config, (8550, 8551), (http, stats));
    let _haproxy = Running::start(&config, http);

    // The app's name, and its route from any host name, reach its four
    // instances, in the proportion of the weights: 3 to each stable
    // instance for 1 to each canary.
    for (host_name, path) in [
        ("web.service.consul", "/"),
        ("anything.example.com", "/shop/cart"),
    ] {
        let mut hits: HashMap<String, usize> = HashMap::new();
        for _ in 0..80 {
            *hits.entry(reached(http, host_name, path)).or_default() += 1;
        }
        for (backend, expected) in [
            ("stable-1", 30),
            ("stable-2", 30),
            ("canary-1", 10),
            ("canary-2", 10),
        ] {
            let got = hits.get(backend).copied().unwrap_or(0);
            assert!(got.abs_diff(expected) <= 2, "{host_name}{path}: {hits:?}");
        }
    }
    // Only the route goes there from another host name.
    assert_eq!(reached(http, "anything.example.com", "/other"), "503");

    // The TCP port of the plan's macro reaches an instance.
    assert_eq!(tcp_reply(tcp_port, "ping\n"), "echo ping\n");
}

/// Each tag form: whether `app check` refuses it, and whether the
/// template (ctmpl-render) leaves it out of haproxy.cfg.
#[test]
fn check_refuses_exactly_the_tags_the_template_leaves_out() {
    let Some(readers) = Readers::find("check_refuses_exactly_the_tags") else {
        return;
    };
    let tags = [
        "haproxy_route=/api",
        "haproxy_route=/api v2",
        "haproxy_route=api",
        "haproxy_route=/",
        "haproxy_weight=256",
        "haproxy_weight=257",
        "haproxy_weight=-1",
        "haproxy_httpchk=GET /health",
        "haproxy_httpchk=GET /$(reboot)",
        "haproxy_httpchk=HEAD / HTTP/1.0\\r\\nHost:\\ www",
        "haproxy_tcp=7000",
        "haproxy_tcp=70000",
        "haproxy_tcp=8500",
        "haproxy_tcp=80",
    ];
    let dir = tempfile::tempdir().unwrap();
    let mut services = Vec::new();
    for (i, tag) in tags.iter().enumerate() {
        let name = format!("app{i}");
        let plan = json!({
            "id": name, "cmd": "serve",
            "env": {"SERVICE_NAME": name, "SERVICE_TAGS": format!("haproxy,{tag}")},
            "healthChecks": [{"protocol": "COMMAND", "command": {"value": "true"}}]
        });
        std::fs::write(dir.path().join(format!("{name}.json")), plan.to_string()).unwrap();
        services.push(json!({"name": name, "node": "n1", "address": "10.0.0.5", "port": 9000 + i, "tags": ["haproxy", tag]}));
    }
    let catalog = dir.path().join("catalog.json");
    std::fs::write(
        &catalog,
        json!({"datacenters": ["dc1"], "services": services}).to_string(),
    )
    .unwrap();
    let host = Host::new();
    host.compose(&["--ip", "10.0.0.9"]);
    let env = common::environment(&host.path().join("docker-compose.yml"));
    let consul = ConsulDouble::start(&readers, &catalog);
    let config = tools::consul_template(
        &readers,
        &consul,
        &host.generated("haproxy/haproxy.cfg.ctmpl"),
        &env,
    );

    for (i, tag) in tags.iter().enumerate() {
        let out = Command::new(env!("CARGO_BIN_EXE_panteras"))
            .current_dir(dir.path())
            .args(["app", "check", &format!("app{i}.json")])
            .output()
            .unwrap();
        let refused = !out.status.success();
        let value = tag.split_once('=').unwrap().1;
        let used = match tag.split_once('=').unwrap().0 {
            "haproxy_route" => {
                config.contains(&format!("path_beg {}/ }}", value.trim_end_matches('/')))
            }
            "haproxy_weight" => config.contains(&format!(" weight {value} check")),
            "haproxy_httpchk" => config.contains(&format!("option httpchk {value}\n")),
            _ => config.contains(&format!("    bind :{value}\n")),
        };
        assert_eq!(
            refused,
            !used,
            "{tag}: check refused it: {refused}, the template used it: {used}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
