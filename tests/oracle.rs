//! The old script as an oracle: every scenario that
//! `../shared/image/0.3.9/oracle/generate_yml/` recorded from the image's
//! own `generate_yml.sh` (its restricted/host, its whole environment and
//! the docker-compose.yml it wrote) is run through `panteras generate`, and
//! the compose environments and images must be equal, except where a
//! deliberate change of the contract (section 5) says otherwise. Scenarios
//! are found by listing the folder, so a new one is tested as it lands.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::Host;

/// A recorded scenario: its folder's name, the environment the script ran
/// with, the text of restricted/host and the file it wrote.
struct Scenario {
    name: String,
    env: Vec<(String, String)>,
    host: String,
    compose: String,
}

fn scenarios() -> Vec<Scenario> {
    common::oracle_cases("generate_yml")
        .iter()
        .map(|dir| {
            let read = |name: &str| {
                std::fs::read_to_string(dir.join(name))
                    .unwrap_or_else(|e| panic!("{}/{name}: {e}", dir.display()))
            };
            let env = read("env")
                .lines()
                .filter(|l| !l.is_empty())
                .map(|l| {
                    let (k, v) = l.split_once('=').expect("env lines are NAME=value");
                    (k.to_string(), v.to_string())
                })
                .collect();
            Scenario {
                name: dir.file_name().unwrap().to_string_lossy().into_owned(),
                env,
                host: read("host"),
                compose: read("docker-compose.yml"),
            }
        })
        .collect()
}

/// Where the compose environments may differ, by the number of the
/// deliberate change in contract section 5, and whether it explains a
/// difference in `key` of scenario `host`.
type Allows = fn(&str, &str) -> bool;

const ALLOWED: &[(u8, Allows)] = &[
    // 4: the dnsmasq address and the UI tags follow CONSUL_DOMAIN.
    (4, |key, host| {
        host.contains("CONSUL_DOMAIN=") && (key == "DNSMASQ_APP_PARAMS" || key.ends_with("_TAGS"))
    }),
    // 5: every daemon appends its own _PARAMS.
    (5, |key, host| {
        ["CONSUL_TEMPLATE", "ZOOKEEPER", "FABIO", "NETDATA"]
            .iter()
            .any(|d| key == format!("{d}_APP_PARAMS") && host.contains(&format!("\n{d}_PARAMS=")))
    }),
];

/// The compose environment and image of the file the old script wrote
/// (Compose v1 format: the service at the top level).
fn recorded(scenario: &Scenario) -> (BTreeMap<String, String>, String) {
    let doc: serde_json::Value = serde_norway::from_str(&scenario.compose)
        .unwrap_or_else(|e| panic!("{}: the recorded file is not YAML: {e}", scenario.name));
    let service = &doc["panteras"];
    let env = service["environment"]
        .as_object()
        .unwrap_or_else(|| panic!("{}: no environment", scenario.name))
        .iter()
        .map(|(k, v)| {
            let v = match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => String::new(),
                other => other.to_string(),
            };
            (k.clone(), v)
        })
        .collect();
    (env, service["image"].as_str().unwrap().to_string())
}

