//! The man page docker-ipv6-pd(8) and the shell completions, generated from the command-line
//! definition so they cannot drift from `--help` or from what the configuration file takes.

use std::io::{self, Write};

use clap_complete::Shell;
use clap_mangen::Man;
use clap_mangen::roff::{Roff, bold, italic, roman};

use crate::cli;

#[path = "manual/sections.rs"]
mod sections;
use sections::SECTIONS;

/// Writes the man page (roff) to `out`.
pub fn write_man_page(out: &mut dyn Write) -> io::Result<()> {
    let man = Man::new(cli::command())
        .section("8")
        .date(env!("DOCKER_IPV6_PD_DATE"))
        .source(concat!("docker-ipv6-pd ", env!("CARGO_PKG_VERSION")))
        .manual("System Manager's Manual");
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    man.render_options_section(out)?;
    let mut roff = Roff::new();
    commands_section(&mut roff);
    configuration_section(&mut roff);
    for (title, paragraphs) in SECTIONS {
        roff.control("SH", [*title]);
        for (term, text) in *paragraphs {
            if term.is_empty() {
                roff.control("PP", []).text([roman(*text)]);
            } else {
                roff.control("TP", [])
                    .text([bold(*term)])
                    .text([roman(*text)]);
            }
        }
    }
    roff.to_writer(out)?;
    man.render_version_section(out)
}

/// COMMANDS: clap_mangen would point at one page per subcommand; ours are small enough to
/// list here.
fn commands_section(roff: &mut Roff) {
    roff.control("SH", ["COMMANDS"]);
    for sub in cli::command()
        .get_subcommands()
        .filter(|s| s.get_name() != "help")
    {
        let args: Vec<String> = sub
            .get_positionals()
            .map(|a| {
                a.get_value_names()
                    .map_or(a.get_id().to_string(), |n| n[0].to_string())
            })
            .collect();
        let usage = format!("{} {}", sub.get_name(), args.join(" "));
        let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
        roff.control("TP", [])
            .text([bold(usage.trim_end())])
            .text([roman(about)]);
    }
}

/// CONFIGURATION FILE: every setting's key, with its option and environment variable.
fn configuration_section(roff: &mut Roff) {
    roff.control("SH", ["CONFIGURATION FILE"]);
    roff.control("PP", []).text([roman(
        "/etc/docker-ipv6-pd/docker-ipv6-pd.conf (or the file --config names) holds key = \
         value lines; # starts a comment. Each key is the long name of an option and takes \
         what the option takes. The command line wins over the environment, which wins over \
         the file. The keys:",
    )]);
    for arg in cli::setting_args() {
        let (Some(key), Some(env)) = (arg.get_long(), arg.get_env()) else {
            continue;
        };
        let choices: Vec<String> = arg
            .get_possible_values()
            .iter()
            .map(|v| v.get_name().to_string())
            .collect();
        let value = match arg.get_value_names().and_then(|names| names.first()) {
            _ if !choices.is_empty() => choices.join("|"),
            Some(name) => name.to_string(),
            None => "VALUE".to_string(),
        };
        let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
        roff.control("TP", [])
            .text([bold(key), roman(" = "), italic(value)])
            .text([
                roman(format!("{help}. As ")),
                bold(format!("--{key}")),
                roman(" and "),
                bold(env.to_string_lossy()),
                roman("."),
            ]);
    }
}

/// Writes the completion script for `shell` to `out`.
pub fn write_completions(shell: Shell, out: &mut dyn Write) -> io::Result<()> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cli::command(), "docker-ipv6-pd", &mut script);
    let text = String::from_utf8_lossy(&script);
    let fixed = match shell {
        Shell::Bash => fix_bash_case_labels(&text),
        Shell::Fish => fix_fish_option_values(&text) + &fish_positional_values(),
        _ => text.into_owned(),
    };
    out.write_all(fixed.as_bytes())
}

/// clap_complete's fish script offers no values for a subcommand's positional argument
/// (`completions <TAB>` listed file names): one line per such argument with fixed choices.
fn fish_positional_values() -> String {
    let mut lines = String::new();
    let mut command = cli::command();
    // Subcommands declare their arguments lazily; build them all to see them.
    command.build();
    for sub in command.get_subcommands() {
        for arg in sub.get_positionals() {
            let values: Vec<String> = arg
                .get_possible_values()
                .iter()
                .map(|v| v.get_name().to_string())
                .collect();
            if !values.is_empty() {
                lines += &format!(
                    "complete -c docker-ipv6-pd -n \"__fish_docker_ipv6_pd_using_subcommand {}\" -f -a \"{}\"\n",
                    sub.get_name(),
                    values.join(" ")
                );
            }
        }
    }
    lines
}

/// clap_complete's fish script asks `argparse` whether a subcommand was typed yet; with an
/// option still waiting for its value (`docker-ipv6-pd --target <TAB>`) argparse fails, the
/// check answers "no", and the option's values are never offered. A failed parse means the
/// command line is still at the top level, so the check answers "yes" instead.
fn fix_fish_option_values(script: &str) -> String {
    const CHECK: &str = "function __fish_docker_ipv6_pd_needs_command\n";
    let Some(start) = script.find(CHECK) else {
        return script.to_string();
    };
    let end = script[start..]
        .find("\nend\n")
        .map_or(script.len(), |e| start + e);
    let body = script[start..end].replacen("\n    or return\n", "\n    or return 0\n", 1);
    format!("{}{body}{}", &script[..start], &script[end..])
}

/// clap_complete names the bash state of a subcommand `docker__ipv6__pd__subcmd__status`
/// (dashes of the program's name as `__`), but spells the case label that should match it
/// `docker__subcmd__ipv6__subcmd__pd__subcmd__status` (dashes as `__subcmd__`), so nothing
/// after a subcommand would complete. This respells the labels as the states are named.
fn fix_bash_case_labels(script: &str) -> String {
    const NAME: &str = "docker-ipv6-pd";
    const SEPARATOR: &str = "__subcmd__";
    let wrong = format!("{}{SEPARATOR}", NAME.replace('-', SEPARATOR));
    let right = format!("{}{SEPARATOR}", NAME.replace('-', "__"));
    script.replace(&wrong, &right)
}

#[cfg(test)]
#[path = "manual_tests.rs"]
mod tests;
