/* SPDX-License-Identifier: MIT */
/*
 * Scaffolding shared by the unit tests that play the guest on a hub; see
 * testnet.h. Helpers fail the running cmocka test on misuse (a bad address
 * literal, an oversized frame) rather than return errors.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testnet.h"

const uint8_t tn_gw_mac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
const uint8_t tn_guest_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0f };
const uint8_t tn_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static int capture_send(struct unet_port *port, const void *frame,
			size_t len)
{
	struct tn_capture *c = (struct tn_capture *)port;
	int i = c->frames;

	if (c->keep != NULL && !c->keep(frame, len))
		return 0;
	if (c->max_len != 0)
		assert_true(len <= c->max_len);
	if (c->snaplen != 0 && len > c->snaplen)
		len = c->snaplen;
	if (i < c->limit) {
		free(c->data[i]);
		c->data[i] = malloc(len > 0 ? len : 1);
		assert_non_null(c->data[i]);
		memcpy(c->data[i], frame, len);
		c->len[i] = len;
	}
	c->frames++;
	return 0;
}

static void capture_close(struct unet_port *port)
{
	unet_hub_detach(port);
}

static int capture_send_offload(struct unet_port *port, const void *frame,
				size_t len, const struct unet_offload *off)
{
	(void)off;
	return capture_send(port, frame, len);
}

static const struct unet_port_ops capture_ops = {
	.name = "capture",
	.send = capture_send,
	.close = capture_close,
};

/* The same, taking offloaded frames whole (their facts are not kept). */
static const struct unet_port_ops capture_offload_ops = {
	.name = "capture",
	.send = capture_send,
	.close = capture_close,
	.send_offload = capture_send_offload,
};

/**
 * tn_capture_init() - prepare a zeroed capture port
 * @c: the capture, zeroed (a calloc'ed fixture is)
 * @keep: which frames to record; NULL records all
 * @limit: how many frames' contents to keep, at most TN_CAP_MAX
 */
void tn_capture_init(struct tn_capture *c, tn_keep_fn keep, int limit)
{
	assert_true(limit > 0 && limit <= TN_CAP_MAX);
	unet_port_init(&c->port, &capture_ops, "cap");
	c->keep = keep;
	c->limit = limit;
}

/**
 * tn_capture_take_offload() - make a capture port take offloaded frames
 * @c: the capture, from tn_capture_init(), not attached yet
 * @bits: the UNET_PORT_OFFLOAD_* bits it takes whole (as a tap with a vnet
 *        header does); their frames are recorded as they come
 */
void tn_capture_take_offload(struct tn_capture *c, unsigned int bits)
{
	c->port.ops = &capture_offload_ops;
	c->port.offload = bits;
}

/**
 * tn_capture_attach() - attach a capture port to a hub
 * @c: the capture, from tn_capture_init()
 * @hub: the hub
 *
 * The hub detaches the port when it closes.
 */
void tn_capture_attach(struct tn_capture *c, struct unet_hub *hub)
{
	assert_int_equal(unet_hub_attach(hub, &c->port), 0);
}

/**
 * tn_capture_reset() - forget the recorded frames and free their copies
 * @c: the capture
 *
 * Tests call it before counting replies afresh and in their teardown.
 */
void tn_capture_reset(struct tn_capture *c)
{
	int i;

	for (i = 0; i < TN_CAP_MAX; i++) {
		free(c->data[i]);
		c->data[i] = NULL;
	}
	c->frames = 0;
}

/**
 * tn_keep_ipv4() - a capture filter that records IPv4 frames only
 * @frame: the frame
 * @len: its length
 *
 * lwIP's IPv6 traffic (MLD reports) comes and goes with timers, so tests
 * that count replies leave it out.
 *
 * Return: whether @frame is an IPv4 frame.
 */
bool tn_keep_ipv4(const uint8_t *frame, size_t len)
{
	return len >= 14 && frame[12] == 0x08 && frame[13] == 0x00;
}

/**
 * tn_keep_ipv4_arp() - a capture filter that records IPv4 and ARP frames
 * @frame: the frame
 * @len: its length
 *
 * Return: whether @frame is an IPv4 or an ARP frame.
 */
