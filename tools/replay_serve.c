/* SPDX-License-Identifier: MIT */
/*
 * replay_serve: the host-side peers of `serve` steps (see replay_serve.h).
 *
 * Theory of operation: each responder is one libuv socket bound to
 * 127.0.0.1 (::1 for a kind spelt with a 6) on a port the kernel picks, on the run's loop. tcp-echo writes
 * back what it reads and shuts down after the peer's FIN; http reads until
 * the blank line that ends a request, answers with @size bytes of a-z and
 * shuts down; tcp-hold accepts and never reads, with small socket buffers
 * so that the sender backs up after a few KiB; closed is bound but never
 * listens, so connections to it are refused; udp-echo sends each datagram
 * back. Accepted connections are kept on a list so that the runner knows
 * host I/O is under way and so that the end of the run closes them.
 * Every read buffer is freed by its callback or handed to a write whose
 * callback frees it: nothing is kept beyond the write queue of a socket.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <uv.h>

#include "replay_serve.h"
#include "wire/util.h"

/* Bytes read at a time. */
#define SERVE_IO_BUF 65536

/**
 * struct replay_responder - a host-side peer started by `serve`
 * @next: the next responder
 * @srv: the responders it belongs to
 * @kind: "tcp-echo", "udp-echo", "http", "closed" or "tcp-hold"
 * @size: http: bytes of the body
 * @tcp: the listening (or, for closed, bound) TCP socket
 * @udp: the UDP socket of udp-echo
 */
struct replay_responder {
	struct replay_responder *next;
	struct replay_serve *srv;
	const char *kind;
	size_t size;
	union {
		uv_tcp_t tcp;
		uv_udp_t udp;
	} h;
};

/**
 * struct replay_conn - one accepted connection of a TCP responder
 * @tcp: the socket
 * @rs: its responder
 * @req: http: bytes of the request seen so far, to find its end
 * @req_len: how many of @req are used
 * @answered: http: the answer was sent
 * @srv: the responders (the responder may be freed first at shutdown)
 * @next: the next open connection of the run
 * @prev: the previous one
 */
struct replay_conn {
	uv_tcp_t tcp;
	struct replay_conn *next;
	struct replay_conn *prev;
	struct replay_responder *rs;
	char req[4];
	size_t req_len;
	bool answered;
	struct replay_serve *srv;
};

/**
 * replay_serve_init() - no responders yet
 * @srv: the run's responders
 * @loop: the loop they will run on
 */
void replay_serve_init(struct replay_serve *srv, uv_loop_t *loop)
{
	memset(srv, 0, sizeof(*srv));
	srv->loop = loop;
}

static void serve_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	buf->base = malloc(SERVE_IO_BUF);
	buf->len = buf->base != NULL ? SERVE_IO_BUF : 0;
}

static void serve_conn_closed(uv_handle_t *h)
{
	struct replay_conn *c = container_of(h, struct replay_conn, tcp);
	struct replay_serve *srv = c->srv;

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		srv->conn_list = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	srv->conns--;
	free(c);
}

static void serve_conn_close(struct replay_conn *c)
{
	if (!uv_is_closing((uv_handle_t *)&c->tcp))
		uv_close((uv_handle_t *)&c->tcp, serve_conn_closed);
}

static void serve_conn_written(uv_write_t *req, int status)
{
	free(req->data);
	free(req);
}

/* Writes @len bytes at @data (taken over: freed once written). */
static int serve_conn_write(struct replay_conn *c, char *data, size_t len)
{
	uv_write_t *req = malloc(sizeof(*req));
	uv_buf_t b = uv_buf_init(data, (unsigned int)len);

	if (req == NULL) {
		free(data);
		return -ENOMEM;
	}
	req->data = data;
	if (uv_write(req, (uv_stream_t *)&c->tcp, &b, 1, serve_conn_written) <
	    0) {
		free(data);
		free(req);
		return -EIO;
	}
	return 0;
}

