/* SPDX-License-Identifier: MIT */
/*
 * The DNS forwarder's TCP side: lwIP listeners on (dns, 53) and, with
 * IPv6, (ip6_dns, 53); upstreams of either family.
 *
 * Theory of operation: a connection's bytes are buffered (at most
 * DNS_TCP_RX_MAX; beyond that lwIP is told to hold them) and split into
 * length-prefixed messages (RFC 1035 4.2.2) by a deframer (wire/deframer.h,
 * 2-byte prefix); a length of 0 is broken framing and resets the
 * connection. Queries are handled one at a time, in order: each is checked
 * (unet__dns_query_parse(); a malformed one resets the connection) and sent
 * over a new host TCP connection to the upstream (its address and port,
 * the same as for UDP), with a new id, and the length-prefixed reply read
 * back through a deframer of its own. Connect, write or read errors, EOF, a
 * reply that does not match (id, QR, question), or DNS_TCP_TIMEOUT_MS for
 * the whole exchange fail over to the next upstream; then SERVFAIL. The
 * reply, id restored, is written to the guest as the window allows; only
 * when it is all queued does the next buffered query start. A connection
 * idle for DNS_TCP_IDLE_MS (no query under way and nothing arriving, or a
 * reply the guest does not take) is closed, as is one whose guest closed
 * its side once its queries are answered. At most DNS_TCP_CONNS_MAX
 * connections; one more is reset and counted in dns_drop. A restricted
 * guest's connection is reset when it is accepted (dns_refused); a query
 * the egress policy refuses (unet__dns_policy_refused()) is answered
 * REFUSED on the connection, and the next one taken. An answer is shown
 * to the proxy (unet__dns_observe()) before it is written to the guest.
 *
 * Memory a guest can make this hold, per connection: at most
 * DNS_TCP_RX_MAX buffered bytes, the deframer's buffer for one query split
 * across segments (64 KiB), one query, one upstream connection with the
 * query, its deframer (64 KiB) and its reply, one reply being written.
 */
#include <uv.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/pbuf.h"
#include "lwip/tcp.h"

#include "wire/deframer.h"
#include "wire/util.h"

#include "dns_internal.h"
#include "dns_msg.h"

/** How long one upstream has for a whole TCP exchange, in milliseconds. */
#define DNS_TCP_TIMEOUT_MS 3000
/** A guest TCP connection with nothing under way is closed after this. */
#define DNS_TCP_IDLE_MS 10000
/*
 * Bytes one TCP connection may buffer: a whole largest message and one
 * more pbuf of the largest size lwIP hands over. Whenever more than one
 * largest message is buffered, a complete one is at the front, so refusing
 * more input then never stalls the connection.
 */
#define DNS_TCP_RX_MAX (DNS_TCP_LEN_LEN + DNS_TCP_MSG_MAX + 0xffff)
/** First allocation of a TCP connection's input buffer. */
#define DNS_TCP_RX_FIRST 512

struct dns_tcp_upstream;

/**
 * struct dns_tcp_conn - a guest's TCP connection to (dns, 53)
 * @dns: the forwarder
 * @next: next connection
 * @pcb: the guest's pcb, NULL once closed or gone
 * @timer: idle timeout, or the upstream's while a query is under way
 * @in: input not yet given to @frames, from @in_off
 * @in_cap: size of @in
 * @in_off: where it starts
 * @in_len: how many bytes
 * @frames: splits the input into queries
 * @msg: the query under way (without its length), NULL when none
 * @msg_len: its length
 * @info: what the checks found in it
 * @up: the upstreams, in order
 * @n_up: how many
 * @cur: the one being asked
 * @upstream: the connection to the upstream being asked, or NULL
 * @out: a length-prefixed reply being written to the guest, or NULL
 * @out_len: its length
 * @out_off: how much of it lwIP took
 * @busy: a query is under way or its reply being written
 * @eof: the guest closed its side
 * @closing: dns_tcp_close() ran; freed once @timer closed
 * @aborted: the pcb was aborted (an lwIP callback must return ERR_ABRT)
 */
