//! install.sh: what it installs, that it converges when run again, that --uninstall undoes
//! exactly that (putting back the published hook it set aside), and that it refuses to run
//! unprivileged. Its next steps and a full uninstall are checked on fake machines, in the
//! modules below.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use crate::util::*;

pub(crate) mod fake_machine;
mod network_managers;
mod next_steps;
mod uninstall;

use fake_machine::{FakeMachine, INSTALL, can_fake};

/// install.sh staged under `dest` (DESTDIR) with `args`.
fn install(dest: &Path, args: &[&str]) -> Output {
    Command::new("sh")
        .arg(INSTALL)
        .args(args)
        .env("DESTDIR", dest)
        .output()
        .unwrap()
}

/// A digest of a file's contents, read in small pieces: the installed binary is tens of
/// megabytes, and holding it would swell this test process (whose peak size other tests'
/// children inherit in their own peak-RSS figure).
fn digest(path: &Path) -> u64 {
    use std::hash::Hasher;
    use std::io::Read;
    let mut file = fs::File::open(path).unwrap();
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    let mut buf = [0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf).unwrap();
        if n == 0 {
            return hasher.finish();
        }
        hasher.write(&buf[..n]);
    }
}

/// Every file under `root`, relative, sorted, with a digest of its contents.
fn tree(root: &Path) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.push((rel, digest(&path)));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn installs_binary_shim_and_unit_and_uninstalls_them() {
    let dest = tempfile::tempdir().unwrap();
    let out = install(dest.path(), &["--binary", BIN, "--prefix", "/opt/pd"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let files: Vec<String> = tree(dest.path()).into_iter().map(|(p, _)| p).collect();
    assert_eq!(
        files,
        [
            "etc/NetworkManager/dispatcher.d/90-docker-ipv6-pd",
            "etc/dhcp/dhclient-enter-hooks.d/docker-ipv6",
            "etc/systemd/system/dhclient6-pd@.service",
            "etc/systemd/system/docker-ipv6-pd-watch.service",
            "opt/pd/sbin/docker-ipv6-pd",
            "opt/pd/share/bash-completion/completions/docker-ipv6-pd",
            "opt/pd/share/doc/docker-ipv6-pd/examples/post-change.d/ndppd",
            "opt/pd/share/doc/docker-ipv6-pd/examples/post-change.d/nsupdate-aaaa",
            "opt/pd/share/fish/vendor_completions.d/docker-ipv6-pd.fish",
            "opt/pd/share/man/man8/docker-ipv6-pd.8",
            "opt/pd/share/zsh/site-functions/_docker-ipv6-pd",
            "usr/lib/dhcpcd/dhcpcd-hooks/62-docker-ipv6-pd",
        ]
    );
    let shim = fs::read_to_string(
        dest.path()
            .join("etc/dhcp/dhclient-enter-hooks.d/docker-ipv6"),
    )
    .unwrap();
    assert!(
        shim.contains("if [ -x /opt/pd/sbin/docker-ipv6-pd ]; then"),
        "{shim}"
    );
    assert!(!shim.contains("/usr/local/sbin/docker-ipv6-pd"), "{shim}");
    let dhcpcd = fs::read_to_string(
        dest.path()
            .join("usr/lib/dhcpcd/dhcpcd-hooks/62-docker-ipv6-pd"),
    )
    .unwrap();
    assert!(
        dhcpcd.contains("    /opt/pd/sbin/docker-ipv6-pd --client dhcpcd\n"),
        "{dhcpcd}"
    );
    let man = fs::read_to_string(dest.path().join("opt/pd/share/man/man8/docker-ipv6-pd.8"));
    assert!(man.unwrap().starts_with(".ie \\n(.g .ds Aq"), "not roff");
    assert_eq!(
        fs::read(dest.path().join("opt/pd/sbin/docker-ipv6-pd")).unwrap(),
        fs::read(BIN).unwrap()
    );

    let out = install(dest.path(), &["--uninstall", "--prefix", "/opt/pd"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(tree(dest.path()).is_empty(), "{:?}", tree(dest.path()));
}

#[test]
fn running_it_twice_converges() {
    let dest = tempfile::tempdir().unwrap();
    assert!(install(dest.path(), &["--binary", BIN]).status.success());
    let first = tree(dest.path());
    let out = install(dest.path(), &["--binary", BIN]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(tree(dest.path()), first);
    assert!(install(dest.path(), &["--uninstall"]).status.success());
    assert!(install(dest.path(), &["--uninstall"]).status.success());
    assert!(tree(dest.path()).is_empty());
}

#[test]
fn the_published_hook_is_set_aside_and_restored() {
    let dest = tempfile::tempdir().unwrap();
    let hooks = dest.path().join("etc/dhcp/dhclient-enter-hooks.d");
    fs::create_dir_all(&hooks).unwrap();
    let published = "#!/bin/bash\nSUBNET_SIZE=80\n# sipcalc hook\n";
    fs::write(hooks.join("docker-ipv6"), published).unwrap();

    let out = install(dest.path(), &["--binary", BIN]);
    assert!(out.status.success(), "{}", stderr(&out));
    let saved = hooks.join("docker-ipv6.replaced-by-docker-ipv6-pd");
    assert_eq!(fs::read_to_string(&saved).unwrap(), published);
    // The shim took its place, as shipped (the default prefix is the shim's own).
    assert_eq!(
        fs::read_to_string(hooks.join("docker-ipv6")).unwrap(),
        fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/hooks/docker-ipv6")).unwrap()
    );
    // run-parts --list must not pick the set-aside hook up.
    if have_tool("install: run-parts", "run-parts") {
        let listed = Command::new("run-parts")
            .arg("--list")
            .arg(&hooks)
            .output()
            .unwrap();
        assert_eq!(
            stdout(&listed),
            format!("{}\n", hooks.join("docker-ipv6").display())
        );
    }
    // A second install keeps the saved original.
    assert!(install(dest.path(), &["--binary", BIN]).status.success());
    assert_eq!(fs::read_to_string(&saved).unwrap(), published);

    assert!(install(dest.path(), &["--uninstall"]).status.success());
    assert_eq!(
        fs::read_to_string(hooks.join("docker-ipv6")).unwrap(),
        published
    );
    assert!(!saved.exists());
}

#[test]
fn refuses_clearly_without_root() {
    if !have_root("install: refuses without root") || !have_tool("install", "setpriv") {
        return;
    }
    let out = Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "sh",
            INSTALL,
        ])
        .env_remove("DESTDIR")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("run as root"), "{}", stderr(&out));
}

#[test]
fn refuses_bad_arguments() {
    let dest = tempfile::tempdir().unwrap();
    for (args, message) in [
        (
            &["--prefix", "relative"][..],
            "--prefix must be an absolute path",
        ),
        (
            &["--prefix", "/a|b"],
            "--prefix may only hold letters, digits",
        ),
        (&["--bogus"], "unknown argument: --bogus"),
        (
            &["--sysctl"],
            "--sysctl configures this machine: not with DESTDIR",
        ),
    ] {
        assert_fails(&install(dest.path(), args), 1, message);
    }
    assert!(tree(dest.path()).is_empty());
}

#[test]
fn under_systemd_it_wires_daemon_json_and_uninstall_takes_that_back() {
    if !can_fake("install wiring under systemd") {
        return;
    }
    let machine = FakeMachine {
        systemd: true,
        ..FakeMachine::default()
    };
    let run = machine.run(
        "sh $INSTALL --binary $BIN\n\
         echo ---; cat /etc/docker-ipv6-pd/docker-ipv6-pd.conf\n\
         echo ---; sh $INSTALL --uninstall >/dev/null",
    );
    assert!(run.success, "{}", run.output);
    let text = run.output;
    assert!(
        text.contains(
            "wiring: daemon.json (systemd runs here: it does not run the $(cat ...) a DOCKER_OPTS"
        ),
        "{text}"
    );
    assert!(text.contains("\ntarget = daemon-json\n"), "{text}");
    assert!(run.left.is_empty(), "{:?}", run.left);
    assert!(
        run.calls.contains("systemctl daemon-reload"),
        "{}",
        run.calls
    );
}

#[test]
fn without_systemd_it_wires_docker_opts_and_keeps_an_existing_configuration() {
    if !can_fake("install wiring without systemd") {
        return;
    }
    let run = FakeMachine::default().run(
        "sh $INSTALL --binary $BIN\n\
         test ! -e /etc/docker-ipv6-pd && echo no-config-written\n\
         mkdir -p /etc/docker-ipv6-pd; echo 'target = both' >/etc/docker-ipv6-pd/docker-ipv6-pd.conf\n\
         sh $INSTALL --binary $BIN | grep kept\n\
         sh $INSTALL --uninstall >/dev/null; cat /etc/docker-ipv6-pd/docker-ipv6-pd.conf",
    );
    let text = run.output;
    assert!(run.success, "{text}");
    assert!(
        text.contains("wiring: the prefix file /etc/docker/ipv6.prefix read through DOCKER_OPTS"),
        "{text}"
    );
    assert!(text.contains("no-config-written"), "{text}");
    assert!(
        text.contains("kept your /etc/docker-ipv6-pd/docker-ipv6-pd.conf (target: both)"),
        "{text}"
    );
    assert!(
        text.ends_with("target = both\n"),
        "an edited configuration must survive uninstall: {text}"
    );
    assert_eq!(run.left, ["etc/docker-ipv6-pd/docker-ipv6-pd.conf"]);
}

/// A dhcpcd-run-hooks as dhcpcd 10.5 installs it on Debian 14: it reads /usr/libexec/dhcpcd-hooks.
const RUN_HOOKS_LIBEXEC: &str = "for hook in \\\n\t/etc/dhcpcd.enter-hook \\\n\t/usr/libexec/dhcpcd-hooks/* \\\n\t/etc/dhcpcd.exit-hook\ndo\n\t. \"$hook\"\ndone\n";

#[test]
fn the_dhcpcd_shim_goes_where_dhcpcd_run_hooks_reads() {
    let dest = tempfile::tempdir().unwrap();
    // Both directories exist (an upgraded machine), but the script reads only one.
    fs::create_dir_all(dest.path().join("usr/lib/dhcpcd/dhcpcd-hooks")).unwrap();
    fs::create_dir_all(dest.path().join("usr/libexec")).unwrap();
    fs::write(
        dest.path().join("usr/libexec/dhcpcd-run-hooks"),
        RUN_HOOKS_LIBEXEC,
    )
    .unwrap();
    let out = install(dest.path(), &["--binary", BIN]);
    assert!(out.status.success(), "{}", stderr(&out));
    let read = dest
        .path()
        .join("usr/libexec/dhcpcd-hooks/62-docker-ipv6-pd");
    assert!(read.is_file(), "{}", stdout(&out));
    assert!(
        !dest
            .path()
            .join("usr/lib/dhcpcd/dhcpcd-hooks/62-docker-ipv6-pd")
            .exists()
    );
    assert!(
        stdout(&out).contains("installed /usr/libexec/dhcpcd-hooks/62-docker-ipv6-pd (dhcpcd)"),
        "{}",
        stdout(&out)
    );
    let out = install(dest.path(), &["--uninstall"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        !read.exists(),
        "uninstall leaves the shim: {}",
        stdout(&out)
    );
}

#[test]
fn without_dhcpcd_run_hooks_the_existing_hook_directory_wins() {
    let dest = tempfile::tempdir().unwrap();
    fs::create_dir_all(dest.path().join("usr/libexec/dhcpcd-hooks")).unwrap();
    let out = install(dest.path(), &["--binary", BIN]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        dest.path()
            .join("usr/libexec/dhcpcd-hooks/62-docker-ipv6-pd")
            .is_file(),
        "{}",
        stdout(&out)
    );
}
