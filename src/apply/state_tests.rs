//! Unit tests of the record of an owed restart: the round trip, and whatever else may sit at its name.

use super::*;
use std::fs::{self, File};
use std::os::unix::fs::{MetadataExt, symlink};
use std::time::{Duration, Instant};

const LINE: &str = "apply 2001:db8:0:100::/60";

fn record() -> (tempfile::TempDir, PendingRecord) {
    let root = tempfile::tempdir().unwrap();
    let record = PendingRecord::new(root.path());
    (root, record)
}

/// Puts `bytes` at the record's path, creating its directory.
fn plant(record: &PendingRecord, bytes: &[u8]) {
    fs::create_dir_all(record.path().parent().unwrap()).unwrap();
    fs::write(record.path(), bytes).unwrap();
}

#[test]
fn writes_reads_and_clears_a_line() {
    let (root, record) = record();
    assert_eq!(record.read_line(), None);
    record.clear().unwrap();
    record.write_line(LINE).unwrap();
    let path = root.path().join("var/lib/docker-ipv6-pd/pending");
    assert_eq!(fs::read_to_string(&path).unwrap(), format!("{LINE}\n"));
    let dir_mode = fs::metadata(path.parent().unwrap()).unwrap().mode();
    assert_eq!(dir_mode & 0o7777, 0o755);
    assert_eq!(record.read_line().as_deref(), Some(LINE));
    record.write_line("withdrawn").unwrap();
    assert_eq!(record.read_line().as_deref(), Some("withdrawn"));
    record.clear().unwrap();
    assert_eq!(record.read_line(), None);
    assert!(!path.exists());
}

#[test]
fn records_left_by_an_earlier_version_or_a_crash_are_cleared() {
    let (root, record) = record();
    let old = root.path().join("var/lib/docker-ipv6-pd/unfinished");
    fs::create_dir_all(old.parent().unwrap()).unwrap();
    fs::write(&old, "2001:db8:0:100::/60\n").unwrap();
    assert_eq!(record.read_line().as_deref(), Some("2001:db8:0:100::/60"));
    record.write_line(LINE).unwrap();
    assert_eq!(record.read_line().as_deref(), Some(LINE));
    fs::write(record.line.file.temp_path(), "half").unwrap();
    record.clear().unwrap();
    assert!(!old.exists());
    assert!(!record.line.file.temp_path().exists());
    assert_eq!(record.read_line(), None);
}

#[test]
fn a_planted_link_is_neither_read_nor_written_through() {
    let (root, record) = record();
    let victim = root.path().join("victim");
    fs::write(&victim, format!("{LINE}\n")).unwrap();
    fs::create_dir_all(record.path().parent().unwrap()).unwrap();
    symlink(&victim, record.path()).unwrap();

    assert_eq!(record.read_line(), None);
    record.write_line("mine").unwrap();
    assert_eq!(fs::read_to_string(&victim).unwrap(), format!("{LINE}\n"));
    assert!(fs::symlink_metadata(record.path()).unwrap().is_file());
    assert_eq!(record.read_line().as_deref(), Some("mine"));

    // Clearing removes a link, not what it points to.
    fs::remove_file(record.path()).unwrap();
    symlink(&victim, record.path()).unwrap();
    record.clear().unwrap();
    assert!(fs::symlink_metadata(record.path()).is_err());
    assert!(victim.exists());
}

#[test]
fn a_huge_record_is_not_read() {
    let (_root, record) = record();
    plant(&record, b"");
    // 800 MB of holes: reading it whole would cost 800 MB of memory.
    File::options()
        .write(true)
        .open(record.path())
        .unwrap()
        .set_len(800 << 20)
        .unwrap();
    // Not read whole: the peak memory stays far below the record's size.
    assert_eq!(record.read_line(), None);
    let status = fs::read_to_string("/proc/self/status").unwrap();
    let peak_kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    assert!(peak_kib < 400 << 10, "peak RSS {peak_kib} KiB");
}

#[test]
fn garbage_a_fifo_or_a_directory_reads_as_no_record() {
    let (_root, record) = record();
    for garbage in [&b"\xff\xfe not text\n"[..], b"one\ntwo\n", b"nul\0\n"] {
        plant(&record, garbage);
        assert_eq!(record.read_line(), None, "{garbage:?}");
    }
    fs::remove_file(record.path()).unwrap();
    nix::unistd::mkfifo(record.path(), nix::sys::stat::Mode::S_IRWXU).unwrap();
    let started = Instant::now();
    assert_eq!(record.read_line(), None);
    assert!(started.elapsed() < Duration::from_secs(5));
    fs::remove_file(record.path()).unwrap();
    fs::create_dir(record.path()).unwrap();
    assert_eq!(record.read_line(), None);
}

#[test]
fn failures_are_returned() {
    let (root, record) = record();
    let err = record.write_line("two\nlines").unwrap_err().to_string();
    assert!(err.contains("not one line"), "{err}");
    // A file where the record's directory should be.
    fs::create_dir_all(root.path().join("var/lib")).unwrap();
    fs::write(root.path().join("var/lib/docker-ipv6-pd"), b"").unwrap();
    let err = record.write_line(LINE).unwrap_err();
    assert!(format!("{err:#}").contains("creating directory"), "{err:#}");
    fs::remove_file(root.path().join("var/lib/docker-ipv6-pd")).unwrap();
    // A directory at the record's name cannot be removed as a file.
    fs::create_dir_all(record.path()).unwrap();
    assert!(record.clear().is_err());
}
