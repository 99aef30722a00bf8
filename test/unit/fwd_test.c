/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of host-to-guest forwards (proxy/fwd.c): the add/list/remove
 * bookkeeping and its errors, then real loopback sockets on the host side
 * and a capture port on the hub playing the guest (10.0.2.15): a UDP
 * datagram to a forward reaches the guest from the gateway and the guest's
 * answer reaches the host client; a host connect to a TCP forward makes
 * the stack send the guest a SYN. Every wait is bounded by a deadline.
 */
#include <arpa/inet.h>
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
#include <usernet/proxy.h>
#include <usernet/stack.h>

#include "testnet.h"

#include <uv.h>

/* Longest any test waits for something to happen, in milliseconds. */
#define DEADLINE_MS 3000


#define CAP_FRAMES 32
#define CAP_LEN 1600

/* A host-side UDP client: what it last received, and from where. */
struct client {
	uv_udp_t udp;
	char buf[2048];
	ssize_t got;
	struct sockaddr_in from;
};

struct fixture {
	uv_loop_t loop;
	struct unet_hub *hub;
	struct unet_stack *stack;
	struct unet_proxy *proxy;
	struct tn_capture cap;
};

static struct fixture *fixture_new(const struct unet_proxy_config *pc)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	assert_int_equal(unet_hub_new(&f->loop, NULL, &f->hub), 0);
	tn_capture_init(&f->cap, NULL, CAP_FRAMES);
	f->cap.snaplen = CAP_LEN;
	tn_capture_attach(&f->cap, f->hub);
	assert_int_equal(unet_stack_new(f->hub, "user", NULL, &f->stack), 0);
	assert_int_equal(unet_proxy_new(f->stack, pc, &f->proxy), 0);
	return f;
}

static int setup(void **state)
{
	*state = fixture_new(NULL);
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	unet_proxy_close(f->proxy);
	unet_hub_close(f->hub);
	/* Nothing may be left running: this returns once all is closed. */
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	tn_capture_reset(&f->cap);
	free(f);
	return 0;
}

static struct unet_fwd fwd_make(int proto, const char *host, uint16_t hport,
				const char *guest, uint16_t gport)
{
	struct unet_fwd fwd;

	memset(&fwd, 0, sizeof(fwd));
	fwd.proto = proto;
	fwd.host_addr.s_addr = tn_ip(host);
	fwd.host_port = htons(hport);
	fwd.guest_addr.s_addr = tn_ip(guest);
	fwd.guest_port = htons(gport);
	return fwd;
}

/* Closes a handle of the test's stack frame before the frame is gone. */
static void close_now(struct fixture *f, uv_handle_t *handle)
{
	uv_close(handle, NULL);
	uv_run(&f->loop, UV_RUN_NOWAIT);
}

/* A UDP datagram from the guest, checksums and all. */
static size_t udp_frame(uint8_t *buf, uint32_t src, uint16_t sport,
			uint32_t dst, uint16_t dport, const void *data,
			size_t len)
{
	uint8_t *udp = buf + 34;
	uint16_t c;

	tn_ip_header(buf, tn_gw_mac, src, dst, 17, 20 + 8 + len, 0, 0);
	tn_put16(udp, sport);
	tn_put16(udp + 2, dport);
	tn_put16(udp + 4, (uint16_t)(8 + len));
	tn_put16(udp + 6, 0);
	memcpy(udp + 8, data, len);
	c = tn_l4_csum(src, dst, 17, udp, 8 + len);
	tn_put16(udp + 6, c == 0 ? 0xffff : c);
	return 14 + 20 + 8 + len;
}

/*
 * The captured IPv4 frame for the guest with protocol @proto and
 * destination port @dport, or NULL.
 */
