//! The Docker Engine API as panteras speaks it: a GET at a time over the
//! engine's Unix socket, TCP, or TLS with the docker CLI's client
//! certificate, each answer bounded in bytes and the whole conversation in
//! time. The engine is found as the docker CLI finds it: `DOCKER_HOST`,
//! `DOCKER_TLS_VERIFY`, `DOCKER_CERT_PATH`.

mod http;
mod tls;

use std::fmt;
use std::io;
use std::net::{TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;

/// Where the engine listens when `DOCKER_HOST` is not set.
const DEFAULT_SOCKET: &str = "/var/run/docker.sock";

/// Why a question to the engine has no answer panteras can use.
#[derive(Debug)]
pub enum Error {
    /// `DOCKER_HOST` or the TLS files cannot be used; the fix is the
    /// operator's.
    Setup(String),
    /// No connection, or it broke before the answer was whole.
    Unreachable(String),
    /// The conversation's time ran out.
    Late(Duration),
    /// The engine answered with a status other than 2xx: its message.
    Answered { status: u16, message: String },
    /// An answer that is not HTTP or not the JSON panteras reads.
    Unreadable(String),
    /// An answer longer than panteras reads.
    TooLarge(usize),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Setup(why) | Error::Unreachable(why) | Error::Unreadable(why) => {
                f.write_str(why)
            }
            Error::Late(limit) => write!(f, "no whole answer within {} s", limit.as_secs()),
            Error::Answered { status, message } => write!(f, "{status}: {message}"),
            Error::TooLarge(most) => write!(f, "an answer longer than {most} bytes"),
        }
    }
}

impl std::error::Error for Error {}

/// How the engine is reached.
enum Place {
    Unix(PathBuf),
    Tcp {
        host: String,
        port: u16,
    },
    Tls {
        host: String,
        port: u16,
        config: Arc<rustls::ClientConfig>,
    },
}

/// One conversation with the engine: every question must be answered by
/// its deadline, and no answer may be longer than `most` bytes.
pub struct Engine {
    place: Place,
    /// `DOCKER_HOST` as given, for messages.
    address: String,
    limit: Duration,
    deadline: Instant,
    most: usize,
}

impl Engine {
    /// The engine named by the environment, as the docker CLI reads it.
    pub fn from_env(limit: Duration, most: usize) -> Result<Engine, Error> {
        let address = std::env::var("DOCKER_HOST")
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| format!("unix://{DEFAULT_SOCKET}"));
        let verify = std::env::var_os("DOCKER_TLS_VERIFY").is_some_and(|v| !v.is_empty());
        let place = place(&address, verify)?;
        Ok(Engine {
            place,
            address,
            limit,
            deadline: Instant::now() + limit,
            most,
        })
    }

    /// `DOCKER_HOST` as given.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The JSON answer to `GET path`, read into `T`.
    pub fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, Error> {
        let body = self.get_bytes(path)?;
        serde_json::from_slice(&body).map_err(|e| {
            Error::Unreadable(format!(
                "GET {}: not the JSON panteras reads: {e}",
                path.split('?').next().unwrap_or(path)
            ))
        })
    }

    /// The body of a 2xx answer to `GET path`.
    pub fn get_bytes(&self, path: &str) -> Result<Vec<u8>, Error> {
        let now = Instant::now();
        if now >= self.deadline {
            return Err(Error::Late(self.limit));
        }
        let request = http::Request {
            path,
            host: match &self.place {
                Place::Unix(_) => "docker".to_string(),
                Place::Tcp { host, port } | Place::Tls { host, port, .. } => {
                    format!("{}:{port}", bracketed(host))
                }
            },
            most: self.most,
        };
        let answer = match &self.place {
            Place::Unix(path) => {
                let stream = UnixStream::connect(path).map_err(|e| {
                    Error::Unreachable(format!("cannot connect to {}: {e}", path.display()))
                })?;
                request.exchange(Timed::new(stream, self.deadline, self.limit))
            }
            Place::Tcp { host, port } => {
                let stream = self.connect(host, *port)?;
                request.exchange(Timed::new(stream, self.deadline, self.limit))
            }
            Place::Tls { host, port, config } => {
                let stream = self.connect(host, *port)?;
                let name = tls::server_name(host)?;
                let connection = rustls::ClientConnection::new(config.clone(), name)
                    .map_err(|e| Error::Setup(format!("TLS: {e}")))?;
                let stream = rustls::StreamOwned::new(
                    connection,
                    Timed::new(stream, self.deadline, self.limit),
                );
                request.exchange(stream)
            }
        }?;
        if (200..300).contains(&answer.status) {
            return Ok(answer.body);
        }
        Err(Error::Answered {
            status: answer.status,
            message: if answer.cut {
                format!(
                    "(the first {} KiB of a longer answer) {}",
                    answer.body.len() / 1024,
                    String::from_utf8_lossy(&answer.body)
                )
            } else {
                message_of(&answer.body)
            },
        })
    }

    fn connect(&self, host: &str, port: u16) -> Result<TcpStream, Error> {
        let addresses: Vec<_> = (host, port)
            .to_socket_addrs()
            .map_err(|e| Error::Unreachable(format!("cannot resolve {host}: {e}")))?
            .collect();
        let mut last = None;
        for address in addresses {
            let left = self.deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Error::Late(self.limit));
            }
            match TcpStream::connect_timeout(&address, left) {
                Ok(stream) => return Ok(stream),
                Err(e) => last = Some(format!("cannot connect to {address}: {e}")),
            }
        }
        Err(Error::Unreachable(
            last.unwrap_or_else(|| format!("{host} has no address")),
        ))
    }
}

