//! The JSON form of `status`: field names and order are an interface scripts rely on.
//! Serialize is written by hand because the build links statically and so cannot run
//! serde's derive macro; times are UTC text, prefixes and subnets their compressed form.

use serde::ser::{Serialize, SerializeMap, SerializeStruct, Serializer};

use super::{Bridge, Configured, Delegated, DockerFlags, Nptv6Status, Status, utc};
use crate::plan::nptv6::Mapping;

impl Serialize for Status {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Status", 5)?;
        s.serialize_field("delegated", &self.delegated)?;
        match self.sources.as_slice() {
            [] => s.skip_field("sources")?,
            sources => s.serialize_field("sources", sources)?,
        }
        s.serialize_field("configured", &self.configured)?;
        s.serialize_field("docker_flags", &self.docker_flags)?;
        match &self.nptv6 {
            Some(nptv6) => s.serialize_field("nptv6", nptv6)?,
            None => s.skip_field("nptv6")?,
        }
        if self.warnings.is_empty() {
            s.skip_field("warnings")?;
        } else {
            s.serialize_field("warnings", &self.warnings)?;
        }
        s.end()
    }
}

impl Serialize for Delegated {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let lease = &self.lease;
        let mut s = serializer.serialize_struct("Delegated", 7)?;
        s.serialize_field("prefix", &lease.prefix.to_string())?;
        s.serialize_field("interface", &lease.interface)?;
        s.serialize_field("preferred_life", &lease.preferred_life)?;
        s.serialize_field("max_life", &lease.max_life)?;
        s.serialize_field("starts", &lease.starts.map(utc))?;
        s.serialize_field("expires", &lease.expires().map(utc))?;
        s.serialize_field("lease_file", &self.lease_file.display().to_string())?;
        s.end()
    }
}

impl Serialize for Configured {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Configured", 3)?;
        s.serialize_field("file", &self.file.display().to_string())?;
        s.serialize_field("subnet", &self.subnet.map(|n| n.to_string()))?;
        s.serialize_field("changed", &self.changed.map(utc))?;
        s.end()
    }
}

impl Serialize for DockerFlags {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("DockerFlags", 2)?;
        s.serialize_field("source", &self.source)?;
        s.serialize_field("flags", &FlagMap(&self.flags))?;
        s.end()
    }
}

/// Flags as a JSON object: `{"ipv6": true, "fixed-cidr-v6": "2001:db8::/80"}`.
struct FlagMap<'a>(&'a [(String, Option<String>)]);

impl Serialize for FlagMap<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in self.0 {
            match value {
                Some(value) => map.serialize_entry(name, value)?,
                None => map.serialize_entry(name, &true)?,
            }
        }
        map.end()
    }
}

impl Serialize for Nptv6Status {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Nptv6Status", 5)?;
        s.serialize_field("internal_prefix", &self.internal.to_string())?;
        let mapping = self.mapping.as_ref();
        s.serialize_field("public", &mapping.map(|m| m.public.to_string()))?;
        s.serialize_field("mapped", &mapping.map(|m| m.mapped.to_string()))?;
        s.serialize_field("applied", &self.applied.as_ref().map(MappingJson))?;
        s.serialize_field("bridges", &self.bridges)?;
        s.end()
    }
}

/// A mapping as `{"public": ..., "mapped": ...}`.
struct MappingJson<'a>(&'a Mapping);

impl Serialize for MappingJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Mapping", 2)?;
        s.serialize_field("public", &self.0.public.to_string())?;
        s.serialize_field("mapped", &self.0.mapped.to_string())?;
        s.end()
    }
}

impl Serialize for Bridge {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Bridge", 3)?;
        s.serialize_field("interface", &self.interface)?;
        s.serialize_field("subnet", &self.subnet.to_string())?;
        s.serialize_field("public", &self.public.map(|n| n.to_string()))?;
        s.end()
    }
}