bool tn_keep_ipv4_arp(const uint8_t *frame, size_t len)
{
	return len >= 14 && frame[12] == 0x08 &&
	       (frame[13] == 0x00 || frame[13] == 0x06);
}

/**
 * tn_ip() - parse a dotted IPv4 address, failing the test if it is not one
 * @s: the address
 *
 * Return: the address in network byte order.
 */
uint32_t tn_ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

/**
 * tn_get16() - read a big-endian 16-bit field
 * @p: the field
 *
 * Return: its value.
 */
uint16_t tn_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/**
 * tn_get32() - read a big-endian 32-bit field
 * @p: the field
 *
 * Return: its value.
 */
uint32_t tn_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/**
 * tn_put16() - write a big-endian 16-bit field
 * @p: the field
 * @v: its value
 */
void tn_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/**
 * tn_put32() - write a big-endian 32-bit field
 * @p: the field
 * @v: its value
 */
void tn_put32(uint8_t *p, uint32_t v)
{
	tn_put16(p, (uint16_t)(v >> 16));
	tn_put16(p + 2, (uint16_t)v);
}

/**
 * tn_sum_add() - add bytes to a one's-complement sum, unfolded
 * @sum: the sum so far
 * @p: the bytes, read as big-endian 16-bit words (an odd last byte padded)
 * @len: how many
 *
 * Return: the new sum; fold it with tn_sum_fold().
 */
uint32_t tn_sum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

/**
 * tn_sum_fold() - fold and complement a sum from tn_sum_add()
 * @sum: the sum
 *
 * Return: the Internet checksum.
 */
uint16_t tn_sum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/**
 * tn_csum() - the Internet checksum of some bytes
 * @p: the bytes
 * @len: how many
 *
 * Return: the checksum; 0 over bytes that hold a correct one.
 */
uint16_t tn_csum(const uint8_t *p, size_t len)
{
	return tn_sum_fold(tn_sum_add(0, p, len));
}

/**
 * tn_l4_csum() - a UDP or TCP checksum, pseudo-header included
 * @src: the IPv4 source, network byte order
 * @dst: the IPv4 destination, network byte order
 * @proto: the IP protocol (17 or 6)
 * @l4: the transport header and payload
 * @len: their length
 *
 * Return: the checksum (not mapped from 0 to 0xffff); 0 when @l4 holds a
 * correct one.
 */
uint16_t tn_l4_csum(uint32_t src, uint32_t dst, uint8_t proto,
		    const uint8_t *l4, size_t len)
{
	uint8_t ph[12];

	memcpy(ph, &src, 4);
	memcpy(ph + 4, &dst, 4);
	ph[8] = 0;
	ph[9] = proto;
	tn_put16(ph + 10, (uint16_t)len);
	return tn_sum_fold(tn_sum_add(tn_sum_add(0, ph, 12), l4, len));
}

/**
 * tn_arp_request() - build an ARP request from the guest
 * @buf: room for 60 bytes
 * @dst: the destination MAC (usually tn_bcast)
 * @spa: the sender's IPv4 address, network byte order
 * @tpa: the address asked for, network byte order
 *
 * Return: the frame's length, 60 (padded to the Ethernet minimum).
 */
size_t tn_arp_request(uint8_t *buf, const uint8_t *dst, uint32_t spa,
		      uint32_t tpa)
{
	memcpy(buf, dst, 6);
	memcpy(buf + 6, tn_guest_mac, 6);
	buf[12] = 0x08;
	buf[13] = 0x06;
	buf[14] = 0; buf[15] = 1;	/* Ethernet */
	buf[16] = 0x08; buf[17] = 0;	/* IPv4 */
	buf[18] = 6; buf[19] = 4;
	buf[20] = 0; buf[21] = 1;	/* request */
	memcpy(buf + 22, tn_guest_mac, 6);
	memcpy(buf + 28, &spa, 4);
	memset(buf + 32, 0, 6);
	memcpy(buf + 38, &tpa, 4);
	memset(buf + 42, 0, 18);
	return 60;
}

