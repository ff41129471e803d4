//! A small configuration file on disk (the prefix file, daemon.json): read it, lock its
//! directory, replace it atomically and durably.
//!
//! A replace never truncates the file in place: the new bytes go to a temp file in the same
//! directory, which is synced, given the old file's mode and owner, and renamed over the old
//! one before the directory is synced. A crash at any instant leaves the old or the new file
//! whole; a temp file left by a crash is removed by the next run that holds the lock.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt, fchown};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// More than any prefix file or sane daemon.json; a longer file is refused, not cut.
const READ_LIMIT: u64 = 1 << 20;

/// Mode of a file created from nothing: readable by all, like the published hook's.
const NEW_FILE_MODE: u32 = 0o644;

/// One file and the names derived from it.
#[derive(Clone, Debug)]
pub struct AtomicFile {
    path: PathBuf,
    dir: PathBuf,
    temp: PathBuf,
}

/// Exclusive hold on a file's directory: runs that change the file take turns.
/// Released when dropped.
pub struct DirLock {
    _dir: File,
}

impl AtomicFile {
    pub fn new(path: &Path) -> AtomicFile {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let temp = dir.join(format!(
            ".{}.docker-ipv6-pd.tmp",
            name.as_deref().unwrap_or("prefix")
        ));
        AtomicFile {
            path: path.to_path_buf(),
            dir,
            temp,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The directory [`AtomicFile::lock`] locks.
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

    /// The file's bytes (at most [`READ_LIMIT`]), or `None` when there is no file.
    pub fn read(&self) -> Result<Option<Vec<u8>>> {
        let file = match File::open(&self.path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("reading {}", self.path.display())),
        };
        let mut bytes = Vec::new();
        file.take(READ_LIMIT + 1)
            .read_to_end(&mut bytes)
            .with_context(|| format!("reading {}", self.path.display()))?;
        if bytes.len() as u64 > READ_LIMIT {
            bail!("{} is larger than {READ_LIMIT} bytes", self.path.display());
        }
        Ok(Some(bytes))
    }

    /// Replaces the file with `contents`, atomically and durably. The caller holds the
    /// directory's lock ([`AtomicFile::lock`]).
    pub fn replace(&self, contents: &[u8]) -> Result<()> {
        let result = self.write_temp(contents).and_then(|()| {
            fs::rename(&self.temp, &self.path).with_context(|| {
                format!(
                    "renaming {} to {}",
                    self.temp.display(),
                    self.path.display()
                )
            })
        });
        if result.is_err() {
            let _ = fs::remove_file(&self.temp);
        }
        result?;
        File::open(&self.dir)
            .and_then(|dir| dir.sync_all())
            .with_context(|| format!("syncing directory {}", self.dir.display()))
    }

    fn write_temp(&self, contents: &[u8]) -> Result<()> {
        let old = fs::metadata(&self.path).ok();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_creates_with_0644_and_keeps_an_existing_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ipv6.prefix");
        let file = AtomicFile::new(&path);
        let _lock = file.lock().unwrap();
        file.replace(b"one\n").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"one\n");
        assert_eq!(fs::metadata(&path).unwrap().mode() & 0o7777, 0o644);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        file.replace(b"two\n").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two\n");
        assert_eq!(fs::metadata(&path).unwrap().mode() & 0o7777, 0o600);
        assert!(!file.temp_path().exists());
    }

    #[test]
    fn read_tells_missing_from_empty() {
        let dir = tempfile::tempdir().unwrap();
        let file = AtomicFile::new(&dir.path().join("ipv6.prefix"));
        assert_eq!(file.read().unwrap(), None);
        fs::write(file.path(), b"").unwrap();
        assert_eq!(file.read().unwrap(), Some(Vec::new()));
    }

    #[test]
    fn read_refuses_a_huge_file_rather_than_cutting_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = AtomicFile::new(&dir.path().join("daemon.json"));
        fs::write(file.path(), vec![b' '; (READ_LIMIT + 1) as usize]).unwrap();
        assert!(file.read().is_err());
    }

    #[test]
    fn lock_removes_a_stale_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = AtomicFile::new(&dir.path().join("ipv6.prefix"));
        fs::write(file.temp_path(), b"half").unwrap();
        let _lock = file.lock().unwrap();
        assert!(!file.temp_path().exists());
    }

    #[test]
    fn a_relative_path_without_directory_uses_the_current_one() {
        let file = AtomicFile::new(Path::new("ipv6.prefix"));
        assert_eq!(
            file.temp_path(),
            Path::new("./.ipv6.prefix.docker-ipv6-pd.tmp")
        );
    }
}
