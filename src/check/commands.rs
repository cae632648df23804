//! Rules of command lines: values supervisord must be able to split into words.

use super::*;

/// Variables whose values supervisord splits into a daemon's command line
/// (Python's `shlex`): the parameters and what they are built from.
const COMMAND_WORDS: [&str; 8] = [
    "CONSUL_MODE",
    "MESOS_CLUSTER_NAME",
    "CONSUL_BOOTSTRAP",
    "CONSUL_HOSTS",
    "CLUSTER_NAME",
    "DNSMASQ_ADDRESS",
    "DNSMASQ_BIND_INTERFACES",
    "KEEPALIVED_CONSUL_TEMPLATE",
];

/// Why `shlex.split` (POSIX mode, as supervisord uses it) refuses `text`.
pub fn unsplittable(text: &str) -> Option<&'static str> {
    let mut quote: Option<char> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, '\\') | (Some('"'), '\\') if chars.next().is_none() => {
                return Some("it ends with a backslash, which escapes nothing");
            }
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            _ => {}
        }
    }
    match quote {
        Some('\'') => Some("a single quote is not closed"),
        Some(_) => Some("a double quote is not closed"),
        None => None,
    }
}

pub(super) fn command_lines(s: &Settings, found: &mut Vec<Finding>) {
    // The values the user set first, then every whole command line, so a
    // derived one is blamed only when no value the user set is.
    let culprits = vars::VARS
        .iter()
        .map(|v| v.name)
        .filter(|n| n.ends_with("_PARAMS") || COMMAND_WORDS.contains(n))
        .filter(|n| s.get(n).source.is_user());
    let mut reported = false;
    let mut checked: Vec<&str> = Vec::new();
    for name in culprits.chain(crate::params::DAEMONS.iter().map(|d| vars::app_params(d))) {
        if checked.contains(&name) || (reported && !s.get(name).source.is_user()) {
            continue;
        }
        checked.push(name);
        if let Some(why) = unsplittable(&s.text(name)) {
            reported = true;
            found.push(error(
                about(s, name),
                format!(
                    "supervisord cannot split it into words ({why}), so the daemon never starts"
                ),
                "close every quote, and escape a final backslash or remove it".into(),
            ));
        }
    }
}

/// The image's consul-template.sh passes CONSUL_TEMPLATE_APP_PARAMS to
/// consul-template unquoted: bash splits it on blanks, keeps quotes and
/// backslashes in the words and expands `*`, `?` and `[` to file names.
pub(super) fn consul_template_words(s: &Settings, found: &mut Vec<Finding>) {
    if !s.flag("START_CONSUL_TEMPLATE") {
        return;
    }
    let params = s.text("CONSUL_TEMPLATE_APP_PARAMS");
    let Some(bad) = params.chars().find(|c| "'\"\\*?[".contains(*c)) else {
        return;
    };
    let holder = [
        "CONSUL_TEMPLATE_APP_PARAMS",
        "CONSUL_TEMPLATE_PARAMS",
        "KEEPALIVED_CONSUL_TEMPLATE",
    ]
    .into_iter()
    .find(|n| s.get(n).source.is_user() && s.text(n).contains(bad))
    .unwrap_or("CONSUL_TEMPLATE_APP_PARAMS");
    found.push(error(
        about(s, holder),
        format!(
            "holds `{bad}`: the image's consul-template.sh splits consul-template's parameters \
             on blanks without quoting, so quotes and backslashes stay in the words and `*`, `?` \
             and `[` expand to file names"
        ),
        "write the parameters as plain words, without quotes, backslashes or glob characters"
            .into(),
    ));
}