struct dns_tcp_conn {
	struct unet_dns *dns;
	struct dns_tcp_conn *next;
	struct tcp_pcb *pcb;
	struct unet_timer timer;
	uint8_t *in;
	size_t in_cap;
	size_t in_off;
	size_t in_len;
	struct unet__deframer frames;
	uint8_t *msg;
	size_t msg_len;
	struct unet__dns_query_info info;
	union unet__dns_sa up[UNET__DNS_UP_MAX];
	unsigned int n_up;
	unsigned int cur;
	struct dns_tcp_upstream *upstream;
	uint8_t *out;
	size_t out_len;
	size_t out_off;
	bool busy;
	bool eof;
	bool closing;
	bool aborted;
};

/**
 * struct dns_tcp_upstream - the host TCP connection that asks one upstream
 * one query (one try; the next upstream gets a new one)
 * @conn: the guest connection, NULL once given up
 * @dns: the forwarder
 * @tcp: the host connection
 * @connect: its connect request
 * @write: its write request
 * @id: the id the upstream was sent
 * @wbuf: the length-prefixed query with @id
 * @wlen: its length
 * @reply: reads the length-prefixed reply
 */
struct dns_tcp_upstream {
	struct dns_tcp_conn *conn;
	struct unet_dns *dns;
	uv_tcp_t tcp;
	uv_connect_t connect;
	uv_write_t write;
	uint16_t id;
	uint8_t *wbuf;
	size_t wlen;
	struct unet__deframer reply;
};

static err_t dns_tcp_process(struct dns_tcp_conn *conn);
static void dns_tcp_try(struct dns_tcp_conn *conn);

static void dns_tcp_conn_closed(uv_handle_t *handle)
{
	struct dns_tcp_conn *conn = handle->data;
	struct unet_dns *dns = conn->dns;

	free(conn->in);
	unet__deframer_free(&conn->frames);
	free(conn->msg);
	free(conn->out);
	free(conn);
	unet__dns_handle_put(dns);
}

static void dns_tcp_upstream_closed(uv_handle_t *handle)
{
	struct dns_tcp_upstream *u = handle->data;
	struct unet_dns *dns = u->dns;

	free(u->wbuf);
	unet__deframer_free(&u->reply);
	free(u);
	unet__dns_handle_put(dns);
}

/* Gives up an upstream connection; its memory goes once it closed. */
static void dns_tcp_upstream_close(struct dns_tcp_upstream *u)
{
	if (u->conn != NULL && u->conn->upstream == u)
		u->conn->upstream = NULL;
	u->conn = NULL;
	uv_close((uv_handle_t *)&u->tcp, dns_tcp_upstream_closed);
}

/*
 * Ends a guest connection: the pcb is closed (@abort: reset) at once, the
 * upstream connection given up, the memory freed once the timer closed.
 * Return: ERR_ABRT when the pcb was aborted, else ERR_OK.
 */
static err_t dns_tcp_close(struct dns_tcp_conn *conn, bool abort)
{
	struct unet_dns *dns = conn->dns;
	struct dns_tcp_conn **pp;
	struct tcp_pcb *pcb = conn->pcb;

	if (conn->closing)
		return conn->aborted ? ERR_ABRT : ERR_OK;
	conn->closing = true;
	for (pp = &dns->conns; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == conn) {
			*pp = conn->next;
			dns->n_conns--;
			break;
		}
	}
	if (conn->upstream != NULL)
		dns_tcp_upstream_close(conn->upstream);
	if (pcb != NULL) {
		conn->pcb = NULL;
		tcp_arg(pcb, NULL);
		tcp_recv(pcb, NULL);
		tcp_sent(pcb, NULL);
		tcp_err(pcb, NULL);
		if (abort || tcp_close(pcb) != ERR_OK) {
			tcp_abort(pcb);
			conn->aborted = true;
		}
	}
	unet_timer_close(&conn->timer, dns_tcp_conn_closed);
	return conn->aborted ? ERR_ABRT : ERR_OK;
}

