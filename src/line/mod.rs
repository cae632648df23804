//! The image lines of PanteraS, as data: which variables a line reads and
//! what replaces those it does not, the defaults it gives otherwise, the
//! compose contract (environment, registrations, volumes, exposed ports),
//! the supervisord programs and the daemon files panteras renders for it.
//! A host's line is chosen once, before its variables resolve ([`choose`]),
//! and everything after reads it from the settings.

mod v03;
mod v04;

use serde::Serialize;

use crate::layers::Layers;
use crate::scope::Lookup;
use crate::vars::DefaultRule;

pub use v03::V03;
pub use v04::V04;

/// One image line.
pub struct ImageLine {
    /// `0.3`, `0.4`: what `PANTERAS_IMAGE_LINE` names.
    pub name: &'static str,
    /// The release whose files and scripts the line follows (the default tag).
    pub release: &'static str,
    /// Variables of the table this line does not read, each with what
    /// replaces it on this line.
    pub absent: &'static [(&'static str, &'static str)],
    /// Defaults that differ from the table's on this line.
    pub defaults: &'static [(&'static str, DefaultRule)],
    /// The compose environment, in order.
    pub environment: &'static [Entry],
    /// The web UIs the container registers through Registrator.
    pub uis: &'static [Ui],
    /// The tags of a UI's registration, from its host (before
    /// `.service.`) and CONSUL_DOMAIN.
    pub ui_tags: fn(&str, &str) -> String,
    /// Ports exposed whatever runs (supervisord's console on 0.4).
    pub always_exposed: &'static [u16],
    /// The variables that start a router: on a line that names them, a
    /// UI's port is exposed (for Registrator) only while one runs.
    pub routers: &'static [&'static str],
    /// The container's volumes: `${SHARED}` is filled in.
    pub volumes: &'static [&'static str],
    /// The supervisord programs of the image, in its order.
    pub programs: &'static [Program],
    /// Whether the image forwards the programs' output to `docker logs`
    /// with supervisor_stdout (0.3; 0.4.3 and later have none).
    pub stdout_listener: bool,
    /// The daemon files panteras renders for this line.
    pub files: &'static [DaemonFile],
}

/// An entry of the compose environment.
pub enum Entry {
    /// The key is the variable's name.
    Same(&'static str),
    /// The key and the variable that gives it.
    Renamed(&'static str, &'static str),
    /// The registrations of the UIs (`SERVICE_<port>_NAME`, `_TAGS`,
    /// `_CHECK_HTTP`).
    Uis,
}

/// A web UI of the container: port, Registrator name, tag host (before
/// `.service.<domain>`), health check, and the variables that start it
/// (any of them).
pub struct Ui {
    pub port: u16,
    pub name: &'static str,
    pub host: &'static str,
    pub check: &'static str,
    pub start: &'static [&'static str],
}

/// A supervisord program as the image's supervisord.conf declares it:
/// name, priority, the user it runs as, directory, command, start switch
/// and extra settings.
#[derive(Serialize)]
pub struct Program {
    pub name: &'static str,
    pub priority: u32,
    pub user: &'static str,
    pub directory: Option<&'static str>,
    pub command: &'static str,
    pub start: &'static str,
    pub extra: &'static [&'static str],
}

/// A file rendered under `generated/`: its template, when the host needs
/// it, and where the container reads it (read-only, over the image's copy).
pub struct DaemonFile {
    pub template: &'static str,
    /// Where it is written, under `generated/`.
    pub path: &'static str,
    pub when: fn(&dyn Lookup) -> bool,
    pub mount: &'static str,
    /// Whether the file holds a password (written 0600).
    pub secret: fn(&dyn Lookup) -> bool,
}

/// Every line, the default first.
pub static LINES: [&ImageLine; 2] = [&V03, &V04];

impl std::fmt::Debug for ImageLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the {} line", self.name)
    }
}

impl ImageLine {
    /// Whether the line reads the variable.
    pub fn reads(&self, name: &str) -> bool {
        !self.absent.iter().any(|(n, _)| *n == name)
    }

    /// What replaces a variable this line does not read.
    pub fn instead_of(&self, name: &str) -> Option<&'static str> {
        self.absent
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, w)| *w)
    }

    /// The line's default of a variable, when it differs from the table's.
    pub fn default_of(&self, name: &str) -> Option<DefaultRule> {
        self.defaults
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, rule)| *rule)
    }

    /// The paths in the container that this line's files mount and no
    /// other line's do: a container with one of them was made from this
    /// line's files, whatever its image's tag says (0.4's ZooKeeper data,
    /// 0.3's artifact store).
    pub fn marks(&self) -> Vec<&'static str> {
        self.volumes
            .iter()
            .map(|v| inside(v))
            .filter(|path| {
                LINES
                    .iter()
                    .filter(|l| l.name != self.name)
                    .all(|l| l.volumes.iter().all(|v| inside(v) != *path))
            })
            .collect()
    }
}

