/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the proxy's core (proxy.c): which guest packets may open a
 * flow at all. A test port on the hub plays the guest and sends TCP SYNs,
 * UDP datagrams and ICMP echo requests from good and from spoofed sources;
 * the host side is a TCP listener and a UDP socket on 127.0.0.1 (reached as
 * the gateway, 10.0.2.2):
 *
 *   capture port (guest) --- hub --- stack + proxy --- host sockets
 *     10.0.2.15, or spoofed:            10.0.2.2:P ==> 127.0.0.1:P (TCP, UDP)
 *     10.0.2.2 .3 .0 .255, 0.0.0.0,     198.18.0.1      (ICMP echo)
 *     198.18.0.9
 *
 * Covered: spoofed sources (a table: the gateway's address, the DNS
 * address, the network and broadcast addresses, 0.0.0.0, an address outside
 * the network) open no host socket for TCP, UDP or ICMP (the process's open
 * files, the proxy's flows and the host sockets' peers all say so) and are
 * counted and logged at debug level, but for DHCP from 0.0.0.0, which the
 * stack takes; a good source does open its flow.
 * The caps per protocol: UDP at its cap leaves TCP its own, TCP at its cap
 * gets a RST, and at the UDP cap the flow idle longest makes room (real
 * time: about 1 s); the caps lowered to fit a low open-files limit (the
 * test lowers its own soft limit for a moment); unet_proxy_raise_nofile().
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <cmocka.h>

#include <usernet/hub.h>
#include <usernet/proxy.h>
#include <usernet/stack.h>

#include "testnet.h"
#include "wire/log.h"

#define CAP_MAX 256

struct fixture {
	uv_loop_t loop;
	struct unet_hub *hub;
	struct unet_stack *stack;
	struct unet_proxy *proxy;
	struct tn_capture cap;
	uv_tcp_t listener;
	uint16_t tcp_port;
	int accepted;
	uv_udp_t udp;
	uint16_t udp_port;
	int received;
	uint16_t ip_id;
	int debug_spoofed;	/* debug messages about spoofed sources */
	int nofile_logged;	/* messages about the open-files limit */
	uint8_t rx[2048];
};

/* ---- the guest's packets ------------------------------------------------ */

static void send_frame(struct fixture *f, const uint8_t *buf, size_t n)
{
	assert_int_equal(unet_hub_input(&f->cap.port, buf, n), 0);
}

/* A TCP SYN from @src:@sport to @dst:@dport. */
static void send_syn(struct fixture *f, uint32_t src, uint16_t sport,
		     uint32_t dst, uint16_t dport)
{
	uint8_t buf[14 + 20 + 20];
	uint8_t *t = buf + 34;

	tn_ip_header(buf, tn_gw_mac, src, dst, 6, 40, ++f->ip_id, 0);
	memset(t, 0, 20);
	tn_put16(t, sport);
	tn_put16(t + 2, dport);
	tn_put32(t + 4, 1000);
	t[12] = 5 << 4;
	t[13] = 0x02; /* SYN */
	tn_put16(t + 14, 65535);
	tn_put16(t + 16, tn_l4_csum(src, dst, 6, t, 20));
	send_frame(f, buf, sizeof(buf));
}

/* A UDP datagram with 4 bytes of data from @src:@sport to @dst:@dport. */
static void send_udp(struct fixture *f, uint32_t src, uint16_t sport,
		     uint32_t dst, uint16_t dport)
{
	uint8_t buf[14 + 20 + 8 + 4];
	uint8_t *u = buf + 34;

	tn_ip_header(buf, tn_gw_mac, src, dst, 17, 32, ++f->ip_id, 0);
	tn_put16(u, sport);
	tn_put16(u + 2, dport);
	tn_put16(u + 4, 12);
	tn_put16(u + 6, 0);
	memcpy(u + 8, "ping", 4);
	tn_put16(u + 6, tn_l4_csum(src, dst, 17, u, 12));
	send_frame(f, buf, sizeof(buf));
}

