//! docker-ipv6-pd: gives docker the IPv6 subnet of a DHCPv6 delegated prefix.
//!
//! One hook run is a pipeline, and the modules follow it:
//! `event` reads the DHCP client's environment into a typed event, `plan` decides (pure)
//! what that event does, `apply` carries the plan's effects out (the files, the init system,
//! the firewall, post-change scripts), and `on_event` ties one run together.
//! `inspect` reads the machine for `doctor` and `status`; `cli`, `settings` and
//! `config_file` turn arguments, environment and configuration file into settings.

pub mod apply;
pub mod bounded_read;
pub mod cli;
pub mod config_file;
pub mod error;
pub mod event;
pub mod inspect;
pub mod log;
pub mod manual;
pub mod on_event;
pub mod plan;
pub mod settings;
pub mod subnet;
pub mod watch;
