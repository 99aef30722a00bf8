/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the tap port (hub/tap.c).
 *
 *   +---------+  unet_hub_input()  +-----+  send op  +-----------+
 *   | capture |<------------------>| hub |<--------->| tap port  |
 *   +---------+                    +-----+           +-----+-----+
 *                                                          | sv[0]
 *                                                socketpair|(SEQPACKET)
 *                                                          | sv[1]
 *                                                     test "peer"
 *
 * A seqpacket (or datagram) socket reads and writes one frame per call, as a
 * tap does, so the tap port is tested on a socketpair without root. The one
 * test that opens a real tap needs root and is skipped otherwise.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <uv.h>

#include <usernet/hub.h>
#include <usernet/ports.h>

/* The hub's MTU in these tests: frames of up to 1518 bytes. */
#define TEST_MTU 1500
#define TEST_FRAME_MAX (TEST_MTU + UNET_ETH_HLEN + UNET_VLAN_HLEN)
/* How many frames the capture port keeps. */
#define CAP_MAX 512
/* Bound on loop iterations while waiting for something. */
#define SPIN_MAX 2000

/* A port that stores what the hub delivers to it. */
struct capture {
	struct unet_port port;
	size_t n;
	size_t lens[CAP_MAX];
	unsigned char *frames; /* CAP_MAX * TEST_FRAME_MAX bytes */
};

struct env {
	uv_loop_t loop;
	struct unet_hub *hub;
	struct unet_port *tap;
	int peer;
	struct capture cap;
	unsigned int errors_logged;
};

static int capture_send(struct unet_port *port, const void *frame,
			size_t len)
{
	struct capture *cap = (struct capture *)(void *)port;

	assert_true(len <= TEST_FRAME_MAX);
	if (cap->n < CAP_MAX) {
		memcpy(cap->frames + cap->n * TEST_FRAME_MAX, frame, len);
		cap->lens[cap->n] = len;
	}
	cap->n++;
	return 0;
}

static void capture_close(struct unet_port *port)
{
	unet_hub_detach(port);
}

static const struct unet_port_ops capture_ops = {
	.name = "capture",
	.send = capture_send,
	.close = capture_close,
};

static void test_log(void *opaque, enum unet_log_level level, const char *msg)
{
	struct env *env = opaque;

	(void)msg;
	if (level == UNET_LOG_ERROR)
		env->errors_logged++;
}

/* Fill @buf with a frame whose bytes depend on @seq. */
static void make_frame(unsigned char *buf, size_t len, unsigned int seq)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (unsigned char)(seq * 31u + i);
	if (len >= 4) {
		buf[0] = (unsigned char)(seq >> 8);
		buf[1] = (unsigned char)seq;
	}
}

static void check_frame(const unsigned char *buf, size_t len,
			size_t want_len, unsigned int seq)
{
	unsigned char want[TEST_FRAME_MAX];

	assert_int_equal(len, want_len);
	make_frame(want, want_len, seq);
	assert_memory_equal(buf, want, want_len);
}

/* The length of frame @seq in most tests: between 14 and 1018 bytes. */
static size_t frame_len(unsigned int seq)
{
	return UNET_ETH_HLEN + (seq * 37u) % 1005u;
}

/* Build a loop and hub with a capture port and a tap port on sv[0]. */
static void env_init(struct env *env, int type, int sndbuf)
{
	struct unet_hub_config cfg;
	int sv[2];

	memset(env, 0, sizeof(*env));
	assert_int_equal(uv_loop_init(&env->loop), 0);
	unet_hub_config_init(&cfg);
	cfg.mtu = TEST_MTU;
	cfg.log_cb = test_log;
	cfg.log_opaque = env;
	cfg.log_level = UNET_LOG_DEBUG;
	assert_int_equal(unet_hub_new(&env->loop, &cfg, &env->hub), 0);

	env->cap.frames = malloc((size_t)CAP_MAX * TEST_FRAME_MAX);
	assert_non_null(env->cap.frames);
	unet_port_init(&env->cap.port, &capture_ops, "capture");
	assert_int_equal(unet_hub_attach(env->hub, &env->cap.port), 0);

	assert_int_equal(socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv), 0);
	if (sndbuf > 0) {
		assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF,
					    &sndbuf, sizeof(sndbuf)), 0);
		assert_int_equal(setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF,
					    &sndbuf, sizeof(sndbuf)), 0);
	}
	assert_int_equal(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
	env->peer = sv[1];
	assert_int_equal(unet_tap_adopt(env->hub, "tap0", sv[0], &env->tap),
			 0);
	assert_non_null(env->tap);
	assert_string_equal(env->tap->ops->name, "tap");
}

