/* SPDX-License-Identifier: MIT */
/*
 * A bounds-checked cursor over untrusted bytes. Every header is taken
 * through cursor_take(), which returns NULL when fewer bytes remain than
 * asked for: parsing code never does pointer arithmetic on packet data.
 */
#ifndef USERNET_HUB_WIRE_CURSOR_H
#define USERNET_HUB_WIRE_CURSOR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/**
 * struct unet_cursor - a view of the bytes not yet parsed
 * @p: the next byte
 * @len: how many bytes remain
 */
struct unet_cursor {
	const uint8_t *p;
	size_t len;
};

static inline struct unet_cursor cursor_init(const void *data, size_t len)
{
	struct unet_cursor c = { .p = data, .len = len };

	return c;
}

/* Takes @n bytes, or returns NULL (and takes nothing) when fewer remain. */
static inline const void *cursor_take(struct unet_cursor *c, size_t n)
{
	const void *r = c->p;

	if (c->len < n)
		return NULL;
	c->p += n;
	c->len -= n;
	return r;
}

/* Reads a big-endian 16-bit field at @off of a header taken before. */
static inline uint16_t cursor_be16(const void *hdr, size_t off)
{
	const uint8_t *b = (const uint8_t *)hdr + off;

	return (uint16_t)(b[0] << 8 | b[1]);
}

#endif /* USERNET_HUB_WIRE_CURSOR_H */
