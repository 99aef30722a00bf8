// SPDX-License-Identifier: MIT
/*
 * ctlsock: the control socket, usernet's own --api-socket.
 *
 * Theory of operation: a connection is a stream of request lines, each
 * answered by control_handle() with one reply line, in order. Bytes are
 * gathered in a buffer of one line (CONTROL_LINE_MAX bytes and its "\r\n");
 * every whole line in it is answered as soon as it is there. Empty lines
 * get no reply; a line that does not fit gets one error reply and is
 * skipped up to its newline; when the client shuts its side down, what it
 * sent after its last newline is a last request. The connection closes
 * once every reply is written.
 *
 * slirp4netns's requests: while a connection has not made a request yet,
 * bytes that form a whole JSON object with an "execute" member (a newline
 * is not needed, as slirp4netns needs none) are a slirp4netns request:
 * apisock_handle() answers it exactly as the slirp4netns personality does,
 * without a newline, and the connection is closed after the reply, as
 * slirp4netns closes it. Once a connection made a control request, every
 * line is a control request.
 *
 * Bounds: CTLSOCK_CONN_MAX connections (more are closed at once), one line
 * of input per connection, and at most CTLSOCK_OUT_MAX bytes of replies
 * queued before the connection's requests stop being read: a client that
 * sends requests without reading the replies stalls only itself, and
 * CTLSOCK_IDLE_MS without a request read or a reply taken closes it. A
 * single reply is bounded by what it describes (the flow table's caps).
 *
 * A connection owns a pipe and a timer, and is freed when both are closed;
 * each reply is a write request of its own, freed when written.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctlsock.h"
#include "wire/util.h"

/**
 * enum ctlsock_mode - what a connection speaks
 * @CTLSOCK_FIRST: nothing yet: a slirp4netns request may still come
 * @CTLSOCK_LINES: the control protocol
 * @CTLSOCK_SLIRP: one slirp4netns request, answered; closing after it
 */
enum ctlsock_mode {
	CTLSOCK_FIRST,
	CTLSOCK_LINES,
	CTLSOCK_SLIRP,
};

/**
 * struct ctlsock_conn - one client
 * @base: its pipe, and a timer that closes it after CTLSOCK_IDLE_MS
 *	without progress
 * @mode: what it speaks
 * @reading: its requests are being read
 * @eof: the client shut its side down
 * @skipping: the rest of a line too long is skipped up to its newline
 * @queued: reply bytes not yet written
 * @len: bytes of @buf used
 * @buf: requests not yet answered
 */
struct ctlsock_conn {
	struct unixsrv_conn base;
	enum ctlsock_mode mode;
	bool reading;
	bool eof;
	bool skipping;
	size_t queued;
	size_t len;
	char buf[CONTROL_LINE_MAX + 2];
};

/**
 * struct ctlsock_write - one reply on its way
 * @req: the write request
 * @c: its connection
 * @len: bytes in @data
 * @last: the connection closes once it is written
 * @data: the reply
 */
struct ctlsock_write {
	uv_write_t req;
	struct ctlsock_conn *c;
	size_t len;
	bool last;
	char data[];
};

/**
 * ctlsock_init() - set up both protocols, not yet listening
 * @s: the socket
 * @ops: what control requests act on
 * @opaque: passed to @ops
 * @api_ops: what slirp4netns requests act on
 * @api_opaque: passed to @api_ops
 * @info: the network: slirp4netns's get_info, and the default guest
 *	address of both protocols' forwards
 * @level: the log level in force now
 */
void ctlsock_init(struct ctlsock *s, const struct control_ops *ops,
		  void *opaque, const struct apisock_ops *api_ops,
		  void *api_opaque, const struct apisock_info *info,
		  enum unet_log_level level)
{
	memset(s, 0, sizeof(*s));
	control_init(&s->ctl, ops, opaque, info->guest, level);
	apisock_init(&s->api, api_ops, api_opaque, info);
}

static struct ctlsock_conn *ctlsock_conn_of(void *base)
{
	return container_of((struct unixsrv_conn *)base, struct ctlsock_conn,
			    base);
}

/* The control socket @c came to. */
static struct ctlsock *ctlsock_of(const struct ctlsock_conn *c)
{
	return c->base.srv->data;
}

