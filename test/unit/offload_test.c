/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of offloaded frames made ordinary (hub/offload.c) and of the
 * hub carrying them: a 64 KiB TCP GSO frame over IPv4 and IPv6 cut into
 * segments that are compared with segments built by hand, partial
 * checksums finished, USO datagrams, a table of facts that do not fit
 * their frame, and the hub giving an offload port the frame whole while a
 * plain port gets segments (also through its queue). And the other way
 * (stack/coalesce.c): the gateway's segments merged into GSO frames that
 * the hub cuts back into the same bytes, and what is never merged.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include <cmocka.h>

#include <usernet/hub.h>

#include "coalesce.h"
#include "offload_internal.h"
#include "wire/checksum.h"
#include "wire/eth_proto.h"
#include "wire/ip4_proto.h"
#include "wire/ip6_proto.h"
#include "wire/tcp_proto.h"
#include "wire/udp_proto.h"
#include "wire/util.h"

#define T_TCP_OPTS 12 /* NOP NOP timestamps, as Linux sends */
#define T_SEQ 0xfffff000u /* wraps inside the frame */
#define T_ID 0xfff0

/* One frame the test builds: Ethernet, IP, TCP or UDP, payload. */
struct t_frame {
	bool v6;
	bool udp;
	size_t payload;
	size_t pay_off; /* the payload's first byte's index in t_data */
	uint32_t seq;
	uint8_t flags;
	uint16_t id;
	bool csum_ok; /* a whole checksum, else the pseudo-header sum */
};

static uint8_t t_data[70000];

static void t_data_init(void)
{
	size_t i;

	for (i = 0; i < sizeof(t_data); i++)
		t_data[i] = (uint8_t)(i * 7 + (i >> 8));
}

static const uint8_t t_src6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t t_dst6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

/* Builds @f into @buf, independently of offload.c; returns its length. */
static size_t t_build(uint8_t *buf, const struct t_frame *f)
{
	size_t l3 = WIRE_ETH_HLEN;
	size_t l4 = l3 + (f->v6 ? WIRE_IP6_HLEN : WIRE_IP4_HLEN);
	size_t l4h = f->udp ? WIRE_UDP_HLEN : WIRE_TCP_HLEN + T_TCP_OPTS;
	size_t l4len = l4h + f->payload, len = l4 + l4len;
	struct wire_eth *eth = (void *)buf;
	uint32_t sum;
	uint16_t v;

	memset(buf, 0, l4 + l4h);
	memset(eth->dst, 0x52, 6);
	memset(eth->src, 0x54, 6);
	eth->type = htons(f->v6 ? WIRE_ETHTYPE_IP6 : WIRE_ETHTYPE_IP4);
	if (f->v6) {
		struct wire_ip6 *ip = (void *)(buf + l3);

		ip->vtcfl = htonl(6u << 28);
		ip->payload_len = htons((uint16_t)l4len);
		ip->nexthdr = f->udp ? WIRE_IPPROTO_UDP : WIRE_IPPROTO_TCP;
		ip->hop_limit = 64;
		memcpy(ip->saddr, t_src6, 16);
		memcpy(ip->daddr, t_dst6, 16);
		sum = unet__csum_ip6_pseudo(ip->saddr, ip->daddr, ip->nexthdr,
					    l4len);
	} else {
		struct wire_ip4 *ip = (void *)(buf + l3);

		ip->vhl = WIRE_IP4_VHL;
		ip->tot_len = htons((uint16_t)(len - l3));
		ip->id = htons(f->id);
		ip->frag = htons(WIRE_IP4_DF);
		ip->ttl = 64;
		ip->proto = f->udp ? WIRE_IPPROTO_UDP : WIRE_IPPROTO_TCP;
		ip->saddr = htonl(0x0a00020f);
		ip->daddr = htonl(0xc6120001);
		ip->csum = htons(unet__csum(ip, WIRE_IP4_HLEN));
		sum = unet__csum_ip4_pseudo(ip->saddr, ip->daddr, ip->proto,
					    l4len);
	}
	memcpy(buf + l4 + l4h, t_data + f->pay_off, f->payload);
	if (f->udp) {
		struct wire_udp *uh = (void *)(buf + l4);

		uh->sport = htons(5000);
		uh->dport = htons(6000);
		uh->len = htons((uint16_t)l4len);
		v = unet__csum_finish(unet__csum_add(sum, uh, l4len));
		if (f->csum_ok)
			uh->csum = htons(v == 0 ? 0xffff : v);
		else
			uh->csum = htons((uint16_t)~unet__csum_finish(sum));
	} else {
		struct wire_tcp *th = (void *)(buf + l4);
		uint8_t *opt = buf + l4 + WIRE_TCP_HLEN;

		th->sport = htons(40000);
		th->dport = htons(5201);
		th->seq = htonl(f->seq);
		th->ack = htonl(12345);
		th->off = (uint8_t)((WIRE_TCP_HLEN + T_TCP_OPTS) / 4) << 4;
		th->flags = f->flags;
		th->win = htons(502);
		opt[0] = WIRE_TCPOPT_NOP;
		opt[1] = WIRE_TCPOPT_NOP;
		opt[2] = WIRE_TCPOPT_TIMESTAMP;
		opt[3] = 10;
		opt[4] = 0x11;
		opt[9] = 0x22;
		if (f->csum_ok)
			th->csum = htons(unet__csum_finish(
				unet__csum_add(sum, th, l4len)));
		else
			th->csum = htons((uint16_t)~unet__csum_finish(sum));
	}
	return len;
}

/* What the segments the callback got looked like. */
struct t_segs {
	unsigned int n;
	size_t lens[UNET_GSO_SEGS_MAX];
	uint8_t (*frames)[1600];
	unsigned int stop_after;
};

static int t_seg_cb(void *opaque, const void *frame, size_t len)
{
	struct t_segs *s = opaque;

	assert_true(len <= sizeof(s->frames[0]));
	memcpy(s->frames[s->n], frame, len);
	s->lens[s->n++] = len;
	return s->stop_after != 0 && s->n >= s->stop_after;
}

