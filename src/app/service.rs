//! The `service:` block of a plan: how the app is registered in Consul and
//! routed by the PaaS, turned into the `SERVICE_NAME` and `SERVICE_TAGS`
//! that Registrator copies into Consul, and taken out of what Marathon
//! gets.
//!
//! ```yaml
//! service:
//!   name: python          # SERVICE_NAME (required)
//!   http: true            # the `haproxy` tag: route HTTP by host name (default)
//!   routes: [/media]      # haproxy_route=/media: and by path, from any host name
//!   weight: 100           # haproxy_weight=100: this app's share among apps of one name
//!   check: GET /health    # haproxy_httpchk=GET /health: HAProxy's health check
//!   tcp: 5432             # haproxy_tcp=5432: a TCP listener on every host
//!   fabio: [python.service.consul/]   # urlprefix-python.service.consul/
//!   tags: [team-a]        # further tags, as they are
//! ```

use serde_json::{Map, Value};

use super::Findings;
use super::plan::{Plan, field, step};

/// The tags, in the order the block gives them to Registrator.
const FIELDS: &[&str] = &[
    "name", "http", "routes", "weight", "check", "tcp", "fabio", "tags",
];

/// Takes the `service:` block out of the plan and writes what it says into
/// `env`; a block that disagrees with `SERVICE_NAME`/`SERVICE_TAGS` already
/// in `env` is an error.
pub fn apply(plan: &mut Plan, findings: &mut Findings) {
    let Some(block) = plan
        .app
        .as_object_mut()
        .and_then(|app| app.shift_remove("service"))
    else {
        return;
    };
    let Some((name, tags)) = read(plan, &block, findings) else {
        return;
    };
    let tags = tags.join(",");
    let block_spot = plan.spot("/service");
    plan.service_block = true;
    let env = match plan.app.as_object_mut().map(|app| {
        app.entry("env")
            .or_insert_with(|| Value::Object(Map::new()))
    }) {
        Some(Value::Object(env)) => env,
        // The schema reports an `env` that is not a map.
        _ => return,
    };
    let (mut written, mut disagree) = (Vec::new(), Vec::new());
    for (key, ours) in [("SERVICE_NAME", &name), ("SERVICE_TAGS", &tags)] {
        match env.get(key) {
            None => {
                env.insert(key.to_string(), Value::String(ours.clone()));
                written.push(key);
            }
            Some(Value::String(theirs)) if same(key, theirs, ours) => {}
            Some(theirs) => disagree.push((key, theirs.to_string(), ours.clone())),
        }
    }
    // What the block wrote is reported at the block's line.
    for key in written {
        plan.set_spot(&format!("/env/{key}"), block_spot.clone());
    }
    for (key, theirs, ours) in disagree {
        findings.error(
            plan.spot(&format!("/env/{key}")),
            &format!("env.{key}"),
            format!("{theirs}, but the service block makes it \"{ours}\""),
            "keep one of them: the service block, or env's SERVICE_NAME and SERVICE_TAGS",
        );
    }
}

/// Whether two values of `key` mean the same: tags as a set.
fn same(key: &str, theirs: &str, ours: &str) -> bool {
    if key == "SERVICE_TAGS" {
        fn set(text: &str) -> std::collections::BTreeSet<&str> {
            text.split(',').filter(|t| !t.is_empty()).collect()
        }
        set(theirs) == set(ours)
    } else {
        theirs == ours
    }
}

