/* SPDX-License-Identifier: MIT */
/*
 * Small helpers every folder uses: container_of, and big-endian loads and
 * stores for building or reading bytes that are not behind a typed header
 * (length prefixes, option values). Wire headers themselves are read through
 * their named fields and accessors (the *_proto.h files beside this one).
 */
#ifndef USERNET_WIRE_UTIL_H
#define USERNET_WIRE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef container_of
/* The struct of @type whose @member is at @ptr (clang-format takes the
 * cast for a binary minus: the macro is kept out of its reach). */
/* clang-format off */
#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))
/* clang-format on */
#endif

/* The number of elements of array @a. */
#define UNET__ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Reads a big-endian 16-bit value at @p (any alignment). */
static inline uint16_t unet__get_be16(const void *p)
{
	const uint8_t *b = p;

	return (uint16_t)(b[0] << 8 | b[1]);
}

/* Reads a big-endian 32-bit value at @p (any alignment). */
static inline uint32_t unet__get_be32(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | (uint32_t)b[3];
}

/* Writes @v big-endian at @p (any alignment). */
static inline void unet__put_be16(void *p, uint16_t v)
{
	uint8_t *b = p;

	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

/* Writes @v big-endian at @p (any alignment). */
static inline void unet__put_be32(void *p, uint32_t v)
{
	uint8_t *b = p;

	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

/*
 * A token bucket kept in one number (the generic cell rate algorithm):
 * *@tat is the theoretical arrival time of the next event (0: a full
 * bucket). @burst events may go at once, then one per @interval (same unit
 * as @now). Return: whether one more may go at @now (counted in *@tat).
 */
static inline bool unet__gcra_admit(uint64_t *tat, uint64_t now,
				    uint64_t interval, unsigned int burst)
{
	uint64_t t = *tat > now ? *tat : now;

	if (t - now > (uint64_t)(burst - 1) * interval)
		return false;
	*tat = t + interval;
	return true;
}

#endif /* USERNET_WIRE_UTIL_H */
