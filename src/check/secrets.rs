//! Secrets given on a daemon's command line: a `*_PARAMS` value lands in
//! the compose file's environment, which Docker shows to whoever may run
//! `docker inspect`, and which the rollout copies as any other file.

use super::*;
use crate::params::secret_flags;
use crate::vars::params_with_secrets;

pub(super) fn params_secrets(s: &Settings, found: &mut Vec<Finding>) {
    for (name, flags) in params_with_secrets(|n| s.text(n)) {
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
