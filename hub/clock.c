/* SPDX-License-Identifier: MIT */
/*
 * The hub's clock, its timers and its random source: the one place the
 * library takes time and randomness from, so that an embedder (or a replay
 * run) can drive both.
 *
 * Theory of operation: the clock is the host's monotonic clock, an
 * embedder's callback, or a virtual clock. A virtual clock (replay, tests)
 * stands still until the embedder advances it; the library's timers then
 * wait in one list sorted by due time (ties in start order), and
 * unet_hub_clock_advance() fires them in that order, setting the clock to
 * each one's due time first, so that a run with the same inputs and seed
 * repeats itself exactly. On any other clock a timer is a uv timer. The
 * random source is splitmix64 from the configured seed (or the kernel's).
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "hub_internal.h"

/**
 * unet__clock_init() - set up a new hub's clock and random source
 * @hub: the hub being made
 * @cfg: its configuration (virtual_clock, clock_cb, seed, epoch_ns)
 */
void unet__clock_init(struct unet_hub *hub, const struct unet_hub_config *cfg)
{
	struct unet__clock *clk = &hub->clock;
	struct timespec ts;

	memset(clk, 0, sizeof(*clk));
	clk->virtual_clock = cfg->virtual_clock;
	if (!clk->virtual_clock) {
		clk->cb = cfg->clock_cb;
		clk->opaque = cfg->clock_opaque;
	}
	clk->rng = cfg->seed;
	if (clk->rng == 0 &&
	    getrandom(&clk->rng, sizeof(clk->rng), 0) != sizeof(clk->rng))
		clk->rng = uv_hrtime() ^ (uint64_t)(uintptr_t)hub;
	clk->base = unet_hub_now_ns(hub);
	if (clk->virtual_clock)
		clk->realtime_base = cfg->epoch_ns;
	else if (clk->cb == NULL && clock_gettime(CLOCK_REALTIME, &ts) == 0)
		clk->realtime_base = (uint64_t)ts.tv_sec * 1000000000u +
				     (uint64_t)ts.tv_nsec;
}

/**
 * unet_hub_now_ns() - the library's clock
 * @hub: the hub
 *
 * Every timer and timestamp of the library reads this clock, so that an
 * embedder (or a replay) can drive time through &unet_hub_config.clock_cb.
 *
 * Return: monotonic time in nanoseconds.
 */
uint64_t unet_hub_now_ns(const struct unet_hub *hub)
{
	if (hub->clock.virtual_clock)
		return hub->clock.vnow;
	if (hub->clock.cb != NULL)
		return hub->clock.cb(hub->clock.opaque);
	return uv_hrtime();
}

/**
 * unet_hub_realtime_ns() - wall-clock time on the library's clock
 * @hub: the hub
 *
 * Return: nanoseconds since the Unix epoch: the wall clock when the hub was
 * made plus the library's clock since then (a virtual clock starts at the
 * epoch).
 */
uint64_t unet_hub_realtime_ns(const struct unet_hub *hub)
{
	return hub->clock.realtime_base +
	       (unet_hub_now_ns(hub) - hub->clock.base);
}

/**
 * unet_hub_random() - the library's random source
 * @hub: the hub
 *
 * A splitmix64 sequence from &unet_hub_config.seed (or from the kernel), so
 * that a run with a fixed seed repeats itself. Not for secrets.
 *
 * Return: 32 random bits.
 */
