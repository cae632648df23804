//! Traffic on loopback: small HTTP and TCP backends, requests through
//! HAProxy, and Debian's HAProxy run on a final configuration.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A server on loopback that hands each connection to `answer` on a
/// thread of its own; its port.
fn serve(answer: fn(BufReader<TcpStream>, &'static str), name: &'static str) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || answer(BufReader::new(stream), name));
        }
    });
    port
}

/// A tiny HTTP server on loopback that answers every request with `name`.
pub fn http_backend(name: &'static str) -> u16 {
    serve(
        |mut reader, name| {
            let mut line = String::new();
            while reader.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                if line == "\r\n" {
                    break;
                }
                line.clear();
            }
            let body = format!("{name}\n");
            let reply = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = reader.into_inner().write_all(reply.as_bytes());
        },
        name,
    )
}

/// A TCP backend on loopback that echoes one line with a prefix.
pub fn tcp_backend() -> u16 {
    serve(
        |mut reader, _| {
            let mut line = String::new();
            if reader.read_line(&mut line).is_ok() && !line.is_empty() {
                let _ = reader
                    .into_inner()
                    .write_all(format!("echo {line}").as_bytes());
            }
        },
        "",
    )
}

/// What a TCP listener on loopback `port` answers to one line.
pub fn tcp_reply(port: u16, line: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream.write_all(line.as_bytes()).unwrap();
    stream.shutdown(std::net::Shutdown::Write).unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    reply
}

/// One HTTP/1.1 request through HAProxy: (status, body).
pub fn get(port: u16, host: &str, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream.set_nodelay(true).unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// A real HAProxy serving a final configuration; stopped when dropped.
pub struct Running(Child);

impl Running {
    /// Starts Debian's HAProxy in the foreground and waits for `port` to accept.
    pub fn start(config: &str, port: u16) -> Running {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.keep().join("haproxy.cfg");
        std::fs::write(&path, config).unwrap();
        // `-n` caps maxconn below the image's 16384, which needs more file
        // descriptors than these machines allow (20000).
        let child = Command::new("haproxy")
            .args(["-n", "4096"])
            .arg("-db")
            .arg("-f")
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut running = Running(child);
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if started.elapsed() > Duration::from_secs(10)
                || running.0.try_wait().unwrap().is_some()
            {
                let _ = running.0.kill();
                let mut stderr = String::new();
                let _ = running.0.stderr.take().unwrap().read_to_string(&mut stderr);
                panic!("HAProxy did not start:\n{stderr}\n{config}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        running
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The configuration as it was made for haproxy_a, bound on other ports.
pub fn on_ports(config: &str, from: (u16, u16), to: (u16, u16)) -> String {
    config
        .replace(&format!(":{} ", from.0), &format!(":{} ", to.0))
        .replace(&format!(":{}\n", from.0), &format!(":{}\n", to.0))
        .replace(&format!(":{}\n", from.1), &format!(":{}\n", to.1))
}

/// What one request reached: a backend's name, the PanteraS page, or the
/// status HAProxy answered itself.
pub fn reached(port: u16, host: &str, path: &str) -> String {
    match get(port, host, path) {
        (200, body) if body.contains("<title>PaaS</title>") => "panteras page".into(),
        (200, body) => body.trim().to_string(),
        (status, _) => status.to_string(),
    }
}
