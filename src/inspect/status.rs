//! `docker-ipv6-pd status`: what is delegated, what subnet is configured, what docker runs
//! with, and when each last changed; a few lines, or JSON for scripts. Both forms are
//! rendered from one typed [`Status`].

use std::fs;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use ipnet::Ipv6Net;

use crate::inspect::docker_flags;
use crate::inspect::lease_file::{self, LeasedPrefix};
use crate::inspect::read::{self, CONFIG_CAP, Found};
use crate::inspect::status_source::{self, Source};
use crate::plan::target::Contents;
use crate::settings::{Settings, Target};

#[path = "status_json.rs"]
mod json;
#[path = "status_nptv6.rs"]
mod nptv6;

pub use nptv6::{Bridge, Nptv6Status};

/// Everything status shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Status {
    /// Each delegated prefix in dhclient's lease files.
    pub delegated: Vec<Delegated>,
    /// The lease networkd's watch or NetworkManager's dispatcher last handed on (left out
    /// of the JSON when there is none).
    pub sources: Vec<Source>,
    /// Each file the target writes, with the subnet it holds.
    pub configured: Vec<Configured>,
    /// Each place that gives dockerd IPv6 flags.
    pub docker_flags: Vec<DockerFlags>,
    /// The mapping and docker's bridges, for `target = nptv6` only (left out of the JSON
    /// for the other targets).
    pub nptv6: Option<Nptv6Status>,
    /// What could not be read: files that are not regular files or are too large, option
    /// strings too deep to tell, daemon.json that is not valid. Left out of the JSON when empty.
    pub warnings: Vec<String>,
}

/// One delegated prefix and the lease file it is in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delegated {
    pub lease: LeasedPrefix,
    /// The lease file, as on the system.
    pub lease_file: PathBuf,
}

/// One file the target writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Configured {
    /// The file, as on the system.
    pub file: PathBuf,
    /// The valid subnet it holds, if any.
    pub subnet: Option<Ipv6Net>,
    /// When it last changed, in seconds since the epoch.
    pub changed: Option<i64>,
}

/// The IPv6 flags dockerd gets from one place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DockerFlags {
    /// Where, in words: `/etc/default/docker (DOCKER_OPTS)`, `running dockerd (pid 42)`.
    pub source: String,
    /// Each flag by name without dashes, with its value when given one.
    pub flags: Vec<(String, Option<String>)>,
}

/// Reads the lease files, the target files and dockerd's flags under `settings.root`.
pub fn collect(settings: &Settings) -> Status {
    let root = settings.root.as_path();
    let mut status = Status::default();
    let leases = lease_file::survey(root);
    status.warnings.extend(leases.unreadable.iter().cloned());
    status.sources = status_source::collect(root, &mut status.warnings);
    if settings.target == Target::Nptv6 {
        status.nptv6 = Some(nptv6::collect(settings, &leases, &mut status.warnings));
    }
    status.delegated = leases
        .prefixes
        .into_iter()
        .map(|(lease_file, lease)| Delegated { lease, lease_file })
        .collect();
    for &kind in settings.target.files() {
        let real = settings.path(kind);
        let path = &read::on_system(root, real);
        let bytes = match read::real_file(root, real, CONFIG_CAP) {
            Found::Read(bytes) => Some(bytes),
            Found::Missing => None,
            Found::Unreadable(why) => {
                status.warnings.push(why);
                None
            }
        };
        let subnet = match Contents::parse(kind, bytes) {
            Ok(contents) => contents.subnet(),
            Err(invalid) => {
                status
                    .warnings
                    .push(format!("{}: {invalid}", path.display()));
                None
            }
        };
        status.configured.push(Configured {
            file: path.to_path_buf(),
            subnet,
            changed: modified(real),
        });
    }
    let flags = docker_flags::survey(root);
    status.warnings.extend(flags.unreadable);
    status.warnings.extend(flags.cannot_tell);
    status.docker_flags = flags
        .sources
        .into_iter()
        .map(|source| DockerFlags {
            source: source.origin,
            flags: source.flags,
        })
        .collect();
    status
}

/// The text form: a few readable lines.
pub fn render(status: &Status) -> String {
    let mut out = String::new();
    let or_unknown = |n: Option<u32>| n.map_or("?".into(), |n| n.to_string());
    out += &status_source::render(&status.sources);
    if status.delegated.is_empty() && status.sources.is_empty() {
        out += "delegated:  nothing (no prefix in /var/lib/dhcp/dhclient6*.leases)\n";
    }
    for p in status.delegated.iter().map(|d| &d.lease) {
        out += &format!(
            "delegated:  {} on {}, preferred {}s, valid {}s, expires {}\n",
            p.prefix,
            p.interface.as_deref().unwrap_or("?"),
            or_unknown(p.preferred_life),
            or_unknown(p.max_life),
            p.expires().map_or("?".into(), utc),
        );
    }
    for c in &status.configured {
        let file = c.file.display();
        match c.subnet {
            Some(subnet) => {
                let changed = c.changed.map_or("?".into(), utc);
                out += &format!("configured: {subnet} in {file}, changed {changed}\n");
            }
            None => out += &format!("configured: no subnet in {file}\n"),
        }
    }
    if status.docker_flags.is_empty() {
        out += "docker:     no IPv6 flags given to dockerd (daemon.json, if set, applies)\n";
    }
    for d in &status.docker_flags {
        let flags: Vec<String> = d
            .flags
            .iter()
            .map(|(name, value)| match value {
                Some(value) => format!("--{name}={value}"),
                None => format!("--{name}"),
            })
            .collect();
        out += &format!("docker:     {} from {}\n", flags.join(" "), d.source);
    }
    if let Some(nptv6) = &status.nptv6 {
        out += &nptv6::render(nptv6);
    }
    for warning in &status.warnings {
        out += &format!("warning:    {warning}\n");
    }
    out
}

/// When `path` last changed, in seconds since the epoch (metadata only: never blocks).
fn modified(path: &Path) -> Option<i64> {
    let time = fs::metadata(path).ok()?.modified().ok()?;
    let secs = time.duration_since(UNIX_EPOCH).ok()?.as_secs();
    i64::try_from(secs).ok()
}

/// Seconds since the epoch as `2026-11-26 05:19:03 UTC` (civil-from-days, H. Hinnant).
pub fn utc(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
#[path = "status_tests.rs"]
mod tests;
