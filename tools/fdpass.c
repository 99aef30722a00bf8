// SPDX-License-Identifier: MIT
/*
 * fdpass: a message and a file descriptor over a SOCK_SEQPACKET socket.
 *
 * The receiver trusts nothing about what arrives: a message of another
 * size, a truncated one, or more descriptors than one (all but the first
 * are closed) are errors or are dropped, and received descriptors are
 * close-on-exec.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdpass.h"

/**
 * fdpass_send() - send @len bytes of @msg, with @fd when it is 0 or more
 * @sock: a SOCK_SEQPACKET socket
 * @msg: the message
 * @len: its size
 * @fd: the descriptor to pass along, or -1
 *
 * Failures are not reported: the caller is a helper child with nobody else
 * to tell; the other side sees the socket end instead.
 */
void fdpass_send(int sock, const void *msg, size_t len, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cmsg;

	if (fd >= 0) {
		memset(&control, 0, sizeof(control));
		mh.msg_control = control.buf;
		mh.msg_controllen = sizeof(control.buf);
		cmsg = CMSG_FIRSTHDR(&mh);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	}
	while (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 && errno == EINTR)
		;
}

/**
 * fdpass_recv() - receive one message of exactly @len bytes
 * @sock: a SOCK_SEQPACKET socket
 * @msg: receives the message
 * @len: its size
 * @fd: receives the first descriptor that came with it, or -1
 *
 * Return: 0; -EPIPE when the other side closed without a message; -EPROTO
 * for a message of another size or a truncated one (no descriptor is kept
 * then); recvmsg()'s errno.
 */
int fdpass_recv(int sock, void *msg, size_t len, int *fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = msg, .iov_len = len };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	struct cmsghdr *cmsg;
	size_t i, nfds;
	ssize_t n;
	int one;

	*fd = -1;
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (cmsg = CMSG_FIRSTHDR(&mh); cmsg; cmsg = CMSG_NXTHDR(&mh, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS ||
		    cmsg->cmsg_len < CMSG_LEN(0))
			continue;
		nfds = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfds; i++) {
			memcpy(&one, CMSG_DATA(cmsg) + i * sizeof(int),
			       sizeof(int));
			if (*fd < 0)
				*fd = one;
			else
				close(one);
		}
	}
	if (n == 0 || (size_t)n != len ||
	    (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return n == 0 ? -EPIPE : -EPROTO;
	}
	return 0;
}
