//! PanteraS 0.4.4 and the 0.3 line: the image's tag chooses the line and
//! each line reads its own variables, `check --upgrade-to 0.4.4` says what
//! the move changes for the old docs' hosts, and `app check --image 0.4.4`
//! turns the PanteraS example apps' tags into the ones the 0.4.4 examples
//! carry.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::old_docs::old_docs_cluster;

fn panteras(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_panteras"));
    cmd.env_clear()
        .env("PANTERAS_DEFAULTS", "/nonexistent/panteras")
        .current_dir(dir)
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn text(out: &Output) -> String {
    common::said(out)
}

/// The image's tag chooses the line; each line's variables are its own,
/// and a variable of the other line is named with what replaces it.
#[test]
fn the_image_line_follows_the_tag_and_each_line_reads_its_own_variables() {
    let names = [("HOSTNAME", "box"), ("FQDN", "box")];
    let generate = |extra: &[&str]| {
        let dir = tempfile::tempdir().unwrap();
        let mut args = vec!["generate", "--ip", "10.0.0.5"];
        args.extend_from_slice(extra);
        let out = panteras(dir.path(), &names, &args);
        let compose = std::fs::read_to_string(dir.path().join("docker-compose.yml")).ok();
        (out, compose, dir)
    };
    for tag in ["0.4.4", "0.4.0", "v0.4.1"] {
        let set = format!("PANTERAS_IMAGE_TAG={tag}");
        let (out, compose, dir) = generate(&["--set", &set]);
        assert!(out.status.success(), "{}", text(&out));
        let compose = compose.unwrap();
        assert!(compose.contains("START_TRAEFIK: \"false\""), "{compose}");
        assert!(compose.contains("/tmp/zookeeper:/var/lib/zookeeper/version-2"));
        assert!(!compose.contains("HAPROXY"), "{compose}");
        // panteras' supervisord.conf of the 0.4 line's programs, and
        // Fabio's file (on by default); no file of the 0.3 line.
        assert!(
            compose.contains("./generated/supervisord/supervisord.conf:/etc/supervisord.conf:ro")
        );
        assert!(
            compose.contains("./generated/fabio/fabio.properties:/opt/fabio/fabio.properties:ro")
        );
        assert!(!dir.path().join("generated/haproxy").exists());
    }
    // A variable of the 0.3 line on a 0.4 host, and the other way round.
    let (out, compose, _dir) = generate(&[
        "--set",
        "PANTERAS_IMAGE_TAG=0.4.4",
        "--set",
        "HAPROXY_SSL=true",
        "--set",
        "KEEPALIVED_VIP=10.0.0.100",
    ]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(compose.is_none());
    for (var, instead) in [
        (
            "HAPROXY_SSL",
            "TLS is terminated by a Fabio or Traefik configuration",
        ),
        (
            "KEEPALIVED_VIP",
            "a virtual IP in front of the routers is set up on the hosts",
        ),
    ] {
        assert!(
            said.contains(&format!(
                "{var}=\"{}\" (flag --set): is not read on the 0.4 line (PanteraS 0.4.4), which \
                 this host follows (PANTERAS_IMAGE_TAG=0.4.4 (flag --set))",
                if var == "HAPROXY_SSL" {
                    "true"
                } else {
                    "10.0.0.100"
                }
            )),
            "{said}"
        );
        assert!(said.contains(instead), "{said}");
    }
    let (out, compose, _dir) = generate(&["--set", "START_TRAEFIK=true"]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(compose.is_none());
    assert!(said.contains("is not read on the 0.3 line (PanteraS 0.3.9), which this host follows (the default line)"), "{said}");
    assert!(said.contains("Traefik comes with the 0.4 line"), "{said}");
    // Fabio and Traefik both asked for.
    let (out, _, _dir) = generate(&[
        "--set",
        "PANTERAS_IMAGE_TAG=0.4.4",
        "--set",
        "START_TRAEFIK=true",
        "--set",
        "START_FABIO=true",
    ]);
    assert!(text(&out).contains("Fabio and Traefik would both bind ports 80 and 81"));
    // Traefik alone turns Fabio off.
    let (out, compose, _dir) = generate(&[
        "--set",
        "PANTERAS_IMAGE_TAG=0.4.4",
        "--set",
        "START_TRAEFIK=true",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(compose.unwrap().contains("START_FABIO: \"false\""));
    // The line said explicitly: against the tag it is refused; for a tag
    // of no release it is what chooses.
    let (out, _, _dir) = generate(&[
        "--set",
        "PANTERAS_IMAGE_TAG=0.4.4",
        "--set",
        "PANTERAS_IMAGE_LINE=0.3",
    ]);
    assert!(
        text(&out).contains("the image line and the image's tag disagree"),
        "{}",
        text(&out)
    );
    let (out, compose, _dir) = generate(&[
        "--set",
        "PANTERAS_IMAGE_TAG=my-build",
        "--set",
        "PANTERAS_IMAGE_LINE=0.4",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!text(&out).contains("my-build"), "{}", text(&out));
    assert!(compose.unwrap().contains("START_TRAEFIK"));
    // `latest` names no release: the default line, said.
    let (out, compose, _dir) = generate(&["--set", "PANTERAS_IMAGE_TAG=latest"]);
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("`latest` names the image's newest release, 0.4.4 since 2021, of the 0.4 line; panteras follows the 0.3 line (PanteraS 0.3.9) for it"),
        "{said}"
    );
    assert!(compose.unwrap().contains("HAPROXY_SSL"));
    // A misspelt variable of either line is suggested.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("restricted")).unwrap();
    std::fs::write(
        dir.path().join("restricted/host"),
        "PANTERAS_IMAGE_TAG=0.4.4\nSTART_TRAEFIC=true\n",
    )
    .unwrap();
    let out = panteras(dir.path(), &names, &["check", "--ip", "10.0.0.5"]);
    assert!(text(&out).contains("START_TRAEFIK"), "{}", text(&out));
    // config says the line and where it came from.
    let out = panteras(
        dir.path(),
        &names,
        &["config", "--ip", "10.0.0.5", "--format", "json"],
    );
    let entries: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let line = entries
        .iter()
        .find(|e| e["name"] == "PANTERAS_IMAGE_LINE")
        .unwrap();
    assert_eq!(line["value"], "0.4");
    assert_eq!(
        line["source"],
        "derived from PANTERAS_IMAGE_TAG=0.4.4 (restricted/host:1)"
    );
    assert!(!entries.iter().any(|e| e["name"] == "HAPROXY_SSL"));
    // A host of the 0.4 line has no upgrade to report.
    std::fs::write(
        dir.path().join("restricted/host"),
        "PANTERAS_IMAGE_TAG=0.4.4\n",
    )
    .unwrap();
    let out = panteras(
        dir.path(),
        &names,
        &["check", "--ip", "10.0.0.5", "--upgrade-to", "0.4.4"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("this host follows the 0.4 line already"),
        "{}",
        text(&out)
    );
}

/// The report for a master and a slave of the old docs' cluster, each in
/// its folder as the old script left it (the slave set up with
/// `MASTER=false` on the command line), and for a slave of a keepalived VIP.
#[test]
fn the_upgrade_report_says_what_moving_each_host_changes() {
    let work = tempfile::tempdir().unwrap();
    old_docs_cluster(work.path(), false);
    let report = |host: &str, env: &[(&str, &str)]| {
        let out = panteras(
            &work.path().join(host),
            env,
            &["check", "--quiet", "--upgrade-to", "0.4.4"],
        );
        assert!(out.status.success(), "{}", text(&out));
        String::from_utf8(out.stdout).unwrap()
    };
    let master = report(
        "master-1",
        &[("HOSTNAME", "master-1"), ("FQDN", "master-1.example.com")],
    );
    for expected in [
        "Moving master-1 (MASTER=true SLAVE=false, panteras/paas-in-a-box:0.3.9) to PanteraS 0.4.4:",
        "  - no longer run: dnsmasq, Chronos",
        "Fabio starts by default on every host, masters included",
        "ZOOKEEPER_HOSTS has 3: 1 may be away at once",
        "the ZooKeeper leader last",
        "  - new: the host's /tmp/zookeeper at /var/lib/zookeeper/version-2",
        "  - Marathon 1.4.10 -> 1.8.222",
        "  - consul-ui.service.consul -> consul.ui.service.consul",
    ] {
        assert!(master.contains(expected), "{expected}\n{master}");
    }
    assert!(!master.contains("Routing:"), "{master}");
    let slave = report(
        "slave-2",
        &[
            ("HOSTNAME", "slave-2"),
            ("FQDN", "slave-2.example.com"),
            ("MASTER", "false"),
        ],
    );
    for expected in [
        "Moving slave-2 (MASTER=false SLAVE=true",
        "  - no longer run: dnsmasq, consul-template with HAProxy",
        "panteras app check --image 0.4.4 PLAN...",
        "chains HAPROXY, haproxy_a, haproxy_b",
        "  - 53 (dnsmasq) is no longer used",
        "80 and 81 are served by Fabio (or Traefik) itself",
    ] {
        assert!(slave.contains(expected), "{expected}\n{slave}");
    }
    for master_only in ["The masters' state:", "/tmp/zookeeper", "4400 (Chronos)"] {
        assert!(!slave.contains(master_only), "{master_only}\n{slave}");
    }
    // A slave of a keepalived VIP, with a setting 0.4.4 no longer reads.
    let vip = common::shared().join("image/0.3.9/oracle/generate_yml/10-keepalived-vip-on-a-slave");
    let host =
        common::Host::new().file("host", &std::fs::read_to_string(vip.join("host")).unwrap());
    let out = host
        .subcommand("check", &["--quiet", "--upgrade-to", "0.4.4"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        said.contains("  - KEEPALIVED_VIP=") && said.contains("keepalived is gone"),
        "{said}"
    );
    assert!(
        said.contains("no longer run: dnsmasq, consul-template with HAProxy, keepalived"),
        "{said}"
    );
}

/// A report of settings that cannot run would describe nothing real.
#[test]
fn the_upgrade_report_waits_for_the_errors_to_be_fixed() {
    let host = common::Host::new().file("host", "IP=10.0.0.5\nZOOKEEPER_ID=7\n");
    let out = host
        .subcommand("check", &["--upgrade-to", "0.4.4"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("fix them first"), "{}", text(&out));
    assert!(!text(&out).contains("Moving "), "{}", text(&out));
    let out = host
        .subcommand("check", &["--upgrade-to", "0.5"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

/// The PanteraS examples of 0.3.9 and of 0.4.4 are the same apps: the
/// tags `--fix` adds to the 0.3.9 ones are the `paas-` host routes the
/// 0.4.4 ones carry. Two of the five are canaries Marathon 1.4.10 refuses
/// (two Mesos health checks): their tags are said, and with `--fix`
/// nothing is written.
#[test]
fn the_example_apps_get_the_tags_of_their_0_4_4_versions() {
    let examples = common::shared().join("image/0.3.9/examples");
    let newer = common::shared().join("image/0.4.4/examples");
    let work = tempfile::tempdir().unwrap();
    let mut names: Vec<String> = std::fs::read_dir(&examples)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 5, "{names:?}");
    for name in &names {
        std::fs::copy(examples.join(name), work.path().join(name)).unwrap();
    }
    let all: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut args = vec!["app", "check", "--image", "0.4.4", "--fix"];
    args.extend(&all);
    let out = panteras(work.path(), &[], &args);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("nothing was written"), "{said}");
    assert!(
        said.contains("SimpleWebappPython-deploy1_marathon.json:18: env.SERVICE_TAGS: `haproxy_route=/media` -> `paas-/media`"),
        "{said}"
    );
    for name in &names {
        assert_eq!(
            std::fs::read(work.path().join(name)).unwrap(),
            std::fs::read(examples.join(name)).unwrap(),
            "{name} was written"
        );
    }
    let accepted: Vec<&str> = all
        .iter()
        .copied()
        .filter(|n| {
            n.ends_with("deploy0_marathon.json") || n.contains("Simple") && n.contains("deploy2")
        })
        .collect();
    assert_eq!(accepted.len(), 3, "{accepted:?}");
    let mut args = vec!["app", "check", "--image", "0.4.4", "--fix"];
    args.extend(&accepted);
    let out = panteras(work.path(), &[], &args);
    assert!(out.status.success(), "{}", text(&out));
    let tags = |path: &Path| -> Vec<String> {
        let app: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        app["env"]["SERVICE_TAGS"]
            .as_str()
            .unwrap()
            .split(',')
            .map(str::to_string)
            .collect()
    };
    let mut compared = 0;
    for name in &accepted {
        let fixed = tags(&work.path().join(name));
        // The 0.4.4 TCP example moved to another port: its route is
        // compared below by what 0.3.9's says.
        let routes: Vec<String> = tags(&newer.join(name))
            .into_iter()
            .filter(|t| t.starts_with("paas-") && t.ends_with(".service.consul/"))
            .collect();
        compared += usize::from(!routes.is_empty());
        for route in routes {
            assert!(fixed.contains(&route), "{name}: {route} not in {fixed:?}");
        }
        // The old tags stay: hosts of either release route it meanwhile.
        for old in tags(&examples.join(name)) {
            assert!(fixed.contains(&old), "{name}: {old} was taken away");
        }
    }
    assert_eq!(compared, 2);
    let tcp = tags(&work.path().join("SimpleWebappPython-deploy2_marathon.json"));
    assert!(tcp.contains(&"paas-:5556 proto=tcp".to_string()), "{tcp:?}");
    // What --fix wrote passes the checks, and a second --fix changes nothing.
    let before: Vec<Vec<u8>> = accepted
        .iter()
        .map(|n| std::fs::read(work.path().join(n)).unwrap())
        .collect();
    let mut args = vec!["app", "check"];
    args.extend(&accepted);
    assert!(panteras(work.path(), &[], &args).status.success());
    let mut args = vec!["app", "check", "--image", "0.4.4", "--fix"];
    args.extend(&accepted);
    let again = panteras(work.path(), &[], &args);
    assert!(again.status.success(), "{}", text(&again));
    assert!(!text(&again).contains("wrote"), "{}", text(&again));
    let after: Vec<Vec<u8>> = accepted
        .iter()
        .map(|n| std::fs::read(work.path().join(n)).unwrap())
        .collect();
    assert_eq!(before, after);
}

/// `text` as a Markdown code block: each line indented by four spaces.
fn indented(text: &str) -> String {
    text.lines()
        .map(|l| {
            if l.is_empty() {
                String::new()
            } else {
                format!("    {l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// README's section "Moving to PanteraS 0.4.4" shows the report of a slave
/// of the old docs' cluster and the tags of an example app as panteras
/// prints them.
#[test]
fn readme_shows_the_upgrade_reports_as_they_are() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let work = tempfile::tempdir().unwrap();
    old_docs_cluster(work.path(), false);
    let out = panteras(
        &work.path().join("slave-2"),
        &[
            ("HOSTNAME", "slave-2"),
            ("FQDN", "slave-2.example.com"),
            ("MASTER", "false"),
        ],
        &["check", "--quiet", "--upgrade-to", "0.4.4"],
    );
    let slave = indented(&String::from_utf8_lossy(&out.stdout));
    assert!(
        readme.contains(&slave),
        "README lacks the slave's report:\n{slave}"
    );
    let examples = common::shared().join("image/0.3.9/examples");
    let out = panteras(
        &examples,
        &[],
        &[
            "app",
            "check",
            "--quiet",
            "--image",
            "0.4.4",
            "SimpleWebappPython-deploy0_marathon.json",
        ],
    );
    let app = indented(&String::from_utf8_lossy(&out.stdout));
    assert!(readme.contains(&app), "README lacks the app's tags:\n{app}");
}