static const uint8_t *find_ip_frame(const struct tn_capture *c, uint8_t proto,
				    uint16_t dport, size_t *len)
{
	uint32_t g = tn_ip("10.0.2.15");
	int i;

	for (i = 0; i < c->frames && i < CAP_FRAMES; i++) {
		const uint8_t *r = c->data[i];

		if (c->len[i] < 14 + 20 + 8 || r[12] != 0x08 || r[13] != 0 ||
		    r[23] != proto || memcmp(r + 30, &g, 4) != 0 ||
		    (r[14] & 0x0f) != 5 || tn_get16(r + 36) != dport)
			continue;
		*len = c->len[i];
		return r;
	}
	return NULL;
}

struct want_frame {
	struct fixture *f;
	uint8_t proto;
	uint16_t dport;
};

static bool frame_seen(void *arg)
{
	struct want_frame *w = arg;
	size_t len;

	return find_ip_frame(&w->f->cap, w->proto, w->dport, &len) != NULL;
}

static void client_alloc(uv_handle_t *handle, size_t suggested,
			 uv_buf_t *buf)
{
	struct client *c = handle->data;

	*buf = uv_buf_init(c->buf, sizeof(c->buf));
}

static void client_recv(uv_udp_t *handle, ssize_t nread, const uv_buf_t *buf,
			const struct sockaddr *addr, unsigned int flags)
{
	struct client *c = handle->data;

	if (nread <= 0 || addr == NULL)
		return;
	c->got = nread;
	memcpy(&c->from, addr, sizeof(c->from));
}

static bool client_got(void *arg)
{
	return ((struct client *)arg)->got > 0;
}

static void client_open(struct fixture *f, struct client *c)
{
	struct sockaddr_in sa;

	memset(c, 0, sizeof(*c));
	uv_ip4_addr("127.0.0.1", 0, &sa);
	assert_int_equal(uv_udp_init(&f->loop, &c->udp), 0);
	c->udp.data = c;
	assert_int_equal(uv_udp_bind(&c->udp, (const struct sockaddr *)&sa, 0),
			 0);
	assert_int_equal(uv_udp_recv_start(&c->udp, client_alloc, client_recv),
			 0);
}

static void client_send(struct client *c, uint16_t port, const char *msg)
{
	struct sockaddr_in sa;
	uv_buf_t b = uv_buf_init((char *)msg, (unsigned int)strlen(msg));

	uv_ip4_addr("127.0.0.1", port, &sa);
	assert_int_equal(uv_udp_try_send(&c->udp, &b, 1,
					 (const struct sockaddr *)&sa),
			 (int)strlen(msg));
}

struct flow_count {
	int n;
	struct unet_flow_info last;
};

static void count_flow(void *opaque, const struct unet_flow_info *info)
{
	struct flow_count *fc = opaque;

	fc->n++;
	fc->last = *info;
}

