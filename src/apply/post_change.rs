//! Post-change hooks: after the configured subnet changes (and only then), the executables
//! in `--post-change-dir` run in run-parts order, each with a timeout and stdin closed. A
//! failing or hanging hook is logged and killed; it never blocks or fails the main run.

use std::fs::{self, File};
use std::io::{Read, Seek};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::memfd::{MFdFlags, memfd_create};
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

use crate::log;

/// What the hooks are told, as DOCKER_IPV6_PD_* variables.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Change {
    /// The new subnet (compressed), empty when it was withdrawn.
    pub subnet: String,
    /// The subnet before, empty when there was none.
    pub old_subnet: String,
    /// The prefix the new subnet comes from (or the one lost).
    pub prefix: String,
    /// The DHCP client's reason.
    pub reason: String,
}

impl Change {
    fn vars(&self) -> [(&'static str, &str); 4] {
        [
            ("DOCKER_IPV6_PD_SUBNET", &self.subnet),
            ("DOCKER_IPV6_PD_OLD_SUBNET", &self.old_subnet),
            ("DOCKER_IPV6_PD_PREFIX", &self.prefix),
            ("DOCKER_IPV6_PD_REASON", &self.reason),
        ]
    }
}

/// How a hook ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Succeeded,
    Failed(String),
    TimedOut,
}

/// The hooks run-parts would run from `dir`: executable regular files whose names are
/// letters, digits, `_` and `-`, in byte order. A missing directory has none.
pub fn hooks_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut hooks: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name().to_str().is_some_and(|n| {
                !n.is_empty()
                    && n.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            })
        })
        .map(|e| e.path())
        .filter(|p| {
            fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
        .collect();
    hooks.sort();
    hooks
}

/// Runs every hook in `dir` for `change`, logging each failure; returns the outcomes.
pub fn run_all(dir: &Path, change: &Change, timeout: Duration) -> Vec<(PathBuf, Outcome)> {
    hooks_in(dir)
        .into_iter()
        .map(|hook| {
            let outcome = run_one(&hook, change, timeout);
            match &outcome {
                Outcome::Succeeded => {
                    log::info(&format!("post-change hook {} ran", hook.display()))
                }
                Outcome::Failed(why) => log::warning(&format!(
                    "post-change hook {} failed: {why}",
                    hook.display()
                )),
                Outcome::TimedOut => log::warning(&format!(
                    "post-change hook {} still ran after {}s and was killed",
                    hook.display(),
                    timeout.as_secs()
                )),
            }
            (hook, outcome)
        })
        .collect()
}

fn run_one(hook: &Path, change: &Change, timeout: Duration) -> Outcome {
    let output = match memfd_create("post-change-output", MFdFlags::MFD_CLOEXEC) {
        Ok(fd) => File::from(fd),
        Err(e) => return Outcome::Failed(format!("creating an output buffer: {e}")),
    };
    let (Ok(out), Ok(err)) = (output.try_clone(), output.try_clone()) else {
        return Outcome::Failed("duplicating the output buffer".into());
    };
    let spawned = Command::new(hook)
        .envs(change.vars())
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        // Its own process group, so a timeout kills whatever it started too.
        .process_group(0)
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => return Outcome::Failed(e.to_string()),
    };
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                if let Ok(pid) = i32::try_from(child.id()) {
                    let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
                }
                let _ = child.kill();
                let _ = child.wait();
                return Outcome::TimedOut;
            }
        }
    };
    if status.success() {
        return Outcome::Succeeded;
    }
    let mut text = String::new();
    let mut output = output;
    if output.rewind().is_ok() {
        let _ = output.take(4096).read_to_string(&mut text);
    }
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    Outcome::Failed(if text.is_empty() {
        status.to_string()
    } else {
        format!("{status}: {text}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
        let path = dir.join(name);
        fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    #[test]
    fn only_executables_with_run_parts_names_in_order() {
        let dir = tempfile::tempdir().unwrap();
        script(dir.path(), "20-b", "true");
        script(dir.path(), "10-a", "true");
        script(dir.path(), "30-c.sh", "true");
        script(dir.path(), "40-d~", "true");
        fs::write(dir.path().join("50-e"), "not executable").unwrap();
        let names: Vec<String> = hooks_in(dir.path())
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["10-a", "20-b"]);
        assert!(hooks_in(&dir.path().join("missing")).is_empty());
    }

    #[test]
    fn hooks_get_the_change_and_no_stdin() {
        let dir = tempfile::tempdir().unwrap();
        let seen = dir.path().join("seen");
        script(
            dir.path(),
            "10-record",
            &format!(
                "echo \"$DOCKER_IPV6_PD_SUBNET|$DOCKER_IPV6_PD_OLD_SUBNET|$DOCKER_IPV6_PD_PREFIX|$DOCKER_IPV6_PD_REASON\" >{s}; cat >>{s}",
                s = seen.display()
            ),
        );
        let change = Change {
            subnet: "2001:db8:0:200::/80".into(),
            old_subnet: "2001:db8:0:100::/80".into(),
            prefix: "2001:db8:0:200::/60".into(),
            reason: "BOUND6".into(),
        };
        let outcomes = run_all(dir.path(), &change, Duration::from_secs(5));
        assert_eq!(outcomes[0].1, Outcome::Succeeded);
        assert_eq!(
            fs::read_to_string(seen).unwrap(),
            "2001:db8:0:200::/80|2001:db8:0:100::/80|2001:db8:0:200::/60|BOUND6\n"
        );
    }

    #[test]
    fn a_failing_hook_is_reported_and_the_next_still_runs() {
        let dir = tempfile::tempdir().unwrap();
        script(dir.path(), "10-fail", "echo broken >&2; exit 3");
        script(dir.path(), "20-ok", "true");
        let outcomes = run_all(dir.path(), &Change::default(), Duration::from_secs(5));
        assert_eq!(
            outcomes[0].1,
            Outcome::Failed("exit status: 3: broken".into())
        );
        assert_eq!(outcomes[1].1, Outcome::Succeeded);
    }

    #[test]
    fn a_hanging_hook_and_its_children_are_killed_at_the_timeout() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("child-survived");
        script(
            dir.path(),
            "10-hang",
            &format!("(sleep 2; touch {}) & sleep 60", marker.display()),
        );
        let start = Instant::now();
        let outcomes = run_all(dir.path(), &Change::default(), Duration::from_millis(300));
        assert_eq!(outcomes[0].1, Outcome::TimedOut);
        assert!(start.elapsed() < Duration::from_secs(5));
        std::thread::sleep(Duration::from_millis(2500));
        assert!(!marker.exists(), "the hook's child outlived the timeout");
    }
}
