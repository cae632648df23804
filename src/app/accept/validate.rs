//! Marathon's checks of the app it read (422): ids, what to run, ports,
//! health and readiness checks, constraints, resources, strategies, env
//! and secrets, artifacts, roles, volumes. PanteraS starts Marathon without
//! `--enable_features`, so the features' rules refuse.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{Mode, Refusal, canonical, get, whole};

/// Refusals of one check, each once.
#[derive(Default)]
struct Checks(Vec<Refusal>);

impl Checks {
    fn refuse(&mut self, path: &str, pointer: &str, message: impl Into<String>) {
        let refusal = Refusal::new(422, path, pointer, message);
        if !self.0.contains(&refusal) {
            self.0.push(refusal);
        }
    }
}

fn list<'a>(parent: &'a Value, key: &str) -> &'a [Value] {
    get(parent, key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn text<'a>(parent: &'a Value, key: &str) -> Option<&'a str> {
    get(parent, key).and_then(Value::as_str)
}

/// Every 422 rule over the app as Marathon read it.
pub fn validate(app: &Value, mode: Mode) -> Vec<Refusal> {
    let mut c = Checks::default();
    let id = text(app, "id")
        .map(|id| canonical(id, &[]))
        .unwrap_or_default();
    ids(app, &id, &mut c);
    // An update that names none of them keeps the stored app's.
    let names_what_runs = ["cmd", "args", "container"]
        .iter()
        .any(|k| get(app, k).is_some());
    if mode != Mode::Update || names_what_runs {
        what_runs(app, &mut c);
    }
    let ports = Ports::of(app);
    ports.check(app, &mut c);
    health_checks(app, &ports, &mut c);
    constraints(app, &mut c);
    resources(app, &mut c);
    strategies(app, &mut c);
    env_and_secrets(app, &mut c);
    artifacts_and_roles(app, &mut c);
    readiness(app, &ports, &mut c);
    volumes(app, &mut c);
    if get(app, "ipAddress").is_some()
        && ports.bridged
        && !list(
            get(app, "ipAddress")
                .unwrap_or(&Value::Null)
                .get("discovery")
                .unwrap_or(&Value::Null),
            "ports",
        )
        .is_empty()
    {
        c.refuse(
            "/ipAddress",
            "/ipAddress",
            "ipAddress/discovery is not allowed for Docker containers using BRIDGE or USER networks",
        );
    }
    // The group's own check: an app may not depend on itself.
    if !c.0.is_empty() {
        return c.0;
    }
    for (i, dependency) in list(app, "dependencies").iter().enumerate() {
        if dependency.as_str().map(|d| canonical(d, &id)) == Some(id.clone()) {
            c.refuse(
                "/",
                &format!("/dependencies/{i}"),
                "Dependency graph has a cycle: the app depends on itself",
            );
        }
    }
    c.0
}

