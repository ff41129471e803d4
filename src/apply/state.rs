//! The record of an owed restart (see `plan::pending`), one line in
//! /var/lib/docker-ipv6-pd/pending under `--root`, kept across reboots.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// The record's file.
pub struct StateFile {
    path: PathBuf,
}

impl StateFile {
    pub fn new(root: &Path) -> StateFile {
        StateFile {
            path: root.join("var/lib/docker-ipv6-pd/pending"),
        }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The recorded line, if any.
    pub fn read_line(&self) -> Option<String> {
        fs::read_to_string(&self.path).ok()
    }

    /// Records `line`.
    pub fn write_line(&self, line: &str) -> Result<()> {
        if let Some(dir) = self.path.parent() {
            fs::create_dir_all(dir)?;
        }
        fs::write(&self.path, format!("{line}\n"))
            .with_context(|| format!("writing {}", self.path.display()))
    }

    /// Removes the record.
    pub fn clear(&self) -> Result<()> {
        match fs::remove_file(&self.path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }
}