/* An ICMP echo request from @src to @dst, echo id @id. */
static void send_echo(struct fixture *f, uint32_t src, uint32_t dst,
		      uint16_t id)
{
	uint8_t buf[14 + 20 + 8 + 8];
	uint8_t *icmp = buf + 34;

	tn_ip_header(buf, tn_gw_mac, src, dst, 1, 36, ++f->ip_id, 0);
	memset(icmp, 0, 16);
	icmp[0] = 8;
	tn_put16(icmp + 4, id);
	tn_put16(icmp + 6, 1);
	tn_put16(icmp + 2, tn_csum(icmp, 16));
	send_frame(f, buf, sizeof(buf));
}

/* ---- the host's side ---------------------------------------------------- */

static void on_closed_free(uv_handle_t *h)
{
	free(h);
}

static void on_accept(uv_stream_t *server, int status)
{
	struct fixture *f = server->data;
	uv_tcp_t *c = malloc(sizeof(*c));

	assert_non_null(c);
	assert_int_equal(status, 0);
	uv_tcp_init(&f->loop, c);
	assert_int_equal(uv_accept(server, (uv_stream_t *)c), 0);
	f->accepted++;
	uv_close((uv_handle_t *)c, on_closed_free);
}

static void udp_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
	struct fixture *f = handle->data;

	*buf = uv_buf_init((char *)f->rx, sizeof(f->rx));
}

static void udp_recv(uv_udp_t *sock, ssize_t nread, const uv_buf_t *buf,
		     const struct sockaddr *addr, unsigned int flags)
{
	struct fixture *f = sock->data;

	if (nread > 0 && addr != NULL)
		f->received++;
}

/* File descriptors the process has open now. */
static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1; /* the directory's own */
}

static void log_cb(void *opaque, enum unet_log_level level, const char *msg)
{
	struct fixture *f = opaque;

	if (level == UNET_LOG_DEBUG && strstr(msg, "no guest can have") != NULL)
		f->debug_spoofed++;
	if (strstr(msg, "open-files limit") != NULL)
		f->nofile_logged++;
}

/* Makes the hub, stack, proxy (@pcfg, NULL: defaults) and host sockets. */
static void start(struct fixture *f, const struct unet_proxy_config *pcfg)
{
	struct unet_hub_config hc;

	unet_hub_config_init(&hc);
	hc.log_cb = log_cb;
	hc.log_opaque = f;
	hc.log_level = UNET_LOG_DEBUG;
	assert_int_equal(unet_hub_new(&f->loop, &hc, &f->hub), 0);
	tn_capture_init(&f->cap, tn_keep_ipv4, CAP_MAX);
	tn_capture_attach(&f->cap, f->hub);
	assert_int_equal(unet_stack_new(f->hub, "user", NULL, &f->stack), 0);
	assert_int_equal(unet_proxy_new(f->stack, pcfg, &f->proxy), 0);

	f->tcp_port = tn_tcp_listen_loopback(&f->loop, &f->listener, f, 64,
					     on_accept);
	f->udp_port = tn_udp_loopback(&f->loop, &f->udp, f);
	assert_int_equal(uv_udp_recv_start(&f->udp, udp_alloc, udp_recv), 0);

	tn_learn_guest(&f->cap);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	unet_proxy_close(f->proxy);
	unet_hub_close(f->hub);
	uv_close((uv_handle_t *)&f->listener, NULL);
	uv_close((uv_handle_t *)&f->udp, NULL);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	tn_capture_reset(&f->cap);
	free(f);
	return 0;
}

/* ---- spoofed sources ---------------------------------------------------- */

/* A source address and who refuses it. */
struct spoof_row {
	const char *name;
	const char *src;
	bool by_stack;	/* dropped by the stack before the proxy sees it */
};

static const struct spoof_row spoof_rows[] = {
	{ "the gateway's own address", "10.0.2.2", false },
	{ "the DNS address", "10.0.2.3", false },
	{ "the network address", "10.0.2.0", false },
	{ "the broadcast address", "10.0.2.255", false },
	{ "0.0.0.0 (not DHCP)", "0.0.0.0", false },
	{ "outside the network", "198.18.0.9", true },
};

