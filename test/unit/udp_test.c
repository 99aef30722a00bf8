/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the proxy's UDP. A test port on the hub plays the guest
 * (10.0.2.15, it injects frames and records what the stack sends), and a
 * real UDP echo server on 127.0.0.1 in the same loop is the host side:
 *
 *   capture port (guest) --- hub --- stack + proxy --- host socket
 *     10.0.2.15:4000x                  10.0.2.2:P  ==> 127.0.0.1:P (echo)
 *
 * Covered: the round trip and its checksums, one flow per guest port,
 * replies from other host ports, loopback=off and restrict, 60000-byte and
 * 65507-byte (the largest) datagrams both ways as IP fragments at MTU 1500,
 * an empty datagram, idle expiry with a lazily re-armed timer, the flow
 * limit, malformed datagrams, a closed host port, and what is left to lwIP
 * (broadcast, multicast, the DNS alias). Not covered here: a gateway
 * port where an lwIP UDP pcb is bound (DHCP) is left to lwIP; that needs a
 * pcb, which public headers cannot make (the DHCP server's tests cover it).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <usernet/hub.h>
#include <usernet/proxy.h>
#include <usernet/stack.h>

#include "testnet.h"

#define CAP_MAX 128
#define ECHO_BUF 65536


struct fixture {
	uv_loop_t loop;
	struct unet_hub *hub;
	struct unet_stack *stack;
	struct unet_proxy *proxy;
	struct tn_capture cap;
	uv_udp_t echo;
	uint16_t echo_port;
	int echo_count;
	size_t echo_len;
	struct sockaddr_in echo_from;
	uint8_t echo_buf[ECHO_BUF];
	uint16_t ip_id;
	uv_udp_t echo6;
	uint16_t echo6_port;
	bool has_echo6;
};

/* Builds a UDP frame; returns its length. */
static size_t udp_frame(struct fixture *f, uint8_t *buf, const uint8_t *dmac,
			uint32_t src, uint16_t sport, uint32_t dst,
			uint16_t dport, const void *data, size_t len)
{
	uint8_t *u = buf + 34;

	f->ip_id++;
	tn_ip_header(buf, dmac, src, dst, 17, 20 + 8 + len, f->ip_id, 0);
	tn_put16(u, sport);
	tn_put16(u + 2, dport);
	tn_put16(u + 4, (uint16_t)(8 + len));
	tn_put16(u + 6, 0);
	memcpy(u + 8, data, len);
	tn_put16(u + 6, tn_l4_csum(src, dst, 17, u, 8 + len));
	return 34 + 8 + len;
}

static void send_udp(struct fixture *f, uint32_t src, uint16_t sport,
		     uint32_t dst, uint16_t dport, const void *data,
		     size_t len)
{
	uint8_t buf[2048];
	size_t n;

	assert_true(len <= sizeof(buf) - 42);
	n = udp_frame(f, buf, tn_gw_mac, src, sport, dst, dport, data, len);
	assert_int_equal(unet_hub_input(&f->cap.port, buf, n), 0);
}

static void echo_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
	struct fixture *f = handle->data;

	*buf = uv_buf_init((char *)f->echo_buf, sizeof(f->echo_buf));
}

static void echo_recv(uv_udp_t *sock, ssize_t nread, const uv_buf_t *buf,
		      const struct sockaddr *addr, unsigned int flags)
{
	struct fixture *f = sock->data;
	uv_buf_t b;

	if (nread < 0 || addr == NULL)
		return;
	f->echo_count++;
	f->echo_len = (size_t)nread;
	memcpy(&f->echo_from, addr, sizeof(f->echo_from));
	b = uv_buf_init(buf->base, (unsigned int)nread);
	assert_int_equal(uv_udp_try_send(sock, &b, 1, addr), (int)nread);
}

/* Makes the hub (MTU @mtu, 0 for the default), stack, proxy, echo server. */
static void start(struct fixture *f, unsigned int mtu,
		  const struct unet_proxy_config *pcfg)
{
	struct unet_hub_config hc;

	unet_hub_config_init(&hc);
	if (mtu != 0)
		hc.mtu = mtu;
	assert_int_equal(unet_hub_new(&f->loop, &hc, &f->hub), 0);
	tn_capture_init(&f->cap, tn_keep_ipv4, CAP_MAX);
	tn_capture_attach(&f->cap, f->hub);
	assert_int_equal(unet_stack_new(f->hub, "user", NULL, &f->stack), 0);
	assert_int_equal(unet_proxy_new(f->stack, pcfg, &f->proxy), 0);

	f->echo_port = tn_udp_loopback(&f->loop, &f->echo, f);
	assert_int_equal(uv_udp_recv_start(&f->echo, echo_alloc, echo_recv), 0);

	/* Teach the gateway the guest's MAC, as the guest's own ARP would. */
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

	/* The proxy goes first, then the stack (a port of the hub). */
	unet_proxy_close(f->proxy);
	unet_hub_close(f->hub);
	uv_close((uv_handle_t *)&f->echo, NULL);
	if (f->has_echo6)
		uv_close((uv_handle_t *)&f->echo6, NULL);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	tn_capture_reset(&f->cap);
	free(f);
	return 0;
}

