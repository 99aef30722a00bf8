/* SPDX-License-Identifier: MIT */
/*
 * ICMP (RFC 792) and ICMPv6 (RFC 4443): the header, echo, and the types and
 * codes usernet sends or reads.
 */
#ifndef USERNET_WIRE_ICMP_PROTO_H
#define USERNET_WIRE_ICMP_PROTO_H

#include <arpa/inet.h>
#include <stdint.h>

#define WIRE_ICMP_HLEN 8

/* ICMP types and codes. */
#define WIRE_ICMP_ECHOREPLY 0
#define WIRE_ICMP_UNREACH 3
#define WIRE_ICMP_UNREACH_NET 0
#define WIRE_ICMP_UNREACH_HOST 1
#define WIRE_ICMP_UNREACH_PROTO 2
#define WIRE_ICMP_UNREACH_PORT 3
#define WIRE_ICMP_UNREACH_NEEDFRAG 4
#define WIRE_ICMP_UNREACH_NET_PROHIB 9
#define WIRE_ICMP_UNREACH_HOST_PROHIB 10
#define WIRE_ICMP_UNREACH_ADMIN 13
#define WIRE_ICMP_ECHO 8
#define WIRE_ICMP_TIMXCEED 11

/* ICMPv6 types. */
#define WIRE_ICMP6_UNREACH 1
#define WIRE_ICMP6_PACKET_TOO_BIG 2
#define WIRE_ICMP6_TIME_EXCEEDED 3
#define WIRE_ICMP6_PARAM_PROB 4
#define WIRE_ICMP6_ECHO 128
#define WIRE_ICMP6_ECHOREPLY 129
#define WIRE_ICMP6_RS 133
#define WIRE_ICMP6_RA 134
#define WIRE_ICMP6_NS 135
#define WIRE_ICMP6_NA 136
#define WIRE_ICMP6_REDIRECT 137

/**
 * struct wire_icmp - an ICMP or ICMPv6 header, as echo uses it
 * @type: the message type
 * @code: the code
 * @csum: checksum over the message (and, for ICMPv6, the pseudo-header)
 * @id: echo identifier (network order); other types: their own 4 bytes
 * @seq: echo sequence number (network order)
 */
struct wire_icmp {
	uint8_t type;
	uint8_t code;
	uint16_t csum;
	uint16_t id;
	uint16_t seq;
} __attribute__((packed));

_Static_assert(sizeof(struct wire_icmp) == WIRE_ICMP_HLEN, "ICMP header");

static inline uint16_t wire_icmp_id(const struct wire_icmp *h)
{
	return ntohs(h->id);
}

static inline uint16_t wire_icmp_seq(const struct wire_icmp *h)
{
	return ntohs(h->seq);
}

/* Neighbour discovery (RFC 4861): what a guest needs to answer a
 * solicitation for its own address. */
#define WIRE_ND_OPT_SLLA 1 /* source link-layer address */
#define WIRE_ND_OPT_TLLA 2 /* target link-layer address */
#define WIRE_ND_NA_ROUTER 0x80000000u
#define WIRE_ND_NA_SOLICITED 0x40000000u
#define WIRE_ND_NA_OVERRIDE 0x20000000u

/**
 * struct wire_nd_target - a neighbour solicitation or advertisement
 * @type: WIRE_ICMP6_NS or WIRE_ICMP6_NA
 * @code: 0
 * @csum: checksum (with the IPv6 pseudo-header)
 * @flags: NA: R, S and O flags (network order); NS: reserved
 * @target: the address solicited or advertised
 */
struct wire_nd_target {
	uint8_t type;
	uint8_t code;
	uint16_t csum;
	uint32_t flags;
	uint8_t target[16];
} __attribute__((packed));

/**
 * struct wire_nd_opt_lla - a link-layer address option on Ethernet
 * @type: WIRE_ND_OPT_SLLA or WIRE_ND_OPT_TLLA
 * @len: the option's length in 8-byte units (1)
 * @addr: the MAC address
 */
struct wire_nd_opt_lla {
	uint8_t type;
	uint8_t len;
	uint8_t addr[6];
} __attribute__((packed));

_Static_assert(sizeof(struct wire_nd_target) == 24, "NS/NA header");
_Static_assert(sizeof(struct wire_nd_opt_lla) == 8, "link-layer option");

#endif /* USERNET_WIRE_ICMP_PROTO_H */
