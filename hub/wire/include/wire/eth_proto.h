/* SPDX-License-Identifier: MIT */
/*
 * Ethernet II and 802.1Q: the header every frame on the hub starts with.
 */
#ifndef USERNET_WIRE_ETH_PROTO_H
#define USERNET_WIRE_ETH_PROTO_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define WIRE_ETH_ALEN 6
#define WIRE_ETH_HLEN 14
#define WIRE_VLAN_HLEN 4

#define WIRE_ETHTYPE_IP4 0x0800
#define WIRE_ETHTYPE_ARP 0x0806
#define WIRE_ETHTYPE_VLAN 0x8100
#define WIRE_ETHTYPE_IP6 0x86dd

/**
 * struct wire_eth - an Ethernet II header
 * @dst: destination MAC
 * @src: source MAC
 * @type: EtherType (network order; wire_eth_type())
 */
struct wire_eth {
	uint8_t dst[WIRE_ETH_ALEN];
	uint8_t src[WIRE_ETH_ALEN];
	uint16_t type;
} __attribute__((packed));

/**
 * struct wire_vlan - the 802.1Q tag after an Ethernet header of type 0x8100
 * @tci: priority, DEI and VLAN id (network order)
 * @type: the EtherType of what follows (network order)
 */
struct wire_vlan {
	uint16_t tci;
	uint16_t type;
} __attribute__((packed));

_Static_assert(sizeof(struct wire_eth) == WIRE_ETH_HLEN, "Ethernet header");
_Static_assert(sizeof(struct wire_vlan) == WIRE_VLAN_HLEN, "802.1Q tag");

static inline uint16_t wire_eth_type(const struct wire_eth *h)
{
	return ntohs(h->type);
}

static inline uint16_t wire_vlan_type(const struct wire_vlan *h)
{
	return ntohs(h->type);
}

/* True for a group (multicast or broadcast) address. */
static inline bool wire_eth_is_group(const uint8_t *mac)
{
	return (mac[0] & 1) != 0;
}

static inline bool wire_eth_is_broadcast(const uint8_t *mac)
{
	static const uint8_t bcast[WIRE_ETH_ALEN] = { 0xff, 0xff, 0xff,
						      0xff, 0xff, 0xff };

	return memcmp(mac, bcast, WIRE_ETH_ALEN) == 0;
}

#endif /* USERNET_WIRE_ETH_PROTO_H */