/*
 * Checks that captured frame @i is UDP from @src:@sport to the guest's
 * 10.0.2.15:@dport with valid checksums; returns its payload and length.
 */
static const uint8_t *assert_udp_to_guest(struct fixture *f, int i,
					  uint32_t src, uint16_t sport,
					  uint16_t dport, size_t *len)
{
	const uint8_t *r = f->cap.data[i], *u = r + 34;
	uint32_t g = tn_ip("10.0.2.15");
	size_t iplen, ulen;

	assert_true(i < f->cap.frames);
	assert_true(f->cap.len[i] >= 42);
	assert_memory_equal(r, tn_guest_mac, 6);
	assert_memory_equal(r + 6, tn_gw_mac, 6);
	assert_int_equal(r[14], 0x45);
	assert_int_equal(r[23], 17);
	assert_memory_equal(r + 26, &src, 4);
	assert_memory_equal(r + 30, &g, 4);
	assert_int_equal(tn_csum(r + 14, 20), 0);
	iplen = tn_get16(r + 16);
	assert_true(14 + iplen <= f->cap.len[i]);
	assert_int_equal(tn_get16(r + 20) & 0x3fff, 0); /* not a fragment */
	ulen = tn_get16(u + 4);
	assert_int_equal(ulen, iplen - 20);
	assert_int_equal(tn_get16(u), sport);
	assert_int_equal(tn_get16(u + 2), dport);
	assert_int_not_equal(tn_get16(u + 6), 0);
	assert_int_equal(tn_l4_csum(src, g, 17, u, ulen), 0);
	*len = ulen - 8;
	return u + 8;
}

static bool echo_and_reply(void *arg)
{
	struct fixture *f = arg;
	return f->echo_count >= 1 && f->cap.frames >= 1;
}

static bool echo_two_replies(void *arg)
{
	struct fixture *f = arg;
	return f->echo_count >= 2 && f->cap.frames >= 2;
}

