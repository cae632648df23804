//! `panteras marathon-deploy` against every case of
//! `../shared/marathon_deploy/0.1.55/oracle/` (found by listing the
//! folder): with the case's plan files, environment and command line, and
//! recording Marathons of the tests' own set up as its `standin.json` says,
//! panteras sends the writes marathon_deploy sent (PUT, POST, DELETE; a
//! POST of a new app may be a PUT of its id) with bodies equal as JSON and
//! exits alike, or, where marathon_deploy's run failed, refuses before
//! sending anything.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

/// A recording Marathon of `tests/support/recording_marathon.py`.
struct Standin {
    child: Child,
    port: u16,
}

impl Drop for Standin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn standin(number: u8, config: &Value, log: &Path) -> Standin {
    let script = common::tools::support("recording_marathon.py");
    let (child, line) = common::spawn_and_read_line(
        Command::new("python3")
            .arg(script)
            .arg(number.to_string())
            .arg(config.to_string())
            .arg(log)
            .stderr(Stdio::null()),
    );
    Standin {
        child,
        port: line.trim().parse().unwrap(),
    }
}

/// Words of a command line, split as a POSIX shell splits them (quotes and
/// backslashes; no expansions).
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' => {
                if let Some(w) = word.take() {
                    out.push(w);
                }
            }
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    w.push(c);
                }
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => w.extend(chars.next()),
                        c => w.push(c),
                    }
                }
            }
            '\\' => word.get_or_insert_with(String::new).extend(chars.next()),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    out.extend(word);
    out
}

/// A write as it is compared: the Marathon, the method, the app's id (or
/// the deployment's being deleted), the body.
fn writes(requests: &[Value]) -> Vec<(u64, String, String, Value)> {
    requests
        .iter()
        .filter(|r| r["method"] != "GET")
        .map(|r| {
            let path = r["path"].as_str().unwrap();
            let route = path.split_once("/v2/").map_or("", |(_, r)| r);
            let method = r["method"].as_str().unwrap();
            let what = if route.starts_with("deployments/") {
                "a deployment".to_string()
            } else if let Some(id) = route.strip_prefix("apps/").filter(|id| !id.is_empty()) {
                normalized(id)
            } else {
                normalized(r["body"]["id"].as_str().unwrap_or(""))
            };
            let method = if method == "POST" { "PUT" } else { method };
            let mut body = r["body"].clone();
            // -f's random part, as the cases write it.
            if let Some(unique) = body.pointer_mut("/env/UNIQUE_ID")
                && let Some(text) = unique.as_str()
                && let Some((id, random)) = text.rsplit_once('_')
                && random.len() == 30
            {
                *unique = Value::String(format!("{id}_<RANDOM30>"));
            }
            (
                r["marathon"].as_u64().unwrap(),
                method.to_string(),
                what,
                body,
            )
        })
        .collect()
}

fn normalized(id: &str) -> String {
    format!(
        "/{}",
        id.split('/')
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("/")
    )
}

/// The files of a case that are not plan files.
const CASE_FILES: &[&str] = &[
    "args",
    "env",
    "standin.json",
    "requests.json",
    "exit-status",
];

