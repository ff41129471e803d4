//! A small file on disk (the prefix file, daemon.json, the record of an owed restart): read it,
//! lock its directory, replace it atomically and durably.
//!
//! A replace never truncates the file in place: the new bytes go to a temp file in the same
//! directory, which is synced, given the old file's mode and owner, and renamed over the old
//! one before the directory is synced. A crash at any instant leaves the old or the new file
//! whole; a temp file left by a crash is removed by the next run that holds the lock.
//!
//! An admin's file may be a symbolic link (/etc kept in git, or on another volume). Such a
//! file is written *through* the link: the chain of links is followed to the real file, as
//! the kernel would follow it (a relative target is relative to the link's directory, an
//! absolute one is taken as given, even under `--root`), and that file is replaced in its own
//! directory, so the link stays a link. A file of the hook's own is never followed: a link
//! there is replaced by the new file and its target left alone.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt, fchown};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::bounded_read::{self, Links, read_regular};

/// More than any prefix file or sane daemon.json; a longer file is refused, not cut.
const READ_LIMIT: u64 = 1 << 20;

/// Mode of a file created from nothing: readable by all, like the published hook's.
const NEW_FILE_MODE: u32 = 0o644;

/// Links followed from the named file to the real one, as the kernel's limit (ELOOP).
const MAX_LINK_HOPS: usize = 40;

/// One file and the names derived from it.
#[derive(Clone, Debug)]
pub struct AtomicFile {
    /// The name the caller gave, used in messages.
    path: PathBuf,
    /// The file read and renamed over: `path`, or the end of its chain of links.
    target: PathBuf,
    /// `target`'s directory: where the temp file goes, what is locked and synced.
    dir: PathBuf,
    temp: PathBuf,
    links: Links,
    /// Whether `path` is a symbolic link to `target` (not merely another spelling of it).
    linked: bool,
}

/// Exclusive hold on a file's directory: runs that change the file take turns.
/// Released when dropped.
pub struct DirLock {
    _dir: File,
}

impl AtomicFile {
    /// The file at `path` itself, never followed: a symbolic link there is refused by
    /// [`AtomicFile::read`] and replaced (not written through) by [`AtomicFile::replace`].
    /// For the hook's own files, where nobody but the hook puts anything.
    pub fn new(path: &Path) -> AtomicFile {
        AtomicFile::at(path, path.to_path_buf(), Links::Refuse, false)
    }

    /// An admin's file, which may be a chain of symbolic links: follows it (at most
    /// [`MAX_LINK_HOPS`]) to the real file, which is then read, locked and replaced in its
    /// own directory. A dangling link names the file to create, if its directory exists.
    /// Refuses, with one line naming `path`, a chain ending at anything but a regular file
    /// (a directory, a FIFO, a device) or in a missing directory, or too long.
    pub fn resolve(path: &Path) -> Result<AtomicFile> {
        let target = follow_links(path)?;
        let linked = target != path;
        Ok(AtomicFile::at(
            path,
            canonical_dir(target),
            Links::Follow,
            linked,
        ))
    }

    fn at(path: &Path, target: PathBuf, links: Links, linked: bool) -> AtomicFile {
        let dir = parent_of(&target);
        let name = target.file_name().map(|n| n.to_string_lossy().into_owned());
        let temp = dir.join(format!(
            ".{}.docker-ipv6-pd.tmp",
            name.as_deref().unwrap_or("prefix")
        ));
        AtomicFile {
            path: path.to_path_buf(),
            target,
            dir,
            temp,
            links,
            linked,
        }
    }

    /// The name the caller gave.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file actually read and replaced (differs from [`AtomicFile::path`] for a link).
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// The directory [`AtomicFile::lock`] locks: the target's.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The temp file a replace writes first (hidden, and ignored by run-parts-style readers).
    pub fn temp_path(&self) -> &Path {
        &self.temp
    }

    /// Locks the directory (flock on the directory itself, so no lock file is left in
    /// /etc/docker) and removes a temp file a crashed run may have left.
    pub fn lock(&self) -> Result<DirLock> {
        let dir = File::open(&self.dir)
            .with_context(|| format!("opening directory {}", self.dir.display()))?;
        dir.lock()
            .with_context(|| format!("locking directory {}", self.dir.display()))?;
        // Look before removing: on a read-only file system unlink fails even for a missing
        // name, and a run with nothing to write must still succeed there.
        if fs::symlink_metadata(&self.temp).is_ok() {
            fs::remove_file(&self.temp)
                .with_context(|| format!("removing stale temp file {}", self.temp.display()))?;
        }
        Ok(DirLock { _dir: dir })
    }

    /// The file's bytes (at most [`READ_LIMIT`]), or `None` when there is no file. Never
    /// blocks: a FIFO, a device or a directory there is an error at once.
    pub fn read(&self) -> Result<Option<Vec<u8>>> {
        read_regular(&self.target, READ_LIMIT, self.links).map_err(|e| self.read_error(e))
    }

