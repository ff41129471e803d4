//! dhclient's DHCPv6 lease file (/var/lib/dhcp/dhclient6.leases and the per-interface files
//! of dhclient6-pd@.service): which prefixes were delegated, with their lifetimes.

use std::path::{Path, PathBuf};

use ipnet::Ipv6Net;

use crate::inspect::read::{self, Found, LEASE_FILE_CAP};

/// One delegated prefix as the lease file records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeasedPrefix {
    pub prefix: Ipv6Net,
    pub interface: Option<String>,
    /// Seconds since the epoch when the lifetimes began.
    pub starts: Option<i64>,
    pub preferred_life: Option<u32>,
    pub max_life: Option<u32>,
}

impl LeasedPrefix {
    /// When the prefix expires (seconds since the epoch), if the file says.
    pub fn expires(&self) -> Option<i64> {
        Some(self.starts? + i64::from(self.max_life?))
    }
}

/// The prefixes of the *last* `lease6` block for each interface: dhclient appends a new
/// block on every change, so earlier blocks are history.
///
/// ```text
/// lease6 {
///   interface "eth0";
///   ia-pd 1a:2b:3c:4d {
///     starts 1742000000;
///     iaprefix 2001:db8:0:100::/60 {
///       starts 1742000000;
///       preferred-life 1800;
///       max-life 3600;
///     }
///   }
/// }
/// ```
pub fn parse(text: &str) -> Vec<LeasedPrefix> {
    let mut latest: Vec<(Option<String>, Vec<LeasedPrefix>)> = Vec::new();
    let mut lease: Option<(Option<String>, Vec<LeasedPrefix>)> = None;
    let mut prefix: Option<LeasedPrefix> = None;
    let mut depth = 0usize;
    for line in text.lines().map(str::trim) {
        let words: Vec<&str> = line
            .trim_end_matches([';', '{'])
            .split_whitespace()
            .collect();
        match (depth, words.as_slice()) {
            (0, ["lease6"]) => lease = Some((None, Vec::new())),
            (1, ["interface", name]) => {
                if let Some((iface, _)) = lease.as_mut() {
                    *iface = Some(name.trim_matches('"').to_string());
                }
            }
            (2, ["iaprefix", net]) => {
                prefix = net.parse().ok().map(|p| LeasedPrefix {
                    prefix: p,
                    interface: None,
                    starts: None,
                    preferred_life: None,
                    max_life: None,
                });
            }
            (3, [key, value]) => {
                if let Some(p) = prefix.as_mut() {
                    match *key {
                        "starts" => p.starts = value.parse().ok(),
                        "preferred-life" => p.preferred_life = value.parse().ok(),
                        "max-life" => p.max_life = value.parse().ok(),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
        if line.ends_with('{') {
            depth += 1;
        } else if line == "}" {
            depth = depth.saturating_sub(1);
            match depth {
                2 => {
                    if let (Some(p), Some((iface, prefixes))) = (prefix.take(), lease.as_mut()) {
                        prefixes.push(LeasedPrefix {
                            interface: iface.clone(),
                            ..p
                        });
                    }
                }
                0 => {
                    if let Some((iface, prefixes)) = lease.take() {
                        latest.retain(|(i, _)| *i != iface);
                        latest.push((iface, prefixes));
                    }
                }
                _ => {}
            }
        }
    }
    latest.into_iter().flat_map(|(_, p)| p).collect()
}

/// What the lease files under `root` say, and which of them could not be read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Leases {
    /// Each delegated prefix with its lease file, named as on the system
    /// (`/var/lib/dhcp/dhclient6.leases`).
    pub prefixes: Vec<(PathBuf, LeasedPrefix)>,
    /// One message per lease file that is not a regular file or is too large.
    pub unreadable: Vec<String>,
}

/// Reads every lease file under `root`, each through the bounded reader.
pub fn survey(root: &Path) -> Leases {
    let mut leases = Leases::default();
    for file in lease_files(root) {
        match read::real_file(root, &file, LEASE_FILE_CAP) {
            Found::Read(bytes) => {
                let shown = read::on_system(root, &file);
                let text = String::from_utf8_lossy(&bytes);
                leases
                    .prefixes
                    .extend(parse(&text).into_iter().map(|p| (shown.clone(), p)));
            }
            Found::Unreadable(why) => leases.unreadable.push(why),
            Found::Missing => {}
        }
    }
    leases
}

/// Every delegated prefix in the lease files under `root`, with the file's path under
/// `root`; unreadable lease files are left out (see [`survey`]).
pub fn delegated(root: &Path) -> Vec<(PathBuf, LeasedPrefix)> {
    survey(root)
        .prefixes
        .into_iter()
        .map(|(shown, p)| (crate::settings::under_root(root, &shown), p))
        .collect()
}

/// The lease files under `root` that dhclient -6 writes by default or by our unit.
pub fn lease_files(root: &Path) -> Vec<PathBuf> {
    let dir = Path::new("/var/lib/dhcp");
    read::names_in(root, dir)
        .into_iter()
        .filter(|name| name.starts_with("dhclient6") && name.ends_with(".leases"))
        .map(|name| crate::settings::under_root(root, &dir.join(name)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    const LEASES: &str = r#"default-duid "\000\001\000\001";
lease6 {
  interface "eth0";
  ia-pd 1a:2b:3c:4d {
    starts 1742000000;
    renew 5;
    rebind 8;
    iaprefix 2001:db8:0:100::/60 {
      starts 1742000000;
      preferred-life 1800;
      max-life 3600;
    }
  }
  option dhcp6.client-id 0:1:0:1;
  option dhcp6.server-id 0:1:0:1;
}
lease6 {
  interface "eth0";
  ia-pd 1a:2b:3c:4d {
    starts 1742000100;
    iaprefix 2001:db8:0:200::/60 {
      starts 1742000100;
      preferred-life 1800;
      max-life 3600;
    }
  }
  ia-pd 1a:2b:3c:4e {
    starts 1742000100;
    iaprefix 2001:db8:0:300::/60 {
      starts 1742000100;
      preferred-life 0;
      max-life 0;
    }
  }
}
lease6 {
  interface "eth1";
  ia-pd 01:02:03:04 {
    iaprefix fd00:1::/56 {
      starts 1742000200;
      max-life 7200;
    }
  }
}
"#;

    #[test]
    fn keeps_the_last_lease_of_each_interface() {
        let found = parse(LEASES);
        let prefixes: Vec<String> = found.iter().map(|p| p.prefix.to_string()).collect();
        assert_eq!(
            prefixes,
            ["2001:db8:0:200::/60", "2001:db8:0:300::/60", "fd00:1::/56"]
        );
        assert_eq!(found[0].interface.as_deref(), Some("eth0"));
        assert_eq!(found[0].preferred_life, Some(1800));
        assert_eq!(found[0].expires(), Some(1742000100 + 3600));
        assert_eq!(found[1].max_life, Some(0));
        assert_eq!(found[2].interface.as_deref(), Some("eth1"));
        assert_eq!(found[2].preferred_life, None);
    }

    #[test]
    fn garbage_and_empty_files_have_no_prefixes() {
        assert!(parse("").is_empty());
        assert!(parse("lease6 {\n iaprefix nonsense {\n }\n}\n").is_empty());
    }

    #[test]
    fn finds_default_and_per_interface_lease_files() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("var/lib/dhcp");
        fs::create_dir_all(&dir).unwrap();
        for name in [
            "dhclient6.leases",
            "dhclient6-pd.eth0.leases",
            "dhclient.leases",
            "x",
        ] {
            fs::write(dir.join(name), LEASES).unwrap();
        }
        let names: Vec<String> = lease_files(root.path())
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["dhclient6-pd.eth0.leases", "dhclient6.leases"]);
        assert_eq!(delegated(root.path()).len(), 6);
        assert_eq!(
            delegated(root.path())[0].0,
            root.path().join("var/lib/dhcp/dhclient6-pd.eth0.leases")
        );
    }

    #[test]
    fn a_fifo_as_lease_file_is_reported_not_waited_for() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("var/lib/dhcp");
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("dhclient6-pd.eth1.leases"), LEASES).unwrap();
        nix::unistd::mkfifo(&dir.join("dhclient6.leases"), nix::sys::stat::Mode::S_IRWXU).unwrap();
        let leases = survey(root.path());
        assert_eq!(
            leases.unreadable,
            ["/var/lib/dhcp/dhclient6.leases is not a regular file (a FIFO)"]
        );
        assert_eq!(leases.prefixes.len(), 3);
        assert_eq!(
            leases.prefixes[0].0,
            Path::new("/var/lib/dhcp/dhclient6-pd.eth1.leases")
        );
    }
}
