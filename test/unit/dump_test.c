/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the pcap dump port (hub/dump.c).
 *
 *   +--------+  unet_hub_input()  +-----+  send op  +-----------+
 *   | source |------------------->| hub |---------->| dump port |--> file
 *   +--------+                    +-----+           +-----------+
 *
 * Frames are pushed into the hub by small in-test ports; the file is read
 * back with libpcap while the dump port is still open, which shows that the
 * port flushes after every frame.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>
#include <uv.h>

#include <usernet/hub.h>
#include <usernet/ports.h>

#define TEST_MTU 1500
#define TEST_FRAME_MAX (TEST_MTU + UNET_ETH_HLEN + UNET_VLAN_HLEN)
#define SPIN_MAX 100

struct env {
	uv_loop_t loop;
	struct unet_hub *hub;
	struct unet_port src;
	struct unet_port src2;
	char dir[32];
	char path[64];
	uint64_t clock_ns;
	unsigned int logged;
};

static int source_send(struct unet_port *port, const void *frame, size_t len)
{
	(void)port;
	(void)frame;
	(void)len;
	return 0;
}

static void source_close(struct unet_port *port)
{
	unet_hub_detach(port);
}

static const struct unet_port_ops source_ops = {
	.name = "source",
	.send = source_send,
	.close = source_close,
};

static void test_log(void *opaque, enum unet_log_level level, const char *msg)
{
	struct env *env = opaque;

	(void)level;
	(void)msg;
	env->logged++;
}

static uint64_t test_clock(void *opaque)
{
	const struct env *env = opaque;

	return env->clock_ns;
}

/* A hub with two source ports, a fresh folder; a virtual clock if asked. */
static void env_init(struct env *env, int virtual_clock)
{
	struct unet_hub_config cfg;

	memset(env, 0, sizeof(*env));
	assert_int_equal(uv_loop_init(&env->loop), 0);
	unet_hub_config_init(&cfg);
	cfg.mtu = TEST_MTU;
	cfg.log_cb = test_log;
	cfg.log_opaque = env;
	cfg.log_level = UNET_LOG_DEBUG;
	if (virtual_clock) {
		cfg.clock_cb = test_clock;
		cfg.clock_opaque = env;
	}
	assert_int_equal(unet_hub_new(&env->loop, &cfg, &env->hub), 0);
	unet_port_init(&env->src, &source_ops, "src");
	assert_int_equal(unet_hub_attach(env->hub, &env->src), 0);
	unet_port_init(&env->src2, &source_ops, "src2");
	assert_int_equal(unet_hub_attach(env->hub, &env->src2), 0);

	snprintf(env->dir, sizeof(env->dir), "/tmp/unet-dump-XXXXXX");
	assert_non_null(mkdtemp(env->dir));
	snprintf(env->path, sizeof(env->path), "%s/out.pcap", env->dir);
}

static void env_fini(struct env *env)
{
	int i, r = UV_EBUSY;

	unet_hub_close(env->hub);
	for (i = 0; i < SPIN_MAX && r == UV_EBUSY; i++) {
		uv_run(&env->loop, UV_RUN_NOWAIT);
		r = uv_loop_close(&env->loop);
	}
	assert_int_equal(r, 0);
	unlink(env->path);
	assert_int_equal(rmdir(env->dir), 0);
}

static void make_frame(unsigned char *buf, size_t len, unsigned int seq)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (unsigned char)(seq * 13u + i * 7u);
}

/* Open the dump for reading; checks the file header. */
static pcap_t *open_reader(const struct env *env, int snaplen)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p;

	p = pcap_open_offline(env->path, err);
	if (p == NULL)
		fail_msg("pcap_open_offline: %s", err);
	assert_int_equal(pcap_datalink(p), DLT_EN10MB);
	assert_int_equal(pcap_snapshot(p), snaplen);
	return p;
}

/*
 * Read the next record and compare it with frame @seq of @len bytes, of
 * which @caplen were kept. Return the record's timestamp.
 */
static struct timeval expect_record(pcap_t *p, size_t len, size_t caplen,
				    unsigned int seq)
{
	unsigned char want[TEST_FRAME_MAX];
	struct pcap_pkthdr *hdr;
	const u_char *data;

	assert_int_equal(pcap_next_ex(p, &hdr, &data), 1);
	assert_int_equal(hdr->len, len);
	assert_int_equal(hdr->caplen, caplen);
	make_frame(want, len, seq);
	assert_memory_equal(data, want, caplen);
	assert_true(hdr->ts.tv_usec >= 0 && hdr->ts.tv_usec < 1000000);
	return hdr->ts;
}