/// An IPv6 literal in brackets, as a Host header and URL write it.
fn bracketed(host: &str) -> String {
    if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

/// The engine's error message: `{"message": ...}` as it sends errors, or
/// the body's text when it is not that.
fn message_of(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Said {
        message: String,
    }
    match serde_json::from_slice::<Said>(body) {
        Ok(said) => said.message,
        Err(_) => String::from_utf8_lossy(body).trim().to_string(),
    }
}

/// How `DOCKER_HOST` names the engine.
fn place(address: &str, verify: bool) -> Result<Place, Error> {
    // Over a socket the docker CLI speaks plain HTTP, whatever
    // DOCKER_TLS_VERIFY says.
    if let Some(path) = address.strip_prefix("unix://") {
        if path.is_empty() {
            return Err(Error::Setup(format!(
                "DOCKER_HOST={address}: no socket path; e.g. unix://{DEFAULT_SOCKET}"
            )));
        }
        return Ok(Place::Unix(PathBuf::from(path)));
    }
    let Some(rest) = address
        .strip_prefix("tcp://")
        .or_else(|| address.strip_prefix("http://"))
    else {
        return Err(Error::Setup(format!(
            "DOCKER_HOST={address}: panteras reaches the engine by unix:// or tcp:// (with \
             DOCKER_TLS_VERIFY for TLS); for ssh://, forward the socket (ssh -L) and name it"
        )));
    };
    let authority = rest.split('/').next().unwrap_or_default();
    let default_port = if verify { 2376 } else { 2375 };
    let (host, port) = split_authority(authority, default_port).ok_or_else(|| {
        Error::Setup(format!(
            "DOCKER_HOST={address}: not HOST:PORT; e.g. tcp://10.0.0.5:2376"
        ))
    })?;
    if verify {
        let config = tls::client_config()?;
        return Ok(Place::Tls { host, port, config });
    }
    Ok(Place::Tcp { host, port })
}

/// `host[:port]` or `[v6][:port]`.
fn split_authority(authority: &str, default_port: u16) -> Option<(String, u16)> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        match after.strip_prefix(':') {
            Some(port) => (host, Some(port)),
            None if after.is_empty() => (host, None),
            None => return None,
        }
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() || host.contains(['@', '[', ']']) {
        return None;
    }
    let port = match port {
        Some(p) => p.parse().ok().filter(|p| *p != 0)?,
        None => default_port,
    };
    Some((host.to_string(), port))
}

