//! The 0.4 line against its oracle: every scenario that
//! `../shared/image/0.4.4/oracle/generate_yml/` recorded from 0.4.4's own
//! `generate_yml.sh` (found by listing the folder) is run through
//! `panteras generate` on the 0.4 line, and the compose service must be the
//! recorded one (image, restart, environment key by key, volumes, the
//! ports as `expose:`) except where README's deliberate changes say
//! otherwise; a scenario the script refused is refused, and one that sets
//! the 0.3 line's variables is refused with each of them named.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use common::Host;

/// A recorded scenario: its folder, the environment the script ran with
/// (the machine's answers to `dig` and `hostname -f` among it), the text of
/// restricted/host and the file it wrote, if any.
struct Scenario {
    name: String,
    env: Vec<(String, String)>,
    host: String,
    compose: Option<String>,
    exit: i32,
}

fn scenarios() -> Vec<Scenario> {
    common::oracle_cases_of("0.4.4", "generate_yml")
        .iter()
        .map(|dir| scenario(dir.as_path()))
        .collect()
}

fn scenario(dir: &Path) -> Scenario {
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).ok();
    let mut env: Vec<(String, String)> = read("env")
        .expect("every scenario has its env")
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (k, v) = l.split_once('=').expect("env lines are NAME=value");
            (k.to_string(), v.to_string())
        })
        .collect();
    // What the machine answered the script (its `dig +short HOSTNAME`, its
    // `hostname -f`) is given to panteras as the machine's answer would
    // be: panteras asks the resolver and the system, which a test cannot
    // fake; tests/identity covers those lookups.
    if let Some(answer) = read("dig") {
        env.push(("IP".into(), answer.trim().to_string()));
    }
    if let Some(answer) = read("hostname-f") {
        env.push(("FQDN".into(), answer.trim().to_string()));
    }
    Scenario {
        name: dir.file_name().unwrap().to_string_lossy().into_owned(),
        env,
        host: read("host").expect("every scenario has its host file"),
        compose: read("docker-compose.yml"),
        exit: read("exit-status")
            .and_then(|t| t.trim().parse().ok())
            .expect("every scenario has its exit status"),
    }
}

/// The variables of the 0.3 line that the 0.4 line does not read.
const OF_THE_03_LINE: [&str; 17] = [
    "START_DNSMASQ",
    "START_CHRONOS",
    "START_CONSUL_TEMPLATE",
    "HAPROXY_SSL",
    "HAPROXY_CERT_OPTS",
    "HAPROXY_ADD_DOMAIN",
    "KEEPALIVED_VIP",
    "CHRONOS_JAVA_OPTS",
    "MARATHON_JAVA_OPTS",
    "DNSMASQ_PARAMS",
    "DNSMASQ_ADDRESS",
    "CHRONOS_PARAMS",
    "CONSUL_TEMPLATE_PARAMS",
    "CHRONOS_APP_PARAMS",
    "DNSMASQ_APP_PARAMS",
    "CONSUL_TEMPLATE_APP_PARAMS",
    "CONSUL_TEMPLATE_APP_PARAMS",
];

/// Where the environments may differ, by README's deliberate change, and
/// whether it explains a difference in `key` of a scenario's host file.
type Allows = fn(&str, &str) -> bool;

const ALLOWED: &[(u8, Allows)] = &[
    // 4: the UIs' tags follow CONSUL_DOMAIN.
    (4, |key, host| {
        host.contains("\nCONSUL_DOMAIN=") && key.ends_with("_TAGS")
    }),
    // 5: every daemon appends its own _PARAMS.
    (5, |key, host| {
        ["ZOOKEEPER", "FABIO", "TRAEFIK", "NETDATA"]
            .iter()
            .any(|d| key == format!("{d}_APP_PARAMS") && host.contains(&format!("\n{d}_PARAMS=")))
    }),
];

/// The docker binary HOST_DOCKER mounts by default: panteras refuses to
/// mount one that this machine lacks (deliberate change 6).
const DOCKER_BINARY: &str = "/usr/local/bin/docker";

