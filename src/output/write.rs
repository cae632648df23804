//! Writing a set of files below the output directory, and removing the
//! folders of hosts a cluster no longer has.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::fs;
use std::io::Write;
use std::os::fd::OwnedFd;
use std::path::Path;

use anyhow::{Context, Result, bail};

use super::{Mode, Old, at, joined, lock, shown};
use crate::render::RenderedFile;

/// A temporary file written, waiting for its rename.
struct Prepared<'a> {
    parts: Vec<&'a OsStr>,
    temporary: String,
}

/// Writes a set of files: every temporary file first (each in the
/// directory of the file it replaces), then the renames in order. On a
/// failure before the renames, the temporary files and the directories
/// made for them are removed and every old file is left as it was.
pub(super) fn write_set(root: &OwnedFd, out: &Path, writes: &[(&RenderedFile, Old)]) -> Result<()> {
    let mut made: Vec<Vec<&OsStr>> = Vec::new();
    let mut prepared: Vec<Prepared> = Vec::new();
    let mut cleaned: HashSet<Vec<&OsStr>> = HashSet::new();
    let mut walker = at::Walker::new(root);
    let result: Result<()> = writes.iter().try_for_each(|(file, old)| {
        let path = out.join(&file.path);
        let context = || format!("cannot write {}", path.display());
        let parts = at::parts(&file.path).map_err(anyhow::Error::msg)?;
        let (_, parents) = parts.split_last().context("an empty path")?;
        let dir = walker
            .dir(parents, true, &mut |count| {
                made.push(parents[..count].to_vec());
            })
            .map_err(|blocked| match blocked {
                at::Blocked::Missing => anyhow::anyhow!("{}: missing", path.display()),
                at::Blocked::At(i, why) => {
                    anyhow::anyhow!("{}: {why}", joined(out, parents, i + 1).display())
                }
            })?;
        if cleaned.insert(parents.to_vec()) {
            at::remove_stale_temporaries(dir).with_context(context)?;
        }
        let (mode, owner) = match old {
            Some((mode, _, _)) if file.runner_owned => (mode & 0o755, None),
            // The replaced file's permission bits, without setuid, setgid
            // and sticky; its owner, unless the file holds a secret.
            Some((mode, uid, gid)) => {
                let owner = (!file.secret).then_some((*uid, *gid));
                (mode & 0o777, owner)
            }
            None if file.keep_existing => (0o600, None),
            None => (0o644, None),
        };
        let mode = if file.secret { mode & 0o600 } else { mode };
        let temporary =
            at::write_temporary(dir, file.content.as_bytes(), mode, owner).with_context(context)?;
        prepared.push(Prepared { parts, temporary });
        Ok(())
    });
    drop(walker);
    let mut walker = at::Walker::new(root);
    if let Err(error) = result {
        for done in &prepared {
            if let Some((_, parents)) = done.parts.split_last()
                && let Ok(dir) = walker.dir(parents, false, &mut |_| {})
            {
                let _ = at::unlink(dir, OsStr::new(&done.temporary));
            }
        }
        drop(walker);
        for dir in made.iter().rev() {
            if let Some((name, parents)) = dir.split_last()
                && let Ok(parent) = at::open_dir(root, parents, false, &mut |_| {})
            {
                let _ = at::rmdir(&parent, name);
            }
        }
        return Err(error.context("nothing was written"));
    }
    for done in &prepared {
        let path = joined(out, &done.parts, done.parts.len());
        let context = || format!("cannot write {}", path.display());
        let (name, parents) = done.parts.split_last().context("an empty path")?;
        let dir = walker
            .dir(parents, false, &mut |_| {})
            .map_err(|_| anyhow::anyhow!("{}: its directory changed", path.display()))
            .with_context(context)?;
        at::rename(dir, &done.temporary, name).with_context(context)?;
    }
    Ok(())
}

/// Removes (in `Mode::Write`) or shows the folders `dirs` under `out`,
/// under the run's lock; each is one plain name whose folder is no link.
/// Returns whether there was any.
pub fn prune(out: &Path, dirs: &[String], mode: Mode, stdout: &mut dyn Write) -> Result<bool> {
    if dirs.is_empty() {
        return Ok(false);
    }
    let root = at::open_root(out).with_context(|| format!("cannot open {}", out.display()))?;
    let _lock = lock::take(&root, out, mode == Mode::Write)?;
    let cwd = std::env::current_dir().ok();
    for dir in dirs {
        let path = out.join(dir);
        let shown = shown(out, cwd.as_deref(), Path::new(dir));
        let plain = at::parts(Path::new(dir)).is_ok_and(|p| p.len() == 1);
        let is_dir = at::kind(&root, OsStr::new(dir))
            .ok()
            .flatten()
            .is_some_and(|s| at::file_type(&s) == rustix::fs::FileType::Directory);
        if !plain || !is_dir {
            bail!("{shown}: not a folder of the output directory; nothing was removed");
        }
        match mode {
            Mode::Write => {
                // std's remove_dir_all removes a link it meets, never what
                // it points to.
                fs::remove_dir_all(&path).with_context(|| format!("cannot remove {shown}"))?;
                writeln!(stdout, "removed {shown}/")?;
            }
            Mode::DryRun | Mode::Diff => writeln!(stdout, "# would remove {shown}/")?,
            Mode::Check | Mode::DiffCheck => writeln!(stdout, "stale: {shown}/")?,
        }
    }
    Ok(true)
}
