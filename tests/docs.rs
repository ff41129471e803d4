//! The generated documentation: --version names the commit, the man page renders cleanly,
//! completions come out for each shell and complete in bash, and output to a reader that went
//! away ends quietly. The README's commands and examples are checked in the module below.

use std::process::{Command, Stdio};

use crate::util::*;

mod docker_opts;
mod readme;

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

/// What bash completes for `words` (the last one is the word being completed), through the
/// completion script the binary prints, sourced into a real bash.
fn bash_completes(script: &std::path::Path, words: &[&str]) -> Vec<String> {
    let words_quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        r#"source '{script}'
function=$(complete -p docker-ipv6-pd | sed -n 's/.* -F \([^ ]*\) .*/\1/p')
COMP_WORDS=({words})
COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
COMP_LINE="${{COMP_WORDS[*]}}"
COMP_POINT=${{#COMP_LINE}}
cur=${{COMP_WORDS[COMP_CWORD]}}
prev=${{COMP_WORDS[COMP_CWORD-1]}}
"$function" docker-ipv6-pd "$cur" "$prev"
printf '%s\n' "${{COMPREPLY[@]}}""#,
        script = script.display(),
        words = words_quoted.join(" "),
    );
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program])
        .output()
        .unwrap();
    assert!(out.status.success(), "{words:?}: {}", stderr(&out));
    stdout(&out)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_completes_subcommands_their_options_and_the_values_of_choices() {
    if !have_tool("bash completion", "bash") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("docker-ipv6-pd.bash");
    let out = Command::new(BIN)
        .args(["completions", "bash"])
        .output()
        .unwrap();
    std::fs::write(&script, &out.stdout).unwrap();
    let complete = |words: &[&str]| bash_completes(&script, words);

    let subcommands = complete(&["docker-ipv6-pd", ""]);
    for sub in ["doctor", "status", "man", "completions", "subnet"] {
        assert!(
            subcommands.iter().any(|s| s == sub),
            "{sub}: {subcommands:?}"
        );
    }
    let status = complete(&["docker-ipv6-pd", "status", "--"]);
    assert!(status.iter().any(|s| s == "--json"), "{status:?}");
    assert!(status.iter().any(|s| s == "--target"), "{status:?}");
    assert_eq!(
        complete(&["docker-ipv6-pd", "--target", ""]),
        ["prefix-file", "daemon-json", "both", "nptv6"]
    );
    assert_eq!(
        complete(&["docker-ipv6-pd", "doctor", "--target", "d"]),
        ["daemon-json"]
    );
    assert_eq!(
        complete(&["docker-ipv6-pd", "--on-loss", ""]),
        ["keep", "withdraw", "fallback"]
    );
    let shells = complete(&["docker-ipv6-pd", "completions", ""]);
    for shell in ["bash", "zsh", "fish"] {
        assert!(shells.iter().any(|s| s == shell), "{shell}: {shells:?}");
    }
}

