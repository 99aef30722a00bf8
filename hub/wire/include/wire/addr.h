/* SPDX-License-Identifier: MIT */
/*
 * Socket addresses as text: "1.2.3.4:5", "[::1]:5" or a unix path.
 */
#ifndef USERNET_WIRE_ADDR_H
#define USERNET_WIRE_ADDR_H

#include <stddef.h>
#include <sys/socket.h>

/* Room for "[ADDR]:PORT" or a unix path, with its NUL. */
#define UNET__ADDRSTR_MAX 128

const char *unet__addr_str(const struct sockaddr *sa, socklen_t len,
			   char *buf, size_t size);

#endif /* USERNET_WIRE_ADDR_H */
