//! A prefix whose subnet docker does not run with although its lease may still say so: its
//! write or restart failed, or the subnet was withdrawn when the prefix was lost. The next
//! event of that prefix applies it with a restart, whatever the renewal rule says, so a
//! passing failure (a read-only /etc, docker failing to restart) or a withdrawn prefix that
//! comes back as a renewal (old = new) cannot strand docker without its subnet. Kept in
//! /var/lib (under `--root`), so it survives the reboot after which such renewals come.

use std::fs;
use std::path::{Path, PathBuf};

use ipnet::Ipv6Net;

use crate::log;

/// The record of an unfinished apply.
pub struct Unfinished {
    path: PathBuf,
}

impl Unfinished {
    pub fn new(root: &Path) -> Unfinished {
        Unfinished {
            path: root.join("var/lib/docker-ipv6-pd/unfinished"),
        }
    }

    /// The prefix whose apply did not finish, if any.
    pub fn read(&self) -> Option<Ipv6Net> {
        fs::read_to_string(&self.path).ok()?.trim().parse().ok()
    }

    /// Records that applying `prefix` did not finish. Best effort: a failure is logged.
    pub fn record(&self, prefix: Ipv6Net) {
        let written = self
            .path
            .parent()
            .map_or(Ok(()), fs::create_dir_all)
            .and_then(|()| fs::write(&self.path, format!("{prefix}\n")));
        if let Err(e) = written {
            log::warning(&format!(
                "could not note the unfinished apply in {}: {e}; the next change of prefix will finish it",
                self.path.display()
            ));
        }
    }

    /// Forgets an unfinished apply, once it is finished.
    pub fn clear(&self) {
        let _ = fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_reads_and_clears() {
        let root = tempfile::tempdir().unwrap();
        let u = Unfinished::new(root.path());
        assert_eq!(u.read(), None);
        u.record("2001:db8:0:100::/60".parse().unwrap());
        assert_eq!(u.read(), Some("2001:db8:0:100::/60".parse().unwrap()));
        u.clear();
        assert_eq!(u.read(), None);
    }
}
