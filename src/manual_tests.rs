//! Unit tests of the man page and the completion scripts.

use super::*;

fn man_page() -> String {
    let mut out = Vec::new();
    write_man_page(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn completions(shell: Shell) -> String {
    let mut out = Vec::new();
    write_completions(shell, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn man_page_has_every_section_and_option() {
    let page = man_page();
    for needle in [
        ".TH docker-ipv6-pd 8",
        ".SH NAME",
        ".SH SYNOPSIS",
        ".SH OPTIONS",
        ".SH COMMANDS",
        ".SH \"CONFIGURATION FILE\"",
        ".SH ENVIRONMENT",
        ".SH FILES",
        ".SH \"EXIT STATUS\"",
        ".SH \"DIFFERENCES FROM THE PUBLISHED HOOK\"",
        ".SH EXAMPLES",
        "prefix\\-file",
        "subnet\\-size",
        "new_ip6_prefix",
    ] {
        assert!(page.contains(needle), "man page lacks {needle}");
    }
}

#[test]
fn the_title_line_has_a_date_a_source_and_a_manual() {
    let page = man_page();
    let title = page.lines().find(|l| l.starts_with(".TH ")).unwrap();
    let expected = format!(
        ".TH docker-ipv6-pd 8 {} \"docker-ipv6-pd {}\" \"System Manager's Manual\"",
        env!("DOCKER_IPV6_PD_DATE"),
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(title, expected);
}

#[test]
fn completions_name_the_options() {
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        let text = completions(shell);
        assert!(text.contains("prefix-file"), "{shell}");
        assert!(text.contains("restart-timeout"), "{shell}");
        assert!(text.contains("subnet"), "{shell}");
    }
}

#[test]
fn every_bash_case_label_of_a_subcommand_matches_its_state() {
    let text = completions(Shell::Bash);
    assert!(
        !text.contains("docker__subcmd__ipv6"),
        "garbled labels left"
    );
    for sub in ["doctor", "status", "subnet", "completions", "man"] {
        let state = format!("docker__ipv6__pd__subcmd__{sub}");
        assert!(text.contains(&format!("cmd=\"{state}\"")), "{sub}");
        assert!(text.contains(&format!("\n        {state})")), "{sub}");
    }
}

#[test]
fn the_configuration_section_spells_out_choices() {
    let page = man_page();
    assert!(
        page.contains("\\fBon\\-loss\\fR = \\fIkeep|withdraw|fallback\\fR"),
        "{page}"
    );
    assert!(page.contains("\\fBsubnet\\-size\\fR = \\fIN\\fR"), "{page}");
}
