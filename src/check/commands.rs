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
}
