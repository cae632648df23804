//! Which differences of a container's environment are the deliberate
//! changes from `generate_yml.sh` that README lists ("Deliberate changes
//! from generate_yml.sh"), and which are not: the reading shared by
//! `cluster --import` and `status --diff`.

use crate::settings::Settings;

/// The daemons whose `<DAEMON>_PARAMS` the old scripts dropped (Traefik's
/// on the 0.4 line).
const DROPPED_PARAMS: [&str; 5] = [
    "CONSUL_TEMPLATE",
    "ZOOKEEPER",
    "FABIO",
    "TRAEFIK",
    "NETDATA",
];

/// Variables the old script derived whatever the files said, and the
/// environment key each reaches.
const ALWAYS_DERIVED: [(&str, &str); 3] = [
    ("DNSMASQ_BIND_INTERFACES", "DNSMASQ_APP_PARAMS"),
    ("KEEPALIVED_CONSUL_TEMPLATE", "CONSUL_TEMPLATE_APP_PARAMS"),
    ("MESOS_CLUSTER_NAME", "MESOS_MASTER_APP_PARAMS"),
];

/// Whether two values give a daemon the same words.
pub fn same_words(a: &str, b: &str) -> bool {
    a.split_whitespace().eq(b.split_whitespace())
}

/// The deliberate change of README that explains why the environment key
/// `key` is `old` in the old script's container and `new` in panteras'
/// (with `settings`, what panteras resolved), as "change N: what"; `None`
/// when no deliberate change does.
pub fn explains(
    key: &str,
    old: Option<&str>,
    new: Option<&str>,
    settings: &Settings,
) -> Option<String> {
    let said = |n: u8, what: &str| Some(format!("deliberate change {n}: {what}"));
    if let (Some(a), Some(b)) = (old, new)
        && same_words(a, b)
    {
        return said(3, "parameters joined with single blanks");
    }
    if let (Some(a), Some(b)) = (old, new)
        && a != b
        && a.eq_ignore_ascii_case(b)
        && crate::vars::find(key).is_some_and(|v| v.kind == crate::values::Kind::Bool)
    {
        return said(12, "booleans written in lower case");
    }
    let domain = settings.text("CONSUL_DOMAIN");
    if domain != "consul" && (key.ends_with("_TAGS") || key == "DNSMASQ_APP_PARAMS") {
        return said(4, "the address and the UIs' tags follow CONSUL_DOMAIN");
    }
    if let Some(daemon) = key.strip_suffix("_APP_PARAMS")
        && DROPPED_PARAMS.contains(&daemon)
        && !settings.text(&format!("{daemon}_PARAMS")).trim().is_empty()
    {
        return said(5, &format!("{daemon}_PARAMS is appended"));
    }
    let own = ALWAYS_DERIVED
        .iter()
        .find(|(name, reaches)| *reaches == key && settings.get(name).source.is_user());
    if let Some((name, _)) = own {
        return said(13, &format!("the value given {name} is used"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::{Answer, System};
    use crate::layers::Layers;

    struct Nothing;
    impl System for Nothing {
        fn hostname(&self) -> Option<String> {
            Some("h".into())
        }
        fn fqdn(&self) -> Option<String> {
            None
        }
        fn resolve(&self, _: &str) -> Result<Answer, String> {
            Err("no lookups".into())
        }
    }

    fn settings(text: &str) -> Settings {
        let layers = Layers::from_text("host", &format!("IP=10.0.0.1\n{text}"), None).unwrap();
        Settings::resolve(&layers, &Nothing).0
    }

    #[test]
    fn only_the_listed_changes_explain_a_difference() {
        let plain = settings("");
        assert!(
            explains("X", Some("a  b "), Some("a b"), &plain)
                .unwrap()
                .contains("change 3")
        );
        assert_eq!(explains("X", Some("a"), Some("b"), &plain), None);
        assert_eq!(
            explains("SERVICE_8080_TAGS", Some("a"), Some("b"), &plain),
            None
        );
        let domain = settings("CONSUL_DOMAIN=example");
        assert!(
            explains("SERVICE_8080_TAGS", Some("a"), Some("b"), &domain)
                .unwrap()
                .contains("change 4")
        );
        let params = settings("ZOOKEEPER_PARAMS=-x");
        assert!(
            explains("ZOOKEEPER_APP_PARAMS", Some("a"), Some("a -x"), &params)
                .unwrap()
                .contains("change 5")
        );
        assert_eq!(
            explains("MARATHON_APP_PARAMS", Some("a"), Some("a -x"), &params),
            None
        );
        let traefik = settings("PANTERAS_IMAGE_TAG=0.4.4\nTRAEFIK_PARAMS=-x");
        assert!(
            explains("TRAEFIK_APP_PARAMS", Some("a"), Some("a -x"), &traefik)
                .unwrap()
                .contains("change 5")
        );
        assert!(
            explains("START_FABIO", Some("True"), Some("true"), &plain)
                .unwrap()
                .contains("change 12")
        );
        assert_eq!(
            explains("START_FABIO", Some("yes"), Some("true"), &plain),
            None
        );
        assert_eq!(explains("HOSTNAME", Some("A"), Some("a"), &plain), None);
        let own = settings("MESOS_CLUSTER_NAME=own");
        assert!(
            explains("MESOS_MASTER_APP_PARAMS", Some("a"), Some("b"), &own)
                .unwrap()
                .contains("change 13")
        );
    }
}
