/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the stream deframer (hub/deframer.c) and the stream port
 * (hub/stream.c).
 *
 * The deframer is driven directly by a table of inputs, each fed in chunks
 * of every size from 1 byte up (a frame split across many reads, one byte at
 * a time), broken ones included: a length of 0, a length over the maximum,
 * a peer closing mid-header and mid-frame.
 *
 * The deframer's flag bits (usernet's offload extension) are tested beside.
 *
 * The port is tested on real sockets, without root:
 *
 *   +---------+  hub  +-------------+  socketpair   +-------------+
 *   | capture |<----->| stream port |<------------->| test "peer" | raw bytes
 *   +---------+       +-------------+  (adopted)    +-------------+
 *
 *   hub A: capture + stream port (listen, TCP or unix)
 *                      ^ one peer at a time
 *   hub B: capture + stream port (connect)     hub C: the same, waiting
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
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <uv.h>

#include <usernet/hub.h>
#include <usernet/ports.h>

#include "stream_proto.h"
#include "testnet.h"
#include "wire/deframer.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The hub's MTU in the port tests: frames of up to 1518 bytes. */
#define TEST_MTU 1500
#define TEST_FRAME_MAX (TEST_MTU + UNET_ETH_HLEN + UNET_VLAN_HLEN)
/* How many frames a capture port keeps. */
#define CAP_MAX 1024
/* Bound on loop iterations while waiting for something. */
#define SPIN_MAX 20000

/* ---- the deframer, driven directly ------------------------------------ */

/* The deframer's limit in the table tests. */
#define DF_MAX 100
/* Frames one table input may hold. */
#define DF_FRAMES_MAX 8

struct df_case {
	const char *name;
	const unsigned char *in;
	size_t in_len;
	/* the frame lengths expected, in order; each frame's bytes are i+1 */
	size_t frames[DF_FRAMES_MAX];
	size_t n_frames;
	int result;		/* 0, -EPROTO or -EMSGSIZE at the end */
	size_t pending;		/* unet__deframer_pending() at the end */
};

static const unsigned char in_one[] = { 0, 0, 0, 3, 1, 1, 1 };
static const unsigned char in_two[] = { 0, 0, 0, 2, 1, 1, 0, 0, 0, 1, 2 };
static const unsigned char in_zero[] = { 0, 0, 0, 0, 1 };
static const unsigned char in_frame_then_zero[] = { 0, 0, 0, 1, 1, 0, 0, 0,
						    0 };
static const unsigned char in_over[] = { 0, 0, 0, DF_MAX + 1, 1, 1 };
static const unsigned char in_huge[] = { 0xff, 0xff, 0xff, 0xff, 1 };
static const unsigned char in_big_endian[] = { 0, 0, 1, 0 };	/* 256 */
static const unsigned char in_mid_header[] = { 0, 0, 0, 2, 1, 1, 0, 0 };
static const unsigned char in_mid_frame[] = { 0, 0, 0, 5, 1, 1, 1 };
static const unsigned char in_empty[] = { 0 };

/* A frame of exactly DF_MAX bytes, then one of 1 byte. */
static unsigned char in_max[4 + DF_MAX + 4 + 1];

static const struct df_case df_cases[] = {
	{ "one frame", in_one, sizeof(in_one), { 3 }, 1, 0, 0 },
	{ "two frames", in_two, sizeof(in_two), { 2, 1 }, 2, 0, 0 },
	{ "max length", in_max, sizeof(in_max), { DF_MAX, 1 }, 2, 0, 0 },
	{ "length 0", in_zero, sizeof(in_zero), { 0 }, 0, -EPROTO, 0 },
	{ "frame, then length 0", in_frame_then_zero,
	  sizeof(in_frame_then_zero), { 1 }, 1, -EPROTO, 0 },
	{ "length over the max", in_over, sizeof(in_over), { 0 }, 0,
	  -EMSGSIZE, 0 },
	{ "length 0xffffffff", in_huge, sizeof(in_huge), { 0 }, 0,
	  -EMSGSIZE, 0 },
	{ "length is big-endian (256 > max)", in_big_endian,
	  sizeof(in_big_endian), { 0 }, 0, -EMSGSIZE, 0 },
	{ "peer closes mid-header", in_mid_header, sizeof(in_mid_header),
	  { 2 }, 1, 0, 2 },
	{ "peer closes mid-frame", in_mid_frame, sizeof(in_mid_frame), { 0 },
	  0, 0, 7 },
	{ "nothing", in_empty, 0, { 0 }, 0, 0, 0 },
};

/* Run one case with the input fed in chunks of @chunk bytes. */
static void df_run(const struct df_case *c, size_t chunk)
{
	struct unet__deframer d;
	const unsigned char *frame, *in;
	size_t frame_len, left, off = 0, got = 0, i, n;
	int r = 0;

	assert_int_equal(unet__deframer_init(&d, STREAM_HDR_LEN, DF_MAX), 0);
	while (off < c->in_len && r >= 0) {
		n = c->in_len - off < chunk ? c->in_len - off : chunk;
		in = c->in + off;
		left = n;
		while ((r = unet__deframer_next(&d, &in, &left, &frame,
						&frame_len)) == 1) {
			if (got >= c->n_frames) {
				print_error("%s, chunk %zu: extra frame\n",
					    c->name, chunk);
				fail();
			}
			assert_int_equal(frame_len, c->frames[got]);
			for (i = 0; i < frame_len; i++)
				assert_int_equal(frame[i], got + 1);
			got++;
		}
		if (r == 0)
			assert_int_equal(left, 0);
		off += n;
	}
	if (got != c->n_frames || r != c->result) {
		print_error("%s, chunk %zu: %zu frames, result %d; want %zu, %d\n",
			    c->name, chunk, got, r, c->n_frames, c->result);
		fail();
	}
	assert_int_equal(unet__deframer_pending(&d), c->pending);
	if (r < 0) {
		/* Sticky: nothing more is taken until a reset. */
		in = c->in;
		left = c->in_len;
		assert_int_equal(unet__deframer_next(&d, &in, &left, &frame,
						     &frame_len), r);
		assert_int_equal(left, c->in_len);
		unet__deframer_reset(&d);
		in = in_one;
		left = sizeof(in_one);
		assert_int_equal(unet__deframer_next(&d, &in, &left, &frame,
						     &frame_len), 1);
		assert_int_equal(frame_len, 3);
	}
	unet__deframer_free(&d);
}

static void test_deframer_table(void **state)
{
	size_t i, chunk;

	(void)state;
	in_max[3] = DF_MAX;
	memset(in_max + 4, 1, DF_MAX);
	in_max[4 + DF_MAX + 3] = 1;
	in_max[4 + DF_MAX + 4] = 2;
	for (i = 0; i < ARRAY_SIZE(df_cases); i++)
		for (chunk = 1; chunk <= sizeof(in_max) + 1; chunk++)
			df_run(&df_cases[i], chunk);
}

