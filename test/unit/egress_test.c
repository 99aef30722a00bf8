/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the egress policy as the proxy applies it (proxy/egress.c)
 * at run time: unet_proxy_set_policy() and unet_proxy_set_policy_default()
 * with open flows kept or cut, the hit counters of the new rules, and a
 * TCP refusal sent as ICMP (deny_tcp_icmp). A test port plays the guest
 * (10.0.2.15, fec0::15); a TCP listener and a UDP socket on the host's
 * loopback in the same loop are the outside.
 *
 *   capture port (guest) --- hub --- stack + proxy --- host sockets
 *     10.0.2.15:4000x                  10.0.2.2:P  ==> 127.0.0.1:P
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include <usernet/hub.h>
#include <usernet/policy.h>
#include <usernet/proxy.h>
#include <usernet/stack.h>

#include "testnet.h"

#define CAP_MAX 64
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

struct fixture {
	struct tn_gw g;
	uv_tcp_t server;
	uint16_t port;
	uv_tcp_t *conn; /* the host side of the last accepted connection */
	int accepted;
	bool conn_ended; /* it read EOF or an error */
	uv_udp_t udp;
	uint16_t udp_port;
};

/* A TCP segment of the guest's, IPv4, without data. */
static size_t tcp4_frame(uint8_t *buf, uint16_t sport, uint16_t dport,
			 uint32_t seq, uint32_t ack, uint8_t flags)
{
	return tn_tcp4_frame(buf, tn_ip("10.0.2.2"), sport, dport, seq, ack,
			     flags, NULL, 0, NULL, 0);
}

/* A UDP datagram of the guest's to 10.0.2.2:@dport, 4 bytes of data. */
static size_t udp4_frame(uint8_t *buf, uint16_t sport, uint16_t dport)
{
	uint32_t src = tn_ip("10.0.2.15"), dst = tn_ip("10.0.2.2");
	uint8_t *udp = buf + 34;

	tn_ip_header(buf, tn_gw_mac, src, dst, 17, 32, 0, 0);
	tn_put16(udp, sport);
	tn_put16(udp + 2, dport);
	tn_put16(udp + 4, 12);
	tn_put16(udp + 6, 0);
	memcpy(udp + 8, "ping", 4);
	tn_put16(udp + 6, tn_l4_csum(src, dst, 17, udp, 12));
	return 46;
}

static void send_frame(struct fixture *f, const uint8_t *buf, size_t len)
{
	assert_int_equal(unet_hub_input(&f->g.cap.port, buf, len), 0);
}

/*
 * The first captured IPv4 TCP segment to guest port @gport with every
 * flag of @flags set, from index @from; -1 when there is none.
 */
static int find_tcp(const struct fixture *f, int from, uint16_t gport,
		    uint8_t flags)
{
	int i;

	for (i = from; i < f->g.cap.frames && i < f->g.cap.limit; i++) {
		const uint8_t *b = f->g.cap.data[i];

		if (f->g.cap.len[i] >= 54 && b[12] == 0x08 && b[13] == 0 &&
		    b[23] == 6 && tn_get16(b + 36) == gport &&
		    (b[47] & flags) == flags)
			return i;
	}
	return -1;
}

struct wait_tcp {
	struct fixture *f;
	uint16_t gport;
	uint8_t flags;
};

static bool wait_tcp_cond(void *arg)
{
	const struct wait_tcp *w = arg;

	return find_tcp(w->f, 0, w->gport, w->flags) >= 0;
}

/* Runs the loop until a segment find_tcp() finds is there (2 s at most). */
static int wait_tcp(struct fixture *f, uint16_t gport, uint8_t flags)
{
	struct wait_tcp w = { f, gport, flags };

	if (!tn_run_until(&f->g.loop, wait_tcp_cond, &w, 2000))
		return -1;
	return find_tcp(f, 0, gport, flags);
}

static void conn_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	static char space[4096];

	(void)h;
	(void)suggested;
	*buf = uv_buf_init(space, sizeof(space));
}

