//! What `panteras app check` finds in plans: what Marathon 1.4.10 would
//! refuse (its own rules, [`super::accept`]; its schema only names the
//! fields it knows), the tags our HAProxy template would drop or refuse (the rules of
//! [`crate::tags`], which the template is written from), TCP ports two apps
//! or the PaaS itself claim, and what routes traffic to tasks that are not
//! ready: no health check, a fixed host port in bridge mode, canaries that
//! disagree.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use regex::Regex;
use serde_json::Value;

use super::plan::{Plan, Spot, field, step};
use super::{Findings, accept};
use crate::tags;

/// The tags the template reads, by the part before `=`.
const TEMPLATE_TAGS: &[&str] = &[
    "haproxy",
    "haproxy_route",
    "haproxy_weight",
    "haproxy_httpchk",
    "haproxy_tcp",
];

/// Marathon's schema, compiled once for a run.
pub struct Schema {
    validator: jsonschema::Validator,
    schema: Value,
}

impl Schema {
    /// Compiles a schema given as text (`shown` names it in errors).
    pub fn new(text: &str, shown: &str) -> anyhow::Result<Schema> {
        let schema: Value = serde_json::from_str(text)
            .map_err(|e| anyhow::anyhow!("{shown}: not a JSON schema: {e}"))?;
        // Marathon validates with a draft-4 validator; the file's own
        // `$schema` names no draft.
        let validator = jsonschema::draft4::options()
            .build(&schema)
            .map_err(|e| anyhow::anyhow!("{shown}: not a draft-4 JSON schema: {e}"))?;
        Ok(Schema { validator, schema })
    }

    /// The fields a map of the schema takes, where `keyword` (a JSON
    /// pointer into the schema) is its `additionalProperties`.
    fn fields_beside(&self, keyword: &str) -> Vec<String> {
        let parent = keyword.rsplit_once('/').map_or("", |(p, _)| p);
        self.schema
            .pointer(&format!("{parent}/properties"))
            .and_then(Value::as_object)
            .map(|fields| fields.keys().cloned().collect())
            .unwrap_or_default()
    }
}

/// Every rule over every plan of a run.
pub fn check(plans: &[Plan], schema: Option<&Schema>, findings: &mut Findings) {
    let mut ids: HashMap<String, Spot> = HashMap::new();
    for plan in plans {
        let mut reported = env_values(plan, findings);
        marathon_rules(plan, &reported, findings);
        if let Some(schema) = schema {
            unknown_fields(plan, schema, &mut reported, findings);
        }
        match plan.app.get("id") {
            Some(Value::String(id))
                if !id.trim_matches('/').is_empty()
                    && id
                        .trim_start_matches('/')
                        .trim_end_matches('/')
                        .split('/')
                        .any(|part| matches!(part, "" | "." | "..")) =>
            {
                findings.error(
                    plan.spot("/id"),
                    "id",
                    format!("{id:?} holds an empty, `.` or `..` segment: Marathon resolves them, so two ids could name one app"),
                    "write the id as the absolute path it names, e.g. /shop/web",
                );
            }
            Some(Value::String(id)) => {
                let key = format!("/{}", id.trim_start_matches('/'));
                if let Some(first) = ids.get(&key) {
                    findings.error(
                        plan.spot("/id"),
                        "id",
                        format!("{key} is also the id of the plan at {first}"),
                        "give each app its own id: one plan per app",
                    );
                } else {
                    ids.insert(key, plan.spot("/id"));
                }
            }
            Some(_) => {}
            None if !reported.contains("") => findings.error(
                plan.spot(""),
                "id",
                "missing: Marathon needs the app's id".into(),
                "add id: /group/name",
            ),
            None => {}
        }
    }
    let registrations: Vec<Registration> = plans
        .iter()
        .map(|plan| registration(plan, findings))
        .collect();
    tcp_ports(plans, &registrations, findings);
    for (plan, registration) in plans.iter().zip(&registrations) {
        readiness(plan, registration, findings);
    }
    canaries(plans, &registrations, findings);
}

/// Env values that are numbers or booleans: Marathon takes strings only.
/// Returns the pointers reported, which the schema leaves alone.
fn env_values(plan: &Plan, findings: &mut Findings) -> BTreeSet<String> {
    let mut reported = BTreeSet::new();
    let Some(Value::Object(env)) = plan.app.get("env") else {
        return reported;
    };
    for (key, value) in env {
        if matches!(value, Value::Number(_) | Value::Bool(_)) {
            let pointer = format!("/env/{}", step(key));
            findings.error(
                plan.spot(&pointer),
                &field(&pointer),
                format!("{value} is not text; Marathon takes env values as strings only"),
                &format!("quote it: {key}: \"{value}\""),
            );
            reported.insert(pointer);
        }
    }
    reported
}

