//! Deciding what one hook event does: pure functions from the event, what the target files
//! hold, the loss policy and the owed restart (if any) to an ordered list of effects, which
//! `apply` carries out, `--dry-run` prints and the unit tests check.

pub mod daemon_json;
pub mod decision;
pub mod effect;
pub mod nptv6;
pub mod pending;
pub mod target;
