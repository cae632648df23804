//! Rules of single daemons: the proxy, TLS, the supervisord console, the image, the docker client.

use super::*;

pub(super) fn proxies(s: &Settings, found: &mut Vec<Finding>) {
    if s.flag("START_FABIO") && s.flag("START_CONSUL_TEMPLATE") {
        found.push(error(
            both(s, "START_FABIO", "START_CONSUL_TEMPLATE"),
            "Fabio and consul-template with HAProxy both want ports 80 and 81".into(),
            "start one of them: set START_CONSUL_TEMPLATE=false to use Fabio".into(),
        ));
    }
}

pub(super) fn certificate(s: &Settings, found: &mut Vec<Finding>) {
    if !s.flag("HAPROXY_SSL") {
        return;
    }
    let options = s.text("HAPROXY_CERT_OPTS");
    let words: Vec<&str> = options.split_whitespace().collect();
    let names_one = words.windows(2).any(|w| w[0] == "crt" && !w[1].is_empty());
    if !names_one {
        found.push(error(
            both(s, "HAPROXY_SSL", "HAPROXY_CERT_OPTS"),
            "TLS is on but the bind options name no certificate (`crt <file>`)".into(),
            "set HAPROXY_CERT_OPTS=\"ssl crt /etc/haproxy/haproxy.pem\" (or leave it unset for that default)".into(),
        ));
    }
}

pub(super) fn supervisor_credentials(s: &Settings, found: &mut Vec<Finding>) {
    let user = !s.text("SUPERVISOR_USER").is_empty();
    let password = !s.text("SUPERVISOR_PASSWORD").is_empty();
    if user != password {
        let (set, unset) = if user {
            ("SUPERVISOR_USER", "SUPERVISOR_PASSWORD")
        } else {
            ("SUPERVISOR_PASSWORD", "SUPERVISOR_USER")
        };
        found.push(error(
            about(s, set),
            format!("{set} is set but {unset} is not: the supervisord console needs both"),
            format!("set {unset} too, or neither"),
        ));
    } else if !password {
        found.push(warning(
            "SUPERVISOR_USER and SUPERVISOR_PASSWORD (unset)".into(),
            format!(
                "the supervisord console on {}9000 asks for no password, and it starts and stops every daemon",
                if s.all_valid(&["LISTEN_IP"]) {
                    format!("{}:", s.text("LISTEN_IP"))
                } else {
                    "port ".into()
                }
            ),
            "set SUPERVISOR_USER and SUPERVISOR_PASSWORD".into(),
        ));
    }
}

/// REGISTRY is a prefix: without its `/` the image names another registry.
pub(super) fn registry(s: &Settings, found: &mut Vec<Finding>) {
    let registry = s.text("REGISTRY");
    if !registry.is_empty()
        && !registry.ends_with('/')
        && !s.get("PANTERAS_DOCKER_IMAGE").source.is_user()
    {
        found.push(warning(
            about(s, "REGISTRY"),
            format!(
                "a registry prefix ends with `/`; panteras added it: the image is {}",
                s.text("PANTERAS_DOCKER_IMAGE")
            ),
            format!("set REGISTRY={registry}/"),
        ));
    }
}

/// A tag of no known release (`latest`, a build of one's own) names no
/// line: panteras follows the 0.3 line unless PANTERAS_IMAGE_LINE says.
pub(super) fn image_line(s: &Settings, found: &mut Vec<Finding>) {
    use crate::line::{LAST_RELEASE, Line, line_of};
    if s.get("PANTERAS_IMAGE_LINE").source.is_user() {
        return;
    }
    let (line, tag) = line_of(&s.text("PANTERAS_DOCKER_IMAGE"));
    if line != Line::Unknown {
        return;
    }
    let what = if tag == "latest" {
        format!(
            "`latest` names the image's newest release, {LAST_RELEASE} since 2021, of the 0.4 line"
        )
    } else {
        format!("tag {tag} is of no release panteras knows")
    };
    found.push(warning(
        about(s, "PANTERAS_DOCKER_IMAGE"),
        format!(
            "{what}; panteras follows the {} line (PanteraS {}) for it",
            s.line().name,
            s.line().release
        ),
        "pin a release's tag (PANTERAS_IMAGE_TAG=0.3.9 or 0.4.4), or say the image's line: \
         PANTERAS_IMAGE_LINE=0.3 or 0.4"
            .into(),
    ));
}

