/* SPDX-License-Identifier: MIT */
/*
 * The Neighbor Discovery codec (RFC 4861, RFC 8106): checks a guest's ND
 * message and finds its options, and builds the gateway's router and
 * neighbour advertisements. Pure functions over caller-given bytes: the
 * gateway's ND service (ndp.c), its unit tests and fuzz target share them.
 */
#ifndef USERNET_STACK_NDP_MSG_H
#define USERNET_STACK_NDP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/ip6_proto.h"
#include "wire/nd_proto.h"

/** Most RDNSS addresses an RA parse reports (more are counted, not kept). */
#define UNET__ND_RDNSS_MAX 4

/**
 * struct unet__nd_msg - an ND message, checked
 * @type: WIRE_ICMP6_RS, _RA, _NS or _NA
 * @flags: an RA's or an NA's flags byte (0 otherwise)
 * @target: an NS's or an NA's target address (NULL otherwise)
 * @lla: the source (RS, RA, NS) or target (NA) link-layer address option's
 *       MAC, NULL when absent
 * @router_lifetime: an RA's router lifetime, seconds
 * @cur_hop_limit: an RA's hop limit
 * @prefix: an RA's first prefix information option, NULL when none
 * @n_prefix: how many prefix information options the RA holds
 * @mtu: an RA's MTU option (0: none)
 * @rdnss: an RA's first RDNSS option's addresses, 16 bytes each
 * @n_rdnss: how many of them (at most UNET__ND_RDNSS_MAX are in @rdnss)
 * @rdnss_lifetime: the RDNSS option's lifetime
 * @dnssl: an RA's first DNSSL option's names (DNS labels, zero padding)
 * @dnssl_len: their length
 * @dnssl_lifetime: the DNSSL option's lifetime
 *
 * Pointers point into the message parsed.
 */
struct unet__nd_msg {
	uint8_t type;
	uint8_t flags;
	const uint8_t *target;
	const uint8_t *lla;
	uint16_t router_lifetime;
	uint8_t cur_hop_limit;
	const struct wire_nd_opt_prefix *prefix;
	unsigned int n_prefix;
	uint32_t mtu;
	const uint8_t *rdnss;
	unsigned int n_rdnss;
	uint32_t rdnss_lifetime;
	const uint8_t *dnssl;
	size_t dnssl_len;
	uint32_t dnssl_lifetime;
};

/**
 * struct unet__nd_ra_info - what the gateway's router advertisement says
 * @flags: WIRE_ND_RA_* (M when DHCPv6 hands out addresses, O always)
 * @router_lifetime: seconds
 * @mac: the gateway's MAC (source link-layer address option)
 * @mtu: the link's MTU (0: no MTU option)
 * @prefix: the /64 advertised, on-link and for SLAAC
 * @valid: the prefix's valid lifetime, seconds
 * @preferred: its preferred lifetime, seconds
 * @dns: the RDNSS address (NULL: no RDNSS option)
 * @dns_lifetime: the RDNSS and DNSSL options' lifetime, seconds
 * @dnssl: the DNSSL option's names, uncompressed DNS labels
 * @dnssl_len: their length (0: no DNSSL option)
 */
struct unet__nd_ra_info {
	uint8_t flags;
	uint16_t router_lifetime;
	const uint8_t *mac;
	uint32_t mtu;
	const uint8_t *prefix;
	uint32_t valid;
	uint32_t preferred;
	const uint8_t *dns;
	uint32_t dns_lifetime;
	const uint8_t *dnssl;
	size_t dnssl_len;
};

int unet__nd_parse(const struct wire_ip6 *ip, const uint8_t *icmp, size_t len,
		   struct unet__nd_msg *m);
size_t unet__nd_build_ra(uint8_t *out, size_t cap,
			 const struct unet__nd_ra_info *ra);
size_t unet__nd_build_na(uint8_t *out, size_t cap, const uint8_t *target,
			 uint8_t flags, const uint8_t *mac);
void unet__nd_solicited_node(const uint8_t *addr, uint8_t *group);
bool unet__nd_is_solicited_node(const uint8_t *addr);
void unet__ip6_multicast_mac(const uint8_t *group, uint8_t *mac);

#endif /* USERNET_STACK_NDP_MSG_H */
