//! Marathon's reading of the body (400): JSON types, required members,
//! names from fixed lists, and the combinations its readers refuse. It
//! reads in two blocks; the second is read only when the first was, and the
//! three checks across fields come after both, the first failing one alone.

use serde_json::Value;

use super::{Mode, Refusal, get, whole};

/// Errors of one reading, by Marathon's path and the plan's pointer.
#[derive(Default)]
struct Reading(Vec<Refusal>);

impl Reading {
    fn refuse(&mut self, path: &str, pointer: &str, message: &str) {
        self.0.push(Refusal::new(400, path, pointer, message));
    }

    /// A member that must be text.
    fn text(&mut self, parent: &Value, key: &str, path: &str, pointer: &str) -> Option<String> {
        match get(parent, key) {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                self.refuse(
                    &format!("{path}/{key}"),
                    &format!("{pointer}/{key}"),
                    "error.expected.jsstring",
                );
                None
            }
        }
    }

    /// A member that must be a whole number of `bits`.
    fn whole(&mut self, parent: &Value, key: &str, bits: u32, path: &str, pointer: &str) {
        let Some(value) = get(parent, key) else {
            return;
        };
        let error = match value {
            Value::Number(_) if whole(value, bits).is_some() => return,
            Value::Number(_) if bits == 32 => "error.expected.int",
            Value::Number(_) => "error.expected.long",
            _ => "error.expected.jsnumber",
        };
        self.refuse(&format!("{path}/{key}"), &format!("{pointer}/{key}"), error);
    }

    fn number(&mut self, parent: &Value, key: &str, path: &str, pointer: &str) {
        if get(parent, key).is_some_and(|v| !v.is_number()) {
            self.refuse(
                &format!("{path}/{key}"),
                &format!("{pointer}/{key}"),
                "error.expected.jsnumber",
            );
        }
    }

    fn boolean(&mut self, parent: &Value, key: &str, path: &str, pointer: &str) {
        if get(parent, key).is_some_and(|v| !v.is_boolean()) {
            self.refuse(
                &format!("{path}/{key}"),
                &format!("{pointer}/{key}"),
                "error.expected.jsboolean",
            );
        }
    }

    /// A member that must be a list: its elements, with their positions.
    fn list<'a>(&mut self, parent: &'a Value, key: &str, path: &str) -> &'a [Value] {
        match get(parent, key) {
            None => &[],
            Some(Value::Array(items)) => items,
            Some(_) => {
                self.refuse(
                    &format!("{path}/{key}"),
                    &format!("/{key}"),
                    "error.expected.jsarray",
                );
                &[]
            }
        }
    }

    /// A member that must be an object.
    fn object<'a>(
        &mut self,
        parent: &'a Value,
        key: &str,
        path: &str,
        pointer: &str,
    ) -> Option<&'a Value> {
        match get(parent, key) {
            None => None,
            Some(v @ Value::Object(_)) => Some(v),
            Some(_) => {
                self.refuse(
                    &format!("{path}/{key}"),
                    &format!("{pointer}/{key}"),
                    "error.expected.jsobject",
                );
                None
            }
        }
    }

    /// A required member.
    fn required(&mut self, parent: &Value, key: &str, path: &str, pointer: &str) -> Option<String> {
        match get(parent, key) {
            None => {
                self.refuse(&format!("{path}/{key}"), pointer, "error.path.missing");
                None
            }
            Some(_) => self.text(parent, key, path, pointer),
        }
    }

    /// A name from `names` (matched with case).
    fn one_of(
        &mut self,
        parent: &Value,
        key: &str,
        names: &[&str],
        path: &str,
        pointer: &str,
        what: &str,
    ) {
        if let Some(v) = self.text(parent, key, path, pointer)
            && !names.contains(&v.as_str())
        {
            self.refuse(
                &format!("{path}/{key}"),
                &format!("{pointer}/{key}"),
                &format!("{v} is not a valid {what}"),
            );
        }
    }
}

