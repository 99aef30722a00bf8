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
/* Its code for "administratively prohibited" (RFC 4443 3.1). */
#define WIRE_ICMP6_UNREACH_ADMIN 1
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

#endif /* USERNET_WIRE_ICMP_PROTO_H */
