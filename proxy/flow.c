/* SPDX-License-Identifier: MIT */
/*
 * The flow table and the flow base every kind of flow embeds.
 *
 * Theory of operation: TCP, UDP, ICMP echo and forwarded UDP flows each
 * embed a struct proxy_flow, which holds what they share: the key and
 * counters the table shows, the proxy, one timer, the count of uv handles
 * still open and whether the flow is closing. This file sits beneath the
 * protocol files (tcp.c, udp.c, icmp.c, fwd.c), which call it and are never
 * called back but through a flow's ops; proxy.c, above them all, dispatches
 * the stack's packets to them.
 *
 * The table hashes (protocol, guest address and port, remote address and
 * port) into chains; the bucket count is a power of two at least as large
 * as the flow limit, so lookups stay O(1) at the limit. Every flow is also on
 * one list, for the flow table dump and for closing, and on its protocol's
 * recency list, which unet__flow_touch() keeps in O(1).
 *
 * Caps: each protocol has its own (limits.c sizes them), all together at
 * most max_flows, and one guest address at most three quarters of each; at
 * the UDP cap the flow idle longest makes room for a new one.
 *
 * Life cycle, shared: a flow's handles are opened with unet__flow_hold()
 * (its timer with unet__flow_timer_init()), each holding the proxy too.
 * Closing begins with unet__flow_close_begin() (the flow leaves the table
 * and its timer closes; the kind closes its other handles) and ends in
 * unet__flow_handle_closed(), which frees the flow through its ops when the
 * last handle is closed, and the proxy when that was the proxy's last
 * handle after unet_proxy_close(). A UDP or ICMP flow idle for its
 * protocol's timeout expires (unet__flow_idle_start()); its timer is armed
 * once and, when it fires, re-armed for what remains, rather than restarted
 * on every packet.
 *
 * Also here, as every flow needs them: where a guest's destination is on the
 * host side (policy: restrict, loopback), the local address every host
 * socket binds to (the outbound address, checked once at start by a test
 * bind so that a bad one is an error there, not a failure per flow),
 * which address the guest sees for
 * a host-side source, and the way a segment goes out to the guest, over
 * IPv4 or IPv6 (and an ICMPv6 error built for lwIP, which builds one only
 * from inside its input). A flow's key is of one family, the guest side's;
 * IPv4 keys compare and hash their one 32-bit word as they always did.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lwip/ip.h"
#include "lwip/ip4.h"
#include "lwip/ip6.h"

#include "proxy_internal.h"
#include "wire/addr.h"
#include "wire/checksum.h"

/* At the UDP cap, a flow idle this long may be closed for a new one. */
#define FLOW_UDP_EVICT_IDLE_MS 1000
/* UDP flows looked through for a guest's own least recently used one. */
#define FLOW_UDP_EVICT_SCAN 64

/**
 * unet__flow_table_init() - make a new proxy's flow table
 * @proxy: the proxy, its configuration in place
 *
 * Return: 0 or -ENOMEM.
 */
int unet__flow_table_init(struct unet_proxy *proxy)
{
	size_t n = 1;

	while (n < proxy->cfg.max_flows)
		n <<= 1;
	proxy->nbuckets = n;
	proxy->buckets = calloc(n, sizeof(*proxy->buckets));
	return proxy->buckets != NULL ? 0 : -ENOMEM;
}

/**
 * unet__flow_table_free() - free a flow table with no flow left in it
 * @proxy: the proxy
 */
void unet__flow_table_free(struct unet_proxy *proxy)
{
	free(proxy->buckets);
	proxy->buckets = NULL;
	proxy->nbuckets = 0;
}

/*
 * The bucket of a key. An IPv6 address is folded to 32 bits first, and the
 * family goes in with the protocol: the IPv4 hash is what it was.
 */
static size_t flow_hash(const struct unet_proxy *proxy, int proto,
			sa_family_t family, const union unet_ip_addr *ga,
			uint16_t gp, const union unet_ip_addr *ra, uint16_t rp)
{
	uint64_t h = ((uint64_t)proxy_addr_fold(family, ga) << 32 |
		      proxy_addr_fold(family, ra)) *
		     0x9e3779b97f4a7c15ull;
	uint8_t kind = (uint8_t)proto ^ (family == AF_INET6 ? 0x80 : 0);

	h ^= ((uint64_t)gp << 24 | (uint64_t)rp << 8 | kind) *
	     0xc2b2ae3d27d4eb4full;
	h ^= h >> 29;
	return (size_t)(h & (proxy->nbuckets - 1));
}

