/* SPDX-License-Identifier: MIT */
/*
 * A bounds-checked cursor over untrusted bytes. Every header is taken
 * through cursor_take() or, typed, cursor_take_hdr(), which return NULL when
 * fewer bytes remain than asked for: parsing code never does pointer
 * arithmetic on packet data. The header structs to take are the packed
 * ones of the *_proto.h files beside this one; their fields are read
 * through accessors that return host-order values (never swapped in place).
 */
#ifndef USERNET_WIRE_CURSOR_H
#define USERNET_WIRE_CURSOR_H

#include <stdbool.h>
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

/* Takes a header of struct @type: a const pointer to it, or NULL. */
#define cursor_take_hdr(c, type) ((const type *)cursor_take((c), sizeof(type)))

/* Skips @n bytes; false (and nothing skipped) when fewer remain. */
static inline bool cursor_skip(struct unet_cursor *c, size_t n)
{
	return cursor_take(c, n) != NULL;
}

/* Takes one byte into @v; false when none remains. */
static inline bool cursor_take_u8(struct unet_cursor *c, uint8_t *v)
{
	const uint8_t *b = cursor_take(c, 1);

	if (b == NULL)
		return false;
	*v = b[0];
	return true;
}

/* Takes a big-endian 16-bit value into @v; false when fewer than 2 remain. */
static inline bool cursor_take_be16(struct unet_cursor *c, uint16_t *v)
{
	const uint8_t *b = cursor_take(c, 2);

	if (b == NULL)
		return false;
	*v = (uint16_t)(b[0] << 8 | b[1]);
	return true;
}

/* Takes a big-endian 32-bit value into @v; false when fewer than 4 remain. */
static inline bool cursor_take_be32(struct unet_cursor *c, uint32_t *v)
{
	const uint8_t *b = cursor_take(c, 4);

	if (b == NULL)
		return false;
	*v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 |
	     (uint32_t)b[3];
	return true;
}

/*
 * The first @n bytes as a cursor of their own, taken off @c (a length field
 * checked against what remains); an empty cursor with ok false otherwise.
 */
static inline struct unet_cursor cursor_sub(struct unet_cursor *c, size_t n,
					    bool *ok)
{
	const void *p = cursor_take(c, n);

	*ok = p != NULL;
	return cursor_init(p, p != NULL ? n : 0);
}

#endif /* USERNET_WIRE_CURSOR_H */
