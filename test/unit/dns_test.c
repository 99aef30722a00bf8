/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the gateway's DNS forwarder. A test port on the hub plays
 * the guest (10.0.2.15): it sends queries to 10.0.2.3:53 as UDP frames (and
 * TCP segments, handshake by hand) and reads what the stack sends back.
 * Upstream DNS servers are real sockets on 127.0.0.1 in the same loop,
 * named to the stack through dns_upstream:
 *
 *   capture port (guest) --- hub --- stack (10.0.2.3:53) === 127.0.0.1:P
 *     10.0.2.15:5xxxx                     forwarder          test upstreams
 *                                                            (answer, silent,
 *                                                             spoof, big, TCP)
 *
 * Covered: the round trip (a new id upstream, the guest's id back, from
 * 10.0.2.3:53, good checksums); failover past a silent upstream after the
 * 1 s timeout and past a closed port at once; SERVFAIL with no upstream
 * (empty resolv.conf), with all upstreams silent, and past the pending
 * limit; spoofed replies (another port, another id, another question)
 * ignored; a reply over 512 bytes truncated with TC without EDNS0 and with
 * a too small EDNS0 size, and passed whole with EDNS0 4096 on a 1500-byte
 * MTU (fragments reassembled here); retransmitted queries forwarded once; a
 * table of malformed queries dropped and counted; resolv.conf read, IPv6
 * lines skipped, read again when it changes (needs port 53 on 127.53.0.x,
 * skipped without); TCP (handshake by hand): two pipelined queries in one
 * segment, a query and its length split across segments, an upstream reply
 * split across writes, length 0 and a malformed query resetting the
 * connection, SERVFAIL over TCP after a refused and a silent upstream;
 * restricted guests (a table: the stack's restrict, the proxy's, and
 * restrict_dns) refused over UDP (REFUSED) and TCP (reset), nothing asked
 * upstream.
 * Timers are libuv's: the timeout tests run the loop for real seconds
 * (about 8 s in all).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <usernet/hub.h>
#include <usernet/proxy.h>
#include <usernet/stack.h>

#include "testnet.h"

#define CAP_MAX 1024
#define UP_MAX 3
#define MSG_MAX 65536
#define TXT_STRINGS 10
#define TXT_STRING_LEN 199


enum up_mode {
	UP_ANSWER,	/* answers A 192.0.2.10 */
	UP_SILENT,	/* never answers */
	UP_BIG,		/* answers a TXT record of about 2 KB */
	UP_SPOOF,	/* sends four bogus replies, then the real one */
};

struct fixture;

/* An upstream DNS server on 127.0.0.1 (UDP, and TCP on the same port). */
struct upstream {
	struct fixture *f;
	enum up_mode mode;
	uv_udp_t udp;
	uv_udp_t other;	/* UP_SPOOF: another port */
	uv_tcp_t tcp;
	uint16_t port;
	int queries;
	int tcp_queries;
	int tcp_conns;
	uint16_t last_id;
	size_t last_len;
	uint8_t last[MSG_MAX];
	uint8_t rx[MSG_MAX];
};

/* One TCP connection the upstream accepted. */
struct up_conn {
	struct upstream *up;
	uv_tcp_t tcp;
	size_t len;
	uint8_t buf[MSG_MAX + 2];
	uint8_t out[MSG_MAX + 2];
	uv_write_t w;
};

struct fixture {
	uv_loop_t loop;
	struct unet_hub *hub;
	struct unet_stack *stack;
	struct unet_proxy *proxy;
	struct tn_capture cap;
	struct upstream up[UP_MAX];
	int n_up;
	uint16_t ip_id;
	char dir[64];
	char resolv[96];
};

/* ---- the guest's side: frames ------------------------------------------- */

/* Writes Ethernet and IPv4 headers; returns the offset of the payload. */
static size_t ip_header(struct fixture *f, uint8_t *buf, uint8_t proto,
			size_t iplen)
{
	return tn_ip_header(buf, tn_gw_mac, tn_ip("10.0.2.15"),
			    tn_ip("10.0.2.3"), proto, iplen, ++f->ip_id, 0);
}

/* Sends @len bytes from 10.0.2.15:@sport to 10.0.2.3:53 over UDP. */
static void send_udp(struct fixture *f, uint16_t sport, const void *data,
		     size_t len)
{
	static uint8_t buf[14 + 20 + 8 + MSG_MAX];
	uint8_t *u = buf + 34;

	assert_true(len <= MSG_MAX - 28);
	ip_header(f, buf, 17, 20 + 8 + len);
	tn_put16(u, sport);
	tn_put16(u + 2, 53);
	tn_put16(u + 4, (uint16_t)(8 + len));
	tn_put16(u + 6, 0);
	memcpy(u + 8, data, len);
	tn_put16(u + 6, tn_l4_csum(tn_ip("10.0.2.15"), tn_ip("10.0.2.3"), 17,
				   u, 8 + len));
	assert_int_equal(unet_hub_input(&f->cap.port, buf, 34 + 8 + len), 0);
}

/* ---- DNS messages ------------------------------------------------------- */

/* Builds a query for @name (dotted) and @qtype; @edns 0 for no OPT record. */
static size_t build_query(uint8_t *buf, uint16_t id, const char *name,
			  uint16_t qtype, uint16_t edns)
{
	size_t n = 12, l;
	const char *p = name, *dot;

	memset(buf, 0, 12);
	tn_put16(buf, id);
	tn_put16(buf + 2, 0x0100); /* RD */
	tn_put16(buf + 4, 1);
	while (*p != '\0') {
		dot = strchr(p, '.');
		l = dot != NULL ? (size_t)(dot - p) : strlen(p);
		buf[n++] = (uint8_t)l;
		memcpy(buf + n, p, l);
		n += l;
		p += l;
		if (*p == '.')
			p++;
	}
	buf[n++] = 0;
	tn_put16(buf + n, qtype);
	tn_put16(buf + n + 2, 1);
	n += 4;
	if (edns != 0) {
		tn_put16(buf + 10, 1);
		buf[n++] = 0;		/* root */
		tn_put16(buf + n, 41);	/* OPT */
		tn_put16(buf + n + 2, edns);
		tn_put32(buf + n + 4, 0);
		tn_put16(buf + n + 8, 0);
		n += 10;
	}
	return n;
}

/* The end of the question section of a well-formed one-question message. */
static size_t question_end(const uint8_t *msg, size_t len)
{
	size_t n = 12;

	while (n < len && msg[n] != 0)
		n += 1 + msg[n];
	return n + 1 + 4;
}

