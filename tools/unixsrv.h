/* SPDX-License-Identifier: MIT */
/*
 * unixsrv: a listening unix stream socket at a path, for the API socket
 * (apisock.c) and the control socket (ctlsock.c): an old socket at the
 * path is replaced, never another kind of file, and the path is removed
 * again when the socket closes.
 */
#ifndef USERNET_TOOLS_UNIXSRV_H
#define USERNET_TOOLS_UNIXSRV_H

#include <stddef.h>

#include <uv.h>

/**
 * struct unixsrv - a listening unix socket
 * @loop: the loop, once unixsrv_listen() was called (NULL before)
 * @pipe: the socket; its data is the caller's
 * @path: its path, removed on close ("" when not bound)
 */
struct unixsrv {
	uv_loop_t *loop;
	uv_pipe_t pipe;
	char path[108];
};

int unixsrv_listen(struct unixsrv *s, uv_loop_t *loop, const char *path,
		   int backlog, uv_connection_cb cb, void *data, char *err,
		   size_t errlen);
void unixsrv_close(struct unixsrv *s);

#endif /* USERNET_TOOLS_UNIXSRV_H */
