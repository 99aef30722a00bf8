/* SPDX-License-Identifier: MIT */
/*
 * lwIP's platform layer for usernet.
 *
 * Theory of operation: lwIP (NO_SYS=1) keeps process-wide state and calls a
 * few platform functions: sys_now() for its timers, LWIP_RAND() for ports and
 * ids, the diagnostic and assertion macros, and usernet's hooks. This file
 * answers them all from the one stack attached to lwIP, so that time and
 * randomness come from that stack's hub (its clock and seedable random
 * source). Only one stack can own lwIP at a time: attaching a second one
 * fails with -EBUSY.
 *
 * lwIP is initialised once per process, but stacks come and go, each on its
 * own hub and clock. So that a stack does not inherit the previous owner's
 * state, attaching one makes lwIP's clock- and randomness-dependent state
 * what lwip_init() would have made it with the new owner in place: the
 * first ephemeral TCP and UDP ports are drawn again from the new hub, and
 * the timeouts lwIP keeps (absolute times on the previous owner's clock) are
 * restarted on the new clock: the cyclic ones as lwip_init() starts them,
 * any other (the TCP timer of pcbs still lingering) with the time it had
 * left. The counter ip4.c numbers IPv4 packets from (their identification)
 * is static and has no setter, but it counts every packet built: it is
 * moved to a number from the new hub by building empty packets for a netif
 * of this file's that drops them (at most 65535 cheap calls per stack).
 *
 * This file is also the only one that reaches into lwIP's internals on the
 * proxy's behalf (stack_proxy.h declares what it offers): whether an lwIP
 * UDP pcb takes a datagram (a walk of udp_pcbs), a RST that answers a SYN
 * (tcp_rst()), ending a TIME_WAIT for a new connection on its 4-tuple
 * (tcp_tw_lookup(), from stack/lwip-patches/tcp-pcb-hash.patch), an ACK
 * sent at once and a receive window set directly. No other file includes
 * lwIP's private headers or walks its lists.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/init.h"
#include "lwip/ip4.h"
#include "lwip/ip_addr.h"
#include "lwip/memp.h"
#include "lwip/netif.h"
#include "lwip/prot/ip4.h"
#include "lwip/priv/nd6_priv.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/sys.h"
#include "lwip/timeouts.h"
#include "lwip/udp.h"

#include "stack_internal.h"
#include "wire/checksum.h"
#include "stack_proxy.h"
#include "unet_lwip_hooks.h"

/* The stack lwIP belongs to now; lwIP itself is process-wide. */
static struct unet_stack *lwip_owner;
static bool lwip_initialised;
/* sys_now() on the last owner's clock when it let go of lwIP. */
static u32_t lwip_detach_ms;
/* Secret of the TCP ISN function, from the owner hub's random source. */
static uint64_t isn_secret[2];
/* The identification of the last packet the probe netif dropped. */
static u16_t probe_ip_id;

static err_t lwip_probe_output(struct netif *netif, struct pbuf *p,
			       const ip4_addr_t *dst)
{
	const struct ip_hdr *iphdr = p->payload;

	probe_ip_id = lwip_ntohs(IPH_ID(iphdr));
	return ERR_OK;
}

/*
 * Sets the identification lwIP gives its next IPv4 packet to @next: empty
 * packets built for the probe netif (never added to lwIP's list, so nothing
 * routes to it) move ip4.c's counter on, one each.
 */
static int lwip_ip_id_set(u16_t next)
{
	static struct netif probe;
	struct pbuf *p = pbuf_alloc(PBUF_IP, 0, PBUF_RAM);
	u16_t n;

	if (p == NULL)
		return -ENOMEM;
	probe.output = lwip_probe_output;
	ip4_output_if(p, IP4_ADDR_ANY4, IP4_ADDR_ANY4, 0, 0, 0, &probe);
	for (n = (u16_t)(next - probe_ip_id - 1); n > 0; n--) {
		pbuf_remove_header(p, IP_HLEN);
		ip4_output_if(p, IP4_ADDR_ANY4, IP4_ADDR_ANY4, 0, 0, 0,
			      &probe);
	}
	pbuf_free(p);
	return 0;
}

