/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the attachments that link a hub to another process
 * (stream.c, dgram.c, vde.c, vxlan.c): rate-limited logging for messages a
 * peer can trigger, socket addresses as text, unix socket paths, and the
 * UDP and multicast socket options the datagram attachments share.
 */
#ifndef USERNET_HUB_LINK_INTERNAL_H
#define USERNET_HUB_LINK_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <netinet/in.h>
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

bool unet__udp_soft_error(int err);
int unet__setsockopt(int fd, int level, int name, const void *val,
		     socklen_t len);
bool unet__addr_is_mcast(const struct sockaddr *sa);
int unet__mcast_join(int fd, const struct sockaddr *group,
		     unsigned int ifindex, const struct in_addr *ifaddr);
int unet__mcast_sender(int fd, int family, unsigned int ifindex,
		       const struct in_addr *ifaddr, int ttl, bool loop);

#endif /* USERNET_HUB_LINK_INTERNAL_H */
