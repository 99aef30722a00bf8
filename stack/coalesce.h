/* SPDX-License-Identifier: MIT */
/*
 * TCP segments toward the guest merged into one GSO frame (coalesce.c).
 */
#ifndef USERNET_STACK_COALESCE_H
#define USERNET_STACK_COALESCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <usernet/hub.h>

/** The longest merged frame: the hub's limit for a GSO frame. */
#define UNET_COALESCE_MAX UNET_GSO_FRAME_MAX
/** The most segments in one (the hub cuts at most 1024). */
#define UNET_COALESCE_SEGS_MAX 1024

/**
 * struct unet__coalesce - the segments merged so far
 * @buf: the merged frame (UNET_COALESCE_MAX bytes, owned by the caller)
 * @len: its length; 0 when nothing is held
 * @l4_off: where the TCP header lies
 * @hdr_len: where the payload starts (all headers)
 * @v6: the frame is IPv6
 * @gso_size: the payload of the first segment: every one but the last
 * @segs: how many segments were merged
 * @next_seq: the sequence number the next segment must have
 * @closed: the last segment taken was shorter than @gso_size or had PSH:
 *          no more may follow
 */
struct unet__coalesce {
	unsigned char *buf;
	size_t len;
	size_t l4_off;
	size_t hdr_len;
	bool v6;
	uint16_t gso_size;
	unsigned int segs;
	uint32_t next_seq;
	bool closed;
};

bool unet__coalesce_add(struct unet__coalesce *c, const void *frame,
			size_t len, unsigned int mtu);
size_t unet__coalesce_take(struct unet__coalesce *c,
			   struct unet_offload *off);
void unet__coalesce_csum(void *frame, size_t len, bool partial,
			 struct unet_offload *off);
size_t unet__coalesce_tso(void *frame, size_t len, unsigned int mtu,
			  struct unet_offload *off);

#endif /* USERNET_STACK_COALESCE_H */
