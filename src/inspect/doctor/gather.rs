//! Doctor's eyes: one function per source of facts, all the I/O, every path under
//! `settings.root`, every file through the bounded reader.

use std::collections::BTreeMap;
use std::path::Path;

use crate::apply::init_system::InitSystem;
use crate::apply::run_parts;
use crate::inspect::docker_flags::{HomeNamespaces, MountNamespace};
use crate::inspect::doctor::facts::{
    DhcpFacts, DhcpcdHooks, Facts, HOOKS_DIR, HookFile, Setup, Shim, TargetFile, WANTS_DIR,
};
use crate::inspect::doctor::gather_nptv6::{self, ListRuleset};
use crate::inspect::doctor::{gather_docker, gather_network_managers};
use crate::inspect::read::{self, CONFIG_CAP, DPKG_STATUS_CAP, Found, SYSCTL_CAP};
use crate::inspect::{docker_flags, lease_file};
use crate::plan::daemon_json::DaemonJson;
use crate::plan::nptv6::LONGEST_MAPPED;
use crate::plan::target::Contents;
use crate::settings::{FileKind, Settings, Target, under_root};

/// Looks at everything doctor judges.
pub fn gather(settings: &Settings) -> Facts {
    gather_with(settings, &gather_nptv6::nft_list_ruleset)
}

/// Looks at everything doctor judges, listing the nft ruleset with `list_ruleset`.
pub fn gather_with(settings: &Settings, list_ruleset: ListRuleset) -> Facts {
    let root = settings.root.as_path();
    let daemon_json = daemon_json(root, &settings.daemon_json);
    let (containers, containers_unreadable) = gather_docker::containers(root);
    let processes = docker_flags::processes(root);
    Facts {
        setup: Setup {
            kinds: settings.target.files().to_vec(),
            // Under nptv6 docker0 gets a /64 of the mapped part, whatever --subnet-size says.
            subnet_size: match settings.target {
                Target::Nptv6 => LONGEST_MAPPED,
                _ => settings.subnet_size,
            },
            subnet_id: settings.subnet_id,
            prefix_file: read::on_system(root, &settings.prefix_file)
                .display()
                .to_string(),
            daemon_json: read::on_system(root, &settings.daemon_json)
                .display()
                .to_string(),
            nptv6: settings.target == Target::Nptv6,
        },
        hooks: hooks(root),
        network_managers: gather_network_managers::network_managers(root, &processes),
        enabled_units: read::names_in(root, Path::new(WANTS_DIR)),
        forwarding: sysctl(root, "all/forwarding"),
        accept_ra: accept_ra(root),
        systemd: InitSystem::detect(root) == InitSystem::Systemd,
        targets: targets(settings, &daemon_json),
        daemon_json,
        flags: docker_flags::survey(root),
        leases: lease_file::survey(root),
        docker_package: read::system_file(root, Path::new("/var/lib/dpkg/status"), DPKG_STATUS_CAP)
            .map(|bytes| installed_docker(&String::from_utf8_lossy(&bytes))),
        dhcp: dhcp(root, &processes),
        processes,
        docker_unit: gather_docker::docker_unit(root),
        containers,
        containers_unreadable,
        docker0: gather_docker::docker0(root),
        nptv6: (settings.target == Target::Nptv6)
            .then(|| gather_nptv6::nptv6(settings, list_ruleset)),
    }
}

/// Where dhcpcd-run-hooks may be: Debian 12 and 13, then Debian 14.
const DHCPCD_RUN_HOOKS: [&str; 2] = [
    "/usr/lib/dhcpcd/dhcpcd-run-hooks",
    "/usr/libexec/dhcpcd-run-hooks",
];
/// dhcpcd's hook directories, in the same order.
const DHCPCD_HOOK_DIRS: [&str; 2] = ["/usr/lib/dhcpcd/dhcpcd-hooks", "/usr/libexec/dhcpcd-hooks"];

fn exists(root: &Path, paths: &[&str]) -> bool {
    paths
        .iter()
        .any(|p| under_root(root, Path::new(p)).exists())
}

