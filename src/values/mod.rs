//! Kinds of variable values and their typed forms: each raw text is checked
//! and typed once, where it is read, so nothing later sees a bad value.

mod docker;

use std::fmt;
use std::net::Ipv4Addr;

pub use docker::{is_image_reference, is_volume, is_volume_options};

/// What a variable accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Bool,
    Ipv4,
    /// An IPv4 address, or blank for none.
    OptionalIpv4,
    /// A whole number from 1 up.
    Positive,
    /// A whole number from 0 up.
    Count,
    HostList,
    Restart,
    HostName,
    /// A domain or datacenter name.
    Domain,
    /// A Consul datacenter: letters, digits, `_` and `-` (Consul's rule,
    /// after lower-casing).
    Datacenter,
    /// A domain suffix that may start with `.` or be blank.
    DomainSuffix,
    /// Free text on one line.
    Text,
    Registry,
    ImageTag,
    Image,
    /// Options appended to a volume, such as `:shared`.
    VolumeSuffix,
    Volume,
    /// HAProxy bind options: text that HAProxy and the image's reload shell
    /// both take literally.
    ProxyOptions,
    /// `user:password`, or blank for none.
    Credentials,
    /// A network interface name.
    Interface,
    /// A VRRP router id, 1 to 255.
    RouterId,
    /// A login name, or blank for none.
    User,
    /// A password, or blank for none.
    Password,
    /// An HAProxy server weight, 0 to 256, or blank for none.
    Weight,
}

/// A checked, typed value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Text(String),
    Bool(bool),
    Ip(Ipv4Addr),
    Number(u32),
    Hosts(Vec<HostPort>),
    /// Deliberately empty (an optional value left out, or a blank value).
    Empty,
}

/// One `host:port` entry of a host list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostPort {
    pub host: String,
    pub port: u16,
}

impl fmt::Display for HostPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.host, self.port)
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Text(text) => f.write_str(text),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Ip(ip) => write!(f, "{ip}"),
            Value::Number(n) => write!(f, "{n}"),
            Value::Hosts(hosts) => {
                let list: Vec<String> = hosts.iter().map(HostPort::to_string).collect();
                f.write_str(&list.join(","))
            }
            Value::Empty => Ok(()),
        }
    }
}

