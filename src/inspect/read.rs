//! How `doctor` and `status` read the machine's files: every read goes through the bounded
//! reader (never blocks on a FIFO, regular files only, capped), with a cap per kind of file,
//! and every failure names the file as it is on the system (without `--root`).

use std::path::{Path, PathBuf};

use crate::bounded_read::{Links, read_regular};
use crate::settings::under_root;

/// dhclient's lease files grow by one block per change until dhclient rewrites them.
pub const LEASE_FILE_CAP: u64 = 1024 * 1024;
/// daemon.json, /etc/default/docker, unit files and drop-ins, DHCP client hooks.
pub const CONFIG_CAP: u64 = 256 * 1024;
/// /proc/PID/cmdline of one process.
pub const CMDLINE_CAP: u64 = 128 * 1024;
/// One sysctl value under /proc/sys.
pub const SYSCTL_CAP: u64 = 4096;
/// dpkg's status file: a stanza per installed package, a few MiB on big systems.
pub const DPKG_STATUS_CAP: u64 = 32 * 1024 * 1024;

/// A file as inspect found it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Found<T> {
    /// There is no such file.
    Missing,
    /// It is there but cannot be used; the message names the file and says why.
    Unreadable(String),
    /// Its contents.
    Read(T),
}

impl<T> Found<T> {
    /// Turns the contents into something else, leaving `Missing` and `Unreadable` alone.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Found<U> {
        match self {
            Found::Missing => Found::Missing,
            Found::Unreadable(why) => Found::Unreadable(why),
            Found::Read(value) => Found::Read(f(value)),
        }
    }

    /// The contents, if read (like `Result::ok`).
    pub fn ok(self) -> Option<T> {
        match self {
            Found::Read(value) => Some(value),
            _ => None,
        }
    }
}

/// Reads the system file `path` (absolute, as on the system) under `root`, at most `cap`
/// bytes; a link is followed (system files often are links).
pub fn system_file(root: &Path, path: &Path, cap: u64) -> Found<Vec<u8>> {
    real_file(root, &under_root(root, path), cap)
}

/// Reads `real`, a path already under `root`; messages show it as on the system.
pub fn real_file(root: &Path, real: &Path, cap: u64) -> Found<Vec<u8>> {
    match read_regular(real, cap, Links::Follow) {
        Ok(None) => Found::Missing,
        Ok(Some(bytes)) => Found::Read(bytes),
        Err(e) => Found::Unreadable(format!("{} {e}", on_system(root, real).display())),
    }
}

/// A path under `root` as the system itself names it: `/var/lib/dhcp/dhclient6.leases`.
pub fn on_system(root: &Path, real: &Path) -> PathBuf {
    match real.strip_prefix(root) {
        Ok(relative) => Path::new("/").join(relative),
        Err(_) => real.to_path_buf(),
    }
}

/// The names in directory `dir` (absolute, as on the system) under `root`, sorted; none
/// when it is missing or not a directory.
pub fn names_in(root: &Path, dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(under_root(root, dir))
        .map(|entries| {
            entries
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fifo_is_unreadable_and_named_as_on_the_system() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("etc/docker");
        std::fs::create_dir_all(&dir).unwrap();
        nix::unistd::mkfifo(&dir.join("daemon.json"), nix::sys::stat::Mode::S_IRWXU).unwrap();
        assert_eq!(
            system_file(
                root.path(),
                Path::new("/etc/docker/daemon.json"),
                CONFIG_CAP
            ),
            Found::Unreadable("/etc/docker/daemon.json is not a regular file (a FIFO)".to_string())
        );
        assert_eq!(
            system_file(root.path(), Path::new("/etc/docker/missing"), CONFIG_CAP),
            Found::Missing
        );
        std::fs::write(dir.join("big"), vec![b'x'; 11]).unwrap();
        assert_eq!(
            system_file(root.path(), Path::new("/etc/docker/big"), 10),
            Found::Unreadable("/etc/docker/big is larger than 10 bytes".to_string())
        );
    }

    #[test]
    fn names_are_sorted_and_a_missing_directory_has_none() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("d");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("b"), "").unwrap();
        std::fs::write(dir.join("a"), "").unwrap();
        assert_eq!(names_in(root.path(), Path::new("/d")), ["a", "b"]);
        assert!(names_in(root.path(), Path::new("/none")).is_empty());
    }
}
