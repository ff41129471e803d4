//! Where dockerd gets IPv6 settings as command-line flags: the running dockerd (in our mount
//! namespace), DOCKER_OPTS in /etc/default/docker, or an ExecStart override of docker.service.
//!
//! A setting given both as a flag and in daemon.json stops dockerd from starting (even with
//! equal values), so the hook refuses to write daemon.json while such a flag exists, and
//! `doctor` reports both.

use std::path::Path;

use crate::error::ConfigError;
use crate::inspect::read::{self, CMDLINE_CAP, CONFIG_CAP, Found};

#[path = "docker_flags_reach.rs"]
mod reach;
pub use reach::{DockerStarter, HomeNamespaces, MountNamespace, conflicts};

/// The dockerd flags that carry IPv6 settings daemon.json also has.
pub const IPV6_FLAGS: [&str; 2] = ["ipv6", "fixed-cidr-v6"];

/// IPv6 flags found in one place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlagSource {
    /// Where, in words: `/etc/default/docker (DOCKER_OPTS)`, `running dockerd (pid 42)`.
    pub origin: String,
    /// The flags, by name without dashes, with their value when given one.
    pub flags: Vec<(String, Option<String>)>,
    /// Every word of the command line or option string the flags came from.
    pub words: Vec<String>,
}

/// The IPv6 flags among dockerd's arguments: `--ipv6`, `--ipv6=true`, `--fixed-cidr-v6 X`,
/// `--fixed-cidr-v6=X`.
pub fn ipv6_flags<'a>(args: impl IntoIterator<Item = &'a str>) -> Vec<(String, Option<String>)> {
    let mut found = Vec::new();
    let mut args = args.into_iter().peekable();
    while let Some(arg) = args.next() {
        let Some(flag) = arg.strip_prefix("--") else {
            continue;
        };
        let (name, value) = match flag.split_once('=') {
            Some((name, value)) => (name, Some(value.to_string())),
            None => (flag, None),
        };
        if !IPV6_FLAGS.contains(&name) {
            continue;
        }
        let value = match value {
            Some(v) => Some(v),
            None if name == "fixed-cidr-v6" => args.next().map(str::to_string),
            None => None,
        };
        found.push((name.to_string(), value));
    }
    found
}

/// How deeply `$( … )` may nest in an option string before it is not read at all.
pub const MAX_NESTING: usize = 16;
/// The longest option string that is read.
pub const MAX_OPTIONS_LEN: usize = 64 * 1024;

/// An option string too deeply nested or too long to read: what it gives dockerd is unknown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CannotTell(pub String);

impl std::fmt::Display for CannotTell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The words of an active `DOCKER_OPTS=` line in /etc/default/docker, quotes removed;
/// `None` when there is no such line.
pub fn docker_opts(text: &str) -> Option<Result<Vec<String>, CannotTell>> {
    let value = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            l.strip_prefix("export ")
                .unwrap_or(l)
                .strip_prefix("DOCKER_OPTS=")
        })
        .next_back()?;
    Some(words(value))
}

/// The words of the last non-empty `ExecStart=` of a unit or drop-in.
pub fn exec_start(text: &str) -> Option<Result<Vec<String>, CannotTell>> {
    let line = text
        .lines()
        .map(str::trim)
        .filter_map(|l| l.strip_prefix("ExecStart="))
        .rfind(|v| !v.is_empty())?;
    Some(words(line))
}