/// The body read as Marathon reads an app (or an update of one).
pub fn read(app: &Value, mode: Mode) -> Vec<Refusal> {
    if !app.is_object() {
        return vec![Refusal::new(400, "", "", "error.expected.jsobject")];
    }
    // An env value that is neither text nor a secret's name stops the
    // whole read with this one error.
    if let Some(Value::Object(env)) = get(app, "env") {
        for (key, value) in env {
            let secret = value.as_object().map(|o| o.get("secret"));
            let error = match (value, secret) {
                (Value::String(_), _) | (_, Some(Some(Value::String(_)))) => continue,
                (_, Some(Some(_))) => "error.expected.jsstring",
                _ => "error.path.missing",
            };
            let pointer = format!("/env/{}", crate::app::plan::step(key));
            return vec![Refusal::new(400, "/secret", &pointer, error)];
        }
    }
    let mut r = Reading::default();
    first_block(app, mode, &mut r);
    if let Some(refusal) = container_docker_missing(app) {
        return vec![refusal];
    }
    if !r.0.is_empty() {
        return r.0;
    }
    second_block(app, &mut r);
    if !r.0.is_empty() {
        return r.0;
    }
    across(app, mode).into_iter().collect()
}

/// `id, cmd, args, user, env, instances, cpus, mem, disk, gpus, executor,
/// constraints, storeUrls, requirePorts, backoffSeconds, backoffFactor,
/// maxLaunchDelaySeconds, container, healthChecks`.
fn first_block(app: &Value, mode: Mode, r: &mut Reading) {
    match get(app, "id") {
        None if mode == Mode::Create => r.refuse("/id", "", "error.path.missing"),
        None => {}
        Some(Value::String(id)) if id.is_empty() && mode != Mode::Update => {
            r.refuse("/id", "/id", "error.minLength");
        }
        Some(Value::String(id)) if !id.is_empty() && id.bytes().all(|b| b == b'/') => {
            r.refuse("/id", "/id", "");
        }
        Some(Value::String(_)) => {}
        Some(_) => r.refuse("/id", "/id", "error.expected.jsstring"),
    }
    if r.text(app, "cmd", "", "").is_some_and(|c| c.is_empty()) {
        r.refuse("/cmd", "/cmd", "error.minLength");
    }
    for (i, arg) in r.list(app, "args", "").iter().enumerate() {
        if !arg.is_string() {
            r.refuse(
                &format!("/args({i})"),
                &format!("/args/{i}"),
                "error.expected.jsstring",
            );
        }
    }
    r.text(app, "user", "", "");
    if let Some(executor) = r.text(app, "executor", "", "") {
        let fine = executor.is_empty()
            || executor == "//cmd"
            || !executor
                .trim_start_matches('/')
                .split('/')
                .any(str::is_empty);
        if !fine {
            r.refuse("/executor", "/executor", "error.pattern");
        }
    }
    if get(app, "env").is_some_and(|v| !v.is_object()) {
        r.refuse("/env", "/env", "error.expected.jsobject");
    }
    r.whole(app, "instances", 32, "", "");
    r.whole(app, "gpus", 32, "", "");
    for key in ["cpus", "mem", "disk", "backoffFactor"] {
        r.number(app, key, "", "");
    }
    for key in ["backoffSeconds", "maxLaunchDelaySeconds"] {
        r.whole(app, key, 64, "", "");
    }
    r.boolean(app, "requirePorts", "", "");
    constraints(app, r);
    for (i, url) in r.list(app, "storeUrls", "").iter().enumerate() {
        if !url.is_string() {
            r.refuse(
                &format!("/storeUrls({i})"),
                &format!("/storeUrls/{i}"),
                "error.expected.jsstring",
            );
        }
    }
    container(app, r);
    health_checks(app, r);
}

const OPERATORS: [&str; 6] = ["UNIQUE", "LIKE", "CLUSTER", "GROUP_BY", "UNLIKE", "MAX_PER"];

fn constraints(app: &Value, r: &mut Reading) {
    for (i, c) in r.list(app, "constraints", "").iter().enumerate() {
        let (path, pointer) = (format!("/constraints({i})"), format!("/constraints/{i}"));
        let parts: Option<Vec<&str>> = c
            .as_array()
            .filter(|a| (2..=3).contains(&a.len()))
            .and_then(|a| a.iter().map(Value::as_str).collect());
        match parts {
            None => r.refuse(
                &path,
                &pointer,
                "Constraint definition must be an array of strings in format: <key>, <operator>[, value]",
            ),
            Some(parts) if !OPERATORS.contains(&parts[1]) => r.refuse(
                &path,
                &format!("{pointer}/1"),
                "Constraint operator must be one of the following: [UNIQUE, LIKE, CLUSTER, GROUP_BY, UNLIKE, MAX_PER]",
            ),
            Some(_) => {}
        }
    }
}