static uint8_t t_frame_buf[70000];
static uint8_t t_want[1600];
static uint8_t t_seg_buf[70000];
static uint8_t t_seg_frames[UNET_GSO_SEGS_MAX][1600];

/* Cuts a 64 KiB TCP frame at MTU @mtu and compares every segment. */
static void t_tcp_gso(bool v6, unsigned int mtu, uint16_t gso_size)
{
	struct t_frame f = {
		.v6 = v6,
		.payload = 64000,
		.seq = T_SEQ,
		.flags = WIRE_TCP_ACK | WIRE_TCP_PSH | WIRE_TCP_FIN |
			 WIRE_TCP_CWR,
		.id = T_ID,
	};
	size_t hdrs = (v6 ? WIRE_IP6_HLEN : WIRE_IP4_HLEN) + WIRE_TCP_HLEN +
		      T_TCP_OPTS;
	size_t len = t_build(t_frame_buf, &f), seg, done = 0;
	struct unet_offload off = {
		.flags = UNET_OFFLOAD_F_NEEDS_CSUM,
		.gso_type = (uint8_t)((v6 ? UNET_GSO_TCPV6 : UNET_GSO_TCPV4) |
				      UNET_GSO_ECN),
		.hdr_len = 128, /* the kernel's linear length: a hint only */
		.gso_size = gso_size,
		.csum_start = (uint16_t)(WIRE_ETH_HLEN + hdrs - WIRE_TCP_HLEN -
					 T_TCP_OPTS),
		.csum_offset = 16,
	};
	struct unet__offload_pkt pkt;
	struct t_segs *s = calloc(1, sizeof(*s));
	unsigned int i;
	int n;

	assert_non_null(s);
	s->frames = t_seg_frames;
	assert_int_equal(unet__offload_check(t_frame_buf, len, &off, &pkt), 0);
	assert_int_equal(pkt.hdr_len, WIRE_ETH_HLEN + hdrs);
	seg = gso_size < mtu - hdrs ? gso_size : mtu - hdrs;
	assert_int_equal(unet__offload_seg_max(&pkt, &off, mtu), seg);
	n = unet__offload_segment(t_frame_buf, len, &off, &pkt, mtu, t_seg_buf,
				  sizeof(t_seg_buf), t_seg_cb, s);
	assert_int_equal(n, (64000 + seg - 1) / seg);
	assert_int_equal(s->n, (unsigned int)n);
	for (i = 0; i < s->n; i++) {
		struct t_frame w = f;

		w.payload = 64000 - done < seg ? 64000 - done : seg;
		w.pay_off = done;
		w.seq = T_SEQ + (uint32_t)done;
		w.id = (uint16_t)(T_ID + i);
		w.csum_ok = true;
		if (i + 1 < s->n)
			w.flags &= (uint8_t) ~(WIRE_TCP_FIN | WIRE_TCP_PSH);
		if (i != 0)
			w.flags &= (uint8_t)~WIRE_TCP_CWR;
		assert_int_equal(s->lens[i], t_build(t_want, &w));
		assert_memory_equal(s->frames[i], t_want, s->lens[i]);
		assert_true(s->lens[i] <= WIRE_ETH_HLEN + mtu);
		done += w.payload;
	}
	assert_int_equal(done, 64000);
	free(s);
}

static void test_tcp4_gso(void **state)
{
	(void)state;
	t_tcp_gso(false, 1500, 1448);
}

static void test_tcp6_gso(void **state)
{
	(void)state;
	t_tcp_gso(true, 1500, 1428);
}

/* A gso_size bigger than the hub's MTU allows: cut smaller. */
static void test_tcp_gso_mtu_smaller(void **state)
{
	(void)state;
	t_tcp_gso(false, 576, 1448);
	t_tcp_gso(true, 1280, 1448);
}

/* The callback stops the cutting (a port that detached). */
static void test_segment_stops(void **state)
{
	struct t_frame f = { .payload = 10000, .flags = WIRE_TCP_ACK };
	size_t len = t_build(t_frame_buf, &f);
	struct unet_offload off = {
		.gso_type = UNET_GSO_TCPV4,
		.gso_size = 1000,
	};
	struct unet__offload_pkt pkt;
	struct t_segs *s = calloc(1, sizeof(*s));

	(void)state;
	assert_non_null(s);
	s->frames = t_seg_frames;
	s->stop_after = 3;
	assert_int_equal(unet__offload_check(t_frame_buf, len, &off, &pkt), 0);
	assert_int_equal(unet__offload_segment(t_frame_buf, len, &off, &pkt,
					       1500, t_seg_buf,
					       sizeof(t_seg_buf), t_seg_cb, s),
			 3);
	/* A buffer too small for one segment. */
	assert_int_equal(unet__offload_segment(t_frame_buf, len, &off, &pkt,
					       1500, t_seg_buf, 100, t_seg_cb,
					       s),
			 -ENOBUFS);
	free(s);
}

/* USO: datagrams of gso_size, each with its length and checksum. */
static void test_udp_l4(void **state)
{
	struct t_frame f = { .udp = true, .payload = 4000, .id = 7 };
	size_t len = t_build(t_frame_buf, &f);
	struct unet_offload off = {
		.flags = UNET_OFFLOAD_F_NEEDS_CSUM,
		.gso_type = UNET_GSO_UDP_L4,
		.gso_size = 1000,
		.csum_start = WIRE_ETH_HLEN + WIRE_IP4_HLEN,
		.csum_offset = 6,
	};
	struct unet__offload_pkt pkt;
	struct t_segs *s = calloc(1, sizeof(*s));
	unsigned int i;

	(void)state;
	assert_non_null(s);
	s->frames = t_seg_frames;
	assert_int_equal(unet__offload_check(t_frame_buf, len, &off, &pkt), 0);
	assert_int_equal(unet__offload_segment(t_frame_buf, len, &off, &pkt,
					       1500, t_seg_buf,
					       sizeof(t_seg_buf), t_seg_cb, s),
			 4);
	for (i = 0; i < 4; i++) {
		struct t_frame w = f;

		w.payload = 1000;
		w.pay_off = i * 1000;
		w.id = (uint16_t)(7 + i);
		w.csum_ok = true;
		assert_int_equal(s->lens[i], t_build(t_want, &w));
		assert_memory_equal(s->frames[i], t_want, s->lens[i]);
	}
	/* A datagram of gso_size does not fit MTU 576 with its headers. */
	off.gso_size = 1400;
	assert_int_equal(unet__offload_check(t_frame_buf, len, &off, &pkt), 0);
	assert_int_equal(unet__offload_segment(t_frame_buf, len, &off, &pkt,
					       576, t_seg_buf,
					       sizeof(t_seg_buf), t_seg_cb, s),
			 -EMSGSIZE);
	free(s);
}

