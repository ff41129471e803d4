//! docker-ipv6-pd: gives docker the IPv6 subnet of a DHCPv6 delegated prefix.
//!
//! The pure parts (reading the lease, subnet arithmetic, deciding) are in `event`, `prefix`,
//! `subnet` and `plan`; the side effects (the file, the init system, syslog) in
//! `prefix_file`, `init_system` and `log`; `hook` ties them together for one run.

pub mod atomic_file;
pub mod cli;
pub mod config_file;
pub mod daemon_json;
pub mod dhclient_env;
pub mod dhcpcd_env;
pub mod docker_flags;
pub mod doctor;
pub mod event;
pub mod exit_code;
pub mod fallback;
pub mod hook;
pub mod init_system;
pub mod lease_file;
pub mod log;
pub mod manual;
pub mod plan;
pub mod post_change;
pub mod prefix;
pub mod settings;
pub mod status;
pub mod subnet;
pub mod target;
pub mod unfinished;
