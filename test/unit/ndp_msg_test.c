/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the Neighbor Discovery codec (stack/ndp_msg.c), driven
 * directly: no stack, no frames.
 *
 * Each row is an IPv6 header (source, destination, hop limit) and the
 * ICMPv6 message, given in hex without its checksum, which the test fills
 * in (unless the row asks for a bad one). Well-formed rows: an RS with and
 * without its source link-layer address, an NS for an address and a
 * duplicate address probe, an NA, an RA with every option. Malformed rows
 * each break one of RFC 4861's checks: hop limit, code, checksum, a
 * message cut short, a zero-length option, an option past the end, a
 * source link-layer address from ::, a probe not sent to a solicited-node
 * group, a multicast target, an RA from a global address, a multicast NA
 * with the Solicited flag. The builders are checked by parsing what they
 * build.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ndp_msg.h"
#include "wire/checksum.h"
#include "wire/icmp_proto.h"

#define LL "fe800000000000000000000000000015"
#define GW_LL "fe800000000000000000000000000002"
#define GW6 "fec00000000000000000000000000002"
#define ALL_ROUTERS "ff020000000000000000000000000002"
#define SOL_GW6 "ff0200000000000000000001ff000002"
#define ALL_NODES "ff020000000000000000000000000001"
#define UNSPEC "00000000000000000000000000000000"
#define SLLA "0101525400123456"

/**
 * struct nd_row - one message for unet__nd_parse()
 * @what: what the row checks
 * @src: the IPv6 source, hex
 * @dst: the IPv6 destination, hex
 * @hlim: the hop limit
 * @icmp: the ICMPv6 message, hex, checksum 0000
 * @bad_csum: leave the checksum wrong
 * @ok: the message is taken
 * @has_lla: a link-layer address is found
 */
struct nd_row {
	const char *what;
	const char *src;
	const char *dst;
	unsigned int hlim;
	const char *icmp;
	bool bad_csum;
	bool ok;
	bool has_lla;
};

static const struct nd_row rows[] = {
	{ "RS", LL, ALL_ROUTERS, 255,
	  "85000000"
	  "00000000" SLLA,
	  false, true, true },
	{ "RS without option", LL, ALL_ROUTERS, 255,
	  "85000000"
	  "00000000",
	  false, true, false },
	{ "RS from ::", UNSPEC, ALL_ROUTERS, 255,
	  "85000000"
	  "00000000",
	  false, true, false },
	{ "NS", LL, SOL_GW6, 255,
	  "87000000"
	  "00000000" GW6 SLLA,
	  false, true, true },
	{ "DAD probe", UNSPEC, SOL_GW6, 255,
	  "87000000"
	  "00000000" GW6,
	  false, true, false },
	{ "NA", LL, GW_LL, 255,
	  "88000000"
	  "60000000" LL "0201525400123456",
	  false, true, true },
	{ "RA", GW_LL, ALL_NODES, 255,
	  "86000000"
	  "40400708"
	  "00000000"
	  "00000000" SLLA "0501000000000500"
	  "030440c000015180"
	  "0000384000000000" GW6 "19030000"
	  "00000708" GW6 "1f030000"
	  "00000708"
	  "076578616d706c6503636f6d00000000",
	  false, true, true },
	{ "unknown option skipped", LL, ALL_ROUTERS, 255,
	  "85000000"
	  "00000000"
	  "0e01000000000000",
	  false, true, false },
	/* malformed */
	{ "hop limit 64", LL, ALL_ROUTERS, 64,
	  "85000000"
	  "00000000",
	  false, false, false },
	{ "code 1", LL, ALL_ROUTERS, 255,
	  "85010000"
	  "00000000",
	  false, false, false },
	{ "bad checksum", LL, ALL_ROUTERS, 255,
	  "85000000"
	  "00000000",
	  true, false, false },
	{ "RS cut short", LL, ALL_ROUTERS, 255, "850000", false, false, false },
	{ "NS cut short", LL, SOL_GW6, 255,
	  "87000000"
	  "00000000"
	  "fec0",
	  false, false, false },
	{ "RA cut short", GW_LL, ALL_NODES, 255,
	  "86000000"
	  "40400708",
	  false, false, false },
	{ "zero-length option", LL, ALL_ROUTERS, 255,
	  "85000000"
	  "00000000"
	  "0100525400123456",
	  false, false, false },
	{ "option past the end", LL, ALL_ROUTERS, 255,
	  "85000000"
	  "00000000"
	  "0102525400123456",
	  false, false, false },
	{ "option header cut", LL, ALL_ROUTERS, 255,
	  "85000000"
	  "00000000"
	  "01",
	  false, false, false },
	{ "SLLA from ::", UNSPEC, ALL_ROUTERS, 255,
	  "85000000"
	  "00000000" SLLA,
	  false, false, false },
	{ "DAD probe not to a solicited-node group", UNSPEC, GW6, 255,
	  "87000000"
	  "00000000" GW6,
	  false, false, false },
	{ "multicast NS target", LL, SOL_GW6, 255,
	  "87000000"
	  "00000000" ALL_NODES,
	  false, false, false },
	{ "RA from a global address", GW6, ALL_NODES, 255,
	  "86000000"
	  "40400708"
	  "00000000"
	  "00000000",
	  false, false, false },
	{ "solicited NA to a group", LL, ALL_NODES, 255,
	  "88000000"
	  "40000000" LL,
	  false, false, false },
	{ "redirect", LL, GW_LL, 255,
	  "89000000"
	  "00000000" GW6 GW6,
	  false, false, false },
};

