//! One host's folder as the old script (or panteras) left it: its
//! docker-compose.yml and restricted/ files, read back into the host's
//! identity, roles and the variables that gave its container what it has.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use crate::container::compose::{self, Service};
use crate::container::deliberate;
use crate::finding::Severity;
use crate::identity::{Answer, System};
use crate::layers::{Flags, Inputs, Layers, read_input};
use crate::render::Renderer;
use crate::settings::Settings;
use crate::vars;

/// The variables a host's entry gives rather than its settings.
pub(super) const ENTRY: [&str; 5] = ["HOSTNAME", "FQDN", "IP", "MASTER", "SLAVE"];

/// A host read from its folder.
pub(super) struct OldHost {
    /// The folder's name under the imported directory.
    pub folder: String,
    pub name: String,
    pub ip: Ipv4Addr,
    pub fqdn: String,
    pub master: bool,
    pub slave: bool,
    /// The variables that are not their defaults: those the restricted/
    /// files set, and those the old script's environment gave it (found in
    /// what the container got), each with its value.
    pub set: BTreeMap<String, String>,
    /// Every variable as the host resolved it.
    pub settings: Settings,
    /// Whether its container runs the image's own daemon files.
    pub image_files: bool,
    /// What panteras cannot give the container as it had it, each said.
    pub notes: Vec<String>,
}

/// The machine of an imported host: it answers with the names the
/// container had and looks nothing up.
struct Recorded {
    hostname: String,
    fqdn: String,
}

impl System for Recorded {
    fn hostname(&self) -> Option<String> {
        Some(self.hostname.clone())
    }
    fn fqdn(&self) -> Option<String> {
        Some(self.fqdn.clone())
    }
    fn resolve(&self, _: &str) -> Result<Answer, String> {
        Err("an imported host's address is the one its container had".into())
    }
}

/// Environment keys of the container that are not named as the variable
/// that sets them.
const KEY_OF: [(&str, &str); 3] = [
    ("JVMFLAGS", "ZOOKEEPER_JAVA_OPTS"),
    ("JAVA_OPTS", "CHRONOS_JAVA_OPTS"),
    ("HOSTNAME", "PANTERAS_HOSTNAME"),
];

/// The label panteras puts on a container that mounts its files.
const DIGEST: &str = "panteras.generated-digest";

