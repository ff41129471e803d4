//! One NetworkManager dispatcher call, carried out as a hook run: NetworkManager says only
//! what it has now, so the previous lease (to tell a renewal from a new prefix, and to know
//! what a `down` takes away) comes from the lease record.

use anyhow::Result;
use ipnet::Ipv6Net;

use crate::apply::lease_record::{self, Lease, LeaseRecord, boot_id};
use crate::event::HookEvent;
use crate::event::env::Env;
use crate::event::networkmanager::{self, Dispatch};
use crate::log;
use crate::on_event;
use crate::settings::Settings;
use crate::watch::derive::same_networks;
use crate::watch::{event_subnet_choice, refused_for_target};

/// The lease record of NetworkManager.
const RECORD: &str = lease_record::NETWORK_MANAGER;

/// Runs the dispatcher call in `env`.
pub fn run(settings: &Settings, env: &Env) -> Result<()> {
    let dispatch = networkmanager::read(env, event_subnet_choice(settings))
        .map_err(|refused| refused_for_target(settings, refused))?;
    let record = LeaseRecord::new(&settings.root, RECORD);
    let recorded = record.read();
    let (event, interface) = match dispatch {
        Dispatch::Nothing => return Ok(()),
        Dispatch::Prefixes {
            interface,
            prefixes,
        } => {
            let old = recorded
                .filter(|lease| lease.link.as_deref() == Some(interface.as_str()))
                .map(|lease| lease.prefixes)
                .unwrap_or_default();
            let same = same_networks(&old, prefixes.iter().map(|p| p.delegated.prefix));
            let event = HookEvent {
                reason: if same { "RENEW6" } else { "BOUND6" }.into(),
                new: prefixes,
                old,
                lists_whole_lease: true,
            };
            (event, interface)
        }
        Dispatch::Down { interface } => match recorded {
            Some(lease)
                if lease.link.as_deref() == Some(interface.as_str())
                    && !lease.prefixes.is_empty() =>
            {
                let event = HookEvent {
                    reason: "STOP6".into(),
                    new: Vec::new(),
                    old: lease.prefixes,
                    lists_whole_lease: true,
                };
                (event, interface)
            }
            _ => return Ok(()),
        },
    };
    let result = on_event::run_event(settings, &event);
    if settings.dry_run || (result.is_err() && event.is_loss()) {
        return result;
    }
    let prefixes: Vec<Ipv6Net> = event.new.iter().map(|p| p.delegated.prefix).collect();
    let lease = Lease {
        boot: boot_id(),
        link: Some(interface),
        prefixes,
    };
    if let Err(e) = record.write(&lease) {
        log::warning(&format!("could not record the lease: {e:#}"));
    }
    result
}
