//! Doctor's eyes on systemd-networkd and NetworkManager, which hand no hook the prefix:
//! whether each runs, whether our piece for it (the watch, the dispatcher script) is in
//! place, and whether each is set up to ask for a prefix. Files under `--root` only, so
//! fixtures stand in for a machine; the judging is in `judge_network_managers`.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use crate::inspect::doctor::gather_docker;
use crate::inspect::read::{self, CONFIG_CAP, DPKG_STATUS_CAP, Found};
use crate::inspect::status_source;
use crate::inspect::{docker_flags, read::names_in};
use crate::settings::under_root;

/// Where systemd-networkd reads .network files, the first winning a name found in several.
pub const NETWORK_DIRS: [&str; 3] = [
    "/etc/systemd/network",
    "/run/systemd/network",
    "/usr/lib/systemd/network",
];
/// The watch's unit, as enabled in some `*.wants` directory.
pub const WATCH_UNIT: &str = "docker-ipv6-pd-watch.service";
/// Where install.sh puts the NetworkManager dispatcher script.
pub const DISPATCHER: &str = "/etc/NetworkManager/dispatcher.d/90-docker-ipv6-pd";
/// Where NetworkManager keeps connection profiles (keyfiles), persistent then runtime.
const CONNECTION_DIRS: [&str; 2] = [
    "/etc/NetworkManager/system-connections",
    "/run/NetworkManager/system-connections",
];
/// The watch's lease record, under /var/lib/docker-ipv6-pd.
pub const NETWORKD_RECORD: &str = crate::apply::lease_record::NETWORKD;

/// What doctor knows of systemd-networkd and NetworkManager.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkManagersFacts {
    /// A `systemd-networkd` process runs, or /run/systemd/netif/links exists.
    pub networkd_running: bool,
    /// [`WATCH_UNIT`] is in some /etc/systemd/system/*.wants directory.
    pub watch_enabled: bool,
    /// The uplink and how it was found: the watch's record, else the default route.
    pub uplink: Option<(String, &'static str)>,
    /// The .network file networkd would use for the uplink, with its drop-ins.
    pub network_file: Option<NetworkFile>,
    /// A `NetworkManager` process runs.
    pub nm_running: bool,
    /// The dispatcher script's owner and mode.
    pub dispatcher: Found<Mode>,
    /// The installed network-manager package's version, from dpkg's status file.
    pub nm_version: Option<String>,
    /// Connection files (as on the system) with `[ipv6] method=shared`.
    pub shared_connections: Vec<String>,
    /// Connection files that could not be read, each with why.
    pub unreadable_connections: Vec<String>,
}

impl Default for NetworkManagersFacts {
    /// Neither runs, nothing of ours is installed.
    fn default() -> Self {
        NetworkManagersFacts {
            networkd_running: false,
            watch_enabled: false,
            uplink: None,
            network_file: None,
            nm_running: false,
            dispatcher: Found::Missing,
            nm_version: None,
            shared_connections: Vec::new(),
            unreadable_connections: Vec::new(),
        }
    }
}

/// A file's owner and permission bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mode {
    pub uid: u32,
    /// The permission bits with set-id bits (`0o4755`).
    pub mode: u32,
}

/// A .network file and its drop-ins, as networkd merges them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkFile {
    /// The file, as on the system.
    pub path: String,
    /// Its drop-ins, as on the system, in the order they apply.
    pub drop_ins: Vec<String>,
    /// The text of the file then of each drop-in: later assignments win.
    pub text: String,
}

