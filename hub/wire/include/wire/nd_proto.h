/* SPDX-License-Identifier: MIT */
/*
 * IPv6 Neighbor Discovery on the wire: RFC 4861 (router solicitation and
 * advertisement, neighbour solicitation and advertisement, their options),
 * RFC 8106 (the RDNSS and DNSSL options of router advertisements).
 *
 * Every message is ICMPv6 (type, code, checksum over the IPv6 pseudo
 * header), sent with hop limit 255 so that a receiver can tell it came from
 * the link; after its fixed part come options, each a type, a length in
 * units of 8 bytes (0 is invalid) and data:
 *
 *   RS: type 133 | code | csum | reserved (4) | options ...
 *   RA: type 134 | code | csum | cur hop limit | M O flags | router
 *       lifetime (2) | reachable time (4) | retrans timer (4) | options ...
 *   NS: type 135 | code | csum | reserved (4) | target (16) | options ...
 *   NA: type 136 | code | csum | R S O flags | reserved (3) | target (16) |
 *       options ...
 *
 * Multi-byte fields are big-endian.
 */
#ifndef USERNET_WIRE_ND_PROTO_H
#define USERNET_WIRE_ND_PROTO_H

#include <arpa/inet.h>
#include <stdint.h>

#include "wire/ip6_proto.h"

/** The hop limit every ND message is sent and must be received with. */
#define WIRE_ND_HOP_LIMIT 255
/** Options are counted in units of this many bytes. */
#define WIRE_ND_OPT_UNIT 8

/* Flags of an RA (its flags byte). */
#define WIRE_ND_RA_MANAGED 0x80 /* M: addresses by DHCPv6 */
#define WIRE_ND_RA_OTHER 0x40 /* O: other settings by DHCPv6 */

/* Flags of an NA (its flags byte). */
#define WIRE_ND_NA_ROUTER 0x80
#define WIRE_ND_NA_SOLICITED 0x40
#define WIRE_ND_NA_OVERRIDE 0x20

/* Option types. */
#define WIRE_ND_OPT_SLLA 1 /* source link-layer address */
#define WIRE_ND_OPT_TLLA 2 /* target link-layer address */
#define WIRE_ND_OPT_PREFIX 3 /* prefix information */
#define WIRE_ND_OPT_REDIRECT 4 /* redirected header */
#define WIRE_ND_OPT_MTU 5
#define WIRE_ND_OPT_RDNSS 25 /* RFC 8106 */
#define WIRE_ND_OPT_DNSSL 31 /* RFC 8106 */

/* Flags of a prefix information option. */
#define WIRE_ND_PREFIX_ONLINK 0x80 /* L */
#define WIRE_ND_PREFIX_AUTO 0x40 /* A: use it for SLAAC */

/**
 * struct wire_nd_rs - a router solicitation's fixed part
 * @type: WIRE_ICMP6_RS
 * @code: 0
 * @csum: ICMPv6 checksum
 * @reserved: 0
 */
struct wire_nd_rs {
	uint8_t type;
	uint8_t code;
	uint16_t csum;
	uint32_t reserved;
} __attribute__((packed));

/**
 * struct wire_nd_ra - a router advertisement's fixed part
 * @type: WIRE_ICMP6_RA
 * @code: 0
 * @csum: ICMPv6 checksum
 * @cur_hop_limit: the hop limit hosts should use (0: unspecified)
 * @flags: WIRE_ND_RA_*
 * @router_lifetime: seconds the router is a default router (0: not one)
 * @reachable_time: milliseconds (0: unspecified)
 * @retrans_timer: milliseconds (0: unspecified)
 */
struct wire_nd_ra {
	uint8_t type;
	uint8_t code;
	uint16_t csum;
	uint8_t cur_hop_limit;
	uint8_t flags;
	uint16_t router_lifetime;
	uint32_t reachable_time;
	uint32_t retrans_timer;
} __attribute__((packed));

/**
 * struct wire_nd_ns - a neighbour solicitation's fixed part
 * @type: WIRE_ICMP6_NS
 * @code: 0
 * @csum: ICMPv6 checksum
 * @reserved: 0
 * @target: the address whose link-layer address is asked
 */
