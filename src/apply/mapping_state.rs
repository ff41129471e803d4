//! The record of the nft mapping last applied (`--target nptv6`), so that a renewal costs one
//! read of our table (is it still there?) rather than a transaction. It lives in /run (under
//! `--root`), a tmpfs: nft tables do not survive a reboot, and neither does the record, so the
//! first event after a reboot applies the mapping again. A firewall reload that flushes the
//! ruleset removes the table but not the record: the read finds it gone.
//! One line, `PUBLIC MAPPED`; anything odd at its name reads as no record (the mapping is
//! then applied again, which is always safe).

use std::path::Path;

use anyhow::Result;

use crate::apply::state::StateLine;
use crate::plan::nptv6::Mapping;

/// The record's directory under the root.
const DIR: &str = "run/docker-ipv6-pd";
/// The record's name.
const NAME: &str = "mapping";

/// The record of the applied mapping under one root.
pub struct MappingRecord {
    line: StateLine,
}

impl MappingRecord {
    /// The record of the system at `root` ("/" in production).
    pub fn new(root: &Path) -> MappingRecord {
        MappingRecord {
            line: StateLine::new(&root.join(DIR).join(NAME), "the record of the nft mapping"),
        }
    }

    /// The record's path.
    pub fn path(&self) -> &Path {
        self.line.path()
    }

    /// The mapping last applied since boot, if the record holds one.
    pub fn read(&self) -> Option<Mapping> {
        Mapping::parse(&self.line.read()??)
    }

    /// Records `mapping` as applied, creating the directory (0755) if needed.
    pub fn write(&self, mapping: &Mapping) -> Result<()> {
        self.line.write(&mapping.to_string())
    }

    /// Forgets the mapping (it was removed); no record is fine.
    pub fn clear(&self) -> Result<()> {
        self.line.remove(&[])
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