static void test_add_list_remove(void **state)
{
	struct fixture *f = *state;
	struct unet_fwd a, b, c, list[4];
	uint16_t port;

	/* Port 0: the kernel's choice is written back and listed. */
	a = fwd_make(IPPROTO_TCP, "127.0.0.1", 0, "10.0.2.15", 80);
	assert_int_equal(unet_proxy_fwd_add(f->proxy, &a), 0);
	port = ntohs(a.host_port);
	assert_true(port != 0);
	assert_int_equal(unet_proxy_fwd_list(f->proxy, list, 4), 1);
	assert_int_equal(list[0].proto, IPPROTO_TCP);
	assert_int_equal(list[0].host_addr.s_addr, tn_ip("127.0.0.1"));
	assert_int_equal(ntohs(list[0].host_port), port);
	assert_int_equal(list[0].guest_addr.s_addr, tn_ip("10.0.2.15"));
	assert_int_equal(ntohs(list[0].guest_port), 80);

	/* The same host port again, even to elsewhere. */
	b = fwd_make(IPPROTO_TCP, "127.0.0.1", port, "10.0.2.16", 81);
	assert_int_equal(unet_proxy_fwd_add(f->proxy, &b), -EEXIST);

	/* The same port number for UDP is another socket. */
	c = fwd_make(IPPROTO_UDP, "127.0.0.1", 0, "10.0.2.15", 53);
	assert_int_equal(unet_proxy_fwd_add(f->proxy, &c), 0);
	assert_int_equal(unet_proxy_fwd_list(f->proxy, list, 4), 2);
	assert_int_equal(unet_proxy_fwd_list(f->proxy, list, 1), 2);
	assert_int_equal(unet_proxy_fwd_list(f->proxy, NULL, 0), 2);
	assert_int_equal(unet_proxy_fwd_list(f->proxy, NULL, 1), -EINVAL);

	/* Bad forwards. */
	b = fwd_make(IPPROTO_TCP, "127.0.0.1", 0, "10.0.3.15", 80);
	assert_int_equal(unet_proxy_fwd_add(f->proxy, &b), -EINVAL);
	b = fwd_make(0, "127.0.0.1", 0, "10.0.2.15", 80);
	assert_int_equal(unet_proxy_fwd_add(f->proxy, &b), -EINVAL);
	b = fwd_make(IPPROTO_ICMP, "127.0.0.1", 0, "10.0.2.15", 80);
	assert_int_equal(unet_proxy_fwd_add(f->proxy, &b), -EINVAL);
	b = fwd_make(IPPROTO_TCP, "127.0.0.1", 0, "10.0.2.15", 0);
	assert_int_equal(unet_proxy_fwd_add(f->proxy, &b), -EINVAL);
	b = fwd_make(IPPROTO_TCP, "127.0.0.1", 0, "10.0.2.2", 80);
	assert_int_equal(unet_proxy_fwd_add(f->proxy, &b), -EINVAL);
	b = fwd_make(IPPROTO_UDP, "127.0.0.1", 0, "10.0.2.255", 80);
	assert_int_equal(unet_proxy_fwd_add(f->proxy, &b), -EINVAL);
	assert_int_equal(unet_proxy_fwd_add(f->proxy, NULL), -EINVAL);
	assert_int_equal(unet_proxy_fwd_add(NULL, &a), -EINVAL);
	assert_int_equal(unet_proxy_fwd_list(f->proxy, list, 4), 2);

	/* Remove: the guest side must match when it is given. */
	b = a;
	b.guest_port = htons(81);
	assert_int_equal(unet_proxy_fwd_remove(f->proxy, &b), -ENOENT);
	b = a;
	b.proto = IPPROTO_UDP;
	assert_int_equal(unet_proxy_fwd_remove(f->proxy, &b), -ENOENT);
	b = a;
	b.guest_addr.s_addr = 0;
	b.guest_port = 0;
	assert_int_equal(unet_proxy_fwd_remove(f->proxy, &b), 0);
	assert_int_equal(unet_proxy_fwd_remove(f->proxy, &a), -ENOENT);
	assert_int_equal(unet_proxy_fwd_list(f->proxy, list, 4), 1);
	assert_int_equal(list[0].proto, IPPROTO_UDP);
	assert_int_equal(unet_proxy_fwd_remove(f->proxy, &c), 0);
	assert_int_equal(unet_proxy_fwd_list(f->proxy, list, 4), 0);
	assert_int_equal(unet_proxy_fwd_remove(f->proxy, NULL), -EINVAL);

	/* The closed port can be had again once the loop closed it. */
	uv_run(&f->loop, UV_RUN_NOWAIT);
	a.host_port = htons(port);
	assert_int_equal(unet_proxy_fwd_add(f->proxy, &a), 0);
	assert_int_equal(ntohs(a.host_port), port);
}

