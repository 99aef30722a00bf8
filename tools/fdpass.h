/* SPDX-License-Identifier: MIT */
/*
 * fdpass: one fixed-size message with at most one file descriptor over a
 * SOCK_SEQPACKET socket (SCM_RIGHTS): how a namespace helper child hands a
 * tap back to usernet (nsrun.c, netns.c).
 */
#ifndef USERNET_TOOLS_FDPASS_H
#define USERNET_TOOLS_FDPASS_H

#include <stddef.h>

void fdpass_send(int sock, const void *msg, size_t len, int fd);
int fdpass_recv(int sock, void *msg, size_t len, int *fd);

#endif /* USERNET_TOOLS_FDPASS_H */