static void ctlsock_conn_close(struct ctlsock_conn *c)
{
	unixsrv_conn_close(&c->base);
}

static bool ctlsock_conn_closing(const struct ctlsock_conn *c)
{
	return unixsrv_conn_closing(&c->base);
}

static void ctlsock_on_timeout(uv_timer_t *t)
{
	unixsrv_conn_close(t->data);
}

/* The client did something: its idle time starts again. */
static void ctlsock_progress(struct ctlsock_conn *c)
{
	uv_timer_start(&c->base.timer, ctlsock_on_timeout, CTLSOCK_IDLE_MS, 0);
}

static void ctlsock_resume(struct ctlsock_conn *c);
static void ctlsock_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b);
static void ctlsock_on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b);

static void ctlsock_on_written(uv_write_t *req, int status)
{
	struct ctlsock_write *w = req->data;
	struct ctlsock_conn *c = w->c;
	bool last = w->last;

	c->queued -= w->len;
	free(w);
	if (ctlsock_conn_closing(c))
		return;
	if (status < 0 || last) {
		ctlsock_conn_close(c);
		return;
	}
	ctlsock_progress(c);
	ctlsock_resume(c);
}

/*
 * Queues @reply (taken; NULL when memory ran out), with a newline when
 * @newline; the connection closes after it when @last.
 */
static void ctlsock_send(struct ctlsock_conn *c, char *reply, bool newline,
			 bool last)
{
	static const char nomem[] =
		"{\"ok\":false,\"error\":\"out of memory\"}";
	const char *text = reply != NULL ? reply : nomem;
	size_t n = strlen(text);
	struct ctlsock_write *w;
	uv_buf_t b;

	w = malloc(sizeof(*w) + n + 1);
	if (w == NULL) {
		free(reply);
		ctlsock_conn_close(c);
		return;
	}
	memcpy(w->data, text, n);
	free(reply);
	if (newline)
		w->data[n++] = '\n';
	w->c = c;
	w->len = n;
	w->last = last;
	w->req.data = w;
	b = uv_buf_init(w->data, (unsigned int)n);
	c->queued += n;
	if (uv_write(&w->req, (uv_stream_t *)&c->base.pipe, &b, 1,
		     ctlsock_on_written) < 0) {
		c->queued -= n;
		free(w);
		ctlsock_conn_close(c);
	}
}

/* Whether the bytes so far are a slirp4netns request: a whole object with
 * an "execute" member (what follows it does not matter, as to slirp4netns). */
static bool ctlsock_is_slirp(const struct ctlsock_conn *c)
{
	json_error_t jerr;
	json_t *v;
	bool yes;

	if (c->len == 0)
		return false;
	v = json_loadb(c->buf, c->len, JSON_DISABLE_EOF_CHECK, &jerr);
	yes = json_is_object(v) && json_object_get(v, "execute") != NULL;
	json_decref(v);
	return yes;
}

/* Answers one request line of @n bytes at @p (its newline not counted). */
static void ctlsock_line(struct ctlsock_conn *c, const char *p, size_t n)
{
	size_t i;

	if (n > 0 && p[n - 1] == '\r')
		n--;
	for (i = 0; i < n && strchr(" \t\r", p[i]) != NULL; i++)
		;
	if (i == n)
		return;
	c->mode = CTLSOCK_LINES;
	ctlsock_send(c, control_handle(&ctlsock_of(c)->ctl, p, n), true, false);
}

