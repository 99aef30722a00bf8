/* SPDX-License-Identifier: MIT */
/*
 * The IPv4 header (RFC 791), its fields read through accessors.
 */
#ifndef USERNET_WIRE_IP4_PROTO_H
#define USERNET_WIRE_IP4_PROTO_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WIRE_IP4_HLEN 20 /* without options */
#define WIRE_IP4_HLEN_MAX 60
#define WIRE_IP4_VHL 0x45 /* version 4, 5 words of header */

/* Fragment field: flags and the offset in units of 8 bytes. */
#define WIRE_IP4_RF 0x8000
#define WIRE_IP4_DF 0x4000
#define WIRE_IP4_MF 0x2000
#define WIRE_IP4_OFFMASK 0x1fff

/* IP protocol numbers (IPv4's protocol, IPv6's next header). */
#define WIRE_IPPROTO_HOPOPTS 0
#define WIRE_IPPROTO_ICMP 1
#define WIRE_IPPROTO_TCP 6
#define WIRE_IPPROTO_UDP 17
#define WIRE_IPPROTO_ROUTING 43
#define WIRE_IPPROTO_FRAGMENT 44
#define WIRE_IPPROTO_ICMPV6 58
#define WIRE_IPPROTO_NONE 59
#define WIRE_IPPROTO_DSTOPTS 60

/**
 * struct wire_ip4 - an IPv4 header (options follow when wire_ip4_hlen() > 20)
 * @vhl: version (high nibble) and header length in 32-bit words
 * @tos: DSCP and ECN
 * @tot_len: total length, header included (network order)
 * @id: identification (network order)
 * @frag: flags and fragment offset (network order)
 * @ttl: time to live
 * @proto: the protocol of the payload
 * @csum: header checksum
 * @saddr: source address (network order)
 * @daddr: destination address (network order)
 */
struct wire_ip4 {
	uint8_t vhl;
	uint8_t tos;
	uint16_t tot_len;
	uint16_t id;
	uint16_t frag;
	uint8_t ttl;
	uint8_t proto;
	uint16_t csum;
	uint32_t saddr;
	uint32_t daddr;
} __attribute__((packed));

_Static_assert(sizeof(struct wire_ip4) == WIRE_IP4_HLEN, "IPv4 header");

static inline unsigned int wire_ip4_version(const struct wire_ip4 *h)
{
	return h->vhl >> 4;
}

/* The header's length in bytes, options included (20..60 when valid). */
static inline size_t wire_ip4_hlen(const struct wire_ip4 *h)
{
	return (size_t)(h->vhl & 0x0f) * 4;
}

static inline size_t wire_ip4_tot_len(const struct wire_ip4 *h)
{
	return ntohs(h->tot_len);
}

/* The fragment's offset in bytes. */
static inline size_t wire_ip4_frag_off(const struct wire_ip4 *h)
{
	return (size_t)(ntohs(h->frag) & WIRE_IP4_OFFMASK) * 8;
}

static inline bool wire_ip4_more_frags(const struct wire_ip4 *h)
{
	return (ntohs(h->frag) & WIRE_IP4_MF) != 0;
}

static inline bool wire_ip4_dont_frag(const struct wire_ip4 *h)
{
	return (ntohs(h->frag) & WIRE_IP4_DF) != 0;
}

/* True when the packet is any part of a fragmented datagram. */
static inline bool wire_ip4_is_fragment(const struct wire_ip4 *h)
{
	return (ntohs(h->frag) & (WIRE_IP4_MF | WIRE_IP4_OFFMASK)) != 0;
}

#endif /* USERNET_WIRE_IP4_PROTO_H */
