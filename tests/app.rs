//! `panteras app render` and `check`: plans in YAML and JSON, their
//! `service:` block, macros and overlays, and every problem of a run
//! reported at once, at the plan's line.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use insta::assert_snapshot;
use serde_json::Value;

/// The PanteraS examples and the plans of the same apps.
const EXAMPLES: &[(&str, &str)] = &[
    (
        "SimpleWebappPython-deploy0_marathon.json",
        "python-stable.yml",
    ),
    (
        "SimpleWebappPython-deploy1_marathon.json",
        "python-canaries.yml",
    ),
    ("SimpleWebappPython-deploy2_marathon.json", "python-tcp.yml"),
    (
        "SmoothWebappPython-deploy0_marathon.json",
        "smooth-stable.yml",
    ),
    (
        "SmoothWebappPython-deploy1_marathon.json",
        "smooth-canaries.yml",
    ),
];

/// The examples Marathon 1.4.10 refuses: each has two Mesos health checks.
const REFUSED: &[&str] = &[
    "SimpleWebappPython-deploy1_marathon.json",
    "SmoothWebappPython-deploy1_marathon.json",
];

const ONE_MESOS_CHECK: &str = "healthChecks: Marathon 1.4.10 refuses it (422 at /): AppDefinition can contain at most one Mesos health check";

fn example(name: &str) -> PathBuf {
    common::shared().join("image/0.3.9/examples").join(name)
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/apps")
        .join(name)
}

