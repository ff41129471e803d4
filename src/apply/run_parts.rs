//! What run-parts runs, in one place: the name rule and "is an executable regular file".
//! dhclient-script sources its enter hooks through `run-parts --list`, and post-change
//! scripts run in run-parts order, so `doctor` and the post-change runner share these rules.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// True when run-parts takes a file of this name: letters, digits, `_` and `-` only
/// (a name with a dot, such as `hook.sh` or `hook.disabled`, is skipped).
pub fn accepts_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// True when `path` is (or links to) a regular file with an execute bit set.
pub fn is_executable_file(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_run_parts_takes() {
        assert!(accepts_name("docker-ipv6"));
        assert!(accepts_name("50_docker"));
        assert!(!accepts_name(""));
        assert!(!accepts_name("docker-ipv6.sh"));
        assert!(!accepts_name("docker-ipv6.replaced-by-docker-ipv6-pd"));
        assert!(!accepts_name("hook~"));
    }

    #[test]
    fn executable_regular_files_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x");
        assert!(!is_executable_file(&path));
        fs::write(&path, "#!/bin/sh\n").unwrap();
        assert!(!is_executable_file(&path));
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
        assert!(is_executable_file(&path));
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
        assert!(!is_executable_file(dir.path()));
    }
}
