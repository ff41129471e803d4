//! The record of an owed restart (`plan::pending`): one short line the hook writes, durably, before it touches docker's
//! files, and clears once docker runs with what the line says. A run that finds the line
//! finishes what an earlier run could not (a write that failed, a restart that failed, a
//! subnet withdrawn that may come back as a renewal). The caller formats and parses the
//! line; this file only keeps it safe. Kept in /var/lib (under `--root`), so it survives
//! the reboot after which such renewals come.
//!
//! Nobody but the hook writes there, so anything odd at the record's name is refused, not
//! obeyed: a symbolic link is neither read nor written through (a write replaces the link),
//! and a FIFO, a directory, a huge file or bytes that are no line of text read as no record.

use std::fs::DirBuilder;
use std::io;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::apply::atomic_file::{self, AtomicFile};
use crate::bounded_read::{Links, read_regular};
use crate::log;

/// Far more than any line the hook writes; a larger file is not ours.
const RECORD_LIMIT: u64 = 4096;

/// The record's directory under the root.
const DIR: &str = "var/lib/docker-ipv6-pd";

/// The record's name, and the name earlier versions used for the same purpose.
const NAME: &str = "pending";
const OLD_NAME: &str = "unfinished";
/// The record, in messages.
const WHAT: &str = "the record of an owed restart";

/// The record of an owed restart under one root.
pub struct PendingRecord {
    line: StateLine,
    /// Written by earlier versions (a prefix and a newline); read when there is no record.
    old: PathBuf,
}

impl PendingRecord {
    /// The record of the system at `root` ("/" in production).
    pub fn new(root: &Path) -> PendingRecord {
        let dir = root.join(DIR);
        PendingRecord {
            line: StateLine::new(&dir.join(NAME), WHAT),
            old: dir.join(OLD_NAME),
        }
    }

    /// The record's path.
    pub fn path(&self) -> &Path {
        self.line.path()
    }

    /// The recorded line, without its newline; `None` when there is none. A record that is
    /// not a single line of UTF-8 text in a regular file of at most 4 KiB reads as none,
    /// with a warning.
    pub fn read_line(&self) -> Option<String> {
        match self.line.read()? {
            Some(line) => Some(line),
            None => read_line_at(&self.old, WHAT)?,
        }
    }

    /// Records `line`, atomically and durably, creating the directory (0755) if needed.
    /// Runs that write it take turns already (they hold the target files' locks).
    pub fn write_line(&self, line: &str) -> Result<()> {
        self.line.write(line)
    }

    /// Removes the record (with one an earlier version left, and a temp file a crashed
    /// write left); no record is fine.
    pub fn clear(&self) -> Result<()> {
        self.line.remove(&[&self.old])
    }
}

/// One line of the hook's own state in a file of its own: written atomically and durably,
/// never through a link; anything odd at its name reads as no line, with a warning.
pub struct StateLine {
    file: AtomicFile,
    /// What the line is, for messages ("the record of an owed restart").
    what: &'static str,
}

impl StateLine {
    pub fn new(path: &Path, what: &'static str) -> StateLine {
        StateLine {
            file: AtomicFile::new(path),
            what,
        }
    }

    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// `Some(None)`: no file; `None`: a file that holds no line (warned about).
    pub fn read(&self) -> Option<Option<String>> {
        read_line_at(self.path(), self.what)
    }

    /// Replaces the file with `line`, creating the directory (0755) if needed.
    pub fn write(&self, line: &str) -> Result<()> {
        if line.contains(['\n', '\r', '\0']) {
            bail!("refusing to record {line:?}: not one line");
        }
        let dir = self.file.dir();
        if !dir.is_dir() {
            DirBuilder::new()
                .recursive(true)
                .mode(0o755)
                .create(dir)
                .with_context(|| format!("creating directory {}", dir.display()))?;
            // The new directory's own name must survive a crash as well as the line.
            if let Some(parent) = dir.parent() {
                atomic_file::sync_dir(parent)?;
            }
        }
        self.file
            .replace(format!("{line}\n").as_bytes())
            .with_context(|| format!("recording {} in {}", self.what, self.path().display()))
    }

    /// Removes the file, the `others` beside it and a temp file a crashed write left; no
    /// file is fine.
    pub fn remove(&self, others: &[&Path]) -> Result<()> {
        let mut removed = false;
        let own = [self.path(), self.file.temp_path()];
        for path in own.into_iter().chain(others.iter().copied()) {
            match std::fs::remove_file(path) {
                Ok(()) => removed = true,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(e).with_context(|| format!("removing {}", path.display()));
                }
            }
        }
        if removed {
            atomic_file::sync_dir(self.file.dir())?;
        }
        Ok(())
    }
}

/// `Some(None)`: no file at `path`; `None`: a file that is no record (warned about).
fn read_line_at(path: &Path, what: &str) -> Option<Option<String>> {
    let refuse = |why: &str| {
        log::warning(&format!("ignoring {what} {}: {why}", path.display()));
        None
    };
    let bytes = match read_regular(path, RECORD_LIMIT, Links::Refuse) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return Some(None),
        // read_regular's own refusals say what the file is; the rest are OS errors.
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData
            ) =>
        {
            return refuse(&format!("it {e}"));
        }
        Err(e) => return refuse(&e.to_string()),
    };
    let Ok(text) = String::from_utf8(bytes) else {
        return refuse("it is not UTF-8 text");
    };
    let line = text.strip_suffix('\n').unwrap_or(&text);
    if line.contains(['\n', '\r', '\0']) {
        return refuse("it is not one line of text");
    }
    Some(Some(line.to_string()))
}

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