/// The block's name and tags; problems go to `findings`.
fn read(plan: &Plan, block: &Value, findings: &mut Findings) -> Option<(String, Vec<String>)> {
    let at = |key: &str| {
        let pointer = if key.is_empty() {
            "/service".to_string()
        } else {
            format!("/service/{}", step(key))
        };
        (plan.spot(&pointer), field(&pointer))
    };
    let Value::Object(block) = block else {
        let (spot, field) = at("");
        findings.error(
            spot,
            &field,
            format!("{} where a map is meant", describe(block)),
            "write service: {name: NAME, ...}",
        );
        return None;
    };
    for key in block.keys() {
        if !FIELDS.contains(&key.as_str()) {
            let (spot, field) = at(key);
            let mean = crate::vars::closest_in(key, FIELDS)
                .map(|k| format!("; did you mean {k}?"))
                .unwrap_or_default();
            findings.error(
                spot,
                &field,
                format!("not a field of the service block{mean}"),
                &format!("use {}", FIELDS.join(", ")),
            );
        }
    }
    // An unknown field is reported, and the others still read.
    let before = findings.errors();
    let text = |key: &str, value: &Value, findings: &mut Findings| -> Option<String> {
        match value {
            Value::String(s) if !s.is_empty() && !s.contains(',') => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            other => {
                let (spot, field) = at(key);
                findings.error(
                    spot,
                    &field,
                    format!("{} where one word is meant", describe(other)),
                    "write one value without commas (Registrator splits tags at commas)",
                );
                None
            }
        }
    };
    let mut tags = Vec::new();
    let name = match block.get("name") {
        Some(value) => text("name", value, findings),
        None => {
            let (spot, field) = at("");
            findings.error(
                spot,
                &field,
                "has no name: the service's name in Consul is required".into(),
                "add name: NAME (the host name the app is reached by: NAME.service.consul)",
            );
            None
        }
    };
    let http = match block.get("http") {
        None => true,
        Some(Value::Bool(on)) => *on,
        Some(other) => {
            let (spot, field) = at("http");
            findings.error(
                spot,
                &field,
                format!("{} where true or false is meant", describe(other)),
                "write http: true (routed by HAProxy) or http: false",
            );
            true
        }
    };
    if http {
        tags.push("haproxy".to_string());
    }
    if let Some(weight) = block.get("weight") {
        match whole(weight) {
            Some(n) if n <= 256 => tags.push(format!("haproxy_weight={n}")),
            _ => {
                let (spot, field) = at("weight");
                findings.error(
                    spot,
                    &field,
                    format!("{weight} is not a weight HAProxy takes"),
                    "write a whole number from 0 to 256",
                );
            }
        }
    }
    if let Some(check) = block.get("check")
        && let Some(check) = text("check", check, findings)
    {
        tags.push(format!("haproxy_httpchk={check}"));
    }
    for (key, prefix) in [
        ("routes", "haproxy_route="),
        ("tcp", "haproxy_tcp="),
        ("fabio", "urlprefix-"),
        ("tags", ""),
    ] {
        let Some(value) = block.get(key) else {
            continue;
        };
        let items: Vec<&Value> = match value {
            Value::Array(items) => items.iter().collect(),
            one => vec![one],
        };
        for item in items {
            if key == "tcp" {
                match whole(item).filter(|p| (1..=65535).contains(p)) {
                    Some(port) => tags.push(format!("{prefix}{port}")),
                    None => {
                        let (spot, field) = at(key);
                        findings.error(
                            spot,
                            &field,
                            format!("{item} is not a port"),
                            "write a port from 1 to 65535, or a list of them",
                        );
                    }
                }
            } else if let Some(word) = text(key, item, findings) {
                tags.push(format!("{prefix}{word}"));
            }
        }
    }
    let name = name?;
    (findings.errors() == before).then_some((name, tags))
}

/// A whole number, written as one or as text (`'%%PORT%%'`).
fn whole(value: &Value) -> Option<u64> {
    match value {
        Value::String(text) if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => {
            text.parse().ok()
        }
        other => other.as_u64(),
    }
}

fn describe(value: &Value) -> String {
    match value {
        Value::Null => "nothing".into(),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a map".into(),
        Value::String(s) if s.is_empty() => "an empty value".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_agree_as_a_set() {
        assert!(same(
            "SERVICE_TAGS",
            "haproxy_weight=1,haproxy",
            "haproxy,haproxy_weight=1"
        ));
        assert!(!same("SERVICE_TAGS", "haproxy", "haproxy,haproxy_weight=1"));
        assert!(!same("SERVICE_NAME", "web", "Web"));
    }
}