/* Close everything and check that the loop closes with nothing left. */
static void env_fini(struct env *env)
{
	int i, r = UV_EBUSY;

	unet_hub_close(env->hub);
	if (env->peer >= 0)
		close(env->peer);
	for (i = 0; i < SPIN_MAX && r == UV_EBUSY; i++) {
		uv_run(&env->loop, UV_RUN_NOWAIT);
		r = uv_loop_close(&env->loop);
	}
	assert_int_equal(r, 0);
	free(env->cap.frames);
}

/* Run the loop without blocking until @n frames were captured. */
static void run_until_captured(struct env *env, size_t n)
{
	int i;

	for (i = 0; i < SPIN_MAX && env->cap.n < n; i++)
		uv_run(&env->loop, UV_RUN_NOWAIT);
	assert_int_equal(env->cap.n, n);
}

static void peer_write(struct env *env, const void *buf, size_t len)
{
	ssize_t n = send(env->peer, buf, len, MSG_NOSIGNAL);

	assert_int_equal(n, (ssize_t)len);
}

/* The length of frame @seq in test_tap_to_hub(): small, to fit them all. */
static size_t small_frame_len(unsigned int seq)
{
	return 60 + seq % 40u;
}

/* Frames written to the socket reach the other port, many per wake-up. */
static void test_tap_to_hub(void **state)
{
	unsigned char buf[TEST_FRAME_MAX];
	const unsigned int count = 150;
	struct env env;
	unsigned int i;

	(void)state;
	env_init(&env, SOCK_SEQPACKET, 0);
	for (i = 0; i < count; i++) {
		make_frame(buf, small_frame_len(i), i);
		peer_write(&env, buf, small_frame_len(i));
	}
	/* One turn of the loop reads many frames, but not without bound. */
	uv_run(&env.loop, UV_RUN_NOWAIT);
	assert_true(env.cap.n > 1);
	assert_true(env.cap.n < count);
	run_until_captured(&env, count);
	for (i = 0; i < count; i++)
		check_frame(env.cap.frames + (size_t)i * TEST_FRAME_MAX,
			    env.cap.lens[i], small_frame_len(i), i);
	assert_int_equal(env.tap->stats.in_frames, count);
	assert_int_equal(env.cap.port.stats.out_frames, count);
	assert_int_equal(env.errors_logged, 0);
	env_fini(&env);
}

/* Frames the hub delivers to the tap port come out of the socket. */
static void test_hub_to_tap(void **state)
{
	unsigned char buf[TEST_FRAME_MAX + 1];
	const unsigned int count = 20;
	struct env env;
	unsigned int i;
	ssize_t n;

	(void)state;
	env_init(&env, SOCK_SEQPACKET, 0);
	for (i = 0; i < count; i++) {
		make_frame(buf, frame_len(i), i);
		assert_int_equal(unet_hub_input(&env.cap.port, buf,
						frame_len(i)), 0);
	}
	for (i = 0; i < count; i++) {
		n = recv(env.peer, buf, sizeof(buf), 0);
		assert_true(n >= 0);
		check_frame(buf, (size_t)n, frame_len(i), i);
	}
	assert_int_equal(recv(env.peer, buf, sizeof(buf), 0), -1);
	assert_int_equal(errno, EAGAIN);
	/* A hub never hands a frame back to its sender. */
	assert_int_equal(env.cap.n, 0);
	assert_int_equal(env.tap->stats.out_frames, count);
	assert_true(unet_port_queue_empty(env.tap));
	env_fini(&env);
}

/* Frames too short or too long are dropped and counted on the tap port. */
static void test_short_and_long_dropped(void **state)
{
	unsigned char buf[TEST_FRAME_MAX + 200];
	struct env env;

	(void)state;
	env_init(&env, SOCK_SEQPACKET, 0);
	make_frame(buf, sizeof(buf), 7);
	peer_write(&env, buf, 1);
	peer_write(&env, buf, UNET_ETH_HLEN - 1);
	peer_write(&env, buf, UNET_ETH_HLEN);		/* shortest passed on */
	peer_write(&env, buf, TEST_FRAME_MAX + 1);
	peer_write(&env, buf, TEST_FRAME_MAX + 200);
	peer_write(&env, buf, TEST_FRAME_MAX);		/* longest passed on */
	run_until_captured(&env, 2);
	uv_run(&env.loop, UV_RUN_NOWAIT);
	assert_int_equal(env.cap.n, 2);
	check_frame(env.cap.frames, env.cap.lens[0], UNET_ETH_HLEN, 7);
	check_frame(env.cap.frames + TEST_FRAME_MAX, env.cap.lens[1],
		    TEST_FRAME_MAX, 7);
	assert_int_equal(env.tap->stats.drops[UNET_DROP_SHORT], 2);
	assert_int_equal(env.tap->stats.drops[UNET_DROP_LONG], 2);
	assert_int_equal(env.tap->stats.in_frames, 2);
	env_fini(&env);
}