static void test_udp_echo_loopback(void **state)
{
	struct fixture *f = *state;
	struct unet_flow_info info;
	struct sockaddr_in other_sa, flow_sa;
	uint32_t gw = tn_ip("10.0.2.2"), g = tn_ip("10.0.2.15");
	const uint8_t *data;
	uv_udp_t other;
	uv_buf_t b;
	size_t len;
	int slen = sizeof(other_sa);

	start(f, 0, NULL);
	send_udp(f, g, 40000, gw, f->echo_port, "hello", 5);
	assert_true(tn_run_until(&f->loop, echo_and_reply, f, 5000));

	/* The host saw it from its loopback, the guest the reply from .2 */
	assert_int_equal(f->echo_count, 1);
	assert_int_equal(f->echo_len, 5);
	assert_memory_equal(f->echo_buf, "hello", 5);
	assert_int_equal(f->echo_from.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	assert_int_equal(f->cap.frames, 1);
	data = assert_udp_to_guest(f, 0, gw, f->echo_port, 40000, &len);
	assert_int_equal(len, 5);
	assert_memory_equal(data, "hello", 5);

	assert_int_equal(tn_proxy_flows(f->proxy, &info), 1);
	assert_int_equal(info.proto, IPPROTO_UDP);
	assert_int_equal(info.state, UNET_FLOW_ACTIVE);
	assert_int_equal(info.guest_addr.s_addr, g);
	assert_int_equal(info.guest_port, 40000);
	assert_int_equal(info.bytes_out, 5);
	assert_int_equal(info.bytes_in, 5);
	assert_int_equal(tn_proxy_stats(f->proxy).udp_opened, 1);

	/* The same guest port uses the same flow and host socket. */
	flow_sa = f->echo_from;
	send_udp(f, g, 40000, gw, f->echo_port, "again!", 6);
	assert_true(tn_run_until(&f->loop, echo_two_replies, f, 5000));
	assert_int_equal(f->echo_from.sin_port, flow_sa.sin_port);
	assert_int_equal(tn_proxy_stats(f->proxy).udp_opened, 1);
	assert_int_equal(tn_proxy_flows(f->proxy, &info), 1);
	assert_int_equal(info.bytes_out, 11);

	/* Another host port reaches the guest port through the same socket. */
	tn_capture_reset(&f->cap);
	uv_udp_init(&f->loop, &other);
	uv_ip4_addr("127.0.0.1", 0, &other_sa);
	assert_int_equal(uv_udp_bind(&other, (struct sockaddr *)&other_sa, 0),
			 0);
	assert_int_equal(uv_udp_getsockname(&other,
					    (struct sockaddr *)&other_sa,
					    &slen), 0);
	b = uv_buf_init("unasked", 7);
	assert_int_equal(uv_udp_try_send(&other, &b, 1,
					 (struct sockaddr *)&flow_sa), 7);
	assert_true(tn_run_until(&f->loop, echo_and_reply, f, 5000));
	data = assert_udp_to_guest(f, 0, gw, ntohs(other_sa.sin_port), 40000,
				   &len);
	assert_int_equal(len, 7);
	assert_memory_equal(data, "unasked", 7);
	uv_close((uv_handle_t *)&other, NULL);

	/* A second guest port is a second flow. */
	send_udp(f, g, 40001, gw, f->echo_port, "x", 1);
	tn_run_until(&f->loop, echo_two_replies, f, 5000);
	assert_int_equal(tn_proxy_flows(f->proxy, NULL), 2);
	assert_int_equal(tn_proxy_stats(f->proxy).udp_opened, 2);
	assert_int_equal(tn_proxy_stats(f->proxy).dropped, 0);
}

/* No checksum (0) is accepted; a UDP length short of the IP payload wins. */
static void test_udp_no_checksum_and_padding(void **state)
{
	struct fixture *f = *state;
	uint32_t gw = tn_ip("10.0.2.2"), g = tn_ip("10.0.2.15");
	uint8_t buf[128];
	size_t n;

	start(f, 0, NULL);
	n = udp_frame(f, buf, tn_gw_mac, g, 40000, gw, f->echo_port, "abcdef", 6);
	tn_put16(buf + 34 + 6, 0);
	unet_hub_input(&f->cap.port, buf, n);
	assert_true(tn_run_until(&f->loop, echo_and_reply, f, 5000));
	assert_int_equal(f->echo_len, 6);

	/* UDP length 8 + 3 inside 8 + 6 bytes of IP payload: 3 bytes go. */
	n = udp_frame(f, buf, tn_gw_mac, g, 40000, gw, f->echo_port, "abcdef", 6);
	tn_put16(buf + 34 + 4, 11);
	tn_put16(buf + 34 + 6, 0);
	tn_put16(buf + 34 + 6, tn_l4_csum(g, gw, 17, buf + 34, 11));
	unet_hub_input(&f->cap.port, buf, n);
	assert_true(tn_run_until(&f->loop, echo_two_replies, f, 5000));
	assert_int_equal(f->echo_len, 3);
	assert_memory_equal(f->echo_buf, "abc", 3);
	assert_int_equal(tn_proxy_stats(f->proxy).dropped, 0);
}

static void test_udp_loopback_off(void **state)
{
	struct fixture *f = *state;
	struct unet_proxy_config pc;

	unet_proxy_config_init(&pc);
	pc.loopback = false;
	start(f, 0, &pc);
	send_udp(f, tn_ip("10.0.2.15"), 40000, tn_ip("10.0.2.2"), f->echo_port,
		 "hello", 5);
	tn_run_for(&f->loop, 100);
	assert_int_equal(f->echo_count, 0);
	assert_int_equal(f->cap.frames, 0);
	assert_int_equal(tn_proxy_flows(f->proxy, NULL), 0);
	assert_int_equal(tn_proxy_stats(f->proxy).refused_policy, 1);
	assert_int_equal(tn_proxy_stats(f->proxy).udp_opened, 0);
}

static void test_udp_restrict(void **state)
{
	struct fixture *f = *state;
	struct unet_proxy_config pc;

	unet_proxy_config_init(&pc);
	pc.restrict_guest = true;
	start(f, 0, &pc);
	send_udp(f, tn_ip("10.0.2.15"), 40000, tn_ip("10.0.2.2"), f->echo_port,
		 "hello", 5);
	send_udp(f, tn_ip("10.0.2.15"), 40000, tn_ip("192.0.2.77"), 9, "hello", 5);
	tn_run_for(&f->loop, 100);
	assert_int_equal(f->echo_count, 0);
	assert_int_equal(tn_proxy_flows(f->proxy, NULL), 0);
	assert_int_equal(tn_proxy_stats(f->proxy).refused_policy, 2);
	assert_int_equal(tn_proxy_stats(f->proxy).udp_opened, 0);
}

/* The last frame the guest got is an ICMP admin prohibited from @from. */
static void assert_admin_prohibited(struct fixture *f, uint32_t from)
{
	const uint8_t *d;

	assert_true(f->cap.frames >= 1);
	d = f->cap.data[f->cap.frames - 1];
	assert_int_equal(d[14 + 9], 1);
	assert_int_equal(tn_get32(d + 14 + 12), ntohl(from));
	assert_int_equal(d[34], 3);
	assert_int_equal(d[35], 13);
}

/*
 * The egress policy: the gateway's address is the host's loopback to the
 * rules (allowed, echoed); a denied datagram gets an ICMP admin prohibited
 * from its destination and opens nothing; the counters say so.
 */
static void test_udp_policy(void **state)
{
	static const char text[] = "allow udp to 127.0.0.1\ndefault deny\n";
	struct unet_policy_stats ps = { .size = sizeof(ps) };
	struct fixture *f = *state;
	struct unet_proxy_config pc;
	struct unet_policy *pol;
	uint64_t hits[2] = { 0 };

	assert_int_equal(unet_policy_parse(text, sizeof(text) - 1, NULL, &pol,
					   NULL, 0),
			 0);
	unet_proxy_config_init(&pc);
	pc.policy = pol;
	start(f, 0, &pc);
	unet_policy_free(pol); /* the proxy keeps a copy */
	send_udp(f, tn_ip("10.0.2.15"), 40000, tn_ip("10.0.2.2"), f->echo_port,
		 "hello", 5);
	assert_true(tn_run_until(&f->loop, echo_and_reply, f, 5000));
	f->cap.frames = 0;
	send_udp(f, tn_ip("10.0.2.15"), 40001, tn_ip("192.0.2.77"), 9, "no", 2);
	tn_run_for(&f->loop, 50);
	assert_int_equal(f->cap.frames, 1);
	assert_admin_prohibited(f, tn_ip("192.0.2.77"));
	assert_int_equal(tn_proxy_stats(f->proxy).refused_policy, 1);
	assert_int_equal(tn_proxy_stats(f->proxy).udp_opened, 1);
	assert_int_equal(unet_proxy_policy_stats(f->proxy, &ps, hits, 2), 1);
	assert_int_equal(hits[0], 1);
	assert_int_equal(hits[1], 0); /* past the rules: not written */
	assert_int_equal(ps.allowed, 1);
	assert_int_equal(ps.denied, 1);
	assert_int_equal(ps.default_hits, 1);
	assert_int_equal(ps.rules, 1);
}

/* An embedder's callback: it sees the host-side destination and decides. */
static int udp_decide(void *opaque, const struct unet_flow_desc *d)
{
	struct fixture *f = opaque;

	assert_int_equal(d->proto, IPPROTO_UDP);
	assert_int_equal(d->family, AF_INET);
	assert_int_equal(d->guest.s_addr, tn_ip("10.0.2.15"));
	if (d->dst.s_addr == htonl(INADDR_LOOPBACK) &&
	    d->port == f->echo_port && d->guest_port == 40000)
		return UNET_POLICY_DENY;
	return UNET_POLICY_PASS;
}

static void test_udp_policy_callback(void **state)
{
	struct unet_policy_stats ps = { .size = sizeof(ps) };
	struct fixture *f = *state;
	struct unet_proxy_config pc;

	unet_proxy_config_init(&pc);
	pc.decide = udp_decide;
	pc.decide_opaque = f;
	start(f, 0, &pc);
	send_udp(f, tn_ip("10.0.2.15"), 40000, tn_ip("10.0.2.2"), f->echo_port,
		 "hello", 5);
	tn_run_for(&f->loop, 50);
	assert_int_equal(f->echo_count, 0);
	assert_admin_prohibited(f, tn_ip("10.0.2.2"));
	/* Passed by the callback, no rules: allowed. */
	send_udp(f, tn_ip("10.0.2.15"), 40001, tn_ip("10.0.2.2"), f->echo_port,
		 "hello", 5);
	assert_true(tn_run_until(&f->loop, echo_and_reply, f, 5000));
	assert_int_equal(unet_proxy_policy_stats(f->proxy, &ps, NULL, 0), 0);
	assert_int_equal(ps.callback_denied, 1);
	assert_int_equal(ps.callback_allowed, 0);
	assert_int_equal(ps.denied, 1);
	assert_int_equal(ps.allowed, 1);
}

static bool big_done(void *arg)
{
	struct fixture *f = arg;
	int i;

	if (f->echo_count < 1)
		return false;
	/* the last fragment of the reply: no MF */
	for (i = 0; i < f->cap.frames && i < CAP_MAX; i++)
		if (f->cap.len[i] >= 34 && f->cap.data[i][23] == 17 &&
		    (tn_get16(f->cap.data[i] + 20) & 0x2000) == 0)
			return true;
	return false;
}

/* A @big-byte datagram both ways as fragments at MTU 1500. */
static void big_roundtrip(struct fixture *f, size_t big)
{
	uint32_t gw = tn_ip("10.0.2.2"), g = tn_ip("10.0.2.15");
	uint8_t *dgram, *back, frame[1600];
	size_t total = 8 + big, off, chunk, end, got = 0, n;
	uint16_t id = 0;
	int i, nfrag = 0;

	dgram = malloc(total);
	back = calloc(1, total);
	assert_non_null(dgram);
	assert_non_null(back);
	for (off = 0; off < big; off++)
		dgram[8 + off] = (uint8_t)(off * 7 + off / 251);
	tn_put16(dgram, 40000);
	tn_put16(dgram + 2, f->echo_port);
	tn_put16(dgram + 4, (uint16_t)total);
	tn_put16(dgram + 6, 0);
	tn_put16(dgram + 6, tn_l4_csum(g, gw, 17, dgram, total));

	/* The guest fragments it at MTU 1500: 1480 bytes of data each. */
	f->ip_id = 0x4242;
	for (off = 0; off < total; off += chunk) {
		chunk = total - off > 1480 ? 1480 : total - off;
		n = tn_ip_header(frame, tn_gw_mac, g, gw, 17, 20 + chunk,
				 f->ip_id,
				 (uint16_t)((off + chunk < total ? 0x2000 : 0) |
					    off / 8));
		memcpy(frame + n, dgram + off, chunk);
		assert_int_equal(unet_hub_input(&f->cap.port, frame, n + chunk),
				 0);
	}
	assert_true(tn_run_until(&f->loop, big_done, f, 5000));
	assert_int_equal(f->echo_count, 1);
	assert_int_equal(f->echo_len, big);
	assert_memory_equal(f->echo_buf, dgram + 8, big);

	/* The reply comes back fragmented to the MTU; put it together. */
	assert_true(f->cap.frames <= CAP_MAX);
	for (i = 0; i < f->cap.frames; i++) {
		const uint8_t *r = f->cap.data[i];
		uint16_t frag;
		size_t iplen;

		if (f->cap.len[i] < 34 || r[23] != 17)
			continue;
		assert_true(f->cap.len[i] <= 1514);
		assert_int_equal(tn_csum(r + 14, 20), 0);
		assert_memory_equal(r + 26, &gw, 4);
		iplen = tn_get16(r + 16);
		assert_true(iplen > 20 && 14 + iplen <= f->cap.len[i]);
		frag = tn_get16(r + 20);
		if (nfrag == 0)
			id = tn_get16(r + 18);
		assert_int_equal(tn_get16(r + 18), id);
		off = (size_t)(frag & 0x1fff) * 8;
		end = off + iplen - 20;
		assert_true(end <= total);
		/* every fragment but the last carries MF and a multiple of 8 */
		if (end < total) {
			assert_true(frag & 0x2000);
			assert_int_equal((iplen - 20) % 8, 0);
		} else {
			assert_false(frag & 0x2000);
		}
		assert_int_equal(off, got); /* in order, no gap, no overlap */
		memcpy(back + off, r + 34, iplen - 20);
		got = end;
		nfrag++;
	}
	assert_int_equal(got, total);
	assert_int_equal(nfrag, (int)((total + 1479) / 1480));
	assert_int_equal(tn_get16(back), f->echo_port);
	assert_int_equal(tn_get16(back + 2), 40000);
	assert_int_equal(tn_get16(back + 4), total);
	assert_int_equal(tn_l4_csum(gw, g, 17, back, total), 0);
	assert_memory_equal(back + 8, dgram + 8, big);
	free(dgram);
	free(back);
}

static void test_udp_fragments(void **state)
{
	struct fixture *f = *state;

	start(f, 1500, NULL);
	big_roundtrip(f, 60000);
}

/* The largest UDP payload IPv4 carries: the IP datagram is 65535 bytes. */
static void test_udp_largest(void **state)
{
	struct fixture *f = *state;

	start(f, 1500, NULL);
	big_roundtrip(f, 65507);
}

static void test_udp_empty(void **state)
{
	struct fixture *f = *state;
	size_t len;

	start(f, 0, NULL);
	send_udp(f, tn_ip("10.0.2.15"), 40000, tn_ip("10.0.2.2"), f->echo_port,
		 "", 0);
	assert_true(tn_run_until(&f->loop, echo_and_reply, f, 5000));
	assert_int_equal(f->echo_len, 0);
	assert_udp_to_guest(f, 0, tn_ip("10.0.2.2"), f->echo_port, 40000, &len);
	assert_int_equal(len, 0);
}

static bool no_flows(void *arg)
{
	struct fixture *f = arg;
	return tn_proxy_flows(f->proxy, NULL) == 0;
}

static void test_udp_idle_expiry(void **state)
{
	struct fixture *f = *state;
	struct unet_proxy_config pc;
	uint32_t gw = tn_ip("10.0.2.2"), g = tn_ip("10.0.2.15");
	uint64_t t0, t1, now;

	unet_proxy_config_init(&pc);
	pc.udp_timeout_ms = 200;
	start(f, 0, &pc);
	t0 = uv_hrtime();
	send_udp(f, g, 40000, gw, f->echo_port, "one", 3);
	assert_true(tn_run_until(&f->loop, echo_and_reply, f, 5000));
	tn_run_for(&f->loop, 120);

	/*
	 * Traffic at ~120 ms: the timer that fires at ~200 ms finds the flow
	 * busy and re-arms. Checked only while the flow is provably younger
	 * than the timeout, so a slow machine cannot make this fail.
	 */
	t1 = uv_hrtime();
	send_udp(f, g, 40000, gw, f->echo_port, "two", 3);
	assert_true(tn_run_until(&f->loop, echo_two_replies, f, 5000));
	now = (uv_hrtime() - t0) / 1000000u;
	if (now < 260)
		tn_run_for(&f->loop, (unsigned int)(260 - now));
	now = uv_hrtime();
	if ((now - t0) / 1000000u >= 200 && (now - t1) / 1000000u < 200) {
		assert_int_equal(tn_proxy_flows(f->proxy, NULL), 1);
		assert_int_equal(tn_proxy_stats(f->proxy).udp_expired, 0);
	} else {
		print_message("machine too slow to check the re-arm\n");
	}

	assert_true(tn_run_until(&f->loop, no_flows, f, 5000));
	assert_true((uv_hrtime() - t1) / 1000000u >= 200);
	assert_int_equal(tn_proxy_stats(f->proxy).udp_expired, 1);
	assert_int_equal(tn_proxy_stats(f->proxy).flows, 0);

	/* The guest port gets a new flow afterwards. */
	send_udp(f, g, 40000, gw, f->echo_port, "three", 5);
	assert_int_equal(tn_proxy_flows(f->proxy, NULL), 1);
	assert_int_equal(tn_proxy_stats(f->proxy).udp_opened, 2);
}

static bool two_echoes(void *arg)
{
	struct fixture *f = arg;
	return f->echo_count >= 2;
}

static void test_udp_flow_limit(void **state)
{
	struct fixture *f = *state;
	struct unet_proxy_config pc;
	uint32_t gw = tn_ip("10.0.2.2"), g = tn_ip("10.0.2.15");

	unet_proxy_config_init(&pc);
	pc.max_flows = 2;
	start(f, 0, &pc);
	send_udp(f, g, 40001, gw, f->echo_port, "a", 1);
	send_udp(f, g, 40002, gw, f->echo_port, "b", 1);
	send_udp(f, g, 40003, gw, f->echo_port, "c", 1);
	assert_true(tn_run_until(&f->loop, two_echoes, f, 5000));
	tn_run_for(&f->loop, 50);
	assert_int_equal(f->echo_count, 2);
	assert_int_equal(tn_proxy_flows(f->proxy, NULL), 2);
	assert_int_equal(tn_proxy_stats(f->proxy).refused_limit, 1);
	assert_int_equal(tn_proxy_stats(f->proxy).udp_opened, 2);
	/* the flows that exist go on */
	send_udp(f, g, 40001, gw, f->echo_port, "d", 1);
	assert_int_equal(tn_proxy_stats(f->proxy).refused_limit, 1);
}

static bool one_echo(void *arg)
{
	struct fixture *f = arg;
	return f->echo_count >= 1;
}

/* Malformed datagrams: each dropped and counted, no flow made. */
static void test_udp_malformed(void **state)
{
	struct fixture *f = *state;
	uint32_t gw = tn_ip("10.0.2.2"), g = tn_ip("10.0.2.15");
	static const struct {
		const char *what;
		int field;	/* byte offset in the UDP header, or -1 */
		int value;
		size_t iplen;	/* IP total length, 0: as built */
	} rows[] = {
		{ "UDP length beyond the packet", 4, 8 + 16 + 1, 0 },
		{ "UDP length 65535", 4, 65535, 0 },
		{ "UDP length below the header", 4, 7, 0 },
		{ "UDP length 0", 4, 0, 0 },
		{ "bad checksum", 6, 0x1234, 0 },
		{ "UDP header cut short", -1, 0, 20 + 4 },
		{ "no UDP header", -1, 0, 20 },
	};
	uint8_t buf[128];
	size_t i, n;

	start(f, 0, NULL);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		n = udp_frame(f, buf, tn_gw_mac, g, 40000, gw, f->echo_port,
			      "0123456789abcdef", 16);
		if (rows[i].field >= 0)
			tn_put16(buf + 34 + rows[i].field,
			      (uint16_t)rows[i].value);
		if (rows[i].iplen != 0) {
			tn_put16(buf + 16, (uint16_t)rows[i].iplen);
			tn_put16(buf + 24, 0);
			tn_put16(buf + 24, tn_csum(buf + 14, 20));
			n = 14 + rows[i].iplen;
		}
		assert_int_equal(unet_hub_input(&f->cap.port, buf, n), 0);
		print_message("%s\n", rows[i].what);
		assert_int_equal(tn_proxy_stats(f->proxy).dropped, i + 1);
		assert_int_equal(tn_proxy_flows(f->proxy, NULL), 0);
	}
	tn_run_for(&f->loop, 50);
	assert_int_equal(f->echo_count, 0);
	assert_int_equal(f->cap.frames, 0);
	assert_int_equal(tn_proxy_stats(f->proxy).udp_opened, 0);

	/* and a good one still goes through */
	send_udp(f, g, 40000, gw, f->echo_port, "ok", 2);
	assert_true(tn_run_until(&f->loop, one_echo, f, 5000));
	assert_int_equal(tn_proxy_flows(f->proxy, NULL), 1);
}

