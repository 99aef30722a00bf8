/* SPDX-License-Identifier: MIT */
/*
 * The NAT proxy: its life cycle, the flow table, address mapping and policy.
 *
 * Theory of operation: the proxy installs one callback in the stack, which
 * asks it about every TCP or UDP packet to the gateway's own address and
 * every packet to a foreign address. TCP goes to tcp.c (connect-first:
 * the SYN is held until the host connect is done). UDP and ICMP are accepted
 * into lwIP, so that lwIP checks and reassembles them, and are taken from
 * two raw pcbs (udp.c, icmp.c) before lwIP's own UDP and ICMP see them; what
 * belongs to the gateway's own services is left to lwIP. Every packet the
 * proxy is asked about must come from an address a guest can have
 * (proxy_src_ok()): a spoofed source is dropped and counted before any
 * protocol sees it, so no host socket is ever opened for one.
 *
 * The flow table hashes (protocol, guest address and port, remote address
 * and port) into chains; the bucket count is a power of two at least as large
 * as the flow limit, so lookups stay O(1) at the limit. Every flow is also on
 * one list, for the flow table dump and for closing.
 *
 * Caps: each protocol has its own (limits.c sizes them from the open-files
 * limit), all together at most max_flows, so a flood of one protocol leaves
 * the others room. Each protocol's flows are also on a recency list that
 * unet__flow_touch() keeps in O(1); at the UDP cap the flow idle longest
 * makes room for a new one.
 *
 * Memory: at most max_flows flows; each flow's buffers are bounded by lwIP's
 * window and send buffer (TCP) or one datagram (UDP).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/ip.h"
#include "lwip/ip4.h"
#include "lwip/prot/iana.h"
#include "lwip/prot/ip.h"
#include "lwip/prot/udp.h"

#include "wire/config_copy.h"
#include "proxy_internal.h"

/* The size of struct unet_proxy_config in 0.1.0, its first release. */
#define PROXY_CONFIG_SIZE_V1 \
	UNET__CONFIG_SIZE_TO(struct unet_proxy_config, tcp_idle_timeout_ms)

/* Guest-triggered log messages: a burst of this many, then one a second. */
#define PROXY_LOG_BURST 10
/* At the UDP cap, a flow idle this long may be closed for a new one. */
#define PROXY_UDP_EVICT_IDLE_MS 1000
/* UDP flows looked through for a guest's own least recently used one. */
#define PROXY_UDP_EVICT_SCAN 64

static const char *const flow_state_names[] = {
	[UNET_FLOW_CONNECTING] = "connecting",
	[UNET_FLOW_ESTABLISHED] = "established",
	[UNET_FLOW_CLOSING] = "closing",
	[UNET_FLOW_ACTIVE] = "active",
};
_Static_assert(sizeof(flow_state_names) / sizeof(flow_state_names[0]) ==
		       UNET_FLOW_STATE_NUM,
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
}

static size_t flow_hash(const struct unet_proxy *proxy, int proto,
			uint32_t ga, uint16_t gp, uint32_t ra, uint16_t rp)
{
	uint64_t h = ((uint64_t)ga << 32 | ra) * 0x9e3779b97f4a7c15ull;

	h ^= ((uint64_t)gp << 24 | (uint64_t)rp << 8 | (uint8_t)proto) *
	     0xc2b2ae3d27d4eb4full;
	h ^= h >> 29;
	return (size_t)(h & (proxy->nbuckets - 1));
}

/**
 * unet__flow_find() - look a flow up by its guest-side key
 * @proxy: the proxy
 * @proto: IPPROTO_TCP, IPPROTO_UDP or IPPROTO_ICMP
 * @guest_addr: the guest's address (network order)
 * @guest_port: the guest's port or ICMP id (host order)
 * @remote_addr: the remote address the guest uses (network order)
 * @remote_port: the remote port (host order)
 *
 * Return: the flow, or NULL.
 */
