//! Paths below the output directory reached through directory descriptors,
//! one component at a time and never through a symbolic link: a directory
//! swapped for a link between two steps of a run is refused, not followed.
//! A descriptor is held only while one file is handled, so a run of any
//! number of files needs a handful.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path};

use rustix::fs::{AtFlags, CWD, Dir, FileType, Mode, OFlags, Stat};
use rustix::io::Errno;

/// The prefix of the temporary files a run writes beside the files it
/// replaces; what a killed run left is removed by the next.
pub const TEMPORARY: &str = ".panteras-";

const DIRECTORY: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);

/// Opens the output directory itself (it may be a link: the user names it).
pub fn open_root(out: &Path) -> io::Result<OwnedFd> {
    Ok(rustix::fs::openat(
        CWD,
        out,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?)
}

/// The plain components of a relative path, or why it is not one.
pub fn parts(path: &Path) -> Result<Vec<&OsStr>, String> {
    path.components()
        .map(|c| match c {
            Component::Normal(name) => Ok(name),
            _ => Err(format!("{}: not a plain relative path", path.display())),
        })
        .collect()
}

/// What stands at a name, links not followed; `None` when nothing does.
pub fn kind(dir: &OwnedFd, name: &OsStr) -> io::Result<Option<Stat>> {
    match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(stat) => Ok(Some(stat)),
        Err(Errno::NOENT) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The type of what a stat describes.
pub fn file_type(stat: &Stat) -> FileType {
    FileType::from_raw_mode(stat.st_mode)
}

/// Why a directory below the output directory cannot be entered.
pub enum Blocked {
    /// Nothing stands there.
    Missing,
    /// A problem with the component at this index.
    At(usize, String),
}

/// Opens the directory of `parts` below `root`, component by component,
/// refusing links and whatever is not a directory. With `create`, missing
/// directories are made (mode 0755) and each made one is passed to
/// `made` (its components).
pub fn open_dir(
    root: &OwnedFd,
    parts: &[&OsStr],
    create: bool,
    made: &mut dyn FnMut(usize),
) -> Result<OwnedFd, Blocked> {
    let mut dir = rustix::io::dup(root).map_err(|e| Blocked::At(0, e.to_string()))?;
    for (i, name) in parts.iter().enumerate() {
        let found = kind(&dir, name).map_err(|e| Blocked::At(i, format!("cannot read: {e}")))?;
        match found.map(|s| file_type(&s)) {
            None if create => {
                rustix::fs::mkdirat(&dir, *name, Mode::from_raw_mode(0o755))
                    .map_err(|e| Blocked::At(i, format!("cannot create: {e}")))?;
                made(i + 1);
            }
            None => return Err(Blocked::Missing),
            Some(FileType::Symlink) => {
                return Err(Blocked::At(
                    i,
                    "a symbolic link; panteras follows no link below the output directory\n  \
                     fix: replace it by the directory it points to"
                        .into(),
                ));
            }
            Some(FileType::Directory) => {}
            Some(_) => {
                return Err(Blocked::At(
                    i,
                    "not a directory\n  fix: move it away".into(),
                ));
            }
        }
        dir = rustix::fs::openat(&dir, *name, DIRECTORY, Mode::empty()).map_err(|e| {
            let why = if e == Errno::LOOP || e == Errno::NOTDIR {
                "became a symbolic link or another file while panteras ran; nothing is followed"
                    .to_string()
            } else {
                format!("cannot open: {e}")
            };
            Blocked::At(i, why)
        })?;
    }
    Ok(dir)
}

/// Walks to directory after directory below the root, keeping open only
/// the chain of the current one (as many descriptors as it is deep): files
/// that share directories, as a host's do, open each of them once.
pub struct Walker<'r> {
    root: &'r OwnedFd,
    open: Vec<(std::ffi::OsString, OwnedFd)>,
}

impl<'r> Walker<'r> {
    pub fn new(root: &'r OwnedFd) -> Walker<'r> {
        Walker {
            root,
            open: Vec::new(),
        }
    }

    /// The directory of `parts`, as [`open_dir`] opens it, reusing the
    /// directories it shares with the last one.
    pub fn dir(
        &mut self,
        parts: &[&OsStr],
        create: bool,
        made: &mut dyn FnMut(usize),
    ) -> Result<&OwnedFd, Blocked> {
        let shared = self
            .open
            .iter()
            .zip(parts)
            .take_while(|((open, _), part)| open.as_os_str() == **part)
            .count();
        self.open.truncate(shared);
        for i in shared..parts.len() {
            let parent = match self.open.last() {
                Some((_, fd)) => fd,
                None => self.root,
            };
            let fd = open_dir(parent, &parts[i..=i], create, &mut |_| made(i + 1)).map_err(
                |blocked| match blocked {
                    Blocked::At(_, why) => Blocked::At(i, why),
                    missing => missing,
                },
            )?;
            self.open.push((parts[i].to_os_string(), fd));
        }
        Ok(match self.open.last() {
            Some((_, fd)) => fd,
            None => self.root,
        })
    }
}

/// Opens a regular file at `name` of `dir` for reading, links refused, and
/// a FIFO or device never waited on.
pub fn open_file(dir: &OwnedFd, name: &OsStr) -> io::Result<File> {
    let fd = rustix::fs::openat(
        dir,
        name,
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    Ok(File::from(fd))
}

/// Whether `file` holds exactly `content` (its size is compared first, so
/// a huge file is not read).
pub fn same_content(file: &mut File, size: u64, content: &[u8]) -> io::Result<bool> {
    if size != content.len() as u64 {
        return Ok(false);
    }
    let mut buffer = vec![0u8; 64 * 1024];
    let mut at = 0;
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            return Ok(at == content.len());
        }
        if at + n > content.len() || buffer[..n] != content[at..at + n] {
            return Ok(false);
        }
        at += n;
    }
}

/// Reads at most `limit` bytes of `file`; `None` when it holds more.
pub fn read_at_most(file: &mut File, limit: u64) -> io::Result<Option<Vec<u8>>> {
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= limit).then_some(bytes))
}

