//! Secrets given on a daemon's command line: a `*_PARAMS` value lands in
//! the compose file's environment, which Docker shows to whoever may run
//! `docker inspect`, and which the rollout copies as any other file.

use super::*;

/// Words of a flag's name that say its value is a secret.
const SECRET_WORDS: [&str; 5] = ["encrypt", "credential", "password", "secret", "token"];

/// The flags of `text` (a command line) whose value is a secret, and
/// addresses with a password (`scheme://user:password@host`): each as it
/// may be named, without its value.
pub fn secret_flags(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let words: Vec<&str> = text.split_whitespace().collect();
    for (i, word) in words.iter().enumerate() {
        if word.starts_with('-') {
            let (flag, inline) = match word.split_once('=') {
                Some((flag, value)) => (flag, !value.is_empty()),
                None => (*word, false),
            };
            let lower = flag.to_ascii_lowercase();
            let given = inline || words.get(i + 1).is_some_and(|next| !next.starts_with('-'));
            if given && SECRET_WORDS.iter().any(|w| lower.contains(w)) {
                found.push(flag.to_string());
            }
        }
        if let Some((_, rest)) = word.split_once("://") {
            let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
            if let Some((user, _)) = authority.rsplit_once('@')
                && user.contains(':')
            {
                found.push("an address with a password (user:password@)".into());
            }
        }
    }
    found.dedup();
    found
}

/// The `*_PARAMS` variables the operator set whose value holds a secret.
pub fn params_with_secrets(s: &Settings) -> Vec<(&'static str, Vec<String>)> {
    vars::VARS
        .iter()
        .filter(|v| v.name.ends_with("_PARAMS"))
        .filter_map(|v| {
            let flags = secret_flags(&s.text(v.name));
            (!flags.is_empty()).then_some((v.name, flags))
        })
        .collect()
}

pub(super) fn params_secrets(s: &Settings, found: &mut Vec<Finding>) {
    for (name, flags) in params_with_secrets(s) {
        // A derived command line repeats its parameters: say it once, at
        // the variable the operator gave.
        if name.ends_with("_APP_PARAMS") {
            let own = name.replace("_APP_PARAMS", "_PARAMS");
            if vars::find(&own).is_some() && !secret_flags(&s.text(&own)).is_empty() {
                continue;
            }
        }
        found.push(warning(
            format!("{name} ({})", s.get(name).source),
            format!(
                "{} on a command line: it lands in docker-compose.yml's environment, which \
                 `docker inspect` shows (panteras writes this host's compose file 0600 and the \
                 rollout hides its diff)",
                flags.join(", ")
            ),
            "keep the secret in a file the daemon reads: for Consul an `encrypt` entry in a \
             JSON file mounted into /etc/consul.d/; for Mesos and Marathon their flags that \
             take a file (e.g. --credentials=file:///path)"
                .into(),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_flags_are_named_without_their_values() {
        assert_eq!(secret_flags("-encrypt=abc -bind=1.2.3.4"), ["-encrypt"]);
        assert_eq!(secret_flags("-encrypt abc"), ["-encrypt"]);
        assert_eq!(
            secret_flags("--http_credentials=ops:pw --zk=zk://a:b@h:2181/m"),
            [
                "--http_credentials",
                "an address with a password (user:password@)"
            ]
        );
        assert_eq!(
            secret_flags("-registry.consul.token=t"),
            ["-registry.consul.token"]
        );
        // No value, or no secret.
        assert!(secret_flags("-encrypt").is_empty());
        assert!(secret_flags("--quiet --zk=zk://h:2181/m --work_dir=/x").is_empty());
        assert!(secret_flags("--zk=zk://user@h:2181/m").is_empty());
    }
}
