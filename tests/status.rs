//! `panteras status` against an engine that misbehaves: one that answers
//! its headers and then trickles a body forever is given up within the
//! command's total limit, with a message and exit code 1.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixListener;
use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn an_engine_that_trickles_its_answer_is_given_up_within_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("host");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(
        folder.join("docker-compose.yml"),
        "services:\n  panteras:\n    image: panteras/paas-in-a-box:0.3.9\n",
    )
    .unwrap();
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
    let out = Command::new(env!("CARGO_BIN_EXE_panteras"))
        .args(["status", "--dir"])
        .arg(&folder)
        .env("DOCKER_HOST", format!("unix://{}", socket.display()))
        .output()
        .unwrap();
    let took = started.elapsed();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    serving.join().unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("did not answer within 30 s in all"), "{said}");
    assert!(took < Duration::from_secs(60), "{took:?}");
}
