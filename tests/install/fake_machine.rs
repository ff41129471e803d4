//! A throwaway machine for install.sh: an overlay of / entered by chroot in a private mount
//! namespace, where every tool install.sh probes or calls (ip, dockerd, dhclient, dhcpcd,
//! systemctl, networkctl, nmcli, NetworkManager, sysctl, nft) is a stub that logs its call, and /run/systemd/system exists only
//! when the machine runs systemd. After the run, the overlay's upper layer tells exactly which
//! files were left changed.

use std::process::Command;

use crate::util::*;

pub const INSTALL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/install.sh");

/// What install.sh will find on the machine.
#[derive(Default)]
pub struct FakeMachine {
    /// /run/systemd/system exists.
    pub systemd: bool,
    /// What `dockerd --version` prints (no docker at all when None).
    pub docker: Option<&'static str>,
    /// What `ip -6 route show default` prints.
    pub route6: Option<&'static str>,
    /// What `ip -4 route show default` prints.
    pub route4: Option<&'static str>,
    pub dhclient: bool,
    pub dhcpcd: bool,
    /// Units `systemctl list-units 'dhclient6-pd@*'` reports, one line each.
    pub running_units: &'static str,
    /// Units `systemctl is-active` finds active (`systemd-networkd`, `NetworkManager`, ...).
    pub active: &'static [&'static str],
    /// The .network file `networkctl status IFACE` names (systemd-networkd manages IFACE).
    pub network_file: Option<&'static str>,
    /// What `NetworkManager --version` prints (`nmcli` reports every device connected).
    pub network_manager: Option<&'static str>,
    /// Whether `nft list table ip6 docker_ipv6_pd` finds our table.
    pub nft_table: bool,
    /// Files to plant before the run: (path, contents).
    pub files: Vec<(&'static str, &'static str)>,
}

/// What a run on a fake machine did.
pub struct Run {
    pub success: bool,
    /// The commands' standard output and error, in one.
    pub output: String,
    /// One line per stub call: the tool's name and its arguments.
    pub calls: String,
    /// Files (and links) the run left in the overlay's upper layer, outside /tmp.
    pub left: Vec<String>,
}

/// The tools install.sh probes or calls; on the fake machine only stubs of them exist.
const STUBBED: &[&str] = &[
    "ip",
    "dockerd",
    "docker",
    "dhclient",
    "dhcpcd",
    "systemctl",
    "networkctl",
    "nmcli",
    "NetworkManager",
    "sysctl",
    "nft",
];

/// A shell line writing a stub `name` that logs its call to /tmp/calls, then runs `body`.
fn stub(name: &str, body: &str) -> String {
    format!(
        "cat >/tmp/stubs/{name} <<'STUB'\n#!/bin/sh\necho \"{name} $*\" >>/tmp/calls\n{body}\nSTUB\nchmod +x /tmp/stubs/{name}\n"
    )
}

impl FakeMachine {
    /// The shell lines that turn the overlay into this machine.
    fn setup(&self) -> String {
        let mut sh = String::from("set -eu\n");
        for tool in STUBBED {
            sh += &format!(
                "for d in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do rm -f \"$d/{tool}\"; done\n"
            );
        }
        sh += "rm -rf /run/systemd /run/NetworkManager /etc/NetworkManager /etc/network /etc/dhcpcd.conf /etc/init \
               /etc/docker-ipv6-pd /etc/sysctl.d/60-docker-ipv6-pd.conf /etc/docker /etc/default/docker /var/lib/docker-ipv6-pd \
               /run/docker-ipv6-pd\nmkdir -p /tmp/stubs\n: >/tmp/calls\n";
        if self.systemd {
            sh += "mkdir -p /run/systemd/system\n";
        }
        let line = |l: Option<&str>| {
            l.map(|l| format!("printf '%s\\n' '{l}'"))
                .unwrap_or_else(|| ":".into())
        };
        sh += &stub(
            "ip",
            &format!(
                "case \"$*\" in\n\"-6 route show default\") {} ;;\n\"-4 route show default\") {} ;;\nesac",
                line(self.route6),
                line(self.route4)
            ),
        );
        if let Some(version) = self.docker {
            sh += &stub("dockerd", &format!("echo '{version}'"));
        }
        if self.dhclient {
            sh += &stub("dhclient", "");
        }
        if self.dhcpcd {
            sh += &stub("dhcpcd", "");
        }
        sh += &stub(
            "systemctl",
            &format!(
                "for unit; do :; done\ncase \"$1\" in\nlist-units) printf '%s' '{}' ;;\nis-active) case ' {} ' in *\" $unit \"*) ;; *) exit 3 ;; esac ;;\nesac",
                self.running_units,
                self.active.join(" ")
            ),
        );
        if let Some(file) = self.network_file {
            sh += &stub(
                "networkctl",
                &format!("echo \"● 2: $2\"\necho '     Network File: {file}'"),
            );
        } else {
            sh += &stub("networkctl", "echo '     Network File: n/a'");
        }
        if let Some(version) = self.network_manager {
            sh += &stub("NetworkManager", &format!("echo '{version}'"));
            sh += &stub("nmcli", "echo '100 (connected)'");
        }
        sh += &stub("sysctl", "");
        sh += &stub(
            "nft",
            &format!(
                "[ \"$1\" != list ] || exit {}",
                if self.nft_table { 0 } else { 1 }
            ),
        );
        for (path, contents) in &self.files {
            let newline = if contents.ends_with('\n') { "" } else { "\n" };
            sh += &format!(
                "mkdir -p \"$(dirname '{path}')\"\ncat >'{path}' <<'FILE'\n{contents}{newline}FILE\n"
            );
        }
        sh + "export PATH=/tmp/stubs:$PATH\nexec 2>&1\n"
    }

    /// Runs `commands` (shell, `$INSTALL` and `$BIN` set) on this machine.
    pub fn run(&self, commands: &str) -> Run {
        let outer = r#"
t=$(mktemp -d)
mount -t tmpfs tmpfs "$t"
mkdir "$t/upper" "$t/work" "$t/root"
mount -t overlay overlay -o "lowerdir=/,upperdir=$t/upper,workdir=$t/work" "$t/root"
for d in proc dev sys; do mount --rbind "/$d" "$t/root/$d"; done
mkdir -p "$t/root$1"
mount --bind "$1" "$t/root$1"
rc=0
chroot "$t/root" sh -c "$2" || rc=$?
printf '\n=== calls\n'
cat "$t/upper/tmp/calls"
printf '=== left\n'
cd "$t/upper"
find . ! -type d ! -type c ! -path './tmp/*' | sed 's|^\./||' | sort
exit "$rc"
"#;
        let script = format!("{}INSTALL={INSTALL}\nBIN={BIN}\n{commands}", self.setup());
        let out = Command::new("unshare")
            .args([
                "--mount",
                "--propagation",
                "private",
                "sh",
                "-euc",
                outer,
                "sh",
            ])
            .arg(env!("CARGO_MANIFEST_DIR"))
            .arg(&script)
            .output()
            .unwrap();
        let text = stdout(&out);
        let (output, rest) = text
            .split_once("\n=== calls\n")
            .unwrap_or_else(|| panic!("{text}{}", stderr(&out)));
        let (calls, left) = rest.split_once("=== left\n").unwrap();
        Run {
            success: out.status.success(),
            output: output.to_string(),
            calls: calls.to_string(),
            left: left.lines().map(str::to_string).collect(),
        }
    }
}

/// Whether this test can build a fake machine (it needs root for the overlay).
pub fn can_fake(test: &str) -> bool {
    have_root(test)
}