/* A partial checksum finished gives the whole one, for TCP and UDP. */
static void test_csum_finish(void **state)
{
	static const struct {
		bool v6, udp;
		size_t payload;
	} rows[] = {
		{ false, false, 1000 }, { true, false, 999 },
		{ false, true, 1 },	{ true, true, 1200 },
		{ false, false, 0 },
	};
	static uint8_t whole[2000], part[2000];
	struct unet__offload_pkt pkt;
	size_t i, len;

	(void)state;
	for (i = 0; i < UNET__ARRAY_SIZE(rows); i++) {
		struct t_frame f = { .v6 = rows[i].v6,
				     .udp = rows[i].udp,
				     .payload = rows[i].payload,
				     .flags = WIRE_TCP_ACK,
				     .csum_ok = true };
		struct unet_offload off = {
			.flags = UNET_OFFLOAD_F_NEEDS_CSUM,
			.csum_start = (uint16_t)(WIRE_ETH_HLEN +
						 (f.v6 ? WIRE_IP6_HLEN :
							 WIRE_IP4_HLEN)),
			.csum_offset = f.udp ? 6 : 16,
		};

		len = t_build(whole, &f);
		f.csum_ok = false;
		assert_int_equal(t_build(part, &f), len);
		/* Ethernet padding is not summed. */
		memset(part + len, 0xee, 20);
		assert_int_equal(
			unet__offload_check(part, len + 20, &off, &pkt), 0);
		assert_int_equal(unet__offload_csum(part, len + 20, &off, &pkt),
				 0);
		assert_memory_equal(part, whole, len);
	}
}

/* Facts that do not fit their frame are refused, never followed. */
static void test_malformed(void **state)
{
	struct t_frame f4 = { .payload = 3000, .flags = WIRE_TCP_ACK };
	struct t_frame f6 = { .v6 = true, .payload = 3000 };
	struct t_frame fu = { .udp = true, .payload = 3000 };
	static uint8_t b4[4000], b6[4000], bu[4000];
	size_t l4 = t_build(b4, &f4), l6 = t_build(b6, &f6);
	size_t lu = t_build(bu, &fu);
	const uint16_t cs4 = WIRE_ETH_HLEN + WIRE_IP4_HLEN;
	static const uint8_t frag[2] = { 0x20, 0x00 }; /* MF */
	const struct {
		const char *what;
		const uint8_t *frame;
		size_t len;
		struct unet_offload off;
		const char *patch; /* "ip4frag", "iplen", "thlen", ... */
	} rows[] = {
		{ "csum_start past the end",
		  b4,
		  l4,
		  { .flags = 1, .csum_start = 60000, .csum_offset = 16 },
		  NULL },
		{ "csum_offset past the end",
		  b4,
		  l4,
		  { .flags = 1, .csum_start = cs4, .csum_offset = 60000 },
		  NULL },
		{ "csum field straddles the end",
		  b4,
		  l4,
		  { .flags = 1,
		    .csum_start = cs4,
		    .csum_offset = (uint16_t)(l4 - cs4 - 1) },
		  NULL },
		{ "unknown flag", b4, l4, { .flags = 0x10 }, NULL },
		{ "hdr_len past the end",
		  b4,
		  l4,
		  { .gso_type = UNET_GSO_TCPV4,
		    .gso_size = 1000,
		    .hdr_len = 60000 },
		  NULL },
		{ "gso_size 0", b4, l4, { .gso_type = UNET_GSO_TCPV4 }, NULL },
		{ "unknown GSO type",
		  b4,
		  l4,
		  { .gso_type = 2, .gso_size = 9 },
		  NULL },
		{ "UFO", bu, lu, { .gso_type = 3, .gso_size = 1000 }, NULL },
		{ "TCPV4 over IPv6",
		  b6,
		  l6,
		  { .gso_type = UNET_GSO_TCPV4, .gso_size = 1000 },
		  NULL },
		{ "TCPV6 over IPv4",
		  b4,
		  l4,
		  { .gso_type = UNET_GSO_TCPV6, .gso_size = 1000 },
		  NULL },
		{ "TCPV4 over UDP",
		  bu,
		  lu,
		  { .gso_type = UNET_GSO_TCPV4, .gso_size = 1000 },
		  NULL },
		{ "UDP_L4 over TCP",
		  b4,
		  l4,
		  { .gso_type = UNET_GSO_UDP_L4, .gso_size = 1000 },
		  NULL },
		{ "too many segments",
		  b4,
		  l4,
		  { .gso_type = UNET_GSO_TCPV4, .gso_size = 1 },
		  NULL },
		{ "GSO csum_start not at TCP",
		  b4,
		  l4,
		  { .flags = 1,
		    .gso_type = UNET_GSO_TCPV4,
		    .gso_size = 1000,
		    .csum_start = cs4 + 2,
		    .csum_offset = 16 },
		  NULL },
		{ "GSO over a truncated IP header",
		  b4,
		  WIRE_ETH_HLEN + 10,
		  { .gso_type = UNET_GSO_TCPV4, .gso_size = 1000 },
		  NULL },
		{ "GSO over a truncated TCP header",
		  b4,
		  cs4 + 10,
		  { .gso_type = UNET_GSO_TCPV4, .gso_size = 1000 },
		  NULL },
		{ "GSO, IPv4 total length past the frame",
		  b4,
		  l4 - 1,
		  { .gso_type = UNET_GSO_TCPV4, .gso_size = 1000 },
		  NULL },
		{ "GSO, IPv6 payload length past the frame",
		  b6,
		  l6 - 1,
		  { .gso_type = UNET_GSO_TCPV6, .gso_size = 1000 },
		  NULL },
		{ "GSO over an IPv4 fragment",
		  b4,
		  l4,
		  { .gso_type = UNET_GSO_TCPV4, .gso_size = 1000 },
		  "ip4frag" },
		{ "GSO, TCP header length below 20",
		  b4,
		  l4,
		  { .gso_type = UNET_GSO_TCPV4, .gso_size = 1000 },
		  "thlen" },
		{ "GSO over ARP",
		  b4,
		  l4,
		  { .gso_type = UNET_GSO_TCPV4, .gso_size = 1000 },
		  "arp" },
	};
	static uint8_t copy[4000];
	struct unet__offload_pkt pkt;
	size_t i;

	(void)state;
	for (i = 0; i < UNET__ARRAY_SIZE(rows); i++) {
		memcpy(copy, rows[i].frame, rows[i].len);
		if (rows[i].patch != NULL && !strcmp(rows[i].patch, "ip4frag"))
			memcpy(copy + WIRE_ETH_HLEN + 6, frag, 2);
		if (rows[i].patch != NULL && !strcmp(rows[i].patch, "thlen"))
			copy[cs4 + 12] = 0x40;
		if (rows[i].patch != NULL && !strcmp(rows[i].patch, "arp")) {
			copy[12] = 0x08;
			copy[13] = 0x06;
		}
		if (unet__offload_check(copy, rows[i].len, &rows[i].off,
					&pkt) != -EINVAL)
			fail_msg("row %zu (%s) was accepted", i, rows[i].what);
	}
	/* What is fine: facts with only "known good", a short hdr_len hint. */
	{
		struct unet_offload ok = { .flags = UNET_OFFLOAD_F_DATA_VALID };

		assert_int_equal(unet__offload_check(b4, l4, &ok, &pkt), 0);
		assert_true(unet__offload_plain(&ok));
		ok.gso_type = UNET_GSO_TCPV4;
		ok.gso_size = 1000;
		ok.hdr_len = 14;
		assert_int_equal(unet__offload_check(b4, l4, &ok, &pkt), 0);
		assert_false(unet__offload_plain(&ok));
	}
}