/*
 * Restarts lwIP's timeouts on the new owner's clock. The cyclic ones start
 * afresh, in lwip_init()'s order; any other keeps the time it had left when
 * the last owner detached. lwIP's list is reached through LWIP_TESTMODE,
 * which exposes it and changes nothing else; the build sets it for this
 * file and lwIP's timeouts.c only (lwipopts.h).
 */
static void lwip_timeouts_restart(void)
{
	struct sys_timeo **head = sys_timeouts_get_next_timeout();
	struct sys_timeo *t = *head, *next, *keep = NULL, **tail = &keep;

	*head = NULL;
	for (; t != NULL; t = next) {
		next = t->next;
		if (t->h == lwip_cyclic_timer) {
			memp_free(MEMP_SYS_TIMEOUT, t);
			continue;
		}
		t->next = NULL;
		*tail = t;
		tail = &t->next;
	}
	sys_timeouts_init();
	for (t = keep; t != NULL; t = next) {
		u32_t left = t->time - lwip_detach_ms;

		/* Past due (lwIP's TIME_LESS_THAN): due at once. */
		if (left > 0x7fffffffu)
			left = 0;
		next = t->next;
		sys_timeout(left, t->h, t->arg);
		memp_free(MEMP_SYS_TIMEOUT, t);
	}
}

/**
 * unet__lwip_attach() - make @stack the owner of the process's lwIP
 * @stack: the stack
 *
 * Everything lwIP draws from a clock or a random source comes from @stack's
 * hub from here on, as if lwIP had been initialised for it.
 *
 * Return: 0, -EBUSY when another stack owns lwIP, -ENOMEM.
 */
int unet__lwip_attach(struct unet_stack *stack)
{
	struct unet_hub *hub = unet__stack_hub(stack);

	if (lwip_owner != NULL)
		return -EBUSY;
	lwip_owner = stack;
	isn_secret[0] = (uint64_t)unet_hub_random(hub) << 32 |
			unet_hub_random(hub);
	isn_secret[1] = (uint64_t)unet_hub_random(hub) << 32 |
			unet_hub_random(hub);
	if (!lwip_initialised) {
		lwip_init();
		lwip_initialised = true;
	} else {
		/* What lwip_init() draws, drawn again from this stack's hub. */
		udp_init();
		tcp_init();
		lwip_timeouts_restart();
	}
	if (lwip_ip_id_set((u16_t)unet_hub_random(hub)) < 0) {
		lwip_owner = NULL;
		return -ENOMEM;
	}
	return 0;
}

/**
 * unet__lwip_detach() - release lwIP
 * @stack: the stack that owns it
 */
void unet__lwip_detach(struct unet_stack *stack)
{
	if (lwip_owner != stack)
		return;
	lwip_detach_ms = sys_now();
	lwip_owner = NULL;
}

/**
 * sys_now() - lwIP's clock, in milliseconds, from the owner's hub
 *
 * Return: milliseconds on the library's clock (wrapping at 32 bits).
 */
u32_t sys_now(void)
{
	if (lwip_owner == NULL)
		return (u32_t)(uv_hrtime() / 1000000u);
	return (u32_t)(unet_hub_now_ns(unet__stack_hub(lwip_owner)) /
		       1000000u);
}

/**
 * unet__lwip_rand() - lwIP's LWIP_RAND(), from the owner hub's random source
 *
 * Return: 32 random bits.
 */
uint32_t unet__lwip_rand(void)
{
	if (lwip_owner == NULL)
		return (uint32_t)uv_hrtime();
	return unet_hub_random(unet__stack_hub(lwip_owner));
}

/**
 * unet__lwip_ip4_input() - LWIP_HOOK_IP4_INPUT, passed to the owner stack
 * @p: the packet, payload at its IPv4 header (not yet validated)
 * @inp: the netif it arrived on
 *
 * Return: non-zero when the hook ate the packet (and freed it).
 */
int unet__lwip_ip4_input(struct pbuf *p, struct netif *inp)
{
	if (lwip_owner == NULL)
		return 0;
	return unet__stack_ip4_input(lwip_owner, p, inp);
}

/**
 * unet__lwip_ip6_input() - LWIP_HOOK_IP6_INPUT, passed to the owner stack
 * @p: the packet, payload at its IPv6 header (only its version checked)
 * @inp: the netif it arrived on
 *
 * Return: non-zero when the hook ate the packet (and freed it).
 */