static size_t hex(const char *s, uint8_t *out)
{
	size_t n = 0;
	unsigned int b;

	for (; s[0] != '\0' && s[1] != '\0'; s += 2) {
		assert_int_equal(sscanf(s, "%2x", &b), 1);
		out[n++] = (uint8_t)b;
	}
	return n;
}

/* Fills in an IPv6 header and, unless @bad, the message's checksum. */
static void fill(struct wire_ip6 *ip, const char *src, const char *dst,
		 unsigned int hlim, uint8_t *icmp, size_t len, bool bad)
{
	uint16_t c;

	memset(ip, 0, sizeof(*ip));
	hex(src, ip->saddr);
	hex(dst, ip->daddr);
	ip->hop_limit = (uint8_t)hlim;
	ip->nexthdr = WIRE_IPPROTO_ICMPV6;
	if (len < 4)
		return;
	memset(icmp + 2, 0, 2);
	c = htons(unet__csum_finish(
		unet__csum_add(unet__csum_ip6_pseudo(ip->saddr, ip->daddr,
						     WIRE_IPPROTO_ICMPV6, len),
			       icmp, len)));
	if (bad)
		c ^= 1;
	memcpy(icmp + 2, &c, 2);
}

static void test_rows(void **state)
{
	struct unet__nd_msg m;
	struct wire_ip6 ip;
	uint8_t icmp[512];
	size_t i, len;
	int r, failed = 0;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		len = hex(rows[i].icmp, icmp);
		fill(&ip, rows[i].src, rows[i].dst, rows[i].hlim, icmp, len,
		     rows[i].bad_csum);
		r = unet__nd_parse(&ip, icmp, len, &m);
		if ((r == 0) != rows[i].ok ||
		    (r == 0 && (m.lla != NULL) != rows[i].has_lla)) {
			print_error("%s: %d, lla %p\n", rows[i].what, r,
				    (const void *)m.lla);
			failed++;
		}
		if (r != 0)
			assert_int_equal(r, -EINVAL);
	}
	assert_int_equal(failed, 0);
}