struct proxy_flow *unet__flow_find(struct unet_proxy *proxy, int proto,
				   uint32_t guest_addr, uint16_t guest_port,
				   uint32_t remote_addr, uint16_t remote_port)
{
	struct proxy_flow *f;

	f = proxy->buckets[flow_hash(proxy, proto, guest_addr, guest_port,
				     remote_addr, remote_port)];
	for (; f != NULL; f = f->hnext)
		if (f->proto == proto && f->guest_addr == guest_addr &&
		    f->guest_port == guest_port &&
		    f->remote_addr == remote_addr &&
		    f->remote_port == remote_port)
			return f;
	return NULL;
}

/* Takes a flow out of its protocol's recency list. */
static void flow_lru_unlink(struct unet_proxy *proxy, struct proxy_flow *flow)
{
	enum proxy_proto pp = unet__proxy_proto(flow->proto);

	if (flow->lru_prev != NULL)
		flow->lru_prev->lru_next = flow->lru_next;
	else
		proxy->lru_head[pp] = flow->lru_next;
	if (flow->lru_next != NULL)
		flow->lru_next->lru_prev = flow->lru_prev;
	else
		proxy->lru_tail[pp] = flow->lru_prev;
	flow->lru_prev = flow->lru_next = NULL;
}

/* Puts a flow first in its protocol's recency list. */
static void flow_lru_push(struct unet_proxy *proxy, struct proxy_flow *flow)
{
	enum proxy_proto pp = unet__proxy_proto(flow->proto);

	flow->lru_prev = NULL;
	flow->lru_next = proxy->lru_head[pp];
	if (proxy->lru_head[pp] != NULL)
		proxy->lru_head[pp]->lru_prev = flow;
	else
		proxy->lru_tail[pp] = flow;
	proxy->lru_head[pp] = flow;
}

/*
 * At the UDP cap, makes room as conntrack does under pressure: the least
 * recently used UDP flow goes if it has been idle PROXY_UDP_EVICT_IDLE_MS
 * or more (counted, debug-logged). With @guest, at that guest's share of
 * the cap: its own least recently used UDP flow, looked for among the
 * PROXY_UDP_EVICT_SCAN used least recently. Return: whether a flow went.
 */
static bool flow_udp_evict(struct unet_proxy *proxy, const uint32_t *guest)
{
	struct proxy_flow *lru = proxy->lru_tail[PROXY_PROTO_UDP];
	uint64_t now = unet_hub_now_ns(proxy->hub);
	int scan = PROXY_UDP_EVICT_SCAN;

	while (guest != NULL && lru != NULL && lru->guest_addr != *guest &&
	       --scan > 0)
		lru = lru->lru_prev;
	if (lru == NULL || (guest != NULL && lru->guest_addr != *guest) ||
	    now - lru->last_ns < PROXY_UDP_EVICT_IDLE_MS * 1000000ull)
		return false;
	proxy->stats.udp_evicted++;
	unet__proxy_debug_guest(proxy, "udp flow cap (%u) reached: the flow "
				"idle longest (%llu ms) closed for a new one",
				proxy->cap[PROXY_PROTO_UDP],
				(unsigned long long)((now - lru->last_ns) /
						     1000000u));
	lru->ops->close(lru);
	return true;
}

/* Counts and logs a new flow refused at its protocol's cap (or max_flows). */
static int flow_refuse(struct unet_proxy *proxy, enum proxy_proto pp)
{
	uint64_t *refused[PROXY_PROTO_NUM] = {
		[PROXY_PROTO_TCP] = &proxy->stats.tcp_refused_limit,
		[PROXY_PROTO_UDP] = &proxy->stats.udp_refused_limit,
		[PROXY_PROTO_ICMP] = &proxy->stats.icmp_refused_limit,
	};

	(*refused[pp])++;
	proxy->stats.refused_limit++;
	unet__proxy_log_guest(proxy, "%s flow cap (%u; %llu flows in all) "
			      "reached: new flow refused",
			      unet__proxy_proto_name(pp), proxy->cap[pp],
			      (unsigned long long)proxy->stats.flows);
	return -ENOSPC;
}

/**
 * unet__flow_add() - enter a new flow in the table
 * @proxy: the proxy
 * @flow: the flow, its key, @flow->proto and @flow->hashed filled in
 *
 * Each protocol has its own cap (unet__proxy_size_caps()), and all of them
 * together at most max_flows. A new UDP flow at the cap may close the UDP
 * flow idle longest to make room.
 *
 * Return: 0, or -ENOSPC when the cap is reached (counted, logged).
 */