/// Splits shell-ish text into words: quotes dropped, `$( ... )` and backticks kept in one word
/// (the published hook's DOCKER_OPTS uses backticks), and a word that is a whole command
/// substitution followed by the words inside it (a DOCKER_OPTS that computes its flags, such
/// as `$(p=$(cat F); [ -n "$p" ] && echo --ipv6 ...)`).
///
/// Iterative, with limits: text nested deeper than [`MAX_NESTING`] or longer than
/// [`MAX_OPTIONS_LEN`] is not read, so no input can exhaust the stack or the memory.
fn words(text: &str) -> Result<Vec<String>, CannotTell> {
    let nesting = nesting(text);
    if nesting > MAX_NESTING {
        return Err(CannotTell(format!(
            "its command substitutions nest {nesting} levels deep (at most {MAX_NESTING} are read)"
        )));
    }
    if text.len() > MAX_OPTIONS_LEN {
        return Err(CannotTell(format!(
            "it is {} bytes long (at most {MAX_OPTIONS_LEN} are read)",
            text.len()
        )));
    }
    // Depth-first, in order: each substitution's words follow the word that holds them.
    let mut all = Vec::new();
    let mut pending = vec![split_words(text).into_iter()];
    while let Some(level) = pending.last_mut() {
        let Some(word) = level.next() else {
            pending.pop();
            continue;
        };
        let inner = word
            .strip_prefix("$(")
            .and_then(|w| w.strip_suffix(')'))
            .map(|w| w.replace(';', " "));
        all.push(word);
        if let Some(inner) = inner {
            pending.push(split_words(&inner).into_iter());
        }
    }
    Ok(all)
}