impl Kind {
    /// A short name for tables.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Bool => "boolean",
            Kind::Ipv4 => "IPv4",
            Kind::OptionalIpv4 => "IPv4 or blank",
            Kind::Positive => "integer ≥ 1",
            Kind::Count => "integer ≥ 0",
            Kind::HostList => "host:port list",
            Kind::Restart => "restart policy",
            Kind::HostName => "host name",
            Kind::Domain => "domain",
            Kind::Datacenter => "datacenter",
            Kind::DomainSuffix => "domain suffix",
            Kind::Text => "text",
            Kind::Registry => "registry prefix",
            Kind::ImageTag => "image tag",
            Kind::Image => "image",
            Kind::VolumeSuffix => "volume options",
            Kind::Volume => "volume",
            Kind::ProxyOptions => "HAProxy options",
            Kind::Credentials => "user:password",
            Kind::Interface => "interface",
            Kind::RouterId => "integer 1-255",
            Kind::User => "user name",
            Kind::Password => "password",
            Kind::Weight => "weight 0-256",
        }
    }

    /// What the kind accepts, for error messages.
    pub fn accepted(self) -> &'static str {
        match self {
            Kind::Bool => "`true` or `false` (any case)",
            Kind::Ipv4 => "an IPv4 address such as 192.168.10.10",
            Kind::OptionalIpv4 => "an IPv4 address such as 192.168.10.100, or blank for none",
            Kind::Positive => "a whole number from 1 up",
            Kind::Count => "a whole number from 0 up",
            Kind::HostList => {
                "comma-separated host:port entries such as master-1:2181,master-2:2181 (port 1-65535, no empty entry)"
            }
            Kind::Restart => "no, always, on-failure, on-failure:N or unless-stopped",
            Kind::HostName => {
                "a host name of letters, digits, '-' and '.' (or an IPv4 address), not starting with '-' or '.'"
            }
            Kind::Domain => "a name of letters, digits, '-' and '.', not starting with '-' or '.'",
            Kind::Datacenter => {
                "a datacenter name of letters, digits, '_' and '-' (Consul's rule; no '.')"
            }
            Kind::DomainSuffix => {
                "a domain suffix of letters, digits, '-' and '.' such as .apps.example.com, or blank"
            }
            Kind::Text => "any text on one line",
            Kind::Registry => {
                "a registry prefix such as registry:5000/ (letters, digits, '.', '-', '_', ':', '/'), or blank"
            }
            Kind::ImageTag => {
                "a Docker tag of letters, digits, '_', '.' and '-' (at most 128, not starting with '.' or '-')"
            }
            Kind::Image => {
                "a Docker image reference such as registry:5000/panteras/paas-in-a-box:0.3.9 \
                 ([registry[:port]/]lower-case/path[:tag][@algorithm:hex])"
            }
            Kind::VolumeSuffix => {
                "volume options after a colon, such as :shared or :ro,rshared, or blank"
            }
            Kind::Volume => {
                "a volume HOST:CONTAINER or HOST:CONTAINER:MODE without blanks, CONTAINER an \
                 absolute path, HOST one or a volume's name, MODE options such as ro or rshared"
            }
            Kind::ProxyOptions => {
                "HAProxy 1.6 bind options such as `ssl crt /etc/haproxy/haproxy.pem no-sslv3`, \
                 each with its value, without quotes, backticks, '$', '\\' or '#'"
            }
            Kind::Credentials => {
                "user:password without blanks, quotes, backticks, '$', '\\' or '#', or blank for none"
            }
            Kind::Interface => {
                "an interface name such as eth0 (letters, digits, '_', '.', ':', '-'; at most 15; not . or ..)"
            }
            Kind::RouterId => "a whole number from 1 to 255",
            Kind::User => "a user name of letters, digits, '.', '_' and '-', or blank for none",
            Kind::Password => "printable characters without blanks, ';' or '#', or blank for none",
            Kind::Weight => "a whole number from 0 to 256, or blank for none",
        }
    }

    /// Checks and types a non-empty raw value.
    ///
    /// A value made only of blanks is accepted as [`Value::Empty`] by the
    /// kinds where "nothing" makes sense (the shell trick that switches a
    /// default off) and refused by the others.
    pub fn parse(self, raw: &str) -> Result<Value, String> {
        if raw.contains(['\n', '\r']) {
            return Err(format!(
                "a line break is not allowed; expected {}",
                self.accepted()
            ));
        }
        if raw.bytes().all(|b| b.is_ascii_whitespace()) {
            return match self {
                Kind::Text
                | Kind::OptionalIpv4
                | Kind::DomainSuffix
                | Kind::Registry
                | Kind::VolumeSuffix
                | Kind::ProxyOptions
                | Kind::Credentials
                | Kind::User
                | Kind::Password
                | Kind::Weight => Ok(Value::Empty),
                _ => Err(format!(
                    "a blank value is not allowed; expected {}",
                    self.accepted()
                )),
            };
        }
        let refuse = || Err(format!("expected {}", self.accepted()));
        let text_if = |ok: bool| {
            if ok {
                Ok(Value::Text(raw.into()))
            } else {
                refuse()
            }
        };
        let no_shell_quoting = |c: char| !"\"'`$\\#".contains(c);
        match self {
            Kind::Text => Ok(Value::Text(raw.to_string())),
            Kind::Bool => match raw.to_ascii_lowercase().as_str() {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                _ => refuse(),
            },
            Kind::Ipv4 | Kind::OptionalIpv4 => raw.parse().map(Value::Ip).or_else(|_| refuse()),
            Kind::Positive => match number(raw) {
                Some(n) if n >= 1 => Ok(Value::Number(n)),
                _ => refuse(),
            },
            Kind::Count => number(raw).map(Value::Number).map_or_else(refuse, Ok),
            Kind::RouterId => match number(raw) {
                Some(n @ 1..=255) => Ok(Value::Number(n)),
                _ => refuse(),
            },
            Kind::HostList => host_list(raw).map(Value::Hosts).map_or_else(refuse, Ok),
            Kind::Restart => text_if(
                matches!(raw, "no" | "always" | "on-failure" | "unless-stopped")
                    || raw.strip_prefix("on-failure:").and_then(number).is_some(),
            ),
            Kind::HostName | Kind::Domain => text_if(is_host_name(raw)),
            Kind::Datacenter => text_if(
                raw.len() <= 255
                    && raw
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'),
            ),
            Kind::DomainSuffix => text_if(is_host_name(raw.strip_prefix('.').unwrap_or(raw))),
            Kind::Registry => text_if(
                raw.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-:/".contains(c)),
            ),
            Kind::ImageTag => text_if(
                raw.len() <= 128
                    && !raw.starts_with(['.', '-'])
                    && raw
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c)),
            ),
            Kind::Image => text_if(is_image_reference(raw)),
            Kind::VolumeSuffix => match raw.strip_prefix(':') {
                Some(options) => is_volume_options(options).map(|()| Value::Text(raw.into())),
                None => refuse(),
            },
            Kind::Volume => is_volume(raw).map(|()| Value::Text(raw.into())),
            Kind::ProxyOptions => {
                if !raw.chars().all(no_shell_quoting) {
                    return refuse();
                }
                bind_options(raw).map(|()| Value::Text(raw.into()))
            }
            Kind::Credentials => text_if(raw.split_once(':').is_some_and(|(user, password)| {
                !user.is_empty()
                    && !password.is_empty()
                    && raw
                        .chars()
                        .all(|c| c.is_ascii_graphic() && no_shell_quoting(c))
            })),
            Kind::Interface => text_if(
                raw.len() <= 15
                    && raw != "."
                    && raw != ".."
                    && raw
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_.:-".contains(c)),
            ),
            Kind::User => text_if(
                raw.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)),
            ),
            Kind::Password => text_if(
                raw.chars()
                    .all(|c| c.is_ascii_graphic() && c != ';' && c != '#'),
            ),
            Kind::Weight => match number(raw) {
                Some(n @ 0..=256) => Ok(Value::Number(n)),
                _ => refuse(),
            },
        }
    }
}

