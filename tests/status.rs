//! `panteras status` against an engine that misbehaves: one that answers
//! its headers and then trickles a body forever is given up within the
//! command's total limit, with a message and exit code 1.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixListener;
use std::process::Command;
use std::time::{Duration, Instant};

/// A host's folder below `dir` with a compose file of one service.
fn host_folder(dir: &std::path::Path) -> std::path::PathBuf {
    let folder = dir.join("host");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(
        folder.join("docker-compose.yml"),
        "services:\n  panteras:\n    image: panteras/paas-in-a-box:0.3.9\n",
    )
    .unwrap();
    folder
}

/// `panteras status --dir FOLDER` with the engine at the Unix `socket`.
fn status_over(folder: &std::path::Path, socket: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_panteras"))
        .args(["status", "--dir"])
        .arg(folder)
        .env("DOCKER_HOST", format!("unix://{}", socket.display()))
        .output()
        .unwrap()
}

#[test]
fn an_engine_that_trickles_its_answer_is_given_up_within_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let folder = host_folder(dir.path());
    let socket = dir.path().join("docker.sock");
    let listener = UnixListener::bind(&socket).unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let serving = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            listener.set_nonblocking(true).unwrap();
            let deadline = Instant::now() + Duration::from_secs(120);
            while !stop.load(std::sync::atomic::Ordering::Relaxed) && Instant::now() < deadline {
                let Ok((stream, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(20));
                    continue;
                };
                let stop = stop.clone();
                std::thread::spawn(move || {
                    stream.set_nonblocking(false).unwrap();
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut first = String::new();
                    let _ = reader.read_line(&mut first);
                    let mut line = String::new();
                    while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                        line.clear();
                    }
                    let mut stream = stream;
                    if first.contains("/_ping") {
                        let _ = stream.write_all(
                            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nApi-Version: 1.41\r\n\r\nOK",
                        );
                        return;
                    }
                    // Headers at once, then one byte of the body a second.
                    let _ = stream.write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n[",
                    );
                    let until = Instant::now() + Duration::from_secs(90);
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) && Instant::now() < until
                    {
                        if stream.write_all(b" ").is_err() {
                            return;
                        }
                        std::thread::sleep(Duration::from_secs(1));
                    }
                });
            }
        })
    };
    let started = Instant::now();
    let out = status_over(&folder, &socket);
    let took = started.elapsed();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    serving.join().unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("did not answer within 30 s in all"), "{said}");
    assert!(took < Duration::from_secs(60), "{took:?}");
}

/// With DOCKER_TLS_VERIFY and DOCKER_CERT_PATH, as the docker CLI reads
/// them, `status` speaks TLS with the client certificate of that folder and
/// verifies the engine's against its CA; without them it does not.
#[test]
fn docker_tls_verify_makes_status_speak_tls_with_the_cert_path() {
    let test = "docker_tls_verify_makes_status_speak_tls";
    if !(common::have("openssl", test) && common::have("python3", test)) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let certs = dir.path().join("certs");
    std::fs::create_dir(&certs).unwrap();
    let openssl = |args: &[&str]| {
        common::ok(Command::new("openssl").current_dir(&certs).args(args));
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-keyout",
        "ca-key.pem",
        "-out",
        "ca.pem",
        "-subj",
        "/CN=test CA",
    ]);
    for (name, usage) in [
        (
            "server",
            "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
        ),
        ("cert", "extendedKeyUsage=clientAuth\n"),
    ] {
        let key = if name == "cert" {
            "key.pem".to_string()
        } else {
            format!("{name}-key.pem")
        };
        openssl(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            &key,
            "-out",
            &format!("{name}.csr"),
            "-subj",
            &format!("/CN={name}"),
        ]);
        std::fs::write(certs.join(format!("{name}.ext")), usage).unwrap();
        openssl(&[
            "x509",
            "-req",
            "-in",
            &format!("{name}.csr"),
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca-key.pem",
            "-CAcreateserial",
            "-days",
            "2",
            "-out",
            &format!("{name}.pem"),
            "-extfile",
            &format!("{name}.ext"),
        ]);
    }
    let server = r#"