/* ---- the hub carrying offloaded frames ------------------------------- */

struct t_port {
	struct unet_port port;
	unsigned int frames;
	unsigned int with_off;
	size_t max_len;
	size_t bytes;
	bool busy;
	bool bad_csum;
};

/* Checks a plain frame's TCP checksum, as a peer that verifies would. */
static bool t_tcp4_csum_ok(const uint8_t *frame, size_t len)
{
	const struct wire_ip4 *ip = (const void *)(frame + WIRE_ETH_HLEN);
	size_t l4len = len - WIRE_ETH_HLEN - WIRE_IP4_HLEN;
	uint32_t sum = unet__csum_ip4_pseudo(ip->saddr, ip->daddr,
					     WIRE_IPPROTO_TCP, l4len);

	if (unet__csum(ip, WIRE_IP4_HLEN) != 0)
		return false;
	sum = unet__csum_add(sum, frame + WIRE_ETH_HLEN + WIRE_IP4_HLEN, l4len);
	return unet__csum_finish(sum) == 0;
}

static int t_port_send(struct unet_port *port, const void *frame, size_t len)
{
	struct t_port *t = (struct t_port *)port;

	if (t->busy)
		return -EAGAIN;
	t->frames++;
	t->bytes += len;
	if (len > t->max_len)
		t->max_len = len;
	if (!t_tcp4_csum_ok(frame, len))
		t->bad_csum = true;
	return 0;
}

static int t_port_send_off(struct unet_port *port, const void *frame,
			   size_t len, const struct unet_offload *off)
{
	struct t_port *t = (struct t_port *)port;

	if (t->busy)
		return -EAGAIN;
	t->with_off++;
	t->frames++;
	t->bytes += len;
	if (len > t->max_len)
		t->max_len = len;
	assert_non_null(off);
	return 0;
}

static void t_port_close(struct unet_port *port)
{
	unet_hub_detach(port);
}

static const struct unet_port_ops t_plain_ops = {
	.name = "plain",
	.send = t_port_send,
	.close = t_port_close,
};

static const struct unet_port_ops t_off_ops = {
	.name = "off",
	.send = t_port_send,
	.close = t_port_close,
	.send_offload = t_port_send_off,
};

