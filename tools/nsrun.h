/* SPDX-License-Identifier: MIT */
/*
 * nsrun: the namespace half of "usernet run [options] -- CMD [ARGS]".
 *
 * usernet stays in the host's network namespace; CMD runs in a new one whose
 * only interface besides lo is a tap. The tap's fd comes back to usernet,
 * which puts it on its hub. Usage:
 *
 *	nsrun_start()   fork the child, build the namespace, get the tap fd
 *	(attach ns.tap_fd to the hub)
 *	nsrun_go()      let the child exec CMD
 *	(on SIGCHLD: waitpid(ns.pid), ns.pid = 0,
 *	 exit(nsrun_status_to_exit(status)))
 */
#ifndef USERNET_TOOLS_NSRUN_H
#define USERNET_TOOLS_NSRUN_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>

/**
 * struct nsrun_config - the namespace "usernet run" builds for CMD
 * @argv: CMD and its arguments, NULL-terminated; argv[0] is looked up in
 *	PATH as execvp() does. Required.
 * @ifname: name of the tap inside the namespace, shorter than IFNAMSIZ.
 *	Default (NULL): "tap0".
 * @addr: the tap's IPv4 address. Default (0.0.0.0): 10.0.2.100.
 * @prefix: prefix length of @addr's network, 1 to 32. Default (0): 24.
 * @gateway: the default route's gateway; must be inside @addr/@prefix.
 *	Default (0.0.0.0): 10.0.2.2.
 * @dns: the only nameserver of the resolv.conf bind-mounted over
 *	/etc/resolv.conf inside the namespace. Default (0.0.0.0): 10.0.2.3.
 * @mtu: the tap's MTU, 68 to 65535. Default (0): 65520.
 * @nofile: the open-files limit CMD runs with (usernet raises its own for
 *	its flows; CMD gets back what usernet started with). Default (both
 *	0): what usernet has.
 * @no_ipv4: the tap gets no IPv4 address, route or nameserver (the
 *	network has no IPv4). Default: false.
 * @ipv6: the tap takes its IPv6 address and default route from the
 *	gateway's router advertisements (SLAAC, the kernel's own), and CMD
 *	starts once the address is there (at most NSRUN_SLAAC_WAIT_MS).
 *	Default: false.
 * @dns6: with @ipv6, a second nameserver for the resolv.conf, after @dns.
 * @no_dns: the gateway runs no DNS server (dns-server=off): no resolv.conf
 *	is written, CMD sees the host's /etc/resolv.conf (as under
 *	slirp4netns, which never writes one). Default: false.
 * @vnet_hdr: make the tap with IFF_VNET_HDR, so that the port that adopts
 *	it asks the kernel for offloads (usernet run's default; --no-offload
 *	turns it off).
 *
 * Addresses are in network byte order, as struct in_addr always is.
 */
struct nsrun_config {
	char *const *argv;
	const char *ifname;
	struct in_addr addr;
	unsigned int prefix;
	struct in_addr gateway;
	struct in_addr dns;
	unsigned int mtu;
	struct rlimit nofile;
	bool no_ipv4;
	bool ipv6;
	struct in6_addr dns6;
	bool no_dns;
	bool vnet_hdr;
};

/** How long CMD waits for its SLAAC address, in milliseconds. */
#define NSRUN_SLAAC_WAIT_MS 3000

/**
 * struct nsrun - a command in its own network namespace
 * @pid: the child that execs CMD. The caller reaps it with waitpid() and
 *	then sets @pid to 0, after which nsrun_kill() does nothing.
 * @tap_fd: the tap, opened inside the namespace; non-blocking and
 *	close-on-exec. Owned (and closed) by the caller once nsrun_start()
 *	returned 0.
 * @ctl_fd: private: the control socket to the child; -1 once nsrun_go() or
 *	nsrun_abort() closed it.
 */
struct nsrun {
	pid_t pid;
	int tap_fd;
	int ctl_fd;
};

int nsrun_start(const struct nsrun_config *cfg, struct nsrun *ns, char *err,
		size_t errlen);
int nsrun_go(struct nsrun *ns);
void nsrun_abort(struct nsrun *ns);
void nsrun_kill(struct nsrun *ns, int sig);
int nsrun_status_to_exit(int wstatus);

#endif /* USERNET_TOOLS_NSRUN_H */
