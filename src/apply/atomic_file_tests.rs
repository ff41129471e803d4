//! Unit tests of the atomic file: modes, limits, stale temp files, and links.

use super::*;
use std::os::unix::fs::symlink;
use std::time::{Duration, Instant};

#[test]
fn replace_creates_with_0644_and_keeps_an_existing_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ipv6.prefix");
    let file = AtomicFile::resolve(&path).unwrap();
    let _lock = file.lock().unwrap();
    file.replace(b"one\n").unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"one\n");
    assert_eq!(fs::metadata(&path).unwrap().mode() & 0o7777, 0o644);
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    file.replace(b"two\n").unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"two\n");
    assert_eq!(fs::metadata(&path).unwrap().mode() & 0o7777, 0o600);
    assert!(!file.temp_path().exists());
}

#[test]
fn read_tells_missing_from_empty() {
    let dir = tempfile::tempdir().unwrap();
    let file = AtomicFile::resolve(&dir.path().join("ipv6.prefix")).unwrap();
    assert_eq!(file.read().unwrap(), None);
    fs::write(file.path(), b"").unwrap();
    assert_eq!(file.read().unwrap(), Some(Vec::new()));
}

#[test]
fn read_refuses_a_huge_file_rather_than_cutting_it() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("real")).unwrap();
    symlink("real", dir.path().join("etc")).unwrap();
    // Through a linked directory: named as given, and not as a link.
    let path = dir.path().join("etc/daemon.json");
    fs::write(&path, vec![b' '; (READ_LIMIT + 1) as usize]).unwrap();
    let err = AtomicFile::resolve(&path).unwrap().read().unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("{} is larger than {READ_LIMIT} bytes", path.display())
    );
}

#[test]
fn lock_removes_a_stale_temp_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = AtomicFile::resolve(&dir.path().join("ipv6.prefix")).unwrap();
    fs::write(file.temp_path(), b"half").unwrap();
    let _lock = file.lock().unwrap();
    assert!(!file.temp_path().exists());
}

#[test]
fn a_relative_path_without_directory_uses_the_current_one() {
    let file = AtomicFile::new(Path::new("ipv6.prefix"));
    assert_eq!(
        file.temp_path(),
        Path::new("./.ipv6.prefix.docker-ipv6-pd.tmp")
    );
}

#[test]
fn a_link_is_written_through_and_stays_a_link() {
    let dir = tempfile::tempdir().unwrap();
    let (etc, srv) = (dir.path().join("etc"), dir.path().join("srv"));
    fs::create_dir_all(&etc).unwrap();
    fs::create_dir_all(srv.join("conf")).unwrap();
    let real = srv.join("conf/ipv6.prefix");
    fs::write(&real, b"old\n").unwrap();
    fs::set_permissions(&real, fs::Permissions::from_mode(0o640)).unwrap();
    // A chain: an absolute link to a relative one (with "..") to the real file.
    symlink("../srv/conf/ipv6.prefix", etc.join("middle")).unwrap();
    let link = etc.join("ipv6.prefix");
    symlink(etc.join("middle"), &link).unwrap();

    let file = AtomicFile::resolve(&link).unwrap();
    assert_eq!(file.dir(), srv.join("conf"));
    let shown = format!("{} (-> {})", link.display(), real.display());
    assert_eq!(file.describe(), shown);
    assert_eq!(file.read().unwrap(), Some(b"old\n".to_vec()));
    let _lock = file.lock().unwrap();
    file.replace(b"new\n").unwrap();

    assert!(fs::symlink_metadata(&link).unwrap().is_symlink());
    assert_eq!(fs::read(&real).unwrap(), b"new\n");
    assert_eq!(fs::metadata(&real).unwrap().mode() & 0o7777, 0o640);
    assert_eq!(fs::read_dir(&etc).unwrap().count(), 2, "a temp file in etc");
    assert_eq!(fs::read_dir(srv.join("conf")).unwrap().count(), 1);
}

#[test]
fn a_dangling_link_creates_its_target_when_the_directory_exists() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("ipv6.prefix");
    symlink("real.prefix", &link).unwrap();
    let file = AtomicFile::resolve(&link).unwrap();
    assert_eq!(file.read().unwrap(), None);
    file.replace(b"new\n").unwrap();
    assert!(fs::symlink_metadata(&link).unwrap().is_symlink());
    assert_eq!(fs::read(dir.path().join("real.prefix")).unwrap(), b"new\n");

    let nowhere = dir.path().join("daemon.json");
    symlink("missing/daemon.json", &nowhere).unwrap();
    let err = AtomicFile::resolve(&nowhere).unwrap_err().to_string();
    assert_eq!(
        err,
        format!(
            "{} links to {}, whose directory does not exist",
            nowhere.display(),
            dir.path().join("missing/daemon.json").display()
        )
    );
}

#[test]
fn a_link_to_a_fifo_or_a_directory_is_refused_naming_the_link() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
    for (target, kind) in [(fifo, "FIFO"), (dir.path().join("."), "directory")] {
        let link = dir.path().join("ipv6.prefix");
        let _ = fs::remove_file(&link);
        symlink(&target, &link).unwrap();
        let err = AtomicFile::resolve(&link).unwrap_err().to_string();
        assert_eq!(
            err,
            format!(
                "{} links to {}, which is not a regular file (a {kind})",
                link.display(),
                target.display()
            )
        );
        assert!(fs::symlink_metadata(&link).unwrap().is_symlink());
    }
}

#[test]
fn a_fifo_at_the_path_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("ipv6.prefix");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
    let started = Instant::now();
    let err = AtomicFile::resolve(&fifo).unwrap_err().to_string();
    assert_eq!(
        err,
        format!("{} is not a regular file (a FIFO)", fifo.display())
    );
    // Made a FIFO after resolving: reading still refuses it rather than blocking.
    let file = AtomicFile::new(&fifo);
    let err = file.read().unwrap_err().to_string();
    assert_eq!(
        err,
        format!("{} is not a regular file (a FIFO)", fifo.display())
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_loop_of_links_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    symlink(&b, &a).unwrap();
    symlink(&a, &b).unwrap();
    let err = AtomicFile::resolve(&a).unwrap_err().to_string();
    assert!(
        err.ends_with("is a chain of more than 40 symbolic links"),
        "{err}"
    );
}

#[test]
fn a_file_of_our_own_replaces_a_planted_link_and_leaves_its_target_alone() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim");
    fs::write(&victim, b"precious\n").unwrap();
    fs::set_permissions(&victim, fs::Permissions::from_mode(0o600)).unwrap();
    let own = dir.path().join("pending");
    symlink(&victim, &own).unwrap();

    let file = AtomicFile::new(&own);
    let err = file.read().unwrap_err().to_string();
    assert!(err.contains("symbolic link"), "{err}");
    file.replace(b"mine\n").unwrap();

    assert_eq!(fs::read(&victim).unwrap(), b"precious\n");
    let metadata = fs::symlink_metadata(&own).unwrap();
    assert!(metadata.is_file());
    assert_eq!(metadata.mode() & 0o7777, 0o644);
    assert_eq!(fs::read(&own).unwrap(), b"mine\n");
}