uint32_t unet_hub_random(struct unet_hub *hub)
{
	uint64_t z = (hub->clock.rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return (uint32_t)((z ^ (z >> 31)) >> 16);
}

/**
 * unet_hub_virtual_clock() - whether a hub runs on a virtual clock
 * @hub: the hub
 *
 * Return: true when made with &unet_hub_config.virtual_clock.
 */
bool unet_hub_virtual_clock(const struct unet_hub *hub)
{
	return hub->clock.virtual_clock;
}

static void clock_vtimer_unlink(struct unet_hub *hub, struct unet_timer *t)
{
	if (t->vprev != NULL)
		t->vprev->vnext = t->vnext;
	else
		hub->clock.vtimers = t->vnext;
	if (t->vnext != NULL)
		t->vnext->vprev = t->vprev;
	else
		hub->clock.vtimers_tail = t->vprev;
	t->vnext = t->vprev = NULL;
	t->pending = false;
}

/**
 * unet__clock_close() - forget the timers of a hub being freed
 * @hub: the hub
 *
 * Timers their owners left running will never fire; their owners may still
 * stop and close them.
 */
void unet__clock_close(struct unet_hub *hub)
{
	while (hub->clock.vtimers != NULL)
		clock_vtimer_unlink(hub, hub->clock.vtimers);
}

/* Timers are mostly started later than the ones pending, so the insertion
 * walks from the tail; equal due times keep their start order. */
static void clock_vtimer_insert(struct unet_hub *hub, struct unet_timer *t)
{
	struct unet_timer *after = hub->clock.vtimers_tail;

	while (after != NULL && after->due_ns > t->due_ns)
		after = after->vprev;
	t->vprev = after;
	t->vnext = after != NULL ? after->vnext : hub->clock.vtimers;
	if (t->vnext != NULL)
		t->vnext->vprev = t;
	else
		hub->clock.vtimers_tail = t;
	if (after != NULL)
		after->vnext = t;
	else
		hub->clock.vtimers = t;
	t->pending = true;
}

/**
 * unet_hub_clock_advance() - move a virtual clock forward, firing timers
 * @hub: a hub made with &unet_hub_config.virtual_clock
 * @ns: how far; 0 fires the timers already due
 *
 * Timers fire in due order, each with the clock at its due time; a timer
 * started from a callback with a due time inside the step fires in the same
 * call. Runs on the loop's thread, from outside any callback of the library.
 *
 * Return: 0, -EINVAL when the hub has a real clock, -ERANGE when the clock
 * would wrap.
 */
int unet_hub_clock_advance(struct unet_hub *hub, uint64_t ns)
{
	uint64_t target;
	struct unet_timer *t;

	if (!hub->clock.virtual_clock)
		return -EINVAL;
	if (ns > UINT64_MAX - hub->clock.vnow)
		return -ERANGE;
	target = hub->clock.vnow + ns;
	while ((t = hub->clock.vtimers) != NULL && t->due_ns <= target) {
		clock_vtimer_unlink(hub, t);
		if (t->due_ns > hub->clock.vnow)
			hub->clock.vnow = t->due_ns;
		t->cb(t);
	}
	hub->clock.vnow = target;
	return 0;
}

/**
 * unet_hub_next_timer() - how long until the next timer of a virtual clock
 * @hub: a hub made with &unet_hub_config.virtual_clock
 * @in_ns: receives the time from now to the soonest pending timer (0 when
 *         one is already due)
 *
 * Return: 0, -ENOENT when no timer is pending, -EINVAL on a real clock.
 */
int unet_hub_next_timer(const struct unet_hub *hub, uint64_t *in_ns)
{
	if (!hub->clock.virtual_clock)
		return -EINVAL;
	if (hub->clock.vtimers == NULL)
		return -ENOENT;
	*in_ns = hub->clock.vtimers->due_ns > hub->clock.vnow ?
			 hub->clock.vtimers->due_ns - hub->clock.vnow :
			 0;
	return 0;
}

static void clock_timer_uv_cb(uv_timer_t *handle)
{
	struct unet_timer *t = container_of(handle, struct unet_timer, uv);

	t->cb(t);
}

/**
 * unet_timer_init() - prepare a timer on a hub's clock
 * @hub: the hub whose clock it follows
 * @timer: the timer, owned by the caller until its close callback ran
 *
 * Return: 0 or a negative errno from uv_timer_init().
 */
int unet_timer_init(struct unet_hub *hub, struct unet_timer *timer)
{
	memset(timer, 0, sizeof(*timer));
	timer->hub = hub;
	return uv_timer_init(hub->loop, &timer->uv);
}

/**
 * unet_timer_start() - (re)start a one-shot timer
 * @timer: a timer prepared with unet_timer_init()
 * @cb: called once, @ms milliseconds from now on the hub's clock
 * @ms: the delay
 */
void unet_timer_start(struct unet_timer *timer, unet_timer_cb cb, uint64_t ms)
{
	struct unet_hub *hub = timer->hub;

	timer->cb = cb;
	if (!hub->clock.virtual_clock) {
		uv_timer_start(&timer->uv, clock_timer_uv_cb, ms, 0);
		return;
	}
	if (timer->pending)
		clock_vtimer_unlink(hub, timer);
	timer->due_ns = ms > (UINT64_MAX - hub->clock.vnow) / 1000000u ?
				UINT64_MAX :
				hub->clock.vnow + ms * 1000000u;
	clock_vtimer_insert(hub, timer);
}

/**
 * unet_timer_stop() - stop a timer; nothing happens when it is not running
 * @timer: the timer
 */
void unet_timer_stop(struct unet_timer *timer)
{
	if (timer->pending)
		clock_vtimer_unlink(timer->hub, timer);
	uv_timer_stop(&timer->uv);
}

/**
 * unet_timer_active() - whether a timer is running
 * @timer: the timer
 *
 * Return: true between unet_timer_start() and its expiry or stop.
 */
bool unet_timer_active(const struct unet_timer *timer)
{
	return timer->pending || uv_is_active((const uv_handle_t *)&timer->uv);
}

/**
 * unet_timer_close() - stop a timer and close its handle
 * @timer: the timer
 * @cb: uv_close()'s callback, given &timer->uv; may be NULL. The timer's
 *      memory may be freed from there.
 */
void unet_timer_close(struct unet_timer *timer, uv_close_cb cb)
{
	unet_timer_stop(timer);
	uv_close((uv_handle_t *)&timer->uv, cb);
}
