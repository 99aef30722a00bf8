/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the hub's clock (hub/clock.c): the random source, a clock
 * callback, the virtual clock and its timers (due order, ties in start
 * order, timers started from callbacks, stop, restart and close, the
 * wall clock), and timers on a real clock.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <usernet/hub.h>

#include "wire/util.h"

#define MS 1000000ull

static void test_random_seeded(void **state)
{
	struct unet_hub_config c;
	struct unet_hub *a, *b;
	uv_loop_t loop;
	int i, same = 0;

	(void)state;
	uv_loop_init(&loop);
	unet_hub_config_init(&c);
	c.seed = 42;
	assert_int_equal(unet_hub_new(&loop, &c, &a), 0);
	assert_int_equal(unet_hub_new(&loop, &c, &b), 0);
	for (i = 0; i < 100; i++)
		assert_int_equal(unet_hub_random(a), unet_hub_random(b));
	for (i = 0; i < 100; i++)
		same += unet_hub_random(a) == unet_hub_random(a);
	assert_true(same < 5);
	unet_hub_close(a);
	unet_hub_close(b);
	assert_int_equal(uv_loop_close(&loop), 0);
}

static uint64_t fake_now;
static uint64_t fake_clock(void *opaque)
{
	(void)opaque;
	return fake_now;
}