/* An empty datagram is an empty frame, not the end of the socket. */
static void test_empty_datagram(void **state)
{
	unsigned char buf[64];
	struct env env;

	(void)state;
	env_init(&env, SOCK_DGRAM, 0);
	make_frame(buf, sizeof(buf), 3);
	peer_write(&env, buf, 0);
	peer_write(&env, buf, sizeof(buf));
	run_until_captured(&env, 1);
	check_frame(env.cap.frames, env.cap.lens[0], sizeof(buf), 3);
	assert_int_equal(env.tap->stats.drops[UNET_DROP_SHORT], 1);
	assert_int_equal(env.errors_logged, 0);
	env_fini(&env);
}

/*
 * Fill the socket from the hub until writes would block. Return how many
 * frames went straight through; the others are queued or dropped.
 */
static unsigned int fill_tap(struct env *env, unsigned int count,
			     size_t len)
{
	unsigned char buf[TEST_FRAME_MAX];
	unsigned int i;

	for (i = 0; i < count; i++) {
		make_frame(buf, len, i);
		assert_int_equal(unet_hub_input(&env->cap.port, buf, len), 0);
	}
	assert_false(unet_port_queue_empty(env->tap));
	assert_true(env->tap->stats.out_frames > 0);
	assert_true(env->tap->stats.out_frames < count);
	return (unsigned int)env->tap->stats.out_frames;
}

/* Read from the peer and run the loop until @want frames came out. */
static void drain_peer(struct env *env, unsigned int want, size_t len)
{
	unsigned char buf[TEST_FRAME_MAX + 1];
	unsigned int got = 0;
	int i;
	ssize_t n;

	for (i = 0; i < SPIN_MAX && got < want; i++) {
		while ((n = recv(env->peer, buf, sizeof(buf), 0)) >= 0) {
			assert_true(got < want);
			check_frame(buf, (size_t)n, len, got);
			got++;
		}
		assert_int_equal(errno, EAGAIN);
		uv_run(&env->loop, UV_RUN_NOWAIT);
	}
	assert_int_equal(got, want);
	uv_run(&env->loop, UV_RUN_NOWAIT);
	assert_int_equal(recv(env->peer, buf, sizeof(buf), 0), -1);
	assert_true(unet_port_queue_empty(env->tap));
}

/* A full socket queues frames, and the queue drains in order. */
static void test_backpressure(void **state)
{
	const unsigned int count = 100;
	const size_t len = 1000;
	struct env env;

	(void)state;
	env_init(&env, SOCK_SEQPACKET, 4096);
	fill_tap(&env, count, len);
	drain_peer(&env, count, len);
	assert_int_equal(env.tap->stats.out_frames, count);
	assert_int_equal(env.tap->stats.drops[UNET_DROP_QUEUE_FULL], 0);
	assert_int_equal(env.tap->stats.drops[UNET_DROP_ERROR], 0);
	env_fini(&env);
}

/* Past its bound, the queue drops frames and counts them. */
static void test_queue_full(void **state)
{
	const unsigned int count = 100, queue_max = 4;
	const size_t len = 1000;
	unsigned int direct;
	struct env env;

	(void)state;
	env_init(&env, SOCK_SEQPACKET, 4096);
	env.tap->queue_max = queue_max;
	direct = fill_tap(&env, count, len);
	assert_int_equal(env.tap->stats.drops[UNET_DROP_QUEUE_FULL],
			 count - direct - queue_max);
	/* The frames that got through or were queued arrive, in order. */
	drain_peer(&env, direct + queue_max, len);
	assert_int_equal(env.tap->stats.out_frames, direct + queue_max);
	env_fini(&env);
}