/// `text` as one part of a URL's path or query: all but unreserved
/// characters escaped, `/` and `:` too when `keep` does not name them.
pub fn escaped(text: &str, keep: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        let c = byte as char;
        if c.is_ascii_alphanumeric() || "-._~".contains(c) || keep.contains(c) && c.is_ascii() {
            out.push(c);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A socket whose every read and write must end by the deadline.
struct Timed<S> {
    inner: S,
    deadline: Instant,
    limit: Duration,
}

trait Socket: io::Read + io::Write {
    fn set_timeouts(&self, left: Duration) -> io::Result<()>;
}

impl Socket for UnixStream {
    fn set_timeouts(&self, left: Duration) -> io::Result<()> {
        self.set_read_timeout(Some(left))?;
        self.set_write_timeout(Some(left))
    }
}

impl Socket for TcpStream {
    fn set_timeouts(&self, left: Duration) -> io::Result<()> {
        self.set_read_timeout(Some(left))?;
        self.set_write_timeout(Some(left))
    }
}

impl<S: Socket> Timed<S> {
    fn new(inner: S, deadline: Instant, limit: Duration) -> Self {
        Timed {
            inner,
            deadline,
            limit,
        }
    }

    fn arm(&self) -> io::Result<()> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(late(self.limit));
        }
        self.inner.set_timeouts(left)
    }

    /// A timeout of the socket as the conversation's.
    fn judged(&self, e: io::Error) -> io::Error {
        if matches!(
            e.kind(),
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
        ) && Instant::now() >= self.deadline
        {
            late(self.limit)
        } else {
            e
        }
    }
}

/// The error a read or write gives when the conversation's time is out.
fn late(limit: Duration) -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, Late(limit))
}

/// Marks an I/O error as the deadline's.
#[derive(Debug)]
struct Late(Duration);

impl fmt::Display for Late {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no whole answer within {} s", self.0.as_secs())
    }
}

impl std::error::Error for Late {}

impl<S: Socket> io::Read for Timed<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.arm()?;
        self.inner.read(buf).map_err(|e| self.judged(e))
    }
}

impl<S: Socket> io::Write for Timed<S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.arm()?;
        self.inner.write(buf).map_err(|e| self.judged(e))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// An I/O error as the engine's error: the deadline's, or a broken
/// conversation.
fn io_error(e: io::Error, doing: &str) -> Error {
    let late = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<Late>())
        .map(|l| l.0);
    match late {
        Some(limit) => Error::Late(limit),
        None => Error::Unreachable(format!("{doing}: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn docker_host_is_read_as_the_docker_cli_reads_it() {
        assert!(
            matches!(place("unix:///run/d.sock", false), Ok(Place::Unix(p)) if p == Path::new("/run/d.sock"))
        );
        assert!(
            matches!(place("tcp://10.0.0.5", false), Ok(Place::Tcp { host, port: 2375 }) if host == "10.0.0.5")
        );
        assert!(
            matches!(place("tcp://[fd00::1]:2380", false), Ok(Place::Tcp { host, port: 2380 }) if host == "fd00::1")
        );
        for bad in [
            "ssh://me@host",
            "unix://",
            "tcp://:2375",
            "tcp://a:b",
            "tcp://u@h:1",
            "tcp://h:0",
            "h:2375",
        ] {
            assert!(
                matches!(place(bad, false), Err(Error::Setup(_))),
                "{bad} accepted"
            );
        }
    }

    #[test]
    fn url_parts_are_escaped_but_what_is_kept() {
        assert_eq!(
            escaped("panteras/paas-in-a-box:0.3.9", "/:"),
            "panteras/paas-in-a-box:0.3.9"
        );
        assert_eq!(escaped("a b?#%/", ""), "a%20b%3F%23%25%2F");
        assert_eq!(escaped("é", "é"), "%C3%A9");
    }

    #[test]
    fn an_error_body_gives_the_engines_message() {
        assert_eq!(
            message_of(br#"{"message":"no such image"}"#),
            "no such image"
        );
        assert_eq!(message_of(b"plain words\n"), "plain words");
    }
}