static void dns_tcp_timeout(struct unet_timer *timer);

static void dns_tcp_arm(struct dns_tcp_conn *conn, uint64_t ms)
{
	unet_timer_start(&conn->timer, dns_tcp_timeout, ms);
}

/*
 * Hands the reply being written to lwIP as far as the guest's window and
 * lwIP's queue allow. When all of it is queued, the connection is free for
 * the next query. Return: ERR_ABRT when the pcb was aborted, else ERR_OK.
 */
static err_t dns_tcp_flush(struct dns_tcp_conn *conn)
{
	size_t n;
	err_t e;

	while (conn->out_off < conn->out_len) {
		n = conn->out_len - conn->out_off;
		if (n > tcp_sndbuf(conn->pcb))
			n = tcp_sndbuf(conn->pcb);
		if (n == 0)
			break;
		e = tcp_write(conn->pcb, conn->out + conn->out_off, (u16_t)n,
			      TCP_WRITE_FLAG_COPY);
		if (e == ERR_MEM)
			break;
		if (e != ERR_OK)
			return dns_tcp_close(conn, true);
		conn->out_off += n;
	}
	tcp_output(conn->pcb);
	if (conn->out_off < conn->out_len)
		return ERR_OK;
	free(conn->out);
	conn->out = NULL;
	conn->busy = false;
	conn->dns->stats->dns_replies++;
	dns_tcp_arm(conn, DNS_TCP_IDLE_MS);
	return ERR_OK;
}

/* Ends the query under way with @out (length-prefixed), written to the guest. */
static void dns_tcp_reply(struct dns_tcp_conn *conn, uint8_t *out, size_t len)
{
	free(conn->msg);
	conn->msg = NULL;
	/* A guest that does not take its reply is idle too. */
	dns_tcp_arm(conn, DNS_TCP_IDLE_MS);
	conn->out = out;
	conn->out_len = len;
	conn->out_off = 0;
	dns_tcp_flush(conn);
}

/* Ends the query under way with an answer of @rcode and no records. */
static void dns_tcp_error(struct dns_tcp_conn *conn, uint16_t rcode)
{
	uint8_t *out;
	size_t n;

	out = malloc(DNS_TCP_LEN_LEN + DNS_HLEN + conn->info.qlen);
	if (out == NULL) {
		dns_tcp_close(conn, true);
		return;
	}
	n = unet__dns_build_error(out + DNS_TCP_LEN_LEN, conn->msg,
				  conn->msg_len, &conn->info, rcode);
	unet__put_be16(out, (uint16_t)n);
	dns_tcp_reply(conn, out, DNS_TCP_LEN_LEN + n);
}

static void dns_tcp_servfail(struct dns_tcp_conn *conn)
{
	conn->dns->stats->dns_servfail++;
	dns_tcp_error(conn, DNS_RCODE_SERVFAIL);
}

/* From a uv callback: goes on with the next buffered query, if any. */
static void dns_tcp_kick(struct dns_tcp_conn *conn)
{
	if (!conn->closing && !conn->busy)
		dns_tcp_process(conn);
}

/* The upstream connection failed: the next upstream, or SERVFAIL. */
static void dns_tcp_upstream_fail(struct dns_tcp_upstream *u, const char *what,
				  int err)
{
	struct dns_tcp_conn *conn = u->conn;
	char a[UNET__DNS_ADDR_STRLEN];

	dns_log(u->dns, UNET_LOG_DEBUG, "upstream %s over TCP: %s%s%s",
		unet__dns_addr_str(&conn->up[conn->cur], a, sizeof(a)), what,
		err != 0 ? ": " : "", err != 0 ? uv_strerror(err) : "");
	dns_tcp_upstream_close(u);
	conn->cur++;
	dns_tcp_try(conn);
	dns_tcp_kick(conn);
}

