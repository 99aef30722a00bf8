/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of VXLAN: the header codec (hub/vxlan_codec.c), the
 * forwarding database (hub/vxlan_fdb.c), and the port (hub/vxlan.c) on
 * real loopback sockets, without root, on a hub with a virtual clock:
 *
 *   hub (virtual clock): capture + vxlan port 127.0.0.1:P
 *                                    |  UDP
 *              +---------------------+---------------------+
 *   remote A: plain socket 127.0.0.2:PA   remote B: plain socket 127.0.0.3:PB
 *
 * The remotes are plain UDP sockets that speak VXLAN by hand, so every
 * byte on the wire is checked: floods reach both remotes (head-end
 * replication), a learned MAC gets its frames at its remote only, the
 * entry ages out on the hub's clock, and malformed datagrams are dropped
 * and counted by reason.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <uv.h>

#include <usernet/hub.h>
#include <usernet/ports.h>

#include "testnet.h"
#include "vxlan_codec.h"
#include "vxlan_fdb.h"

#define TEST_MTU 1500
#define TEST_FRAME_MAX (TEST_MTU + UNET_ETH_HLEN + UNET_VLAN_HLEN)
#define TEST_VNI 0x123456u
#define SPIN_MAX 20000
#define NS_PER_S 1000000000ull

/* ---- the codec ------------------------------------------------------- */

/* Header bytes for @vni with @flags. */
static void hdr_bytes(uint8_t *b, uint8_t flags, uint32_t vni)
{
	memset(b, 0, 8);
	b[0] = flags;
	b[4] = (uint8_t)(vni >> 16);
	b[5] = (uint8_t)(vni >> 8);
	b[6] = (uint8_t)vni;
}

static void test_encap_bytes(void **state)
{
	static const uint8_t want[8] = { 0x08, 0, 0, 0, 0x12, 0x34, 0x56, 0 };
	struct vxlan_hdr h;

	(void)state;
	memset(&h, 0xff, sizeof(h));
	unet__vxlan_encap_hdr(&h, TEST_VNI);
	assert_memory_equal(&h, want, 8);
	unet__vxlan_encap_hdr(&h, VXLAN_VNI_MAX);
	assert_int_equal(vxlan_hdr_vni(&h), VXLAN_VNI_MAX);
}

/* Malformed and good datagrams, each with its verdict. */
static void test_decap_table(void **state)
{
	static const struct {
		const char *what;
		size_t len;		/* datagram length */
		uint8_t flags;
		uint32_t vni;
		enum unet__vxlan_decap want;
	} rows[] = {
		{ "empty", 0, 0x08, TEST_VNI, UNET__VXLAN_DECAP_SHORT },
		{ "one byte", 1, 0x08, TEST_VNI, UNET__VXLAN_DECAP_SHORT },
		{ "7 of 8 header bytes", 7, 0x08, TEST_VNI,
		  UNET__VXLAN_DECAP_SHORT },
		{ "I flag clear", 8 + 60, 0x00, TEST_VNI,
		  UNET__VXLAN_DECAP_FLAGS },
		{ "only reserved flags", 8 + 60, 0xf7, TEST_VNI,
		  UNET__VXLAN_DECAP_FLAGS },
		{ "another VNI", 8 + 60, 0x08, TEST_VNI + 1,
		  UNET__VXLAN_DECAP_VNI },
		{ "VNI 0", 8 + 60, 0x08, 0, UNET__VXLAN_DECAP_VNI },
		{ "header only", 8, 0x08, TEST_VNI, UNET__VXLAN_DECAP_RUNT },
		{ "13-byte inner frame", 8 + 13, 0x08, TEST_VNI,
		  UNET__VXLAN_DECAP_RUNT },
		{ "inner frame one over", 8 + TEST_FRAME_MAX + 1, 0x08,
		  TEST_VNI, UNET__VXLAN_DECAP_LONG },
		{ "inner Ethernet header only", 8 + 14, 0x08, TEST_VNI,
		  UNET__VXLAN_DECAP_OK },
		{ "reserved bits set: ignored", 8 + 60, 0xff, TEST_VNI,
		  UNET__VXLAN_DECAP_OK },
		{ "longest inner frame", 8 + TEST_FRAME_MAX, 0x08, TEST_VNI,
		  UNET__VXLAN_DECAP_OK },
	};
	static uint8_t buf[8 + TEST_FRAME_MAX + 8];
	const uint8_t *frame;
	size_t i, frame_len;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint8_t *copy;

		memset(buf, 0xa5, sizeof(buf));
		hdr_bytes(buf, rows[i].flags, rows[i].vni);
		if (rows[i].flags == 0xff)
			buf[1] = buf[2] = buf[3] = buf[7] = 0xff;
		/* A heap copy of exactly the length, for ASan. */
		copy = malloc(rows[i].len + 1);
		assert_non_null(copy);
		memcpy(copy, buf, rows[i].len);
		frame = NULL;
		frame_len = 0;
		print_message("decap: %s\n", rows[i].what);
		assert_int_equal(unet__vxlan_decap(copy, rows[i].len, TEST_VNI,
						   TEST_FRAME_MAX, &frame,
						   &frame_len),
				 rows[i].want);
		if (rows[i].want == UNET__VXLAN_DECAP_OK) {
			assert_ptr_equal(frame, copy + 8);
			assert_int_equal(frame_len, rows[i].len - 8);
		}
		free(copy);
	}
}

