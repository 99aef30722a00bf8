/* SPDX-License-Identifier: MIT */
/*
 * Versioned configuration structs (hub.h, "Versioned configurations"):
 * every struct unet_*_config is taken by the rule of Linux's
 * copy_struct_from_user(). For each struct, held in a buffer TAIL bytes
 * longer than the struct:
 *
 *   size                         the call          and then
 *   sizeof                       0                 behaves as the defaults
 *   first release's size         0                 behaves as the defaults
 *   that - 1, 0, sizeof(size)    -EINVAL
 *   sizeof + TAIL, tail zero     0                 behaves as the defaults
 *   sizeof + TAIL, a tail byte   -E2BIG            (first, last tail byte)
 *   sizeof, tail not zero        0                 (the tail is not read)
 *
 * "Behaves as the defaults" is checked where the defaults can be seen:
 * the hub's MTU, the gateway answering ARP at 10.0.2.2, the model's MAC.
 * The helper itself is also tested on a made-up second version of a
 * struct, for what no released struct can show yet: an older binary's
 * smaller struct, whose missing fields keep the library's defaults.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include <usernet/hub.h>
#include <usernet/ports.h>
#include <usernet/proxy.h>
#include <usernet/replay.h>
#include <usernet/rtl8139.h>
#include <usernet/stack.h>

#include "wire/config_copy.h"
#include "testnet.h"

/* Bytes past the struct, as a binary built against a newer header has. */
#define TAIL 24

/**
 * struct env - a loop and a hub with a capture port, one per call tried
 * @loop: the loop
 * @hub: the hub, default configuration
 * @cap: records what the hub sends the test
 */
struct env {
	uv_loop_t loop;
	struct unet_hub *hub;
	struct tn_capture cap;
};

/**
 * struct config_case - one configuration struct and the call that takes it
 * @name: the struct, for messages
 * @size: its sizeof
 * @v1_size: its size in its first release (0.1.0), the smallest taken
 * @init: fills the struct with the defaults and what the call needs
 * @try: makes the object from the struct, checks that it behaves as the
 *       defaults, and closes it
 *
 * @try returns what the making call returned.
 */
struct config_case {
	const char *name;
	size_t size;
	size_t v1_size;
	void (*init)(void *config);
	int (*try)(struct env *e, const void *config);
};

static struct env *env_new(void)
{
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	assert_int_equal(uv_loop_init(&e->loop), 0);
	assert_int_equal(unet_hub_new(&e->loop, NULL, &e->hub), 0);
	tn_capture_init(&e->cap, NULL, 16);
	tn_capture_attach(&e->cap, e->hub);
	return e;
}

static void env_free(struct env *e)
{
	unet_hub_close(e->hub);
	uv_run(&e->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&e->loop), 0);
	tn_capture_reset(&e->cap);
	free(e);
}

static void set_sin(struct sockaddr_storage *ss, socklen_t *len,
		    const char *addr, uint16_t port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	sin->sin_addr.s_addr = tn_ip(addr);
	*len = sizeof(*sin);
}