static void test_deframer_init(void **state)
{
	struct unet__deframer d;

	(void)state;
	assert_int_equal(unet__deframer_init(&d, STREAM_HDR_LEN, 0), -EINVAL);
	unet__deframer_free(&d);
	assert_int_equal(unet__deframer_init(&d, STREAM_HDR_LEN,
					     UNET__DEFRAMER_MAX + 1),
			 -EINVAL);
	unet__deframer_free(&d);
	/* Only 2- and 4-byte prefixes; a 2-byte one says at most 65535. */
	assert_int_equal(unet__deframer_init(&d, 3, 100), -EINVAL);
	unet__deframer_free(&d);
	assert_int_equal(unet__deframer_init(&d, 2, 65536), -EINVAL);
	unet__deframer_free(&d);
	assert_int_equal(unet__deframer_init(&d, 2, 65535), 0);
	unet__deframer_free(&d);
	assert_int_equal(
		unet__deframer_init(&d, STREAM_HDR_LEN, STREAM_FRAME_MAX), 0);
	unet__deframer_free(&d);
}

/* Random frames, encoded and cut at random places, come back whole. */
static void test_deframer_random(void **state)
{
	enum { N = 300, MAXLEN = 2000 };
	struct unet__deframer d;
	unsigned char *wire = malloc((size_t)N * (MAXLEN + 4));
	size_t lens[N], wire_len = 0, off = 0, got = 0, n, left, flen, i;
	const unsigned char *in, *frame;
	uint32_t seed = 12345;
	int r;

	(void)state;
	assert_non_null(wire);
	for (i = 0; i < N; i++) {
		seed = seed * 1103515245u + 12345u;
		lens[i] = 1 + (seed >> 8) % MAXLEN;
		wire[wire_len++] = 0;
		wire[wire_len++] = 0;
		wire[wire_len++] = (unsigned char)(lens[i] >> 8);
		wire[wire_len++] = (unsigned char)lens[i];
		memset(wire + wire_len, (int)(i & 0xff), lens[i]);
		wire_len += lens[i];
	}
	assert_int_equal(unet__deframer_init(&d, STREAM_HDR_LEN, MAXLEN), 0);
	while (off < wire_len) {
		seed = seed * 1103515245u + 12345u;
		n = 1 + (seed >> 8) % 3000;
		if (n > wire_len - off)
			n = wire_len - off;
		in = wire + off;
		left = n;
		while ((r = unet__deframer_next(&d, &in, &left, &frame,
						&flen)) == 1) {
			assert_true(got < N);
			assert_int_equal(flen, lens[got]);
			assert_int_equal(frame[0], got & 0xff);
			assert_int_equal(frame[flen - 1], got & 0xff);
			got++;
		}
		assert_int_equal(r, 0);
		off += n;
	}
	assert_int_equal(got, N);
	assert_int_equal(unet__deframer_pending(&d), 0);
	unet__deframer_free(&d);
	free(wire);
}

/*
 * With a flag mask, the prefix's flag bits are not length: they are handed
 * out per frame, and a length without them is checked as ever.
 */
static void test_deframer_flags(void **state)
{
	static const unsigned char in[] = {
		0x80, 0, 0, 2, 7, 7, /* flagged, 2 bytes */
		0,    0, 0, 1, 8, /* plain, 1 byte */
		0x80, 0, 0, 0, /* flagged, length 0 */
	};
	struct unet__deframer d;
	const unsigned char *p = in, *frame;
	size_t left = sizeof(in), flen;

	(void)state;
	assert_int_equal(unet__deframer_init(&d, STREAM_HDR_LEN, DF_MAX), 0);
	d.flag_mask = STREAM_F_OFFLOAD;
	assert_int_equal(unet__deframer_next(&d, &p, &left, &frame, &flen), 1);
	assert_int_equal(flen, 2);
	assert_int_equal(d.flags, STREAM_F_OFFLOAD);
	assert_int_equal(unet__deframer_next(&d, &p, &left, &frame, &flen), 1);
	assert_int_equal(flen, 1);
	assert_int_equal(frame[0], 8);
	assert_int_equal(d.flags, 0);
	assert_int_equal(unet__deframer_next(&d, &p, &left, &frame, &flen),
			 -EPROTO);
	/* Without the mask, the same first prefix is a length over the max. */
	unet__deframer_reset(&d);
	d.flag_mask = 0;
	p = in;
	left = sizeof(in);
	assert_int_equal(unet__deframer_next(&d, &p, &left, &frame, &flen),
			 -EMSGSIZE);
	unet__deframer_free(&d);
}

/* ---- the port, on real sockets ----------------------------------------- */

/* A port that stores what the hub delivers to it. */
struct capture {
	struct unet_port port;
	size_t n;
	size_t lens[CAP_MAX];
	unsigned char *frames; /* CAP_MAX * TEST_FRAME_MAX bytes */
};

struct env {
	uv_loop_t loop;
	struct unet_hub *hub[3];
	struct capture cap[3];
	unsigned int log_errors;
	unsigned int log_lines;
	char last_log[512];
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

	if (level == UNET_LOG_ERROR)
		env->log_errors++;
	env->log_lines++;
	snprintf(env->last_log, sizeof(env->last_log), "%s", msg);
}

static void env_init(struct env *env)
{
	struct unet_hub_config cfg;
	int i;

	memset(env, 0, sizeof(*env));
	assert_int_equal(uv_loop_init(&env->loop), 0);
	unet_hub_config_init(&cfg);
	cfg.mtu = TEST_MTU;
	cfg.log_cb = test_log;
	cfg.log_opaque = env;
	cfg.log_level = UNET_LOG_DEBUG;
	for (i = 0; i < 3; i++) {
		assert_int_equal(unet_hub_new(&env->loop, &cfg, &env->hub[i]),
				 0);
		env->cap[i].frames = malloc((size_t)CAP_MAX * TEST_FRAME_MAX);
		assert_non_null(env->cap[i].frames);
		unet_port_init(&env->cap[i].port, &capture_ops, "capture");
		assert_int_equal(unet_hub_attach(env->hub[i],
						 &env->cap[i].port), 0);
	}
}

static void env_fini(struct env *env)
{
	int i;

	for (i = 0; i < 3; i++) {
		unet_hub_close(env->hub[i]);
		free(env->cap[i].frames);
	}
	/* Everything the ports started must finish closing. */
	uv_run(&env->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&env->loop), 0);
}

/* Run the loop until @cond(@arg) or SPIN_MAX iterations; returns cond. */
static bool spin_until(struct env *env, bool (*cond)(void *), void *arg)
{
	int i;

	for (i = 0; i < SPIN_MAX; i++) {
		if (cond(arg))
			return true;
		uv_run(&env->loop, UV_RUN_NOWAIT);
		if (i > 100)
			usleep(200);
	}
	return cond(arg);
}

static void spin(struct env *env, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		uv_run(&env->loop, UV_RUN_NOWAIT);
		usleep(100);
	}
}

struct count_arg {
	struct capture *cap;
	size_t n;
};

static bool have_frames(void *p)
{
	struct count_arg *a = p;

	return a->cap->n >= a->n;
}

