//! Running a child process with hard limits: the docker restart and the post-change scripts
//! both go through here, so neither can block the hook run forever, flood memory with output,
//! or inherit the DHCP client's descriptors.

use std::fs::File;
use std::io::{self, Seek, SeekFrom, Write};
use std::os::fd::OwnedFd;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use nix::fcntl::{FcntlArg, OFlag, fcntl};
use nix::libc;
use nix::sys::memfd::{MFdFlags, memfd_create};
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

mod output;

/// How a child run with limits ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    /// It exited with status 0.
    Succeeded,
    /// It exited non-zero or was killed by a signal.
    Failed(ExitStatus),
    /// It still ran at the timeout; its whole process group was killed.
    TimedOut,
}

/// What a child run with limits left behind: how it ended and what it printed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finished {
    /// How it ended.
    pub ending: Ending,
    /// Its stdout and stderr, interleaved, of which only the start and the end are kept:
    /// folded to one line with control characters escaped, at most about 300 characters.
    pub output: String,
}

/// How often the child is checked for an exit and its output for its size: a child writing
/// as fast as it can adds a few MB between two checks.
const POLL: Duration = Duration::from_millis(1);

/// Runs `command` with stdin null, stdout and stderr into one bounded anonymous buffer, in a
/// process group of its own, with only descriptors 0, 1 and 2 inherited. After `timeout` the
/// whole group gets SIGKILL and the child is reaped. An error means it could not be started.
///
/// The output goes to a memfd rather than a pipe: a daemon started by an init script may keep
/// its stdout open forever, so a pipe would never reach EOF (and closing our end would send
/// that daemon SIGPIPE). Whatever the group leaves running after a normal exit is left alone:
/// that is how `service docker restart` starts dockerd.
pub fn run(command: Command, timeout: Duration) -> io::Result<Finished> {
    run_reading(command, Stdio::null(), timeout)
}

/// Runs `command` as [`run`] does, with `input` on its stdin (a script for `nft -f -`). The
/// bytes sit in a memfd, so the child reads them at its own pace and no pipe can block us.
pub fn run_with_input(command: Command, input: &[u8], timeout: Duration) -> io::Result<Finished> {
    let mut file = new_memfd()?;
    file.write_all(input)?;
    file.seek(SeekFrom::Start(0))?;
    run_reading(command, Stdio::from(file), timeout)
}

fn run_reading(mut command: Command, stdin: Stdio, timeout: Duration) -> io::Result<Finished> {
    let mut buffer = output::Buffer::new(new_memfd()?);
    let inherited = descriptors_above_stderr();
    command
        .stdin(stdin)
        .stdout(buffer.file().try_clone()?)
        .stderr(buffer.file().try_clone()?)
        // Its own group, so a timeout kills whatever it started too.
        .process_group(0);
    // SAFETY: the closure only makes system calls (close_range, fcntl) and reads a vector
    // built before the fork; it allocates nothing and takes no lock.
    unsafe {
        command.pre_exec(move || {
            close_on_exec_above_stderr(&inherited);
            Ok(())
        });
    }
    let mut child = command.spawn()?;
    let ending = wait_with_deadline(&mut child, &mut buffer, Instant::now() + timeout)?;
    Ok(Finished {
        ending,
        output: buffer.shown(),
    })
}

/// A memfd whose writes always go to its end, so that the child's writes follow whatever
/// size the file has, whoever else writes to it.
fn new_memfd() -> io::Result<File> {
    let fd: OwnedFd = memfd_create("child-output", MFdFlags::MFD_CLOEXEC)?;
    fcntl(&fd, FcntlArg::F_SETFL(OFlag::O_APPEND))?;
    Ok(File::from(fd))
}

/// Polls the child until it exits or the deadline passes, keeping the buffer small meanwhile.
fn wait_with_deadline(
    child: &mut Child,
    buffer: &mut output::Buffer,
    deadline: Instant,
) -> io::Result<Ending> {
    let _urgent = Urgent::raise();
    loop {
        buffer.keep_bounded();
        let exited = match child.try_wait() {
            Ok(exited) => exited,
            Err(e) => {
                kill_group(child);
                return Err(e);
            }
        };
        if let Some(status) = exited {
            return Ok(if status.success() {
                Ending::Succeeded
            } else {
                Ending::Failed(status)
            });
        }
        if Instant::now() >= deadline {
            kill_group(child);
            return Ok(Ending::TimedOut);
        }
        std::thread::sleep(POLL);
    }
}

/// While alive, the calling thread runs at real-time priority 1 (where the kernel lets it),
/// so that a child flooding its output on a busy machine cannot starve the loop that keeps
/// the buffer small: with normal priority the buffer reached tens of MB between two polls.
/// The thread sleeps between polls, and children it starts meanwhile get normal priority.
struct Urgent {
    raised: bool,
}

impl Urgent {
    fn raise() -> Urgent {
        let param = libc::sched_param { sched_priority: 1 };
        // SAFETY: changes the scheduling policy of the calling thread only.
        let raised = unsafe {
            libc::sched_setscheduler(0, libc::SCHED_FIFO | libc::SCHED_RESET_ON_FORK, &param)
        } == 0;
        Urgent { raised }
    }
}

impl Drop for Urgent {
    fn drop(&mut self) {
        if self.raised {
            let param = libc::sched_param { sched_priority: 0 };
            // SAFETY: as in raise.
            unsafe { libc::sched_setscheduler(0, libc::SCHED_OTHER, &param) };
        }
    }
}

/// SIGKILLs the child's process group (the child leads it) and reaps the child.
fn kill_group(child: &mut Child) {
    if let Ok(pid) = i32::try_from(child.id()) {
        let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// The open descriptors above stderr, listed before the fork for the fallback in the child.
fn descriptors_above_stderr() -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc/self/fd") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .filter(|&fd| fd > 2)
        .collect()
}

/// In the forked child: marks every descriptor above stderr close-on-exec, with one
/// close_range call where the kernel has it (Linux 5.11), else one by one from `listed`.
/// Only async-signal-safe calls.
fn close_on_exec_above_stderr(listed: &[i32]) {
    // SAFETY: a plain system call on integers; nothing is closed, only flags change.
    let done = unsafe {
        libc::syscall(
            libc::SYS_close_range,
            3 as libc::c_uint,
            libc::c_uint::MAX,
            libc::CLOSE_RANGE_CLOEXEC,
        )
    } == 0;
    if !done {
        mark_close_on_exec(listed);
    }
}

/// Marks each of `fds` close-on-exec (async-signal-safe: one fcntl each).
fn mark_close_on_exec(fds: &[i32]) {
    for &fd in fds {
        // SAFETY: changes the flags of a descriptor number; one not open just fails.
        unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
    }
}

#[cfg(test)]
pub(crate) mod tests;
