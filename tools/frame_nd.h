/* SPDX-License-Identifier: MIT */
/*
 * frame_nd: the IPv6 frames of replay scripts that talk to the gateway's
 * own IPv6 services: ICMPv6 echo, router and neighbour solicitations, the
 * guest's neighbour advertisements, DHCPv6 client messages. Built here
 * from the RFCs (RFC 4443, 4861, 8415) with wire/'s typed headers, never
 * with the stack's code, so that a test compares the stack against an
 * independent sender.
 */
#ifndef USERNET_TOOLS_FRAME_ND_H
#define USERNET_TOOLS_FRAME_ND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frame.h"

/**
 * struct frame_dhcp6 - a DHCPv6 client message to build
 * @type: its message type (1 Solicit ... 11 Information-request)
 * @xid: its transaction id (24 bits)
 * @duid: the client's DUID (NULL: no Client Identifier)
 * @duid_len: its length
 * @server: the server's DUID (NULL: no Server Identifier)
 * @server_len: its length
 * @ia: an IA_NA goes in, with @iaid
 * @iaid: its IAID
 * @addr: an IAADDR inside it (NULL: none)
 * @rapid: a Rapid Commit option goes in
 */
struct frame_dhcp6 {
	uint8_t type;
	uint32_t xid;
	const uint8_t *duid;
	size_t duid_len;
	const uint8_t *server;
	size_t server_len;
	bool ia;
	uint32_t iaid;
	const uint8_t *addr;
	bool rapid;
};

void frame_ip6_linklocal(const uint8_t mac[6], uint8_t out[16]);
void frame_ip6_group_mac(const uint8_t group[16], uint8_t mac[6]);
void frame_ip6_solicited(const uint8_t addr[16], uint8_t group[16]);
size_t frame_icmp6_echo(uint8_t *buf, const struct frame_ends6 *e, uint16_t id,
			uint16_t seq, size_t size);
size_t frame_rs(uint8_t *buf, const struct frame_ends6 *e, bool sll);
size_t frame_ns(uint8_t *buf, const struct frame_ends6 *e,
		const uint8_t target[16], bool sll);
size_t frame_na(uint8_t *buf, const struct frame_ends6 *e,
		const uint8_t target[16], uint8_t flags);
size_t frame_dhcp6(uint8_t *buf, const struct frame_ends6 *e,
		   const struct frame_dhcp6 *m);

#endif /* USERNET_TOOLS_FRAME_ND_H */
