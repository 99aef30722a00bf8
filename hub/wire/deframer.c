/* SPDX-License-Identifier: MIT */
/*
 * The stream deframer.
 *
 * Theory of operation: the state is where we are in the current frame: how
 * many bytes of its 4-byte length prefix we hold (@hdr_len), and once the
 * prefix is complete, the frame's length and how many of its bytes we hold
 * (@have). unet__deframer_next() consumes received bytes from the front of
 * the caller's buffer and stops at the first complete frame, so the caller
 * can deliver it and check whether it still exists before asking for the
 * next one.
 *
 * A frame that lies whole inside the caller's bytes is handed out in place,
 * without a copy; only a frame split across reads is gathered in @buf, which
 * holds at most @max bytes. Every length is checked before a byte of the
 * frame is taken: 0 is -EPROTO, more than @max is -EMSGSIZE. An error is
 * sticky: the stream has lost its framing and nothing after it can be
 * trusted, so the owner resets the connection and the deframer with it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/util.h"

#include "wire/deframer.h"

/**
 * unet__deframer_init() - prepare a deframer
 * @d: the deframer
 * @prefix: bytes of the big-endian length prefix, 2 (DNS over TCP) or 4
 *          (QEMU's stream transport)
 * @max: the largest frame length to accept, 1..UNET__DEFRAMER_MAX and no
 *       more than @prefix bytes can say
 *
 * Return: 0, -EINVAL for a bad @prefix or @max, -ENOMEM.
 */
int unet__deframer_init(struct unet__deframer *d, size_t prefix, size_t max)
{
	memset(d, 0, sizeof(*d));
	if (prefix != 2 && prefix != 4)
		return -EINVAL;
	if (max == 0 || max > UNET__DEFRAMER_MAX ||
	    (prefix == 2 && max > UINT16_MAX))
		return -EINVAL;
	d->buf = malloc(max);
	if (d->buf == NULL)
		return -ENOMEM;
	d->max = max;
	d->prefix = prefix;
	return 0;
}

/**
 * unet__deframer_free() - release a deframer's buffer
 * @d: the deframer; may be one whose init failed
 */
void unet__deframer_free(struct unet__deframer *d)
{
	free(d->buf);
	d->buf = NULL;
}

/**
 * unet__deframer_reset() - forget any partial frame and error
 * @d: the deframer
 *
 * For a new connection: the next byte is the first of a length prefix.
 */
void unet__deframer_reset(struct unet__deframer *d)
{
	d->hdr_len = 0;
	d->frame_len = 0;
	d->have = 0;
	d->error = 0;
}

/* Take @n bytes off the front of the input. */
static void deframer_take(const unsigned char **in, size_t *in_len, size_t n)
{
	*in += n;
	*in_len -= n;
}

static size_t deframer_min(size_t a, size_t b)
{
	return a < b ? a : b;
}

/**
 * unet__deframer_next() - the next whole frame from received bytes
 * @d: the deframer
 * @in: the received bytes not consumed yet; advanced past what is consumed
 * @in_len: how many there are; decreased by what is consumed
 * @frame: receives the frame, pointing into @in or into the deframer's own
 *         buffer; valid until the next call or until @in's bytes go away
 * @frame_len: receives its length, 1..@max
 *
 * Call it until it returns 0 (all of @in consumed, more bytes needed) or an
 * error; each call that returns 1 hands out one frame.
 *
 * The frame's flag bits (those of &unet__deframer.flag_mask in its prefix,
 * which are not part of its length) are left in &unet__deframer.flags.
 *
 * Return: 1 with a frame, 0 when @in is used up, -EPROTO for a length of 0,
 * -EMSGSIZE for a length above @max. After an error every call returns it
 * again and consumes nothing, until unet__deframer_reset().
 */
int unet__deframer_next(struct unet__deframer *d, const unsigned char **in,
			size_t *in_len, const unsigned char **frame,
			size_t *frame_len)
{
	const unsigned char *h;
	uint32_t len;
	size_t n;

	if (d->error != 0)
		return d->error;
	if (d->hdr_len < d->prefix) {
		if (d->hdr_len == 0 && *in_len >= d->prefix) {
			h = *in;
			deframer_take(in, in_len, d->prefix);
		} else {
			n = deframer_min(d->prefix - d->hdr_len, *in_len);
			memcpy(d->hdr + d->hdr_len, *in, n);
			deframer_take(in, in_len, n);
			d->hdr_len += n;
			if (d->hdr_len < d->prefix)
				return 0;
			h = d->hdr;
		}
		d->hdr_len = d->prefix;
		len = d->prefix == 2 ? unet__get_be16(h) : unet__get_be32(h);
		d->flags = len & d->flag_mask;
		len &= ~d->flag_mask;
		if (len == 0) {
			d->error = -EPROTO;
			return d->error;
		}
		if (len > d->max) {
			d->frame_len = len;	/* for the owner's message */
			d->error = -EMSGSIZE;
			return d->error;
		}
		d->frame_len = len;
		d->have = 0;
	}
	if (d->have == 0 && *in_len >= d->frame_len) {
		/* The whole frame is in the caller's bytes: no copy. */
		*frame = *in;
		*frame_len = d->frame_len;
		deframer_take(in, in_len, d->frame_len);
		d->hdr_len = 0;
		return 1;
	}
	n = deframer_min(d->frame_len - d->have, *in_len);
	memcpy(d->buf + d->have, *in, n);
	deframer_take(in, in_len, n);
	d->have += n;
	if (d->have < d->frame_len)
		return 0;
	*frame = d->buf;
	*frame_len = d->frame_len;
	d->hdr_len = 0;
	d->have = 0;
	return 1;
}

/**
 * unet__deframer_pending() - bytes held of a frame not yet complete
 * @d: the deframer
 *
 * Return: how many bytes (length prefix included) a peer that closes now
 * leaves behind; 0 between frames.
 */
size_t unet__deframer_pending(const struct unet__deframer *d)
{
	if (d->error != 0)
		return 0;
	return d->hdr_len + d->have;
}
