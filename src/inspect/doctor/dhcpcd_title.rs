//! What a dhcpcd process serves, read from its command line. dhcpcd 10 runs one manager and
//! several helper processes and rewrites each one's command line with setproctitle into a
//! single title `PROGNAME: TITLE` (compat/setproctitle.c), so the interface is not simply
//! its last argument: a helper's title may end in an address.
//!
//! The titles, from dhcpcd's sources (v10.1.0 and the 10.x development line after v10.3.2):
//! - src/dhcpcd.c, the manager: `"%s%s%s"` of `[manager]` (manager mode, every interface) or
//!   the interface given (`argv[optind]`), then ` [ip4]`, ` [ip6]`: `dhcpcd: wan0 [ip6]`,
//!   `dhcpcd: [manager] [ip4] [ip6]`; `[launcher]` for the process that starts it.
//! - src/privsep-root.c, src/privsep-control.c, src/privsep-inet.c: `[privileged proxy]`,
//!   `[control proxy]`, `[network proxy]` (10.1 also `[ND network proxy]`), alone in manager
//!   mode, else followed by the interface and ` [ip4]`/` [ip6]` like the manager.
//! - src/privsep-inet.c, one helper per listening address: `[%s proxy] %s` with `BOOTP`,
//!   `ND` or `DHCP6` and the address (`[DHCP6 proxy] fe80::1%wan0`, `... 2001:db8::1`).
//! - src/privsep-bpf.c: `[BPF %s] %s%s%s`: `ARP` or `BOOTP`, the interface, an IPv4 address.
//!
//! Every proxy and helper is part of the same dhcpcd as its manager, not another client.

use std::net::IpAddr;

/// What one dhcpcd process says it serves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Serves {
    /// One interface, by name.
    Interface(String),
    /// Every interface: manager mode, or a command line naming none.
    Every,
    /// Nothing to tell: a per-address helper or the launcher.
    Helper,
}

/// The bracketed words that stand alone in the title of a manager-mode dhcpcd or of one of
/// its proxies, which serve every interface.
const MANAGER_LABELS: [&str; 5] = [
    "manager",
    "privileged proxy",
    "control proxy",
    "network proxy",
    "ND network proxy",
];

/// True when `word` can be a Linux interface name: 1 to 15 bytes, none of them `/`, `:` or
/// white space (the kernel's dev_valid_name), and not an address (IPv6 ones hold `:`, and an
/// address with a zone, `fe80::1%wan0`, is an address too).
pub fn is_interface_name(word: &str) -> bool {
    !word.is_empty()
        && word.len() <= 15
        && word != "."
        && word != ".."
        && !word.contains(['/', ':', '%', '[', ']'])
        && !word.chars().any(char::is_whitespace)
        && word.parse::<IpAddr>().is_err()
}

/// True when `argv` is a title dhcpcd wrote over its command line (`dhcpcd: wan0 [ip6]`):
/// one argument, `PROGNAME: ` then the title.
fn title(argv: &[String]) -> Option<&str> {
    match argv {
        [only] => only.split_once(": ").map(|(_, title)| title),
        _ => None,
    }
}

/// True when `argv` is the title of a manager: `dhcpcd: wan0 [ip6]` or `dhcpcd: [manager] …`,
/// the process whose pid doctor names for the whole dhcpcd.
pub fn is_manager(argv: &[String]) -> bool {
    title(argv).is_some_and(|t| !t.starts_with('[') || t.starts_with("[manager]"))
}

