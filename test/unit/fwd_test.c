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

#include <uv.h>

/* Longest any test waits for something to happen, in milliseconds. */
#define DEADLINE_MS 3000

static const uint8_t gw_mac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
static const uint8_t guest_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0f };
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

#define CAP_FRAMES 32
#define CAP_LEN 1600

struct capture {
	struct unet_port port;
	int frames;
	size_t len[CAP_FRAMES];
	uint8_t data[CAP_FRAMES][CAP_LEN];
};

static int capture_send(struct unet_port *port, const void *frame,
			size_t len)
{
	struct capture *c = (struct capture *)port;

	if (c->frames < CAP_FRAMES) {
		c->len[c->frames] = len < CAP_LEN ? len : CAP_LEN;
		memcpy(c->data[c->frames], frame, c->len[c->frames]);
	}
	c->frames++;
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
	struct capture cap;
};

static struct fixture *fixture_new(const struct unet_proxy_config *pc)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	assert_int_equal(unet_hub_new(&f->loop, NULL, &f->hub), 0);
	unet_port_init(&f->cap.port, &capture_ops, "cap");
	assert_int_equal(unet_hub_attach(f->hub, &f->cap.port), 0);
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
	free(f);
	return 0;
}

static uint32_t ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static struct unet_fwd fwd_make(int proto, const char *host, uint16_t hport,
				const char *guest, uint16_t gport)
{
	struct unet_fwd fwd;

	memset(&fwd, 0, sizeof(fwd));
	fwd.proto = proto;
	fwd.host_addr.s_addr = ip(host);
	fwd.host_port = htons(hport);
	fwd.guest_addr.s_addr = ip(guest);
	fwd.guest_port = htons(gport);
	return fwd;
}

static void deadline_cb(uv_timer_t *t)
{
	*(bool *)t->data = true;
}

/* Runs the loop until @done(@arg) or the deadline; returns @done's answer. */
static bool run_until(struct fixture *f, bool (*done)(void *arg), void *arg)
{
	uv_timer_t timer;
	bool expired = false;

	uv_timer_init(&f->loop, &timer);
	timer.data = &expired;
	uv_timer_start(&timer, deadline_cb, DEADLINE_MS, 0);
	while (!done(arg) && !expired)
		uv_run(&f->loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&timer, NULL);
	uv_run(&f->loop, UV_RUN_NOWAIT);
	return done(arg);
}

/* Closes a handle of the test's stack frame before the frame is gone. */
static void close_now(struct fixture *f, uv_handle_t *handle)
{
	uv_close(handle, NULL);
	uv_run(&f->loop, UV_RUN_NOWAIT);
}

static uint16_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static uint16_t csum(const uint8_t *p, size_t len)
{
	return (uint16_t)~csum_add(0, p, len);
}

static size_t arp_request(uint8_t *buf, uint32_t spa, uint32_t tpa)
{
	memcpy(buf, bcast, 6);
	memcpy(buf + 6, guest_mac, 6);
	buf[12] = 0x08;
	buf[13] = 0x06;
	buf[14] = 0; buf[15] = 1;	/* Ethernet */
	buf[16] = 0x08; buf[17] = 0;	/* IPv4 */
	buf[18] = 6; buf[19] = 4;
	buf[20] = 0; buf[21] = 1;	/* request */
	memcpy(buf + 22, guest_mac, 6);
	memcpy(buf + 28, &spa, 4);
	memset(buf + 32, 0, 6);
	memcpy(buf + 38, &tpa, 4);
	memset(buf + 42, 0, 18);
	return 60;
}

/* A UDP datagram from the guest, checksums and all. */
static size_t udp_frame(uint8_t *buf, uint32_t src, uint16_t sport,
			uint32_t dst, uint16_t dport, const void *data,
			size_t len)
{
	uint8_t *iph = buf + 14, *udp = buf + 34, pseudo[12];
	size_t iplen = 20 + 8 + len;
	uint16_t c;

	memcpy(buf, gw_mac, 6);
	memcpy(buf + 6, guest_mac, 6);
	buf[12] = 0x08;
	buf[13] = 0x00;
	memset(iph, 0, 20);
	iph[0] = 0x45;
	iph[2] = (uint8_t)(iplen >> 8);
	iph[3] = (uint8_t)iplen;
	iph[8] = 64;
	iph[9] = 17;
	memcpy(iph + 12, &src, 4);
	memcpy(iph + 16, &dst, 4);
	c = csum(iph, 20);
	iph[10] = (uint8_t)(c >> 8);
	iph[11] = (uint8_t)c;
	udp[0] = (uint8_t)(sport >> 8);
	udp[1] = (uint8_t)sport;
	udp[2] = (uint8_t)(dport >> 8);
	udp[3] = (uint8_t)dport;
	udp[4] = (uint8_t)((8 + len) >> 8);
	udp[5] = (uint8_t)(8 + len);
	udp[6] = udp[7] = 0;
	memcpy(udp + 8, data, len);
	memcpy(pseudo, &src, 4);
	memcpy(pseudo + 4, &dst, 4);
	pseudo[8] = 0;
	pseudo[9] = 17;
	pseudo[10] = udp[4];
	pseudo[11] = udp[5];
	c = (uint16_t)~csum_add(csum_add(0, pseudo, 12), udp, 8 + len);
	if (c == 0)
		c = 0xffff;
	udp[6] = (uint8_t)(c >> 8);
	udp[7] = (uint8_t)c;
	return 14 + iplen;
}

