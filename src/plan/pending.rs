//! The record of a restart of docker that is still owed, kept across runs and reboots.
//!
//! A run records what it sets out to do *before* it touches a target, and clears the record
//! only once docker restarted. Whatever stops a run in between (a full disk, a read-only
//! /etc, a hung or failing restart, SIGKILL, a power cut, an invalid daemon.json repaired
//! later), the next event of that prefix finds the record and applies the prefix with a
//! restart, even when the lease calls that event a renewal. One line of text, so that an
//! admin can read it: `apply 2001:db8:0:100::/60`.

use std::fmt;

use ipnet::Ipv6Net;

/// A restart of docker that is owed, and for which prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pending {
    /// Docker must run with this prefix's subnet.
    Apply(Ipv6Net),
    /// This prefix was lost; its subnet is being taken out (`--on-loss withdraw`).
    Withdraw(Ipv6Net),
    /// This prefix was lost; docker is moving to the fallback subnet (`--on-loss fallback`).
    Fallback(Ipv6Net),
    /// This prefix's subnet was taken out and docker restarted without it: if the lease
    /// brings the prefix back, even as a renewal, docker must restart for it.
    Withdrawn(Ipv6Net),
}

impl Pending {
    /// The prefix the record is about.
    pub fn prefix(self) -> Ipv6Net {
        match self {
            Pending::Apply(p) | Pending::Withdraw(p) | Pending::Fallback(p) => p,
            Pending::Withdrawn(p) => p,
        }
    }

    /// Whether the record is about `prefix` (compared as networks).
    pub fn is_for(self, prefix: &Ipv6Net) -> bool {
        self.prefix().trunc() == prefix.trunc()
    }

    /// Reads a record line. Anything else (garbage, an empty file) is no record; a bare
    /// prefix, as older versions wrote, is `Apply`.
    pub fn parse(line: &str) -> Option<Pending> {
        let line = line.trim();
        let (word, prefix) = line.split_once(' ').unwrap_or(("apply", line));
        let prefix: Ipv6Net = prefix.trim().parse().ok()?;
        match word {
            "apply" => Some(Pending::Apply(prefix)),
            "withdraw" => Some(Pending::Withdraw(prefix)),
            "fallback" => Some(Pending::Fallback(prefix)),
            "withdrawn" => Some(Pending::Withdrawn(prefix)),
            _ => None,
        }
    }
}

impl fmt::Display for Pending {
    /// The record line, without its newline.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let word = match self {
            Pending::Apply(_) => "apply",
            Pending::Withdraw(_) => "withdraw",
            Pending::Fallback(_) => "fallback",
            Pending::Withdrawn(_) => "withdrawn",
        };
        write!(f, "{word} {}", self.prefix())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> Ipv6Net {
        s.parse().unwrap()
    }

    #[test]
    fn every_record_reads_back_as_written() {
        let p = net("2001:db8:0:100::/60");
        for record in [
            Pending::Apply(p),
            Pending::Withdraw(p),
            Pending::Fallback(p),
            Pending::Withdrawn(p),
        ] {
            assert_eq!(Pending::parse(&format!("{record}\n")), Some(record));
        }
        assert_eq!(Pending::Apply(p).to_string(), "apply 2001:db8:0:100::/60");
    }

    #[test]
    fn a_bare_prefix_is_an_apply_and_garbage_is_nothing() {
        assert_eq!(
            Pending::parse("2001:db8:0:100::/60\n"),
            Some(Pending::Apply(net("2001:db8:0:100::/60")))
        );
        for garbage in [
            "",
            "\n",
            "apply",
            "restart 2001:db8::/60",
            "apply /60",
            "\0\0\0",
        ] {
            assert_eq!(Pending::parse(garbage), None, "{garbage:?}");
        }
    }

    #[test]
    fn a_record_is_for_its_prefix_whatever_the_spelling() {
        let record = Pending::Withdrawn(net("2001:db8:0:100::/60"));
        assert!(record.is_for(&net("2001:db8:0:100::1/60")));
        assert!(!record.is_for(&net("2001:db8:0:100::/56")));
        assert!(!record.is_for(&net("2001:db8:0:200::/60")));
    }
}