static void conn_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct fixture *f = s->data;

	(void)buf;
	if (nread < 0) {
		f->conn_ended = true;
		uv_read_stop(s);
	}
}

static void on_connection(uv_stream_t *server, int status)
{
	struct fixture *f = server->data;
	uv_tcp_t *c = malloc(sizeof(*c));

	assert_non_null(c);
	uv_tcp_init(server->loop, c);
	c->data = f;
	if (status != 0 || uv_accept(server, (uv_stream_t *)c) != 0) {
		uv_close((uv_handle_t *)c, (uv_close_cb)free);
		return;
	}
	f->accepted++;
	if (f->conn != NULL)
		uv_close((uv_handle_t *)f->conn, (uv_close_cb)free);
	f->conn = c;
	f->conn_ended = false;
	uv_read_start((uv_stream_t *)c, conn_alloc, conn_read);
}

static void fixture_open(struct fixture *f, const struct unet_proxy_config *pc)
{
	tn_gw_open(&f->g, NULL, pc, tn_keep_ipv4, CAP_MAX);
	f->port = tn_tcp_listen_loopback(&f->g.loop, &f->server, f, 16,
					 on_connection);
	f->udp_port = tn_udp_loopback(&f->g.loop, &f->udp, f);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	fixture_open(f, NULL);
	*state = f;
	return 0;
}

static int setup_icmp(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct unet_proxy_config pc;

	assert_non_null(f);
	unet_proxy_config_init(&pc);
	pc.deny_tcp_icmp = true;
	fixture_open(f, &pc);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	uv_close((uv_handle_t *)&f->server, NULL);
	uv_close((uv_handle_t *)&f->udp, NULL);
	if (f->conn != NULL)
		uv_close((uv_handle_t *)f->conn, (uv_close_cb)free);
	tn_gw_close(&f->g);
	free(f);
	return 0;
}

static struct unet_policy *parse(const char *text)
{
	struct unet_policy *p = NULL;
	char err[160];

	if (unet_policy_parse(text, strlen(text), "t", &p, err, sizeof(err)) <
	    0)
		fail_msg("%s", err);
	return p;
}

/* unet_proxy_set_policy() with @text (NULL: none); returns what it did. */
static int set_policy(struct fixture *f, const char *text, unsigned int flags)
{
	struct unet_policy *p = text != NULL ? parse(text) : NULL;
	int r = unet_proxy_set_policy(f->g.proxy, p, flags);

	unet_policy_free(p); /* the proxy keeps its own copy */
	return r;
}

/* Opens a TCP flow from guest port @gport, the handshake done. */
static void open_tcp(struct fixture *f, uint16_t gport)
{
	uint8_t buf[64];
	uint32_t isn;
	int i;

	send_frame(f, buf, tcp4_frame(buf, gport, f->port, 1000, 0, TCP_SYN));
	i = wait_tcp(f, gport, TCP_SYN | TCP_ACK);
	assert_true(i >= 0);
	isn = tn_get32(f->g.cap.data[i] + 38);
	send_frame(f, buf,
		   tcp4_frame(buf, gport, f->port, 1001, isn + 1, TCP_ACK));
	tn_run_for(&f->g.loop, 50);
	assert_non_null(f->conn);
	assert_false(f->conn_ended);
}

static bool conn_ended_cond(void *arg)
{
	return ((struct fixture *)arg)->conn_ended;
}

/*
 * Kept, then cut: a new policy that denies an open connection leaves it
 * alone with UNET_POLICY_KEEP_FLOWS (new ones are refused); with
 * UNET_POLICY_CUT_FLOWS it is reset both ways at once. A policy that still
 * allows it cuts nothing. The hit counters start again with each policy,
 * the totals go on.
 */