static void serve_conn_shut(uv_shutdown_t *req, int status)
{
	struct replay_conn *c = req->data;

	free(req);
	serve_conn_close(c);
}

static void serve_conn_finish(struct replay_conn *c)
{
	uv_shutdown_t *req = malloc(sizeof(*req));

	if (req == NULL ||
	    uv_shutdown(req, (uv_stream_t *)&c->tcp, serve_conn_shut) < 0) {
		free(req);
		serve_conn_close(c);
		return;
	}
	req->data = c;
}

static void serve_http_answer(struct replay_conn *c)
{
	size_t size = c->rs->size, n, i;
	char *out;

	out = malloc(128 + size);
	if (out == NULL) {
		serve_conn_close(c);
		return;
	}
	n = (size_t)snprintf(out, 128,
			     "HTTP/1.0 200 OK\r\nContent-Length: "
			     "%zu\r\nConnection: close\r\n\r\n",
			     size);
	for (i = 0; i < size; i++)
		out[n + i] = (char)('a' + i % 26);
	c->answered = true;
	if (serve_conn_write(c, out, n + size) == 0)
		serve_conn_finish(c);
	else
		serve_conn_close(c);
}

static void serve_conn_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct replay_conn *c = container_of(s, struct replay_conn, tcp);
	ssize_t i;

	if (nread < 0) {
		free(buf->base);
		if (nread == UV_EOF && strcmp(c->rs->kind, "tcp-echo") == 0)
			serve_conn_finish(c);
		else
			serve_conn_close(c);
		return;
	}
	if (strcmp(c->rs->kind, "tcp-echo") == 0) {
		if (nread > 0)
			serve_conn_write(c, buf->base, (size_t)nread);
		else
			free(buf->base);
		return;
	}
	/* http: answer once the request's blank line went by. */
	for (i = 0; i < nread && !c->answered; i++) {
		memmove(c->req, c->req + 1, 3);
		c->req[3] = buf->base[i];
		if (++c->req_len >= 4 && memcmp(c->req, "\r\n\r\n", 4) == 0)
			serve_http_answer(c);
	}
	free(buf->base);
}