/* ---- the FDB ----------------------------------------------------------- */

static union unet__vxlan_addr v4(const char *ip, uint16_t port)
{
	union unet__vxlan_addr a;

	memset(&a, 0, sizeof(a));
	a.in.sin_family = AF_INET;
	a.in.sin_port = htons(port);
	assert_int_equal(inet_pton(AF_INET, ip, &a.in.sin_addr), 1);
	return a;
}

static void mac_n(uint8_t *mac, unsigned int n)
{
	mac[0] = 0x02;	/* locally administered unicast */
	mac[1] = 0;
	mac[2] = (uint8_t)(n >> 24);
	mac[3] = (uint8_t)(n >> 16);
	mac[4] = (uint8_t)(n >> 8);
	mac[5] = (uint8_t)n;
}

static void test_fdb_learn_move_invalid(void **state)
{
	static struct unet__vxlan_fdb fdb;
	union unet__vxlan_addr a = v4("198.18.0.2", 4789);
	union unet__vxlan_addr b = v4("198.18.0.3", 4789);
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0, 0, 1 };
	static const uint8_t zero[6];
	const union unet__vxlan_addr *r;
	uint8_t m[6];

	(void)state;
	unet__vxlan_fdb_init(&fdb, 300 * NS_PER_S, 42);
	mac_n(m, 1);
	assert_null(unet__vxlan_fdb_lookup(&fdb, m, 0));
	assert_int_equal(unet__vxlan_fdb_learn(&fdb, m, &a, 0),
			 UNET__VXLAN_LEARN_NEW);
	assert_int_equal(unet__vxlan_fdb_learn(&fdb, m, &a, 5),
			 UNET__VXLAN_LEARN_REFRESHED);
	r = unet__vxlan_fdb_lookup(&fdb, m, 10);
	assert_non_null(r);
	assert_true(unet__vxlan_addr_equal(r, &a));
	/* The MAC moved to another remote (a VM migrated). */
	assert_int_equal(unet__vxlan_fdb_learn(&fdb, m, &b, 20),
			 UNET__VXLAN_LEARN_MOVED);
	r = unet__vxlan_fdb_lookup(&fdb, m, 21);
	assert_non_null(r);
	assert_true(unet__vxlan_addr_equal(r, &b));
	assert_int_equal(fdb.count, 1);
	/* Group and zero addresses are never learned. */
	assert_int_equal(unet__vxlan_fdb_learn(&fdb, bcast, &a, 0),
			 UNET__VXLAN_LEARN_INVALID);
	assert_int_equal(unet__vxlan_fdb_learn(&fdb, mcast, &a, 0),
			 UNET__VXLAN_LEARN_INVALID);
	assert_int_equal(unet__vxlan_fdb_learn(&fdb, zero, &a, 0),
			 UNET__VXLAN_LEARN_INVALID);
	assert_int_equal(fdb.count, 1);
	/* Port and family matter to equality. */
	b = v4("198.18.0.3", 4790);
	assert_false(unet__vxlan_addr_equal(r, &b));
}

