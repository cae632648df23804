//! Putting rendered files on disk, or showing what that would change.
//!
//! A run holds a lock on the output directory, refuses before anything is
//! written what it cannot replace (a directory, a symbolic link, a FIFO),
//! then writes the whole set: every temporary file first, then the
//! renames, docker-compose.yml last. Unchanged files are left alone; a
//! replaced file keeps its owner, group and mode (without setuid and
//! setgid); a file holding a secret is never readable by others.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result};
use similar::TextDiff;

use crate::render::RenderedFile;

/// What to do with the rendered files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Write,
    /// Print the files, write nothing.
    DryRun,
    /// Print a unified diff against the disk, write nothing.
    Diff,
    /// Report the files that would change, write nothing.
    Check,
    /// `--diff` and `--check` together.
    DiffCheck,
}

/// The compose `env_file`: created empty when missing, never overwritten.
pub const ENV_FILE: &str = "restricted/env";

/// The compose `env_file` of a host directory (`prefix`, empty for the
/// output directory itself).
pub fn env_file(prefix: &Path) -> RenderedFile {
    RenderedFile {
        path: prefix.join(ENV_FILE),
        content: String::new(),
        keep_existing: true,
        secret: false,
    }
}

/// A file as it is on disk now.
enum Current {
    Missing,
    /// A symbolic link where a file that is never replaced goes.
    Link,
    File {
        bytes: Vec<u8>,
        meta: fs::Metadata,
    },
}

/// Applies `mode` to `files` under `out`, printing to `stdout`. Returns
/// whether anything differs from the disk.
pub fn apply(
    out: &Path,
    files: &[RenderedFile],
    mode: Mode,
    stdout: &mut dyn Write,
) -> Result<bool> {
    let _lock = lock(out, mode)?;
    let current = inspect(out, files)?;
    let cwd = std::env::current_dir().ok();
    let mut changed = false;
    let mut writes: Vec<(&RenderedFile, Option<&fs::Metadata>)> = Vec::new();
    for (file, current) in files.iter().zip(&current) {
        let shown = shown(out, cwd.as_deref(), &file.path);
        if file.keep_existing {
            if matches!(current, Current::Missing) {
                changed = true;
                match mode {
                    Mode::Write => writes.push((file, None)),
                    Mode::DryRun | Mode::Diff => {
                        writeln!(stdout, "# would create {shown} (empty)")?
                    }
                    Mode::Check | Mode::DiffCheck => writeln!(stdout, "missing: {shown}")?,
                }
            }
            continue;
        }
        let (old, meta) = match current {
            Current::File { bytes, meta } => (Some(bytes.as_slice()), Some(meta)),
            _ => (None, None),
        };
        let differs = old != Some(file.content.as_bytes());
        changed |= differs;
        match mode {
            Mode::Write if differs => writes.push((file, meta)),
            Mode::Write => writeln!(stdout, "unchanged {shown}")?,
            Mode::DryRun => {
                let state = if differs { "would write" } else { "unchanged" };
                writeln!(stdout, "# {state}: {shown}")?;
                stdout.write_all(file.content.as_bytes())?;
            }
            Mode::Diff | Mode::DiffCheck | Mode::Check => {
                // A compose file is compared by what the container gets,
                // whatever the format of the old one.
                let container = old
                    .filter(|_| differs && mode != Mode::Check)
                    .filter(|_| file.path.ends_with("docker-compose.yml"))
                    .and_then(|old| {
                        crate::container::diff(&String::from_utf8_lossy(old), &file.content)
                    });
                if let Some(changes) = &container {
                    stdout.write_all(changes.as_bytes())?;
                } else if differs && mode != Mode::Check {
                    let old_text = String::from_utf8_lossy(old.unwrap_or_default());
                    let relative = file.path.display();
                    let old_name = if old.is_some() {
                        format!("a/{relative}")
                    } else {
                        "/dev/null".into()
                    };
                    let diff = TextDiff::from_lines(old_text.as_ref(), file.content.as_str());
                    write!(
                        stdout,
                        "{}",
                        diff.unified_diff()
                            .header(&old_name, &format!("b/{relative}"))
                    )?;
                }
                if differs && mode != Mode::Diff {
                    writeln!(stdout, "out of date: {shown}")?;
                }
            }
        }
    }
    if !writes.is_empty() {
        // The compose file goes last, so that a failure part-way never
        // leaves a compose file that mounts daemon files not yet written.
        writes.sort_by_key(|(f, _)| f.path.ends_with("docker-compose.yml"));
        write_set(out, &writes)?;
        for (file, _) in &writes {
            let shown = shown(out, cwd.as_deref(), &file.path);
            if file.keep_existing {
                writeln!(stdout, "created {shown} (empty)")?;
            } else {
                writeln!(stdout, "wrote {shown}")?;
            }
        }
    }
    Ok(changed)
}

