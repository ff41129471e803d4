//! The man page docker-ipv6-pd(8) and the shell completions, generated from the command-line
//! definition so they cannot drift from `--help` or from what the configuration file takes.

use std::io::{self, Write};

use clap_complete::Shell;
use clap_mangen::Man;
use clap_mangen::roff::{Roff, bold, italic, roman};

use crate::cli;

/// Sections the command-line definition cannot say: (title, paragraphs of (term, text)).
/// An empty term is a plain paragraph.
const SECTIONS: &[(&str, &[(&str, &str)])] = &[
    (
        "ENVIRONMENT",
        &[
            (
                "",
                "Run as the hook, docker-ipv6-pd reads the lease from variables that dhclient \
                  sets for its script; an empty variable counts as unset.",
            ),
            (
                "reason",
                "BOUND6, RENEW6, REBIND6, DEPREF6, EXPIRE6, RELEASE6, STOP6 or PREINIT6. \
                        Logged only: decisions rest on the prefixes, since a stale prefix \
                        comes back as BOUND6 like a new one.",
            ),
            (
                "new_ip6_prefix",
                "The delegated prefix, ADDR/LEN, as the server sent it. \
                                Without it nothing happens.",
            ),
            (
                "old_ip6_prefix",
                "The same prefix when it was in the previous lease: then the \
                                event is a renewal and docker is not restarted.",
            ),
            (
                "new_max_life, new_preferred_life",
                "Lifetimes in seconds; 0 means the server \
                                withdrew the prefix, which is then ignored.",
            ),
            (
                "DOCKER_IPV6_PD_*",
                "The options, as listed above. dhclient gives its script an \
                                  environment of its own, so for the hook use the \
                                  configuration file instead.",
            ),
        ],
    ),
    (
        "FILES",
        &[
            (
                "/etc/docker/ipv6.prefix",
                "The prefix file: one line, the subnet fully expanded \
                                        as sipcalc spells it, such as \
                                        2001:0db8:0000:0100:0000:0000:0000:0000/80. Replaced \
                                        atomically; its mode and owner are kept.",
            ),
            (
                "/etc/docker-ipv6-pd/docker-ipv6-pd.conf",
                "The configuration file: see CONFIGURATION FILE.",
            ),
            (
                "/etc/dhcp/dhclient-enter-hooks.d/docker-ipv6",
                "The shim dhclient-script sources; \
                                        it runs this binary by absolute path and never exits.",
            ),
            (
                "/var/lib/docker-ipv6-pd, /run/docker-ipv6-pd",
                "The hook's own state: a restart still owed, the nft mapping applied.",
            ),
            (
                "dhclient6-pd@.service",
                "A systemd unit running dhclient -6 -P -d on one \
                                        interface: systemctl enable --now dhclient6-pd@eth0.",
            ),
            (
                "--root DIR",
                "Each of these files, and every other file read by default (/proc, \
                 /etc/default/docker, lease files), is taken under DIR; so are the absolute \
                 paths in DIR's own configuration file. A path given by an option, a \
                 variable or the file --config names is used as written.",
            ),
        ],
    ),
    (
        "EXIT STATUS",
        &[
            ("0", "Done, or nothing to do."),
            (
                "1",
                "The prefix file or its directory could not be read, locked or written; the \
                   file is as it was and docker was not restarted.",
            ),
            (
                "2",
                "Bad command line or configuration file; nothing changed.",
            ),
            (
                "3",
                "A lease variable (or the subnet argument) was refused; nothing changed.",
            ),
            ("4", "The file was written, but restarting docker failed."),
            ("5", "doctor found at least one problem."),
        ],
    ),
    (
        "DIFFERENCES FROM THE PUBLISHED HOOK",
        &[
            (
                "",
                "The file holds the same line the published sipcalc hook wrote, and docker \
                  restarts when that hook restarted it (old_ip6_prefix differs from \
                  new_ip6_prefix, compared as networks). Unlike that hook:",
            ),
            (
                "bad input",
                "Anything that is not one IPv6 prefix holding a /N, or that is \
                           multicast, link-local, loopback, unspecified or IPv4-mapped (or \
                           whose first /N overlaps those), is refused with a one-line error \
                           naming the variable and value; nothing is written or restarted.",
            ),
            (
                "withdrawn prefixes",
                "A prefix with a lifetime of 0 is ignored.",
            ),
            (
                "renewals",
                "A renewal never moves the file away from a valid subnet of another \
                          prefix: no flip-flop with two prefixes or during renumbering.",
            ),
            (
                "writes",
                "Unchanged files are not rewritten; changes are atomic and durable, runs \
                        take turns under a lock, and failures are errors that leave the old \
                        file whole.",
            ),
            (
                "restart",
                "Through the running init system (systemctl, rc-service or service); \
                         a failed restart is an error.",
            ),
            (
                "logging",
                "Every change and refusal goes to syslog, facility daemon.",
            ),
            (
                "speed",
                "About the cost of exec'ing /bin/true at any prefix length; the published \
                       hook, run with SIGPIPE ignored as dhclient runs it, lists every /80 of \
                       the prefix.",
            ),
        ],
    ),
    (
        "EXAMPLES",
        &[
            (
                "new_ip6_prefix=2001:db8:100::/60 docker-ipv6-pd --dry-run",
                "Show what the hook would write and whether it would restart docker.",
            ),
            (
                "docker-ipv6-pd subnet 2001:980:1234:140::/60",
                "Print 2001:0980:1234:0140:0000:0000:0000:0000/80.",
            ),
            (
                "DOCKER_OPTS=\"--ipv6 --fixed-cidr-v6=$(cat /etc/docker/ipv6.prefix)\"",
                "The line in /etc/default/docker that feeds the file to docker under sysvinit or \
              Upstart.",
            ),
        ],
    ),
    (
        "SEE ALSO",
        &[(
            "",
            "dhclient(8), dhclient-script(8), dockerd(8), sipcalc(1)",
        )],
    ),
];

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