int unet__lwip_ip6_input(struct pbuf *p, struct netif *inp)
{
	if (lwip_owner == NULL)
		return 0;
	return unet__stack_ip6_input(lwip_owner, p, inp);
}

/**
 * unet__lwip_tcp_recovery() - LWIP_HOOK_TCP_FAST_RECOVERY: a TCP connection
 * toward the guest began fast recovery (three duplicate ACKs)
 * @pcb: the connection
 */
void unet__lwip_tcp_recovery(struct tcp_pcb *pcb)
{
	if (lwip_owner != NULL)
		unet__stack_stats(lwip_owner)->tcp_fast_recoveries++;
}

/**
 * unet__lwip_tcp_tail_probe() - LWIP_HOOK_TCP_TAIL_PROBE: nothing was
 * acknowledged for a while, and a tail loss probe began fast recovery
 * @pcb: the connection
 */
void unet__lwip_tcp_tail_probe(struct tcp_pcb *pcb)
{
	if (lwip_owner != NULL)
		unet__stack_stats(lwip_owner)->tcp_tail_probes++;
}

/**
 * unet__lwip_tcp_rto() - LWIP_HOOK_TCP_RTO: a TCP connection's
 * retransmission timer fired
 * @pcb: the connection
 */
void unet__lwip_tcp_rto(struct tcp_pcb *pcb)
{
	if (lwip_owner != NULL)
		unet__stack_stats(lwip_owner)->tcp_rto_timeouts++;
}

/**
 * unet__lwip_ip6_reass_discard() - LWIP_HOOK_IP6_REASS_DISCARD: an IPv6
 * datagram was discarded whole, its fragments overlapping or disagreeing
 * on its end (RFC 5722; stack/lwip-patches/ip6-reass-overlap.patch)
 */
void unet__lwip_ip6_reass_discard(void)
{
	if (lwip_owner != NULL)
		unet__stack_stats(lwip_owner)->frag6_discarded++;
}

static uint64_t isn_mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ull;
	return h ^ (h >> 29);
}

/* Mixes an address of either family: all four words of an IPv6 one. */
static uint64_t isn_addr_mix(uint64_t h, const ip_addr_t *a)
{
	size_t i;

	if (!IP_IS_V6(a))
		return isn_mix(h, ip_addr_get_ip4_u32(a));
	for (i = 0; i < 4; i++)
		h = isn_mix(h, ip_2_ip6(a)->addr[i]);
	return h;
}

/**
 * unet__lwip_tcp_isn() - LWIP_HOOK_TCP_ISN: initial sequence numbers
 * @local_ip: the connection's local address
 * @local_port: its local port (host order)
 * @remote_ip: the remote address
 * @remote_port: the remote port (host order)
 *
 * RFC 6528's scheme: a keyed hash of the 4-tuple plus a clock ticking every
 * 4 microseconds, so sequence numbers are not guessable from outside and
 * still grow for a reused 4-tuple. The key comes from the hub's random
 * source, the clock from the hub's clock (a replay repeats both). The hash
 * is a mixing function, not a cryptographic one.
 *
 * Return: the ISN.
 */
uint32_t unet__lwip_tcp_isn(const struct ip_addr *local_ip, uint16_t local_port,
			    const struct ip_addr *remote_ip,
			    uint16_t remote_port)
{
	uint64_t h = isn_secret[0];
	uint64_t now = lwip_owner != NULL ?
			       unet_hub_now_ns(unet__stack_hub(lwip_owner)) :
			       uv_hrtime();

	h = isn_addr_mix(h, local_ip);
	h = isn_addr_mix(h, remote_ip);
	h = isn_mix(h, (uint64_t)local_port << 16 | remote_port);
	h = isn_mix(h, isn_secret[1]);
	return (uint32_t)h + (uint32_t)(now / 4000u);
}

/**
 * unet__lwip_diag() - lwIP's diagnostics, logged at debug level
 * @fmt: printf format
 */