/* Broadcast, multicast and the gateway's DNS alias are lwIP's, not ours. */
static void test_udp_left_to_lwip(void **state)
{
	static const uint8_t mcast_mac[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00,
					      0xfb };
	struct fixture *f = *state;
	uint32_t g = tn_ip("10.0.2.15");
	uint8_t buf[128];
	size_t n;

	start(f, 0, NULL);
	n = udp_frame(f, buf, tn_bcast, g, 40000, tn_ip("255.255.255.255"),
		      f->echo_port, "b", 1);
	unet_hub_input(&f->cap.port, buf, n);
	n = udp_frame(f, buf, tn_bcast, g, 40000, tn_ip("10.0.2.255"), f->echo_port,
		      "b", 1);
	unet_hub_input(&f->cap.port, buf, n);
	n = udp_frame(f, buf, mcast_mac, g, 40000, tn_ip("224.0.0.251"),
		      f->echo_port, "m", 1);
	unet_hub_input(&f->cap.port, buf, n);
	send_udp(f, g, 40000, tn_ip("10.0.2.3"), f->echo_port, "d", 1);
	send_udp(f, g, 40000, tn_ip("10.0.2.9"), f->echo_port, "o", 1);
	tn_run_for(&f->loop, 50);
	assert_int_equal(f->echo_count, 0);
	assert_int_equal(tn_proxy_flows(f->proxy, NULL), 0);
	assert_int_equal(tn_proxy_stats(f->proxy).udp_opened, 0);
	assert_int_equal(tn_proxy_stats(f->proxy).dropped, 0);
}

