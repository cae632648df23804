//! Times `panteras generate` for one standalone host with the IP given, as
//! a whole process (start-up included), and prints the median; then a
//! host whose restricted/common has 200,000 lines, each referring to the
//! line before (the lookups must stay linear).
//!
//!     cargo bench --bench generate

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const RUNS: usize = 300;

fn run(out: &Path) -> Duration {
    let started = Instant::now();
    let status = Command::new(env!("CARGO_BIN_EXE_panteras"))
        .args(["generate", "--ip", "192.168.10.10", "--out"])
        .arg(out)
        .env("PANTERAS_DEFAULTS", out.join("no-defaults"))
        .stdout(std::process::Stdio::null())
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
        "{label:<28} median {:.2} ms   p90 {:.2} ms   min {:.2} ms   ({} runs)",
        ms(times[times.len() / 2]),
        ms(times[times.len() * 9 / 10]),
        ms(times[0]),
        times.len()
    );
}

fn main() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let fresh: Vec<Duration> = (0..RUNS)
        .map(|i| run(&tmp.path().join(i.to_string())))
        .collect();
    let same = tmp.path().join("same");
    run(&same);
    let unchanged: Vec<Duration> = (0..RUNS).map(|_| run(&same)).collect();
    let baseline: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let started = Instant::now();
            Command::new("true").status().expect("true runs");
            started.elapsed()
        })
        .collect();
    report("generate (new files)", fresh);
    report("generate (unchanged)", unchanged);
    report("process start-up (`true`)", baseline);

    let big = tmp.path().join("big");
    std::fs::create_dir_all(big.join("restricted")).expect("restricted/");
    let mut common = String::from("V0=x\n");
    for i in 1..200_000 {
        common.push_str(&format!("V{i}=\"$V{}\"\n", i - 1));
    }
    std::fs::write(big.join("restricted/common"), common).expect("restricted/common");
    let long: Vec<Duration> = (0..5)
        .map(|_| {
            let started = Instant::now();
            let status = Command::new(env!("CARGO_BIN_EXE_panteras"))
                .args(["generate", "--ip", "192.168.10.10", "--dir"])
                .arg(&big)
                .env("PANTERAS_DEFAULTS", big.join("no-defaults"))
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status()
                .expect("panteras runs");
            assert!(status.success());
            started.elapsed()
        })
        .collect();
    report("200,000-line restricted file", long);
}
