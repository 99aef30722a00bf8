/* SPDX-License-Identifier: MIT */
/*
 * The Internet checksum. The one's complement sum does not depend on the
 * byte order it is computed in (RFC 1071, 2.(B)), so the bytes are summed
 * as host-order 32-bit words into a 64-bit accumulator, folded, and turned
 * into the big-endian field's host-order value only when finished.
 */
#include <arpa/inet.h>
#include <string.h>

#include "wire/checksum.h"

/* Folds a 64-bit accumulator to the 32-bit partial sum kept between calls. */
static uint32_t csum_fold64(uint64_t acc)
{
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffffffu) + (acc >> 32);
	return (uint32_t)acc;
}

/**
 * unet__csum_add() - add bytes to a partial Internet checksum
 * @sum: the partial sum so far (0 to begin)
 * @data: the bytes
 * @len: how many; odd only for the last piece of a checksum
 *
 * Return: the new partial sum.
 */
uint32_t unet__csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t acc = sum;
	uint32_t w;
	uint16_t h;

	while (len >= 16) {
		uint32_t a, b, c, d;

		memcpy(&a, p, 4);
		memcpy(&b, p + 4, 4);
		memcpy(&c, p + 8, 4);
		memcpy(&d, p + 12, 4);
		acc += (uint64_t)a + b + c + d;
		p += 16;
		len -= 16;
	}
	while (len >= 4) {
		memcpy(&w, p, 4);
		acc += w;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		memcpy(&h, p, 2);
		acc += h;
		p += 2;
		len -= 2;
	}
	if (len == 1) {
		/* The odd byte is the high byte of a word padded with zero. */
		uint8_t pad[2] = { p[0], 0 };

		memcpy(&h, pad, 2);
		acc += h;
	}
	return csum_fold64(acc);
}

/**
 * unet__csum_add_at() - add a piece that may start at an odd position
 * @sum: the partial sum so far (0 to begin)
 * @pos: where the piece starts in the bytes the checksum covers
 * @data: the piece
 * @len: its length (any)
 *
 * For data in pieces of any length (a pbuf chain): a piece that starts at
 * an odd position contributes its own sum with the bytes swapped (RFC 1071,
 * 2.(B)).
 *
 * Return: the new partial sum.
 */
uint32_t unet__csum_add_at(uint32_t sum, size_t pos, const void *data,
			   size_t len)
{
	uint32_t part = unet__csum_add(0, data, len);

	if (pos & 1) {
		part = (part & 0xffff) + (part >> 16);
		part = (part & 0xffff) + (part >> 16);
		part = (part & 0xff) << 8 | part >> 8;
	}
	return csum_fold64((uint64_t)sum + part);
}

/**
 * unet__csum_finish() - the checksum field's value for a partial sum
 * @sum: the partial sum of everything the checksum covers
 *
 * Return: the value to store (htons) in the checksum field; 0 when the
 * bytes summed included a correct checksum.
 */
uint16_t unet__csum_finish(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ntohs((uint16_t)~sum);
}

/**
 * unet__csum_fill() - finish a checksum left partial (virtio's NEEDS_CSUM)
 * @data: the bytes the checksum covers but the pseudo-header, from its
 *        start to the packet's end
 * @len: their length
 * @field: where the checksum field lies in @data; the caller has checked
 *         that its 2 bytes are within @len. It holds the pseudo-header's sum
 * @udp: the field is a UDP checksum, where 0 means "none": sent as 0xffff
 */
void unet__csum_fill(void *data, size_t len, size_t field, bool udp)
{
	uint8_t *f = (uint8_t *)data + field;
	uint16_t v = unet__csum_finish(unet__csum_add(0, data, len));

	if (v == 0 && udp)
		v = 0xffff;
	f[0] = (uint8_t)(v >> 8);
	f[1] = (uint8_t)v;
}

/**
 * unet__csum_ip4_pseudo() - the partial sum of an IPv4 pseudo-header
 * @saddr: source address (network order)
 * @daddr: destination address (network order)
 * @proto: the transport protocol
 * @len: the transport header and data's length
 *
 * Return: a partial sum to go on with the transport header and data.
 */
uint32_t unet__csum_ip4_pseudo(uint32_t saddr, uint32_t daddr, uint8_t proto,
			       size_t len)
{
	uint64_t acc = (uint64_t)saddr + daddr;

	acc += htons(proto);
	acc += htons((uint16_t)len);
	return csum_fold64(acc);
}

/**
 * unet__csum_ip6_pseudo() - the partial sum of an IPv6 pseudo-header
 * @saddr: source address (16 bytes)
 * @daddr: destination address (16 bytes)
 * @nexthdr: the transport protocol
 * @len: the transport header and data's length
 *
 * Return: a partial sum to go on with the transport header and data.
 */
uint32_t unet__csum_ip6_pseudo(const uint8_t *saddr, const uint8_t *daddr,
			       uint8_t nexthdr, size_t len)
{
	uint64_t acc;

	acc = unet__csum_add(0, saddr, 16);
	acc += unet__csum_add(0, daddr, 16);
	acc += htonl((uint32_t)len);
	acc += htonl(nexthdr);
	return csum_fold64(acc);
}

/**
 * unet__csum_update16() - a checksum after one 16-bit field changed
 * @check: the checksum field's value (host order)
 * @old: the field's old value (host order)
 * @val: its new value (host order)
 *
 * RFC 1624's equation 3: HC' = ~(~HC + ~m + m').
 *
 * Return: the new checksum field value (host order).
 */
uint16_t unet__csum_update16(uint16_t check, uint16_t old, uint16_t val)
{
	uint32_t sum = (uint16_t)~check;

	sum += (uint16_t)~old;
	sum += val;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/**
 * unet__csum_update32() - a checksum after one 32-bit field changed
 * @check: the checksum field's value (host order)
 * @old: the field's old value (host order), an IPv4 address for instance
 * @val: its new value (host order)
 *
 * Return: the new checksum field value (host order).
 */
uint16_t unet__csum_update32(uint16_t check, uint32_t old, uint32_t val)
{
	check = unet__csum_update16(check, (uint16_t)(old >> 16),
				    (uint16_t)(val >> 16));
	return unet__csum_update16(check, (uint16_t)old, (uint16_t)val);
}