/// Linux starts no program whose environment holds a string `NAME=value`
/// of more than 128 KiB (MAX_ARG_STRLEN, the final NUL included): every
/// value the container gets, derived ones too, must fit.
pub(super) fn environment_sizes(s: &Settings, found: &mut Vec<Finding>) {
    const MAX_ARG_STRLEN: usize = 128 * 1024;
    for (key, value) in crate::render::environment(s) {
        let size = key.len() + 1 + value.len() + 1;
        if size > MAX_ARG_STRLEN {
            let name = vars::find(&key).map_or("the value", |v| v.name);
            found.push(error(
                format!("{key} ({} bytes)", value.len()),
                format!(
                    "`{key}=...` takes {size} bytes; Linux starts no program with an environment \
                     string over {MAX_ARG_STRLEN} (the container would not start)"
                ),
                format!("make {name} and what it is built from shorter"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn words_supervisord_cannot_split_are_refused_by_name() {
        for (name, value, why) in [
            (
                "CONSUL_PARAMS",
                "-encrypt='abc",
                "a single quote is not closed",
            ),
            (
                "MARATHON_APP_PARAMS",
                "--zk \"x",
                "a double quote is not closed",
            ),
            ("CONSUL_HOSTS", "-join=a\\", "it ends with a backslash"),
            ("CLUSTER_NAME", "it's", "a single quote is not closed"),
        ] {
            let found = findings(&with(&[(name, value)]), "");
            let errors: Vec<&Finding> = found
                .iter()
                .filter(|f| f.severity == Severity::Error)
                .collect();
            assert_eq!(errors.len(), 1, "{name}: {found:?}");
            assert!(
                errors[0].subject.starts_with(&format!("{name}=")),
                "{:?}",
                errors[0]
            );
            assert!(errors[0].problem.contains(why), "{:?}", errors[0]);
        }
        assert_eq!(unsplittable("-a 'b c' \"d \\\" e\" f\\ g"), None);
    }

    #[test]
    fn words_are_split_as_pythons_shlex_splits_them() {
        // supervisord splits a command with shlex (POSIX mode).
        for text in [
            "a 'b c' d",
            "a 'b",
            "a \"b",
            "a \"b\\\" c\"",
            "a \"b\\\"",
            "a\\",
            "a\\\\",
            "it's",
            "'it'\\''s'",
            "\"x\\",
            "'x\\'",
            "-Dq=\"a b\" -Dr='c'",
        ] {
            let out = std::process::Command::new("python3")
                .args(["-c", "import shlex, sys; shlex.split(sys.argv[1])", text])
                .output()
                .expect("python3 runs");
            assert_eq!(
                unsplittable(text).is_none(),
                out.status.success(),
                "{text:?}: {:?}",
                unsplittable(text)
            );
        }
    }

    #[test]
    fn consul_templates_words_may_not_hold_what_bash_would_change() {
        let found = findings(
            &with(&[("CONSUL_TEMPLATE_PARAMS", "-log-level='debug'")]),
            "",
        );
        let errors = problems(&found, Severity::Error);
        assert_eq!(errors.len(), 1, "{found:?}");
        assert!(
            errors[0].starts_with("holds `'`: the image's consul-template.sh"),
            "{errors:?}"
        );
        assert!(found[0].subject.starts_with("CONSUL_TEMPLATE_PARAMS="));
        let found = findings(
            &with(&[("CONSUL_TEMPLATE_PARAMS", "-template=*.ctmpl:/x")]),
            "",
        );
        assert_eq!(problems(&found, Severity::Error).len(), 1);
        assert!(findings(&with(&[("CONSUL_TEMPLATE_PARAMS", "-log-level=debug")]), "").is_empty());
    }

    #[test]
    fn every_environment_string_fits_what_linux_starts_a_program_with() {
        // Two values of 100 KiB each, fine alone, too long together.
        let half = "x".repeat(100 * 1024);
        let mut vars = CLEAN.to_vec();
        vars.extend([
            ("CONSUL_PARAMS", half.as_str()),
            ("CONSUL_HOSTS", half.as_str()),
        ]);
        let found = findings(&vars, "");
        let errors: Vec<&Finding> = found
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .collect();
        assert_eq!(errors.len(), 1, "{found:?}");
        assert!(
            errors[0].subject.starts_with("CONSUL_APP_PARAMS ("),
            "{:?}",
            errors[0]
        );
        assert!(errors[0].problem.contains("over 131072"), "{:?}", errors[0]);
    }
}
