/* SPDX-License-Identifier: MIT */
/*
 * slirp4netns: usernet's slirp4netns personality. Invoked as `slirp4netns`
 * (a link to usernet) or as `usernet slirp4netns`, usernet takes
 * slirp4netns 1.2's command line and API socket, so that rootless podman and
 * rootlesskit can run it in slirp4netns's place.
 */
#ifndef USERNET_TOOLS_SLIRP4NETNS_H
#define USERNET_TOOLS_SLIRP4NETNS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/** slirp4netns's largest --mtu. */
#define S4N_MTU_MAX 65521
/** slirp4netns's default --mtu. */
#define S4N_MTU_DEFAULT 1500
/** The guest's address: the network's + 100 (so at most a /25). */
#define S4N_GUEST_OFFSET 100

/**
 * struct s4n_options - slirp4netns's command line, parsed
 * @pid: PID (--netns-type=pid, the default): the namespace of that process
 * @netns_path: PATH (--netns-type=path); NULL with @pid
 * @tapname: TAPNAME (default "tap0")
 * @userns_path: --userns-path, or NULL
 * @api_socket: -a/--api-socket, or NULL
 * @configure: -c/--configure: address, MTU, route inside the namespace
 * @ipv6: -6/--enable-ipv6: fd00::/64 (gateway fd00::2, DNS fd00::3)
 * @disable_host_loopback: --disable-host-loopback
 * @disable_dns: --disable-dns: no DNS forwarder on the DNS address
 * @disable_offload: --disable-offload (usernet's): the tap without a vnet
 *                   header, so without TSO and checksum offload
 * @sandbox: --enable-sandbox (usernet's --sandbox)
 * @seccomp: --enable-seccomp (usernet's --seccomp)
 * @outbound_addr: --outbound-addr as given (an address or an interface
 *                 name), or NULL
 * @outbound_addr6: --outbound-addr6 as given, or NULL
 * @exit_fd: -e/--exit-fd, or -1
 * @ready_fd: -r/--ready-fd, or -1
 * @mtu: -m/--mtu (default 1500)
 * @net: --cidr's network (default 10.0.2.0), network order
 * @mask: --cidr's netmask (default 255.255.255.0)
 * @set_mac: --macaddress was given (needs -c)
 * @mac: the tap's MAC address
 * @outbound: the IPv4 address host sockets bind to (from @outbound_addr;
 *            INADDR_ANY without it)
 * @outbound6: the IPv6 address (from @outbound_addr6; :: without it)
 */
struct s4n_options {
	pid_t pid;
	const char *netns_path;
	const char *tapname;
	const char *userns_path;
	const char *api_socket;
	bool configure;
	bool ipv6;
	bool disable_host_loopback;
	bool disable_dns;
	bool disable_offload;
	bool sandbox;
	bool seccomp;
	const char *outbound_addr;
	const char *outbound_addr6;
	int exit_fd;
	int ready_fd;
	unsigned int mtu;
	struct in_addr net;
	struct in_addr mask;
	bool set_mac;
	uint8_t mac[6];
	struct in_addr outbound;
	struct in6_addr outbound6;
};

int s4n_outbound_addr(const char *arg, int family, void *addr);

int s4n_parse(int argc, char **argv, struct s4n_options *o);
int s4n_main(int argc, char **argv);

#endif /* USERNET_TOOLS_SLIRP4NETNS_H */
