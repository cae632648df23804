//! Times `panteras cluster` for an inventory of 3 masters and 997 slaves,
//! as a whole process, and prints the median of each case.
//!
//!     cargo bench --bench cluster

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 9;

fn inventory(path: &Path) {
    let mut text = String::from(
        "name: big\ndatacenter: dc1\nsettings:\n  SUPERVISOR_USER: ops\n  SUPERVISOR_PASSWORD: s3cret\nmasters:\n",
    );
    for n in 1..=3 {
        text.push_str(&format!("  - {{host: master-{n}, ip: 10.0.0.{n}}}\n"));
    }
    text.push_str("slaves:\n");
    for n in 0..997 {
        text.push_str(&format!(
            "  - {{host: slave-{n}, ip: 10.1.{}.{}}}\n",
            n / 250,
            n % 250 + 1
        ));
    }
    std::fs::write(path, text).expect("inventory written");
}

fn run(inventory: &Path, out: &Path, extra: &[&str]) -> Duration {
    let started = Instant::now();
    let status = Command::new(env!("CARGO_BIN_EXE_panteras"))
        .args(["--quiet", "cluster", "--inventory"])
        .arg(inventory)
        .arg("--out")
        .arg(out)
        .args(extra)
        .stdout(Stdio::null())
        .status()
        .expect("panteras runs");
    let elapsed = started.elapsed();
    assert!(status.success());
    elapsed
}

fn report(label: &str, mut times: Vec<Duration>) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{label:<34} median {:>7.1} ms   min {:>7.1} ms   max {:>7.1} ms   ({} runs)",
        ms(times[times.len() / 2]),
        ms(times[0]),
        ms(times[times.len() - 1]),
        times.len()
    );
}

fn main() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let path = tmp.path().join("cluster.yaml");
    inventory(&path);
    let render: Vec<Duration> = (0..RUNS)
        .map(|_| run(&path, &tmp.path().join("none"), &["--dry-run"]))
        .collect();
    let fresh: Vec<Duration> = (0..RUNS)
        .map(|i| run(&path, &tmp.path().join(format!("out-{i}")), &[]))
        .collect();
    let same = tmp.path().join("out-0");
    let unchanged: Vec<Duration> = (0..RUNS).map(|_| run(&path, &same, &[])).collect();
    report("1000 hosts, render only (--dry-run)", render);
    report("1000 hosts, write new files", fresh);
    report("1000 hosts, nothing changed", unchanged);
}
