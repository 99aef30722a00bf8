// SPDX-License-Identifier: MIT
/*
 * Tests of the callback port (hub/cbport.c): frames in with
 * unet_cb_port_input(), out through the embedder's callback, -EAGAIN
 * queueing and unet_port_flush(), bad arguments, closing, and a port that
 * opted in to offloads.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <usernet/ports.h>

#include "testnet.h"

/**
 * struct rx - what the embedder's callback saw
 * @frames: frames taken
 * @last: the first byte of each taken frame, in order
 * @refuse: answer -EAGAIN while set
 * @fail: answer -EIO while set
 */
struct rx {
	int frames;
	uint8_t last[64];
	bool refuse;
	bool fail;
};

static int rx_cb(void *opaque, const void *frame, size_t len)
{
	struct rx *rx = opaque;

	if (rx->refuse)
		return -EAGAIN;
	if (rx->fail)
		return -EIO;
	if (rx->frames < 64)
		rx->last[rx->frames] = ((const uint8_t *)frame)[0];
	rx->frames++;
	return 0;
}

/**
 * struct fixture - a hub with a capture port and a callback port
 * @loop: the loop
 * @hub: the hub
 * @cap: the other port
 * @rx: the callback's record
 * @port: the callback port
 */
struct fixture {
	uv_loop_t loop;
	struct unet_hub *hub;
	struct tn_capture cap;
	struct rx rx;
	struct unet_port *port;
};

static int setup(void **state)
{
	static struct fixture f;

	memset(&f, 0, sizeof(f));
	assert_int_equal(uv_loop_init(&f.loop), 0);
	assert_int_equal(unet_hub_new(&f.loop, NULL, &f.hub), 0);
	tn_capture_init(&f.cap, NULL, TN_CAP_MAX);
	tn_capture_attach(&f.cap, f.hub);
	assert_int_equal(unet_cb_port_open(f.hub, "cb", rx_cb, &f.rx, &f.port),
			 0);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	unet_hub_close(f->hub);	/* closes the callback port too */
	tn_capture_reset(&f->cap);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	return 0;
}

static void frame(uint8_t *buf, size_t len, uint8_t tag)
{
	memset(buf, 0, len);
	buf[0] = tag;
}

static void test_both_ways(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[60];

	frame(buf, sizeof(buf), 0x11);
	assert_int_equal(unet_cb_port_input(f->port, buf, sizeof(buf)), 0);
	assert_int_equal(f->cap.frames, 1);
	assert_int_equal(f->cap.data[0][0], 0x11);
	assert_int_equal(f->rx.frames, 0);	/* never back to the sender */
	assert_int_equal(f->port->stats.in_frames, 1);

	frame(buf, sizeof(buf), 0x22);
	assert_int_equal(unet_hub_input(&f->cap.port, buf, sizeof(buf)), 0);
	assert_int_equal(f->rx.frames, 1);
	assert_int_equal(f->rx.last[0], 0x22);
	assert_int_equal(f->port->stats.out_frames, 1);
	assert_string_equal(f->port->ops->name, "callback");
	assert_string_equal(f->port->id, "cb");
}

static void test_eagain_queues_then_flush(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[60];
	int i;

	f->rx.refuse = true;
	for (i = 0; i < 3; i++) {
		frame(buf, sizeof(buf), (uint8_t)(0x30 + i));
		assert_int_equal(unet_hub_input(&f->cap.port, buf, sizeof(buf)),
				 0);
	}
	assert_int_equal(f->rx.frames, 0);
	assert_false(unet_port_queue_empty(f->port));
	assert_int_equal(unet_port_flush(f->port), -EAGAIN);
	f->rx.refuse = false;
	assert_int_equal(unet_port_flush(f->port), 0);
	assert_true(unet_port_queue_empty(f->port));
	assert_int_equal(f->rx.frames, 3);
	for (i = 0; i < 3; i++)
		assert_int_equal(f->rx.last[i], 0x30 + i);	/* in order */
}

static void test_errors_counted(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[60];

	f->rx.fail = true;
	frame(buf, sizeof(buf), 0x40);
	assert_int_equal(unet_hub_input(&f->cap.port, buf, sizeof(buf)), 0);
	assert_int_equal(f->port->stats.drops[UNET_DROP_ERROR], 1);
	assert_int_equal(unet_cb_port_input(f->port, buf, 10), -EINVAL);
	assert_int_equal(f->port->stats.drops[UNET_DROP_SHORT], 1);
	assert_int_equal(f->cap.frames, 0);
}

