//! Where the subnet goes (the prefix file, daemon.json, or both) and what each holds now.
//!
//! Pure: the hook reads the bytes, this module says what they hold and what to write.

use ipnet::Ipv6Net;

use crate::plan::daemon_json::{DaemonJson, InvalidDaemonJson};
use crate::settings::FileKind;
use crate::subnet::{Subnet, parse_file_contents};

/// What one target file holds now.
#[derive(Clone, Debug, PartialEq)]
pub enum Contents {
    /// The prefix file's bytes, `None` when there is no file.
    PrefixFile(Option<Vec<u8>>),
    /// daemon.json, parsed (a missing file is an empty one).
    DaemonJson(DaemonJson),
}

impl Contents {
    /// Parses a file's bytes as the given kind; daemon.json that is not a JSON object is
    /// refused, so it is never overwritten.
    pub fn parse(kind: FileKind, bytes: Option<Vec<u8>>) -> Result<Contents, InvalidDaemonJson> {
        match kind {
            FileKind::PrefixFile => Ok(Contents::PrefixFile(bytes)),
            FileKind::DaemonJson => DaemonJson::parse(bytes.as_deref()).map(Contents::DaemonJson),
        }
    }

    /// The valid subnet the file gives docker now, if any.
    pub fn subnet(&self) -> Option<Ipv6Net> {
        match self {
            Contents::PrefixFile(bytes) => bytes.as_deref().and_then(parse_file_contents),
            Contents::DaemonJson(json) => json.subnet(),
        }
    }

    /// True when the file is already exactly what we would write for `subnet`.
    pub fn is_written_for(&self, subnet: &Subnet) -> bool {
        match self {
            Contents::PrefixFile(bytes) => bytes.as_deref() == Some(subnet.file_line().as_bytes()),
            Contents::DaemonJson(json) => json.is_written_for(subnet),
        }
    }

    /// The file's new bytes once the subnet is withdrawn: an empty prefix file, or
    /// daemon.json without `fixed-cidr-v6` and with `ipv6` false.
    pub fn withdrawn(&self) -> Vec<u8> {
        match self {
            Contents::PrefixFile(_) => Vec::new(),
            Contents::DaemonJson(json) => json.without_subnet(),
        }
    }

    /// The file's new bytes for `subnet`.
    pub fn updated(&self, subnet: &Subnet) -> Vec<u8> {
        match self {
            Contents::PrefixFile(_) => subnet.file_line().into_bytes(),
            Contents::DaemonJson(json) => json.with_subnet(subnet),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subnet() -> Subnet {
        Subnet::first_of("2001:db8:0:100::/60".parse().unwrap(), 80).unwrap()
    }

    #[test]
    fn prefix_file_contents() {
        let line = subnet().file_line().into_bytes();
        let c = Contents::parse(FileKind::PrefixFile, Some(line.clone())).unwrap();
        assert!(c.is_written_for(&subnet()));
        assert_eq!(c.subnet(), Some("2001:db8:0:100::/80".parse().unwrap()));
        assert_eq!(c.updated(&subnet()), line);
        let c = Contents::parse(FileKind::PrefixFile, None).unwrap();
        assert!(!c.is_written_for(&subnet()));
        assert_eq!(c.subnet(), None);
    }

    #[test]
    fn daemon_json_contents() {
        let c = Contents::parse(FileKind::DaemonJson, None).unwrap();
        assert!(!c.is_written_for(&subnet()));
        let written = c.updated(&subnet());
        let c = Contents::parse(FileKind::DaemonJson, Some(written)).unwrap();
        assert!(c.is_written_for(&subnet()));
        assert_eq!(c.subnet(), Some("2001:db8:0:100::/80".parse().unwrap()));
        assert!(Contents::parse(FileKind::DaemonJson, Some(b"{".to_vec())).is_err());
    }
}
