//! Reading a file whose path anyone with write access to /etc or /var could have turned into
//! something else: a FIFO (which would block the run forever), a device, a directory, a link
//! where none is expected, or a file of gigabytes. Every file the program reads goes through
//! [`read_regular`], which never blocks, reads regular files only and stops at a size cap.

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Whether a symbolic link as the last component of the path is followed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Links {
    /// Follow it (system files such as /etc/default/docker may be links).
    Follow,
    /// Refuse it: the file is ours, and a link there was not put there by us.
    Refuse,
}

/// Reads the regular file at `path`, at most `cap` bytes. `Ok(None)`: there is no file.
/// A FIFO, socket, device or directory, a refused link, and a file larger than `cap` are
/// errors whose message says which (the caller adds the path).
pub fn read_regular(path: &Path, cap: u64, links: Links) -> io::Result<Option<Vec<u8>>> {
    let mut flags = libc_flags::O_NONBLOCK;
    if links == Links::Refuse {
        flags |= libc_flags::O_NOFOLLOW;
    }
    let file = match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags)
        .open(path)
    {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.raw_os_error() == Some(libc_flags::ELOOP) && links == Links::Refuse => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "is a symbolic link, which is refused here",
            ));
        }
        Err(e) => return Err(e),
    };
    read_open(file, cap).map(Some)
}

/// Reads an opened file: refuses what is not a regular file, and one whose size already
/// says it is over `cap` without reading a byte; stops past `cap` if it grows meanwhile.
fn read_open(file: File, cap: u64) -> io::Result<Vec<u8>> {
    let metadata = file.metadata()?;
    let kind = metadata.file_type();
    if !kind.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("is not a regular file (a {})", describe(kind)),
        ));
    }
    if metadata.len() > cap {
        return Err(too_large(cap));
    }
    let mut bytes = Vec::new();
    file.take(cap + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(too_large(cap));
    }
    Ok(bytes)
}

fn too_large(cap: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("is larger than {cap} bytes"),
    )
}

/// A file type in words: "directory", "FIFO", "socket", "device" or "special file".
pub fn describe(kind: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_dir() {
        "directory"
    } else if kind.is_fifo() {
        "FIFO"
    } else if kind.is_socket() {
        "socket"
    } else if kind.is_block_device() || kind.is_char_device() {
        "device"
    } else {
        "special file"
    }
}

/// The open(2) flags and errno used here, from nix's libc.
mod libc_flags {
    pub const O_NONBLOCK: i32 = nix::libc::O_NONBLOCK;
    pub const O_NOFOLLOW: i32 = nix::libc::O_NOFOLLOW;
    pub const ELOOP: i32 = nix::libc::ELOOP;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn reads_a_regular_file_and_a_missing_one_is_none() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        assert_eq!(read_regular(&path, 10, Links::Refuse).unwrap(), None);
        std::fs::write(&path, b"abc").unwrap();
        assert_eq!(
            read_regular(&path, 3, Links::Refuse).unwrap(),
            Some(b"abc".to_vec())
        );
    }

    #[test]
    fn refuses_a_file_over_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"abcd").unwrap();
        let err = read_regular(&path, 3, Links::Follow).unwrap_err();
        assert_eq!(err.to_string(), "is larger than 3 bytes");
    }

    #[test]
    fn a_fifo_is_refused_at_once_instead_of_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fifo");
        nix::unistd::mkfifo(&path, nix::sys::stat::Mode::S_IRWXU).unwrap();
        let started = Instant::now();
        let err = read_regular(&path, 10, Links::Follow).unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(err.to_string(), "is not a regular file (a FIFO)");
        let err = read_regular(dir.path(), 10, Links::Follow).unwrap_err();
        assert_eq!(err.to_string(), "is not a regular file (a directory)");
    }

    #[test]
    fn a_link_is_followed_or_refused_as_asked() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        let link = dir.path().join("link");
        std::fs::write(&real, b"x").unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        assert_eq!(
            read_regular(&link, 10, Links::Follow).unwrap(),
            Some(b"x".to_vec())
        );
        let err = read_regular(&link, 10, Links::Refuse).unwrap_err();
        assert_eq!(err.to_string(), "is a symbolic link, which is refused here");
    }
}