static uint16_t local_port(const struct sockaddr_storage *ss)
{
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

/* ---- hub ---------------------------------------------------------------- */

static void hub_init(void *config)
{
	unet_hub_config_init(config);
}

static int hub_try(struct env *e, const void *config)
{
	struct unet_hub *hub;
	int r;

	r = unet_hub_new(&e->loop, config, &hub);
	if (r < 0)
		return r;
	assert_int_equal(unet_hub_mtu(hub), UNET_MTU_DEFAULT);
	assert_int_equal(unet_hub_frame_max(hub),
			 UNET_MTU_DEFAULT + UNET_ETH_HLEN + UNET_VLAN_HLEN);
	assert_false(unet_hub_virtual_clock(hub));
	unet_hub_close(hub);
	return 0;
}

/* ---- stack: the gateway answers ARP at its default address --------------- */

static void stack_init(void *config)
{
	unet_stack_config_init(config);
}

static void assert_gateway_arp(struct env *e)
{
	uint8_t buf[60];
	const uint8_t *r;

	e->cap.frames = 0;
	tn_arp_request(buf, tn_bcast, tn_ip("10.0.2.15"), tn_ip("10.0.2.2"));
	assert_int_equal(unet_hub_input(&e->cap.port, buf, sizeof(buf)), 0);
	assert_int_equal(e->cap.frames, 1);
	r = e->cap.data[0];
	assert_true(e->cap.len[0] >= 42);
	assert_int_equal(tn_get16(r + 12), 0x0806);
	assert_int_equal(tn_get16(r + 20), 2);
	assert_memory_equal(r + 22, tn_gw_mac, 6);
	assert_memory_equal(r + 28, buf + 38, 4);
}

static int stack_try(struct env *e, const void *config)
{
	struct unet_stack *stack;
	int r;

	r = unet_stack_new(e->hub, "user", config, &stack);
	if (r < 0)
		return r;
	assert_gateway_arp(e);
	unet_stack_close(stack);
	return 0;
}

/* ---- proxy -------------------------------------------------------------- */

static void proxy_init(void *config)
{
	unet_proxy_config_init(config);
}

static int proxy_try(struct env *e, const void *config)
{
	struct unet_proxy *proxy;
	struct unet_stack *stack;
	struct unet_fwd fwd = {
		.proto = IPPROTO_UDP,
		.host_addr = { .s_addr = htonl(INADDR_LOOPBACK) },
		.guest_port = htons(7),
	};
	int r;

	fwd.guest_addr.s_addr = tn_ip("10.0.2.15");
	assert_int_equal(unet_stack_new(e->hub, "user", NULL, &stack), 0);
	r = unet_proxy_new(stack, config, &proxy);
	if (r == 0) {
		assert_int_equal(unet_proxy_fwd_add(proxy, &fwd), 0);
		assert_int_not_equal(fwd.host_port, 0);
		assert_int_equal(tn_proxy_stats(proxy).flows, 0);
		assert_gateway_arp(e);
		unet_proxy_close(proxy);
	}
	unet_stack_close(stack);
	return r;
}

/* ---- stream: listen on 127.0.0.1, port chosen by the kernel ------------- */

static void stream_init(void *config)
{
	struct unet_stream_config *c = config;

	unet_stream_config_init(c);
	c->listen = true;
	set_sin(&c->addr, &c->addrlen, "127.0.0.1", 0);
}

static int stream_try(struct env *e, const void *config)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct unet_port *port;
	int r;

	r = unet_stream_open(e->hub, "s", config, &port);
	if (r < 0)
		return r;
	assert_int_equal(unet_stream_local_addr(port, (struct sockaddr *)&ss,
						&len), 0);
	assert_int_not_equal(local_port(&ss), 0);
	assert_false(unet_stream_connected(port));
	unet_port_close(port);
	return 0;
}

/* ---- dgram: unicast UDP on 127.0.0.1 ------------------------------------ */

static void dgram_init(void *config)
{
	struct unet_dgram_config *c = config;

	unet_dgram_config_init(c);
	set_sin(&c->local, &c->local_len, "127.0.0.1", 0);
	set_sin(&c->remote, &c->remote_len, "127.0.0.1", 9);
}

static int dgram_try(struct env *e, const void *config)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct unet_port *port;
	int r;

	r = unet_dgram_open(e->hub, "d", config, &port);
	if (r < 0)
		return r;
	assert_int_equal(unet_dgram_local_addr(port, (struct sockaddr *)&ss,
					       &len), 0);
	assert_int_not_equal(local_port(&ss), 0);
	unet_port_close(port);
	return 0;
}

/* ---- vde: no switch here; a taken configuration fails only at connecting */

static void vde_init(void *config)
{
	struct unet_vde_config *c = config;

	unet_vde_config_init(c);
	c->sock = "/nonexistent/usernet-config-test";
}

/*
 * libvdeplug loads its plugins with RTLD_DEEPBIND, which AddressSanitizer
 * refuses (it ends the process): under it, a configuration the library
 * would take is not handed to libvdeplug, and only the refusals, which
 * return before libvdeplug is called, are tried for real.
 */
#if defined(__SANITIZE_ADDRESS__)
#define VDE_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VDE_UNDER_ASAN 1
#endif
#endif

#ifdef VDE_UNDER_ASAN
static bool vde_would_take(const void *config)
{
	const unsigned char *b = config;
	size_t size, i;

	memcpy(&size, config, sizeof(size));
	if (size < sizeof(struct unet_vde_config))
		return false;
	for (i = sizeof(struct unet_vde_config); i < size; i++)
		if (b[i] != 0)
			return false;
	return true;
}
#endif

