//! Names in restricted/ files that panteras does not read: typos and variables of older images.

use super::*;

/// Variables older scripts read that the 0.3.x image no longer does.
const DEPRECATED: [(&str, &str); 3] = [
    (
        "START_HAPROXY",
        "HAProxy runs under consul-template; use START_CONSUL_TEMPLATE",
    ),
    (
        "HAPROXY_RELOAD_COMMAND",
        "the image's haproxy_reload.sh reloads HAProxy; remove it",
    ),
    (
        "ZOOKEEPER_DATA_DIR",
        "the image's zkStart.sh keeps the package's dataDir, /var/lib/zookeeper; remove it",
    ),
];

pub(super) fn unknown_names(layers: &Layers, found: &mut Vec<Finding>) {
    for (name, source) in layers.assigned_in_files() {
        if vars::find(name).is_some() {
            continue;
        }
        if let Some((_, why)) = DEPRECATED.iter().find(|(old, _)| old == name) {
            found.push(warning(
                format!("{name} ({source})"),
                "is no longer read by the 0.3.x image".into(),
                (*why).into(),
            ));
            continue;
        }
        let (problem, fix) = match vars::closest(name) {
            Some(known) => (
                format!("is not a panteras variable; did you mean {known}?"),
                format!("rename it to {known}"),
            ),
            None => (
                "is not a panteras variable".into(),
                "remove it, unless a later line refers to it as $NAME".into(),
            ),
        };
        found.push(warning(format!("{name} ({source})"), problem, fix));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn unknown_and_deprecated_names_in_files_are_warnings() {
        let found = findings(
            CLEAN,
            "ZOOKEPER_HOSTS=a:2181\nSTART_HAPROXY=true\nMY_HELPER=x\n",
        );
        let shown: Vec<String> = found
            .iter()
            .map(|f| format!("{}: {}", f.subject, f.problem))
            .collect();
        assert_eq!(shown.len(), 3, "{shown:?}");
        assert!(
            shown[0].ends_with(":1): is not a panteras variable; did you mean ZOOKEEPER_HOSTS?"),
            "{shown:?}"
        );
        assert!(
            shown[1].starts_with("START_HAPROXY (")
                && shown[1].ends_with("is no longer read by the 0.3.x image")
        );
        assert!(
            shown[2].ends_with(":3): is not a panteras variable"),
            "{shown:?}"
        );
        assert!(found.iter().all(|f| f.severity == Severity::Warning));
    }
}