/// The DHCPv6 clients installed, those running elsewhere, and dhcpcd's configuration and hooks.
fn dhcp(root: &Path, processes: &[(u32, Vec<String>)]) -> DhcpFacts {
    let dhcpcd = exists(root, &["/usr/sbin/dhcpcd", "/sbin/dhcpcd"]);
    let text = |path: &str| {
        read::system_file(root, Path::new(path), CONFIG_CAP)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
    };
    let read_dir = DHCPCD_RUN_HOOKS
        .iter()
        .find_map(|script| text(script).ok().and_then(|t| hook_dir_read_by(&t)));
    let dir = read_dir.or_else(|| {
        DHCPCD_HOOK_DIRS
            .iter()
            .find(|d| under_root(root, Path::new(d)).is_dir())
            .map(|d| d.to_string())
    });
    let dhcpcd_hooks = dir.filter(|_| dhcpcd).map(|dir| {
        let shim = read::names_in(root, Path::new(&dir)).iter().any(|name| {
            text(&format!("{dir}/{name}"))
                .ok()
                .is_some_and(|t| t.contains("docker-ipv6-pd"))
        });
        DhcpcdHooks { dir, shim }
    });
    let dhcpcd_pids = gather_docker::pids_of(root, "dhcpcd");
    DhcpFacts {
        dhclient: exists(root, &["/sbin/dhclient", "/usr/sbin/dhclient"]),
        dhcpcd,
        elsewhere: elsewhere(root, processes, &dhcpcd_pids),
        dhcpcd_pids,
        dhcpcd_conf: text("/etc/dhcpcd.conf"),
        dhcpcd_hooks,
    }
}

/// The DHCP client processes (dhclient, dhcpcd) in another mount namespace, told as for
/// dockerd: one whose namespace cannot be read is taken as ours.
fn elsewhere(root: &Path, processes: &[(u32, Vec<String>)], dhcpcd_pids: &[u32]) -> Vec<u32> {
    let mut home = None;
    processes
        .iter()
        .filter(|(pid, argv)| {
            docker_flags::is_program(argv, "dhclient")
                || docker_flags::is_program(argv, "dhcpcd")
                || dhcpcd_pids.contains(pid)
        })
        .filter(|(pid, _)| {
            let home = home.get_or_insert_with(|| HomeNamespaces::read(root));
            home.of(root, *pid) == MountNamespace::Elsewhere
        })
        .map(|(pid, _)| *pid)
        .collect()
}

/// The hook directory a dhcpcd-run-hooks script sources: the word ending in `-hooks/*`
/// in its `for hook in` list (`/usr/libexec/dhcpcd-hooks/* \`).
pub fn hook_dir_read_by(script: &str) -> Option<String> {
    script
        .split_whitespace()
        .filter_map(|word| word.trim_end_matches(';').strip_suffix("/*"))
        .find(|dir| dir.starts_with('/') && dir.ends_with("-hooks"))
        .map(str::to_string)
}

/// The files among dhclient's enter hooks (directories left out), with the binary of each shim.
fn hooks(root: &Path) -> Vec<HookFile> {
    read::names_in(root, Path::new(HOOKS_DIR))
        .into_iter()
        .map(|name| Path::new(HOOKS_DIR).join(name))
        .filter(|path| !under_root(root, path).is_dir())
        .map(|path| {
            let text = read::system_file(root, &path, CONFIG_CAP)
                .map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
            let shim = match &text {
                Found::Read(text) if text.contains("docker-ipv6-pd") => {
                    shim_binary(text).map(|binary| Shim {
                        executable: run_parts::is_executable_file(&under_root(
                            root,
                            Path::new(binary),
                        )),
                        binary: binary.to_string(),
                    })
                }
                _ => None,
            };
            let name = path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            HookFile { name, text, shim }
        })
        .collect()
}

/// The binary a shim runs: the path in its `if [ -x PATH ]` line.
pub fn shim_binary(text: &str) -> Option<&str> {
    text.lines()
        .find_map(|l| l.trim().strip_prefix("if [ -x ")?.split_whitespace().next())
}

/// One value under /proc/sys/net/ipv6/conf, trimmed.
fn sysctl(root: &Path, name: &str) -> Found<String> {
    let path = Path::new("/proc/sys/net/ipv6/conf").join(name);
    read::system_file(root, &path, SYSCTL_CAP)
        .map(|bytes| String::from_utf8_lossy(&bytes).trim().to_string())
}

