/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the attachments that link a hub to another process
 * (stream.c, dgram.c, vde.c): rate-limited logging for messages a peer can
 * trigger, socket addresses as text, and unix socket paths.
 */
#ifndef USERNET_HUB_LINK_INTERNAL_H
#define USERNET_HUB_LINK_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <sys/socket.h>

#include <usernet/hub.h>

#include "hub_internal.h"

/* Messages a peer can trigger: at most this many per window... */
#define UNET__RATELIMIT_BURST 5
/* ...of this many nanoseconds; the rest are counted and reported. */
#define UNET__RATELIMIT_WINDOW_NS (5ull * 1000000000ull)
/* Room for "[ADDR]:PORT" or a unix path, with its NUL. */
#define UNET__ADDRSTR_MAX 128

/**
 * struct unet__ratelimit - a log rate limiter, one per port
 * @start: the hub's clock when the current window began
 * @count: messages passed on in the current window
 * @suppressed: messages held back in the current window
 */
struct unet__ratelimit {
	uint64_t start;
	unsigned int count;
	unsigned int suppressed;
};

void unet__log_limited(const struct unet_hub *hub, struct unet__ratelimit *rl,
		       enum unet_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
const char *unet__addr_str(const struct sockaddr *sa, socklen_t len,
			   char *buf, size_t size);
bool unet__addr_equal(const struct sockaddr *a, socklen_t alen,
		      const struct sockaddr *b, socklen_t blen);
int unet__unlink_stale_socket(const char *path);

#endif /* USERNET_HUB_LINK_INTERNAL_H */
