//! SIGKILL at any instant of a write leaves the old or the new file whole, and the next run
//! leaves no temp file behind.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::util::*;

#[test]
fn sigkill_during_writes_never_tears_the_file() {
    let m = Machine::new();
    let prefixes = ["2001:db8:0:100::/60", "2001:db8:0:200::/60"];
    let lines = [LINE_100, LINE_200];
    m.event("BOUND6", prefixes[0], "");

    // How long a writing run takes here, to spread the kills over all of it.
    let start = Instant::now();
    for i in 0..20 {
        m.event("BOUND6", prefixes[i % 2], "");
    }
    let run_time = start.elapsed() / 20;

    let mut killed_mid_run = 0;
    for i in 0..400u32 {
        let mut child = m
            .command()
            .env("new_ip6_prefix", prefixes[(i % 2) as usize])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Spread over 0..1.5 run times; a few kills land after the run ended.
        let delay = run_time.mul_f64(f64::from(i % 100) / 66.0);
        std::thread::sleep(delay.min(Duration::from_millis(50)));
        let _ = child.kill(); // SIGKILL
        let status = child.wait().unwrap();
        if status.code().is_none() {
            killed_mid_run += 1;
        }
        let file = m.file().unwrap_or_default();
        assert!(
            lines.contains(&file.as_str()),
            "torn or missing file after a kill: {file:?}"
        );
    }
    assert!(
        killed_mid_run > 50,
        "only {killed_mid_run} kills landed mid-run"
    );

    // A crash may leave the temp file; the next run removes it.
    let out = m.event("RENEW6", prefixes[0], prefixes[0]);
    assert!(out.status.success());
    assert!(m.strays().is_empty(), "stray files: {:?}", m.strays());
}