static void test_hub_delivery(void **state)
{
	struct unet_hub_config cfg;
	struct t_port from, plain, off_port, csum_only;
	struct t_frame f = { .payload = 64000,
			     .flags = WIRE_TCP_ACK,
			     .seq = T_SEQ };
	size_t len = t_build(t_frame_buf, &f);
	struct unet_offload off = {
		.flags = UNET_OFFLOAD_F_NEEDS_CSUM,
		.gso_type = UNET_GSO_TCPV4,
		.gso_size = 1448,
		.csum_start = WIRE_ETH_HLEN + WIRE_IP4_HLEN,
		.csum_offset = 16,
	};
	struct unet_hub *hub;
	uv_loop_t loop;

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	unet_hub_config_init(&cfg);
	cfg.mtu = 1500;
	assert_int_equal(unet_hub_new(&loop, &cfg, &hub), 0);
	memset(&from, 0, sizeof(from));
	memset(&plain, 0, sizeof(plain));
	memset(&off_port, 0, sizeof(off_port));
	memset(&csum_only, 0, sizeof(csum_only));
	unet_port_init(&from.port, &t_plain_ops, "from");
	unet_port_init(&plain.port, &t_plain_ops, "plain");
	unet_port_init(&off_port.port, &t_off_ops, "off");
	unet_port_init(&csum_only.port, &t_off_ops, "csum");
	off_port.port.offload = UNET_PORT_OFFLOAD_CSUM |
				UNET_PORT_OFFLOAD_TSO4 | UNET_PORT_OFFLOAD_TSO6;
	csum_only.port.offload = UNET_PORT_OFFLOAD_CSUM;
	assert_int_equal(unet_hub_attach(hub, &from.port), 0);
	assert_int_equal(unet_hub_attach(hub, &plain.port), 0);
	assert_int_equal(unet_hub_attach(hub, &off_port.port), 0);
	assert_int_equal(unet_hub_attach(hub, &csum_only.port), 0);

	/* Without facts, a 64 KiB frame is too long for MTU 1500. */
	assert_int_equal(unet_hub_input(&from.port, t_frame_buf, len), -EINVAL);
	assert_int_equal(
		unet_hub_input_offload(&from.port, t_frame_buf, len, &off), 0);
	assert_int_equal(off_port.frames, 1);
	assert_int_equal(off_port.with_off, 1);
	assert_int_equal(off_port.bytes, len);
	assert_int_equal(plain.frames, (64000 + 1447) / 1448);
	assert_true(plain.max_len <= 1514);
	assert_false(plain.bad_csum);
	/* Segments to a port that takes checksums but not TSO: known good. */
	assert_int_equal(csum_only.frames, plain.frames);
	assert_int_equal(csum_only.with_off, csum_only.frames);
	assert_int_equal(plain.port.stats.out_frames, plain.frames);

	/* Through a queue: the offload port's copy keeps its facts. */
	off_port.busy = plain.busy = true;
	assert_int_equal(
		unet_hub_input_offload(&from.port, t_frame_buf, len, &off), 0);
	off_port.busy = plain.busy = false;
	assert_int_equal(unet_port_flush(&off_port.port), 0);
	assert_int_equal(unet_port_flush(&plain.port), 0);
	assert_int_equal(off_port.with_off, 2);
	assert_int_equal(plain.frames, 2 * ((64000 + 1447) / 1448));
	assert_false(plain.bad_csum);

	/* Hostile facts: dropped at the door, counted. */
	off.gso_size = 0;
	assert_int_equal(unet_hub_input_offload(&from.port, t_frame_buf, len,
						&off),
			 -EINVAL);
	assert_int_equal(from.port.stats.drops[UNET_DROP_OFFLOAD], 1);
	assert_int_equal(off_port.with_off, 2);

	/* What every port but one takes whole: nothing, with a plain one. */
	assert_int_equal(unet_hub_offload_others(&from.port), 0);
	unet_hub_detach(&plain.port);
	assert_int_equal(unet_hub_offload_others(&from.port),
			 UNET_PORT_OFFLOAD_CSUM);
	unet_hub_detach(&csum_only.port);
	assert_int_equal(unet_hub_offload_others(&from.port),
			 off_port.port.offload);
	assert_int_equal(unet_hub_offload_others(&off_port.port), 0);
	/* A port that loses frames on purpose gets wire frames: cut first. */
	off_port.port.loss.burst_every = 1000000; /* bursts of 0: none lost */
	assert_int_equal(unet_hub_offload_others(&from.port), 0);
	off.gso_size = 1448;
	assert_int_equal(
		unet_hub_input_offload(&from.port, t_frame_buf, len, &off), 0);
	assert_int_equal(off_port.with_off, 2);
	assert_int_equal(off_port.frames, 2 + (64000 + 1447) / 1448);

	unet_hub_close(hub);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* ---- the gateway's segments merged (stack/coalesce.c) ------------------ */

static uint8_t t_merge_buf[UNET_COALESCE_MAX];
static uint8_t t_in_frames[48][1600];

/*
 * Has the hub check a GSO frame's facts and cut it at MTU 1500 into @nseg
 * segments; returns them (freed by the caller).
 */
static struct t_segs *t_cut(const uint8_t *frame, size_t len,
			    const struct unet_offload *off, unsigned int nseg)
{
	struct unet__offload_pkt pkt;
	struct t_segs *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	s->frames = t_seg_frames;
	assert_int_equal(unet__offload_check(frame, len, off, &pkt), 0);
	assert_int_equal(unet__offload_segment(frame, len, off, &pkt, 1500,
					       t_seg_buf, sizeof(t_seg_buf),
					       t_seg_cb, s),
			 (int)nseg);
	return s;
}

/*
 * 44 segments of the MSS at MTU 1500 with timestamps, as lwIP's output loop
 * writes them, the last with PSH: merged into one GSO frame whose facts
 * pass the hub's check, and cut back by the hub into the same 44 frames,
 * byte for byte (checksums included).
 */
static void t_merge_roundtrip(bool v6)
{
	struct unet__coalesce c = { .buf = t_merge_buf };
	const unsigned int nseg = 44, mss = v6 ? 1428 : 1448;
	size_t lens[48], len,
		hdrs = (v6 ? WIRE_IP6_HLEN : WIRE_IP4_HLEN) + WIRE_TCP_HLEN +
		       T_TCP_OPTS;
	struct unet_offload off;
	struct t_segs *s;
	unsigned int i;

	for (i = 0; i < nseg; i++) {
		struct t_frame f = {
			.v6 = v6,
			.payload = mss,
			.pay_off = i * mss,
			.seq = T_SEQ + i * mss,
			.flags = WIRE_TCP_ACK,
			.id = (uint16_t)(T_ID + i),
			.csum_ok = true,
		};

		if (i == nseg - 1)
			f.flags |= WIRE_TCP_PSH;
		lens[i] = t_build(t_in_frames[i], &f);
		assert_true(
			unet__coalesce_add(&c, t_in_frames[i], lens[i], 1500));
		assert_int_equal(c.closed, i == nseg - 1);
	}
	len = unet__coalesce_take(&c, &off);
	assert_int_equal(len, WIRE_ETH_HLEN + hdrs + nseg * mss);
	assert_int_equal(c.len, 0);
	assert_int_equal(off.gso_type, v6 ? UNET_GSO_TCPV6 : UNET_GSO_TCPV4);
	assert_int_equal(off.gso_size, mss);
	assert_int_equal(off.flags, UNET_OFFLOAD_F_NEEDS_CSUM);
	assert_int_equal(off.csum_start,
			 WIRE_ETH_HLEN + hdrs - WIRE_TCP_HLEN - T_TCP_OPTS);
	assert_int_equal(off.csum_offset, 16);
	s = t_cut(t_merge_buf, len, &off, nseg);
	for (i = 0; i < nseg; i++) {
		assert_int_equal(s->lens[i], lens[i]);
		assert_memory_equal(s->frames[i], t_in_frames[i], lens[i]);
	}
	free(s);
}

/* The IP version of a test run twice (cmocka's prestate). */
static bool t_v4 = false, t_v6 = true;

static void test_merge(void **state)
{
	t_merge_roundtrip(*(bool *)*state);
}

/* A single segment leaves as it came, its checksum left to do. */
static void test_merge_single(void **state)
{
	struct unet__coalesce c = { .buf = t_merge_buf };
	struct t_frame f = { .payload = 100, .seq = 1, .flags = WIRE_TCP_ACK };
	struct unet_offload off;
	size_t len = t_build(t_in_frames[0], &f);

	(void)state;
	assert_int_equal(unet__coalesce_take(&c, &off), 0);
	assert_true(unet__coalesce_add(&c, t_in_frames[0], len, 1500));
	assert_false(c.closed);
	assert_int_equal(unet__coalesce_take(&c, &off), len);
	/* t_build() without csum_ok: the pseudo-header's sum in the field */
	assert_memory_equal(t_merge_buf, t_in_frames[0], len);
	assert_int_equal(off.gso_type, UNET_GSO_NONE);
	assert_int_equal(off.flags, UNET_OFFLOAD_F_NEEDS_CSUM);
	assert_int_equal(off.csum_start, WIRE_ETH_HLEN + WIRE_IP4_HLEN);
	assert_int_equal(off.csum_offset, 16);
}

/*
 * The TCP checksum lwIP leaves out (0 in the field) is done in place for
 * ports that take no checksum offload, and left to do for those that do;
 * any other frame is left alone.
 */
static void test_csum_out(void **state)
{
	struct unet_offload off;
	unsigned int v6;

	(void)state;
	for (v6 = 0; v6 < 2; v6++) {
		struct t_frame f = { .v6 = v6 != 0,
				     .payload = 1000,
				     .seq = 7,
				     .flags = WIRE_TCP_ACK | WIRE_TCP_PSH,
				     .csum_ok = true };
		size_t l4 =
			WIRE_ETH_HLEN + (v6 ? WIRE_IP6_HLEN : WIRE_IP4_HLEN);
		size_t len = t_build(t_in_frames[0], &f);

		/* as lwIP sends it: no checksum */
		memcpy(t_in_frames[1], t_in_frames[0], len);
		memset(t_in_frames[1] + l4 + 16, 0, 2);
		unet__coalesce_csum(t_in_frames[1], len, false, &off);
		assert_memory_equal(t_in_frames[1], t_in_frames[0], len);
		assert_int_equal(off.flags, 0);
		/* left to do: what t_build() makes without csum_ok */
		memset(t_in_frames[1] + l4 + 16, 0, 2);
		unet__coalesce_csum(t_in_frames[1], len, true, &off);
		f.csum_ok = false;
		t_build(t_in_frames[0], &f);
		assert_memory_equal(t_in_frames[1], t_in_frames[0], len);
		assert_int_equal(off.flags, UNET_OFFLOAD_F_NEEDS_CSUM);
		assert_int_equal(off.gso_type, UNET_GSO_NONE);
		assert_int_equal(off.csum_start, l4);
		assert_int_equal(off.csum_offset, 16);
		/* a SYN without payload too */
		f.payload = 0;
		f.flags = WIRE_TCP_SYN;
		f.csum_ok = true;
		len = t_build(t_in_frames[0], &f);
		memcpy(t_in_frames[1], t_in_frames[0], len);
		memset(t_in_frames[1] + l4 + 16, 0, 2);
		unet__coalesce_csum(t_in_frames[1], len, false, &off);
		assert_memory_equal(t_in_frames[1], t_in_frames[0], len);
	}
	/* UDP, an IPv4 fragment, a truncated TCP header: untouched */
	{
		struct t_frame u = { .udp = true, .payload = 300 };
		struct t_frame t = { .payload = 300, .flags = WIRE_TCP_ACK };
		size_t len = t_build(t_in_frames[0], &u);

		memcpy(t_in_frames[1], t_in_frames[0], len);
		unet__coalesce_csum(t_in_frames[1], len, false, &off);
		assert_memory_equal(t_in_frames[1], t_in_frames[0], len);
		assert_int_equal(off.flags, 0);
		len = t_build(t_in_frames[0], &t);
		t_in_frames[0][WIRE_ETH_HLEN + 6] |= 0x20; /* more fragments */
		memcpy(t_in_frames[1], t_in_frames[0], len);
		unet__coalesce_csum(t_in_frames[1], len, true, &off);
		assert_memory_equal(t_in_frames[1], t_in_frames[0], len);
		assert_int_equal(off.flags, 0);
		t_in_frames[0][WIRE_ETH_HLEN + 6] &= (uint8_t)~0x20;
		memcpy(t_in_frames[1], t_in_frames[0], len);
		unet__coalesce_csum(t_in_frames[1], WIRE_ETH_HLEN + 30, true,
				    &off);
		assert_memory_equal(t_in_frames[1], t_in_frames[0], len);
		assert_int_equal(off.flags, 0);
	}
}

/*
 * What never starts a merged frame, and what does not continue one: each
 * row changes the second of two segments (or the first, @first).
 */
static void test_merge_refused(void **state)
{
	static const struct {
		const char *what;
		bool first;
		uint8_t flags; /* replaces ACK when not 0 */
		size_t payload; /* replaces 1000 when not 0 */
		int seq_delta;
		size_t byte; /* a header byte to change (from 0: none) */
		uint8_t value;
	} rows[] = {
		{ "SYN", true, WIRE_TCP_SYN | WIRE_TCP_ACK, 0, 0, 0, 0 },
		{ "FIN", true, WIRE_TCP_FIN | WIRE_TCP_ACK, 0, 0, 0, 0 },
		{ "RST", true, WIRE_TCP_RST | WIRE_TCP_ACK, 0, 0, 0, 0 },
		{ "URG", true, WIRE_TCP_URG | WIRE_TCP_ACK, 0, 0, 0, 0 },
		{ "no ACK", true, WIRE_TCP_PSH, 0, 0, 0, 0 },
		{ "CWR", false, WIRE_TCP_CWR | WIRE_TCP_ACK, 0, 0, 0, 0 },
		{ "a gap", false, 0, 0, 1, 0, 0 },
		{ "a retransmission", false, 0, 0, -1000, 0, 0 },
		{ "longer than the first", false, 0, 1001, 0, 0, 0 },
		{ "another source port", false, 0, 0, 0, 34 + 1, 9 },
		{ "another ack", false, 0, 0, 0, 34 + 11, 9 },
		{ "another window", false, 0, 0, 0, 34 + 15, 9 },
		{ "other options", false, 0, 0, 0, 34 + 25, 9 },
		{ "another TTL", false, 0, 0, 0, 14 + 8, 9 },
		{ "another address", false, 0, 0, 0, 14 + 19, 9 },
		{ "another MAC", false, 0, 0, 0, 3, 9 },
		{ "a fragment", true, 0, 0, 0, 14 + 6, 0x20 },
	};
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct unet__coalesce c = { .buf = t_merge_buf };
		struct t_frame f = { .payload = 1000,
				     .seq = 5000,
				     .flags = WIRE_TCP_ACK,
				     .id = 7,
				     .csum_ok = true };
		struct t_frame g = f;
		size_t len1, len2;
		uint8_t *mod;

		print_message("row %u: %s\n", i, rows[i].what);
		g.seq = 6000 + (uint32_t)rows[i].seq_delta;
		g.pay_off = 1000;
		g.id = 8;
		if (rows[i].flags != 0)
			(rows[i].first ? &f : &g)->flags = rows[i].flags;
		if (rows[i].payload != 0)
			g.payload = rows[i].payload;
		len1 = t_build(t_in_frames[0], &f);
		len2 = t_build(t_in_frames[1], &g);
		mod = rows[i].first ? t_in_frames[0] : t_in_frames[1];
		if (rows[i].byte != 0)
			mod[rows[i].byte] ^= rows[i].value;
		if (rows[i].first) {
			assert_false(unet__coalesce_add(&c, t_in_frames[0],
							len1, 1500));
			assert_int_equal(c.len, 0);
			continue;
		}
		assert_true(unet__coalesce_add(&c, t_in_frames[0], len1, 1500));
		assert_false(
			unet__coalesce_add(&c, t_in_frames[1], len2, 1500));
		assert_int_equal(c.len, len1);
	}
}

