//! `--root` is honoured by every path: each command runs under `strace -f` on a fixture root,
//! and every path the binary names outside that root (to open, stat, list, create, rename or
//! run it) must be on a short allow-list, each entry with its reason. A default that is not
//! taken under the root shows up as the system's own path, and fails the test.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

use crate::doctor::healthy;
use crate::util::*;

#[path = "root_trace.rs"]
mod trace;

const P100: &str = "2001:db8:0:100::/60";
const P200: &str = "2001:db8:0:200::/60";

/// A fixture root (the healthy machine of the doctor tests, with a machine id) and, outside
/// it, the programs the binary runs by name, as PATH would find them on the machine.
struct Fixture {
    machine: Machine,
    tools: TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let machine = healthy();
        machine.put("etc/machine-id", b"0123456789abcdef0123456789abcdef\n");
        let tools = tempfile::tempdir().unwrap();
        let log = tools.path().join("calls");
        for tool in ["systemctl", "service", "rc-service", "nft", "ip6tables"] {
            let script = format!("#!/bin/sh\necho \"${{0##*/}} $*\" >>'{}'\n", log.display());
            write_executable(&tools.path().join(tool), &script);
        }
        write_executable(
            &tools.path().join("dockerd"),
            "#!/bin/sh\necho 'Docker version 28.2.2, build e6534b4'\n",
        );
        Fixture { machine, tools }
    }

    fn root(&self) -> &Path {
        self.machine.dir.path()
    }

    /// What the fake tools were asked to do, one line per call.
    fn calls(&self) -> String {
        fs::read_to_string(self.tools.path().join("calls")).unwrap_or_default()
    }

    /// Runs the binary as `--root ROOT ARGS` with the lease variables `vars`, from `/`, under
    /// strace; fails the test if it named a path outside the root that is not allowed.
    #[track_caller]
    fn run(&self, args: &[&str], vars: &[(&str, &str)]) -> Output {
        let trace = self.tools.path().join("trace");
        let out = Command::new(on_path("strace").expect("strace is installed"))
            .env_clear()
            .env("PATH", self.tools.path())
            .envs(vars.iter().copied())
            .current_dir("/")
            .args(["-f", "-y", "-qq", "-e", "trace=%file,%process", "-o"])
            .arg(&trace)
            .args([BIN, "--root"])
            .arg(self.root())
            .args(args)
            .output()
            .unwrap();
        let text = fs::read_to_string(&trace).unwrap();
        let accesses = trace::accesses(&text, Path::new(BIN));
        assert!(accesses.len() > 3, "strace saw nothing: {text}");
        let outside: Vec<String> = accesses
            .iter()
            .filter(|a| !a.path.starts_with(self.root()) && self.allowed(a).is_none())
            .map(|a| a.line.clone())
            .collect();
        assert!(
            outside.is_empty(),
            "{args:?} named paths outside --root:\n{}\n{}",
            outside.join("\n"),
            stderr(&out)
        );
        out
    }

    /// Why a path outside the root may be named, or `None`.
    fn allowed(&self, access: &trace::Access) -> Option<&'static str> {
        let path = access.path.as_path();
        let name = path.file_name()?.to_str()?;
        let in_lib_dir = ["/lib", "/lib64", "/usr/lib", "/usr/lib64"]
            .iter()
            .any(|dir| path.starts_with(dir));
        if path == Path::new(BIN) {
            Some("the binary under test, which strace runs")
        } else if path == Path::new("/etc/ld.so.preload") || path == Path::new("/etc/ld.so.cache") {
            Some("the dynamic loader's configuration, read before main")
        } else if in_lib_dir && shared_libraries().iter().any(|lib| lib == name) {
            Some("a shared library the binary links (ldd), looked for where the loader looks")
        } else if path.starts_with("/proc/self") {
            Some("the process's own descriptors, closed in a child before it execs")
        } else if path == Path::new("/dev/null") {
            Some("a child's stdin (restart tools, post-change scripts, dockerd --version)")
        } else if path == Path::new("/etc/localtime") {
            Some("libc's syslog() stamps each message with the local time")
        } else if self.root().starts_with(path) && LOOKS_ONLY.contains(&access.syscall.as_str()) {
            Some("an ancestor of the root, looked at to follow a file's links to its end")
        } else if access.syscall == "execve" && path.parent() == Some(self.tools.path()) {
            Some("a program run by name through PATH: this machine's, as under any --root")
        } else {
            None
        }
    }
}