static void test_clock_hook(void **state)
{
	struct unet_hub_config c;
	struct unet_hub *hub;
	uv_loop_t loop;

	(void)state;
	uv_loop_init(&loop);
	unet_hub_config_init(&c);
	c.clock_cb = fake_clock;
	fake_now = 5000;
	assert_int_equal(unet_hub_new(&loop, &c, &hub), 0);
	assert_int_equal(unet_hub_now_ns(hub), 5000);
	fake_now = 8000;
	assert_int_equal(unet_hub_now_ns(hub), 8000);
	/* a virtual clock starts at the epoch */
	assert_int_equal(unet_hub_realtime_ns(hub), 3000);
	unet_hub_close(hub);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* ---- the virtual clock and its timers ----------------------------------- */

/* A timer that notes when it fired, in a log shared by the tests. */
struct vtimer {
	struct unet_timer t;
	struct unet_hub *hub;
	int id;
	bool closing;
	int closed;
	/* when firing, start this timer ... */
	struct vtimer *chain;
	/* ... this many ms from now */
	uint64_t chain_ms;
};

static int vlog_n;
static int vlog_id[16];
static uint64_t vlog_ns[16];

static void vtimer_cb(struct unet_timer *timer)
{
	struct vtimer *v = container_of(timer, struct vtimer, t);

	assert_false(unet_timer_active(timer));
	assert_true(vlog_n < 16);
	vlog_id[vlog_n] = v->id;
	vlog_ns[vlog_n] = unet_hub_now_ns(v->hub);
	vlog_n++;
	if (v->chain != NULL)
		unet_timer_start(&v->chain->t, vtimer_cb, v->chain_ms);
}

static void vtimer_closed(uv_handle_t *handle)
{
	struct vtimer *v = container_of(handle, struct vtimer, t.uv);

	v->closed++;
}

static void vtimer_close(struct vtimer *v)
{
	v->closing = true;
	unet_timer_close(&v->t, vtimer_closed);
}

struct vfixture {
	uv_loop_t loop;
	struct unet_hub *hub;
	struct vtimer v[4];
};

static int vsetup(void **state)
{
	struct vfixture *f = calloc(1, sizeof(*f));
	struct unet_hub_config c;
	int i;

	assert_non_null(f);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	unet_hub_config_init(&c);
	c.virtual_clock = true;
	c.seed = 1;
	c.epoch_ns = 1700000000ull * 1000000000u;
	assert_int_equal(unet_hub_new(&f->loop, &c, &f->hub), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(unet_timer_init(f->hub, &f->v[i].t), 0);
		f->v[i].hub = f->hub;
		f->v[i].id = i;
	}
	vlog_n = 0;
	*state = f;
	return 0;
}

static int vteardown(void **state)
{
	struct vfixture *f = *state;
	int i;

	for (i = 0; i < 4; i++)
		if (!f->v[i].closing)
			vtimer_close(&f->v[i]);
	unet_hub_close(f->hub);
	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
	for (i = 0; i < 4; i++)
		assert_int_equal(f->v[i].closed, 1);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	free(f);
	return 0;
}

static void test_vclock_due_order(void **state)
{
	struct vfixture *f = *state;

	assert_true(unet_hub_virtual_clock(f->hub));
	assert_int_equal(unet_hub_now_ns(f->hub), 0);
	unet_timer_start(&f->v[0].t, vtimer_cb, 30);
	unet_timer_start(&f->v[1].t, vtimer_cb, 10);
	unet_timer_start(&f->v[2].t, vtimer_cb, 20);
	/* nothing happens while time stands still, loop or no loop */
	assert_int_equal(uv_run(&f->loop, UV_RUN_NOWAIT), 0);
	assert_int_equal(vlog_n, 0);
	assert_true(unet_timer_active(&f->v[0].t));

	assert_int_equal(unet_hub_clock_advance(f->hub, 25 * MS), 0);
	assert_int_equal(vlog_n, 2);
	assert_int_equal(vlog_id[0], 1);
	assert_int_equal(vlog_ns[0], 10 * MS);
	assert_int_equal(vlog_id[1], 2);
	assert_int_equal(vlog_ns[1], 20 * MS);
	assert_int_equal(unet_hub_now_ns(f->hub), 25 * MS);
	assert_true(unet_timer_active(&f->v[0].t));
	assert_false(unet_timer_active(&f->v[1].t));

	/* due exactly at the end of a step: fires in that step */
	assert_int_equal(unet_hub_clock_advance(f->hub, 5 * MS), 0);
	assert_int_equal(vlog_n, 3);
	assert_int_equal(vlog_id[2], 0);
	assert_int_equal(vlog_ns[2], 30 * MS);
	assert_false(unet_timer_active(&f->v[0].t));
}

static void test_vclock_ties_keep_start_order(void **state)
{
	struct vfixture *f = *state;
	int i;

	unet_timer_start(&f->v[2].t, vtimer_cb, 10);
	unet_timer_start(&f->v[0].t, vtimer_cb, 10);
	unet_timer_start(&f->v[3].t, vtimer_cb, 10);
	unet_timer_start(&f->v[1].t, vtimer_cb, 10);
	/* a restart counts as a new start: v[0] goes behind the others */
	unet_timer_start(&f->v[0].t, vtimer_cb, 10);
	assert_int_equal(unet_hub_clock_advance(f->hub, 10 * MS), 0);
	assert_int_equal(vlog_n, 4);
	assert_int_equal(vlog_id[0], 2);
	assert_int_equal(vlog_id[1], 3);
	assert_int_equal(vlog_id[2], 1);
	assert_int_equal(vlog_id[3], 0);
	for (i = 0; i < 4; i++)
		assert_int_equal(vlog_ns[i], 10 * MS);
}

static void test_vclock_start_from_callback(void **state)
{
	struct vfixture *f = *state;

	/* v0 at 10 starts v1 5 ms later, which starts v2 at once: both due
	 * inside the step; v2 starts v3 20 ms later, past the step. */
	f->v[0].chain = &f->v[1];
	f->v[0].chain_ms = 5;
	f->v[1].chain = &f->v[2];
	f->v[1].chain_ms = 0;
	f->v[2].chain = &f->v[3];
	f->v[2].chain_ms = 20;
	unet_timer_start(&f->v[0].t, vtimer_cb, 10);
	assert_int_equal(unet_hub_clock_advance(f->hub, 20 * MS), 0);
	assert_int_equal(vlog_n, 3);
	assert_int_equal(vlog_id[0], 0);
	assert_int_equal(vlog_ns[0], 10 * MS);
	assert_int_equal(vlog_id[1], 1);
	assert_int_equal(vlog_ns[1], 15 * MS);
	assert_int_equal(vlog_id[2], 2);
	assert_int_equal(vlog_ns[2], 15 * MS);
	assert_true(unet_timer_active(&f->v[3].t));
	assert_int_equal(unet_hub_now_ns(f->hub), 20 * MS);
	assert_int_equal(unet_hub_clock_advance(f->hub, 15 * MS), 0);
	assert_int_equal(vlog_n, 4);
	assert_int_equal(vlog_id[3], 3);
	assert_int_equal(vlog_ns[3], 35 * MS);
}

static void test_vclock_stop_restart_close(void **state)
{
	struct vfixture *f = *state;
	uint64_t in;

	unet_timer_start(&f->v[0].t, vtimer_cb, 10);
	unet_timer_start(&f->v[1].t, vtimer_cb, 10);
	unet_timer_start(&f->v[2].t, vtimer_cb, 10);
	/* stopped: never fires; stopping again is harmless */
	unet_timer_stop(&f->v[0].t);
	unet_timer_stop(&f->v[0].t);
	assert_false(unet_timer_active(&f->v[0].t));
	/* restarted while pending: only the new due time counts */
	unet_timer_start(&f->v[1].t, vtimer_cb, 40);
	/* closed while pending: never fires, its close callback runs */
	vtimer_close(&f->v[2]);
	assert_false(unet_timer_active(&f->v[2].t));
	assert_int_equal(unet_hub_next_timer(f->hub, &in), 0);
	assert_int_equal(in, 40 * MS);
	assert_int_equal(unet_hub_clock_advance(f->hub, 30 * MS), 0);
	assert_int_equal(vlog_n, 0);
	assert_int_equal(unet_hub_clock_advance(f->hub, 10 * MS), 0);
	assert_int_equal(vlog_n, 1);
	assert_int_equal(vlog_id[0], 1);
	assert_int_equal(vlog_ns[0], 40 * MS);
	assert_int_equal(uv_run(&f->loop, UV_RUN_NOWAIT), 0);
	assert_int_equal(f->v[2].closed, 1);
	/* a stopped timer starts again */
	unet_timer_start(&f->v[0].t, vtimer_cb, 1);
	assert_int_equal(unet_hub_clock_advance(f->hub, MS), 0);
	assert_int_equal(vlog_n, 2);
	assert_int_equal(vlog_id[1], 0);
}

static void test_vclock_advance_zero(void **state)
{
	struct vfixture *f = *state;
	uint64_t in;

	assert_int_equal(unet_hub_clock_advance(f->hub, 3 * MS), 0);
	unet_timer_start(&f->v[0].t, vtimer_cb, 0);
	assert_int_equal(vlog_n, 0);
	assert_int_equal(unet_hub_next_timer(f->hub, &in), 0);
	assert_int_equal(in, 0);
	assert_int_equal(unet_hub_clock_advance(f->hub, 0), 0);
	assert_int_equal(vlog_n, 1);
	assert_int_equal(vlog_ns[0], 3 * MS);
	assert_int_equal(unet_hub_now_ns(f->hub), 3 * MS);
	/* nothing pending: advancing by 0 does nothing */
	assert_int_equal(unet_hub_clock_advance(f->hub, 0), 0);
	assert_int_equal(vlog_n, 1);
}

static void test_vclock_next_timer(void **state)
{
	struct vfixture *f = *state;
	uint64_t in = 12345;

	assert_int_equal(unet_hub_next_timer(f->hub, &in), -ENOENT);
	assert_int_equal(in, 12345);
	unet_timer_start(&f->v[0].t, vtimer_cb, 250);
	unet_timer_start(&f->v[1].t, vtimer_cb, 100);
	assert_int_equal(unet_hub_next_timer(f->hub, &in), 0);
	assert_int_equal(in, 100 * MS);
	assert_int_equal(unet_hub_clock_advance(f->hub, 60 * MS), 0);
	assert_int_equal(unet_hub_next_timer(f->hub, &in), 0);
	assert_int_equal(in, 40 * MS);
	/* a driver that jumps from timer to timer */
	while (unet_hub_next_timer(f->hub, &in) == 0)
		assert_int_equal(unet_hub_clock_advance(f->hub, in), 0);
	assert_int_equal(vlog_n, 2);
	assert_int_equal(unet_hub_now_ns(f->hub), 250 * MS);
	assert_int_equal(unet_hub_next_timer(f->hub, &in), -ENOENT);
}

static void test_vclock_realtime(void **state)
{
	struct vfixture *f = *state;
	uint64_t epoch = 1700000000ull * 1000000000u;

	assert_int_equal(unet_hub_realtime_ns(f->hub), epoch);
	assert_int_equal(unet_hub_clock_advance(f->hub, 1500 * MS), 0);
	assert_int_equal(unet_hub_now_ns(f->hub), 1500 * MS);
	assert_int_equal(unet_hub_realtime_ns(f->hub), epoch + 1500 * MS);
	/* the clock does not wrap */
	assert_int_equal(unet_hub_clock_advance(f->hub, UINT64_MAX), -ERANGE);
	assert_int_equal(unet_hub_now_ns(f->hub), 1500 * MS);
}

static void test_real_clock_refuses_advance(void **state)
{
	struct unet_hub *hub;
	struct vtimer v;
	uv_loop_t loop;
	uint64_t in;

	(void)state;
	memset(&v, 0, sizeof(v));
	uv_loop_init(&loop);
	assert_int_equal(unet_hub_new(&loop, NULL, &hub), 0);
	assert_false(unet_hub_virtual_clock(hub));
	assert_int_equal(unet_hub_clock_advance(hub, 0), -EINVAL);
	assert_int_equal(unet_hub_clock_advance(hub, MS), -EINVAL);
	assert_int_equal(unet_hub_next_timer(hub, &in), -EINVAL);
	/* on a real clock a timer is a uv timer and fires from the loop */
	vlog_n = 0;
	v.hub = hub;
	v.id = 7;
	assert_int_equal(unet_timer_init(hub, &v.t), 0);
	unet_timer_start(&v.t, vtimer_cb, 1);
	assert_true(unet_timer_active(&v.t));
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(vlog_n, 1);
	assert_int_equal(vlog_id[0], 7);
	assert_false(unet_timer_active(&v.t));
	unet_timer_start(&v.t, vtimer_cb, 1000);
	unet_timer_close(&v.t, vtimer_closed);
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(vlog_n, 1);
	assert_int_equal(v.closed, 1);
	unet_hub_close(hub);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* A hub closed with timers still pending: they never fire, and may still
 * be closed afterwards (ASan watches the memory). */
static void test_vclock_close_with_pending(void **state)
{
	struct unet_hub_config c;
	struct unet_hub *hub;
	struct vtimer *v = calloc(3, sizeof(*v));
	uv_loop_t loop;
	int i;

	(void)state;
	assert_non_null(v);
	uv_loop_init(&loop);
	unet_hub_config_init(&c);
	c.virtual_clock = true;
	assert_int_equal(unet_hub_new(&loop, &c, &hub), 0);
	vlog_n = 0;
	for (i = 0; i < 3; i++) {
		v[i].hub = hub;
		assert_int_equal(unet_timer_init(hub, &v[i].t), 0);
		unet_timer_start(&v[i].t, vtimer_cb, (uint64_t)(i + 1) * 10);
	}
	unet_hub_close(hub);
	for (i = 0; i < 3; i++) {
		assert_false(unet_timer_active(&v[i].t));
		unet_timer_stop(&v[i].t);
		unet_timer_close(&v[i].t, vtimer_closed);
	}
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(v[i].closed, 1);
	assert_int_equal(vlog_n, 0);
	free(v);
	assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_seeded),
		cmocka_unit_test(test_clock_hook),
		cmocka_unit_test_setup_teardown(test_vclock_due_order, vsetup,
						vteardown),
		cmocka_unit_test_setup_teardown(
			test_vclock_ties_keep_start_order, vsetup, vteardown),
		cmocka_unit_test_setup_teardown(test_vclock_start_from_callback,
						vsetup, vteardown),
		cmocka_unit_test_setup_teardown(test_vclock_stop_restart_close,
						vsetup, vteardown),
		cmocka_unit_test_setup_teardown(test_vclock_advance_zero,
						vsetup, vteardown),
		cmocka_unit_test_setup_teardown(test_vclock_next_timer, vsetup,
						vteardown),
		cmocka_unit_test_setup_teardown(test_vclock_realtime, vsetup,
						vteardown),
		cmocka_unit_test(test_real_clock_refuses_advance),
		cmocka_unit_test(test_vclock_close_with_pending),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
