//! An app's routing tags on 0.4.4, whose Fabio routes `paas-` tags only:
//! what each tag of the 0.3 line's routers (HAProxy's `haproxy...`, Fabio's
//! `urlprefix-`) becomes, and what no tag can say.

/// Fabio's tag prefix on 0.4.4.
pub const PREFIX: &str = "paas-";

/// What one tag of an app becomes on 0.4.4.
#[derive(Debug, PartialEq, Eq)]
pub struct Advice {
    /// The tag as written.
    pub tag: String,
    /// The tags that route it on 0.4.4 (none when no tag can).
    pub becomes: Vec<String>,
    /// What it did and what to do.
    pub say: String,
}

/// What `tag` of the service `name` (when it is known) becomes; `None` for
/// a tag no router of either line reads.
pub fn advice(tag: &str, name: Option<&str>) -> Option<Advice> {
    let (key, value) = tag.split_once('=').unwrap_or((tag, ""));
    let advice = |becomes: Vec<String>, say: String| {
        Some(Advice {
            tag: tag.to_string(),
            becomes,
            say,
        })
    };
    match key {
        "haproxy" => match name {
            Some(name) => {
                let host = format!("{}.service.consul", name.to_ascii_lowercase());
                advice(
                    vec![format!("{PREFIX}{host}/")],
                    format!("HAProxy routed {host} to it; Fabio does with `{PREFIX}{host}/`"),
                )
            }
            None => advice(
                Vec::new(),
                "HAProxy routed the service's name to it; name the service (SERVICE_NAME) to \
                 get its Fabio tag `paas-NAME.service.consul/`"
                    .into(),
            ),
        },
        "haproxy_route" => advice(
            vec![format!("{PREFIX}{value}")],
            format!(
                "HAProxy routed the path {value} of any host to it; Fabio does with `{PREFIX}{value}`"
            ),
        ),
        "haproxy_tcp" => advice(
            vec![format!("{PREFIX}:{value} proto=tcp")],
            format!(
                "HAProxy listened on {value} on every host; Fabio routes `{PREFIX}:{value} \
                 proto=tcp` only with a TCP listener on {value} of its own (not in 0.4.4's \
                 fabio.properties: a mounted file, or a flag in FABIO_APP_PARAMS)"
            ),
        ),
        "haproxy_weight" => advice(
            Vec::new(),
            format!(
                "HAProxy gave these instances weight {value}; Fabio has no weight tag: a weight \
                 is a route command (its UI on :81 or Consul's KV), for instances tagged e.g. \
                 `canary`: `route weight SERVICE HOST/PATH weight 0.05 tags \"canary\"`"
            ),
        ),
        "haproxy_httpchk" => advice(
            Vec::new(),
            "HAProxy checked the instances itself; Fabio routes to those Consul finds healthy: \
             give Registrator the check, SERVICE_<port>_CHECK_HTTP=/path"
                .into(),
        ),
        _ => {
            let rest = tag.strip_prefix("urlprefix-")?;
            advice(
                vec![format!("{PREFIX}{rest}")],
                format!("Fabio's prefix is `{PREFIX}` on 0.4.4, not `urlprefix-`"),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn becomes(tag: &str, name: Option<&str>) -> Vec<String> {
        advice(tag, name).unwrap().becomes
    }

    #[test]
    fn each_router_tag_becomes_what_the_0_4_4_examples_write() {
        // The PanteraS examples of both releases, side by side.
        assert_eq!(
            becomes("haproxy", Some("python")),
            ["paas-python.service.consul/"]
        );
        assert_eq!(
            becomes("haproxy", Some("Python-Smooth")),
            ["paas-python-smooth.service.consul/"]
        );
        assert_eq!(
            becomes("urlprefix-python-smooth.service.consul/", None),
            ["paas-python-smooth.service.consul/"]
        );
        assert_eq!(becomes("haproxy_tcp=5556", None), ["paas-:5556 proto=tcp"]);
        assert_eq!(becomes("haproxy_route=/media", None), ["paas-/media"]);
        assert!(becomes("haproxy_weight=1", None).is_empty());
        assert!(becomes("haproxy_httpchk=GET /", None).is_empty());
        assert!(becomes("haproxy", None).is_empty());
        assert_eq!(advice("team-a", None), None);
        assert_eq!(advice("paas-x/", None), None);
    }
}