/// accept_ra of every interface the kernel lists.
fn accept_ra(root: &Path) -> BTreeMap<String, Found<String>> {
    read::names_in(root, Path::new("/proc/sys/net/ipv6/conf"))
        .into_iter()
        .map(|iface| {
            let value = sysctl(root, &format!("{iface}/accept_ra"));
            (iface, value)
        })
        .collect()
}

/// daemon.json, read and parsed.
fn daemon_json(root: &Path, path: &Path) -> Found<Result<DaemonJson, String>> {
    read::real_file(root, path, CONFIG_CAP)
        .map(|bytes| DaemonJson::parse(Some(&bytes)).map_err(|e| e.to_string()))
}

/// What each file of the target holds now.
fn targets(
    settings: &Settings,
    daemon_json: &Found<Result<DaemonJson, String>>,
) -> Vec<TargetFile> {
    let root = settings.root.as_path();
    settings
        .target
        .files()
        .iter()
        .map(|&kind| {
            let path = settings.path(kind);
            let contents = match kind {
                FileKind::PrefixFile => read::real_file(root, path, CONFIG_CAP)
                    .map(|bytes| Contents::PrefixFile(Some(bytes))),
                FileKind::DaemonJson => match daemon_json {
                    Found::Read(Ok(json)) => Found::Read(Contents::DaemonJson(json.clone())),
                    Found::Read(Err(why)) | Found::Unreadable(why) => {
                        Found::Unreadable(why.clone())
                    }
                    Found::Missing => Found::Read(Contents::DaemonJson(DaemonJson::default())),
                },
            };
            TargetFile {
                kind,
                shown: read::on_system(root, path).display().to_string(),
                contents,
            }
        })
        .collect()
}

/// The installed docker package and its version, from dpkg's status file.
pub fn installed_docker(status: &str) -> Option<(String, String)> {
    status.split("\n\n").find_map(|stanza| {
        let field = |name: &str| {
            stanza
                .lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(": "))
                .map(str::to_string)
        };
        let package = field("Package")?;
        let installed = field("Status").is_some_and(|s| s.ends_with(" installed"));
        (["docker.io", "docker-ce", "moby-engine"].contains(&package.as_str()) && installed)
            .then(|| Some((package, field("Version")?)))
            .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_binary_a_shim_runs() {
        let shim =
            "# c\nif [ -x /usr/sbin/docker-ipv6-pd ]; then\n    /usr/sbin/docker-ipv6-pd\nfi\n";
        assert_eq!(shim_binary(shim), Some("/usr/sbin/docker-ipv6-pd"));
        assert_eq!(shim_binary("echo hi\n"), None);
    }

    #[test]
    fn finds_the_hook_directory_dhcpcd_run_hooks_reads() {
        let script = "for hook in \\\n\t/etc/dhcpcd.enter-hook \\\n\t/usr/libexec/dhcpcd-hooks/* \\\n\t/etc/dhcpcd.exit-hook\ndo\n";
        assert_eq!(
            hook_dir_read_by(script).as_deref(),
            Some("/usr/libexec/dhcpcd-hooks")
        );
        assert_eq!(
            hook_dir_read_by("for hook in /usr/lib/dhcpcd/dhcpcd-hooks/*; do").as_deref(),
            Some("/usr/lib/dhcpcd/dhcpcd-hooks")
        );
        assert_eq!(hook_dir_read_by("rm -f /tmp/*\n"), None);
    }

    #[test]
    fn finds_the_installed_docker_package() {
        let status = "Package: docker.io\nStatus: deinstall ok config-files\nVersion: 19.03\n\nPackage: docker-ce\nStatus: install ok installed\nVersion: 5:28.1.1-1\n";
        assert_eq!(
            installed_docker(status),
            Some(("docker-ce".into(), "5:28.1.1-1".into()))
        );
        assert_eq!(
            installed_docker(
                "Package: docker.io\nStatus: deinstall ok config-files\nVersion: 19.03\n"
            ),
            None
        );
    }
}