/**
 * tn_learn_guest() - teach the gateway the guest's MAC
 * @c: the capture port the guest's frames come in through
 *
 * Sends the ARP request for 10.0.2.2 that the guest's own stack would send,
 * then forgets what came back (the reply), as tn_capture_reset() does.
 *
 * Return: what unet_hub_input() returned for the request.
 */
int tn_learn_guest(struct tn_capture *c)
{
	uint8_t buf[60];
	int err;

	tn_arp_request(buf, tn_bcast, tn_ip("10.0.2.15"), tn_ip("10.0.2.2"));
	err = unet_hub_input(&c->port, buf, sizeof(buf));
	tn_capture_reset(c);
	return err;
}

/**
 * tn_ip_header() - write Ethernet and IPv4 headers from the guest's MAC
 * @buf: the frame, with room for 34 bytes
 * @dmac: the destination MAC
 * @src: the IPv4 source, network byte order
 * @dst: the IPv4 destination, network byte order
 * @proto: the IP protocol
 * @iplen: the IP total length
 * @id: the IP identification
 * @frag: the flags and fragment offset field
 *
 * The header checksum is filled in; TTL is 64, there are no options.
 *
 * Return: the offset of the IP payload, 34.
 */
size_t tn_ip_header(uint8_t *buf, const uint8_t *dmac, uint32_t src,
		    uint32_t dst, uint8_t proto, size_t iplen, uint16_t id,
		    uint16_t frag)
{
	uint8_t *iph = buf + 14;

	memcpy(buf, dmac, 6);
	memcpy(buf + 6, tn_guest_mac, 6);
	buf[12] = 0x08;
	buf[13] = 0x00;
	memset(iph, 0, 20);
	iph[0] = 0x45;
	tn_put16(iph + 2, (uint16_t)iplen);
	tn_put16(iph + 4, id);
	tn_put16(iph + 6, frag);
	iph[8] = 64;
	iph[9] = proto;
	memcpy(iph + 12, &src, 4);
	memcpy(iph + 16, &dst, 4);
	tn_put16(iph + 10, tn_csum(iph, 20));
	return 34;
}

static void proxy_flow_copy(void *opaque, const struct unet_flow_info *info)
{
	memcpy(opaque, info, sizeof(*info));
}

/**
 * tn_proxy_flows() - count a proxy's flows
 * @proxy: the proxy
 * @last: where the last flow listed is copied, or NULL
 *
 * Return: what unet_proxy_flows() returns, the number of flows.
 */
int tn_proxy_flows(struct unet_proxy *proxy, struct unet_flow_info *last)
{
	struct unet_flow_info dummy;

	return unet_proxy_flows(proxy, proxy_flow_copy,
				last != NULL ? last : &dummy);
}

/**
 * tn_proxy_stats() - a proxy's counters
 * @proxy: the proxy
 *
 * Return: a copy of them.
 */
struct unet_proxy_stats tn_proxy_stats(struct unet_proxy *proxy)
{
	struct unet_proxy_stats s = { .size = sizeof(s) };

	assert_int_equal(unet_proxy_stats(proxy, &s), 0);
	return s;
}

/**
 * tn_udp_loopback() - a UDP socket on 127.0.0.1, a port the kernel chose
 * @loop: the loop
 * @udp: the handle to initialise and bind
 * @data: stored in @udp->data
 *
 * Return: the port (host order). The caller starts receiving and closes.
 */
uint16_t tn_udp_loopback(uv_loop_t *loop, uv_udp_t *udp, void *data)
{
	struct sockaddr_in sa;
	int len = sizeof(sa);

	assert_int_equal(uv_udp_init(loop, udp), 0);
	udp->data = data;
	uv_ip4_addr("127.0.0.1", 0, &sa);
	assert_int_equal(uv_udp_bind(udp, (struct sockaddr *)&sa, 0), 0);
	assert_int_equal(uv_udp_getsockname(udp, (struct sockaddr *)&sa, &len),
			 0);
	return ntohs(sa.sin_port);
}

/**
 * tn_gw_open() - a gateway under test, its guest's MAC learned
 * @g: what to fill in
 * @sc: the stack's configuration (NULL: the defaults)
 * @pc: the proxy's (NULL: the defaults)
 * @keep: which frames the capture records (see tn_capture_init())
 * @limit: how many it keeps
 */