/* A whole reply was read: check it and pass it to the guest. */
static void dns_tcp_upstream_done(struct dns_tcp_upstream *u,
				  const uint8_t *reply, size_t len)
{
	struct dns_tcp_conn *conn = u->conn;
	uint8_t *out;

	if (len < DNS_HLEN) {
		dns_tcp_upstream_fail(u, "short reply", 0);
		return;
	}
	if (!unet__dns_reply_matches(reply, len, u->id, conn->msg,
				     conn->msg_len)) {
		dns_tcp_upstream_fail(u, "id or question differ", 0);
		return;
	}
	out = malloc(DNS_TCP_LEN_LEN + len);
	if (out == NULL) {
		dns_tcp_upstream_fail(u, "out of memory", 0);
		return;
	}
	unet__dns_observe(u->dns, reply, len);
	unet__put_be16(out, (uint16_t)len);
	memcpy(out + DNS_TCP_LEN_LEN, reply, len);
	unet__dns_set_id(out + DNS_TCP_LEN_LEN, conn->info.id);
	dns_tcp_upstream_close(u);
	dns_tcp_reply(conn, out, DNS_TCP_LEN_LEN + len);
	dns_tcp_kick(conn);
}

static void dns_tcp_upstream_alloc(uv_handle_t *handle, size_t suggested,
				   uv_buf_t *buf)
{
	struct dns_tcp_upstream *u = handle->data;

	/* Used up in the read callback (the deframer keeps what it needs). */
	*buf = uv_buf_init((char *)u->dns->buf, DNS_BUF_LEN);
}

static void dns_tcp_upstream_read(uv_stream_t *stream, ssize_t nread,
				  const uv_buf_t *buf)
{
	struct dns_tcp_upstream *u = stream->data;
	const unsigned char *in = (const unsigned char *)buf->base, *frame;
	size_t left, frame_len;
	int r;

	if (u->conn == NULL || nread == 0)
		return;
	if (nread < 0) {
		dns_tcp_upstream_fail(u, nread == UV_EOF ? "closed" : "read",
				      nread == UV_EOF ? 0 : (int)nread);
		return;
	}
	left = (size_t)nread;
	r = unet__deframer_next(&u->reply, &in, &left, &frame, &frame_len);
	if (r < 0) {
		dns_tcp_upstream_fail(u, "short reply", 0);
		return;
	}
	if (r == 0)
		return;
	/* One reply is all this connection is for: what follows is ignored. */
	uv_read_stop(stream);
	dns_tcp_upstream_done(u, frame, frame_len);
}

static void dns_tcp_upstream_written(uv_write_t *req, int status)
{
	struct dns_tcp_upstream *u = req->data;

	if (u->conn != NULL && status < 0)
		dns_tcp_upstream_fail(u, "write", status);
}

static void dns_tcp_upstream_connected(uv_connect_t *req, int status)
{
	struct dns_tcp_upstream *u = req->data;
	uv_buf_t b;
	int r;

	if (u->conn == NULL)
		return;
	if (status < 0) {
		dns_tcp_upstream_fail(u, "connect", status);
		return;
	}
	b = uv_buf_init((char *)u->wbuf, (unsigned int)u->wlen);
	r = uv_write(&u->write, (uv_stream_t *)&u->tcp, &b, 1,
		     dns_tcp_upstream_written);
	if (r == 0)
		r = uv_read_start((uv_stream_t *)&u->tcp,
				  dns_tcp_upstream_alloc,
				  dns_tcp_upstream_read);
	if (r < 0)
		dns_tcp_upstream_fail(u, "write", r);
}

static void dns_tcp_upstream_free(struct dns_tcp_upstream *u)
{
	unet__deframer_free(&u->reply);
	free(u->wbuf);
	free(u);
}

