/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the attachments that link a hub to another process
 * (stream.c, dgram.c, vde.c, vxlan.c): socket addresses as text, unix
 * socket paths, and the UDP and multicast socket options the datagram
 * attachments share. Their rate-limited logging is wire/log.h's.
 */
#ifndef USERNET_HUB_LINK_INTERNAL_H
#define USERNET_HUB_LINK_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include <usernet/hub.h>

#include "hub_internal.h"
#include "wire/addr.h"
#include "wire/log.h"

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
