// SPDX-License-Identifier: MIT
/*
 * unixsrv: a listening unix stream socket at a path (see unixsrv.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "unixsrv.h"

/**
 * unixsrv_listen() - listen on a unix socket path
 * @s: the socket, zeroed
 * @loop: the loop
 * @path: the path, shorter than 108 bytes; an old socket there is replaced
 *	(never another kind of file); removed again by unixsrv_close()
 * @backlog: listen()'s backlog
 * @cb: called for each connection
 * @data: the pipe's data, for @cb
 * @err: receives a one-line message on failure
 * @errlen: size of @err
 *
 * Return: 0, or a negative errno (-ENAMETOOLONG, -EEXIST for a file that is
 * not a socket, bind's and listen's errors); on failure nothing is left at
 * @path. unixsrv_close() must be called either way.
 */
int unixsrv_listen(struct unixsrv *s, uv_loop_t *loop, const char *path,
		   int backlog, uv_connection_cb cb, void *data, char *err,
		   size_t errlen)
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
	s->pipe.data = data;
	r = uv_pipe_bind(&s->pipe, path);
	if (r == 0) {
		snprintf(s->path, sizeof(s->path), "%s", path);
		r = uv_listen((uv_stream_t *)&s->pipe, backlog, cb);
	}
	if (r < 0)
		snprintf(err, errlen, "cannot listen on %s: %s", path,
			 uv_strerror(r));
	return r;
}

/**
 * unixsrv_close() - stop listening and remove the path
 * @s: the socket (zeroed or unixsrv_listen()'ed); safe to call twice; its
 *	memory must last until the loop ran the close callback
 */
void unixsrv_close(struct unixsrv *s)
{
	if (s->loop == NULL || uv_is_closing((uv_handle_t *)&s->pipe))
		return;
	uv_close((uv_handle_t *)&s->pipe, NULL);
	if (s->path[0] != '\0')
		unlink(s->path);
	s->path[0] = '\0';
}