/* A host socket holds the port: the bind's error comes back. */
static void test_addr_in_use(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_in sa;
	int len = sizeof(sa);
	struct unet_fwd fwd;
	uv_tcp_t tcp;
	uv_udp_t udp;

	uv_ip4_addr("127.0.0.1", 0, &sa);
	assert_int_equal(uv_tcp_init(&f->loop, &tcp), 0);
	assert_int_equal(uv_tcp_bind(&tcp, (const struct sockaddr *)&sa, 0), 0);
	assert_int_equal(uv_listen((uv_stream_t *)&tcp, 1, NULL), 0);
	assert_int_equal(uv_tcp_getsockname(&tcp, (struct sockaddr *)&sa, &len),
			 0);
	fwd = fwd_make(IPPROTO_TCP, "127.0.0.1", ntohs(sa.sin_port),
		       "10.0.2.15", 80);
	assert_int_equal(unet_proxy_fwd_add(f->proxy, &fwd), -EADDRINUSE);

	uv_ip4_addr("127.0.0.1", 0, &sa);
	len = sizeof(sa);
	assert_int_equal(uv_udp_init(&f->loop, &udp), 0);
	assert_int_equal(uv_udp_bind(&udp, (const struct sockaddr *)&sa, 0), 0);
	assert_int_equal(uv_udp_getsockname(&udp, (struct sockaddr *)&sa, &len),
			 0);
	fwd = fwd_make(IPPROTO_UDP, "127.0.0.1", ntohs(sa.sin_port),
		       "10.0.2.15", 53);
	assert_int_equal(unet_proxy_fwd_add(f->proxy, &fwd), -EADDRINUSE);
	assert_int_equal(unet_proxy_fwd_list(f->proxy, NULL, 0), 0);

	close_now(f, (uv_handle_t *)&tcp);
	close_now(f, (uv_handle_t *)&udp);
}

/*
 * Host client -> forward -> guest, and the guest's answer back. Returns the
 * gateway's ephemeral port the guest saw.
 */
static uint16_t udp_round_trip(struct fixture *f, struct client *c,
			       uint16_t host_port, uint16_t guest_port,
			       const char *ask, const char *answer)
{
	struct want_frame w = { f, 17, guest_port };
	uint32_t gw = tn_ip("10.0.2.2"), g = tn_ip("10.0.2.15");
	const uint8_t *r;
	uint8_t buf[256];
	uint16_t sport;
	size_t len, n = strlen(ask);

	f->cap.frames = 0;
	c->got = 0;
	client_send(c, host_port, ask);
	assert_true(tn_run_until(&f->loop, frame_seen, &w, DEADLINE_MS));
	r = find_ip_frame(&f->cap, 17, guest_port, &len);
	assert_non_null(r);
	assert_memory_equal(r, tn_guest_mac, 6);
	assert_memory_equal(r + 6, tn_gw_mac, 6);
	assert_memory_equal(r + 26, &gw, 4);	/* from the gateway */
	assert_memory_equal(r + 30, &g, 4);
	assert_int_equal(tn_csum(r + 14, 20), 0);
	sport = tn_get16(r + 34);
	assert_true(sport >= 0xc000);		/* lwIP's ephemeral range */
	assert_int_equal(tn_get16(r + 38), 8 + n);
	assert_true(len >= 42 + n);
	assert_memory_equal(r + 42, ask, n);

	len = udp_frame(buf, g, guest_port, gw, sport, answer, strlen(answer));
	assert_int_equal(unet_hub_input(&f->cap.port, buf, len), 0);
	assert_true(tn_run_until(&f->loop, client_got, c, DEADLINE_MS));
	assert_int_equal(c->got, (ssize_t)strlen(answer));
	assert_memory_equal(c->buf, answer, strlen(answer));
	assert_int_equal(c->from.sin_addr.s_addr, tn_ip("127.0.0.1"));
	assert_int_equal(ntohs(c->from.sin_port), host_port);
	return sport;
}