/* The RA row's options, as found. */
static void test_ra_options(void **state)
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };
	struct unet__nd_msg m;
	struct wire_ip6 ip;
	uint8_t icmp[512], gw6[16];
	size_t len;

	(void)state;
	len = hex(rows[6].icmp, icmp);
	fill(&ip, GW_LL, ALL_NODES, 255, icmp, len, false);
	assert_int_equal(unet__nd_parse(&ip, icmp, len, &m), 0);
	hex(GW6, gw6);
	assert_int_equal(m.type, WIRE_ICMP6_RA);
	assert_int_equal(m.flags, WIRE_ND_RA_OTHER);
	assert_int_equal(m.router_lifetime, 1800);
	assert_memory_equal(m.lla, mac, 6);
	assert_int_equal(m.mtu, 1280);
	assert_int_equal(m.n_prefix, 1);
	assert_int_equal(m.prefix->prefix_len, 64);
	assert_int_equal(ntohl(m.prefix->valid), 86400);
	assert_int_equal(m.n_rdnss, 1);
	assert_memory_equal(m.rdnss, gw6, 16);
	assert_int_equal(m.rdnss_lifetime, 1800);
	assert_int_equal(m.dnssl_len, 16);
	assert_memory_equal(m.dnssl, "\007example\003com\000", 13);
}

/* What the builders write parses back to what they were given. */
static void test_build(void **state)
{
	static const uint8_t mac[6] = { 0x52, 0x55, 0x0a, 0, 2, 2 };
	static const uint8_t names[] = "\004test\005local";
	uint8_t msg[1280], prefix[16], dns[16], target[16], group[16];
	struct unet__nd_ra_info ra = {
		.flags = WIRE_ND_RA_OTHER | WIRE_ND_RA_MANAGED,
		.router_lifetime = 1800,
		.mac = mac,
		.mtu = 65520,
		.prefix = prefix,
		.valid = 86400,
		.preferred = 14400,
		.dns = dns,
		.dns_lifetime = 1800,
		.dnssl = names,
		.dnssl_len = sizeof(names),
	};
	struct unet__nd_msg m;
	struct wire_ip6 ip;
	size_t len;

	(void)state;
	hex(GW6, prefix);
	hex("fec00000000000000000000000000003", dns);
	len = unet__nd_build_ra(msg, sizeof(msg), &ra);
	/* 16 + SLLA 8 + MTU 8 + PI 32 + RDNSS 24 + DNSSL 8 + 12 -> 16 */
	assert_int_equal(len, 16 + 8 + 8 + 32 + 24 + 24);
	fill(&ip, GW_LL, ALL_NODES, 255, msg, len, false);
	assert_int_equal(unet__nd_parse(&ip, msg, len, &m), 0);
	assert_int_equal(m.flags, 0xc0);
	assert_int_equal(m.mtu, 65520);
	assert_int_equal(m.prefix->flags, 0xc0);
	assert_memory_equal(m.prefix->prefix, prefix, 8);
	assert_memory_equal(m.rdnss, dns, 16);
	assert_int_equal(m.dnssl_len, 16);
	assert_memory_equal(m.dnssl, names, sizeof(names));
	/* Too small a buffer: nothing. */
	assert_int_equal(unet__nd_build_ra(msg, 100, &ra), 0);
	/* No DNS: neither RDNSS nor DNSSL. */
	ra.dns = NULL;
	ra.dnssl_len = 0;
	ra.mtu = 0;
	assert_int_equal(unet__nd_build_ra(msg, sizeof(msg), &ra), 16 + 8 + 32);

	hex(GW6, target);
	len = unet__nd_build_na(msg, sizeof(msg), target, 0xe0, mac);
	assert_int_equal(len, 32);
	fill(&ip, GW6, LL, 255, msg, len, false);
	assert_int_equal(unet__nd_parse(&ip, msg, len, &m), 0);
	assert_int_equal(m.type, WIRE_ICMP6_NA);
	assert_int_equal(m.flags, 0xe0);
	assert_memory_equal(m.target, target, 16);
	assert_memory_equal(m.lla, mac, 6);
	assert_int_equal(unet__nd_build_na(msg, 31, target, 0, mac), 0);

	unet__nd_solicited_node(target, group);
	hex(SOL_GW6, msg);
	assert_memory_equal(group, msg, 16);
	assert_true(unet__nd_is_solicited_node(group));
	assert_false(unet__nd_is_solicited_node(target));
	unet__ip6_multicast_mac(group, msg);
	assert_memory_equal(msg, "\063\063\377\000\000\002", 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_ra_options),
		cmocka_unit_test(test_build),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