static void expect_end(pcap_t *p)
{
	struct pcap_pkthdr *hdr;
	const u_char *data;

	assert_int_equal(pcap_next_ex(p, &hdr, &data), PCAP_ERROR_BREAK);
}

/* Every frame on the hub is in the file, readable while the port is open. */
static void test_dump_frames(void **state)
{
	static const size_t lens[] = { UNET_ETH_HLEN, 60, 1000, 333,
				       TEST_FRAME_MAX };
	const size_t count = sizeof(lens) / sizeof(lens[0]);
	unsigned char buf[TEST_FRAME_MAX + 1];
	struct unet_port *dump = NULL;
	struct env env;
	struct timespec before, after;
	pcap_t *p;
	size_t i;

	(void)state;
	env_init(&env, 0);
	assert_int_equal(unet_dump_open(env.hub, "d", env.path, 0, &dump), 0);
	assert_non_null(dump);
	assert_string_equal(dump->ops->name, "dump");

	/* The header alone is already a valid, empty capture. */
	p = open_reader(&env, 262144);
	expect_end(p);
	pcap_close(p);

	clock_gettime(CLOCK_REALTIME, &before);
	for (i = 0; i < count; i++) {
		make_frame(buf, lens[i], (unsigned int)i);
		/* From both sources: the dump sees every frame on the hub. */
		assert_int_equal(unet_hub_input(i % 2 ? &env.src2 : &env.src,
						buf, lens[i]), 0);
	}
	/* Frames the hub refuses never reach the file. */
	assert_int_equal(unet_hub_input(&env.src, buf, UNET_ETH_HLEN - 1),
			 -EINVAL);
	assert_int_equal(unet_hub_input(&env.src, buf, TEST_FRAME_MAX + 1),
			 -EINVAL);
	clock_gettime(CLOCK_REALTIME, &after);

	p = open_reader(&env, 262144);
	for (i = 0; i < count; i++) {
		struct timeval ts;

		ts = expect_record(p, lens[i], lens[i], (unsigned int)i);
		/* Wall-clock time, as the hub's clock tells it. */
		assert_true(ts.tv_sec >= before.tv_sec - 1);
		assert_true(ts.tv_sec <= after.tv_sec + 1);
	}
	expect_end(p);
	pcap_close(p);

	assert_int_equal(dump->stats.out_frames, count);
	assert_int_equal(dump->stats.drops[UNET_DROP_ERROR], 0);
	assert_int_equal(env.logged, 0);
	unet_port_close(dump);
	env_fini(&env);
}

/* A snaplen keeps the head of each frame and records its full length. */
static void test_dump_snaplen(void **state)
{
	unsigned char buf[TEST_FRAME_MAX];
	struct unet_port *dump = NULL;
	struct env env;
	pcap_t *p;

	(void)state;
	env_init(&env, 0);
	assert_int_equal(unet_dump_open(env.hub, "d", env.path, 64, &dump),
			 0);
	make_frame(buf, 100, 1);
	assert_int_equal(unet_hub_input(&env.src, buf, 100), 0);
	make_frame(buf, 40, 2);
	assert_int_equal(unet_hub_input(&env.src, buf, 40), 0);
	make_frame(buf, 64, 3);
	assert_int_equal(unet_hub_input(&env.src, buf, 64), 0);
	make_frame(buf, TEST_FRAME_MAX, 4);
	assert_int_equal(unet_hub_input(&env.src, buf, TEST_FRAME_MAX), 0);

	p = open_reader(&env, 64);
	expect_record(p, 100, 64, 1);
	expect_record(p, 40, 40, 2);
	expect_record(p, 64, 64, 3);
	expect_record(p, TEST_FRAME_MAX, 64, 4);
	expect_end(p);
	pcap_close(p);
	/* Left open: unet_hub_close() closes it. */
	env_fini(&env);
}

/* Timestamps follow the hub's clock; a virtual clock starts at the epoch. */
static void test_dump_timestamps(void **state)
{
	unsigned char buf[60];
	struct pcap_pkthdr *hdr;
	const u_char *data;
	struct unet_port *dump = NULL;
	struct env env;
	pcap_t *p;

	(void)state;
	env_init(&env, 1);
	assert_int_equal(unet_dump_open(env.hub, "d", env.path, 0, &dump), 0);
	make_frame(buf, sizeof(buf), 0);
	env.clock_ns = 1500000000u;		/* 1.5 s */
	assert_int_equal(unet_hub_input(&env.src, buf, sizeof(buf)), 0);
	env.clock_ns = 86400u * 1000000000ull + 999999u; /* 1 day, 999 us */
	assert_int_equal(unet_hub_input(&env.src, buf, sizeof(buf)), 0);

	p = open_reader(&env, 262144);
	assert_int_equal(pcap_next_ex(p, &hdr, &data), 1);
	assert_int_equal(hdr->ts.tv_sec, 1);
	assert_int_equal(hdr->ts.tv_usec, 500000);
	assert_int_equal(pcap_next_ex(p, &hdr, &data), 1);
	assert_int_equal(hdr->ts.tv_sec, 86400);
	assert_int_equal(hdr->ts.tv_usec, 999);
	expect_end(p);
	pcap_close(p);
	unet_port_close(dump);
	env_fini(&env);
}