int unet__flow_add(struct unet_proxy *proxy, struct proxy_flow *flow)
{
	enum proxy_proto pp = unet__proxy_proto(flow->proto);
	size_t b;

	while (proxy->nflows[pp] >= proxy->cap[pp] ||
	       proxy->stats.flows >= proxy->cfg.max_flows) {
		if (pp != PROXY_PROTO_UDP || !flow_udp_evict(proxy, NULL))
			return flow_refuse(proxy, pp);
	}
	while (unet__proxy_guest_admit(proxy, flow->guest_addr, pp) < 0) {
		if (pp == PROXY_PROTO_UDP &&
		    flow_udp_evict(proxy, &flow->guest_addr))
			continue;
		proxy->stats.refused_guest_share++;
		proxy->stats.refused_limit++;
		proxy->stats.tcp_refused_limit += pp == PROXY_PROTO_TCP;
		proxy->stats.udp_refused_limit += pp == PROXY_PROTO_UDP;
		proxy->stats.icmp_refused_limit += pp == PROXY_PROTO_ICMP;
		unet__proxy_log_guest(proxy, "%s flows of one guest (%u, three quarters of the cap) reached: new flow refused",
				      unet__proxy_proto_name(pp),
				      unet__proxy_guest_cap(proxy, pp));
		return -ENOSPC;
	}
	if (flow->hashed) {
		b = flow_hash(proxy, flow->proto, flow->guest_addr,
			      flow->guest_port, flow->remote_addr,
			      flow->remote_port);
		flow->hnext = proxy->buckets[b];
		proxy->buckets[b] = flow;
	}
	flow->prev = NULL;
	flow->next = proxy->flows;
	if (proxy->flows != NULL)
		proxy->flows->prev = flow;
	proxy->flows = flow;
	proxy->stats.flows++;
	proxy->nflows[pp]++;
	flow->listed = true;
	flow_lru_push(proxy, flow);
	flow->last_ns = unet_hub_now_ns(proxy->hub);
	return 0;
}

/**
 * unet__flow_remove() - take a flow out of the table
 * @proxy: the proxy
 * @flow: a flow added before; removing twice is a bug
 */
void unet__flow_remove(struct unet_proxy *proxy, struct proxy_flow *flow)
{
	struct proxy_flow **pp;

	if (flow->hashed) {
		pp = &proxy->buckets[flow_hash(proxy, flow->proto,
					       flow->guest_addr,
					       flow->guest_port,
					       flow->remote_addr,
					       flow->remote_port)];
		for (; *pp != NULL; pp = &(*pp)->hnext) {
			if (*pp == flow) {
				*pp = flow->hnext;
				break;
			}
		}
		flow->hashed = false;
	}
	if (flow->prev != NULL)
		flow->prev->next = flow->next;
	else
		proxy->flows = flow->next;
	if (flow->next != NULL)
		flow->next->prev = flow->prev;
	flow->prev = flow->next = NULL;
	flow_lru_unlink(proxy, flow);
	flow->listed = false;
	proxy->stats.flows--;
	proxy->nflows[unet__proxy_proto(flow->proto)]--;
	unet__proxy_guest_release(proxy, flow->guest_addr,
				  unet__proxy_proto(flow->proto));
}

/**
 * unet__flow_touch() - note that a flow carried something now
 * @proxy: the proxy
 * @flow: the flow; while in the table, it becomes its protocol's most
 *        recently used (O(1): the UDP cap closes the least recently used)
 */
void unet__flow_touch(struct unet_proxy *proxy, struct proxy_flow *flow)
{
	flow->last_ns = unet_hub_now_ns(proxy->hub);
	if (flow->listed &&
	    proxy->lru_head[unet__proxy_proto(flow->proto)] != flow) {
		flow_lru_unlink(proxy, flow);
		flow_lru_push(proxy, flow);
	}
}

/**
 * unet__flow_idle_left() - how long an idle flow has left before it expires
 * @proxy: the proxy
 * @flow: the flow
 * @timeout_ms: how long a flow may stay idle
 *
 * Flow timers are armed once and re-armed from here when they fire, rather
 * than restarted on every packet.
 *
 * Return: 0 when the flow has carried nothing for @timeout_ms, else the
 * milliseconds left (rounded up, so a timer armed with it fires late, not
 * early).
 */
