//! Doctor's eyes on `target = nptv6`: the record of the mapping applied, nft and its
//! ruleset, docker's bridges. Files under `--root`; the ruleset from whatever lists it, a
//! function the caller passes (`nft list ruleset` in production, a fixture in tests).

use std::path::Path;
use std::process::{Command, Stdio};

use crate::apply::mapping_state::MappingRecord;
use crate::inspect::doctor::facts::Nptv6Facts;
use crate::inspect::{nptv6, read};
use crate::settings::{Settings, under_root};

/// Where Debian's nftables package puts nft, and where older systems have it.
const NFT_PATHS: [&str; 2] = ["/usr/sbin/nft", "/sbin/nft"];

/// Lists the ruleset: its text, or why it could not.
pub type ListRuleset<'a> = &'a dyn Fn() -> Result<String, String>;

/// What nptv6 needs, read under `settings.root`; the ruleset only when nft is installed.
pub fn nptv6(settings: &Settings, list_ruleset: ListRuleset) -> Nptv6Facts {
    let root = settings.root.as_path();
    let record = MappingRecord::new(root);
    let nft_installed = NFT_PATHS
        .iter()
        .any(|p| under_root(root, Path::new(p)).is_file());
    Nptv6Facts {
        internal: nptv6::internal_prefix(settings),
        applied: record.read(),
        record: read::on_system(root, record.path()).display().to_string(),
        nft_installed,
        ruleset: nft_installed.then(list_ruleset),
        bridges: nptv6::bridges(root),
    }
}

/// `nft list ruleset` of the running kernel, by the nft on PATH: its whole output, or its
/// status and trimmed stderr.
pub fn nft_list_ruleset() -> Result<String, String> {
    let output = Command::new("nft")
        .args(["list", "ruleset"])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run nft list ruleset: {e}"))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(format!(
            "nft list ruleset failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    #[test]
    fn the_ruleset_is_listed_only_when_nft_is_installed() {
        let root = tempfile::tempdir().unwrap();
        let internal = "fd12:3456:789a::/48".parse().unwrap();
        let settings = nptv6::settings(root.path(), Some(internal));
        let asked = Cell::new(0);
        let list = || {
            asked.set(asked.get() + 1);
            Ok("table ip6 nat {\n}\n".to_string())
        };
        let facts = nptv6(&settings, &list);
        assert_eq!(asked.get(), 0);
        assert!(!facts.nft_installed);
        assert_eq!(facts.ruleset, None);
        assert_eq!(facts.record, "/run/docker-ipv6-pd/mapping");
        assert_eq!(facts.applied, None);
        let put = |path: &str, text: &str| {
            let path = root.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        put("usr/sbin/nft", "");
        put(
            "run/docker-ipv6-pd/mapping",
            "2001:db8:1:100::/56 fd12:3456:789a::/56\n",
        );
        let facts = nptv6(&settings, &list);
        assert_eq!(asked.get(), 1);
        assert!(facts.nft_installed);
        assert_eq!(facts.ruleset, Some(Ok("table ip6 nat {\n}\n".to_string())));
        assert_eq!(facts.internal.to_string(), "fd12:3456:789a::/48");
        assert_eq!(
            facts.applied.map(|m| m.to_string()).as_deref(),
            Some("2001:db8:1:100::/56 fd12:3456:789a::/56")
        );
        assert_eq!(facts.bridges, Ok(Vec::new()));
        // /sbin/nft counts too.
        std::fs::remove_file(root.path().join("usr/sbin/nft")).unwrap();
        put("sbin/nft", "");
        assert!(nptv6(&settings, &list).nft_installed);
    }
}
