//! Putting rendered files on disk, or showing what that would change.
//!
//! A run holds a lock on the output directory, refuses before anything is
//! written what it cannot replace (a directory, a symbolic link, a FIFO),
//! then writes the whole set: every temporary file first, then the
//! renames, docker-compose.yml last. Every path below the output directory
//! is reached through directory descriptors without following a link, and
//! no descriptor outlives the file it serves, so any number of files can be
//! written. Unchanged files are left alone; a replaced file keeps its
//! owner, group and mode (without setuid and setgid); a file holding a
//! secret belongs to the running user and is never readable by others, and
//! one that is (changed or not) is replaced.

mod at;
mod lock;
mod write;

use std::ffi::OsStr;
use std::fs;
use std::io::Write;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use similar::TextDiff;

use crate::render::RenderedFile;
pub use write::prune;
use write::write_set;

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

/// The compose `env_file`: created empty (0600) when missing, never overwritten.
pub const ENV_FILE: &str = "restricted/env";

/// The largest file compared as it is: anything larger differs.
const LIMIT: u64 = 16 * 1024 * 1024;

/// The compose `env_file` of a host directory (`prefix`, empty for the
/// output directory itself).
pub fn env_file(prefix: &Path) -> RenderedFile {
    RenderedFile {
        path: prefix.join(ENV_FILE),
        content: String::new(),
        keep_existing: true,
        secret: false,
        runner_owned: false,
    }
}

/// What stands where a file goes, as far as this run cares.
enum Current {
    Missing,
    /// A symbolic link where a file that is never replaced goes.
    Link,
    /// A regular file: whether it holds the new content, and its mode and
    /// owner.
    File {
        same: bool,
        mode: u32,
        uid: u32,
        gid: u32,
    },
}

/// The mode, owner and group of a file that is replaced.
type Old = Option<(u32, u32, u32)>;

/// Why a file is written although its content may be the same.
fn insecure(file: &RenderedFile, mode: u32, uid: u32) -> Option<String> {
    if !file.secret {
        return None;
    }
    if mode & 0o077 != 0 {
        Some(format!(
            "mode {:04o}: a file holding a secret is 0600",
            mode & 0o777
        ))
    } else if uid != rustix::process::geteuid().as_raw() {
        Some(format!(
            "owned by uid {uid}: a file holding a secret belongs to the user panteras runs as"
        ))
    } else {
        None
    }
}

/// Standard output of a run: a failure to print says whether the files
/// were written or not (the kind of error stays, so a closed pipe is still
/// one).
struct Printer<'a> {
    to: &'a mut dyn Write,
    written: bool,
}

impl Write for Printer<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.to.write(bytes).map_err(|e| self.explain(e))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.to.flush().map_err(|e| self.explain(e))
    }
}

impl Printer<'_> {
    fn explain(&self, e: std::io::Error) -> std::io::Error {
        let what = if self.written {
            "the files were written, but printing their names to standard output failed"
        } else {
            "cannot write to standard output, and nothing was written"
        };
        std::io::Error::new(e.kind(), format!("{what}: {e}"))
    }
}