/* Sends one of each from @src; returns the source port used. */
static void send_each(struct fixture *f, uint32_t src, uint16_t sport)
{
	send_syn(f, src, sport, tn_ip("10.0.2.2"), f->tcp_port);
	send_udp(f, src, sport, tn_ip("10.0.2.2"), f->udp_port);
	send_echo(f, src, tn_ip("198.18.0.1"), sport);
}

static void test_spoofed_sources(void **state)
{
	struct fixture *f = *state;
	struct unet_proxy_stats ps = { .size = sizeof(ps) };
	struct unet_stack_stats ss = { .size = sizeof(ss) };
	uint64_t spoofed = 0, bad = 0;
	int fds, i, n = sizeof(spoof_rows) / sizeof(spoof_rows[0]);

	start(f, NULL);
	tn_run_for(&f->loop, 20);
	fds = open_fds();
	for (i = 0; i < n; i++) {
		const struct spoof_row *row = &spoof_rows[i];

		print_message("  %s (%s)\n", row->name, row->src);
		assert_int_equal(unet_stack_stats(f->stack, &ss), 0);
		bad = ss.drop_bad;
		send_each(f, tn_ip(row->src), (uint16_t)(40000 + i));
		tn_run_for(&f->loop, 50);
		/* No host socket: not in the proxy, not in the process. */
		ps = tn_proxy_stats(f->proxy);
		assert_int_equal(ps.flows, 0);
		assert_int_equal(ps.tcp_opened + ps.udp_opened + ps.icmp_opened,
				 0);
		assert_int_equal(tn_proxy_flows(f->proxy, NULL), 0);
		assert_int_equal(open_fds(), fds);
		assert_int_equal(f->accepted, 0);
		assert_int_equal(f->received, 0);
		/* Counted, each packet, where it was refused. */
		assert_int_equal(unet_stack_stats(f->stack, &ss), 0);
		if (row->by_stack) {
			assert_int_equal(ss.drop_bad, bad + 3);
			assert_int_equal(ps.refused_spoofed, spoofed);
		} else {
			spoofed += 3;
			assert_int_equal(ps.refused_spoofed, spoofed);
			assert_int_equal(ss.drop_bad, bad);
		}
	}
	/* Logged at debug level, rate-limited: the first burst, here. */
	assert_true(f->debug_spoofed > 0);
	assert_true(f->debug_spoofed <= UNET__RATELIMIT_BURST);

	/* A DHCP client has no address yet: 0.0.0.0 to port 67 is the stack's. */
	assert_int_equal(unet_stack_stats(f->stack, &ss), 0);
	bad = ss.dhcp_in + ss.dhcp_drop;
	send_udp(f, 0, 68, tn_ip("10.0.2.2"), 67);
	tn_run_for(&f->loop, 20);
	assert_int_equal(unet_stack_stats(f->stack, &ss), 0);
	assert_true(ss.dhcp_in + ss.dhcp_drop > bad);
	assert_int_equal(tn_proxy_stats(f->proxy).refused_spoofed, spoofed);

	/* The same from the guest's own address opens its flows. */
	send_syn(f, tn_ip("10.0.2.15"), 41000, tn_ip("10.0.2.2"), f->tcp_port);
	send_udp(f, tn_ip("10.0.2.15"), 41000, tn_ip("10.0.2.2"), f->udp_port);
	for (i = 0; i < 100 && (f->accepted == 0 || f->received == 0); i++)
		tn_run_for(&f->loop, 10);
	assert_int_equal(f->accepted, 1);
	assert_int_equal(f->received, 1);
	ps = tn_proxy_stats(f->proxy);
	assert_int_equal(ps.tcp_opened, 1);
	assert_int_equal(ps.udp_opened, 1);
	assert_int_equal(ps.refused_spoofed, spoofed);
}

/* ---- caps per protocol -------------------------------------------------- */

/* Whether the flow table has a flow of @proto from the guest's @port. */
struct flow_query {
	int proto;
	uint16_t port;
	bool found;
};

static void flow_match(void *opaque, const struct unet_flow_info *info)
{
	struct flow_query *q = opaque;

	if (info->proto == q->proto && info->guest_port == q->port)
		q->found = true;
}

