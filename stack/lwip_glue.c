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
#include "lwip/sys.h"

#include "stack_internal.h"
#include "unet_lwip_hooks.h"

/* The stack lwIP belongs to now; lwIP itself is process-wide. */
static struct unet_stack *lwip_owner;
static bool lwip_initialised;

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
