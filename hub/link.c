/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the attachments that link a hub to other processes.
 *
 * The rate limiter lets UNET__RATELIMIT_BURST messages through per window of
 * the hub's clock and counts the rest; the first message of a later window
 * is preceded by how many were held back, so nothing goes unnoticed and a
 * hostile peer cannot flood the log.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "link_internal.h"

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
			unet_hub_log(hub, UNET_LOG_WARN,
				     "%u similar messages suppressed",
				     rl->suppressed);
		rl->start = now;
		rl->count = 0;
		rl->suppressed = 0;
	}
	if (rl->count >= UNET__RATELIMIT_BURST) {
		rl->suppressed++;
		return;
	}
	rl->count++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	unet_hub_log(hub, level, "%s", msg);
}

/**
 * unet__addr_str() - a socket address as text, for log messages
 * @sa: the address (AF_INET, AF_INET6 or AF_UNIX)
 * @len: its length
 * @buf: receives the text, NUL-terminated
 * @size: size of @buf (UNET__ADDRSTR_MAX is enough)
 *
 * Return: @buf: "1.2.3.4:5", "[::1]:5", a unix path, or "?".
 */
const char *unet__addr_str(const struct sockaddr *sa, socklen_t len,
			   char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN];

	snprintf(buf, size, "?");
	if (sa == NULL)
		return buf;
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const void *)sa;

		if (inet_ntop(AF_INET, &in->sin_addr, a, sizeof(a)) != NULL)
			snprintf(buf, size, "%s:%u", a, ntohs(in->sin_port));
	} else if (sa->sa_family == AF_INET6 &&
		   len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		if (inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof(a)) != NULL)
			snprintf(buf, size, "[%s]:%u", a,
				 ntohs(in6->sin6_port));
	} else if (sa->sa_family == AF_UNIX &&
		   len > offsetof(struct sockaddr_un, sun_path)) {
		const struct sockaddr_un *un = (const void *)sa;
		size_t n = len - offsetof(struct sockaddr_un, sun_path);

		if (n > sizeof(un->sun_path))
			n = sizeof(un->sun_path);
		n = strnlen(un->sun_path, n);
		snprintf(buf, size, "%.*s", (int)n, un->sun_path);
	}
	return buf;
}

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
