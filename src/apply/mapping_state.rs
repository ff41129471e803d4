//! The record of the nft mapping last applied (`--target nptv6`), so that a renewal costs no
//! nft run. It lives in /run (under `--root`), a tmpfs: nft tables do not survive a reboot,
//! and neither does the record, so the first event after a reboot applies the mapping again.
//! One line, `PUBLIC MAPPED`; anything odd at its name reads as no record (the mapping is
//! then applied again, which is always safe).

use std::fs::DirBuilder;
use std::io;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::apply::atomic_file::AtomicFile;
use crate::bounded_read::{Links, read_regular};
use crate::plan::nptv6::Mapping;

/// The record's directory under the root.
const DIR: &str = "run/docker-ipv6-pd";
/// The record's name.
const NAME: &str = "mapping";
/// Far more than the line we write.
const LIMIT: u64 = 512;

/// The record of the applied mapping under one root.
pub struct MappingRecord {
    file: AtomicFile,
}

impl MappingRecord {
    /// The record of the system at `root` ("/" in production).
    pub fn new(root: &Path) -> MappingRecord {
        MappingRecord {
            file: AtomicFile::new(&root.join(DIR).join(NAME)),
        }
    }

    /// The record's path.
    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// The mapping last applied since boot, if the record holds one.
    pub fn read(&self) -> Option<Mapping> {
        let bytes = read_regular(self.path(), LIMIT, Links::Refuse).ok()??;
        Mapping::parse(std::str::from_utf8(&bytes).ok()?)
    }

    /// Records `mapping` as applied, creating the directory (0755) if needed.
    pub fn write(&self, mapping: &Mapping) -> Result<()> {
        let dir = self.file.dir();
        if !dir.is_dir() {
            DirBuilder::new()
                .recursive(true)
                .mode(0o755)
                .create(dir)
                .with_context(|| format!("creating directory {}", dir.display()))?;
        }
        self.file
            .replace(format!("{mapping}\n").as_bytes())
            .with_context(|| format!("recording the mapping in {}", self.path().display()))
    }

    /// Forgets the mapping (it was removed); no record is fine.
    pub fn clear(&self) -> Result<()> {
        let paths: [PathBuf; 2] = [self.path().into(), self.file.temp_path().into()];
        for path in paths {
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e).with_context(|| format!("removing {}", path.display())),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mapping_is_recorded_read_back_and_cleared() {
        let root = tempfile::tempdir().unwrap();
        let record = MappingRecord::new(root.path());
        assert_eq!(record.read(), None);
        record.clear().unwrap();
        let mapping = Mapping::new(
            "2001:db8:1:100::/56".parse().unwrap(),
            "fd12:3456:789a::/48".parse().unwrap(),
        )
        .unwrap();
        record.write(&mapping).unwrap();
        assert!(record.path().starts_with(root.path().join("run")));
        assert_eq!(record.read(), Some(mapping));
        record.clear().unwrap();
        assert_eq!(record.read(), None);
    }

    #[test]
    fn garbage_and_links_read_as_no_record() {
        let root = tempfile::tempdir().unwrap();
        let record = MappingRecord::new(root.path());
        std::fs::create_dir_all(record.path().parent().unwrap()).unwrap();
        std::fs::write(record.path(), "nonsense\n").unwrap();
        assert_eq!(record.read(), None);
        let elsewhere = root.path().join("elsewhere");
        std::fs::write(&elsewhere, "2001:db8:1:100::/56 fd12:3456:789a::/56\n").unwrap();
        std::fs::remove_file(record.path()).unwrap();
        std::os::unix::fs::symlink(&elsewhere, record.path()).unwrap();
        assert_eq!(record.read(), None);
    }
}