/* Sending to a closed host port does not hurt the flow. */
static void test_udp_closed_port(void **state)
{
	struct fixture *f = *state;
	uint32_t gw = tn_ip("10.0.2.2"), g = tn_ip("10.0.2.15");
	struct sockaddr_in sa;
	uv_udp_t tmp;
	uint16_t closed;
	int len = sizeof(sa);
	int i;

	start(f, 0, NULL);
	/* a port that was free a moment ago */
	uv_udp_init(&f->loop, &tmp);
	uv_ip4_addr("127.0.0.1", 0, &sa);
	assert_int_equal(uv_udp_bind(&tmp, (struct sockaddr *)&sa, 0), 0);
	assert_int_equal(uv_udp_getsockname(&tmp, (struct sockaddr *)&sa,
					    &len), 0);
	closed = ntohs(sa.sin_port);
	uv_close((uv_handle_t *)&tmp, NULL);
	tn_run_for(&f->loop, 1);

	for (i = 0; i < 3; i++)
		send_udp(f, g, 40000, gw, closed, "nobody", 6);
	tn_run_for(&f->loop, 50);
	send_udp(f, g, 40000, gw, f->echo_port, "still", 5);
	assert_true(tn_run_until(&f->loop, echo_and_reply, f, 5000));
	assert_int_equal(tn_proxy_flows(f->proxy, NULL), 1);
	assert_int_equal(tn_proxy_stats(f->proxy).udp_opened, 1);
}

