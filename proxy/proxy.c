/* SPDX-License-Identifier: MIT */
/*
 * The NAT proxy: the object, its configuration and counters, and the
 * dispatch of the packets the stack hands it.
 *
 * Theory of operation: the proxy installs its callbacks in the stack
 * (stack_proxy.h), which parses each packet once and asks the proxy about
 * every TCP or UDP packet to the gateway's own address (IPv4's, and IPv6's
 * ip6_host) and every packet to a foreign address as it arrives, of either
 * family (struct unet_ip_pkt says which; each protocol file handles both). TCP goes to tcp.c (connect-first: the
 * SYN is held until the host connect is done). UDP and ICMP are accepted
 * into lwIP, so that lwIP checks and reassembles them; the stack then
 * hands each datagram lwIP accepted back (udp.c, icmp.c) before lwIP's own
 * UDP and ICMP see it, and what belongs to the gateway's own services is
 * left to lwIP. Every packet the proxy is asked about must come from an
 * address a guest can have (proxy_src_ok()): a spoofed source is dropped
 * and counted before any protocol sees it, so no host socket is ever
 * opened for one.
 *
 * The flows themselves, their table and caps are flow.c's (beneath the
 * protocol files); this file walks the table for unet_proxy_flows() and
 * closes every flow at unet_proxy_close().
 *
 * Memory: at most max_flows flows; each flow's buffers are bounded by lwIP's
 * window and send buffer (TCP) or one datagram (UDP).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy_internal.h"
#include "wire/config_copy.h"
#include "wire/dhcp_proto.h"

/* The size of struct unet_proxy_stats when it got its size field. */
#define PROXY_STATS_SIZE_V1 \
	UNET__CONFIG_SIZE_TO(struct unet_proxy_stats, icmp_expired)

/* The size of struct unet_proxy_config in 0.1.0, its first release. */
#define PROXY_CONFIG_SIZE_V1 \
	UNET__CONFIG_SIZE_TO(struct unet_proxy_config, tcp_idle_timeout_ms)

/*
 * How long a name the guest resolved stays known for an address, by
 * default. The floor: an answer's TTL may be 0 or a few seconds (load
 * balancers), yet applications connect, and connect again, a little
 * while after they resolved (Java keeps an answer 30 s, browsers reuse
 * theirs for a minute); below the floor a legitimate connection would be
 * refused. The ceiling: an address a name moved away from stays allowed
 * for its sake at most this long.
 */
#define PROXY_NAMES_TTL_MIN 30
#define PROXY_NAMES_TTL_MAX 3600
#define PROXY_NAMES_TTL_LIMIT 604800
#define PROXY_NAMES_MAX 4096
#define PROXY_NAMES_LIMIT (1u << 20)

static const char *const flow_state_names[] = {
	[UNET_FLOW_CONNECTING] = "connecting",
	[UNET_FLOW_ESTABLISHED] = "established",
	[UNET_FLOW_CLOSING] = "closing",
	[UNET_FLOW_ACTIVE] = "active",
};
_Static_assert(UNET__ARRAY_SIZE(flow_state_names) == UNET_FLOW_STATE_NUM,
	       "one name per flow state");

/**
 * unet_flow_state_name() - a flow state's name
 * @state: the state
 *
 * Return: a short lower-case name, or "?" for an unknown state.
 */
const char *unet_flow_state_name(enum unet_flow_state state)
{
	if ((unsigned int)state >= UNET_FLOW_STATE_NUM)
		return "?";
	return flow_state_names[state];
}

/**
 * unet_proxy_config_init() - fill a proxy configuration with the defaults
 * @config: the configuration (see &struct unet_proxy_config for each default)
 */
void unet_proxy_config_init(struct unet_proxy_config *config)
{
	memset(config, 0, sizeof(*config));
	config->size = sizeof(*config);
	config->loopback = true;
	config->restrict_guest = false;
	config->max_flows = 21504;
	config->udp_timeout_ms = 240000;
	config->icmp_timeout_ms = 10000;
	config->tcp_connect_timeout_ms = 30000;
	config->tcp_idle_timeout_ms = 0;
	config->tcp_stall_timeout_ms = 120000;
	config->names_ttl_min = PROXY_NAMES_TTL_MIN;
	config->names_ttl_max = PROXY_NAMES_TTL_MAX;
}

/*
 * Whether a packet the stack asks about comes from an address a guest can
 * have (unet__stack_is_guest_addr()). The proxy opens host sockets, and
 * answers, only for those: a source that is the gateway's own, the
 * network's or broadcast address, or 0.0.0.0 is spoofed (or broken), and
 * a host connection for it would act for no one. The one exception is a
 * DHCP client without an address yet, which the stack's server takes.
 * Refusals are counted and logged at debug level, rate-limited.
 */