static void test_fdb_ageing(void **state)
{
	static struct unet__vxlan_fdb fdb;
	union unet__vxlan_addr a = v4("198.18.0.2", 4789);
	const uint64_t age = 300 * NS_PER_S;
	uint8_t m1[6], m2[6];

	(void)state;
	unet__vxlan_fdb_init(&fdb, age, 7);
	mac_n(m1, 1);
	mac_n(m2, 2);
	assert_int_equal(unet__vxlan_fdb_learn(&fdb, m1, &a, 0),
			 UNET__VXLAN_LEARN_NEW);
	assert_int_equal(unet__vxlan_fdb_learn(&fdb, m2, &a, 100 * NS_PER_S),
			 UNET__VXLAN_LEARN_NEW);
	/* Just before its age: still there. */
	assert_non_null(unet__vxlan_fdb_lookup(&fdb, m1, age - 1));
	/* At its age: gone, and removed by the lookup. */
	assert_null(unet__vxlan_fdb_lookup(&fdb, m1, age));
	assert_int_equal(fdb.count, 1);
	/* A refresh keeps an entry alive past its first age. */
	assert_int_equal(unet__vxlan_fdb_learn(&fdb, m2, &a, 350 * NS_PER_S),
			 UNET__VXLAN_LEARN_REFRESHED);
	assert_int_equal(unet__vxlan_fdb_expire(&fdb, 640 * NS_PER_S), 0);
	assert_non_null(unet__vxlan_fdb_lookup(&fdb, m2, 640 * NS_PER_S));
	/* The sweep removes what aged. */
	assert_int_equal(unet__vxlan_fdb_expire(&fdb, 650 * NS_PER_S), 1);
	assert_int_equal(fdb.count, 0);
	/* An entry that aged out counts as new when seen again elsewhere. */
	assert_int_equal(unet__vxlan_fdb_learn(&fdb, m2, &a, 700 * NS_PER_S),
			 UNET__VXLAN_LEARN_NEW);
	/* Ageing 0: for ever. */
	unet__vxlan_fdb_init(&fdb, 0, 7);
	assert_int_equal(unet__vxlan_fdb_learn(&fdb, m1, &a, 0),
			 UNET__VXLAN_LEARN_NEW);
	assert_non_null(unet__vxlan_fdb_lookup(&fdb, m1, UINT64_MAX));
	assert_int_equal(unet__vxlan_fdb_expire(&fdb, UINT64_MAX), 0);
}

/* Bounded: a flood of source MACs fills the table and stops there; the
 * removals in between (of every third entry) keep every other entry
 * findable, whatever runs the probing made. */
static void test_fdb_full_and_removal(void **state)
{
	static struct unet__vxlan_fdb fdb;
	union unet__vxlan_addr a = v4("198.18.0.2", 4789);
	const uint64_t age = 10 * NS_PER_S;
	unsigned int i, n = UNET__VXLAN_FDB_MAX;
	uint8_t m[6];

	(void)state;
	unet__vxlan_fdb_init(&fdb, age, 0x5eed);
	for (i = 0; i < n; i++) {
		mac_n(m, i);
		/* Every third one learned early, to age out first. */
		assert_int_equal(unet__vxlan_fdb_learn(&fdb, m, &a,
						       i % 3 == 0 ? 0 : age),
				 UNET__VXLAN_LEARN_NEW);
	}
	assert_int_equal(fdb.count, n);
	/* Full, nothing aged yet: refused. */
	mac_n(m, n);
	assert_int_equal(unet__vxlan_fdb_learn(&fdb, m, &a, age - 1),
			 UNET__VXLAN_LEARN_FULL);
	assert_int_equal(fdb.count, n);
	/* At `age`, every third one is stale: the learn sweeps them first. */
	assert_int_equal(unet__vxlan_fdb_learn(&fdb, m, &a, age),
			 UNET__VXLAN_LEARN_NEW);
	assert_int_equal(fdb.count, n - (n + 2) / 3 + 1);
	for (i = 0; i < n; i++) {
		mac_n(m, i);
		if (i % 3 == 0)
			assert_null(unet__vxlan_fdb_lookup(&fdb, m, age));
		else
			assert_non_null(unet__vxlan_fdb_lookup(&fdb, m, age));
	}
}