/* Builds the answer to @query: A 192.0.2.10, or @big TXT strings. */
static size_t build_answer(uint8_t *out, const uint8_t *query, size_t qlen,
			   bool big, uint8_t last_octet)
{
	size_t n = question_end(query, qlen), i;

	memcpy(out, query, n);
	tn_put16(out + 2, 0x8180);
	tn_put16(out + 6, 1);
	tn_put16(out + 8, 0);
	tn_put16(out + 10, 0);
	tn_put16(out + n, 0xc00c);
	tn_put16(out + n + 2, big ? 16 : 1);
	tn_put16(out + n + 4, 1);
	tn_put32(out + n + 6, 60);
	n += 10;
	if (!big) {
		tn_put16(out + n, 4);
		out[n + 2] = 192;
		out[n + 3] = 0;
		out[n + 4] = 2;
		out[n + 5] = last_octet;
		return n + 6;
	}
	tn_put16(out + n, TXT_STRINGS * (1 + TXT_STRING_LEN));
	n += 2;
	for (i = 0; i < TXT_STRINGS; i++) {
		out[n++] = TXT_STRING_LEN;
		memset(out + n, 'a' + (int)i, TXT_STRING_LEN);
		n += TXT_STRING_LEN;
	}
	return n;
}

/* ---- upstream servers --------------------------------------------------- */

static void up_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
	struct upstream *up = handle->data;

	*buf = uv_buf_init((char *)up->rx, sizeof(up->rx));
}

static void up_send(uv_udp_t *sock, const uint8_t *msg, size_t len,
		    const struct sockaddr *to)
{
	uv_buf_t b = uv_buf_init((char *)msg, (unsigned int)len);

	assert_int_equal(uv_udp_try_send(sock, &b, 1, to), (int)len);
}

static void up_recv(uv_udp_t *sock, ssize_t nread, const uv_buf_t *buf,
		    const struct sockaddr *addr, unsigned int flags)
{
	struct upstream *up = sock->data;
	static uint8_t out[MSG_MAX];
	size_t n;

	if (nread <= 0 || addr == NULL)
		return;
	up->queries++;
	up->last_len = (size_t)nread;
	memcpy(up->last, buf->base, (size_t)nread);
	up->last_id = tn_get16(up->last);
	switch (up->mode) {
	case UP_SILENT:
		return;
	case UP_ANSWER:
	case UP_BIG:
		n = build_answer(out, up->last, up->last_len,
				 up->mode == UP_BIG, 10);
		up_send(sock, out, n, addr);
		return;
	case UP_SPOOF:
		/* Right id, from another port. */
		n = build_answer(out, up->last, up->last_len, false, 66);
		up_send(&up->other, out, n, addr);
		/* From the right port, another id. */
		tn_put16(out, (uint16_t)(up->last_id + 1));
		up_send(sock, out, n, addr);
		/* Right port and id, another question. */
		tn_put16(out, up->last_id);
		out[13] ^= 0x01;
		up_send(sock, out, n, addr);
		/* A reply that is not a reply (QR 0). */
		out[13] ^= 0x01;
		tn_put16(out + 2, 0x0180);
		up_send(sock, out, n, addr);
		/* The real one. */
		n = build_answer(out, up->last, up->last_len, false, 10);
		up_send(sock, out, n, addr);
		return;
	}
}

static void up_conn_closed(uv_handle_t *h)
{
	free(h->data);
}

static void up_conn_written(uv_write_t *req, int status)
{
}

static void up_conn_alloc(uv_handle_t *handle, size_t suggested,
			  uv_buf_t *buf)
{
	struct up_conn *c = handle->data;

	*buf = uv_buf_init((char *)c->buf + c->len,
			   (unsigned int)(sizeof(c->buf) - c->len));
}

static void up_conn_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct up_conn *c = s->data;
	size_t mlen, n;
	uv_buf_t b[2];

	if (nread < 0) {
		uv_close((uv_handle_t *)s, up_conn_closed);
		return;
	}
	c->len += (size_t)nread;
	if (c->len < 2)
		return;
	mlen = tn_get16(c->buf);
	if (c->len < 2 + mlen)
		return;
	c->up->tcp_queries++;
	c->up->last_len = mlen;
	memcpy(c->up->last, c->buf + 2, mlen);
	c->up->last_id = tn_get16(c->up->last);
	n = build_answer(c->out + 2, c->buf + 2, mlen, c->up->mode == UP_BIG,
			 10);
	tn_put16(c->out, (uint16_t)n);
	memmove(c->buf, c->buf + 2 + mlen, c->len - 2 - mlen);
	c->len -= 2 + mlen;
	if (c->up->mode == UP_SILENT)
		return;
	/* The reply in two writes: its length, then the message. */
	b[0] = uv_buf_init((char *)c->out, 1);
	assert_int_equal(uv_try_write(s, b, 1), 1);
	b[1] = uv_buf_init((char *)c->out + 1, (unsigned int)(n + 1));
	assert_int_equal(uv_write(&c->w, s, &b[1], 1, up_conn_written), 0);
}

static void up_accept(uv_stream_t *server, int status)
{
	struct upstream *up = server->data;
	struct up_conn *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	assert_int_equal(status, 0);
	c->up = up;
	uv_tcp_init(&up->f->loop, &c->tcp);
	c->tcp.data = c;
	assert_int_equal(uv_accept(server, (uv_stream_t *)&c->tcp), 0);
	up->tcp_conns++;
	assert_int_equal(uv_read_start((uv_stream_t *)&c->tcp, up_conn_alloc,
				       up_conn_read), 0);
}

/* Starts upstream @i in @mode, UDP and TCP on one port of 127.0.0.1. */
static struct upstream *up_start(struct fixture *f, enum up_mode mode)
{
	struct upstream *up = &f->up[f->n_up];
	struct sockaddr_in sa;
	int len, tries;

	assert_true(f->n_up < UP_MAX);
	f->n_up++;
	up->f = f;
	up->mode = mode;
	for (tries = 0; tries < 50; tries++) {
		uv_udp_init(&f->loop, &up->udp);
		up->udp.data = up;
		uv_ip4_addr("127.0.0.1", 0, &sa);
		assert_int_equal(uv_udp_bind(&up->udp, (struct sockaddr *)&sa,
					     0), 0);
		len = sizeof(sa);
		assert_int_equal(uv_udp_getsockname(&up->udp,
						    (struct sockaddr *)&sa,
						    &len), 0);
		uv_tcp_init(&f->loop, &up->tcp);
		up->tcp.data = up;
		if (uv_tcp_bind(&up->tcp, (struct sockaddr *)&sa, 0) == 0 &&
		    uv_listen((uv_stream_t *)&up->tcp, 8, up_accept) == 0)
			break;
		uv_close((uv_handle_t *)&up->udp, NULL);
		uv_close((uv_handle_t *)&up->tcp, NULL);
		uv_run(&f->loop, UV_RUN_NOWAIT);
	}
	up->port = ntohs(sa.sin_port);
	assert_int_equal(uv_udp_recv_start(&up->udp, up_alloc, up_recv), 0);
	uv_udp_init(&f->loop, &up->other);
	up->other.data = up;
	uv_ip4_addr("127.0.0.1", 0, &sa);
	assert_int_equal(uv_udp_bind(&up->other, (struct sockaddr *)&sa, 0),
			 0);
	return up;
}

/* A port of 127.0.0.1 nobody listens on (bound once, then closed). */
static uint16_t closed_port(struct fixture *f)
{
	struct sockaddr_in sa;
	uv_udp_t s;
	int len = sizeof(sa);

	uv_udp_init(&f->loop, &s);
	uv_ip4_addr("127.0.0.1", 0, &sa);
	assert_int_equal(uv_udp_bind(&s, (struct sockaddr *)&sa, 0), 0);
	assert_int_equal(uv_udp_getsockname(&s, (struct sockaddr *)&sa, &len),
			 0);
	uv_close((uv_handle_t *)&s, NULL);
	uv_run(&f->loop, UV_RUN_NOWAIT);
	return ntohs(sa.sin_port);
}