static bool has_flow(struct fixture *f, int proto, uint16_t port)
{
	struct flow_query q = { .proto = proto, .port = port };

	unet_proxy_flows(f->proxy, flow_match, &q);
	return q.found;
}

/* The guest's UDP from @sport to the host's UDP socket, delivered. */
static void udp_from(struct fixture *f, uint16_t sport)
{
	int want = f->received + 1, i;

	send_udp(f, tn_ip("10.0.2.15"), sport, tn_ip("10.0.2.2"), f->udp_port);
	for (i = 0; i < 100 && f->received < want; i++)
		tn_run_for(&f->loop, 5);
}

/* Whether a captured frame is a TCP RST to the guest's port @dport. */
static bool rst_to(struct fixture *f, uint16_t dport)
{
	int i;

	for (i = 0; i < f->cap.frames && i < CAP_MAX; i++) {
		const uint8_t *r = f->cap.data[i];

		if (f->cap.len[i] >= 54 && r[23] == 6 &&
		    tn_get16(r + 36) == dport && (r[47] & 0x04) != 0)
			return true;
	}
	return false;
}

/*
 * Each protocol has its own cap: UDP at its cap does not stop TCP, TCP at
 * its cap is refused with a RST; and at the UDP cap the flow idle longest
 * (a second or more) makes room for a new one, while flows that are all
 * busy leave the new one refused.
 */
static void test_caps_per_protocol(void **state)
{
	struct fixture *f = *state;
	struct unet_proxy_config pc;
	struct unet_proxy_stats ps = { .size = sizeof(ps) };
	int i;

	unet_proxy_config_init(&pc);
	pc.max_tcp_flows = 2;
	pc.max_udp_flows = 2;
	pc.max_icmp_flows = 2;
	start(f, &pc);
	ps = tn_proxy_stats(f->proxy);
	assert_int_equal(ps.tcp_cap, 2);
	assert_int_equal(ps.udp_cap, 2);
	assert_int_equal(ps.icmp_cap, 2);

	/* UDP fills its cap; a third flow, with none idle, is refused. */
	udp_from(f, 41000);
	udp_from(f, 41001);
	udp_from(f, 41002);
	assert_int_equal(f->received, 2);
	ps = tn_proxy_stats(f->proxy);
	assert_int_equal(ps.udp_flows, 2);
	assert_int_equal(ps.udp_refused_limit, 1);
	assert_int_equal(ps.udp_evicted, 0);
	assert_int_equal(ps.refused_limit, 1);

	/* TCP still opens its own flows, up to its own cap. */
	send_syn(f, tn_ip("10.0.2.15"), 42000, tn_ip("10.0.2.2"), f->tcp_port);
	send_syn(f, tn_ip("10.0.2.15"), 42001, tn_ip("10.0.2.2"), f->tcp_port);
	for (i = 0; i < 100 && f->accepted < 2; i++)
		tn_run_for(&f->loop, 5);
	assert_int_equal(f->accepted, 2);
	send_syn(f, tn_ip("10.0.2.15"), 42002, tn_ip("10.0.2.2"), f->tcp_port);
	tn_run_for(&f->loop, 50);
	assert_int_equal(f->accepted, 2);
	assert_true(rst_to(f, 42002));
	ps = tn_proxy_stats(f->proxy);
	assert_int_equal(ps.tcp_flows, 2);
	assert_int_equal(ps.tcp_refused_limit, 1);
	assert_int_equal(ps.refused_limit, 2);

	/*
	 * A second on, 41001 carries a datagram again: 41000 is the flow
	 * idle longest, and goes for a new one.
	 */
	tn_run_for(&f->loop, 1100);
	udp_from(f, 41001);
	udp_from(f, 41003);
	assert_int_equal(f->received, 4);
	ps = tn_proxy_stats(f->proxy);
	assert_int_equal(ps.udp_evicted, 1);
	assert_int_equal(ps.udp_flows, 2);
	assert_false(has_flow(f, IPPROTO_UDP, 41000));
	assert_true(has_flow(f, IPPROTO_UDP, 41001));
	assert_true(has_flow(f, IPPROTO_UDP, 41003));
	/* The TCP flows were never touched by it. */
	assert_int_equal(ps.tcp_flows, 2);
}

