//! What `panteras app check` finds in plans: what Marathon 1.4.10 would
//! refuse (its own rules, [`super::accept`]; its schema only names the
//! fields it knows), the tags our HAProxy template would drop or refuse (the rules of
//! [`crate::tags`], which the template is written from), TCP ports two apps
//! or the PaaS itself claim, and what routes traffic to tasks that are not
//! ready: no health check, a fixed host port in bridge mode, canaries that
//! disagree.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::Value;

use super::plan::{Plan, Spot, field, step};
use super::registration::{Registration, registration};
use super::{Findings, accept};

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
        findings.error(
            plan.spot(&refusal.pointer),
            &field(&refusal.pointer),
            format!(
                "Marathon 1.4.10 refuses it ({}): {}",
                refusal.answer(),
                refusal.words()
            ),
            "change it to what Marathon 1.4.10 takes (README: App plans, what check proves)",
        );
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
