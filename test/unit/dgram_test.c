/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the datagram port (hub/dgram.c), on real loopback sockets
 * and without root:
 *
 *   hub A: capture + dgram port  <--- UDP 127.0.0.1 / unix dgram --->
 *                                      dgram port + capture :hub B
 *
 * One frame per datagram both ways; a datagram too long or too short for
 * the hub is dropped and counted; a unix peer that is not there makes
 * sends fail, counted, logged once. Multicast needs a multicast route (the
 * integration tests set one up in a namespace); here it runs only when the
 * machine delivers a probe datagram over plain sockets first.
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
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <uv.h>

#include <usernet/hub.h>
#include <usernet/ports.h>

#define TEST_MTU 1500
#define TEST_FRAME_MAX (TEST_MTU + UNET_ETH_HLEN + UNET_VLAN_HLEN)
#define CAP_MAX 64
#define SPIN_MAX 20000

struct capture {
	struct unet_port port;
	size_t n;
	size_t lens[CAP_MAX];
	unsigned char frames[CAP_MAX][TEST_FRAME_MAX];
};

struct env {
	uv_loop_t loop;
	struct unet_hub *hub[2];
	struct capture cap[2];
	unsigned int warnings;
};

static int capture_send(struct unet_port *port, const void *frame,
			size_t len)
{
	struct capture *cap = (struct capture *)(void *)port;

	assert_true(len <= TEST_FRAME_MAX);
	if (cap->n < CAP_MAX) {
		memcpy(cap->frames[cap->n], frame, len);
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
	if (level <= UNET_LOG_WARN)
		env->warnings++;
}

static struct env *env_new(void)
{
	struct unet_hub_config cfg;
	struct env *env = calloc(1, sizeof(*env));
	int i;

	assert_non_null(env);
	assert_int_equal(uv_loop_init(&env->loop), 0);
	unet_hub_config_init(&cfg);
	cfg.mtu = TEST_MTU;
	cfg.log_cb = test_log;
	cfg.log_opaque = env;
	cfg.log_level = UNET_LOG_DEBUG;
	for (i = 0; i < 2; i++) {
		assert_int_equal(unet_hub_new(&env->loop, &cfg, &env->hub[i]),
				 0);
		unet_port_init(&env->cap[i].port, &capture_ops, "capture");
		assert_int_equal(unet_hub_attach(env->hub[i],
						 &env->cap[i].port), 0);
	}
	return env;
}

static void env_free(struct env *env)
{
	unet_hub_close(env->hub[0]);
	unet_hub_close(env->hub[1]);
	uv_run(&env->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&env->loop), 0);
	free(env);
}

static bool wait_frames(struct env *env, int hub, size_t n)
{
	int i;

	for (i = 0; i < SPIN_MAX && env->cap[hub].n < n; i++) {
		uv_run(&env->loop, UV_RUN_NOWAIT);
		if (i > 50)
			usleep(200);
	}
	return env->cap[hub].n >= n;
}

static void make_frame(unsigned char *buf, size_t len, unsigned int seq)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (unsigned char)(seq * 13u + i);
}

static void send_frame(struct env *env, int from, size_t len,
		       unsigned int seq)
{
	unsigned char frame[TEST_FRAME_MAX];

	make_frame(frame, len, seq);
	assert_int_equal(unet_hub_input(&env->cap[from].port, frame, len), 0);
}

static void check_frame(struct env *env, int hub, size_t idx, size_t len,
			unsigned int seq)
{
	unsigned char want[TEST_FRAME_MAX];

	assert_true(idx < env->cap[hub].n);
	assert_int_equal(env->cap[hub].lens[idx], len);
	make_frame(want, len, seq);
	assert_memory_equal(env->cap[hub].frames[idx], want, len);
}

/* A free UDP port on 127.0.0.1. */
static struct sockaddr_in free_udp(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);
	return sin;
}

static void cfg_set(struct unet_dgram_config *dc, const void *local,
		    socklen_t llen, const void *remote, socklen_t rlen)
{
	unet_dgram_config_init(dc);
	if (local != NULL)
		memcpy(&dc->local, local, llen);
	dc->local_len = local != NULL ? llen : 0;
	memcpy(&dc->remote, remote, rlen);
	dc->remote_len = rlen;
}