import http.server, ssl, sys
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        body = b"OK" if self.path.startswith("/_ping") or "/_ping" in self.path else b"[]"
        self.send_response(200)
        self.send_header("Api-Version", "1.41")
        self.send_header("Content-Type", "text/plain" if body == b"OK" else "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    do_HEAD = do_GET
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain("server.pem", "server-key.pem")
ctx.load_verify_locations("ca.pem")
ctx.verify_mode = ssl.CERT_REQUIRED
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
s.socket = ctx.wrap_socket(s.socket, server_side=True)
print("listening on 127.0.0.1:%d" % s.server_address[1], flush=True)
s.timeout = 60
import threading, time
threading.Thread(target=s.serve_forever, daemon=True).start()
time.sleep(120)
"#;
    let (mut child, line) = common::spawn_and_read_line(
        Command::new("python3")
            .current_dir(&certs)
            .args(["-c", server]),
    );
    let address = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_string();
    let folder = host_folder(dir.path());
    let status = |tls: bool| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_panteras"));
        cmd.args(["status", "--dir"])
            .arg(&folder)
            .env_remove("DOCKER_TLS_VERIFY")
            .env("DOCKER_HOST", format!("tcp://{address}"))
            .env("DOCKER_CERT_PATH", &certs);
        if tls {
            cmd.env("DOCKER_TLS_VERIFY", "1");
        }
        let out = cmd.output().unwrap();
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code(), said)
    };
    let (code, said) = status(true);
    let (plain_code, plain_said) = status(false);
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(code, Some(5), "{said}");
    assert!(said.contains("no container of service panteras"), "{said}");
    assert_eq!(plain_code, Some(1), "{plain_said}");
    assert!(plain_said.contains("cannot be reached"), "{plain_said}");
}