/// What the dhcpcd process with command line `argv` serves. A title's first word outside
/// brackets is the interface when it is an interface name, and marks a per-address helper
/// when it is not; a title of brackets only is a manager-mode process, or the launcher. An
/// unrewritten command line (dhcpcd 9: `dhcpcd -6 wan0`) names its interface last, when it
/// names one.
pub fn serves(argv: &[String]) -> Serves {
    let Some(title) = title(argv) else {
        return match argv.last() {
            Some(last) if argv.len() > 1 && is_interface_name(last) && !last.starts_with('-') => {
                Serves::Interface(last.clone())
            }
            _ => Serves::Every,
        };
    };
    let (mut labels, mut words) = (Vec::new(), Vec::new());
    let mut rest = title.trim();
    while !rest.is_empty() {
        if let Some(inner) = rest.strip_prefix('[') {
            let (label, after) = inner.split_once(']').unwrap_or((inner, ""));
            labels.push(label);
            rest = after.trim_start();
        } else {
            let end = rest.find([' ', '[']).unwrap_or(rest.len());
            words.push(&rest[..end]);
            rest = rest[end..].trim_start();
        }
    }
    match words.first() {
        Some(word) if is_interface_name(word) => Serves::Interface(word.to_string()),
        Some(_) => Serves::Helper,
        None if labels.first().is_some_and(|l| MANAGER_LABELS.contains(l)) => Serves::Every,
        None => Serves::Helper,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(cmdline: &str) -> Serves {
        serves(&cmdline.split('\0').map(String::from).collect::<Vec<_>>())
    }

    fn on(name: &str) -> Serves {
        Serves::Interface(name.into())
    }

    #[test]
    fn each_title_of_dhcpcd_10() {
        assert_eq!(of("dhcpcd: wan0 [ip6]"), on("wan0"));
        assert_eq!(of("dhcpcd: wan0 [ip4] [ip6]"), on("wan0"));
        assert_eq!(of("dhcpcd: [privileged proxy] wan0 [ip6]"), on("wan0"));
        assert_eq!(of("dhcpcd: [control proxy] wan0 [ip6]"), on("wan0"));
        assert_eq!(of("dhcpcd: [network proxy] wan0 [ip6]"), on("wan0"));
        assert_eq!(of("dhcpcd: [BPF ARP] eth0 192.0.2.7"), on("eth0"));
        assert_eq!(of("dhcpcd: [manager] [ip4] [ip6]"), Serves::Every);
        assert_eq!(of("dhcpcd: [privileged proxy]"), Serves::Every);
        assert_eq!(of("dhcpcd: [ND network proxy]"), Serves::Every);
        assert_eq!(of("dhcpcd: [launcher]"), Serves::Helper);
    }

    #[test]
    fn a_helper_named_by_its_address_serves_no_interface_of_that_name() {
        assert_eq!(
            of("dhcpcd: [network proxy] fe80::a8c1:abff:fe01:2%wan0"),
            Serves::Helper
        );
        assert_eq!(of("dhcpcd: [network proxy] 2001:db8::1"), Serves::Helper);
        assert_eq!(of("dhcpcd: [DHCP6 proxy] fe80::1%wan0"), Serves::Helper);
        assert_eq!(of("dhcpcd: [DHCP6 proxy] ::"), Serves::Helper);
        assert_eq!(of("dhcpcd: [BOOTP proxy] 192.0.2.7"), Serves::Helper);
    }

    #[test]
    fn an_unrewritten_command_line_names_its_interface_last() {
        assert_eq!(of("dhcpcd\0-6\0-B\0eth0"), on("eth0"));
        assert_eq!(of("/usr/sbin/dhcpcd\0-q\0-b"), Serves::Every);
        assert_eq!(of("dhcpcd\0-f\0/etc/dhcpcd.conf"), Serves::Every);
        assert_eq!(of("dhcpcd"), Serves::Every);
    }

    #[test]
    fn the_manager_is_the_process_doctor_names() {
        let argv = |t: &str| vec![t.to_string()];
        assert!(is_manager(&argv("dhcpcd: wan0 [ip6]")));
        assert!(is_manager(&argv("dhcpcd: [manager] [ip4] [ip6]")));
        assert!(!is_manager(&argv("dhcpcd: [privileged proxy] wan0 [ip6]")));
        assert!(!is_manager(&["dhcpcd".into(), "eth0".into()]));
    }

    #[test]
    fn interface_names_as_the_kernel_takes_them() {
        for name in ["eth0", "wan0", "enp0s31f6", "br-lan", "wlan0.5", "a"] {
            assert!(is_interface_name(name), "{name}");
        }
        for word in [
            "",
            "fe80::1%wan0",
            "2001:db8::1",
            "192.0.2.7",
            "[ip6]",
            "a/b",
            "sixteen-bytes-xx",
            "..",
        ] {
            assert!(!is_interface_name(word), "{word}");
        }
    }
}
