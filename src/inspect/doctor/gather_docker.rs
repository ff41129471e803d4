//! Doctor's eyes on docker's own state: its systemd unit, its containers and docker0's
//! addresses. All under `--root`, every file through the bounded reader.

use std::path::Path;

use ipnet::Ipv6Net;

use crate::inspect::doctor::facts::{Container, DockerUnit};
use crate::inspect::nptv6::{self, IF_INET6};
use crate::inspect::read::{self, CONFIG_CAP, Found};

/// Where docker.service may be, the administrator's copy first.
const UNIT_PATHS: [&str; 3] = [
    "/etc/systemd/system/docker.service",
    "/usr/lib/systemd/system/docker.service",
    "/lib/systemd/system/docker.service",
];
/// Drop-ins of docker.service.
const DROP_INS: &str = "/etc/systemd/system/docker.service.d";
/// One directory per container.
const CONTAINERS: &str = "/var/lib/docker/containers";

fn text(root: &Path, path: &Path) -> Found<String> {
    read::system_file(root, path, CONFIG_CAP)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
}

/// docker.service as systemd loads it: the first unit file found, then its drop-ins.
pub fn docker_unit(root: &Path) -> Option<DockerUnit> {
    let (path, unit) = UNIT_PATHS
        .iter()
        .find_map(|p| text(root, Path::new(p)).ok().map(|t| (p.to_string(), t)))?;
    let mut texts = vec![unit];
    for name in read::names_in(root, Path::new(DROP_INS)) {
        if name.ends_with(".conf")
            && let Some(t) = text(root, &Path::new(DROP_INS).join(name)).ok()
        {
            texts.push(t);
        }
    }
    Some(DockerUnit {
        path,
        reads_defaults: unit_reads_defaults(&texts),
    })
}

/// True when the unit (then its drop-ins, in order) reads /etc/default/docker into the
/// environment and its last ExecStart passes `$DOCKER_OPTS` on.
pub fn unit_reads_defaults(texts: &[String]) -> bool {
    let lines = || texts.iter().flat_map(|t| t.lines().map(str::trim));
    let environment = lines().any(|l| {
        l.strip_prefix("EnvironmentFile=")
            .is_some_and(|v| v.trim_start_matches('-') == "/etc/default/docker")
    });
    let exec_start = lines()
        .filter_map(|l| l.strip_prefix("ExecStart="))
        .rfind(|v| !v.is_empty());
    environment
        && exec_start.is_some_and(|e| e.contains("$DOCKER_OPTS") || e.contains("${DOCKER_OPTS}"))
}

/// Every container with its restart policy and whether it runs; what could not be read.
pub fn containers(root: &Path) -> (Vec<Container>, Vec<String>) {
    let mut found = Vec::new();
    let mut unreadable = Vec::new();
    for id in read::names_in(root, Path::new(CONTAINERS)) {
        let dir = Path::new(CONTAINERS).join(&id);
        let json = |name: &str, unreadable: &mut Vec<String>| {
            let path = dir.join(name);
            match read::system_file(root, &path, CONFIG_CAP) {
                Found::Read(bytes) => match serde_json::from_slice::<serde_json::Value>(&bytes) {
                    Ok(value) => Some(value),
                    Err(e) => {
                        unreadable.push(format!("{}: {e}", path.display()));
                        None
                    }
                },
                Found::Unreadable(why) => {
                    unreadable.push(why);
                    None
                }
                Found::Missing => None,
            }
        };
        let Some(host) = json("hostconfig.json", &mut unreadable) else {
            continue;
        };
        let config = json("config.v2.json", &mut unreadable);
        let policy = host["RestartPolicy"]["Name"].as_str().unwrap_or_default();
        let name = config
            .as_ref()
            .and_then(|c| c["Name"].as_str())
            .map(|n| n.trim_start_matches('/'))
            .filter(|n| !n.is_empty())
            .unwrap_or(&id);
        found.push(Container {
            name: name.to_string(),
            restart_policy: if policy.is_empty() { "no" } else { policy }.to_string(),
            running: config.is_some_and(|c| c["State"]["Running"] == true),
        });
    }
    (found, unreadable)
}

/// docker0's global addresses (scope 00) from /proc/net/if_inet6.
pub fn docker0(root: &Path) -> Vec<Ipv6Net> {
    let Found::Read(text) = text(root, Path::new(IF_INET6)) else {
        return Vec::new();
    };
    global_addresses(&text, "docker0")
}

/// The global addresses of `interface` in if_inet6's format:
/// `20010db8000001000000000000000001 05 50 00 80 docker0`.
pub fn global_addresses(if_inet6: &str, interface: &str) -> Vec<Ipv6Net> {
    nptv6::global_addresses(if_inet6)
        .into_iter()
        .filter(|(name, _)| name == interface)
        .map(|(_, address)| address)
        .collect()
}

/// Pids whose /proc/PID/comm is `program` or whose /proc/PID/exe points at a file of
/// that name: programs that rewrite their command line are found all the same.
pub fn pids_of(root: &Path, program: &str) -> Vec<u32> {
    let mut pids: Vec<u32> = read::names_in(root, Path::new("/proc"))
        .into_iter()
        .filter_map(|name| {
            let pid: u32 = name.parse().ok()?;
            let dir = Path::new("/proc").join(&name);
            let comm = text(root, &dir.join("comm")).ok();
            let exe = std::fs::read_link(crate::settings::under_root(root, &dir.join("exe"))).ok();
            let by_comm = comm.is_some_and(|c| c.trim_end() == program);
            let by_exe = exe.is_some_and(|e| {
                e.file_name().is_some_and(|n| n == program)
                    || e.to_string_lossy()
                        .ends_with(&format!("/{program} (deleted)"))
            });
            (by_comm || by_exe).then_some(pid)
        })
        .collect();
    pids.sort_unstable();
    pids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_docker0s_global_addresses_only() {
        let text = "fe800000000000000000000000000001 05 40 20 80  docker0\n\
                    20010db8000001000000000000000001 05 50 00 80  docker0\n\
                    20010db8000002000000000000000001 02 40 00 80     eth0\n";
        assert_eq!(
            global_addresses(text, "docker0"),
            ["2001:db8:0:100::1/80".parse::<Ipv6Net>().unwrap()]
        );
        assert!(global_addresses("garbage\n", "docker0").is_empty());
    }

    #[test]
    fn debians_unit_reads_etc_default_docker_docker_ces_does_not() {
        let debian = "[Service]\nEnvironmentFile=-/etc/default/docker\nExecStart=/usr/sbin/dockerd -H fd:// $DOCKER_OPTS\n";
        let ce = "[Service]\nExecStart=/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock\n";
        assert!(unit_reads_defaults(&[debian.into()]));
        assert!(!unit_reads_defaults(&[ce.into()]));
        // A drop-in that replaces ExecStart without $DOCKER_OPTS stops the reading.
        let drop_in = "[Service]\nExecStart=\nExecStart=/usr/sbin/dockerd -H fd://\n";
        assert!(!unit_reads_defaults(&[debian.into(), drop_in.into()]));
    }
}