/* Opens a connection to upstream @conn->cur and sends the query with a new id. */
static int dns_tcp_upstream_start(struct dns_tcp_conn *conn)
{
	struct unet_dns *dns = conn->dns;
	struct dns_tcp_upstream *u;
	char a[UNET__DNS_ADDR_STRLEN];
	int r;

	u = calloc(1, sizeof(*u));
	if (u == NULL)
		return -ENOMEM;
	u->wlen = DNS_TCP_LEN_LEN + conn->msg_len;
	u->wbuf = malloc(u->wlen);
	r = unet__deframer_init(&u->reply, DNS_TCP_LEN_LEN, DNS_TCP_MSG_MAX);
	if (u->wbuf == NULL || r < 0) {
		dns_tcp_upstream_free(u);
		return -ENOMEM;
	}
	u->id = unet__dns_new_id(dns, conn->info.id);
	unet__put_be16(u->wbuf, (uint16_t)conn->msg_len);
	memcpy(u->wbuf + DNS_TCP_LEN_LEN, conn->msg, conn->msg_len);
	unet__dns_set_id(u->wbuf + DNS_TCP_LEN_LEN, u->id);
	r = uv_tcp_init(unet_hub_loop(dns->hub), &u->tcp);
	if (r < 0) {
		dns_tcp_upstream_free(u);
		return r;
	}
	u->dns = dns;
	u->tcp.data = u->connect.data = u->write.data = u;
	unet__dns_handle_get(dns);
	r = uv_tcp_connect(&u->connect, &u->tcp,
			   (const struct sockaddr *)&conn->up[conn->cur],
			   dns_tcp_upstream_connected);
	if (r < 0) {
		dns_log(dns, UNET_LOG_DEBUG, "upstream %s over TCP: %s",
			unet__dns_addr_str(&conn->up[conn->cur], a, sizeof(a)),
			uv_strerror(r));
		dns_tcp_upstream_close(u);
		return r;
	}
	u->conn = conn;
	conn->upstream = u;
	return 0;
}

/*
 * Asks the upstreams from @conn->cur on until a connection starts; when
 * none is left, answers SERVFAIL. Never takes the next query itself.
 */
static void dns_tcp_try(struct dns_tcp_conn *conn)
{
	for (; conn->cur < conn->n_up; conn->cur++) {
		if (dns_tcp_upstream_start(conn) == 0) {
			dns_tcp_arm(conn, DNS_TCP_TIMEOUT_MS);
			return;
		}
	}
	dns_log(conn->dns, UNET_LOG_DEBUG,
		"no upstream answered id %u over TCP: SERVFAIL", conn->info.id);
	dns_tcp_servfail(conn);
}

static void dns_tcp_timeout(struct unet_timer *timer)
{
	struct dns_tcp_conn *conn =
		container_of(timer, struct dns_tcp_conn, timer);

	if (conn->closing)
		return;
	if (conn->upstream != NULL) {
		dns_tcp_upstream_fail(conn->upstream, "timed out", 0);
		return;
	}
	dns_log(conn->dns, UNET_LOG_DEBUG, "idle TCP connection closed");
	dns_tcp_close(conn, false);
}

/*
 * Takes the next whole query off the buffered input into @conn->msg.
 * Return: 1 with a query, 0 when no whole one is left, -EPROTO for broken
 * framing, -ENOMEM.
 */
static int dns_tcp_next_query(struct dns_tcp_conn *conn)
{
	const unsigned char *in = conn->in + conn->in_off, *frame;
	size_t left = conn->in_len, frame_len;
	int r;

	r = unet__deframer_next(&conn->frames, &in, &left, &frame, &frame_len);
	conn->in_off += conn->in_len - left;
	conn->in_len = left;
	if (r <= 0)
		return r;
	conn->msg = malloc(frame_len);
	if (conn->msg == NULL)
		return -ENOMEM;
	memcpy(conn->msg, frame, frame_len);
	conn->msg_len = frame_len;
	return 1;
}

/*
 * Takes the buffered queries one at a time, until one is under way or no
 * whole query is left; closes the connection on broken framing, a
 * malformed query, or once the guest closed its side and all is answered.
 * Return: ERR_ABRT when the pcb was aborted, else ERR_OK.
 */