/// A label of an id: lower-case letters and digits, hyphens inside.
fn label_ok(label: &str) -> bool {
    !label.is_empty()
        && !label.starts_with('-')
        && !label.ends_with('-')
        && label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

const ID_PATTERN: &str = "must fully match regular expression '^(([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])\\.)*([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])|(\\.|\\.\\.)$'";

fn ids(app: &Value, id: &[String], c: &mut Checks) {
    if text(app, "id").is_some() && id.is_empty() {
        c.refuse("/id", "/id", "Path must contain at least one path element");
    }
    if id.iter().any(|segment| !segment.split('.').all(label_ok)) {
        c.refuse("/id", "/id", ID_PATTERN);
    }
    for (i, dependency) in list(app, "dependencies").iter().enumerate() {
        let Some(dependency) = dependency.as_str() else {
            continue;
        };
        if canonical(dependency, id)
            .iter()
            .any(|s| !s.split('.').all(label_ok))
        {
            c.refuse("/dependencies", &format!("/dependencies/{i}"), ID_PATTERN);
        }
    }
}

/// Exactly one of `cmd` and `args`, or neither with a container image.
fn what_runs(app: &Value, c: &mut Checks) {
    let cmd = text(app, "cmd").is_some_and(|s| !s.is_empty());
    let args = !list(app, "args").is_empty();
    let container = get(app, "container");
    let image = container.is_some_and(|k| {
        let docker = text(k, "type").is_none_or(|t| t == "DOCKER");
        docker || get(k, "docker").is_some() || get(k, "appc").is_some()
    });
    if (cmd && args) || (!cmd && !args && !image) {
        c.refuse(
            "/",
            "",
            "AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'.",
        );
    }
    if let Some(k) = container {
        for key in ["docker", "appc"] {
            if get(k, key).and_then(|d| text(d, "image")) == Some("") {
                c.refuse(
                    "/container/image",
                    &format!("/container/{key}/image"),
                    "must not be empty",
                );
            }
        }
    }
}

/// The ports a health check's `portIndex` counts: the container's port
/// mappings when its network keeps them, else the port definitions.
struct Ports {
    /// A Docker container on a BRIDGE or USER network.
    bridged: bool,
    /// How many ports the app has.
    count: usize,
    /// Their names.
    names: BTreeSet<String>,
}

impl Ports {
    fn of(app: &Value) -> Ports {
        let docker = get(app, "container").and_then(|k| get(k, "docker"));
        let network = docker.and_then(|d| text(d, "network"));
        let bridged = matches!(network, Some("BRIDGE" | "USER"));
        let mappings = docker.map(|d| list(d, "portMappings")).unwrap_or_default();
        let (count, names) = if bridged && !mappings.is_empty() {
            (
                mappings.len(),
                mappings
                    .iter()
                    .filter_map(|m| text(m, "name"))
                    .map(str::to_string)
                    .collect(),
            )
        } else if let Some(ip) = get(app, "ipAddress") {
            let ports = get(ip, "discovery")
                .map(|d| list(d, "ports"))
                .unwrap_or_default();
            (
                ports.len(),
                ports
                    .iter()
                    .filter_map(|p| text(p, "name"))
                    .map(str::to_string)
                    .collect(),
            )
        } else if let Some(Value::Array(definitions)) = get(app, "portDefinitions") {
            (
                definitions.len(),
                definitions
                    .iter()
                    .filter_map(|d| text(d, "name"))
                    .map(str::to_string)
                    .collect(),
            )
        } else if let Some(Value::Array(ports)) = get(app, "ports") {
            (ports.len(), BTreeSet::new())
        } else {
            (1, BTreeSet::from(["default".to_string()]))
        };
        Ports {
            bridged,
            count,
            names,
        }
    }

    /// Port mappings and port definitions as Marathon checks them.
    fn check(&self, app: &Value, c: &mut Checks) {
        let docker = get(app, "container").and_then(|k| get(k, "docker"));
        let mappings = docker.map(|d| list(d, "portMappings")).unwrap_or_default();
        let mut names = BTreeSet::new();
        for (i, m) in mappings.iter().enumerate() {
            let (path, pointer) = (
                format!("/container/portMappings({i})"),
                format!("/container/docker/portMappings/{i}"),
            );
            for key in ["containerPort", "hostPort", "servicePort"] {
                if let Some(n) = get(m, key).and_then(|v| whole(v, 32)).filter(|n| *n < 0) {
                    c.refuse(
                        &format!("{path}/{key}"),
                        &format!("{pointer}/{key}"),
                        format!("got {n}, expected 0 or more"),
                    );
                }
            }
            protocol(m, &path, &pointer, true, c);
            port_name(m, &path, &pointer, "/container/portMappings", &mut names, c);
        }
        let definitions = list(app, "portDefinitions");
        let (mut numbers, mut names) = (BTreeSet::new(), BTreeSet::new());
        for (i, d) in definitions.iter().enumerate() {
            let (path, pointer) = (
                format!("/portDefinitions({i})"),
                format!("/portDefinitions/{i}"),
            );
            let port = get(d, "port").and_then(|v| whole(v, 32)).unwrap_or(0);
            if port < 0 {
                c.refuse(
                    &format!("{path}/port"),
                    &format!("{pointer}/port"),
                    format!("got {port}, expected 0 or more"),
                );
            }
            if port != 0 && !numbers.insert(port) {
                c.refuse(
                    "/portDefinitions",
                    &format!("{pointer}/port"),
                    "Ports must be unique.",
                );
            }
            protocol(d, &path, &pointer, false, c);
            port_name(d, &path, &pointer, "/portDefinitions", &mut names, c);
        }
        for (i, port) in list(app, "ports").iter().enumerate() {
            if let Some(n) = whole(port, 32).filter(|n| *n < 0) {
                c.refuse(
                    &format!("/portDefinitions({i})/port"),
                    &format!("/ports/{i}"),
                    format!("got {n}, expected 0 or more"),
                );
            }
        }
    }
}

const PORT_NAME: &str = "must fully match regular expression '^[a-z0-9-]+$'";

/// A port's `name`: of the form Marathon takes, and once in `list`.
fn port_name<'a>(
    port: &'a Value,
    path: &str,
    pointer: &str,
    list: &str,
    names: &mut BTreeSet<&'a str>,
    c: &mut Checks,
) {
    let Some(name) = text(port, "name") else {
        return;
    };
    if !port_name_ok(name) {
        c.refuse(
            &format!("{path}/name"),
            &format!("{pointer}/name"),
            PORT_NAME,
        );
    }
    if !names.insert(name) {
        c.refuse(
            list,
            &format!("{pointer}/name"),
            "Port names must be unique.",
        );
    }
}