/// Checks words of an HAProxy bind line against HAProxy 1.6's keywords
/// and their values.
fn bind_options(raw: &str) -> Result<(), String> {
    let words: Vec<&str> = raw.split_ascii_whitespace().collect();
    crate::haproxy16::bind_options(&words)
}

fn number(raw: &str) -> Option<u32> {
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    raw.parse().ok()
}

/// Letters, digits, `-` and `.`, not starting with `-` or `.`, at most 253,
/// each label between dots 1 to 63 long (DNS's rule; a final dot allowed).
pub fn is_host_name(name: &str) -> bool {
    let labels = name.strip_suffix('.').unwrap_or(name);
    !name.is_empty()
        && name.len() <= 253
        && !name.starts_with(['-', '.'])
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        && labels
            .split('.')
            .all(|label| !label.is_empty() && label.len() <= 63)
}

fn host_list(raw: &str) -> Option<Vec<HostPort>> {
    raw.split(',')
        .map(|entry| {
            let (host, port) = entry.trim().rsplit_once(':')?;
            let port: u16 = number(port)?.try_into().ok()?;
            (is_host_name(host) && port > 0).then(|| HostPort {
                host: host.to_string(),
                port,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(kind: Kind, raw: &str) -> String {
        kind.parse(raw)
            .unwrap_or_else(|e| panic!("{raw:?}: {e}"))
            .to_string()
    }

    #[test]
    fn booleans_take_any_case_and_are_written_lower_case() {
        assert_eq!(ok(Kind::Bool, "TRUE"), "true");
        assert_eq!(ok(Kind::Bool, "False"), "false");
        for bad in ["yes", "1", "on", " true"] {
            assert!(Kind::Bool.parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ipv4_addresses_are_dotted_quads() {
        assert_eq!(ok(Kind::Ipv4, "10.0.0.1"), "10.0.0.1");
        for bad in ["10.0.0", "10.0.0.256", "host", "::1", "10.0.0.1 "] {
            assert!(Kind::Ipv4.parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn blank_values_switch_optional_things_off_and_are_refused_elsewhere() {
        assert_eq!(Kind::Text.parse("  "), Ok(Value::Empty));
        assert_eq!(Kind::OptionalIpv4.parse(" "), Ok(Value::Empty));
        assert!(Kind::Ipv4.parse(" ").is_err());
        assert!(Kind::Bool.parse(" ").is_err());
        assert!(Kind::HostList.parse(" ").is_err());
    }

    #[test]
    fn numbers_have_bounds() {
        assert_eq!(ok(Kind::Positive, "3"), "3");
        assert!(Kind::Positive.parse("0").is_err());
        assert_eq!(ok(Kind::Count, "0"), "0");
        for bad in ["-1", "+2", "2.5", "99999999999", "x"] {
            assert!(Kind::Count.parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn host_lists_need_a_port_on_every_entry() {
        assert_eq!(
            ok(Kind::HostList, "a:2181,b.example.com:2181"),
            "a:2181,b.example.com:2181"
        );
        assert_eq!(ok(Kind::HostList, "10.0.0.1:2181"), "10.0.0.1:2181");
        for bad in [
            "a",
            "a:2181,",
            "a:0",
            "a:65536",
            ":2181",
            "a:2181,,b:2181",
            "a b:1",
            "-a:1",
        ] {
            assert!(Kind::HostList.parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn restart_policies_are_those_compose_knows() {
        for good in [
            "no",
            "always",
            "on-failure",
            "on-failure:5",
            "unless-stopped",
        ] {
            assert_eq!(ok(Kind::Restart, good), good);
        }
        for bad in ["never", "on-failure:", "on-failure:x", "No"] {
            assert!(Kind::Restart.parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn host_name_labels_fit_dns_and_datacenters_fit_consul() {
        let label = "a".repeat(63);
        assert!(is_host_name(&format!("{label}.example.com")));
        assert!(!is_host_name(&format!("{label}a.example.com")));
        assert!(!is_host_name("a..b") && is_host_name("a.b."));
        assert!(Kind::Datacenter.parse("Ams_1-b").is_ok());
        for bad in ["ams.1", "ams 1", "ams/1"] {
            assert!(Kind::Datacenter.parse(bad).is_err(), "{bad}");
        }
        assert!(Kind::Interface.parse("..").is_err() && Kind::Interface.parse(".").is_err());
        assert!(Kind::VolumeSuffix.parse(":rshared").is_ok());
        assert!(Kind::VolumeSuffix.parse(":ro,rw").is_err());
    }

    #[test]
    fn names_and_suffixes() {
        assert!(Kind::HostName.parse("master-1.example.com").is_ok());
        assert!(Kind::HostName.parse("192.168.10.10").is_ok());
        for bad in ["-x", "a_b", "a b", ".a", "a\"b"] {
            assert!(Kind::HostName.parse(bad).is_err(), "{bad}");
        }
        assert!(Kind::DomainSuffix.parse(".apps.example.com").is_ok());
        assert!(Kind::DomainSuffix.parse("..x").is_err());
    }

    #[test]
    fn image_parts() {
        assert!(Kind::Registry.parse("registry:5000/").is_ok());
        assert!(Kind::ImageTag.parse("0.3.9").is_ok());
        assert!(Kind::ImageTag.parse("latest tag").is_err());
        assert!(
            Kind::Image
                .parse("registry:5000/panteras/paas-in-a-box:0.3.9")
                .is_ok()
        );
        assert!(Kind::Image.parse("x y").is_err());
    }

    #[test]
    fn volumes() {
        assert!(Kind::VolumeSuffix.parse(":shared").is_ok());
        assert!(Kind::VolumeSuffix.parse("shared").is_err());
        assert!(Kind::Volume.parse("/a:/b").is_ok());
        assert!(Kind::Volume.parse("/a:/b:ro").is_ok());
        assert!(Kind::Volume.parse("/a").is_err());
        assert!(Kind::Volume.parse("/a b:/b").is_err());
    }

    #[test]
    fn daemon_config_kinds() {
        assert!(
            Kind::ProxyOptions
                .parse("ssl crt /etc/haproxy/haproxy.pem")
                .is_ok()
        );
        for bad in ["crt \"x\"", "crt $(x)", "crt `x`", "a\\b", "a # b"] {
            assert!(Kind::ProxyOptions.parse(bad).is_err(), "{bad}");
        }
        assert!(Kind::Credentials.parse("admin:s3cr3t!").is_ok());
        for bad in ["admin", ":x", "x:", "a b:c", "a:$x", "a:\"x"] {
            assert!(Kind::Credentials.parse(bad).is_err(), "{bad}");
        }
        assert!(Kind::Interface.parse("eth0").is_ok());
        assert!(Kind::Interface.parse("a-very-long-interface").is_err());
        assert_eq!(ok(Kind::RouterId, "255"), "255");
        assert!(Kind::RouterId.parse("0").is_err() && Kind::RouterId.parse("256").is_err());
        assert!(Kind::User.parse("ops.team").is_ok() && Kind::User.parse("a:b").is_err());
        assert!(Kind::Password.parse("p%ss:w0rd!").is_ok());
        assert!(Kind::Password.parse("a;b").is_err() && Kind::Password.parse("a b").is_err());
        assert_eq!(Kind::Weight.parse("0"), Ok(Value::Number(0)));
        assert_eq!(Kind::Weight.parse("256"), Ok(Value::Number(256)));
        assert!(Kind::Weight.parse("257").is_err());
        assert!(Kind::Weight.parse("-1").is_err());
    }

    #[test]
    fn text_keeps_everything_on_one_line() {
        assert_eq!(ok(Kind::Text, "a \"b\" 'c' #d: $e"), "a \"b\" 'c' #d: $e");
        assert!(Kind::Text.parse("a\nb").is_err());
    }

    #[test]
    fn cert_options_are_haproxy_16_bind_options() {
        for good in [
            "ssl crt /etc/haproxy/haproxy.pem",
            "ssl crt /x.pem no-sslv3 ciphers HIGH:!aNULL verify none alpn h2,http/1.1",
            "accept-proxy",
        ] {
            assert!(Kind::ProxyOptions.parse(good).is_ok(), "{good}");
        }
        for (bad, why) in [
            ("ssl crt", "`crt` needs a value"),
            (
                "ssl cert /x.pem",
                "`cert` is not a bind option of HAProxy 1.6",
            ),
            (
                "ssl verify sometimes",
                "`verify` takes none, optional or required",
            ),
            ("ssl-min-ver TLSv1.2", "`ssl-min-ver` is not a bind option"),
        ] {
            let error = Kind::ProxyOptions.parse(bad).unwrap_err();
            assert!(error.contains(why), "{bad}: {error}");
        }
    }
}

#[cfg(test)]
mod no_panic {

    #[test]
    fn every_kind_reads_or_refuses_arbitrary_text_without_panicking() {
        let kinds = crate::vars::VARS.iter().map(|v| v.kind);
        let samples = [
            "",
            " ",
            "\t",
            ":",
            "::",
            ",",
            "a:",
            ":1",
            "a:99999999999999999999",
            "1.2.3.4.5",
            "-",
            ".",
            "..",
            "on-failure:-1",
            "/",
            "é",
            "€:€",
            "a,b:1",
            "\u{2028}",
            "9999999999",
            "0x10",
        ];
        for kind in kinds {
            for sample in samples {
                let _ = kind.parse(sample);
            }
        }
    }
}
