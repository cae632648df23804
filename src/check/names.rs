//! Names in the files: names panteras does not read (typos and variables of
//! older images), and values of the environment that a file replaces.

use super::*;

/// Variables older scripts read that the 0.3.x image no longer does.
const DEPRECATED: [(&str, &str); 3] = [
    (
        "START_HAPROXY",
        "HAProxy runs under consul-template; use START_CONSUL_TEMPLATE",
    ),
    (
        "HAPROXY_RELOAD_COMMAND",
        "the image's haproxy_reload.sh reloads HAProxy; remove it",
    ),
    (
        "ZOOKEEPER_DATA_DIR",
        "the image's zkStart.sh keeps the package's dataDir, /var/lib/zookeeper; remove it",
    ),
];

/// Each name the files assign that panteras does not read, with its first
/// line and how many lines assign it, in the order of first assignment.
fn unknown(layers: &Layers) -> Vec<(&str, &crate::layers::Source, usize)> {
    let mut names: Vec<(&str, &crate::layers::Source, usize)> = Vec::new();
    let mut at: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (name, source) in layers.assigned_in_files() {
        if let Some(&i) = at.get(name.as_str()) {
            names[i].2 += 1;
        } else if vars::find(name).is_none() {
            at.insert(name, names.len());
            names.push((name, source, 1));
        }
    }
    names
}

/// One warning per name panteras does not read, at its first line (a
/// file of a million such lines gives one warning a name, quickly).
pub(super) fn unknown_names(layers: &Layers, found: &mut Vec<Finding>) {
    for (name, source, lines) in unknown(layers) {
        let subject = match lines {
            1 => format!("{name} ({source})"),
            n => format!("{name} ({source}, and {} more lines)", n - 1),
        };
        if let Some((_, why)) = DEPRECATED.iter().find(|(old, _)| *old == name) {
            found.push(warning(
                subject,
                "is no longer read by the 0.3.x image".into(),
                (*why).into(),
            ));
            continue;
        }
        let (problem, fix) = match vars::closest(name) {
            Some(known) => (
                format!("is not a panteras variable; did you mean {known}?"),
                format!("rename it to {known}"),
            ),
            None => (
                "is not a panteras variable".into(),
                "remove it, unless a later line refers to it as $NAME".into(),
            ),
        };
        found.push(warning(subject, problem, fix));
    }
}

/// A value the environment gives that a file then replaces: files win, as
/// with the old script, and whoever set the environment should know.
pub(super) fn shadowed(layers: &Layers, found: &mut Vec<Finding>) {
    for (name, env, file) in layers.shadowed() {
        let shown = |raw: &crate::layers::Raw| vars::brief(name, &raw.value);
        found.push(warning(
            format!(
                "{name}={} ({}) and {name}={} ({})",
                shown(env),
                env.source,
                shown(file),
                file.source
            ),
            format!(
                "the file wins over the environment (as with generate_yml.sh): {name} is {}",
                shown(file)
            ),
            format!(
                "to make the environment's value win, pass --set {name}=...; else change {}",
                file.source
            ),
        ));
    }
}

/// Adds a note to each error that names a variable some file misspelt:
/// "set MESOS_MASTER_QUORUM=2" reads as nonsense to whoever wrote
/// `MESOS_MASTER_QUORM=2`, unless the typo is said right there (warnings
/// come after errors, and not at all under `--quiet`).
pub fn explain_typos(findings: &mut [Finding], layers: &Layers) {
    let typos: Vec<(&str, String, &str)> = unknown(layers)
        .into_iter()
        .filter_map(|(name, source, _)| {
            vars::closest(name).map(|known| (name, source.to_string(), known))
        })
        .collect();
    if typos.is_empty() {
        return;
    }
    for finding in findings
        .iter_mut()
        .filter(|f| f.severity == Severity::Error)
    {
        for (typo, source, known) in &typos {
            let named = [&finding.subject, &finding.problem, &finding.fix]
                .iter()
                .any(|text| mentions(text, known));
            let note = format!(
                "{source} sets {typo}, which panteras does not read; did you mean {known}?"
            );
            let itself = finding.subject.starts_with(&format!("{typo} ("));
            if named && !itself && !finding.notes.contains(&note) {
                finding.notes.push(note);
            }
        }
    }
}

