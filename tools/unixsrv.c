// SPDX-License-Identifier: MIT
/*
 * unixsrv: a listening unix stream socket at a path (see unixsrv.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "unixsrv.h"

static void unixsrv_conn_closed(uv_handle_t *h)
{
	struct unixsrv_conn *c = h->data;

	if (--c->handles > 0)
		return;
	if (c->srv->ops->release != NULL)
		c->srv->ops->release(c);
	free(c);
}

/**
 * unixsrv_conn_close() - close a connection; it is freed (after its
 *	protocol's release) once the loop closed its handles
 * @c: the connection; safe to call again while it closes
 */
void unixsrv_conn_close(struct unixsrv_conn *c)
{
	if (uv_is_closing((uv_handle_t *)&c->pipe))
		return;
	if (c->slot >= 0) {
		c->srv->conns[c->slot] = NULL;
		c->slot = -1;
	}
	uv_close((uv_handle_t *)&c->pipe, unixsrv_conn_closed);
	uv_close((uv_handle_t *)&c->timer, unixsrv_conn_closed);
}

/**
 * unixsrv_conn_closing() - whether unixsrv_conn_close() was called
 * @c: the connection
 *
 * Return: true once it is closing (nothing more may be started on it).
 */
bool unixsrv_conn_closing(const struct unixsrv_conn *c)
{
	return uv_is_closing((const uv_handle_t *)&c->pipe);
}

/* A client connected: accept it into a free slot, or close it at once. */
static void unixsrv_on_connection(uv_stream_t *server, int status)
{
	struct unixsrv *s = server->data;
	struct unixsrv_conn *c;
	int i;

	if (status < 0)
		return;
	c = calloc(1, s->ops->conn_size);
	if (c == NULL)
		return;
	c->srv = s;
	c->slot = -1;
	c->handles = 2;
	uv_pipe_init(s->loop, &c->pipe, 0);
	uv_timer_init(s->loop, &c->timer);
	c->pipe.data = c;
	c->timer.data = c;
	if (uv_accept(server, (uv_stream_t *)&c->pipe) < 0) {
		unixsrv_conn_close(c);
		return;
	}
	for (i = 0; i < s->max_conns && s->conns[i] != NULL; i++)
		;
	if (i == s->max_conns || s->closing) {
		unixsrv_conn_close(c);
		return;
	}
	s->conns[i] = c;
	c->slot = i;
	s->ops->start(c);
}

/**
 * unixsrv_listen() - listen on a unix socket path
 * @s: the socket, zeroed
 * @loop: the loop
 * @path: the path, shorter than 108 bytes; an old socket there is replaced
 *	(never another kind of file); removed again by unixsrv_close()
 * @max_conns: connections served at once (at most UNIXSRV_CONN_MAX), also
 *	listen()'s backlog
 * @ops: what the protocol does with each connection
 * @data: the protocol's state (@s->data), for its callbacks
 * @err: receives a one-line message on failure
 * @errlen: size of @err
 *
 * Return: 0, or a negative errno (-ENAMETOOLONG, -EEXIST for a file that is
 * not a socket, bind's and listen's errors); on failure nothing is left at
 * @path. unixsrv_close() must be called either way.
 */
int unixsrv_listen(struct unixsrv *s, uv_loop_t *loop, const char *path,
		   int max_conns, const struct unixsrv_ops *ops, void *data,
		   char *err, size_t errlen)
{
	struct stat st;
	int r;

	if (strlen(path) >= sizeof(s->path)) {
		snprintf(err, errlen, "%s: longer than %zu bytes", path,
			 sizeof(s->path) - 1);
		return -ENAMETOOLONG;
	}
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s: exists and is not a socket",
				 path);
			return -EEXIST;
		}
		unlink(path);
	}
	r = uv_pipe_init(loop, &s->pipe, 0);
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", path, uv_strerror(r));
		return r;
	}
	s->loop = loop;
	s->ops = ops;
	s->data = data;
	s->max_conns = max_conns < UNIXSRV_CONN_MAX ? max_conns :
						      UNIXSRV_CONN_MAX;
	s->pipe.data = s;
	r = uv_pipe_bind(&s->pipe, path);
	if (r == 0) {
		snprintf(s->path, sizeof(s->path), "%s", path);
		r = uv_listen((uv_stream_t *)&s->pipe, s->max_conns,
			      unixsrv_on_connection);
	}
	if (r < 0)
		snprintf(err, errlen, "cannot listen on %s: %s", path,
			 uv_strerror(r));
	return r;
}

/**
 * unixsrv_close() - stop listening, close every connection, remove the path
 * @s: the socket (zeroed or unixsrv_listen()'ed); safe to call twice; its
 *	memory must last until the loop ran the close callbacks
 */
void unixsrv_close(struct unixsrv *s)
{
	int i;

	s->closing = true;
	for (i = 0; i < UNIXSRV_CONN_MAX; i++)
		if (s->conns[i] != NULL)
			unixsrv_conn_close(s->conns[i]);
	if (s->loop == NULL || uv_is_closing((uv_handle_t *)&s->pipe))
		return;
	uv_close((uv_handle_t *)&s->pipe, NULL);
	if (s->path[0] != '\0')
		unlink(s->path);
	s->path[0] = '\0';
}
