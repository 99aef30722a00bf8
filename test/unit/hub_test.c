/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the hub: delivery, counters, length checks, bounded queues,
 * the log, and loss (on a virtual clock; the clock itself is clock_test.c).
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

/* A port that records what it is sent and can refuse (-EAGAIN) on demand. */
struct test_port {
	struct unet_port port;
	int frames;
	size_t last_len;
	unsigned char last[256];
	int busy;		/* answer -EAGAIN while non-zero */
	int fail;		/* answer -EIO while non-zero */
	int closed;
	unsigned char order[64]; /* first byte of each frame taken */
	struct unet_port *echo;	/* when set, each frame taken is re-sent */
};

static int test_send(struct unet_port *port, const void *frame, size_t len)
{
	struct test_port *t = (struct test_port *)port;

	if (t->busy)
		return -EAGAIN;
	if (t->fail)
		return -EIO;
	if (t->frames < (int)sizeof(t->order))
		t->order[t->frames] = ((const unsigned char *)frame)[0];
	t->frames++;
	t->last_len = len;
	memcpy(t->last, frame, len < sizeof(t->last) ? len : sizeof(t->last));
	if (t->echo != NULL)
		unet_hub_input(t->echo, frame, len);
	return 0;
}

static void test_close(struct unet_port *port)
{
	struct test_port *t = (struct test_port *)port;

	t->closed++;
	unet_hub_detach(port);
}

static const struct unet_port_ops test_ops = {
	.name = "test",
	.send = test_send,
	.close = test_close,
};

struct fixture {
	uv_loop_t loop;
	struct unet_hub *hub;
	struct test_port p[3];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	int i;