/// The line a tag names, as a release's number shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line {
    /// 0.3.x and older: HAProxy through consul-template, keepalived,
    /// dnsmasq, Chronos; the line panteras generates.
    Old,
    /// 0.4.0 and later: Fabio or Traefik, daemons as their own users,
    /// ZooKeeper's data in a volume.
    New,
    /// A tag that names no release (`latest`, a build of one's own).
    Unknown,
}

/// The release PanteraS's `latest` has named since 2021.
pub const LAST_RELEASE: &str = "0.4.4";

/// The line of an image reference's tag (`registry/panteras/paas-in-a-box:0.3.9`,
/// `...:0.4.4@sha256:...`); a reference without a tag is `latest`'s.
pub fn line_of(image: &str) -> (Line, String) {
    let name = image.split('@').next().unwrap_or(image);
    let last = name.rsplit('/').next().unwrap_or(name);
    let tag = last.split_once(':').map_or("latest", |(_, tag)| tag);
    let version = tag.strip_prefix('v').unwrap_or(tag);
    let mut parts = version.split(['.', '-']);
    let numbers = (
        parts.next().and_then(|p| p.parse::<u32>().ok()),
        parts.next().and_then(|p| p.parse::<u32>().ok()),
    );
    let line = match numbers {
        (Some(0), Some(minor)) if minor < 4 => Line::Old,
        (Some(0), Some(_)) | (Some(1..), Some(_)) => Line::New,
        _ => Line::Unknown,
    };
    (line, tag.to_string())
}

/// The line of an image reference whose tag names a release; `None` for
/// a tag of no known release.
pub fn of_image(image: &str) -> Option<&'static ImageLine> {
    match line_of(image).0 {
        Line::Old => Some(&V03),
        Line::New => Some(&V04),
        Line::Unknown => None,
    }
}

/// The path in the container of a compose volume (`/tmp/zookeeper:/var/lib/zookeeper/version-2`).
pub fn inside(volume: &str) -> &str {
    volume.split(':').nth(1).unwrap_or(volume)
}

/// The line whose files made a container (or a compose service) of
/// `image` mounting the paths `inside` it: the image's tag when that
/// names a release, else the one line whose own mounts (`marks`) it has.
pub fn of_container<'a>(
    image: &str,
    inside: impl IntoIterator<Item = &'a str>,
) -> Option<&'static ImageLine> {
    if let Some(line) = of_image(image) {
        return Some(line);
    }
    let inside: Vec<&str> = inside.into_iter().collect();
    let mut found = LINES
        .into_iter()
        .filter(|l| l.marks().iter().any(|m| inside.contains(m)));
    match (found.next(), found.next()) {
        (Some(line), None) => Some(line),
        _ => None,
    }
}

/// The line of a name given to `PANTERAS_IMAGE_LINE` (`0.3`, `0.4`, or a
/// release of it).
pub fn named(text: &str) -> Option<&'static ImageLine> {
    let text = text.trim();
    LINES
        .into_iter()
        .find(|l| text == l.name || text == l.release)
}

/// A host's line and where it came from; or the error that no line can
/// be chosen (the explicit line and the image's tag disagree).
pub struct Chosen {
    pub line: &'static ImageLine,
    /// `PANTERAS_IMAGE_TAG=0.4.4 (restricted/host:3)`, or the default.
    pub from: String,
    /// Why the choice is refused, with what would be accepted.
    pub refused: Option<(String, String)>,
    /// No tag of a known release and no explicit line: the first line.
    pub by_default: bool,
}