/// Reads the host of `folder` (named `name` under the imported directory);
/// every problem is returned, each naming the file.
pub(super) fn read(folder: &Path, name: &str, renderer: &Renderer) -> Result<OldHost, Vec<String>> {
    let compose_path = folder.join("docker-compose.yml");
    let shown = compose_path.display().to_string();
    let text = match read_input(&compose_path, &shown) {
        Ok(Some(text)) => text,
        Ok(None) => {
            return Err(vec![format!(
                "{shown}: no such file; every folder of the imported directory is a host's, \
                 with the docker-compose.yml and restricted/ of that host"
            )]);
        }
        Err(e) => return Err(vec![format!("{e:#}")]),
    };
    let service = compose::read(&text).map_err(|why| vec![format!("{shown}: {why}")])?;
    let env = &service.environment;
    let mut errors = Vec::new();
    let names = names_shown(env);
    if names.is_empty() {
        errors.push(format!(
            "{shown}: the environment has no HOSTNAME; the old script and panteras always \
             write the host's name there"
        ));
    }
    let fqdn = env.get("FQDN").filter(|f| !f.is_empty()).cloned();
    let ip = env.get("HOST_IP").cloned().unwrap_or_default();
    if ip.parse::<Ipv4Addr>().is_err() {
        errors.push(format!(
            "{shown}: HOST_IP {ip:?} in the environment is not an IPv4 address; the host's \
             address is read from it"
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let image_files = !service.labels.contains_key(DIGEST)
        && !service
            .lists
            .get("volumes")
            .is_some_and(|v| v.iter().any(|m| m.starts_with("./generated/")));
    let mut reading = Reading {
        folder: folder.to_path_buf(),
        service: &service,
        shown: &shown,
        system: Recorded {
            hostname: String::new(),
            fqdn: String::new(),
        },
        base: Vec::new(),
        renderer,
    };
    let named = |reading: &mut Reading, name: &str| {
        let fqdn = fqdn.clone().unwrap_or_else(|| name.to_string());
        reading.system = Recorded {
            hostname: name.to_string(),
            fqdn: fqdn.clone(),
        };
        reading.base = vec![
            ("HOSTNAME".into(), name.to_string()),
            ("FQDN".into(), fqdn),
            ("IP".into(), ip.clone()),
        ];
    };
    named(&mut reading, &names[0]);
    let mut in_files = reading.in_files()?;
    // The line is chosen before anything resolves: an image of another
    // line than the first names it from the start (the 0.4.4 script wrote
    // no PANTERAS_IMAGE_TAG into restricted/host; its tag was the image's).
    let image = service.settings.get("image").map(String::as_str);
    let inside = service.lists.get("volumes").into_iter().flatten();
    let inside = inside.map(|v| crate::line::inside(v));
    let line = image.and_then(|image| crate::line::of_container(image, inside));
    let mut from_image: Given = Vec::new();
    if let Some(line) = line.filter(|l| l.name != crate::line::LINES[0].name) {
        from_image.extend(recovered("image", image, None));
        if crate::line::of_image(image.unwrap_or_default()).is_none() {
            from_image.push(("PANTERAS_IMAGE_LINE".into(), line.name.into()));
        }
        from_image.retain(|(name, _)| !in_files.contains_key(name));
    }
    // The old docs ran `MASTER=false ./generate_yml.sh` on slaves: a role
    // no file names is the one that gives the container what it had.
    let choices = |name: &str| -> Vec<Option<&'static str>> {
        if in_files.contains_key(name) {
            vec![None]
        } else {
            vec![Some("true"), Some("false")]
        }
    };
    // The fewest differences, the name and the roles that give them, and
    // what they resolve to; the first that gives none ends the search.
    let mut best: Option<(Vec<Difference>, &String, Given, Settings)> = None;
    'search: for name in &names {
        named(&mut reading, name);
        for master in choices("MASTER") {
            for slave in choices("SLAVE") {
                let mut given = from_image.clone();
                given.extend(master.map(|v| ("MASTER".to_string(), v.to_string())));
                given.extend(slave.map(|v| ("SLAVE".to_string(), v.to_string())));
                let (settings, differences) = reading.differences(&given)?;
                let fewer = best
                    .as_ref()
                    .is_none_or(|(d, ..)| differences.len() < d.len());
                if fewer {
                    let none = differences.is_empty();
                    best = Some((differences, name, given, settings));
                    if none {
                        break 'search;
                    }
                }
            }
        }
    }
    let Some((differences, name_shown, mut given, settings)) = best else {
        return Err(vec![format!("{shown}: no host name to read it by")]);
    };
    let (settings, differences) = if differences.is_empty() {
        (settings, differences)
    } else {
        // What the old script's environment gave: each key that differs
        // and that one variable, no file setting it, explains.
        named(&mut reading, name_shown);
        for (key, old, new) in &differences {
            for (name, value) in recovered(key, old.as_deref(), new.as_deref()) {
                if !in_files.contains_key(&name) && vars::find(&name).is_some() {
                    given.push((name, value));
                }
            }
        }
        reading.differences(&given)?
    };
    let line = settings.line();
    let mut notes: Vec<String> = in_files
        .keys()
        .filter_map(|name| {
            let instead = line.instead_of(name)?;
            Some(format!(
                "{name}: set in restricted/, but not read on the {} line (PanteraS {}), whose \
                 script ignored it as well; left out ({instead})",
                line.name, line.release
            ))
        })
        .collect();
    in_files.retain(|name, _| line.reads(name));
    notes.extend(differences.iter().map(|(key, old, new)| {
        let secret = [old, new]
            .iter()
            .filter_map(|v| v.as_deref())
            .any(|v| vars::holds_secret(key, v));
        let values = if secret {
            "values that hold a secret (not shown) differ".to_string()
        } else {
            format!(
                "the old container has {}, panteras would give {}",
                shown_value(old.as_deref()),
                shown_value(new.as_deref())
            )
        };
        format!(
            "{key}: {values}; no variable gives it the old value (set by hand in the \
                 compose file, or by a variable the old script did not write down)"
        )
    }));
    let mut set = BTreeMap::new();
    for (name, value) in in_files.into_iter().chain(given) {
        if !ENTRY.contains(&name.as_str()) && !value.is_empty() {
            set.insert(name, value);
        }
    }
    Ok(OldHost {
        folder: name.to_string(),
        name: settings.text("HOSTNAME"),
        ip: settings.text("IP").parse().unwrap_or(Ipv4Addr::UNSPECIFIED),
        fqdn: settings.text("FQDN"),
        master: settings.flag("MASTER"),
        slave: settings.flag("SLAVE"),
        set,
        settings,
        image_files,
        notes,
    })
}

/// A value as a note shows it.
fn shown_value(value: Option<&str>) -> String {
    value.map_or_else(|| "nothing".into(), |v| format!("{v:?}"))
}

/// The variables that give an environment key the old container's value,
/// when one does: a key named as its variable, the image's tag, the extra
/// words a daemon's `_PARAMS` appended.
fn recovered(key: &str, old: Option<&str>, new: Option<&str>) -> Vec<(String, String)> {
    let Some(old) = old else {
        return Vec::new();
    };
    if key == "image" {
        return match old.rsplit_once("panteras/paas-in-a-box:") {
            Some((registry, tag)) => {
                let mut found = vec![("PANTERAS_IMAGE_TAG".to_string(), tag.to_string())];
                if !registry.is_empty() {
                    found.push(("REGISTRY".into(), registry.to_string()));
                }
                found
            }
            None => vec![("PANTERAS_DOCKER_IMAGE".into(), old.to_string())],
        };
    }
    if key == "restart" {
        return vec![("PANTERAS_RESTART".into(), old.to_string())];
    }
    let embedded: Vec<(String, String)> = EMBEDDED
        .iter()
        .filter(|(k, _, _)| *k == key)
        .filter_map(|(_, flag, name)| {
            let was = flag_value(old, flag)?;
            (Some(was) != new.and_then(|n| flag_value(n, flag)))
                .then(|| (name.to_string(), was.to_string()))
        })
        .collect();
    if !embedded.is_empty() {
        return embedded;
    }
    if let Some(daemon) = key.strip_suffix("_APP_PARAMS") {
        let (old_words, new_words): (Vec<&str>, Vec<&str>) = (
            old.split_whitespace().collect(),
            new.unwrap_or_default().split_whitespace().collect(),
        );
        return match old_words.strip_prefix(new_words.as_slice()) {
            Some(extra) if !extra.is_empty() && !new_words.is_empty() => {
                vec![(format!("{daemon}_PARAMS"), extra.join(" "))]
            }
            _ => Vec::new(),
        };
    }
    let name = KEY_OF
        .iter()
        .find(|(k, _)| *k == key)
        .map_or(key, |(_, name)| name);
    vec![(name.to_string(), old.to_string())]
}

/// Variables the old script wrote only inside a daemon's command line:
/// the key, the option before the value, the variable.
const EMBEDDED: [(&str, &str, &str); 3] = [
    ("CONSUL_APP_PARAMS", "-datacenter=", "CONSUL_DC"),
    ("MESOS_MASTER_APP_PARAMS", "--cluster=", "CLUSTER_NAME"),
    (
        "MESOS_MASTER_APP_PARAMS",
        "--quorum=",
        "MESOS_MASTER_QUORUM",
    ),
];

/// The value of `flag` (`--x=`) among the words of a command line.
fn flag_value<'a>(line: &'a str, flag: &str) -> Option<&'a str> {
    line.split_whitespace().find_map(|w| w.strip_prefix(flag))
}