/* A file that cannot be created gives its errno, logs nothing, no port. */
static void test_dump_bad_path(void **state)
{
	struct unet_port *dump = NULL;
	struct env env;

	(void)state;
	env_init(&env, 0);
	assert_int_equal(unet_dump_open(env.hub, "d", "/nonexistent-dir/x.pcap",
					0, &dump),
			 -ENOENT);
	assert_int_equal(unet_dump_open(env.hub, "d", env.dir, 0, &dump),
			 -EISDIR);
	assert_int_equal(unet_dump_open(env.hub, "d", NULL, 0, &dump),
			 -EINVAL);
	assert_int_equal(unet_dump_open(NULL, "d", env.path, 0, &dump),
			 -EINVAL);
	assert_null(dump);
	assert_int_equal(env.logged, 0);
	/* Nothing was attached: only the two sources are on the hub. */
	assert_ptr_equal(unet_hub_ports(env.hub), &env.src);
	assert_ptr_equal(env.src.next, &env.src2);
	assert_null(env.src2.next);
	env_fini(&env);
}

/* An existing file is truncated, not appended to. */
static void test_dump_truncates(void **state)
{
	unsigned char buf[60];
	struct unet_port *dump = NULL;
	struct env env;
	pcap_t *p;
	FILE *f;

	(void)state;
	env_init(&env, 0);
	f = fopen(env.path, "w");
	assert_non_null(f);
	fputs("not a pcap file, and longer than a pcap file header", f);
	fclose(f);
	assert_int_equal(unet_dump_open(env.hub, "d", env.path, 0, &dump), 0);
	make_frame(buf, sizeof(buf), 9);
	assert_int_equal(unet_hub_input(&env.src2, buf, sizeof(buf)), 0);
	p = open_reader(&env, 262144);
	expect_record(p, sizeof(buf), sizeof(buf), 9);
	expect_end(p);
	pcap_close(p);
	unet_port_close(dump);
	env_fini(&env);
}

/* An answerer: replies to every frame at once, from inside the delivery. */
static int answer_send(struct unet_port *port, const void *frame, size_t len)
{
	unsigned char reply[60];

	(void)frame;
	(void)len;
	make_frame(reply, sizeof(reply), 2);
	return unet_hub_input(port, reply, sizeof(reply));
}

static const struct unet_port_ops answer_ops = {
	.name = "answer",
	.send = answer_send,
	.close = source_close,
};

/*
 * The dump, though attached last, sees a frame before the answer another
 * port makes to it inside the same delivery: a capture shows cause before
 * effect (as a stack's ARP or ping answers to a tap's requests).
 */
static void test_dump_keeps_cause_before_effect(void **state)
{
	unsigned char buf[60];
	struct unet_port answer, *dump = NULL;
	struct env env;
	pcap_t *p;

	(void)state;
	env_init(&env, 0);
	unet_port_init(&answer, &answer_ops, "answer");
	assert_int_equal(unet_hub_attach(env.hub, &answer), 0);
	assert_int_equal(unet_dump_open(env.hub, "d", env.path, 0, &dump), 0);
	assert_ptr_equal(unet_hub_ports(env.hub), dump);	/* observers first */
	make_frame(buf, sizeof(buf), 1);
	assert_int_equal(unet_hub_input(&env.src, buf, sizeof(buf)), 0);
	p = open_reader(&env, 262144);
	expect_record(p, 60, 60, 1);	/* the question */
	expect_record(p, 60, 60, 2);	/* then the answer */
	expect_end(p);
	pcap_close(p);
	unet_port_close(dump);
	env_fini(&env);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dump_frames),
		cmocka_unit_test(test_dump_snaplen),
		cmocka_unit_test(test_dump_timestamps),
		cmocka_unit_test(test_dump_bad_path),
		cmocka_unit_test(test_dump_truncates),
		cmocka_unit_test(test_dump_keeps_cause_before_effect),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