/* The bucket of a flow's own key. */
static size_t flow_hash_of(const struct proxy_flow *flow)
{
	return flow_hash(flow->proxy, flow->proto, flow->family,
			 &flow->guest_addr, flow->guest_port,
			 &flow->remote_addr, flow->remote_port);
}

/**
 * unet__flow_find() - look a flow up by its guest-side key
 * @proxy: the proxy
 * @proto: IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP or IPPROTO_ICMPV6
 * @family: AF_INET or AF_INET6, the family of both addresses
 * @guest_addr: the guest's address
 * @guest_port: the guest's port or ICMP id (host order)
 * @remote_addr: the remote address the guest uses
 * @remote_port: the remote port (host order)
 *
 * Return: the flow, or NULL.
 */
struct proxy_flow *
unet__flow_find(struct unet_proxy *proxy, int proto, sa_family_t family,
		const union unet_ip_addr *guest_addr, uint16_t guest_port,
		const union unet_ip_addr *remote_addr, uint16_t remote_port)
{
	struct proxy_flow *f;

	f = proxy->buckets[flow_hash(proxy, proto, family, guest_addr,
				     guest_port, remote_addr, remote_port)];
	for (; f != NULL; f = f->hnext)
		if (f->proto == proto && f->family == family &&
		    f->guest_port == guest_port &&
		    f->remote_port == remote_port &&
		    proxy_addr_eq(family, &f->guest_addr, guest_addr) &&
		    proxy_addr_eq(family, &f->remote_addr, remote_addr))
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
 * recently used UDP flow goes if it has been idle FLOW_UDP_EVICT_IDLE_MS
 * or more (counted, debug-logged). With @guest (a flow of the guest), at
 * that guest's share of the cap: its own least recently used UDP flow,
 * looked for among the
 * FLOW_UDP_EVICT_SCAN used least recently. Return: whether a flow went.
 */
static bool flow_same_guest(const struct proxy_flow *a,
			    const struct proxy_flow *b)
{
	return a->family == b->family &&
	       proxy_addr_eq(a->family, &a->guest_addr, &b->guest_addr);
}

static bool flow_udp_evict(struct unet_proxy *proxy,
			   const struct proxy_flow *guest)
{
	struct proxy_flow *lru = proxy->lru_tail[PROXY_PROTO_UDP];
	uint64_t now = unet_hub_now_ns(proxy->hub);
	int scan = FLOW_UDP_EVICT_SCAN;

	while (guest != NULL && lru != NULL && !flow_same_guest(lru, guest) &&
	       --scan > 0)
		lru = lru->lru_prev;
	if (lru == NULL || (guest != NULL && !flow_same_guest(lru, guest)) ||
	    now - lru->last_ns < FLOW_UDP_EVICT_IDLE_MS * 1000000ull)
		return false;
	proxy->stats.udp_evicted++;
	PROXY_DEBUG_GUEST(
		proxy,
		"udp flow cap (%u) reached: the flow idle "
		"longest (%llu ms) closed for a new one",
		proxy->cap[PROXY_PROTO_UDP],
		(unsigned long long)((now - lru->last_ns) / 1000000u));
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
	PROXY_LOG_GUEST(proxy,
			"%s flow cap (%u; %llu flows in all) reached: "
			"new flow refused",
			unet__proxy_proto_name(pp), proxy->cap[pp],
			(unsigned long long)proxy->stats.flows);
	return -ENOSPC;
}

/**
 * unet__flow_add() - enter a new flow in the table
 * @flow: the flow, its proxy, key (family, addresses, ports),
 *        @flow->proto and @flow->hashed filled in
 *
 * Each protocol has its own cap (unet__proxy_size_caps()), and all of them
 * together at most max_flows. A new UDP flow at the cap may close the UDP
 * flow idle longest to make room.
 *
 * Return: 0, or -ENOSPC when the cap is reached (counted, logged).
 */
int unet__flow_add(struct proxy_flow *flow)
{
	struct unet_proxy *proxy = flow->proxy;
	enum proxy_proto pp = unet__proxy_proto(flow->proto);
	size_t b;

	while (proxy->nflows[pp] >= proxy->cap[pp] ||
	       proxy->stats.flows >= proxy->cfg.max_flows) {
		if (pp != PROXY_PROTO_UDP || !flow_udp_evict(proxy, NULL))
			return flow_refuse(proxy, pp);
	}
	while (unet__proxy_guest_admit(proxy, flow->family, &flow->guest_addr,
				       pp) < 0) {
		if (pp == PROXY_PROTO_UDP && flow_udp_evict(proxy, flow))
			continue;
		proxy->stats.refused_guest_share++;
		proxy->stats.refused_limit++;
		proxy->stats.tcp_refused_limit += pp == PROXY_PROTO_TCP;
		proxy->stats.udp_refused_limit += pp == PROXY_PROTO_UDP;
		proxy->stats.icmp_refused_limit += pp == PROXY_PROTO_ICMP;
		PROXY_LOG_GUEST(
			proxy,
			"%s flows of one guest (%u, three quarters of the cap) reached: new flow refused",
			unet__proxy_proto_name(pp),
			unet__proxy_guest_cap(proxy, pp));
		return -ENOSPC;
	}
	if (flow->hashed) {
		b = flow_hash_of(flow);
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
	flow->created_ns = flow->last_ns;
	flow->decided = !flow->inbound;
	return 0;
}

/**
 * unet__flow_remove() - take a flow out of the table
 * @flow: a flow added before; removing twice is a bug
 */
void unet__flow_remove(struct proxy_flow *flow)
{
	struct unet_proxy *proxy = flow->proxy;
	struct proxy_flow **pp;

	if (flow->hashed) {
		pp = &proxy->buckets[flow_hash_of(flow)];
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
	unet__proxy_guest_release(proxy, flow->family, &flow->guest_addr,
				  unet__proxy_proto(flow->proto));
}

/**
 * unet__flow_touch() - note that a flow carried something now
 * @flow: the flow; while in the table, it becomes its protocol's most
 *        recently used (O(1): the UDP cap closes the least recently used)
 */
void unet__flow_touch(struct proxy_flow *flow)
{
	struct unet_proxy *proxy = flow->proxy;

	flow->last_ns = unet_hub_now_ns(proxy->hub);
	if (flow->listed &&
	    proxy->lru_head[unet__proxy_proto(flow->proto)] != flow) {
		flow_lru_unlink(proxy, flow);
		flow_lru_push(proxy, flow);
	}
}

/**
 * unet__flow_close_all() - close every flow in the table
 * @proxy: the proxy, closing
 *
 * Each flow leaves the table at once; its memory goes once its handles are
 * closed.
 */
void unet__flow_close_all(struct unet_proxy *proxy)
{
	while (proxy->flows != NULL)
		proxy->flows->ops->close(proxy->flows);
}

/**
 * unet__flow_recheck() - close the guest's open flows a new policy denies
 * @proxy: the proxy
 * @denied: asked of every open flow the guest started (not a forward's,
 *          not one closing, not one that has sent nothing out yet), with
 *          its egress_dst; true closes it
 *
 * Each flow @denied says so of closes through its ops' cut (or close) and
 * is counted in cut_by_policy. A closing flow leaves the list at once, so
 * the walk keeps the next one first.
 *
 * Return: how many flows were closed.
 */
unsigned int unet__flow_recheck(struct unet_proxy *proxy,
				bool (*denied)(struct unet_proxy *proxy,
					       const struct proxy_flow *flow))
{
	struct proxy_flow *f, *next;
	unsigned int n = 0;

	for (f = proxy->flows; f != NULL; f = next) {
		next = f->next;
		if (f->inbound || f->closing ||
		    f->egress_dst.sa.sa_family == AF_UNSPEC ||
		    !denied(proxy, f))
			continue;
		if (f->ops->cut != NULL)
			f->ops->cut(f);
		else
			f->ops->close(f);
		proxy->stats.cut_by_policy++;
		n++;
	}
	return n;
}

/* ---- the flow base's life cycle ----------------------------------------- */

/**
 * unet__flow_init() - start a new flow's base
 * @flow: the flow, zeroed
 * @proxy: the proxy
 * @ops: the kind of flow
 * @proto: IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP or IPPROTO_ICMPV6
 *
 * The flow's family is AF_INET until its key says otherwise.
 */
void unet__flow_init(struct proxy_flow *flow, struct unet_proxy *proxy,
		     const struct proxy_flow_ops *ops, int proto)
{
	flow->proxy = proxy;
	flow->ops = ops;
	flow->proto = proto;
	flow->family = AF_INET;
}

/**
 * unet__flow_hold() - count a uv handle the flow just initialised
 * @flow: the flow
 * @handle: the handle; its data becomes @flow, and it is to be closed with
 *          unet__flow_handle_closed() as its close callback
 *
 * The flow is freed once every handle it holds is closed; each holds the
 * proxy too.
 */
void unet__flow_hold(struct proxy_flow *flow, uv_handle_t *handle)
{
	handle->data = flow;
	flow->handles++;
	unet__flow_proxy_ref(flow->proxy);
}

/**
 * unet__flow_timer_init() - initialise the flow's timer, as a handle it holds
 * @flow: the flow
 */
void unet__flow_timer_init(struct proxy_flow *flow)
{
	unet_timer_init(flow->proxy->hub, &flow->timer);
	unet__flow_hold(flow, (uv_handle_t *)&flow->timer.uv);
}

/**
 * unet__flow_handle_closed() - the close callback of every flow handle
 * @handle: a handle held with unet__flow_hold()
 *
 * Frees the flow (its ops' free) after its last handle, then lets the
 * proxy go (which may free it).
 */
void unet__flow_handle_closed(uv_handle_t *handle)
{
	struct proxy_flow *flow = handle->data;
	struct unet_proxy *proxy = flow->proxy;

	if (--flow->handles == 0)
		flow->ops->free(flow);
	/* Last: it may free the proxy. */
	unet__flow_proxy_unref(proxy);
}

/**
 * unet__flow_close_begin() - the first step of closing any flow
 * @flow: the flow
 *
 * An outbound flow's end goes to the audit log; the flow leaves the table
 * (if it is in it) and its timer starts closing; the caller then closes
 * its other handles.
 *
 * Return: false when the flow was closing already (nothing is done).
 */
bool unet__flow_close_begin(struct proxy_flow *flow)
{
	if (flow->closing)
		return false;
	flow->closing = true;
	if (flow->decided)
		unet__audit_end(flow);
	if (flow->listed)
		unet__flow_remove(flow);
	unet_timer_close(&flow->timer, unet__flow_handle_closed);
	return true;
}

/**
 * unet__flow_idle_left() - how long an idle flow has left before it expires
 * @flow: the flow
 * @timeout_ms: how long a flow may stay idle
 *
 * Return: 0 when the flow has carried nothing for @timeout_ms, else the
 * milliseconds left (rounded up, so a timer armed with it fires late, not
 * early).
 */
uint64_t unet__flow_idle_left(const struct proxy_flow *flow,
			      unsigned int timeout_ms)
{
	uint64_t limit = (uint64_t)timeout_ms * 1000000u;
	uint64_t now = unet_hub_now_ns(flow->proxy->hub);
	uint64_t idle = now > flow->last_ns ? now - flow->last_ns : 0;

	if (idle >= limit)
		return 0;
	return (limit - idle + 999999u) / 1000000u;
}

/* The idle timeout of a UDP (or forwarded UDP) or ICMP flow. */
static unsigned int flow_idle_timeout(const struct proxy_flow *flow)
{
	const struct unet_proxy_config *cfg = &flow->proxy->cfg;

	return flow->proto == IPPROTO_ICMP || flow->proto == IPPROTO_ICMPV6 ?
		       cfg->icmp_timeout_ms :
		       cfg->udp_timeout_ms;
}

static void flow_idle_cb(struct unet_timer *timer)
{
	struct proxy_flow *flow = container_of(timer, struct proxy_flow, timer);
	struct unet_proxy *proxy = flow->proxy;
	uint64_t left = unet__flow_idle_left(flow, flow_idle_timeout(flow));

	if (left > 0) {
		/* Traffic since the timer was armed: wait for what remains. */
		unet_timer_start(timer, flow_idle_cb, left);
		return;
	}
	if (flow->proto == IPPROTO_ICMP || flow->proto == IPPROTO_ICMPV6)
		proxy->stats.icmp_expired++;
	else
		proxy->stats.udp_expired++;
	flow->ops->close(flow);
}

/**
 * unet__flow_idle_start() - arm a UDP or ICMP flow's idle expiry
 * @flow: the flow, its timer initialised
 *
 * The flow closes (counted as expired) once it has carried nothing either
 * way for its protocol's timeout (udp_timeout_ms, icmp_timeout_ms).
 */
void unet__flow_idle_start(struct proxy_flow *flow)
{
	unet_timer_start(&flow->timer, flow_idle_cb, flow_idle_timeout(flow));
}

/* ---- the proxy's handles, addresses and output -------------------------- */

/**
 * unet__flow_proxy_ref() - a host handle of the proxy was opened
 * @proxy: the proxy
 */
void unet__flow_proxy_ref(struct unet_proxy *proxy)
{
	proxy->refs++;
}

/**
 * unet__flow_proxy_unref() - a host handle of the proxy finished closing
 * @proxy: the proxy; its memory is freed here when it is closing and this
 *         was the last handle (unet_proxy_close() freed the rest)
 */
void unet__flow_proxy_unref(struct unet_proxy *proxy)
{
	if (--proxy->refs == 0 && proxy->closing)
		free(proxy);
}

/**
 * unet__flow_map_out() - where a guest's destination is on the host side
 * @proxy: the proxy
 * @pkt: the guest's packet that starts (or continues) the flow: its
 *       family, protocol, addresses and ports (a TCP SYN, a UDP datagram,
 *       an echo request)
 * @sa: receives the host-side address, of @pkt's family
 *
 * The gateway's address maps to 127.0.0.1, and its IPv6 address (ip6_host)
 * to ::1, unless loopback is off; restrict refuses everything; every other
 * address is itself. The egress policy then decides on the host-side
 * address (so the host's loopback is 127.0.0.1 or ::1 to its rules).
 *
 * Return: 0, -EPERM when restrict or loopback=off refuses it, -EACCES
 * when the egress policy does (both counted in refused_policy).
 */
int unet__flow_map_out(struct unet_proxy *proxy, const struct unet_ip_pkt *pkt,
		       union unet_sockaddr *sa)
{
	const union unet_ip_addr *dst = &pkt->dst;
	sa_family_t family = pkt->family;
	uint16_t port = pkt->dport;
	const struct unet_stack_config *sc = unet__stack_config(proxy->stack);
	bool host;

	memset(sa, 0, sizeof(*sa));
	if (family == AF_INET) {
		sa->in.sin_family = AF_INET;
		sa->in.sin_port = htons(port);
		sa->in.sin_addr.s_addr = dst->v4;
		host = dst->v4 == sc->host.s_addr;
	} else {
		sa->in6.sin6_family = AF_INET6;
		sa->in6.sin6_port = htons(port);
		memcpy(&sa->in6.sin6_addr, dst->v6, sizeof(dst->v6));
		host = unet__stack_is_host6(proxy->stack, dst->v6);
	}
	if (proxy->cfg.restrict_guest || (host && !proxy->cfg.loopback)) {
		proxy->stats.refused_policy++;
		return -EPERM;
	}
	if (host && family == AF_INET)
		sa->in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else if (host)
		sa->in6.sin6_addr = in6addr_loopback;
	if (!unet__egress_decide(proxy, pkt->proto, sa, &pkt->src,
				 pkt->sport)) {
		proxy->stats.refused_policy++;
		return -EACCES;
	}
	return 0;
}

/**
 * unet__flow_out_addr() - the local address a proxied host socket binds to
 * @proxy: the proxy
 * @family: the socket's family, AF_INET or AF_INET6
 * @sa: receives the address, port 0: the configured outbound address of
 *      @family, or the family's any address when there is none
 *
 * Return: true when an outbound address is configured for @family.
 */
bool unet__flow_out_addr(const struct unet_proxy *proxy, sa_family_t family,
			 union unet_sockaddr *sa)
{
	memset(sa, 0, sizeof(*sa));
	if (family == AF_INET6) {
		sa->in6.sin6_family = AF_INET6;
		sa->in6.sin6_addr = proxy->cfg.outbound6;
		return !IN6_IS_ADDR_UNSPECIFIED(&sa->in6.sin6_addr);
	}
	sa->in.sin_family = AF_INET;
	sa->in.sin_addr = proxy->cfg.outbound;
	return sa->in.sin_addr.s_addr != INADDR_ANY;
}

/**
 * unet__flow_bind_out() - bind a new host socket to the outbound address
 * @proxy: the proxy
 * @fd: the socket, not bound yet (TCP, UDP or ICMP echo)
 * @family: its family
 *
 * Nothing is done when no outbound address is configured for @family. A
 * TCP socket keeps its port open until connect (IP_BIND_ADDRESS_NO_PORT),
 * so the ephemeral ports are shared by destination as without a bind.
 *
 * Return: 0, or the bind's negative errno.
 */
int unet__flow_bind_out(const struct unet_proxy *proxy, int fd,
			sa_family_t family)
{
	union unet_sockaddr sa;
	int one = 1;

	if (!unet__flow_out_addr(proxy, family, &sa))
		return 0;
	/* Best effort: kernels before 4.2 bind the port now, which works. */
	(void)setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
			 sizeof(one));
	if (bind(fd, &sa.sa,
		 family == AF_INET6 ? sizeof(sa.in6) : sizeof(sa.in)) < 0)
		return -errno;
	return 0;
}

/**
 * unet__flow_socket() - a new host socket for a flow, bound to the outbound
 * address
 * @proxy: the proxy
 * @family: AF_INET or AF_INET6
 * @type: SOCK_STREAM or SOCK_DGRAM (non-blocking and close-on-exec are
 *        added)
 * @protocol: 0, or IPPROTO_ICMP / IPPROTO_ICMPV6 for a ping socket
 *
 * Return: the socket, or a negative errno: socket()'s, or the bind's
 * (unet__flow_bind_out()).
 */
int unet__flow_socket(const struct unet_proxy *proxy, sa_family_t family,
		      int type, int protocol)
{
	int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
	int r;

	if (fd < 0)
		return -errno;
	r = unet__flow_bind_out(proxy, fd, family);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

/**
 * unet__flow_check_out() - check at start that the outbound addresses bind
 * @proxy: the proxy, its configuration in place
 *
 * Binds a throw-away UDP socket to each configured outbound address, so
 * that an address the host does not have is one clear error at start
 * (logged with the address) rather than a failure of every flow.
 *
 * Return: 0, or the first failure's negative errno (e.g. -EADDRNOTAVAIL).
 */
int unet__flow_check_out(struct unet_proxy *proxy)
{
	static const sa_family_t families[] = { AF_INET, AF_INET6 };
	char a[INET6_ADDRSTRLEN];
	union unet_sockaddr sa;
	size_t i;
	int fd, r;

	for (i = 0; i < UNET__ARRAY_SIZE(families); i++) {
		if (!unet__flow_out_addr(proxy, families[i], &sa))
			continue;
		fd = unet__flow_socket(proxy, families[i], SOCK_DGRAM, 0);
		r = fd < 0 ? fd : 0;
		if (fd >= 0)
			close(fd);
		if (r < 0) {
			unet_hub_log(
				proxy->hub, UNET_LOG_ERROR,
				"proxy: outbound address %s: cannot bind: %s",
				inet_ntop(families[i],
					  families[i] == AF_INET6 ?
						  (void *)&sa.in6.sin6_addr :
						  (void *)&sa.in.sin_addr,
					  a, sizeof(a)),
				strerror(-r));
			return r;
		}
	}
	return 0;
}

/**
 * unet__flow_fwd_src() - where a forwarded flow comes from, as the guest
 * sees it
 * @proxy: the proxy
 * @peer: the forward's client (AF_INET or AF_INET6), or NULL for none
 * @family: the family of the forward's guest side
 * @src: receives the address lwIP's side binds to
 * @remote: receives the same address as the flow keeps it
 * @port: receives the port to bind (host order): the client's, or 0 for
 *        one lwIP picks
 *
 * With keepsrc, the client's own address and port, when the guest can
 * answer it through the gateway: of @family and foreign to the virtual
 * network (unet__stack_is_foreign_ip(): not loopback, link-local,
 * multicast or inside the network). Otherwise, and without keepsrc, the
 * gateway's address of @family (host, or ip6_host) and port 0.
 *
 * Return: true when the client's source is kept.
 */
bool unet__flow_fwd_src(const struct unet_proxy *proxy,
			const union unet_sockaddr *peer, sa_family_t family,
			ip_addr_t *src, union unet_ip_addr *remote,
			uint16_t *port)
{
	const struct unet_stack_config *sc = unet__stack_config(proxy->stack);
	bool keep = false;

	memset(remote, 0, sizeof(*remote));
	*port = 0;
	if (proxy->cfg.keepsrc && peer != NULL &&
	    peer->sa.sa_family == family) {
		if (family == AF_INET6)
			memcpy(remote->v6, &peer->in6.sin6_addr, 16);
		else
			remote->v4 = peer->in.sin_addr.s_addr;
		keep = unet__stack_is_foreign_ip(proxy->stack, family, remote);
	}
	if (keep)
		*port = ntohs(family == AF_INET6 ? peer->in6.sin6_port :
						   peer->in.sin_port);
	else if (family == AF_INET6)
		memcpy(remote->v6, &sc->ip6_host, 16);
	else
		remote->v4 = sc->host.s_addr;
	if (family == AF_INET6) {
		ip_addr_set_zero_ip6(src);
		memcpy(ip_2_ip6(src)->addr, remote->v6, 16);
	} else {
		ip_addr_set_ip4_u32_val(*src, remote->v4);
	}
	return keep;
}

/**
 * unet__flow_map_in() - the address the guest sees for a host-side source
 * @proxy: the proxy
 * @src: the host-side source address (network order)
 *
 * Return: the gateway's address for the host's loopback (when loopback is
 * on), else @src itself.
 */
uint32_t unet__flow_map_in(const struct unet_proxy *proxy, uint32_t src)
{
	if (proxy->cfg.loopback && (ntohl(src) >> 24) == 127)
		return unet__stack_config(proxy->stack)->host.s_addr;
	return src;
}

/**
 * unet__flow_map_in6() - unet__flow_map_in() for an IPv6 host-side source
 * @proxy: the proxy
 * @src: the host-side source address (16 bytes)
 * @out: receives the address the guest sees (16 bytes): the gateway's
 *       ip6_host for the host's ::1 (when loopback is on), else @src
 */
void unet__flow_map_in6(const struct unet_proxy *proxy, const uint8_t *src,
			uint8_t *out)
{
	const struct unet_stack_config *sc = unet__stack_config(proxy->stack);

	if (proxy->cfg.loopback &&
	    memcmp(src, &in6addr_loopback, sizeof(in6addr_loopback)) == 0)
		src = sc->ip6_host.s6_addr;
	memmove(out, src, sizeof(in6addr_loopback));
}

/**
 * unet__flow_output() - send a transport segment to the guest
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
err_t unet__flow_output(struct unet_proxy *proxy, struct pbuf *p, uint32_t src,
			uint32_t dst, uint8_t proto)
{
	ip4_addr_t s, d;

	ip4_addr_set_u32(&s, src);
	ip4_addr_set_u32(&d, dst);
	return ip4_output_if_src(p, &s, &d, IP_DEFAULT_TTL, 0, proto,
				 unet__stack_netif(proxy->stack));
}

/**
 * unet__flow_output6() - unet__flow_output() over IPv6
 * @proxy: the proxy
 * @p: the transport header and data, with room in front (PBUF_IP); not
 *     freed here
 * @src: the source address the guest sees (16 bytes)
 * @dst: the guest's address (16 bytes)
 * @proto: the next header
 *
 * lwIP adds the IPv6 header, fragments to the hub's MTU and resolves the
 * guest's MAC by neighbour discovery.
 *
 * Return: lwIP's error code.
 */
err_t unet__flow_output6(struct unet_proxy *proxy, struct pbuf *p,
			 const uint8_t *src, const uint8_t *dst, uint8_t proto)
{
	ip6_addr_t s, d;

	ip6_addr_set_zero(&s);
	ip6_addr_set_zero(&d);
	memcpy(s.addr, src, sizeof(s.addr));
	memcpy(d.addr, dst, sizeof(d.addr));
	return ip6_output_if_src(p, &s, &d, IP_DEFAULT_TTL, 0, proto,
				 unet__stack_netif(proxy->stack));
}

/**
 * unet__flow_addr_str() - an address of either family as text, for logs
 * @family: AF_INET or AF_INET6
 * @addr: the address
 * @buf: where the text goes
 * @len: its size (INET6_ADDRSTRLEN holds either)
 *
 * Return: @buf.
 */
const char *unet__flow_addr_str(sa_family_t family,
				const union unet_ip_addr *addr, char *buf,
				size_t len)
{
	if (inet_ntop(family, addr, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
	return buf;
}

/**
 * unet__sockaddr_str() - a socket address as text: "a.b.c.d" or "[v6]",
 * with its port
 * @sa: the address (AF_INET or AF_INET6)
 * @buf: where the text goes
 * @len: its size (INET6_ADDRSTRLEN + 8 holds either)
 *
 * Return: @buf.
 */
const char *unet__sockaddr_str(const union unet_sockaddr *sa, char *buf,
			       size_t len)
{
	return unet__addr_str(&sa->sa, sizeof(*sa), buf, len);
}
