/* SPDX-License-Identifier: MIT */
/*
 * The IPv6 header (RFC 8200), its extension headers and the fragment header.
 */
#ifndef USERNET_WIRE_IP6_PROTO_H
#define USERNET_WIRE_IP6_PROTO_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/ip4_proto.h" /* the protocol numbers */

#define WIRE_IP6_HLEN 40
#define WIRE_IP6_ALEN 16
#define WIRE_IP6_EXT_MIN 8 /* an extension header's smallest length */
#define WIRE_IP6_FRAG_LEN 8
#define WIRE_IP6_MTU_MIN 1280
#define WIRE_IP6_OPT_PAD1 0 /* the one option without a length byte */

/**
 * struct wire_ip6 - an IPv6 header
 * @vtcfl: version (4 bits), traffic class (8), flow label (20) (network order)
 * @payload_len: bytes after this header, extension headers included
 * @nexthdr: the header that follows
 * @hop_limit: hop limit
 * @saddr: source address
 * @daddr: destination address
 */
struct wire_ip6 {
	uint32_t vtcfl;
	uint16_t payload_len;
	uint8_t nexthdr;
	uint8_t hop_limit;
	uint8_t saddr[WIRE_IP6_ALEN];
	uint8_t daddr[WIRE_IP6_ALEN];
} __attribute__((packed));

/**
 * struct wire_ip6_ext - the start of a hop-by-hop, routing or destination
 * options header
 * @nexthdr: the header that follows
 * @len: the header's length in 8-byte units, not counting the first 8
 */
struct wire_ip6_ext {
	uint8_t nexthdr;
	uint8_t len;
} __attribute__((packed));

/**
 * struct wire_ip6_opt - an option of a hop-by-hop or destination options
 * header (all but Pad1, a lone type byte)
 * @type: the option type (its two high bits: what to do if unknown)
 * @len: the length of the data that follows, in bytes
 */
struct wire_ip6_opt {
	uint8_t type;
	uint8_t len;
} __attribute__((packed));

/**
 * struct wire_ip6_frag - the fragment header
 * @nexthdr: the header of the reassembled payload
 * @reserved: zero
 * @frag: offset in 8-byte units (13 bits), 2 reserved bits, M flag
 * @id: identification (network order)
 */
struct wire_ip6_frag {
	uint8_t nexthdr;
	uint8_t reserved;
	uint16_t frag;
	uint32_t id;
} __attribute__((packed));

_Static_assert(sizeof(struct wire_ip6) == WIRE_IP6_HLEN, "IPv6 header");
_Static_assert(sizeof(struct wire_ip6_frag) == WIRE_IP6_FRAG_LEN,
	       "IPv6 fragment header");

static inline unsigned int wire_ip6_version(const struct wire_ip6 *h)
{
	return ntohl(h->vtcfl) >> 28;
}

static inline size_t wire_ip6_payload_len(const struct wire_ip6 *h)
{
	return ntohs(h->payload_len);
}

/* An extension header's length in bytes. */
static inline size_t wire_ip6_ext_len(const struct wire_ip6_ext *h)
{
	return ((size_t)h->len + 1) * 8;
}

/* True for the extension headers whose length is in wire_ip6_ext. */
static inline bool wire_ip6_is_ext(uint8_t nexthdr)
{
	return nexthdr == WIRE_IPPROTO_HOPOPTS ||
	       nexthdr == WIRE_IPPROTO_ROUTING ||
	       nexthdr == WIRE_IPPROTO_DSTOPTS;
}

/* The fragment's offset in bytes. */
static inline size_t wire_ip6_frag_off(const struct wire_ip6_frag *h)
{
	return (size_t)(ntohs(h->frag) & 0xfff8);
}

static inline bool wire_ip6_more_frags(const struct wire_ip6_frag *h)
{
	return (ntohs(h->frag) & 1) != 0;
}

#endif /* USERNET_WIRE_IP6_PROTO_H */
