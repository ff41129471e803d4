//! Many hook runs at once take turns: each decides, writes and restarts under the lock.

use std::fs;
use std::process::Stdio;

use crate::util::*;

#[test]
fn sixty_concurrent_runs_are_serialised() {
    let m = Machine::new();
    // A restart that notices when another one overlaps it.
    let busy = m.dir.path().join("busy");
    let overlap = m.dir.path().join("overlap");
    let log = m.dir.path().join("restarts.log");
    write_executable(
        &m.fake_bin.join("service"),
        &format!(
            "#!/bin/sh\nmkdir '{busy}' 2>/dev/null || touch '{overlap}'\n\
             cat '{file}' >>'{log}'\nsleep 0.01\nrmdir '{busy}'\n",
            busy = busy.display(),
            overlap = overlap.display(),
            file = m.prefix_file.display(),
            log = log.display(),
        ),
    );
    let prefixes: Vec<String> = (0..60).map(|i| format!("2001:db8:{i:x}::/60")).collect();
    let children: Vec<_> = prefixes
        .iter()
        .map(|p| {
            m.command()
                .env("reason", "BOUND6")
                .env("new_ip6_prefix", p)
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    assert!(!overlap.exists(), "two restarts ran at once");
    let seen = fs::read_to_string(&log).unwrap();
    let seen: Vec<&str> = seen.lines().collect();
    assert_eq!(seen.len(), 60, "one restart per new prefix");
    // Each restart saw a whole, distinct subnet: the one its own run had just written.
    let mut distinct = seen.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 60, "a restart saw another run's file");
    assert_eq!(m.file().unwrap().trim_end(), *seen.last().unwrap());
    assert!(m.strays().is_empty());
}