/* ---- IPv6 ---------------------------------------------------------------- */

/*
 * start() for the guest's IPv6: an echo server on [::1] too, the capture
 * keeping IPv6 (no ND or MLD), the gateway knowing fec0::15's MAC.
 */
static void start6(struct fixture *f, const struct unet_proxy_config *pcfg)
{
	struct sockaddr_in6 sa;
	int len = sizeof(sa);

	start(f, 0, pcfg);
	f->cap.keep = tn_keep_ipv6;
	tn_learn_guest6(&f->cap);
	uv_udp_init(&f->loop, &f->echo6);
	f->echo6.data = f;
	f->has_echo6 = true;
	uv_ip6_addr("::1", 0, &sa);
	assert_int_equal(uv_udp_bind(&f->echo6, (struct sockaddr *)&sa, 0), 0);
	uv_udp_getsockname(&f->echo6, (struct sockaddr *)&sa, &len);
	f->echo6_port = ntohs(sa.sin6_port);
	assert_int_equal(uv_udp_recv_start(&f->echo6, echo_alloc, echo_recv),
			 0);
}

static void send_udp6(struct fixture *f, const char *src, uint16_t sport,
		      const char *dst, uint16_t dport, const void *data,
		      size_t len)
{
	uint8_t buf[2048], s6[16], d6[16];
	size_t n;

	tn_ip6(src, s6);
	tn_ip6(dst, d6);
	n = tn_udp6_frame(buf, s6, sport, d6, dport, data, len);
	assert_int_equal(unet_hub_input(&f->cap.port, buf, n), 0);
}

