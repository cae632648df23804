//! What Registrator registers in Consul for an app, as our HAProxy
//! template reads it: the service's name and tags, from `SERVICE_NAME` and
//! `SERVICE_TAGS`, and per port from `SERVICE_<port>_NAME` and
//! `SERVICE_<port>_TAGS`, each tag checked by the template's rules
//! ([`crate::tags`]). An app with more than one port is registered once per
//! port, as `NAME-PORT` unless that port is given a name of its own.

use regex::Regex;
use serde_json::Value;

use super::Findings;
use super::plan::{Plan, Spot};
use crate::tags;

/// The tags the template reads, by the part before `=`.
const TEMPLATE_TAGS: &[&str] = &[
    "haproxy",
    "haproxy_route",
    "haproxy_weight",
    "haproxy_httpchk",
    "haproxy_tcp",
];

/// What Registrator registers for an app, as the template reads it.
#[derive(Default)]
pub struct Registration {
    pub name: Option<String>,
    /// Whether the template routes it (the `haproxy` tag).
    pub routed: bool,
    pub routes: Vec<String>,
    pub weights: Vec<u16>,
    pub tcp: Vec<u16>,
    /// Where the tags were written.
    pub spot: Option<Spot>,
    pub field: String,
}

fn patterns() -> &'static [Regex; 5] {
    static PATTERNS: std::sync::OnceLock<[Regex; 5]> = std::sync::OnceLock::new();
    PATTERNS.get_or_init(|| {
        [
            tags::NAME,
            tags::ROUTE,
            tags::WEIGHT,
            tags::HTTPCHK,
            &tags::tcp(),
        ]
        .map(|p| Regex::new(p).expect("the tag patterns compile"))
    })
}

/// The app's name and tags, each tag checked by the template's rules; and
/// those of each port given its own.
pub fn registration(plan: &Plan, findings: &mut Findings) -> Registration {
    let mut reg = registration_of(plan, "SERVICE_TAGS", "SERVICE_NAME", findings);
    for (port, keys) in port_keys(plan) {
        let shown_key = keys
            .name
            .clone()
            .or_else(|| keys.tags.clone())
            .unwrap_or_default();
        let name_key = keys.name.unwrap_or_else(|| "SERVICE_NAME".to_string());
        if let Some(tags_key) = keys.tags {
            let own = registration_of(plan, &tags_key, &name_key, findings);
            reg.tcp.extend(own.tcp);
        } else if name_key != "SERVICE_NAME" && reg.routed {
            check_name(plan, &name_key, findings);
        }
        let published = published_ports(plan);
        if !published.is_empty() && !published.contains(&port) {
            findings.warning(
                plan.spot(&format!("/env/{shown_key}")),
                &format!("env.{shown_key}"),
                format!(
                    "{port} is not a container port of the app ({}): Registrator reads SERVICE_{port}_* only for that port",
                    published.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
                ),
                "write the containerPort of the port mapping it is for",
            );
        }
    }
    multi_port_names(plan, findings);
    reg
}

/// The `SERVICE_<port>_NAME` and `_TAGS` keys of the app's env, by port.
#[derive(Default)]
struct PortKeys {
    name: Option<String>,
    tags: Option<String>,
}

fn port_keys(plan: &Plan) -> std::collections::BTreeMap<u64, PortKeys> {
    let mut out: std::collections::BTreeMap<u64, PortKeys> = Default::default();
    let Some(env) = plan.app.get("env").and_then(Value::as_object) else {
        return out;
    };
    for key in env.keys() {
        let Some(rest) = key.strip_prefix("SERVICE_") else {
            continue;
        };
        let Some((port, what)) = rest.split_once('_') else {
            continue;
        };
        let Ok(port) = port.parse::<u64>() else {
            continue;
        };
        let entry = out.entry(port).or_default();
        match what {
            "NAME" => entry.name = Some(key.clone()),
            "TAGS" => entry.tags = Some(key.clone()),
            _ => {}
        }
    }
    out
}

/// The ports Registrator names services by: the container ports of the
/// port mappings (BRIDGE or USER), else the fixed port definitions.
fn published_ports(plan: &Plan) -> Vec<u64> {
    let app = &plan.app;
    let network = app
        .pointer("/container/docker/network")
        .and_then(Value::as_str);
    let mappings = app
        .pointer("/container/docker/portMappings")
        .and_then(Value::as_array);
    let ports: Vec<u64> = match (network, mappings) {
        (Some("BRIDGE" | "USER"), Some(mappings)) => mappings
            .iter()
            .filter_map(|m| m.get("containerPort").and_then(Value::as_u64))
            .collect(),
        _ => app
            .get("portDefinitions")
            .and_then(Value::as_array)
            .map(|d| {
                d.iter()
                    .filter_map(|d| d.get("port").and_then(Value::as_u64))
                    .collect()
            })
            .unwrap_or_default(),
    };
    ports.into_iter().filter(|p| *p != 0).collect()
}

