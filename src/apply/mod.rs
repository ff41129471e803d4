//! Carrying out a plan's effects, in order, stopping at the first that fails. Each side
//! effect sits behind a narrow function in a module of its own; this file only walks the
//! list and gives each failure its exit status. It decides nothing: that is `plan`'s job.

pub mod atomic_file;
pub mod child;
pub mod firewall;
pub mod init_system;
pub mod lease_record;
pub mod mapping_state;
pub mod post_change;
pub mod run_parts;
pub mod state;

use std::time::Duration;

use anyhow::{Context, Result, anyhow};

use crate::apply::atomic_file::AtomicFile;
use crate::apply::init_system::InitSystem;
use crate::apply::mapping_state::MappingRecord;
use crate::apply::state::PendingRecord;
use crate::error::RestartFailed;
use crate::log;
use crate::plan::effect::Effect;

/// What the effects are carried out with.
pub struct Runner<'a> {
    /// The target files, locked by the caller.
    pub targets: &'a [AtomicFile],
    /// The record of an owed restart.
    pub state: &'a PendingRecord,
    /// The record of the nft mapping applied since boot (`--target nptv6`).
    pub mapping_record: &'a MappingRecord,
    pub init: InitSystem,
    /// How long a restart (or the start after it) may take before it is killed.
    pub restart_timeout: Duration,
    pub service: &'a str,
    /// Fails when dockerd gets IPv6 settings as flags (see `Effect::RefuseDockerdFlags`).
    pub refuse_dockerd_flags: &'a dyn Fn() -> Result<()>,
}

impl Runner<'_> {
    /// Carries out `effects` in order; the first failure ends the run with its error.
    pub fn carry_out(&self, effects: &[Effect]) -> Result<()> {
        effects
            .iter()
            .try_for_each(|effect| self.carry_out_one(effect))
    }

    fn carry_out_one(&self, effect: &Effect) -> Result<()> {
        match effect {
            Effect::Log(level, line) => log::log(*level, line),
            Effect::RecordPending(pending) => {
                self.state
                    .write_line(&pending.to_string())
                    .with_context(|| {
                        format!("could not record the owed restart ({pending}); nothing changed")
                    })?;
            }
            Effect::RefuseDockerdFlags => (self.refuse_dockerd_flags)()?,
            Effect::Write { path, bytes, .. } | Effect::WireNptv6 { path, bytes, .. } => {
                let file = self
                    .targets
                    .iter()
                    .find(|f| f.path() == path)
                    .ok_or_else(|| anyhow!("{} is not a target of this run", path.display()))?;
                file.replace(bytes).with_context(|| {
                    format!("could not write {} (left as it was)", file.describe())
                })?;
                log::info(&format!("wrote {}", file.describe()));
            }
            Effect::ApplyMapping { mapping, script } => {
                if let Err(e) = firewall::run_nft_script(script) {
                    // nft applies all or nothing, but what the kernel holds now is no longer
                    // what the record says: without a record the next event applies again.
                    let _ = self.mapping_record.clear();
                    return Err(e).with_context(|| {
                        format!(
                            "could not map {} onto {}; the next event retries it",
                            mapping.public, mapping.mapped
                        )
                    });
                }
                log::info(&format!(
                    "mapped {} onto {} (nft table ip6 {})",
                    mapping.public,
                    mapping.mapped,
                    crate::plan::nptv6::TABLE
                ));
                if let Err(e) = self.mapping_record.write(mapping) {
                    log::warning(&format!(
                        "the mapping is in place, but could not be recorded: {e:#}; the next \
                         event applies it again"
                    ));
                }
            }
            Effect::RemoveMapping { script } => {
                firewall::run_nft_script(script)
                    .context("could not remove the mapping; the next loss event retries it")?;
                log::info(&format!(
                    "removed the mapping (nft table ip6 {})",
                    crate::plan::nptv6::TABLE
                ));
                if let Err(e) = self.mapping_record.clear() {
                    log::warning(&format!("forgetting the removed mapping: {e:#}"));
                }
            }
            Effect::AddNat66(subnet) => {
                firewall::add_nat66(subnet).with_context(|| {
                    format!("could not masquerade the fallback subnet {subnet}")
                })?;
                log::info(&format!(
                    "masquerading {subnet} (ip6tables, nat POSTROUTING)"
                ));
            }
            Effect::RemoveNat66(subnet) => {
                if let Err(e) = firewall::remove_nat66(subnet) {
                    log::warning(&format!("removing the fallback's NAT66 rule: {e:#}"));
                }
            }
            Effect::RestartDocker => self.restart_docker()?,
            Effect::ClearPending => {
                if let Err(e) = self.state.clear() {
                    log::warning(&format!(
                        "docker restarted, but the owed restart could not be cleared: {e:#}; \
                         the next event of its prefix restarts docker once more"
                    ));
                }
            }
        }
        Ok(())
    }

    /// Restarts docker. Where the init script fails a restart of a docker that was not
    /// running (Debian's sysvinit script does, under `set -e`), a start follows.
    fn restart_docker(&self) -> Result<()> {
        let argv = self.init.restart_command(self.service);
        let restart_error = match init_system::run(&argv, self.restart_timeout) {
            Ok(()) => {
                log::info(&format!("restarted docker: {}", argv.join(" ")));
                return Ok(());
            }
            Err(e) => e,
        };
        // After a restart that hung, a start would most likely hang as long again.
        if !restart_error.is::<init_system::RestartTimedOut>()
            && let Some(start) = self.init.start_command(self.service)
            && init_system::run(&start, self.restart_timeout).is_ok()
        {
            log::info(&format!(
                "{restart_error:#}; docker was not running, so started it: {}",
                start.join(" ")
            ));
            return Ok(());
        }
        Err(anyhow!(RestartFailed(format!(
            "restarting docker failed: {restart_error:#}; the next event retries it"
        ))))
    }
}
