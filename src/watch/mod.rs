//! `docker-ipv6-pd watch`: the long-running reader for DHCP clients that run no hooks.
//! systemd-networkd keeps its delegated prefix to itself; the watch reads it from
//! `networkctl --json=short` whenever the kernel announces an IPv6 route or address change
//! (and every minute anyway), turns it into the hooks' event and hands that to the hooks'
//! plan: every target, the loss policy, post-change scripts and `--dry-run` act the same.

pub mod derive;
pub mod networkmanager;
mod wake;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use ipnet::Ipv6Net;

use crate::apply::lease_record::{self, Lease, LeaseRecord, boot_id};
use crate::error::{ConfigError, InputError};
use crate::event::networkd::{self, Delegation};
use crate::event::prefix::configured_choice;
use crate::log;
use crate::on_event;
use crate::plan::nptv6::{LONGEST_MAPPED, MappingRefused};
use crate::settings::{Client, Settings, Target};
use crate::subnet::SubnetChoice;
use derive::{Previous, derive};
use wake::{Wake, Waker};

/// How long the kernel must stay quiet after a change before networkd is read: a renewal or
/// a renumbering is a burst of messages.
const DEBOUNCE: Duration = Duration::from_secs(1);
/// The lease record of networkd.
const RECORD: &str = lease_record::NETWORKD;

/// What `watch` was asked for besides the settings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WatchOptions {
    /// The link whose prefix counts; `None`: the one link that has one.
    pub uplink: Option<String>,
    /// Read and apply once, then exit.
    pub once: bool,
    /// Re-read at least this often.
    pub interval: Duration,
}

/// The subnet an event is read with: under nptv6 a prefix must hold a /64.
pub fn event_subnet_choice(settings: &Settings) -> SubnetChoice {
    if settings.target == Target::Nptv6 {
        SubnetChoice::first(LONGEST_MAPPED)
    } else {
        configured_choice(settings)
    }
}

/// A refused prefix, said as the target needs: under nptv6 the limit is the mapping's, not
/// --subnet-size.
pub fn refused_for_target(settings: &Settings, mut refused: InputError) -> InputError {
    if settings.target == Target::Nptv6
        && let Some(len) = refused.too_long
    {
        refused.problem = MappingRefused::DelegatedTooLong(len).to_string();
    }
    refused
}

/// Runs the watch until SIGTERM (or one read with `--once`).
pub fn run(settings: &Settings, options: &WatchOptions) -> Result<()> {
    if !matches!(settings.client, Client::Auto | Client::Networkd) {
        return Err(ConfigError(
            "watch reads systemd-networkd only (--client networkd); NetworkManager runs the \
             dispatcher script, dhclient and dhcpcd run the hook"
                .into(),
        )
        .into());
    }
    let mut watcher = Watcher::new(settings, options.uplink.clone());
    if options.once {
        return watcher.step();
    }
    let waker = Waker::new()?;
    // Two links with a prefix and no --uplink: say so at once, and do not guess.
    if let Err(e) = watcher.step() {
        if e.is::<ConfigError>() {
            return Err(e);
        }
        log::error(&format!("{e:#}"));
    }
    loop {
        match waker.wait(Instant::now() + options.interval, DEBOUNCE) {
            Wake::Stop => break,
            Wake::Look => {
                if let Err(e) = watcher.step() {
                    log::error(&format!("{e:#}; waiting for the next change"));
                }
            }
        }
    }
    log::info("watch stopped");
    Ok(())
}

/// The watch's memory between reads.
struct Watcher<'a> {
    settings: &'a Settings,
    uplink: Option<String>,
    record: LeaseRecord,
    boot: String,
    previous: Previous,
}

impl<'a> Watcher<'a> {
    fn new(settings: &'a Settings, uplink: Option<String>) -> Watcher<'a> {
        let record = LeaseRecord::new(&settings.root, RECORD);
        let boot = boot_id();
        let previous = match record.read() {
            Some(lease) => Previous {
                this_boot: !boot.is_empty() && lease.boot == boot,
                prefixes: lease.prefixes,
                last_read: None,
            },
            None => Previous::default(),
        };
        Watcher {
            settings,
            uplink,
            record,
            boot,
            previous,
        }
    }

    /// One read of networkd, and the event it makes carried out.
    fn step(&mut self) -> Result<()> {
        let json = networkctl()?;
        let now = boottime_usec();
        let leases = networkd::parse(&json, now).map_err(anyhow::Error::msg)?;
        let (link, read) = networkd::uplink_prefixes(&leases, self.uplink.as_deref())
            .map_err(|e| anyhow::Error::new(ConfigError(e)))?;
        if self.uplink.is_none()
            && let Some(name) = &link
        {
            log::info(&format!(
                "the uplink is {name}, the one link with a delegated prefix"
            ));
            self.uplink = Some(name.clone());
        }
        let choice = event_subnet_choice(self.settings);
        let derived = derive(&self.previous, &read, now, choice)
            .map_err(|refused| refused_for_target(self.settings, refused))?;
        let Some(event) = derived else {
            self.previous.last_read = Some(read);
            return Ok(());
        };
        let result = on_event::run_event(self.settings, &event);
        if result.is_err() && event.is_loss() {
            // Not carried out: the next read finds the prefix gone again and retries. A new
            // prefix that failed is owed a restart by the plan's own record instead.
            self.previous.last_read = None;
            return result;
        }
        self.remember(link, read);
        result
    }

    /// Takes `read` as the lease the plan now has (the record too, unless `--dry-run`).
    fn remember(&mut self, link: Option<String>, read: Vec<Delegation>) {
        let prefixes: Vec<Ipv6Net> = read.iter().map(|d| d.prefix).collect();
        self.previous = Previous {
            prefixes: prefixes.clone(),
            this_boot: true,
            last_read: Some(read),
        };
        if self.settings.dry_run {
            return;
        }
        let lease = Lease {
            boot: self.boot.clone(),
            link: link.or_else(|| self.uplink.clone()),
            prefixes,
        };
        if let Err(e) = self.record.write(&lease) {
            log::warning(&format!("could not record the lease: {e:#}"));
        }
    }
}

/// `networkctl --json=short`: every link and the manager's routes.
fn networkctl() -> Result<Vec<u8>> {
    let out = Command::new("networkctl")
        .arg("--json=short")
        .stdin(Stdio::null())
        .output()
        .context("running networkctl --json=short")?;
    if !out.status.success() {
        let said = String::from_utf8_lossy(&out.stderr);
        bail!(
            "networkctl --json=short failed ({}): {}",
            out.status,
            said.trim()
        );
    }
    Ok(out.stdout)
}

/// CLOCK_BOOTTIME in microseconds: the clock networkd's lifetimes are on.
fn boottime_usec() -> u64 {
    use nix::time::{ClockId, clock_gettime};
    clock_gettime(ClockId::CLOCK_BOOTTIME)
        .map(|t| {
            let micros = t.tv_sec() as i128 * 1_000_000 + t.tv_nsec() as i128 / 1_000;
            u64::try_from(micros).unwrap_or(0)
        })
        .unwrap_or(0)
}
