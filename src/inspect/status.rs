//! `docker-ipv6-pd status`: what is delegated, what subnet is configured, what docker runs
//! with, and when each last changed; a few lines, or JSON for scripts.

use std::fs;
use std::path::Path;
use std::time::UNIX_EPOCH;

use serde_json::{Value, json};

use crate::inspect::docker_flags;
use crate::inspect::lease_file;
use crate::plan::daemon_json::DaemonJson;
use crate::plan::target::Kind;
use crate::settings::{Settings, under};
use crate::subnet::parse_file_contents;

/// Everything status shows, as JSON (the text form is rendered from it).
pub fn collect(settings: &Settings) -> Value {
    let root = settings.root.as_path();
    let delegated: Vec<Value> = lease_file::delegated(root)
        .into_iter()
        .map(|(file, p)| {
            json!({
                "prefix": p.prefix.to_string(),
                "interface": p.interface,
                "preferred_life": p.preferred_life,
                "max_life": p.max_life,
                "starts": p.starts.map(utc),
                "expires": p.expires().map(utc),
                "lease_file": file.strip_prefix(root).map(|f| Path::new("/").join(f)).unwrap_or(file).display().to_string(),
            })
        })
        .collect();
    let configured: Vec<Value> = crate::plan::target::files_of(settings.target)
        .iter()
        .map(|&kind| {
            let path = settings.path(kind);
            let real = under(root, path);
            let bytes = fs::read(&real).ok();
            let subnet = match kind {
                Kind::PrefixFile => bytes.as_deref().and_then(parse_file_contents),
                Kind::DaemonJson => DaemonJson::parse(bytes.as_deref())
                    .ok()
                    .and_then(|j| j.subnet()),
            };
            json!({
                "file": path.display().to_string(),
                "subnet": subnet.map(|s| s.to_string()),
                "changed": modified(&real),
            })
        })
        .collect();
    let docker: Vec<Value> = docker_flags::find(root)
        .into_iter()
        .map(|source| {
            let flags: serde_json::Map<String, Value> = source
                .flags
                .into_iter()
                .map(|(name, value)| (name, value.map_or(Value::Bool(true), Value::String)))
                .collect();
            json!({"source": source.origin, "flags": flags})
        })
        .collect();
    json!({"delegated": delegated, "configured": configured, "docker_flags": docker})
}

/// The text form: a few readable lines.
pub fn render(status: &Value) -> String {
    let mut out = String::new();
    let list = |key: &str| status[key].as_array().cloned().unwrap_or_default();
    let text = |v: &Value| v.as_str().map(str::to_string);
    let delegated = list("delegated");
    if delegated.is_empty() {
        out += "delegated:  nothing (no prefix in /var/lib/dhcp/dhclient6*.leases)\n";
    }
    for p in &delegated {
        out += &format!(
            "delegated:  {} on {}, preferred {}s, valid {}s, expires {}\n",
            text(&p["prefix"]).unwrap_or_default(),
            text(&p["interface"]).unwrap_or_else(|| "?".into()),
            p["preferred_life"]
                .as_u64()
                .map_or("?".into(), |n| n.to_string()),
            p["max_life"].as_u64().map_or("?".into(), |n| n.to_string()),
            text(&p["expires"]).unwrap_or_else(|| "?".into()),
        );
    }
    for c in list("configured") {
        let file = text(&c["file"]).unwrap_or_default();
        match text(&c["subnet"]) {
            Some(subnet) => {
                let changed = text(&c["changed"]).unwrap_or_else(|| "?".into());
                out += &format!("configured: {subnet} in {file}, changed {changed}\n");
            }
            None => out += &format!("configured: no subnet in {file}\n"),
        }
    }
    let docker = list("docker_flags");
    if docker.is_empty() {
        out += "docker:     no IPv6 flags given to dockerd (daemon.json, if set, applies)\n";
    }
    for d in docker {
        let flags: Vec<String> = d["flags"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| match v.as_str() {
                        Some(s) => format!("--{k}={s}"),
                        None => format!("--{k}"),
                    })
                    .collect()
            })
            .unwrap_or_default();
        out += &format!(
            "docker:     {} from {}\n",
            flags.join(" "),
            text(&d["source"]).unwrap_or_default()
        );
    }
    out
}

fn modified(path: &Path) -> Option<String> {
    let time = fs::metadata(path).ok()?.modified().ok()?;
    let secs = time.duration_since(UNIX_EPOCH).ok()?.as_secs();
    Some(utc(i64::try_from(secs).ok()?))
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
mod tests {
    use super::*;

    #[test]
    fn utc_formats_known_instants() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc(1_795_670_343), "2026-11-26 05:19:03 UTC");
    }
}