/* Answers what @c->buf holds, as far as the replies queued allow. */
static void ctlsock_process(struct ctlsock_conn *c)
{
	char *nl;
	size_t n;

	if (c->mode == CTLSOCK_FIRST && ctlsock_is_slirp(c)) {
		c->mode = CTLSOCK_SLIRP;
		uv_read_stop((uv_stream_t *)&c->base.pipe);
		c->reading = false;
		ctlsock_send(
			c, apisock_handle(&ctlsock_of(c)->api, c->buf, c->len),
			false, true);
		c->len = 0;
		return;
	}
	while (!ctlsock_conn_closing(c) && c->queued < CTLSOCK_OUT_MAX) {
		nl = memchr(c->buf, '\n', c->len);
		if (nl != NULL) {
			n = (size_t)(nl - c->buf);
			if (c->skipping)
				c->skipping = false;
			else
				ctlsock_line(c, c->buf, n);
			memmove(c->buf, nl + 1, c->len - n - 1);
			c->len -= n + 1;
			continue;
		}
		if (c->len == sizeof(c->buf)) {
			if (!c->skipping) {
				c->mode = CTLSOCK_LINES;
				ctlsock_send(c,
					     control_handle(&ctlsock_of(c)->ctl,
							    c->buf, c->len),
					     true, false);
			}
			c->skipping = true;
			c->len = 0;
			continue;
		}
		if (c->eof && c->len > 0) {
			if (!c->skipping)
				ctlsock_line(c, c->buf, c->len);
			c->skipping = false;
			c->len = 0;
		}
		break;
	}
}

/*
 * After the replies drained or requests came: answer what waits, close a
 * connection that is done, and read again when there is room.
 */
static void ctlsock_resume(struct ctlsock_conn *c)
{
	ctlsock_process(c);
	if (ctlsock_conn_closing(c) || c->mode == CTLSOCK_SLIRP)
		return;
	if (c->eof) {
		if (c->queued == 0)
			ctlsock_conn_close(c);
		return;
	}
	if (c->queued >= CTLSOCK_OUT_MAX && c->reading) {
		uv_read_stop((uv_stream_t *)&c->base.pipe);
		c->reading = false;
	}
	if (c->queued < CTLSOCK_OUT_MAX && !c->reading) {
		c->reading = true;
		if (uv_read_start((uv_stream_t *)&c->base.pipe, ctlsock_alloc,
				  ctlsock_on_read) < 0)
			ctlsock_conn_close(c);
	}
}

static void ctlsock_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct ctlsock_conn *c = ctlsock_conn_of(h->data);

	*b = uv_buf_init(c->buf + c->len,
			 (unsigned int)(sizeof(c->buf) - c->len));
}

static void ctlsock_on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
	struct ctlsock_conn *c = ctlsock_conn_of(st->data);

	if (c->mode == CTLSOCK_SLIRP)
		return;
	if (n > 0) {
		c->len += (size_t)n;
		ctlsock_progress(c);
		ctlsock_resume(c);
		return;
	}
	if (n == UV_EOF) {
		c->eof = true;
		uv_read_stop(st);
		c->reading = false;
		ctlsock_resume(c);
	} else if (n < 0) {
		ctlsock_conn_close(c);
	}
}

/* A client connected (unixsrv gave it its slot): read its requests. */
static void ctlsock_conn_start(struct unixsrv_conn *base)
{
	struct ctlsock_conn *c = ctlsock_conn_of(base);

	ctlsock_progress(c);
	c->reading = true;
	if (uv_read_start((uv_stream_t *)&c->base.pipe, ctlsock_alloc,
			  ctlsock_on_read) < 0)
		ctlsock_conn_close(c);
}

static const struct unixsrv_ops ctlsock_srv_ops = {
	.conn_size = sizeof(struct ctlsock_conn),
	.start = ctlsock_conn_start,
};

/**
 * ctlsock_listen() - listen on a unix socket path
 * @s: the control socket, ctlsock_init()'ed
 * @loop: the loop
 * @path: the socket's path (unixsrv_listen()); removed again by
 *	ctlsock_close()
 * @err: receives a one-line message on failure
 * @errlen: size of @err
 *
 * Return: 0, or a negative errno (as unixsrv_listen()).
 * ctlsock_close() must be called either way.
 */
int ctlsock_listen(struct ctlsock *s, uv_loop_t *loop, const char *path,
		   char *err, size_t errlen)
{
	return unixsrv_listen(&s->srv, loop, path, CTLSOCK_CONN_MAX,
			      &ctlsock_srv_ops, s, err, errlen);
}

/**
 * ctlsock_close() - stop listening, close every connection, forget both
 *	protocols' forward ids (the proxy closes the forwards itself)
 * @s: the control socket; its memory must last until the loop ran the
 *	close callbacks
 */
void ctlsock_close(struct ctlsock *s)
{
	unixsrv_close(&s->srv);
	control_close(&s->ctl);
	apisock_close(&s->api);
}