static void test_udp_end_to_end(void **state)
{
	struct fixture *f = *state;
	struct unet_proxy_stats st = { .size = sizeof(st) };
	struct flow_count fc = { 0 };
	struct unet_fwd fwd;
	struct client c;
	uint16_t sport, sport2;

	assert_int_equal(tn_learn_guest(&f->cap), 0);
	fwd = fwd_make(IPPROTO_UDP, "127.0.0.1", 0, "10.0.2.15", 5000);
	assert_int_equal(unet_proxy_fwd_add(f->proxy, &fwd), 0);
	client_open(f, &c);

	sport = udp_round_trip(f, &c, ntohs(fwd.host_port), 5000, "hello",
			       "world!");
	/* The same peer again: the same flow, the same gateway port. */
	sport2 = udp_round_trip(f, &c, ntohs(fwd.host_port), 5000, "again",
				"yes");
	assert_int_equal(sport, sport2);

	assert_int_equal(unet_proxy_flows(f->proxy, count_flow, &fc), 1);
	assert_int_equal(fc.last.proto, IPPROTO_UDP);
	assert_true(fc.last.inbound);
	assert_int_equal(fc.last.state, UNET_FLOW_ACTIVE);
	assert_int_equal(fc.last.guest_addr.s_addr, tn_ip("10.0.2.15"));
	assert_int_equal(fc.last.guest_port, 5000);
	assert_int_equal(fc.last.remote_addr.s_addr, tn_ip("10.0.2.2"));
	assert_int_equal(fc.last.remote_port, sport);
	assert_int_equal(fc.last.bytes_in, 10);	/* host to guest */
	assert_int_equal(fc.last.bytes_out, 9);	/* guest to host */
	assert_int_equal(unet_proxy_stats(f->proxy, &st), 0);
	assert_int_equal(st.flows, 1);
	assert_int_equal(st.udp_opened, 1);

	/* Removing the forward closes its flows. */
	assert_int_equal(unet_proxy_fwd_remove(f->proxy, &fwd), 0);
	assert_int_equal(unet_proxy_stats(f->proxy, &st), 0);
	assert_int_equal(st.flows, 0);
	close_now(f, (uv_handle_t *)&c.udp);
}

/*
 * Two forwards to the same guest port, used by one host socket: two flows,
 * and each answer goes back through its own forward.
 */
static void test_udp_two_forwards(void **state)
{
	struct fixture *f = *state;
	struct unet_proxy_stats st = { .size = sizeof(st) };
	struct unet_fwd a, b;
	struct client c;
	uint16_t pa, pb;

	assert_int_equal(tn_learn_guest(&f->cap), 0);
	a = fwd_make(IPPROTO_UDP, "127.0.0.1", 0, "10.0.2.15", 53);
	b = fwd_make(IPPROTO_UDP, "127.0.0.1", 0, "10.0.2.15", 53);
	assert_int_equal(unet_proxy_fwd_add(f->proxy, &a), 0);
	assert_int_equal(unet_proxy_fwd_add(f->proxy, &b), 0);
	assert_int_not_equal(a.host_port, b.host_port);
	client_open(f, &c);
	pa = udp_round_trip(f, &c, ntohs(a.host_port), 53, "a", "A");
	pb = udp_round_trip(f, &c, ntohs(b.host_port), 53, "b", "B");
	assert_int_not_equal(pa, pb);
	assert_int_equal(unet_proxy_stats(f->proxy, &st), 0);
	assert_int_equal(st.flows, 2);
	assert_int_equal(st.udp_opened, 2);
	close_now(f, (uv_handle_t *)&c.udp);
}

static bool flows_gone(void *arg)
{
	struct unet_proxy_stats st = { .size = sizeof(st) };

	assert_int_equal(unet_proxy_stats(arg, &st), 0);
	return st.flows == 0;
}