void tn_gw_open(struct tn_gw *g, const struct unet_stack_config *sc,
		const struct unet_proxy_config *pc, tn_keep_fn keep, int limit)
{
	assert_int_equal(uv_loop_init(&g->loop), 0);
	assert_int_equal(unet_hub_new(&g->loop, NULL, &g->hub), 0);
	tn_capture_init(&g->cap, keep, limit);
	tn_capture_attach(&g->cap, g->hub);
	assert_int_equal(unet_stack_new(g->hub, "user", sc, &g->stack), 0);
	assert_int_equal(unet_proxy_new(g->stack, pc, &g->proxy), 0);
	tn_learn_guest(&g->cap);
}

/**
 * tn_gw_close() - close what tn_gw_open() opened, and run the loop until
 *                 every handle (the test's own, closed before, too) is
 * @g: the gateway
 */
void tn_gw_close(struct tn_gw *g)
{
	unet_proxy_close(g->proxy);
	unet_hub_close(g->hub);
	uv_run(&g->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&g->loop), 0);
	tn_capture_reset(&g->cap);
}

/**
 * tn_tcp_listen_loopback() - a TCP listener on 127.0.0.1, a port the kernel
 *                            chose
 * @loop: the loop
 * @tcp: the handle to initialise, bind and listen on
 * @data: stored in @tcp->data
 * @backlog: the listen backlog
 * @cb: called for each connection
 *
 * Return: the port (host order). The caller closes the handle.
 */
uint16_t tn_tcp_listen_loopback(uv_loop_t *loop, uv_tcp_t *tcp, void *data,
				int backlog, uv_connection_cb cb)
{
	struct sockaddr_in sa;
	int len = sizeof(sa);

	assert_int_equal(uv_tcp_init(loop, tcp), 0);
	tcp->data = data;
	uv_ip4_addr("127.0.0.1", 0, &sa);
	assert_int_equal(uv_tcp_bind(tcp, (struct sockaddr *)&sa, 0), 0);
	assert_int_equal(uv_listen((uv_stream_t *)tcp, backlog, cb), 0);
	assert_int_equal(uv_tcp_getsockname(tcp, (struct sockaddr *)&sa, &len),
			 0);
	return ntohs(sa.sin_port);
}

static void run_deadline(uv_timer_t *t)
{
	*(bool *)t->data = true;
}

static void run_closed(uv_handle_t *h)
{
	*(bool *)h->data = true;
}

/**
 * tn_run_until() - run a loop until a condition holds or time runs out
 * @loop: the loop
 * @cond: the condition, asked between loop iterations; NULL never holds
 * @arg: passed to @cond
 * @ms: the deadline, in milliseconds of loop time
 *
 * The deadline timer is closed (and its close callback run) before this
 * returns, so it never outlives the call.
 *
 * Return: whether @cond holds at the end.
 */
bool tn_run_until(uv_loop_t *loop, bool (*cond)(void *arg), void *arg,
		  unsigned int ms)
{
	uv_timer_t t;
	bool fired = false;

	uv_timer_init(loop, &t);
	t.data = &fired;
	uv_timer_start(&t, run_deadline, ms, 0);
	while (!(cond != NULL && cond(arg)) && !fired)
		uv_run(loop, UV_RUN_ONCE);
	fired = false;
	uv_close((uv_handle_t *)&t, run_closed);
	while (!fired)
		uv_run(loop, UV_RUN_ONCE);
	return cond != NULL && cond(arg);
}

/**
 * tn_run_for() - run a loop for a while
 * @loop: the loop
 * @ms: how long, in milliseconds of loop time
 */
void tn_run_for(uv_loop_t *loop, unsigned int ms)
{
	tn_run_until(loop, NULL, NULL, ms);
}

/* ---- IPv6 ---------------------------------------------------------------- */

/**
 * tn_ip6() - parse an IPv6 address, failing the test if it is not one
 * @s: the address
 * @out: receives its 16 bytes
 */
void tn_ip6(const char *s, uint8_t out[16])
{
	assert_int_equal(inet_pton(AF_INET6, s, out), 1);
}