uint64_t unet__flow_idle_left(const struct unet_proxy *proxy,
			      const struct proxy_flow *flow,
			      unsigned int timeout_ms)
{
	uint64_t limit = (uint64_t)timeout_ms * 1000000u;
	uint64_t now = unet_hub_now_ns(proxy->hub);
	uint64_t idle = now > flow->last_ns ? now - flow->last_ns : 0;

	if (idle >= limit)
		return 0;
	return (limit - idle + 999999u) / 1000000u;
}

/**
 * unet__proxy_now_ms() - the library's clock in milliseconds
 * @proxy: the proxy
 *
 * Return: milliseconds on the hub's clock.
 */
uint64_t unet__proxy_now_ms(const struct unet_proxy *proxy)
{
	return unet_hub_now_ns(proxy->hub) / 1000000u;
}

/**
 * unet__proxy_map_out() - where a guest's destination is on the host side
 * @proxy: the proxy
 * @dst: the destination the guest used (network order)
 * @port: its port (host order)
 * @sa: receives the host-side address
 *
 * The gateway's address maps to 127.0.0.1 unless loopback is off; restrict
 * refuses everything; every other address is itself.
 *
 * Return: 0, or -EPERM when policy refuses it (counted).
 */
int unet__proxy_map_out(struct unet_proxy *proxy, uint32_t dst, uint16_t port,
			struct sockaddr_in *sa)
{
	const struct unet_stack_config *sc = unet__stack_config(proxy->stack);

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons(port);
	if (proxy->cfg.restrict_guest) {
		proxy->stats.refused_policy++;
		return -EPERM;
	}
	if (dst == sc->host.s_addr) {
		if (!proxy->cfg.loopback) {
			proxy->stats.refused_policy++;
			return -EPERM;
		}
		sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return 0;
	}
	sa->sin_addr.s_addr = dst;
	return 0;
}

/**
 * unet__proxy_map_in() - the address the guest sees for a host-side source
 * @proxy: the proxy
 * @src: the host-side source address (network order)
 *
 * Return: the gateway's address for the host's loopback (when loopback is
 * on), else @src itself.
 */
uint32_t unet__proxy_map_in(const struct unet_proxy *proxy, uint32_t src)
{
	if (proxy->cfg.loopback && (ntohl(src) >> 24) == 127)
		return unet__stack_config(proxy->stack)->host.s_addr;
	return src;
}

/**
 * unet__proxy_output() - send a transport segment to the guest
 * @proxy: the proxy
 * @p: the transport header and data at @p->payload, with room for the IP
 *     and link headers in front (PBUF_IP); not freed here
 * @src: the source address the guest sees (network order)
 * @dst: the guest's address (network order)
 * @proto: the IP protocol
 *
 * lwIP adds the IP header, fragments to the hub's MTU and resolves the
 * guest's MAC (queueing behind ARP when needed).
 *
 * Return: lwIP's error code.
 */
err_t unet__proxy_output(struct unet_proxy *proxy, struct pbuf *p,
			 uint32_t src, uint32_t dst, uint8_t proto)
{
	ip4_addr_t s, d;

	ip4_addr_set_u32(&s, src);
	ip4_addr_set_u32(&d, dst);
	return ip4_output_if_src(p, &s, &d, IP_DEFAULT_TTL, 0, proto,
				 unet__stack_netif(proxy->stack));
}

/**
 * unet__proxy_ref() - a host handle of the proxy was opened
 * @proxy: the proxy
 */
void unet__proxy_ref(struct unet_proxy *proxy)
{
	proxy->refs++;
}

/**
 * unet__proxy_unref() - a host handle of the proxy finished closing
 * @proxy: the proxy; freed here when closing and this was the last handle
 */
void unet__proxy_unref(struct unet_proxy *proxy)
{
	if (--proxy->refs == 0 && proxy->closing) {
		free(proxy->buckets);
		free(proxy->listeners);
		free(proxy->rbuf);
		free(proxy);
	}
}

/*
 * Logs at @level what a guest caused: a burst of PROXY_LOG_BURST messages,
 * then one a second, for all levels together, so that a guest cannot
 * flood the log.
 */
