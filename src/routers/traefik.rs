//! Traefik 1.7's configuration keys (the 0.4.4 image runs Traefik 1.7.33),
//! from its static configuration: the top level and, whole, the sections
//! the image's `traefik.toml` and panteras' use (`entryPoints`,
//! `consulCatalog`, `api`, `metrics`). Traefik 1 reads its TOML file and
//! its `--section.key=value` command line into the same structure, and
//! matches the names in any case; a key outside it is ignored, or refused
//! at start.

/// The keys, as dotted paths; `*` is a name of one's own (an entry
/// point's). A section listed here alone (`docker`) is known, not its
/// keys.
pub const KEYS: [&str; 71] = [
    "accessLog",
    "acme",
    "api.dashboard",
    "api.entryPoint",
    "api.statistics.recentErrors",
    "boltdb",
    "checkNewVersion",
    "cluster",
    "constraints",
    "consul",
    "consulCatalog.constraints",
    "consulCatalog.debugLogGeneratedTemplate",
    "consulCatalog.domain",
    "consulCatalog.endpoint",
    "consulCatalog.exposedByDefault",
    "consulCatalog.filename",
    "consulCatalog.frontEndRule",
    "consulCatalog.prefix",
    "consulCatalog.stale",
    "consulCatalog.templateVersion",
    "consulCatalog.tls.ca",
    "consulCatalog.tls.caOptional",
    "consulCatalog.tls.cert",
    "consulCatalog.tls.insecureSkipVerify",
    "consulCatalog.tls.key",
    "consulCatalog.trace",
    "consulCatalog.watch",
    "debug",
    "defaultEntryPoints",
    "docker",
    "dynamoDB",
    "ecs",
    "entryPoints.*.address",
    "entryPoints.*.auth",
    "entryPoints.*.compress",
    "entryPoints.*.forwardedHeaders",
    "entryPoints.*.proxyProtocol",
    "entryPoints.*.redirect",
    "entryPoints.*.tls",
    "entryPoints.*.whiteList",
    "entryPoints.*.whitelistSourceRange",
    "etcd",
    "eureka",
    "file",
    "forwardingTimeouts",
    "graceTimeOut",
    "healthCheck",
    "idleTimeout",
    "insecureSkipVerify",
    "kubernetes",
    "lifeCycle",
    "logLevel",
    "marathon",
    "maxIdleConnsPerHost",
    "mesos",
    "metrics.datadog.address",
    "metrics.datadog.pushInterval",
    "metrics.prometheus.buckets",
    "metrics.prometheus.entryPoint",
    "metrics.statsd.address",
    "metrics.statsd.pushInterval",
    "ping",
    "providersThrottleDuration",
    "rancher",
    "respondingTimeouts",
    "rest",
    "retry",
    "rootCAs",
    "traefikLog",
    "web",
    "zookeeper",
];

/// Whether Traefik 1.7 reads the dotted key `path` (`consulCatalog.endpoint`):
/// a listed key, a section of one (`metrics.prometheus`, an empty table
/// turns a provider on), or a key inside a section listed alone.
pub fn knows(path: &str) -> bool {
    let parts: Vec<&str> = path.split('.').collect();
    let same = |p: &&str, part: &&str| *p == "*" || p.eq_ignore_ascii_case(part);
    KEYS.iter().any(|key| {
        let pattern: Vec<&str> = key.split('.').collect();
        if pattern.len() == 1 {
            return same(&pattern[0], &parts[0]);
        }
        parts.len() <= pattern.len() && pattern.iter().zip(&parts).all(|(p, part)| same(p, part))
    })
}

/// The paths of `paths` Traefik 1.7 does not read.
pub fn outside<'a>(paths: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    paths.into_iter().filter(|p| !knows(p)).collect()
}

/// Options of Traefik's command line that name no key: the file, and the
/// short forms of `debug`, `logLevel` and `graceTimeOut`.
const COMMAND_ONLY: [&str; 5] = ["c", "configFile", "d", "l", "g"];

/// The keys a command line sets (`--consulCatalog.endpoint=x`, `-d`),
/// each with whether Traefik 1.7 reads it; a word that starts no option
/// is left out.
pub fn options(words: &str) -> Vec<(&str, bool)> {
    super::option_names(words)
        .map(|name| (name, knows(name) || COMMAND_ONLY.contains(&name)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_match_in_any_case_and_entry_points_by_any_name() {
        assert!(knows("consulCatalog.endpoint"));
        assert!(knows("consulcatalog.ENDPOINT"));
        assert!(knows("entryPoints.mine.address"));
        assert!(knows("docker.endpoint"));
        assert!(!knows("consulCatalog.endpoints"));
        assert!(knows("consulCatalog"));
        assert!(knows("metrics.prometheus"));
        assert!(!knows("entryPoints.web.adress"));
        assert!(!knows("consulCatalog.tls.certs"));
        assert!(!knows("api.dashbord"));
        assert_eq!(outside(["debug", "debugg"]), ["debugg"]);
        assert_eq!(
            options("--consulcatalog.stale=true -c f.toml --api.dashbord"),
            [
                ("consulcatalog.stale", true),
                ("c", true),
                ("api.dashbord", false)
            ]
        );
    }

    #[test]
    fn no_key_is_listed_twice() {
        let mut sorted = KEYS.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), KEYS.len());
    }
}
