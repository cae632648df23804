//! The entries of the inventory: a host's entry and a `settings:` map,
//! each value checked against its variable where it is read.

use std::net::Ipv4Addr;

use super::yaml::{Node, Problems, pairs};
use super::{Assigned, PER_HOST};
use crate::values::{Kind, is_host_name};
use crate::vars;

/// A host's entry as read.
pub(super) struct Entry {
    pub(super) host: String,
    pub(super) ip: Ipv4Addr,
    pub(super) fqdn: Option<(String, usize)>,
    pub(super) settings: Vec<Assigned>,
    pub(super) master: bool,
    /// A master's own `slave:`, when it says whether it runs the slave
    /// daemons too.
    pub(super) slave: Option<bool>,
    /// Where its files go on the host (`panteras_dir:`).
    pub(super) panteras_dir: Option<String>,
    /// Its own `image_files:`, over the inventory's.
    pub(super) image_files: Option<bool>,
    pub(super) line: usize,
}

/// A boolean of the inventory (`true`/`false`, any case), or why not.
pub(super) fn boolean(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// One entry of `masters` or `slaves`.
pub(super) fn entry(node: &Node, master: bool, problems: &mut Problems) -> Option<Entry> {
    let line = node.line();
    let (mut host, mut ip, mut fqdn, mut own) = (None, None, None, Vec::new());
    let (mut slave, mut panteras_dir, mut image_files) = (None, None, None);
    for (key, value, key_line) in pairs(node, "a host's entry", problems) {
        let Some(text) = value.text().filter(|_| key != "settings") else {
            if key == "settings" {
                own = settings(value, "this host", problems);
            } else {
                problems.add(
                    key_line,
                    format!("{key} must be a single value, not {}", value.what()),
                );
            }
            continue;
        };
        match key.as_str() {
            "host" => {
                if is_host_name(&text) {
                    host = Some(text);
                } else {
                    problems.add(
                        value.line(),
                        format!("host {text:?}: expected {}", Kind::HostName.accepted()),
                    );
                }
            }
            "ip" => match text.parse::<Ipv4Addr>() {
                Ok(address) => ip = Some(address),
                Err(_) => problems.add(
                    value.line(),
                    format!("ip {text:?}: expected {}", Kind::Ipv4.accepted()),
                ),
            },
            "fqdn" => {
                validate(problems, value.line(), "FQDN", &text);
                fqdn = Some((text, value.line()));
            }
            "panteras_dir" => panteras_dir = super::rollout::panteras_dir(&text, value.line(), problems),
            "image_files" => match boolean(&text) {
                Some(only) => image_files = Some(only),
                None => problems.add(
                    value.line(),
                    format!("image_files {text:?}: expected true (this host gets only what generate_yml.sh wrote) or false"),
                ),
            },
            "slave" if master => match boolean(&text) {
                Some(runs) => slave = Some(runs),
                None => problems.add(
                    value.line(),
                    format!("slave {text:?}: expected true (this master runs the slave daemons too) or false"),
                ),
            },
            "slave" => problems.add(
                key_line,
                "`slave` belongs to a master's entry (a master that runs the slave daemons too); every host under slaves is one".into(),
            ),
            _ => problems.add(
                key_line,
                format!(
                    "unknown key `{key}` in a host's entry; expected host, ip, fqdn, panteras_dir, image_files, {}settings",
                    if master { "slave or " } else { "or " }
                ),
            ),
        }
    }
    let (Some(host), Some(ip)) = (host, ip) else {
        let given = |key: &str| matches!(node, Node::Map(pairs, _) if pairs.iter().any(|(k, _)| k.text().as_deref() == Some(key)));
        if matches!(node, Node::Map(..)) && !(given("host") && given("ip")) {
            problems.add(line, "a host's entry needs `host` and `ip`".into());
        }
        return None;
    };
    Some(Entry {
        host,
        ip,
        fqdn,
        settings: own,
        master,
        slave,
        panteras_dir,
        image_files,
        line,
    })
}

/// The variables of a `settings:` map, each with its own line, refusing
/// unknown names, the ones the inventory sets per host, values that are
/// not single values and values their variable does not accept.
pub(super) fn settings(node: &Node, whose: &str, problems: &mut Problems) -> Vec<Assigned> {
    let mut out = Vec::new();
    for (name, value, line) in pairs(node, &format!("the settings of {whose}"), problems) {
        if vars::find(&name).is_none() {
            let hint = vars::closest(&name)
                .map(|k| format!("; did you mean {k}?"))
                .unwrap_or_default();
            problems.add(
                line,
                format!("{name} in the settings of {whose} is not a panteras variable{hint}"),
            );
            continue;
        }
        if PER_HOST.contains(&name.as_str()) {
            let how = if matches!(name.as_str(), "MASTER" | "SLAVE") {
                "by the list a host is in; a master runs the slave daemons too with `slave: true` in its entry, or every master with `masters_are_slaves: true`"
            } else {
                "from its entry (host, ip, fqdn)"
            };
            problems.add(
                line,
                format!("{name} is set for each host by the inventory, {how}; not in settings"),
            );
            continue;
        }
        let Some(text) = value.text() else {
            problems.add(
                line,
                format!("{name} must be a single value, not {}", value.what()),
            );
            continue;
        };
        validate(problems, line, &name, &text);
        let origin = problems.source.origin(line);
        out.push((name, text, origin));
    }
    out
}

/// Checks a value against its variable's kind where it is read, and
/// against the reader of the restricted/host it goes into, so that what
/// the host's reader would refuse is said at the inventory's line.
pub(super) fn validate(problems: &mut Problems, line: usize, name: &str, value: &str) {
    let kind = vars::find(name).map_or(Kind::Text, |v| v.kind);
    if value.is_empty() {
        return;
    }
    let assignment = format!("{name}={}", crate::show::shell_quote(value));
    if let Err(refused) = crate::shell::parse(&assignment, &|_| None) {
        for e in refused {
            problems.add(line, e.message);
        }
        return;
    }
    if let Err(accepted) = kind.parse(value) {
        problems.add(
            line,
            format!(
                "{name}={:?} is not valid: {accepted}",
                vars::brief(name, value)
            ),
        );
    }
}