/// Whether `text` names the variable `name` as a whole word.
fn mentions(text: &str, name: &str) -> bool {
    let part = |c: char| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_';
    text.match_indices(name).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + name.len()..].chars().next();
        !before.is_some_and(part) && !after.is_some_and(part)
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn unknown_and_deprecated_names_in_files_are_warnings() {
        let found = findings(
            CLEAN,
            "ZOOKEPER_HOSTS=a:2181\nSTART_HAPROXY=true\nMY_HELPER=x\n",
        );
        let shown: Vec<String> = found
            .iter()
            .map(|f| format!("{}: {}", f.subject, f.problem))
            .collect();
        assert_eq!(shown.len(), 3, "{shown:?}");
        assert!(
            shown[0].ends_with(":1): is not a panteras variable; did you mean ZOOKEEPER_HOSTS?"),
            "{shown:?}"
        );
        assert!(
            shown[1].starts_with("START_HAPROXY (")
                && shown[1].ends_with("is no longer read by the 0.3.x image")
        );
        assert!(
            shown[2].ends_with(":3): is not a panteras variable"),
            "{shown:?}"
        );
        assert!(found.iter().all(|f| f.severity == Severity::Warning));
    }

    #[test]
    fn an_error_that_names_a_misspelt_variable_says_so_beside_it() {
        let text = "ZOOKEEPER_HOSTS=master-1:2181,master-2:2181,master-3:2181\n\
                    ZOOKEEPER_ID=2\nMESOS_MASTER_QUORM=2\n";
        let layers = Layers::from_text("restricted/host", text, None).unwrap();
        let mut found = findings(CLEAN, text);
        explain_typos(&mut found, &layers);
        let quorum = found
            .iter()
            .find(|f| f.fix == "set MESOS_MASTER_QUORUM=2")
            .expect("the quorum error");
        assert_eq!(
            quorum.notes,
            [
                "restricted/host:3 sets MESOS_MASTER_QUORM, which panteras does not read; did you mean MESOS_MASTER_QUORUM?"
            ]
        );
        assert!(
            quorum
                .to_string()
                .contains("\n  note: restricted/host:3 sets")
        );
        assert!(mentions("set A_B=2", "A_B") && !mentions("set A_BC=2", "A_B"));
    }

    #[test]
    fn an_environment_value_a_file_replaces_is_a_warning_naming_both() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join("restricted")).unwrap();
        std::fs::write(
            tmp.path().join("restricted/host"),
            "MASTER=true\nGOMAXPROCS=4\n",
        )
        .unwrap();
        let inputs = crate::layers::Inputs {
            env: vec![
                ("MASTER".into(), "false".into()),
                ("GOMAXPROCS".into(), "4".into()),
                ("OTHER".into(), "x".into()),
            ],
            env_not_utf8: vec![],
            defaults_file: tmp.path().join("none"),
            dir: tmp.path().to_path_buf(),
            flags: crate::layers::Flags::default(),
            machine_hostname: None,
        };
        let layers = Layers::load(&inputs).unwrap();
        let mut found = Vec::new();
        shadowed(&layers, &mut found);
        assert_eq!(found.len(), 1, "{found:?}");
        let shown = found[0].to_string();
        assert!(
            shown.starts_with(&format!(
                "MASTER=false (env) and MASTER=true ({}:1): the file wins over the environment",
                tmp.path().join("restricted/host").display()
            )),
            "{shown}"
        );
        assert!(shown.contains("pass --set MASTER=..."), "{shown}");
    }

    #[test]
    fn a_name_on_many_lines_is_one_warning() {
        let text = "MY_HELPER=a\nMY_HELPER=b\nMY_HELPER=c\nZOOKEPER_ID=1\n".repeat(1000);
        let layers = Layers::from_text("restricted/host", &text, None).unwrap();
        let mut found = Vec::new();
        unknown_names(&layers, &mut found);
        let subjects: Vec<&str> = found.iter().map(|f| f.subject.as_str()).collect();
        assert_eq!(
            subjects,
            [
                "MY_HELPER (restricted/host:1, and 2999 more lines)",
                "ZOOKEPER_ID (restricted/host:4, and 999 more lines)"
            ]
        );
    }
}
