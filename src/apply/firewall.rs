//! The unique local fallback for `--on-loss fallback`: a ULA prefix stable per host, and the
//! NAT66 rule that lets containers on it reach the IPv6 internet while no prefix is
//! delegated (`ip6tables -t nat ... -j MASQUERADE`, as the setup of the sipcalc hook (wido/docker-ipv6) did);
//! and, for `--target nptv6`, the nft transaction that maps docker's internal prefix onto the
//! delegated one, and the read that tells whether that mapping is still in the kernel.

use std::fs;
use std::net::Ipv6Addr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use ipnet::Ipv6Net;

use crate::apply::child::{self, Ending};
use crate::plan::daemon_json::DaemonJson;
use crate::plan::nptv6::TABLE;

/// How long `ip6tables` (which waits for the xtables lock) or `dockerd --version` may take.
const TOOL_TIMEOUT: Duration = Duration::from_secs(30);

/// The host's ULA /48: `fd` and a 40-bit global ID hashed from /etc/machine-id (RFC 4193
/// suggests a hash of something unique to the host), so it stays the same across reboots.
/// Without a machine id it is `fd00::/48`.
pub fn host_ula(root: &Path) -> Ipv6Net {
    let id = ["etc/machine-id", "var/lib/dbus/machine-id"]
        .iter()
        .find_map(|p| fs::read_to_string(root.join(p)).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    let global_id = id.map_or(0, |id| fnv1a(id.as_bytes()) & 0xff_ffff_ffff);
    let bits = (0xfd_u128 << 120) | (u128::from(global_id) << 80);
    Ipv6Net::new(Ipv6Addr::from(bits), 48).expect("48 is a valid length")
}

/// FNV-1a, 64 bits: small, and stable across Rust releases (std's hasher is not).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Whether docker masquerades IPv6 itself: from Docker 27 `ip6tables` defaults to true,
/// unless daemon.json turns it off. `docker_version` is dockerd's major version.
pub fn docker_masquerades(docker_version: Option<u32>, daemon_json: &DaemonJson) -> bool {
    let ip6tables = daemon_json.get_bool("ip6tables");
    match docker_version {
        Some(v) if v >= 27 => ip6tables != Some(false),
        _ => ip6tables == Some(true) && docker_version.is_some_and(|v| v >= 20),
    }
}

/// dockerd's major version, from `dockerd --version` ("Docker version 20.10.24+dfsg1, ...").
pub fn dockerd_major_version() -> Option<u32> {
    let mut command = Command::new("dockerd");
    command.arg("--version");
    let finished = child::run(command, TOOL_TIMEOUT).ok()?;
    parse_docker_version(&finished.output)
}

fn parse_docker_version(text: &str) -> Option<u32> {
    let version = text.split("version").nth(1)?.trim_start();
    version.split('.').next()?.trim().parse().ok()
}

/// The ip6tables arguments of our rule, after `-t nat -X POSTROUTING`.
fn rule(subnet: &Ipv6Net) -> [String; 7] {
    [
        "-s".into(),
        subnet.to_string(),
        "!".into(),
        "-o".into(),
        "docker0".into(),
        "-j".into(),
        "MASQUERADE".into(),
    ]
}

fn ip6tables(op: &str, subnet: &Ipv6Net) -> Result<bool> {
    let mut command = Command::new("ip6tables");
    command
        .args(["-w", "-t", "nat", op, "POSTROUTING"])
        .args(rule(subnet));
    let finished = child::run(command, TOOL_TIMEOUT).context("running ip6tables")?;
    let succeeded = finished.ending == Ending::Succeeded;
    if op != "-C" && !succeeded {
        bail!(
            "ip6tables -t nat {op} POSTROUTING failed: {}",
            finished.output
        );
    }
    Ok(succeeded)
}

/// Adds the masquerade rule for `subnet` unless it is there already.
pub fn add_nat66(subnet: &Ipv6Net) -> Result<()> {
    if !ip6tables("-C", subnet)? {
        ip6tables("-A", subnet)?;
    }
    Ok(())
}

/// Removes every copy of the masquerade rule for `subnet`.
pub fn remove_nat66(subnet: &Ipv6Net) -> Result<()> {
    for _ in 0..16 {
        if !ip6tables("-C", subnet)? {
            return Ok(());
        }
        ip6tables("-D", subnet)?;
    }
    Ok(())
}

/// Whether our nft table is in the kernel, by the exit status of `nft list table ip6
/// docker_ipv6_pd` alone: a read, which changes nothing. Any failure (no nft, no permission,
/// a timeout) counts as missing: the mapping is then applied, which is always safe and
/// reports the real failure.
pub fn nft_table_exists() -> bool {
    let mut command = Command::new("nft");
    command.args(["list", "table", "ip6", TABLE]);
    child::run(command, TOOL_TIMEOUT).is_ok_and(|finished| finished.ending == Ending::Succeeded)
}

/// Hands `script` to `nft -f -`, which applies it as one transaction: all of it or nothing.
pub fn run_nft_script(script: &str) -> Result<()> {
    let mut command = Command::new("nft");
    command.args(["-f", "-"]);
    let finished =
        child::run_with_input(command, script.as_bytes(), TOOL_TIMEOUT).context("running nft")?;
    match finished.ending {
        Ending::Succeeded => Ok(()),
        Ending::TimedOut => bail!("nft -f - still ran after {}s", TOOL_TIMEOUT.as_secs()),
        Ending::Failed(status) => bail!("nft -f - failed ({status}): {}", finished.output),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ula_is_stable_per_machine_id_and_in_fd00_8() {
        let root = tempfile::tempdir().unwrap();
        assert_eq!(host_ula(root.path()).to_string(), "fd00::/48");
        fs::create_dir_all(root.path().join("etc")).unwrap();
        fs::write(
            root.path().join("etc/machine-id"),
            "0123456789abcdef0123456789abcdef\n",
        )
        .unwrap();
        let a = host_ula(root.path());
        assert_eq!(a, host_ula(root.path()));
        assert_eq!(a.prefix_len(), 48);
        assert!("fd00::/8".parse::<Ipv6Net>().unwrap().contains(&a));
        assert_ne!(a.to_string(), "fd00::/48");
        fs::write(
            root.path().join("etc/machine-id"),
            "fedcba9876543210fedcba9876543210\n",
        )
        .unwrap();
        assert_ne!(host_ula(root.path()), a);
    }

    #[test]
    fn a_child_reads_its_input_from_stdin() {
        let mut command = Command::new("sh");
        command.args(["-c", "tr a-z A-Z; exit 3"]);
        let finished =
            child::run_with_input(command, b"table ip6 x\n", Duration::from_secs(10)).unwrap();
        assert_eq!(finished.output, "TABLE IP6 X");
        assert!(matches!(finished.ending, Ending::Failed(_)));
    }

    #[test]
    fn fnv1a_known_values() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn docker_versions_that_masquerade_ipv6() {
        let json = |t: &str| DaemonJson::parse(Some(t.as_bytes())).unwrap();
        assert!(!docker_masquerades(Some(20), &json("{}")));
        assert!(docker_masquerades(
            Some(20),
            &json(r#"{"ip6tables": true}"#)
        ));
        assert!(docker_masquerades(Some(27), &json("{}")));
        assert!(!docker_masquerades(
            Some(28),
            &json(r#"{"ip6tables": false}"#)
        ));
        assert!(!docker_masquerades(None, &json("{}")));
        assert_eq!(
            parse_docker_version("Docker version 20.10.24+dfsg1, build 297e128"),
            Some(20)
        );
        assert_eq!(
            parse_docker_version("Docker version 28.2.2, build e6534b4"),
            Some(28)
        );
        assert_eq!(parse_docker_version("nonsense"), None);
    }
}