/* An idle inbound UDP flow expires after udp_timeout_ms. */
static void test_udp_expiry(void **state)
{
	struct unet_proxy_config pc;
	struct unet_proxy_stats st = { .size = sizeof(st) };
	struct unet_fwd fwd;
	struct fixture *f;
	struct client c;

	(void)state;
	unet_proxy_config_init(&pc);
	pc.udp_timeout_ms = 100;
	f = fixture_new(&pc);
	assert_int_equal(tn_learn_guest(&f->cap), 0);
	fwd = fwd_make(IPPROTO_UDP, "127.0.0.1", 0, "10.0.2.15", 7);
	assert_int_equal(unet_proxy_fwd_add(f->proxy, &fwd), 0);
	client_open(f, &c);
	udp_round_trip(f, &c, ntohs(fwd.host_port), 7, "ping", "pong");
	assert_int_equal(unet_proxy_stats(f->proxy, &st), 0);
	assert_int_equal(st.flows, 1);
	assert_true(tn_run_until(&f->loop, flows_gone, f->proxy,
				 DEADLINE_MS));
	assert_int_equal(unet_proxy_stats(f->proxy, &st), 0);
	assert_int_equal(st.udp_expired, 1);
	/* and the forward still works: a new flow */
	udp_round_trip(f, &c, ntohs(fwd.host_port), 7, "ping", "pong");
	assert_int_equal(unet_proxy_stats(f->proxy, &st), 0);
	assert_int_equal(st.udp_opened, 2);
	close_now(f, (uv_handle_t *)&c.udp);
	teardown((void **)&f);
}

static bool two_frames(void *arg)
{
	return ((struct tn_capture *)arg)->frames >= 2;
}

/* Empty and large host datagrams reach the guest; the forward goes on. */
static void test_udp_odd_datagrams(void **state)
{
	struct fixture *f = *state;
	struct unet_proxy_stats st = { .size = sizeof(st) };
	struct unet_fwd fwd;
	struct client c;
	static char big[65000];
	struct sockaddr_in sa;
	uv_buf_t b;

	assert_int_equal(tn_learn_guest(&f->cap), 0);
	fwd = fwd_make(IPPROTO_UDP, "127.0.0.1", 0, "10.0.2.15", 9);
	assert_int_equal(unet_proxy_fwd_add(f->proxy, &fwd), 0);
	client_open(f, &c);
	/* An empty datagram and a large one (lwIP fragments it). */
	uv_ip4_addr("127.0.0.1", ntohs(fwd.host_port), &sa);
	b = uv_buf_init(big, 0);
	assert_int_equal(uv_udp_try_send(&c.udp, &b, 1,
					 (const struct sockaddr *)&sa), 0);
	b = uv_buf_init(big, sizeof(big));
	assert_int_equal(uv_udp_try_send(&c.udp, &b, 1,
					 (const struct sockaddr *)&sa),
			 (int)sizeof(big));
	assert_true(tn_run_until(&f->loop, two_frames, &f->cap,
				 DEADLINE_MS));
	assert_int_equal(f->cap.len[0], 14 + 20 + 8);
	assert_int_equal(tn_get16(f->cap.data[0] + 38), 8);
	assert_int_equal(tn_get16(f->cap.data[1] + 16), 20 + 8 + sizeof(big));
	udp_round_trip(f, &c, ntohs(fwd.host_port), 9, "x", "y");
	assert_int_equal(unet_proxy_stats(f->proxy, &st), 0);
	assert_int_equal(st.udp_opened, 1);
	close_now(f, (uv_handle_t *)&c.udp);
}

static void connect_cb(uv_connect_t *req, int status)
{
	*(int *)req->data = status;
}

/* A host connect to a TCP forward: the stack sends the guest a SYN. */
static void test_tcp_syn(void **state)
{
	struct fixture *f = *state;
	struct want_frame w = { f, 6, 22 };
	uint32_t gw = tn_ip("10.0.2.2");
	struct unet_proxy_stats st = { .size = sizeof(st) };
	struct unet_fwd fwd;
	struct sockaddr_in sa;
	uv_connect_t req;
	const uint8_t *r;
	int status = 1;
	uv_tcp_t tcp;
	size_t len;

	assert_int_equal(tn_learn_guest(&f->cap), 0);
	fwd = fwd_make(IPPROTO_TCP, "127.0.0.1", 0, "10.0.2.15", 22);
	assert_int_equal(unet_proxy_fwd_add(f->proxy, &fwd), 0);
	uv_ip4_addr("127.0.0.1", ntohs(fwd.host_port), &sa);
	assert_int_equal(uv_tcp_init(&f->loop, &tcp), 0);
	req.data = &status;
	assert_int_equal(uv_tcp_connect(&req, &tcp,
					(const struct sockaddr *)&sa,
					connect_cb), 0);
	assert_true(tn_run_until(&f->loop, frame_seen, &w, DEADLINE_MS));
	r = find_ip_frame(&f->cap, 6, 22, &len);
	assert_non_null(r);
	assert_memory_equal(r + 26, &gw, 4);
	assert_int_equal(r[47] & 0x12, 0x02);	/* SYN, no ACK */
	assert_int_equal(unet_proxy_stats(f->proxy, &st), 0);
	assert_int_equal(st.tcp_opened, 1);
	assert_int_equal(st.flows, 1);

	/* Removing the forward leaves the connection's flow alone. */
	assert_int_equal(unet_proxy_fwd_remove(f->proxy, &fwd), 0);
	assert_int_equal(unet_proxy_stats(f->proxy, &st), 0);
	assert_int_equal(st.flows, 1);
	close_now(f, (uv_handle_t *)&tcp);
}