static int vde_try(struct env *e, const void *config)
{
	struct unet_port *port;
	int r;

#ifdef VDE_UNDER_ASAN
	if (vde_would_take(config))
		return 0;
#endif
	r = unet_vde_open(e->hub, "v", config, &port);
	if (r == 0)
		unet_port_close(port);
	/* Past the configuration checks: libvdeplug found no switch. */
	if (r != -EINVAL && r != -E2BIG)
		return 0;
	return r;
}

/* ---- rtl8139: the EEPROM's default MAC shows in IDR0-5 ------------------ */

static int dma_read(void *opaque, uint64_t addr, void *buf, size_t len)
{
	return -EFAULT;
}

static int dma_write(void *opaque, uint64_t addr, const void *buf,
		     size_t len)
{
	return -EFAULT;
}

static void rtl8139_init(void *config)
{
	struct unet_rtl8139_config *c = config;

	unet_rtl8139_config_init(c);
	c->dma_read = dma_read;
	c->dma_write = dma_write;
}

static int rtl8139_try(struct env *e, const void *config)
{
	struct unet_rtl8139 *nic;
	int r;

	r = unet_rtl8139_new(e->hub, "nic", config, &nic);
	if (r < 0)
		return r;
	/* 52:54:00:12:34:56, little-endian on the bus. */
	assert_int_equal(unet_rtl8139_io_read(nic, 0, 4), 0x12005452);
	assert_int_equal(unet_rtl8139_io_read(nic, 4, 2), 0x5634);
	unet_rtl8139_close(nic);
	return 0;
}

/* ---- replay ------------------------------------------------------------- */

static void replay_init(void *config)
{
	unet_replay_config_init(config);
}

static int replay_try(struct env *e, const void *config)
{
	struct unet_replay_stats st = { .size = sizeof(st) };
	struct unet_replay *rp;
	uint8_t frame[60];
	int r;

	r = unet_replay_open(e->hub, "r", config, &rp);
	if (r < 0)
		return r;
	tn_arp_request(frame, tn_bcast, tn_ip("10.0.2.15"), tn_ip("10.0.2.2"));
	e->cap.frames = 0;
	assert_int_equal(unet_replay_send(rp, frame, sizeof(frame)), 0);
	assert_int_equal(e->cap.frames, 1);
	assert_int_equal(unet_replay_stats(rp, &st), 0);
	assert_int_equal(st.sent_frames, 1);
	assert_int_equal(st.rx_frames, 0);
	unet_replay_close(rp);
	return 0;
}

static const struct config_case cases[] = {
	{ "unet_hub_config", sizeof(struct unet_hub_config),
	  UNET__CONFIG_SIZE_TO(struct unet_hub_config, epoch_ns), hub_init,
	  hub_try },
	{ "unet_stack_config", sizeof(struct unet_stack_config),
	  UNET__CONFIG_SIZE_TO(struct unet_stack_config, resolv_conf), stack_init,
	  stack_try },
	{ "unet_proxy_config", sizeof(struct unet_proxy_config),
	  UNET__CONFIG_SIZE_TO(struct unet_proxy_config, tcp_idle_timeout_ms), proxy_init,
	  proxy_try },
	{ "unet_stream_config", sizeof(struct unet_stream_config),
	  UNET__CONFIG_SIZE_TO(struct unet_stream_config, reconnect_ms), stream_init,
	  stream_try },
	{ "unet_dgram_config", sizeof(struct unet_dgram_config),
	  UNET__CONFIG_SIZE_TO(struct unet_dgram_config, remote_len), dgram_init,
	  dgram_try },
	{ "unet_vde_config", sizeof(struct unet_vde_config),
	  UNET__CONFIG_SIZE_TO(struct unet_vde_config, mode), vde_init,
	  vde_try },
	{ "unet_rtl8139_config", sizeof(struct unet_rtl8139_config),
	  UNET__CONFIG_SIZE_TO(struct unet_rtl8139_config, opaque),
	  rtl8139_init, rtl8139_try },
	{ "unet_replay_config", sizeof(struct unet_replay_config),
	  UNET__CONFIG_SIZE_TO(struct unet_replay_config, opaque),
	  replay_init, replay_try },
};

/* Runs one call of @cc on a fresh hub, with the size field set to @size. */
static int try_size(const struct config_case *cc, unsigned char *buf,
		    size_t size)
{
	struct env *e = env_new();
	int r;

	memcpy(buf, &size, sizeof(size));
	r = cc->try(e, buf);
	env_free(e);
	return r;
}