/// Fabio and Traefik both serve :80 and :81: at most one starts (the 0.4
/// line's script turned Fabio off for Traefik whatever it was told).
pub(super) fn routers(s: &Settings, found: &mut Vec<Finding>) {
    if s.flag("START_FABIO") && s.flag("START_TRAEFIK") {
        found.push(error(
            both(s, "START_TRAEFIK", "START_FABIO"),
            "Fabio and Traefik would both bind ports 80 and 81".into(),
            "start one: START_TRAEFIK=true alone (Fabio is then off by default), or \
             START_TRAEFIK=false"
                .into(),
        ));
    }
}

/// With HOST_DOCKER, the host's docker binary is mounted; Docker makes a
/// directory where a mounted file is missing.
pub(super) fn docker_binary(s: &Settings, found: &mut Vec<Finding>) {
    if !s.flag("HOST_DOCKER") {
        return;
    }
    let volume = s.text("VOLUME_DOCKER");
    let source = volume.split(':').next().unwrap_or("");
    // A named volume is Docker's to find; a path must be on this machine.
    if source.starts_with('/') && !std::path::Path::new(source).exists() {
        found.push(error(
            both(s, "HOST_DOCKER", "VOLUME_DOCKER"),
            format!("{source} does not exist on this machine: Docker would make an empty directory there and mount it over the container's docker"),
            "install the docker client at that path, set VOLUME_DOCKER to where it is, or set HOST_DOCKER=false".into(),
        ));
    }
}

/// Two volumes on one target in the container: Docker refuses to start it.
pub(super) fn mount_targets(s: &Settings, found: &mut Vec<Finding>) {
    let mounts = crate::render::mounts(s);
    let mut seen: Vec<&str> = Vec::new();
    for mount in &mounts {
        let target = mount.split(':').nth(1).unwrap_or("");
        if seen.contains(&target) {
            found.push(error(
                about(s, "VOLUME_DOCKER"),
                format!(
                    "{target} in the container is already a volume of the image's or a mounted \
                     file: Docker refuses to mount two things there"
                ),
                "mount the docker client elsewhere in the container".into(),
            ));
        }
        seen.push(target);
    }
}

/// The options of Fabio's and Traefik's command lines the operator adds
/// (`FABIO_PARAMS`, `TRAEFIK_PARAMS`) against the ones each reads: an
/// option it does not know stops it at start, and supervisord starts it
/// again and again.
pub(super) fn fabio_options(s: &Settings, found: &mut Vec<Finding>) {
    router_options(
        s,
        "FABIO_PARAMS",
        "Fabio 1.5",
        &crate::routers::fabio::options,
        found,
    );
}

pub(super) fn traefik_options(s: &Settings, found: &mut Vec<Finding>) {
    router_options(
        s,
        "TRAEFIK_PARAMS",
        "Traefik 1.7",
        &crate::routers::traefik::options,
        found,
    );
}

