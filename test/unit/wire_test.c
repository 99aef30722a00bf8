/* SPDX-License-Identifier: MIT */
/*
 * The ground floor (hub/wire/): the Internet checksum against RFC 1071's
 * worked example, a real IPv4 header and a plain reference sum over every
 * length and alignment; pseudo-headers; RFC 1624 updates against a full
 * recomputation; the cursor's typed takes at and past the end; the typed
 * headers' accessors; the deframer with DNS's 2-byte prefix; the
 * rate-limited log on a virtual clock.
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
#include <uv.h>

#include <usernet/hub.h>

#include "wire/checksum.h"
#include "wire/cursor.h"
#include "wire/deframer.h"
#include "wire/ip4_proto.h"
#include "wire/ip6_proto.h"
#include "wire/log.h"
#include "wire/tcp_proto.h"
#include "wire/udp_proto.h"
#include "wire/util.h"

/* The checksum the slow way: big-endian 16-bit words, folded at the end. */
static uint16_t ref_csum(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void fill_random(uint8_t *p, size_t len, unsigned int *seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)rand_r(seed);
}

/* RFC 1071, 3: the words 0001 f203 f4f5 f6f7 sum to ddf2. */
static void test_csum_rfc1071(void **state)
{
	static const uint8_t b[] = { 0x00, 0x01, 0xf2, 0x03,
				     0xf4, 0xf5, 0xf6, 0xf7 };

	(void)state;
	assert_int_equal(unet__csum(b, sizeof(b)), (uint16_t)~0xddf2);
	assert_int_equal(unet__csum(NULL, 0), 0xffff);
}

/* A captured IPv4 header: its checksum is b861, and it checks to 0. */
static void test_csum_ip4_header(void **state)
{
	uint8_t h[] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40,
			0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8,
			0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };

	(void)state;
	assert_int_equal(unet__csum(h, sizeof(h)), 0);
	h[10] = h[11] = 0;
	assert_int_equal(unet__csum(h, sizeof(h)), 0xb861);
}

/* Every length 0..300 at every alignment 0..7, whole and in two pieces. */
static void test_csum_reference(void **state)
{
	uint8_t buf[320];
	unsigned int seed = 1;
	size_t len, off, cut;
	uint32_t sum;

	(void)state;
	fill_random(buf, sizeof(buf), &seed);
	for (off = 0; off < 8; off++) {
		for (len = 0; len <= 300; len++) {
			assert_int_equal(unet__csum(buf + off, len),
					 ref_csum(0, buf + off, len));
			cut = (len / 2) & ~(size_t)1; /* even first piece */
			sum = unet__csum_add(0, buf + off, cut);
			sum = unet__csum_add(sum, buf + off + cut, len - cut);
			assert_int_equal(unet__csum_finish(sum),
					 ref_csum(0, buf + off, len));
		}
	}
	/* Pieces of any length at any position (a pbuf chain). */
	for (len = 0; len <= 300; len += 7) {
		for (cut = 0; cut <= len; cut += 3) {
			size_t cut2 = cut + (len - cut) / 2;

			sum = unet__csum_add_at(0, 0, buf, cut);
			sum = unet__csum_add_at(sum, cut, buf + cut,
						cut2 - cut);
			sum = unet__csum_add_at(sum, cut2, buf + cut2,
						len - cut2);
			assert_int_equal(unet__csum_finish(sum),
					 ref_csum(0, buf, len));
		}
	}
	/* All ones: the carries of a long run fold in. */
	memset(buf, 0xff, sizeof(buf));
	assert_int_equal(unet__csum(buf, sizeof(buf)), ref_csum(0, buf, 320));
}

static void test_csum_pseudo(void **state)
{
	uint8_t seg[101], ph[12 + 101], ph6[40 + 101];
	uint8_t s6[16], d6[16];
	unsigned int seed = 7;
	uint32_t s = htonl(0x0a00020f), d = htonl(0xc6120001);

	(void)state;
	fill_random(seg, sizeof(seg), &seed);
	memcpy(ph, &s, 4);
	memcpy(ph + 4, &d, 4);
	ph[8] = 0;
	ph[9] = WIRE_IPPROTO_UDP;
	unet__put_be16(ph + 10, sizeof(seg));
	memcpy(ph + 12, seg, sizeof(seg));
	assert_int_equal(unet__csum_finish(unet__csum_add(
				 unet__csum_ip4_pseudo(s, d, WIRE_IPPROTO_UDP,
						       sizeof(seg)),
				 seg, sizeof(seg))),
			 ref_csum(0, ph, sizeof(ph)));

	fill_random(s6, sizeof(s6), &seed);
	fill_random(d6, sizeof(d6), &seed);
	memcpy(ph6, s6, 16);
	memcpy(ph6 + 16, d6, 16);
	unet__put_be32(ph6 + 32, sizeof(seg));
	unet__put_be32(ph6 + 36, WIRE_IPPROTO_TCP);
	memcpy(ph6 + 40, seg, sizeof(seg));
	assert_int_equal(unet__csum_finish(unet__csum_add(
				 unet__csum_ip6_pseudo(s6, d6, WIRE_IPPROTO_TCP,
						       sizeof(seg)),
				 seg, sizeof(seg))),
			 ref_csum(0, ph6, sizeof(ph6)));
}