static void test_sizes(void **state)
{
	const struct config_case *cc = *state;
	unsigned char *buf = calloc(1, cc->size + TAIL);
	size_t size;

	assert_non_null(buf);
	cc->init(buf);
	memcpy(&size, buf, sizeof(size));
	assert_int_equal(size, cc->size);

	assert_int_equal(try_size(cc, buf, cc->size), 0);
	/* Below the first release: refused; the first release's: taken. */
	assert_int_equal(try_size(cc, buf, cc->v1_size - 1), -EINVAL);
	assert_int_equal(try_size(cc, buf, cc->v1_size), 0);
	assert_int_equal(try_size(cc, buf, 0), -EINVAL);
	assert_int_equal(try_size(cc, buf, sizeof(size_t)), -EINVAL);

	/* A newer binary that left its newer fields at their defaults. */
	assert_int_equal(try_size(cc, buf, cc->size + TAIL), 0);
	assert_int_equal(try_size(cc, buf, cc->size + 1), 0);

	/* A newer binary that set one of them. */
	buf[cc->size] = 1;
	assert_int_equal(try_size(cc, buf, cc->size + TAIL), -E2BIG);
	assert_int_equal(try_size(cc, buf, cc->size + 1), -E2BIG);
	buf[cc->size] = 0;
	buf[cc->size + TAIL - 1] = 0x80;
	assert_int_equal(try_size(cc, buf, cc->size + TAIL), -E2BIG);
	assert_int_equal(try_size(cc, buf, cc->size + TAIL - 1), 0);

	/* Bytes past the size given are never read. */
	assert_int_equal(try_size(cc, buf, cc->size), 0);
	free(buf);
}

/* ---- the helper, on a made-up second version of a struct ---------------- */

/* Version 1: what an older binary was built with. */
struct demo_v1 {
	size_t size;
	int a;
	int b;
};

/* Version 2: what the library knows; @c defaults to 7, @d to 0. */
struct demo_v2 {
	size_t size;
	int a;
	int b;
	int c;
	int d;
};

/* A struct with trailing padding in its first version. */
struct demo_pad {
	size_t size;
	int a;
	uint64_t later;
};

static void demo_defaults(struct demo_v2 *d)
{
	memset(d, 0, sizeof(*d));
	d->size = sizeof(*d);
	d->a = 1;
	d->b = 2;
	d->c = 7;
}

static void test_copy_helper(void **state)
{
	struct demo_v1 old = { .size = sizeof(old), .a = 10, .b = 20 };
	struct demo_v2 d, newer;
	struct {
		struct demo_v2 v2;
		int e;
	} newest;

	(void)state;
	assert_int_equal(UNET__CONFIG_SIZE_TO(struct demo_v2, b),
			 sizeof(struct demo_v1));
	assert_int_equal(UNET__CONFIG_SIZE_TO(struct demo_v2, d),
			 sizeof(struct demo_v2));
	assert_int_equal(UNET__CONFIG_SIZE_TO(struct demo_pad, a),
			 2 * sizeof(uint64_t));

	/* An older binary: the fields it does not know keep the defaults. */
	demo_defaults(&d);
	assert_int_equal(unet__config_copy(&d, sizeof(d), &old, sizeof(old),
					   sizeof(old)), 0);
	assert_int_equal(d.a, 10);
	assert_int_equal(d.b, 20);
	assert_int_equal(d.c, 7);
	assert_int_equal(d.d, 0);

	/* Too small for the first version: nothing is copied. */
	demo_defaults(&d);
	assert_int_equal(unet__config_copy(&d, sizeof(d), &old,
					   sizeof(old) - 1, sizeof(old)),
			 -EINVAL);
	assert_int_equal(d.a, 1);

	/* The same version. */
	demo_defaults(&newer);
	newer.a = 5;
	newer.d = 9;
	demo_defaults(&d);
	assert_int_equal(unet__config_copy(&d, sizeof(d), &newer, newer.size,
					   sizeof(old)), 0);
	assert_int_equal(d.a, 5);
	assert_int_equal(d.d, 9);

	/* A newer binary, into the library that knows version 2. */
	memset(&newest, 0, sizeof(newest));
	demo_defaults(&newest.v2);
	newest.v2.a = 6;
	demo_defaults(&d);
	assert_int_equal(unet__config_copy(&d, sizeof(d), &newest,
					   sizeof(newest), sizeof(old)), 0);
	assert_int_equal(d.a, 6);
	newest.e = 1;
	demo_defaults(&d);
	assert_int_equal(unet__config_copy(&d, sizeof(d), &newest,
					   sizeof(newest), sizeof(old)),
			 -E2BIG);
	assert_int_equal(d.a, 1);

	/* A version 2 binary, into a library that knows only version 1. */
	newer.d = 0;
	newer.c = 0;
	assert_int_equal(unet__config_copy(&old, sizeof(old), &newer,
					   sizeof(newer), sizeof(old)), 0);
	assert_int_equal(old.a, 5);
	newer.c = 7;
	assert_int_equal(unet__config_copy(&old, sizeof(old), &newer,
					   sizeof(newer), sizeof(old)),
			 -E2BIG);
}

