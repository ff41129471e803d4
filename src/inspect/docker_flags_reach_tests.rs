//! Tests of which flag sources reach the dockerd a restart starts: mount namespaces from
//! fixture /proc trees (and the live one), and docker.service read as doctor reads it.

use std::fs;
use std::path::Path;

use super::*;
use crate::inspect::docker_flags::tests::{find, origins};
use crate::inspect::docker_flags::{refuse_conflicts, survey};

/// A process under `r`/proc: its command line and, when given, its mount namespace link.
fn process(r: &Path, pid: &str, cmdline: &[u8], mount_ns: Option<&str>) {
    let dir = r.join("proc").join(pid);
    fs::create_dir_all(dir.join("ns")).unwrap();
    fs::write(dir.join("cmdline"), cmdline).unwrap();
    if let Some(ns) = mount_ns {
        std::os::unix::fs::symlink(ns, dir.join("ns/mnt")).unwrap();
    }
}

const DOCKERD_IPV6: &[u8] = b"/usr/bin/dockerd\0--ipv6\0";

#[test]
fn a_dockerd_in_another_mount_namespace_is_left_out() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    process(r, "self", b"docker-ipv6-pd\0", Some("mnt:[4026531841]"));
    process(r, "42", DOCKERD_IPV6, Some("mnt:[4026531841]"));
    // docker-in-docker, a test's private dockerd or a rootless one.
    process(r, "43", DOCKERD_IPV6, Some("mnt:[4026532999]"));
    let survey = survey(r);
    assert_eq!(origins(&survey.sources), ["running dockerd (pid 42)"]);
    assert_eq!(
        survey.elsewhere,
        [
            "dockerd (pid 43) runs in another mount namespace (a container's, a test's or a rootless one): restarting docker does not reach it"
        ]
    );
    assert!(survey.namespace_unknown.is_empty(), "{survey:?}");
    fs::remove_dir_all(r.join("proc/42")).unwrap();
    assert!(find(r).is_empty());
    refuse_conflicts(r).unwrap();
}

#[test]
fn a_dockerd_in_inits_mount_namespace_counts_when_ours_is_another() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    // The DHCP client's unit gave the hook a mount namespace of its own.
    process(r, "self", b"docker-ipv6-pd\0", Some("mnt:[4026532500]"));
    process(r, "1", b"/sbin/init\0", Some("mnt:[4026531841]"));
    process(r, "42", DOCKERD_IPV6, Some("mnt:[4026531841]"));
    assert_eq!(origins(&find(r)), ["running dockerd (pid 42)"]);
    // Init's link unreadable (as inside some containers): ours alone decides.
    fs::remove_file(r.join("proc/1/ns/mnt")).unwrap();
    assert!(find(r).is_empty());
    assert_eq!(survey(r).elsewhere.len(), 1);
}

#[test]
fn a_dockerd_whose_mount_namespace_cannot_be_read_counts_and_the_refusal_says_why() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    process(r, "self", b"docker-ipv6-pd\0", Some("mnt:[4026531841]"));
    process(r, "42", DOCKERD_IPV6, None);
    let survey = survey(r);
    assert_eq!(origins(&survey.sources), ["running dockerd (pid 42)"]);
    let why = "/proc/42/ns/mnt: No such file or directory (os error 2)";
    assert_eq!(
        survey.namespace_unknown,
        [("running dockerd (pid 42)".to_string(), why.to_string())]
    );
    let err = refuse_conflicts(r).unwrap_err().to_string();
    assert_eq!(
        err,
        format!(
            "dockerd gets --ipv6 as a flag from running dockerd (pid 42), taken as the one a \
             restart replaces, as its mount namespace cannot be told ({why}); writing \
             daemon.json too would stop dockerd from starting. Remove the flag, or use \
             --target prefix-file"
        )
    );
    // Our own link unreadable: every dockerd counts, whatever its own link says.
    fs::remove_file(r.join("proc/self/ns/mnt")).unwrap();
    process(r, "43", DOCKERD_IPV6, Some("mnt:[4026532999]"));
    let survey = crate::inspect::docker_flags::survey(r);
    assert_eq!(survey.namespace_unknown.len(), 2);
    assert!(
        survey.namespace_unknown[1]
            .1
            .starts_with("/proc/self/ns/mnt: "),
        "{survey:?}"
    );
    assert_eq!(origins(&find(r)).len(), 2);
}

const DEBIAN_UNIT: &str = "[Service]\nEnvironmentFile=-/etc/default/docker\nExecStart=/usr/sbin/dockerd -H fd:// $DOCKER_OPTS\n";
const DOCKER_CE_UNIT: &str =
    "[Service]\nExecStart=/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock\n";

#[test]
fn docker_opts_counts_only_where_what_starts_dockerd_reads_it() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    fs::create_dir_all(r.join("etc/default")).unwrap();
    fs::write(r.join("etc/default/docker"), "DOCKER_OPTS=\"--ipv6\"\n").unwrap();
    let notes = |r: &Path| -> Vec<Option<String>> {
        conflicts(&survey(r), &DockerStarter::find(r))
            .into_iter()
            .map(|(_, note)| note)
            .collect()
    };
    // No systemd: /etc/init.d/docker runs the file.
    assert_eq!(notes(r), [Some("which /etc/init.d/docker reads".into())]);
    fs::create_dir_all(r.join("run/systemd/system")).unwrap();
    assert_eq!(
        notes(r),
        [Some(
            "which docker.service may read (no unit file found to tell)".into()
        )]
    );
    let units = r.join("lib/systemd/system");
    fs::create_dir_all(&units).unwrap();
    fs::write(units.join("docker.service"), DOCKER_CE_UNIT).unwrap();
    assert_eq!(
        DockerStarter::find(r),
        DockerStarter::Unit {
            path: "/lib/systemd/system/docker.service".into(),
            reads_defaults: false
        }
    );
    assert!(notes(r).is_empty());
    refuse_conflicts(r).unwrap();
    // The flags are still there for doctor to report as ignored.
    assert_eq!(
        origins(&survey(r).sources),
        ["/etc/default/docker (DOCKER_OPTS)"]
    );
    fs::write(units.join("docker.service"), DEBIAN_UNIT).unwrap();
    let err = refuse_conflicts(r).unwrap_err().to_string();
    assert!(
        err.starts_with(
            "dockerd gets --ipv6 as a flag from /etc/default/docker (DOCKER_OPTS), which \
             /lib/systemd/system/docker.service reads; "
        ),
        "{err}"
    );
}

#[test]
fn this_process_shares_its_own_mount_namespace_on_the_live_system() {
    let root = Path::new("/");
    let home = HomeNamespaces::read(root);
    assert_eq!(home.of(root, std::process::id()), MountNamespace::Ours);
    let gone = MountNamespace::Unknown(
        "/proc/4294967295/ns/mnt: No such file or directory (os error 2)".into(),
    );
    assert_eq!(home.of(root, u32::MAX), gone);
}