/// An app of several ports with one `SERVICE_NAME`: Registrator registers
/// `NAME-PORT` for each port not named on its own, which the routes and
/// the name the app is reached by must use.
fn multi_port_names(plan: &Plan, findings: &mut Findings) {
    let env = plan.app.get("env").and_then(Value::as_object);
    let Some(name) = env
        .and_then(|e| e.get("SERVICE_NAME"))
        .and_then(Value::as_str)
    else {
        return;
    };
    let published = published_ports(plan);
    if published.len() < 2 {
        return;
    }
    let keys = port_keys(plan);
    let names: Vec<String> = published
        .iter()
        .map(|port| {
            let own = keys
                .get(port)
                .and_then(|k| k.name.as_ref())
                .and_then(|k| env.and_then(|e| e.get(k)).and_then(Value::as_str));
            match own {
                Some(own) => format!("{port}: {own}"),
                None => format!("{port}: {name}-{port}"),
            }
        })
        .collect();
    if names.iter().any(|n| {
        n.ends_with(&format!(
            "{name}-{}",
            n.split(':').next().unwrap_or_default()
        ))
    }) {
        findings.warning(
            plan.spot("/env/SERVICE_NAME"),
            if plan.service_block { "service.name" } else { "env.SERVICE_NAME" },
            format!(
                "the app has {} ports, so Registrator registers one service per port, not {name}: {}",
                published.len(),
                names.join(", ")
            ),
            "name each port: SERVICE_<port>_NAME (and SERVICE_<port>_TAGS for its own tags)",
        );
    }
}

/// The name in `name_key`, as the template takes a service's name.
fn check_name(plan: &Plan, name_key: &str, findings: &mut Findings) -> Option<String> {
    let [name_form, ..] = patterns();
    let env = plan.app.get("env").and_then(Value::as_object);
    let name = env.and_then(|e| e.get(name_key)).and_then(Value::as_str);
    let pointer = format!("/env/{name_key}");
    let field = if plan.service_block && name_key == "SERVICE_NAME" {
        "service.name".to_string()
    } else {
        format!("env.{name_key}")
    };
    match name {
        Some("panteras") => findings.error(
            plan.spot(&pointer),
            &field,
            "panteras is the container's own service; the template never routes it".into(),
            "choose another name",
        ),
        Some(name) if !name_form.is_match(name) => findings.error(
            plan.spot(&pointer),
            &field,
            format!("{name:?}: the template leaves a service of this name out"),
            "letters, digits, _ and -, at most 63, not starting with -",
        ),
        Some(name) => return Some(name.to_string()),
        None => findings.warning(
            plan.spot("/env"),
            "env",
            format!(
                "tagged haproxy but no SERVICE_NAME: Registrator names the service after the image{}",
                image_name(plan).map(|n| format!(" ({n:?})")).unwrap_or_default()
            ),
            "set service.name (or env SERVICE_NAME): the name the app is reached by",
        ),
    }
    None
}

