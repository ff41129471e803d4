//! Which flag sources reach the dockerd that restarting docker starts: a running dockerd in
//! another mount namespace (a container's, a test's private one, a user's rootless one) is
//! not it, and /etc/default/docker only counts when whatever starts dockerd reads it. The
//! hook refuses to write daemon.json next to the sources that reach it.

use std::path::{Path, PathBuf};

use crate::apply::init_system::InitSystem;
use crate::inspect::docker_flags::{DEFAULTS, FlagSource, Survey};
use crate::inspect::doctor::gather_docker;
use crate::settings::under_root;

/// Where a running process stands to the mount namespace of docker's service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MountNamespace {
    /// It shares ours or init's: the dockerd there is the one a restart replaces.
    Ours,
    /// Another one: its dockerd is not the one a restart replaces.
    Elsewhere,
    /// /proc does not tell; why, in words. Such a dockerd is taken as ours.
    Unknown(String),
}

/// The mount namespaces a dockerd that restarting docker replaces may run in: ours (the
/// init script's dockerd inherits it) and init's (systemd's docker.service runs there,
/// while the DHCP client's unit may give the hook a namespace of its own).
#[derive(Clone, Debug)]
pub struct HomeNamespaces {
    ours: Result<PathBuf, String>,
    init: Option<PathBuf>,
}

/// The target of `/proc/PID/ns/mnt` under `root` (`mnt:[4026531841]`), or why it cannot be read.
fn mount_link(root: &Path, pid: &str) -> Result<PathBuf, String> {
    let link = Path::new("/proc").join(pid).join("ns/mnt");
    std::fs::read_link(under_root(root, &link)).map_err(|e| format!("{}: {e}", link.display()))
}

impl HomeNamespaces {
    /// Reads ours (`/proc/self`) and init's (`/proc/1`) under `root`.
    pub fn read(root: &Path) -> HomeNamespaces {
        HomeNamespaces {
            ours: mount_link(root, "self"),
            init: mount_link(root, "1").ok(),
        }
    }

    /// Where process `pid` stands. When our own link or the process's cannot be read, the
    /// process is taken as ours (a dockerd there may be the one that restarts), and why is
    /// said; init's link is only a second chance (it is unreadable inside some containers).
    pub fn of(&self, root: &Path, pid: u32) -> MountNamespace {
        let ours = match &self.ours {
            Ok(ours) => ours,
            Err(why) => return MountNamespace::Unknown(why.clone()),
        };
        match mount_link(root, &pid.to_string()) {
            Err(why) => MountNamespace::Unknown(why),
            Ok(theirs) if &theirs == ours || self.init.as_ref() == Some(&theirs) => {
                MountNamespace::Ours
            }
            Ok(_) => MountNamespace::Elsewhere,
        }
    }
}

/// What starts dockerd, and so whether DOCKER_OPTS in /etc/default/docker reaches it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DockerStarter {
    /// No systemd: `/etc/init.d/docker`, whose shell reads /etc/default/docker.
    InitScript,
    /// systemd's docker.service (its file, as on the system): Debian's docker.io unit reads
    /// /etc/default/docker (`EnvironmentFile=`, `$DOCKER_OPTS`), Docker CE's does not.
    Unit { path: String, reads_defaults: bool },
    /// systemd runs, but no docker.service is where units are looked for.
    NoUnit,
}

impl DockerStarter {
    /// Looks under `root` (`/` on a live system), reading the unit as `doctor` does.
    pub fn find(root: &Path) -> DockerStarter {
        if InitSystem::detect(root) != InitSystem::Systemd {
            return DockerStarter::InitScript;
        }
        match gather_docker::docker_unit(root) {
            Some(unit) => DockerStarter::Unit {
                path: unit.path,
                reads_defaults: unit.reads_defaults,
            },
            None => DockerStarter::NoUnit,
        }
    }

    /// Whether DOCKER_OPTS may reach dockerd, and in words why: with no unit found that
    /// cannot be told, and it is taken as reaching it.
    pub fn reads_defaults(&self) -> (bool, String) {
        match self {
            DockerStarter::InitScript => (true, "which /etc/init.d/docker reads".into()),
            DockerStarter::Unit {
                path,
                reads_defaults: true,
            } => (true, format!("which {path} reads")),
            DockerStarter::Unit { path, .. } => (false, format!("which {path} does not read")),
            DockerStarter::NoUnit => (
                true,
                "which docker.service may read (no unit file found to tell)".into(),
            ),
        }
    }
}

/// Every place in `survey` that gives, or may give, the dockerd a restart starts IPv6
/// flags, each with a note on why it counts when that is not plain. An option string too
/// deep to read that mentions a flag counts, and so does a running dockerd whose mount
/// namespace cannot be told: the hook errs on the side of not writing daemon.json next to
/// them. DOCKER_OPTS counts unless docker.service does not read /etc/default/docker.
pub fn conflicts(survey: &Survey, starter: &DockerStarter) -> Vec<(FlagSource, Option<String>)> {
    let (reads_defaults, why) = starter.reads_defaults();
    survey
        .sources
        .iter()
        .chain(&survey.maybe)
        .filter_map(|source| {
            if source.origin.starts_with(DEFAULTS) {
                return reads_defaults.then(|| (source.clone(), Some(why.clone())));
            }
            let unknown = survey
                .namespace_unknown
                .iter()
                .find(|(o, _)| *o == source.origin);
            let note = unknown.map(|(_, why)| {
                format!(
                    "taken as the one a restart replaces, as its mount namespace cannot be \
                     told ({why})"
                )
            });
            Some((source.clone(), note))
        })
        .collect()
}

#[cfg(test)]
#[path = "docker_flags_reach_tests.rs"]
mod tests;
