/* SPDX-License-Identifier: MIT */
/*
 * Internals shared by the files of nic/: the packet arithmetic the RTL8139
 * model needs (CRCs, Internet checksums, the C+ offloads), kept apart from
 * the register model so that it can be read, tested and fuzzed on its own.
 * Every function here works on a host buffer and its length only, and
 * checks every header field against the bytes actually there.
 */
#ifndef USERNET_RTL8139_INTERNAL_H
#define USERNET_RTL8139_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/cursor.h"
#include "wire/ip4_proto.h"

/** Offload requests for unet__rtl8139_tx_csum(). */
#define UNET__RTL8139_CSUM_IP	0x1
#define UNET__RTL8139_CSUM_TCP	0x2
#define UNET__RTL8139_CSUM_UDP	0x4

/** Smallest MSS taken for TSO: bounds the segments one frame can make. */
#define UNET__RTL8139_TSO_MSS_MIN 48

/**
 * struct unet__rtl8139_ipv4 - where an IPv4 packet lies in a frame, checked
 * @l3: offset of the IP header (after Ethernet and at most one 802.1Q tag)
 * @ihl: IP header length in bytes, 20..60, within the frame
 * @tot: IP total length, at least @ihl, within the frame
 * @l4: offset of the transport header (@l3 + @ihl)
 * @l4len: transport bytes (@tot - @ihl)
 * @proto: the IP protocol
 * @fragment: the packet is a fragment (MF set or an offset)
 * @hdr: the IP header, inside the frame
 * @payload: the transport bytes (@l4len of them at @l4)
 */
struct unet__rtl8139_ipv4 {
	const struct wire_ip4 *hdr;
	struct unet_cursor payload;
	size_t l3;
	size_t ihl;
	size_t tot;
	size_t l4;
	size_t l4len;
	uint8_t proto;
	bool fragment;
};

/**
 * typedef unet__rtl8139_emit_fn - takes one frame made by segmentation
 * @ctx: the caller's context
 * @frame: the frame, borrowed for the call
 * @len: its length
 */
typedef void (*unet__rtl8139_emit_fn)(void *ctx, const uint8_t *frame,
				      size_t len);

uint32_t unet__rtl8139_crc32(uint32_t crc, const void *data, size_t len);
unsigned int unet__rtl8139_mcast_bit(const uint8_t *mac);
int unet__rtl8139_parse_ipv4(const uint8_t *frame, size_t len,
			     struct unet__rtl8139_ipv4 *ip);
unsigned int unet__rtl8139_tx_csum(uint8_t *frame, size_t len,
				   unsigned int what);
int unet__rtl8139_tso(const uint8_t *frame, size_t len, size_t mss,
		      const uint8_t *tag, uint8_t *seg, size_t seg_max,
		      unet__rtl8139_emit_fn emit, void *ctx);
uint32_t unet__rtl8139_rx_csum(const uint8_t *frame, size_t len);

#endif /* USERNET_RTL8139_INTERNAL_H */
