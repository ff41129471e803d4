//! Messages for the admin: to stderr and to syslog (facility daemon, ident docker-ipv6-pd).
//!
//! dhclient usually discards what a hook prints, so every change and every refusal also goes
//! to syslog, where journald or rsyslog keeps it. Logging never fails or stops a run: a
//! closed or broken stderr (dhclient runs hooks with SIGPIPE ignored) is ignored, and every
//! control character is escaped, so a value from the lease cannot forge a second log line.

use std::fmt;
use std::io::Write;
use std::sync::Once;

use nix::syslog::{Facility, LogFlags, Priority, Severity, openlog, syslog};

static OPEN: Once = Once::new();

/// How serious a message is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Info,
    Warning,
    Error,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Error => "error",
        })
    }
}

/// Writes `message` as one line to stderr and syslog. Logging never fails the run.
pub fn log(level: Level, message: &str) {
    let (severity, label) = match level {
        Level::Info => (Severity::LOG_INFO, ""),
        Level::Warning => (Severity::LOG_WARNING, "warning: "),
        Level::Error => (Severity::LOG_ERR, "error: "),
    };
    let message = one_line(message);
    let _ = writeln!(std::io::stderr().lock(), "docker-ipv6-pd: {label}{message}");
    OPEN.call_once(|| {
        let _ = openlog(
            Some(c"docker-ipv6-pd"),
            LogFlags::LOG_PID,
            Facility::LOG_DAEMON,
        );
    });
    let _ = syslog(Priority::new(severity, Facility::LOG_DAEMON), &message);
}

pub fn info(message: &str) {
    log(Level::Info, message);
}

pub fn warning(message: &str) {
    log(Level::Warning, message);
}

pub fn error(message: &str) {
    log(Level::Error, message);
}

/// `message` with every control character (newlines too) written as `\xNN`.
pub fn one_line(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for c in message.chars() {
        if c.is_control() {
            out.push_str(&format!("\\x{:02x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_read_as_words() {
        let words = [Level::Info, Level::Warning, Level::Error].map(|l| l.to_string());
        assert_eq!(words, ["info", "warning", "error"]);
    }

    #[test]
    fn control_characters_are_escaped_and_text_is_kept() {
        assert_eq!(
            one_line("BOUND6\nfake: line\r\x1b[2J\x7f\u{85} ok 2001:db8::/60 ü"),
            "BOUND6\\x0afake: line\\x0d\\x1b[2J\\x7f\\x85 ok 2001:db8::/60 ü"
        );
    }
}
