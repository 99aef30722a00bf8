/* SPDX-License-Identifier: MIT */
/*
 * unixsrv: a listening unix stream socket at a path, and the table of its
 * connections, for the API socket (apisock.c) and the control socket
 * (ctlsock.c): an old socket at the path is replaced, never another kind
 * of file, and the path is removed again when the socket closes.
 *
 * Each protocol's connection starts with a struct unixsrv_conn (a pipe and
 * a timer); unixsrv accepts it, gives it a slot (at most max_conns at once:
 * more are closed at once), and frees it once both handles are closed.
 */
#ifndef USERNET_TOOLS_UNIXSRV_H
#define USERNET_TOOLS_UNIXSRV_H

#include <stdbool.h>
#include <stddef.h>

#include <uv.h>

/** The most connections any unixsrv serves at once. */
#define UNIXSRV_CONN_MAX 16

struct unixsrv;

/**
 * struct unixsrv_conn - what every connection of a unixsrv starts with
 * @pipe: the connection; its data is this struct
 * @timer: the protocol's timer (a deadline or an idle time); its data is
 *	this struct
 * @srv: the socket it came to
 * @slot: its index in @srv->conns, -1 once closing
 * @handles: handles not yet closed; at 0 the connection is freed
 */
struct unixsrv_conn {
	uv_pipe_t pipe;
	uv_timer_t timer;
	struct unixsrv *srv;
	int slot;
	int handles;
};

/**
 * struct unixsrv_ops - what a protocol does with its connections
 * @conn_size: the size of its connection, a struct that starts with a
 *	struct unixsrv_conn; allocated zeroed
 * @start: a connection was accepted and has its slot: start reading (or
 *	close it with unixsrv_conn_close())
 * @release: the connection's handles are closed: free what it holds, not
 *	the connection itself; NULL for nothing
 */
struct unixsrv_ops {
	size_t conn_size;
	void (*start)(struct unixsrv_conn *c);
	void (*release)(struct unixsrv_conn *c);
};

/**
 * struct unixsrv - a listening unix socket and its connections
 * @loop: the loop, once unixsrv_listen() was called (NULL before)
 * @pipe: the socket
 * @path: its path, removed on close ("" when not bound)
 * @ops: what its protocol does with connections
 * @data: the protocol's state, for its callbacks
 * @conns: connections open now (NULL in free slots)
 * @max_conns: how many of @conns may be used
 * @closing: unixsrv_close() was called: no more connections
 */
struct unixsrv {
	uv_loop_t *loop;
	uv_pipe_t pipe;
	char path[108];
	const struct unixsrv_ops *ops;
	void *data;
	struct unixsrv_conn *conns[UNIXSRV_CONN_MAX];
	int max_conns;
	bool closing;
};

int unixsrv_listen(struct unixsrv *s, uv_loop_t *loop, const char *path,
		   int max_conns, const struct unixsrv_ops *ops, void *data,
		   char *err, size_t errlen);
void unixsrv_conn_close(struct unixsrv_conn *c);
bool unixsrv_conn_closing(const struct unixsrv_conn *c);
void unixsrv_close(struct unixsrv *s);

#endif /* USERNET_TOOLS_UNIXSRV_H */
