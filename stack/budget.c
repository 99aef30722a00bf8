/* SPDX-License-Identifier: MIT */
/*
 * The memory budget.
 *
 * Theory of operation. Everything a guest can make usernet hold is counted
 * against one limit (&unet_stack_config.mem_budget, 256 MiB by default):
 *  - lwIP's heap. lwIP allocates with the C library (MEM_LIBC_MALLOC), and
 *    lwipopts.h routes its malloc, calloc and free through
 *    unet__lwip_malloc() and friends here, which count the usable size of
 *    every block: frames waiting in out-of-order queues and reassembly,
 *    data queued toward the guest, pcbs, segments.
 *  - the proxy's own buffers (guest data on its way to a host socket, host
 *    data waiting for room in lwIP), charged and released by the proxy.
 *
 * The last eighth of the budget is a reserve for flows that hold little
 * (under UNET_BUDGET_FLOW_FLOOR: their queued bytes both ways, as the proxy
 * counts them): the measures below treat every other flow as if the budget
 * ended at the other seven eighths (the bulk line). Without it, a few flows
 * to a host that never reads (or from a guest that never reads) fill the
 * budget and a new connection gets a zero window and no host reads until
 * they end: a guest's TSO hands over the whole window at once, so the
 * budget is full within a millisecond. The reserve is bounded like the
 * rest: a light flow gets at most the floor from it, and frames are still
 * dropped at the limit.
 *
 * What happens as it fills, from gentle to hard:
 *  - the receive window a TCP flow offers the guest shrinks
 *    (unet__budget_window(): the whole window up to half the bulk line,
 *    then less in proportion, none at the line; a light flow still gets up
 *    to the floor from the reserve), so a well-behaved guest slows down and
 *    loses nothing;
 *  - the proxy stops reading host sockets while the budget is spent for
 *    the flow (unet__budget_free_for()), and stops taking guest data for a
 *    host socket that is backed up (lwIP keeps the segment and offers it
 *    again);
 *  - lwIP's out-of-order queue per connection (256 segments, 1 MiB) is cut
 *    to 16 segments and 64 KiB past three quarters of the budget, and to
 *    nothing at the limit;
 *  - at the limit, guest frames longer than UNET_BUDGET_SMALL_FRAME are
 *    dropped before lwIP sees them (the guest sends them again). Short ones
 *    (ACKs, ARP, DHCP) still pass, so that what is queued toward the guest
 *    can be acknowledged and freed.
 *
 * lwIP's state is process-wide, and so is this count; one stack at a time
 * sets the limit (unet__budget_reset()).
 */
#include <malloc.h>
#include <stdlib.h>

#include "lwip/opt.h"

#include "budget.h"

struct unet_budget unet__budget = { .limit = UNET_BUDGET_DEFAULT };

static void budget_peak(void)
{
	size_t used = unet__budget.lwip + unet__budget.proxy;

	if (used > unet__budget.peak)
		unet__budget.peak = used;
}

/* lwIP's allocator (lwipopts.h: mem_clib_malloc) */
void *unet__lwip_malloc(size_t size)
{
	void *p = malloc(size);

	if (p != NULL) {
		unet__budget.lwip += malloc_usable_size(p);
		budget_peak();
	}
	return p;
}

/* lwIP's allocator (lwipopts.h: mem_clib_calloc) */
void *unet__lwip_calloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (p != NULL) {
		unet__budget.lwip += malloc_usable_size(p);
		budget_peak();
	}
	return p;
}

/* lwIP's allocator (lwipopts.h: mem_clib_free) */
void unet__lwip_free(void *p)
{
	if (p == NULL)
		return;
	unet__budget.lwip -= malloc_usable_size(p);
	free(p);
}

/**
 * unet__budget_reset() - set the limit, for a new stack
 * @limit: bytes
 *
 * The counters of what is held stay (lwIP's heap outlives a stack); the
 * event counters and the peak start again.
 */
void unet__budget_reset(size_t limit)
{
	unet__budget.limit = limit;
	unet__budget.peak = unet__budget.lwip + unet__budget.proxy;
	unet__budget.frames_dropped = 0;
	unet__budget.ooseq_squeezed = 0;
}

/**
 * unet__budget_charge() - count bytes the proxy now holds
 * @bytes: how many
 */