	assert_non_null(f);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	assert_int_equal(unet_hub_new(&f->loop, NULL, &f->hub), 0);
	for (i = 0; i < 3; i++) {
		unet_port_init(&f->p[i].port, &test_ops, "t");
		assert_int_equal(unet_hub_attach(f->hub, &f->p[i].port), 0);
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int i;

	unet_hub_close(f->hub);
	for (i = 0; i < 3; i++)
		assert_int_equal(f->p[i].closed, 1);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	free(f);
	return 0;
}

static void frame_fill(unsigned char *buf, size_t len, unsigned char tag)
{
	memset(buf, 0xab, len);
	buf[0] = tag;
}

static void test_delivers_to_others_not_sender(void **state)
{
	struct fixture *f = *state;
	unsigned char frame[60];

	frame_fill(frame, sizeof(frame), 1);
	assert_int_equal(unet_hub_input(&f->p[0].port, frame, sizeof(frame)), 0);
	assert_int_equal(f->p[0].frames, 0);
	assert_int_equal(f->p[1].frames, 1);
	assert_int_equal(f->p[2].frames, 1);
	assert_int_equal(f->p[1].last_len, sizeof(frame));
	assert_memory_equal(f->p[2].last, frame, sizeof(frame));
}

static void test_counters(void **state)
{
	struct fixture *f = *state;
	unsigned char frame[100];

	frame_fill(frame, sizeof(frame), 1);
	unet_hub_input(&f->p[0].port, frame, 60);
	unet_hub_input(&f->p[0].port, frame, 100);
	unet_hub_input(&f->p[1].port, frame, 80);
	assert_int_equal(f->p[0].port.stats.in_frames, 2);
	assert_int_equal(f->p[0].port.stats.in_bytes, 160);
	assert_int_equal(f->p[0].port.stats.out_frames, 1);
	assert_int_equal(f->p[0].port.stats.out_bytes, 80);
	assert_int_equal(f->p[2].port.stats.out_frames, 3);
	assert_int_equal(f->p[2].port.stats.out_bytes, 240);
	assert_int_equal(f->p[2].port.stats.in_frames, 0);
}

static void test_length_checks(void **state)
{
	struct fixture *f = *state;
	size_t max = unet_hub_frame_max(f->hub);
	unsigned char *big = calloc(1, max + 1);
	const struct unet_port_stats *s = &f->p[0].port.stats;

	assert_non_null(big);
	assert_int_equal(max, UNET_MTU_DEFAULT + 14 + 4);
	assert_int_equal(unet_hub_input(&f->p[0].port, big, 0), -EINVAL);
	assert_int_equal(unet_hub_input(&f->p[0].port, big, 13), -EINVAL);
	assert_int_equal(unet_hub_input(&f->p[0].port, big, max + 1), -EINVAL);
	assert_int_equal(s->drops[UNET_DROP_SHORT], 2);
	assert_int_equal(s->drops[UNET_DROP_LONG], 1);
	assert_int_equal(s->in_frames, 0);
	assert_int_equal(f->p[1].frames, 0);
	/* the limits themselves pass */
	assert_int_equal(unet_hub_input(&f->p[0].port, big, 14), 0);
	assert_int_equal(unet_hub_input(&f->p[0].port, big, max), 0);
	assert_int_equal(f->p[1].frames, 2);
	free(big);
}

static void test_mtu_config(void **state)
{
	struct unet_hub_config c;
	struct unet_hub *hub;
	uv_loop_t loop;

	(void)state;
	uv_loop_init(&loop);
	unet_hub_config_init(&c);
	c.mtu = UNET_MTU_MAX + 1;
	assert_int_equal(unet_hub_new(&loop, &c, &hub), -EINVAL);
	c.mtu = UNET_MTU_MIN - 1;
	assert_int_equal(unet_hub_new(&loop, &c, &hub), -EINVAL);
	c.mtu = 1500;
	c.size = sizeof(c) - 1;
	assert_int_equal(unet_hub_new(&loop, &c, &hub), -EINVAL);
	c.size = sizeof(c);
	assert_int_equal(unet_hub_new(&loop, &c, &hub), 0);
	assert_int_equal(unet_hub_frame_max(hub), 1518);
	unet_hub_close(hub);
	assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_queue_keeps_order_and_flushes(void **state)
{
	struct fixture *f = *state;
	unsigned char frame[60];
	int i;

	f->p[1].busy = 1;
	for (i = 0; i < 5; i++) {
		frame_fill(frame, sizeof(frame), (unsigned char)i);
		unet_hub_input(&f->p[0].port, frame, sizeof(frame));
	}
	assert_false(unet_port_queue_empty(&f->p[1].port));
	assert_int_equal(f->p[1].frames, 0);
	assert_int_equal(f->p[2].frames, 5); /* a busy port holds nobody up */
	assert_int_equal(unet_port_flush(&f->p[1].port), -EAGAIN);
	f->p[1].busy = 0;
	/* a frame arriving before the flush joins the queue's tail */
	frame_fill(frame, sizeof(frame), 5);
	unet_hub_input(&f->p[0].port, frame, sizeof(frame));
	assert_int_equal(f->p[1].frames, 0);
	assert_int_equal(unet_port_flush(&f->p[1].port), 0);
	assert_true(unet_port_queue_empty(&f->p[1].port));
	assert_int_equal(f->p[1].frames, 6);
	for (i = 0; i < 6; i++)
		assert_int_equal(f->p[1].order[i], i);
	assert_int_equal(f->p[1].port.stats.out_frames, 6);
	assert_int_equal(f->p[1].port.stats.drops[UNET_DROP_QUEUE_FULL], 0);
}

static void test_queue_bounded(void **state)
{
	struct fixture *f = *state;
	unsigned char frame[1000];
	int i;

	memset(frame, 0, sizeof(frame));
	f->p[1].busy = 1;
	f->p[1].port.queue_max = 4;
	for (i = 0; i < 10; i++)
		unet_hub_input(&f->p[0].port, frame, 100);
	assert_int_equal(f->p[1].port.stats.drops[UNET_DROP_QUEUE_FULL], 6);
	/* the byte bound holds too */
	f->p[2].busy = 1;
	f->p[2].port.queue_bytes_max = 2500;
	for (i = 0; i < 5; i++)
		unet_hub_input(&f->p[0].port, frame, sizeof(frame));
	assert_int_equal(f->p[2].port.stats.drops[UNET_DROP_QUEUE_FULL], 3);
	f->p[1].busy = f->p[2].busy = 0;
	assert_int_equal(unet_port_flush(&f->p[1].port), 0);
	assert_int_equal(unet_port_flush(&f->p[2].port), 0);
	assert_int_equal(f->p[1].frames, 4);
	assert_int_equal(f->p[2].frames, 12); /* 10 small ones, 2 big ones */
}

static void test_send_error_counted(void **state)
{
	struct fixture *f = *state;
	unsigned char frame[60] = { 0 };

	f->p[2].fail = 1;
	unet_hub_input(&f->p[0].port, frame, sizeof(frame));
	assert_int_equal(f->p[2].port.stats.drops[UNET_DROP_ERROR], 1);
	assert_int_equal(f->p[2].port.stats.out_frames, 0);
	assert_int_equal(f->p[1].frames, 1);
}

static void test_detached_port(void **state)
{
	struct fixture *f = *state;
	unsigned char frame[60] = { 0 };

	unet_hub_detach(&f->p[2].port);
	assert_int_equal(unet_hub_input(&f->p[2].port, frame, 60), -ENOTCONN);
	unet_hub_input(&f->p[0].port, frame, sizeof(frame));
	assert_int_equal(f->p[2].frames, 0);
	assert_int_equal(f->p[1].frames, 1);
	/* attaching twice is refused; re-attaching after a detach works */
	assert_int_equal(unet_hub_attach(f->hub, &f->p[1].port), -EINVAL);
	assert_int_equal(unet_hub_attach(f->hub, &f->p[2].port), 0);
}

/* Two ports that echo every frame to each other must not recurse forever. */
static void test_nesting_bounded(void **state)
{
	struct fixture *f = *state;
	unsigned char frame[60] = { 0 };

	f->p[1].echo = &f->p[1].port;
	f->p[2].echo = &f->p[2].port;
	unet_hub_input(&f->p[0].port, frame, sizeof(frame));
	assert_true(f->p[1].frames < 1000);
	assert_true(f->p[1].port.stats.drops[UNET_DROP_ERROR] +
		    f->p[2].port.stats.drops[UNET_DROP_ERROR] > 0);
}

/* A port may detach another one (or itself) in the middle of a delivery. */
struct detacher {
	struct test_port t;
	struct unet_port *victim;
};

static int detacher_send(struct unet_port *port, const void *frame,
			 size_t len)
{
	struct detacher *d = (struct detacher *)port;

	unet_hub_detach(d->victim);
	return test_send(port, frame, len);
}

static const struct unet_port_ops detacher_ops = {
	.name = "detacher",
	.send = detacher_send,
	.close = test_close,
};

static void test_detach_during_delivery(void **state)
{
	struct fixture *f = *state;
	struct detacher d;
	unsigned char frame[60] = { 0 };

	memset(&d, 0, sizeof(d));
	/* order on the hub: p0 p1 d p2; d detaches p2, the port after it */
	unet_hub_detach(&f->p[2].port);
	unet_port_init(&d.t.port, &detacher_ops, "d");
	assert_int_equal(unet_hub_attach(f->hub, &d.t.port), 0);
	assert_int_equal(unet_hub_attach(f->hub, &f->p[2].port), 0);
	d.victim = &f->p[2].port;
	unet_hub_input(&f->p[0].port, frame, sizeof(frame));
	assert_int_equal(f->p[1].frames, 1);
	assert_int_equal(d.t.frames, 1);
	assert_int_equal(f->p[2].frames, 0);
	unet_hub_detach(&d.t.port);
	assert_int_equal(unet_hub_attach(f->hub, &f->p[2].port), 0);
}

static int log_calls;
static char log_last[600];
static void test_log_cb(void *opaque, enum unet_log_level level,
			const char *msg)
{
	(void)opaque;
	(void)level;
	log_calls++;
	snprintf(log_last, sizeof(log_last), "%s", msg);
}

static void test_log_levels(void **state)
{
	struct fixture *f = *state;
	char longmsg[2000];

	log_calls = 0;
	unet_hub_set_log(f->hub, test_log_cb, NULL, UNET_LOG_WARN);
	unet_hub_log(f->hub, UNET_LOG_DEBUG, "hidden");
	unet_hub_log(f->hub, UNET_LOG_ERROR, "shown %d\n", 7);
	assert_int_equal(log_calls, 1);
	assert_string_equal(log_last, "shown 7");
	memset(longmsg, 'x', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = '\0';
	unet_hub_log(f->hub, UNET_LOG_ERROR, "%s", longmsg);
	assert_int_equal(log_calls, 2);
	assert_true(strlen(log_last) < sizeof(longmsg));
}

/* ---- loss on a virtual clock -------------------------------------------- */

struct vfixture {
	uv_loop_t loop;
	struct unet_hub *hub;
};

static int vsetup(void **state)
{
	struct vfixture *f = calloc(1, sizeof(*f));
	struct unet_hub_config c;

	assert_non_null(f);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	unet_hub_config_init(&c);
	c.virtual_clock = true;
	c.seed = 1;
	assert_int_equal(unet_hub_new(&f->loop, &c, &f->hub), 0);
	*state = f;
	return 0;
}

static int vteardown(void **state)
{
	struct vfixture *f = *state;

	unet_hub_close(f->hub);
	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	free(f);
	return 0;
}

#define MS 1000000ull

/* loss-burst: LEN in a row at the start of every EVERY, in the order the
 * frames come; a pause of UNET_LOSS_BURST_GAP_MS ends a burst early. */
static void test_loss_burst(void **state)
{
	struct vfixture *f = *state;
	struct test_port p[2];
	unsigned char frame[60];
	int i, got;

	for (i = 0; i < 2; i++) {
		memset(&p[i], 0, sizeof(p[i]));
		unet_port_init(&p[i].port, &test_ops, "l");
		assert_int_equal(unet_hub_attach(f->hub, &p[i].port), 0);
	}
	p[1].port.loss.burst_len = 3;
	p[1].port.loss.burst_every = 10;
	for (i = 0; i < 30; i++) {
		frame_fill(frame, sizeof(frame), (unsigned char)i);
		unet_hub_input(&p[0].port, frame, sizeof(frame));
	}
	/* frames 0-2, 10-12, 20-22 lost; the others arrive in order */
	assert_int_equal(p[1].frames, 21);
	assert_int_equal(p[1].port.stats.drops[UNET_DROP_LOSS], 9);
	assert_int_equal(p[1].order[0], 3);
	assert_int_equal(p[1].order[6], 9);
	assert_int_equal(p[1].order[7], 13);
	assert_int_equal(p[0].port.stats.drops[UNET_DROP_LOSS], 0);
	assert_int_equal(p[0].frames, 0);

	/* frame 30 starts a burst; after a pause the next one gets through */
	unet_hub_input(&p[0].port, frame, sizeof(frame));
	assert_int_equal(unet_hub_clock_advance(f->hub,
						UNET_LOSS_BURST_GAP_MS * MS),
			 0);
	got = p[1].frames;
	unet_hub_input(&p[0].port, frame, sizeof(frame));
	assert_int_equal(p[1].frames, got + 1);
	assert_int_equal(p[1].port.stats.drops[UNET_DROP_LOSS], 10);
	/* that burst is over: frames 32 and 33 arrive too */
	unet_hub_input(&p[0].port, frame, sizeof(frame));
	unet_hub_input(&p[0].port, frame, sizeof(frame));
	assert_int_equal(p[1].frames, got + 3);
	for (i = 0; i < 2; i++)
		unet_hub_detach(&p[i].port);
}

/* loss=N: about 1 in N at random, the same frames for the same seed. */
static void test_loss_random(void **state)
{
	struct vfixture *f = *state;
	struct test_port p[2];
	unsigned char frame[60];
	int i;

	for (i = 0; i < 2; i++) {
		memset(&p[i], 0, sizeof(p[i]));
		unet_port_init(&p[i].port, &test_ops, "l");
		assert_int_equal(unet_hub_attach(f->hub, &p[i].port), 0);
	}
	p[1].port.loss.one_in = 10;
	frame_fill(frame, sizeof(frame), 1);
	for (i = 0; i < 10000; i++)
		unet_hub_input(&p[0].port, frame, sizeof(frame));
	assert_int_equal(p[1].frames +
				 p[1].port.stats.drops[UNET_DROP_LOSS],
			 10000);
	/* 1000 expected; 4 standard deviations (4 x 30) either way */
	assert_in_range(p[1].port.stats.drops[UNET_DROP_LOSS], 880, 1120);
	/* loss=1 loses everything */
	p[1].port.loss.one_in = 1;
	unet_hub_input(&p[0].port, frame, sizeof(frame));
	assert_int_equal(p[1].frames + p[1].port.stats.drops[UNET_DROP_LOSS],
			 10001);
	assert_int_equal(p[1].port.stats.out_frames, (uint64_t)p[1].frames);
	for (i = 0; i < 2; i++)
		unet_hub_detach(&p[i].port);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_delivers_to_others_not_sender, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_length_checks, setup,
						teardown),
		cmocka_unit_test(test_mtu_config),
		cmocka_unit_test_setup_teardown(
			test_queue_keeps_order_and_flushes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_bounded, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_send_error_counted, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_detached_port, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_nesting_bounded, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_detach_during_delivery,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_levels, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_loss_burst, vsetup,
						vteardown),
		cmocka_unit_test_setup_teardown(test_loss_random, vsetup,
						vteardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
