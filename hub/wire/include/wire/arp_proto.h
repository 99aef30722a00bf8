/* SPDX-License-Identifier: MIT */
/*
 * ARP for IPv4 over Ethernet (RFC 826).
 */
#ifndef USERNET_WIRE_ARP_PROTO_H
#define USERNET_WIRE_ARP_PROTO_H

#include <arpa/inet.h>
#include <stdint.h>

#include "wire/eth_proto.h"

#define WIRE_ARP_HTYPE_ETHER 1
#define WIRE_ARP_REQUEST 1
#define WIRE_ARP_REPLY 2
#define WIRE_ARP_LEN 28

/**
 * struct wire_arp - an ARP message for IPv4 over Ethernet
 * @htype: hardware type (1, Ethernet)
 * @ptype: protocol type (0x0800)
 * @hlen: hardware address length (6)
 * @plen: protocol address length (4)
 * @op: 1 request, 2 reply
 * @sha: sender MAC
 * @spa: sender IPv4 address (network order)
 * @tha: target MAC
 * @tpa: target IPv4 address (network order)
 */
struct wire_arp {
	uint16_t htype;
	uint16_t ptype;
	uint8_t hlen;
	uint8_t plen;
	uint16_t op;
	uint8_t sha[WIRE_ETH_ALEN];
	uint32_t spa;
	uint8_t tha[WIRE_ETH_ALEN];
	uint32_t tpa;
} __attribute__((packed));

_Static_assert(sizeof(struct wire_arp) == WIRE_ARP_LEN, "ARP message");

static inline uint16_t wire_arp_op(const struct wire_arp *h)
{
	return ntohs(h->op);
}

#endif /* USERNET_WIRE_ARP_PROTO_H */
