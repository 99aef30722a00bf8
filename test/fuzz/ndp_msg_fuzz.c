/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target of the Neighbor Discovery codec (stack/ndp_msg.c),
 * called directly, no stack. An input is an IPv6 header (40 bytes: the
 * addresses and hop limit the checks look at) and the ICMPv6 message
 * after it. So that the fuzzer gets past the checksum, the message's
 * checksum is set right unless the input's first byte is odd. When the
 * message parses, everything reported must lie inside the input and the
 * counts must be what the options allow; the builders' output for the
 * same addresses must parse too.
 */
#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ndp_msg.h"
#include "wire/checksum.h"
#include "wire/icmp_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t buf[65536];

static bool inside(const void *p, size_t n, const uint8_t *b, size_t size)
{
	const uint8_t *q = p;

	return q >= b && n <= size && (size_t)(q - b) <= size - n;
}

/* The gateway's answers, built for the input's addresses, parse. */
static void check_builders(const struct wire_ip6 *in)
{
	static const uint8_t mac[6] = { 0x52, 0x55, 0x0a, 0, 2, 2 };
	struct unet__nd_ra_info ra = {
		.flags = WIRE_ND_RA_OTHER,
		.router_lifetime = 1800,
		.mac = mac,
		.mtu = 1500,
		.prefix = in->daddr,
		.dns = in->saddr,
		.dnssl = in->daddr,
		.dnssl_len = 13,
	};
	struct wire_ip6 ip = *in;
	struct unet__nd_msg m;
	uint8_t out[1280];
	size_t len;

	ip.hop_limit = WIRE_ND_HOP_LIMIT;
	ip.saddr[0] = 0xfe;
	ip.saddr[1] = 0x80;
	ip.daddr[0] = 0x20;
	len = unet__nd_build_ra(out, sizeof(out), &ra);
	assert(len > 0);
	memcpy(out + 2,
	       &(uint16_t){ htons(unet__csum_finish(unet__csum_add(
		       unet__csum_ip6_pseudo(ip.saddr, ip.daddr,
					     WIRE_IPPROTO_ICMPV6, len),
		       out, len))) },
	       2);
	assert(unet__nd_parse(&ip, out, len, &m) == 0);
	assert(m.type == WIRE_ICMP6_RA && m.n_prefix == 1 && m.n_rdnss == 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct wire_ip6 *ip = (const void *)buf;
	struct unet__nd_msg m;
	uint8_t *icmp = buf + sizeof(*ip);
	size_t len;
	uint16_t c;

	if (size < sizeof(*ip) || size > sizeof(buf))
		return 0;
	memcpy(buf, data, size);
	len = size - sizeof(*ip);
	if (len >= 4 && (data[0] & 1) == 0) {
		memset(icmp + 2, 0, 2);
		c = htons(unet__csum_finish(unet__csum_add(
			unet__csum_ip6_pseudo(ip->saddr, ip->daddr,
					      WIRE_IPPROTO_ICMPV6, len),
			icmp, len)));
		memcpy(icmp + 2, &c, 2);
	}
	if (unet__nd_parse(ip, icmp, len, &m) == 0) {
		assert(m.type >= WIRE_ICMP6_RS && m.type <= WIRE_ICMP6_NA);
		assert(m.lla == NULL || inside(m.lla, 6, icmp, len));
		assert(m.target == NULL || inside(m.target, 16, icmp, len));
		assert(m.prefix == NULL ||
		       inside(m.prefix, sizeof(*m.prefix), icmp, len));
		assert(m.n_rdnss <= UNET__ND_RDNSS_MAX);
		assert(m.rdnss == NULL ||
		       inside(m.rdnss, 16 * (size_t)m.n_rdnss, icmp, len));
		assert(m.dnssl == NULL ||
		       inside(m.dnssl, m.dnssl_len, icmp, len));
	}
	check_builders(ip);
	return 0;
}