static bool is_connected(void *p)
{
	return unet_stream_connected(p);
}

static bool is_down(void *p)
{
	return !unet_stream_connected(p);
}

/* A frame of @len bytes whose contents depend on @seq. */
static void make_frame(unsigned char *buf, size_t len, unsigned int seq)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (unsigned char)(seq * 31u + i);
	buf[0] = (unsigned char)(seq >> 8);
	buf[1] = (unsigned char)seq;
}

/*
 * Read prefixed frames of @len bytes from @peer (made non-blocking) while
 * the loop runs, until @want arrived (0: until nothing came for 500 passes);
 * each must be whole, and their numbers must increase (with @want, by one:
 * no gaps). Return: how many arrived.
 */
static unsigned int peer_drain(struct env *env, int peer, size_t len,
			       unsigned int want)
{
	static unsigned char acc[64 << 10];
	unsigned char frame[TEST_FRAME_MAX];
	unsigned int seq, last = 0, n_got = 0, idle = 0;
	size_t acc_len = 0;
	ssize_t n;

	fcntl(peer, F_SETFL, O_NONBLOCK);
	while (idle < 500 && (want == 0 || n_got < want)) {
		spin(env, 1);
		n = read(peer, acc + acc_len, sizeof(acc) - acc_len);
		if (n > 0) {
			acc_len += (size_t)n;
			idle = 0;
		} else {
			idle++;
		}
		while (acc_len >= 4 + len) {
			assert_int_equal(acc[0] << 24 | acc[1] << 16 |
						 acc[2] << 8 | acc[3],
					 len);
			seq = (unsigned int)acc[4] << 8 | acc[5];
			make_frame(frame, len, seq);
			assert_memory_equal(acc + 4, frame, len);
			if (want > 0)
				assert_int_equal(seq, last + 1);
			else
				assert_true(seq > last);
			last = seq;
			n_got++;
			memmove(acc, acc + 4 + len, acc_len - 4 - len);
			acc_len -= 4 + len;
		}
	}
	assert_int_equal(acc_len, 0);
	return n_got;
}

static void check_frame(const struct capture *cap, size_t idx, size_t len,
			unsigned int seq)
{
	unsigned char want[TEST_FRAME_MAX];

	assert_true(idx < cap->n);
	assert_int_equal(cap->lens[idx], len);
	make_frame(want, len, seq);
	assert_memory_equal(cap->frames + idx * TEST_FRAME_MAX, want, len);
}

static void put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* Write all of @buf to the blocking @fd. */
static void write_all(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		assert_true(n > 0);
		p += n;
		len -= (size_t)n;
	}
}

/* A stream port adopted on one end of a unix socketpair; the test has the
 * other (@peer, blocking).
 */
static struct unet_port *adopt_pair(struct env *env, int *peer)
{
	struct unet_port *port;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				    sv), 0);
	assert_int_equal(unet_stream_adopt(env->hub[0], "s0", sv[0], &port),
			 0);
	assert_true(unet_stream_connected(port));
	*peer = sv[1];
	return port;
}

/* Frames from the peer, written one byte at a time, reach the hub whole. */
static void test_port_in_bytewise(void **state)
{
	struct env env;
	struct unet_port *port;
	unsigned char buf[4 + TEST_FRAME_MAX];
	struct count_arg a;
	unsigned int seq;
	size_t len, i;
	int peer;

	(void)state;
	env_init(&env);
	port = adopt_pair(&env, &peer);
	for (seq = 0; seq < 4; seq++) {
		len = seq == 3 ? TEST_FRAME_MAX : 60 + seq;
		put_be32(buf, (uint32_t)len);
		make_frame(buf + 4, len, seq);
		/* Each byte is its own read for the port. */
		for (i = 0; i < 4 + len; i++) {
			write_all(peer, buf + i, 1);
			uv_run(&env.loop, UV_RUN_NOWAIT);
		}
	}
	a.cap = &env.cap[0];
	a.n = 4;
	assert_true(spin_until(&env, have_frames, &a));
	for (seq = 0; seq < 4; seq++)
		check_frame(&env.cap[0], seq,
			    seq == 3 ? TEST_FRAME_MAX : 60 + seq, seq);
	assert_int_equal(port->stats.in_frames, 4);
	close(peer);
	env_fini(&env);
}

/* Frames from the hub reach the peer with their length before them. */
static void test_port_out(void **state)
{
	struct env env;
	struct unet_port *port;
	unsigned char frame[TEST_FRAME_MAX], got[4 + TEST_FRAME_MAX];
	unsigned int seq;
	size_t len, have;
	ssize_t n;
	int peer;

	(void)state;
	env_init(&env);
	port = adopt_pair(&env, &peer);
	for (seq = 0; seq < 50; seq++) {
		len = UNET_ETH_HLEN + (seq * 97u) % (TEST_FRAME_MAX - 13);
		make_frame(frame, len, seq);
		assert_int_equal(unet_hub_input(&env.cap[0].port, frame, len),
				 0);
		spin(&env, 2);
		for (have = 0; have < 4 + len; have += (size_t)n) {
			n = read(peer, got + have, 4 + len - have);
			assert_true(n > 0);
		}
		assert_int_equal(got[0] << 24 | got[1] << 16 | got[2] << 8 |
				 got[3], len);
		assert_memory_equal(got + 4, frame, len);
	}
	assert_int_equal(port->stats.out_frames, 50);
	close(peer);
	env_fini(&env);
}

static void send_frame(struct env *env, int from, unsigned int seq);

/*
 * Read one prefixed frame of @len bytes from the non-blocking @peer and
 * check it is frame @seq. Return: false when nothing is there.
 */
static bool peer_take(int peer, size_t len, unsigned int seq)
{
	unsigned char got[4 + TEST_FRAME_MAX], want[TEST_FRAME_MAX];
	ssize_t n;

	n = recv(peer, got, 4 + len, MSG_DONTWAIT);
	if (n < 0 && errno == EAGAIN)
		return false;
	assert_int_equal(n, 4 + len);
	assert_int_equal(got[0] << 24 | got[1] << 16 | got[2] << 8 | got[3],
			 len);
	make_frame(want, len, seq);
	assert_memory_equal(got + 4, want, len);
	return true;
}

/* A port that answers every frame it is given with frame 1000 + its seq. */
struct answer {
	struct unet_port port;
	unsigned int n;
};

static int answer_send(struct unet_port *port, const void *frame, size_t len)
{
	struct answer *an = (struct answer *)(void *)port;
	const unsigned char *f = frame;
	unsigned char reply[100];

	assert_true(len >= 2);
	make_frame(reply, sizeof(reply), 1000u + (f[0] << 8 | f[1]));
	an->n++;
	return unet_hub_input(port, reply, sizeof(reply));
}

static const struct unet_port_ops answer_ops = {
	.name = "answer",
	.send = answer_send,
	.close = capture_close,
};

static void guard_cb(uv_timer_t *t)
{
	*(bool *)t->data = true;
}