#[test]
fn a_reader_that_goes_away_ends_the_output_quietly() {
    let m = Machine::new();
    for args in [
        &["completions", "bash"][..],
        &["man"],
        &["status"],
        &["status", "--json"],
        &["doctor"],
        &["--help"],
        &["subnet", "2001:db8::/56"],
    ] {
        // A pipe whose reading end is closed before the program writes: every write fails
        // with EPIPE, as under `| head -1` once head has left.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = m
            .command()
            .args(args)
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let code = out.status.code();
        assert!(
            code == Some(0) || (args == ["doctor"] && code == Some(5)),
            "{args:?}: {:?}, {}",
            out.status,
            stderr(&out)
        );
        assert!(
            !stderr(&out).contains("panicked"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
}

/// The completion script for `shell`, written into `dir` under `name`.
fn completion_script(shell: &str, dir: &std::path::Path, name: &str) -> std::path::PathBuf {
    let out = Command::new(BIN)
        .args(["completions", shell])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let path = dir.join(name);
    std::fs::write(&path, &out.stdout).unwrap();
    path
}

/// Whether a real interactive zsh, driven over a pseudo-terminal with compinit and our
/// completion function on its fpath, turns `typed` + TAB into a line holding `expected`.
fn zsh_completes(functions: &std::path::Path, typed: &str, expected: &str) -> bool {
    const DRIVER: &str = r#"zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z "fpath=($1 \$fpath); autoload -U compinit; compinit -u; bindkey '^I' complete-word"
zpty -w z "$2"$'\t'
zpty -r z out "*$3*" && print -r -- MATCHED
zpty -d z"#;
    let out = Command::new("timeout")
        .args(["10", "zsh", "-f", "-c", DRIVER, "zsh"])
        .arg(functions)
        .args([typed, expected])
        .output()
        .unwrap();
    stdout(&out).contains("MATCHED")
}

#[test]
fn zsh_completes_subcommands_their_options_and_the_values_of_choices() {
    if !have_tool("zsh completion", "zsh") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    completion_script("zsh", dir.path(), "_docker-ipv6-pd");
    for (typed, expected) in [
        ("docker-ipv6-pd st", "docker-ipv6-pd status"),
        ("docker-ipv6-pd status --j", "docker-ipv6-pd status --json"),
        (
            "docker-ipv6-pd --target d",
            "docker-ipv6-pd --target daemon-json",
        ),
        (
            "docker-ipv6-pd --on-loss w",
            "docker-ipv6-pd --on-loss withdraw",
        ),
        (
            "docker-ipv6-pd completions f",
            "docker-ipv6-pd completions fish",
        ),
    ] {
        assert!(zsh_completes(dir.path(), typed, expected), "{typed:?}");
    }
    // The driver can fail: a value that is not offered is not completed.
    assert!(!zsh_completes(
        dir.path(),
        "docker-ipv6-pd --target x",
        "docker-ipv6-pd --target xyz"
    ));
}

/// What fish completes for `line` with our completion script loaded (`complete -C`).
fn fish_completes(script: &std::path::Path, line: &str) -> Vec<String> {
    let out = Command::new("fish")
        .args(["--no-config", "-c"])
        .arg(format!(
            "source '{}'; complete -C '{line}'",
            script.display()
        ))
        .current_dir(script.parent().unwrap())
        .output()
        .unwrap();
    assert!(out.status.success(), "{line:?}: {}", stderr(&out));
    stdout(&out)
        .lines()
        .map(|l| l.split('\t').next().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn fish_completes_subcommands_their_options_and_the_values_of_choices() {
    if !have_tool("fish completion", "fish") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let script = completion_script("fish", dir.path(), "docker-ipv6-pd.fish");
    let subcommands = fish_completes(&script, "docker-ipv6-pd ");
    for sub in ["doctor", "status", "man", "completions", "subnet"] {
        assert!(
            subcommands.iter().any(|s| s == sub),
            "{sub}: {subcommands:?}"
        );
    }
    assert_eq!(
        fish_completes(&script, "docker-ipv6-pd status --j"),
        ["--json"]
    );
    // At the top level and after a subcommand, an option's values and nothing else (no
    // file names from the current directory, which holds the script).
    assert_eq!(
        fish_completes(&script, "docker-ipv6-pd --target "),
        ["both", "daemon-json", "nptv6", "prefix-file"]
    );
    assert_eq!(
        fish_completes(&script, "docker-ipv6-pd doctor --on-loss "),
        ["fallback", "keep", "withdraw"]
    );
    assert_eq!(
        fish_completes(&script, "docker-ipv6-pd completions "),
        ["bash", "fish", "zsh"]
    );
}

#[test]
fn every_variable_post_change_scripts_get_is_in_the_man_page_and_the_readme() {
    let source = include_str!("../src/apply/post_change.rs");
    let names: Vec<&str> = source
        .split('"')
        .filter(|word| word.starts_with("DOCKER_IPV6_PD_") && !word.contains(' '))
        .collect();
    assert!(names.len() >= 10, "{names:?}");
    let out = Command::new(BIN).arg("man").output().unwrap();
    let man = String::from_utf8(out.stdout).unwrap().replace("\\_", "_");
    let readme = include_str!("../README.md");
    for name in names {
        assert!(man.contains(name), "the man page does not name {name}");
        assert!(readme.contains(name), "the README does not name {name}");
    }
}