/* fec0::2 reaches the host's ::1; the reply comes from fec0::2, summed. */
static void test_udp6_echo_loopback(void **state)
{
	struct fixture *f = *state;
	struct unet_flow_info info;
	uint8_t g[16], gw[16];
	const uint8_t *r;

	start6(f, NULL);
	tn_ip6("fec0::15", g);
	tn_ip6("fec0::2", gw);
	send_udp6(f, "fec0::15", 40000, "fec0::2", f->echo6_port, "hello6", 6);
	assert_true(tn_run_until(&f->loop, echo_and_reply, f, 5000));
	assert_int_equal(f->echo_count, 1);
	assert_int_equal(f->echo_len, 6);
	assert_int_equal(f->echo_from.sin_family, AF_INET6);
	assert_int_equal(f->cap.frames, 1);
	r = f->cap.data[0];
	assert_int_equal(f->cap.len[0], 54 + 8 + 6);
	assert_int_equal(r[20], 17);
	assert_memory_equal(r + 22, gw, 16);
	assert_memory_equal(r + 38, g, 16);
	assert_int_equal(tn_get16(r + 54), f->echo6_port);
	assert_int_equal(tn_get16(r + 56), 40000);
	assert_int_equal(tn_get16(r + 58), 14);
	assert_int_not_equal(tn_get16(r + 60), 0);
	assert_int_equal(tn_l4_csum6(gw, g, 17, r + 54, 14), 0);
	assert_memory_equal(r + 62, "hello6", 6);
	assert_int_equal(tn_proxy_flows(f->proxy, &info), 1);
	assert_int_equal(info.family, AF_INET6);
	assert_int_equal(info.proto, IPPROTO_UDP);
	assert_memory_equal(&info.guest_addr6, g, 16);
	assert_int_equal(info.guest_port, 40000);
	assert_int_equal(tn_proxy_stats(f->proxy).udp_opened, 1);
	assert_int_equal(tn_proxy_stats(f->proxy).udp6_opened, 1);
}