/*
 * A lone frame leaves at once, without the loop running; frames that
 * follow it at once are batched and leave in the loop's next pass, before
 * it waits for anything (a 2-s timer does not fire first); an answer made
 * while the port reads leaves from inside that read (lock-step traffic,
 * such as TFTP, waits for nothing but the peer).
 */
static void test_port_out_at_once(void **state)
{
	struct env env;
	struct unet_port *port;
	struct answer an;
	unsigned char buf[4 + 100];
	uv_timer_t guard;
	bool fired = false;
	unsigned int seq;
	int peer;

	(void)state;
	env_init(&env);
	port = adopt_pair(&env, &peer);
	assert_int_equal(uv_timer_init(&env.loop, &guard), 0);
	guard.data = &fired;
	assert_int_equal(uv_timer_start(&guard, guard_cb, 2000, 0), 0);

	send_frame(&env, 0, 1);
	assert_true(peer_take(peer, 100, 1));
	uv_run(&env.loop, UV_RUN_NOWAIT);
	/* A burst: the first at once, the rest in the next pass. */
	for (seq = 2; seq <= 4; seq++)
		send_frame(&env, 0, seq);
	assert_true(peer_take(peer, 100, 2));
	assert_false(peer_take(peer, 100, 3));
	uv_run(&env.loop, UV_RUN_ONCE);
	assert_false(fired);
	assert_true(peer_take(peer, 100, 3));
	assert_true(peer_take(peer, 100, 4));
	/* The batch is over: the next lone frame leaves at once again. */
	send_frame(&env, 0, 5);
	assert_true(peer_take(peer, 100, 5));
	uv_run(&env.loop, UV_RUN_NOWAIT);

	/* Lock-step: each frame read is answered from inside the read. */
	unet_port_init(&an.port, &answer_ops, "answer");
	an.n = 0;
	assert_int_equal(unet_hub_attach(env.hub[0], &an.port), 0);
	for (seq = 10; seq < 20; seq++) {
		put_be32(buf, 100);
		make_frame(buf + 4, 100, seq);
		write_all(peer, buf, sizeof(buf));
		uv_run(&env.loop, UV_RUN_ONCE);
		assert_int_equal(an.n, seq - 9);
		assert_true(peer_take(peer, 100, 1000 + seq));
		assert_false(fired);
	}
	assert_int_equal(port->stats.out_frames, 15);
	assert_int_equal(port->stats.drops[UNET_DROP_ERROR], 0);
	unet_hub_detach(&an.port);
	uv_close((uv_handle_t *)&guard, NULL);
	close(peer);
	env_fini(&env);
}

/*
 * A burst larger than the output buffers, sent without the loop running:
 * the first frame leaves at once, the rest waits in the batch and in the
 * hub's queue, which the port drains by itself as writes complete; all
 * arrives whole, in order, nothing dropped.
 */
static void test_port_burst(void **state)
{
	enum { N = 280, LEN = 1400 };
	struct env env;
	struct unet_port *port;
	unsigned char frame[LEN];
	unsigned int seq;
	int peer;

	(void)state;
	env_init(&env);
	port = adopt_pair(&env, &peer);
	for (seq = 1; seq <= N; seq++) {
		make_frame(frame, LEN, seq);
		assert_int_equal(unet_hub_input(&env.cap[0].port, frame, LEN),
				 0);
	}
	assert_int_equal(port->stats.out_frames + port->queue_len, N);
	assert_int_equal(peer_drain(&env, peer, LEN, N), N);
	assert_true(unet_port_queue_empty(port));
	assert_int_equal(port->stats.out_frames, N);
	assert_int_equal(port->stats.drops[UNET_DROP_QUEUE_FULL], 0);
	close(peer);
	env_fini(&env);
}

/*
 * Check that every connected TCP socket of this process has TCP_NODELAY
 * (a frame is a whole message: Nagle would hold a lone small one back
 * while an earlier one is unacknowledged). Return: how many there are.
 */
static int tcp_nodelay_count(void)
{
	struct sockaddr_storage ss;
	int fd, type, on, count = 0;
	socklen_t len;

	for (fd = 0; fd < 1024; fd++) {
		len = sizeof(type);
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
		    type != SOCK_STREAM)
			continue;
		len = sizeof(ss);
		if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0 ||
		    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
			continue;
		len = sizeof(ss);
		if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
			continue;
		on = 0;
		len = sizeof(on);
		assert_int_equal(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on,
					    &len), 0);
		assert_int_equal(on, 1);
		count++;
	}
	return count;
}

/*
 * A broken length resets the connection with one log line; frames before
 * it got through; the hub and other ports go on.
 */
static void run_bad_length(uint32_t bad)
{
	struct env env;
	struct unet_port *port;
	unsigned char buf[4 + 64 + 4 + 8];
	unsigned char frame[64];
	struct count_arg a = { .n = 1 };
	char c;
	int peer;

	env_init(&env);
	a.cap = &env.cap[0];
	port = adopt_pair(&env, &peer);
	put_be32(buf, 64);
	make_frame(buf + 4, 64, 7);
	put_be32(buf + 68, bad);
	memset(buf + 72, 0x55, 8);
	write_all(peer, buf, sizeof(buf));
	assert_true(spin_until(&env, is_down, port));
	assert_true(spin_until(&env, have_frames, &a));
	check_frame(&env.cap[0], 0, 64, 7);
	assert_int_equal(env.cap[0].n, 1);
	assert_int_equal(env.log_errors, 1);
	assert_non_null(strstr(env.last_log, "connection reset"));
	assert_int_equal(port->stats.drops[UNET_DROP_ERROR], 1);
	/* The peer sees the connection go. */
	assert_true(read(peer, &c, 1) <= 0);
	/* With no peer, frames from the hub are dropped and counted. */
	make_frame(frame, sizeof(frame), 1);
	assert_int_equal(unet_hub_input(&env.cap[0].port, frame,
					sizeof(frame)), 0);
	assert_int_equal(port->stats.drops[UNET_DROP_ERROR], 2);
	close(peer);
	env_fini(&env);
}

static void test_port_length_zero(void **state)
{
	(void)state;
	run_bad_length(0);
}

static void test_port_length_over_max(void **state)
{
	(void)state;
	run_bad_length(STREAM_FRAME_MAX + 1);
	run_bad_length(0xffffffffu);
}

/*
 * A frame the hub cannot carry but the wire allows is dropped and counted
 * (too long, too short), and the stream goes on.
 */
static void test_port_hub_limits(void **state)
{
	enum { LONG = TEST_FRAME_MAX + 1 };
	struct env env;
	struct unet_port *port;
	static unsigned char buf[4 + LONG + 4 + 5 + 4 + 60];
	struct count_arg a = { .n = 1 };
	int peer;

	(void)state;
	env_init(&env);
	a.cap = &env.cap[0];
	port = adopt_pair(&env, &peer);
	put_be32(buf, LONG);
	put_be32(buf + 4 + LONG, 5);
	put_be32(buf + 4 + LONG + 4 + 5, 60);
	make_frame(buf + 4 + LONG + 4 + 5 + 4, 60, 9);
	write_all(peer, buf, sizeof(buf));
	assert_true(spin_until(&env, have_frames, &a));
	check_frame(&env.cap[0], 0, 60, 9);
	assert_true(unet_stream_connected(port));
	assert_int_equal(port->stats.drops[UNET_DROP_LONG], 1);
	assert_int_equal(port->stats.drops[UNET_DROP_SHORT], 1);
	assert_int_equal(env.log_errors, 0);
	close(peer);
	env_fini(&env);
}