static void serve_accept(uv_stream_t *server, int status)
{
	struct replay_responder *rs =
		container_of(server, struct replay_responder, h.tcp);
	struct replay_conn *c;

	if (status < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return;
	c->rs = rs;
	c->srv = rs->srv;
	uv_tcp_init(c->srv->loop, &c->tcp);
	c->srv->conns++;
	c->next = c->srv->conn_list;
	if (c->next != NULL)
		c->next->prev = c;
	c->srv->conn_list = c;
	if (uv_accept(server, (uv_stream_t *)&c->tcp) < 0) {
		serve_conn_close(c);
		return;
	}
	/* tcp-hold: a peer that takes the connection and never reads. */
	if (strcmp(rs->kind, "tcp-hold") == 0)
		return;
	if (uv_read_start((uv_stream_t *)&c->tcp, serve_alloc,
			  serve_conn_read) < 0)
		serve_conn_close(c);
}

static void serve_udp_echo_sent(uv_udp_send_t *req, int status)
{
	free(req->data);
	free(req);
}

static void serve_udp_echo_read(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
				const struct sockaddr *addr, unsigned int flags)
{
	uv_udp_send_t *req;
	uv_buf_t b;

	if (nread <= 0 || addr == NULL ||
	    (req = malloc(sizeof(*req))) == NULL) {
		free(buf->base);
		return;
	}
	req->data = buf->base;
	b = uv_buf_init(buf->base, (unsigned int)nread);
	if (uv_udp_send(req, h, &b, 1, addr, serve_udp_echo_sent) < 0) {
		free(buf->base);
		free(req);
	}
}

/**
 * replay_serve_start() - start a responder on a loopback port
 * @srv: the run's responders
 * @kind: "tcp-echo", "udp-echo", "http" (answers one request with @size
 *        bytes and closes), "closed" (a bound port that refuses
 *        connections) or "tcp-hold" (accepts and never reads); a string
 *        that outlives the run. With a "6" after it ("tcp-echo6"), the
 *        same on ::1 rather than 127.0.0.1
 * @size: http: the body's size
 * @port: receives the port (host order)
 *
 * A responder that failed half-way is still closed with the others.
 *
 * Return: 0 or a negative errno (libuv's).
 */
int replay_serve_start(struct replay_serve *srv, const char *kind, size_t size,
		       uint16_t *port)
{
	static const char *const kinds[] = { "tcp-echo", "udp-echo", "http",
					     "closed", "tcp-hold" };
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} sin;
	struct sockaddr_storage ss;
	int sl = sizeof(ss), r;
	struct replay_responder *rs = calloc(1, sizeof(*rs));
	size_t i, klen = strlen(kind);
	bool v6 = klen > 0 && kind[klen - 1] == '6';

	if (rs == NULL)
		return -ENOMEM;
	/* "KIND6" is KIND on ::1: the kind kept is the plain one. */
	for (i = 0; i < UNET__ARRAY_SIZE(kinds); i++)
		if (strncmp(kind, kinds[i], klen - v6) == 0 &&
		    kinds[i][klen - v6] == '\0')
			kind = kinds[i];
	rs->srv = srv;
	rs->kind = kind;
	rs->size = size;
	if (v6)
		uv_ip6_addr("::1", 0, &sin.in6);
	else
		uv_ip4_addr("127.0.0.1", 0, &sin.in);
	if (strcmp(kind, "udp-echo") == 0) {
		uv_udp_init(srv->loop, &rs->h.udp);
		r = uv_udp_bind(&rs->h.udp, &sin.sa, 0);
		if (r == 0)
			r = uv_udp_recv_start(&rs->h.udp, serve_alloc,
					      serve_udp_echo_read);
		if (r == 0)
			r = uv_udp_getsockname(&rs->h.udp,
					       (struct sockaddr *)&ss, &sl);
	} else {
		uv_tcp_init(srv->loop, &rs->h.tcp);
		r = uv_tcp_bind(&rs->h.tcp, &sin.sa, 0);
		if (r == 0 && strcmp(kind, "tcp-hold") == 0) {
			/* Small buffers (inherited by accepted sockets): the
			 * sender backs up after a few KiB. */
			int small = 4096;

			r = uv_recv_buffer_size((uv_handle_t *)&rs->h.tcp,
						&small);
		}
		if (r == 0 && strcmp(kind, "closed") != 0)
			r = uv_listen((uv_stream_t *)&rs->h.tcp, 128,
				      serve_accept);
		if (r == 0)
			r = uv_tcp_getsockname(&rs->h.tcp,
					       (struct sockaddr *)&ss, &sl);
	}
	rs->next = srv->responders;
	srv->responders = rs; /* closed with the run, even on failure */
	if (r < 0)
		return r;
	*port = ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port :
			   ((struct sockaddr_in *)&ss)->sin_port);
	return 0;
}

static void serve_responder_closed(uv_handle_t *h)
{
	free(h->data);
}

/**
 * replay_serve_busy() - whether a responder has a connection open
 * @srv: the run's responders
 *
 * Return: true while host peers may still be talking (the runner then
 * gives the kernel real time between clock steps).
 */
bool replay_serve_busy(const struct replay_serve *srv)
{
	return srv->conns > 0;
}

/**
 * replay_serve_close() - close every connection and responder
 * @srv: the run's responders; the loop runs until their handles closed
 */
void replay_serve_close(struct replay_serve *srv)
{
	struct replay_responder *rs;
	struct replay_conn *c;

	for (c = srv->conn_list; c != NULL; c = c->next)
		serve_conn_close(c);
	while ((rs = srv->responders) != NULL) {
		srv->responders = rs->next;
		rs->h.tcp.data = rs;
		uv_close((uv_handle_t *)&rs->h.tcp, serve_responder_closed);
	}
}
