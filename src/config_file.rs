//! The configuration file: settings for the hook without editing installed files.
//!
//! dhclient runs its script with an environment of its own making, so variables set for the
//! dhclient service never reach the hook; this file does. Format: `key = value` lines whose
//! keys are the long option names, `#` comments, blank lines. Each line becomes
//! `--key=value` and goes through the same clap definition as the command line
//! ([`SettingArgs`]), so the keys, the values they take and `--help` cannot drift apart.

use std::error::Error as _;
use std::path::{Path, PathBuf};

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Args, FromArgMatches};

use crate::bounded_read::{Links, read_regular};
use crate::cli::SettingArgs;
use crate::error::ConfigError;
use crate::settings::{DEFAULT_CONFIG, excerpt, under_root};

/// The largest configuration file read: a few dozen lines are expected.
pub const MAX_BYTES: u64 = 64 * 1024;

/// The configuration layer of a run on the system at `root`: the file `named` (`--config`),
/// whose paths are used as written; else the system's own file under `root`, whose absolute
/// paths name that system's files and so are taken under `root` too.
pub fn load_layer(root: &Path, named: Option<&Path>) -> Result<SettingArgs, ConfigError> {
    match named {
        Some(path) => load(path, true),
        None => {
            let layer = load(&under_root(root, Path::new(DEFAULT_CONFIG)), false)?;
            let rooted = |path: Option<PathBuf>| {
                path.map(|p| {
                    if p.is_absolute() {
                        under_root(root, &p)
                    } else {
                        p
                    }
                })
            };
            Ok(SettingArgs {
                prefix_file: rooted(layer.prefix_file),
                daemon_json: rooted(layer.daemon_json),
                post_change_dir: rooted(layer.post_change_dir),
                ..layer
            })
        }
    }
}

/// Reads the configuration at `path`. A missing file is an empty layer when `required` is
/// false (the default path), and an error when the admin named the file. A FIFO, a device,
/// a directory or a file over [`MAX_BYTES`] is an error at once, without reading it through.
pub fn load(path: &Path, required: bool) -> Result<SettingArgs, ConfigError> {
    match read_regular(path, MAX_BYTES, Links::Follow) {
        Ok(Some(bytes)) => {
            parse(&bytes).map_err(|e| ConfigError(format!("in {}: {e}", path.display())))
        }
        Ok(None) if !required => Ok(SettingArgs::default()),
        Ok(None) => Err(ConfigError(format!(
            "reading {}: no such file",
            path.display()
        ))),
        Err(e) => Err(ConfigError(format!("reading {}: {e}", path.display()))),
    }
}

/// The settings, alone, as the configuration file takes them: no environment variables (that
/// layer is the command line's), no --help or --version, no program name before the options.
pub fn file_command() -> clap::Command {
    SettingArgs::augment_args(clap::Command::new("docker-ipv6-pd.conf"))
        .mut_args(|arg| arg.env(None))
        .no_binary_name(true)
        .disable_help_flag(true)
        .disable_version_flag(true)
}

/// The configuration keys, in the order `--help` lists them.
pub fn keys() -> Vec<String> {
    crate::cli::setting_args()
        .iter()
        .filter_map(|arg| arg.get_long().map(str::to_string))
        .collect()
}

/// Parses the text of a configuration file; a key given twice keeps its last value.
pub fn parse(text: &[u8]) -> Result<SettingArgs, String> {
    // Built at the first setting: a file of comments costs nothing.
    let mut command = None;
    let mut layer = SettingArgs::default();
    for (index, line) in text.split(|&b| b == b'\n').enumerate() {
        let number = index + 1;
        let line = std::str::from_utf8(line)
            .map_err(|_| format!("line {number}: not UTF-8 text"))?
            .trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .map(|(key, value)| (key.trim(), value.trim()))
            .filter(|(key, _)| !key.is_empty())
            .ok_or_else(|| {
                format!(
                    "line {number}: expected `key = value`, found {}",
                    excerpt(line)
                )
            })?;
        let matches = command
            .get_or_insert_with(file_command)
            .try_get_matches_from_mut([format!("--{key}={value}")])
            .map_err(|e| format!("line {number}: {}", describe(&e, key, value)))?;
        layer
            .update_from_arg_matches(&matches)
            .map_err(|e| format!("line {number}: {}", describe(&e, key, value)))?;
    }
    Ok(layer)
}

/// One line saying what is wrong with `key = value`, from clap's error about `--key=value`.
fn describe(err: &clap::Error, key: &str, value: &str) -> String {
    let context = |kind| err.get(kind);
    match err.kind() {
        ErrorKind::UnknownArgument => match context(ContextKind::SuggestedArg) {
            Some(ContextValue::String(suggested)) => format!(
                "unknown key {} (did you mean {}?)",
                excerpt(key),
                suggested.trim_start_matches('-')
            ),
            _ => format!(
                "unknown key {} (known: {})",
                excerpt(key),
                keys().join(", ")
            ),
        },
        ErrorKind::InvalidValue if value.is_empty() => format!("{key}: needs a value"),
        ErrorKind::InvalidValue => match context(ContextKind::ValidValue) {
            Some(ContextValue::Strings(valid)) => format!(
                "{key}: {} is not one of {}",
                excerpt(value),
                valid.join(", ")
            ),
            _ => format!("{key}: {} is not valid", excerpt(value)),
        },
        _ => match err.source() {
            // A value parser's own message (ErrorKind::ValueValidation), already short.
            Some(source) => format!("{key}: {source}"),
            None => format!("{key}: {} is not valid", excerpt(value)),
        },
    }
}

#[cfg(test)]
#[path = "config_file_tests.rs"]
mod tests;
