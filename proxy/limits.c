/* SPDX-License-Identifier: MIT */
/*
 * The proxy's flow caps and the file descriptors behind them.
 *
 * Theory of operation: every TCP flow, outbound UDP flow and ICMP echo flow
 * holds one host socket, so the flows a process can have are bounded by its
 * open-files limit (RLIMIT_NOFILE). At the usual soft limit of 1024 a flood
 * of new flows used to take every descriptor, after which the gateway's own
 * services failed (DNS got no socket, TFTP could not open its file) with
 * nothing logged. So each protocol has a cap of its own (a flood of one
 * leaves the others room), and unet__proxy_size_caps() lowers the three,
 * in proportion, to what the limit leaves once the descriptors open at the
 * time and a reserve are counted out. The reserve is what the services may
 * hold at their own limits (unet__stack_fd_reserve()) plus room for
 * forwards and the embedder's own handles.
 *
 * Several guests may share a hub: one guest address holds at most three
 * quarters of a protocol's cap (unet__proxy_guest_admit()), so a flood from
 * one leaves the others a quarter. Guests are counted in a small hash table
 * of the addresses that hold flows now.
 *
 * The library does not change process-wide settings by itself:
 * unet_proxy_raise_nofile() raises the soft limit to the hard one, for the
 * command line (and any embedder) to call before unet_proxy_new().
 *
 * What can go wrong: /proc/self/fd cannot be read (the open descriptors are
 * then taken to be PROXY_FD_GUESS); the limit leaves less than one flow per
 * protocol (each cap is still 1, and the log says so).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "proxy_internal.h"

/** Default cap of TCP flows. */
#define PROXY_TCP_FLOWS_DEFAULT 16384
/** Default cap of UDP flows. */
#define PROXY_UDP_FLOWS_DEFAULT 4096
/** Default cap of ICMP echo flows. */
#define PROXY_ICMP_FLOWS_DEFAULT 1024
/** Descriptors kept for forwards' listening and bound sockets. */
#define PROXY_FD_RESERVE_FWDS 32
/** Descriptors kept for the embedder: its ports, logs, control sockets. */
#define PROXY_FD_RESERVE_SLACK 32
/** Open descriptors assumed when /proc/self/fd cannot be read. */
#define PROXY_FD_GUESS 64

static const char *const proxy_proto_names[] = {
	[PROXY_PROTO_TCP] = "tcp",
	[PROXY_PROTO_UDP] = "udp",
	[PROXY_PROTO_ICMP] = "icmp",
};
_Static_assert(UNET__ARRAY_SIZE(proxy_proto_names) == PROXY_PROTO_NUM,
	       "one name per protocol");

/**
 * unet__proxy_proto() - the cap a flow of an IP protocol counts against
 * @ipproto: IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP or IPPROTO_ICMPV6
 *
 * Return: its &enum proxy_proto (ICMP and ICMPv6 echo share one).
 */
enum proxy_proto unet__proxy_proto(int ipproto)
{
	switch (ipproto) {
	case IPPROTO_TCP:
		return PROXY_PROTO_TCP;
	case IPPROTO_UDP:
		return PROXY_PROTO_UDP;
	default:
		return PROXY_PROTO_ICMP;
	}
}

/**
 * unet__proxy_proto_name() - a protocol's name, for messages
 * @proto: the protocol
 *
 * Return: "tcp", "udp" or "icmp".
 */
const char *unet__proxy_proto_name(enum proxy_proto proto)
{
	return proxy_proto_names[proto];
}

/* The bucket of guest address @addr of @family. */
static struct proxy_guest **limits_bucket(struct unet_proxy *proxy,
					  sa_family_t family,
					  const union unet_ip_addr *addr)
{
	uint32_t h = proxy_addr_fold(family, addr) * 0x9e3779b1u;

	return &proxy->guests[h >> (32 - PROXY_GUEST_BITS)];
}

/* The record of guest address @addr; with @make, made when missing. */
static struct proxy_guest *limits_guest(struct unet_proxy *proxy,
					sa_family_t family,
					const union unet_ip_addr *addr,
					bool make)
{
	struct proxy_guest **b, *g;

	b = limits_bucket(proxy, family, addr);
	for (g = *b; g != NULL; g = g->next)
		if (g->family == family &&
		    proxy_addr_eq(family, &g->addr, addr))
			return g;
	if (!make)
		return NULL;
	g = calloc(1, sizeof(*g));
	if (g == NULL)
		return NULL;
	g->family = family;
	g->addr = *addr;
	g->next = *b;
	*b = g;
	return g;
}

/**
 * unet__proxy_guest_cap() - the most flows of a protocol one guest may hold
 * @proxy: the proxy
 * @proto: the protocol
 *
 * Return: three quarters of the protocol's cap (at least 1).
 */
unsigned int unet__proxy_guest_cap(const struct unet_proxy *proxy,
				   enum proxy_proto proto)
{
	unsigned int c = proxy->cap[proto] - proxy->cap[proto] / 4;

	return c > 0 ? c : 1;
}

/**
 * unet__proxy_guest_admit() - count a new flow against its guest's share
 * @proxy: the proxy
 * @family: AF_INET or AF_INET6
 * @addr: the guest's address
 * @proto: the flow's protocol
 *
 * A guest is an address: an IPv6 guest that spreads its flows over many
 * addresses of the prefix (it may pick any) has a share for each; the
 * protocol's cap and max_flows still bound them all.
 *
 * Return: 0, or -ENOSPC when the guest holds its share of the cap already
 * (or no memory was left to count it).
 */
