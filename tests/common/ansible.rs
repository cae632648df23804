//! Ansible as the fleet and rollout tests run it: a pinned ansible-core's
//! programs with a folder of their own, and the inventory and playbook that
//! `panteras cluster --ansible` writes.

use std::path::Path;
use std::process::Command;

/// `program` of the ansible-core whose programs are in `bin`, run in
/// `dir`, keeping its state and temporaries there.
pub fn command(bin: &Path, program: &str, dir: &Path) -> Command {
    let mut cmd = Command::new(bin.join(program));
    cmd.current_dir(dir)
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_PIPELINING", "1")
        .env("ANSIBLE_HOME", dir.join(".ansible"))
        .env("ANSIBLE_LOCAL_TEMP", dir.join(".ansible/tmp"));
    cmd
}

/// `panteras cluster --inventory cluster.yaml --out hosts --ansible hosts`
/// in `dir`, with an empty environment.
pub fn write_hosts(dir: &Path) {
    super::ok(
        Command::new(env!("CARGO_BIN_EXE_panteras"))
            .env_clear()
            .current_dir(dir)
            .args(["cluster", "--inventory", "cluster.yaml", "--out", "hosts"])
            .args(["--ansible", "hosts"]),
    );
}