/* ---- IPv6 ---------------------------------------------------------------- */

/* A socket address from text: "[v6]:port" is not parsed, just ADDR. */
static union unet_sockaddr sa_make(const char *addr, uint16_t port)
{
	union unet_sockaddr sa;

	memset(&sa, 0, sizeof(sa));
	if (strchr(addr, ':') != NULL) {
		sa.in6.sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, addr, &sa.in6.sin6_addr),
				 1);
		sa.in6.sin6_port = htons(port);
	} else {
		sa.in.sin_family = AF_INET;
		sa.in.sin_addr.s_addr = tn_ip(addr);
		sa.in.sin_port = htons(port);
	}
	return sa;
}

/* unet_proxy_fwd_add_ex(): what it refuses, and the old calls' view. */
static void test_fwd_ex_add_list(void **state)
{
	struct fixture *f = *state;
	struct unet_fwd_ex ex, list[4];
	struct unet_fwd old[4];
	static const struct {
		const char *why;
		const char *host;
		const char *guest;
	} bad[] = {
		{ "guest outside the prefix", "::1", "fec1::15" },
		{ "the gateway's ipv6-host", "::1", "fec0::2" },
		{ "the IPv6 DNS address", "::1", "fec0::3" },
		{ "the prefix's anycast address", "::1", "fec0::" },
		{ "a link-local guest", "::1", "fe80::15" },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&ex, 0, sizeof(ex));
		ex.proto = IPPROTO_TCP;
		ex.host = sa_make(bad[i].host, 0);
		ex.guest = sa_make(bad[i].guest, 80);
		print_message("  %s\n", bad[i].why);
		assert_int_equal(unet_proxy_fwd_add_ex(f->proxy, &ex), -EINVAL);
	}
	ex.guest.sa.sa_family = AF_UNIX;
	assert_int_equal(unet_proxy_fwd_add_ex(f->proxy, &ex), -EINVAL);

	/* IPv6 to IPv6, IPv4 to IPv6; the kernel picks the host ports. */
	ex.proto = IPPROTO_TCP;
	ex.host = sa_make("::1", 0);
	ex.guest = sa_make("fec0::15", 80);
	assert_int_equal(unet_proxy_fwd_add_ex(f->proxy, &ex), 0);
	assert_int_not_equal(ex.host.in6.sin6_port, 0);
	ex.proto = IPPROTO_UDP;
	ex.host = sa_make("127.0.0.1", 0);
	assert_int_equal(unet_proxy_fwd_add_ex(f->proxy, &ex), 0);
	assert_int_equal(unet_proxy_fwd_add_ex(f->proxy, &ex), -EEXIST);
	assert_int_equal(unet_proxy_fwd_list_ex(f->proxy, list, 4), 2);
	assert_int_equal(list[0].guest.sa.sa_family, AF_INET6);
	assert_int_equal(list[1].host.sa.sa_family, AF_INET6);
	/* The IPv4-only view shows neither. */
	assert_int_equal(unet_proxy_fwd_list(f->proxy, old, 4), 0);
	assert_int_equal(unet_proxy_fwd_remove_ex(f->proxy, &list[1]), 0);
	assert_int_equal(unet_proxy_fwd_remove_ex(f->proxy, &list[1]), -ENOENT);
	assert_int_equal(unet_proxy_fwd_list_ex(f->proxy, NULL, 0), 1);
}