static bool proxy_src_ok(struct unet_proxy *proxy,
			 const struct unet_ip_pkt *pkt)
{
	const struct unet_stack_config *sc = unet__stack_config(proxy->stack);
	char a[INET6_ADDRSTRLEN];

	if (unet__stack_is_guest_ip(proxy->stack, pkt->family, &pkt->src))
		return true;
	if (pkt->family == AF_INET && pkt->src.v4 == 0 &&
	    pkt->proto == WIRE_IPPROTO_UDP && pkt->l4.udp != NULL &&
	    pkt->dst.v4 == sc->host.s_addr && pkt->dport == DHCP_SERVER_PORT)
		return true;
	proxy->stats.refused_spoofed++;
	PROXY_DEBUG_GUEST(proxy,
			  "a packet (protocol %u) from %s, "
			  "which no guest can have: dropped",
			  pkt->proto,
			  unet__flow_addr_str(pkt->family, &pkt->src, a,
					      sizeof(a)));
	return false;
}

static enum unet_verdict proxy_packet(void *opaque, struct pbuf *p,
				      const struct unet_ip_pkt *pkt)
{
	struct unet_proxy *proxy = opaque;

	if (!proxy_src_ok(proxy, pkt))
		return UNET_VERDICT_DROP;
	switch (pkt->proto) {
	case WIRE_IPPROTO_TCP:
		return unet__tcp_packet(proxy, p, pkt);
	case WIRE_IPPROTO_UDP:
	case WIRE_IPPROTO_ICMP:
	case WIRE_IPPROTO_ICMPV6:
		/* lwIP checks and reassembles; then proxy_datagram(). */
		return UNET_VERDICT_ACCEPT;
	default:
		proxy->stats.dropped++;
		return UNET_VERDICT_DROP;
	}
}

static enum unet_verdict proxy_datagram(void *opaque, struct pbuf *p,
					const struct unet_ip_pkt *pkt)
{
	struct unet_proxy *proxy = opaque;

	if (pkt->proto == WIRE_IPPROTO_UDP)
		return unet__udp_datagram(proxy, p, pkt);
	return unet__icmp_datagram(proxy, p, pkt);
}

static bool proxy_dns_query(void *opaque, const char *name)
{
	return unet__names_query(opaque, name);
}

static void proxy_dns_answer(void *opaque, const struct unet_dns_answer *ans)
{
	unet__names_answer(opaque, ans);
}

static const struct unet_stack_proxy_ops proxy_stack_ops = {
	.packet = proxy_packet,
	.datagram = proxy_datagram,
	.dns_query = proxy_dns_query,
	.dns_answer = proxy_dns_answer,
};

/* Frees what the proxy allocated itself (not the struct: see flow.c). */
static void proxy_free_tables(struct unet_proxy *proxy)
{
	unet__flow_table_free(proxy);
	unet__egress_free(proxy);
	unet__names_free(&proxy->egress.names);
	free(proxy->listeners);
	free(proxy->rbuf);
	unet__hostbuf_free(proxy->tcp_spare);
	proxy->listeners = NULL;
	proxy->rbuf = NULL;
	proxy->tcp_spare = NULL;
}

/**
 * unet_proxy_new() - start proxying a stack's guest traffic
 * @stack: the stack
 * @config: the configuration, NULL for the defaults; copied, so the caller
 *          keeps it (a versioned struct, see hub.h)
 * @proxyp: receives the proxy, which the caller releases with
 *          unet_proxy_close() before closing the stack (closing the hub
 *          does not close it)
 *
 * Return: 0, -EINVAL for a bad configuration (or a &unet_proxy_config.size
 * below the first release's), -E2BIG for a larger size whose extra bytes
 * are not zero, -EBUSY when the stack has a proxy already, -ENOMEM, or the
 * error of binding an outbound address (&unet_proxy_config.outbound,
 * .outbound6), e.g. -EADDRNOTAVAIL for one the host does not have (logged
 * with the address).
 */
int unet_proxy_new(struct unet_stack *stack,
		   const struct unet_proxy_config *config,
		   struct unet_proxy **proxyp)
{
	struct unet_proxy_config cfg;
	struct unet_proxy *proxy;
	int r;

