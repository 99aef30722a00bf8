/* SPDX-License-Identifier: MIT */
/*
 * Rate-limited logging (wire/log.h).
 */
#include <stdarg.h>
#include <stdio.h>

#include "wire/log.h"

/**
 * unet__log_limited() - log a message a peer can trigger, rate-limited
 * @hub: the hub whose log is used; nothing is logged when NULL
 * @rl: the limiter, usually one per port
 * @level: the message's level
 * @fmt: printf format
 */
void unet__log_limited(const struct unet_hub *hub, struct unet__ratelimit *rl,
		       enum unet_log_level level, const char *fmt, ...)
{
	char msg[400];
	uint64_t now;
	va_list ap;

	if (hub == NULL)
		return;
	now = unet_hub_now_ns(hub);
	if (now - rl->start >= UNET__RATELIMIT_WINDOW_NS) {
		if (rl->suppressed > 0)
			unet_hub_log(hub, rl->level,
				     "%u similar messages suppressed",
				     rl->suppressed);
		rl->start = now;
		rl->count = 0;
		rl->suppressed = 0;
	}
	if (rl->count >= UNET__RATELIMIT_BURST) {
		if (rl->suppressed == 0 || level < rl->level)
			rl->level = level;
		rl->suppressed++;
		return;
	}
	rl->count++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	unet_hub_log(hub, level, "%s", msg);
}