/* A peer that closes mid-frame: the partial frame is dropped and counted. */
static void test_port_close_mid_frame(void **state)
{
	struct env env;
	struct unet_port *port;
	unsigned char buf[4 + 60 + 4 + 30];
	struct count_arg a = { .n = 1 };
	int peer;

	(void)state;
	env_init(&env);
	a.cap = &env.cap[0];
	port = adopt_pair(&env, &peer);
	put_be32(buf, 60);
	make_frame(buf + 4, 60, 3);
	put_be32(buf + 64, 100);
	memset(buf + 68, 0, 30);
	write_all(peer, buf, sizeof(buf));
	close(peer);
	assert_true(spin_until(&env, is_down, port));
	assert_true(spin_until(&env, have_frames, &a));
	assert_int_equal(env.cap[0].n, 1);
	check_frame(&env.cap[0], 0, 60, 3);
	assert_int_equal(port->stats.drops[UNET_DROP_ERROR], 1);
	assert_int_equal(env.log_errors, 0);
	env_fini(&env);
}

/*
 * A peer that does not read: the port's buffers and then its queue fill,
 * frames beyond are dropped and counted, memory stays bounded; once the
 * peer reads, what was kept arrives whole and in order.
 */
static void test_port_slow_peer(void **state)
{
	enum { N = 2000, LEN = 1400 };
	struct env env;
	struct unet_port *port;
	unsigned char frame[LEN];
	unsigned int seq, n_got;
	int peer, sz = 4096;

	(void)state;
	env_init(&env);
	port = adopt_pair(&env, &peer);
	assert_int_equal(setsockopt(peer, SOL_SOCKET, SO_RCVBUF, &sz,
				    sizeof(sz)), 0);
	for (seq = 1; seq <= N; seq++) {
		make_frame(frame, LEN, seq);
		unet_hub_input(&env.cap[0].port, frame, LEN);
		if (seq % 16 == 0)
			spin(&env, 1);
	}
	assert_true(port->stats.drops[UNET_DROP_QUEUE_FULL] > 0);
	assert_true(port->queue_len <= port->queue_max);
	assert_int_equal(port->stats.out_frames +
				 port->stats.drops[UNET_DROP_QUEUE_FULL] +
				 port->queue_len,
			 N);
	/* Now read everything: whole frames, in increasing order. */
	n_got = peer_drain(&env, peer, LEN, 0);
	assert_true(unet_port_queue_empty(port));
	assert_int_equal(n_got, port->stats.out_frames);
	close(peer);
	env_fini(&env);
}

static struct sockaddr_in loopback(uint16_t port)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	return sin;
}

static void stream_cfg(struct unet_stream_config *sc, bool listen,
		       const void *addr, socklen_t len)
{
	unet_stream_config_init(sc);
	sc->listen = listen;
	memcpy(&sc->addr, addr, len);
	sc->addrlen = len;
}

/* Send frame @seq from hub @from's capture port. */
static void send_frame(struct env *env, int from, unsigned int seq)
{
	unsigned char frame[100];

	make_frame(frame, sizeof(frame), seq);
	assert_int_equal(unet_hub_input(&env->cap[from].port, frame,
					sizeof(frame)), 0);
}

/*
 * Listen and connect, TCP or unix: frames both ways; a second peer waits
 * until the first leaves, then is served (one at a time, as QEMU).
 */
static void run_listen_connect(const struct sockaddr *addr, socklen_t len)
{
	struct env env;
	struct unet_stream_config sc;
	struct unet_port *srv, *b, *c;
	struct sockaddr_storage bound;
	socklen_t blen = sizeof(bound);
	struct count_arg a;

	env_init(&env);
	stream_cfg(&sc, true, addr, len);
	assert_int_equal(unet_stream_open(env.hub[0], "srv", &sc, &srv), 0);
	assert_int_equal(unet_stream_local_addr(srv, (struct sockaddr *)&bound,
						&blen), 0);
	stream_cfg(&sc, false, &bound, blen);
	assert_int_equal(unet_stream_open(env.hub[1], "b", &sc, &b), 0);
	assert_true(spin_until(&env, is_connected, b));
	assert_true(spin_until(&env, is_connected, srv));
	/* TCP: both ends of the link without Nagle. */
	if (addr->sa_family != AF_UNIX)
		assert_int_equal(tcp_nodelay_count(), 2);

	send_frame(&env, 1, 1);
	a.cap = &env.cap[0];
	a.n = 1;
	assert_true(spin_until(&env, have_frames, &a));
	check_frame(&env.cap[0], 0, 100, 1);
	send_frame(&env, 0, 2);
	a.cap = &env.cap[1];
	assert_true(spin_until(&env, have_frames, &a));
	check_frame(&env.cap[1], 0, 100, 2);

	/* A second client connects (the kernel accepts it) but waits. */
	assert_int_equal(unet_stream_open(env.hub[2], "c", &sc, &c), 0);
	spin(&env, 200);
	send_frame(&env, 0, 3);
	spin(&env, 200);
	assert_int_equal(env.cap[2].n, 0);
	a.cap = &env.cap[1];
	a.n = 2;
	assert_true(spin_until(&env, have_frames, &a));

	/*
	 * The first leaves: the second is served; what it sent while it
	 * waited (in the kernel's buffers) arrives then.
	 */
	send_frame(&env, 2, 5);
	unet_port_close(b);
	a.cap = &env.cap[0];
	a.n = 2;
	assert_true(spin_until(&env, have_frames, &a));
	check_frame(&env.cap[0], 1, 100, 5);
	assert_true(unet_stream_connected(srv));
	send_frame(&env, 0, 4);
	a.cap = &env.cap[2];
	a.n = 1;
	assert_true(spin_until(&env, have_frames, &a));
	check_frame(&env.cap[2], 0, 100, 4);
	env_fini(&env);
}

static void test_tcp_listen_connect(void **state)
{
	struct sockaddr_in sin = loopback(0);

	(void)state;
	run_listen_connect((struct sockaddr *)&sin, sizeof(sin));
}

static void test_unix_listen_connect(void **state)
{
	char dir[] = "/tmp/unet-stream-XXXXXX";
	struct sockaddr_un sun;
	struct stat st;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/s", dir);
	/* A stale socket at the path is replaced. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	run_listen_connect((struct sockaddr *)&sun, sizeof(sun));
	/* The path went with the port. */
	assert_int_equal(stat(sun.sun_path, &st), -1);
	rmdir(dir);
}

