//! Restarting docker through whatever init system runs the machine, within a time limit:
//! a restart that never returns would otherwise hold the lock on /etc/docker forever.

use std::fmt;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};

use crate::apply::child::{self, Ending};

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

/// A restart that still ran at its timeout and was killed, told apart from one that failed:
/// the caller should not follow it with a start, which would likely hang as long again.
#[derive(Debug)]
pub struct RestartTimedOut {
    /// The command as shown, e.g. `systemctl restart docker.service`.
    pub command: String,
    /// The timeout it ran into.
    pub timeout: Duration,
    /// What it printed before it was killed, trimmed.
    pub output: String,
}

impl fmt::Display for RestartTimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} did not finish within {}s and was killed",
            self.command,
            self.timeout.as_secs()
        )?;
        if !self.output.is_empty() {
            write!(f, ": {}", self.output)?;
        }
        Ok(())
    }
}

impl std::error::Error for RestartTimedOut {}

/// Runs `argv` as a child with limits (stdin null, only descriptors 0-2 inherited, output
/// bounded, its own process group); fails with its exit status and trimmed output, or with
/// [`RestartTimedOut`] when it still runs after `timeout` (its whole group is then killed).
pub fn run(argv: &[String], timeout: Duration) -> Result<()> {
    let shown = argv.join(" ");
    let Some((program, args)) = argv.split_first() else {
        bail!("no restart command");
    };
    let mut command = Command::new(program);
    command.args(args);
    let finished = child::run(command, timeout).with_context(|| format!("running {shown}"))?;
    match finished.ending {
        Ending::Succeeded => Ok(()),
        Ending::Failed(status) if finished.output.is_empty() => {
            bail!("{shown} failed ({status})")
        }
        Ending::Failed(status) => bail!("{shown} failed ({status}): {}", finished.output),
        Ending::TimedOut => Err(anyhow!(RestartTimedOut {
            command: shown,
            timeout,
            output: finished.output,
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apply::child::tests::{alive_in_group, is_running};

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
        let err = run(&argv, Duration::from_secs(10)).unwrap_err().to_string();
        assert!(err.contains("exit status: 3"), "{err}");
        assert!(err.contains("job failed: see journal"), "{err}");
    }

    #[test]
    fn a_restart_that_hangs_is_killed_at_the_timeout() {
        let argv: Vec<String> = ["sh", "-c", "echo stopping; sleep 600"]
            .map(String::from)
            .to_vec();
        let start = std::time::Instant::now();
        let err = run(&argv, Duration::from_secs(1)).unwrap_err();
        assert!(start.elapsed() < Duration::from_secs(10));
        assert!(err.is::<RestartTimedOut>());
        assert_eq!(
            err.to_string(),
            "sh -c echo stopping; sleep 600 did not finish within 1s and was killed: stopping"
        );
    }

    #[test]
    fn a_hanging_restart_and_what_it_started_are_gone_after_the_timeout() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("pid");
        let script = format!(
            "echo $$ >{}; (trap '' HUP TERM; sleep 600) & sleep 600",
            pid_file.display()
        );
        let argv = ["sh".to_string(), "-c".to_string(), script];
        let err = run(&argv, Duration::from_secs(1)).unwrap_err();
        assert!(err.is::<RestartTimedOut>(), "{err:#}");
        let group: i32 = std::fs::read_to_string(pid_file)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while !alive_in_group(group).is_empty() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert_eq!(alive_in_group(group), Vec::<String>::new());
    }

    #[test]
    fn a_daemon_the_restart_leaves_running_is_left_alone() {
        // As an init script starts dockerd: in the background, holding our output buffer.
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("pid");
        let script = format!("sleep 600 & echo $! >{}", pid_file.display());
        let argv = ["sh".to_string(), "-c".to_string(), script];
        let start = std::time::Instant::now();
        run(&argv, Duration::from_secs(30)).unwrap();
        assert!(start.elapsed() < Duration::from_secs(10));
        let daemon: i32 = std::fs::read_to_string(pid_file)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        std::thread::sleep(Duration::from_millis(300));
        let running = is_running(daemon);
        let daemon = nix::unistd::Pid::from_raw(daemon);
        let _ = nix::sys::signal::kill(daemon, nix::sys::signal::Signal::SIGKILL);
        assert!(running, "the daemon was killed");
    }

    #[test]
    fn a_missing_command_is_an_error() {
        let err = run(
            &["/nonexistent/systemctl".to_string()],
            Duration::from_secs(10),
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("running /nonexistent/systemctl"));
    }
}