/// A Docker container (the default type) without its `docker` object:
/// Marathon's reader throws, and the answer is a 500.
fn container_docker_missing(app: &Value) -> Option<Refusal> {
    let container = get(app, "container")?.as_object()?;
    let docker_type = container
        .get("type")
        .and_then(Value::as_str)
        .is_none_or(|t| t == "DOCKER");
    (docker_type && container.get("docker").is_none_or(Value::is_null))
        .then(|| Refusal::bare(500, "/container", "docker must not be empty"))
}

fn container(app: &Value, r: &mut Reading) {
    let Some(container) = r.object(app, "container", "", "") else {
        return;
    };
    let (path, pointer) = ("/container", "/container");
    r.one_of(
        container,
        "type",
        &["DOCKER", "MESOS"],
        path,
        pointer,
        "container type",
    );
    let mesos = get(container, "type").and_then(Value::as_str) == Some("MESOS");
    if let Some(docker) = r.object(container, "docker", path, pointer) {
        let (dpath, dpointer) = ("/container/docker", "/container/docker");
        r.required(docker, "image", dpath, dpointer);
        r.one_of(
            docker,
            "network",
            &["HOST", "BRIDGE", "USER", "NONE"],
            dpath,
            dpointer,
            "network type",
        );
        r.boolean(docker, "privileged", dpath, dpointer);
        r.boolean(docker, "forcePullImage", dpath, dpointer);
        for (key, offends) in [
            ("network", mesos && get(docker, "network").is_some()),
            ("portMappings", mesos && non_empty(docker, "portMappings")),
            ("parameters", mesos && non_empty(docker, "parameters")),
            ("credential", get(docker, "credential").is_some()),
        ] {
            if offends {
                let who = if mesos { "Mesos" } else { "Docker" };
                r.refuse(
                    &format!("/container/{key}"),
                    &format!("{dpointer}/{key}"),
                    &format!("{who} Containerizer does not support {key}"),
                );
            }
        }
        for (i, m) in r.list(docker, "portMappings", dpath).iter().enumerate() {
            let (mpath, mpointer) = (
                format!("{dpath}/portMappings({i})"),
                format!("{dpointer}/portMappings/{i}"),
            );
            for key in ["containerPort", "hostPort", "servicePort"] {
                r.whole(m, key, 32, &mpath, &mpointer);
            }
            r.text(m, "protocol", &mpath, &mpointer);
            r.text(m, "name", &mpath, &mpointer);
        }
    }
    for (i, v) in r.list(container, "volumes", path).iter().enumerate() {
        let (vpath, vpointer) = (
            format!("/container/volumes({i})"),
            format!("/container/volumes/{i}"),
        );
        r.required(v, "containerPath", &vpath, &vpointer);
        if get(v, "mode").is_none() {
            r.refuse(&format!("{vpath}/mode"), &vpointer, "error.path.missing");
        } else {
            r.one_of(v, "mode", &["RW", "RO"], &vpath, &vpointer, "mode");
        }
        r.text(v, "hostPath", &vpath, &vpointer);
        if let Some(persistent) = get(v, "persistent") {
            if get(persistent, "size").is_none() {
                r.refuse(
                    &format!("{vpath}/persistent/size"),
                    &vpointer,
                    "error.path.missing",
                );
            }
            r.whole(
                persistent,
                "size",
                64,
                &format!("{vpath}/persistent"),
                &format!("{vpointer}/persistent"),
            );
        }
    }
}

fn non_empty(parent: &Value, key: &str) -> bool {
    get(parent, key).is_some_and(|v| v.as_array().is_none_or(|a| !a.is_empty()))
}

const HEALTH_PROTOCOLS: [&str; 7] = [
    "HTTP",
    "HTTPS",
    "TCP",
    "COMMAND",
    "MESOS_HTTP",
    "MESOS_HTTPS",
    "MESOS_TCP",
];

