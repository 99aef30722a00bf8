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
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "lwip/init.h"
#include "lwip/ip4.h"
#include "lwip/ip_addr.h"
#include "lwip/memp.h"
#include "lwip/netif.h"
#include "lwip/prot/ip4.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/sys.h"
#include "lwip/timeouts.h"
#include "lwip/udp.h"

#include "stack_internal.h"
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

static uint64_t isn_mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ull;
	return h ^ (h >> 29);
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

	h = isn_mix(h, ip_addr_get_ip4_u32(local_ip));
	h = isn_mix(h, ip_addr_get_ip4_u32(remote_ip));
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