	if (stack == NULL || proxyp == NULL)
		return -EINVAL;
	unet_proxy_config_init(&cfg);
	if (config != NULL) {
		r = unet__config_copy(&cfg, sizeof(cfg), config, config->size,
				      PROXY_CONFIG_SIZE_V1);
		if (r < 0)
			return r;
	}
	if (cfg.max_flows == 0 || cfg.max_flows > (1u << 24) ||
	    cfg.max_tcp_flows > (1u << 24) || cfg.max_udp_flows > (1u << 24) ||
	    cfg.max_icmp_flows > (1u << 24) || cfg.udp_timeout_ms == 0 ||
	    cfg.icmp_timeout_ms == 0 || cfg.tcp_connect_timeout_ms == 0 ||
	    cfg.names_ttl_min > cfg.names_ttl_max ||
	    cfg.names_ttl_max > PROXY_NAMES_TTL_LIMIT ||
	    cfg.names_max > PROXY_NAMES_LIMIT)
		return -EINVAL;
	proxy = calloc(1, sizeof(*proxy));
	if (proxy == NULL)
		return -ENOMEM;
	proxy->stack = stack;
	proxy->hub = unet__stack_hub(stack);
	proxy->loop = unet_hub_loop(proxy->hub);
	memcpy(&proxy->cfg, &cfg, sizeof(proxy->cfg));
	proxy->cfg.size = sizeof(proxy->cfg);
	unet__names_init(&proxy->egress.names,
			 cfg.names_max != 0 ? cfg.names_max : PROXY_NAMES_MAX,
			 cfg.names_ttl_min, cfg.names_ttl_max,
			 (uint64_t)unet_hub_random(proxy->hub) << 32 |
				 unet_hub_random(proxy->hub));
	r = unet__flow_table_init(proxy);
	proxy->listeners = calloc(65536, sizeof(*proxy->listeners));
	proxy->rbuf = malloc(PROXY_RBUF);
	if (r < 0 || proxy->listeners == NULL || proxy->rbuf == NULL ||
	    unet__egress_init(proxy) < 0)
		r = -ENOMEM;
	/* One proxy per stack: the stack's packets are claimed last. */
	if (r == 0)
		r = unet__flow_check_out(proxy);
	if (r == 0)
		r = unet__stack_set_proxy(stack, &proxy_stack_ops, proxy);
	if (r < 0) {
		proxy_free_tables(proxy);
		free(proxy);
		return r;
	}
	unet__proxy_size_caps(proxy);
	unet__tcp_turn_init(proxy);
	/* Restricted means the stack's DNS forwarder too. */
	unet__stack_set_restrict(stack, cfg.restrict_guest);
	*proxyp = proxy;
	return 0;
}

/**
 * unet_proxy_close() - stop proxying: every flow and forward is closed
 * @proxy: the proxy; may be NULL
 *
 * Must be called before the stack is closed. TCP flows are reset both ways.
 * Memory is freed from the loop once every host handle is closed.
 */
void unet_proxy_close(struct unet_proxy *proxy)
{
	if (proxy == NULL || proxy->closing)
		return;
	proxy->closing = true;
	unet__stack_set_proxy(proxy->stack, NULL, NULL);
	unet__stack_set_restrict(proxy->stack, false);
	unet__fwd_close_all(proxy);
	unet__flow_close_all(proxy);
	unet__tcp_close_listeners(proxy);
	unet__tcp_turn_close(proxy);
	/*
	 * Nothing reaches the table, the listeners or the read buffer from
	 * here on: only the struct waits for the handles still closing.
	 */
	proxy_free_tables(proxy);
	/* Take the count's own reference away: frees now if nothing is open. */
	unet__flow_proxy_ref(proxy);
	unet__flow_proxy_unref(proxy);
}

/**
 * unet_proxy_flows() - walk the flow table
 * @proxy: the proxy
 * @cb: called once per flow, from inside this call, with the flow borrowed
 *      for the call; it must not close the proxy
 * @opaque: passed to @cb
 *
 * Return: the number of flows walked.
 */
int unet_proxy_flows(struct unet_proxy *proxy, unet_flow_cb cb, void *opaque)
{
	uint64_t now = unet_hub_now_ns(proxy->hub);
	struct unet_flow_info info;
	struct proxy_flow *f;
	int n = 0;

	for (f = proxy->flows; f != NULL; f = f->next) {
		memset(&info, 0, sizeof(info));
		info.proto = f->proto;
		info.inbound = f->inbound;
		info.state = f->ops->state(f);
		info.family = f->family;
		if (f->family == AF_INET6) {
			memcpy(&info.guest_addr6, f->guest_addr.v6,
			       sizeof(info.guest_addr6));
			memcpy(&info.remote_addr6, f->remote_addr.v6,
			       sizeof(info.remote_addr6));
		} else {
			info.guest_addr.s_addr = f->guest_addr.v4;
			info.remote_addr.s_addr = f->remote_addr.v4;
		}
		info.guest_port = f->guest_port;
		info.remote_port = f->remote_port;
		info.bytes_out = f->bytes_out;
		info.bytes_in = f->bytes_in;
		info.idle_ms = (now - f->last_ns) / 1000000u;
		info.age_ms = (now - f->created_ns) / 1000000u;
		cb(opaque, &info);
		n++;
	}
	return n;
}

/**
 * unet_proxy_stats() - read a proxy's counters
 * @proxy: the proxy
 * @stats: receives the counters; its @size set by the caller
 *
 * Return: 0; -EINVAL when @stats->size is below the struct's first size
 * (the caller did not set it).
 */
int unet_proxy_stats(const struct unet_proxy *proxy,
		     struct unet_proxy_stats *stats)
{
	struct unet_proxy_stats st = proxy->stats;

	st.tcp_flows = proxy->nflows[PROXY_PROTO_TCP];
	st.udp_flows = proxy->nflows[PROXY_PROTO_UDP];
	st.icmp_flows = proxy->nflows[PROXY_PROTO_ICMP];
	st.tcp_cap = proxy->cap[PROXY_PROTO_TCP];
	st.udp_cap = proxy->cap[PROXY_PROTO_UDP];
	st.icmp_cap = proxy->cap[PROXY_PROTO_ICMP];
	return unet__stats_copy(stats, &st, sizeof(st), PROXY_STATS_SIZE_V1);
}