/// Looks at networkd and NetworkManager under `root`.
pub fn network_managers(root: &Path, processes: &[(u32, Vec<String>)]) -> NetworkManagersFacts {
    let runs = |name: &str| {
        processes
            .iter()
            .any(|(_, argv)| docker_flags::is_program(argv, name))
            // comm holds 15 bytes: `systemd-network`.
            || !gather_docker::pids_of(root, &name[..name.len().min(15)]).is_empty()
    };
    let networkd_running = runs("systemd-networkd")
        || under_root(root, Path::new("/run/systemd/netif/links")).is_dir();
    let uplink = uplink(root);
    let network_file = uplink
        .as_ref()
        .filter(|_| networkd_running)
        .and_then(|(name, _)| network_file(root, name));
    let (shared_connections, unreadable_connections) = connections(root);
    NetworkManagersFacts {
        networkd_running,
        watch_enabled: watch_enabled(root),
        uplink,
        network_file,
        nm_running: runs("NetworkManager"),
        dispatcher: mode(root, DISPATCHER),
        nm_version: read::system_file(root, Path::new("/var/lib/dpkg/status"), DPKG_STATUS_CAP)
            .ok()
            .and_then(|bytes| package_version(&String::from_utf8_lossy(&bytes), "network-manager")),
        shared_connections,
        unreadable_connections,
    }
}

/// True when some /etc/systemd/system/*.wants directory holds the watch's unit.
fn watch_enabled(root: &Path) -> bool {
    names_in(root, Path::new("/etc/systemd/system"))
        .iter()
        .filter(|dir| dir.ends_with(".wants"))
        .any(|dir| {
            let link = Path::new("/etc/systemd/system").join(dir).join(WATCH_UNIT);
            std::fs::symlink_metadata(under_root(root, &link)).is_ok()
        })
}

/// The uplink: the link in the watch's record, else the default route's interface.
fn uplink(root: &Path) -> Option<(String, &'static str)> {
    if let Some(Ok(crate::apply::lease_record::Lease {
        link: Some(link), ..
    })) = status_source::read_record(root, NETWORKD_RECORD).ok()
    {
        return Some((link, "the watch's record"));
    }
    let routes = read::system_file(root, Path::new("/proc/net/ipv6_route"), CONFIG_CAP).ok()?;
    default_route_interface(&String::from_utf8_lossy(&routes))
        .map(|iface| (iface, "the default route"))
}

/// The interface of the first IPv6 default route in /proc/net/ipv6_route (loopback's
/// unreachable routes left out).
pub fn default_route_interface(ipv6_route: &str) -> Option<String> {
    ipv6_route.lines().find_map(|line| {
        let words: Vec<&str> = line.split_whitespace().collect();
        let [dest, len, .., iface] = words.as_slice() else {
            return None;
        };
        (words.len() == 10 && dest.bytes().all(|b| b == b'0') && *len == "00" && *iface != "lo")
            .then(|| iface.to_string())
    })
}

/// The .network file networkd uses for `uplink`: the first, by file name across
/// [`NETWORK_DIRS`], whose `[Match] Name=` matches; with its `.network.d/*.conf` drop-ins.
fn network_file(root: &Path, uplink: &str) -> Option<NetworkFile> {
    let text = |path: &str| {
        read::system_file(root, Path::new(path), CONFIG_CAP)
            .ok()
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
    };
    let files = first_by_name(root, &NETWORK_DIRS, "", ".network");
    let (path, main) = files
        .into_iter()
        .filter_map(|path| Some((path.clone(), text(&path)?)))
        .find(|(_, main)| matches_link(main, uplink))?;
    let name = Path::new(&path).file_name()?.to_string_lossy().into_owned();
    let drop_ins = first_by_name(root, &NETWORK_DIRS, &format!("/{name}.d"), ".conf");
    let mut merged = main;
    for drop_in in &drop_ins {
        merged.push('\n');
        merged += &text(drop_in).unwrap_or_default();
    }
    Some(NetworkFile {
        path,
        drop_ins,
        text: merged,
    })
}

