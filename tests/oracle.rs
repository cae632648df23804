//! The old script as an oracle: for every scenario of a table, the image's
//! own `generate_yml.sh` (from `../shared/image/0.3.9`, run by bash in a
//! temporary directory) and `panteras generate` read the same restricted/
//! files, and the compose environments must be equal, except where a
//! deliberate change of the contract (section 5) says otherwise.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use common::Host;

/// A scenario: its name, the process environment (besides HOSTNAME and
/// FQDN of the test host) and the text of restricted/host.
struct Scenario {
    name: &'static str,
    env: &'static [(&'static str, &'static str)],
    host: &'static str,
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "standalone",
        env: &[],
        host: "IP=10.0.0.5\n",
    },
    Scenario {
        name: "master 1 of 3",
        env: &[],
        host: "IP=10.0.0.1\nSLAVE=false\nZOOKEEPER_ID=1\n\
               ZOOKEEPER_HOSTS=10.0.0.1:2181,10.0.0.2:2181,10.0.0.3:2181\n\
               CONSUL_HOSTS='-bootstrap-expect 3 -join=10.0.0.1 -join=10.0.0.2 -join=10.0.0.3'\n\
               MESOS_MASTER_QUORUM=2\nCLUSTER_NAME=prod\nCONSUL_DC=ams1\n",
    },
    Scenario {
        name: "slave only",
        env: &[],
        host: "IP=10.0.0.21\nMASTER=false\nZOOKEEPER_HOSTS=10.0.0.1:2181\n\
               CONSUL_HOSTS='-join=10.0.0.1'\n",
    },
    Scenario {
        name: "listen ip",
        env: &[],
        host: "IP=10.0.0.5\nLISTEN_IP=10.0.0.5\n",
    },
    Scenario {
        name: "ssl",
        env: &[],
        host: "IP=10.0.0.5\nHAPROXY_SSL=true\nHAPROXY_ADD_DOMAIN=.example.com\n",
    },
    Scenario {
        name: "cert options without ssl",
        env: &[],
        host: "IP=10.0.0.5\nHAPROXY_CERT_OPTS='ssl crt /etc/ssl/mine.pem'\n",
    },
    Scenario {
        name: "keepalived vip on a slave",
        env: &[],
        host: "IP=10.0.0.21\nMASTER=false\nKEEPALIVED_VIP=10.0.0.100\nCONSUL_HOSTS=-join=10.0.0.1\n",
    },
    Scenario {
        name: "fabio",
        env: &[],
        host: "IP=10.0.0.5\nSTART_FABIO=true\nSTART_CONSUL_TEMPLATE=false\nSTART_NETDATA=true\n",
    },
    Scenario {
        name: "registry, tag and restart",
        env: &[],
        host: "IP=10.0.0.5\nREGISTRY=registry:5000/\nPANTERAS_IMAGE_TAG=0.3.8\n\
               PANTERAS_RESTART=always\n",
    },
    Scenario {
        name: "extra parameters",
        env: &[],
        host: "IP=10.0.0.5\nCONSUL_PARAMS='-encrypt=abc -log-level=debug'\n\
               MARATHON_PARAMS='--event_subscriber http_callback'\n\
               MESOS_SLAVE_PARAMS='--attributes=rack:r1'\nDNSMASQ_PARAMS='--log-queries'\n\
               CHRONOS_PARAMS='--mail_server smtp:25'\nREGISTRATOR_PARAMS='-resync 30'\n\
               MESOS_MASTER_PARAMS='--log_dir=/var/log/mesos'\n",
    },
    Scenario {
        name: "parameters the script drops",
        env: &[],
        host: "IP=10.0.0.5\nCONSUL_TEMPLATE_PARAMS='-log-level=debug'\n\
               ZOOKEEPER_PARAMS=x\nFABIO_PARAMS='-insecure'\nNETDATA_PARAMS='-p 20000'\n",
    },
    Scenario {
        name: "app parameters replace the whole command line",
        env: &[],
        host: "IP=10.0.0.5\nMESOS_SLAVE_APP_PARAMS='--master=zk://10.0.0.1:2181/mesos'\n\
               CONSUL_APP_PARAMS='agent -dev'\n",
    },
    Scenario {
        name: "java options and gomaxprocs",
        env: &[],
        host: "IP=10.0.0.5\nMARATHON_JAVA_OPTS=-Xmx1g\nZOOKEEPER_JAVA_OPTS=-Xmx256m\n\
               CHRONOS_JAVA_OPTS=-Xmx2g\nGOMAXPROCS=8\nPANTERAS_HOSTNAME=box-1\n",
    },
    Scenario {
        name: "consul mode, dnsmasq address and consul ip",
        env: &[],
        host: "IP=10.0.0.5\nCONSUL_MODE=' '\nDNSMASQ_ADDRESS=' '\nCONSUL_IP=10.0.0.9\n\
               CONSUL_HOSTS='-join=10.0.0.1'\n",
    },
    Scenario {
        name: "another consul domain",
        env: &[],
        host: "IP=10.0.0.5\nCONSUL_DOMAIN=internal\n",
    },
    Scenario {
        name: "docker host",
        env: &[("DOCKER_HOST", "tcp://10.0.0.7:2376")],
        host: "",
    },
    Scenario {
        name: "docker machine",
        env: &[("DOCKER_MACHINE_NAME", "dm-1")],
        host: "IP=10.0.0.8\n",
    },
    Scenario {
        name: "the vagrant box",
        env: &[("HOSTNAME", "standalone")],
        host: "",
    },
    Scenario {
        name: "values from the environment beaten by the files",
        env: &[("CONSUL_DC", "from-env"), ("GOMAXPROCS", "2")],
        host: "IP=10.0.0.5\nGOMAXPROCS=6\n",
    },
];

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

