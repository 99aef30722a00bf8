/* SPDX-License-Identifier: MIT */
/* lwIP's platform glue for usernet: Linux, C11, glibc. */
#ifndef USERNET_ARCH_CC_H
#define USERNET_ARCH_CC_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#define LWIP_TIMEVAL_PRIVATE 0
#define LWIP_ERRNO_STDINCLUDE 1
#define LWIP_PROVIDE_ERRNO 0
#include <endian.h> /* BYTE_ORDER, as lwIP expects it */

void unet__lwip_diag(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
void unet__lwip_assert(const char *msg, const char *file, int line);

/*
 * lwIP's assertions guard lwIP's own invariants (and our use of its API),
 * never input from a guest: a failure is a bug, reported and then fatal.
 */
#define LWIP_PLATFORM_DIAG(x) do { unet__lwip_diag x; } while (0)
#define LWIP_PLATFORM_ASSERT(x) unet__lwip_assert((x), __FILE__, __LINE__)

#endif /* USERNET_ARCH_CC_H */
