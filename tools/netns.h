/* SPDX-License-Identifier: MIT */
/*
 * netns: a tap opened inside a network namespace that already exists (a
 * container's, a sandbox's), given by a process in it or by a path, while
 * usernet itself stays in its own namespaces. What slirp4netns does with
 * `PID|PATH TAPNAME`, and what `-netdev tap,netns=` does.
 */
#ifndef USERNET_TOOLS_NETNS_H
#define USERNET_TOOLS_NETNS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/**
 * struct netns_target - the namespace to open the tap in
 * @pid: a process in it: its /proc/PID/ns/net, and its user namespace
 *	unless @userns_path names one; 0 when @netns_path is used
 * @netns_path: a network namespace file (/run/netns/NAME,
 *	/proc/PID/ns/net, a bind mount of one; /proc/self/fd/N for an
 *	inherited fd); NULL when @pid is used
 * @userns_path: the user namespace to join first (NULL: the one of @pid,
 *	or none for @netns_path)
 */
struct netns_target {
	pid_t pid;
	const char *netns_path;
	const char *userns_path;
};

/**
 * struct netns_ifconfig - what to configure on the tap once it is made
 *	(slirp4netns's --configure)
 * @addr: the tap's IPv4 address (network order)
 * @prefix: its prefix length, 1..32
 * @gateway: the default route's gateway (network order)
 * @mtu: the tap's MTU
 * @set_mac: give the tap @mac (slirp4netns's --macaddress)
 * @mac: the MAC address when @set_mac
 *
 * lo is brought up too, as slirp4netns does.
 */
struct netns_ifconfig {
	struct in_addr addr;
	unsigned int prefix;
	struct in_addr gateway;
	unsigned int mtu;
	bool set_mac;
	uint8_t mac[6];
};

int netns_write_file(const char *path, const char *text);
int netns_map_ids(unsigned int uid_in, uid_t uid, unsigned int gid_in,
		  gid_t gid, const char **what);
int netns_parse_target(const char *s, struct netns_target *t);
int netns_open_tap(const struct netns_target *t, const char *ifname,
		   const struct netns_ifconfig *cfg, bool vnet_hdr, int *tap_fd,
		   char *err, size_t errlen);

#endif /* USERNET_TOOLS_NETNS_H */