/* An incremental update gives what a full recomputation gives. */
static void test_csum_update(void **state)
{
	uint8_t buf[64];
	unsigned int seed = 3;
	uint16_t check, old16, new16;
	uint32_t old32, new32;
	int i;

	(void)state;
	for (i = 0; i < 1000; i++) {
		fill_random(buf, sizeof(buf), &seed);
		check = unet__csum(buf, sizeof(buf));
		old16 = unet__get_be16(buf + 10);
		new16 = (uint16_t)rand_r(&seed);
		unet__put_be16(buf + 10, new16);
		check = unet__csum_update16(check, old16, new16);
		assert_int_equal(unet__csum(buf, sizeof(buf)) == 0xffff ?
					 0 :
					 unet__csum(buf, sizeof(buf)),
				 check == 0xffff ? 0 : check);

		old32 = unet__get_be32(buf + 20);
		new32 = (uint32_t)rand_r(&seed) << 1 ^ (uint32_t)rand_r(&seed);
		unet__put_be32(buf + 20, new32);
		check = unet__csum_update32(check, old32, new32);
		/* 0 and ffff are the same one's complement number. */
		assert_int_equal(unet__csum(buf, sizeof(buf)) == 0xffff ?
					 0 :
					 unet__csum(buf, sizeof(buf)),
				 check == 0xffff ? 0 : check);
	}
}

static void test_cursor(void **state)
{
	static const uint8_t b[] = { 0x45, 0x00, 0x00, 0x1c, 0xab, 0xcd, 0x20,
				     0x01, 0x40, 0x11, 0,    0,	   10,	 0,
				     2,	   15,	 10,   0,    2,	   2,	 0x12,
				     0x34, 0x00, 0x35, 0x00, 0x08 };
	struct unet_cursor c = cursor_init(b, sizeof(b)), sub;
	const struct wire_ip4 *ip;
	const struct wire_udp *uh;
	uint16_t v16;
	uint32_t v32;
	uint8_t v8;
	bool ok;

	(void)state;
	ip = cursor_take_hdr(&c, struct wire_ip4);
	assert_non_null(ip);
	assert_int_equal(wire_ip4_version(ip), 4);
	assert_int_equal(wire_ip4_hlen(ip), 20);
	assert_int_equal(wire_ip4_tot_len(ip), 28);
	assert_true(wire_ip4_more_frags(ip));
	assert_int_equal(wire_ip4_frag_off(ip), 8);
	assert_true(wire_ip4_is_fragment(ip));
	assert_false(wire_ip4_dont_frag(ip));
	assert_int_equal(ntohl(ip->saddr), 0x0a00020f);
	/* Six bytes left: a UDP header (8) is refused and nothing taken. */
	assert_int_equal(c.len, 6);
	uh = cursor_take_hdr(&c, struct wire_udp);
	assert_null(uh);
	assert_int_equal(c.len, 6);
	assert_true(cursor_take_be16(&c, &v16));
	assert_int_equal(v16, 0x1234);
	sub = cursor_sub(&c, 5, &ok);
	assert_false(ok);
	assert_int_equal(sub.len, 0);
	assert_int_equal(c.len, 4);
	sub = cursor_sub(&c, 3, &ok);
	assert_true(ok);
	assert_int_equal(sub.len, 3);
	assert_true(cursor_take_u8(&sub, &v8));
	assert_int_equal(v8, 0x00);
	assert_false(cursor_take_be32(&sub, &v32));
	assert_int_equal(sub.len, 2);
	assert_false(cursor_take_be16(&c, &v16));
	assert_int_equal(c.len, 1);
	assert_true(cursor_skip(&c, 1));
	assert_false(cursor_skip(&c, 1));
	assert_null(cursor_take(&c, 1));
}

