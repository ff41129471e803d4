//! The process environment (or a test's), looked up by name, and the one value type every
//! DHCP client's variables share: a lifetime in seconds.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

use crate::error::InputError;

/// The process environment (or a test's), looked up by name.
#[derive(Clone, Debug, Default)]
pub struct Env {
    vars: Vec<(String, OsString)>,
}

impl Env {
    /// This process's environment (variables whose names are not text are left out).
    pub fn from_process() -> Env {
        Env::from_pairs(std::env::vars_os().filter_map(|(k, v)| Some((k.into_string().ok()?, v))))
    }

    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, OsString)>) -> Env {
        Env {
            vars: pairs.into_iter().collect(),
        }
    }

    /// The value of `name`, unless unset or empty.
    pub fn get(&self, name: &str) -> Option<&OsStr> {
        self.vars
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_os_str())
            .filter(|v| !v.is_empty())
    }

    /// Every variable name.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.vars.iter().map(|(k, _)| k.as_str())
    }
}

/// A lifetime in seconds.
pub fn parse_lifetime(var: &str, raw: &OsStr) -> Result<u64, InputError> {
    let bytes = raw.as_bytes();
    std::str::from_utf8(bytes)
        .ok()
        .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| InputError::new(var, bytes, "not a lifetime in seconds"))
}
