//! Reading `strace -f -y -e trace=%file,%process` output: every path a process of ours names
//! (opens, stats, lists, creates, renames, runs), resolved to an absolute path. A process
//! stops being ours once it has exec'd another program, and so do the processes it forks:
//! what a restart tool or a post-change script reads is not the binary's doing, but the
//! path it was run from is.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

/// One path named by a syscall of one of our processes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Access {
    pub syscall: String,
    pub path: PathBuf,
    /// The whole line, for the failure message.
    pub line: String,
}

/// One line of the trace, split.
struct Call<'a> {
    pid: u32,
    name: &'a str,
    /// The arguments, when the line starts the call (not on `<... resumed>` lines).
    args: Option<&'a str>,
    /// The result, when the line ends the call.
    result: Option<i64>,
    line: &'a str,
}

fn call(line: &str) -> Option<Call<'_>> {
    let (pid, rest) = line.trim_start().split_once(char::is_whitespace)?;
    let pid = pid.parse().ok()?;
    let rest = rest.trim_start();
    if let Some(resumed) = rest.strip_prefix("<... ") {
        let name = resumed.split_whitespace().next()?;
        let result = result_of(resumed);
        return Some(Call {
            pid,
            name,
            args: None,
            result,
            line,
        });
    }
    let (name, args) = rest.split_once('(')?;
    if name.contains(' ') {
        return None; // a signal (`--- SIGCHLD`) or an exit (`+++ exited`)
    }
    let result = result_of(args);
    Some(Call {
        pid,
        name,
        args: Some(args),
        result,
        line,
    })
}

/// Every path our processes name in `trace`, in order. `program` is the binary under test:
/// an exec of anything else hands the process over to that program. Read in two passes,
/// since with `-f` a child's first lines may come before its parent's fork returns.
pub fn accesses(trace: &str, program: &Path) -> Vec<Access> {
    let calls: Vec<Call> = trace.lines().filter_map(call).collect();
    // Where each process exec'd another program, and where and by whom each was forked.
    let mut exec_path: HashMap<u32, PathBuf> = HashMap::new();
    let mut exec_at: HashMap<u32, usize> = HashMap::new();
    let mut forked: HashMap<u32, (u32, usize)> = HashMap::new();
    for (index, c) in calls.iter().enumerate() {
        if c.name == "execve"
            && let Some(args) = c.args
        {
            let path = named_paths("execve", &split_args(args)).pop();
            exec_path.insert(c.pid, path.unwrap_or_default());
        }
        let other_program = exec_path.get(&c.pid).is_some_and(|p| p != program);
        if c.name == "execve" && c.result == Some(0) && other_program {
            exec_at.entry(c.pid).or_insert(index);
        }
        if ["clone", "clone3", "fork", "vfork"].contains(&c.name)
            && let Some(child) = c.result.filter(|&r| r > 0)
        {
            forked.insert(child as u32, (c.pid, index));
        }
    }
    let foreign = |mut pid: u32, mut index: usize| loop {
        if exec_at.get(&pid).is_some_and(|&at| at < index) {
            return true;
        }
        match forked.get(&pid) {
            Some(&(parent, at)) => (pid, index) = (parent, at),
            None => return false,
        }
    };
    let mut found = Vec::new();
    for (index, c) in calls.iter().enumerate() {
        let Some(args) = c.args else { continue };
        if foreign(c.pid, index) {
            continue;
        }
        let paths = named_paths(c.name, &split_args(args));
        found.extend(paths.into_iter().map(|path| Access {
            syscall: c.name.to_string(),
            path,
            line: c.line.to_string(),
        }));
    }
    found
}

/// The number after the last ` = ` of a finished call (strace pads before the `=`).
fn result_of(text: &str) -> Option<i64> {
    let (_, result) = text.rsplit_once(" = ")?;
    result.split_whitespace().next()?.parse().ok()
}

/// One argument as strace prints it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Arg {
    /// A string: `"/etc/x"`.
    Text(String),
    /// A descriptor with `-y`'s path: `3</etc>`, `AT_FDCWD</>`.
    Fd(PathBuf),
    Other,
}

/// The top-level arguments in `args` (the text after the opening parenthesis).
fn split_args(args: &str) -> Vec<Arg> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let (mut depth, mut quoted, mut escaped) = (0usize, false, false);
    let mut previous = ' ';
    for c in args.chars() {
        if quoted {
            current.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => quoted = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => quoted = true,
            '(' | '[' | '{' => depth += 1,
            '<' if previous.is_ascii_alphanumeric() || previous == '_' => depth += 1,
            ')' | ']' | '}' | '>' if depth > 0 => depth -= 1,
            ')' => break,
            ',' if depth == 0 => {
                tokens.push(arg(current.trim()));
                current.clear();
                previous = c;
                continue;
            }
            _ => {}
        }
        current.push(c);
        previous = c;
    }
    let last = current.trim().trim_end_matches("<unfinished ...>").trim();
    if !last.is_empty() {
        tokens.push(arg(last));
    }
    tokens
}

fn arg(token: &str) -> Arg {
    if let Some(text) = token.strip_prefix('"') {
        let text = text.strip_suffix('"').unwrap_or(text);
        return Arg::Text(text.replace("\\\"", "\"").replace("\\\\", "\\"));
    }
    match token.split_once('<') {
        Some((_, path)) if token.ends_with('>') => Arg::Fd(PathBuf::from(&path[..path.len() - 1])),
        _ => Arg::Other,
    }
}

