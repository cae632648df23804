//! The loopback double of a cluster (tests/support/cluster_double.py): the
//! daemons the rollout's gates ask, the containers, and a stand-in for
//! docker and docker compose that acts on them.

use std::io::{Read, Write};
use std::process::{Child, Command};

use super::tools;

/// The double, stopped when dropped.
pub struct Double {
    child: Child,
    pub control: String,
}

impl Drop for Double {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Double {
    /// The double of `hosts`: each {name, address (none: no daemon
    /// listens), ip, master, agent}.
    pub fn start(hosts: serde_json::Value) -> Double {
        let config = serde_json::json!({
            "hosts": hosts, "boot": 0.6, "recovery": 1.0, "register": 0.3, "stable": 0.3, "lifetime": 3600,
        });
        let (child, line) = super::spawn_and_read_line(
            Command::new("python3")
                .arg(tools::support("cluster_double.py"))
                .arg("serve")
                .arg(config.to_string()),
        );
        let control = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("the double said {line:?}"))
            .to_string();
        Double { child, control }
    }

    /// The playbook's variables that make it use the double's docker and
    /// docker compose.
    pub fn ansible_vars(&self) -> serde_json::Value {
        let double = tools::support("cluster_double.py");
        serde_json::json!({
            "panteras_compose": format!("python3 {} compose {}", double.display(), self.control),
            "panteras_docker": format!("python3 {} docker {}", double.display(), self.control),
        })
    }

    /// A request to the control API; its JSON answer.
    pub fn call(&self, method: &str, path: &str, body: serde_json::Value) -> serde_json::Value {
        let mut stream = std::net::TcpStream::connect(&self.control).unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        let body = body.to_string();
        write!(
            stream,
            "{method} {path} HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut reply = String::new();
        stream.read_to_string(&mut reply).unwrap();
        let (_, json) = reply.split_once("\r\n\r\n").unwrap();
        serde_json::from_str(json).unwrap()
    }

    pub fn state(&self) -> serde_json::Value {
        self.call("GET", "/state", serde_json::Value::Null)
    }

    pub fn on(&self, what: &str, host: &str) {
        self.call("POST", what, serde_json::json!({"host": host}));
    }

    /// Makes the containers `host` creates from now on never come up (or,
    /// with `false`, come up again).
    pub fn sick(&self, host: &str, sick: bool) {
        self.call(
            "POST",
            "/sick",
            serde_json::json!({"host": host, "sick": sick}),
        );
    }

    pub fn cut(&self, host: &str, cut: bool) {
        self.call(
            "POST",
            "/cut",
            serde_json::json!({"host": host, "cut": cut}),
        );
    }

    pub fn mark(&self) {
        self.call("POST", "/mark", serde_json::json!({}));
    }

    /// The `up` calls since the last mark: (host, what it did).
    pub fn ups(&self) -> Vec<(String, String)> {
        self.state()["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["host"].as_str().unwrap().to_string(),
                    e["up"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    /// How many times each host's compose stand-in was asked `what` (its
    /// first arguments) since the last mark.
    pub fn asked(&self, what: &[&str]) -> std::collections::BTreeMap<String, usize> {
        let mut counts = std::collections::BTreeMap::new();
        for call in self.state()["asked"].as_array().unwrap() {
            let args: Vec<&str> = call["args"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|a| a.as_str())
                .collect();
            if args.starts_with(what) {
                *counts
                    .entry(call["host"].as_str().unwrap().to_string())
                    .or_insert(0) += 1;
            }
        }
        counts
    }

    pub fn container(&self, host: &str) -> serde_json::Value {
        self.state()["hosts"][host]["container"].clone()
    }
}