void unet__lwip_diag(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (lwip_owner == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	unet_hub_log(unet__stack_hub(lwip_owner), UNET_LOG_DEBUG, "lwip: %s",
		     msg);
}

/**
 * unet__lwip_assert() - an lwIP invariant failed: a bug, never bad input
 * @msg: lwIP's message
 * @file: where
 * @line: where
 */
void unet__lwip_assert(const char *msg, const char *file, int line)
{
	if (lwip_owner != NULL)
		unet_hub_log(unet__stack_hub(lwip_owner), UNET_LOG_ERROR,
			     "lwip assertion failed at %s:%d: %s", file, line,
			     msg);
	abort();
}

/* ---- what the proxy asks of lwIP's pcbs ---------------------------------- */

/* Whether lwIP's IPv6 address @a is the 16 bytes at @b (zone aside). */
static bool lwip_ip6_is(const ip6_addr_t *a, const uint8_t *b)
{
	return memcmp(a->addr, b, 16) == 0;
}

/* unet__lwip_udp_taken() for an IPv6 datagram. */
static bool lwip_udp_taken6(const struct unet_ip_pkt *pkt)
{
	const ip6_addr_t *a;
	struct udp_pcb *pcb;

	for (pcb = udp_pcbs; pcb != NULL; pcb = pcb->next) {
		if (pcb->local_port != pkt->dport)
			continue;
		if (!IP_IS_ANY_TYPE_VAL(pcb->local_ip)) {
			if (!IP_IS_V6_VAL(pcb->local_ip))
				continue;
			a = ip_2_ip6(&pcb->local_ip);
			if (!ip6_addr_isany(a) && !lwip_ip6_is(a, pkt->dst.v6))
				continue;
		}
		if ((pcb->flags & UDP_FLAGS_CONNECTED) == 0)
			return true;
		if (pcb->remote_port == pkt->sport &&
		    IP_IS_V6_VAL(pcb->remote_ip) &&
		    lwip_ip6_is(ip_2_ip6(&pcb->remote_ip), pkt->src.v6))
			return true;
	}
	return false;
}

/**
 * unet__lwip_udp_taken() - whether an lwIP UDP pcb takes a datagram
 * @pkt: the datagram, parsed (its UDP header there)
 *
 * Matches as udp_input() would: a pcb bound to the destination port and to
 * the destination address or any, and either unconnected (a gateway
 * service: DHCP, TFTP) or connected to the datagram's source (the pcb of
 * an inbound UDP forward).
 *
 * Return: true when lwIP's UDP would deliver @pkt to one of its pcbs.
 */
bool unet__lwip_udp_taken(const struct unet_ip_pkt *pkt)
{
	const ip4_addr_t *a;
	struct udp_pcb *pcb;

	if (pkt->family == AF_INET6)
		return lwip_udp_taken6(pkt);
	for (pcb = udp_pcbs; pcb != NULL; pcb = pcb->next) {
		if (pcb->local_port != pkt->dport)
			continue;
		if (!IP_IS_ANY_TYPE_VAL(pcb->local_ip)) {
			if (!IP_IS_V4_VAL(pcb->local_ip))
				continue;
			a = ip_2_ip4(&pcb->local_ip);
			if (!ip4_addr_isany(a) &&
			    ip4_addr_get_u32(a) != pkt->dst.v4)
				continue;
		}
		if ((pcb->flags & UDP_FLAGS_CONNECTED) == 0)
			return true;
		if (pcb->remote_port == pkt->sport &&
		    IP_IS_V4_VAL(pcb->remote_ip) &&
		    ip4_addr_get_u32(ip_2_ip4(&pcb->remote_ip)) == pkt->src.v4)
			return true;
	}
	return false;
}

/**
 * unet__lwip_tcp_rst() - answer a SYN with a RST, no pcb needed
 * @src: the RST's source address, the one the SYN went to (network order)
 * @sport: its source port (host order)
 * @dst: the SYN's sender (network order)
 * @dport: its port (host order)
 * @ackno: what the RST acknowledges: the SYN's sequence number plus one
 */
void unet__lwip_tcp_rst(uint32_t src, uint16_t sport, uint32_t dst,
			uint16_t dport, uint32_t ackno)
{
	ip_addr_t l, r;

	ip_addr_set_ip4_u32_val(l, src);
	ip_addr_set_ip4_u32_val(r, dst);
	tcp_rst(NULL, 0, ackno, &l, &r, sport, dport);
}

/* A global address of lwIP's (no zone: the proxy sees no link-local). */
static void lwip_ip6_addr_set(ip_addr_t *a, const uint8_t *b)
{
	ip_addr_set_zero_ip6(a);
	memcpy(ip_2_ip6(a)->addr, b, 16);
}

/**
 * unet__lwip_tcp_rst6() - unet__lwip_tcp_rst() over IPv6
 * @src: the RST's source address, the one the SYN went to (16 bytes)
 * @sport: its source port (host order)
 * @dst: the SYN's sender (16 bytes)
 * @dport: its port (host order)
 * @ackno: what the RST acknowledges: the SYN's sequence number plus one
 */
void unet__lwip_tcp_rst6(const uint8_t *src, uint16_t sport, const uint8_t *dst,
			 uint16_t dport, uint32_t ackno)
{
	ip_addr_t l, r;

	lwip_ip6_addr_set(&l, src);
	lwip_ip6_addr_set(&r, dst);
	tcp_rst(NULL, 0, ackno, &l, &r, sport, dport);
}

/**
 * unet__lwip_tcp_timewait_end6() - unet__lwip_tcp_timewait_end() over IPv6
 * @local: lwIP's address of the 4-tuple (16 bytes)
 * @local_port: its port (host order)
 * @remote: the guest's address (16 bytes)
 * @remote_port: the guest's port (host order)
 */
void unet__lwip_tcp_timewait_end6(const uint8_t *local, uint16_t local_port,
				  const uint8_t *remote, uint16_t remote_port)
{
	struct tcp_pcb *pcb;
	ip_addr_t l, r;

	lwip_ip6_addr_set(&l, local);
	lwip_ip6_addr_set(&r, remote);
	pcb = tcp_tw_lookup(&l, local_port, &r, remote_port);
	if (pcb != NULL)
		tcp_abort(pcb);
}

/**
 * unet__lwip_tcp_timewait_end() - let a new connection take a 4-tuple that
 * lwIP holds in TIME_WAIT
 * @local: lwIP's address of the 4-tuple (network order)
 * @local_port: its port (host order)
 * @remote: the guest's address (network order)
 * @remote_port: the guest's port (host order)
 *
 * A guest may open a new connection on the 4-tuple of one that lwIP still
 * holds in TIME_WAIT (lwIP closed first, so the guest's side is free at
 * once). lwIP would drop that SYN for as long as TIME_WAIT lasts; as RFC
 * 1122 (4.2.2.13) allows, the new SYN ends the old TIME_WAIT instead. The
 * old pcb belongs to no flow any more; tcp_abort() frees a TIME_WAIT pcb
 * without sending anything.
 */
void unet__lwip_tcp_timewait_end(uint32_t local, uint16_t local_port,
				 uint32_t remote, uint16_t remote_port)
{
	struct tcp_pcb *pcb;
	ip_addr_t l, r;

	ip_addr_set_ip4_u32_val(l, local);
	ip_addr_set_ip4_u32_val(r, remote);
	pcb = tcp_tw_lookup(&l, local_port, &r, remote_port);
	if (pcb != NULL)
		tcp_abort(pcb);
}

/**
 * unet__lwip_tcp_timewait_short() - end a pcb's TIME_WAIT at lwIP's next
 * slow timer
 * @pcb: a connection the proxy is done with (no-op unless in TIME_WAIT)
 *
 * lwIP holds a connection it closed first for 2 x TCP_MSL; at thousands of
 * connections a second its slow timer walks tens of thousands of them. The
 * proxy is done with the 4-tuple (a new SYN on it ends the TIME_WAIT
 * anyway), so the pcb stays only until the next slow timer (at most
 * TCP_SLOW_INTERVAL): long enough to answer a FIN the guest sends again,
 * and the ACK lwIP owes the guest's FIN still goes out as usual.
 */
void unet__lwip_tcp_timewait_short(struct tcp_pcb *pcb)
{
	if (pcb->state == TIME_WAIT)
		pcb->tmr = tcp_ticks - 2 * TCP_MSL / TCP_SLOW_INTERVAL;
}

/**
 * unet__lwip_chksum() - lwIP's LWIP_CHKSUM: the 16-bit one's complement sum
 * @data: the bytes (any alignment)
 * @len: how many (odd or even)
 *
 * Return: the sum of the bytes as 16-bit words in memory order, folded
 * (not complemented), as lwip_standard_chksum() returns it.
 */
u16_t unet__lwip_chksum(const void *data, int len)
{
	uint32_t sum = unet__csum_add(0, data, len > 0 ? (size_t)len : 0);

	sum = (sum & 0xffffu) + (sum >> 16);
	sum = (sum & 0xffffu) + (sum >> 16);
	return (u16_t)sum;
}

/**
 * unet__lwip_tcp_ack_now() - send an ACK (a window update) at once
 * @pcb: the connection
 *
 * lwIP sends a window update of its own only when the window grew a lot;
 * the proxy says when one that was shut opened again.
 */
void unet__lwip_tcp_ack_now(struct tcp_pcb *pcb)
{
	tcp_ack_now(pcb);
}

/**
 * unet__lwip_tcp_ack_defer() - hold back an ACK lwIP is about to send
 * @pcb: the connection, inside its recv callback
 *
 * lwIP acknowledges every second full segment at the end of tcp_input().
 * When the proxy knows it will call unet__lwip_tcp_ack_now() and
 * tcp_output() itself within the same loop turn, it takes that ACK back
 * (lwIP's delayed ACK stays set, so its fast timer still sends one if the
 * proxy never does).
 *
 * Return: true when an ACK was held back.
 */
bool unet__lwip_tcp_ack_defer(struct tcp_pcb *pcb)
{
	if (!(pcb->flags & TF_ACK_NOW))
		return false;
	tcp_clear_flags(pcb, TF_ACK_NOW);
	tcp_set_flags(pcb, TF_ACK_DELAY);
	return true;
}

/**
 * unet__lwip_tcp_window_set() - make a new connection's receive window
 * smaller than lwIP opened it with
 * @pcb: the connection, just established, nothing received yet
 * @wnd: the window to announce, at most the current one
 *
 * lwIP has no call for it: the window, the one announced and its right
 * edge are set together, as tcp_recved() keeps them.
 */
void unet__lwip_tcp_window_set(struct tcp_pcb *pcb, size_t wnd)
{
	if (wnd >= pcb->rcv_wnd)
		return;
	pcb->rcv_wnd = (tcpwnd_size_t)wnd;
	pcb->rcv_ann_wnd = (tcpwnd_size_t)wnd;
	pcb->rcv_ann_right_edge = pcb->rcv_nxt + (u32_t)wnd;
}

/**
 * unet__lwip_nd6_learn() - tell lwIP a guest's link-layer address
 * @netif: the gateway netif
 * @addr: the guest's IPv6 address (16 bytes, not ::)
 * @mac: its MAC, from the source link-layer option of a neighbour
 *       solicitation the gateway answered itself (ndp.c)
 *
 * lwIP learns a neighbour from the solicitations it answers; ndp.c answers
 * those for the gateway's addresses before lwIP sees them (with the Router
 * flag lwIP leaves out), so it hands the fact on here: a STALE entry, as
 * RFC 4861 7.2.3 has it, which lwIP confirms by its own probe later. An
 * entry that exists keeps its state and takes the new address; with no
 * free entry nothing is learnt and lwIP asks the guest itself.
 */
void unet__lwip_nd6_learn(struct netif *netif, const uint8_t *addr,
			  const uint8_t *mac)
{
	struct nd6_neighbor_cache_entry *e, *free_e = NULL;
	ip6_addr_t a;
	int i;

	memcpy(&a.addr, addr, 16);
	ip6_addr_clear_zone(&a);
	if (ip6_addr_islinklocal(&a))
		ip6_addr_assign_zone(&a, IP6_UNICAST, netif);
	for (i = 0; i < LWIP_ND6_NUM_NEIGHBORS; i++) {
		e = &neighbor_cache[i];
		if (e->state == ND6_NO_ENTRY) {
			if (free_e == NULL)
				free_e = e;
			continue;
		}
		if (ip6_addr_cmp(&e->next_hop_address, &a)) {
			memcpy(e->lladdr, mac, sizeof(e->lladdr));
			return;
		}
	}
	if (free_e == NULL)
		return;
	memset(free_e, 0, sizeof(*free_e));
	ip6_addr_copy(free_e->next_hop_address, a);
	free_e->netif = netif;
	memcpy(free_e->lladdr, mac, sizeof(free_e->lladdr));
	free_e->state = ND6_STALE;
	free_e->counter.stale_time = 0;
}
