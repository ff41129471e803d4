//! Where dockerd gets IPv6 settings as command-line flags: the running dockerd, DOCKER_OPTS
//! in /etc/default/docker, or an ExecStart override of docker.service.
//!
//! A setting given both as a flag and in daemon.json stops dockerd from starting (even with
//! equal values), so the hook refuses to write daemon.json while such a flag exists, and
//! `doctor` reports both.

use std::fs;
use std::path::Path;

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

/// The words of an active `DOCKER_OPTS=` line in /etc/default/docker, quotes removed.
pub fn docker_opts(text: &str) -> Option<Vec<String>> {
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
pub fn exec_start(text: &str) -> Option<Vec<String>> {
    let line = text
        .lines()
        .map(str::trim)
        .filter_map(|l| l.strip_prefix("ExecStart="))
        .rfind(|v| !v.is_empty())?;
    Some(words(line))
}

/// Splits shell-ish text into words: quotes dropped, `$( ... )` and backticks kept in one word
/// (the seed's DOCKER_OPTS uses backticks), and a word
/// that is a whole command substitution followed by the words inside it (a DOCKER_OPTS that
/// computes its flags, such as `$(p=$(cat F); [ -n "$p" ] && echo --ipv6 ...)`).
fn words(text: &str) -> Vec<String> {
    let mut all = Vec::new();
    for word in split_words(text) {
        let inner = word
            .strip_prefix("$(")
            .and_then(|w| w.strip_suffix(')'))
            .map(|w| w.replace(';', " "));
        all.push(word);
        if let Some(inner) = inner {
            all.extend(words(&inner));
        }
    }
    all
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

/// Every place under `root` (`/` on a live system) that gives dockerd IPv6 flags.
pub fn find(root: &Path) -> Vec<FlagSource> {
    let mut sources = Vec::new();
    let mut add = |origin: String, words: Vec<String>| {
        let flags = ipv6_flags(words.iter().map(String::as_str));
        if !flags.is_empty() {
            sources.push(FlagSource {
                origin,
                flags,
                words,
            });
        }
    };
    if let Some(words) = read(&root.join("etc/default/docker"))
        .as_deref()
        .and_then(docker_opts)
    {
        add("/etc/default/docker (DOCKER_OPTS)".into(), words);
    }
    let dropins = root.join("etc/systemd/system/docker.service.d");
    let mut names: Vec<_> = fs::read_dir(&dropins)
        .map(|d| d.filter_map(|e| Some(e.ok()?.file_name())).collect())
        .unwrap_or_default();
    names.sort();
    for name in names {
        if let Some(words) = read(&dropins.join(&name)).as_deref().and_then(exec_start) {
            let origin = format!(
                "/etc/systemd/system/docker.service.d/{}",
                name.to_string_lossy()
            );
            add(origin, words);
        }
    }
    for (pid, argv) in processes(root) {
        let is_dockerd = argv
            .first()
            .is_some_and(|a| a.rsplit('/').next() == Some("dockerd"));
        if is_dockerd {
            add(format!("running dockerd (pid {pid})"), argv);
        }
    }
    sources
}

/// True when `argv` runs `program` (by any path).
pub fn is_program(argv: &[String], program: &str) -> bool {
    argv.first()
        .is_some_and(|a| a.rsplit('/').next() == Some(program))
}

/// Every process under `root`/proc with its arguments.
pub fn processes(root: &Path) -> Vec<(u32, Vec<String>)> {
    let Ok(entries) = fs::read_dir(root.join("proc")) else {
        return Vec::new();
    };
    let mut found: Vec<(u32, Vec<String>)> = entries
        .filter_map(|e| {
            let e = e.ok()?;
            let pid: u32 = e.file_name().to_str()?.parse().ok()?;
            let raw = fs::read(e.path().join("cmdline")).ok()?;
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

fn read(path: &Path) -> Option<String> {
    fs::read_to_string(path).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_ipv6_flags_in_every_spelling() {
        let flags = ipv6_flags([
            "dockerd",
            "-H",
            "fd://",
            "--ipv6",
            "--fixed-cidr-v6",
            "2001:db8::/80",
            "--mtu=1400",
        ]);
        assert_eq!(
            flags,
            [
                ("ipv6".to_string(), None),
                (
                    "fixed-cidr-v6".to_string(),
                    Some("2001:db8::/80".to_string())
                )
            ]
        );
        let flags = ipv6_flags(["--ipv6=true", "--fixed-cidr-v6=2001:db8::/80"]);
        assert_eq!(flags.len(), 2);
        assert!(ipv6_flags(["dockerd", "--ipv6-other", "-6"]).is_empty());
    }

    #[test]
    fn reads_the_active_docker_opts_line() {
        let text = "# DOCKER_OPTS=\"--dns 8.8.8.8\"\nDOCKER_OPTS=\"--ipv6 --fixed-cidr-v6=$(cat /etc/docker/ipv6.prefix)\"\n";
        let words = docker_opts(text).unwrap();
        assert_eq!(
            words,
            ["--ipv6", "--fixed-cidr-v6=$(cat /etc/docker/ipv6.prefix)"]
        );
        assert_eq!(ipv6_flags(words.iter().map(String::as_str)).len(), 2);
        assert_eq!(docker_opts("#DOCKER_OPTS=\"--ipv6\"\n"), None);
        // The seed's own line, with backticks.
        let seed = "DOCKER_OPTS=\"--ipv6 --fixed-cidr-v6=`cat /etc/docker/ipv6.prefix`\"\n";
        assert_eq!(
            docker_opts(seed).unwrap(),
            ["--ipv6", "--fixed-cidr-v6=`cat /etc/docker/ipv6.prefix`"]
        );
        // The README's line that copes with a missing or empty prefix file.
        let text = "DOCKER_OPTS=\"$(p=$(cat /etc/docker/ipv6.prefix 2>/dev/null); [ -n \"$p\" ] && echo \"--ipv6 --fixed-cidr-v6=$p\"; true)\"\n";
        let words = docker_opts(text).unwrap();
        let names: Vec<String> = ipv6_flags(words.iter().map(String::as_str))
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(names, ["ipv6", "fixed-cidr-v6"]);
        assert!(words.iter().any(|w| w.contains("/etc/docker/ipv6.prefix")));
    }

    #[test]
    fn reads_the_last_exec_start_of_a_drop_in() {
        let text = "[Service]\nExecStart=\nExecStart=/bin/sh -c 'exec /usr/bin/dockerd -H fd:// --ipv6 --fixed-cidr-v6=\"$(cat /etc/docker/ipv6.prefix)\"'\n";
        let words = exec_start(text).unwrap();
        assert_eq!(ipv6_flags(words.iter().map(String::as_str)).len(), 2);
    }

    #[test]
    fn finds_sources_under_a_root() {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        fs::create_dir_all(r.join("etc/default")).unwrap();
        fs::write(r.join("etc/default/docker"), "DOCKER_OPTS=\"--ipv6\"\n").unwrap();
        fs::create_dir_all(r.join("proc/42")).unwrap();
        fs::write(
            r.join("proc/42/cmdline"),
            b"/usr/bin/dockerd\0--fixed-cidr-v6\0fd00::/80\0",
        )
        .unwrap();
        fs::create_dir_all(r.join("proc/43")).unwrap();
        fs::write(r.join("proc/43/cmdline"), b"/usr/bin/containerd\0--ipv6\0").unwrap();
        let found = find(r);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].origin, "/etc/default/docker (DOCKER_OPTS)");
        assert_eq!(found[1].origin, "running dockerd (pid 42)");
    }
}