/// Writes a new temporary file in `dir` (mode 0600 until `mode` is set)
/// holding `content`, with the owner and group `owner` when given and this
/// user may set them; returns its name. The descriptor is closed before
/// this returns.
pub fn write_temporary(
    dir: &OwnedFd,
    content: &[u8],
    mode: u32,
    owner: Option<(u32, u32)>,
) -> io::Result<String> {
    for attempt in 0u32.. {
        let name = format!("{TEMPORARY}{}-{attempt}", std::process::id());
        let fd = match rustix::fs::openat(
            dir,
            name.as_str(),
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o600),
        ) {
            Ok(fd) => fd,
            Err(Errno::EXIST) => continue,
            Err(e) => return Err(e.into()),
        };
        let mut file = File::from(fd);
        let written = file.write_all(content).and_then(|()| {
            if let Some((uid, gid)) = owner {
                use rustix::fs::{Gid, Uid, fchown};
                // Another user's file is kept theirs when this run may
                // (root); otherwise its group when this user is in it.
                let uid = Uid::from_raw(uid);
                let gid = Gid::from_raw(gid);
                if fchown(&file, Some(uid), Some(gid)).is_err() {
                    let _ = fchown(&file, None, Some(gid));
                }
            }
            rustix::fs::fchmod(&file, Mode::from_raw_mode(mode))?;
            Ok(())
        });
        drop(file);
        if let Err(e) = written {
            let _ = rustix::fs::unlinkat(dir, name.as_str(), AtFlags::empty());
            return Err(e);
        }
        return Ok(name);
    }
    unreachable!("the attempts never end before a name is free")
}

/// Removes the temporary files a killed run left in `dir`.
pub fn remove_stale_temporaries(dir: &OwnedFd) -> io::Result<()> {
    let mut stale = Vec::new();
    for entry in Dir::read_from(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_bytes();
        if name.starts_with(TEMPORARY.as_bytes()) && entry.file_type() == FileType::RegularFile {
            stale.push(OsStr::from_bytes(name).to_os_string());
        }
    }
    for name in stale {
        let _ = rustix::fs::unlinkat(dir, &name, AtFlags::empty());
    }
    Ok(())
}

/// Renames `from` over `to`, both in `dir`.
pub fn rename(dir: &OwnedFd, from: &str, to: &OsStr) -> io::Result<()> {
    Ok(rustix::fs::renameat(dir, from, dir, to)?)
}

/// Removes a file of `dir`.
pub fn unlink(dir: &OwnedFd, name: &OsStr) -> io::Result<()> {
    Ok(rustix::fs::unlinkat(dir, name, AtFlags::empty())?)
}

/// Removes an empty directory of `dir`.
pub fn rmdir(dir: &OwnedFd, name: &OsStr) -> io::Result<()> {
    Ok(rustix::fs::unlinkat(dir, name, AtFlags::REMOVEDIR)?)
}