/* Two ports facing each other: frames both ways, one per datagram. */
static void run_pair(struct env *env, const void *a, const void *b,
		     socklen_t len)
{
	struct unet_dgram_config dc;
	struct unet_port *pa, *pb;

	cfg_set(&dc, a, len, b, len);
	assert_int_equal(unet_dgram_open(env->hub[0], "a", &dc, &pa), 0);
	cfg_set(&dc, b, len, a, len);
	assert_int_equal(unet_dgram_open(env->hub[1], "b", &dc, &pb), 0);
	send_frame(env, 0, 60, 1);
	send_frame(env, 0, TEST_FRAME_MAX, 2);
	assert_true(wait_frames(env, 1, 2));
	check_frame(env, 1, 0, 60, 1);
	check_frame(env, 1, 1, TEST_FRAME_MAX, 2);
	send_frame(env, 1, 14, 3);
	assert_true(wait_frames(env, 0, 1));
	check_frame(env, 0, 0, 14, 3);
	assert_int_equal(pa->stats.out_frames, 2);
	assert_int_equal(pb->stats.in_frames, 2);
}

static void test_udp_pair(void **state)
{
	struct env *env = env_new();
	struct sockaddr_in a = free_udp(), b = free_udp();
	unsigned char big[TEST_FRAME_MAX + 100];
	int fd;

	(void)state;
	run_pair(env, &a, &b, sizeof(a));
	/* From any source: too long and too short, dropped and counted. */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	memset(big, 0, sizeof(big));
	assert_int_equal(sendto(fd, big, sizeof(big), 0, (void *)&b,
				sizeof(b)), (ssize_t)sizeof(big));
	assert_int_equal(sendto(fd, big, 5, 0, (void *)&b, sizeof(b)), 5);
	assert_int_equal(sendto(fd, big, 0, 0, (void *)&b, sizeof(b)), 0);
	make_frame(big, 80, 4);
	assert_int_equal(sendto(fd, big, 80, 0, (void *)&b, sizeof(b)), 80);
	assert_true(wait_frames(env, 1, 3));
	check_frame(env, 1, 2, 80, 4);
	close(fd);
	{
		struct unet_port *pb = unet_hub_ports(env->hub[1])->next;

		assert_string_equal(pb->id, "b");
		assert_int_equal(pb->stats.drops[UNET_DROP_LONG], 1);
		assert_int_equal(pb->stats.drops[UNET_DROP_SHORT], 2);
	}
	env_free(env);
}

static struct sockaddr_un unix_addr(const char *dir, const char *name)
{
	struct sockaddr_un sun;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s", dir, name);
	return sun;
}

static void test_unix_pair(void **state)
{
	char dir[] = "/tmp/unet-dgram-XXXXXX";
	struct sockaddr_un a, b, c, nobody;
	struct unet_dgram_config dc;
	struct unet_port *pc;
	struct env *env;
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	a = unix_addr(dir, "a");
	b = unix_addr(dir, "b");
	c = unix_addr(dir, "c");
	nobody = unix_addr(dir, "nobody");
	env = env_new();
	run_pair(env, &a, &b, sizeof(a));
	/* A peer that is not there: counted, logged once. */
	cfg_set(&dc, &c, sizeof(c), &nobody, sizeof(nobody));
	assert_int_equal(unet_dgram_open(env->hub[0], "c", &dc, &pc), 0);
	env->warnings = 0;
	send_frame(env, 0, 60, 5);
	send_frame(env, 0, 60, 6);
	assert_int_equal(pc->stats.drops[UNET_DROP_ERROR], 2);
	assert_int_equal(env->warnings, 1);
	env_free(env);
	/* The ports took their paths with them. */
	assert_int_equal(stat(a.sun_path, &st), -1);
	assert_int_equal(stat(c.sun_path, &st), -1);
	rmdir(dir);
}

/*
 * A burst of more frames than one sendmmsg() batch (and than a unix
 * datagram socket queues) in one turn of the loop: the first goes at once,
 * the rest in batches from the idle callback and, when the peer's queue is
 * full, from the hub's queue once the socket is writable. All arrive, in
 * order, and none is counted twice or dropped.
 */
#define BURST 60
static void test_burst(void **state)
{
	char dir[] = "/tmp/unet-dgram-XXXXXX";
	struct unet_dgram_config dc;
	struct sockaddr_un a, b;
	struct unet_port *pa, *pb;
	struct env *env;
	unsigned int i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	a = unix_addr(dir, "a");
	b = unix_addr(dir, "b");
	env = env_new();
	cfg_set(&dc, &a, sizeof(a), &b, sizeof(b));
	assert_int_equal(unet_dgram_open(env->hub[0], "a", &dc, &pa), 0);
	cfg_set(&dc, &b, sizeof(b), &a, sizeof(a));
	assert_int_equal(unet_dgram_open(env->hub[1], "b", &dc, &pb), 0);
	for (i = 0; i < BURST; i++)
		send_frame(env, 0, 1000 + i, 100 + i);
	assert_true(wait_frames(env, 1, BURST));
	for (i = 0; i < BURST; i++)
		check_frame(env, 1, i, 1000 + i, 100 + i);
	assert_int_equal(env->cap[1].n, BURST);
	assert_int_equal(pa->stats.out_frames, BURST);
	assert_int_equal(pa->stats.drops[UNET_DROP_ERROR], 0);
	assert_int_equal(pa->stats.drops[UNET_DROP_QUEUE_FULL], 0);
	assert_int_equal(pb->stats.in_frames, BURST);
	env_free(env);
	rmdir(dir);
}

