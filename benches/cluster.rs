//! Times `panteras cluster` for inventories of 1,000 and 10,000 hosts (3
//! masters, the rest slaves), as a whole process, with its peak memory,
//! beside the time a plain loop takes to create the same files; and
//! `cluster --import` of the folders it wrote.
//!
//!     cargo bench --bench cluster

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn inventory(path: &Path, hosts: usize) {
    let mut text = String::from(
        "name: big\ndatacenter: dc1\nsettings:\n  SUPERVISOR_USER: ops\n  SUPERVISOR_PASSWORD: s3cret\nmasters:\n",
    );
    for n in 1..=3 {
        text.push_str(&format!("  - {{host: master-{n}, ip: 10.0.0.{n}}}\n"));
    }
    text.push_str("slaves:\n");
    for n in 0..hosts - 3 {
        text.push_str(&format!(
            "  - {{host: slave-{n}, ip: 10.{}.{}.{}}}\n",
            1 + n / 62500,
            (n / 250) % 250,
            n % 250 + 1
        ));
    }
    std::fs::write(path, text).expect("inventory written");
}

/// One run of `cluster`: its time and its peak resident memory in KiB.
fn run(inventory: &Path, out: &Path, extra: &[&str]) -> (Duration, u64) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_panteras"));
    command
        .args(["--quiet", "cluster", "--inventory"])
        .arg(inventory)
        .arg("--out")
        .arg(out)
        .args(extra);
    measure(command)
}

/// One run of `cluster --import` of the hosts' folders under `hosts`.
fn import(hosts: &Path) -> (Duration, u64) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_panteras"));
    command.args(["--quiet", "cluster", "--import"]).arg(hosts);
    measure(command)
}

/// A command's time and its peak resident memory in KiB (VmHWM, read
/// while it runs).
fn measure(mut command: Command) -> (Duration, u64) {
    let started = Instant::now();
    let mut child = command
        .stdout(Stdio::null())
        .spawn()
        .expect("panteras runs");
    let status = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    let exit = loop {
        if let Some(exit) = child.try_wait().expect("panteras is waited for") {
            break exit;
        }
        if let Ok(text) = std::fs::read_to_string(&status)
            && let Some(kib) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches(" kB").parse().ok())
        {
            peak = peak.max(kib);
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = started.elapsed();
    assert!(exit.success());
    (elapsed, peak)
}

/// Every file of a tree, with its bytes.
fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(at) = stack.pop() {
        for entry in std::fs::read_dir(&at).expect("a directory") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).expect("a file");
                found.push((path.strip_prefix(dir).unwrap().to_path_buf(), bytes));
            }
        }
    }
    found
}

/// The time a plain loop takes to create `files` under `out`.
fn plain_loop(files: &[(PathBuf, Vec<u8>)], out: &Path) -> Duration {
    let started = Instant::now();
    for (path, bytes) in files {
        let path = out.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).expect("a directory");
        std::fs::write(&path, bytes).expect("a file");
    }
    started.elapsed()
}

fn report(label: &str, mut times: Vec<(Duration, u64)>) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let peak = times.iter().map(|(_, kib)| *kib).max().unwrap_or(0);
    println!(
        "{label:<40} median {:>8.1} ms   min {:>8.1} ms   peak memory {:>7} KiB   ({} runs)",
        ms(times[times.len() / 2].0),
        ms(times[0].0),
        peak,
        times.len()
    );
}

fn main() {
    for (hosts, runs) in [(1_000, 9), (10_000, 3)] {
        let tmp = tempfile::tempdir().expect("temporary directory");
        let path = tmp.path().join("cluster.yaml");
        inventory(&path, hosts);
        let render: Vec<_> = (0..runs)
            .map(|_| run(&path, &tmp.path().join("none"), &["--dry-run"]))
            .collect();
        let fresh: Vec<_> = (0..runs)
            .map(|i| run(&path, &tmp.path().join(format!("out-{i}")), &[]))
            .collect();
        let same = tmp.path().join("out-0");
        let unchanged: Vec<_> = (0..runs).map(|_| run(&path, &same, &[])).collect();
        let written = files(&same);
        let baseline: Vec<_> = (0..runs)
            .map(|i| {
                let time = plain_loop(&written, &tmp.path().join(format!("plain-{i}")));
                (time, 0)
            })
            .collect();
        report(&format!("{hosts} hosts, render only (--dry-run)"), render);
        report(&format!("{hosts} hosts, write new files"), fresh);
        report(&format!("{hosts} hosts, nothing changed"), unchanged);
        let imported: Vec<_> = (0..runs).map(|_| import(&same)).collect();
        report(&format!("{hosts} hosts, cluster --import"), imported);
        report(
            &format!("{hosts} hosts, a plain loop of the {} files", written.len()),
            baseline,
        );
    }
}