fn port_name_ok(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// `tcp`, `udp` or both, split at commas; a mapping may not repeat one.
fn protocol(port: &Value, path: &str, pointer: &str, unique: bool, c: &mut Checks) {
    let protocol = text(port, "protocol").unwrap_or("tcp");
    let parts: Vec<&str> = protocol.split(',').collect();
    let pointer = format!("{pointer}/protocol");
    for (k, part) in parts.iter().enumerate() {
        if !matches!(*part, "tcp" | "udp") {
            c.refuse(
                &format!("{path}/protocol({k})"),
                &pointer,
                "is not one of (tcp,udp)",
            );
        }
    }
    let distinct: BTreeSet<&&str> = parts.iter().collect();
    if unique && distinct.len() != parts.len() {
        c.refuse(
            &format!("{path}/protocol"),
            &pointer,
            "protocols must be unique.",
        );
    }
}

const MESOS_CHECKS: [&str; 3] = ["MESOS_HTTP", "MESOS_HTTPS", "MESOS_TCP"];

fn health_checks(app: &Value, ports: &Ports, c: &mut Checks) {
    let mut distinct: Vec<&Value> = Vec::new();
    for hc in list(app, "healthChecks") {
        if !distinct.contains(&hc) {
            distinct.push(hc);
        }
    }
    for (i, hc) in list(app, "healthChecks").iter().enumerate() {
        let protocol = text(hc, "protocol").unwrap_or("HTTP");
        if protocol == "COMMAND" {
            continue;
        }
        let addressed = match (get(hc, "portIndex"), get(hc, "port")) {
            (Some(Value::String(_)), _) => false,
            (Some(index), _) => {
                whole(index, 32).is_some_and(|n| n >= 0 && (n as usize) < ports.count)
            }
            (None, Some(_)) => true,
            (None, None) => ports.count > 0,
        };
        if !addressed {
            c.refuse(
                &format!("/healthChecks({i})"),
                &format!("/healthChecks/{i}"),
                "Health check port indices must address an element of the ports array or container port mappings.",
            );
        }
    }
    let mesos = distinct
        .iter()
        .filter(|hc| text(hc, "protocol").is_some_and(|p| MESOS_CHECKS.contains(&p)))
        .count();
    if mesos > 1 {
        c.refuse(
            "/",
            "/healthChecks",
            "AppDefinition can contain at most one Mesos health check",
        );
    }
}

/// Java's `Integer.parseInt`: a sign, digits, 32 bits.
fn java_int(text: &str) -> bool {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) && text.parse::<i32>().is_ok()
}

/// Whether Java's regular expressions take `pattern`: what Rust's regex
/// compiles, and what it refuses only for look-around or backreferences,
/// which Java has.
fn java_regex(pattern: &str) -> bool {
    match regex::Regex::new(pattern) {
        Ok(_) => true,
        Err(regex::Error::Syntax(why)) => {
            why.contains("look-around") || why.contains("backreferences")
        }
        Err(_) => true,
    }
}

fn constraints(app: &Value, c: &mut Checks) {
    for (i, constraint) in list(app, "constraints").iter().enumerate() {
        let parts: Vec<&str> = constraint
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let (Some(operator), value) = (parts.get(1), parts.get(2).copied()) else {
            continue;
        };
        let pointer = format!("/constraints/{i}");
        let message = match (*operator, value) {
            ("UNIQUE", Some(v)) if !v.is_empty() => "Value specified but not used".to_string(),
            ("GROUP_BY", Some(v)) if !java_int(v) => {
                "Value was specified but is not a number".to_string()
            }
            ("MAX_PER", v) if !v.is_some_and(java_int) => {
                "Value was not specified or is not a number".to_string()
            }
            ("LIKE" | "UNLIKE", None) => "A regular expression value must be provided".to_string(),
            ("LIKE" | "UNLIKE", Some(v)) if !java_regex(v) => {
                format!("'{v}' is not a valid regular expression")
            }
            _ => continue,
        };
        c.refuse("/constraints", &pointer, message);
    }
}