/// The deepest nesting of parentheses in `text`.
fn nesting(text: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    for c in text.chars() {
        match c {
            '(' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

fn split_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut depth = 0usize;
    let mut in_backticks = false;
    for c in text.chars() {
        match c {
            '"' | '\'' => continue,
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            '`' => in_backticks = !in_backticks,
            c if c.is_whitespace() && depth == 0 && !in_backticks => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                continue;
            }
            _ => {}
        }
        word.push(c);
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// Where dockerd's IPv6 flags come from, and what could not be read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Survey {
    /// Each place that gives dockerd IPv6 flags.
    pub sources: Vec<FlagSource>,
    /// Option strings too deep or too long to read: what they give dockerd is unknown.
    pub cannot_tell: Vec<String>,
    /// The places among `cannot_tell` whose text mentions an IPv6 flag somewhere, with
    /// those flags (no values): they may give dockerd the flag.
    pub maybe: Vec<FlagSource>,
    /// Files that are not regular files or are too large, each with its path.
    pub unreadable: Vec<String>,
    /// Running dockerds left out because they run in another mount namespace, in words.
    pub elsewhere: Vec<String>,
    /// Running dockerds among `sources` whose mount namespace cannot be told, so they are
    /// taken as the one a restart replaces: each origin with why.
    pub namespace_unknown: Vec<(String, String)>,
}

/// Where Debian keeps dockerd's options for its init script and docker.io's unit.
pub(crate) const DEFAULTS: &str = "/etc/default/docker";
const DROP_INS: &str = "/etc/systemd/system/docker.service.d";

/// A parser of option strings: [`docker_opts`] or [`exec_start`].
type OptionParser = fn(&str) -> Option<Result<Vec<String>, CannotTell>>;

impl Survey {
    /// Adds what `text` (a file's contents) gives dockerd, read by `parse`.
    fn add(&mut self, origin: String, text: &str, parse: OptionParser) {
        match parse(text) {
            Some(Ok(words)) => self.add_words(origin, words),
            Some(Err(why)) => {
                self.cannot_tell.push(format!(
                    "cannot tell which flags {origin} gives dockerd: {why}"
                ));
                let mentioned: Vec<(String, Option<String>)> = IPV6_FLAGS
                    .iter()
                    .filter(|name| text.contains(&format!("--{name}")))
                    .map(|name| (name.to_string(), None))
                    .collect();
                if !mentioned.is_empty() {
                    self.maybe.push(FlagSource {
                        origin,
                        flags: mentioned,
                        words: Vec::new(),
                    });
                }
            }
            None => {}
        }
    }

    /// Adds the IPv6 flags among `words`, if any.
    fn add_words(&mut self, origin: String, words: Vec<String>) {
        let flags = ipv6_flags(words.iter().map(String::as_str));
        if !flags.is_empty() {
            self.sources.push(FlagSource {
                origin,
                flags,
                words,
            });
        }
    }
}

/// Every place under `root` (`/` on a live system) that gives dockerd IPv6 flags, and what
/// could not be read on the way.
pub fn survey(root: &Path) -> Survey {
    let mut survey = Survey::default();
    let text_of = |path: &Path, survey: &mut Survey| match read::system_file(root, path, CONFIG_CAP)
    {
        Found::Read(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
        Found::Unreadable(why) => {
            survey.unreadable.push(why);
            None
        }
        Found::Missing => None,
    };
    if let Some(text) = text_of(Path::new(DEFAULTS), &mut survey) {
        survey.add(format!("{DEFAULTS} (DOCKER_OPTS)"), &text, docker_opts);
    }
    // systemd reads only the `.conf` files of a drop-in directory.
    let drop_ins = read::names_in(root, Path::new(DROP_INS));
    for name in drop_ins.iter().filter(|n| n.ends_with(".conf")) {
        let path = Path::new(DROP_INS).join(name);
        if let Some(text) = text_of(&path, &mut survey) {
            survey.add(path.display().to_string(), &text, exec_start);
        }
    }
    let dockerds = processes(root)
        .into_iter()
        .filter(|(_, argv)| is_program(argv, "dockerd"));
    let mut home = None;
    for (pid, argv) in dockerds {
        let origin = format!("running dockerd (pid {pid})");
        let home = home.get_or_insert_with(|| HomeNamespaces::read(root));
        match home.of(root, pid) {
            MountNamespace::Ours => {}
            MountNamespace::Elsewhere => {
                survey.elsewhere.push(format!(
                    "dockerd (pid {pid}) runs in another mount namespace (a container's, a \
                     test's or a rootless one): restarting docker does not reach it"
                ));
                continue;
            }
            MountNamespace::Unknown(why) => survey.namespace_unknown.push((origin.clone(), why)),
        }
        survey.add_words(origin, argv);
    }
    survey
}

/// True when `argv` runs `program` (by any path).
pub fn is_program(argv: &[String], program: &str) -> bool {
    argv.first()
        .is_some_and(|a| a.rsplit('/').next() == Some(program))
}

/// Every process under `root`/proc with its arguments (each cmdline read bounded; a
/// process that vanished or whose cmdline cannot be read is left out).
pub fn processes(root: &Path) -> Vec<(u32, Vec<String>)> {
    let mut found: Vec<(u32, Vec<String>)> = read::names_in(root, Path::new("/proc"))
        .into_iter()
        .filter_map(|name| {
            let pid: u32 = name.parse().ok()?;
            let cmdline = Path::new("/proc").join(&name).join("cmdline");
            let raw = read::system_file(root, &cmdline, CMDLINE_CAP).ok()?;
            let argv = raw
                .split(|&b| b == 0)
                .filter(|a| !a.is_empty())
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect::<Vec<_>>();
            (!argv.is_empty()).then_some((pid, argv))
        })
        .collect();
    found.sort();
    found
}

/// Fails when dockerd gets IPv6 settings as flags: with the same settings in daemon.json
/// it would refuse to start at the restart.
pub fn refuse_conflicts(root: &Path) -> anyhow::Result<()> {
    let conflicts = conflicts(&survey(root), &DockerStarter::find(root));
    if let Some((source, note)) = conflicts.first() {
        let names: Vec<String> = source.flags.iter().map(|(n, _)| format!("--{n}")).collect();
        let note = note.as_ref().map(|n| format!(", {n}")).unwrap_or_default();
        return Err(anyhow::anyhow!(ConfigError(format!(
            "dockerd gets {} as a flag from {}{note}; writing daemon.json too would stop dockerd \
             from starting. Remove the flag, or use --target prefix-file",
            names.join(" and "),
            source.origin
        ))));
    }
    Ok(())
}

#[cfg(test)]
#[path = "docker_flags_tests.rs"]
mod tests;