static void config_add(struct unet_stack_config *c, const char *addr,
		       uint16_t port)
{
	struct sockaddr_in *sa = &c->dns_upstream[c->n_dns_upstream++];

	assert_int_equal(uv_ip4_addr(addr, port, sa), 0);
}

/* ---- the loop ----------------------------------------------------------- */

static uint64_t now_ms(struct fixture *f)
{
	uv_update_time(&f->loop);
	return uv_now(&f->loop);
}

static struct unet_stack_stats stats(struct fixture *f)
{
	struct unet_stack_stats s = { .size = sizeof(s) };

	assert_int_equal(unet_stack_stats(f->stack, &s), 0);
	return s;
}

/* Makes the hub (MTU @mtu, 0 for the default) and the stack with @cfg. */
static void start(struct fixture *f, unsigned int mtu,
		  const struct unet_stack_config *cfg)
{
	struct unet_hub_config hc;

	unet_hub_config_init(&hc);
	hc.seed = 7;
	if (mtu != 0)
		hc.mtu = mtu;
	assert_int_equal(unet_hub_new(&f->loop, &hc, &f->hub), 0);
	tn_capture_init(&f->cap, tn_keep_ipv4, CAP_MAX);
	tn_capture_attach(&f->cap, f->hub);
	assert_int_equal(unet_stack_new(f->hub, "user", cfg, &f->stack), 0);

	/* Teach the gateway the guest's MAC, as the guest's own ARP would. */
	tn_learn_guest(&f->cap);
}