/// Chooses the line of a host from its layers: an explicit
/// `PANTERAS_IMAGE_LINE`, else the tag of the image named
/// (`PANTERAS_DOCKER_IMAGE`, then `PANTERAS_IMAGE_TAG`), else the first
/// line (0.3, whose release 0.3.9 is the default tag). A tag of no known
/// release (`latest`, a build of one's own) chooses nothing.
pub fn choose(layers: &Layers) -> Chosen {
    let given = |name: &str| {
        layers
            .get(name)
            .filter(|raw| !raw.value.trim().is_empty())
            .map(|raw| (raw.value.trim().to_string(), raw.source.clone()))
    };
    let by_tag = ["PANTERAS_DOCKER_IMAGE", "PANTERAS_IMAGE_TAG"]
        .iter()
        .find_map(|name| {
            let (value, source) = given(name)?;
            let image = if *name == "PANTERAS_IMAGE_TAG" {
                format!("panteras/paas-in-a-box:{value}")
            } else {
                value.clone()
            };
            Some((of_image(&image)?, format!("{name}={value} ({source})")))
        });
    match given("PANTERAS_IMAGE_LINE") {
        Some((value, source)) => {
            let shown = format!("PANTERAS_IMAGE_LINE={value} ({source})");
            let Some(line) = named(&value) else {
                return Chosen {
                    line: &V03,
                    from: shown.clone(),
                    refused: Some((
                        format!("{shown}: no such image line"),
                        "set PANTERAS_IMAGE_LINE to 0.3 (PanteraS 0.3.x) or 0.4 (0.4.x)".into(),
                    )),
                    by_default: false,
                };
            };
            let refused = match by_tag {
                Some((tagged, tag)) if tagged.name != line.name => Some((
                    format!(
                        "{shown} and {tag}: the image is of the {} line",
                        tagged.name
                    ),
                    format!(
                        "name an image of the {} line, or set PANTERAS_IMAGE_LINE={}",
                        line.name, tagged.name
                    ),
                )),
                _ => None,
            };
            Chosen {
                line,
                from: shown,
                refused,
                by_default: false,
            }
        }
        None => match by_tag {
            Some((line, from)) => Chosen {
                line,
                from,
                refused: None,
                by_default: false,
            },
            None => Chosen {
                line: &V03,
                from: "the default line".into(),
                refused: None,
                by_default: true,
            },
        },
    }
}

/// The Markdown table of every variable, as the README carries it: the
/// lines that read it, and a line's own default beside the table's.
pub fn markdown_table() -> String {
    let mut out = String::from(
        "| variable | line | kind | default | roles | meaning |\n|---|---|---|---|---|---|\n",
    );
    for v in crate::vars::VARS {
        let lines: Vec<&str> = LINES
            .iter()
            .filter(|l| l.reads(v.name))
            .map(|l| l.name)
            .collect();
        let lines = if lines.len() == LINES.len() {
            "all".to_string()
        } else {
            lines.join(", ")
        };
        let mut default = crate::vars::default_shown(v.default);
        for line in LINES {
            if let Some(own) = line.default_of(v.name) {
                default = format!(
                    "{default}; on {}: {}",
                    line.name,
                    crate::vars::default_shown(own)
                );
            }
        }
        out.push_str(&format!(
            "| `{}` | {lines} | {} | {default} | {} | {} |\n",
            v.name,
            v.kind.label(),
            v.roles.label(),
            v.doc
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_names_its_line() {
        let line = |image: &str| line_of(image).0;
        assert_eq!(line("panteras/paas-in-a-box:0.3.9"), Line::Old);
        assert_eq!(
            line("registry:5000/panteras/paas-in-a-box:0.3.8"),
            Line::Old
        );
        assert_eq!(line("panteras/paas-in-a-box:0.2.1"), Line::Old);
        assert_eq!(line("panteras/paas-in-a-box:0.4.4"), Line::New);
        assert_eq!(line("panteras/paas-in-a-box:v0.4.0@sha256:ab"), Line::New);
        assert_eq!(line("panteras/paas-in-a-box:1.0"), Line::New);
        assert_eq!(line("panteras/paas-in-a-box:0.4"), Line::New);
        assert_eq!(line("panteras/paas-in-a-box"), Line::Unknown);
        assert_eq!(line("panteras/paas-in-a-box:latest"), Line::Unknown);
        assert_eq!(line("panteras/paas-in-a-box:twin-0123abcd"), Line::Unknown);
        assert_eq!(line_of("registry:5000/p/x").1, "latest");
    }

    #[test]
    fn each_line_has_a_mount_the_other_lacks() {
        assert_eq!(V03.marks(), ["/var/spool/store"]);
        assert_eq!(V04.marks(), ["/var/lib/zookeeper/version-2"]);
        let zk = "/var/lib/zookeeper/version-2";
        let line =
            |image, inside: &[&str]| of_container(image, inside.iter().copied()).map(|l| l.name);
        assert_eq!(line("my/paas:1", &["/sys", zk]), Some("0.4"));
        assert_eq!(line("my/paas:1", &["/var/spool/store"]), Some("0.3"));
        assert_eq!(line("my/paas:1", &["/sys"]), None);
        assert_eq!(line("my/paas:1", &["/var/spool/store", zk]), None);
        // The tag, when it names a release, is what counts.
        assert_eq!(line("p/paas-in-a-box:0.3.9", &[zk]), Some("0.3"));
    }
}