/*
 * loopback=off refuses fec0::2 as for IPv4; a zero checksum is no UDP
 * datagram over IPv6 (RFC 8200 8.1).
 */
static void test_udp6_policy_and_checksum(void **state)
{
	struct fixture *f = *state;
	struct unet_proxy_config pc;
	uint8_t buf[128], s6[16], d6[16];
	size_t n;

	unet_proxy_config_init(&pc);
	pc.loopback = false;
	start6(f, &pc);
	send_udp6(f, "fec0::15", 40000, "fec0::2", f->echo6_port, "x", 1);
	tn_run_for(&f->loop, 100);
	assert_int_equal(f->echo_count, 0);
	assert_int_equal(tn_proxy_stats(f->proxy).refused_policy, 1);
	tn_ip6("fec0::15", s6);
	tn_ip6("2001:db8::77", d6);
	n = tn_udp6_frame(buf, s6, 40001, d6, 9, "x", 1);
	buf[60] = buf[61] = 0;
	unet_hub_input(&f->cap.port, buf, n);
	tn_run_for(&f->loop, 50);
	assert_int_equal(tn_proxy_stats(f->proxy).dropped, 1);
	assert_int_equal(tn_proxy_stats(f->proxy).udp_opened, 0);
}

static void test_udp6_restrict(void **state)
{
	struct fixture *f = *state;
	struct unet_proxy_config pc;

	unet_proxy_config_init(&pc);
	pc.restrict_guest = true;
	start6(f, &pc);
	send_udp6(f, "fec0::15", 40000, "fec0::2", f->echo6_port, "x", 1);
	send_udp6(f, "fec0::15", 40000, "2001:db8::77", 9, "x", 1);
	tn_run_for(&f->loop, 100);
	assert_int_equal(f->echo_count, 0);
	assert_int_equal(tn_proxy_flows(f->proxy, NULL), 0);
	assert_int_equal(tn_proxy_stats(f->proxy).refused_policy, 2);
}

/* Multicast, link-local, the prefix's own hosts, v4-mapped: not proxied. */
static void test_udp6_left_to_lwip(void **state)
{
	struct fixture *f = *state;

	start6(f, NULL);
	send_udp6(f, "fec0::15", 40000, "ff02::1", 9, "x", 1);
	send_udp6(f, "fec0::15", 40000, "fe80::2", 9, "x", 1);
	send_udp6(f, "fec0::15", 40000, "fec0::99", 9, "x", 1);
	send_udp6(f, "fec0::15", 40000, "::ffff:127.0.0.1", 9, "x", 1);
	tn_run_for(&f->loop, 50);
	assert_int_equal(tn_proxy_stats(f->proxy).udp_opened, 0);
	assert_int_equal(tn_proxy_flows(f->proxy, NULL), 0);
}

/*
 * no_ipv4 and no_ipv6 keep their family from the proxy: a datagram to the
 * gateway's address of that family (the host's loopback otherwise) opens
 * no flow.
 */
static void test_udp_family_off(void **state)
{
	struct unet_stack_config sc;
	uint8_t buf[128], s6[16], d6[16];
	struct tn_gw g;
	size_t n;
	int off;

	(void)state;
	for (off = 0; off < 2; off++) {
		unet_stack_config_init(&sc);
		sc.no_ipv4 = off == 0;
		sc.no_ipv6 = off == 1;
		tn_gw_open(&g, &sc, NULL, NULL, 16);
		tn_learn_guest6(&g.cap);
		if (off == 0) {
			n = udp_frame(&(struct fixture){ 0 }, buf, tn_gw_mac,
				      tn_ip("10.0.2.15"), 40000,
				      tn_ip("10.0.2.2"), 9, "x", 1);
		} else {
			tn_ip6("fec0::15", s6);
			tn_ip6("fec0::2", d6);
			n = tn_udp6_frame(buf, s6, 40000, d6, 9, "x", 1);
		}
		unet_hub_input(&g.cap.port, buf, n);
		tn_run_for(&g.loop, 20);
		assert_int_equal(tn_proxy_stats(g.proxy).udp_opened, 0);
		assert_int_equal(tn_proxy_flows(g.proxy, NULL), 0);
		tn_gw_close(&g);
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_udp_echo_loopback, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_udp_no_checksum_and_padding, setup, teardown),
		cmocka_unit_test_setup_teardown(test_udp_loopback_off, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_udp_policy, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_udp_policy_callback, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_udp_restrict, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_udp_fragments, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_udp_largest, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_udp_empty, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_udp_idle_expiry, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_udp_flow_limit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_udp_malformed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_udp_left_to_lwip, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_udp_closed_port, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_udp6_echo_loopback, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_udp6_policy_and_checksum,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_udp6_restrict, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_udp6_left_to_lwip, setup,
						teardown),
		cmocka_unit_test(test_udp_family_off),
	};

	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
