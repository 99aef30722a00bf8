/* SPDX-License-Identifier: MIT */
/*
 * Rate-limited logging for messages a guest or a peer can trigger: at most
 * UNET__RATELIMIT_BURST lines per UNET__RATELIMIT_WINDOW_NS of the hub's
 * clock for each limiter; the rest are counted and reported in one line when
 * the next window opens, at the most severe level among them (so that
 * held-back debug lines never surface as a warning). Every folder logs
 * outside input through this.
 */
#ifndef USERNET_WIRE_LOG_H
#define USERNET_WIRE_LOG_H

#include <stdint.h>

#include <usernet/hub.h>

/* Messages a peer can trigger: at most this many per window... */
#define UNET__RATELIMIT_BURST 5
/* ...of this many nanoseconds; the rest are counted and reported. */
#define UNET__RATELIMIT_WINDOW_NS (5ull * 1000000000ull)

/**
 * struct unet__ratelimit - a log rate limiter, usually one per object that
 * outside input can make talk (a port, a service, the proxy); all zero is a
 * fresh limiter
 * @start: the hub's clock when the current window began
 * @count: messages passed on in the current window
 * @suppressed: messages held back in the current window
 * @level: the most severe level among them (set with the first)
 */
struct unet__ratelimit {
	uint64_t start;
	unsigned int count;
	unsigned int suppressed;
	enum unet_log_level level;
};

void unet__log_limited(const struct unet_hub *hub, struct unet__ratelimit *rl,
		       enum unet_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif /* USERNET_WIRE_LOG_H */
