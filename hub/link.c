/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the attachments that link a hub to other processes.
 *
 * The datagram attachments (dgram.c, vxlan.c) share their socket options
 * here: which receive errors are an earlier send's ICMP error, how a socket
 * joins an IPv4 or IPv6 group on an interface, and how a sending socket is
 * set up for a group (interface, TTL or hop limit, loopback).
 *
 * The rate limiter lets UNET__RATELIMIT_BURST messages through per window of
 * the hub's clock and counts the rest; the first message of a later window
 * is preceded by how many were held back, so nothing goes unnoticed and a
 * hostile peer cannot flood the log.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "link_internal.h"

/**
 * unet__addr_equal() - whether two socket addresses name the same endpoint
 * @a: one address
 * @alen: its length
 * @b: the other
 * @blen: its length
 *
 * Return: true for the same family, address and port (or unix path).
 */
bool unet__addr_equal(const struct sockaddr *a, socklen_t alen,
		      const struct sockaddr *b, socklen_t blen)
{
	if (a->sa_family != b->sa_family)
		return false;
	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a;
		const struct sockaddr_in *y = (const void *)b;

		return alen >= sizeof(*x) && blen >= sizeof(*y) &&
		       x->sin_port == y->sin_port &&
		       x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->sa_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a;
		const struct sockaddr_in6 *y = (const void *)b;

		return alen >= sizeof(*x) && blen >= sizeof(*y) &&
		       x->sin6_port == y->sin6_port &&
		       !memcmp(&x->sin6_addr, &y->sin6_addr,
			       sizeof(x->sin6_addr));
	}
	return alen == blen && !memcmp(a, b, alen);
}

/**
 * unet__unlink_stale_socket() - remove a socket file left at a path
 * @path: where a unix socket is about to be bound
 *
 * QEMU removes whatever is at the path before it binds; usernet removes only
 * a socket, so that a typo cannot delete a regular file.
 *
 * Return: 0 when the path is free now, -EEXIST when something other than a
 * socket is there, or the negative errno of lstat() or unlink().
 */
int unet__unlink_stale_socket(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/**
 * unet__udp_soft_error() - whether a receive error is an earlier send's
 * ICMP error
 * @err: the errno of recvfrom() on a UDP socket
 *
 * Unicast UDP sockets report ICMP errors of earlier sends on a later
 * receive; those are skipped, not taken as a broken socket.
 *
 * Return: true for ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, EHOSTDOWN,
 * ENETDOWN.
 */
bool unet__udp_soft_error(int err)
{
	return err == ECONNREFUSED || err == EHOSTUNREACH ||
	       err == ENETUNREACH || err == EHOSTDOWN || err == ENETDOWN;
}

/**
 * unet__setsockopt() - setsockopt() in the library's error convention
 * @fd: the socket
 * @level: the option's level
 * @name: the option
 * @val: its value
 * @len: its length
 *
 * Return: 0 or the negative errno.
 */
int unet__setsockopt(int fd, int level, int name, const void *val,
		     socklen_t len)
{
	return setsockopt(fd, level, name, val, len) < 0 ? -errno : 0;
}

/**
 * unet__addr_is_mcast() - whether a socket address is a multicast group
 * @sa: an AF_INET or AF_INET6 address (anything else is not a group)
 *
 * Return: true for 224.0.0.0/4 and ff00::/8.
 */
bool unet__addr_is_mcast(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return IN_MULTICAST(
			ntohl(((const struct sockaddr_in *)(const void *)sa)
				      ->sin_addr.s_addr));
	if (sa->sa_family == AF_INET6)
		return IN6_IS_ADDR_MULTICAST(
			&((const struct sockaddr_in6 *)(const void *)sa)
				 ->sin6_addr);
	return false;
}

/**
 * unet__mcast_join() - make a socket a member of a multicast group
 * @fd: a UDP socket of @group's family
 * @group: the group (AF_INET or AF_INET6; its port is not used)
 * @ifindex: the interface to join on; 0 for the kernel's choice (or, for
 *           IPv4, the interface of @ifaddr)
 * @ifaddr: IPv4 only: the address of the interface to join on; NULL for
 *          none
 *
 * Return: 0, -EAFNOSUPPORT for another family, or setsockopt()'s negative
 * errno.
 */
int unet__mcast_join(int fd, const struct sockaddr *group,
		     unsigned int ifindex, const struct in_addr *ifaddr)
{
	if (group->sa_family == AF_INET) {
		struct ip_mreqn mreq;

		memset(&mreq, 0, sizeof(mreq));
		mreq.imr_multiaddr =
			((const struct sockaddr_in *)(const void *)group)
				->sin_addr;
		if (ifaddr != NULL)
			mreq.imr_address = *ifaddr;
		mreq.imr_ifindex = (int)ifindex;
		return unet__setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP,
					&mreq, sizeof(mreq));
	}
	if (group->sa_family == AF_INET6) {
		struct ipv6_mreq mreq6;

		memset(&mreq6, 0, sizeof(mreq6));
		mreq6.ipv6mr_multiaddr =
			((const struct sockaddr_in6 *)(const void *)group)
				->sin6_addr;
		mreq6.ipv6mr_interface = ifindex;
		return unet__setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP,
					&mreq6, sizeof(mreq6));
	}
	return -EAFNOSUPPORT;
}

/**
 * unet__mcast_sender() - set up a socket that sends to a multicast group
 * @fd: a UDP socket of @family
 * @family: AF_INET or AF_INET6
 * @ifindex: the interface to send on; 0 for the routing table's choice (or,
 *           for IPv4, the interface of @ifaddr)
 * @ifaddr: IPv4 only: the address of the interface to send on; NULL for
 *          none
 * @ttl: the TTL (IPv4) or hop limit (IPv6) of what is sent to the group
 * @loop: whether the host's other members (and the socket itself) get
 *        copies of what it sends
 *
 * Return: 0, -EAFNOSUPPORT for another family, or setsockopt()'s negative
 * errno.
 */
int unet__mcast_sender(int fd, int family, unsigned int ifindex,
		       const struct in_addr *ifaddr, int ttl, bool loop)
{
	int on = loop ? 1 : 0;
	int r;

	if (family == AF_INET) {
		struct ip_mreqn mreq;

		r = unet__setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &on,
				     sizeof(on));
		if (r == 0)
			r = unet__setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL,
					     &ttl, sizeof(ttl));
		if (r < 0 || (ifindex == 0 && ifaddr == NULL))
			return r;
		memset(&mreq, 0, sizeof(mreq));
		if (ifaddr != NULL)
			mreq.imr_address = *ifaddr;
		mreq.imr_ifindex = (int)ifindex;
		return unet__setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mreq,
					sizeof(mreq));
	}
	if (family == AF_INET6) {
		r = unet__setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP,
				     &on, sizeof(on));
		if (r == 0)
			r = unet__setsockopt(fd, IPPROTO_IPV6,
					     IPV6_MULTICAST_HOPS, &ttl,
					     sizeof(ttl));
		if (r < 0 || ifindex == 0)
			return r;
		return unet__setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF,
					&ifindex, sizeof(ifindex));
	}
	return -EAFNOSUPPORT;
}
