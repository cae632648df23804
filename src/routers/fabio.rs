//! Fabio's properties, as its reference `fabio.properties` documents them
//! for the 1.5 releases (the 0.4.4 image runs Fabio 1.5.15). A property is
//! given in `fabio.properties` as `name = value`, or on Fabio's command
//! line as `-name=value` (the image's `FABIO_APP_PARAMS`). Names are
//! matched exactly: Fabio ignores a name it does not know.

/// Every property Fabio reads.
pub const PROPERTIES: [&str; 77] = [
    "glob.matching.disabled",
    "log.access.format",
    "log.access.target",
    "log.level",
    "log.routes.format",
    "metrics.circonus.apiapp",
    "metrics.circonus.apikey",
    "metrics.circonus.apiurl",
    "metrics.circonus.brokerid",
    "metrics.circonus.checkid",
    "metrics.circonus.submissionurl",
    "metrics.graphite.addr",
    "metrics.interval",
    "metrics.names",
    "metrics.prefix",
    "metrics.retry",
    "metrics.statsd.addr",
    "metrics.target",
    "metrics.timeout",
    "proxy.addr",
    "proxy.auth",
    "proxy.cs",
    "proxy.dialtimeout",
    "proxy.flushinterval",
    "proxy.globalflushinterval",
    "proxy.gzip.contenttype",
    "proxy.header.clientip",
    "proxy.header.requestid",
    "proxy.header.sts.maxage",
    "proxy.header.sts.preload",
    "proxy.header.sts.subdomains",
    "proxy.header.tls",
    "proxy.header.tls.value",
    "proxy.keepalivetimeout",
    "proxy.localip",
    "proxy.matcher",
    "proxy.maxconn",
    "proxy.noroutestatus",
    "proxy.responseheadertimeout",
    "proxy.shutdownwait",
    "proxy.strategy",
    "registry.backend",
    "registry.consul.addr",
    "registry.consul.checksRequired",
    "registry.consul.kvpath",
    "registry.consul.noroutehtmlpath",
    "registry.consul.register.addr",
    "registry.consul.register.checkDeregisterCriticalServiceAfter",
    "registry.consul.register.checkInterval",
    "registry.consul.register.checkTLSSkipVerify",
    "registry.consul.register.checkTimeout",
    "registry.consul.register.enabled",
    "registry.consul.register.name",
    "registry.consul.register.tags",
    "registry.consul.service.status",
    "registry.consul.serviceMonitors",
    "registry.consul.tagprefix",
    "registry.consul.token",
    "registry.file.noroutehtmlpath",
    "registry.file.path",
    "registry.retry",
    "registry.static.noroutehtmlpath",
    "registry.static.routes",
    "registry.timeout",
    "runtime.gogc",
    "runtime.gomaxprocs",
    "tracing.CollectorType",
    "tracing.ConnectString",
    "tracing.SamplerRate",
    "tracing.ServiceName",
    "tracing.SpanHost",
    "tracing.Topic",
    "tracing.TracingEnabled",
    "ui.access",
    "ui.addr",
    "ui.color",
    "ui.title",
];

/// Whether Fabio reads the property `name`.
pub fn knows(name: &str) -> bool {
    PROPERTIES.contains(&name)
}

/// The names of `names` Fabio does not read.
pub fn outside<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    names.into_iter().filter(|n| !knows(n)).collect()
}

/// The properties a command line sets (`-name=value`, `-name value`,
/// `--name=value`), each with whether Fabio reads it; a word that starts
/// no option is left out.
pub fn options(words: &str) -> Vec<(&str, bool)> {
    super::option_names(words)
        .map(|name| (name, knows(name) || COMMAND_ONLY.contains(&name)))
        .collect()
}

/// Options of Fabio's command line that are no property.
const COMMAND_ONLY: [&str; 3] = ["cfg", "v", "version"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_property_is_listed_twice() {
        let mut sorted = PROPERTIES.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), PROPERTIES.len(), "a property twice");
    }

    #[test]
    fn a_command_line_names_its_properties() {
        let found =
            options("-registry.consul.tagprefix=x --proxy.addr :80 value -cfg f -proxy.adr=:9");
        assert_eq!(
            found,
            [
                ("registry.consul.tagprefix", true),
                ("proxy.addr", true),
                ("cfg", true),
                ("proxy.adr", false)
            ]
        );
        assert_eq!(outside(["ui.addr", "ui.adr"]), ["ui.adr"]);
    }
}