/* A listen path holding a regular file is refused, the file kept. */
static void test_unix_path_is_file(void **state)
{
	char dir[] = "/tmp/unet-stream-XXXXXX";
	struct unet_stream_config sc;
	struct sockaddr_un sun;
	struct unet_port *port;
	struct env env;
	struct stat st;
	int fd;

	(void)state;
	env_init(&env);
	assert_non_null(mkdtemp(dir));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/f", dir);
	fd = open(sun.sun_path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	stream_cfg(&sc, true, &sun, sizeof(sun));
	assert_int_equal(unet_stream_open(env.hub[0], "s", &sc, &port),
			 -EEXIST);
	assert_int_equal(stat(sun.sun_path, &st), 0);
	unlink(sun.sun_path);
	rmdir(dir);
	env_fini(&env);
}

/* A connect with reconnect= retries until a listener appears. */
static void test_reconnect(void **state)
{
	struct env env;
	struct unet_stream_config sc;
	struct unet_port *srv, *cl;
	struct sockaddr_in sin = loopback(0);
	socklen_t len = sizeof(sin);
	int fd;

	(void)state;
	env_init(&env);
	/* Find a free port, then leave it free. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);

	stream_cfg(&sc, false, &sin, sizeof(sin));
	sc.reconnect_ms = 300;
	assert_int_equal(unet_stream_open(env.hub[1], "cl", &sc, &cl), 0);
	spin(&env, 500);
	assert_false(unet_stream_connected(cl));
	stream_cfg(&sc, true, &sin, sizeof(sin));
	assert_int_equal(unet_stream_open(env.hub[0], "srv", &sc, &srv), 0);
	assert_true(spin_until(&env, is_connected, cl));
	/* The listener goes and comes back: the client follows. */
	unet_port_close(srv);
	assert_true(spin_until(&env, is_down, cl));
	assert_int_equal(unet_stream_open(env.hub[0], "srv", &sc, &srv), 0);
	assert_true(spin_until(&env, is_connected, cl));
	env_fini(&env);
}

/* Without reconnect=, a refused connect leaves the port down, logged. */
static void test_no_reconnect(void **state)
{
	struct env env;
	struct unet_stream_config sc;
	struct unet_port *cl;
	struct sockaddr_in sin = loopback(0);
	socklen_t len = sizeof(sin);
	int fd;

	(void)state;
	env_init(&env);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);
	stream_cfg(&sc, false, &sin, sizeof(sin));
	assert_int_equal(unet_stream_open(env.hub[1], "cl", &sc, &cl), 0);
	spin(&env, 300);
	assert_false(unet_stream_connected(cl));
	assert_int_equal(env.log_errors, 1);
	assert_non_null(strstr(env.last_log, "port down"));
	env_fini(&env);
}

/* ---- usernet's offload extension ---------------------------------------- */

/* Payload bytes of the test's GSO frame, and its segments' size. */
#define OFF_PAYLOAD 20000
#define OFF_MSS 1448
#define OFF_SEGS ((OFF_PAYLOAD + OFF_MSS - 1) / OFF_MSS)
#define OFF_HDRS (14 + 20 + 20)

/* A port that takes every offload and keeps its last frame and facts. */
struct ocap {
	struct unet_port port;
	size_t n;
	size_t n_gso;
	size_t len;
	struct unet_offload off;
	unsigned char frame[UNET_GSO_FRAME_MAX];
};

static int ocap_send_offload(struct unet_port *port, const void *frame,
			     size_t len, const struct unet_offload *off)
{
	struct ocap *oc = (struct ocap *)(void *)port;

	assert_true(len <= sizeof(oc->frame));
	memcpy(oc->frame, frame, len);
	oc->len = len;
	oc->off = off != NULL ? *off : (struct unet_offload){ 0 };
	if (off != NULL && off->gso_type != UNET_GSO_NONE)
		oc->n_gso++;
	oc->n++;
	return 0;
}

static int ocap_send(struct unet_port *port, const void *frame, size_t len)
{
	return ocap_send_offload(port, frame, len, NULL);
}

static const struct unet_port_ops ocap_ops = {
	.name = "ocap",
	.send = ocap_send,
	.close = capture_close,
	.send_offload = ocap_send_offload,
};

static void ocap_attach(struct ocap *oc, struct unet_hub *hub)
{
	memset(oc, 0, sizeof(*oc));
	unet_port_init(&oc->port, &ocap_ops, "ocap");
	oc->port.offload = UNET_PORT_OFFLOAD_CSUM | UNET_PORT_OFFLOAD_TSO4 |
			   UNET_PORT_OFFLOAD_TSO6 | UNET_PORT_OFFLOAD_USO;
	assert_int_equal(unet_hub_attach(hub, &oc->port), 0);
}

/*
 * A TCP over IPv4 GSO frame of OFF_PAYLOAD bytes in OFF_MSS segments, its
 * checksum left to do (the field holds the pseudo-header's sum), as a tap
 * hands one over. Returns its length; @off receives its facts.
 */
static size_t gso_frame(unsigned char *buf, struct unet_offload *off)
{
	static const uint8_t dmac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };
	uint32_t src = tn_ip("10.0.2.15"), dst = tn_ip("10.0.2.16");
	unsigned char *th = buf + 34;
	size_t i, tcp_len = 20 + OFF_PAYLOAD;
	uint32_t sum;

	tn_ip_header(buf, dmac, src, dst, 6, 20 + tcp_len, 1, 0x4000);
	memset(th, 0, 20);
	tn_put16(th, 40000);
	tn_put16(th + 2, 5201);
	tn_put32(th + 4, 1000);
	tn_put32(th + 8, 2000);
	th[12] = 5 << 4;
	th[13] = 0x18; /* ACK PSH */
	tn_put16(th + 14, 1000);
	for (i = 0; i < OFF_PAYLOAD; i++)
		th[20 + i] = (unsigned char)(i * 7 + (i >> 8));
	sum = tn_sum_add(0, buf + 26, 8);
	sum += 6 + (uint32_t)tcp_len;
	tn_put16(th + 16, (uint16_t)~tn_sum_fold(sum));
	memset(off, 0, sizeof(*off));
	off->flags = UNET_OFFLOAD_F_NEEDS_CSUM;
	off->gso_type = UNET_GSO_TCPV4;
	off->hdr_len = OFF_HDRS;
	off->gso_size = OFF_MSS;
	off->csum_start = 34;
	off->csum_offset = 16;
	return OFF_HDRS + OFF_PAYLOAD;
}

struct off_arg {
	struct unet_port *a, *b;
};

static bool both_offload(void *p)
{
	struct off_arg *o = p;

	return o->a->offload != 0 && o->b->offload != 0;
}

static bool ocap_has(void *p)
{
	struct ocap *oc = p;

	return oc->n >= 1;
}

/* Two stream ports over a socketpair, hub 0 and hub 1, both adopted. */
static void adopt_link(struct env *env, struct unet_port **a,
		       struct unet_port **b)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
			 0);
	assert_int_equal(unet_stream_adopt(env->hub[0], "s0", sv[0], a), 0);
	assert_int_equal(unet_stream_adopt(env->hub[1], "s1", sv[1], b), 0);
}

