//! The lock of a run on its output directory (`flock` of the directory
//! itself, so that a refused run leaves nothing behind): exclusive to
//! write and shared to read, so that two runs never mix their files. A run
//! waits for another, saying so, and gives up after a while: any local user
//! who can open the directory can lock it, and must not stall every run.

use std::fs::File;
use std::os::fd::OwnedFd;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// How long a run waits for another to finish with the directory; a run
/// of ten thousand hosts takes seconds.
const PATIENCE: Duration = Duration::from_secs(300);

/// A held lock, released when dropped.
pub struct Lock(#[allow(dead_code)] File);

/// Takes the lock of `out` (open as `root`).
pub fn take(root: &OwnedFd, out: &Path, exclusive: bool) -> Result<Lock> {
    take_within(root, out, exclusive, PATIENCE)
}

fn take_within(root: &OwnedFd, out: &Path, exclusive: bool, patience: Duration) -> Result<Lock> {
    let context = || format!("cannot lock {}", out.display());
    let file = File::from(rustix::io::dup(root).with_context(context)?);
    let try_once = || {
        if exclusive {
            file.try_lock()
        } else {
            file.try_lock_shared()
        }
    };
    if try_once().is_ok() {
        return Ok(Lock(file));
    }
    eprintln!(
        "waiting for another panteras run to finish with {}",
        out.display()
    );
    let started = Instant::now();
    while started.elapsed() < patience {
        std::thread::sleep(Duration::from_millis(100));
        if try_once().is_ok() {
            return Ok(Lock(file));
        }
    }
    bail!(
        "{}: locked by another process for {} s, longer than any panteras run takes\n  \
         fix: find it with `lslocks` and stop it, then run panteras again",
        out.display(),
        patience.as_secs()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lock_held_by_anyone_else_is_waited_for_then_given_up_with_a_message() {
        let tmp = tempfile::tempdir().unwrap();
        let holder = File::open(tmp.path()).unwrap();
        holder.lock_shared().unwrap();
        let root = super::super::at::open_root(tmp.path()).unwrap();
        // Readers share it.
        assert!(take_within(&root, tmp.path(), false, Duration::from_millis(10)).is_ok());
        let started = Instant::now();
        let error = take_within(&root, tmp.path(), true, Duration::from_millis(300))
            .err()
            .unwrap()
            .to_string();
        assert!(started.elapsed() >= Duration::from_millis(300));
        assert!(error.contains("locked by another process"), "{error}");
        drop(holder);
        assert!(take_within(&root, tmp.path(), true, Duration::from_millis(10)).is_ok());
    }
}
