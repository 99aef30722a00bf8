/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the stream deframer (hub/deframer.c), on any bytes cut
 * into any chunks.
 *
 * The input's first byte picks the deframer's limit (small limits reach the
 * "length over the max" path often) and, with its low bit at the large
 * limit, the flag bit of usernet's offload extension; each following chunk is a 1-byte
 * length (0..255, 0 meaning 1) and that many bytes, fed as one read. Every
 * frame handed out must lie within its limit and within memory the deframer
 * or the chunk owns (ASan checks that by reading all of it); after an error
 * nothing more may be consumed. The same bytes are then fed again in one
 * piece, and both runs must agree on every frame and on the outcome.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stream_proto.h"
#include "wire/deframer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What one run saw: a hash of the frames, how many, how it ended. */
struct outcome {
	uint64_t hash;
	size_t frames;
	int result;
};

static uint64_t hash_bytes(uint64_t h, const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return (h ^ n) * 0x100000001b3ull;
}

/* Feed one chunk; returns the deframer's last answer. */
static int feed(struct unet__deframer *d, const unsigned char *in, size_t len,
		struct outcome *o)
{
	const unsigned char *frame;
	size_t frame_len, left = len;
	int r;

	while ((r = unet__deframer_next(d, &in, &left, &frame, &frame_len)) ==
	       1) {
		assert(frame_len >= 1 && frame_len <= d->max);
		assert((d->flags & ~d->flag_mask) == 0);
		o->hash = hash_bytes(o->hash, frame, frame_len) ^ d->flags;
		o->frames++;
	}
	if (r == 0)
		assert(left == 0);
	else
		assert(unet__deframer_pending(d) == 0);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct unet__deframer d;
	struct outcome chunked = { 0xcbf29ce484222325ull, 0, 0 };
	struct outcome whole = { 0xcbf29ce484222325ull, 0, 0 };
	unsigned char *stream, *chunk;
	size_t max, off = 1, n, stream_len = 0;

	if (size < 1)
		return 0;
	max = data[0] < 128 ? 1u + data[0] : STREAM_FRAME_MAX;
	stream = malloc(size);
	if (stream == NULL ||
	    unet__deframer_init(&d, STREAM_HDR_LEN, max) < 0) {
		free(stream);
		return 0;
	}
	if (data[0] >= 128 && (data[0] & 1))
		d.flag_mask = STREAM_F_OFFLOAD;
	while (off < size && chunked.result == 0) {
		n = data[off++];
		if (n == 0)
			n = 1;
		if (n > size - off)
			n = size - off;
		/* A chunk of its own, so that ASan sees reads past it. */
		chunk = malloc(n);
		if (chunk == NULL)
			break;
		memcpy(chunk, data + off, n);
		memcpy(stream + stream_len, chunk, n);
		stream_len += n;
		chunked.result = feed(&d, chunk, n, &chunked);
		free(chunk);
		off += n;
	}
	if (chunked.result < 0) {
		const unsigned char *in = data;
		const unsigned char *frame;
		size_t left = size, frame_len;

		/* Sticky: nothing is consumed after an error. */
		assert(unet__deframer_next(&d, &in, &left, &frame,
					   &frame_len) == chunked.result);
		assert(left == size);
	}
	unet__deframer_reset(&d);
	assert(d.flag_mask ==
	       (data[0] >= 128 && (data[0] & 1) ? STREAM_F_OFFLOAD : 0));
	whole.result = feed(&d, stream, stream_len, &whole);
	assert(whole.result == chunked.result);
	assert(whole.frames == chunked.frames);
	assert(whole.hash == chunked.hash);
	unet__deframer_free(&d);
	free(stream);
	return 0;
}