/// `panteras app ARGS` in `dir`, with only `env` for an environment.
fn app(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_panteras"));
    cmd.env_clear().current_dir(dir).arg("app").args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

/// Renders one plan and returns its JSON.
fn rendered(dir: &Path, plan: &str, args: &[&str], env: &[(&str, &str)]) -> Value {
    let mut all = vec!["render", plan];
    all.extend_from_slice(args);
    let out = app(dir, &all, env);
    assert!(
        out.status.success(),
        "render {plan} failed:\n{}",
        stderr(&out)
    );
    serde_json::from_str(&stdout(&out)).unwrap()
}

/// A directory of plans written from `files`.
fn plans(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

#[test]
fn each_panteras_example_and_its_yaml_plan_render_the_same_marathon_json() {
    let here = Path::new(".");
    for (json, yaml) in EXAMPLES {
        if REFUSED.contains(json) {
            for plan in [example(json), fixture(yaml)] {
                let out = app(here, &["render", plan.to_str().unwrap()], &[]);
                assert_eq!(out.status.code(), Some(1), "{}", plan.display());
                assert!(stderr(&out).contains(ONE_MESOS_CHECK), "{}", stderr(&out));
            }
            continue;
        }
        let from_json = rendered(here, example(json).to_str().unwrap(), &[], &[]);
        let from_yaml = rendered(here, fixture(yaml).to_str().unwrap(), &[], &[]);
        assert_eq!(from_yaml, from_json, "{yaml} and {json}");
        // The JSON example is a plan as it is: what it renders is itself.
        let original: Value =
            serde_json::from_str(&std::fs::read_to_string(example(json)).unwrap()).unwrap();
        assert_eq!(from_json, original, "{json}");
        assert_snapshot!(
            yaml.to_string(),
            serde_json::to_string_pretty(&from_yaml).unwrap()
        );
    }
}

/// Three of the five PanteraS examples pass Marathon's rules and the
/// template's; the canaries of both apps carry two Mesos health checks,
/// which Marathon 1.4.10 refuses (deploying the three Simple examples sent
/// the stable app and then failed on the canaries).
#[test]
fn three_examples_pass_and_the_canaries_are_refused_as_marathon_refuses_them() {
    let mut args = vec!["check".to_string()];
    args.extend(
        EXAMPLES
            .iter()
            .map(|(json, _)| example(json).display().to_string()),
    );
    args.extend(
        EXAMPLES
            .iter()
            .map(|(_, yaml)| fixture(yaml).display().to_string()),
    );
    // Every example twice over (as JSON, as YAML) claims its TCP port twice
    // and its ids twice: check the two forms apart.
    for half in [&args[1..6], &args[6..]] {
        let mut run = vec!["check"];
        run.extend(half.iter().map(String::as_str));
        let out = app(Path::new("."), &run, &[]);
        let text = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{text}");
        let errors: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("error: ") && l.contains(": healthChecks"))
            .collect();
        assert_eq!(errors.len(), 2, "{text}");
        assert!(errors.iter().all(|e| e.contains(ONE_MESOS_CHECK)), "{text}");
        for (json, yaml) in EXAMPLES.iter().filter(|(json, _)| REFUSED.contains(json)) {
            assert!(
                errors.iter().any(|e| e.contains(json) || e.contains(yaml)),
                "{json}: {text}"
            );
        }
        assert!(text.contains("error: 2 errors above"), "{text}");
        // The PanteraS canaries take /media and /chat, the stable app none:
        // the one warning, as the examples really are.
        assert_eq!(text.matches("warning:").count(), 1, "{text}");
        assert!(text.contains("routes differ"), "{text}");
    }
}

#[test]
fn check_reports_every_problem_of_every_plan_at_once_at_its_line() {
    let dir = plans(&[
        (
            "web.yml",
            "id: /shop/web
instances: 2
cpus: 0.5
mme: 64
container:
  type: DOCKER
  docker:
    image: shop/web:1.2
    network: BRIDGE
    portMappings:
      - {containerPort: 80, hostPort: 8000}
env:
  LOG_LEVEL: 3
service:
  name: web
  routes: [/shop, shop2]
  weight: 0
  tcp: 8080
  tagz: [x]
",
        ),
        (
            "db.json",
            r#"{
  "id": "/shop/db",
  "cmd": "postgres",
  "instances": "one",
  "env": {
    "SERVICE_NAME": "db",
    "SERVICE_TAGS": "haproxy,haproxy_tcp=5432,haproxy_weigth=3, haproxy_route=/db"
  },
  "healthChecks": [{"protocol": "TCP", "portIndex": 0}]
}
"#,
        ),
        (
            "db2.yml",
            "id: /shop/db-replica
cmd: postgres
env:
  SERVICE_NAME: db
  SERVICE_TAGS: haproxy,haproxy_tcp=5432,haproxy_weight=0
healthChecks: [{protocol: TCP}]
",
        ),
    ]);
    let out = app(dir.path(), &["check", "web.yml", "db.json", "db2.yml"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "");
    assert_snapshot!(stderr(&out));
}

#[test]
fn render_writes_nothing_while_a_plan_has_an_error() {
    let dir = plans(&[
        ("good.yml", "id: good\ncmd: sleep 1\n"),
        ("bad.yml", "id: bad\ncmd: sleep 1\ninstances: -1\n"),
    ]);
    let out = app(dir.path(), &["render", "good.yml", "bad.yml"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "");
    assert!(
        stderr(&out).contains("bad.yml:3: instances: Marathon 1.4.10 refuses it (422 at /instances): got -1, expected 0 or more"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_service_block_and_raw_env_must_agree() {
    let dir = plans(&[(
        "web.yml",
        "id: web
cmd: serve
env:
  SERVICE_NAME: webshop
  SERVICE_TAGS: haproxy,haproxy_weight=5
service:
  name: web
  weight: 5
  route: /web
healthChecks: [{protocol: COMMAND, command: {value: 'true'}}]
",
    )]);
    let out = app(dir.path(), &["check", "web.yml"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_snapshot!(stderr(&out));
    // The same tags in another order agree.
    let dir = plans(&[(
        "web.yml",
        "id: web
cmd: serve
env: {SERVICE_NAME: web, SERVICE_TAGS: 'haproxy_weight=5,haproxy'}
service: {name: web, weight: 5}
healthChecks: [{protocol: COMMAND, command: {value: 'true'}}]
",
    )]);
    let app_json = rendered(dir.path(), "web.yml", &[], &[]);
    assert_eq!(app_json["env"]["SERVICE_TAGS"], "haproxy_weight=5,haproxy");
    assert!(app_json.get("service").is_none());
}

#[test]
fn macros_come_from_the_environment_and_set_and_every_missing_one_is_reported() {
    let dir = plans(&[
        (
            "web.yml",
            "id: /%%TEAM%%/web
instances: %%COUNT%%
cmd: serve --version %%VERSION%% --region %%REGION%%
env:
  RELEASE: '%%VERSION%%'
  # %%IN_A_COMMENT%% is no macro of the plan
",
        ),
        (
            "api.json",
            "{\"id\": \"/%%TEAM%%/api\", \"cmd\": \"%%API_CMD%%\", \"mem\": %%MEM%%}\n",
        ),
    ]);
    let env = [
        ("TEAM", "shop"),
        ("COUNT", "3"),
        ("VERSION", "1.0"),
        ("REGION", ""),
    ];
    let out = app(dir.path(), &["render", "web.yml", "api.json"], &env);
    assert_eq!(out.status.code(), Some(1));
    assert_snapshot!(stderr(&out));

    let out = app(
        dir.path(),
        &[
            "render",
            "web.yml",
            "api.json",
            "--set",
            "REGION=ams",
            "--set",
            "VERSION=1.1",
            "--set",
            "API_CMD=api",
            "--set",
            "MEM=64",
        ],
        &env,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let docs: Vec<Value> = serde_json::Deserializer::from_str(&stdout(&out))
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(docs[0]["id"], "/shop/web");
    // A plain value is typed after it is filled in: 3 is a number.
    assert_eq!(docs[0]["instances"], 3);
    assert_eq!(docs[0]["cmd"], "serve --version 1.1 --region ams");
    // A quoted one stays text.
    assert_eq!(docs[0]["env"]["RELEASE"], "1.1");
    assert_eq!(docs[1]["mem"], 64);
}

/// Values no macro may turn into structure.
const HOSTILE: &[&str] = &[
    "a\nextra: 1",
    "\"}, \"extra\": {\"x",
    "x' , extra: 'y",
    "# all the rest",
    "x # comment",
    "key: value",
    "- item",
    "[1, 2]",
    "{a: 1}",
    "\n---\nid: other",
    "...",
    "%%TEAM%%",
    "&anchor x",
    "*alias",
    "!!binary aGk=",
    "| block",
    "\\u0041\\n",
    "\u{E000}0\u{E001}",
    "\t\r\n ",
];

/// Every place a macro can stand, in YAML and in JSON: plain, quoted and
/// block values, list items, flow maps and lists.
const PLACES: &[(&str, &str)] = &[
    (
        "plan.yml",
        "id: web
cmd: serve %%V%%
labels:
  plain: %%V%%
  single: '%%V%%'
  double: \"%%V%%\"
  block: |
    %%V%%
x-list: [a, %%V%%, b]
x-maps:
  - {uri: %%V%%}
constraints: [[hostname, CLUSTER, '%%V%%']]
",
    ),
    (
        "plan.json",
        "{\"id\": \"web\", \"cmd\": \"serve %%V%%\", \"labels\": {\"double\": \"%%V%%\", \"plain\": %%V%%},
 \"x-list\": [\"a\", \"%%V%%\", \"b\"], \"x-maps\": [{\"uri\": %%V%%}], \"constraints\": [[\"hostname\", \"CLUSTER\", \"%%V%%\"]]}
",
    ),
];

/// The shape of a JSON value: its keys and list lengths, not its text.
fn shape(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), shape(v))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(shape).collect()),
        _ => Value::Null,
    }
}

#[test]
fn no_macro_value_changes_a_plans_structure() {
    let dir = plans(PLACES);
    for (name, _) in PLACES {
        let benign = rendered(dir.path(), name, &[], &[("V", "value")]);
        for value in HOSTILE {
            let set = format!("V={value}");
            let out = app(
                dir.path(),
                &["render", name, "--set", &set],
                &[("TEAM", "t")],
            );
            assert!(
                out.status.success(),
                "{name} with {value:?}:\n{}",
                stderr(&out)
            );
            let got: Value = serde_json::from_str(&stdout(&out)).unwrap();
            assert_eq!(shape(&got), shape(&benign), "{name} with {value:?}");
            // Quoted places hold the value as it is, and the command line
            // holds it after its text.
            assert_eq!(got["labels"]["double"], *value, "{name}");
            assert_eq!(got["x-list"][1], *value, "{name}");
            assert_eq!(got["constraints"][0][2], *value, "{name}");
            assert_eq!(got["cmd"], format!("serve {value}"), "{name}");
            if name.ends_with(".yml") {
                assert_eq!(got["labels"]["single"], *value);
                assert_eq!(got["labels"]["block"], format!("{value}\n"));
            }
        }
    }
}

#[test]
fn hostile_plans_are_refused_with_their_line_and_never_panic() {
    let deep = format!("id: x\nlabels: {}{}\n", "[".repeat(100), "]".repeat(100));
    let many = format!(
        "id: x\ncmd: y\nlabels:\n{}",
        (0..20000)
            .map(|i| format!("  k{i}: v\n"))
            .collect::<String>()
    );
    let cases: Vec<(&str, String)> = vec![
        (
            "alias.yml",
            "base: &b {cpus: 1}\nid: x\ncmd: y\nextra: *b\n".into(),
        ),
        ("two-docs.yml", "id: x\ncmd: y\n---\nid: z\n".into()),
        ("twice.yml", "id: x\ncmd: y\ncmd: z\n".into()),
        ("list.yml", "- id: x\n- id: y\n".into()),
        ("empty.yml", "".into()),
        ("syntax.json", "{\"id\": \"x\",, }\n".into()),
        ("deep.yml", deep),
        ("private.yml", "id: x\ncmd: \"\u{E000}0\u{E001}\"\n".into()),
        ("complex-key.yml", "? [a, b]\n: c\nid: x\n".into()),
        ("not-utf8.yml", String::from("id: x\ncmd: \u{FFFD}\n")),
        ("many.yml", many),
    ];
    let dir = plans(
        &cases
            .iter()
            .map(|(n, t)| (*n, t.as_str()))
            .collect::<Vec<_>>(),
    );
    std::fs::write(dir.path().join("not-utf8.yml"), b"id: x\ncmd: \xff\n").unwrap();
    let mut lines = Vec::new();
    for (name, _) in &cases {
        let out = app(dir.path(), &["check", name], &[]);
        let text = stderr(&out);
        assert!(!text.contains("panicked"), "{name}: {text}");
        if *name == "many.yml" {
            assert!(out.status.success(), "{name}: {text}");
            continue;
        }
        assert_eq!(out.status.code(), Some(1), "{name}: {text}");
        lines.push(text.lines().next().unwrap_or("").to_string());
    }
    assert_snapshot!(lines.join("\n"));
}

#[test]
fn an_overlay_merges_maps_key_by_key_and_replaces_lists() {
    let dir = plans(&[
        (
            "web.yml",
            "id: web
cmd: serve
instances: 1
env: {LOG: debug, REGION: ams}
constraints: [[hostname, UNIQUE]]
service: {name: web}
healthChecks: [{protocol: COMMAND, command: {value: 'true'}}]
",
        ),
        (
            "prod.yml",
            "instances: 4\nenv: {LOG: warn}\nconstraints: [[rack, GROUP_BY, '2']]\n",
        ),
        ("typo.yml", "instances: many\n"),
    ]);
    let base = rendered(dir.path(), "web.yml", &[], &[]);
    let prod = rendered(dir.path(), "web.yml", &["--env", "prod"], &[]);
    assert_eq!(base["instances"], 1);
    assert_eq!(prod["instances"], 4);
    assert_eq!(prod["env"]["LOG"], "warn");
    assert_eq!(prod["env"]["REGION"], "ams");
    assert_eq!(prod["env"]["SERVICE_NAME"], "web");
    assert_eq!(
        prod["constraints"],
        serde_json::json!([["rack", "GROUP_BY", "2"]])
    );
    assert_snapshot!(serde_json::to_string_pretty(&prod).unwrap());

    // A problem of the overlay is reported at the overlay's line.
    let out = app(dir.path(), &["check", "web.yml", "--env", "typo"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("typo.yml:1: instances: Marathon 1.4.10 refuses it (400 at /instances): a number is expected"),
        "{}",
        stderr(&out)
    );

    // An environment with no overlay is said; its name is never a path.
    let out = app(dir.path(), &["check", "web.yml", "--env", "staging"], &[]);
    assert!(out.status.success());
    assert!(
        stderr(&out).contains("--env staging: no staging.yml"),
        "{}",
        stderr(&out)
    );
    let out = app(dir.path(), &["check", "web.yml", "--env", "../prod"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("not an environment's name"),
        "{}",
        stderr(&out)
    );
}

/// Marathon's own rules refuse what it refuses whatever schema is given;
/// the schema names the fields it knows, so a misspelt one is a warning
/// (Marathon drops it) with the field it likely meant, and the members GET
/// writes are not.
#[test]
fn the_schema_names_the_fields_and_marathons_rules_refuse() {
    let dir = plans(&[
        (
            "web.yml",
            "id: web\ncmd: serve\nhealthChecks: [{protocol: HTTPS2}]\n",
        ),
        (
            "typo.yml",
            "id: typo\ncmd: serve\nmme: 64\ntasksRunning: 2\n",
        ),
        ("schema.json", "{\"type\": \"object\"}"),
    ]);
    for schema in [&[][..], &["--schema", "schema.json"]] {
        let mut args = vec!["check", "web.yml"];
        args.extend_from_slice(schema);
        let out = app(dir.path(), &args, &[]);
        assert_eq!(out.status.code(), Some(1));
        assert!(
            stderr(&out).contains("web.yml:3: healthChecks[0].protocol: Marathon 1.4.10 refuses it (400 at /healthChecks(0)): HTTPS2 is not a valid protocol"),
            "{}",
            stderr(&out)
        );
    }
    let out = app(dir.path(), &["check", "typo.yml"], &[]);
    let said = stderr(&out);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("typo.yml:3: mme: not a field Marathon 1.4.10 reads here; it drops it without a word; did you mean mem?"), "{said}");
    assert!(!said.contains("tasksRunning"), "{said}");
    let out = app(dir.path(), &["check", "typo.yml", "--strict"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let out = app(
        dir.path(),
        &["check", "typo.yml", "--schema", "schema.json"],
        &[],
    );
    assert!(!stderr(&out).contains("mme"), "{}", stderr(&out));
}

#[test]
fn the_worked_example_of_the_readme_checks_clean_and_merges_its_overlay() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let env = [("VERSION", "1.4.2"), ("CANARY_VERSION", "1.5.0-rc1")];
    let out = app(
        root,
        &[
            "check",
            "--strict",
            "examples/apps/web/web.yml",
            "examples/apps/canary/web.yml",
            "--env",
            "prod",
        ],
        &env,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let web = rendered(root, "examples/apps/web/web.yml", &["--env", "prod"], &env);
    assert_eq!(web["instances"], 6);
    assert_eq!(
        web["container"]["docker"]["image"],
        "registry.example.com/shop/web:1.4.2"
    );
    assert_eq!(
        web["env"]["SERVICE_TAGS"],
        "haproxy,haproxy_weight=9,haproxy_httpchk=GET /health,haproxy_route=/shop"
    );
}

/// A reader that stops reading (`| head -c 10`) ends `render` and
/// `deploy --dry-run` as SIGPIPE would: status 141, nothing said.
#[test]
fn a_reader_that_stops_reading_ends_render_and_dry_run_with_141() {
    use std::io::Read;
    let mut plan = String::from("id: /big\ncmd: sleep 1\ncpus: 0.1\nmem: 32\ninstances: 1\nenv:\n");
    for i in 0..5000 {
        plan.push_str(&format!("  V{i}: \"value {i}\"\n"));
    }
    let dir = plans(&[("big.yml", &plan)]);
    for args in [
        &["render", "big.yml"][..],
        &[
            "deploy",
            "--dry-run",
            "--marathon",
            "http://127.0.0.1:9",
            "big.yml",
        ],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_panteras"))
            .env_clear()
            .current_dir(dir.path())
            .arg("app")
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = [0u8; 10];
        child.stdout.take().unwrap().read_exact(&mut first).unwrap();
        // The pipe's reading end is closed when `stdout` is dropped above.
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(141), "{args:?}: {}", stderr(&out));
        assert_eq!(stderr(&out), "", "{args:?}");
    }
}

/// Ids with `.`, `..` or empty segments are refused: Marathon resolves them,
/// so `/shop/../web` and `/web` would name one app past the duplicate check.
#[test]
fn ids_with_dot_segments_are_refused_at_their_line() {
    let dir = plans(&[
        ("a.yml", "id: /web\ncmd: sleep 1\n"),
        ("b.yml", "id: /shop/../web\ncmd: sleep 1\n"),
        ("c.yml", "id: shop//web\ncmd: sleep 1\n"),
    ]);
    let out = app(dir.path(), &["check", "a.yml", "b.yml", "c.yml"], &[]);
    let said = stderr(&out);
    assert!(!out.status.success(), "{said}");
    assert!(
        said.contains("b.yml:1: id: \"/shop/../web\" holds an empty, `.` or `..` segment"),
        "{said}"
    );
    assert!(said.contains("c.yml:1: id: \"shop//web\" holds"), "{said}");
    assert!(said.contains("2 errors above"), "{said}");
}

/// The environment's credentials for Marathon never fill a macro: a plan
/// that names them is refused before anything is printed or sent.
#[test]
fn marathons_credentials_in_the_environment_never_fill_a_macro() {
    let dir = plans(&[(
        "web.yml",
        "id: /web\ncmd: sleep 1\nenv:\n  PW: \"%%MARATHON_PASSWORD%%\"\n  AT: \"%%MARATHON_URL%%\"\n",
    )]);
    let env = [
        ("MARATHON_PASSWORD", "hunter2-secret"),
        ("MARATHON_URL", "http://ops:pw-in-url@m:8080"),
    ];
    let out = app(dir.path(), &["render", "web.yml"], &env);
    let (said, printed) = (stderr(&out), stdout(&out));
    assert!(!out.status.success(), "{said}");
    assert!(
        said.contains("the macro %%MARATHON_PASSWORD%% names the environment's credentials"),
        "{said}"
    );
    assert!(said.contains("%%MARATHON_URL%%"), "{said}");
    for secret in ["hunter2", "pw-in-url"] {
        assert!(
            !said.contains(secret) && !printed.contains(secret),
            "{said}{printed}"
        );
    }
    // Given on the command line, the app's own value is taken.
    let out = app(
        dir.path(),
        &[
            "render",
            "web.yml",
            "--set",
            "MARATHON_PASSWORD=app-value",
            "--set",
            "MARATHON_URL=x",
            "--show-secrets",
        ],
        &env,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("app-value"));
}

/// Macros that would blow a plan up (a 10 KB value used 40,000 times:
/// 400 MB) are refused at the line where the plan passes 16 MiB.
#[test]
fn macros_that_blow_a_plan_up_are_refused() {
    let mut plan = String::from("id: /big\ncmd: sleep 1\nenv:\n");
    for i in 0..20_000 {
        plan.push_str(&format!("  V{i}: \"%%M%%-%%M%%\"\n"));
    }
    let dir = plans(&[("big.yml", &plan)]);
    let value = "x".repeat(10_000);
    let out = app(dir.path(), &["render", "big.yml"], &[("M", &value)]);
    let said = stderr(&out);
    assert!(!out.status.success(), "{said}");
    assert!(said.contains("add more than 16 MiB to this plan"), "{said}");
    assert!(stdout(&out).is_empty());
}

/// Registrator reads `SERVICE_<port>_NAME` and `_TAGS` for one port of an
/// app: their tags are checked as `SERVICE_TAGS` are, a port the app does
/// not publish is said, and an app of two ports is told the names Consul
/// will give them.
#[test]
fn the_names_and_tags_of_each_port_are_checked_as_the_apps_are() {
    let dir = plans(&[(
        "web.yml",
        "id: /shop/web
cmd: serve
container:
  type: DOCKER
  docker:
    image: shop/web:1.0
    network: BRIDGE
    portMappings: [{containerPort: 8080, hostPort: 0}, {containerPort: 9090, hostPort: 0}]
healthChecks: [{protocol: MESOS_HTTP, path: /, portIndex: 0}]
env:
  SERVICE_NAME: web
  SERVICE_TAGS: haproxy,haproxy_route=/shop
  SERVICE_8080_TAGS: haproxy,haproxy_route=api,haproxy_weigth=5
  SERVICE_9090_TAGS: haproxy,haproxy_tcp=8500
  SERVICE_7070_NAME: metrics
",
    )]);
    let out = app(dir.path(), &["check", "web.yml"], &[]);
    let said = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    for expected in [
        "error: web.yml:13: env.SERVICE_8080_TAGS: haproxy_route=api: the template leaves this tag out",
        "warning: web.yml:13: env.SERVICE_8080_TAGS: haproxy_weigth=5: not a tag the template reads; did you mean haproxy_weight?",
        "error: web.yml:14: env.SERVICE_9090_TAGS: haproxy_tcp=8500: the template leaves this tag out: port 8500 is Consul's",
        "warning: web.yml:15: env.SERVICE_7070_NAME: 7070 is not a container port of the app (8080, 9090)",
        "warning: web.yml:11: env.SERVICE_NAME: the app has 2 ports, so Registrator registers one service per port, not web: 8080: web-8080, 9090: web-9090",
    ] {
        assert!(said.contains(expected), "{expected}\n{said}");
    }
}

/// The value of a macro named like a secret is shown masked by `render`
/// and `deploy --dry-run` (and said so), printed with --show-secrets, and
/// sent as it is.
#[test]
fn secret_looking_macro_values_are_never_printed() {
    let dir = plans(&[(
        "web.yml",
        "id: /shop/web\ncmd: serve\nenv:\n  DB_PASSWORD: \"%%DB_PASSWORD%%\"\n  URL: \"postgres://app:%%DB_PASSWORD%%@db/shop\"\n  REGION: \"%%REGION%%\"\n",
    )]);
    let env = [("DB_PASSWORD", "pa\"ss-9"), ("REGION", "ams")];
    for args in [
        &["render", "web.yml"][..],
        &[
            "deploy",
            "web.yml",
            "--marathon",
            "http://127.0.0.1:9",
            "--dry-run",
        ],
    ] {
        let out = app(dir.path(), args, &env);
        let (printed, said) = (stdout(&out), stderr(&out));
        assert!(out.status.success(), "{said}");
        assert!(!printed.contains("pa\\\"ss-9"), "{printed}");
        assert!(
            printed.contains("\"DB_PASSWORD\": \"********\""),
            "{printed}"
        );
        assert!(
            printed.contains("postgres://app:********@db/shop"),
            "{printed}"
        );
        assert!(printed.contains("\"REGION\": \"ams\""), "{printed}");
        assert!(said.contains("shown as ********"), "{said}");
    }
    let out = app(dir.path(), &["render", "web.yml", "--show-secrets"], &env);
    assert!(stdout(&out).contains("pa\\\"ss-9"), "{}", stdout(&out));
}