/// The calls that look at a path without opening, changing or running it.
const LOOKS_ONLY: [&str; 5] = ["readlink", "readlinkat", "lstat", "newfstatat", "statx"];

/// `name` found through this test process's PATH.
fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
}

/// The file names of the shared libraries the binary links, from ldd.
fn shared_libraries() -> Vec<String> {
    let out = Command::new("ldd").arg(BIN).output().unwrap();
    stdout(&out)
        .lines()
        .filter_map(|line| {
            let first = line.split_whitespace().next()?;
            Path::new(first).file_name()?.to_str().map(str::to_string)
        })
        .collect()
}

fn have_strace(test: &str) -> bool {
    have_tool(test, "strace")
}

/// A lease event as dhclient-script gives it.
fn event<'a>(reason: &'a str, new: &'a str, old: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("reason", reason),
        ("new_ip6_prefix", new),
        ("old_ip6_prefix", old),
        ("new_max_life", "3600"),
        ("new_preferred_life", "1800"),
    ]
}

#[test]
fn a_dry_run_reads_and_names_only_files_under_the_root() {
    if !have_strace("dry run under --root") {
        return;
    }
    let f = Fixture::new();
    let root = f.root().display().to_string();
    let out = ok(f.run(&["--dry-run"], &event("BOUND6", P200, "")));
    let text = stdout(&out);
    let expected = [
        format!("to {root}/etc/docker/ipv6.prefix\n"),
        "would restart docker: service docker restart\n".to_string(),
        format!("post-change scripts in {root}/etc/docker-ipv6-pd/post-change.d with"),
    ];
    for line in expected {
        assert!(text.contains(&line), "{line:?} missing in:\n{text}");
    }
    assert!(f.calls().is_empty(), "{}", f.calls());
}

#[test]
fn the_roots_own_configuration_names_files_under_the_root() {
    if !have_strace("configured dry runs under --root") {
        return;
    }
    let f = Fixture::new();
    let root = f.root().display().to_string();
    f.machine.put(
        "etc/docker-ipv6-pd/docker-ipv6-pd.conf",
        b"target = both\non-loss = fallback\ndaemon-json = /etc/docker/daemon.json\n\
          post-change-dir = /etc/docker-ipv6-pd/hooks.d\n",
    );
    // The loss of the prefix moves docker to the fallback: the host's ULA from the root's
    // machine id, and dockerd's version to know whether docker masquerades itself.
    let out = ok(f.run(&["--dry-run"], &event("EXPIRE6", "", P100)));
    let text = stdout(&out);
    assert!(
        text.contains(&format!("{root}/etc/docker/daemon.json")),
        "{text}"
    );
    assert!(
        text.contains(&format!("scripts in {root}/etc/docker-ipv6-pd/hooks.d")),
        "{text}"
    );
    assert!(f.calls().is_empty(), "{}", f.calls());
    // Under nptv6: daemon.json, the record of the mapping in /run, the machine id.
    let out = ok(f.run(
        &["--dry-run", "--target", "nptv6"],
        &event("BOUND6", P200, ""),
    ));
    assert!(stdout(&out).contains(&format!("{root}/etc/docker/daemon.json")));
}

