//! Doctor's lines for the running dockerds the flag checks leave out or count without
//! knowing their mount namespace.

use crate::inspect::doctor::Verdict;
use crate::inspect::doctor::judge::judge;
use crate::inspect::doctor::tests::{has, healthy};

#[test]
fn a_dockerd_in_another_mount_namespace_is_shown_as_left_out() {
    let mut facts = healthy();
    facts.flags.elsewhere.push(
        "dockerd (pid 7) runs in another mount namespace (a container's, a test's or a \
         rootless one): restarting docker does not reach it"
            .into(),
    );
    let report = judge(&facts);
    let line = has(
        Verdict::Ok,
        &report,
        "not checked: dockerd (pid 7) runs in another",
    );
    assert_eq!(line.fix, None);
    assert!(!report.has_problem(), "{report}");
}

#[test]
fn a_dockerd_whose_namespace_cannot_be_read_is_a_warning_saying_why() {
    let mut facts = healthy();
    facts.flags.namespace_unknown.push((
        "running dockerd (pid 42)".into(),
        "/proc/42/ns/mnt: Permission denied (os error 13)".into(),
    ));
    let report = judge(&facts);
    let line = has(
        Verdict::Warning,
        &report,
        "running dockerd (pid 42): its mount namespace cannot be told (/proc/42/ns/mnt: \
         Permission denied (os error 13))",
    );
    assert!(line.fix.unwrap().starts_with("run doctor as root"));
    assert!(judge(&healthy()).0.iter().all(|f| f.verdict == Verdict::Ok));
}