/* Whether a plain socket gets a datagram sent to @group on 127.0.0.1. */
static bool mcast_works(const struct sockaddr_in *group)
{
	struct ip_mreq mreq = { .imr_multiaddr = group->sin_addr };
	struct in_addr lo = { .s_addr = htonl(INADDR_LOOPBACK) };
	struct pollfd pfd;
	int one = 1, rx, tx;
	bool ok = false;

	mreq.imr_interface = lo;
	rx = socket(AF_INET, SOCK_DGRAM, 0);
	tx = socket(AF_INET, SOCK_DGRAM, 0);
	if (rx >= 0 && tx >= 0 &&
	    setsockopt(rx, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
	    bind(rx, (const void *)group, sizeof(*group)) == 0 &&
	    setsockopt(rx, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq,
		       sizeof(mreq)) == 0 &&
	    setsockopt(tx, IPPROTO_IP, IP_MULTICAST_IF, &lo, sizeof(lo)) == 0 &&
	    sendto(tx, "x", 1, 0, (const void *)group, sizeof(*group)) == 1) {
		pfd.fd = rx;
		pfd.events = POLLIN;
		ok = poll(&pfd, 1, 500) == 1;
	}
	if (rx >= 0)
		close(rx);
	if (tx >= 0)
		close(tx);
	return ok;
}

/* Two members of a group: each gets the other's frames, never its own. */
static void test_mcast(void **state)
{
	struct sockaddr_in group = free_udp(), lo = free_udp();
	struct unet_dgram_config dc;
	struct unet_port *pa, *pb;
	struct env *env;

	(void)state;
	inet_pton(AF_INET, "239.255.77.1", &group.sin_addr);
	if (!mcast_works(&group)) {
		print_message("no multicast on loopback here: skipped\n");
		skip();
	}
	env = env_new();
	lo.sin_port = 0;
	cfg_set(&dc, &lo, sizeof(lo), &group, sizeof(group));
	assert_int_equal(unet_dgram_open(env->hub[0], "a", &dc, &pa), 0);
	assert_int_equal(unet_dgram_open(env->hub[1], "b", &dc, &pb), 0);
	send_frame(env, 0, 100, 1);
	assert_true(wait_frames(env, 1, 1));
	check_frame(env, 1, 0, 100, 1);
	send_frame(env, 1, 101, 2);
	assert_true(wait_frames(env, 0, 1));
	check_frame(env, 0, 0, 101, 2);
	/* Give looped-back copies time to come: none is taken in. */
	wait_frames(env, 0, 2);
	assert_int_equal(env->cap[0].n, 1);
	assert_int_equal(env->cap[1].n, 1);
	assert_int_equal(pa->stats.in_frames, 1);
	assert_int_equal(pb->stats.in_frames, 1);
	env_free(env);
}

static void test_bad_config(void **state)
{
	struct env *env = env_new();
	struct sockaddr_in a = free_udp();
	struct sockaddr_un u = unix_addr("/tmp", "x");
	struct unet_dgram_config dc;
	struct unet_port *p;

	(void)state;
	cfg_set(&dc, NULL, 0, &a, sizeof(a));
	assert_int_equal(unet_dgram_open(env->hub[0], "d", &dc, &p), -EINVAL);
	cfg_set(&dc, &u, sizeof(u), &a, sizeof(a));
	assert_int_equal(unet_dgram_open(env->hub[0], "d", &dc, &p), -EINVAL);
	cfg_set(&dc, &a, sizeof(a), &a, sizeof(a) - 2);
	assert_int_equal(unet_dgram_open(env->hub[0], "d", &dc, &p), -EINVAL);
	cfg_set(&dc, &a, sizeof(a), &a, sizeof(a));
	dc.remote.ss_family = AF_PACKET;
	assert_int_equal(unet_dgram_open(env->hub[0], "d", &dc, &p),
			 -EAFNOSUPPORT);
	cfg_set(&dc, &a, sizeof(a), &a, sizeof(a));
	dc.size = 1;
	assert_int_equal(unet_dgram_open(env->hub[0], "d", &dc, &p), -EINVAL);
	assert_int_equal(unet_dgram_open(NULL, "d", &dc, &p), -EINVAL);
	env_free(env);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_udp_pair),
		cmocka_unit_test(test_unix_pair),
		cmocka_unit_test(test_burst),
		cmocka_unit_test(test_mcast),
		cmocka_unit_test(test_bad_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
