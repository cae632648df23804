//! A compose file read for what its one service gives the container,
//! whatever the file's format: the Compose Specification (`services:`) or
//! the retired version 1 that `generate_yml.sh` wrote (the service at the
//! top level, `net: host`, published `ports:`).

use std::collections::BTreeMap;

use yaml_rust2::{Yaml, YamlLoader};

/// What the container gets from a compose file's service.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Service {
    /// The service's name.
    pub name: String,
    /// The settings with one value each (image, restart, network mode, ...),
    /// by their Compose Specification name.
    pub settings: BTreeMap<String, String>,
    /// The environment, as Compose passes it (`$$` read as `$`).
    pub environment: BTreeMap<String, String>,
    /// The lists, each as a sorted set: volumes, ports, expose, env_file,
    /// cap_add, ...
    pub lists: BTreeMap<String, Vec<String>>,
    /// Labels.
    pub labels: BTreeMap<String, String>,
}

/// Settings that version 1 spelt otherwise.
const RENAMED: [(&str, &str); 1] = [("net", "network_mode")];

/// Reads the first (in panteras' files, the only) service of a compose
/// file; `None` when the text is not a compose file.
pub fn read(text: &str) -> Result<Service, String> {
    within_bounds(text)?;
    let docs = YamlLoader::load_from_str(text).map_err(|e| format!("not YAML: {e}"))?;
    let doc = docs.first().ok_or("an empty file")?;
    let Yaml::Hash(top) = doc else {
        return Err("not a map of services".into());
    };
    let services = match doc["services"].as_hash() {
        Some(services) => services,
        None => top,
    };
    let (name, body) = services
        .iter()
        .find(|(k, v)| k.as_str() != Some("version") && v.as_hash().is_some())
        .ok_or("no service")?;
    let name = name.as_str().unwrap_or_default().to_string();
    let Yaml::Hash(body) = body else {
        return Err("no service".into());
    };
    let mut service = Service {
        name,
        ..Service::default()
    };
    for (key, value) in body {
        let Some(key) = key.as_str() else { continue };
        let key = RENAMED
            .iter()
            .find(|(old, _)| *old == key)
            .map_or(key, |(_, new)| new);
        match (key, value) {
            ("environment", value) => service.environment = pairs(value, true),
            ("labels", value) => service.labels = pairs(value, false),
            (_, Yaml::Array(items)) => {
                let mut items: Vec<String> = items.iter().filter_map(item).collect();
                items.sort();
                service.lists.insert(key.to_string(), items);
            }
            (_, Yaml::Hash(_)) => {
                service.settings.insert(key.to_string(), flat(value));
            }
            (_, value) => {
                if let Some(text) = scalar(value) {
                    service.settings.insert(key.to_string(), text);
                }
            }
        }
    }
    // A single value where a list may stand (`env_file: ./restricted/env`).
    for key in ["env_file", "expose", "ports", "cap_add", "volumes"] {
        if let Some(one) = service.settings.remove(key) {
            service.lists.insert(key.to_string(), vec![one]);
        }
    }
    Ok(service)
}

