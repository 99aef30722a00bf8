/* SPDX-License-Identifier: MIT */
/*
 * The UDP header (RFC 768).
 */
#ifndef USERNET_WIRE_UDP_PROTO_H
#define USERNET_WIRE_UDP_PROTO_H

#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>

#define WIRE_UDP_HLEN 8

/**
 * struct wire_udp - a UDP header
 * @sport: source port (network order)
 * @dport: destination port (network order)
 * @len: header and data (network order)
 * @csum: checksum (0: none, IPv4 only)
 */
struct wire_udp {
	uint16_t sport;
	uint16_t dport;
	uint16_t len;
	uint16_t csum;
} __attribute__((packed));

_Static_assert(sizeof(struct wire_udp) == WIRE_UDP_HLEN, "UDP header");

static inline uint16_t wire_udp_sport(const struct wire_udp *h)
{
	return ntohs(h->sport);
}

static inline uint16_t wire_udp_dport(const struct wire_udp *h)
{
	return ntohs(h->dport);
}

static inline size_t wire_udp_len(const struct wire_udp *h)
{
	return ntohs(h->len);
}

#endif /* USERNET_WIRE_UDP_PROTO_H */