/* ---- the port ---------------------------------------------------------- */

struct env {
	uv_loop_t loop;
	struct unet_hub *hub;
	struct tn_capture cap;
	struct unet_port *vx;
	int peer[2];			/* remote A, remote B */
	struct sockaddr_in peer_addr[2];
	struct sockaddr_in vx_addr;
	unsigned int warnings;
};

static void test_log(void *opaque, enum unet_log_level level, const char *msg)
{
	struct env *env = opaque;

	(void)msg;
	if (level <= UNET_LOG_WARN)
		env->warnings++;
}

/* A UDP socket bound to @ip, port chosen by the kernel. */
static int peer_socket(const char *ip, struct sockaddr_in *sin)
{
	socklen_t len = sizeof(*sin);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	assert_true(fd >= 0);
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, ip, &sin->sin_addr), 1);
	assert_int_equal(bind(fd, (struct sockaddr *)sin, sizeof(*sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)sin, &len), 0);
	return fd;
}

static struct env *env_new(bool learning)
{
	struct unet_hub_config cfg;
	struct unet_vxlan_config vc;
	struct sockaddr_in local = { .sin_family = AF_INET };
	struct env *env = calloc(1, sizeof(*env));
	socklen_t len = sizeof(env->vx_addr);

	assert_non_null(env);
	assert_int_equal(uv_loop_init(&env->loop), 0);
	unet_hub_config_init(&cfg);
	cfg.mtu = TEST_MTU;
	cfg.log_cb = test_log;
	cfg.log_opaque = env;
	cfg.log_level = UNET_LOG_DEBUG;
	cfg.virtual_clock = true;
	cfg.seed = 1;
	assert_int_equal(unet_hub_new(&env->loop, &cfg, &env->hub), 0);
	tn_capture_init(&env->cap, NULL, 8);
	tn_capture_attach(&env->cap, env->hub);
	env->peer[0] = peer_socket("127.0.0.2", &env->peer_addr[0]);
	env->peer[1] = peer_socket("127.0.0.3", &env->peer_addr[1]);

	unet_vxlan_config_init(&vc);
	assert_int_equal(vc.port, 4789);
	assert_true(vc.learning);
	assert_int_equal(vc.ageing_s, 300);
	vc.vni = TEST_VNI;
	vc.port = 0;	/* the kernel chooses: no clash with a real 4789 */
	vc.learning = learning;
	local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	memcpy(&vc.local, &local, sizeof(local));
	vc.local_len = sizeof(local);
	memcpy(&vc.remotes[0], &env->peer_addr[0], sizeof(env->peer_addr[0]));
	memcpy(&vc.remotes[1], &env->peer_addr[1], sizeof(env->peer_addr[1]));
	vc.n_remotes = 2;
	assert_int_equal(unet_vxlan_open(env->hub, "vx", &vc, &env->vx), 0);
	assert_int_equal(unet_vxlan_local_addr(env->vx,
					       (struct sockaddr *)&env->vx_addr,
					       &len),
			 0);
	return env;
}

static void env_free(struct env *env)
{
	unet_hub_close(env->hub);
	uv_run(&env->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&env->loop), 0);
	tn_capture_reset(&env->cap);
	close(env->peer[0]);
	close(env->peer[1]);
	free(env);
}

