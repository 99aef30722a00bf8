/* SPDX-License-Identifier: MIT */
/*
 * The stream deframer: turns the bytes of a stream transport (a 4-byte
 * big-endian length, then the frame, again and again; see stream_proto.h)
 * back into frames, whatever way the bytes were split across reads.
 *
 * It is a pure state machine over caller-given bytes: no I/O, no loop, one
 * buffer of bounded size. The stream port, its unit test and its fuzz target
 * all drive it through the same three calls.
 */
#ifndef USERNET_HUB_DEFRAMER_H
#define USERNET_HUB_DEFRAMER_H

#include <stdbool.h>
#include <stddef.h>

#include "stream_proto.h"

/**
 * struct unet__deframer - reassembles length-prefixed frames from a stream
 * @max: the largest frame length accepted; a larger one is a framing error
 * @hdr: the length prefix gathered so far
 * @hdr_len: how many bytes of @hdr are gathered (0..STREAM_HDR_LEN)
 * @frame_len: length of the frame under way, once @hdr is complete
 * @have: bytes of that frame gathered in @buf
 * @error: 0, or the framing error that broke the stream (sticky until reset)
 * @buf: room for one frame of @max bytes, for frames split across reads
 */
struct unet__deframer {
	size_t max;
	unsigned char hdr[STREAM_HDR_LEN];
	size_t hdr_len;
	size_t frame_len;
	size_t have;
	int error;
	unsigned char *buf;
};

int unet__deframer_init(struct unet__deframer *d, size_t max);
void unet__deframer_free(struct unet__deframer *d);
void unet__deframer_reset(struct unet__deframer *d);
int unet__deframer_next(struct unet__deframer *d, const unsigned char **in,
			size_t *in_len, const unsigned char **frame,
			size_t *frame_len);
size_t unet__deframer_pending(const struct unet__deframer *d);

#endif /* USERNET_HUB_DEFRAMER_H */
