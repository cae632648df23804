//! Marathon's REST API, as `deploy` uses it: one client over several URLs
//! (the next is tried when one cannot be reached or has no leader), basic
//! auth that is never shown, time limits on every request, HTTPS with the
//! system's roots.

use std::cell::Cell;
use std::time::Duration;

use anyhow::{Result, bail};
use serde_json::Value;

/// How long a connection may take to open.
const CONNECT: Duration = Duration::from_secs(5);
/// How long one request may take in all.
const REQUEST: Duration = Duration::from_secs(30);

/// One of Marathon's URLs.
struct Endpoint {
    /// `scheme://host:port/path`, without credentials or a trailing `/`.
    base: String,
    /// The `Authorization` header's value, if any.
    auth: Option<String>,
}

/// A client of every Marathon URL given; requests go to the one that last
/// answered.
pub struct Marathon {
    agent: ureq::Agent,
    endpoints: Vec<Endpoint>,
    current: Cell<usize>,
}

/// Marathon's answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    /// The body as JSON (`Null` when it is empty or not JSON).
    pub body: Value,
    /// The `Marathon-Deployment-Id` header, if any.
    pub deployment: Option<String>,
}

impl Reply {
    /// Marathon's `message`, or the status alone, as a printable line.
    pub fn message(&self) -> String {
        match self.body.get("message").and_then(Value::as_str) {
            Some(message) => format!("{} ({})", self.status, crate::term::printable(message, 500)),
            None => self.status.to_string(),
        }
    }
}

impl Marathon {
    /// A client of `urls`, with credentials from each URL or else from
    /// `user` and `password` (MARATHON_USER, MARATHON_PASSWORD).
    pub fn new(urls: &[String], user: Option<&str>, password: Option<&str>) -> Result<Marathon> {
        let mut endpoints = Vec::new();
        let mut errors = Vec::new();
        for url in urls {
            match endpoint(url, user, password) {
                Ok(e) => endpoints.push(e),
                Err(problem) => errors.push(problem),
            }
        }
        if !errors.is_empty() {
            bail!("{}", errors.join("\n"));
        }
        if endpoints.is_empty() {
            bail!("no --marathon URL given; name Marathon, e.g. --marathon http://master-1:8080");
        }
        let tls = ureq::tls::TlsConfig::builder()
            .root_certs(ureq::tls::RootCerts::PlatformVerifier)
            .build();
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(CONNECT))
            .timeout_global(Some(REQUEST))
            .max_redirects(0)
            .tls_config(tls)
            .user_agent(concat!("panteras/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Ok(Marathon {
            agent,
            endpoints,
            current: Cell::new(0),
        })
    }

    /// The URL requests go to now, as it may be shown (no credentials).
    pub fn url(&self) -> &str {
        &self.endpoints[self.current.get()].base
    }

    /// `method` `path` (with its query) and, for PUT, the JSON `body`, sent
    /// to the current URL, then to each other one while a URL cannot be
    /// reached or answers that it has no leader (502, 503, 504). Every
    /// request deploy sends (GET, PUT of a whole app, DELETE) may be
    /// repeated safely.
    pub fn request(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Reply> {
        let mut failures = Vec::new();
        let count = self.endpoints.len();
        for step in 0..count {
            let index = (self.current.get() + step) % count;
            let endpoint = &self.endpoints[index];
            let url = format!("{}{path}", endpoint.base);
            match self.send(endpoint, method, &url, body) {
                Ok(reply) if matches!(reply.status, 502..=504) => {
                    failures.push(format!("{}: {}", endpoint.base, reply.message()));
                }
                Ok(reply) => {
                    self.current.set(index);
                    return Ok(reply);
                }
                Err(e) => failures.push(format!("{}: {e}", endpoint.base)),
            }
        }
        bail!(
            "{method} {path}: no Marathon answered:\n  {}",
            failures.join("\n  ")
        )
    }

    fn send(
        &self,
        endpoint: &Endpoint,
        method: &str,
        url: &str,
        body: Option<&Value>,
    ) -> Result<Reply, ureq::Error> {
        let mut builder = ureq::http::Request::builder()
            .method(method)
            .uri(url)
            .header("Accept", "application/json");
        if let Some(auth) = &endpoint.auth {
            builder = builder.header("Authorization", auth);
        }
        let mut response = match body {
            Some(body) => {
                let request = builder
                    .header("Content-Type", "application/json")
                    .body(body.to_string())
                    .map_err(ureq::Error::from)?;
                self.agent.run(request)?
            }
            None => self
                .agent
                .run(builder.body(()).map_err(ureq::Error::from)?)?,
        };
        let status = response.status().as_u16();
        let deployment = response
            .headers()
            .get("Marathon-Deployment-Id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let text = response.body_mut().read_to_string()?;
        Ok(Reply {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
            deployment,
        })
    }
}

/// One URL: its base and credentials; a URL that is not http(s) or holds
/// a query is refused (the message never shows a password).
fn endpoint(url: &str, user: Option<&str>, password: Option<&str>) -> Result<Endpoint, String> {
    let refuse = |why: &str| {
        Err(format!(
            "--marathon {}: {why}; write http(s)://[user:password@]host:port[/path]",
            without_credentials(url)
        ))
    };
    let Some((scheme, rest)) = url.split_once("://") else {
        return refuse("not a URL");
    };
    if !matches!(scheme, "http" | "https") {
        return refuse("only http and https are spoken");
    }
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    if path.contains('@') {
        return refuse(
            "an `@` after a `/`: a `/` in the user name or password must be written %2F, \
             else the request would go to what follows it",
        );
    }
    if path.contains(['?', '#']) || authority.contains(['?', '#']) {
        return refuse("a query or fragment has no place in Marathon's base URL");
    }
    let (credentials, host) = match authority.rsplit_once('@') {
        Some((credentials, host)) => (Some(credentials), host),
        None => (None, authority),
    };
    if host.is_empty() || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return refuse("no host, or spaces in it");
    }
    let auth = match credentials {
        Some(credentials) => {
            let (u, p) = credentials.split_once(':').unwrap_or((credentials, ""));
            Some(basic(&percent_decode(u), &percent_decode(p)))
        }
        None => user.map(|u| basic(u, password.unwrap_or(""))),
    };
    Ok(Endpoint {
        base: format!("{scheme}://{host}{}", path.trim_end_matches('/')),
        auth,
    })
}

