/* SPDX-License-Identifier: MIT */
/*
 * Versioned configuration structs: how every _new()/_open() of the library
 * takes the caller's struct unet_*_config.
 *
 * Each public configuration struct starts with a size_t @size that the
 * caller sets to the sizeof it was compiled with. The library copies the
 * struct into a local one that its own _config_init() filled with the
 * defaults, taking min(@size, what the library knows) bytes, as Linux's
 * copy_struct_from_user() does:
 *
 *  - @size below the struct's size in its first release: -EINVAL (too old
 *    or not set);
 *  - @size up to what the library knows: an older binary; the fields it
 *    does not know keep their defaults;
 *  - @size above what the library knows: a newer binary. Accepted only when
 *    every byte the library does not know is zero, that is when the newer
 *    fields are left at their defaults (so a field added later must
 *    default to all zero bytes); otherwise -E2BIG.
 *
 * Fields are only ever appended. Each component names the size of its
 * struct's first release with UNET__CONFIG_SIZE_TO(), which stays put when
 * fields are appended later.
 */
#ifndef USERNET_CONFIG_COPY_H
#define USERNET_CONFIG_COPY_H

#include <errno.h>
#include <stdalign.h>
#include <stddef.h>
#include <string.h>

/*
 * The size of configuration struct @type in the version whose last field
 * was @last: the end of @last rounded up to the struct's alignment, which
 * is that version's sizeof.
 */
#define UNET__CONFIG_SIZE_TO(type, last)                                   \
	((offsetof(type, last) + sizeof(((type *)NULL)->last) +             \
	  alignof(type) - 1) / alignof(type) * alignof(type))

/**
 * unet__config_copy() - take a caller's versioned configuration struct
 * @dst: the library's struct, already filled with the defaults
 * @dst_size: sizeof(*@dst), the size this library knows
 * @src: the caller's struct, whose first field is its size
 * @src_size: that size field (the sizeof the caller was compiled with)
 * @min_size: the struct's size in its first release
 *
 * Copies min(@src_size, @dst_size) bytes of @src over @dst; the rest of
 * @dst keeps its defaults. @dst's size field is then the caller's: set it
 * to @dst_size afterwards if it is kept. Nothing is copied on failure.
 *
 * Return: 0; -EINVAL when @src_size is below @min_size; -E2BIG when
 * @src_size is above @dst_size and a byte past @dst_size is not zero.
 */
static inline int unet__config_copy(void *dst, size_t dst_size,
				    const void *src, size_t src_size,
				    size_t min_size)
{
	const unsigned char *tail;
	size_t i;

	if (src_size < min_size)
		return -EINVAL;
	if (src_size > dst_size) {
		tail = (const unsigned char *)src + dst_size;
		for (i = 0; i < src_size - dst_size; i++)
			if (tail[i] != 0)
				return -E2BIG;
		src_size = dst_size;
	}
	memcpy(dst, src, src_size);
	return 0;
}

int unet__stats_copy(void *dst, const void *src, size_t src_size,
		     size_t min_size);

#endif /* USERNET_CONFIG_COPY_H */
