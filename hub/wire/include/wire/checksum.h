/* SPDX-License-Identifier: MIT */
/*
 * The Internet checksum (RFC 1071), its pseudo-headers, and the incremental
 * update of RFC 1624: the one implementation every folder uses.
 *
 * A checksum is built as a partial sum over pieces, then finished:
 *
 *   sum = unet__csum_ip4_pseudo(saddr, daddr, WIRE_IPPROTO_TCP, len);
 *   sum = unet__csum_add(sum, seg, len);
 *   th->csum = htons(unet__csum_finish(sum));
 *
 * A received segment is good when the same computation over it, checksum
 * field included, finishes to 0. Partial sums are opaque (kept in the host's
 * byte order internally); only every piece but the last must have an even
 * length.
 */
#ifndef USERNET_WIRE_CHECKSUM_H
#define USERNET_WIRE_CHECKSUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

uint32_t unet__csum_add(uint32_t sum, const void *data, size_t len);
uint32_t unet__csum_add_at(uint32_t sum, size_t pos, const void *data,
			   size_t len);
uint16_t unet__csum_finish(uint32_t sum);
uint32_t unet__csum_ip4_pseudo(uint32_t saddr, uint32_t daddr, uint8_t proto,
			       size_t len);
uint32_t unet__csum_ip6_pseudo(const uint8_t *saddr, const uint8_t *daddr,
			       uint8_t nexthdr, size_t len);
void unet__csum_fill(void *data, size_t len, size_t field, bool udp);
uint16_t unet__csum_update16(uint16_t check, uint16_t old, uint16_t val);
uint16_t unet__csum_update32(uint16_t check, uint32_t old, uint32_t val);

/* The checksum of @len bytes at @data alone (an IPv4 header, ICMP). */
static inline uint16_t unet__csum(const void *data, size_t len)
{
	return unet__csum_finish(unet__csum_add(0, data, len));
}

#endif /* USERNET_WIRE_CHECKSUM_H */