/*
 * A UDP forward from the host's [::1] to the guest's fec0::15: the guest
 * sees the datagram come from fec0::2, and its answer reaches the peer.
 */
static void test_fwd_udp6_end_to_end(void **state)
{
	struct fixture *f = *state;
	struct unet_fwd_ex ex;
	struct sockaddr_in6 sa;
	struct flow_count fc = { 0 };
	uint8_t buf[128], g[16], gw[16], *u;
	uv_udp_t peer;
	uv_buf_t b = uv_buf_init("to guest", 8);
	uint16_t gport;
	int i, found = -1;

	tn_learn_guest6(&f->cap);
	memset(&ex, 0, sizeof(ex));
	ex.proto = IPPROTO_UDP;
	ex.host = sa_make("::1", 0);
	ex.guest = sa_make("fec0::15", 5353);
	assert_int_equal(unet_proxy_fwd_add_ex(f->proxy, &ex), 0);
	uv_udp_init(&f->loop, &peer);
	uv_ip6_addr("::1", 0, &sa);
	assert_int_equal(uv_udp_bind(&peer, (struct sockaddr *)&sa, 0), 0);
	sa = ex.host.in6;
	assert_int_equal(uv_udp_try_send(&peer, &b, 1, (struct sockaddr *)&sa),
			 8);
	tn_ip6("fec0::15", g);
	tn_ip6("fec0::2", gw);
	for (i = 0; i < 50 && found < 0; i++) {
		int k;

		tn_run_for(&f->loop, 10);
		for (k = 0; k < f->cap.frames && k < CAP_FRAMES; k++)
			if (f->cap.len[k] >= 62 && f->cap.data[k][12] == 0x86 &&
			    f->cap.data[k][20] == 17 &&
			    tn_get16(f->cap.data[k] + 56) == 5353)
				found = k;
	}
	assert_true(found >= 0);
	u = f->cap.data[found];
	assert_memory_equal(u + 22, gw, 16);
	assert_memory_equal(u + 38, g, 16);
	assert_memory_equal(u + 62, "to guest", 8);
	gport = tn_get16(u + 54);
	unet_proxy_flows(f->proxy, count_flow, &fc);
	assert_int_equal(fc.n, 1);
	assert_int_equal(fc.last.family, AF_INET6);
	assert_true(fc.last.inbound);
	assert_int_equal(fc.last.remote_port, gport);
	/* The guest answers to fec0::2:gport; the peer gets it. */
	unet_hub_input(&f->cap.port, buf,
		       tn_udp6_frame(buf, g, 5353, gw, gport, "back", 4));
	memset(&sa, 0, sizeof(sa));
	{
		char got[16];
		ssize_t n = -1;
		uv_os_fd_t fd;

		assert_int_equal(uv_fileno((uv_handle_t *)&peer, &fd), 0);
		for (i = 0; i < 100 && n < 0; i++) {
			tn_run_for(&f->loop, 10);
			n = recv(fd, got, sizeof(got), MSG_DONTWAIT);
		}
		assert_int_equal(n, 4);
		assert_memory_equal(got, "back", 4);
	}
	assert_int_equal(tn_proxy_stats(f->proxy).udp6_opened, 1);
	close_now(f, (uv_handle_t *)&peer);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_add_list_remove, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_addr_in_use, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_udp_end_to_end, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_udp_two_forwards, setup,
						teardown),
		cmocka_unit_test(test_udp_expiry),
		cmocka_unit_test_setup_teardown(test_udp_odd_datagrams, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_tcp_syn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fwd_ex_add_list, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fwd_udp6_end_to_end, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
