//! The configuration file: settings for the hook without editing installed files.
//!
//! dhclient runs its script with an environment of its own making, so variables set for the
//! dhclient service never reach the hook; this file does. Format: `key = value` lines whose
//! keys are the long option names, `#` comments, blank lines.

use std::io;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};

use crate::error::ConfigError;

use crate::settings::Client;
use crate::settings::OnLoss;
use crate::settings::Target;
use crate::settings::{
    Layer, parse_fallback_nat, parse_fallback_prefix, parse_init, parse_service, parse_subnet_size,
    parse_timeout,
};

/// The keys a configuration file may hold: the long option names.
pub const KNOWN_KEYS: [&str; 12] = [
    "prefix-file",
    "subnet-size",
    "target",
    "daemon-json",
    "service",
    "init",
    "client",
    "on-loss",
    "fallback-prefix",
    "fallback-nat",
    "post-change-dir",
    "post-change-timeout",
];

/// Reads the configuration at `path`. A missing file is an empty layer when `required` is
/// false (the default path), and an error when the admin named the file.
pub fn load(path: &Path, required: bool) -> Result<Layer, ConfigError> {
    let result = match std::fs::read_to_string(path) {
        Ok(text) => parse(&text).with_context(|| format!("in {}", path.display())),
        Err(e) if e.kind() == io::ErrorKind::NotFound && !required => Ok(Layer::default()),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    };
    result.map_err(|e| ConfigError(format!("{e:#}")))
}

/// Parses the text of a configuration file.
pub fn parse(text: &str) -> Result<Layer> {
    let mut layer = Layer::default();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let number = index + 1;
        let (key, value) = line
            .split_once('=')
            .ok_or_else(|| anyhow!("line {number}: expected `key = value`, found {line:?}"))?;
        let (key, value) = (key.trim(), value.trim());
        let bad = |e: String| anyhow!("line {number}: {key}: {e}");
        match key {
            "prefix-file" if !value.is_empty() => layer.prefix_file = Some(PathBuf::from(value)),
            "subnet-size" => layer.subnet_size = Some(parse_subnet_size(value).map_err(bad)?),
            "service" => layer.service = Some(parse_service(value).map_err(bad)?),
            "init" => layer.init = Some(parse_init(value).map_err(bad)?),
            "target" => layer.target = Some(Target::parse(value).map_err(bad)?),
            "daemon-json" if !value.is_empty() => layer.daemon_json = Some(PathBuf::from(value)),
            "client" => layer.client = Some(Client::parse(value).map_err(bad)?),
            "on-loss" => layer.on_loss = Some(OnLoss::parse(value).map_err(bad)?),
            "fallback-prefix" => {
                layer.fallback_prefix = Some(parse_fallback_prefix(value).map_err(bad)?)
            }
            "fallback-nat" => layer.fallback_nat = Some(parse_fallback_nat(value).map_err(bad)?),
            "post-change-dir" if !value.is_empty() => {
                layer.post_change_dir = Some(PathBuf::from(value))
            }
            "post-change-timeout" => {
                layer.post_change_timeout = Some(parse_timeout(value).map_err(bad)?)
            }
            "prefix-file" | "daemon-json" | "post-change-dir" => {
                return Err(bad("needs a path".into()));
            }
            _ => {
                return Err(anyhow!(
                    "line {number}: unknown key {key:?} (known: {})",
                    KNOWN_KEYS.join(", ")
                ));
            }
        }
    }
    Ok(layer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::InitChoice;

    #[test]
    fn parses_every_key_with_comments_and_blanks() {
        let layer = parse(
            "# docker-ipv6-pd\n\nprefix-file = /srv/ipv6.prefix\nsubnet-size=64\n  service = moby \ninit = systemd\ntarget = both\ndaemon-json = /srv/daemon.json\n",
        )
        .unwrap();
        assert_eq!(
            layer,
            Layer {
                prefix_file: Some(PathBuf::from("/srv/ipv6.prefix")),
                subnet_size: Some(64),
                service: Some("moby".into()),
                init: Some(InitChoice::Systemd),
                target: Some(Target::Both),
                daemon_json: Some(PathBuf::from("/srv/daemon.json")),
                ..Layer::default()
            }
        );
    }

    #[test]
    fn parses_the_loss_and_hook_keys() {
        let layer = parse(
            "client = dhcpcd\non-loss = fallback\nfallback-prefix = fd12:3456:789a::/48\n\
             fallback-nat = never\npost-change-dir = /srv/hooks\npost-change-timeout = 5\n",
        )
        .unwrap();
        assert_eq!(layer.client, Some(Client::Dhcpcd));
        assert_eq!(layer.on_loss, Some(OnLoss::Fallback));
        assert_eq!(
            layer.fallback_prefix.unwrap().to_string(),
            "fd12:3456:789a::/48"
        );
        assert_eq!(layer.post_change_timeout, Some(5));
        assert!(parse("on-loss = panic").is_err());
        assert!(parse("fallback-prefix = 2001:db8::/48").is_err());
    }

    #[test]
    fn refuses_unknown_keys_and_bad_values_with_the_line_number() {
        let err = parse("subnet-size = 80\nsubnet_size = 64\n").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("line 2: unknown key \"subnet_size\""),
            "{err}"
        );
        let err = parse("subnet-size = 200").unwrap_err();
        assert!(err.to_string().starts_with("line 1: subnet-size:"), "{err}");
        assert!(parse("service = docker;reboot").is_err());
        assert!(parse("just words").is_err());
        assert!(parse("prefix-file =").is_err());
    }

    #[test]
    fn a_missing_default_file_is_empty_but_a_named_one_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("none.conf");
        assert_eq!(load(&missing, false).unwrap(), Layer::default());
        assert!(load(&missing, true).is_err());
    }
}