/*
 * Versioned counters: the library fills what both sides know and zeroes
 * the rest of a newer binary's larger struct; a size not set is refused.
 */
static void test_stats_copy(void **state)
{
	struct demo_v2 lib = { .size = sizeof(lib),
			       .a = 1,
			       .b = 2,
			       .c = 3,
			       .d = 4 };
	struct demo_v1 old = { .size = sizeof(old) };
	struct {
		struct demo_v2 v2;
		int e;
	} newest;

	(void)state;
	/* The same version. */
	memset(&newest, 0xee, sizeof(newest));
	newest.v2.size = sizeof(newest.v2);
	assert_int_equal(unet__stats_copy(&newest.v2, &lib, sizeof(lib),
					  sizeof(old)),
			 0);
	assert_int_equal(newest.v2.d, 4);
	assert_int_equal(newest.e, (int)0xeeeeeeee); /* past its size */

	/* An older binary: its fields, its size kept. */
	assert_int_equal(unet__stats_copy(&old, &lib, sizeof(lib), sizeof(old)),
			 0);
	assert_int_equal(old.a, 1);
	assert_int_equal(old.b, 2);
	assert_int_equal(old.size, sizeof(old));

	/* A newer binary: what the library does not know is zeroed. */
	memset(&newest, 0xee, sizeof(newest));
	newest.v2.size = sizeof(newest);
	assert_int_equal(
		unet__stats_copy(&newest, &lib, sizeof(lib), sizeof(old)), 0);
	assert_int_equal(newest.v2.d, 4);
	assert_int_equal(newest.e, 0);
	assert_int_equal(newest.v2.size, sizeof(newest));

	/* Not set (too small): nothing written. */
	old.size = sizeof(old) - 1;
	old.a = 99;
	assert_int_equal(unet__stats_copy(&old, &lib, sizeof(lib), sizeof(old)),
			 -EINVAL);
	assert_int_equal(old.a, 99);
}

/* Every public counters call refuses a struct whose size was not set. */
static void test_stats_size_refused(void **state)
{
	struct unet_stack_stats ss = { .size = 0 };
	struct unet_proxy_stats ps = { .size = sizeof(size_t) };
	struct unet_replay_stats rs = { .size = 4 };
	struct unet_stack *stack;
	struct unet_proxy *proxy;
	struct unet_replay *rp;
	struct env *e = env_new();

	(void)state;
	assert_int_equal(unet_stack_new(e->hub, "u", NULL, &stack), 0);
	assert_int_equal(unet_proxy_new(stack, NULL, &proxy), 0);
	assert_int_equal(unet_replay_open(e->hub, "r", NULL, &rp), 0);
	assert_int_equal(unet_stack_stats(stack, &ss), -EINVAL);
	assert_int_equal(unet_proxy_stats(proxy, &ps), -EINVAL);
	assert_int_equal(unet_replay_stats(rp, &rs), -EINVAL);
	ss.size = sizeof(ss);
	assert_int_equal(unet_stack_stats(stack, &ss), 0);
	assert_int_equal(ss.mem_budget, 256u << 20);
	unet_replay_close(rp);
	unet_proxy_close(proxy);
	unet_stack_close(stack);
	env_free(e);
}

int main(void)
{
	struct CMUnitTest tests[sizeof(cases) / sizeof(cases[0]) + 3];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct CMUnitTest t = cmocka_unit_test_prestate(test_sizes,
						(void *)&cases[i]);

		t.name = cases[i].name;
		tests[i] = t;
	}
	tests[i++] = (struct CMUnitTest)cmocka_unit_test(test_copy_helper);
	tests[i++] = (struct CMUnitTest)cmocka_unit_test(test_stats_copy);
	tests[i] = (struct CMUnitTest)cmocka_unit_test(test_stats_size_refused);
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