/// Where the paths are among a syscall's arguments: (directory descriptor, path) pairs.
/// A syscall not listed has every string argument taken as a path, to err on the strict side.
fn path_positions(syscall: &str) -> Option<&'static [(Option<usize>, usize)]> {
    Some(match syscall {
        "openat" | "openat2" | "newfstatat" | "fstatat64" | "statx" | "faccessat"
        | "faccessat2" | "readlinkat" | "mkdirat" | "unlinkat" | "fchmodat" | "fchownat"
        | "mknodat" | "utimensat" | "execveat" | "name_to_handle_at" | "futimesat" => {
            &[(Some(0), 1)]
        }
        "renameat" | "renameat2" | "linkat" => &[(Some(0), 1), (Some(2), 3)],
        "symlinkat" => &[(Some(1), 2)],
        "rename" | "link" => &[(None, 0), (None, 1)],
        "symlink" => &[(None, 1)],
        "open" | "creat" | "stat" | "lstat" | "access" | "readlink" | "chdir" | "chroot"
        | "mkdir" | "rmdir" | "unlink" | "truncate" | "chmod" | "chown" | "lchown" | "statfs"
        | "execve" | "mknod" | "utime" | "utimes" => &[(None, 0)],
        // Process calls with no path: clone, wait4, exit_group, ...
        "clone" | "clone3" | "fork" | "vfork" | "wait4" | "exit" | "exit_group" | "kill"
        | "tgkill" | "waitid" => &[],
        _ => return None,
    })
}

/// The absolute paths a call names; a relative one is resolved against its directory
/// descriptor (or the working directory, which the tests set to `/`).
fn named_paths(syscall: &str, tokens: &[Arg]) -> Vec<PathBuf> {
    let dir_of = |index: Option<usize>| match index.and_then(|i| tokens.get(i)) {
        Some(Arg::Fd(dir)) => dir.clone(),
        _ => PathBuf::from("/"),
    };
    let resolve = |dir: PathBuf, text: &str| normalise(&dir.join(text));
    match path_positions(syscall) {
        Some(positions) => positions
            .iter()
            .filter_map(|&(dir, path)| match tokens.get(path) {
                // An empty path (AT_EMPTY_PATH) is a descriptor already open: its path was
                // judged when it was opened (and `-y` shows where links led, not the name).
                Some(Arg::Text(text)) if text.is_empty() => None,
                Some(Arg::Text(text)) => Some(resolve(dir_of(dir), text)),
                _ => None,
            })
            .collect(),
        None => tokens
            .iter()
            .filter_map(|t| match t {
                Arg::Text(text) => Some(resolve(PathBuf::from("/"), text)),
                _ => None,
            })
            .collect(),
    }
}

/// `path` without `.` and `..` (as written: the tests' trees hold no links that matter).
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::from("/");
    for component in path.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(name) => out.push(name),
            _ => {}
        }
    }
    out
}

#[test]
fn the_reader_resolves_paths_and_drops_what_other_programs_do() {
    let program = Path::new("/build/docker-ipv6-pd");
    let trace = r#"10 execve("/build/docker-ipv6-pd", ["docker-ipv6-pd", "--root"], 0x7f /* 2 vars */) = 0
10 openat(AT_FDCWD</>, "/etc/docker/ipv6.prefix", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)
10 newfstatat(3</r/etc>, "", {st_mode=S_IFDIR|0755, ...}, AT_EMPTY_PATH) = 0
10 renameat2(4</r/etc/docker>, ".ipv6.prefix.tmp", 4</r/etc/docker>, "../x", RENAME_NOREPLACE) = 0
10 statx(0</dev/null>, NULL, AT_STATX_SYNC_AS_STAT, STATX_ALL, NULL) = -1 EFAULT (Bad address)
10 clone3({flags=CLONE_VM|CLONE_VFORK, exit_signal=SIGCHLD, stack=0x7f, stack_size=0x9000}, 88 <unfinished ...>
11 openat(AT_FDCWD</>, "/proc/self/fd", O_RDONLY|O_DIRECTORY) = 3</proc/11/fd>
11 execve("/tools/systemctl", ["systemctl", "restart"], 0x7f /* 1 var */ <unfinished ...>
10 <... clone3 resumed>) = 11
11 <... execve resumed>)             = 0
11 openat(AT_FDCWD</>, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC) = 3</etc/ld.so.cache>
11 clone(child_stack=NULL, flags=SIGCHLD) = 12
12 execve("/bin/cat", ["cat"], 0x7f /* 1 var */) = 0
12 openat(AT_FDCWD</>, "/etc/passwd", O_RDONLY) = 3
10 --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED} ---
10 lgetxattr("/r/a", "user.x", NULL, 0) = -1 ENODATA (No data available)
"#;
    let paths: Vec<(String, PathBuf)> = accesses(trace, program)
        .into_iter()
        .map(|a| (a.syscall, a.path))
        .collect();
    let expected: Vec<(&str, &str)> = vec![
        ("execve", "/build/docker-ipv6-pd"),
        ("openat", "/etc/docker/ipv6.prefix"),
        ("renameat2", "/r/etc/docker/.ipv6.prefix.tmp"),
        ("renameat2", "/r/etc/x"),
        ("openat", "/proc/self/fd"),
        ("execve", "/tools/systemctl"),
        // An unknown call: each string, even the attribute's name, is taken for a path.
        ("lgetxattr", "/r/a"),
        ("lgetxattr", "/user.x"),
    ];
    let expected: Vec<(String, PathBuf)> = expected
        .into_iter()
        .map(|(s, p)| (s.to_string(), PathBuf::from(p)))
        .collect();
    assert_eq!(paths, expected);
}
