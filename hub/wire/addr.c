/* SPDX-License-Identifier: MIT */
/*
 * Socket addresses as text for log lines and dumps (wire/addr.h): one
 * printer for every folder.
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include "wire/addr.h"

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