/*
 * Both ends offer the extension: the hellos stay out of the hubs, and a
 * GSO frame crosses as one record, whole, with its facts; the plain port
 * on the far hub gets it cut.
 */
static void test_offload_both(void **state)
{
	static unsigned char frame[UNET_GSO_FRAME_MAX];
	static struct ocap src, dst;
	struct unet_offload off;
	struct unet_port *a, *b;
	struct off_arg oa;
	struct env env;
	struct count_arg ca;
	size_t len;

	(void)state;
	env_init(&env);
	adopt_link(&env, &a, &b);
	ocap_attach(&src, env.hub[0]);
	ocap_attach(&dst, env.hub[1]);
	assert_int_equal(a->offload, 0);
	assert_int_equal(unet_stream_set_offload(a, true), 0);
	assert_int_equal(unet_stream_set_offload(b, true), 0);
	oa.a = a;
	oa.b = b;
	assert_true(spin_until(&env, both_offload, &oa));
	assert_int_equal(a->offload, UNET_PORT_OFFLOAD_CSUM |
					     UNET_PORT_OFFLOAD_TSO4 |
					     UNET_PORT_OFFLOAD_TSO6 |
					     UNET_PORT_OFFLOAD_USO);
	spin(&env, 20);
	/* The hellos reached no port. */
	assert_int_equal(env.cap[0].n, 0);
	assert_int_equal(env.cap[1].n, 0);
	assert_int_equal(dst.n, 0);

	len = gso_frame(frame, &off);
	assert_int_equal(unet_hub_input_offload(&src.port, frame, len, &off),
			 0);
	assert_true(spin_until(&env, ocap_has, &dst));
	assert_int_equal(dst.n, 1);
	assert_int_equal(dst.n_gso, 1);
	assert_int_equal(dst.len, len);
	assert_memory_equal(dst.frame, frame, len);
	assert_memory_equal(&dst.off, &off, sizeof(off));
	/* One record each way is the hello; the frame is the only other. */
	assert_int_equal(a->stats.out_frames, 1);
	ca.cap = &env.cap[1];
	ca.n = OFF_SEGS;
	assert_true(spin_until(&env, have_frames, &ca));
	assert_int_equal(env.cap[1].n, OFF_SEGS);
	assert_int_equal(env.cap[1].lens[0], OFF_HDRS + OFF_MSS);
	/* The sender's own plain port got it cut too. */
	assert_int_equal(env.cap[0].n, OFF_SEGS);

	unet_hub_detach(&src.port);
	unet_hub_detach(&dst.port);
	env_fini(&env);
}

/*
 * Only one end offers it (the other is as QEMU): its hello reaches the far
 * hub as an ordinary frame, and the GSO frame crosses cut to the MTU.
 */
static void test_offload_one_side(void **state)
{
	static unsigned char frame[UNET_GSO_FRAME_MAX];
	static struct ocap src;
	struct unet_offload off;
	struct unet_port *a, *b;
	struct count_arg ca;
	const unsigned char *hello;
	struct env env;
	size_t len;

	(void)state;
	env_init(&env);
	adopt_link(&env, &a, &b);
	ocap_attach(&src, env.hub[0]);
	assert_int_equal(unet_stream_set_offload(a, true), 0);
	ca.cap = &env.cap[1];
	ca.n = 1;
	assert_true(spin_until(&env, have_frames, &ca));
	hello = env.cap[1].frames;
	assert_int_equal(env.cap[1].lens[0], STREAM_HELLO_LEN);
	assert_int_equal(hello[0], 0x01);
	assert_int_equal(tn_get16(hello + 12), STREAM_HELLO_TYPE);
	assert_memory_equal(hello + 14, STREAM_HELLO_MAGIC,
			    STREAM_HELLO_MAGIC_LEN);
	assert_int_equal(hello[STREAM_HELLO_VERSION_OFF], 1);
	spin(&env, 20);
	assert_int_equal(a->offload, 0);
	assert_int_equal(b->offload, 0);

	len = gso_frame(frame, &off);
	assert_int_equal(unet_hub_input_offload(&src.port, frame, len, &off),
			 0);
	ca.n = 1 + OFF_SEGS;
	assert_true(spin_until(&env, have_frames, &ca));
	assert_int_equal(env.cap[1].n, 1 + OFF_SEGS);
	assert_int_equal(a->stats.out_frames, OFF_SEGS);
	unet_hub_detach(&src.port);
	env_fini(&env);
}

/* A hello as a peer sends it, for the raw-socket tests. */
static void hello_frame(unsigned char *f)
{
	memset(f, 0, STREAM_HELLO_LEN);
	f[0] = 0x01;
	f[1] = 0x80;
	f[2] = 0xc2;
	f[5] = 0x0e;
	f[6] = 0x02;
	tn_put16(f + 12, STREAM_HELLO_TYPE);
	memcpy(f + 14, STREAM_HELLO_MAGIC, STREAM_HELLO_MAGIC_LEN);
	f[STREAM_HELLO_VERSION_OFF] = STREAM_HELLO_VERSION;
	f[STREAM_HELLO_VERSION_OFF + 1] = UNET_PORT_OFFLOAD_CSUM |
					  UNET_PORT_OFFLOAD_TSO4;
}

/*
 * The port sends its hello first; a peer's hello counts only as the first
 * record of the connection. One that comes after a frame (as a guest behind
 * QEMU could forge) is a frame like any other, and no offload is taken.
 */
static void test_offload_hello_first(void **state)
{
	unsigned char buf[2 * (4 + STREAM_HELLO_LEN)];
	unsigned char got[4 + STREAM_HELLO_LEN];
	struct unet_port *port;
	struct count_arg ca;
	struct env env;
	size_t have;
	ssize_t n;
	int peer;

	(void)state;
	/* Our hello, first on the wire. */
	env_init(&env);
	port = adopt_pair(&env, &peer);
	assert_int_equal(unet_stream_set_offload(port, true), 0);
	for (have = 0; have < sizeof(got); have += (size_t)n) {
		spin(&env, 1);
		n = read(peer, got + have, sizeof(got) - have);
		assert_true(n > 0);
	}
	assert_int_equal(got[0] << 24 | got[1] << 16 | got[2] << 8 | got[3],
			 STREAM_HELLO_LEN);
	hello_frame(buf);
	/* destination, EtherType, magic and version */
	assert_memory_equal(got + 4, buf, 6);
	assert_memory_equal(got + 4 + 12, buf + 12,
			    STREAM_HELLO_VERSION_OFF + 1 - 12);
	assert_int_equal(got[4 + STREAM_HELLO_VERSION_OFF + 1],
			 UNET_PORT_OFFLOAD_CSUM | UNET_PORT_OFFLOAD_TSO4 |
				 UNET_PORT_OFFLOAD_TSO6 |
				 UNET_PORT_OFFLOAD_USO);
	/* The peer's: a frame, then a hello. */
	put_be32(buf, 60);
	make_frame(buf + 4, 60, 1);
	put_be32(buf + 4 + 60, STREAM_HELLO_LEN);
	hello_frame(buf + 4 + 60 + 4);
	write_all(peer, buf, 4 + 60 + 4 + STREAM_HELLO_LEN);
	ca.cap = &env.cap[0];
	ca.n = 2;
	assert_true(spin_until(&env, have_frames, &ca));
	check_frame(&env.cap[0], 0, 60, 1);
	assert_int_equal(env.cap[0].lens[1], STREAM_HELLO_LEN);
	assert_int_equal(port->offload, 0);
	close(peer);
	env_fini(&env);

	/* The same hello first: taken, and kept out of the hub. */
	env_init(&env);
	port = adopt_pair(&env, &peer);
	assert_int_equal(unet_stream_set_offload(port, true), 0);
	put_be32(buf, STREAM_HELLO_LEN);
	hello_frame(buf + 4);
	write_all(peer, buf, 4 + STREAM_HELLO_LEN);
	spin(&env, 50);
	assert_int_equal(port->offload,
			 UNET_PORT_OFFLOAD_CSUM | UNET_PORT_OFFLOAD_TSO4);
	assert_int_equal(env.cap[0].n, 0);
	close(peer);
	env_fini(&env);
}