static void test_keep_then_cut(void **state)
{
	struct fixture *f = *state;
	struct unet_policy_stats ps = { .size = sizeof(ps) };
	uint64_t hits[2];
	uint8_t buf[64];

	assert_int_equal(set_policy(f, "allow tcp\n", 0), 0);
	open_tcp(f, 40000);
	assert_int_equal(unet_proxy_policy_stats(f->g.proxy, &ps, hits, 2), 1);
	assert_int_equal(hits[0], 1);
	assert_int_equal(ps.allowed, 1);

	/* Keep: the open flow stays; a new SYN gets a RST. */
	assert_int_equal(set_policy(f, "deny tcp\n", UNET_POLICY_KEEP_FLOWS),
			 0);
	assert_int_equal(unet_proxy_policy_stats(f->g.proxy, &ps, hits, 2), 1);
	assert_int_equal(hits[0], 0);
	assert_int_equal(ps.allowed, 1);
	assert_int_equal(tn_proxy_stats(f->g.proxy).tcp_flows, 1);
	send_frame(f, buf, tcp4_frame(buf, 40001, f->port, 5000, 0, TCP_SYN));
	assert_true(wait_tcp(f, 40001, TCP_RST | TCP_ACK) >= 0);
	assert_int_equal(unet_proxy_policy_stats(f->g.proxy, &ps, hits, 2), 1);
	assert_int_equal(hits[0], 1);
	assert_int_equal(ps.denied, 1);
	tn_run_for(&f->g.loop, 20);
	assert_false(f->conn_ended);
	assert_int_equal(find_tcp(f, 0, 40000, TCP_RST), -1);

	/* Cut, by a policy that allows it: nothing happens. */
	assert_int_equal(set_policy(f, "default deny\nallow tcp to 127.0.0.1\n",
				    UNET_POLICY_CUT_FLOWS),
			 0);
	assert_int_equal(tn_proxy_stats(f->g.proxy).tcp_flows, 1);

	/* Cut, by one that denies it: a RST to the guest, the host's reset. */
	assert_int_equal(set_policy(f, "allow udp\ndefault deny\n",
				    UNET_POLICY_CUT_FLOWS),
			 1);
	assert_true(find_tcp(f, 0, 40000, TCP_RST) >= 0);
	assert_true(tn_run_until(&f->g.loop, conn_ended_cond, f, 2000));
	assert_int_equal(tn_proxy_stats(f->g.proxy).tcp_flows, 0);
	assert_int_equal(tn_proxy_stats(f->g.proxy).cut_by_policy, 1);
	assert_int_equal(unet_proxy_policy_stats(f->g.proxy, &ps, hits, 2), 1);
	assert_int_equal(hits[0], 0);
	assert_int_equal(ps.default_hits, 0);
	assert_int_equal(ps.allowed + ps.denied,
			 2); /* re-decisions uncounted */

	/* No policy: nothing is denied, nothing to cut. */
	assert_int_equal(set_policy(f, NULL, UNET_POLICY_CUT_FLOWS), 0);
	assert_int_equal(unet_proxy_policy_stats(f->g.proxy, &ps, NULL, 0), 0);
	assert_int_equal(unet_proxy_set_policy(f->g.proxy, NULL, 2), -EINVAL);
}

/*
 * A loopback port whose connects stay under way: a listener with no room
 * in its accept queue (backlog 0, one connection already waiting) drops
 * every later SYN, so the proxy's host connect cannot finish at once.
 * @fds receives the listener and the waiting client, to close after.
 */
static uint16_t full_port(int fds[2])
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fds[0] = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fds[0] >= 0);
	assert_int_equal(bind(fds[0], (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fds[0], 0), 0);
	assert_int_equal(getsockname(fds[0], (struct sockaddr *)&a, &len), 0);
	fds[1] = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fds[1] >= 0);
	assert_int_equal(connect(fds[1], (struct sockaddr *)&a, sizeof(a)), 0);
	return ntohs(a.sin_port);
}

/*
 * A SYN whose host connect is still under way when the policy cuts it gets
 * the refusal a new SYN would: a RST that acknowledges it.
 */
