//! The `rollout:` section of the inventory and a host's `panteras_dir`:
//! how `panteras cluster --ansible` rolls the cluster out. Read here with
//! the rest of the inventory, so that its errors come with theirs.

use super::entries::boolean;
use super::yaml::{Node, Problems, pairs};

/// How the cluster is rolled out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rollout {
    /// Where a host's files go, unless its entry says otherwise.
    pub panteras_dir: String,
    /// How many slaves a batch holds: `N` or `N%`.
    pub serial: String,
    /// The share of a batch's slaves that may fail before the rollout stops.
    pub max_fail_percentage: u8,
    /// How long each gate may take, in seconds.
    pub gate_timeout: u32,
    /// Which gates are waited for.
    pub gates: Gates,
}

/// The health checks between hosts, each for the hosts that run its daemon.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Gates {
    /// ZooKeeper serves as leader or follower (`srvr`).
    pub zookeeper: bool,
    /// Consul names a leader and has every master as a healthy voter.
    pub consul: bool,
    /// One Mesos master is elected, every master has recovered its
    /// registry log, an agent is registered.
    pub mesos: bool,
    /// Marathon names a leader.
    pub marathon: bool,
}

impl Default for Rollout {
    fn default() -> Rollout {
        Rollout {
            panteras_dir: "/opt/panteras".into(),
            serial: "25%".into(),
            max_fail_percentage: 0,
            gate_timeout: 300,
            gates: Gates {
                zookeeper: true,
                consul: true,
                mesos: true,
                marathon: true,
            },
        }
    }
}

const KEYS: &str = "panteras_dir, serial, max_fail_percentage, gate_timeout or gates";

/// The `rollout:` map; what is not given keeps its default.
pub(super) fn rollout(node: &Node, problems: &mut Problems) -> Rollout {
    let mut rollout = Rollout::default();
    for (key, value, line) in pairs(node, "rollout", problems) {
        if key == "gates" {
            gates(value, &mut rollout.gates, problems);
            continue;
        }
        let Some(text) = value.text() else {
            problems.add(
                line,
                format!("rollout.{key} must be a single value, not {}", value.what()),
            );
            continue;
        };
        let at = value.line();
        match key.as_str() {
            "panteras_dir" => {
                if let Some(dir) = panteras_dir(&text, at, problems) {
                    rollout.panteras_dir = dir;
                }
            }
            "serial" => {
                let number = text.strip_suffix('%').unwrap_or(&text);
                let percent = text.ends_with('%');
                match number.parse::<u32>() {
                    Ok(n) if n >= 1 && (!percent || n <= 100) => rollout.serial = text,
                    _ => problems.add(
                        at,
                        format!("rollout.serial {text:?}: expected a number of slaves from 1, or a percentage from 1% to 100%"),
                    ),
                }
            }
            "max_fail_percentage" => match text.parse::<u8>() {
                Ok(n) if n <= 100 => rollout.max_fail_percentage = n,
                _ => problems.add(
                    at,
                    format!(
                        "rollout.max_fail_percentage {text:?}: expected a percentage from 0 to 100"
                    ),
                ),
            },
            "gate_timeout" => match text.parse::<u32>() {
                Ok(n) if (1..=86_400).contains(&n) => rollout.gate_timeout = n,
                _ => problems.add(
                    at,
                    format!("rollout.gate_timeout {text:?}: expected seconds, from 1 to 86400"),
                ),
            },
            _ => problems.add(
                line,
                format!("unknown key `{key}` in rollout; expected {KEYS}"),
            ),
        }
    }
    rollout
}

fn gates(node: &Node, gates: &mut Gates, problems: &mut Problems) {
    for (key, value, line) in pairs(node, "rollout.gates", problems) {
        let slot = match key.as_str() {
            "zookeeper" => &mut gates.zookeeper,
            "consul" => &mut gates.consul,
            "mesos" => &mut gates.mesos,
            "marathon" => &mut gates.marathon,
            _ => {
                problems.add(
                    line,
                    format!("unknown gate `{key}`; expected zookeeper, consul, mesos or marathon"),
                );
                continue;
            }
        };
        match value.text().as_deref().and_then(boolean) {
            Some(on) => *slot = on,
            None => problems.add(
                value.line(),
                format!("rollout.gates.{key}: expected true (wait for it) or false"),
            ),
        }
    }
}

/// A folder on the hosts: an absolute path of letters, digits and `._-/`,
/// without `..` (it goes into the playbook's commands and file tasks).
pub(super) fn panteras_dir(text: &str, line: usize, problems: &mut Problems) -> Option<String> {
    let ok = text.starts_with('/')
        && text.len() > 1
        && text.len() <= 255
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'/'))
        && !text[1..]
            .trim_end_matches('/')
            .split('/')
            .any(|part| matches!(part, "" | "." | ".."));
    if ok {
        Some(text.trim_end_matches('/').to_string())
    } else {
        problems.add(
            line,
            format!("panteras_dir {text:?}: expected an absolute path below / of letters, digits and . _ - /, without `..`, `.` or `//`"),
        );
        None
    }
}