/// Applies `mode` to `files` under `out`, printing to `stdout`. Returns
/// whether anything differs from the disk.
pub fn apply(
    out: &Path,
    files: &[RenderedFile],
    mode: Mode,
    stdout: &mut dyn Write,
) -> Result<bool> {
    let stdout = &mut Printer {
        to: stdout,
        written: false,
    };
    if mode == Mode::Write {
        fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    }
    let root = match at::open_root(out) {
        Ok(root) => Some(root),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && mode != Mode::Write => None,
        Err(e) => return Err(e).with_context(|| format!("cannot open {}", out.display())),
    };
    let _lock = match &root {
        Some(root) => Some(lock::take(root, out, mode == Mode::Write)?),
        None => None,
    };
    let current = match &root {
        Some(root) => inspect(root, out, files)?,
        None => files.iter().map(|_| Current::Missing).collect(),
    };
    let cwd = std::env::current_dir().ok();
    let shown = |path: &Path| shown(out, cwd.as_deref(), path);
    let mut changed = false;
    let mut writes: Vec<(&RenderedFile, Old)> = Vec::new();
    for (file, current) in files.iter().zip(&current) {
        let path = shown(&file.path);
        if file.keep_existing {
            if matches!(current, Current::Missing) {
                changed = true;
                match mode {
                    Mode::Write => writes.push((file, None)),
                    Mode::DryRun | Mode::Diff => writeln!(stdout, "# would create {path} (empty)")?,
                    Mode::Check | Mode::DiffCheck => writeln!(stdout, "missing: {path}")?,
                }
            }
            continue;
        }
        let (same, old, why) = match current {
            Current::File {
                same,
                mode,
                uid,
                gid,
            } => (
                *same,
                Some((*mode, *uid, *gid)),
                insecure(file, *mode, *uid),
            ),
            _ => (false, None, None),
        };
        let differs = !same || why.is_some();
        changed |= differs;
        let reason = why.as_ref().map(|w| format!(" ({w})")).unwrap_or_default();
        match mode {
            Mode::Write if differs => writes.push((file, old)),
            Mode::Write => writeln!(stdout, "unchanged {path}")?,
            Mode::DryRun => {
                let state = if differs { "would write" } else { "unchanged" };
                writeln!(stdout, "# {state}: {path}{reason}")?;
                stdout.write_all(file.content.as_bytes())?;
            }
            Mode::Diff | Mode::DiffCheck | Mode::Check => {
                if differs && mode != Mode::Check {
                    if same {
                        writeln!(stdout, "# {path}: rewritten{reason}")?;
                    } else {
                        let old_text = match (&root, old.is_some()) {
                            (Some(root), true) => old_text(root, &file.path),
                            _ => None,
                        };
                        show_diff(stdout, file, old.is_some(), old_text.as_deref())?;
                    }
                }
                if differs && mode != Mode::Diff {
                    writeln!(stdout, "out of date: {path}{reason}")?;
                }
            }
        }
    }
    if let (false, Some(root)) = (writes.is_empty(), &root) {
        // The compose file goes last, so that a failure part-way never
        // leaves a compose file that mounts daemon files not yet written.
        writes.sort_by_key(|(f, _)| f.path.ends_with("docker-compose.yml"));
        write_set(root, out, &writes)?;
        stdout.written = true;
        for (file, _) in &writes {
            let path = shown(&file.path);
            if file.keep_existing {
                writeln!(stdout, "created {path} (empty)")?;
            } else {
                writeln!(stdout, "wrote {path}")?;
            }
        }
    }
    Ok(changed)
}