static void test_cut_connecting(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[64];
	int i, fds[2];
	uint16_t port = full_port(fds);

	send_frame(f, buf, tcp4_frame(buf, 40002, port, 7000, 0, TCP_SYN));
	assert_int_equal(tn_proxy_stats(f->g.proxy).tcp_flows, 1);
	assert_int_equal(set_policy(f, "deny tcp\n", UNET_POLICY_CUT_FLOWS), 1);
	i = find_tcp(f, 0, 40002, TCP_RST | TCP_ACK);
	assert_true(i >= 0);
	assert_int_equal(tn_get32(f->g.cap.data[i] + 42), 7001);
	tn_run_for(&f->g.loop, 50);
	assert_int_equal(find_tcp(f, 0, 40002, TCP_SYN), -1);
	assert_int_equal(tn_proxy_stats(f->g.proxy).tcp_flows, 0);
	close(fds[1]);
	close(fds[0]);
}

/* A UDP flow is decided again on its last datagram's destination. */
static void test_cut_udp(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[64];

	send_frame(f, buf, udp4_frame(buf, 5353, f->udp_port));
	tn_run_for(&f->g.loop, 20);
	assert_int_equal(tn_proxy_stats(f->g.proxy).udp_flows, 1);
	assert_int_equal(set_policy(f, "deny tcp\n", UNET_POLICY_CUT_FLOWS), 0);
	assert_int_equal(tn_proxy_stats(f->g.proxy).udp_flows, 1);
	assert_int_equal(set_policy(f, "deny udp to 127.0.0.0/8\n",
				    UNET_POLICY_CUT_FLOWS),
			 1);
	assert_int_equal(tn_proxy_stats(f->g.proxy).udp_flows, 0);
	assert_int_equal(tn_proxy_stats(f->g.proxy).cut_by_policy, 1);
}

/* Only the default verdict: a proxy without a policy gets one. */
static void test_set_default(void **state)
{
	struct fixture *f = *state;
	struct unet_policy_stats ps = { .size = sizeof(ps) };
	uint8_t buf[64];

	assert_int_equal(unet_proxy_set_policy_default(f->g.proxy,
						       UNET_POLICY_PASS, 0),
			 -EINVAL);
	assert_int_equal(unet_proxy_set_policy_default(f->g.proxy,
						       UNET_POLICY_DENY, 4),
			 -EINVAL);
	open_tcp(f, 40003);
	assert_int_equal(unet_proxy_set_policy_default(f->g.proxy,
						       UNET_POLICY_DENY, 0),
			 0);
	send_frame(f, buf, tcp4_frame(buf, 40004, f->port, 1, 0, TCP_SYN));
	assert_true(wait_tcp(f, 40004, TCP_RST | TCP_ACK) >= 0);
	assert_int_equal(unet_proxy_policy_stats(f->g.proxy, &ps, NULL, 0), 0);
	assert_int_equal(ps.default_hits, 1);
	assert_int_equal(tn_proxy_stats(f->g.proxy).tcp_flows, 1);
	assert_int_equal(unet_proxy_set_policy_default(f->g.proxy,
						       UNET_POLICY_DENY,
						       UNET_POLICY_CUT_FLOWS),
			 1);
	assert_int_equal(tn_proxy_stats(f->g.proxy).tcp_flows, 0);
	assert_int_equal(unet_proxy_set_policy_default(f->g.proxy,
						       UNET_POLICY_ALLOW, 0),
			 0);
	send_frame(f, buf, tcp4_frame(buf, 40005, f->port, 1, 0, TCP_SYN));
	assert_true(wait_tcp(f, 40005, TCP_SYN | TCP_ACK) >= 0);
}

/* The first captured ICMP message; NULL when there is none. */
static const uint8_t *find_icmp(const struct fixture *f)
{
	int i;

	for (i = 0; i < f->g.cap.frames && i < f->g.cap.limit; i++)
		if (f->g.cap.len[i] >= 42 && f->g.cap.data[i][23] == 1)
			return f->g.cap.data[i];
	return NULL;
}