/*
 * The caps fit the open-files limit: with room for about 40 descriptors
 * after the services' reserve, the three caps shrink in proportion, it is
 * logged, and the UDP cap is what holds: one guest address gets three
 * quarters of it, a second guest the rest.
 */
static void test_caps_from_nofile(void **state)
{
	struct fixture *f = *state;
	struct unet_proxy_stats ps = { .size = sizeof(ps) };
	struct rlimit old, low;
	uint64_t sum, share;
	int i;

	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	/* DNS 320 + forwards 32 + slack 32 kept, 40 for flows. */
	low.rlim_cur = (rlim_t)open_fds() + 320 + 64 + 40;
	if (old.rlim_cur != RLIM_INFINITY && low.rlim_cur > old.rlim_cur)
		skip();
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	start(f, NULL);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);

	ps = tn_proxy_stats(f->proxy);
	sum = ps.tcp_cap + ps.udp_cap + ps.icmp_cap;
	print_message("  caps: tcp %llu udp %llu icmp %llu\n",
		      (unsigned long long)ps.tcp_cap,
		      (unsigned long long)ps.udp_cap,
		      (unsigned long long)ps.icmp_cap);
	assert_true(sum >= 33 && sum <= 40);
	assert_true(ps.tcp_cap > ps.udp_cap && ps.udp_cap > ps.icmp_cap);
	assert_true(ps.icmp_cap >= 1);
	assert_true(f->nofile_logged >= 1);

	/* One guest holds three quarters of the cap at most... */
	share = ps.udp_cap - ps.udp_cap / 4;
	for (i = 0; i < (int)ps.udp_cap + 1; i++)
		send_udp(f, tn_ip("10.0.2.15"), (uint16_t)(43000 + i),
			 tn_ip("10.0.2.2"), f->udp_port);
	tn_run_for(&f->loop, 100);
	ps = tn_proxy_stats(f->proxy);
	assert_int_equal(ps.udp_flows, share);
	assert_int_equal(ps.refused_guest_share, ps.udp_cap + 1 - share);
	assert_int_equal(ps.udp_refused_limit, ps.udp_cap + 1 - share);
	/*
	 * ...and, a second on, a new flow of its own closes the one it left
	 * idle longest (as at the cap), though the cap has room.
	 */
	tn_run_for(&f->loop, 1100);
	send_udp(f, tn_ip("10.0.2.15"), 45000, tn_ip("10.0.2.2"), f->udp_port);
	tn_run_for(&f->loop, 100);
	ps = tn_proxy_stats(f->proxy);
	assert_int_equal(ps.udp_evicted, 1);
	assert_int_equal(ps.udp_flows, share);
	assert_true(has_flow(f, IPPROTO_UDP, 45000));
	assert_false(has_flow(f, IPPROTO_UDP, 43000));
	assert_true(has_flow(f, IPPROTO_UDP, 43001));
	/*
	 * Another guest gets the rest, up to the cap; one more of its own at
	 * the cap closes the flow idle longest, the first guest's 43001.
	 */
	for (i = 0; i < (int)(ps.udp_cap - share) + 1; i++)
		send_udp(f, tn_ip("10.0.2.16"), (uint16_t)(44000 + i),
			 tn_ip("10.0.2.2"), f->udp_port);
	tn_run_for(&f->loop, 100);
	ps = tn_proxy_stats(f->proxy);
	assert_int_equal(ps.udp_flows, ps.udp_cap);
	assert_int_equal(ps.udp_evicted, 2);
	assert_false(has_flow(f, IPPROTO_UDP, 43001));
	assert_int_equal(ps.udp_refused_limit, ps.udp_cap + 1 - share);
	assert_int_equal(ps.refused_guest_share, ps.udp_cap + 1 - share);
}

/* ---- the flow table's times --------------------------------------------- */