fn router_options(
    s: &Settings,
    name: &str,
    router: &str,
    options: &dyn Fn(&str) -> Vec<(&str, bool)>,
    found: &mut Vec<Finding>,
) {
    let words = s.text(name);
    let unknown: Vec<String> = options(&words)
        .into_iter()
        .filter(|(_, known)| !known)
        .map(|(option, _)| format!("`{option}`"))
        .collect();
    if !unknown.is_empty() {
        found.push(warning(
            about(s, name),
            format!(
                "{} {} no option of {router}: it does not start with an option it does not \
                 know, and supervisord starts it again and again",
                unknown.join(", "),
                if unknown.len() == 1 { "is" } else { "are" }
            ),
            format!(
                "correct or remove {}: {router}'s options are its configuration's keys \
                 (README, \"Image lines\")",
                if unknown.len() == 1 { "it" } else { "them" }
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn fabio_and_consul_template_exclude_each_other() {
        let found = findings(&with(&[("START_FABIO", "true")]), "");
        assert_eq!(
            problems(&found, Severity::Error),
            ["Fabio and consul-template with HAProxy both want ports 80 and 81"]
        );
        let found = findings(
            &with(&[("START_FABIO", "true"), ("START_CONSUL_TEMPLATE", "false")]),
            "",
        );
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn tls_needs_a_certificate() {
        // `ssl` without a certificate is refused as a value, whatever
        // HAPROXY_SSL says; TLS on without options is this rule's.
        let found = findings(
            &with(&[("HAPROXY_SSL", "false"), ("HAPROXY_CERT_OPTS", "ssl")]),
            "",
        );
        assert_eq!(
            problems(&found, Severity::Error),
            ["is not valid: `ssl` needs a certificate: `crt FILE` (or `crt-list FILE`)"]
        );
        let found = findings(
            &with(&[("HAPROXY_SSL", "true"), ("HAPROXY_CERT_OPTS", "no-sslv3")]),
            "",
        );
        assert_eq!(
            problems(&found, Severity::Error),
            ["TLS is on but the bind options name no certificate (`crt <file>`)"]
        );
        let found = findings(
            &with(&[("HAPROXY_SSL", "true"), ("HAPROXY_CERT_OPTS", " ")]),
            "",
        );
        assert_eq!(problems(&found, Severity::Error).len(), 1);
        assert!(findings(&with(&[("HAPROXY_SSL", "true")]), "").is_empty());
    }

    #[test]
    fn supervisor_credentials_come_in_pairs_and_their_absence_is_a_warning() {
        let found = findings(
            &[("LISTEN_IP", "127.0.0.1"), ("SUPERVISOR_PASSWORD", "x")],
            "",
        );
        assert_eq!(
            problems(&found, Severity::Error),
            [
                "SUPERVISOR_PASSWORD is set but SUPERVISOR_USER is not: the supervisord console needs both"
            ]
        );
        let found = findings(&[("LISTEN_IP", "127.0.0.1"), ("CONSUL_IP", "10.0.0.2")], "");
        assert_eq!(
            problems(&found, Severity::Warning),
            [
                "the supervisord console on 127.0.0.1:9000 asks for no password, and it starts and stops every daemon"
            ]
        );
    }

    #[test]
    fn a_registry_without_its_slash_gets_one_with_a_warning() {
        let found = findings(&with(&[("REGISTRY", "registry:5000")]), "");
        assert_eq!(
            problems(&found, Severity::Warning),
            [
                "a registry prefix ends with `/`; panteras added it: the image is registry:5000/panteras/paas-in-a-box:0.3.9"
            ]
        );
    }

    #[test]
    fn a_missing_docker_binary_is_refused_only_on_this_host() {
        let env = with(&[
            ("HOST_DOCKER", "true"),
            ("VOLUME_DOCKER", "/nonexistent/docker:/usr/local/bin/docker"),
        ]);
        let found = findings(&env, "");
        assert_eq!(
            problems(&found, Severity::Error),
            [
                "/nonexistent/docker does not exist on this machine: Docker would make an empty directory there and mount it over the container's docker"
            ]
        );
    }

    #[test]
    fn a_named_volume_is_not_a_missing_path_and_a_target_is_mounted_once() {
        let named = findings(
            &with(&[
                ("HOST_DOCKER", "true"),
                ("VOLUME_DOCKER", "docker-cli:/usr/local/bin/docker"),
            ]),
            "",
        );
        assert!(problems(&named, Severity::Error).is_empty(), "{named:?}");
        let twice = findings(
            &with(&[
                ("HOST_DOCKER", "true"),
                ("VOLUME_DOCKER", "/usr/bin/docker:/sys"),
            ]),
            "",
        );
        assert!(
            problems(&twice, Severity::Error)
                .iter()
                .any(|p| p.starts_with("/sys in the container is already a volume")),
            "{twice:?}"
        );
    }
}
