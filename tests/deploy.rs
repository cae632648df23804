//! `panteras app deploy` against the project's double of Marathon 1.4.10's
//! REST API (tests/support/marathon_double.py, answering as
//! ../shared/marathon/1.4.10/ describes): deployments that take a few
//! polls, never end or never get healthy, 409, 422, credentials, a dead
//! first URL.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};

use serde_json::Value;

/// The double, listening on loopback; stopped when dropped.
struct Double {
    child: Child,
    port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Double {
    fn start(args: &[&str]) -> Double {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("requests.jsonl");
        let (child, line) = common::spawn_and_read_line(
            Command::new("python3")
                .arg(common::tools::support("marathon_double.py"))
                .arg("--log")
                .arg(&log)
                .args(args),
        );
        let port = line.trim().parse().expect("the double prints its port");
        Double {
            child,
            port,
            log,
            _dir: dir,
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Every request the double got, in order.
    fn requests(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// "METHOD path?query" of each request.
    fn calls(&self) -> Vec<String> {
        self.requests()
            .iter()
            .map(|r| {
                let query = r["query"].as_str().unwrap();
                let q = if query.is_empty() {
                    String::new()
                } else {
                    format!("?{query}")
                };
                format!(
                    "{} {}{q}",
                    r["method"].as_str().unwrap(),
                    r["path"].as_str().unwrap()
                )
            })
            .collect()
    }

    /// The app as the double has it now (`GET /v2/apps/ID`), or None.
    fn app(&self, id: &str) -> Option<Value> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        write!(stream, "GET /v2/apps/{id} HTTP/1.0\r\nHost: x\r\n\r\n").unwrap();
        let mut text = String::new();
        stream.read_to_string(&mut text).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        if !head.starts_with("HTTP/1.0 200") && !head.starts_with("HTTP/1.1 200") {
            return None;
        }
        let value: Value = serde_json::from_str(body).unwrap();
        Some(value["app"].clone())
    }
}

impl Drop for Double {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn plans(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

/// A plan of a routed app with health checks, named `id`.
fn plan(id: &str) -> String {
    format!(
        "id: /shop/{id}
instances: 2
cpus: 0.1
mem: 32
container:
  type: DOCKER
  docker:
    image: shop/web:1.0
    network: BRIDGE
    portMappings: [{{containerPort: 8080, hostPort: 0}}]
service: {{name: {id}, check: GET /health}}
healthChecks: [{{protocol: MESOS_HTTP, path: /health, portIndex: 0}}]
"
    )
}

/// `panteras app deploy ARGS` in `dir`, polling every 50 ms.
fn deploy(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_panteras"));
    cmd.env_clear()
        .current_dir(dir)
        .args(["app", "deploy", "--interval", "50ms"])
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    common::run_with_deadline(cmd, 60)
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn deploy_sends_the_whole_app_and_waits_for_its_deployment_and_health() {
    let marathon = Double::start(&[]);
    let dir = plans(&[("web-slow.yml", &plan("web-slow"))]);
    let out = deploy(
        dir.path(),
        &["web-slow.yml", "--marathon", &marathon.url()],
        &[],
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(stdout, "");

    let calls = marathon.calls();
    assert_eq!(calls[0], "PUT /v2/apps/shop/web-slow?partialUpdate=false");
    // What was sent is what render prints.
    let rendered = Command::new(env!("CARGO_BIN_EXE_panteras"))
        .current_dir(dir.path())
        .args(["app", "render", "web-slow.yml"])
        .output()
        .unwrap();
    let rendered: Value = serde_json::from_slice(&rendered.stdout).unwrap();
    assert_eq!(marathon.requests()[0]["body"], rendered);
    // The deployment took three polls; the app was then read until healthy.
    let polls = calls.iter().filter(|c| *c == "GET /v2/deployments").count();
    assert!(polls >= 3, "{calls:#?}");
    assert_eq!(calls.last().unwrap(), "GET /v2/apps/shop/web-slow");

    // One line per change of state, then the outcome.
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(
        lines
            .iter()
            .any(|l| l.contains(": 1/2 tasks running, 0/2 healthy")),
        "{stderr}"
    );
    assert!(
        lines.iter().all(|l| l.starts_with("/shop/web-slow: ")),
        "{stderr}"
    );
    assert!(
        lines
            .last()
            .unwrap()
            .starts_with("/shop/web-slow: deployed in "),
        "{stderr}"
    );
    let app = marathon.app("shop/web-slow").unwrap();
    assert_eq!(
        (app["tasksRunning"].as_u64(), app["tasksHealthy"].as_u64()),
        (Some(2), Some(2))
    );
}

#[test]
fn a_deployment_that_outlives_the_timeout_is_deleted_and_marathon_rolls_back() {
    let old = r#"{"id": "/shop/web-stuck", "cmd": "old", "instances": 1}"#;
    let marathon = Double::start(&["--app", old]);
    let dir = plans(&[("web-stuck.yml", &plan("web-stuck"))]);
    let out = deploy(
        dir.path(),
        &[
            "web-stuck.yml",
            "--marathon",
            &marathon.url(),
            "--timeout",
            "1s",
        ],
        &[],
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("timed out after 1 s (0/2 tasks running, 0/2 healthy): deployment"),
        "{stderr}"
    );
    assert!(
        stderr.contains("was cancelled and Marathon rolls the app back"),
        "{stderr}"
    );
    let deleted: Vec<String> = marathon
        .calls()
        .into_iter()
        .filter(|c| c.starts_with("DELETE /v2/deployments/"))
        .collect();
    assert_eq!(deleted.len(), 1, "{:#?}", marathon.calls());
    // The double restored the app as it was.
    assert_eq!(marathon.app("shop/web-stuck").unwrap()["cmd"], "old");
}

#[test]
fn a_leader_election_while_waiting_is_waited_out() {
    let marathon = Double::start(&[]);
    let dir = plans(&[("web.yml", &plan("web-election"))]);
    let out = deploy(dir.path(), &["web.yml", "--marathon", &marathon.url()], &[]);
    let (_, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("no Marathon answered") && stderr.contains("asking again"),
        "{stderr}"
    );
    assert!(stderr.contains("deployed in"), "{stderr}");
}

/// A 200 that is not the app (an HTML page of a proxy in front of a
/// Marathon that is gone) is not taken for a deployed app.
#[test]
fn an_answer_that_is_not_marathons_is_never_taken_for_deployed() {
    let marathon = Double::start(&[]);
    let dir = plans(&[("web.yml", &plan("web-proxy"))]);
    let out = deploy(dir.path(), &["web.yml", "--marathon", &marathon.url()], &[]);
    let (_, stderr) = text(&out);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("is not this app as Marathon describes it"),
        "{stderr}"
    );
    assert!(!stderr.contains("deployed in"), "{stderr}");
}

/// Marathon's words reach the terminal without its control characters.
#[test]
fn marathons_words_are_printed_without_control_characters() {
    let marathon = Double::start(&[]);
    let dir = plans(&[("web.yml", &plan("web-escape"))]);
    let out = deploy(dir.path(), &["web.yml", "--marathon", &marathon.url()], &[]);
    let (_, stderr) = text(&out);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("refused?[2J?]0;title? here"), "{stderr}");
    assert!(stderr.contains("bad??fake: line"), "{stderr}");
    assert!(
        !stderr.contains('\u{1b}') && !stderr.contains('\r'),
        "{stderr}"
    );
}

#[test]
fn tasks_that_never_get_healthy_time_out_too() {
    let marathon = Double::start(&[]);
    let dir = plans(&[("web-sick.yml", &plan("web-sick"))]);
    let out = deploy(
        dir.path(),
        &[
            "web-sick.yml",
            "--marathon",
            &marathon.url(),
            "--timeout",
            "1s",
        ],
        &[],
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("(2/2 tasks running, 0/2 healthy)"),
        "{stderr}"
    );
    // A new app rolled back is gone.
    assert!(marathon.app("shop/web-sick").is_none());
}

#[test]
fn a_locked_app_is_waited_for_and_force_cancels_the_lock() {
    let marathon = Double::start(&[]);
    let dir = plans(&[("a.yml", &plan("a-locked")), ("b.yml", &plan("b-locked"))]);
    let out = deploy(dir.path(), &["a.yml", "--marathon", &marathon.url()], &[]);
    let (_, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("waiting for deployment") && stderr.contains("(--force cancels it)"),
        "{stderr}"
    );
    let puts: Vec<String> = marathon
        .calls()
        .into_iter()
        .filter(|c| c.starts_with("PUT"))
        .collect();
    assert_eq!(puts.len(), 2, "{puts:?}");

    let out = deploy(
        dir.path(),
        &["b.yml", "--marathon", &marathon.url(), "--force"],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out).1);
    let puts: Vec<String> = marathon
        .calls()
        .into_iter()
        .filter(|c| c.contains("b-locked") && c.starts_with("PUT"))
        .collect();
    assert_eq!(
        puts,
        ["PUT /v2/apps/shop/b-locked?partialUpdate=false&force=true"]
    );
}

#[test]
fn marathons_refusal_is_shown_at_the_plans_lines_and_stops_the_run() {
    let marathon = Double::start(&[]);
    // A refusal `app check` cannot foresee: Marathon's, at its path.
    let refused = plan("bad-refused");
    let dir = plans(&[
        ("a.yml", &plan("first")),
        ("bad.yml", &refused),
        ("c.yml", &plan("never")),
    ]);
    let out = deploy(
        dir.path(),
        &["a.yml", "bad.yml", "c.yml", "--marathon", &marathon.url()],
        &[],
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("Marathon refused the app: 422 (Object is not valid)\n  bad.yml:12: healthChecks[0]: refused by a rule of the group"),
        "{stderr}"
    );
    assert!(
        stderr.contains("not deployed, after /shop/bad-refused failed: /shop/never"),
        "{stderr}"
    );
    assert!(marathon.app("shop/first").is_some());
    assert!(!marathon.calls().iter().any(|c| c.contains("never")));
}

#[test]
fn a_dead_first_url_is_passed_over_and_credentials_are_never_shown() {
    let marathon = Double::start(&["--user", "ops", "--password", "s3cret-pw"]);
    let dead = format!("http://127.0.0.1:{}", common::free_port());
    let with_password = format!("http://ops:s3cret-pw@127.0.0.1:{}", marathon.port);
    let dir = plans(&[("web.yml", &plan("web"))]);
    let urls = format!("{dead},{with_password}");
    let out = deploy(dir.path(), &["web.yml", "--marathon", &urls], &[]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(marathon.requests().iter().all(|r| r["authorized"] == true));
    assert!(
        !stdout.contains("s3cret") && !stderr.contains("s3cret"),
        "{stderr}"
    );

    // From the environment, too; a wrong password is refused, not shown.
    let env = [
        ("MARATHON_URL", marathon.url()),
        ("MARATHON_USER", "ops".into()),
        ("MARATHON_PASSWORD", "s3cret-pw".into()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let out = deploy(dir.path(), &["web.yml"], &env);
    assert!(out.status.success(), "{}", text(&out).1);
    let wrong = [("MARATHON_USER", "ops"), ("MARATHON_PASSWORD", "wrong-pw")];
    let out = deploy(
        dir.path(),
        &["web.yml", "--marathon", &marathon.url()],
        &wrong,
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("refused the credentials: 401 (wrong user or password)"),
        "{stderr}"
    );
    assert!(!stdout.contains("wrong-pw") && !stderr.contains("wrong-pw"));

    // No URL answering: each one is named with why.
    let other = format!("http://127.0.0.1:{}", common::free_port());
    let out = deploy(
        dir.path(),
        &["web.yml", "--marathon", &format!("{dead},{other}")],
        &[],
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("no Marathon answered")
            && stderr.contains(&dead)
            && stderr.contains(&other),
        "{stderr}"
    );
}

#[test]
fn dry_run_prints_what_would_be_sent_and_sends_nothing() {
    let marathon = Double::start(&[]);
    let dir = plans(&[("web.yml", &plan("web"))]);
    let url = format!("http://ops:s3cret-pw@127.0.0.1:{}", marathon.port);
    let out = deploy(
        dir.path(),
        &["web.yml", "--marathon", &url, "--dry-run"],
        &[],
    );
    let (stdout, _) = text(&out);
    assert!(out.status.success());
    let (first, body) = stdout.split_once('\n').unwrap();
    assert_eq!(
        first,
        format!(
            "PUT {}/v2/apps/shop/web?partialUpdate=false",
            marathon.url()
        )
    );
    let body: Value = serde_json::from_str(body).unwrap();
    assert_eq!(
        body["env"]["SERVICE_TAGS"],
        "haproxy,haproxy_httpchk=GET /health"
    );
    assert!(!stdout.contains("s3cret"));
    assert!(marathon.requests().is_empty());
}

#[test]
fn diff_shows_what_would_change_without_what_marathon_fills_in() {
    let current = r#"{"id": "/shop/web", "instances": 1, "cpus": 0.1, "mem": 32,
        "container": {"type": "DOCKER", "docker": {"image": "shop/web:0.9", "network": "BRIDGE",
            "portMappings": [{"containerPort": 8080, "hostPort": 0}]}},
        "env": {"SERVICE_NAME": "web", "SERVICE_TAGS": "haproxy,haproxy_httpchk=GET /health"},
        "healthChecks": [{"protocol": "MESOS_HTTP", "path": "/health", "portIndex": 0}]}"#;
    let marathon = Double::start(&["--app", current]);
    let dir = plans(&[("web.yml", &plan("web")), ("new.yml", &plan("new"))]);
    let out = deploy(
        dir.path(),
        &[
            "web.yml",
            "new.yml",
            "--marathon",
            &marathon.url(),
            "--diff",
        ],
        &[],
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(marathon.calls().iter().all(|c| c.starts_with("GET")));
    insta::assert_snapshot!(stdout);
}

/// An app deployed from its plan has, against that plan, no change: the
/// defaults Marathon 1.4.10 shows (an unreachable strategy of 0 and 0,
/// resources as decimals) are its own.
#[test]
fn diff_after_a_deploy_says_no_change() {
    let marathon = Double::start(&[]);
    let dir = plans(&[("web.yml", &plan("web"))]);
    let out = deploy(dir.path(), &["web.yml", "--marathon", &marathon.url()], &[]);
    assert!(out.status.success(), "{}", text(&out).1);
    let shown = marathon.app("shop/web").unwrap();
    assert_eq!(shown["unreachableStrategy"]["inactiveAfterSeconds"], 0);
    let out = deploy(
        dir.path(),
        &["web.yml", "--marathon", &marathon.url(), "--diff"],
        &[],
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(stdout, "/shop/web: no change\n");
}

#[test]
fn a_terminal_gets_a_progress_bar() {
    if !common::have("script", "a_terminal_gets_a_progress_bar") {
        return;
    }
    let marathon = Double::start(&[]);
    let dir = plans(&[("web-slow.yml", &plan("web-slow"))]);
    let command = format!(
        "{} app deploy --interval 200ms web-slow.yml --marathon {}",
        env!("CARGO_BIN_EXE_panteras"),
        marathon.url()
    );
    // `script` runs the command on a terminal of its own.
    let mut cmd = Command::new("script");
    cmd.current_dir(dir.path())
        .env("TERM", "xterm")
        .args(["-qec", &command, "/dev/null"]);
    let out = common::run_with_deadline(cmd, 60);
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{shown}");
    assert!(
        shown.contains("/shop/web-slow [") && shown.contains("] 0/2"),
        "{shown}"
    );
    assert!(shown.contains("deployed in"), "{shown}");
}

#[test]
fn https_is_checked_against_the_systems_roots() {
    if !common::have("openssl", "https_is_checked_against_the_systems_roots") {
        return;
    }
    let keys = tempfile::tempdir().unwrap();
    let (cert, key) = common::self_signed_certificate(keys.path());
    let marathon = Double::start(&["--tls", cert.to_str().unwrap(), key.to_str().unwrap()]);
    let dir = plans(&[("web.yml", &plan("web"))]);
    let url = format!("https://ops:s3cret-pw@127.0.0.1:{}", marathon.port);
    let out = deploy(dir.path(), &["web.yml", "--marathon", &url], &[]);
    let (stdout, stderr) = text(&out);
    // A certificate no root the system trusts signed: refused, and nothing
    // was sent.
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.to_lowercase().contains("certificate"), "{stderr}");
    assert!(
        !stdout.contains("s3cret") && !stderr.contains("s3cret"),
        "{stderr}"
    );
    assert!(marathon.requests().is_empty());
}

/// A secret macro's value is masked where it is printed, never where it is
/// sent.
#[test]
fn a_secret_macro_is_sent_as_it_is() {
    let marathon = Double::start(&[]);
    let written = plan("sec").replace(
        "service:",
        "env: {DB_PASSWORD: \"%%DB_PASSWORD%%\"}\nservice:",
    );
    let dir = plans(&[("sec.yml", &written)]);
    let out = deploy(
        dir.path(),
        &["sec.yml", "--marathon", &marathon.url()],
        &[("DB_PASSWORD", "s3cret-9")],
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(!format!("{stdout}{stderr}").contains("s3cret-9"));
    assert_eq!(
        marathon.app("shop/sec").unwrap()["env"]["DB_PASSWORD"],
        "s3cret-9"
    );
}

/// The double answers what Marathon 1.4.10 refuses as the validation cases
/// say (from the data, not from panteras' rules), and `app check` refuses
/// every one of those apps before anything is sent.
#[test]
fn the_double_answers_the_validation_cases_as_marathon_and_check_refuses_them_first() {
    let folder = common::shared().join("marathon/1.4.10/validation-cases");
    let marathon = Double::start(&["--cases", folder.to_str().unwrap()]);
    let mut names: Vec<PathBuf> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    let mut tried = 0;
    for path in names {
        let case: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let status = case["expect"]["status"].as_u64().unwrap();
        let whole = case["method"] == "POST"
            || case["url"]
                .as_str()
                .unwrap()
                .contains("partialUpdate=false");
        if !whole || case.get("existing").is_some() || !matches!(status, 400 | 422 | 500) {
            continue;
        }
        tried += 1;
        let body = case["app"].to_string();
        let mut stream = TcpStream::connect(("127.0.0.1", marathon.port)).unwrap();
        write!(
            stream,
            "PUT /v2/apps/case?partialUpdate=false HTTP/1.0\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        assert_eq!(
            answer.split_whitespace().nth(1),
            Some(status.to_string().as_str()),
            "{}: {answer}",
            path.display()
        );
        let dir = plans(&[("app.json", &body)]);
        let out = Command::new(env!("CARGO_BIN_EXE_panteras"))
            .env_clear()
            .current_dir(dir.path())
            .args(["app", "check", "app.json"])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}: {}",
            path.display(),
            text(&out).1
        );
    }
    assert!(tried >= 40, "{tried} cases");
}

/// `--cluster` names one Marathon (its URLs a fail-over list); repeated,
/// the plans go to each in turn, and a failure says what each got.
#[test]
fn plans_go_to_every_cluster_in_turn_and_a_failure_says_what_each_got() {
    let first = Double::start(&[]);
    let second = Double::start(&[]);
    let dead = format!("http://127.0.0.1:{}", common::free_port());
    let dir = plans(&[("web.yml", &plan("web")), ("api.yml", &plan("api"))]);
    let both = format!("{dead},{}", second.url());
    let out = deploy(
        dir.path(),
        &[
            "web.yml",
            "api.yml",
            "--cluster",
            &first.url(),
            "--cluster",
            &both,
        ],
        &[],
    );
    let (_, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    for marathon in [&first, &second] {
        assert!(marathon.app("shop/web").is_some() && marathon.app("shop/api").is_some());
    }
    assert!(
        stderr.contains(&format!("cluster 2 ({}): deployed", second.url())),
        "{stderr}"
    );

    // The second cluster cannot be reached: the first has the app, the
    // third is not tried.
    let third = Double::start(&[]);
    let dir = plans(&[("new.yml", &plan("new"))]);
    let out = deploy(
        dir.path(),
        &[
            "new.yml",
            "--cluster",
            &first.url(),
            "--cluster",
            &dead,
            "--cluster",
            &third.url(),
        ],
        &[],
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("cluster 1 ({}): deployed", first.url())),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("cluster 2 ({dead}): failed")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("cluster 3 ({}): not tried", third.url())),
        "{stderr}"
    );
    assert!(first.app("shop/new").is_some());
    assert!(third.calls().is_empty(), "{:?}", third.calls());
}