/// Removes (in `Mode::Write`) or shows the folders `dirs` under `out`,
/// under the run's lock; each is one plain name whose folder is no link.
/// Returns whether there was any.
pub fn prune(out: &Path, dirs: &[String], mode: Mode, stdout: &mut dyn Write) -> Result<bool> {
    if dirs.is_empty() {
        return Ok(false);
    }
    let _lock = lock(out, mode)?;
    let cwd = std::env::current_dir().ok();
    for dir in dirs {
        let path = out.join(dir);
        let shown = shown(out, cwd.as_deref(), Path::new(dir));
        let plain = Path::new(dir).components().count() == 1
            && matches!(
                Path::new(dir).components().next(),
                Some(Component::Normal(_))
            );
        let is_dir = fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir());
        if !plain || !is_dir {
            anyhow::bail!("{shown}: not a folder of the output directory; nothing was removed");
        }
        match mode {
            Mode::Write => {
                fs::remove_dir_all(&path).with_context(|| format!("cannot remove {shown}"))?;
                writeln!(stdout, "removed {shown}/")?;
            }
            Mode::DryRun | Mode::Diff => writeln!(stdout, "# would remove {shown}/")?,
            Mode::Check | Mode::DiffCheck => writeln!(stdout, "stale: {shown}/")?,
        }
    }
    Ok(true)
}

/// The lock of a run on its output directory (released when dropped):
/// exclusive for a run that writes, shared for one that only reads, so
/// that two runs never mix their files.
fn lock(out: &Path, mode: Mode) -> Result<Option<fs::File>> {
    if mode == Mode::Write {
        fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    } else if !out.is_dir() {
        return Ok(None);
    }
    let dir = fs::File::open(out).with_context(|| format!("cannot open {}", out.display()))?;
    let exclusive = mode == Mode::Write;
    let taken = if exclusive {
        dir.try_lock()
    } else {
        dir.try_lock_shared()
    };
    if taken.is_err() {
        eprintln!(
            "waiting for another panteras run to finish with {}",
            out.display()
        );
        let locked = if exclusive {
            dir.lock()
        } else {
            dir.lock_shared()
        };
        locked.with_context(|| format!("cannot lock {}", out.display()))?;
    }
    Ok(Some(dir))
}

/// Reads what is on disk where each file goes, refusing (all at once,
/// before anything is written) what panteras must not replace or follow.
fn inspect(out: &Path, files: &[RenderedFile]) -> Result<Vec<Current>> {
    let mut problems = Vec::new();
    let mut current = Vec::new();
    for file in files {
        match inspect_one(out, file) {
            Ok(found) => current.push(found),
            Err(problem) => problems.push(problem),
        }
    }
    if problems.is_empty() {
        return Ok(current);
    }
    problems.dedup();
    anyhow::bail!("{}\nnothing was written", problems.join("\n"))
}

fn inspect_one(out: &Path, file: &RenderedFile) -> Result<Current, String> {
    let mut path = out.to_path_buf();
    let parts: Vec<Component> = file.path.components().collect();
    for (i, part) in parts.iter().enumerate() {
        let Component::Normal(name) = part else {
            return Err(format!(
                "{}: not a plain relative path",
                file.path.display()
            ));
        };
        path.push(name);
        let last = i + 1 == parts.len();
        let meta = match fs::symlink_metadata(&path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Current::Missing),
            Err(e) => return Err(format!("{}: cannot read: {e}", path.display())),
        };
        let kind = meta.file_type();
        if kind.is_symlink() {
            if last && file.keep_existing {
                return Ok(Current::Link);
            }
            return Err(format!(
                "{}: a symbolic link; panteras follows no link below the output directory\n  \
                 fix: replace it by the {} it points to",
                path.display(),
                if last { "file" } else { "directory" }
            ));
        }
        if !last {
            if !kind.is_dir() {
                return Err(format!(
                    "{}: not a directory, and panteras writes {} there\n  fix: move it away",
                    path.display(),
                    file.path.display()
                ));
            }
            continue;
        }
        if kind.is_dir() {
            return Err(format!(
                "{}: a directory stands where panteras writes a file (Docker makes one when a \
                 mounted file is missing at `docker compose up`)\n  fix: remove it (rmdir {0}) \
                 and run panteras generate again",
                path.display()
            ));
        }
        if !kind.is_file() {
            return Err(format!(
                "{}: not a regular file (a FIFO, socket or device)\n  fix: move it away",
                path.display()
            ));
        }
        if file.keep_existing {
            return Ok(Current::File {
                bytes: Vec::new(),
                meta,
            });
        }
        let bytes = fs::read(&path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        return Ok(Current::File { bytes, meta });
    }
    Err(format!("{}: an empty path", file.path.display()))
}