/* Teaches the gateway the guest's MAC, as the guest's own ARP would. */
static void learn_guest(struct fixture *f)
{
	uint8_t buf[60];

	arp_request(buf, ip("10.0.2.15"), ip("10.0.2.2"));
	assert_int_equal(unet_hub_input(&f->cap.port, buf, 60), 0);
	f->cap.frames = 0;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/*
 * The captured IPv4 frame for the guest with protocol @proto and
 * destination port @dport, or NULL.
 */
static const uint8_t *find_ip_frame(const struct capture *c, uint8_t proto,
				    uint16_t dport, size_t *len)
{
	uint32_t g = ip("10.0.2.15");
	int i;

	for (i = 0; i < c->frames && i < CAP_FRAMES; i++) {
		const uint8_t *r = c->data[i];

		if (c->len[i] < 14 + 20 + 8 || r[12] != 0x08 || r[13] != 0 ||
		    r[23] != proto || memcmp(r + 30, &g, 4) != 0 ||
		    (r[14] & 0x0f) != 5 || be16(r + 36) != dport)
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
	assert_int_equal(list[0].host_addr.s_addr, ip("127.0.0.1"));
	assert_int_equal(ntohs(list[0].host_port), port);
	assert_int_equal(list[0].guest_addr.s_addr, ip("10.0.2.15"));
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
	uint32_t gw = ip("10.0.2.2"), g = ip("10.0.2.15");
	const uint8_t *r;
	uint8_t buf[256];
	uint16_t sport;
	size_t len, n = strlen(ask);

	f->cap.frames = 0;
	c->got = 0;
	client_send(c, host_port, ask);
	assert_true(run_until(f, frame_seen, &w));
	r = find_ip_frame(&f->cap, 17, guest_port, &len);
	assert_non_null(r);
	assert_memory_equal(r, guest_mac, 6);
	assert_memory_equal(r + 6, gw_mac, 6);
	assert_memory_equal(r + 26, &gw, 4);	/* from the gateway */
	assert_memory_equal(r + 30, &g, 4);
	assert_int_equal(csum(r + 14, 20), 0);
	sport = be16(r + 34);
	assert_true(sport >= 0xc000);		/* lwIP's ephemeral range */
	assert_int_equal(be16(r + 38), 8 + n);
	assert_true(len >= 42 + n);
	assert_memory_equal(r + 42, ask, n);

	len = udp_frame(buf, g, guest_port, gw, sport, answer, strlen(answer));
	assert_int_equal(unet_hub_input(&f->cap.port, buf, len), 0);
	assert_true(run_until(f, client_got, c));
	assert_int_equal(c->got, (ssize_t)strlen(answer));
	assert_memory_equal(c->buf, answer, strlen(answer));
	assert_int_equal(c->from.sin_addr.s_addr, ip("127.0.0.1"));
	assert_int_equal(ntohs(c->from.sin_port), host_port);
	return sport;
}

static void test_udp_end_to_end(void **state)
{
	struct fixture *f = *state;
	struct unet_proxy_stats st;
	struct flow_count fc = { 0 };
	struct unet_fwd fwd;
	struct client c;
	uint16_t sport, sport2;

	learn_guest(f);
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
	assert_int_equal(fc.last.guest_addr.s_addr, ip("10.0.2.15"));
	assert_int_equal(fc.last.guest_port, 5000);
	assert_int_equal(fc.last.remote_addr.s_addr, ip("10.0.2.2"));
	assert_int_equal(fc.last.remote_port, sport);
	assert_int_equal(fc.last.bytes_in, 10);	/* host to guest */
	assert_int_equal(fc.last.bytes_out, 9);	/* guest to host */
	unet_proxy_stats(f->proxy, &st);
	assert_int_equal(st.flows, 1);
	assert_int_equal(st.udp_opened, 1);

	/* Removing the forward closes its flows. */
	assert_int_equal(unet_proxy_fwd_remove(f->proxy, &fwd), 0);
	unet_proxy_stats(f->proxy, &st);
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
	struct unet_proxy_stats st;
	struct unet_fwd a, b;
	struct client c;
	uint16_t pa, pb;

	learn_guest(f);
	a = fwd_make(IPPROTO_UDP, "127.0.0.1", 0, "10.0.2.15", 53);
	b = fwd_make(IPPROTO_UDP, "127.0.0.1", 0, "10.0.2.15", 53);
	assert_int_equal(unet_proxy_fwd_add(f->proxy, &a), 0);
	assert_int_equal(unet_proxy_fwd_add(f->proxy, &b), 0);
	assert_int_not_equal(a.host_port, b.host_port);
	client_open(f, &c);
	pa = udp_round_trip(f, &c, ntohs(a.host_port), 53, "a", "A");
	pb = udp_round_trip(f, &c, ntohs(b.host_port), 53, "b", "B");
	assert_int_not_equal(pa, pb);
	unet_proxy_stats(f->proxy, &st);
	assert_int_equal(st.flows, 2);
	assert_int_equal(st.udp_opened, 2);
	close_now(f, (uv_handle_t *)&c.udp);
}

static bool flows_gone(void *arg)
{
	struct unet_proxy_stats st;

	unet_proxy_stats(arg, &st);
	return st.flows == 0;
}

/* An idle inbound UDP flow expires after udp_timeout_ms. */
static void test_udp_expiry(void **state)
{
	struct unet_proxy_config pc;
	struct unet_proxy_stats st;
	struct unet_fwd fwd;
	struct fixture *f;
	struct client c;

	(void)state;
	unet_proxy_config_init(&pc);
	pc.udp_timeout_ms = 100;
	f = fixture_new(&pc);
	learn_guest(f);
	fwd = fwd_make(IPPROTO_UDP, "127.0.0.1", 0, "10.0.2.15", 7);
	assert_int_equal(unet_proxy_fwd_add(f->proxy, &fwd), 0);
	client_open(f, &c);
	udp_round_trip(f, &c, ntohs(fwd.host_port), 7, "ping", "pong");
	unet_proxy_stats(f->proxy, &st);
	assert_int_equal(st.flows, 1);
	assert_true(run_until(f, flows_gone, f->proxy));
	unet_proxy_stats(f->proxy, &st);
	assert_int_equal(st.udp_expired, 1);
	/* and the forward still works: a new flow */
	udp_round_trip(f, &c, ntohs(fwd.host_port), 7, "ping", "pong");
	unet_proxy_stats(f->proxy, &st);
	assert_int_equal(st.udp_opened, 2);
	close_now(f, (uv_handle_t *)&c.udp);
	teardown((void **)&f);
}

static bool two_frames(void *arg)
{
	return ((struct capture *)arg)->frames >= 2;
}

/* Empty and large host datagrams reach the guest; the forward goes on. */
static void test_udp_odd_datagrams(void **state)
{
	struct fixture *f = *state;
	struct unet_proxy_stats st;
	struct unet_fwd fwd;
	struct client c;
	static char big[65000];
	struct sockaddr_in sa;
	uv_buf_t b;

	learn_guest(f);
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
	assert_true(run_until(f, two_frames, &f->cap));
	assert_int_equal(f->cap.len[0], 14 + 20 + 8);
	assert_int_equal(be16(f->cap.data[0] + 38), 8);
	assert_int_equal(be16(f->cap.data[1] + 16), 20 + 8 + sizeof(big));
	udp_round_trip(f, &c, ntohs(fwd.host_port), 9, "x", "y");
	unet_proxy_stats(f->proxy, &st);
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
	uint32_t gw = ip("10.0.2.2");
	struct unet_proxy_stats st;
	struct unet_fwd fwd;
	struct sockaddr_in sa;
	uv_connect_t req;
	const uint8_t *r;
	int status = 1;
	uv_tcp_t tcp;
	size_t len;

	learn_guest(f);
	fwd = fwd_make(IPPROTO_TCP, "127.0.0.1", 0, "10.0.2.15", 22);
	assert_int_equal(unet_proxy_fwd_add(f->proxy, &fwd), 0);
	uv_ip4_addr("127.0.0.1", ntohs(fwd.host_port), &sa);
	assert_int_equal(uv_tcp_init(&f->loop, &tcp), 0);
	req.data = &status;
	assert_int_equal(uv_tcp_connect(&req, &tcp,
					(const struct sockaddr *)&sa,
					connect_cb), 0);
	assert_true(run_until(f, frame_seen, &w));
	r = find_ip_frame(&f->cap, 6, 22, &len);
	assert_non_null(r);
	assert_memory_equal(r + 26, &gw, 4);
	assert_int_equal(r[47] & 0x12, 0x02);	/* SYN, no ACK */
	unet_proxy_stats(f->proxy, &st);
	assert_int_equal(st.tcp_opened, 1);
	assert_int_equal(st.flows, 1);

	/* Removing the forward leaves the connection's flow alone. */
	assert_int_equal(unet_proxy_fwd_remove(f->proxy, &fwd), 0);
	unet_proxy_stats(f->proxy, &st);
	assert_int_equal(st.flows, 1);
	close_now(f, (uv_handle_t *)&tcp);
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