static struct unet_vxlan_stats stats(struct env *env)
{
	struct unet_vxlan_stats vs = { .size = sizeof(vs) };

	assert_int_equal(unet_vxlan_stats(env->vx, &vs), 0);
	return vs;
}

/* An Ethernet frame of @len bytes from @src to @dst, payload from @seq. */
static void make_frame(uint8_t *f, size_t len, const uint8_t *dst,
		       const uint8_t *src, unsigned int seq)
{
	size_t i;

	for (i = 0; i < len; i++)
		f[i] = (uint8_t)(seq * 7u + i);
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x08;
	f[13] = 0x00;
}

/* The next datagram at remote @i within a bounded wait: its length, or
 * -1 when none comes. */
static ssize_t peer_recv(struct env *env, int i, uint8_t *buf, size_t size,
			 int wait_ms)
{
	struct pollfd pfd = { .fd = env->peer[i], .events = POLLIN };

	uv_run(&env->loop, UV_RUN_NOWAIT);
	if (poll(&pfd, 1, wait_ms) <= 0)
		return -1;
	return recv(env->peer[i], buf, size, 0);
}

/* The hub sends @frame: which remotes get it (bit 0: A, bit 1: B), each
 * checked byte for byte behind the right header. */
static unsigned int hub_send(struct env *env, const uint8_t *frame, size_t len)
{
	uint8_t buf[8 + TEST_FRAME_MAX], want[8];
	unsigned int got = 0;
	ssize_t n;
	int i;

	assert_int_equal(unet_hub_input(&env->cap.port, frame, len), 0);
	hdr_bytes(want, 0x08, TEST_VNI);
	for (i = 0; i < 2; i++) {
		n = peer_recv(env, i, buf, sizeof(buf), 100);
		if (n < 0)
			continue;
		assert_int_equal((size_t)n, 8 + len);
		assert_memory_equal(buf, want, 8);
		assert_memory_equal(buf + 8, frame, len);
		got |= 1u << i;
	}
	return got;
}

/* Remote @i sends @len bytes to the port; waits until the port read it. */
static void peer_send(struct env *env, int i, const uint8_t *dgram, size_t len)
{
	struct unet_vxlan_stats before = stats(env), now;
	uint64_t in0 = env->vx->stats.in_frames;
	int spin;

	assert_int_equal(sendto(env->peer[i], dgram, len, 0,
				(struct sockaddr *)&env->vx_addr,
				sizeof(env->vx_addr)),
			 (ssize_t)len);
	for (spin = 0; spin < SPIN_MAX; spin++) {
		uv_run(&env->loop, UV_RUN_NOWAIT);
		now = stats(env);
		if (env->vx->stats.in_frames != in0 ||
		    now.rx_short + now.rx_flags + now.rx_other_vni +
				    now.rx_runt + now.rx_too_long !=
			    before.rx_short + before.rx_flags +
				    before.rx_other_vni + before.rx_runt +
				    before.rx_too_long)
			return;
		usleep(100);
	}
	fail_msg("the vxlan port did not read the datagram");
}

/* Remote @i sends a frame of @len from @src (to broadcast). */
static void peer_send_frame(struct env *env, int i, const uint8_t *src,
			    size_t len, unsigned int seq)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t dgram[8 + TEST_FRAME_MAX];

	hdr_bytes(dgram, 0x08, TEST_VNI);
	make_frame(dgram + 8, len, bcast, src, seq);
	peer_send(env, i, dgram, 8 + len);
}

static const uint8_t mac_local[6] = { 0x52, 0x54, 0, 0, 0, 1 };
static const uint8_t mac_a[6] = { 0x02, 0xaa, 0, 0, 0, 1 };
static const uint8_t mac_b[6] = { 0x02, 0xbb, 0, 0, 0, 2 };

