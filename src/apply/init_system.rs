//! Restarting docker through whatever init system runs the machine.

use std::fs::File;
use std::io::{Read, Seek};
use std::os::fd::{BorrowedFd, OwnedFd};
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};
use nix::fcntl::{FcntlArg, FdFlag, fcntl};
use nix::sys::memfd::{MFdFlags, memfd_create};

/// The init systems we know how to ask for a restart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InitSystem {
    /// systemd is running (`/run/systemd/system` is a directory, as sd_booted(3) checks).
    Systemd,
    /// OpenRC is running (`/run/openrc` is a directory).
    OpenRc,
    /// Anything else: sysvinit or Upstart, both reached through `service`.
    Service,
}

impl InitSystem {
    /// Finds the running init system by what it leaves under `root`/run (root is `/`).
    /// Whether `systemctl` is installed says nothing about whether systemd runs.
    pub fn detect(root: &Path) -> InitSystem {
        if root.join("run/systemd/system").is_dir() {
            InitSystem::Systemd
        } else if root.join("run/openrc").is_dir() {
            InitSystem::OpenRc
        } else {
            InitSystem::Service
        }
    }

    /// The command that restarts `service`, found through PATH when it runs.
    pub fn restart_command(self, service: &str) -> Vec<String> {
        match self {
            InitSystem::Systemd => {
                let unit = if service.contains('.') {
                    service.to_string()
                } else {
                    format!("{service}.service")
                };
                vec!["systemctl".into(), "restart".into(), unit]
            }
            InitSystem::OpenRc => vec!["rc-service".into(), service.into(), "restart".into()],
            InitSystem::Service => vec!["service".into(), service.into(), "restart".into()],
        }
    }
}

impl InitSystem {
    /// The command that starts `service`, for init systems whose restart fails when the
    /// service is not running (`systemctl restart` starts a stopped unit by itself).
    pub fn start_command(self, service: &str) -> Option<Vec<String>> {
        match self {
            InitSystem::Systemd => None,
            InitSystem::OpenRc => Some(vec!["rc-service".into(), service.into(), "start".into()]),
            InitSystem::Service => Some(vec!["service".into(), service.into(), "start".into()]),
        }
    }
}

/// Most of a failed restart's output kept in the error.
const OUTPUT_SHOWN: usize = 400;

/// Runs `argv` with stdin closed; fails with its exit status and (trimmed) output.
///
/// The output goes to an anonymous file rather than a pipe: a daemon started by an init
/// script may keep our stdout open forever, and a pipe would then never reach EOF. For the
/// same reason every descriptor we inherited (dhclient passes its own on to hooks) is marked
/// close-on-exec first, so docker does not inherit dhclient's sockets.
pub fn run(argv: &[String]) -> Result<()> {
    let shown = argv.join(" ");
    close_inherited_descriptors_on_exec();
    let output: OwnedFd = memfd_create("restart-output", MFdFlags::MFD_CLOEXEC)
        .context("creating a buffer for the restart's output")?;
    let mut output = File::from(output);
    let status = Command::new(&argv[0])
        .args(&argv[1..])
        .stdin(Stdio::null())
        .stdout(output.try_clone()?)
        .stderr(output.try_clone()?)
        .status()
        .with_context(|| format!("running {shown}"))?;
    if status.success() {
        return Ok(());
    }
    let mut text = String::new();
    output.rewind()?;
    output.take(64 * 1024).read_to_string(&mut text).ok();
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let text: String = text.chars().take(OUTPUT_SHOWN).collect();
    if text.is_empty() {
        bail!("{shown} failed ({status})");
    }
    bail!("{shown} failed ({status}): {text}")
}

/// Marks every descriptor above stderr close-on-exec.
fn close_inherited_descriptors_on_exec() {
    let Ok(entries) = std::fs::read_dir("/proc/self/fd") else {
        return;
    };
    let fds: Vec<i32> = entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .filter(|&fd| fd > 2)
        .collect();
    for fd in fds {
        // SAFETY: only the flags of a descriptor are changed; nothing is closed or reused.
        // The descriptor of the listing itself is closed by now; that call fails harmlessly.
        let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
        let _ = fcntl(borrowed, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_systemd_openrc_and_the_rest() {
        let root = tempfile::tempdir().unwrap();
        assert_eq!(InitSystem::detect(root.path()), InitSystem::Service);
        std::fs::create_dir_all(root.path().join("run/openrc")).unwrap();
        assert_eq!(InitSystem::detect(root.path()), InitSystem::OpenRc);
        std::fs::create_dir_all(root.path().join("run/systemd/system")).unwrap();
        assert_eq!(InitSystem::detect(root.path()), InitSystem::Systemd);
    }

    #[test]
    fn a_file_named_like_the_systemd_dir_is_not_systemd() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("run/systemd")).unwrap();
        std::fs::write(root.path().join("run/systemd/system"), "").unwrap();
        assert_eq!(InitSystem::detect(root.path()), InitSystem::Service);
    }

    #[test]
    fn restart_commands() {
        assert_eq!(
            InitSystem::Systemd.restart_command("docker"),
            ["systemctl", "restart", "docker.service"]
        );
        assert_eq!(
            InitSystem::Systemd.restart_command("snap.docker.dockerd.service"),
            ["systemctl", "restart", "snap.docker.dockerd.service"]
        );
        assert_eq!(
            InitSystem::Service.restart_command("docker"),
            ["service", "docker", "restart"]
        );
        assert_eq!(
            InitSystem::OpenRc.restart_command("docker"),
            ["rc-service", "docker", "restart"]
        );
    }

    #[test]
    fn a_failing_command_reports_status_and_output() {
        let argv: Vec<String> = [
            "sh",
            "-c",
            "echo 'job failed:'; echo see journal >&2; exit 3",
        ]
        .map(String::from)
        .to_vec();
        let err = run(&argv).unwrap_err().to_string();
        assert!(err.contains("exit status: 3"), "{err}");
        assert!(err.contains("job failed: see journal"), "{err}");
    }

    #[test]
    fn a_missing_command_is_an_error() {
        let err = run(&["/nonexistent/systemctl".to_string()]).unwrap_err();
        assert!(format!("{err:#}").contains("running /nonexistent/systemctl"));
    }
}