/// Scenarios the script took and panteras refuses (deliberate change 6:
/// bad input is refused), with what panteras says.
const REFUSED: &[(&str, &str)] = &[(
    "28-cluster-gomaxprocs-zk-heap-hostname",
    "a quorum of 2 can never be reached with 1 masters",
)];

/// Blanks collapsed and trimmed (deliberate change 3).
fn words(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A YAML scalar as text.
fn text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The items of a list, trimmed, the blank ones (lines whose variable was
/// empty) left out.
fn items(value: &serde_json::Value) -> Vec<String> {
    value
        .as_array()
        .map(|a| {
            a.iter()
                .map(text)
                .map(|v| v.trim().to_string())
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
        .into_iter()
        .filter(|v| !v.is_empty())
        .collect()
}

fn host_of(scenario: &Scenario) -> Host {
    let mut host = Host::bare()
        .file("host", &scenario.host)
        .env("PANTERAS_IMAGE_LINE", "0.4");
    for (k, v) in &scenario.env {
        host = host.env(k, v);
    }
    host
}

#[test]
fn the_04_line_keeps_the_0_4_4_scripts_compose_service() {
    let scenarios = scenarios();
    assert!(scenarios.len() >= 34, "{} scenarios", scenarios.len());
    assert!(
        !Path::new("/etc/default/panteras").exists(),
        "panteras would read /etc/default/panteras of this machine"
    );
    let mut failures = Vec::new();
    let mut used = BTreeSet::new();
    let mut compared = 0;
    for scenario in &scenarios {
        let host = host_of(scenario);
        let host_text = format!("\n{}", scenario.host);
        let sets_03 = OF_THE_03_LINE
            .iter()
            .any(|v| host_text.contains(&format!("\n{v}=")));
        let Some(compose) = scenario.compose.as_ref().filter(|_| scenario.exit == 0) else {
            // The script refused it: so does panteras, writing nothing.
            let out = host.run(&[]);
            if out.status.success() || host.path().join("docker-compose.yml").exists() {
                failures.push(format!(
                    "{}: the script refused it, panteras did not",
                    scenario.name
                ));
            }
            continue;
        };
        if sets_03 {
            // Each variable of the 0.3 line is named with what replaces it.
            let out = host.run(&[]);
            let said = String::from_utf8_lossy(&out.stderr);
            if out.status.success() {
                failures.push(format!(
                    "{}: the 0.3 line's variables were taken",
                    scenario.name
                ));
            }
            for var in OF_THE_03_LINE {
                if host_text.contains(&format!("\n{var}=")) && !said.contains(&format!("{var}=")) {
                    failures.push(format!("{}: {var} is not named: {said}", scenario.name));
                }
            }
            if !said.contains("is not read on the 0.4 line (PanteraS 0.4.4)") {
                failures.push(format!("{}: {said}", scenario.name));
            }
            continue;
        }
        if scenario.host.contains("HOST_DOCKER=true") && !Path::new(DOCKER_BINARY).exists() {
            let out = host.run(&[]);
            let said = String::from_utf8_lossy(&out.stderr);
            if out.status.success() || !said.contains("VOLUME_DOCKER") {
                failures.push(format!("{}: {said}", scenario.name));
            }
            continue;
        }
        // The first step of a move (`--image-files`) is what the script wrote:
        // the image's own daemon files, nothing of panteras' mounted.
        let out = host.run(&["--image-files"]);
        if !out.status.success() {
            let said = String::from_utf8_lossy(&out.stderr);
            match REFUSED.iter().find(|(name, _)| *name == scenario.name) {
                Some((_, why)) if said.contains(why) => {}
                _ => failures.push(format!("{}: refused: {said}", scenario.name)),
            }
            continue;
        }
        host.compose(&["--image-files"]);
        compared += 1;
        let theirs: serde_json::Value = serde_norway::from_str(compose)
            .unwrap_or_else(|e| panic!("{}: the recorded file is not YAML: {e}", scenario.name));
        let theirs = &theirs["panteras"];
        let ours = common::compose_json(&host.path().join("docker-compose.yml"));
        let ours = &ours["services"]["panteras"];
        for key in ["image", "restart"] {
            if text(&theirs[key]) != text(&ours[key]) {
                failures.push(format!(
                    "{}: {key} {} against {}",
                    scenario.name, theirs[key], ours[key]
                ));
            }
        }
        // Deliberate change 2: the ports as `expose:`, the same numbers.
        let their_ports: Vec<String> = items(&theirs["ports"])
            .iter()
            .map(|p| p.split(':').next().unwrap_or_default().to_string())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let our_ports: Vec<String> = items(&ours["expose"])
            .into_iter()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if their_ports != our_ports {
            failures.push(format!(
                "{}: ports\n  script   {their_ports:?}\n  panteras {our_ports:?}",
                scenario.name
            ));
        }
        let (their_volumes, our_volumes) = (items(&theirs["volumes"]), items(&ours["volumes"]));
        if their_volumes != our_volumes {
            failures.push(format!(
                "{}: volumes\n  script   {their_volumes:?}\n  panteras {our_volumes:?}",
                scenario.name
            ));
        }
        let env = |value: &serde_json::Value| -> BTreeMap<String, String> {
            value
                .as_object()
                .map(|o| o.iter().map(|(k, v)| (k.clone(), text(v))).collect())
                .unwrap_or_default()
        };
        let (their_env, our_env) = (env(&theirs["environment"]), env(&ours["environment"]));
        let keys = |e: &BTreeMap<String, String>| e.keys().cloned().collect::<Vec<_>>();
        if keys(&their_env) != keys(&our_env) {
            failures.push(format!(
                "{}: keys differ:\n  script   {:?}\n  panteras {:?}",
                scenario.name,
                keys(&their_env),
                keys(&our_env)
            ));
            continue;
        }
        for (key, theirs) in &their_env {
            let (a, b) = (words(theirs), words(&our_env[key]));
            // Deliberate change 12: booleans written in lower case.
            if a == b || (key.starts_with("START_") && a.to_ascii_lowercase() == b) {
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
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(compared >= 28, "{compared} scenarios compared");
    for (change, _) in ALLOWED {
        assert!(
            used.contains(change),
            "deliberate change {change} is never seen"
        );
    }
}

/// The image's users (README of the image: consul 3000, fabio 3001,
/// traefik 3002, marathon 3003; zookeeper from Ubuntu's package, whose uid
/// PanteraS does not fix), added to this machine's for supervisord.
const IMAGE_USERS: [(&str, u32); 5] = [
    ("consul", 3000),
    ("fabio", 3001),
    ("traefik", 3002),
    ("marathon", 3003),
    ("zookeeper", 3004),
];

/// The 0.4.4 image's own supervisord.conf.
fn image_conf() -> std::path::PathBuf {
    common::shared().join("image/0.4.4/infrastructure/supervisord.conf")
}

/// What supervisor 4.2.2 makes of a supervisord.conf (the image's, or
/// panteras') with
/// `environment` (NAME=value lines), as tests/support/supervisor_programs.py
/// prints it; run in a mount namespace whose /etc/passwd and /etc/group
/// have the image's users.
fn supervisord_reads(
    python: &Path,
    work: &Path,
    conf: &Path,
    environment: &Path,
) -> serde_json::Value {
    let (passwd, group) = (work.join("passwd"), work.join("group"));
    if !passwd.exists() {
        let mut users = std::fs::read_to_string("/etc/passwd").unwrap();
        let mut groups = std::fs::read_to_string("/etc/group").unwrap();
        for (name, id) in IMAGE_USERS {
            users.push_str(&format!("{name}:x:{id}:{id}::/opt/{name}:/bin/false\n"));
            groups.push_str(&format!("{name}:x:{id}:\n"));
        }
        std::fs::write(&passwd, users).unwrap();
        std::fs::write(&group, groups).unwrap();
    }
    let reader = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/supervisor_programs.py");
    let out = std::process::Command::new("unshare")
        .args(["-m", "sh", "-c"])
        .arg(
            "mount --bind \"$1\" /etc/passwd && mount --bind \"$2\" /etc/group && \
             exec \"$3\" \"$4\" \"$5\" \"$6\" /etc/supervisord.conf",
        )
        .arg("sh")
        .args([&passwd, &group, python, &reader, conf, environment])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The reader is the one the image's tables were recorded with: on every
/// case of `oracle/supervisord/` it prints the recorded programs.
#[test]
fn the_supervisord_reader_gives_the_recorded_tables() {
    let test = "the_supervisord_reader_gives_the_recorded_tables";
    let Some(python) = common::tools::built_tool("supervisor-4.2.2/bin/python", test) else {
        return;
    };
    if !common::have("unshare", test) {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let cases = common::oracle_cases_of("0.4.4", "supervisord");
    assert!(cases.len() >= 9, "{} cases", cases.len());
    for case in cases {
        let read = supervisord_reads(
            &python,
            work.path(),
            &image_conf(),
            &case.join("environment"),
        );
        let recorded: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(case.join("programs.json")).unwrap())
                .unwrap();
        assert_eq!(read, recorded, "{}", case.display());
    }
}

/// The image's own supervisord.conf, under supervisor 4.2.2 as in the
/// image, starts from panteras' compose environment the programs it
/// started from the script's: the same programs, users, start switches,
/// directories, signals and argv (the recorded `command` keeps the
/// script's double blanks: deliberate change 3), but for the parameters
/// README's deliberate change 5 appends; and panteras' own supervisord.conf
/// of the 0.4 line starts exactly what the image's does.
#[test]
fn the_images_supervisord_starts_the_same_programs_from_panteras_environment() {
    let test = "the_images_supervisord_starts_the_same_programs";
    let Some(python) = common::tools::built_tool("supervisor-4.2.2/bin/python", test) else {
        return;
    };
    if !common::have("unshare", test) {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    let mut compared = 0;
    for scenario in scenarios() {
        let dir = common::shared()
            .join("image/0.4.4/oracle/generate_yml")
            .join(&scenario.name);
        let Ok(recorded) = std::fs::read_to_string(dir.join("programs.json")) else {
            continue;
        };
        let host = host_of(&scenario);
        let out = host.run(&[]);
        if !out.status.success() {
            // Refused by panteras: the test above says why it may be.
            continue;
        }
        let compose = host.path().join("docker-compose.yml");
        let environment: String = common::environment(&compose)
            .into_iter()
            .map(|(k, v)| format!("{k}={v}\n"))
            .collect();
        let env_file = work.path().join(format!("{}.env", scenario.name));
        std::fs::write(&env_file, environment).unwrap();
        let mut ours = supervisord_reads(&python, work.path(), &image_conf(), &env_file);
        // panteras' own supervisord.conf of the 0.4 line starts the same
        // programs as the image's from the same environment.
        let own = supervisord_reads(
            &python,
            work.path(),
            &host.path().join("generated/supervisord/supervisord.conf"),
            &env_file,
        );
        if own != ours {
            failures.push(format!(
                "{}: panteras' supervisord.conf\n  image's  {ours}\n  panteras {own}",
                scenario.name
            ));
        }
        let mut theirs: serde_json::Value = serde_json::from_str(&recorded).unwrap();
        let host_text = format!("\n{}", scenario.host);
        for doc in [&mut ours, &mut theirs] {
            for program in doc["programs"].as_array_mut().into_iter().flatten() {
                program.as_object_mut().unwrap().remove("command");
                // Deliberate change 5: the daemon's own _PARAMS appended.
                let name = program["name"].as_str().unwrap_or_default().to_uppercase();
                let appended = ALLOWED.iter().any(|(change, allows)| {
                    *change == 5 && allows(&format!("{name}_APP_PARAMS"), &host_text)
                });
                if appended {
                    program.as_object_mut().unwrap().remove("argv");
                }
            }
        }
        if ours != theirs {
            failures.push(format!(
                "{}:\n  script   {theirs}\n  panteras {ours}",
                scenario.name
            ));
        }
        compared += 1;
    }
    assert!(compared >= 28, "{compared} scenarios compared");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