/// `url` with any `user:password@` left out, for messages.
/// Whatever stands before the last `@` is taken for credentials, also
/// where a `/` in a password ends the host part early.
pub fn without_credentials(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((_, after)) => format!("{scheme}://{after}"),
            None => url.to_string(),
        },
        None => url.split('@').next_back().unwrap_or("").to_string(),
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(high), Some(low)) => {
                out.push((high * 16 + low) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The `Authorization` value of HTTP basic auth.
fn basic(user: &str, password: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let input = format!("{user}:{password}");
    let mut out = String::from("Basic ");
    for chunk in input.as_bytes().chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> shift & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_auth_is_base64_of_user_colon_password() {
        // RFC 7617's example.
        assert_eq!(
            basic("Aladdin", "open sesame"),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        assert_eq!(basic("a", ""), "Basic YTo=");
        assert_eq!(basic("ab", "c"), "Basic YWI6Yw==");
    }

    #[test]
    fn urls_lose_their_credentials_and_keep_their_path() {
        let e = endpoint("https://ops:s%40cret@m1:8443/marathon/", None, None).unwrap();
        assert_eq!(e.base, "https://m1:8443/marathon");
        assert_eq!(e.auth.as_deref(), Some(basic("ops", "s@cret").as_str()));
        let e = endpoint("http://m1:8080", Some("u"), Some("p")).unwrap();
        assert_eq!(e.auth.as_deref(), Some(basic("u", "p").as_str()));
        assert!(
            endpoint("http://m1:8080", None, None)
                .unwrap()
                .auth
                .is_none()
        );
        let refused = endpoint("ftp://ops:hunter2@m1", None, None).err().unwrap();
        assert!(!refused.contains("hunter2"), "{refused}");
        assert!(endpoint("http://m1:8080/?x=1", None, None).is_err());
        assert_eq!(without_credentials("http://a:b@h:1/p"), "http://h:1/p");
        // A `/` in the password: nothing of it is shown, and it is refused.
        assert_eq!(
            without_credentials("http://ops:pa/ss@h:8080/"),
            "http://h:8080/"
        );
        let refused = endpoint("http://ops:pa/ss@h:8080", None, None)
            .err()
            .unwrap();
        assert!(refused.contains("%2F"), "{refused}");
        assert!(
            !refused.contains("pa/ss") && !refused.contains("ops"),
            "{refused}"
        );
    }
}
