//! The README's variable table is the code's table, its list of
//! deliberate changes from the image is the fidelity tests' table, and its
//! quick start does what it says.

mod common;

use std::path::Path;

const START: &str = "<!-- variables:start -->\n";
const END: &str = "<!-- variables:end -->";

#[test]
fn readme_variable_table_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let start = readme
        .find(START)
        .expect("README has the variables:start marker")
        + START.len();
    let end = readme
        .find(END)
        .expect("README has the variables:end marker");
    let expected = panteras::line::markdown_table();
    if readme[start..end] != expected {
        if std::env::var_os("UPDATE_README").is_some() {
            let updated = format!("{}{expected}{}", &readme[..start], &readme[end..]);
            std::fs::write(&path, updated).unwrap();
            return;
        }
        panic!(
            "README.md's variable table is stale; run UPDATE_README=1 cargo test --test readme\n\n{expected}"
        );
    }
}

#[test]
fn readme_names_every_variable_once_in_the_table() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    for var in panteras::vars::VARS {
        let row = format!("| `{}` |", var.name);
        assert_eq!(readme.matches(&row).count(), 1, "{}", var.name);
    }
}

#[test]
fn readme_lists_exactly_the_deliberate_changes_the_tests_allow() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let start = readme.find("<!-- deliberate:start -->\n").unwrap();
    let end = readme.find("<!-- deliberate:end -->").unwrap();
    let listed: Vec<&str> = readme[start..end].lines().skip(1).collect();
    assert_eq!(listed.len(), common::DELIBERATE.len(), "{listed:#?}");
    for (line, (id, sentence)) in listed.iter().zip(common::DELIBERATE) {
        assert!(
            line.starts_with(&format!("- {sentence}")),
            "{id}: the README says {line:?}, the tests {sentence:?}"
        );
    }
}

#[test]
fn readme_shows_the_example_inventory_as_it_is() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let inventory = std::fs::read_to_string(root.join("examples/cluster/cluster.yaml")).unwrap();
    assert!(
        readme.contains(&indented(&inventory)),
        "README's inventory differs from examples/cluster/cluster.yaml"
    );
}

#[test]
fn readme_shows_the_fetch_playbook_as_it_is() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let playbook = std::fs::read_to_string(root.join("examples/migration/fetch.yml")).unwrap();
    assert!(
        readme.contains(&indented(&playbook)),
        "README's playbook differs from examples/migration/fetch.yml"
    );
}

#[test]
fn readme_shows_the_example_app_plans_as_they_are() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    for plan in [
        "examples/apps/web/web.yml",
        "examples/apps/web/prod.yml",
        "examples/apps/canary/web.yml",
    ] {
        let text = std::fs::read_to_string(root.join(plan)).unwrap();
        assert!(
            readme.contains(&indented(&text)),
            "README's copy of {plan} differs from the file"
        );
    }
}

#[test]
fn readme_quick_start_writes_what_it_says_on_a_machine_with_no_configuration() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let quick_start = &readme[readme
        .find("## Quick start")
        .expect("README has a quick start")..];
    let command = quick_start
        .lines()
        .find_map(|l| l.strip_prefix("    cargo run --release -- "))
        .expect("the quick start runs panteras with cargo run");
    // The same arguments, given to the binary cargo built, in an empty
    // folder with nothing in the environment but PATH.
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_panteras"))
        .args(command.split_whitespace())
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{command}: {stderr}");
    let demo = dir.path().join("demo");
    for file in [
        "docker-compose.yml",
        "generated/haproxy/haproxy.cfg",
        "generated/supervisord/supervisord.conf",
    ] {
        assert!(demo.join(file).is_file(), "{command} wrote no {file}");
    }
    assert_eq!(std::fs::read(demo.join("restricted/env")).unwrap(), b"");
    for warned in ["SUPERVISOR_PASSWORD", "LISTEN_IP"] {
        assert!(
            stderr
                .lines()
                .any(|l| l.starts_with("warning:") && l.contains(warned)),
            "no warning about {warned}: {stderr}"
        );
    }
    common::check_compose(&demo.join("docker-compose.yml"));
}

/// `text` as a Markdown code block: each line indented by four spaces.
fn indented(text: &str) -> String {
    text.lines()
        .map(|l| {
            if l.is_empty() {
                "\n".to_string()
            } else {
                format!("    {l}\n")
            }
        })
        .collect()
}
