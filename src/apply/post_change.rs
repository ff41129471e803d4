//! Post-change scripts: after the configured subnet changes (and only then), the executables
//! in `--post-change-dir` run in run-parts order, each as a child with limits (timeout,
//! bounded output, stdin closed, no inherited descriptors). A failing or hanging hook is
//! logged and killed; it never blocks or fails the main run. Hooks that someone other than
//! root could have planted are skipped, since they would run as root.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use nix::unistd::geteuid;

use crate::apply::child::{self, Ending};
use crate::apply::run_parts;
use crate::log;
use crate::plan::effect::SubnetChange;
use crate::plan::nptv6::Mapping;

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
    /// More variables: `--target nptv6`'s mapping (none for the other targets).
    pub mapping: Vec<(&'static str, String)>,
}

impl Change {
    /// What the scripts are told of `change`. Under `--target nptv6` they also get the mapping
    /// in place and the one before: the mapped part of the internal prefix, the public part it
    /// is mapped onto (all of the delegated prefix, or its first /48), and docker0's public
    /// /64; each set, empty when there is none (removed, or unknown since boot).
    pub fn of(change: &SubnetChange, nptv6: bool) -> Change {
        let show = |n: Option<ipnet::Ipv6Net>| n.map(|n| n.to_string()).unwrap_or_default();
        let mut mapping = Vec::new();
        if nptv6 {
            let sides = |m: Option<Mapping>| {
                [
                    show(m.map(|m| m.mapped)),
                    show(m.map(|m| m.public)),
                    show(m.map(|m| m.public_subnet())),
                ]
            };
            let [mapped, public, public_subnet] = sides(change.mapping);
            let [old_mapped, old_public, old_public_subnet] = sides(change.old_mapping);
            mapping = vec![
                ("DOCKER_IPV6_PD_MAPPED", mapped),
                ("DOCKER_IPV6_PD_PUBLIC", public),
                ("DOCKER_IPV6_PD_PUBLIC_SUBNET", public_subnet),
                ("DOCKER_IPV6_PD_OLD_MAPPED", old_mapped),
                ("DOCKER_IPV6_PD_OLD_PUBLIC", old_public),
                ("DOCKER_IPV6_PD_OLD_PUBLIC_SUBNET", old_public_subnet),
            ];
        }
        Change {
            subnet: show(change.subnet),
            old_subnet: show(change.old_subnet),
            prefix: change.prefix.to_string(),
            reason: change.reason.clone(),
            mapping,
        }
    }

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
    /// It exited with status 0.
    Succeeded,
    /// It exited non-zero (or could not start): the status and its trimmed output.
    Failed(String),
    /// It still ran at the timeout, and it and whatever it started were killed.
    TimedOut,
    /// It was not run because someone other than root (or us) could have changed it.
    Skipped(String),
}

/// Who owns a file and who may write it, as stat(2) gives them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ownership {
    /// st_mode: the file type and permission bits.
    pub mode: u32,
    /// The owner.
    pub uid: u32,
    /// The group.
    pub gid: u32,
}

impl Ownership {
    fn of(metadata: &fs::Metadata) -> Ownership {
        Ownership {
            mode: metadata.mode(),
            uid: metadata.uid(),
            gid: metadata.gid(),
        }
    }
}

/// Why a script in `dir` must not run as `euid`, or None when it may: refused, as cron and
/// sudo refuse such files, when anyone but root or `euid` could have written the script or
/// replaced it (a writable directory), i.e. when either is writable by everyone, writable
/// by a group other than root's, or owned by another user.
pub fn refusal(script: Ownership, dir: Ownership, euid: u32) -> Option<String> {
    let problem = |what: &str, file: Ownership| {
        if file.mode & 0o002 != 0 {
            Some(format!("{what} is writable by everyone"))
        } else if file.mode & 0o020 != 0 && file.gid != 0 {
            Some(format!("{what} is writable by group {}", file.gid))
        } else if file.uid != 0 && file.uid != euid {
            Some(format!("{what} is owned by uid {}, not root", file.uid))
        } else {
            None
        }
    };
    problem("it", script).or_else(|| problem("its directory", dir))
}

/// [`refusal`] for the script at `path` in `dir` as it is on disk now (a symlink is judged
/// by the file it points to, which is what runs), for the current effective uid.
pub fn refusal_on_disk(dir: &Path, path: &Path) -> Option<String> {
    let script = match fs::metadata(path) {
        Ok(m) => Ownership::of(&m),
        Err(e) => return Some(format!("it cannot be inspected: {e}")),
    };
    let dir = match fs::metadata(dir) {
        Ok(m) => Ownership::of(&m),
        Err(e) => return Some(format!("its directory cannot be inspected: {e}")),
    };
    refusal(script, dir, geteuid().as_raw())
}

/// The hooks run-parts would run from `dir`: executable regular files whose names are
/// letters, digits, `_` and `-`, in byte order. A missing directory has none. Whether each
/// may run is [`refusal_on_disk`]'s to say.
pub fn scripts_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut hooks: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_str().is_some_and(run_parts::accepts_name))
        .map(|e| e.path())
        .filter(|p| run_parts::is_executable_file(p))
        .collect();
    hooks.sort();
    hooks
}

/// Runs every hook in `dir` for `change`, logging each failure; returns the outcomes.
/// Hooks anyone but root could have changed are skipped with a warning.
pub fn run_all(dir: &Path, change: &Change, timeout: Duration) -> Vec<(PathBuf, Outcome)> {
    scripts_in(dir)
        .into_iter()
        .map(|hook| {
            let outcome = run_trusted(dir, &hook, change, timeout);
            (hook, outcome)
        })
        .collect()
}

/// Runs one hook unless it is refused, and logs how it went.
fn run_trusted(dir: &Path, hook: &Path, change: &Change, timeout: Duration) -> Outcome {
    let name = hook.display();
    if let Some(why) = refusal_on_disk(dir, hook) {
        log::warning(&format!("post-change script {name} skipped: {why}"));
        return Outcome::Skipped(why);
    }
    let mut command = Command::new(hook);
    command.envs(change.vars()).envs(change.mapping.clone());
    let finished = match child::run(command, timeout) {
        Ok(finished) => finished,
        Err(e) => {
            log::warning(&format!("post-change script {name} failed: {e}"));
            return Outcome::Failed(e.to_string());
        }
    };
    let output = finished.output;
    match finished.ending {
        Ending::Succeeded => {
            log::info(&format!("post-change script {name} ran"));
            Outcome::Succeeded
        }
        Ending::Failed(status) => {
            let why = if output.is_empty() {
                status.to_string()
            } else {
                format!("{status}: {output}")
            };
            log::warning(&format!("post-change script {name} failed: {why}"));
            Outcome::Failed(why)
        }
        Ending::TimedOut => {
            let secs = timeout.as_secs();
            let printed = if output.is_empty() {
                String::new()
            } else {
                format!("; it printed: {output}")
            };
            log::warning(&format!(
                "post-change script {name} still ran after {secs}s and was killed{printed}"
            ));
            Outcome::TimedOut
        }
    }
}

#[cfg(test)]
mod tests;