/*
 * A short segment, or one with PSH, closes the frame; so does the 64 KiB
 * limit; and a segment longer than the MTU never starts one.
 */
static void test_merge_closes(void **state)
{
	struct unet__coalesce c = { .buf = t_merge_buf };
	struct t_frame f = { .payload = 1448,
			     .seq = 1,
			     .flags = WIRE_TCP_ACK,
			     .csum_ok = true };
	struct unet_offload off;
	unsigned int n = 0;
	size_t len;

	(void)state;
	/* a short one closes it */
	len = t_build(t_in_frames[0], &f);
	assert_true(unet__coalesce_add(&c, t_in_frames[0], len, 1500));
	f.seq += 1448;
	f.payload = 10;
	len = t_build(t_in_frames[1], &f);
	assert_true(unet__coalesce_add(&c, t_in_frames[1], len, 1500));
	assert_true(c.closed);
	assert_int_equal(unet__coalesce_take(&c, &off), 14 + 20 + 32 + 1458);
	assert_int_equal(off.gso_size, 1448);
	/* full segments until 64 KiB: 45 of 1448 fit, the 45th closes it */
	f.payload = 1448;
	f.seq = 1;
	do {
		f.pay_off = 0;
		len = t_build(t_in_frames[0], &f);
		assert_true(unet__coalesce_add(&c, t_in_frames[0], len, 1500));
		f.seq += 1448;
		n++;
	} while (!c.closed);
	assert_int_equal(n, 45);
	len = unet__coalesce_take(&c, &off);
	assert_true(len - 14 <= 0xffff);
	/* past the MTU: never */
	f.payload = 1500;
	len = t_build(t_in_frames[0], &f);
	assert_false(unet__coalesce_add(&c, t_in_frames[0], len, 1500));
}

