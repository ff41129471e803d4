//! What doctor knows about a machine once it has looked: plain data, read by `gather` and
//! judged by `judge`. Tests build these by hand to check the judge without any files.

use std::collections::BTreeMap;

use crate::inspect::docker_flags::Survey;
use crate::inspect::lease_file::Leases;
use crate::inspect::nptv6::BridgeSubnet;
use crate::inspect::read::Found;
use crate::plan::daemon_json::DaemonJson;
use crate::plan::nptv6::Mapping;
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
    /// The DHCP clients installed, their configuration and hooks.
    pub dhcp: DhcpFacts,
    /// docker.service as systemd would load it, when one is installed.
    pub docker_unit: Option<DockerUnit>,
    /// The containers docker knows, from /var/lib/docker/containers.
    pub containers: Vec<Container>,
    /// Container files that could not be read or parsed, each with its path.
    pub containers_unreadable: Vec<String>,
    /// docker0's global IPv6 addresses with their prefix length, from /proc/net/if_inet6.
    pub docker0: Vec<ipnet::Ipv6Net>,
    /// What `target = nptv6` needs besides; `None` for the other targets.
    pub nptv6: Option<Nptv6Facts>,
    /// systemd-networkd and NetworkManager, and our pieces for them.
    pub network_managers: crate::inspect::doctor::gather_network_managers::NetworkManagersFacts,
}

/// The mapping of `target = nptv6` as the machine has it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nptv6Facts {
    /// The internal prefix docker lives on.
    pub internal: ipnet::Ipv6Net,
    /// The mapping the hook recorded as applied since boot.
    pub applied: Option<Mapping>,
    /// Where the record is, as on the system.
    pub record: String,
    /// nft's binary exists (/usr/sbin/nft or /sbin/nft).
    pub nft_installed: bool,
    /// `nft list ruleset`: not run when nft is not installed; its error when it failed.
    pub ruleset: Option<Result<String, String>>,
    /// Docker's bridges with their global IPv6 subnets; why /proc/net/if_inet6 could not
    /// be read.
    pub bridges: Result<Vec<BridgeSubnet>, String>,
}

/// The DHCPv6 clients on the machine and how each is set up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DhcpFacts {
    /// dhclient's binary exists (/sbin/dhclient or /usr/sbin/dhclient).
    pub dhclient: bool,
    /// dhcpcd's binary exists (/usr/sbin/dhcpcd or /sbin/dhcpcd).
    pub dhcpcd: bool,
    /// Processes that are dhcpcd by /proc/PID/comm or /proc/PID/exe, whatever their
    /// command line says (dhcpcd 10 rewrites it: `dhcpcd: eth0 [ip6]`).
    pub dhcpcd_pids: Vec<u32>,
    /// DHCP client processes (dhclient, dhcpcd) in another mount namespace than ours and
    /// init's (a container's, a test's): their hooks run there, not here.
    pub elsewhere: Vec<u32>,
    /// /etc/dhcpcd.conf.
    pub dhcpcd_conf: Found<String>,
    /// The hook directory dhcpcd-run-hooks reads, when dhcpcd is there.
    pub dhcpcd_hooks: Option<DhcpcdHooks>,
}

/// dhcpcd's hook directory and whether our shim is in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DhcpcdHooks {
    /// The directory, as on the system.
    pub dir: String,
    /// True when the directory holds a file that calls docker-ipv6-pd.
    pub shim: bool,
}

/// What docker.service (with its drop-ins) does with /etc/default/docker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DockerUnit {
    /// The unit file, as on the system.
    pub path: String,
    /// True when it has `EnvironmentFile=-/etc/default/docker` and its ExecStart names
    /// `$DOCKER_OPTS` (Debian's docker.io; Docker CE's own unit has neither).
    pub reads_defaults: bool,
}

/// One container as docker stored it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Container {
    /// Its name without the leading `/`, or its id when it has none.
    pub name: String,
    /// `RestartPolicy.Name` from hostconfig.json: `no` (also when empty), `always`,
    /// `unless-stopped`, `on-failure`.
    pub restart_policy: String,
    /// `State.Running` from config.v2.json.
    pub running: bool,
}

/// What the settings make doctor expect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setup {
    /// The files the target writes.
    pub kinds: Vec<FileKind>,
    pub subnet_size: u8,
    /// The /64 of the delegated prefix docker's subnet is taken from (`subnet-id`).
    pub subnet_id: u64,
    /// The prefix file, as on the system.
    pub prefix_file: String,
    /// daemon.json, as on the system.
    pub daemon_json: String,
    /// `target = nptv6`: docker lives on an internal prefix that nft maps onto the delegated
    /// one, so docker's own NAT and the subnet's place outside the prefix are by design.
    pub nptv6: bool,
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