/* The peer going away: reading stops after one message, writes fail. */
static void test_peer_closed(void **state)
{
	unsigned char buf[64];
	struct env env;
	int i;

	(void)state;
	env_init(&env, SOCK_SEQPACKET, 0);
	close(env.peer);
	env.peer = -1;
	for (i = 0; i < 10; i++)
		uv_run(&env.loop, UV_RUN_NOWAIT);
	assert_int_equal(env.errors_logged, 1);
	/* A write now fails (EPIPE) and counts as an error drop. */
	make_frame(buf, sizeof(buf), 1);
	assert_int_equal(unet_hub_input(&env.cap.port, buf, sizeof(buf)), 0);
	assert_int_equal(env.tap->stats.drops[UNET_DROP_ERROR], 1);
	assert_true(unet_port_queue_empty(env.tap));
	env_fini(&env);
}

/* A socket is not a tap: it has no interface name. */
static void test_ifname_not_tap(void **state)
{
	char name[UNET_IFNAME_MAX];
	struct env env;

	(void)state;
	env_init(&env, SOCK_SEQPACKET, 0);
	assert_int_equal(unet_tap_ifname(env.tap, name, sizeof(name)),
			 -ENOTTY);
	assert_int_equal(unet_tap_ifname(&env.cap.port, name, sizeof(name)),
			 -EINVAL);
	assert_int_equal(unet_tap_ifname(NULL, name, sizeof(name)), -EINVAL);
	env_fini(&env);
}

/* Bad arguments fail cleanly, and an adopted fd is closed on failure. */
static void test_bad_arguments(void **state)
{
	char name[UNET_IFNAME_MAX + 8];
	struct unet_port *port = NULL;
	char path[] = "/tmp/unet-tap-test-XXXXXX";
	struct env env;
	int fd, sv[2];

	(void)state;
	env_init(&env, SOCK_SEQPACKET, 0);
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_true(unet_tap_open(env.hub, "t", name, &port) < 0);
	name[UNET_IFNAME_MAX] = '\0';	/* one character too many */
	assert_true(unet_tap_open(env.hub, "t", name, &port) < 0);
	assert_null(port);

	assert_int_equal(unet_tap_adopt(env.hub, "t", -1, &port), -EBADF);
	assert_null(port);

	/* A stream socket has no frame boundaries: refused, and closed. */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				    sv), 0);
	assert_int_equal(unet_tap_adopt(env.hub, "t", sv[0], &port), -EINVAL);
	assert_null(port);
	assert_int_equal(fcntl(sv[0], F_GETFD), -1);
	assert_int_equal(errno, EBADF);
	close(sv[1]);

	/* A regular file cannot be polled; the port closes it anyway. */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	assert_true(unet_tap_adopt(env.hub, "t", fd, &port) < 0);
	assert_null(port);
	assert_int_equal(fcntl(fd, F_GETFD), -1);
	assert_int_equal(errno, EBADF);
	env_fini(&env);
}

/* A real tap, created by name and by the kernel's choice. */
static void test_tap_open(void **state)
{
	char name[UNET_IFNAME_MAX], tiny[4];
	struct unet_port *named = NULL, *anon = NULL;
	struct env env;

	(void)state;
	/* Creating a tap interface needs root (CAP_NET_ADMIN). */
	if (geteuid() != 0)
		skip();
	/* A root without the tun driver has no taps to make. */
	if (access("/dev/net/tun", F_OK) != 0)
		skip();
	env_init(&env, SOCK_SEQPACKET, 0);
	assert_int_equal(unet_tap_open(env.hub, "t1", "unettest%d", &named),
			 0);
	assert_int_equal(unet_tap_ifname(named, name, sizeof(name)), 0);
	assert_int_equal(strncmp(name, "unettest", 8), 0);
	assert_true(strlen(name) > 8);
	assert_int_equal(unet_tap_ifname(named, tiny, sizeof(tiny)), -ENOSPC);

	assert_int_equal(unet_tap_open(env.hub, "t2", NULL, &anon), 0);
	assert_int_equal(unet_tap_ifname(anon, name, sizeof(name)), 0);
	assert_int_equal(strncmp(name, "tap", 3), 0);
	unet_port_close(anon);
	unet_port_close(named);
	env_fini(&env);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tap_to_hub),
		cmocka_unit_test(test_hub_to_tap),
		cmocka_unit_test(test_short_and_long_dropped),
		cmocka_unit_test(test_empty_datagram),
		cmocka_unit_test(test_backpressure),
		cmocka_unit_test(test_queue_full),
		cmocka_unit_test(test_peer_closed),
		cmocka_unit_test(test_ifname_not_tap),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_tap_open),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
