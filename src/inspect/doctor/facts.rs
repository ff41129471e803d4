//! What doctor knows about a machine once it has looked: plain data, read by `gather` and
//! judged by `judge`. Tests build these by hand to check the judge without any files.

use std::collections::BTreeMap;

use crate::inspect::docker_flags::Survey;
use crate::inspect::lease_file::Leases;
use crate::inspect::read::Found;
use crate::plan::daemon_json::DaemonJson;
use crate::plan::target::Contents;
use crate::settings::FileKind;

/// The directory dhclient-script runs its enter hooks from.
pub const HOOKS_DIR: &str = "/etc/dhcp/dhclient-enter-hooks.d";
/// Where systemd records the units enabled at boot.
pub const WANTS_DIR: &str = "/etc/systemd/system/multi-user.target.wants";

/// Everything doctor judges.
#[derive(Clone, Debug, PartialEq)]
pub struct Facts {
    pub setup: Setup,
    /// The files in [`HOOKS_DIR`], by name.
    pub hooks: Vec<HookFile>,
    /// Every running process: pid and arguments.
    pub processes: Vec<(u32, Vec<String>)>,
    /// The names in [`WANTS_DIR`] (`dhclient6-pd@eth0.service`, ...).
    pub enabled_units: Vec<String>,
    /// net.ipv6.conf.all.forwarding, trimmed.
    pub forwarding: Found<String>,
    /// net.ipv6.conf.IFACE.accept_ra for every interface, trimmed.
    pub accept_ra: BTreeMap<String, Found<String>>,
    /// True when systemd is the running init system.
    pub systemd: bool,
    /// docker's daemon.json, parsed; a parse error as its message.
    pub daemon_json: Found<Result<DaemonJson, String>>,
    /// Each file the target writes, with what it holds now.
    pub targets: Vec<TargetFile>,
    /// Where dockerd gets IPv6 flags.
    pub flags: Survey,
    /// The delegated prefixes in dhclient's lease files.
    pub leases: Leases,
    /// The installed docker package and its version, from dpkg's status file.
    pub docker_package: Found<Option<(String, String)>>,
}

/// What the settings make doctor expect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setup {
    /// The files the target writes.
    pub kinds: Vec<FileKind>,
    pub subnet_size: u8,
    /// The prefix file, as on the system.
    pub prefix_file: String,
    /// daemon.json, as on the system.
    pub daemon_json: String,
}

/// One file among dhclient's enter hooks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HookFile {
    pub name: String,
    pub text: Found<String>,
    /// When the file is our shim: the binary it runs.
    pub shim: Option<Shim>,
}

/// The binary a shim runs, and whether it is there to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shim {
    pub binary: String,
    pub executable: bool,
}

/// One file the target writes.
#[derive(Clone, Debug, PartialEq)]
pub struct TargetFile {
    pub kind: FileKind,
    /// Its path, as on the system.
    pub shown: String,
    /// What it holds: a missing prefix file is `Missing`, a missing daemon.json an empty
    /// one; daemon.json that cannot be read or parsed is `Unreadable` (reported once, with
    /// the rest of docker's wiring).
    pub contents: Found<Contents>,
}