int unet__proxy_guest_admit(struct unet_proxy *proxy, sa_family_t family,
			    const union unet_ip_addr *addr,
			    enum proxy_proto proto)
{
	struct proxy_guest *g = limits_guest(proxy, family, addr, true);

	if (g == NULL || g->flows[proto] >= unet__proxy_guest_cap(proxy, proto))
		return -ENOSPC;
	g->flows[proto]++;
	g->total++;
	return 0;
}

/**
 * unet__proxy_guest_release() - a flow counted by unet__proxy_guest_admit()
 *                               ended
 * @proxy: the proxy
 * @family: AF_INET or AF_INET6
 * @addr: the guest's address
 * @proto: the flow's protocol
 */
void unet__proxy_guest_release(struct unet_proxy *proxy, sa_family_t family,
			       const union unet_ip_addr *addr,
			       enum proxy_proto proto)
{
	struct proxy_guest **pp, *g;

	pp = limits_bucket(proxy, family, addr);
	for (; (g = *pp) != NULL; pp = &g->next) {
		if (g->family != family ||
		    !proxy_addr_eq(family, &g->addr, addr))
			continue;
		g->flows[proto]--;
		if (--g->total == 0) {
			*pp = g->next;
			free(g);
		}
		return;
	}
}

/* The process's open file descriptors, or PROXY_FD_GUESS. */
static uint64_t limits_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	uint64_t n = 0;

	if (d == NULL)
		return PROXY_FD_GUESS;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n > 0 ? n - 1 : 0; /* not the directory's own */
}

/**
 * unet_proxy_raise_nofile() - raise the open-files limit for many flows
 * @limit: receives the soft limit now in force; may be NULL
 *
 * Raises the process's soft RLIMIT_NOFILE to its hard limit (or, when that
 * is unlimited, to the kernel's fs.nr_open). The library never does this by
 * itself, as it changes the whole process; call it before unet_proxy_new(),
 * which sizes its flow caps from the soft limit.
 *
 * Return: 0, or the negative errno of getrlimit() or setrlimit().
 */
int unet_proxy_raise_nofile(uint64_t *limit)
{
	struct rlimit rl;
	unsigned long long nr_open;
	FILE *f;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	if (rl.rlim_max == RLIM_INFINITY) {
		rl.rlim_max = 1048576;
		f = fopen("/proc/sys/fs/nr_open", "r");
		if (f != NULL) {
			if (fscanf(f, "%llu", &nr_open) == 1 && nr_open > 0)
				rl.rlim_max = (rlim_t)nr_open;
			fclose(f);
		}
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			return -errno;
	}
	if (limit != NULL)
		*limit = rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX :
							 (uint64_t)rl.rlim_cur;
	return 0;
}

/**
 * unet__proxy_size_caps() - set the per-protocol caps of a new proxy
 * @proxy: the proxy, its configuration in place
 *
 * Each cap is the configuration's (or its default), at most max_flows,
 * then all three lowered in proportion (each at least 1) to the descriptors
 * the soft open-files limit leaves after those open now and the reserve.
 */
void unet__proxy_size_caps(struct unet_proxy *proxy)
{
	const struct unet_proxy_config *cfg = &proxy->cfg;
	unsigned int want[PROXY_PROTO_NUM] = {
		[PROXY_PROTO_TCP] = cfg->max_tcp_flows != 0 ?
					    cfg->max_tcp_flows :
					    PROXY_TCP_FLOWS_DEFAULT,
		[PROXY_PROTO_UDP] = cfg->max_udp_flows != 0 ?
					    cfg->max_udp_flows :
					    PROXY_UDP_FLOWS_DEFAULT,
		[PROXY_PROTO_ICMP] = cfg->max_icmp_flows != 0 ?
					     cfg->max_icmp_flows :
					     PROXY_ICMP_FLOWS_DEFAULT,
	};
	uint64_t sum = 0, room = UINT64_MAX, used, reserve, c;
	struct rlimit rl;
	int i;

	for (i = 0; i < PROXY_PROTO_NUM; i++) {
		if (want[i] > cfg->max_flows)
			want[i] = cfg->max_flows;
		sum += want[i];
	}
	reserve = unet__stack_fd_reserve(proxy->stack) +
		  PROXY_FD_RESERVE_FWDS + PROXY_FD_RESERVE_SLACK;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY) {
		used = limits_open_fds() + reserve;
		room = (uint64_t)rl.rlim_cur > used ?
			       (uint64_t)rl.rlim_cur - used : 0;
	}
	for (i = 0; i < PROXY_PROTO_NUM; i++) {
		c = want[i];
		if (room < sum) {
			c = c * room / sum;
			if (c == 0)
				c = 1;
		}
		proxy->cap[i] = (unsigned int)c;
	}
	if (room < sum)
		unet_hub_log(proxy->hub, UNET_LOG_INFO,
			     "proxy: the open-files limit (%llu) leaves %llu "
			     "descriptors for flows after %llu kept for the "
			     "services: at most %u %s, %u %s and %u %s flows",
			     (unsigned long long)rl.rlim_cur,
			     (unsigned long long)room,
			     (unsigned long long)reserve,
			     proxy->cap[PROXY_PROTO_TCP],
			     proxy_proto_names[PROXY_PROTO_TCP],
			     proxy->cap[PROXY_PROTO_UDP],
			     proxy_proto_names[PROXY_PROTO_UDP],
			     proxy->cap[PROXY_PROTO_ICMP],
			     proxy_proto_names[PROXY_PROTO_ICMP]);
}