static void test_port_flood_learn_age(void **state)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct env *env = env_new(true);
	struct unet_vxlan_stats vs = { .size = sizeof(vs) };
	uint8_t f[TEST_FRAME_MAX];

	(void)state;
	vs = stats(env);
	assert_int_equal(vs.inner_mtu, TEST_MTU);	/* loopback fits */
	assert_int_equal(env->warnings, 0);

	/* A broadcast: to both remotes (head-end replication). */
	make_frame(f, 60, bcast, mac_local, 1);
	assert_int_equal(hub_send(env, f, 60), 3);
	/* Unknown unicast: both. */
	make_frame(f, 100, mac_a, mac_local, 2);
	assert_int_equal(hub_send(env, f, 100), 3);
	assert_int_equal(stats(env).tx_flooded, 2);
	assert_int_equal(stats(env).tx_datagrams, 4);

	/* A speaks from mac_a, B from mac_b: the hub gets both, inner
	 * frames intact, and learns them. */
	peer_send_frame(env, 0, mac_a, 98, 3);
	assert_int_equal(env->cap.frames, 1);
	assert_int_equal(env->cap.len[0], 98);
	assert_memory_equal(env->cap.data[0] + 6, mac_a, 6);
	peer_send_frame(env, 1, mac_b, 1514, 4);
	assert_int_equal(env->cap.frames, 2);
	assert_int_equal(env->cap.len[1], 1514);
	vs = stats(env);
	assert_int_equal(vs.learned, 2);
	assert_int_equal(vs.fdb_entries, 2);

	/* Now unicast goes to the owner only. */
	make_frame(f, 200, mac_a, mac_local, 5);
	assert_int_equal(hub_send(env, f, 200), 1);
	make_frame(f, 1514, mac_b, mac_local, 6);
	assert_int_equal(hub_send(env, f, 1514), 2);
	assert_int_equal(stats(env).tx_unicast, 2);
	/* Broadcast still floods. */
	make_frame(f, 60, bcast, mac_local, 7);
	assert_int_equal(hub_send(env, f, 60), 3);

	/* mac_a moves behind B (a migration): learned there. */
	peer_send_frame(env, 1, mac_a, 60, 8);
	assert_int_equal(stats(env).learned, 3);
	make_frame(f, 60, mac_a, mac_local, 9);
	assert_int_equal(hub_send(env, f, 60), 2);

	/* Ageing on the hub's clock: 299 s later both are known... */
	assert_int_equal(unet_hub_clock_advance(env->hub, 299 * NS_PER_S), 0);
	make_frame(f, 60, mac_b, mac_local, 10);
	assert_int_equal(hub_send(env, f, 60), 2);
	/* ...at 301 s they are forgotten: flooded again, table swept. */
	assert_int_equal(unet_hub_clock_advance(env->hub, 2 * NS_PER_S), 0);
	make_frame(f, 60, mac_b, mac_local, 11);
	assert_int_equal(hub_send(env, f, 60), 3);
	assert_int_equal(unet_hub_clock_advance(env->hub, 150 * NS_PER_S), 0);
	assert_int_equal(stats(env).fdb_entries, 0);
	assert_int_equal(env->warnings, 0);
	env_free(env);
}

/* learning=off: the kernel's `nolearning`: everything floods. */
static void test_port_no_learning(void **state)
{
	struct env *env = env_new(false);
	uint8_t f[TEST_FRAME_MAX];

	(void)state;
	peer_send_frame(env, 0, mac_a, 60, 1);
	assert_int_equal(env->cap.frames, 1);
	assert_int_equal(stats(env).fdb_entries, 0);
	make_frame(f, 60, mac_a, mac_local, 2);
	assert_int_equal(hub_send(env, f, 60), 3);
	assert_int_equal(stats(env).tx_unicast, 0);
	env_free(env);
}

/* Bad datagrams: dropped, counted by reason, nothing reaches the hub,
 * nothing is learned; a good one afterwards still goes through. */