/// Prints how `file` would change: a compose file by what the container
/// gets, whatever the old one's format; any other file as a unified diff.
fn show_diff(
    stdout: &mut dyn Write,
    file: &RenderedFile,
    exists: bool,
    old: Option<&[u8]>,
) -> Result<()> {
    let relative = file.path.display();
    if exists && old.is_none() {
        writeln!(
            stdout,
            "# {relative}: the file on disk is larger than {} MiB; not shown",
            LIMIT >> 20
        )?;
        return Ok(());
    }
    let old_text = String::from_utf8_lossy(old.unwrap_or_default());
    if exists
        && file.path.ends_with("docker-compose.yml")
        && let Some(changes) = crate::container::diff(&old_text, &file.content)
    {
        stdout.write_all(changes.as_bytes())?;
        return Ok(());
    }
    let old_name = if exists {
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
    Ok(())
}

/// The bytes of the file at `path` below `root`, when it is no larger than
/// the limit.
fn old_text(root: &OwnedFd, path: &Path) -> Option<Vec<u8>> {
    let parts = at::parts(path).ok()?;
    let (name, parents) = parts.split_last()?;
    let dir = at::open_dir(root, parents, false, &mut |_| {}).ok()?;
    let mut file = at::open_file(&dir, name).ok()?;
    at::read_at_most(&mut file, LIMIT).ok().flatten()
}

/// Looks at what stands where each file goes, refusing (all at once,
/// before anything is written) what panteras must not replace or follow.
fn inspect(root: &OwnedFd, out: &Path, files: &[RenderedFile]) -> Result<Vec<Current>> {
    let mut problems = Vec::new();
    let mut current = Vec::with_capacity(files.len());
    let mut walker = at::Walker::new(root);
    for file in files {
        match inspect_one(&mut walker, out, file) {
            Ok(found) => current.push(found),
            Err(problem) => {
                if !problems.contains(&problem) {
                    problems.push(problem);
                }
                current.push(Current::Missing);
            }
        }
    }
    if problems.is_empty() {
        return Ok(current);
    }
    bail!("{}\nnothing was written", problems.join("\n"))
}

/// The path of the first `count` components of `parts` under `out`.
fn joined(out: &Path, parts: &[&OsStr], count: usize) -> PathBuf {
    parts[..count]
        .iter()
        .fold(out.to_path_buf(), |p, c| p.join(c))
}

fn inspect_one(
    walker: &mut at::Walker,
    out: &Path,
    file: &RenderedFile,
) -> Result<Current, String> {
    let parts = at::parts(&file.path)?;
    let (name, parents) = parts
        .split_last()
        .ok_or_else(|| format!("{}: an empty path", file.path.display()))?;
    let dir = match walker.dir(parents, false, &mut |_| {}) {
        Ok(dir) => dir,
        Err(at::Blocked::Missing) => return Ok(Current::Missing),
        Err(at::Blocked::At(i, why)) => {
            let path = joined(out, &parts, i + 1);
            return Err(if why.starts_with("not a directory") {
                format!(
                    "{}: not a directory, and panteras writes {} there\n  fix: move it away",
                    path.display(),
                    file.path.display()
                )
            } else {
                format!("{}: {why}", path.display())
            });
        }
    };
    let path = out.join(&file.path);
    let stat = match at::kind(dir, name) {
        Ok(None) => return Ok(Current::Missing),
        Ok(Some(stat)) => stat,
        Err(e) => return Err(format!("{}: cannot read: {e}", path.display())),
    };
    use rustix::fs::FileType;
    match at::file_type(&stat) {
        FileType::Symlink if file.keep_existing => return Ok(Current::Link),
        FileType::Symlink => {
            return Err(format!(
                "{}: a symbolic link; panteras follows no link below the output directory\n  \
                 fix: replace it by the file it points to",
                path.display()
            ));
        }
        FileType::Directory => {
            return Err(format!(
                "{}: a directory stands where panteras writes a file (Docker makes one when a \
                 mounted file is missing at `docker compose up`)\n  fix: remove it (rmdir {0}) \
                 and run panteras generate again",
                path.display()
            ));
        }
        FileType::RegularFile => {}
        _ => {
            return Err(format!(
                "{}: not a regular file (a FIFO, socket or device)\n  fix: move it away",
                path.display()
            ));
        }
    }
    let (mode, uid, gid) = (stat.st_mode, stat.st_uid, stat.st_gid);
    if file.keep_existing {
        return Ok(Current::File {
            same: true,
            mode,
            uid,
            gid,
        });
    }
    let mut opened =
        at::open_file(dir, name).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let same = at::same_content(&mut opened, stat.st_size as u64, file.content.as_bytes())
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    Ok(Current::File {
        same,
        mode,
        uid,
        gid,
    })
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
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

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

    #[test]
    fn a_secret_file_is_made_ours_and_0600_even_when_its_content_is_the_same() {
        let tmp = tempfile::tempdir().unwrap();
        let secret = [RenderedFile::new("secret", "password=x\n".into()).secret_if(true)];
        apply_files(tmp.path(), &secret, Mode::Write).unwrap();
        let path = tmp.path().join("secret");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let (changed, printed) = apply_files(tmp.path(), &secret, Mode::Check).unwrap();
        assert!(changed, "--check passes a secret readable by others");
        assert_eq!(
            printed,
            "out of date: secret (mode 0644: a file holding a secret is 0600)\n"
        );
        apply_files(tmp.path(), &secret, Mode::Write).unwrap();
        assert_eq!(mode_of(&path), 0o600);
        // Planted by another user (root can plant it): the new file is ours.
        if fs::metadata(&path).unwrap().uid() == 0 {
            std::os::unix::fs::chown(&path, Some(4321), Some(4321)).unwrap();
            let (changed, printed) = apply_files(tmp.path(), &secret, Mode::Check).unwrap();
            assert!(
                changed && printed.contains("owned by uid 4321"),
                "{printed}"
            );
            apply_files(tmp.path(), &secret, Mode::Write).unwrap();
            assert_eq!(fs::metadata(&path).unwrap().uid(), 0);
            assert_eq!(fs::read_to_string(&path).unwrap(), "password=x\n");
        }
    }

    #[test]
    fn the_env_file_is_created_0600_and_a_killed_runs_temporaries_go() {
        let tmp = tempfile::tempdir().unwrap();
        fs::create_dir_all(tmp.path().join("restricted")).unwrap();
        fs::write(tmp.path().join(".panteras-999-0"), "half").unwrap();
        fs::write(tmp.path().join("restricted/.panteras-999-1"), "half").unwrap();
        run(tmp.path(), "a\n", Mode::Write);
        assert_eq!(mode_of(&tmp.path().join(ENV_FILE)), 0o600);
        assert!(
            leftovers(tmp.path()).is_empty(),
            "{:?}",
            leftovers(tmp.path())
        );
        assert!(leftovers(&tmp.path().join("restricted")).is_empty());
    }

    #[test]
    fn a_large_file_on_disk_is_not_read_to_compare_it() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("docker-compose.yml");
        // A sparse file of 3 GB: reading it whole would take that much memory.
        let big = fs::File::create(&path).unwrap();
        big.set_len(3 << 30).unwrap();
        let (changed, printed) = run(tmp.path(), "a\n", Mode::Diff);
        assert!(changed);
        assert!(
            printed.contains("larger than 16 MiB; not shown"),
            "{printed}"
        );
        run(tmp.path(), "a\n", Mode::Write);
        assert_eq!(fs::read_to_string(&path).unwrap(), "a\n");
    }

    /// Standard output that is full.
    struct Full;

    impl Write for Full {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::from_raw_os_error(28))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_full_standard_output_says_whether_the_files_were_written() {
        let tmp = tempfile::tempdir().unwrap();
        let error = apply(tmp.path(), &file("a\n"), Mode::Write, &mut Full)
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("the files were written, but printing their names"),
            "{error}"
        );
        assert!(tmp.path().join("docker-compose.yml").exists());
        let error = apply(tmp.path(), &file("b\n"), Mode::Diff, &mut Full)
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("cannot write to standard output, and nothing was written"),
            "{error}"
        );
    }

    #[test]
    fn a_directory_swapped_for_a_link_after_the_checks_is_not_followed() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let elsewhere = tmp.path().join("elsewhere");
        fs::create_dir_all(out.join("generated")).unwrap();
        fs::create_dir_all(&elsewhere).unwrap();
        let files = [RenderedFile::new("generated/x.cfg", "x\n".into())];
        let root = at::open_root(&out).unwrap();
        let current = inspect(&root, &out, &files).unwrap();
        assert!(matches!(current[0], Current::Missing));
        // Between the checks and the writes, generated/ becomes a link.
        fs::remove_dir(out.join("generated")).unwrap();
        std::os::unix::fs::symlink(&elsewhere, out.join("generated")).unwrap();
        let error = write_set(&root, &out, &[(&files[0], None)])
            .unwrap_err()
            .to_string();
        assert!(error.contains("nothing was written"), "{error}");
        assert_eq!(fs::read_dir(&elsewhere).unwrap().count(), 0);
    }
}