fn copy_plans(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if CASE_FILES.iter().any(|f| name == *f) {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_plans(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Why panteras' run of `case` differs from marathon_deploy's, if it does.
fn grade(case: &Path) -> Result<(), String> {
    let read = |name: &str| std::fs::read_to_string(case.join(name)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    copy_plans(case, &work);
    let log = dir.path().join("requests.log");
    std::fs::write(&log, "").unwrap();
    let config: Value = serde_json::from_str(&read("standin.json")).unwrap();
    let mut line = read("args").trim().to_string();
    let mut standins = Vec::new();
    for number in [1u8, 2] {
        if let Some(setup) = config.get(number.to_string()) {
            let s = standin(number, setup, &log);
            line = line
                .replace(
                    &format!("{{MARATHON_{number}_HOSTPORT}}"),
                    &format!("127.0.0.1:{}", s.port),
                )
                .replace(
                    &format!("{{MARATHON_{number}}}"),
                    &format!("http://127.0.0.1:{}", s.port),
                );
            standins.push(s);
        }
    }
    line = line.replace(
        "{MARATHON_DOWN}",
        &format!("http://127.0.0.1:{}", common::free_port()),
    );
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_panteras"));
    cmd.env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", dir.path())
        .current_dir(&work)
        .arg("marathon-deploy")
        .args(words(&line))
        .args(["--interval", "20ms"]);
    for env_line in read("env").lines().filter(|l| !l.is_empty()) {
        let (k, v) = env_line.split_once('=').unwrap();
        cmd.env(k, v);
    }
    let out = common::run_with_deadline(cmd, 120);
    drop(standins);
    let said = String::from_utf8_lossy(&out.stderr).to_string();
    let ours: Vec<Value> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let theirs: Vec<Value> = serde_json::from_str(&read("requests.json")).unwrap();
    let their_exit: i32 = read("exit-status").trim().parse().unwrap();
    let our_exit = out.status.code().unwrap_or(-1);
    let (ours, theirs) = (writes(&ours), writes(&theirs));
    if their_exit != 0 && our_exit != 0 && ours.is_empty() {
        // Refused before sending, where marathon_deploy's run failed too.
        return Ok(());
    }
    if (our_exit == 0) != (their_exit == 0) {
        return Err(format!(
            "exit {our_exit}, marathon_deploy's {their_exit}\n{said}"
        ));
    }
    if ours != theirs {
        return Err(format!(
            "writes differ:\n ours:   {}\n theirs: {}\n{said}",
            serde_json::to_string(&ours).unwrap(),
            serde_json::to_string(&theirs).unwrap()
        ));
    }
    Ok(())
}

#[test]
fn every_oracle_case_sends_what_marathon_deploy_sent() {
    if !common::have(
        "python3",
        "every_oracle_case_sends_what_marathon_deploy_sent",
    ) {
        return;
    }
    let root = common::shared().join("marathon_deploy/0.1.55/oracle");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("args").is_file())
        .collect();
    cases.sort();
    assert!(cases.len() >= 60, "{} cases", cases.len());
    let wrong: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            grade(case)
                .err()
                .map(|why| format!("{}: {why}", case.file_name().unwrap().to_string_lossy()))
        })
        .collect();
    assert!(
        wrong.is_empty(),
        "{} of {} cases differ:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n\n")
    );
}

#[test]
fn command_lines_are_split_as_a_shell_splits_them() {
    assert_eq!(
        words("deploy.yml -U deployer -p 's3cret pw' -x \"a \\\"b\\\"\""),
        [
            "deploy.yml",
            "-U",
            "deployer",
            "-p",
            "s3cret pw",
            "-x",
            "a \"b\""
        ]
    );
}

/// Where marathon_deploy reads a plan otherwise than panteras (YAML 1.1's
/// octals, base 60 and `yes`; Ruby's backslashes in a macro's value), the
/// plan is refused at its line and nothing is sent.
#[test]
fn what_marathon_deploy_misreads_is_refused_before_anything_is_sent() {
    if !common::have("python3", "what_marathon_deploy_misreads_is_refused") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("requests.log");
    std::fs::write(&log, "").unwrap();
    let marathon = standin(1, &serde_json::json!({}), &log);
    let plan = "id: /shop/web
cmd: serve
instances: 1
env:
  ZIP: 01067
  WINDOW: 03:30
  CACHE: yes
  TOKEN: \"%%TOKEN%%\"
";
    std::fs::write(dir.path().join("deploy.yml"), plan).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_panteras"))
        .env_clear()
        .env("TOKEN", "a\\0b")
        .current_dir(dir.path())
        .args(["marathon-deploy", "-u"])
        .arg(format!("http://127.0.0.1:{}", marathon.port))
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{said}");
    for expected in [
        "deploy.yml:5: 01067: marathon_deploy reads YAML 1.1",
        "deploy.yml:6: 03:30: marathon_deploy reads YAML 1.1",
        "deploy.yml:7: yes: marathon_deploy reads YAML 1.1",
        "deploy.yml:8: the value of %%TOKEN%% holds a backslash",
        "nothing was sent",
    ] {
        assert!(said.contains(expected), "{expected}\n{said}");
    }
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "");
}