struct wire_nd_ns {
	uint8_t type;
	uint8_t code;
	uint16_t csum;
	uint32_t reserved;
	uint8_t target[WIRE_IP6_ALEN];
} __attribute__((packed));

/**
 * struct wire_nd_na - a neighbour advertisement's fixed part
 * @type: WIRE_ICMP6_NA
 * @code: 0
 * @csum: ICMPv6 checksum
 * @flags: WIRE_ND_NA_*
 * @reserved: 0
 * @target: the address advertised
 */
struct wire_nd_na {
	uint8_t type;
	uint8_t code;
	uint16_t csum;
	uint8_t flags;
	uint8_t reserved[3];
	uint8_t target[WIRE_IP6_ALEN];
} __attribute__((packed));

/**
 * struct wire_nd_opt - the start of every option
 * @type: WIRE_ND_OPT_*
 * @len: the whole option's length in units of 8 bytes (0 is invalid)
 */
struct wire_nd_opt {
	uint8_t type;
	uint8_t len;
} __attribute__((packed));

/**
 * struct wire_nd_opt_lla - a source or target link-layer address option
 * (Ethernet)
 * @type: WIRE_ND_OPT_SLLA or WIRE_ND_OPT_TLLA
 * @len: 1
 * @addr: the MAC address
 */
struct wire_nd_opt_lla {
	uint8_t type;
	uint8_t len;
	uint8_t addr[6];
} __attribute__((packed));

/**
 * struct wire_nd_opt_prefix - a prefix information option
 * @type: WIRE_ND_OPT_PREFIX
 * @len: 4
 * @prefix_len: bits of @prefix that count
 * @flags: WIRE_ND_PREFIX_*
 * @valid: valid lifetime, seconds (0xffffffff: infinite)
 * @preferred: preferred lifetime, seconds
 * @reserved: 0
 * @prefix: the prefix
 */
struct wire_nd_opt_prefix {
	uint8_t type;
	uint8_t len;
	uint8_t prefix_len;
	uint8_t flags;
	uint32_t valid;
	uint32_t preferred;
	uint32_t reserved;
	uint8_t prefix[WIRE_IP6_ALEN];
} __attribute__((packed));

/**
 * struct wire_nd_opt_mtu - an MTU option
 * @type: WIRE_ND_OPT_MTU
 * @len: 1
 * @reserved: 0
 * @mtu: the link's MTU
 */
struct wire_nd_opt_mtu {
	uint8_t type;
	uint8_t len;
	uint16_t reserved;
	uint32_t mtu;
} __attribute__((packed));

/**
 * struct wire_nd_opt_dns - the fixed part of an RDNSS or DNSSL option; the
 * addresses (16 bytes each) or the names (uncompressed DNS labels, padded
 * with zeros to a multiple of 8) follow
 * @type: WIRE_ND_OPT_RDNSS or WIRE_ND_OPT_DNSSL
 * @len: the whole option's length in units of 8 bytes
 * @reserved: 0
 * @lifetime: seconds the servers or names may be used (0: no longer)
 */
struct wire_nd_opt_dns {
	uint8_t type;
	uint8_t len;
	uint16_t reserved;
	uint32_t lifetime;
} __attribute__((packed));

_Static_assert(sizeof(struct wire_nd_rs) == 8, "RS");
_Static_assert(sizeof(struct wire_nd_ra) == 16, "RA");
_Static_assert(sizeof(struct wire_nd_ns) == 24, "NS");
_Static_assert(sizeof(struct wire_nd_na) == 24, "NA");
_Static_assert(sizeof(struct wire_nd_opt_lla) == WIRE_ND_OPT_UNIT, "LLA");
_Static_assert(sizeof(struct wire_nd_opt_prefix) == 4 * WIRE_ND_OPT_UNIT,
	       "prefix information");
_Static_assert(sizeof(struct wire_nd_opt_mtu) == WIRE_ND_OPT_UNIT, "MTU");
_Static_assert(sizeof(struct wire_nd_opt_dns) == WIRE_ND_OPT_UNIT,
	       "RDNSS/DNSSL");

/* An option's length in bytes. */
static inline size_t wire_nd_opt_len(const struct wire_nd_opt *o)
{
	return (size_t)o->len * WIRE_ND_OPT_UNIT;
}

#endif /* USERNET_WIRE_ND_PROTO_H */
