//! `docker-ipv6-pd doctor`: checks a machine's whole setup and says, one line per check,
//! what is right, what is odd, and what is wrong with the fix for it.
//!
//! Two steps: `gather` (with `gather_docker`) reads the machine into [`facts::Facts`] (all
//! the I/O, everything under `--root`: /etc, /proc, /run, /sbin, /usr, /var/lib/dhcp,
//! /var/lib/docker and /var/lib/dpkg), then `judge` (with `judge_docker` and `judge_engine`)
//! turns the facts into findings without touching a file.

use std::fmt;

use crate::settings::Settings;

pub mod dhcpcd_title;
pub mod facts;
pub mod gather;
pub mod gather_docker;
pub mod gather_network_managers;
pub mod gather_nptv6;
pub mod judge;
mod judge_dhcp;
mod judge_docker;
mod judge_engine;
pub mod judge_network_managers;
mod judge_nptv6;
pub mod ruleset;

/// How a check came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    /// As it should be.
    Ok,
    /// Odd, or not yet in place, but nothing is broken.
    Warning,
    /// Broken: doctor exits non-zero.
    Problem,
}

/// One line of the report, with the fix when something is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub verdict: Verdict,
    /// What was found, in one line.
    pub message: String,
    /// What to do about it, for warnings and problems.
    pub fix: Option<String>,
}

/// Everything doctor found, in the order checked.
#[derive(Clone, Debug, Default)]
pub struct Report(pub Vec<Finding>);

impl Report {
    /// Adds a check that came out right.
    pub(crate) fn ok(&mut self, message: impl Into<String>) {
        self.push(Verdict::Ok, message.into(), None);
    }

    /// Adds something odd, with a fix when there is one.
    pub(crate) fn warning(&mut self, message: impl Into<String>, fix: Option<String>) {
        self.push(Verdict::Warning, message.into(), fix);
    }

    /// Adds something broken, with its fix.
    pub(crate) fn problem(&mut self, message: impl Into<String>, fix: impl Into<String>) {
        self.push(Verdict::Problem, message.into(), Some(fix.into()));
    }

    fn push(&mut self, verdict: Verdict, message: String, fix: Option<String>) {
        self.0.push(Finding {
            verdict,
            message,
            fix,
        });
    }

    /// True when any check found a problem (doctor then exits non-zero).
    pub fn has_problem(&self) -> bool {
        self.0.iter().any(|f| f.verdict == Verdict::Problem)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for finding in &self.0 {
            let label = match finding.verdict {
                Verdict::Ok => "ok",
                Verdict::Warning => "warning",
                Verdict::Problem => "problem",
            };
            writeln!(f, "{label:<8} {}", finding.message)?;
            if let Some(fix) = &finding.fix {
                writeln!(f, "{:<8} fix: {fix}", "")?;
            }
        }
        let problems = self
            .0
            .iter()
            .filter(|f| f.verdict == Verdict::Problem)
            .count();
        let warnings = self
            .0
            .iter()
            .filter(|f| f.verdict == Verdict::Warning)
            .count();
        writeln!(f, "{problems} problem(s), {warnings} warning(s)")
    }
}

/// Runs every check: gathers the facts under `settings.root`, then judges them.
pub fn examine(settings: &Settings) -> Report {
    judge::judge(&gather::gather(settings))
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_dhcp;
#[cfg(test)]
mod tests_engine;
#[cfg(test)]
mod tests_nptv6;