static void proxy_vlog_guest(struct unet_proxy *proxy,
			     enum unet_log_level level, const char *fmt,
			     va_list ap)
{
	uint64_t now = unet_hub_now_ns(proxy->hub);
	char msg[256];

	if (now - proxy->log_refill_ns >= 1000000000u) {
		proxy->log_refill_ns = now;
		if (proxy->log_tokens < PROXY_LOG_BURST)
			proxy->log_tokens++;
	}
	if (proxy->log_tokens == 0)
		return;
	proxy->log_tokens--;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	unet_hub_log(proxy->hub, level, "proxy: %s", msg);
}

/**
 * unet__proxy_log_guest() - log something a guest caused, rate-limited
 * @proxy: the proxy
 * @fmt: printf format
 *
 * At info level; a burst of PROXY_LOG_BURST messages, then one a second:
 * a guest cannot flood the log.
 */
void unet__proxy_log_guest(struct unet_proxy *proxy, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	proxy_vlog_guest(proxy, UNET_LOG_INFO, fmt, ap);
	va_end(ap);
}

/**
 * unet__proxy_debug_guest() - log a guest's doing at debug level, rate-limited
 * @proxy: the proxy
 * @fmt: printf format
 *
 * For what a guest does routinely or on purpose (spoofed sources, floods
 * against a cap): the same rate limit as unet__proxy_log_guest().
 */
void unet__proxy_debug_guest(struct unet_proxy *proxy, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	proxy_vlog_guest(proxy, UNET_LOG_DEBUG, fmt, ap);
	va_end(ap);
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
			 const struct unet_ip4_pkt *pkt)
{
	const struct unet_stack_config *sc = unet__stack_config(proxy->stack);
	char a[INET_ADDRSTRLEN];
	struct in_addr src = { .s_addr = pkt->src };
	struct udp_hdr uh;

	if (unet__stack_is_guest_addr(proxy->stack, pkt->src))
		return true;
	if (pkt->src == 0 && pkt->proto == IP_PROTO_UDP &&
	    pkt->dst == sc->host.s_addr && pkt->l4 != NULL &&
	    pkt->l4_len >= sizeof(uh)) {
		memcpy(&uh, pkt->l4, sizeof(uh));
		if (lwip_ntohs(uh.dest) == LWIP_IANA_PORT_DHCP_SERVER)
			return true;
	}
	proxy->stats.refused_spoofed++;
	if (inet_ntop(AF_INET, &src, a, sizeof(a)) == NULL)
		snprintf(a, sizeof(a), "?");
	unet__proxy_debug_guest(proxy, "a packet (protocol %u) from %s, "
				"which no guest can have: dropped",
				pkt->proto, a);
	return false;
}

static enum unet_verdict proxy_ip4(void *opaque, struct pbuf *p,
				   const struct unet_ip4_pkt *pkt)
{
	struct unet_proxy *proxy = opaque;

	if (!proxy_src_ok(proxy, pkt))
		return UNET_VERDICT_DROP;
	switch (pkt->proto) {
	case IP_PROTO_TCP:
		return unet__tcp_ip4(proxy, p, pkt);
	case IP_PROTO_UDP:
	case IP_PROTO_ICMP:
		/* lwIP checks and reassembles; the raw pcbs take them. */
		return UNET_VERDICT_ACCEPT;
	default:
		proxy->stats.dropped++;
		return UNET_VERDICT_DROP;
	}
}

static u8_t proxy_raw_udp(void *arg, struct raw_pcb *pcb, struct pbuf *p,
			  const ip_addr_t *addr)
{
	return unet__udp_raw_input(arg, p);
}