    fn read_error(&self, e: io::Error) -> anyhow::Error {
        // read_regular's own refusals are a predicate for the path; the rest are OS errors.
        let ours = matches!(
            e.kind(),
            io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData
        );
        match (ours, self.linked) {
            (true, false) => anyhow::anyhow!("{} {e}", self.path.display()),
            (true, true) => anyhow::anyhow!(
                "{} links to {}, which {e}",
                self.path.display(),
                self.target.display()
            ),
            (false, _) => anyhow::Error::new(e).context(format!("reading {}", self.describe())),
        }
    }

    /// The file for messages: its name, and where a link leads ("X (-> Y)").
    pub fn describe(&self) -> String {
        if self.linked {
            format!("{} (-> {})", self.path.display(), self.target.display())
        } else {
            self.path.display().to_string()
        }
    }

    /// Replaces the file with `contents`, atomically and durably. The caller holds the
    /// directory's lock ([`AtomicFile::lock`]).
    pub fn replace(&self, contents: &[u8]) -> Result<()> {
        let result = self.write_temp(contents).and_then(|()| {
            fs::rename(&self.temp, &self.target)
                .with_context(|| format!("renaming {} to {}", self.temp.display(), self.describe()))
        });
        if result.is_err() {
            let _ = fs::remove_file(&self.temp);
        }
        result?;
        sync_dir(&self.dir)
    }

    fn write_temp(&self, contents: &[u8]) -> Result<()> {
        // Mode and owner carry over from an admin's regular file only: a hook's own file
        // starts afresh, whoever planted something at its name.
        let old = match fs::symlink_metadata(&self.target) {
            Ok(m) if m.is_file() => (self.links == Links::Follow).then_some(m),
            Ok(m) if self.links == Links::Follow => bail!(
                "{} is not a regular file (a {})",
                self.describe(),
                bounded_read::describe(m.file_type())
            ),
            _ => None,
        };
        let context = || format!("writing {}", self.temp.display());
        let mut temp = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(NEW_FILE_MODE)
            // The temp name is ours: a symlink planted there is refused, not followed.
            .custom_flags(nix::libc::O_NOFOLLOW)
            .open(&self.temp)
            .with_context(context)?;
        let mode = old.as_ref().map_or(NEW_FILE_MODE, |m| m.mode() & 0o7777);
        temp.set_permissions(fs::Permissions::from_mode(mode))
            .with_context(context)?;
        if let Some(old) = &old {
            fchown(&temp, Some(old.uid()), Some(old.gid())).with_context(context)?;
        }
        temp.write_all(contents).with_context(context)?;
        temp.sync_all().with_context(context)
    }
}

/// Makes a rename or removal in `dir` durable.
pub fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|dir| dir.sync_all())
        .with_context(|| format!("syncing directory {}", dir.display()))
}

/// `path`'s directory; "." for a bare name.
fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// `target` in its directory's canonical spelling, so that one directory reached through
/// two spellings (a linked directory, "..") is one directory to lock, not two locks on one
/// directory that would wait on each other. As it was if the directory does not exist.
fn canonical_dir(target: PathBuf) -> PathBuf {
    match (fs::canonicalize(parent_of(&target)), target.file_name()) {
        (Ok(dir), Some(name)) => dir.join(name),
        _ => target,
    }
}

/// The real file at the end of `path`'s chain of links (`path` itself when it is no link).
fn follow_links(path: &Path) -> Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..=MAX_LINK_HOPS {
        let metadata = match fs::symlink_metadata(&current) {
            Ok(metadata) => metadata,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if current != path && !parent_of(&current).is_dir() {
                    bail!(
                        "{} links to {}, whose directory does not exist",
                        path.display(),
                        current.display()
                    );
                }
                return Ok(current);
            }
            Err(e) => return Err(e).with_context(|| format!("looking at {}", current.display())),
        };
        let kind = metadata.file_type();
        if kind.is_symlink() {
            let next = fs::read_link(&current)
                .with_context(|| format!("reading the link {}", current.display()))?;
            // Joining keeps "..": the kernel resolves it from the link's real directory.
            current = parent_of(&current).join(next);
        } else if kind.is_file() {
            return Ok(current);
        } else if current == path {
            bail!(
                "{} is not a regular file (a {})",
                path.display(),
                bounded_read::describe(kind)
            );
        } else {
            bail!(
                "{} links to {}, which is not a regular file (a {})",
                path.display(),
                current.display(),
                bounded_read::describe(kind)
            );
        }
    }
    bail!(
        "{} is a chain of more than {MAX_LINK_HOPS} symbolic links",
        path.display()
    )
}

#[cfg(test)]
#[path = "atomic_file_tests.rs"]
mod tests;