static err_t dns_tcp_process(struct dns_tcp_conn *conn)
{
	struct unet_dns *dns = conn->dns;
	int r;

	while (!conn->closing && !conn->busy) {
		r = dns_tcp_next_query(conn);
		if (r == 0)
			break;
		if (r == -ENOMEM)
			return dns_tcp_close(conn, true);
		if (r < 0) {
			dns->stats->dns_drop++;
			dns_log(dns, UNET_LOG_DEBUG,
				"TCP message of length 0: connection reset");
			return dns_tcp_close(conn, true);
		}
		if (unet__dns_query_parse(conn->msg, conn->msg_len,
					  &conn->info) < 0) {
			dns->stats->dns_drop++;
			dns_log(dns, UNET_LOG_DEBUG,
				"malformed %zu-byte query over TCP: connection reset",
				conn->msg_len);
			return dns_tcp_close(conn, true);
		}
		dns->stats->dns_queries++;
		conn->busy = true;
		if (unet__dns_policy_refused(dns, conn->msg, conn->msg_len,
					     &conn->info)) {
			dns_tcp_error(conn, DNS_RCODE_REFUSED);
			continue;
		}
		conn->n_up = unet__dns_upstreams(dns, conn->up);
		conn->cur = 0;
		dns_tcp_try(conn);
	}
	if (conn->closing)
		return conn->aborted ? ERR_ABRT : ERR_OK;
	if (!conn->busy && conn->eof)
		return dns_tcp_close(conn, false);
	return ERR_OK;
}

/*
 * Makes room for @n more input bytes. Return: 0; -ENOBUFS when the
 * connection's buffer is full (lwIP holds the data until there is room);
 * -ENOMEM.
 */
static int dns_tcp_in_room(struct dns_tcp_conn *conn, size_t n)
{
	size_t cap;
	uint8_t *p;

	if (conn->in_len + n > DNS_TCP_RX_MAX)
		return -ENOBUFS;
	if (conn->in_off + conn->in_len + n <= conn->in_cap)
		return 0;
	if (conn->in_off > 0) {
		memmove(conn->in, conn->in + conn->in_off, conn->in_len);
		conn->in_off = 0;
	}
	if (conn->in_len + n <= conn->in_cap)
		return 0;
	cap = conn->in_cap > 0 ? conn->in_cap : DNS_TCP_RX_FIRST;
	while (cap < conn->in_len + n)
		cap *= 2;
	if (cap > DNS_TCP_RX_MAX)
		cap = DNS_TCP_RX_MAX;
	p = realloc(conn->in, cap);
	if (p == NULL)
		return -ENOMEM;
	conn->in = p;
	conn->in_cap = cap;
	return 0;
}

static err_t dns_tcp_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p,
			  err_t err)
{
	struct dns_tcp_conn *conn = arg;
	int r;

	if (conn == NULL || conn->closing) {
		if (p != NULL) {
			tcp_recved(pcb, p->tot_len);
			pbuf_free(p);
		}
		return ERR_OK;
	}
	if (p == NULL) {
		conn->eof = true;
		return dns_tcp_process(conn);
	}
	r = dns_tcp_in_room(conn, p->tot_len);
	if (r == -ENOBUFS)
		return ERR_MEM; /* lwIP keeps it and offers it again */
	if (r < 0) {
		pbuf_free(p);
		return dns_tcp_close(conn, true);
	}
	pbuf_copy_partial(p, conn->in + conn->in_off + conn->in_len, p->tot_len,
			  0);
	conn->in_len += p->tot_len;
	tcp_recved(pcb, p->tot_len);
	pbuf_free(p);
	if (!conn->busy)
		dns_tcp_arm(conn, DNS_TCP_IDLE_MS);
	return dns_tcp_process(conn);
}

static err_t dns_tcp_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	struct dns_tcp_conn *conn = arg;

	if (conn == NULL || conn->closing)
		return ERR_OK;
	if (conn->out != NULL) {
		/* The guest takes its reply: not idle. */
		dns_tcp_arm(conn, DNS_TCP_IDLE_MS);
		if (dns_tcp_flush(conn) == ERR_ABRT)
			return ERR_ABRT;
	}
	if (conn->closing || conn->busy)
		return conn->aborted ? ERR_ABRT : ERR_OK;
	return dns_tcp_process(conn);
}