/*
 * A segment nothing could follow is refused when nothing is held, so that
 * it leaves as it is instead of through a copy: one with PSH (a reply), and
 * one of lwIP's segments at MTU 65520, after which no other fits 64 KiB.
 * Either still ends a frame that is held.
 */
static void test_merge_alone(void **state)
{
	static uint8_t t_big[2][WIRE_ETH_HLEN + 0xffff];
	struct unet__coalesce c = { .buf = t_merge_buf };
	struct t_frame f = { .payload = 100,
			     .seq = 1,
			     .flags = WIRE_TCP_ACK | WIRE_TCP_PSH,
			     .csum_ok = true };
	struct unet_offload off;
	size_t len;

	(void)state;
	len = t_build(t_big[0], &f);
	assert_false(unet__coalesce_add(&c, t_big[0], len, 1500));
	assert_int_equal(c.len, 0);
	/* 65440 bytes: 64 KiB holds no second one */
	f.flags = WIRE_TCP_ACK;
	f.payload = 65440;
	len = t_build(t_big[0], &f);
	assert_false(unet__coalesce_add(&c, t_big[0], len, 65520));
	assert_int_equal(c.len, 0);
	/* half of it: another fits, so it is held */
	f.payload = 32000;
	len = t_build(t_big[0], &f);
	assert_true(unet__coalesce_add(&c, t_big[0], len, 65520));
	assert_int_equal(c.len, len);
	/* a reply after it ends the held frame */
	f.seq += 32000;
	f.payload = 100;
	f.flags = WIRE_TCP_ACK | WIRE_TCP_PSH;
	len = t_build(t_big[1], &f);
	assert_true(unet__coalesce_add(&c, t_big[1], len, 65520));
	assert_true(c.closed);
	assert_int_equal(unet__coalesce_take(&c, &off), 14 + 20 + 32 + 32100);
	assert_int_equal(off.gso_size, 32000);
}

