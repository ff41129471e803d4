//! The generated documentation: --version names the commit, the man page renders cleanly,
//! completions come out for each shell.

use std::process::{Command, Stdio};

use crate::util::*;

#[test]
fn version_names_the_git_commit() {
    let out = Command::new(BIN).arg("--version").output().unwrap();
    let text = stdout(&out);
    assert!(text.starts_with(concat!(
        "docker-ipv6-pd ",
        env!("CARGO_PKG_VERSION"),
        " (commit "
    )));
    let head = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    if head.status.success() {
        let head = stdout(&head);
        assert!(text.contains(head.trim()), "{text} vs HEAD {head}");
    }
}

#[test]
fn man_page_renders_without_warnings() {
    if !have_tool("man page", "man") {
        return;
    }
    let page = Command::new(BIN).arg("man").output().unwrap();
    assert!(page.status.success());
    let mut man = Command::new("man")
        .args(["--warnings=all", "-l", "-"])
        .env("MANWIDTH", "80")
        .env("MAN_KEEP_FORMATTING", "")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    man.stdin.take().unwrap().write_all(&page.stdout).unwrap();
    let out = man.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stderr(&out), "", "groff warnings");
    let text = stdout(&out);
    for section in [
        "NAME",
        "SYNOPSIS",
        "OPTIONS",
        "ENVIRONMENT",
        "FILES",
        "EXIT STATUS",
        "EXAMPLES",
    ] {
        assert!(text.contains(section), "rendered page lacks {section}");
    }
}

#[test]
fn completions_for_each_shell_and_a_refusal_for_others() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef"),
        ("fish", "complete -c"),
    ] {
        let out = Command::new(BIN)
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success());
        assert!(stdout(&out).contains(marker), "{shell}");
    }
    let out = Command::new(BIN)
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
