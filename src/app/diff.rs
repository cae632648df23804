//! `app deploy --diff`: what Marathon has against the plan, without what
//! Marathon fills in itself (as 1.4.10 shows it: its defaults, task
//! counts, versions, service ports), numbers compared by value.

use serde_json::{Map, Value};

use super::plan::Plan;

/// Fields Marathon fills in itself: state, and values it derives.
const FILLED: &[&str] = &[
    "version",
    "versionInfo",
    "tasksStaged",
    "tasksRunning",
    "tasksHealthy",
    "tasksUnhealthy",
    "deployments",
    "tasks",
    "lastTaskFailure",
    "taskStats",
    "readinessCheckResults",
    "ports",
    "portDefinitions",
    "servicePort",
];

/// Marathon 1.4.10's defaults as `GET /v2/apps/ID` shows them
/// (`marathon/1.4.10/validation.md`, section 6), by field name.
fn default_of(key: &str) -> Option<Value> {
    Some(match key {
        "backoffFactor" => 1.15.into(),
        "backoffSeconds" => 1.into(),
        "cpus" => 1.into(),
        "instances" => 1.into(),
        "maxLaunchDelaySeconds" => 3600.into(),
        "mem" => 128.into(),
        "gracePeriodSeconds" => 300.into(),
        "intervalSeconds" => 60.into(),
        "maxConsecutiveFailures" => 3.into(),
        "timeoutSeconds" => 20.into(),
        "delaySeconds" => 15.into(),
        "killSelection" => "YOUNGEST_FIRST".into(),
        "upgradeStrategy" => {
            serde_json::json!({"minimumHealthCapacity": 1, "maximumOverCapacity": 1})
        }
        "unreachableStrategy" => {
            serde_json::json!({"inactiveAfterSeconds": 0, "expungeAfterSeconds": 0})
        }
        _ => return None,
    })
}

/// Whether a field the plan leaves out is one Marathon filled in.
fn filled(key: &str, value: &Value) -> bool {
    let empty = match value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    };
    empty
        || FILLED.contains(&key)
        || default_of(key).is_some_and(|d| same(&d, value))
        || (key == "protocol" && matches!(value.as_str(), Some("tcp" | "HTTP")))
}

/// Whether two values are equal, numbers by value (`1` is `1.0`).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// What Marathon has, without the fields it fills in itself that the plan
/// leaves out, in the plan's order.
fn normalized(current: &Value, plan: &Value) -> Value {
    match (current, plan) {
        (Value::Object(current), Value::Object(plan)) => {
            let mut out = Map::new();
            for (key, value) in plan {
                if let Some(have) = current.get(key) {
                    out.insert(key.clone(), normalized(have, value));
                }
            }
            for (key, value) in current {
                if !plan.contains_key(key) && !filled(key, value) {
                    out.insert(key.clone(), value.clone());
                }
            }
            Value::Object(out)
        }
        (Value::Array(current), Value::Array(plan)) => Value::Array(
            current
                .iter()
                .enumerate()
                .map(|(i, v)| plan.get(i).map_or_else(|| v.clone(), |p| normalized(v, p)))
                .collect(),
        ),
        // 16 in the plan is 16.0 in Marathon's answer: one number.
        (Value::Number(have), Value::Number(want)) if have.as_f64() == want.as_f64() => {
            Value::Number(want.clone())
        }
        (current, _) => current.clone(),
    }
}

/// A unified diff of what Marathon has (`Null`: no such app) against the
/// plan.
pub fn diff(plan: &Plan, id: &str, current: &Value) -> String {
    let mut wanted = plan.app.clone();
    if let Some(value) = wanted.get_mut("id") {
        *value = Value::String(id.to_string());
    }
    let before = match current {
        Value::Null => String::new(),
        current => pretty(&normalized(current, &wanted)),
    };
    let after = pretty(&wanted);
    let text = similar::TextDiff::from_lines(&before, &after);
    let shown = text
        .unified_diff()
        .header(
            &format!(
                "marathon{id}{}",
                if current.is_null() { " (none)" } else { "" }
            ),
            &format!("{}", plan.file.display()),
        )
        .to_string();
    if shown.is_empty() {
        format!("{id}: no change\n")
    } else {
        shown
    }
}

fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_marathon_fills_in_is_left_out_unless_the_plan_sets_it() {
        let current = serde_json::json!({
            "id": "/web", "instances": 2, "cpus": 1, "backoffSeconds": 1, "uris": [],
            "version": "2017-01-01T00:00:00Z", "tasksRunning": 2, "user": "root",
            "container": {"docker": {"image": "a", "privileged": false,
                "portMappings": [{"containerPort": 80, "hostPort": 0, "servicePort": 10001, "protocol": "tcp"}]}}
        });
        let plan = serde_json::json!({
            "id": "/web", "instances": 3,
            "container": {"docker": {"image": "a", "portMappings": [{"containerPort": 80, "hostPort": 0}]}}
        });
        assert_eq!(
            normalized(&current, &plan),
            serde_json::json!({
                "id": "/web", "instances": 2,
                "container": {"docker": {"image": "a", "portMappings": [{"containerPort": 80, "hostPort": 0}]}},
                "user": "root"
            })
        );
    }
}