/* ---- one segment of many MSS cut by the link (unet__coalesce_tso()) ---- */

/*
 * A segment lwIP built of 44 of the link's MSS, with PSH and FIN as on the
 * last one queued and a whole checksum as lwIP leaves it: it becomes a GSO
 * frame of the MSS that fills MTU 1500, and the hub cuts it into the 44
 * frames lwIP would have sent, byte for byte (FIN and PSH on the last).
 */
static void t_tso_roundtrip(bool v6)
{
	const unsigned int nseg = 44;
	size_t hdrs = (v6 ? WIRE_IP6_HLEN : WIRE_IP4_HLEN) + WIRE_TCP_HLEN +
		      T_TCP_OPTS,
	       mss = 1500 - hdrs, lens[48], len;
	struct t_frame f = { .v6 = v6,
			     .payload = nseg * mss,
			     .seq = T_SEQ,
			     .flags = WIRE_TCP_ACK | WIRE_TCP_PSH |
				      WIRE_TCP_FIN,
			     .id = T_ID,
			     .csum_ok = true };
	struct unet_offload off;
	struct t_segs *s;
	unsigned int i;

	len = t_build(t_frame_buf, &f);
	assert_int_equal(unet__coalesce_tso(t_frame_buf, len, 1500, &off), len);
	assert_int_equal(off.gso_type, v6 ? UNET_GSO_TCPV6 : UNET_GSO_TCPV4);
	assert_int_equal(off.gso_size, mss);
	assert_int_equal(off.flags, UNET_OFFLOAD_F_NEEDS_CSUM);
	assert_int_equal(off.hdr_len, WIRE_ETH_HLEN + hdrs);
	s = t_cut(t_frame_buf, len, &off, nseg);
	for (i = 0; i < nseg; i++) {
		struct t_frame g = {
			.v6 = v6,
			.payload = mss,
			.pay_off = i * mss,
			.seq = T_SEQ + (uint32_t)(i * mss),
			.flags = WIRE_TCP_ACK,
			.id = (uint16_t)(T_ID + i),
			.csum_ok = true,
		};

		if (i == nseg - 1)
			g.flags |= WIRE_TCP_PSH | WIRE_TCP_FIN;
		lens[i] = t_build(t_in_frames[0], &g);
		assert_int_equal(s->lens[i], lens[i]);
		assert_int_equal(lens[i], WIRE_ETH_HLEN + 1500);
		assert_memory_equal(s->frames[i], t_in_frames[0], lens[i]);
	}
	free(s);
}

static void test_tso(void **state)
{
	t_tso_roundtrip(*(bool *)*state);
}

/* What is left alone: a segment that fits, or one that may not be cut. */
static void test_tso_refused(void **state)
{
	static const struct {
		const char *what;
		uint8_t flags;
		size_t payload;
		unsigned int mtu;
	} rows[] = {
		{ "fits the link", WIRE_TCP_ACK, 1448, 1500 },
		{ "fits a larger link", WIRE_TCP_ACK, 8000, 9000 },
		{ "SYN", WIRE_TCP_SYN | WIRE_TCP_ACK, 8000, 1500 },
		{ "RST", WIRE_TCP_RST | WIRE_TCP_ACK, 8000, 1500 },
		{ "URG", WIRE_TCP_URG | WIRE_TCP_ACK, 8000, 1500 },
		{ "CWR", WIRE_TCP_CWR | WIRE_TCP_ACK, 8000, 1500 },
		{ "no ACK", WIRE_TCP_PSH, 8000, 1500 },
		{ "more than 1024 pieces", WIRE_TCP_ACK, 60000, 68 + 32 },
		{ "headers fill the link", WIRE_TCP_ACK, 8000, 20 + 32 },
	};
	struct unet_offload off;
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct t_frame f = { .payload = rows[i].payload,
				     .seq = 1,
				     .flags = rows[i].flags,
				     .csum_ok = true };
		size_t len = t_build(t_frame_buf, &f);

		memcpy(t_merge_buf, t_frame_buf, len);
		if (unet__coalesce_tso(t_frame_buf, len, rows[i].mtu, &off) !=
		    0)
			fail_msg("taken: %s", rows[i].what);
		assert_memory_equal(t_frame_buf, t_merge_buf, len);
	}
	/* a UDP datagram */
	{
		struct t_frame f = { .udp = true, .payload = 8000 };
		size_t len = t_build(t_frame_buf, &f);

		assert_int_equal(
			unet__coalesce_tso(t_frame_buf, len, 1500, &off), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp4_gso),
		cmocka_unit_test(test_tcp6_gso),
		cmocka_unit_test(test_tcp_gso_mtu_smaller),
		cmocka_unit_test(test_segment_stops),
		cmocka_unit_test(test_udp_l4),
		cmocka_unit_test(test_csum_finish),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_hub_delivery),
		cmocka_unit_test_prestate(test_merge, &t_v4),
		cmocka_unit_test_prestate(test_merge, &t_v6),
		cmocka_unit_test(test_merge_single),
		cmocka_unit_test(test_csum_out),
		cmocka_unit_test(test_merge_refused),
		cmocka_unit_test(test_merge_closes),
		cmocka_unit_test(test_merge_alone),
		cmocka_unit_test_prestate(test_tso, &t_v4),
		cmocka_unit_test_prestate(test_tso, &t_v6),
		cmocka_unit_test(test_tso_refused),
	};

	t_data_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
