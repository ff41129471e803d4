//! Shared test scaffolding: a scratch machine in a temp dir, the built binary run with a
//! clean environment, and fake init tools that record every restart.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

pub const BIN: &str = env!("CARGO_BIN_EXE_docker-ipv6-pd");

/// The line sipcalc gives for 2001:db8:0:100::/60, and for 2001:db8:0:200::/60.
pub const LINE_100: &str = "2001:0db8:0000:0100:0000:0000:0000:0000/80\n";
pub const LINE_200: &str = "2001:0db8:0000:0200:0000:0000:0000:0000/80\n";

/// A scratch machine: an etc/docker dir, fake `service`/`systemctl`/`rc-service` first on
/// PATH that log each call (with the prefix file as it was at that moment), and an empty
/// configuration file.
pub struct Machine {
    pub dir: TempDir,
    pub prefix_file: PathBuf,
    pub config: PathBuf,
    pub fake_bin: PathBuf,
    restart_log: PathBuf,
    fail_flag: PathBuf,
}

impl Machine {
    pub fn new() -> Machine {
        Machine::in_dir(tempfile::tempdir().unwrap())
    }

    pub fn in_dir(dir: TempDir) -> Machine {
        let etc = dir.path().join("etc/docker");
        fs::create_dir_all(&etc).unwrap();
        let fake_bin = dir.path().join("fakebin");
        fs::create_dir_all(&fake_bin).unwrap();
        let prefix_file = etc.join("ipv6.prefix");
        let restart_log = dir.path().join("restarts.log");
        let fail_flag = dir.path().join("restart-fails");
        let script = format!(
            "#!/bin/sh\n\
             printf '%s %s | %s\\n' \"${{0##*/}}\" \"$*\" \"$(cat '{file}' 2>/dev/null)\" >>'{log}'\n\
             if [ -e '{fail}' ]; then echo 'Job for docker.service failed.' >&2; exit 1; fi\n",
            file = prefix_file.display(),
            log = restart_log.display(),
            fail = fail_flag.display(),
        );
        for tool in ["service", "systemctl", "rc-service"] {
            write_executable(&fake_bin.join(tool), &script);
        }
        let config = dir.path().join("docker-ipv6-pd.conf");
        fs::write(&config, "").unwrap();
        Machine {
            dir,
            prefix_file,
            config,
            fake_bin,
            restart_log,
            fail_flag,
        }
    }

    /// The binary with a cleared environment, pointed at this machine.
    pub fn command(&self) -> Command {
        self.command_for(BIN)
    }

    /// Any program with the environment `command` gives the binary.
    pub fn command_for(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.env_clear()
            .env(
                "PATH",
                format!("{}:/usr/sbin:/usr/bin:/sbin:/bin", self.fake_bin.display()),
            )
            .env("DOCKER_IPV6_PD_PREFIX_FILE", &self.prefix_file)
            .env("DOCKER_IPV6_PD_CONFIG", &self.config)
            .env("DOCKER_IPV6_PD_INIT", "service")
            .env("DOCKER_IPV6_PD_ROOT", self.dir.path());
        cmd
    }

    /// The same environment as `command` gives, as `NAME=value` words for `env -i` in a
    /// shell script (paths here hold no spaces).
    pub fn shell_env(&self) -> String {
        self.command()
            .get_envs()
            .filter_map(|(k, v)| Some(format!("{}={}", k.to_str()?, v?.to_str()?)))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// One hook run of the binary with these lease variables.
    pub fn hook_run(&self, vars: &[(&str, &str)]) -> Output {
        let mut cmd = self.command();
        cmd.envs(vars.iter().copied());
        cmd.output().unwrap()
    }

    /// One hook run as dhclient-script makes it for one prefix event.
    pub fn event(&self, reason: &str, new: &str, old: &str) -> Output {
        self.hook_run(&[
            ("reason", reason),
            ("new_ip6_prefix", new),
            ("old_ip6_prefix", old),
            ("new_max_life", "3600"),
            ("new_preferred_life", "1800"),
        ])
    }

    /// docker's daemon.json on this machine (not created).
    pub fn daemon_json(&self) -> PathBuf {
        self.dir.path().join("etc/docker/daemon.json")
    }

    /// A configuration file that sends the subnet to this machine's daemon.json.
    pub fn configure_daemon_json_target(&self) {
        let text = format!(
            "target = daemon-json\ndaemon-json = {}\n",
            self.daemon_json().display()
        );
        fs::write(&self.config, text).unwrap();
    }

    /// Writes a file under the machine's root, creating directories.
    pub fn put(&self, relative: &str, contents: &[u8]) {
        let path = self.dir.path().join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, contents).unwrap();
    }

    pub fn file(&self) -> Option<String> {
        fs::read(&self.prefix_file)
            .ok()
            .map(|b| String::from_utf8(b).unwrap())
    }

    pub fn set_file(&self, contents: &[u8]) {
        fs::write(&self.prefix_file, contents).unwrap();
    }

    /// Every restart so far: `tool args | prefix file content at that moment`.
    pub fn restarts(&self) -> Vec<String> {
        fs::read_to_string(&self.restart_log)
            .unwrap_or_default()
            .lines()
            .map(String::from)
            .collect()
    }

    pub fn make_restarts_fail(&self) {
        fs::write(&self.fail_flag, "").unwrap();
    }

    /// Files in the prefix file's directory other than the prefix file (temp files).
    pub fn strays(&self) -> Vec<String> {
        fs::read_dir(self.prefix_file.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name != "ipv6.prefix" && name != "daemon.json")
            .collect()
    }
}

pub fn write_executable(path: &Path, text: &str) {
    fs::write(path, text).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

/// Asserts that a run exited 0 (showing its stderr if not) and hands it back for more checks.
#[track_caller]
pub fn ok(out: Output) -> Output {
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    out
}

/// Asserts that a run exited with `code` and that its stderr holds `message`: the status
/// alone would also fit an unrelated failure.
#[track_caller]
pub fn assert_fails(out: &Output, code: i32, message: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(code), "{err}");
    assert!(err.contains(message), "expected {message:?} in: {err}");
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// True when running as root. Tests that need root fail under CI=true without it, and are
/// reported as not run (not passed) elsewhere.
pub fn have_root(test: &str) -> bool {
    if nix::unistd::geteuid().is_root() {
        return true;
    }
    if std::env::var_os("CI").as_deref() == Some(OsStr::new("true")) {
        panic!("{test} needs root, and CI=true: run the test suite as root");
    }
    eprintln!("NOT RUN: {test} needs root");
    false
}

/// True when `tool` is on PATH; under CI=true its absence fails the test.
pub fn have_tool(test: &str, tool: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if found {
        return true;
    }
    if std::env::var_os("CI").as_deref() == Some(OsStr::new("true")) {
        panic!("{test} needs {tool}, and CI=true: install it (tests/run.sh does)");
    }
    eprintln!("NOT RUN: {test} needs {tool}");
    false
}

/// Runs `script` with sh as root in a private mount namespace (nothing it mounts leaks).
pub fn in_mount_namespace(script: &str) -> Output {
    Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-euc", script])
        .output()
        .unwrap()
}

/// The binary a shim under test calls, by case: the real one (`present`), a stub that exits
/// 9 (`failing`), or a path with nothing there (`missing`).
pub fn binary_for(m: &Machine, case: &str) -> PathBuf {
    match case {
        "present" => PathBuf::from(BIN),
        "failing" => {
            let failing = m.dir.path().join("failing");
            write_executable(&failing, "#!/bin/sh\nexit 9\n");
            failing
        }
        _ => m.dir.path().join("missing"),
    }
}