/**
 * tn_ip6_header() - write Ethernet and IPv6 headers from the guest's MAC
 * @buf: the frame, with room for 54 bytes
 * @dmac: the destination MAC
 * @src: the source address (16 bytes)
 * @dst: the destination address (16 bytes)
 * @nexthdr: the next header
 * @plen: the payload length (extension headers included)
 *
 * Hop limit 64, no flow label.
 *
 * Return: the offset of the IPv6 payload, 54.
 */
size_t tn_ip6_header(uint8_t *buf, const uint8_t *dmac, const uint8_t *src,
		     const uint8_t *dst, uint8_t nexthdr, size_t plen)
{
	uint8_t *ip = buf + 14;

	memcpy(buf, dmac, 6);
	memcpy(buf + 6, tn_guest_mac, 6);
	buf[12] = 0x86;
	buf[13] = 0xdd;
	memset(ip, 0, 40);
	ip[0] = 0x60;
	tn_put16(ip + 4, (uint16_t)plen);
	ip[6] = nexthdr;
	ip[7] = 64;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
	return 54;
}

/**
 * tn_l4_csum6() - the TCP, UDP or ICMPv6 checksum over the IPv6
 * pseudo-header (RFC 8200 8.1) and the transport bytes
 * @src: the source address (16 bytes)
 * @dst: the destination address (16 bytes)
 * @proto: the upper-layer protocol
 * @l4: the transport header and payload
 * @len: their length
 *
 * Return: the checksum (not mapped from 0 to 0xffff); 0 when @l4 holds a
 * correct one.
 */
uint16_t tn_l4_csum6(const uint8_t *src, const uint8_t *dst, uint8_t proto,
		     const uint8_t *l4, size_t len)
{
	uint8_t ph[40];

	memcpy(ph, src, 16);
	memcpy(ph + 16, dst, 16);
	tn_put32(ph + 32, (uint32_t)len);
	memset(ph + 36, 0, 3);
	ph[39] = proto;
	return tn_sum_fold(tn_sum_add(tn_sum_add(0, ph, 40), l4, len));
}

/**
 * tn_keep_ipv6() - a capture filter that records IPv6 frames but neighbour
 * discovery and MLD
 * @frame: the frame
 * @len: its length
 *
 * lwIP's own ND and MLD come and go with timers and the guest's address
 * resolution; tests that count replies leave them out.
 *
 * Return: whether @frame is IPv6 and neither ICMPv6 type 130..143 nor
 * behind a hop-by-hop header (MLD's router alert).
 */
bool tn_keep_ipv6(const uint8_t *frame, size_t len)
{
	if (len < 54 || frame[12] != 0x86 || frame[13] != 0xdd ||
	    frame[20] == 0)
		return false;
	return !(frame[20] == 58 && len > 54 && frame[54] >= 130 &&
		 frame[54] <= 143);
}

/**
 * tn_udp6_frame() - a UDP datagram over IPv6 from the guest to the gateway
 * @buf: room for 62 + @len bytes
 * @src: the source address (16 bytes)
 * @sport: source port
 * @dst: the destination address (16 bytes)
 * @dport: destination port
 * @data: the payload
 * @len: its length
 *
 * Return: the frame's length.
 */
size_t tn_udp6_frame(uint8_t *buf, const uint8_t *src, uint16_t sport,
		     const uint8_t *dst, uint16_t dport, const void *data,
		     size_t len)
{
	uint8_t *u = buf + tn_ip6_header(buf, tn_gw_mac, src, dst, 17, 8 + len);
	uint16_t sum;

	tn_put16(u, sport);
	tn_put16(u + 2, dport);
	tn_put16(u + 4, (uint16_t)(8 + len));
	tn_put16(u + 6, 0);
	memcpy(u + 8, data, len);
	sum = tn_l4_csum6(src, dst, 17, u, 8 + len);
	tn_put16(u + 6, sum != 0 ? sum : 0xffff);
	return 54 + 8 + len;
}

/**
 * tn_tcp6_frame() - a TCP segment over IPv6 from the guest, no options
 * @buf: room for 74 bytes
 * @src: the source address (16 bytes)
 * @sport: source port
 * @dst: the destination address (16 bytes)
 * @dport: destination port
 * @seq: sequence number
 * @ack: acknowledgement number
 * @flags: TCP flags
 *
 * Return: the frame's length, 74.
 */
