//! Where the prefix comes from when no lease file says: systemd-networkd's watch and the
//! NetworkManager dispatcher each record the lease they last handed on, one line
//! `BOOT_ID LINK PREFIX...` in /var/lib/docker-ipv6-pd. `status` names that source, its
//! link and prefixes, and whether the record is from this boot (networkd's lifetimes, and
//! the lease itself, may not have survived a reboot). dhclient's and dhcpcd's prefixes stay
//! in status's `delegated` lines.

use std::path::Path;

use ipnet::Ipv6Net;
use serde::ser::{Serialize, SerializeStruct, Serializer};

use crate::apply::lease_record::{self, Lease};
use crate::inspect::read::{self, Found, SYSCTL_CAP};

/// The records' directory, as on the system.
const RECORD_DIR: &str = "/var/lib/docker-ipv6-pd";
/// Each source with the name of its record.
pub const RECORDS: [(&str, &str); 2] = [
    ("networkd", lease_record::NETWORKD),
    ("NetworkManager", lease_record::NETWORK_MANAGER),
];

/// The lease a source last handed on, as recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// `networkd` or `NetworkManager`.
    pub client: String,
    /// The link the prefix was delegated on, when known.
    pub link: Option<String>,
    /// The prefixes handed on; none after a loss.
    pub prefixes: Vec<Ipv6Net>,
    /// Whether the record is from this boot.
    pub recorded: Recorded,
}

/// When a record was written, relative to the running boot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recorded {
    ThisBoot,
    BeforeReboot,
    /// This boot's id could not be read.
    Unknown,
}

impl Recorded {
    fn words(self) -> &'static str {
        match self {
            Recorded::ThisBoot => "this boot",
            Recorded::BeforeReboot => "before a reboot",
            Recorded::Unknown => "at an unknown boot",
        }
    }
}

/// The record `name` under `root`: missing, unreadable or not a record (then with why), or
/// what it says.
pub fn read_record(root: &Path, name: &str) -> Found<Result<Lease, String>> {
    let path = format!("{RECORD_DIR}/{name}");
    read::system_file(root, Path::new(&path), SYSCTL_CAP).map(|bytes| {
        Lease::parse(String::from_utf8_lossy(&bytes).trim())
            .ok_or_else(|| format!("{path} is not a lease record (BOOT_ID LINK PREFIX...)"))
    })
}

/// The recorded source of each prefix under `root`; what cannot be read goes to `warnings`.
pub fn collect(root: &Path, warnings: &mut Vec<String>) -> Vec<Source> {
    let this_boot = read::system_file(
        root,
        Path::new("/proc/sys/kernel/random/boot_id"),
        SYSCTL_CAP,
    )
    .ok()
    .map(|id| String::from_utf8_lossy(&id).trim().to_string())
    .filter(|id| !id.is_empty());
    let mut sources = Vec::new();
    for (client, name) in RECORDS {
        match read_record(root, name) {
            Found::Missing => {}
            Found::Unreadable(why) | Found::Read(Err(why)) => warnings.push(why),
            Found::Read(Ok(record)) => sources.push(Source {
                client: client.to_string(),
                recorded: match &this_boot {
                    None => Recorded::Unknown,
                    Some(id) if *id == record.boot => Recorded::ThisBoot,
                    Some(_) => Recorded::BeforeReboot,
                },
                link: record.link,
                prefixes: record.prefixes,
            }),
        }
    }
    sources
}

/// The text lines: `source:     networkd (wan0), lease 2001:db8::/56, recorded this boot`.
pub fn render(sources: &[Source]) -> String {
    let mut out = String::new();
    for s in sources {
        let link = s.link.as_deref().unwrap_or("link unknown");
        let lease = if s.prefixes.is_empty() {
            "no lease (lost)".to_string()
        } else {
            let prefixes: Vec<String> = s.prefixes.iter().map(ToString::to_string).collect();
            format!("lease {}", prefixes.join(" "))
        };
        out += &format!(
            "source:     {} ({link}), {lease}, recorded {}\n",
            s.client,
            s.recorded.words()
        );
    }
    out
}

impl Serialize for Source {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Source", 4)?;
        s.serialize_field("client", &self.client)?;
        s.serialize_field("link", &self.link)?;
        let prefixes: Vec<String> = self.prefixes.iter().map(ToString::to_string).collect();
        s.serialize_field("prefixes", &prefixes)?;
        s.serialize_field("recorded", self.recorded.words())?;
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(root: &Path, path: &str, text: &str) {
        let real = root.join(path);
        std::fs::create_dir_all(real.parent().unwrap()).unwrap();
        std::fs::write(real, text).unwrap();
    }

    #[test]
    fn each_record_is_named_with_its_boot() {
        let root = tempfile::tempdir().unwrap();
        let root = root.path();
        let mut warnings = Vec::new();
        assert!(collect(root, &mut warnings).is_empty());
        put(root, "proc/sys/kernel/random/boot_id", "b1\n");
        put(
            root,
            "var/lib/docker-ipv6-pd/networkd-lease",
            "b1 wan0 2001:db8::/56\n",
        );
        put(
            root,
            "var/lib/docker-ipv6-pd/networkmanager-lease",
            "b0 - \n",
        );
        let sources = collect(root, &mut warnings);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(
            render(&sources),
            "source:     networkd (wan0), lease 2001:db8::/56, recorded this boot\n\
             source:     NetworkManager (link unknown), no lease (lost), recorded before a reboot\n"
        );
        assert_eq!(
            serde_json::to_string(&sources).unwrap(),
            concat!(
                r#"[{"client":"networkd","link":"wan0","prefixes":["2001:db8::/56"],"recorded":"this boot"},"#,
                r#"{"client":"NetworkManager","link":null,"prefixes":[],"recorded":"before a reboot"}]"#
            )
        );
    }

    #[test]
    fn a_garbage_record_is_a_warning_and_no_boot_id_an_unknown_boot() {
        let root = tempfile::tempdir().unwrap();
        let root = root.path();
        put(
            root,
            "var/lib/docker-ipv6-pd/networkd-lease",
            "b1 wan0 nonsense\n",
        );
        put(
            root,
            "var/lib/docker-ipv6-pd/networkmanager-lease",
            "b1 eth0 2001:db8:1::/60\n",
        );
        let mut warnings = Vec::new();
        let sources = collect(root, &mut warnings);
        assert_eq!(
            warnings,
            [
                "/var/lib/docker-ipv6-pd/networkd-lease is not a lease record (BOOT_ID LINK PREFIX...)"
            ]
        );
        assert_eq!(sources.len(), 1);
        assert_eq!(sources[0].recorded, Recorded::Unknown);
        assert_eq!(sources[0].link.as_deref(), Some("eth0"));
    }
}
