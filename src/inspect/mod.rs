//! Reading the machine as it is, for `doctor` and `status`: lease files, dockerd's flags,
//! the running processes.

pub mod docker_flags;
pub mod doctor;
pub mod lease_file;
pub mod nptv6;
pub mod read;
pub mod status;
pub mod status_source;