static void test_headers(void **state)
{
	uint8_t th[WIRE_TCP_HLEN] = { 0x30, 0x39, 0x00, 0x50, 0, 0,
				      0,    1,	  0,	0,    0, 2,
				      0x80, 0x12, 0xff, 0xff };
	uint8_t ip6[WIRE_IP6_HLEN] = { 0x60, 0, 0, 0, 0x01, 0x00, 44, 64 };
	uint8_t fh[WIRE_IP6_FRAG_LEN] = { 17, 0, 0x05, 0x39, 0, 0, 0, 9 };
	uint8_t ext[2] = { 6, 2 };
	const struct wire_tcp *t = (const void *)th;
	const struct wire_ip6 *h6 = (const void *)ip6;
	const struct wire_ip6_frag *f = (const void *)fh;

	(void)state;
	assert_int_equal(wire_tcp_sport(t), 12345);
	assert_int_equal(wire_tcp_dport(t), 80);
	assert_int_equal(wire_tcp_seq(t), 1);
	assert_int_equal(wire_tcp_ack(t), 2);
	assert_int_equal(wire_tcp_hlen(t), 32);
	assert_true(wire_tcp_has(t, WIRE_TCP_SYN));
	assert_true(wire_tcp_has(t, WIRE_TCP_ACK));
	assert_false(wire_tcp_has(t, WIRE_TCP_RST | WIRE_TCP_FIN));
	assert_int_equal(wire_ip6_version(h6), 6);
	assert_int_equal(wire_ip6_payload_len(h6), 256);
	assert_int_equal(wire_ip6_frag_off(f), 0x0538);
	assert_true(wire_ip6_more_frags(f));
	assert_int_equal(wire_ip6_ext_len((const void *)ext), 24);
	assert_true(wire_ip6_is_ext(WIRE_IPPROTO_DSTOPTS));
	assert_false(wire_ip6_is_ext(WIRE_IPPROTO_FRAGMENT));
}

/* DNS over TCP: 2-byte prefixes, split at every byte. */
static void test_deframer_prefix2(void **state)
{
	static const uint8_t in[] = {
		0, 3, 'a', 'b', 'c', 0, 1, 'z', 0xff, 0xff
	};
	struct unet__deframer d;
	const unsigned char *p, *frame;
	size_t n, i, flen;
	int got = 0, r;

	(void)state;
	assert_int_equal(unet__deframer_init(&d, 2, 512), 0);
	for (i = 0; i < sizeof(in); i++) {
		p = in + i;
		n = 1;
		while ((r = unet__deframer_next(&d, &p, &n, &frame, &flen)) ==
		       1) {
			if (got == 0)
				assert_memory_equal(frame, "abc", 3);
			else
				assert_memory_equal(frame, "z", 1);
			got++;
		}
		if (i < sizeof(in) - 1)
			assert_int_equal(r, 0);
		else
			assert_int_equal(r, -EMSGSIZE); /* 65535 > 512 */
	}
	assert_int_equal(got, 2);
	unet__deframer_free(&d);
}

struct log_env {
	uint64_t now;
	int lines;
	int suppressed_lines;
};

static void log_count(void *opaque, enum unet_log_level level, const char *msg)
{
	struct log_env *e = opaque;

	(void)level;
	if (strstr(msg, "suppressed") != NULL)
		e->suppressed_lines++;
	else
		e->lines++;
}

/* At most the burst per window; the rest counted, reported once. */
static void test_log_limited(void **state)
{
	struct unet_hub_config c;
	struct unet__ratelimit rl = { 0 };
	struct log_env e = { 0 };
	struct unet_hub *hub;
	uv_loop_t loop;
	int i;

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	unet_hub_config_init(&c);
	c.log_cb = log_count;
	c.log_opaque = &e;
	c.virtual_clock = true;
	assert_int_equal(unet_hub_new(&loop, &c, &hub), 0);
	for (i = 0; i < 20; i++)
		unet__log_limited(hub, &rl, UNET_LOG_WARN, "guest said %d", i);
	assert_int_equal(e.lines, UNET__RATELIMIT_BURST);
	assert_int_equal(e.suppressed_lines, 0);
	assert_int_equal(unet_hub_clock_advance(hub, UNET__RATELIMIT_WINDOW_NS),
			 0);
	unet__log_limited(hub, &rl, UNET_LOG_WARN, "again");
	assert_int_equal(e.lines, UNET__RATELIMIT_BURST + 1);
	assert_int_equal(e.suppressed_lines, 1);
	unet__log_limited(NULL, &rl, UNET_LOG_WARN, "no hub: nothing");
	assert_int_equal(e.lines, UNET__RATELIMIT_BURST + 1);
	unet_hub_close(hub);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csum_rfc1071),
		cmocka_unit_test(test_csum_ip4_header),
		cmocka_unit_test(test_csum_reference),
		cmocka_unit_test(test_csum_pseudo),
		cmocka_unit_test(test_csum_update),
		cmocka_unit_test(test_cursor),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_deframer_prefix2),
		cmocka_unit_test(test_log_limited),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