/// What Marathon 1.4.10 refuses of the plan sent as `app deploy` sends it
/// (a PUT that replaces the app), each at its line.
fn marathon_rules(plan: &Plan, reported: &BTreeSet<String>, findings: &mut Findings) {
    let id = plan.app.get("id").and_then(Value::as_str);
    for refusal in accept::judge(&plan.app, accept::Mode::Replace, id, None) {
        // A number in env: said above, with the quoting that fixes it.
        if refusal.path.as_deref() == Some("/secret") && !reported.is_empty() {
            continue;
        }
        let at = match refusal.path.as_deref() {
            Some("") | None => String::new(),
            Some(path) => format!(" at {path}"),
        };
        findings.error(
            plan.spot(&refusal.pointer),
            &field(&refusal.pointer),
            format!(
                "Marathon 1.4.10 refuses it ({}{at}): {}",
                refusal.status,
                said(&refusal.message)
            ),
            "change it to what Marathon 1.4.10 takes (README: App plans, what check proves)",
        );
    }
}

/// Marathon's reading errors, which are Play JSON's keys, in words.
fn said(message: &str) -> String {
    let words = match message {
        "error.expected.jsnumber" => "a number is expected",
        "error.expected.int" | "error.expected.long" => "a whole number is expected",
        "error.expected.jsstring" => "text is expected",
        "error.expected.jsboolean" => "true or false is expected",
        "error.expected.jsarray" => "a list is expected",
        "error.expected.jsobject" => "a map is expected",
        "error.path.missing" => "missing",
        "error.minLength" => "must not be empty",
        "error.pattern" => "not of the form Marathon takes",
        "" => "refused",
        other => return other.to_string(),
    };
    if message.is_empty() {
        words.to_string()
    } else {
        format!("{words} ({message})")
    }
}

/// Members `GET /v2/apps/{id}` writes that Marathon ignores when they are
/// sent back.
const READ_ONLY: &[&str] = &[
    "version",
    "versionInfo",
    "tasks",
    "tasksStaged",
    "tasksRunning",
    "tasksHealthy",
    "tasksUnhealthy",
    "deployments",
    "lastTaskFailure",
    "taskStats",
    "readinessCheckResults",
];

/// Fields Marathon's schema does not name: Marathon drops them without a
/// word, so a misspelt one leaves its default in place.
fn unknown_fields(
    plan: &Plan,
    schema: &Schema,
    reported: &mut BTreeSet<String>,
    findings: &mut Findings,
) {
    for error in schema.validator.iter_errors(&plan.app) {
        let pointer = error.instance_path().as_str().to_string();
        let jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } =
            error.kind()
        else {
            continue;
        };
        let known = schema.fields_beside(error.schema_path().as_str());
        let known: Vec<&str> = known.iter().map(String::as_str).collect();
        for name in unexpected {
            if pointer.is_empty() && READ_ONLY.contains(&name.as_str()) {
                continue;
            }
            let below = format!("{pointer}/{}", step(name));
            if reported.contains(&below) {
                continue;
            }
            let mean = crate::vars::closest_in(name, &known)
                .map(|k| format!("; did you mean {k}?"))
                .unwrap_or_default();
            findings.warning(
                plan.spot(&below),
                &field(&below),
                format!("not a field Marathon 1.4.10 reads here; it drops it without a word{mean}"),
                "remove it, or spell it as Marathon's AppDefinition.json does",
            );
            reported.insert(below);
        }
    }
}

