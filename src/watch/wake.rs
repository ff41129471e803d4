//! What wakes the watch: an rtnetlink message about IPv6 routes or addresses (only a sign to
//! look again: it is never parsed), the periodic re-read, or SIGTERM/SIGINT, which end it.
//! Synchronous: one poll over the netlink socket and a self-pipe the signal handler writes.

use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
use nix::sys::socket::{
    AddressFamily, MsgFlags, NetlinkAddr, SockFlag, SockProtocol, SockType, bind, recv, socket,
};

/// rtnetlink multicast groups (linux/rtnetlink.h): IPv6 addresses and IPv6 routes.
const RTMGRP_IPV6_IFADDR: u32 = 0x100;
const RTMGRP_IPV6_ROUTE: u32 = 0x400;

static STOP: AtomicBool = AtomicBool::new(false);
static STOP_PIPE: AtomicI32 = AtomicI32::new(-1);

/// Only async-signal-safe work: an atomic store and one write(2).
extern "C" fn on_stop_signal(_: nix::libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
    let fd = STOP_PIPE.load(Ordering::SeqCst);
    if fd >= 0 {
        // SAFETY: write(2) on a descriptor we own, from a one-byte static buffer.
        unsafe { nix::libc::write(fd, b"x".as_ptr().cast(), 1) };
    }
}

/// Why a wait ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wake {
    /// Something changed (or the periodic re-read is due): read again.
    Look,
    /// SIGTERM or SIGINT: end now.
    Stop,
}

/// The netlink socket and the stop pipe, set up once.
pub struct Waker {
    netlink: OwnedFd,
    stop_read: OwnedFd,
    _stop_write: OwnedFd,
}

impl Waker {
    /// Subscribes to IPv6 route and address changes and installs the SIGTERM/SIGINT handler.
    pub fn new() -> Result<Waker> {
        let netlink = socket(
            AddressFamily::Netlink,
            SockType::Raw,
            SockFlag::SOCK_CLOEXEC | SockFlag::SOCK_NONBLOCK,
            SockProtocol::NetlinkRoute,
        )
        .context("opening an rtnetlink socket")?;
        bind(
            netlink.as_raw_fd(),
            &NetlinkAddr::new(0, RTMGRP_IPV6_IFADDR | RTMGRP_IPV6_ROUTE),
        )
        .context("subscribing to IPv6 route and address changes")?;
        let (stop_read, stop_write) = nix::unistd::pipe2(OFlag::O_CLOEXEC | OFlag::O_NONBLOCK)
            .context("creating the stop pipe")?;
        STOP_PIPE.store(stop_write.as_raw_fd(), Ordering::SeqCst);
        let action = SigAction::new(
            SigHandler::Handler(on_stop_signal),
            SaFlags::empty(),
            SigSet::empty(),
        );
        for signal in [Signal::SIGTERM, Signal::SIGINT] {
            // SAFETY: the handler only stores an atomic and calls write(2).
            unsafe { sigaction(signal, &action) }.context("installing the SIGTERM handler")?;
        }
        Ok(Waker {
            netlink,
            stop_read,
            _stop_write: stop_write,
        })
    }

    /// True once SIGTERM or SIGINT came.
    pub fn stopped(&self) -> bool {
        STOP.load(Ordering::SeqCst)
    }

    /// Waits until `deadline` (the periodic re-read) or a netlink message; after a message,
    /// until `quiet` passes without another (a renumbering is a burst of them), at most until
    /// `deadline`. A stop signal ends any wait at once.
    pub fn wait(&self, deadline: Instant, quiet: Duration) -> Wake {
        let mut until = deadline;
        loop {
            if self.stopped() {
                return Wake::Stop;
            }
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Wake::Look;
            }
            let millis = u16::try_from(left.as_millis().min(60_000)).unwrap_or(u16::MAX);
            let mut fds = [
                PollFd::new(self.netlink.as_fd(), PollFlags::POLLIN),
                PollFd::new(self.stop_read.as_fd(), PollFlags::POLLIN),
            ];
            match poll(&mut fds, PollTimeout::from(millis)) {
                Ok(0) | Err(Errno::EINTR) => continue,
                Ok(_) => {}
                // Cannot happen with valid descriptors; do not spin on it.
                Err(_) => std::thread::sleep(quiet),
            }
            let netlink_ready = fds[0].any().unwrap_or(false);
            if netlink_ready {
                drain(self.netlink.as_raw_fd());
                until = deadline.min(Instant::now() + quiet);
            }
        }
    }
}

/// Reads every waiting message and throws it away; an overrun (ENOBUFS) only says the same.
fn drain(fd: RawFd) {
    let mut buffer = [0u8; 8192];
    loop {
        match recv(fd, &mut buffer, MsgFlags::MSG_DONTWAIT) {
            Ok(0) | Err(Errno::EAGAIN) => return,
            Ok(_) | Err(Errno::ENOBUFS | Errno::EINTR) => continue,
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::sys::socket::{SockaddrLike, getsockname, sendto};

    #[test]
    fn a_netlink_message_wakes_it_once_quiet_and_sigterm_stops_it() {
        let waker = Waker::new().unwrap();
        let start = Instant::now();
        assert_eq!(
            waker.wait(start + Duration::from_millis(200), Duration::from_secs(1)),
            Wake::Look
        );
        assert!(start.elapsed() >= Duration::from_millis(200));
        // Any message on the socket, here one sent to it directly, is a sign to look again,
        // once the socket stayed quiet for the debounce time: long before the deadline.
        let ours: NetlinkAddr = getsockname(waker.netlink.as_raw_fd()).unwrap();
        let sender = socket(
            AddressFamily::Netlink,
            SockType::Raw,
            SockFlag::SOCK_CLOEXEC,
            SockProtocol::NetlinkRoute,
        )
        .unwrap();
        let to = NetlinkAddr::new(ours.pid(), 0);
        assert_eq!(to.family(), Some(AddressFamily::Netlink));
        sendto(sender.as_raw_fd(), &[0u8; 16], &to, MsgFlags::empty()).unwrap();
        let start = Instant::now();
        let quiet = Duration::from_millis(300);
        assert_eq!(
            waker.wait(start + Duration::from_secs(20), quiet),
            Wake::Look
        );
        assert!(start.elapsed() >= quiet && start.elapsed() < Duration::from_secs(5));
        assert!(!waker.stopped());
        nix::sys::signal::raise(Signal::SIGTERM).unwrap();
        let start = Instant::now();
        assert_eq!(
            waker.wait(start + Duration::from_secs(20), quiet),
            Wake::Stop
        );
        assert!(start.elapsed() < Duration::from_secs(5));
    }
}