/*
 * Records with facts from a peer, to a port that offers the extension:
 * one too short for its header and one whose facts do not fit its frame
 * are dropped and counted, and the stream goes on; a port that does not
 * offer it takes the flag as a length over the max, as before.
 */
static void test_offload_bad_records(void **state)
{
	static unsigned char buf[4 + 5 + 4 + STREAM_OFF_LEN + 60 + 4 + 60];
	struct unet_port *port;
	struct count_arg ca;
	unsigned char *p = buf;
	struct env env;
	int peer;

	(void)state;
	env_init(&env);
	port = adopt_pair(&env, &peer);
	assert_int_equal(unet_stream_set_offload(port, true), 0);
	put_be32(p, STREAM_F_OFFLOAD | 5);
	p += 4 + 5;
	put_be32(p, STREAM_F_OFFLOAD | (STREAM_OFF_LEN + 60));
	p[4] = UNET_OFFLOAD_F_NEEDS_CSUM;
	p[4 + 6] = 0xff; /* csum_start far beyond the frame */
	make_frame(p + 4 + STREAM_OFF_LEN, 60, 1);
	p += 4 + STREAM_OFF_LEN + 60;
	put_be32(p, 60);
	make_frame(p + 4, 60, 2);
	write_all(peer, buf, sizeof(buf));
	ca.cap = &env.cap[0];
	ca.n = 1;
	assert_true(spin_until(&env, have_frames, &ca));
	check_frame(&env.cap[0], 0, 60, 2);
	assert_int_equal(port->stats.drops[UNET_DROP_OFFLOAD], 2);
	assert_true(unet_stream_connected(port));
	assert_int_equal(unet_stream_set_offload(&env.cap[0].port, true),
			 -EINVAL);
	close(peer);
	env_fini(&env);

	/* Not offered: the flag makes a length over the max. */
	run_bad_length(STREAM_F_OFFLOAD | 60);
}

static void test_bad_config(void **state)
{
	struct env env;
	struct unet_stream_config sc;
	struct sockaddr_in sin = loopback(0);
	struct sockaddr_un sun;
	struct unet_port *port, *p2;
	struct sockaddr_storage bound;
	socklen_t blen = sizeof(bound);
	int sv[2];

	(void)state;
	env_init(&env);
	stream_cfg(&sc, true, &sin, sizeof(sin));
	assert_int_equal(unet_stream_open(NULL, "s", &sc, &port), -EINVAL);
	assert_int_equal(unet_stream_open(env.hub[0], "s", NULL, &port),
			 -EINVAL);
	assert_int_equal(unet_stream_open(env.hub[0], "s", &sc, NULL), -EINVAL);
	sc.size = 4;
	assert_int_equal(unet_stream_open(env.hub[0], "s", &sc, &port),
			 -EINVAL);
	stream_cfg(&sc, true, &sin, sizeof(sin) - 1);
	assert_int_equal(unet_stream_open(env.hub[0], "s", &sc, &port),
			 -EINVAL);
	stream_cfg(&sc, true, &sin, sizeof(sin));
	sc.addr.ss_family = AF_PACKET;
	assert_int_equal(unet_stream_open(env.hub[0], "s", &sc, &port),
			 -EAFNOSUPPORT);
	/* Abstract names and unterminated paths. */
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, "\0abc", 4);
	stream_cfg(&sc, true, &sun, sizeof(sun));
	assert_int_equal(unet_stream_open(env.hub[0], "s", &sc, &port),
			 -EINVAL);
	memset(sun.sun_path, 'a', sizeof(sun.sun_path));
	stream_cfg(&sc, true, &sun, sizeof(sun));
	assert_int_equal(unet_stream_open(env.hub[0], "s", &sc, &port),
			 -ENAMETOOLONG);
	/* An address in use. */
	stream_cfg(&sc, true, &sin, sizeof(sin));
	assert_int_equal(unet_stream_open(env.hub[0], "s", &sc, &port), 0);
	assert_int_equal(unet_stream_local_addr(port,
						(struct sockaddr *)&bound,
						&blen), 0);
	stream_cfg(&sc, true, &bound, blen);
	assert_int_equal(unet_stream_open(env.hub[1], "s", &sc, &p2),
			 -EADDRINUSE);
	/* Adopting what is not a connected stream socket. */
	assert_int_equal(unet_stream_adopt(env.hub[0], "a", -1, &p2), -EBADF);
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	close(sv[1]);
	assert_int_equal(unet_stream_adopt(env.hub[0], "a", sv[0], &p2),
			 -EINVAL);
	/* Other kinds of port. */
	assert_false(unet_stream_connected(&env.cap[0].port));
	assert_int_equal(unet_stream_local_addr(&env.cap[0].port,
						(struct sockaddr *)&bound,
						&blen), -EINVAL);
	env_fini(&env);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deframer_table),
		cmocka_unit_test(test_deframer_init),
		cmocka_unit_test(test_deframer_random),
		cmocka_unit_test(test_deframer_flags),
		cmocka_unit_test(test_port_in_bytewise),
		cmocka_unit_test(test_port_out),
		cmocka_unit_test(test_port_out_at_once),
		cmocka_unit_test(test_port_burst),
		cmocka_unit_test(test_port_length_zero),
		cmocka_unit_test(test_port_length_over_max),
		cmocka_unit_test(test_port_hub_limits),
		cmocka_unit_test(test_port_close_mid_frame),
		cmocka_unit_test(test_port_slow_peer),
		cmocka_unit_test(test_tcp_listen_connect),
		cmocka_unit_test(test_unix_listen_connect),
		cmocka_unit_test(test_unix_path_is_file),
		cmocka_unit_test(test_reconnect),
		cmocka_unit_test(test_no_reconnect),
		cmocka_unit_test(test_offload_both),
		cmocka_unit_test(test_offload_one_side),
		cmocka_unit_test(test_offload_hello_first),
		cmocka_unit_test(test_offload_bad_records),
		cmocka_unit_test(test_bad_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
