//! Docker's grammars: image references and volumes.

/// Docker's grammar of an image reference (distribution's `reference`
/// package): `[domain[:port]/]path[:tag][@digest]`, the path of lower-case
/// components joined by `/`, the first part a domain only when it has a
/// `.` or a `:` or is `localhost`.
pub fn is_image_reference(raw: &str) -> bool {
    let (rest, digest) = match raw.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest)),
        None => (raw, None),
    };
    if let Some(digest) = digest {
        // The digests Docker accepts: sha256, sha384 or sha512, in that
        // many lower-case hex digits.
        let Some((algorithm, hex)) = digest.split_once(':') else {
            return false;
        };
        let length = match algorithm {
            "sha256" => 64,
            "sha384" => 96,
            "sha512" => 128,
            _ => return false,
        };
        let lower_hex = |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
        if hex.len() != length || !hex.bytes().all(lower_hex) {
            return false;
        }
    }
    // A tag follows the last `:` after the last `/`.
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[last_slash..].rfind(':') {
        Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
        None => (rest, None),
    };
    if let Some(tag) = tag {
        let ok = !tag.is_empty()
            && tag.len() <= 128
            && tag.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            && tag
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
        if !ok {
            return false;
        }
    }
    if name.is_empty() || name.len() > 255 {
        return false;
    }
    let mut parts: Vec<&str> = name.split('/').collect();
    if parts.len() > 1 && (parts[0].contains(['.', ':']) || parts[0] == "localhost") {
        let domain = parts.remove(0);
        let (host, port) = match domain.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (domain, None),
        };
        let host_ok = host.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
        let port_ok = port.is_none_or(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
        if !host_ok || !port_ok {
            return false;
        }
    }
    parts.iter().all(|part| path_component(part))
}

/// `[a-z0-9]+` joined by `.`, `_`, `__` or any run of `-`.
fn path_component(part: &str) -> bool {
    let bytes = part.as_bytes();
    let alphanumeric = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if bytes.is_empty() || !alphanumeric(bytes[0]) || !alphanumeric(bytes[bytes.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_lowercase() || b.is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && matches!(bytes[i], b'.' | b'_' | b'-') {
            i += 1;
        }
        let separator = &part[start..i];
        let ok = separator == "."
            || separator == "_"
            || separator == "__"
            || (!separator.is_empty() && separator.bytes().all(|b| b == b'-'));
        if !ok {
            return false;
        }
    }
    true
}

/// The mount options of a volume Docker knows; of each group only one may
/// be given.
const MOUNT_OPTIONS: [&[&str]; 5] = [
    &["ro", "rw"],
    &["z", "Z"],
    &[
        "shared", "rshared", "slave", "rslave", "private", "rprivate",
    ],
    &["nocopy"],
    &["consistent", "cached", "delegated"],
];

/// Checks a volume's options (`ro`, `rshared,ro`, ...).
pub fn is_volume_options(options: &str) -> Result<(), String> {
    let mut groups = Vec::new();
    for option in options.split(',') {
        let Some(group) = MOUNT_OPTIONS.iter().position(|g| g.contains(&option)) else {
            return Err(format!(
                "`{option}` is not a mount option Docker knows (ro, rw, z, Z, shared, rshared, \
                 slave, rslave, private, rprivate, nocopy)"
            ));
        };
        if groups.contains(&group) {
            return Err(format!(
                "`{option}` conflicts with another option of its kind in `{options}`"
            ));
        }
        groups.push(group);
    }
    Ok(())
}

/// Checks a volume `HOST:CONTAINER[:OPTIONS]`: HOST an absolute path or a
/// volume's name, CONTAINER an absolute path.
pub fn is_volume(raw: &str) -> Result<(), String> {
    let parts: Vec<&str> = raw.split(':').collect();
    if !(2..=3).contains(&parts.len()) || raw.chars().any(char::is_whitespace) {
        return Err("expected HOST:CONTAINER or HOST:CONTAINER:OPTIONS without blanks".into());
    }
    let (host, target) = (parts[0], parts[1]);
    let named = host.starts_with(|c: char| c.is_ascii_alphanumeric())
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    if !host.starts_with('/') && !named {
        return Err(format!(
            "`{host}` is neither an absolute path nor a volume's name"
        ));
    }
    if !target.starts_with('/') || target == "/" {
        return Err(format!(
            "the container's side, `{target}`, must be an absolute path other than /"
        ));
    }
    match parts.get(2) {
        Some(options) => is_volume_options(options),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references_follow_dockers_grammar() {
        for good in [
            "panteras/paas-in-a-box:0.3.9",
            "registry:5000/panteras/paas-in-a-box:0.3.9",
            "localhost/panteras/paas-in-a-box",
            "my.registry.example.com/a__b/c-d.e:v1_2",
            "ubuntu@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ] {
            assert!(is_image_reference(good), "{good}");
        }
        for bad in [
            "registry:5000panteras/paas-in-a-box:0.3.9",
            "Panteras/paas-in-a-box",
            "panteras//paas",
            "panteras/paas-in-a-box:",
            "panteras/paas-in-a-box:.tag",
            "-panteras/x",
            "panteras/x_",
            "panteras/a___b",
            "reg istry/x",
            "x@sha256:abc",
            "x@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
            "x@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0",
            "x@md5:0123456789abcdef0123456789abcdef",
        ] {
            assert!(!is_image_reference(bad), "{bad}");
        }
    }

    #[test]
    fn volumes_name_an_absolute_target_and_options_docker_takes() {
        for good in [
            "/a:/b",
            "/a:/b:ro",
            "docker-bin:/usr/local/bin/docker",
            "/a:/b:ro,rshared",
        ] {
            assert_eq!(is_volume(good), Ok(()), "{good}");
        }
        for (bad, why) in [
            ("/a:b", "must be an absolute path"),
            ("/a:/", "must be an absolute path other than /"),
            ("/a:/b:ro,rw", "conflicts"),
            ("/a:/b:rshared,slave", "conflicts"),
            ("/a:/b:readonly", "not a mount option"),
            ("../a:/b", "neither an absolute path nor a volume's name"),
            ("/a", "expected HOST:CONTAINER"),
        ] {
            let error = is_volume(bad).unwrap_err();
            assert!(error.contains(why), "{bad}: {error}");
        }
    }
}
