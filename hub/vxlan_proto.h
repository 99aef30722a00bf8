/* SPDX-License-Identifier: MIT */
/*
 * Wire format of VXLAN (RFC 7348), as the Linux kernel's vxlan device, Open
 * vSwitch and cloud fabrics speak it: an Ethernet frame behind an 8-byte
 * header in a UDP datagram to port 4789 (IANA's; Linux's own default is the
 * older 8472, so a kernel peer is made with `dstport 4789`).
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |R|R|R|R|I|R|R|R|            Reserved                           |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                VXLAN Network Identifier (VNI) |   Reserved    |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The I flag must be set (a valid VNI); the reserved bits are sent as zero
 * and ignored on receipt, as the RFC asks. The inner frame carries no FCS;
 * its Ethernet header (and 802.1Q tag) are wire/eth_proto.h's.
 */
#ifndef USERNET_HUB_VXLAN_PROTO_H
#define USERNET_HUB_VXLAN_PROTO_H

#include <stdint.h>

#include "wire/eth_proto.h"
#include "wire/ip4_proto.h"
#include "wire/ip6_proto.h"
#include "wire/udp_proto.h"

/* IANA's VXLAN port. */
#define VXLAN_PORT 4789
/* The I flag: the VNI field is valid. */
#define VXLAN_FLAG_I 0x08
/* The largest VNI: 24 bits. */
#define VXLAN_VNI_MAX 0xffffffu
/* What the underlay carries besides the inner IP packet: the inner
 * Ethernet header, the VXLAN header, UDP and the outer IP header. An inner
 * MTU of the underlay's MTU minus this fits without fragments (the
 * kernel's vxlan device takes the same 50 and 70 off its lower device's).
 */
#define VXLAN_HLEN 8
#define VXLAN_OVERHEAD_IP4 \
	(WIRE_ETH_HLEN + VXLAN_HLEN + WIRE_UDP_HLEN + WIRE_IP4_HLEN)
#define VXLAN_OVERHEAD_IP6 \
	(WIRE_ETH_HLEN + VXLAN_HLEN + WIRE_UDP_HLEN + WIRE_IP6_HLEN)
/* The longest IP packet either family carries (IPv6: the payload length
 * field's 65535 plus the fixed header). */
#define VXLAN_IP4_TOTAL_MAX 65535u
#define VXLAN_IP6_TOTAL_MAX (65535u + WIRE_IP6_HLEN)

/**
 * struct vxlan_hdr - the VXLAN header
 * @flags: VXLAN_FLAG_I, other bits reserved
 * @reserved1: zero
 * @vni: the VNI, 24 bits big-endian
 * @reserved2: zero
 */
struct vxlan_hdr {
	uint8_t flags;
	uint8_t reserved1[3];
	uint8_t vni[3];
	uint8_t reserved2;
} __attribute__((packed));

_Static_assert(sizeof(struct vxlan_hdr) == VXLAN_HLEN,
	       "the VXLAN header is 8 bytes");

/* The VNI of a header taken from the wire. */
static inline uint32_t vxlan_hdr_vni(const struct vxlan_hdr *h)
{
	return (uint32_t)h->vni[0] << 16 | (uint32_t)h->vni[1] << 8 |
	       h->vni[2];
}

/* Fill @h for @vni (at most VXLAN_VNI_MAX), reserved bits zero. */
static inline void vxlan_hdr_set(struct vxlan_hdr *h, uint32_t vni)
{
	h->flags = VXLAN_FLAG_I;
	h->reserved1[0] = h->reserved1[1] = h->reserved1[2] = 0;
	h->vni[0] = (uint8_t)(vni >> 16);
	h->vni[1] = (uint8_t)(vni >> 8);
	h->vni[2] = (uint8_t)vni;
	h->reserved2 = 0;
}

#endif /* USERNET_HUB_VXLAN_PROTO_H */
