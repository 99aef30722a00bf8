/* SPDX-License-Identifier: MIT */
/*
 * The length-prefix deframer: turns the bytes of a stream transport (a
 * big-endian length, then the frame, again and again: 4 bytes of length in
 * QEMU's stream format, 2 in DNS over TCP) back into frames, whatever way
 * the bytes were split across reads.
 *
 * It is a pure state machine over caller-given bytes: no I/O, no loop, one
 * buffer of bounded size. The stream port, the DNS forwarder's TCP side,
 * their unit tests and fuzz targets all drive it through the same calls.
 */
#ifndef USERNET_WIRE_DEFRAMER_H
#define USERNET_WIRE_DEFRAMER_H

#include <stdbool.h>
#include <stddef.h>

#include <stdint.h>

/* The longest prefix (bytes) and the largest frame any user asks for. */
#define UNET__DEFRAMER_PREFIX_MAX 4
#define UNET__DEFRAMER_MAX (1u << 20)
/**
 * struct unet__deframer - reassembles length-prefixed frames from a stream
 * @max: the largest frame length accepted; a larger one is a framing error
 * @prefix: bytes of the length prefix (2 or 4)
 * @hdr: the length prefix gathered so far
 * @hdr_len: how many bytes of @hdr are gathered (0..@prefix)
 * @frame_len: length of the frame under way, once @hdr is complete
 * @have: bytes of that frame gathered in @buf
 * @error: 0, or the framing error that broke the stream (sticky until reset)
 * @flag_mask: bits of the prefix that are flags, not length (default 0)
 * @flags: the flag bits of the frame handed out last
 * @buf: room for one frame of @max bytes, for frames split across reads
 */
struct unet__deframer {
	size_t max;
	size_t prefix;
	unsigned char hdr[UNET__DEFRAMER_PREFIX_MAX];
	size_t hdr_len;
	size_t frame_len;
	size_t have;
	int error;
	uint32_t flag_mask;
	uint32_t flags;
	unsigned char *buf;
};

int unet__deframer_init(struct unet__deframer *d, size_t prefix, size_t max);
void unet__deframer_free(struct unet__deframer *d);
void unet__deframer_reset(struct unet__deframer *d);
int unet__deframer_next(struct unet__deframer *d, const unsigned char **in,
			size_t *in_len, const unsigned char **frame,
			size_t *frame_len);
size_t unet__deframer_pending(const struct unet__deframer *d);

#endif /* USERNET_WIRE_DEFRAMER_H */