static void dns_tcp_err(void *arg, err_t err)
{
	struct dns_tcp_conn *conn = arg;

	if (conn == NULL)
		return;
	/* lwIP freed the pcb already. */
	conn->pcb = NULL;
	dns_tcp_close(conn, false);
}

static err_t dns_tcp_accept(void *arg, struct tcp_pcb *newpcb, err_t err)
{
	struct unet_dns *dns = arg;
	struct dns_tcp_conn *conn;

	if (err != ERR_OK || newpcb == NULL)
		return ERR_VAL;
	if (unet__dns_refused(dns)) {
		tcp_abort(newpcb);
		return ERR_ABRT;
	}
	if (dns->n_conns >= DNS_TCP_CONNS_MAX) {
		dns->stats->dns_drop++;
		dns_log(dns, UNET_LOG_INFO,
			"%u TCP connections open: one more reset",
			dns->n_conns);
		tcp_abort(newpcb);
		return ERR_ABRT;
	}
	conn = calloc(1, sizeof(*conn));
	if (conn == NULL || unet__deframer_init(&conn->frames, DNS_TCP_LEN_LEN,
						DNS_TCP_MSG_MAX) < 0) {
		free(conn);
		tcp_abort(newpcb);
		return ERR_ABRT;
	}
	conn->dns = dns;
	conn->pcb = newpcb;
	unet_timer_init(dns->hub, &conn->timer);
	conn->timer.uv.data = conn;
	unet__dns_handle_get(dns);
	conn->next = dns->conns;
	dns->conns = conn;
	dns->n_conns++;
	tcp_arg(newpcb, conn);
	tcp_recv(newpcb, dns_tcp_recv);
	tcp_sent(newpcb, dns_tcp_sent);
	tcp_err(newpcb, dns_tcp_err);
	tcp_nagle_disable(newpcb);
	dns_tcp_arm(conn, DNS_TCP_IDLE_MS);
	return ERR_OK;
}

/**
 * unet__dns_tcp_listen() - listen for the guests' TCP queries
 * @dns: the forwarder
 * @addr: a DNS address (IPv4 or IPv6); port 53 is taken
 *
 * Return: 0; -ENOMEM; -EADDRINUSE when the port is taken.
 */
int unet__dns_tcp_listen(struct unet_dns *dns, const ip_addr_t *addr)
{
	struct tcp_pcb **slot = &dns->listen[IP_IS_V6(addr) ? 1 : 0];
	struct tcp_pcb *pcb, *lpcb;
	err_t e;

	pcb = tcp_new();
	if (pcb == NULL)
		return -ENOMEM;
	/* The proxy's listeners on ANY:53 may come later: let them. */
	ip_set_option(pcb, SOF_REUSEADDR);
	if (tcp_bind(pcb, addr, DNS_PORT) != ERR_OK) {
		tcp_close(pcb);
		return -EADDRINUSE;
	}
	lpcb = tcp_listen_with_backlog_and_err(pcb, TCP_DEFAULT_LISTEN_BACKLOG,
					       &e);
	if (lpcb == NULL) {
		tcp_close(pcb);
		return e == ERR_USE ? -EADDRINUSE : -ENOMEM;
	}
	tcp_arg(lpcb, dns);
	tcp_accept(lpcb, dns_tcp_accept);
	*slot = lpcb;
	return 0;
}

/**
 * unet__dns_tcp_stop() - stop taking TCP queries
 * @dns: the forwarder
 *
 * Closes the listener and resets every guest connection, giving up the
 * upstream connections under way; their memory goes once their handles
 * are closed.
 */
void unet__dns_tcp_stop(struct unet_dns *dns)
{
	size_t i;

	for (i = 0; i < UNET__ARRAY_SIZE(dns->listen); i++) {
		if (dns->listen[i] == NULL)
			continue;
		tcp_arg(dns->listen[i], NULL);
		tcp_accept(dns->listen[i], NULL);
		tcp_close(dns->listen[i]);
		dns->listen[i] = NULL;
	}
	while (dns->conns != NULL)
		dns_tcp_close(dns->conns, true);
}
