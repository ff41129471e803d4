//! The man page's sections that the command-line definition cannot say: the lease
//! variables, the setup around the binary, the post-change scripts' environment, files, exit
//! statuses, how it differs from the published hook, and examples.

/// Sections the command-line definition cannot say: (title, paragraphs of (term, text)).
/// An empty term is a plain paragraph.
pub const SECTIONS: &[(&str, &[(&str, &str)])] = &[
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
                "new_dhcp6_ia_pdN_prefixM, new_dhcp6_ia_pdN_prefixM_length",
                "Run by dhcpcd (its shim passes --client dhcpcd): every prefix of the lease, \
                 with _vltime and _pltime as lifetimes and the old_ variables of the lease \
                 before. The subnet stays in the prefix that holds it; else the first.",
            ),
            (
                "DHCP6_IP6_PREFIX",
                "Run by NetworkManager's dispatcher (--client networkmanager): the delegated \
                 prefixes, space-separated, on dhcp6-change and up; DISPATCHER_INTERFACE and \
                 DISPATCHER_ACTION (down: the prefix is lost) come from the dispatcher's \
                 arguments.",
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
        "SETUP",
        &[
            (
                "sysctls",
                "net.ipv6.conf.all.forwarding=1 so the host routes the containers' packets, \
                 and net.ipv6.conf.UPLINK.accept_ra=2 so the uplink keeps its default route \
                 with forwarding on; install.sh --sysctl writes both to \
                 /etc/sysctl.d/60-docker-ipv6-pd.conf. systemd-networkd and NetworkManager \
                 need no accept_ra: each takes router advertisements itself, with forwarding \
                 on too, and sets accept_ra to 0 (networkd stops where the uplink's .network \
                 sets IPForward= or IPv6Forwarding=: then add IPv6AcceptRA=yes).",
            ),
            (
                "dhclient",
                "systemctl enable --now dhclient6-pd@UPLINK, or request_prefix 1 in \
                 ifupdown's iface UPLINK inet6 dhcp stanza.",
            ),
            (
                "dhcpcd",
                "ia_pd 1 in an interface UPLINK block of /etc/dhcpcd.conf; the shim is \
                 installed where dhcpcd-run-hooks reads hooks (/usr/lib/dhcpcd/dhcpcd-hooks, \
                 /usr/libexec/dhcpcd-hooks on Debian 14).",
            ),
            (
                "systemd-networkd",
                "PrefixDelegationHint= or UseDelegatedPrefix=yes under [DHCPv6] in the \
                 uplink's .network file, and systemctl enable --now docker-ipv6-pd-watch. A \
                 downstream link's [DHCPPrefixDelegation] SubnetId= takes that /64 of the \
                 prefix: give docker another with --subnet-id.",
            ),
            (
                "NetworkManager",
                "1.44 or later, a connection with ipv6.method shared; the dispatcher script \
                 /etc/NetworkManager/dispatcher.d/90-docker-ipv6-pd. The shared connection's \
                 LAN gets the prefix's /64 number 0, where docker's first /80 lies too, and \
                 its hosts cannot reach the containers: set subnet-id = 1 (NetworkManager \
                 1.54 and later can move the LAN instead, with prefix-delegation.subnet-id).",
            ),
            (
                "",
                "docker-ipv6-pd doctor checks each of these and prints the fix.",
            ),
        ],
    ),
    (
        "POST-CHANGE SCRIPTS",
        &[
            (
                "",
                "After docker applied a new subnet (or, with --target nptv6, a new mapping), \
                 the executables in --post-change-dir run in order, as root, with stdin \
                 empty, each for at most --post-change-timeout seconds; a script anyone but \
                 root could change is skipped. Their environment:",
            ),
            (
                "DOCKER_IPV6_PD_SUBNET, DOCKER_IPV6_PD_OLD_SUBNET",
                "docker's subnet after and before (empty when withdrawn or unknown).",
            ),
            (
                "DOCKER_IPV6_PD_PREFIX, DOCKER_IPV6_PD_REASON",
                "The delegated prefix and the DHCP event.",
            ),
            (
                "DOCKER_IPV6_PD_PUBLIC, DOCKER_IPV6_PD_PUBLIC_SUBNET, DOCKER_IPV6_PD_MAPPED",
                "With --target nptv6 only: the public part mapped, docker0's public /64 and \
                 the internal part it maps onto; empty when the mapping was removed. \
                 DOCKER_IPV6_PD_OLD_PUBLIC, DOCKER_IPV6_PD_OLD_PUBLIC_SUBNET and \
                 DOCKER_IPV6_PD_OLD_MAPPED hold the mapping before.",
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
                "/etc/docker-ipv6-pd/post-change.d",
                "The post-change scripts: see POST-CHANGE SCRIPTS.",
            ),
            (
                "/var/lib/docker-ipv6-pd, /run/docker-ipv6-pd",
                "The hook's own state: a restart still owed, the lease the watch or the \
                 NetworkManager run last handed on, the nft mapping applied.",
            ),
            (
                "docker-ipv6-pd-watch.service",
                "The systemd unit of docker-ipv6-pd watch, for systemd-networkd.",
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
                "DOCKER_OPTS=\"$(p=$(cat /etc/docker/ipv6.prefix 2>/dev/null) || true; [ -n \"$p\" ] && echo \"--ipv6 --fixed-cidr-v6=$p\"; true)\"",
                "The line in /etc/default/docker that feeds the file to docker under sysvinit or \
                 Upstart; docker still starts while the file is missing or empty.",
            ),
            (
                "docker-ipv6-pd --dry-run watch --once",
                "Show what systemd-networkd's current prefix would change.",
            ),
        ],
    ),
    (
        "SEE ALSO",
        &[(
            "",
            "dhclient(8), dhclient-script(8), dhcpcd(8), dhcpcd-run-hooks(8), \
             systemd.network(5), NetworkManager-dispatcher(8), nft(8), dockerd(8), sipcalc(1)",
        )],
    ),
];