/*
 * deny_tcp_icmp: a denied SYN gets an ICMP administratively prohibited
 * from the address it went to, quoting it, and no RST; restrict-like
 * refusals (the caps) still get a RST, and so does an open flow cut.
 */
static void test_deny_icmp(void **state)
{
	struct fixture *f = *state;
	const uint8_t *icmp;
	uint8_t buf[64];
	uint16_t port;
	int fds[2];

	assert_int_equal(set_policy(f, "deny tcp port 1-65535\n", 0), 0);
	send_frame(f, buf, tcp4_frame(buf, 40010, f->port, 9000, 0, TCP_SYN));
	tn_run_for(&f->g.loop, 20);
	icmp = find_icmp(f);
	assert_non_null(icmp);
	assert_memory_equal(icmp + 26, "\x0a\x00\x02\x02", 4); /* 10.0.2.2 */
	assert_int_equal(icmp[34], 3);
	assert_int_equal(icmp[35], 13);
	/* The quote: the SYN's IP header, then its ports. */
	assert_int_equal(tn_get16(icmp + 42 + 20), 40010);
	assert_int_equal(tn_get16(icmp + 42 + 22), f->port);
	assert_int_equal(find_tcp(f, 0, 40010, TCP_RST), -1);
	assert_int_equal(tn_proxy_stats(f->g.proxy).icmp4_errors, 1);
	assert_int_equal(tn_proxy_stats(f->g.proxy).refused_policy, 1);

	/* A flow cut while connecting gets the ICMP error too. */
	tn_capture_reset(&f->g.cap);
	assert_int_equal(set_policy(f, NULL, 0), 0);
	port = full_port(fds);
	send_frame(f, buf, tcp4_frame(buf, 40011, port, 9100, 0, TCP_SYN));
	assert_int_equal(set_policy(f, "deny tcp\n", UNET_POLICY_CUT_FLOWS), 1);
	assert_non_null(find_icmp(f));
	close(fds[1]);
	close(fds[0]);
	assert_int_equal(tn_proxy_stats(f->g.proxy).icmp4_errors, 2);

	/* An established one is reset: ICMP would not end it. */
	tn_capture_reset(&f->g.cap);
	assert_int_equal(set_policy(f, NULL, 0), 0);
	open_tcp(f, 40012);
	assert_int_equal(set_policy(f, "deny tcp\n", UNET_POLICY_CUT_FLOWS), 1);
	assert_true(find_tcp(f, 0, 40012, TCP_RST) >= 0);
}

/*
 * The same over IPv6: ICMPv6 destination unreachable, code 1
 * (administratively prohibited), from the address the guest used.
 */
static void test_deny_icmp6(void **state)
{
	struct fixture *f = *state;
	uint8_t gw[16], guest[16], buf[128];
	size_t len;
	int i;

	tn_ip6("fec0::2", gw);
	tn_ip6("fec0::15", guest);
	tn_learn_guest6(&f->g.cap);
	f->g.cap.keep = tn_keep_ipv6;
	assert_int_equal(set_policy(f, "deny tcp to ::1\n", 0), 0);
	len = tn_tcp6_frame(buf, guest, 40020, gw, f->port, 1, 0, TCP_SYN);
	send_frame(f, buf, len);
	tn_run_for(&f->g.loop, 20);
	for (i = 0; i < f->g.cap.frames && i < f->g.cap.limit; i++) {
		const uint8_t *b = f->g.cap.data[i];

		if (f->g.cap.len[i] >= 62 && b[20] == 58 && b[54] == 1)
			break;
	}
	assert_true(i < f->g.cap.frames && i < f->g.cap.limit);
	assert_int_equal(f->g.cap.data[i][55], 1);
	assert_memory_equal(f->g.cap.data[i] + 22, gw, 16);
	assert_int_equal(tn_proxy_stats(f->g.proxy).icmp6_errors, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_keep_then_cut, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cut_connecting, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cut_udp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_default, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_deny_icmp, setup_icmp,
						teardown),
		cmocka_unit_test_setup_teardown(test_deny_icmp6, setup_icmp,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