fn health_checks(app: &Value, r: &mut Reading) {
    for (i, hc) in r.list(app, "healthChecks", "").iter().enumerate() {
        let (path, pointer) = (format!("/healthChecks({i})"), format!("/healthChecks/{i}"));
        if let Some(protocol) = r.text(hc, "protocol", &path, &pointer)
            && !HEALTH_PROTOCOLS.contains(&protocol.as_str())
        {
            r.refuse(
                &path,
                &format!("{pointer}/protocol"),
                &format!("{protocol} is not a valid protocol"),
            );
        }
        if get(hc, "protocol").and_then(Value::as_str) == Some("COMMAND") {
            match get(hc, "command") {
                None => r.refuse(&format!("{path}/command"), &pointer, "error.path.missing"),
                Some(command) => {
                    r.required(
                        command,
                        "value",
                        &format!("{path}/command"),
                        &format!("{pointer}/command"),
                    );
                }
            }
        }
        match get(hc, "portIndex") {
            None | Some(Value::String(_)) => {}
            Some(v) if whole(v, 32).is_some() => {}
            Some(_) => r.refuse(
                &format!("{path}/portIndex"),
                &format!("{pointer}/portIndex"),
                "expected string (port name) or integer (port offset) for port-index",
            ),
        }
        r.whole(hc, "port", 32, &path, &pointer);
        for key in [
            "gracePeriodSeconds",
            "intervalSeconds",
            "timeoutSeconds",
            "delaySeconds",
        ] {
            r.whole(hc, key, 64, &path, &pointer);
        }
        r.whole(hc, "maxConsecutiveFailures", 32, &path, &pointer);
        r.text(hc, "path", &path, &pointer);
        r.boolean(hc, "ignoreHttp1xx", &path, &pointer);
    }
}

/// `uris, fetch, dependencies, ports, upgradeStrategy, killSelection,
/// labels, acceptedResourceRoles, portDefinitions, readinessChecks, secrets,
/// taskKillGracePeriodSeconds`, ...
fn second_block(app: &Value, r: &mut Reading) {
    for key in ["uris", "dependencies"] {
        for (i, item) in r.list(app, key, "").iter().enumerate() {
            if !item.is_string() {
                r.refuse(
                    &format!("/{key}({i})"),
                    &format!("/{key}/{i}"),
                    "error.expected.jsstring",
                );
            }
        }
    }
    for (i, f) in r.list(app, "fetch", "").iter().enumerate() {
        r.required(f, "uri", &format!("/fetch({i})"), &format!("/fetch/{i}"));
    }
    let ports = r.list(app, "ports", "");
    let mut seen = std::collections::BTreeSet::new();
    for (i, port) in ports.iter().enumerate() {
        match whole(port, 32) {
            Some(0) => {}
            Some(n) if !seen.insert(n) => {
                r.refuse("/ports", &format!("/ports/{i}"), "Ports must be unique.")
            }
            Some(_) => {}
            None => r.refuse(
                &format!("/ports({i})"),
                &format!("/ports/{i}"),
                "error.expected.int",
            ),
        }
    }
    if let Some(strategy) = r.object(app, "upgradeStrategy", "", "") {
        for key in ["minimumHealthCapacity", "maximumOverCapacity"] {
            r.number(strategy, key, "/upgradeStrategy", "/upgradeStrategy");
        }
    }
    if let Some(kill) = r.text(app, "killSelection", "", "")
        && !["YOUNGEST_FIRST", "OLDEST_FIRST"].contains(&kill.to_ascii_uppercase().as_str())
    {
        r.refuse(
            "/killSelection",
            "/killSelection",
            "error.expected.jsstring",
        );
    }
    if let Some(labels) = r.object(app, "labels", "", "").and_then(Value::as_object) {
        for (key, value) in labels {
            if !value.is_string() {
                let pointer = format!("/labels/{}", crate::app::plan::step(key));
                r.refuse(
                    &format!("/labels/{key}"),
                    &pointer,
                    "error.expected.jsstring",
                );
            }
        }
    }
    if get(app, "acceptedResourceRoles")
        .and_then(Value::as_array)
        .is_some_and(Vec::is_empty)
    {
        r.refuse(
            "/acceptedResourceRoles",
            "/acceptedResourceRoles",
            "set must not be empty",
        );
    }
    for (i, d) in r.list(app, "portDefinitions", "").iter().enumerate() {
        let (path, pointer) = (
            format!("/portDefinitions({i})"),
            format!("/portDefinitions/{i}"),
        );
        r.whole(d, "port", 32, &path, &pointer);
        r.text(d, "protocol", &path, &pointer);
        r.text(d, "name", &path, &pointer);
    }
    for (i, check) in r.list(app, "readinessChecks", "").iter().enumerate() {
        let (path, pointer) = (
            format!("/readinessChecks({i})"),
            format!("/readinessChecks/{i}"),
        );
        if let Some(protocol) = r.text(check, "protocol", &path, &pointer)
            && !["HTTP", "HTTPS"].contains(&protocol.as_str())
        {
            r.refuse(
                &format!("{path}/protocol"),
                &format!("{pointer}/protocol"),
                "Choose one of HTTP, HTTPS",
            );
        }
    }
    if let Some(Value::Object(secrets)) = r.object(app, "secrets", "", "") {
        for (name, secret) in secrets {
            let pointer = format!("/secrets/{}", crate::app::plan::step(name));
            r.required(secret, "source", &format!("/secrets/{name}"), &pointer);
        }
    }
    r.whole(app, "taskKillGracePeriodSeconds", 64, "", "");
}