/// The name and tags of `tags_key` and `name_key`.
fn registration_of(
    plan: &Plan,
    tags_key: &str,
    name_key: &str,
    findings: &mut Findings,
) -> Registration {
    let [_, route, weight, httpchk, tcp] = patterns();
    let mut reg = Registration::default();
    let env = plan.app.get("env").and_then(Value::as_object);
    let text = |key: &str| env.and_then(|e| e.get(key)).and_then(Value::as_str);
    let Some(tag_text) = text(tags_key) else {
        return reg;
    };
    let spot = plan.spot(&format!("/env/{tags_key}"));
    let field = if plan.service_block && tags_key == "SERVICE_TAGS" {
        "service".to_string()
    } else {
        format!("env.{tags_key}")
    };
    let mut checks = 0;
    let mut routing = Vec::new();
    for tag in tag_text.split(',').filter(|t| !t.is_empty()) {
        let key = tag.split_once('=').map_or(tag, |(k, _)| k);
        if tag != tag.trim() {
            findings.warning(
                spot.clone(),
                &field,
                format!("the tag {tag:?} has spaces around it; Registrator keeps them, and the template then ignores the tag"),
                "write tags separated by commas only: haproxy,haproxy_route=/x",
            );
            continue;
        }
        let refused = |what: &str, fix: &str, findings: &mut Findings| {
            findings.error(
                spot.clone(),
                &field,
                format!("{tag}: the template leaves this tag out: {what}"),
                fix,
            );
        };
        match key {
            "haproxy" if tag == "haproxy" => reg.routed = true,
            "haproxy_route" => {
                if route.is_match(tag) {
                    reg.routes.push(
                        tag["haproxy_route=".len()..]
                            .trim_end_matches('/')
                            .to_string(),
                    );
                    routing.push(tag);
                } else {
                    refused(
                        "not a path HAProxy and the reload script take",
                        "write haproxy_route=/path: letters, digits and . _ ~ - / after the first /",
                        findings,
                    );
                }
            }
            "haproxy_weight" => match weight.is_match(tag) {
                true => {
                    reg.weights
                        .push(tag["haproxy_weight=".len()..].parse().unwrap_or(0));
                    routing.push(tag);
                }
                false => refused(
                    "not a weight from 0 to 256",
                    "write haproxy_weight=N, N from 0 to 256",
                    findings,
                ),
            },
            "haproxy_httpchk" => match httpchk.is_match(tag) {
                true => {
                    checks += 1;
                    routing.push(tag);
                }
                false => refused(
                    "not a health-check request HAProxy 1.6 and the reload script take",
                    r"write haproxy_httpchk=/uri, =METHOD /uri or =METHOD /uri HTTP/1.0\r\nHost:\ name",
                    findings,
                ),
            },
            "haproxy_tcp" => {
                let port: u16 = tag["haproxy_tcp=".len()..].parse().unwrap_or(0);
                if !tcp.is_match(tag) {
                    refused(
                        "not a port from 1 to 65535",
                        "write haproxy_tcp=PORT",
                        findings,
                    );
                } else if let Some((_, who)) = tags::RESERVED_PORTS.iter().find(|(p, _)| *p == port)
                {
                    refused(
                        &format!("port {port} is {who}'s, on every host of the PaaS"),
                        "choose a port the PaaS does not listen on",
                        findings,
                    );
                } else {
                    reg.tcp.push(port);
                    routing.push(tag);
                }
            }
            _ if key.starts_with("urlprefix-") => {
                if !tag.contains('/') {
                    findings.warning(
                        spot.clone(),
                        &field,
                        format!("{tag}: Fabio routes urlprefix-HOST/PATH or urlprefix-/PATH; this has no path"),
                        "add the path: urlprefix-name.service.consul/",
                    );
                }
            }
            _ => {
                // A tag one slip away from the template's own (haproxy_weigth,
                // HAProxy, haproxy-route) was meant as it.
                if let Some(meant) = crate::vars::closest_in(key, TEMPLATE_TAGS) {
                    findings.warning(
                        spot.clone(),
                        &field,
                        format!("{tag}: not a tag the template reads; did you mean {meant}?"),
                        &format!(
                            "write {}",
                            if meant == "haproxy" {
                                "haproxy".to_string()
                            } else {
                                format!("{meant}=...")
                            }
                        ),
                    );
                } else if key.to_ascii_lowercase().starts_with("haproxy") {
                    findings.warning(
                        spot.clone(),
                        &field,
                        format!("{tag}: not a tag the template reads"),
                        &format!("the template reads {}", TEMPLATE_TAGS.join(", ")),
                    );
                }
            }
        }
    }
    if !reg.routed && !routing.is_empty() {
        findings.warning(
            spot.clone(),
            &field,
            format!(
                "{} without the haproxy tag: the template routes only services tagged haproxy, so these do nothing",
                routing.join(", ")
            ),
            "add the haproxy tag (service.http: true), or remove these tags",
        );
    }
    if reg.weights.len() > 1 {
        findings.warning(
            spot.clone(),
            &field,
            "more than one haproxy_weight tag; HAProxy takes the last".into(),
            "keep one weight",
        );
    }
    if checks > 1 {
        findings.warning(
            spot.clone(),
            &field,
            "more than one haproxy_httpchk tag; HAProxy takes the last".into(),
            "keep one health-check request",
        );
    }
    if reg.routed {
        reg.name = check_name(plan, name_key, findings);
    }
    reg.spot = Some(spot);
    reg.field = field;
    reg
}

/// The name Registrator gives a service from the image:
/// `registry:5000/team/web:1.2` is `web`.
pub fn image_name(plan: &Plan) -> Option<String> {
    let image = plan.app.pointer("/container/docker/image")?.as_str()?;
    let last = image.rsplit('/').next()?;
    Some(last.split([':', '@']).next()?.to_string())
}