void unet__budget_charge(size_t bytes)
{
	unet__budget.proxy += bytes;
	budget_peak();
}

/**
 * unet__budget_release() - count bytes the proxy no longer holds
 * @bytes: how many (charged before)
 */
void unet__budget_release(size_t bytes)
{
	unet__budget.proxy -= bytes;
}

/**
 * unet__budget_used() - bytes held now, lwIP's and the proxy's
 *
 * Return: the sum.
 */
size_t unet__budget_used(void)
{
	return unet__budget.lwip + unet__budget.proxy;
}

/**
 * unet__budget_free() - what is left of the budget
 *
 * Return: bytes, 0 when spent.
 */
size_t unet__budget_free(void)
{
	size_t used = unet__budget_used();

	return used < unet__budget.limit ? unet__budget.limit - used : 0;
}

/**
 * unet__budget_admit_frame() - may a guest frame go in?
 * @len: its length
 *
 * Return: true unless the budget is spent and the frame is not a short one;
 * a refusal is counted.
 */
bool unet__budget_admit_frame(size_t len)
{
	if (len <= UNET_BUDGET_SMALL_FRAME ||
	    unet__budget_used() < unet__budget.limit)
		return true;
	unet__budget.frames_dropped++;
	return false;
}

/* The bulk line: seven eighths of the budget, the rest is the reserve. */
static size_t budget_line(void)
{
	return unet__budget.limit - unet__budget.limit / 8;
}

/* Bytes below the bulk line left for flows holding the floor or more. */
static size_t budget_bulk_free(void)
{
	size_t used = unet__budget_used(), line = budget_line();

	return used < line ? line - used : 0;
}

/* What the reserve gives a flow holding @held: up to the floor, if light. */
static size_t budget_light_free(size_t held)
{
	size_t left = unet__budget_free();

	if (held >= UNET_BUDGET_FLOW_FLOOR)
		return 0;
	return left < UNET_BUDGET_FLOW_FLOOR - held ?
		       left :
		       UNET_BUDGET_FLOW_FLOOR - held;
}

/**
 * unet__budget_free_for() - what one flow may still take of the budget
 * @held: bytes the flow holds now (both ways)
 *
 * Return: what is left below the bulk line, or, for a flow holding less
 * than UNET_BUDGET_FLOW_FLOOR, up to the floor from the reserve if that is
 * more; 0 when neither is left.
 */
size_t unet__budget_free_for(size_t held)
{
	size_t bulk = budget_bulk_free(), light = budget_light_free(held);

	return bulk > light ? bulk : light;
}

/**
 * unet__budget_window() - the receive window a flow may offer now
 * @full: its window with the budget unused
 * @held: bytes the flow holds now (both ways)
 *
 * Return: @full while at most half the bulk line is used, then less in
 * proportion to what is left below it, 0 at it; a flow holding less than
 * the floor gets at least what the reserve gives it (capped at @full).
 */
size_t unet__budget_window(size_t full, size_t held)
{
	size_t left = budget_bulk_free(), half = budget_line() / 2, wnd, light;

	if (left >= half)
		return full;
	/* full * left / half, without overflow for any budget */
	wnd = (size_t)((uint64_t)full * (left >> 10) / ((half >> 10) + 1));
	light = budget_light_free(held);
	if (light > full)
		light = full;
	return wnd > light ? wnd : light;
}

/* lwIP's out-of-order queue cap, in segments (lwipopts.h) */
unsigned int unet__ooseq_pbufs_limit(void)
{
	size_t used = unet__budget_used(), limit = unet__budget.limit;

	if (used < limit / 4 * 3)
		return TCP_OOSEQ_MAX_PBUFS;
	unet__budget.ooseq_squeezed++;
	return used < limit ? TCP_OOSEQ_MAX_PBUFS / 16 : 0;
}

/* lwIP's out-of-order queue cap, in bytes (lwipopts.h) */
unsigned long unet__ooseq_bytes_limit(void)
{
	size_t used = unet__budget_used(), limit = unet__budget.limit;

	if (used < limit / 4 * 3)
		return TCP_OOSEQ_MAX_BYTES;
	return used < limit ? TCP_OOSEQ_MAX_BYTES / 16 : 0;
}