/// The host names the old container shows: the HOSTNAME it was given
/// (PANTERAS_HOSTNAME may have replaced it), Consul's node and Marathon's
/// host name; the first is tried first.
fn names_shown(env: &BTreeMap<String, String>) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let marathon = env.get("MARATHON_APP_PARAMS").and_then(|line| {
        let words: Vec<&str> = line.split_whitespace().collect();
        words
            .windows(2)
            .find(|w| w[0] == "--hostname")
            .map(|w| w[1].to_string())
    });
    let found = [
        env.get("HOSTNAME").cloned(),
        env.get("CONSUL_APP_PARAMS")
            .and_then(|l| flag_value(l, "-node=").map(str::to_string)),
        marathon,
    ];
    for name in found.into_iter().flatten() {
        if !name.is_empty() && !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// Variables the old script's environment gave, as found.
type Given = Vec<(String, String)>;

/// A difference: the environment key (or `image`, `restart`), the old
/// container's value and panteras'.
type Difference = (String, Option<String>, Option<String>);

/// What reading one host needs at hand.
struct Reading<'a> {
    folder: PathBuf,
    service: &'a Service,
    shown: &'a str,
    system: Recorded,
    /// The environment the old script ran with, as far as the container
    /// shows it: the host's names and address.
    base: Vec<(String, String)>,
    renderer: &'a Renderer,
}

