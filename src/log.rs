//! Messages for the admin: to stderr and to syslog (facility daemon, ident docker-ipv6-pd).
//!
//! dhclient usually discards what a hook prints, so every change and every refusal also goes
//! to syslog, where journald or rsyslog keeps it.

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

/// Writes `message` (one line) to stderr and syslog. Logging never fails the run.
pub fn log(level: Level, message: &str) {
    let (severity, label) = match level {
        Level::Info => (Severity::LOG_INFO, ""),
        Level::Warning => (Severity::LOG_WARNING, "warning: "),
        Level::Error => (Severity::LOG_ERR, "error: "),
    };
    eprintln!("docker-ipv6-pd: {label}{message}");
    OPEN.call_once(|| {
        let _ = openlog(
            Some(c"docker-ipv6-pd"),
            LogFlags::LOG_PID,
            Facility::LOG_DAEMON,
        );
    });
    let _ = syslog(Priority::new(severity, Facility::LOG_DAEMON), message);
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