static void test_bad_arguments(void **state)
{
	struct fixture *f = *state;
	struct unet_port *p = NULL;
	uint8_t buf[60] = { 0 };

	assert_int_equal(unet_cb_port_open(NULL, "x", rx_cb, NULL, &p),
			 -EINVAL);
	assert_int_equal(unet_cb_port_open(f->hub, "x", NULL, NULL, &p),
			 -EINVAL);
	assert_int_equal(unet_cb_port_open(f->hub, "x", rx_cb, NULL, NULL),
			 -EINVAL);
	assert_null(p);
	/* Only a callback port takes frames through this call. */
	assert_int_equal(unet_cb_port_input(&f->cap.port, buf, sizeof(buf)),
			 -EINVAL);
	assert_int_equal(unet_cb_port_input(NULL, buf, sizeof(buf)), -EINVAL);
}

static void test_close_detaches(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[60];

	unet_port_close(f->port);
	frame(buf, sizeof(buf), 0x50);
	assert_int_equal(unet_hub_input(&f->cap.port, buf, sizeof(buf)), 0);
	assert_int_equal(f->rx.frames, 0);
	assert_ptr_equal(unet_hub_ports(f->hub), &f->cap.port);
	assert_null(f->cap.port.next);
	/* Another one can take its place. */
	assert_int_equal(unet_cb_port_open(f->hub, "cb2", rx_cb, &f->rx,
					   &f->port), 0);
}

/* What a callback port that opted in to offloads got through rx_off. */
struct rx_off {
	int frames;
	size_t len;
	struct unet_offload off;
};

static int rx_off_cb(void *opaque, const void *frame, size_t len,
		     const struct unet_offload *off)
{
	struct rx_off *r = opaque;

	(void)frame;
	r->frames++;
	r->len = len;
	r->off = *off;
	return 0;
}

static int rx_ignore(void *opaque, const void *frame, size_t len)
{
	(void)opaque;
	(void)frame;
	(void)len;
	return 0;
}

/*
 * A VMM's virtio device opts in: a 4000-byte TSO segment it hands over
 * reaches another opted-in callback port whole with its facts, and the
 * plain capture port as segments within the MTU.
 */
static void test_offload(void **state)
{
	struct fixture *f = *state;
	static uint8_t buf[14 + 20 + 20 + 4000];
	size_t len = sizeof(buf);
	struct unet_offload off = {
		.flags = UNET_OFFLOAD_F_NEEDS_CSUM,
		.gso_type = UNET_GSO_TCPV4,
		.gso_size = 1000,
		.csum_start = 34,
		.csum_offset = 16,
	};
	struct unet_port *vio = NULL;
	struct rx_off got = { 0 };
	int i;

	assert_int_equal(
		unet_cb_port_open(f->hub, "virtio", rx_ignore, &got, &vio), 0);
	/* bad uses */
	assert_int_equal(unet_cb_port_set_offload(vio, 0x100, rx_off_cb),
			 -EINVAL);
	assert_int_equal(unet_cb_port_set_offload(vio, UNET_PORT_OFFLOAD_CSUM,
						  NULL),
			 -EINVAL);
	assert_int_equal(unet_cb_port_set_offload(&f->cap.port,
						  UNET_PORT_OFFLOAD_CSUM,
						  rx_off_cb),
			 -EINVAL);
	assert_int_equal(
		unet_cb_port_set_offload(
			vio, UNET_PORT_OFFLOAD_CSUM | UNET_PORT_OFFLOAD_TSO4,
			rx_off_cb),
		0);

	tn_ip_header(buf, tn_gw_mac, tn_ip("10.0.2.15"), tn_ip("10.0.2.2"), 6,
		     20 + 20 + 4000, 1, 0);
	buf[34 + 12] = 5 << 4; /* TCP header length 20 */
	buf[34 + 13] = 0x10; /* ACK */
	assert_int_equal(unet_cb_port_input_offload(f->port, buf, len, &off),
			 0);
	assert_int_equal(got.frames, 1);
	assert_int_equal(got.len, len);
	assert_int_equal(got.off.gso_type, UNET_GSO_TCPV4);
	assert_int_equal(got.off.gso_size, 1000);
	assert_int_equal(f->cap.frames, 4);
	for (i = 0; i < f->cap.frames; i++)
		assert_true(f->cap.len[i] <= 1514);
	/* opted out: the same frame comes cut through the plain callback */
	assert_int_equal(unet_cb_port_set_offload(vio, 0, NULL), 0);
	assert_int_equal(unet_cb_port_input_offload(f->port, buf, len, &off),
			 0);
	assert_int_equal(got.frames, 1);
	assert_int_equal(vio->stats.out_frames, 1 + 4);
	/* a hostile size: dropped at the door */
	off.gso_size = 0;
	assert_int_equal(unet_cb_port_input_offload(f->port, buf, len, &off),
			 -EINVAL);
	assert_int_equal(unet_cb_port_input_offload(&f->cap.port, buf, len,
						    &off),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_both_ways, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_eagain_queues_then_flush,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors_counted, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_arguments, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_close_detaches, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_offload, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
