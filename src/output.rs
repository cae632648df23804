//! Putting rendered files on disk, or showing what that would change:
//! atomic writes that skip unchanged files and keep the replaced file's
//! mode, `--dry-run`, `--diff` and `--check`.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

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
    refuse_directories(out, files)?;
    // The compose file goes last, so that a failure part-way never leaves
    // a compose file that mounts daemon files not yet written.
    let mut order: Vec<&RenderedFile> = files.iter().collect();
    if mode == Mode::Write {
        order.sort_by_key(|f| f.path.ends_with("docker-compose.yml"));
    }
    let mut changed = false;
    for file in order {
        let path = out.join(&file.path);
        let current = read_existing(&path)?;
        let shown = file.path.display();
        if file.keep_existing {
            if current.is_none() {
                changed = true;
                match mode {
                    Mode::Write => {
                        write_atomic(&path, &file.content)?;
                        writeln!(stdout, "created {shown} (empty)")?;
                    }
                    Mode::DryRun | Mode::Diff => {
                        writeln!(stdout, "# would create {shown} (empty)")?
                    }
                    Mode::Check | Mode::DiffCheck => writeln!(stdout, "missing: {shown}")?,
                }
            }
            continue;
        }
        let differs = current.as_deref() != Some(file.content.as_str());
        changed |= differs;
        match mode {
            Mode::Write if differs => {
                write_atomic(&path, &file.content)?;
                writeln!(stdout, "wrote {shown}")?;
            }
            Mode::Write => writeln!(stdout, "unchanged {shown}")?,
            Mode::DryRun => {
                let state = if differs { "would write" } else { "unchanged" };
                writeln!(stdout, "# {state}: {shown}")?;
                stdout.write_all(file.content.as_bytes())?;
            }
            Mode::Diff | Mode::DiffCheck | Mode::Check => {
                if differs && mode != Mode::Check {
                    let old = current.as_deref().unwrap_or("");
                    let old_name = if current.is_some() {
                        format!("a/{shown}")
                    } else {
                        "/dev/null".into()
                    };
                    let diff = TextDiff::from_lines(old, file.content.as_str());
                    write!(
                        stdout,
                        "{}",
                        diff.unified_diff().header(&old_name, &format!("b/{shown}"))
                    )?;
                }
                if differs && mode != Mode::Diff {
                    writeln!(stdout, "out of date: {shown}")?;
                }
            }
        }
    }
    Ok(changed)
}

/// Refuses, before anything is written, every place where a file should go
/// and a directory stands: Docker makes one when a mounted file is missing.
fn refuse_directories(out: &Path, files: &[RenderedFile]) -> Result<()> {
    let problems: Vec<String> = files
        .iter()
        .map(|f| out.join(&f.path))
        .filter(|path| fs::symlink_metadata(path).is_ok_and(|m| m.is_dir()))
        .map(|path| {
            format!(
                "{}: a directory stands where panteras writes a file (Docker makes one when a \
                 mounted file is missing at `docker compose up`)\n  fix: remove it (rmdir {0}) and \
                 run panteras generate again",
                path.display()
            )
        })
        .collect();
    if problems.is_empty() {
        return Ok(());
    }
    anyhow::bail!("{}\nnothing was written", problems.join("\n"))
}

fn read_existing(path: &Path) -> Result<Option<String>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Writes through a temporary file in the same directory and a rename, so
/// a reader sees the old file or the new one, never half of one. The new
/// file keeps the mode of the one it replaces (0644 for a new file).
pub fn write_atomic(path: &Path, content: &str) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let permissions = match fs::metadata(path) {
        Ok(meta) => meta.permissions(),
        Err(_) => fs::Permissions::from_mode(0o644),
    };
    let context = || format!("cannot write {}", path.display());
    let mut tmp = tempfile::Builder::new()
        .prefix(".panteras-")
        .tempfile_in(dir)
        .with_context(context)?;
    tmp.write_all(content.as_bytes()).with_context(context)?;
    tmp.as_file()
        .set_permissions(permissions)
        .with_context(context)?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(context)?;
    Ok(())
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

    fn run(out: &Path, content: &str, mode: Mode) -> (bool, String) {
        let mut printed = Vec::new();
        let changed = apply(out, &file(content), mode, &mut printed).unwrap();
        (changed, String::from_utf8(printed).unwrap())
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
        let meta = fs::metadata(tmp.path().join("docker-compose.yml")).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o644);
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
        use std::os::unix::fs::MetadataExt;
        assert_eq!(before.ino(), after.ino());
    }

    #[test]
    fn a_replaced_file_keeps_its_mode_and_the_env_file_is_never_overwritten() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("docker-compose.yml");
        fs::write(&path, "old\n").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        fs::create_dir_all(tmp.path().join("restricted")).unwrap();
        fs::write(tmp.path().join(ENV_FILE), "SECRET=1\n").unwrap();
        run(tmp.path(), "new\n", Mode::Write);
        assert_eq!(fs::read_to_string(&path).unwrap(), "new\n");
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            fs::read_to_string(tmp.path().join(ENV_FILE)).unwrap(),
            "SECRET=1\n"
        );
        let leftovers: Vec<_> = fs::read_dir(tmp.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with(".panteras-"))
            .collect();
        assert!(leftovers.is_empty());
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
