//! What a failed hook run still owes the next event: the restart its prefix needs, or, under
//! nptv6, the mapping, so that even a renewal finishes what the failure left undone.

use std::net::Ipv6Addr;
use std::path::Path;

use ipnet::Ipv6Net;

use crate::apply::firewall;
use crate::apply::mapping_state::MappingRecord;
use crate::apply::state::PendingRecord;
use crate::bounded_read::{Links, read_regular};
use crate::cli::{self, SettingArgs};
use crate::config_file;
use crate::event::HookEvent;
use crate::event::env::Env;
use crate::log;
use crate::plan::daemon_json::DaemonJson;
use crate::plan::nptv6::{LONGEST_MAPPED, Mapping, SHORTEST_MAPPED};
use crate::plan::pending::Pending;
use crate::settings::{Client, DEFAULT_SUBNET_SIZE, Target};
use crate::subnet::SubnetChoice;

/// When a run fails before it could record an owed restart (a lock, an unreadable or
/// invalid daemon.json, a failed write), the event's prefix is recorded now, so that its
/// next event, even a renewal, applies it with a restart. Best effort: the failure itself
/// is what the run reports.
pub(super) fn owe_restart_after_failure(state: &PendingRecord, event: &HookEvent) {
    let Some(prefix) = event.new.iter().find(|p| !p.withdrawn) else {
        return;
    };
    if state.read_line().and_then(|l| Pending::parse(&l)).is_some() {
        return;
    }
    let record = Pending::Apply(prefix.delegated.prefix);
    if let Err(e) = state.write_line(&record.to_string()) {
        log::warning(&format!(
            "could not record the owed restart ({record}): {e:#}"
        ));
    }
}

/// A configuration the run cannot read stops it before it knows its settings; the event's
/// prefix (read with the default subnet size) is still recorded as owed, so that once the
/// admin repairs the file, the next event of the prefix, even a renewal, restarts docker.
///
/// Under `--target nptv6` no restart is owed: every event finds out from daemon.json itself
/// whether docker's wiring is in place, and wires and restarts when it is not, so an owed
/// restart would only cost one with nothing about docker changed. What the event owes there
/// is its mapping: the record of the applied one is forgotten, so that the next event, even
/// a renewal, applies it. The target is the one `given` on the command line or in the
/// environment, else that of a `target` line of `config` that reads on its own; when
/// neither names one, daemon.json wired onto the internal prefix (for any delegated length)
/// shows nptv6.
pub fn owe_restart_despite_configuration(
    root: &Path,
    env: &Env,
    given: &SettingArgs,
    config: &Path,
) {
    let Ok(event) = HookEvent::read(env, SubnetChoice::first(DEFAULT_SUBNET_SIZE), Client::Auto)
    else {
        return;
    };
    let bytes = read_regular(config, config_file::MAX_BYTES, Links::Follow)
        .ok()
        .flatten()
        .unwrap_or_default();
    let readable: Vec<&[u8]> = bytes
        .split(|&b| b == b'\n')
        .filter(|line| config_file::parse(line).is_ok())
        .collect();
    let file = config_file::parse(&readable.join(&b'\n')).unwrap_or_default();
    let target = given.target.or(file.target);
    let settings = cli::merge(given.clone(), file, root.to_path_buf(), false);
    let wired_for_nptv6 = || {
        let internal = settings
            .internal_prefix
            .unwrap_or_else(|| firewall::host_ula(root));
        let json = read_regular(&settings.daemon_json, 1 << 20, Links::Follow)
            .ok()
            .flatten();
        let Some(json) = json.and_then(|bytes| DaemonJson::parse(Some(&bytes)).ok()) else {
            return false;
        };
        (SHORTEST_MAPPED..=LONGEST_MAPPED).any(|len| {
            let any_of_len = Ipv6Net::new(Ipv6Addr::UNSPECIFIED, len).expect("a valid length");
            Mapping::new(any_of_len, internal)
                .is_ok_and(|m| json.is_wired_for_nptv6(internal, m.mapped))
        })
    };
    let nptv6 = match target {
        Some(target) => target == Target::Nptv6,
        None => wired_for_nptv6(),
    };
    if !nptv6 {
        owe_restart_after_failure(&PendingRecord::new(root), &event);
    } else if event.new.iter().any(|p| !p.withdrawn)
        && let Err(e) = MappingRecord::new(root).clear()
    {
        log::warning(&format!("could not forget the applied mapping: {e:#}"));
    }
}
