//! The Consul tags and names that route a service through HAProxy, and the
//! forms the generated template accepts: one place for the template (Tera
//! writes these patterns into `haproxy.cfg.ctmpl`, where consul-template's
//! `regexMatch` applies them) and for `panteras app check`, so that the two
//! cannot drift apart. Each form is what HAProxy 1.6 and the image's reload
//! shell take; anything else is left out of haproxy.cfg.

/// A port HAProxy or the container itself listens on, and who.
pub const RESERVED_PORTS: &[(u16, &str)] = &[
    (53, "dnsmasq"),
    (80, "HAProxy (HTTP)"),
    (81, "HAProxy (statistics)"),
    (443, "HAProxy (HTTPS)"),
    (2181, "ZooKeeper"),
    (2888, "ZooKeeper"),
    (3888, "ZooKeeper"),
    (4400, "Chronos"),
    (5050, "the Mesos master"),
    (5051, "the Mesos agent"),
    (8080, "Marathon"),
    (8300, "Consul"),
    (8301, "Consul"),
    (8302, "Consul"),
    (8400, "Consul"),
    (8500, "Consul"),
    (8550, "haproxy_a (HTTP)"),
    (8551, "haproxy_a (statistics)"),
    (8600, "Consul (DNS)"),
    (8660, "haproxy_b (HTTP)"),
    (8661, "haproxy_b (statistics)"),
    (9000, "the supervisord console"),
    (19999, "netdata"),
];

/// A port from 1 to 65535, as a pattern.
const PORT: &str =
    "([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])";

/// An IPv4 octet.
const OCTET: &str = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";

/// A service's name: a HAProxy identifier that no option can be taken for.
pub const NAME: &str = "^[A-Za-z0-9_][A-Za-z0-9_-]{0,62}$";
/// A node's name as part of a server's name.
pub const NODE: &str = "^[A-Za-z0-9_][A-Za-z0-9._-]{0,62}$";
/// `haproxy_route=/path`.
pub const ROUTE: &str = "^haproxy_route=/[A-Za-z0-9._~-][A-Za-z0-9._~/-]{0,254}$";
/// `haproxy_weight=N`, 0 to 256.
pub const WEIGHT: &str = "^haproxy_weight=(25[0-6]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$";
/// `haproxy_httpchk=...`: up to three words of the forms the image's README
/// gives (`/uri`, `METHOD /uri`, `METHOD /uri HTTP/1.0\r\nHost:\ name`).
pub const HTTPCHK: &str = r"^haproxy_httpchk=([A-Za-z0-9._~/?=&%:;,+*@!-]|\\[rnt ]){1,255}( ([A-Za-z0-9._~/?=&%:;,+*@!-]|\\[rnt ]){1,255}){0,2}$";
/// A `maxconn` value of the Consul key `haproxy/<service>/maxconn`.
pub const MAXCONN: &str = "^[1-9][0-9]{0,5}$";

/// `haproxy_tcp=PORT`, a port from 1 to 65535.
pub fn tcp() -> String {
    format!("^haproxy_tcp={PORT}$")
}

/// `haproxy_tcp=PORT` for a port of [`RESERVED_PORTS`].
pub fn tcp_reserved() -> String {
    let ports: Vec<String> = RESERVED_PORTS.iter().map(|(p, _)| p.to_string()).collect();
    format!("^haproxy_tcp=({})$", ports.join("|"))
}

/// A port HAProxy can connect to, 1 to 65535 (Consul gives 0 when none was
/// registered).
pub fn port() -> String {
    format!("^{PORT}$")
}

/// An IPv4 address in dotted decimal.
pub fn ipv4() -> String {
    format!("^{OCTET}[.]{OCTET}[.]{OCTET}[.]{OCTET}$")
}

/// Addresses no backend may have: 0.0.0.0/8, link-local 169.254.0.0/16 (the
/// cloud's metadata service), multicast and reserved 224.0.0.0 and up (the
/// broadcast address among them), and loopback 127.0.0.0/8 unless
/// `loopback` (this host's HOST_IP is itself loopback: a box on one
/// machine, the tests).
pub fn not_backend(loopback: bool) -> String {
    let mut ranges = vec!["0[.]", "169[.]254[.]", "(22[4-9]|2[3-5][0-9])[.]"];
    if !loopback {
        ranges.push("127[.]");
    }
    format!("^({})", ranges.join("|"))
}

/// The patterns as the template reads them: each in a Go string literal.
pub fn for_template(loopback: bool) -> std::collections::BTreeMap<&'static str, String> {
    [
        ("name", NAME.to_string()),
        ("node", NODE.to_string()),
        ("route", ROUTE.to_string()),
        ("weight", WEIGHT.to_string()),
        ("httpchk", HTTPCHK.to_string()),
        ("maxconn", MAXCONN.to_string()),
        ("tcp", tcp()),
        ("tcp_reserved", tcp_reserved()),
        ("port", port()),
        ("ipv4", ipv4()),
        ("not_backend", not_backend(loopback)),
    ]
    .into_iter()
    .map(|(name, pattern)| (name, go_string(&pattern)))
    .collect()
}

/// `text` inside a Go double-quoted string: backslashes and quotes escaped.
fn go_string(text: &str) -> String {
    text.replace('\\', r"\\").replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, text: &str) -> bool {
        regex::Regex::new(pattern).unwrap().is_match(text)
    }

    #[test]
    fn each_form_takes_what_haproxy_and_the_reload_shell_take_and_nothing_else() {
        assert!(matches(NAME, "my_api-v2") && !matches(NAME, "-web") && !matches(NAME, "a.b"));
        assert!(matches(ROUTE, "haproxy_route=/api/v2") && !matches(ROUTE, "haproxy_route=/"));
        assert!(matches(WEIGHT, "haproxy_weight=256") && !matches(WEIGHT, "haproxy_weight=257"));
        assert!(matches(
            HTTPCHK,
            r"haproxy_httpchk=GET /check HTTP/1.0\r\nHost:\ www.domain.com"
        ));
        assert!(!matches(HTTPCHK, "haproxy_httpchk=GET /$(id)"));
        assert!(matches(&tcp(), "haproxy_tcp=65535") && !matches(&tcp(), "haproxy_tcp=65536"));
        assert!(!matches(&tcp(), "haproxy_tcp=0"));
        for (port, _) in RESERVED_PORTS {
            assert!(matches(&tcp_reserved(), &format!("haproxy_tcp={port}")));
        }
        assert!(!matches(&tcp_reserved(), "haproxy_tcp=8555"));
        assert!(matches(&port(), "1") && !matches(&port(), "0") && !matches(&port(), "-1"));
        assert!(!matches(&port(), "65536"));
    }

    #[test]
    fn backends_are_unicast_addresses_of_other_hosts() {
        let refused = not_backend(false);
        for address in [
            "0.0.0.0",
            "169.254.169.254",
            "224.0.0.1",
            "255.255.255.255",
            "127.0.0.1",
        ] {
            assert!(matches(&refused, address), "{address}");
        }
        for address in ["10.0.0.1", "192.168.1.1", "172.16.0.1", "223.255.255.254"] {
            assert!(!matches(&refused, address), "{address}");
        }
        assert!(!matches(&not_backend(true), "127.0.0.1"));
        assert!(matches(&ipv4(), "10.0.0.1") && !matches(&ipv4(), "10.0.0.256"));
    }

    #[test]
    fn go_strings_keep_the_pattern() {
        assert_eq!(go_string(r#"a\b"c"#), r#"a\\b\"c"#);
    }
}
