//! PanteraS's last release, 0.4.4, seen from a 0.3.x host: which image
//! line a tag names (panteras generates the 0.3 line; a 0.4 image with 0.3
//! files would lose ZooKeeper's data and start programs it no longer
//! has), what moving a host to 0.4.4 changes (`check --upgrade-to 0.4.4`),
//! and what becomes of an app's routing tags (`app check --image 0.4.4`).

mod changes;
mod report;
pub mod tags;

pub use report::report;

/// The image lines of PanteraS.
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
}