impl Reading<'_> {
    fn layers(&self, given: &[(String, String)]) -> Result<Layers, Vec<String>> {
        let mut env = self.base.clone();
        env.extend(given.iter().cloned());
        Layers::load(&Inputs {
            env,
            env_not_utf8: Vec::new(),
            defaults_file: PathBuf::new(),
            dir: self.folder.clone(),
            flags: Flags::default(),
            machine_hostname: Some(self.system.hostname.clone()),
        })
        .map_err(|e| vec![format!("{e:#}")])
    }

    /// The panteras variables the restricted/ files set, with their values.
    fn in_files(&self) -> Result<BTreeMap<String, String>, Vec<String>> {
        let layers = self.layers(&[])?;
        let mut set = BTreeMap::new();
        for (name, _) in layers.assigned_in_files() {
            if vars::find(name).is_some()
                && let Some(raw) = layers.get(name)
            {
                set.insert(name.clone(), raw.value.clone());
            }
        }
        Ok(set)
    }

    /// The host resolved with `given` in its environment, and what its
    /// container would then get that differs from the old one's, the
    /// deliberate changes left out.
    fn differences(
        &self,
        given: &[(String, String)],
    ) -> Result<(Settings, Vec<Difference>), Vec<String>> {
        let layers = self.layers(given)?;
        let (settings, problems) = Settings::resolve(&layers, &self.system);
        // A variable of another line in restricted/ was ignored by the
        // script of the host's line as well: left out, and said (`read`).
        let unread: Vec<String> = layers
            .assigned_in_files()
            .iter()
            .filter(|(name, _)| !settings.line().reads(name))
            .map(|(name, _)| format!("{name}="))
            .collect();
        let refused: Vec<String> = problems
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .filter(|f| !unread.iter().any(|u| f.subject.starts_with(u.as_str())))
            .map(|f| format!("{}: {f}", self.shown))
            .collect();
        if !refused.is_empty() {
            return Err(refused);
        }
        // The compose file alone: what the container gets (its image and
        // environment) does not depend on the daemon files it mounts.
        let files = self
            .renderer
            .render(&settings, true)
            .map_err(|e| vec![format!("{}: {e:#}", self.shown)])?;
        let text = files
            .iter()
            .find(|f| f.path == Path::new("docker-compose.yml"))
            .map(|f| f.content.clone())
            .unwrap_or_default();
        let new = compose::read(&text).map_err(|why| vec![format!("{}: {why}", self.shown)])?;
        let old = self.service;
        let mut found = Vec::new();
        for key in ["image", "restart"] {
            let (a, b) = (old.settings.get(key), new.settings.get(key));
            if a != b {
                found.push((key.to_string(), a.cloned(), b.cloned()));
            }
        }
        let keys: std::collections::BTreeSet<&String> = old
            .environment
            .keys()
            .chain(new.environment.keys())
            .collect();
        for key in keys {
            let (a, b) = (
                old.environment.get(key).map(String::as_str),
                new.environment.get(key).map(String::as_str),
            );
            if a != b && deliberate::explains(key, a, b, &settings).is_none() {
                found.push((key.clone(), a.map(str::to_string), b.map(str::to_string)));
            }
        }
        Ok((settings, found))
    }
}