/// The compose environment and image of the old script's file.
fn oracle(scenario: &Scenario, hostname: &str) -> (BTreeMap<String, String>, String) {
    let image = common::shared().join("image/0.3.9");
    assert!(
        !Path::new("/etc/default/panteras").exists(),
        "the old script would read /etc/default/panteras of this machine"
    );
    let dir = tempfile::tempdir().unwrap();
    for file in ["generate_yml.sh", "docker-compose.yml.tpl"] {
        std::fs::copy(image.join(file), dir.path().join(file)).unwrap();
    }
    std::fs::create_dir_all(dir.path().join("infrastructure")).unwrap();
    std::fs::copy(
        image.join("infrastructure/version"),
        dir.path().join("infrastructure/version"),
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("restricted")).unwrap();
    std::fs::write(dir.path().join("restricted/host"), scenario.host).unwrap();
    // Only the tools the script needs, so that it finds no `vagrant` (it
    // would ask a running box for its address) and no `dig`.
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for tool in ["bash", "sed", "cat", "mkdir", "touch", "which", "hostname"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .unwrap();
        let path = String::from_utf8(found.stdout).unwrap();
        std::os::unix::fs::symlink(path.trim(), bin.join(tool)).unwrap();
    }
    let mut cmd = Command::new("bash");
    cmd.arg("generate_yml.sh")
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", &bin)
        .env("HOSTNAME", hostname)
        .env("FQDN", format!("{hostname}.example.com"));
    for (k, v) in scenario.env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}: generate_yml.sh failed: {}{}",
        scenario.name,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(dir.path().join("docker-compose.yml")).unwrap();
    let doc: serde_json::Value = serde_norway::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "{}: the script's file is not YAML: {e}\n{text}",
            scenario.name
        )
    });
    let service = &doc["panteras"];
    let env = service["environment"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            let v = match v {
                serde_json::Value::String(s) => s.clone(),
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

#[test]
fn panteras_keeps_the_old_scripts_compose_environment() {
    let mut failures = Vec::new();
    let mut used = std::collections::BTreeSet::new();
    for scenario in SCENARIOS {
        let hostname = scenario
            .env
            .iter()
            .find(|(k, _)| *k == "HOSTNAME")
            .map_or("node-1", |(_, v)| v);
        let (theirs, their_image) = oracle(scenario, hostname);
        let mut host = Host::new()
            .env("HOSTNAME", hostname)
            .env("FQDN", &format!("{hostname}.example.com"))
            .file("host", scenario.host);
        for (k, v) in scenario.env {
            host = host.env(k, v);
        }
        let compose = host.compose(&[]);
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
        for (key, their_value) in &theirs {
            let (a, b) = (words(their_value), words(&ours[key]));
            if a == b {
                continue;
            }
            let host_text = format!("\n{}", scenario.host);
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
        assert!(compose.contains("services:"));
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