size_t tn_tcp6_frame(uint8_t *buf, const uint8_t *src, uint16_t sport,
		     const uint8_t *dst, uint16_t dport, uint32_t seq,
		     uint32_t ack, uint8_t flags)
{
	uint8_t *t = buf + tn_ip6_header(buf, tn_gw_mac, src, dst, 6, 20);

	memset(t, 0, 20);
	tn_put16(t, sport);
	tn_put16(t + 2, dport);
	tn_put32(t + 4, seq);
	tn_put32(t + 8, ack);
	t[12] = 5 << 4;
	t[13] = flags;
	tn_put16(t + 14, 0xffff);
	tn_put16(t + 16, tn_l4_csum6(src, dst, 6, t, 20));
	return 74;
}

/**
 * tn_tcp4_frame() - a TCP segment from the guest (10.0.2.15) to @dst
 * @buf: the frame, with room for 54 + @optlen + @len bytes
 * @dst: the IPv4 destination, network byte order
 * @sport: source port
 * @dport: destination port
 * @seq: sequence number
 * @ack: acknowledgement number
 * @flags: TCP flags
 * @opt: TCP options, a multiple of 4 bytes (@optlen), or NULL
 * @optlen: see @opt
 * @data: the payload (@len bytes), or NULL
 * @len: see @data
 *
 * The window is 65535; the IP and TCP checksums are right.
 *
 * Return: the frame's length.
 */
size_t tn_tcp4_frame(uint8_t *buf, uint32_t dst, uint16_t sport, uint16_t dport,
		     uint32_t seq, uint32_t ack, uint8_t flags,
		     const uint8_t *opt, size_t optlen, const uint8_t *data,
		     size_t len)
{
	uint32_t src = tn_ip("10.0.2.15");
	size_t tl = 20 + optlen + len;
	uint8_t *t = buf + tn_ip_header(buf, tn_gw_mac, src, dst, 6,
					(uint16_t)(20 + tl), 0, 0);

	memset(t, 0, 20);
	tn_put16(t, sport);
	tn_put16(t + 2, dport);
	tn_put32(t + 4, seq);
	tn_put32(t + 8, ack);
	t[12] = (uint8_t)((20 + optlen) / 4 << 4);
	t[13] = flags;
	tn_put16(t + 14, 0xffff);
	if (optlen > 0)
		memcpy(t + 20, opt, optlen);
	if (len > 0)
		memcpy(t + 20 + optlen, data, len);
	tn_put16(t + 16, tn_l4_csum(src, dst, 6, t, tl));
	return 34 + tl;
}

/**
 * tn_learn_guest6() - teach the gateway the guest's MAC for fec0::15
 * @c: the capture port the guest's frames come in through
 *
 * Sends the neighbour solicitation for fec0::2, with the guest's link-layer
 * address, that the guest's own stack would send, then forgets what came
 * back (the advertisement).
 *
 * Return: what unet_hub_input() returned for the solicitation.
 */
int tn_learn_guest6(struct tn_capture *c)
{
	static const uint8_t mcast[6] = { 0x33, 0x33, 0xff, 0x00, 0x00, 0x02 };
	uint8_t buf[86], src[16], dst[16], target[16];
	uint8_t *ns;
	int err;

	tn_ip6("fec0::15", src);
	tn_ip6("ff02::1:ff00:2", dst);
	tn_ip6("fec0::2", target);
	ns = buf + tn_ip6_header(buf, mcast, src, dst, 58, 32);
	buf[21] = 255; /* RFC 4861 7.1.1: hop limit 255 */
	memset(ns, 0, 32);
	ns[0] = 135;
	memcpy(ns + 8, target, 16);
	ns[24] = 1; /* source link-layer address */
	ns[25] = 1;
	memcpy(ns + 26, tn_guest_mac, 6);
	tn_put16(ns + 2, tn_l4_csum6(src, dst, 58, ns, 32));
	err = unet_hub_input(&c->port, buf, sizeof(buf));
	tn_capture_reset(c);
	return err;
}
