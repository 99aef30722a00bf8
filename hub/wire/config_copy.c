/* SPDX-License-Identifier: MIT */
/*
 * Versioned counters (wire/config_copy.h): out of line, as the caller's
 * size is only known at run time.
 */
#include <errno.h>
#include <string.h>

#include "wire/config_copy.h"

/**
 * unet__stats_copy() - hand counters to a caller's versioned stats struct
 * @dst: the caller's struct, whose first field (a size_t) the caller set to
 *       the sizeof it was compiled with
 * @src: the library's counters, a struct of the same type
 * @src_size: sizeof(*@src), the size this library knows
 * @min_size: the struct's size in its first release
 *
 * Copies min(caller's size, @src_size) bytes and zeroes what the caller's
 * struct has beyond @src_size; the caller's size field is kept.
 *
 * Return: 0; -EINVAL when the caller's size is below @min_size (nothing
 * written).
 */
int unet__stats_copy(void *dst, const void *src, size_t src_size,
		     size_t min_size)
{
	size_t size;

	memcpy(&size, dst, sizeof(size));
	if (size < min_size)
		return -EINVAL;
	if (size > src_size) {
		memset((unsigned char *)dst + src_size, 0, size - src_size);
		memcpy(dst, src, src_size);
	} else {
		memcpy(dst, src, size);
	}
	memcpy(dst, &size, sizeof(size));
	return 0;
}