/// Writes a set of files: every temporary file first (each in the
/// directory of the file it replaces), then the renames in order. On a
/// failure before the renames, the temporary files and the directories
/// made for them are removed and every old file is left as it was.
fn write_set(out: &Path, writes: &[(&RenderedFile, Option<&fs::Metadata>)]) -> Result<()> {
    let mut made_dirs: Vec<PathBuf> = Vec::new();
    let prepared: Result<Vec<_>> = writes
        .iter()
        .map(|(file, old)| {
            let path = out.join(&file.path);
            let dir = path.parent().unwrap_or(out);
            make_dirs(out, dir, &mut made_dirs)?;
            let tmp = temporary(&path, dir, &file.content, mode_for(*old, file.secret), *old)?;
            Ok((tmp, path))
        })
        .collect();
    let prepared = match prepared {
        Ok(prepared) => prepared,
        Err(error) => {
            for dir in made_dirs.iter().rev() {
                let _ = fs::remove_dir(dir);
            }
            return Err(error.context("nothing was written"));
        }
    };
    for (tmp, path) in prepared {
        tmp.persist(&path)
            .map_err(|e| e.error)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// Creates `dir` and its missing parents below `out`, recording each.
fn make_dirs(out: &Path, dir: &Path, made: &mut Vec<PathBuf>) -> Result<()> {
    let mut missing = Vec::new();
    let mut at = dir;
    while at != out && !at.exists() {
        missing.push(at.to_path_buf());
        match at.parent() {
            Some(parent) => at = parent,
            None => break,
        }
    }
    for dir in missing.into_iter().rev() {
        fs::create_dir(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        made.push(dir);
    }
    Ok(())
}

/// The mode of a written file: the replaced file's permission bits
/// (setuid, setgid and sticky dropped) or 0644; never more than 0600 for
/// a file holding a secret.
fn mode_for(old: Option<&fs::Metadata>, secret: bool) -> u32 {
    let mode = old.map_or(0o644, |meta| meta.permissions().mode() & 0o777);
    if secret { mode & 0o600 } else { mode }
}

/// A complete temporary file beside `path`, with the owner and group of
/// the file it replaces where this user may set them.
fn temporary(
    path: &Path,
    dir: &Path,
    content: &str,
    mode: u32,
    old: Option<&fs::Metadata>,
) -> Result<tempfile::NamedTempFile> {
    let context = || format!("cannot write {}", path.display());
    let mut tmp = tempfile::Builder::new()
        .prefix(".panteras-")
        .permissions(fs::Permissions::from_mode(0o600))
        .tempfile_in(dir)
        .with_context(context)?;
    tmp.write_all(content.as_bytes()).with_context(context)?;
    if let Some(old) = old {
        let file = tmp.as_file();
        // Another user's file is kept theirs when this run may (root);
        // otherwise its group when this user is in it; else it becomes ours.
        if std::os::unix::fs::fchown(file, Some(old.uid()), Some(old.gid())).is_err() {
            let _ = std::os::unix::fs::fchown(file, None, Some(old.gid()));
        }
    }
    tmp.as_file()
        .set_permissions(fs::Permissions::from_mode(mode))
        .with_context(context)?;
    Ok(tmp)
}

/// A written path as the user would type it from where panteras runs.
fn shown(out: &Path, cwd: Option<&Path>, path: &Path) -> String {
    let full = out.join(path);
    let relative = cwd
        .and_then(|cwd| full.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or(full);
    let relative = relative.strip_prefix(".").unwrap_or(&relative);
    relative.display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(content: &str) -> Vec<RenderedFile> {
        vec![
            RenderedFile::new("docker-compose.yml", content.into()),
            env_file(Path::new("")),
        ]
    }

    /// Applies `files` under `out`; the printed paths are made relative to it.
    fn apply_files(out: &Path, files: &[RenderedFile], mode: Mode) -> Result<(bool, String)> {
        let mut printed = Vec::new();
        let changed = apply(out, files, mode, &mut printed)?;
        let printed = String::from_utf8(printed).unwrap();
        Ok((changed, printed.replace(&format!("{}/", out.display()), "")))
    }

    fn run(out: &Path, content: &str, mode: Mode) -> (bool, String) {
        apply_files(out, &file(content), mode).unwrap()
    }

    fn mode_of(path: &Path) -> u32 {
        fs::symlink_metadata(path).unwrap().permissions().mode() & 0o7777
    }

    fn leftovers(dir: &Path) -> Vec<String> {
        fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with(".panteras-"))
            .collect()
    }

    #[test]
    fn writes_new_files_with_0644_and_creates_the_env_file() {
        let tmp = tempfile::tempdir().unwrap();
        let (changed, printed) = run(tmp.path(), "a\n", Mode::Write);
        assert!(changed);
        // docker-compose.yml is written last.
        assert_eq!(
            printed,
            "created restricted/env (empty)\nwrote docker-compose.yml\n"
        );
        assert_eq!(mode_of(&tmp.path().join("docker-compose.yml")), 0o644);
        assert_eq!(fs::read_to_string(tmp.path().join(ENV_FILE)).unwrap(), "");
    }

    #[test]
    fn unchanged_files_are_not_rewritten() {
        let tmp = tempfile::tempdir().unwrap();
        run(tmp.path(), "a\n", Mode::Write);
        let path = tmp.path().join("docker-compose.yml");
        let before = fs::metadata(&path).unwrap();
        let (changed, printed) = run(tmp.path(), "a\n", Mode::Write);
        assert!(!changed);
        assert_eq!(printed, "unchanged docker-compose.yml\n");
        let after = fs::metadata(&path).unwrap();
        assert_eq!(before.modified().unwrap(), after.modified().unwrap());
        assert_eq!(before.ino(), after.ino());
    }

    #[test]
    fn old_content_is_compared_as_bytes() {
        // Read lossily, the invalid byte would equal the new U+FFFD.
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("docker-compose.yml");
        fs::write(&path, b"\xff\n").unwrap();
        let (changed, printed) = run(tmp.path(), "\u{fffd}\n", Mode::Write);
        assert!(changed);
        assert!(printed.contains("wrote docker-compose.yml"), "{printed}");
        assert_eq!(fs::read_to_string(&path).unwrap(), "\u{fffd}\n");
    }

    #[test]
    fn a_replaced_file_keeps_its_mode_and_the_env_file_is_never_overwritten() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("docker-compose.yml");
        fs::write(&path, "old\n").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        fs::create_dir_all(tmp.path().join("restricted")).unwrap();
        fs::write(tmp.path().join(ENV_FILE), "SECRET=1\n").unwrap();
        run(tmp.path(), "new\n", Mode::Write);
        assert_eq!(fs::read_to_string(&path).unwrap(), "new\n");
        assert_eq!(mode_of(&path), 0o640);
        assert_eq!(
            fs::read_to_string(tmp.path().join(ENV_FILE)).unwrap(),
            "SECRET=1\n"
        );
        assert!(leftovers(tmp.path()).is_empty());
    }

    #[test]
    fn a_replaced_file_keeps_owner_and_group_and_loses_setuid_and_setgid() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("docker-compose.yml");
        fs::write(&path, "old\n").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o6755)).unwrap();
        let root = fs::metadata(&path).unwrap().uid() == 0;
        if root {
            std::os::unix::fs::chown(&path, Some(4321), Some(8765)).unwrap();
        }
        let before = fs::metadata(&path).unwrap();
        run(tmp.path(), "new\n", Mode::Write);
        let after = fs::metadata(&path).unwrap();
        assert_ne!(before.ino(), after.ino());
        assert_eq!((after.uid(), after.gid()), (before.uid(), before.gid()));
        assert_eq!(mode_of(&path), 0o755);
    }

    #[test]
    fn a_file_holding_a_secret_is_never_readable_by_others() {
        let tmp = tempfile::tempdir().unwrap();
        let secret = |name: &str| RenderedFile::new(name, "password=x\n".into()).secret_if(true);
        let loose = tmp.path().join("loose");
        fs::write(&loose, "old\n").unwrap();
        fs::set_permissions(&loose, fs::Permissions::from_mode(0o664)).unwrap();
        let strict = tmp.path().join("strict");
        fs::write(&strict, "old\n").unwrap();
        fs::set_permissions(&strict, fs::Permissions::from_mode(0o400)).unwrap();
        let files = [secret("new"), secret("loose"), secret("strict")];
        apply_files(tmp.path(), &files, Mode::Write).unwrap();
        assert_eq!(mode_of(&tmp.path().join("new")), 0o600);
        assert_eq!(mode_of(&loose), 0o600);
        assert_eq!(mode_of(&strict), 0o400);
    }

    /// Every file under `dir` (links not followed) with its bytes.
    fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
        let mut found = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(at) = stack.pop() {
            for entry in fs::read_dir(&at).unwrap() {
                let path = entry.unwrap().path();
                let meta = fs::symlink_metadata(&path).unwrap();
                if meta.is_dir() {
                    stack.push(path);
                } else if meta.is_file() {
                    found.push((path.clone(), fs::read(&path).unwrap()));
                } else {
                    found.push((
                        path.clone(),
                        fs::read_link(&path)
                            .unwrap_or_default()
                            .into_os_string()
                            .into_encoded_bytes(),
                    ));
                }
            }
        }
        found.sort();
        found
    }

    #[test]
    fn no_link_below_the_output_directory_is_followed() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let elsewhere = tmp.path().join("elsewhere");
        fs::create_dir_all(&out).unwrap();
        fs::create_dir_all(&elsewhere).unwrap();
        std::os::unix::fs::symlink(&elsewhere, out.join("generated")).unwrap();
        fs::write(elsewhere.join("target"), "mine\n").unwrap();
        std::os::unix::fs::symlink(elsewhere.join("target"), out.join("docker-compose.yml"))
            .unwrap();
        let before = snapshot(tmp.path());
        let files = [
            RenderedFile::new("docker-compose.yml", "x\n".into()),
            RenderedFile::new("generated/supervisord/supervisord.conf", "y\n".into()),
        ];
        let error = apply_files(&out, &files, Mode::Write)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("out/generated: a symbolic link; panteras follows no link"),
            "{error}"
        );
        assert!(
            error.contains("out/docker-compose.yml: a symbolic link"),
            "{error}"
        );
        assert!(error.ends_with("nothing was written"), "{error}");
        assert_eq!(snapshot(tmp.path()), before);
    }

    #[test]
    fn a_link_as_env_file_even_dangling_is_left_alone() {
        let tmp = tempfile::tempdir().unwrap();
        fs::create_dir_all(tmp.path().join("restricted")).unwrap();
        let link = tmp.path().join(ENV_FILE);
        std::os::unix::fs::symlink("/nonexistent/secrets.env", &link).unwrap();
        let (_, printed) = run(tmp.path(), "a\n", Mode::Write);
        assert_eq!(printed, "wrote docker-compose.yml\n");
        assert_eq!(
            fs::read_link(&link).unwrap(),
            Path::new("/nonexistent/secrets.env")
        );
    }

    #[test]
    fn a_fifo_or_a_file_where_a_directory_goes_is_refused_before_writing() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("docker-compose.yml"), "old\n").unwrap();
        fs::write(tmp.path().join("generated"), "a file\n").unwrap();
        let fifo = tmp.path().join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let before = snapshot(tmp.path());
        let files = [
            RenderedFile::new("docker-compose.yml", "new\n".into()),
            RenderedFile::new("generated/haproxy/haproxy.cfg", "x\n".into()),
            RenderedFile::new("fifo", "y\n".into()),
        ];
        let error = apply_files(tmp.path(), &files, Mode::Write)
            .unwrap_err()
            .to_string();
        assert!(error.contains("generated: not a directory"), "{error}");
        assert!(error.contains("fifo: not a regular file"), "{error}");
        assert_eq!(snapshot(tmp.path()), before);
    }

    #[test]
    fn dry_run_diff_and_check_write_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("docker-compose.yml");
        fs::write(&path, "one\ntwo\n").unwrap();
        let (changed, printed) = run(tmp.path(), "one\nthree\n", Mode::DryRun);
        assert!(changed);
        assert_eq!(
            printed,
            "# would write: docker-compose.yml\none\nthree\n# would create restricted/env (empty)\n"
        );
        let (_, printed) = run(tmp.path(), "one\nthree\n", Mode::Diff);
        assert!(
            printed.contains("--- a/docker-compose.yml\n+++ b/docker-compose.yml\n"),
            "{printed}"
        );
        assert!(printed.contains("-two\n+three\n"), "{printed}");
        let (changed, printed) = run(tmp.path(), "one\nthree\n", Mode::Check);
        assert!(changed);
        assert_eq!(
            printed,
            "out of date: docker-compose.yml\nmissing: restricted/env\n"
        );
        assert_eq!(fs::read_to_string(&path).unwrap(), "one\ntwo\n");
        assert!(!tmp.path().join(ENV_FILE).exists());
    }
}
