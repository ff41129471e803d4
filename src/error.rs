//! Exit statuses, each with one meaning an admin or a script can act on.

use std::fmt;

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitCode {
    /// Done, or nothing to do.
    Success = 0,
    /// The prefix file (or its directory) could not be read, locked or written.
    Failure = 1,
    /// Bad command line or configuration file (clap uses 2 for usage errors too).
    Usage = 2,
    /// A lease variable or argument was refused: nothing was changed.
    InvalidInput = 3,
    /// The file was written but docker could not be restarted.
    RestartFailed = 4,
    /// `doctor` found at least one problem.
    ProblemsFound = 5,
}

impl ExitCode {
    /// The status for an error, by the kinds of error in its chain.
    pub fn for_error(err: &anyhow::Error) -> ExitCode {
        if err.chain().any(|e| e.is::<InputError>()) {
            ExitCode::InvalidInput
        } else if err.chain().any(|e| e.is::<RestartFailed>()) {
            ExitCode::RestartFailed
        } else if err.chain().any(|e| e.is::<ConfigError>()) {
            ExitCode::Usage
        } else {
            ExitCode::Failure
        }
    }
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(code: ExitCode) -> Self {
        std::process::ExitCode::from(code as u8)
    }
}

/// A configuration that cannot be read or makes no sense (exit status 2).
#[derive(Debug)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// A refused input: which variable, what it held (quoted, escaped, shortened) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub var: String,
    pub value: String,
    pub problem: String,
    /// When the value was refused for being too long a prefix to hold the subnet: its length.
    pub too_long: Option<u8>,
}

impl InputError {
    pub fn new(var: &str, raw: &[u8], problem: impl Into<String>) -> InputError {
        InputError {
            var: var.to_string(),
            value: quote(raw),
            problem: problem.into(),
            too_long: None,
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}: {}", self.var, self.value, self.problem)
    }
}

impl std::error::Error for InputError {}

/// The files were written but docker did not restart (exit status 4).
#[derive(Debug)]
pub struct RestartFailed(pub String);

impl fmt::Display for RestartFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RestartFailed {}

/// Longest part of a value shown in an error; the rest is counted, not printed.
const SHOWN_BYTES: usize = 64;

/// Quotes a raw value for a one-line message: printable ASCII as is, everything else escaped,
/// long values cut short.
pub fn quote(raw: &[u8]) -> String {
    let mut out = String::from("\"");
    for &b in raw.iter().take(SHOWN_BYTES) {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
    if raw.len() > SHOWN_BYTES {
        out.push_str(&format!("... ({} bytes in all)", raw.len()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn errors_map_to_their_status_through_context() {
        let input: anyhow::Error = InputError::new("new_ip6_prefix", b"x", "bad").into();
        assert_eq!(
            ExitCode::for_error(&input.context("refused")),
            ExitCode::InvalidInput
        );
        let restart: anyhow::Error = RestartFailed("service docker restart".into()).into();
        assert_eq!(ExitCode::for_error(&restart), ExitCode::RestartFailed);
        let config = Err::<(), _>(ConfigError("line 1: bad".into()))
            .context("in /etc/x.conf")
            .unwrap_err();
        assert_eq!(ExitCode::for_error(&config), ExitCode::Usage);
        assert_eq!(
            ExitCode::for_error(&anyhow::anyhow!("disk full")),
            ExitCode::Failure
        );
    }

    #[test]
    fn statuses_are_distinct_and_stable() {
        let codes = [
            ExitCode::Success,
            ExitCode::Failure,
            ExitCode::Usage,
            ExitCode::InvalidInput,
            ExitCode::RestartFailed,
            ExitCode::ProblemsFound,
        ];
        assert_eq!(codes.map(|c| c as u8), [0, 1, 2, 3, 4, 5]);
    }

    #[test]
    fn long_values_are_shortened() {
        let long = "a".repeat(10_000);
        let quoted = quote(long.as_bytes());
        assert!(quoted.len() < 100);
        assert!(quoted.ends_with("(10000 bytes in all)"));
    }
}
