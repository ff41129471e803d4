//! Carrying out a plan's effects: the target files, the state record, the init system,
//! the firewall and post-change scripts. Each side effect sits behind a narrow function.

pub mod atomic_file;
pub mod firewall;
pub mod init_system;
pub mod post_change;
pub mod run_parts;
pub mod state;