/// What Registrator registers for an app, as the template reads it.
#[derive(Default)]
struct Registration {
    name: Option<String>,
    /// Whether the template routes it (the `haproxy` tag).
    routed: bool,
    routes: Vec<String>,
    weights: Vec<u16>,
    tcp: Vec<u16>,
    /// Where the tags were written.
    spot: Option<Spot>,
    field: String,
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

/// The app's name and tags, each tag checked by the template's rules.
fn registration(plan: &Plan, findings: &mut Findings) -> Registration {
    let [name_form, route, weight, httpchk, tcp] = patterns();
    let mut reg = Registration::default();
    let env = plan.app.get("env").and_then(Value::as_object);
    let text = |key: &str| env.and_then(|e| e.get(key)).and_then(Value::as_str);
    let Some(tag_text) = text("SERVICE_TAGS") else {
        return reg;
    };
    let spot = plan.spot("/env/SERVICE_TAGS");
    let field = if plan.service_block {
        "service".to_string()
    } else {
        "env.SERVICE_TAGS".to_string()
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
        match text("SERVICE_NAME") {
            Some("panteras") => findings.error(
                plan.spot("/env/SERVICE_NAME"),
                if plan.service_block { "service.name" } else { "env.SERVICE_NAME" },
                "panteras is the container's own service; the template never routes it".into(),
                "choose another name",
            ),
            Some(name) if !name_form.is_match(name) => findings.error(
                plan.spot("/env/SERVICE_NAME"),
                if plan.service_block { "service.name" } else { "env.SERVICE_NAME" },
                format!("{name:?}: the template leaves a service of this name out"),
                "letters, digits, _ and -, at most 63, not starting with -",
            ),
            Some(name) => reg.name = Some(name.to_string()),
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
    }
    reg.spot = Some(spot);
    reg.field = field;
    reg
}

/// The name Registrator gives a service from the image:
/// `registry:5000/team/web:1.2` is `web`.
fn image_name(plan: &Plan) -> Option<String> {
    let image = plan.app.pointer("/container/docker/image")?.as_str()?;
    let last = image.rsplit('/').next()?;
    Some(last.split([':', '@']).next()?.to_string())
}

/// TCP ports claimed twice in one run.
fn tcp_ports(plans: &[Plan], registrations: &[Registration], findings: &mut Findings) {
    let mut claimed: BTreeMap<u16, (String, Spot)> = BTreeMap::new();
    for (plan, reg) in plans.iter().zip(registrations) {
        let id = plan.id().unwrap_or("?").to_string();
        for port in &reg.tcp {
            let spot = reg.spot.clone().unwrap_or_else(|| plan.spot(""));
            match claimed.get(port) {
                Some((first, at)) if *first != id => findings.error(
                    spot,
                    &reg.field,
                    format!("haproxy_tcp={port} is also claimed by {first} ({at}); HAProxy can listen once per port"),
                    "give each app its own TCP port",
                ),
                Some(_) => {}
                None => {
                    claimed.insert(*port, (id.clone(), spot));
                }
            }
        }
    }
}

/// What sends traffic to tasks that are not ready.
fn readiness(plan: &Plan, reg: &Registration, findings: &mut Findings) {
    let checks = plan.app.get("healthChecks").and_then(Value::as_array);
    if reg.routed && checks.is_none_or(|c| c.is_empty()) {
        findings.warning(
            plan.spot("/healthChecks"),
            "healthChecks",
            "routed by HAProxy but without a health check: Marathon counts a task ready as soon as it runs, \
             so an update stops old tasks before the new ones serve"
                .into(),
            "add healthChecks: [{protocol: MESOS_HTTP, path: /, portIndex: 0}]",
        );
    }
    let bridge = plan
        .app
        .pointer("/container/docker/network")
        .and_then(Value::as_str)
        == Some("BRIDGE");
    let mappings = plan
        .app
        .pointer("/container/docker/portMappings")
        .and_then(Value::as_array);
    for (i, mapping) in mappings.into_iter().flatten().enumerate() {
        let Some(port) = mapping
            .get("hostPort")
            .and_then(Value::as_u64)
            .filter(|p| *p != 0)
        else {
            continue;
        };
        if bridge {
            let pointer = format!("/container/docker/portMappings/{i}/hostPort");
            findings.warning(
                plan.spot(&pointer),
                &field(&pointer),
                format!(
                    "{port} fixed in bridge mode: two tasks cannot run on one host, and a host whose port is taken gets none"
                ),
                "write hostPort: 0 and let Mesos choose; HAProxy finds the port in Consul",
            );
        }
    }
}

/// Apps that share a service name: their routes and weights together.
fn canaries(plans: &[Plan], registrations: &[Registration], findings: &mut Findings) {
    let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, reg) in registrations.iter().enumerate() {
        if let (true, Some(name)) = (reg.routed, &reg.name) {
            groups.entry(name).or_default().push(i);
        }
    }
    for (name, members) in groups {
        let first = &registrations[members[0]];
        let id = |i: usize| plans[i].id().unwrap_or("?").to_string();
        for &other in &members[1..] {
            let reg = &registrations[other];
            let mut a = first.routes.clone();
            let mut b = reg.routes.clone();
            a.sort();
            b.sort();
            if a != b {
                findings.warning(
                    reg.spot.clone().unwrap_or_else(|| plans[other].spot("")),
                    &reg.field,
                    format!(
                        "{} shares the service name {name} with {} but its routes differ ({} and {}): \
                         the template sends the routes of both to every instance of either",
                        id(other),
                        id(members[0]),
                        shown_routes(&b),
                        shown_routes(&a)
                    ),
                    "give apps of one name the same routes",
                );
            }
        }
        let zero = members
            .iter()
            .all(|&i| registrations[i].weights.last() == Some(&0));
        if zero {
            let last = *members.last().expect("a group has members");
            let reg = &registrations[last];
            let apps: Vec<String> = members.iter().map(|&i| id(i)).collect();
            let problem = if members.len() == 1 {
                format!("haproxy_weight=0: HAProxy sends {} no traffic", apps[0])
            } else {
                format!(
                    "the weights of {} sum to 0: HAProxy sends {name} no traffic",
                    apps.join(", ")
                )
            };
            findings.error(
                reg.spot.clone().unwrap_or_else(|| plans[last].spot("")),
                &reg.field,
                problem,
                "give at least one app of the name a weight above 0",
            );
        }
    }
}

fn shown_routes(routes: &[String]) -> String {
    if routes.is_empty() {
        "none".into()
    } else {
        routes.join(" ")
    }
}