/// The checks across fields, the first failing one alone.
fn across(app: &Value, mode: Mode) -> Option<Refusal> {
    let listed = |key: &str| {
        get(app, key)
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty())
    };
    let both = if mode == Mode::Update {
        get(app, "uris").is_some() && get(app, "fetch").is_some()
    } else {
        listed("uris") && listed("fetch")
    };
    if both {
        return Some(Refusal::new(
            400,
            "",
            "/fetch",
            "You cannot specify both uris and fetch fields",
        ));
    }
    if mode != Mode::Update
        && get(app, "ipAddress").is_some()
        && (listed("ports") || listed("portDefinitions"))
    {
        return Some(Refusal::new(
            400,
            "",
            "/ipAddress",
            "You cannot specify both an IP address and ports",
        ));
    }
    if let (Some(Value::Array(ports)), Some(Value::Array(definitions))) =
        (get(app, "ports"), get(app, "portDefinitions"))
    {
        let defined: Vec<Option<i64>> = definitions
            .iter()
            .map(|d| get(d, "port").and_then(|p| whole(p, 32)))
            .collect();
        let listed: Vec<Option<i64>> = ports.iter().map(|p| whole(p, 32)).collect();
        if defined != listed {
            return Some(Refusal::new(
                400,
                "",
                "/ports",
                "You cannot specify both ports and port definitions",
            ));
        }
    }
    None
}

/// What a default `PUT` refuses of the update itself, before it is
/// applied: `version` with other fields, a container that is not one,
/// an `ipAddress` beside port definitions the app would keep.
pub fn update(app: &Value, stored: Option<&Value>) -> Vec<Refusal> {
    let object = app
        .as_object()
        .map(|o| o.keys().filter(|k| !o[*k].is_null()).count());
    if get(app, "version").is_some()
        && object.is_some_and(|n| n > 2 || get(app, "id").is_none() && n > 1)
    {
        return vec![Refusal::bare(
            422,
            "/version",
            "requirement failed: The 'version' field may only be combined with the 'id' field.",
        )];
    }
    let mut refused = Vec::new();
    if let Some(docker) = get(app, "container").and_then(|c| get(c, "docker"))
        && get(docker, "image").and_then(Value::as_str) == Some("")
    {
        refused.push(Refusal::new(
            422,
            "/container",
            "/container/docker/image",
            "must not be empty",
        ));
    }
    if !refused.is_empty() {
        return refused;
    }
    let kept_definitions = match get(app, "portDefinitions") {
        Some(Value::Array(d)) => !d.is_empty(),
        Some(_) => true,
        None => stored.is_none_or(|s| {
            get(s, "portDefinitions")
                .and_then(Value::as_array)
                .is_none_or(|d| !d.is_empty())
        }),
    };
    if get(app, "ipAddress").is_some() && kept_definitions {
        return vec![Refusal::bare(
            422,
            "/ipAddress",
            "requirement failed: IP address and ports are not allowed at the same time (add \"portDefinitions\": [])",
        )];
    }
    Vec::new()
}