fn resources(app: &Value, c: &mut Checks) {
    for key in ["instances", "gpus"] {
        if let Some(n) = get(app, key).and_then(|v| whole(v, 32)).filter(|n| *n < 0) {
            c.refuse(
                &format!("/{key}"),
                &format!("/{key}"),
                format!("got {n}, expected 0 or more"),
            );
        }
    }
    for key in ["cpus", "mem", "disk"] {
        if let Some(n) = get(app, key).and_then(Value::as_f64).filter(|n| *n < 0.0) {
            c.refuse(
                &format!("/{key}"),
                &format!("/{key}"),
                format!("got {n}, expected 0.0 or more"),
            );
        }
    }
    if get(app, "gpus")
        .and_then(|v| whole(v, 32))
        .is_some_and(|n| n > 0)
    {
        c.refuse(
            "/",
            "/gpus",
            "Feature gpu_resources is not enabled. Enable with --enable_features gpu_resources)",
        );
        let docker =
            get(app, "container").is_some_and(|k| text(k, "type").is_none_or(|t| t == "DOCKER"));
        if docker {
            c.refuse(
                "/",
                "/gpus",
                "GPU resources only work with the Mesos containerizer",
            );
        }
    }
}

fn strategies(app: &Value, c: &mut Checks) {
    let strategy = get(app, "upgradeStrategy");
    let capacity = |key: &str| {
        strategy
            .and_then(|s| get(s, key))
            .and_then(Value::as_f64)
            .unwrap_or(1.0)
    };
    for key in ["minimumHealthCapacity", "maximumOverCapacity"] {
        let n = capacity(key);
        if !(0.0..=1.0).contains(&n) {
            c.refuse(
                &format!("/upgradeStrategy/{key}"),
                &format!("/upgradeStrategy/{key}"),
                format!("got {n:?}, expected between 0.0 and 1.0"),
            );
        }
    }
    if let Some(unreachable) = get(app, "unreachableStrategy").filter(|u| u.is_object()) {
        let seconds = |key: &str| {
            get(unreachable, key)
                .and_then(|v| whole(v, 64))
                .unwrap_or(0)
        };
        let (inactive, expunge) = (
            seconds("inactiveAfterSeconds"),
            seconds("expungeAfterSeconds"),
        );
        let pointer = "/unreachableStrategy/inactiveAfterSeconds";
        if inactive < 0 {
            c.refuse(
                "/unreachableStrategy/inactiveAfter",
                pointer,
                format!("got {inactive} seconds, expected 0 seconds or more"),
            );
        } else if inactive > expunge {
            c.refuse(
                "/unreachableStrategy/inactiveAfter",
                pointer,
                format!("got {inactive} seconds, expected {expunge} seconds or less"),
            );
        }
    }
    let single =
        get(app, "labels").and_then(|l| text(l, "MARATHON_SINGLE_INSTANCE_APP")) == Some("true");
    if single {
        if get(app, "instances")
            .and_then(|v| whole(v, 32))
            .unwrap_or(1)
            > 1
        {
            c.refuse(
                "/",
                "/instances",
                "Single instance app may only have one instance",
            );
        }
        if capacity("minimumHealthCapacity") != 0.0 || capacity("maximumOverCapacity") != 0.0 {
            c.refuse(
                "/value/isSingleInstance",
                "/labels/MARATHON_SINGLE_INSTANCE_APP",
                "must be false",
            );
            let over = capacity("minimumHealthCapacity").max(capacity("maximumOverCapacity"));
            c.refuse(
                "/value/upgradeStrategy",
                "/upgradeStrategy",
                format!("got {over:?}, expected 0.0"),
            );
        }
    }
}

fn env_and_secrets(app: &Value, c: &mut Checks) {
    let secrets = get(app, "secrets").and_then(Value::as_object);
    if let Some(Value::Object(env)) = get(app, "env") {
        for (name, value) in env {
            let pointer = format!("/env/{}", crate::app::plan::step(name));
            if name.is_empty() {
                c.refuse("/env()", &pointer, "must not be empty");
            }
            if let Some(secret) = value.get("secret").and_then(Value::as_str)
                && !secrets.is_some_and(|s| s.contains_key(secret))
            {
                c.refuse(
                    &format!("/env({name})"),
                    &pointer,
                    format!("references an undefined secret named '{secret}'"),
                );
            }
        }
    }
    if secrets.is_some_and(|s| !s.is_empty()) {
        c.refuse("/secrets", "/secrets", "must be empty");
        c.refuse(
            "/secrets",
            "/secrets",
            "Feature secrets is not enabled. Enable with --enable_features secrets)",
        );
    }
}

/// Whether `java.net.URI` parses `uri`: no space, control or other
/// character it refuses, and `%` only before two hex digits.
fn uri_ok(uri: &str) -> bool {
    let bytes = uri.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b.is_ascii_control() || b" \"<>\\^`{|}".contains(&b) {
            return false;
        }
        if b == b'%'
            && !(bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
        {
            return false;
        }
    }
    true
}