static void test_port_bad_input(void **state)
{
	struct env *env = env_new(true);
	uint8_t d[8 + TEST_FRAME_MAX + 16];
	struct unet_vxlan_stats vs = { .size = sizeof(vs) };

	(void)state;
	memset(d, 0, sizeof(d));
	peer_send(env, 0, d, 5);				/* short */
	hdr_bytes(d, 0x00, TEST_VNI);
	make_frame(d + 8, 60, mac_local, mac_a, 1);
	peer_send(env, 0, d, 68);				/* no I flag */
	hdr_bytes(d, 0x08, TEST_VNI ^ 1);
	peer_send(env, 0, d, 68);				/* other VNI */
	hdr_bytes(d, 0x08, TEST_VNI);
	peer_send(env, 0, d, 8 + 10);				/* runt */
	make_frame(d + 8, TEST_FRAME_MAX + 1, mac_local, mac_a, 2);
	peer_send(env, 0, d, 8 + TEST_FRAME_MAX + 1);		/* too long */
	vs = stats(env);
	assert_int_equal(vs.rx_short, 1);
	assert_int_equal(vs.rx_flags, 1);
	assert_int_equal(vs.rx_other_vni, 1);
	assert_int_equal(vs.rx_runt, 1);
	assert_int_equal(vs.rx_too_long, 1);
	assert_int_equal(env->cap.frames, 0);
	assert_int_equal(vs.fdb_entries, 0);
	assert_int_equal(env->vx->stats.in_frames, 0);
	peer_send_frame(env, 0, mac_a, 60, 3);
	assert_int_equal(env->cap.frames, 1);
	env_free(env);
}

/* Configurations the port refuses. */
static void test_port_bad_config(void **state)
{
	struct unet_hub *hub;
	struct unet_vxlan_config vc;
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct sockaddr_in6 b = { .sin6_family = AF_INET6 };
	struct unet_port *port;
	uv_loop_t loop;

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(unet_hub_new(&loop, NULL, &hub), 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	b.sin6_addr = in6addr_loopback;

	unet_vxlan_config_init(&vc);		/* no remote, no group */
	assert_int_equal(unet_vxlan_open(hub, "v", &vc, &port), -EINVAL);
	memcpy(&vc.remotes[0], &a, sizeof(a));
	vc.n_remotes = 1;
	vc.vni = VXLAN_VNI_MAX + 1;		/* VNI out of range */
	assert_int_equal(unet_vxlan_open(hub, "v", &vc, &port), -EINVAL);
	vc.vni = 1;
	memcpy(&vc.remotes[1], &b, sizeof(b));	/* families mixed */
	vc.n_remotes = 2;
	assert_int_equal(unet_vxlan_open(hub, "v", &vc, &port), -EINVAL);
	vc.n_remotes = 1;
	memcpy(&vc.group, &a, sizeof(a));	/* a group that is not one */
	vc.group_len = sizeof(a);
	assert_int_equal(unet_vxlan_open(hub, "v", &vc, &port), -EINVAL);
	vc.group_len = 0;
	snprintf(vc.dev, sizeof(vc.dev), "nosuchdev0");
	assert_int_equal(unet_vxlan_open(hub, "v", &vc, &port), -ENODEV);
	vc.dev[0] = '\0';
	vc.n_remotes = UNET_VXLAN_REMOTES_MAX + 1;
	assert_int_equal(unet_vxlan_open(hub, "v", &vc, &port), -EINVAL);
	vc.size = 8;				/* older than the first release */
	assert_int_equal(unet_vxlan_open(hub, "v", &vc, &port), -EINVAL);
	assert_null(unet_hub_ports(hub));
	assert_int_equal(unet_vxlan_stats(NULL, &(struct unet_vxlan_stats){ 0 }),
			 -EINVAL);
	unet_hub_close(hub);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encap_bytes),
		cmocka_unit_test(test_decap_table),
		cmocka_unit_test(test_fdb_learn_move_invalid),
		cmocka_unit_test(test_fdb_ageing),
		cmocka_unit_test(test_fdb_full_and_removal),
		cmocka_unit_test(test_port_flood_learn_age),
		cmocka_unit_test(test_port_no_learning),
		cmocka_unit_test(test_port_bad_input),
		cmocka_unit_test(test_port_bad_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
