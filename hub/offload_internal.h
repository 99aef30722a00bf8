/* SPDX-License-Identifier: MIT */
/*
 * Offloaded frames made ordinary (offload.c): the checks a frame's offload
 * facts pass before the hub carries it, the checksum a sender left to do,
 * and GSO frames cut into segments within the MTU.
 */
#ifndef USERNET_HUB_OFFLOAD_INTERNAL_H
#define USERNET_HUB_OFFLOAD_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <usernet/hub.h>

/* Most segments one GSO frame is cut into (a 64 KiB frame at 64 bytes). */
#define UNET_GSO_SEGS_MAX 1024

/**
 * struct unet__offload_pkt - where the headers of an offloaded frame lie
 * @l3_off: the IP header's offset (after Ethernet and any VLAN tag)
 * @l4_off: the transport header's offset
 * @hdr_len: the payload's offset: all headers, measured (not the hint)
 * @end: the IP packet's end (padding past it is not part of the packet)
 * @v6: the packet is IPv6
 * @proto: WIRE_IPPROTO_TCP or WIRE_IPPROTO_UDP; 0 when not parsed
 */
struct unet__offload_pkt {
	size_t l3_off;
	size_t l4_off;
	size_t hdr_len;
	size_t end;
	bool v6;
	uint8_t proto;
};

/**
 * typedef unet__offload_seg_cb - one segment cut from a GSO frame
 * @opaque: the caller's pointer
 * @frame: the segment, a whole frame, borrowed for the call
 * @len: its length
 *
 * Return: 0 to go on, non-zero to stop cutting.
 */
typedef int (*unet__offload_seg_cb)(void *opaque, const void *frame,
				    size_t len);

int unet__offload_check(const void *frame, size_t len,
			const struct unet_offload *off,
			struct unet__offload_pkt *pkt);
bool unet__offload_plain(const struct unet_offload *off);
unsigned int unet__offload_needs(const struct unet_offload *off);
int unet__offload_csum(void *frame, size_t len, const struct unet_offload *off,
		       const struct unet__offload_pkt *pkt);
size_t unet__offload_seg_max(const struct unet__offload_pkt *pkt,
			     const struct unet_offload *off, unsigned int mtu);
int unet__offload_segment(const void *frame, size_t len,
			  const struct unet_offload *off,
			  const struct unet__offload_pkt *pkt, unsigned int mtu,
			  void *buf, size_t buf_len, unet__offload_seg_cb cb,
			  void *opaque);

#endif /* USERNET_HUB_OFFLOAD_INTERNAL_H */