/// A scalar as Compose reads it: text as it is, numbers and booleans as
/// written, nothing for null.
fn scalar(value: &Yaml) -> Option<String> {
    match value {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(n) => Some(n.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        Yaml::Null => Some(String::new()),
        _ => None,
    }
}

/// A list item: a scalar, or the long syntax of a volume or port as
/// `source:target[:mode]` where it can be.
fn item(value: &Yaml) -> Option<String> {
    match value {
        Yaml::Hash(_) => {
            let get = |k: &str| scalar(&value[k]).filter(|v| !v.is_empty());
            match (get("source").or(get("published")), get("target")) {
                (Some(source), Some(target)) => {
                    let ro = value["read_only"].as_bool() == Some(true);
                    Some(format!("{source}:{target}{}", if ro { ":ro" } else { "" }))
                }
                _ => Some(flat(value)),
            }
        }
        other => scalar(other),
    }
}

/// A map or list of `KEY=VALUE` as pairs; the environment's values with
/// `$$` read as `$`, as Compose passes them.
fn pairs(value: &Yaml, environment: bool) -> BTreeMap<String, String> {
    let unescape = |v: String| if environment { v.replace("$$", "$") } else { v };
    match value {
        Yaml::Hash(map) => map
            .iter()
            .filter_map(|(k, v)| Some((scalar(k)?, unescape(scalar(v)?))))
            .collect(),
        Yaml::Array(items) => items
            .iter()
            .filter_map(scalar)
            .map(|entry| match entry.split_once('=') {
                Some((k, v)) => (k.to_string(), unescape(v.to_string())),
                None => (entry, String::new()),
            })
            .collect(),
        _ => BTreeMap::new(),
    }
}

/// Any value on one line, for comparing what has no simpler form.
fn flat(value: &Yaml) -> String {
    match value {
        Yaml::Hash(map) => {
            let parts: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", flat(k), flat(v)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        Yaml::Array(items) => {
            let parts: Vec<String> = items.iter().map(flat).collect();
            format!("[{}]", parts.join(", "))
        }
        other => scalar(other).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_formats_read_alike() {
        let v1 = "panteras:\n  image:      panteras/paas-in-a-box:0.3.9\n  net:        host\n  \
                  privileged: true\n  restart:    \"no\"\n  ports:\n     - \"8500:8500\" \n  \
                  environment:\n    GOMAXPROCS:              \"4\"\n    SERVICE_8500_NAME: consul-ui\n\
                  \n  env_file:\n    ./restricted/env\n  volumes:\n    - \"/sys:/sys\"\n";
        let spec = "services:\n  panteras:\n    image: \"panteras/paas-in-a-box:0.3.9\"\n    \
                    network_mode: host\n    privileged: true\n    restart: \"no\"\n    expose:\n      \
                    - \"8500\"\n    env_file:\n      - ./restricted/env\n    volumes:\n      \
                    - \"/sys:/sys\"\n    environment:\n      GOMAXPROCS: \"4\"\n      \
                    SERVICE_8500_NAME: \"consul-ui\"\n      X: \"a$$b\"\n";
        let (old, new) = (read(v1).unwrap(), read(spec).unwrap());
        assert_eq!(old.name, "panteras");
        assert_eq!(old.settings, new.settings);
        assert_eq!(old.settings["network_mode"], "host");
        assert_eq!(old.lists["env_file"], new.lists["env_file"]);
        assert_eq!(old.lists["volumes"], new.lists["volumes"]);
        assert_eq!(old.lists["ports"], ["8500:8500"]);
        assert_eq!(new.lists["expose"], ["8500"]);
        assert_eq!(old.environment["GOMAXPROCS"], "4");
        assert_eq!(new.environment["X"], "a$b");
    }

    #[test]
    fn list_forms_and_long_syntax_read_alike() {
        let long = "services:\n  s:\n    environment: [A=1, B]\n    volumes:\n      \
                    - {type: bind, source: /a, target: /b, read_only: true}\n";
        let service = read(long).unwrap();
        assert_eq!(service.environment["A"], "1");
        assert_eq!(service.environment["B"], "");
        assert_eq!(service.lists["volumes"], ["/a:/b:ro"]);
        assert!(read("- a\n").is_err());
        assert!(read("[1, 2]").is_err());
        assert!(read("services: {}").is_err());
    }
}

/// The most nodes a compose file may stand for with its aliases expanded:
/// far more than any compose file of one service, far less than memory.
const MAX_NODES: usize = 200_000;
/// The deepest nesting a compose file may have.
const MAX_DEPTH: usize = 64;

/// Refuses a file whose aliases would expand past [`MAX_NODES`] nodes, or
/// that nests deeper than [`MAX_DEPTH`], before it is loaded as a tree.
fn within_bounds(text: &str) -> Result<(), String> {
    use yaml_rust2::parser::{Event, Parser};
    let mut parser = Parser::new_from_str(text);
    // Nodes counted so far; per open collection its anchor and the count
    // when it began; per anchor the nodes it stands for.
    let mut total = 0usize;
    let mut open: Vec<(usize, usize)> = Vec::new();
    let mut sizes: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
    loop {
        let (event, _) = parser.next_token().map_err(|e| format!("not YAML: {e}"))?;
        match event {
            Event::StreamEnd => return Ok(()),
            Event::Scalar(_, _, anchor, _) => {
                total += 1;
                if anchor > 0 {
                    sizes.insert(anchor, 1);
                }
            }
            Event::Alias(anchor) => total += sizes.get(&anchor).copied().unwrap_or(1),
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if open.len() >= MAX_DEPTH {
                    return Err(format!("lists and maps nested more than {MAX_DEPTH} deep"));
                }
                total += 1;
                open.push((anchor, total));
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((anchor, began)) = open.pop()
                    && anchor > 0
                {
                    sizes.insert(anchor, total - began + 1);
                }
            }
            _ => {}
        }
        if total > MAX_NODES {
            return Err(format!(
                "its aliases expand it past {MAX_NODES} values; a compose file of one service needs far fewer"
            ));
        }
    }
}

#[cfg(test)]
mod bounds {
    use super::*;

    #[test]
    fn aliases_that_expand_without_bound_are_refused_before_loading() {
        // Nine levels of ten aliases each: 10^9 values from 600 bytes.
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let refused = read(&text).unwrap_err();
        assert!(refused.contains("aliases expand it past"), "{refused}");
        // A few aliases are read as they are.
        let small = "services:\n  panteras:\n    image: x\n    environment: &e {A: \"1\"}\n    labels: *e\n";
        assert!(read(small).is_ok());
        let deep = format!("{}x{}", "[".repeat(100), "]".repeat(100));
        assert!(read(&deep).unwrap_err().contains("nested more than"));
    }
}
