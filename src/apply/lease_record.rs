//! The lease last handed to the plan, for the sources that keep no "old" lease of their own
//! (networkd, NetworkManager): the hooks' `old_ip6_prefix` comes from dhclient's lease file;
//! here it comes from this one line, `BOOT_ID LINK PREFIX...`, kept in /var/lib (under
//! `--root`) beside the record of an owed restart, so that a restart of the watch or of the
//! machine does not take the same prefix for a new one and restart docker for nothing.

use std::path::Path;

use anyhow::Result;
use ipnet::Ipv6Net;

use crate::apply::state::StateLine;

/// The records' directory under the root.
const DIR: &str = "var/lib/docker-ipv6-pd";
/// Where a link's name is unknown (networkd before 255 may tie a prefix to no link).
const NO_LINK: &str = "-";
/// The record of systemd-networkd's watch.
pub const NETWORKD: &str = "networkd-lease";
/// The record of NetworkManager's dispatcher.
pub const NETWORK_MANAGER: &str = "networkmanager-lease";

/// A lease as last handed to the plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    /// The kernel's boot id when it was read: lifetimes on the boot-time clock mean nothing
    /// after a reboot.
    pub boot: String,
    /// The link it was delegated on, when known.
    pub link: Option<String>,
    pub prefixes: Vec<Ipv6Net>,
}

impl Lease {
    /// A record's line (`BOOT_ID LINK PREFIX...`); `None` when it is not one.
    pub fn parse(line: &str) -> Option<Lease> {
        let mut words = line.split_whitespace();
        let boot = words.next()?.to_string();
        let link = match words.next()? {
            NO_LINK => None,
            name => Some(name.to_string()),
        };
        let prefixes = words.map(str::parse).collect::<Result<_, _>>().ok()?;
        Some(Lease {
            boot,
            link,
            prefixes,
        })
    }

    fn line(&self) -> String {
        let mut words = vec![
            self.boot.clone(),
            self.link.clone().unwrap_or(NO_LINK.into()),
        ];
        words.extend(self.prefixes.iter().map(ToString::to_string));
        words.join(" ")
    }
}

/// One source's lease record under one root.
pub struct LeaseRecord {
    line: StateLine,
}

impl LeaseRecord {
    /// The record `name` (`networkd-lease`, `networkmanager-lease`) of the system at `root`.
    pub fn new(root: &Path, name: &str) -> LeaseRecord {
        LeaseRecord {
            line: StateLine::new(&root.join(DIR).join(name), "the record of the last lease"),
        }
    }

    /// The recorded lease; none when there is no record or it is not one (warned about).
    pub fn read(&self) -> Option<Lease> {
        Lease::parse(&self.line.read()??)
    }

    /// Records `lease`, atomically, creating the directory if needed.
    pub fn write(&self, lease: &Lease) -> Result<()> {
        self.line.write(&lease.line())
    }
}

/// This boot's id, as the kernel gives it (empty when it cannot be read: then no record is
/// taken for this boot's).
pub fn boot_id() -> String {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .map(|id| id.trim().to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_is_recorded_and_read_back() {
        let root = tempfile::tempdir().unwrap();
        let record = LeaseRecord::new(root.path(), "networkd-lease");
        assert_eq!(record.read(), None);
        for link in [Some("wan0".to_string()), None] {
            let lease = Lease {
                boot: "b0".into(),
                link,
                prefixes: vec!["2001:db8:1::/56".parse().unwrap()],
            };
            record.write(&lease).unwrap();
            assert_eq!(record.read(), Some(lease));
        }
        let empty = Lease {
            boot: "b1".into(),
            link: Some("wan0".into()),
            prefixes: Vec::new(),
        };
        record.write(&empty).unwrap();
        assert_eq!(record.read(), Some(empty));
    }

    #[test]
    fn garbage_reads_as_no_record() {
        for line in ["", "b0", "b0 wan0 not-a-prefix"] {
            assert_eq!(Lease::parse(line), None, "{line:?}");
        }
    }

    #[test]
    fn this_boot_has_an_id() {
        assert!(!boot_id().is_empty());
    }
}