static u8_t proxy_raw_icmp(void *arg, struct raw_pcb *pcb, struct pbuf *p,
			   const ip_addr_t *addr)
{
	return unet__icmp_raw_input(arg, p);
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
 * are not zero, -EBUSY when the stack has a proxy already, -ENOMEM.
 */
int unet_proxy_new(struct unet_stack *stack,
		   const struct unet_proxy_config *config,
		   struct unet_proxy **proxyp)
{
	struct unet_proxy_config cfg;
	struct unet_proxy *proxy;
	size_t n = 1;
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
	    cfg.max_icmp_flows > (1u << 24) ||
	    cfg.udp_timeout_ms == 0 || cfg.icmp_timeout_ms == 0 ||
	    cfg.tcp_connect_timeout_ms == 0)
		return -EINVAL;
	proxy = calloc(1, sizeof(*proxy));
	if (proxy == NULL)
		return -ENOMEM;
	/* One proxy per stack: claim the stack's packets first. */
	r = unet__stack_set_ip4_cb(stack, proxy_ip4, proxy);
	if (r < 0) {
		free(proxy);
		return r;
	}
	while (n < cfg.max_flows)
		n <<= 1;
	proxy->nbuckets = n;
	proxy->buckets = calloc(n, sizeof(*proxy->buckets));
	proxy->listeners = calloc(65536, sizeof(*proxy->listeners));
	proxy->rbuf = malloc(PROXY_RBUF);
	proxy->raw_udp = raw_new(IP_PROTO_UDP);
	proxy->raw_icmp = raw_new(IP_PROTO_ICMP);
	if (proxy->buckets == NULL || proxy->listeners == NULL ||
	    proxy->rbuf == NULL || proxy->raw_udp == NULL ||
	    proxy->raw_icmp == NULL) {
		if (proxy->raw_udp != NULL)
			raw_remove(proxy->raw_udp);
		if (proxy->raw_icmp != NULL)
			raw_remove(proxy->raw_icmp);
		unet__stack_set_ip4_cb(stack, NULL, NULL);
		free(proxy->buckets);
		free(proxy->listeners);
		free(proxy->rbuf);
		free(proxy);
		return -ENOMEM;
	}
	proxy->stack = stack;
	proxy->hub = unet__stack_hub(stack);
	proxy->loop = unet_hub_loop(proxy->hub);
	memcpy(&proxy->cfg, &cfg, sizeof(proxy->cfg));
	proxy->cfg.size = sizeof(proxy->cfg);
	proxy->log_tokens = PROXY_LOG_BURST;
	unet__proxy_size_caps(proxy);
	raw_bind(proxy->raw_udp, IP4_ADDR_ANY);
	raw_bind(proxy->raw_icmp, IP4_ADDR_ANY);
	raw_recv(proxy->raw_udp, proxy_raw_udp, proxy);
	raw_recv(proxy->raw_icmp, proxy_raw_icmp, proxy);
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
	unet__stack_set_ip4_cb(proxy->stack, NULL, NULL);
	unet__stack_set_restrict(proxy->stack, false);
	raw_remove(proxy->raw_udp);
	raw_remove(proxy->raw_icmp);
	unet__fwd_close_all(proxy);
	while (proxy->flows != NULL)
		proxy->flows->ops->close(proxy->flows);
	unet__tcp_close_listeners(proxy);
	/* Take the count's own reference away: frees now if nothing is open. */
	proxy->refs++;
	unet__proxy_unref(proxy);
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
		info.guest_addr.s_addr = f->guest_addr;
		info.guest_port = f->guest_port;
		info.remote_addr.s_addr = f->remote_addr;
		info.remote_port = f->remote_port;
		info.bytes_out = f->bytes_out;
		info.bytes_in = f->bytes_in;
		info.idle_ms = (now - f->last_ns) / 1000000u;
		cb(opaque, &info);
		n++;
	}
	return n;
}

/**
 * unet_proxy_stats() - read a proxy's counters
 * @proxy: the proxy
 * @stats: receives the counters
 */
void unet_proxy_stats(const struct unet_proxy *proxy,
		      struct unet_proxy_stats *stats)
{
	memcpy(stats, &proxy->stats, sizeof(*stats));
	stats->tcp_flows = proxy->nflows[PROXY_PROTO_TCP];
	stats->udp_flows = proxy->nflows[PROXY_PROTO_UDP];
	stats->icmp_flows = proxy->nflows[PROXY_PROTO_ICMP];
	stats->tcp_cap = proxy->cap[PROXY_PROTO_TCP];
	stats->udp_cap = proxy->cap[PROXY_PROTO_UDP];
	stats->icmp_cap = proxy->cap[PROXY_PROTO_ICMP];
}
