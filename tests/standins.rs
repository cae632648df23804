//! The project's stand-ins for the image's scripts, proven against what
//! the real scripts did: every case recorded in
//! `../shared/image/0.3.9/oracle/` (found by listing the folders, so a new
//! case is tested as it lands) must come out byte for byte. The other
//! tests then use these stand-ins where they need the image's scripts.

mod common;

use std::path::Path;
use std::process::Command;

use common::tools;

/// A recorded `env` file: NAME=value lines.
fn recorded_env(dir: &Path) -> Vec<(String, String)> {
    std::fs::read_to_string(dir.join("env"))
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (k, v) = l.split_once('=').expect("NAME=value");
            (k.to_string(), v.to_string())
        })
        .collect()
}

#[test]
fn the_configure_pass_writes_what_the_images_reload_step_wrote() {
    if !common::have("bash", "the_configure_pass") {
        return;
    }
    let cases = common::oracle_cases("reload-configure");
    assert!(cases.len() >= 7, "{cases:?}");
    let mut failures = Vec::new();
    for case in &cases {
        let scratch = tempfile::tempdir().unwrap();
        let dest = scratch.path().join("out.cfg");
        let out = tools::configure_pass(&case.join("haproxy.cfg"), &dest, &recorded_env(case), &[]);
        let status: i32 = std::fs::read_to_string(case.join("exit-status"))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let expected = std::fs::read(case.join("out.cfg")).unwrap();
        let written = std::fs::read(&dest).unwrap_or_default();
        if out.status.code() != Some(status) || written != expected {
            failures.push(format!(
                "{}: status {:?} (recorded {status}), {}\n{}",
                case.display(),
                out.status.code(),
                if written == expected {
                    "same output".to_string()
                } else {
                    format!(
                        "output differs:\n--- recorded\n{}\n--- stand-in\n{}",
                        String::from_utf8_lossy(&expected),
                        String::from_utf8_lossy(&written)
                    )
                },
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_configure_pass_runs_what_the_shell_would_and_breaks_on_an_unbalanced_quote() {
    if !common::have("bash", "the_configure_pass_runs") {
        return;
    }
    // What the description of the image says beyond the recorded cases: a
    // command substitution runs (which is why panteras writes none), and
    // one unbalanced quote breaks the pass: it fails, and what follows the
    // quote never reaches the file.
    let scratch = tempfile::tempdir().unwrap();
    let marker = scratch.path().join("marker");
    let source = scratch.path().join("haproxy.cfg");
    let dest = scratch.path().join("out.cfg");
    std::fs::write(&source, format!("a $(touch {})\n", marker.display())).unwrap();
    let out = tools::configure_pass(&source, &dest, &[], &[]);
    assert!(out.status.success());
    assert!(marker.exists(), "the pass did not run the substitution");
    std::fs::write(&source, "global\n    log \"x\n    maxconn 10\n").unwrap();
    let out = tools::configure_pass(&source, &dest, &[], &[]);
    assert!(!out.status.success());
    let written = std::fs::read_to_string(&dest).unwrap();
    assert!(!written.contains("maxconn"), "{written}");
}

/// Runs the zkStart stand-in as supervisord does (`/opt/zkStart.sh
/// start-foreground`) with exactly `env`, in a private mount namespace
/// whose /etc/zookeeper/conf is `conf` and whose
/// /usr/share/zookeeper/bin/zkServer.sh is a recorder that writes its
/// arguments to `conf/../server-args` and exits.
fn zk_start(conf: &Path, env: &[(String, String)]) -> std::process::Output {
    let bin = conf.parent().unwrap().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let recorder = bin.join("zkServer.sh");
    std::fs::write(
        &recorder,
        format!(
            "#!/bin/sh\necho \"$@\" > {}\n",
            conf.parent().unwrap().join("server-args").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        &recorder,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    Command::new("unshare")
        .args(["-m", "--propagation", "private", "sh", "-c"])
        .arg(
            "mount --bind \"$1\" /etc/zookeeper/conf && \
             mount --bind \"$2\" /usr/share/zookeeper/bin && exec bash \"$3\" start-foreground",
        )
        .arg("-")
        .arg(conf)
        .arg(&bin)
        .arg(tools::support("twin/zkStart.sh"))
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap()
}

#[test]
fn zkstart_edits_zoo_cfg_and_writes_myid_as_the_image_did() {
    let test = "zkstart_edits_zoo_cfg";
    if !common::have_zookeeper(test) || !common::have("unshare", test) {
        return;
    }
    let cases = common::oracle_cases("zkstart");
    assert!(cases.len() >= 7, "{cases:?}");
    let mut failures = Vec::new();
    for case in &cases {
        let scratch = tempfile::tempdir().unwrap();
        let conf = scratch.path().join("conf");
        std::fs::create_dir_all(&conf).unwrap();
        std::fs::copy(case.join("zoo.cfg"), conf.join("zoo.cfg")).unwrap();
        let out = zk_start(&conf, &recorded_env(case));
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        if !out.status.success() {
            failures.push(format!(
                "{name}: exit {:?}: {}",
                out.status.code(),
                String::from_utf8_lossy(&out.stderr)
            ));
            continue;
        }
        let args = std::fs::read_to_string(scratch.path().join("server-args")).unwrap();
        if args != "start-foreground\n" {
            failures.push(format!("{name}: zkServer.sh got {args:?}"));
        }
        let zoo = std::fs::read(conf.join("zoo.cfg")).unwrap();
        if zoo != std::fs::read(case.join("zoo.cfg.out")).unwrap() {
            failures.push(format!(
                "{name}: zoo.cfg differs:\n{}",
                String::from_utf8_lossy(&zoo)
            ));
        }
        let myid = std::fs::read(conf.join("myid")).ok();
        let recorded = std::fs::read(case.join("myid")).ok();
        if myid != recorded {
            failures.push(format!(
                "{name}: myid {:?}, recorded {:?}",
                myid.map(|m| String::from_utf8_lossy(&m).into_owned()),
                recorded.map(|m| String::from_utf8_lossy(&m).into_owned())
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_stand_in_scripts_pass_shellcheck_and_say_what_they_stand_in_for() {
    if !common::have("shellcheck", "the_stand_in_scripts") {
        return;
    }
    let scripts = [
        "haproxy_configure.sh",
        "twin/zkStart.sh",
        "twin/haproxy_reload.sh",
        "twin/consul-template.sh",
        "twin/supervisord.sh",
        "twin/keepalived_reload.sh",
        "twin/build.sh",
        "twin04/supervisord.sh",
        "twin04/build.sh",
    ];
    for script in scripts {
        let path = tools::support(script);
        let out = Command::new("shellcheck").arg(&path).output().unwrap();
        assert!(
            out.status.success(),
            "{script}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        if !script.ends_with("/build.sh") {
            let head: String = std::fs::read_to_string(&path)
                .unwrap()
                .lines()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ");
            assert!(
                head.contains("Stands in for") && head.contains("the image's"),
                "{script} does not say what it stands in for: {head}"
            );
        }
    }
}