/// The files ending in `suffix` in each of `dirs` (+ `sub`), sorted by file name; of files
/// with the same name only the one in the earliest directory (systemd's override rule).
fn first_by_name(root: &Path, dirs: &[&str], sub: &str, suffix: &str) -> Vec<String> {
    let mut found: Vec<(String, String)> = Vec::new();
    for dir in dirs {
        let dir = format!("{dir}{sub}");
        for name in names_in(root, Path::new(&dir)) {
            if name.ends_with(suffix) && !found.iter().any(|(n, _)| *n == name) {
                found.push((name.clone(), format!("{dir}/{name}")));
            }
        }
    }
    found.sort();
    found.into_iter().map(|(_, path)| path).collect()
}

/// True when a .network file's `[Match] Name=` matches `link`: space-separated
/// fnmatch-style patterns (`*`, `?`). A file without Name= matches every link; other
/// match keys (MACAddress=, Type=, ...) and `!` negation are not looked at.
pub fn matches_link(network: &str, link: &str) -> bool {
    let names: Vec<String> = values(network, "Match", "Name");
    names.is_empty()
        || names
            .iter()
            .flat_map(|v| v.split_whitespace())
            .any(|pattern| glob(pattern.as_bytes(), link.as_bytes()))
}

/// fnmatch with `*` and `?` only.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    match (pattern.first(), text.first()) {
        (None, None) => true,
        (Some(b'*'), _) => {
            glob(&pattern[1..], text) || (!text.is_empty() && glob(pattern, &text[1..]))
        }
        (Some(b'?'), Some(_)) => glob(&pattern[1..], &text[1..]),
        (Some(p), Some(t)) if p == t => glob(&pattern[1..], &text[1..]),
        _ => false,
    }
}

/// Every value of `key` in `[section]` of an ini-style text, in order (`#`, `;` comments).
pub fn values(text: &str, section: &str, key: &str) -> Vec<String> {
    let mut current = String::new();
    let mut found = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = name.trim().to_string();
        } else if current == section
            && let Some((k, v)) = line.split_once('=')
            && k.trim() == key
        {
            found.push(v.trim().to_string());
        }
    }
    found
}

/// The owner and mode of `path` (a link followed); missing when it is not there.
fn mode(root: &Path, path: &str) -> Found<Mode> {
    match std::fs::metadata(under_root(root, Path::new(path))) {
        Ok(meta) if meta.is_file() => Found::Read(Mode {
            uid: meta.uid(),
            mode: meta.permissions().mode() & 0o7777,
        }),
        Ok(_) => Found::Unreadable(format!("{path} is not a regular file")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Found::Missing,
        Err(e) => Found::Unreadable(format!("{path}: {e}")),
    }
}

/// NetworkManager's connection files with `[ipv6] method=shared`, and those not readable.
fn connections(root: &Path) -> (Vec<String>, Vec<String>) {
    let (mut shared, mut unreadable) = (Vec::new(), Vec::new());
    for dir in CONNECTION_DIRS {
        for name in names_in(root, Path::new(dir)) {
            if !name.ends_with(".nmconnection") {
                continue;
            }
            let path = format!("{dir}/{name}");
            match read::system_file(root, Path::new(&path), CONFIG_CAP) {
                Found::Read(bytes) => {
                    let text = String::from_utf8_lossy(&bytes);
                    if values(&text, "ipv6", "method").last().map(String::as_str) == Some("shared")
                    {
                        shared.push(path);
                    }
                }
                Found::Unreadable(why) => unreadable.push(why),
                Found::Missing => {}
            }
        }
    }
    (shared, unreadable)
}

/// The version of an installed package in dpkg's status file.
pub fn package_version(status: &str, package: &str) -> Option<String> {
    status.split("\n\n").find_map(|stanza| {
        let field = |name: &str| {
            stanza
                .lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(": "))
        };
        (field("Package") == Some(package)
            && field("Status").is_some_and(|s| s.ends_with(" installed")))
        .then(|| field("Version").map(str::to_string))
        .flatten()
    })
}

#[cfg(test)]
#[path = "gather_network_managers_tests.rs"]
mod tests;