fn artifacts_and_roles(app: &Value, c: &mut Checks) {
    let uris = list(app, "uris")
        .iter()
        .enumerate()
        .map(|(i, u)| (u.as_str(), format!("/uris/{i}")));
    let fetch = list(app, "fetch")
        .iter()
        .enumerate()
        .map(|(i, f)| (text(f, "uri"), format!("/fetch/{i}/uri")));
    for (i, (uri, pointer)) in uris.chain(fetch).enumerate() {
        if uri.is_some_and(|u| !uri_ok(u)) {
            c.refuse(&format!("/fetch({i})"), &pointer, "URI has invalid syntax.");
        }
    }
    for (i, role) in list(app, "acceptedResourceRoles").iter().enumerate() {
        let Some(role) = role.as_str() else { continue };
        let why = if matches!(role, "" | "." | "..") {
            Some(format!("A role name must not be \"{role}\"."))
        } else if role.starts_with('-') {
            Some("A role name must not start with a '-'.".to_string())
        } else if role.contains(['\t', '\n', '\u{b}', '\u{c}', '\r', ' ', '/', '\u{7f}']) {
            Some("A role name must not include a horizontal tab, line feed, vertical tab, form feed, carriage return, space, slash or backspace.".to_string())
        } else {
            None
        };
        if let Some(why) = why {
            let pointer = format!("/acceptedResourceRoles/{i}");
            c.refuse("/acceptedResourceRoles", &pointer, "must be empty");
            c.refuse("/acceptedResourceRolesvalue", &pointer, why);
        }
    }
}

fn readiness(app: &Value, ports: &Ports, c: &mut Checks) {
    let checks = list(app, "readinessChecks");
    if checks.len() > 1 {
        c.refuse(
            "/",
            "/readinessChecks",
            format!("got {}, expected 1 or less", checks.len()),
        );
    }
    for (i, check) in checks.iter().enumerate() {
        let pointer = format!("/readinessChecks/{i}");
        let port_name = text(check, "portName").unwrap_or("http-api");
        if !ports.names.contains(port_name) {
            c.refuse(
                &format!("/value({i})/portName"),
                &format!("{pointer}/portName"),
                format!("No port definition reference for portName {port_name}"),
            );
        }
        for key in ["name", "path", "portName"] {
            if text(check, key) == Some("") {
                c.refuse(
                    &format!("/value({i})/{key}"),
                    &format!("{pointer}/{key}"),
                    "must not be empty",
                );
            }
        }
        let seconds = |key: &str, default: i64| {
            get(check, key)
                .and_then(|v| whole(v, 64))
                .unwrap_or(default)
        };
        let (timeout, interval) = (
            seconds("timeoutSeconds", 10),
            seconds("intervalSeconds", 30),
        );
        if timeout <= 0 || timeout >= interval {
            c.refuse(
                &format!("/value({i})/timeout/toSeconds"),
                &format!("{pointer}/timeoutSeconds"),
                format!("got {timeout}, expected more than 0 and less than {interval}"),
            );
        }
        if get(check, "httpStatusCodesForReady")
            .and_then(Value::as_array)
            .is_some_and(Vec::is_empty)
        {
            c.refuse(
                &format!("/value({i})/httpStatusCodesForReady"),
                &format!("{pointer}/httpStatusCodesForReady"),
                "must not be empty",
            );
        }
    }
}

fn volumes(app: &Value, c: &mut Checks) {
    let Some(container) = get(app, "container") else {
        return;
    };
    for (i, v) in list(container, "volumes").iter().enumerate() {
        let (path, pointer) = (
            format!("/container/volumes({i})"),
            format!("/container/volumes/{i}"),
        );
        if let Some(persistent) = get(v, "persistent") {
            let size = get(persistent, "size")
                .and_then(|s| whole(s, 64))
                .unwrap_or(0);
            if size <= 0 {
                c.refuse(
                    &format!("{path}/persistent/size"),
                    &format!("{pointer}/persistent/size"),
                    format!("got {size}, expected more than 0"),
                );
            }
            continue;
        }
        if get(v, "external").is_some() {
            c.refuse(&path, &pointer, "Feature external_volumes is not enabled. Enable with --enable_features external_volumes)");
            continue;
        }
        for key in ["containerPath", "hostPath"] {
            if text(v, key).is_none_or(str::is_empty) {
                c.refuse(
                    &format!("{path}/{key}"),
                    &format!("{pointer}/{key}"),
                    "must not be empty",
                );
            }
        }
    }
}