/* A stack whose upstreams are the test's servers @up[0..n) in order. */
static void start_with(struct fixture *f, unsigned int mtu,
		       const uint16_t *ports, int n)
{
	struct unet_stack_config c;
	int i;

	unet_stack_config_init(&c);
	for (i = 0; i < n; i++)
		config_add(&c, "127.0.0.1", ports[i]);
	start(f, mtu, &c);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	snprintf(f->dir, sizeof(f->dir), "/tmp/unet-dns-test.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->resolv, sizeof(f->resolv), "%s/resolv.conf", f->dir);
	*state = f;
	return 0;
}

/* What is left open at the end: connections the upstreams accepted. */
static void close_walk(uv_handle_t *h, void *arg)
{
	if (uv_is_closing(h))
		return;
	assert_int_equal(h->type, UV_TCP);
	uv_close(h, up_conn_closed);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int i;

	unet_proxy_close(f->proxy);
	unet_hub_close(f->hub);
	for (i = 0; i < f->n_up; i++) {
		uv_close((uv_handle_t *)&f->up[i].udp, NULL);
		uv_close((uv_handle_t *)&f->up[i].other, NULL);
		uv_close((uv_handle_t *)&f->up[i].tcp, NULL);
	}
	uv_run(&f->loop, UV_RUN_NOWAIT);
	uv_walk(&f->loop, close_walk, NULL);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	tn_capture_reset(&f->cap);
	unlink(f->resolv);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* ---- reading the guest's side ------------------------------------------ */

/* Whether captured frame @i is an unfragmented UDP datagram to the guest. */
static bool is_udp_reply(struct fixture *f, int i)
{
	const uint8_t *r = f->cap.data[i];

	return i < CAP_MAX && f->cap.len[i] >= 42 && r[23] == 17 &&
	       (tn_get16(r + 20) & 0x3fff) == 0;
}

static int udp_replies(struct fixture *f)
{
	int i, n = 0;

	for (i = 0; i < f->cap.frames && i < CAP_MAX; i++)
		n += is_udp_reply(f, i);
	return n;
}

static bool one_reply(void *arg)
{
	struct fixture *f = arg;
	return udp_replies(f) >= 1;
}

/*
 * Checks the @k-th UDP datagram to the guest: from 10.0.2.3:53 to
 * 10.0.2.15:@dport, valid IP and UDP checksums (the UDP one present).
 * Returns its payload and length.
 */
static const uint8_t *reply_k(struct fixture *f, int k, uint16_t dport,
			      size_t *len)
{
	uint32_t g = tn_ip("10.0.2.15"), d = tn_ip("10.0.2.3");
	const uint8_t *r = NULL, *u;
	size_t iplen, ulen;
	int i;

	for (i = 0; i < f->cap.frames && i < CAP_MAX; i++) {
		if (is_udp_reply(f, i) && k-- == 0) {
			r = f->cap.data[i];
			break;
		}
	}
	assert_non_null(r);
	u = r + 34;
	assert_memory_equal(r, tn_guest_mac, 6);
	assert_memory_equal(r + 6, tn_gw_mac, 6);
	assert_int_equal(r[14], 0x45);
	assert_memory_equal(r + 26, &d, 4);
	assert_memory_equal(r + 30, &g, 4);
	assert_int_equal(tn_csum(r + 14, 20), 0);
	iplen = tn_get16(r + 16);
	assert_true(14 + iplen <= f->cap.len[i]);
	ulen = tn_get16(u + 4);
	assert_int_equal(ulen, iplen - 20);
	assert_int_equal(tn_get16(u), 53);
	assert_int_equal(tn_get16(u + 2), dport);
	assert_int_not_equal(tn_get16(u + 6), 0);
	assert_int_equal(tn_l4_csum(d, g, 17, u, ulen), 0);
	*len = ulen - 8;
	return u + 8;
}

/* Checks a SERVFAIL for the query @q (one question) with id @id. */
static void assert_servfail(const uint8_t *m, size_t len, const uint8_t *q,
			    size_t qlen, uint16_t id)
{
	size_t qe = question_end(q, qlen);

	assert_int_equal(len, qe);
	assert_int_equal(tn_get16(m), id);
	assert_int_equal(tn_get16(m + 2) & 0x8000, 0x8000);	/* QR */
	assert_int_equal(tn_get16(m + 2) & 0x000f, 2);		/* SERVFAIL */
	assert_int_equal(tn_get16(m + 2) & 0x0100, 0x0100);	/* RD kept */
	assert_int_equal(tn_get16(m + 4), 1);
	assert_int_equal(tn_get16(m + 6), 0);
	assert_int_equal(tn_get16(m + 8), 0);
	assert_int_equal(tn_get16(m + 10), 0);
	assert_memory_equal(m + 12, q + 12, qe - 12);
}

/* Checks an answer A 192.0.2.10 for the query @q with id @id. */
static void assert_answer(const uint8_t *m, size_t len, const uint8_t *q,
			  size_t qlen, uint16_t id)
{
	uint8_t want[512];
	size_t n = build_answer(want, q, qlen, false, 10);

	assert_int_equal(len, n);
	assert_int_equal(tn_get16(m), id);
	assert_memory_equal(m + 2, want + 2, n - 2);
}

/* ---- UDP tests ---------------------------------------------------------- */

static void test_forward(void **state)
{
	struct fixture *f = *state;
	struct upstream *up = up_start(f, UP_ANSWER);
	struct unet_stack_stats s = { .size = sizeof(s) };
	const uint8_t *m;
	uint8_t q[512];
	size_t qlen, len;

	start_with(f, 0, &up->port, 1);
	qlen = build_query(q, 0x1234, "a.test.example", 1, 0);
	send_udp(f, 50000, q, qlen);
	assert_true(tn_run_until(&f->loop, one_reply, f, 3000));
	/* The upstream got the query with a new id and nothing else changed. */
	assert_int_equal(up->queries, 1);
	assert_int_equal(up->last_len, qlen);
	assert_int_not_equal(up->last_id, 0x1234);
	assert_memory_equal(up->last + 2, q + 2, qlen - 2);
	m = reply_k(f, 0, 50000, &len);
	assert_answer(m, len, q, qlen, 0x1234);
	s = stats(f);
	assert_int_equal(s.dns_queries, 1);
	assert_int_equal(s.dns_replies, 1);
	assert_int_equal(s.dns_servfail, 0);
	assert_int_equal(s.dns_drop, 0);

	/* A second query gets another upstream id. */
	tn_capture_reset(&f->cap);
	qlen = build_query(q, 0x1234, "b.test.example", 28, 0);
	send_udp(f, 50001, q, qlen);
	assert_true(tn_run_until(&f->loop, one_reply, f, 3000));
	assert_int_equal(up->queries, 2);
	assert_int_not_equal(up->last_id, 0x1234);
	m = reply_k(f, 0, 50001, &len);
	assert_int_equal(tn_get16(m), 0x1234);
}

static void test_failover_silent(void **state)
{
	struct fixture *f = *state;
	struct upstream *silent = up_start(f, UP_SILENT);
	struct upstream *good = up_start(f, UP_ANSWER);
	uint16_t ports[2] = { silent->port, good->port };
	const uint8_t *m;
	uint8_t q[512];
	size_t qlen, len;
	uint64_t t0, dt;

	start_with(f, 0, ports, 2);
	qlen = build_query(q, 0x4242, "a.test.example", 1, 0);
	t0 = now_ms(f);
	send_udp(f, 50000, q, qlen);
	assert_true(tn_run_until(&f->loop, one_reply, f, 5000));
	dt = now_ms(f) - t0;
	assert_true(dt >= 900);
	assert_true(dt < 2500);
	assert_int_equal(silent->queries, 1);
	assert_int_equal(good->queries, 1);
	assert_int_not_equal(silent->last_id, 0x4242);
	assert_int_not_equal(good->last_id, 0x4242);
	m = reply_k(f, 0, 50000, &len);
	assert_answer(m, len, q, qlen, 0x4242);
	assert_int_equal(stats(f).dns_servfail, 0);
}

static void test_failover_refused(void **state)
{
	struct fixture *f = *state;
	struct upstream *good = up_start(f, UP_ANSWER);
	uint16_t ports[2] = { closed_port(f), good->port };
	const uint8_t *m;
	uint8_t q[512];
	size_t qlen, len;
	uint64_t t0;

	start_with(f, 0, ports, 2);
	qlen = build_query(q, 0x0001, "a.test.example", 1, 0);
	t0 = now_ms(f);
	send_udp(f, 50000, q, qlen);
	assert_true(tn_run_until(&f->loop, one_reply, f, 3000));
	/* Port unreachable is an immediate failover, no 1 s timeout. */
	assert_true(now_ms(f) - t0 < 800);
	assert_int_equal(good->queries, 1);
	m = reply_k(f, 0, 50000, &len);
	assert_answer(m, len, q, qlen, 0x0001);
}

static void test_no_upstream(void **state)
{
	struct fixture *f = *state;
	struct unet_stack_config c;
	struct unet_stack_stats s = { .size = sizeof(s) };
	const uint8_t *m;
	uint8_t q[512];
	size_t qlen, len;
	uint64_t t0;
	FILE *fp;

	fp = fopen(f->resolv, "w");
	assert_non_null(fp);
	fclose(fp);
	unet_stack_config_init(&c);
	snprintf(c.resolv_conf, sizeof(c.resolv_conf), "%s", f->resolv);
	start(f, 0, &c);
	qlen = build_query(q, 0xbeef, "a.test.example", 1, 0);
	t0 = now_ms(f);
	send_udp(f, 50000, q, qlen);
	assert_true(tn_run_until(&f->loop, one_reply, f, 3000));
	assert_true(now_ms(f) - t0 < 200);
	m = reply_k(f, 0, 50000, &len);
	assert_servfail(m, len, q, qlen, 0xbeef);
	s = stats(f);
	assert_int_equal(s.dns_queries, 1);
	assert_int_equal(s.dns_replies, 1);
	assert_int_equal(s.dns_servfail, 1);

	/* A missing file is the same: no upstream. */
	unet_stack_close(f->stack);
	unet_hub_close(f->hub);
	tn_run_for(&f->loop, 10);
	tn_capture_reset(&f->cap);
	snprintf(c.resolv_conf, sizeof(c.resolv_conf), "%s/missing",
		 f->dir);
	start(f, 0, &c);
	send_udp(f, 50001, q, qlen);
	assert_true(tn_run_until(&f->loop, one_reply, f, 3000));
	m = reply_k(f, 0, 50001, &len);
	assert_servfail(m, len, q, qlen, 0xbeef);
}

static void test_all_silent(void **state)
{
	struct fixture *f = *state;
	struct upstream *a = up_start(f, UP_SILENT);
	struct upstream *b = up_start(f, UP_SILENT);
	uint16_t ports[2] = { a->port, b->port };
	const uint8_t *m;
	uint8_t q[512];
	size_t qlen, len;
	uint64_t t0, dt;

	start_with(f, 0, ports, 2);
	qlen = build_query(q, 0x7777, "a.test.example", 1, 0);
	t0 = now_ms(f);
	send_udp(f, 50000, q, qlen);
	assert_true(tn_run_until(&f->loop, one_reply, f, 5000));
	dt = now_ms(f) - t0;
	assert_true(dt >= 1900);
	assert_true(dt < 3500);
	assert_int_equal(a->queries, 1);
	assert_int_equal(b->queries, 1);
	m = reply_k(f, 0, 50000, &len);
	assert_servfail(m, len, q, qlen, 0x7777);
	assert_int_equal(stats(f).dns_servfail, 1);
}

static void test_spoofed(void **state)
{
	struct fixture *f = *state;
	struct upstream *up = up_start(f, UP_SPOOF);
	const uint8_t *m;
	uint8_t q[512];
	size_t qlen, len;

	start_with(f, 0, &up->port, 1);
	qlen = build_query(q, 0x5555, "a.test.example", 1, 0);
	send_udp(f, 50000, q, qlen);
	assert_true(tn_run_until(&f->loop, one_reply, f, 3000));
	tn_run_for(&f->loop, 200);
	/* Exactly one reply, the real one (192.0.2.10, not .66). */
	assert_int_equal(udp_replies(f), 1);
	m = reply_k(f, 0, 50000, &len);
	assert_answer(m, len, q, qlen, 0x5555);
	assert_int_equal(stats(f).dns_replies, 1);
}

static void test_truncate(void **state)
{
	struct fixture *f = *state;
	struct upstream *up = up_start(f, UP_BIG);
	const uint8_t *m;
	uint8_t q[512];
	size_t qlen, len, qe;

	start_with(f, 0, &up->port, 1);
	/* No EDNS0: header and question, TC set. */
	qlen = build_query(q, 0x0a0a, "big.test.example", 16, 0);
	qe = question_end(q, qlen);
	send_udp(f, 50000, q, qlen);
	assert_true(tn_run_until(&f->loop, one_reply, f, 3000));
	m = reply_k(f, 0, 50000, &len);
	assert_int_equal(len, qe);
	assert_int_equal(tn_get16(m), 0x0a0a);
	assert_int_equal(tn_get16(m + 2), 0x8180 | 0x0200);
	assert_int_equal(tn_get16(m + 4), 1);
	assert_int_equal(tn_get16(m + 6), 0);
	assert_int_equal(tn_get16(m + 8), 0);
	assert_int_equal(tn_get16(m + 10), 0);
	assert_memory_equal(m + 12, q + 12, qe - 12);

	/* EDNS0 with a size smaller than the answer: truncated too. */
	tn_capture_reset(&f->cap);
	qlen = build_query(q, 0x0b0b, "big.test.example", 16, 1232);
	send_udp(f, 50001, q, qlen);
	assert_true(tn_run_until(&f->loop, one_reply, f, 3000));
	m = reply_k(f, 0, 50001, &len);
	assert_int_equal(len, qe);
	assert_int_equal(tn_get16(m + 2) & 0x0200, 0x0200);
	/* The upstream saw the OPT record as the guest sent it. */
	assert_int_equal(up->last_len, qlen);
	assert_memory_equal(up->last + 2, q + 2, qlen - 2);
	assert_int_equal(stats(f).dns_replies, 2);
}

static void test_edns_big(void **state)
{
	struct fixture *f = *state;
	struct upstream *up = up_start(f, UP_BIG);
	uint32_t g = tn_ip("10.0.2.15"), d = tn_ip("10.0.2.3");
	static uint8_t dgram[MSG_MAX];
	uint8_t q[512], want[4096];
	size_t qlen, total = 0, got = 0, wlen, off, plen;
	const uint8_t *r;
	int i, nfrag = 0;
	uint16_t frag;

	start_with(f, 1500, &up->port, 1);
	qlen = build_query(q, 0x0c0c, "big.test.example", 16, 4096);
	send_udp(f, 50000, q, qlen);
	/* The fragments come in one burst: wait for the last (MF 0). */
	for (i = 0; i < 100 && total == 0; i++) {
		tn_run_for(&f->loop, 20);
		for (int k = 0; k < f->cap.frames && k < CAP_MAX; k++) {
			r = f->cap.data[k];
			if (r[23] == 17 && (tn_get16(r + 20) & 0x2000) == 0 &&
			    (tn_get16(r + 20) & 0x1fff) != 0)
				total = (tn_get16(r + 20) & 0x1fff) * 8u +
					tn_get16(r + 16) - 20;
		}
	}
	assert_true(total > 0);
	/* Reassemble: every fragment from 10.0.2.3, at most 1500 bytes. */
	for (i = 0; i < f->cap.frames && i < CAP_MAX; i++) {
		r = f->cap.data[i];
		if (r[23] != 17)
			continue;
		assert_memory_equal(r + 26, &d, 4);
		assert_int_equal(tn_csum(r + 14, 20), 0);
		assert_true(tn_get16(r + 16) <= 1500);
		frag = tn_get16(r + 20);
		off = (frag & 0x1fff) * 8u;
		plen = tn_get16(r + 16) - 20u;
		assert_true(off + plen <= sizeof(dgram));
		memcpy(dgram + off, r + 34, plen);
		got += plen;
		nfrag++;
	}
	assert_true(nfrag >= 2);
	assert_int_equal(got, total);
	/* One whole UDP datagram: the upstream's reply, with the guest's id. */
	assert_int_equal(tn_get16(dgram), 53);
	assert_int_equal(tn_get16(dgram + 2), 50000);
	assert_int_equal(tn_get16(dgram + 4), total);
	assert_int_equal(tn_l4_csum(d, g, 17, dgram, total), 0);
	wlen = build_answer(want, up->last, up->last_len, true, 10);
	assert_true(wlen > 1500);
	assert_int_equal(total - 8, wlen);
	assert_int_equal(tn_get16(dgram + 8), 0x0c0c);
	assert_memory_equal(dgram + 10, want + 2, wlen - 2);
	assert_int_equal(stats(f).dns_replies, 1);
}

static void test_retransmission(void **state)
{
	struct fixture *f = *state;
	struct upstream *up = up_start(f, UP_ANSWER);
	uint8_t q[512];
	size_t qlen;

	start_with(f, 0, &up->port, 1);
	qlen = build_query(q, 0x2222, "a.test.example", 1, 0);
	/* The same query twice before any answer: forwarded once. */
	send_udp(f, 50000, q, qlen);
	send_udp(f, 50000, q, qlen);
	assert_true(tn_run_until(&f->loop, one_reply, f, 3000));
	tn_run_for(&f->loop, 100);
	assert_int_equal(up->queries, 1);
	assert_int_equal(udp_replies(f), 1);
	/* Another port with the same id is another query. */
	send_udp(f, 50001, q, qlen);
	tn_run_for(&f->loop, 200);
	assert_int_equal(up->queries, 2);
	assert_int_equal(udp_replies(f), 2);
}

static void test_pending_limit(void **state)
{
	struct fixture *f = *state;
	struct upstream *up = up_start(f, UP_SILENT);
	const uint8_t *m;
	uint8_t q[512];
	size_t qlen, len;
	int i;

	start_with(f, 0, &up->port, 1);
	for (i = 0; i < 256; i++) {
		qlen = build_query(q, (uint16_t)i, "a.test.example", 1, 0);
		send_udp(f, (uint16_t)(40000 + i), q, qlen);
	}
	assert_int_equal(udp_replies(f), 0);
	/* One more is answered SERVFAIL at once. */
	qlen = build_query(q, 0xffff, "a.test.example", 1, 0);
	send_udp(f, 39999, q, qlen);
	assert_int_equal(udp_replies(f), 1);
	m = reply_k(f, 0, 39999, &len);
	assert_servfail(m, len, q, qlen, 0xffff);
	tn_run_for(&f->loop, 200);
	assert_int_equal(up->queries, 256);
	assert_int_equal(stats(f).dns_queries, 257);
	assert_int_equal(stats(f).dns_servfail, 1);
}

/* A name of @labels labels of 63 bytes. */
static size_t long_name(uint8_t *b, int labels)
{
	size_t n = 0;
	int i;

	for (i = 0; i < labels; i++) {
		b[n++] = 63;
		memset(b + n, 'a', 63);
		n += 63;
	}
	b[n++] = 0;
	return n;
}

static void test_malformed(void **state)
{
	static const uint8_t hdr[12] = { 0x12, 0x34, 0x01, 0x00, 0, 1,
					 0, 0, 0, 0, 0, 0 };
	static const struct {
		const char *name;
		uint8_t flags_hi;	/* header byte 2, when not 0x01 */
		uint8_t qd;		/* qdcount, when not 1 */
		const uint8_t *body;
		size_t len;
		int special;		/* 1: 11 bytes; 2: empty; 3: > 255;
					 * 4: too long a query */
	} rows[] = {
		{ "short header", 0, 1, NULL, 0, 1 },
		{ "empty", 0, 1, NULL, 0, 2 },
		{ "QR=1", 0x81, 1,
		  (const uint8_t *)"\x01" "a\x00\x00\x01\x00\x01", 7, 0 },
		{ "qdcount 0", 0, 0,
		  (const uint8_t *)"\x01" "a\x00\x00\x01\x00\x01", 7, 0 },
		{ "label past the end", 0, 1,
		  (const uint8_t *)"\x3f" "abc", 4, 0 },
		{ "no terminating label", 0, 1,
		  (const uint8_t *)"\x01" "a", 2, 0 },
		{ "no type and class", 0, 1,
		  (const uint8_t *)"\x01" "a\x00\x00\x01", 5, 0 },
		{ "compression pointer", 0, 1,
		  (const uint8_t *)"\xc0\x0c\x00\x01\x00\x01", 6, 0 },
		{ "pointer after a label", 0, 1,
		  (const uint8_t *)"\x01" "a\xc0\x0c\x00\x01\x00\x01", 8, 0 },
		{ "label kind 01", 0, 1,
		  (const uint8_t *)"\x41" "a\x00\x00\x01\x00\x01", 7, 0 },
		{ "label kind 10", 0, 1,
		  (const uint8_t *)"\x81" "a\x00\x00\x01\x00\x01", 7, 0 },
		{ "second question truncated", 0, 2,
		  (const uint8_t *)"\x01" "a\x00\x00\x01\x00\x01\x01" "b", 9, 0 },
		{ "name of 257 bytes", 0, 1, NULL, 0, 3 },
		{ "query of 4097 bytes", 0, 1, NULL, 0, 4 },
	};
	struct fixture *f = *state;
	struct upstream *up = up_start(f, UP_ANSWER);
	static uint8_t m[8192];
	struct unet_stack_stats s = { .size = sizeof(s) };
	size_t n, i;

	start_with(f, 0, &up->port, 1);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memcpy(m, hdr, 12);
		if (rows[i].flags_hi != 0)
			m[2] = rows[i].flags_hi;
		m[5] = rows[i].qd;
		n = 12;
		switch (rows[i].special) {
		case 1:
			n = 11;
			break;
		case 2:
			n = 0;
			break;
		case 3:
			/* 4 x 64 + 1 = 257 bytes */
			n += long_name(m + n, 4);
			tn_put16(m + n, 1);
			tn_put16(m + n + 2, 1);
			n += 4;
			break;
		case 4:
			/* A good question, then 4097 bytes in all. */
			n += build_query(m, 0x1234, "a", 1, 0) - 12;
			memset(m + n, 0, 4097 - n);
			n = 4097;
			break;
		default:
			memcpy(m + n, rows[i].body, rows[i].len);
			n += rows[i].len;
			break;
		}
		send_udp(f, (uint16_t)(51000 + i), m, n);
		s = stats(f);
		if (s.dns_drop != i + 1)
			fail_msg("row '%s' was not dropped", rows[i].name);
	}
	tn_run_for(&f->loop, 200);
	assert_int_equal(udp_replies(f), 0);
	assert_int_equal(up->queries, 0);
	s = stats(f);
	assert_int_equal(s.dns_queries, 0);
	assert_int_equal(s.dns_drop, sizeof(rows) / sizeof(rows[0]));

	/* The longest legal name (255 bytes) is forwarded. */
	n = 12;
	memcpy(m, hdr, 12);
	n += long_name(m + n, 3);
	m[n - 1] = 61;
	memset(m + n, 'b', 61);
	n += 61;
	m[n++] = 0;
	assert_int_equal(n - 12, 255);
	tn_put16(m + n, 1);
	tn_put16(m + n + 2, 1);
	n += 4;
	send_udp(f, 52000, m, n);
	assert_true(tn_run_until(&f->loop, one_reply, f, 3000));
	assert_int_equal(up->queries, 1);
	assert_int_equal(stats(f).dns_queries, 1);
}

/* Writes @text to the resolv.conf of the test, its mtime @sec from now. */
static void write_resolv(struct fixture *f, const char *text, int sec)
{
	struct timespec ts[2];
	FILE *fp = fopen(f->resolv, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec += sec;
	ts[1] = ts[0];
	assert_int_equal(utimensat(AT_FDCWD, f->resolv, ts, 0), 0);
}

/* An upstream of @mode on @addr port 53; false when that port is not ours. */
static bool up_start_53(struct fixture *f, struct upstream *up,
			const char *addr, enum up_mode mode)
{
	struct sockaddr_in sa;

	up->f = f;
	up->mode = mode;
	uv_udp_init(&f->loop, &up->udp);
	up->udp.data = up;
	uv_udp_init(&f->loop, &up->other);
	uv_tcp_init(&f->loop, &up->tcp);
	f->n_up++;
	uv_ip4_addr(addr, 53, &sa);
	if (uv_udp_bind(&up->udp, (struct sockaddr *)&sa, 0) != 0)
		return false;
	up->port = 53;
	assert_int_equal(uv_udp_recv_start(&up->udp, up_alloc, up_recv), 0);
	return true;
}

static void test_resolv_conf(void **state)
{
	struct fixture *f = *state;
	struct upstream *a = &f->up[0], *b = &f->up[1];
	struct unet_stack_config c;
	uint8_t q[512];
	size_t qlen;

	if (!up_start_53(f, a, "127.53.0.1", UP_ANSWER) ||
	    !up_start_53(f, b, "127.53.0.2", UP_ANSWER)) {
		print_message("cannot bind 127.53.0.x:53 here: skipped\n");
		skip();
	}
	write_resolv(f,
		     "# comment\n"
		     "search example\n"
		     "nameserver ::1\n"
		     "nameserver fe80::1%eth0\n"
		     "nameserver 127.53.0.1   # the first\n"
		     "options ndots:1\n",
		     -10);
	unet_stack_config_init(&c);
	snprintf(c.resolv_conf, sizeof(c.resolv_conf), "%s", f->resolv);
	start(f, 0, &c);
	qlen = build_query(q, 0x3333, "a.test.example", 1, 0);
	send_udp(f, 50000, q, qlen);
	assert_true(tn_run_until(&f->loop, one_reply, f, 3000));
	assert_int_equal(a->queries, 1);
	assert_int_equal(b->queries, 0);

	/* Changed: read again, but not before a second went by. */
	write_resolv(f, "nameserver 127.53.0.2\n", 0);
	tn_run_for(&f->loop, 1100);
	tn_capture_reset(&f->cap);
	send_udp(f, 50001, q, qlen);
	assert_true(tn_run_until(&f->loop, one_reply, f, 3000));
	assert_int_equal(a->queries, 1);
	assert_int_equal(b->queries, 1);
}

/* ---- TCP ---------------------------------------------------------------- */

#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10

/* Sends a TCP segment from 10.0.2.15:@sport to 10.0.2.3:53. */
static void send_tcp(struct fixture *f, uint16_t sport, uint32_t seq,
		     uint32_t ack, uint8_t flags, const void *data,
		     size_t len)
{
	static uint8_t buf[14 + 20 + 20 + MSG_MAX];
	uint8_t *t = buf + 34;

	assert_true(len <= MSG_MAX - 40);
	ip_header(f, buf, 6, 20 + 20 + len);
	memset(t, 0, 20);
	tn_put16(t, sport);
	tn_put16(t + 2, 53);
	tn_put32(t + 4, seq);
	tn_put32(t + 8, ack);
	t[12] = 5 << 4;
	t[13] = flags;
	tn_put16(t + 14, 65535);
	if (len > 0)
		memcpy(t + 20, data, len);
	tn_put16(t + 16, tn_l4_csum(tn_ip("10.0.2.15"), tn_ip("10.0.2.3"), 6,
				    t, 20 + len));
	assert_int_equal(unet_hub_input(&f->cap.port, buf, 34 + 20 + len), 0);
}

/* The first captured TCP segment to @dport with @flags set, or NULL. */
static const uint8_t *tcp_find(struct fixture *f, uint16_t dport,
			       uint8_t flags)
{
	const uint8_t *r, *t;
	int i;

	for (i = 0; i < f->cap.frames && i < CAP_MAX; i++) {
		r = f->cap.data[i];
		t = r + 34;
		if (r[23] == 6 && tn_get16(t) == 53 && tn_get16(t + 2) == dport &&
		    (t[13] & flags) == flags)
			return t;
	}
	return NULL;
}

/* Opens a connection from @sport by hand; returns the server's ISN + 1. */
static uint32_t tcp_open(struct fixture *f, uint16_t sport)
{
	const uint8_t *t = NULL;
	int i;

	send_tcp(f, sport, 1000, 0, TCP_SYN, NULL, 0);
	for (i = 0; i < 50 && t == NULL; i++) {
		tn_run_for(&f->loop, 10);
		t = tcp_find(f, sport, TCP_SYN | TCP_ACK);
	}
	assert_non_null(t);
	assert_int_equal(tn_get32(t + 8), 1001);
	send_tcp(f, sport, 1001, tn_get32(t + 4) + 1, TCP_ACK, NULL, 0);
	return tn_get32(t + 4) + 1;
}

/*
 * Collects the server's bytes to @dport (from sequence number @isn1) into
 * @out; returns how many contiguous bytes there are.
 */
static size_t tcp_stream(struct fixture *f, uint16_t dport, uint32_t isn1,
			 uint8_t *out, size_t cap)
{
	uint32_t g = tn_ip("10.0.2.15"), d = tn_ip("10.0.2.3");
	size_t have = 0, plen, off, hl, tl;
	const uint8_t *r, *t;
	bool grew = true;
	int i;

	while (grew) {
		grew = false;
		for (i = 0; i < f->cap.frames && i < CAP_MAX; i++) {
			r = f->cap.data[i];
			t = r + 34;
			if (r[23] != 6 || tn_get16(t) != 53 ||
			    tn_get16(t + 2) != dport)
				continue;
			tl = tn_get16(r + 16) - 20u;
			assert_int_equal(tn_l4_csum(d, g, 6, t, tl), 0);
			hl = (size_t)(t[12] >> 4) * 4;
			plen = tl - hl;
			off = tn_get32(t + 4) - isn1;
			if (plen == 0 || off > have || off + plen <= have ||
			    off + plen > cap)
				continue;
			memcpy(out + off, t + hl, plen);
			have = off + plen;
			grew = true;
		}
	}
	return have;
}

static void test_tcp(void **state)
{
	struct fixture *f = *state;
	struct upstream *up = up_start(f, UP_ANSWER);
	static uint8_t in[4096], out[4096];
	uint8_t q1[512], q2[512], seg[1024];
	size_t l1, l2, n = 0, got = 0;
	uint32_t isn1;
	int i;

	start_with(f, 0, &up->port, 1);
	isn1 = tcp_open(f, 40000);
	/* Two queries in one segment, one after the other. */
	l1 = build_query(q1, 0x0101, "a.test.example", 1, 0);
	l2 = build_query(q2, 0x0202, "b.test.example", 1, 0);
	tn_put16(seg, (uint16_t)l1);
	memcpy(seg + 2, q1, l1);
	tn_put16(seg + 2 + l1, (uint16_t)l2);
	memcpy(seg + 4 + l1, q2, l2);
	n = 4 + l1 + l2;
	send_tcp(f, 40000, 1001, isn1, TCP_ACK | TCP_PSH, seg, n);
	for (i = 0; i < 300; i++) {
		tn_run_for(&f->loop, 10);
		got = tcp_stream(f, 40000, isn1, in, sizeof(in));
		if (got >= 2 && got >= 2u + tn_get16(in) + 2 &&
		    got >= 4u + tn_get16(in) + tn_get16(in + 2 + tn_get16(in)))
			break;
	}
	/* Two replies, in order, with the guest's ids. */
	assert_true(got >= 2);
	n = tn_get16(in);
	assert_answer(in + 2, n, q1, l1, 0x0101);
	assert_true(got >= 2 + n + 2);
	memcpy(out, in + 2 + n + 2, tn_get16(in + 2 + n));
	assert_answer(out, tn_get16(in + 2 + n), q2, l2, 0x0202);
	assert_int_equal(got, 2 + n + 2 + tn_get16(in + 2 + n));
	/* Each over its own upstream connection, with a new id. */
	assert_int_equal(up->tcp_queries, 2);
	assert_int_equal(up->tcp_conns, 2);
	assert_int_not_equal(up->last_id, 0x0202);
	assert_int_equal(up->queries, 0);
	assert_int_equal(stats(f).dns_queries, 2);
	assert_int_equal(stats(f).dns_replies, 2);

	/* A length of 0 is broken framing: reset. */
	isn1 = tcp_open(f, 40001);
	send_tcp(f, 40001, 1001, isn1, TCP_ACK | TCP_PSH, "\0\0", 2);
	tn_run_for(&f->loop, 50);
	assert_non_null(tcp_find(f, 40001, TCP_RST));
	assert_int_equal(stats(f).dns_drop, 1);

	/* A malformed query (QR=1): reset, nothing asked upstream. */
	isn1 = tcp_open(f, 40002);
	l1 = build_query(q1, 0x0303, "a.test.example", 1, 0);
	q1[2] |= 0x80;
	tn_put16(seg, (uint16_t)l1);
	memcpy(seg + 2, q1, l1);
	send_tcp(f, 40002, 1001, isn1, TCP_ACK | TCP_PSH, seg, 2 + l1);
	tn_run_for(&f->loop, 50);
	assert_non_null(tcp_find(f, 40002, TCP_RST));
	assert_int_equal(stats(f).dns_drop, 2);
	assert_int_equal(up->tcp_queries, 2);

	/* A query split across segments, the length itself too. */
	isn1 = tcp_open(f, 40003);
	l1 = build_query(q1, 0x0404, "c.test.example", 1, 0);
	tn_put16(seg, (uint16_t)l1);
	memcpy(seg + 2, q1, l1);
	send_tcp(f, 40003, 1001, isn1, TCP_ACK, seg, 1);
	send_tcp(f, 40003, 1002, isn1, TCP_ACK, seg + 1, 5);
	tn_run_for(&f->loop, 20);
	send_tcp(f, 40003, 1007, isn1, TCP_ACK | TCP_PSH, seg + 6, l1 - 4);
	for (i = 0; i < 300; i++) {
		tn_run_for(&f->loop, 10);
		got = tcp_stream(f, 40003, isn1, in, sizeof(in));
		if (got >= 2 && got >= 2u + tn_get16(in))
			break;
	}
	assert_true(got >= 2);
	assert_answer(in + 2, tn_get16(in), q1, l1, 0x0404);
}

static void test_tcp_servfail(void **state)
{
	struct fixture *f = *state;
	struct upstream *up = up_start(f, UP_SILENT);
	uint16_t ports[2] = { closed_port(f), up->port };
	static uint8_t in[4096];
	uint8_t q[512], seg[1024];
	size_t l, got = 0;
	uint32_t isn1;
	uint64_t t0, dt;
	int i;

	/* The first refuses the connection, the second never answers. */
	start_with(f, 0, ports, 2);
	isn1 = tcp_open(f, 40000);
	l = build_query(q, 0x0909, "a.test.example", 1, 0);
	tn_put16(seg, (uint16_t)l);
	memcpy(seg + 2, q, l);
	t0 = now_ms(f);
	send_tcp(f, 40000, 1001, isn1, TCP_ACK | TCP_PSH, seg, 2 + l);
	for (i = 0; i < 600; i++) {
		tn_run_for(&f->loop, 10);
		got = tcp_stream(f, 40000, isn1, in, sizeof(in));
		if (got >= 2 && got >= 2u + tn_get16(in))
			break;
	}
	dt = now_ms(f) - t0;
	assert_true(got >= 2);
	assert_servfail(in + 2, tn_get16(in), q, l, 0x0909);
	assert_true(dt >= 2900);
	assert_int_equal(up->tcp_queries, 1);
	assert_int_equal(stats(f).dns_servfail, 1);
}

/* ---- restricted guests -------------------------------------------------- */

/* How the guest is restricted, and whether DNS must still be forwarded. */
struct restrict_row {
	const char *name;
	bool stack_restrict;	/* unet_stack_config.restrict_guest */
	bool proxy_restrict;	/* a proxy with restrict_guest on the stack */
	bool restrict_dns;	/* unet_stack_config.restrict_dns */
	bool forwarded;
};

static const struct restrict_row restrict_rows[] = {
	{ "not restricted", false, false, false, true },
	{ "restrict=on (the stack's)", true, false, false, false },
	{ "restrict=on (the proxy's only)", false, true, false, false },
	{ "restrict=on on both", true, true, false, false },
	{ "restrict=on,restrict-dns=on", true, true, true, true },
	{ "restrict-dns=on alone", false, false, true, true },
};

/* A UDP query and a TCP connection to 10.0.2.3:53 under one row. */
static void restrict_case(struct fixture *f, struct upstream *up,
			  const struct restrict_row *row)
{
	struct unet_stack_config c;
	struct unet_proxy_config pc;
	static uint8_t in[4096];
	uint8_t q[512], seg[1024];
	const uint8_t *m;
	size_t qlen, len, got = 0;
	uint32_t isn1;
	int i;

	print_message("  %s\n", row->name);
	unet_stack_config_init(&c);
	config_add(&c, "127.0.0.1", up->port);
	c.restrict_guest = row->stack_restrict;
	c.restrict_dns = row->restrict_dns;
	start(f, 0, &c);
	if (row->proxy_restrict) {
		unet_proxy_config_init(&pc);
		pc.restrict_guest = true;
		assert_int_equal(unet_proxy_new(f->stack, &pc, &f->proxy), 0);
	}
	up->queries = up->tcp_queries = up->tcp_conns = 0;

	/* UDP: answered by the upstream, or REFUSED with nothing sent up. */
	qlen = build_query(q, 0x5151, "x.exfil.example", 1, 0);
	send_udp(f, 50000, q, qlen);
	assert_true(tn_run_until(&f->loop, one_reply, f, 3000));
	m = reply_k(f, 0, 50000, &len);
	if (row->forwarded) {
		assert_answer(m, len, q, qlen, 0x5151);
		assert_int_equal(up->queries, 1);
	} else {
		assert_int_equal(len, question_end(q, qlen));
		assert_int_equal(tn_get16(m), 0x5151);
		assert_int_equal(tn_get16(m + 2) & 0x800f, 0x8005);
		assert_memory_equal(m + 12, q + 12, len - 12);
		tn_run_for(&f->loop, 50);
		assert_int_equal(up->queries, 0);
		assert_int_equal(stats(f).dns_refused, 1);
	}

	/* TCP: the query answered, or the connection reset once accepted. */
	isn1 = tcp_open(f, 40000);
	tn_put16(seg, (uint16_t)qlen);
	memcpy(seg + 2, q, qlen);
	send_tcp(f, 40000, 1001, isn1, TCP_ACK | TCP_PSH, seg, 2 + qlen);
	for (i = 0; i < 300; i++) {
		tn_run_for(&f->loop, 10);
		if (tcp_find(f, 40000, TCP_RST) != NULL)
			break;
		got = tcp_stream(f, 40000, isn1, in, sizeof(in));
		if (got >= 2 && got >= 2u + tn_get16(in))
			break;
	}
	if (row->forwarded) {
		assert_true(got >= 2);
		assert_answer(in + 2, tn_get16(in), q, qlen, 0x5151);
		assert_int_equal(up->tcp_queries, 1);
		assert_int_equal(stats(f).dns_refused, 0);
	} else {
		assert_non_null(tcp_find(f, 40000, TCP_RST));
		assert_int_equal(got, 0);
		assert_int_equal(up->tcp_conns, 0);
		assert_int_equal(stats(f).dns_refused, 2);
	}

	unet_proxy_close(f->proxy);
	f->proxy = NULL;
	unet_hub_close(f->hub);
	f->hub = NULL;
	tn_run_for(&f->loop, 10);
	tn_capture_reset(&f->cap);
}

/*
 * restrict=on leaves no DNS channel to the outside: over UDP and TCP, with
 * the restriction from the stack's configuration or from its proxy's; only
 * restrict-dns=on keeps the forwarder.
 */
static void test_restrict(void **state)
{
	struct fixture *f = *state;
	struct upstream *up = up_start(f, UP_ANSWER);
	size_t i;

	for (i = 0; i < sizeof(restrict_rows) / sizeof(restrict_rows[0]); i++)
		restrict_case(f, up, &restrict_rows[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_forward, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failover_silent, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_failover_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_upstream, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_all_silent, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_spoofed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_edns_big, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retransmission, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pending_limit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_resolv_conf, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_tcp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp_servfail, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_restrict, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