/// An engine that names a container state panteras does not know is said to
/// answer what cannot be read, not to be unreachable; a long error body is
/// cut, a long answer refused after 16 MiB of it, and control characters
/// are not printed.
#[test]
fn an_unknown_state_and_a_long_error_are_said_as_the_engine_answered_them() {
    let test = "an_unknown_state_and_a_long_error";
    if !common::have("python3", test) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("docker.sock");
    let engine = r#"
import http.server, json, socketserver, sys, threading, time
mode = sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def address_string(self): return "local"
    def send(self, status, body, kind="application/json"):
        self.send_response(status)
        self.send_header("Api-Version", "1.41")
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        if "/_ping" in self.path:
            return self.send(200, b"OK", "text/plain")
        if "/containers/json" in self.path:
            return self.send(200, json.dumps([{"Id": "abc", "Names": ["/x"]}]).encode())
        if mode.startswith("error"):
            message = "no\x1b[31m " + "x" * (5_000_000 if mode == "error-long" else 3)
            return self.send(500, json.dumps({"message": message}).encode())
        if mode == "huge":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            chunk = b" " * 65536
            sent = 0
            try:
                self.wfile.write(b"{")
                while sent < 1_500_000_000:
                    self.wfile.write(chunk)
                    sent += len(chunk)
            except OSError:
                pass
            with open(sys.argv[1] + ".sent", "w") as f:
                f.write(str(sent))
            return
        return self.send(200, json.dumps({"Id": "abc", "Name": "/x", "Image": "sha256:1",
            "State": {"Status": "hibernating", "Running": False}, "Config": {}}).encode())
class S(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
s = S(sys.argv[1], H)
threading.Thread(target=s.serve_forever, daemon=True).start()
print("listening", flush=True)
time.sleep(60)
"#;
    let folder = host_folder(dir.path());
    for (mode, expected) in [
        ("state", "answered what panteras cannot read"),
        ("error", "answered 500: no?[31m xxx"),
        (
            "error-long",
            "answered 500: (the first 64 KiB of a longer answer) {\"message\": \"no",
        ),
        ("huge", "answered more than panteras reads (16 MiB)"),
    ] {
        let _ = std::fs::remove_file(&socket);
        let (mut child, _) = common::spawn_and_read_line(
            Command::new("python3")
                .args(["-c", engine])
                .arg(&socket)
                .arg(mode),
        );
        let out = status_over(&folder, &socket);
        let sent = socket.with_extension("sock.sent");
        let deadline = Instant::now() + Duration::from_secs(20);
        while mode == "huge" && !sent.exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        let said = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{mode}: {said}");
        if mode == "huge" {
            // The engine could write no more than the limit and what the
            // socket buffers hold before panteras hung up.
            let sent: u64 = std::fs::read_to_string(&sent).unwrap().parse().unwrap();
            assert!(sent < 64 * 1024 * 1024, "the engine sent {sent} bytes");
        }
        assert!(said.contains(expected), "{mode}: {said}");
        assert!(!said.contains("cannot be reached"), "{mode}: {said}");
        assert!(said.len() < 2_000, "{mode}: {} bytes said", said.len());
        assert!(!said.contains('\u{1b}'), "{mode}: {said}");
    }
}

/// `status --diff` against an engine of the test's own: the environment
/// key by key (a value with a secret flag is not printed), a mounted file
/// that is not what panteras renders now, one the container lacks (404)
/// and one that is the same, read through the archive endpoint as tar.
#[test]
fn the_diff_reads_the_containers_environment_and_files_and_keeps_secrets() {
    let test = "the_diff_reads_the_containers_environment_and_files";
    if !common::have("python3", test) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("host");
    std::fs::create_dir_all(folder.join("restricted")).unwrap();
    std::fs::write(
        folder.join("restricted/host"),
        "IP=10.0.0.5\nHOSTNAME=box\nFQDN=box.example.com\nLISTEN_IP=10.0.0.5\n\
         CONSUL_PARAMS=-encrypt=c2VjcmV0\nSUPERVISOR_USER=ops\nSUPERVISOR_PASSWORD=pw-secret\n",
    )
    .unwrap();
    let panteras = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_panteras"))
            .env_clear()
            .env("PANTERAS_DEFAULTS", "/nonexistent/panteras")
            .env(
                "DOCKER_HOST",
                format!("unix://{}", dir.path().join("docker.sock").display()),
            )
            .args(args)
            .arg("--dir")
            .arg(&folder)
            .output()
            .unwrap()
    };
    let generated = panteras(&["generate"]);
    assert!(
        generated.status.success(),
        "{}",
        String::from_utf8_lossy(&generated.stderr)
    );
    let mut env: Vec<String> = common::environment(&folder.join("docker-compose.yml"))
        .into_iter()
        .map(|(k, v)| match k.as_str() {
            "GOMAXPROCS" => "GOMAXPROCS=2".to_string(),
            "CONSUL_APP_PARAMS" => format!("{k}={}", v.replace("c2VjcmV0", "b2xkLXNlY3JldA==")),
            _ => format!("{k}={v}"),
        })
        .collect();
    env.push("PATH=/usr/bin".into());
    let ctmpl =
        std::fs::read_to_string(folder.join("generated/haproxy/haproxy.cfg.ctmpl")).unwrap();
    let spec = serde_json::json!({
        "env": env,
        "mounts": [{"Type": "bind", "Destination": "/etc/supervisord.conf",
                    "Source": folder.join("generated/supervisord/supervisord.conf")}],
        "files": {
            "/etc/supervisord.conf": "[supervisord]\n[inet_http_server]\npassword = pw-old\n",
            "/opt/consul-template/haproxy.cfg.ctmpl": ctmpl,
        },
    });
    std::fs::write(dir.path().join("spec.json"), spec.to_string()).unwrap();
    let engine = r#"
import http.server, io, json, socketserver, sys, tarfile, threading, time, urllib.parse
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def address_string(self): return "local"
    def send(self, status, body, kind="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        spec = json.load(open(sys.argv[2]))
        url = urllib.parse.urlparse(self.path)
        if url.path.endswith("/_ping"):
            return self.send(200, b"OK", "text/plain")
        if url.path.endswith("/containers/json"):
            return self.send(200, json.dumps([{"Id": "abc"}]).encode())
        if url.path.endswith("/containers/abc/json"):
            return self.send(200, json.dumps({"Id": "abc", "Name": "/host-panteras-1",
                "Image": "sha256:1", "State": {"Status": "running", "Running": True},
                "Config": {"Image": spec.get("image", "panteras/paas-in-a-box:0.3.9"), "Env": spec["env"]},
                "Mounts": spec["mounts"]}).encode())
        if url.path.endswith("/containers/abc/archive"):
            path = urllib.parse.parse_qs(url.query)["path"][0]
            if path not in spec["files"]:
                return self.send(404, json.dumps({"message": "Could not find the file " + path}).encode())
            data = spec["files"][path].encode()
            out = io.BytesIO()
            with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
                info = tarfile.TarInfo(path.rsplit("/", 1)[1] + "-" + "x" * 120)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            return self.send(200, out.getvalue(), "application/x-tar")
        if "/images/" in url.path:
            return self.send(200, json.dumps({"Id": "sha256:1", "Config": {"Env": ["PATH=/usr/bin"]}}).encode())
        return self.send(404, b'{"message": "no"}')
class S(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
s = S(sys.argv[1], H)
threading.Thread(target=s.serve_forever, daemon=True).start()
print("listening", flush=True)
time.sleep(60)
"#;
    let (mut child, _) = common::spawn_and_read_line(
        Command::new("python3")
            .args(["-c", engine])
            .arg(dir.path().join("docker.sock"))
            .arg(dir.path().join("spec.json")),
    );
    let out = panteras(&["status", "--diff", "--project", "host"]);
    // A container of the 0.4 line, its image of a tag of one's own: the
    // line its mounts show is said, with how to keep it.
    let mut moved = spec.clone();
    moved["image"] = "mine/paas:1".into();
    moved["mounts"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"Type": "bind", "Destination": "/var/lib/zookeeper/version-2", "Source": "/tmp/zookeeper"}));
    std::fs::write(dir.path().join("spec.json"), moved.to_string()).unwrap();
    let other_line = panteras(&["status", "--diff", "--project", "host"]);
    let _ = child.kill();
    let _ = child.wait();
    let other_line = String::from_utf8_lossy(&other_line.stdout);
    for expected in [
        "image: the container runs mine/paas:1, panteras names panteras/paas-in-a-box:0.3.9",
        "image line: the container was made for the 0.4 line, panteras follows the 0.3 line (default)",
        "(PANTERAS_IMAGE_TAG=0.4.4 in restricted/host)",
    ] {
        assert!(other_line.contains(expected), "{expected}\n{other_line}");
    }
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(!said.contains("image line"), "{said}");
    let errors = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{said}{errors}");
    for expected in [
        "host-panteras-1 (project host) against what panteras gives it:",
        "environment: ",
        "~ GOMAXPROCS: \"2\" -> \"4\" [not a deliberate change of panteras']",
        "~ CONSUL_APP_PARAMS: (holds a secret: values not shown) [not a deliberate change",
        "/etc/supervisord.conf: differs from generated/supervisord/supervisord.conf: mounted from",
        "(holds a password: the lines are not shown)",
        "/opt/consul-template/haproxy.cfg: the container has no such file",
        "/opt/consul-template/haproxy.cfg.ctmpl: the same as generated/haproxy/haproxy.cfg.ctmpl",
    ] {
        assert!(said.contains(expected), "{expected}\n{said}");
    }
    for secret in ["c2VjcmV0", "b2xkLXNlY3JldA", "pw-secret", "pw-old"] {
        assert!(
            !said.contains(secret) && !errors.contains(secret),
            "{secret}\n{said}{errors}"
        );
    }
    assert!(!said.contains("PATH"), "{said}");
}
