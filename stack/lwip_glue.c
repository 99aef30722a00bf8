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
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "lwip/init.h"
#include "lwip/ip_addr.h"
#include "lwip/sys.h"

#include "stack_internal.h"
#include "unet_lwip_hooks.h"

/* The stack lwIP belongs to now; lwIP itself is process-wide. */
static struct unet_stack *lwip_owner;
static bool lwip_initialised;
/* Secret of the TCP ISN function, from the owner hub's random source. */
static uint64_t isn_secret[2];

/**
 * unet__lwip_attach() - make @stack the owner of the process's lwIP
 * @stack: the stack
 *
 * Return: 0, or -EBUSY when another stack owns lwIP.
 */
int unet__lwip_attach(struct unet_stack *stack)
{
	if (lwip_owner != NULL)
		return -EBUSY;
	lwip_owner = stack;
	isn_secret[0] = (uint64_t)unet_hub_random(unet__stack_hub(stack)) << 32 |
			unet_hub_random(unet__stack_hub(stack));
	isn_secret[1] = (uint64_t)unet_hub_random(unet__stack_hub(stack)) << 32 |
			unet_hub_random(unet__stack_hub(stack));
	if (!lwip_initialised) {
		lwip_init();
		lwip_initialised = true;
	}
	return 0;
}

/**
 * unet__lwip_detach() - release lwIP
 * @stack: the stack that owns it
 */
void unet__lwip_detach(struct unet_stack *stack)
{
	if (lwip_owner == stack)
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