#[test]
fn a_hook_run_with_named_files_writes_only_under_the_root() {
    if !have_strace("hook run under --root") {
        return;
    }
    let f = Fixture::new();
    let prefix_file = f.root().join("etc/docker/ipv6.prefix");
    let marker = f.root().join("post-change-ran");
    f.machine
        .put("etc/docker-ipv6-pd/post-change.d/record", b"");
    write_executable(
        &f.root().join("etc/docker-ipv6-pd/post-change.d/record"),
        &format!(
            "#!/bin/sh\necho \"$DOCKER_IPV6_PD_SUBNET\" >'{}'\n",
            marker.display()
        ),
    );
    let prefix_arg = format!("--prefix-file={}", prefix_file.display());
    ok(f.run(&[&prefix_arg], &event("BOUND6", P200, "")));
    assert_eq!(fs::read_to_string(&prefix_file).unwrap(), LINE_200);
    assert_eq!(f.calls(), "service docker restart\n");
    // The post-change directory is the root's, by default.
    assert_eq!(
        fs::read_to_string(&marker).unwrap(),
        "2001:db8:0:200::/80\n"
    );
}

#[test]
fn a_hook_run_under_root_is_refused_unless_its_files_are_named() {
    let f = Fixture::new();
    let run = |args: &[&str]| {
        Command::new(BIN)
            .env_clear()
            .env("PATH", f.tools.path())
            .envs(event("BOUND6", P200, ""))
            .arg("--root")
            .arg(f.root())
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&[]);
    assert_fails(&out, 2, "without --dry-run would write ");
    assert_fails(
        &out,
        2,
        "add --dry-run, or name the file with --prefix-file",
    );
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    // The root's own configuration naming the file is the root's default, not the admin's.
    f.machine.put(
        "etc/docker-ipv6-pd/docker-ipv6-pd.conf",
        b"target = daemon-json\ndaemon-json = /etc/docker/daemon.json\n",
    );
    let out = run(&[]);
    assert_fails(&out, 2, "name the file with --daemon-json");
    assert_eq!(
        fs::read_to_string(f.root().join("etc/docker/ipv6.prefix")).unwrap(),
        LINE_100
    );
    assert!(f.calls().is_empty(), "{}", f.calls());
    // The watch and NetworkManager's dispatcher write the same files: the same refusal.
    let out = run(&["watch", "--once"]);
    assert_fails(&out, 2, "name the file with --daemon-json");
    let out = run(&["--client", "networkmanager"]);
    assert_fails(&out, 2, "name the file with --daemon-json");
    // A named file is written (with the root's own state and post-change directory).
    // Without the flags that make the hook refuse to write daemon.json.
    fs::remove_file(f.root().join("etc/default/docker")).unwrap();
    fs::remove_dir_all(f.root().join("proc/200")).unwrap();
    let daemon_json = f.root().join("etc/docker/daemon.json");
    ok(run(&["--daemon-json", daemon_json.to_str().unwrap()]));
    let json = fs::read_to_string(&daemon_json).unwrap();
    assert!(
        json.contains("\"fixed-cidr-v6\": \"2001:db8:0:200::/80\""),
        "{json}"
    );
}

#[test]
fn inspecting_and_printing_read_only_under_the_root() {
    if !have_strace("status, doctor, subnet, man, completions under --root") {
        return;
    }
    let f = Fixture::new();
    let text = stdout(&ok(f.run(&["status"], &[])));
    assert!(
        text.contains("in /etc/docker/ipv6.prefix, changed "),
        "{text}"
    );
    assert!(text.contains("from running dockerd (pid 200)"), "{text}");
    let json = stdout(&ok(f.run(&["status", "--json"], &[])));
    assert!(
        json.contains("\"lease_file\": \"/var/lib/dhcp/dhclient6.leases\""),
        "{json}"
    );
    let out = f.run(&["doctor"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("/etc/docker/ipv6.prefix"),
        "{}",
        stdout(&out)
    );
    let line = stdout(&ok(f.run(&["subnet", P100, "--subnet-size", "64"], &[])));
    assert_eq!(line, "2001:0db8:0000:0100:0000:0000:0000:0000/64\n");
    assert!(stdout(&ok(f.run(&["man"], &[]))).contains(".SH FILES"));
    for shell in ["bash", "zsh", "fish"] {
        let script = stdout(&ok(f.run(&["completions", shell], &[])));
        assert!(script.contains("docker-ipv6-pd"), "{shell}: {script}");
    }
    assert!(f.calls().is_empty(), "{}", f.calls());
}