/// Blanks collapsed and trimmed (deliberate change 3).
fn words(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The docker binary HOST_DOCKER mounts by default: panteras refuses to
/// mount one that this machine lacks (deliberate change 6: Docker would
/// mount an empty directory), where the script wrote the volume anyway.
const DOCKER_BINARY: &str = "/usr/local/bin/docker";

#[test]
fn panteras_keeps_the_old_scripts_compose_environment() {
    let scenarios = scenarios();
    assert!(
        scenarios.len() >= 26,
        "the recorded scenarios: {}",
        scenarios.len()
    );
    assert!(
        !Path::new("/etc/default/panteras").exists(),
        "panteras would read /etc/default/panteras of this machine"
    );
    let mut failures = Vec::new();
    let mut used = std::collections::BTreeSet::new();
    for scenario in &scenarios {
        let (theirs, their_image) = recorded(scenario);
        let mut host = Host::bare().file("host", &scenario.host);
        for (k, v) in &scenario.env {
            host = host.env(k, v);
        }
        let refused_docker =
            scenario.host.contains("HOST_DOCKER=true") && !Path::new(DOCKER_BINARY).exists();
        if refused_docker {
            let out = host.run(&[]);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                !out.status.success() && stderr.contains("VOLUME_DOCKER"),
                "{}: {stderr}",
                scenario.name
            );
            eprintln!(
                "{}: refused, {DOCKER_BINARY} is missing here",
                scenario.name
            );
            continue;
        }
        host.compose(&[]);
        let ours: BTreeMap<String, String> =
            common::environment(&host.path().join("docker-compose.yml"))
                .into_iter()
                .collect();
        let keys = |env: &BTreeMap<String, String>| env.keys().cloned().collect::<Vec<_>>();
        if keys(&theirs) != keys(&ours) {
            failures.push(format!(
                "{}: keys differ:\n  script  {:?}\n  panteras {:?}",
                scenario.name,
                keys(&theirs),
                keys(&ours)
            ));
            continue;
        }
        let host_text = format!("\n{}", scenario.host);
        for (key, their_value) in &theirs {
            let (a, b) = (words(their_value), words(&ours[key]));
            if a == b {
                continue;
            }
            match ALLOWED.iter().find(|(_, allows)| allows(key, &host_text)) {
                Some((change, _)) => {
                    used.insert(*change);
                }
                None => failures.push(format!(
                    "{}: {key}\n  script   {a:?}\n  panteras {b:?}",
                    scenario.name
                )),
            }
        }
        let our_image = common::compose_json(&host.path().join("docker-compose.yml"))
            ["services"]["panteras"]["image"]
            .as_str()
            .unwrap()
            .to_string();
        if their_image != our_image {
            failures.push(format!(
                "{}: image {their_image:?} against {our_image:?}",
                scenario.name
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Each allowed difference is needed: some scenario shows it.
    for (change, _) in ALLOWED {
        assert!(
            used.contains(change),
            "deliberate change {change} is never seen"
        );
    }
}

/// With `--image-files`, panteras writes what the script wrote: on every
/// scenario the container gets the script's volumes (no file of panteras'
/// is mounted), no digest label, and nothing is written under generated/;
/// its environment is the one the test above compares.
#[test]
fn with_image_files_the_container_gets_the_scripts_volumes_and_no_file_of_panteras() {
    let volumes = |value: &serde_json::Value| -> Vec<String> {
        let mut list: Vec<String> = value
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str())
                    .map(|v| v.trim().to_string())
                    .collect()
            })
            .unwrap_or_default();
        list.sort();
        list
    };
    let mut failures = Vec::new();
    let mut compared = 0;
    for scenario in scenarios() {
        if scenario.host.contains("HOST_DOCKER=true") && !Path::new(DOCKER_BINARY).exists() {
            continue;
        }
        let mut host = Host::bare().file("host", &scenario.host);
        for (k, v) in &scenario.env {
            host = host.env(k, v);
        }
        host.compose(&["--image-files"]);
        let theirs: serde_json::Value = serde_norway::from_str(&scenario.compose).unwrap();
        let ours = common::compose_json(&host.path().join("docker-compose.yml"));
        let ours = &ours["services"]["panteras"];
        let (a, b) = (
            volumes(&theirs["panteras"]["volumes"]),
            volumes(&ours["volumes"]),
        );
        if a != b {
            failures.push(format!(
                "{}: volumes\n  script   {a:?}\n  panteras {b:?}",
                scenario.name
            ));
        }
        if !ours["labels"].is_null() {
            failures.push(format!("{}: labels {}", scenario.name, ours["labels"]));
        }
        if host.path().join("generated").exists() {
            failures.push(format!("{}: generated/ was written", scenario.name));
        }
        compared += 1;
    }
    assert!(compared >= 20, "{compared} scenarios compared");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