/* The UDP flow of the guest's @port as the flow table shows it. */
struct flow_find {
	uint16_t port;
	struct unet_flow_info info;
	int found;
};

static void flow_find_cb(void *opaque, const struct unet_flow_info *info)
{
	struct flow_find *q = opaque;

	if (info->proto == IPPROTO_UDP && info->guest_port == q->port) {
		q->info = *info;
		q->found++;
	}
}

static struct unet_flow_info find_udp_flow(struct fixture *f, uint16_t port)
{
	struct flow_find q = { .port = port };

	unet_proxy_flows(f->proxy, flow_find_cb, &q);
	assert_int_equal(q.found, 1);
	return q.info;
}

/*
 * A flow's age counts from when it opened and goes on when it carries
 * something; its idle time starts again then. The walk also gives the
 * bytes each way and the addresses.
 */
static void test_flow_age(void **state)
{
	struct fixture *f = *state;
	struct unet_flow_info a, b;

	start(f, NULL);
	udp_from(f, 44000);
	assert_int_equal(f->received, 1);
	a = find_udp_flow(f, 44000);
	assert_true(a.age_ms >= a.idle_ms);
	assert_true(a.age_ms < 1000);
	assert_int_equal(a.family, AF_INET);
	assert_int_equal(a.guest_addr.s_addr, tn_ip("10.0.2.15"));
	assert_true(a.bytes_out > 0);

	tn_run_for(&f->loop, 120);
	b = find_udp_flow(f, 44000);
	assert_true(b.idle_ms >= 100);
	assert_true(b.age_ms >= a.age_ms + 100);

	/* Traffic makes it busy again; it does not make it young. */
	udp_from(f, 44000);
	assert_int_equal(f->received, 2);
	b = find_udp_flow(f, 44000);
	assert_true(b.idle_ms < 100);
	assert_true(b.age_ms >= 100);
	assert_true(b.age_ms >= b.idle_ms);
	assert_true(b.bytes_out > a.bytes_out);
}

/* unet_proxy_raise_nofile() leaves the soft limit at the hard one. */
/*
 * outbound= is checked at start: an address the host lacks fails
 * unet_proxy_new() with the bind's error and leaves the stack free for
 * another proxy; one it has (any of 127/8) is taken.
 */
static void test_outbound_check(void **state)
{
	struct unet_proxy *proxy = NULL;
	struct unet_proxy_config pc;
	struct unet_stack *stack;
	struct unet_hub *hub;
	uv_loop_t loop;

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(unet_hub_new(&loop, NULL, &hub), 0);
	assert_int_equal(unet_stack_new(hub, "user", NULL, &stack), 0);
	unet_proxy_config_init(&pc);
	pc.outbound.s_addr = tn_ip("198.51.100.77");
	assert_int_equal(unet_proxy_new(stack, &pc, &proxy), -EADDRNOTAVAIL);
	assert_null(proxy);
	pc.outbound.s_addr = tn_ip("127.0.0.9");
	pc.outbound6 = in6addr_loopback;
	assert_int_equal(unet_proxy_new(stack, &pc, &proxy), 0);
	unet_proxy_close(proxy);
	proxy = NULL;
	pc.outbound.s_addr = INADDR_ANY;
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::77", &pc.outbound6), 1);
	assert_int_equal(unet_proxy_new(stack, &pc, &proxy), -EADDRNOTAVAIL);
	assert_null(proxy);
	unet_stack_close(stack);
	unet_hub_close(hub);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_raise_nofile(void **state)
{
	struct rlimit old, low, now;
	uint64_t limit = 0;

	(void)state;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	if (old.rlim_max == RLIM_INFINITY || old.rlim_max < 512)
		skip();
	low = old;
	low.rlim_cur = 256;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	assert_int_equal(unet_proxy_raise_nofile(&limit), 0);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &now), 0);
	assert_int_equal(now.rlim_cur, old.rlim_max);
	assert_int_equal(limit, old.rlim_max);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_spoofed_sources, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_caps_per_protocol, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_caps_from_nofile, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_flow_age, setup, teardown),
		cmocka_unit_test(test_outbound_check),
		cmocka_unit_test(test_raise_nofile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
