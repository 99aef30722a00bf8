// SPDX-License-Identifier: MIT
/*
 * apisock: slirp4netns's JSON API socket.
 *
 * Theory of operation: apisock_handle() is the whole protocol, a pure
 * function from one request to one reply, parsed with jansson; the socket
 * part only gathers a request and sends the reply. The replies are
 * byte-for-byte those of slirp4netns 1.2 (compact JSON, its key order and
 * its error texts), checked against Debian's slirp4netns by
 * test/integration/slirp4netns.sh; where slirp4netns takes nonsense
 * (a missing proto crashes it, a port of 70000 is taken modulo 65536, any
 * guest address is accepted) usernet refuses with the same error shape.
 *
 * The request is untrusted: at most APISOCK_REQ_MAX - 1 bytes are kept
 * (slirp4netns's limit), nothing of it is echoed into a reply, and the
 * number of forwards (APISOCK_FWD_MAX), of connections (APISOCK_CONN_MAX)
 * and the time a connection may take (APISOCK_TIMEOUT_MS) are bounded.
 * slirp4netns reads a request with a single read(); usernet reads until the
 * bytes form a whole JSON value, the client shuts its side down, or the
 * limit is reached, so a request split across writes works too.
 *
 * A connection owns a pipe and a timer; it is freed when both are closed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "apisock.h"
#include "jsonreply.h"
#include "wire/util.h"

/*
 * jansson, read as slirp4netns's parson reads: one value of any type,
 * trailing bytes ignored, every number a double (so 1e23 is a number out of
 * range, not a syntax error).
 */
#define APISOCK_JSON_FLAGS \
	(JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK | JSON_DECODE_INT_AS_REAL)

/**
 * struct apisock_conn - one client
 * @base: its pipe, and a timer that closes it after APISOCK_TIMEOUT_MS
 * @write: the reply's write request
 * @replied: the reply is on its way; nothing more is read
 * @reply: the reply, freed with the connection
 * @len: bytes of @buf used
 * @buf: the request so far, NUL-terminated
 */
struct apisock_conn {
	struct unixsrv_conn base;
	uv_write_t write;
	bool replied;
	char *reply;
	size_t len;
	char buf[APISOCK_REQ_MAX + 1];
};

static int apisock_proxy_add(void *opaque, struct unet_fwd *fwd)
{
	return unet_proxy_fwd_add(opaque, fwd);
}

static int apisock_proxy_remove(void *opaque, const struct unet_fwd *fwd)
{
	return unet_proxy_fwd_remove(opaque, fwd);
}

/** apisock_proxy_ops - forwards on the struct unet_proxy given as opaque */
const struct apisock_ops apisock_proxy_ops = {
	.add = apisock_proxy_add,
	.remove = apisock_proxy_remove,
};

/**
 * apisock_init() - set up the protocol side, not yet listening
 * @a: the API socket
 * @ops: how forwards are added and removed
 * @opaque: passed to @ops (for apisock_proxy_ops: the proxy)
 * @info: the network, copied
 */
void apisock_init(struct apisock *a, const struct apisock_ops *ops,
		  void *opaque, const struct apisock_info *info)
{
	memset(a, 0, sizeof(*a));
	a->ops = ops;
	a->opaque = opaque;
	a->info = *info;
	a->next_id = 1;
}

static char *apisock_error(const char *desc)
{
	return jsonreply_take(json_pack("{s:{s:s}}", "error", "desc", desc));
}

/* A port or id: an integer (or an integral real) from @min to @max. */
static bool apisock_number(const json_t *v, long long min, long long max,
			   long long *out)
{
	long long n;
	double d;

	if (json_is_integer(v)) {
		n = json_integer_value(v);
	} else if (json_is_real(v)) {
		d = json_real_value(v);
		if (!(d >= (double)min && d <= (double)max))
			return false;
		n = (long long)d;
		if ((double)n != d)
			return false;
	} else {
		return false;
	}
	if (n < min || n > max)
		return false;
	*out = n;
	return true;
}

/* An IPv4 address; missing, null or "" gives @dflt. */
static bool apisock_addr(const json_t *v, struct in_addr dflt,
			 struct in_addr *out)
{
	const char *s;

	*out = dflt;
	if (v == NULL || json_is_null(v))
		return true;
	if (!json_is_string(v))
		return false;
	s = json_string_value(v);
	if (strlen(s) != json_string_length(v))
		return false;
	if (s[0] == '\0')
		return true;
	return inet_pton(AF_INET, s, out) == 1;
}

static const char *apisock_proto_name(int proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}

static void apisock_log_fwd(const char *what, const struct unet_fwd *f, int err)
{
	char h[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &f->host_addr, h, sizeof(h));
	inet_ntop(AF_INET, &f->guest_addr, g, sizeof(g));
	fprintf(stderr, "usernet: api: %s %s %s:%u -> %s:%u: %s\n", what,
		apisock_proto_name(f->proto), h, ntohs(f->host_port), g,
		ntohs(f->guest_port), strerror(-err));
}

/* {"execute": "add_hostfwd", "arguments": {...}} */
static char *apisock_add(struct apisock *a, const json_t *args)
{
	struct in_addr any = { .s_addr = htonl(INADDR_ANY) };
	const char *proto;
	struct apisock_fwd *n;
	struct unet_fwd f;
	long long port;
	int r;

	memset(&f, 0, sizeof(f));
	proto = json_string_value(json_object_get(args, "proto"));
	if (proto != NULL && strcmp(proto, "tcp") == 0)
		f.proto = IPPROTO_TCP;
	else if (proto != NULL && strcmp(proto, "udp") == 0)
		f.proto = IPPROTO_UDP;
	else
		return apisock_error(
			"bad request: add_hostfwd: bad arguments.proto");
	if (!apisock_addr(json_object_get(args, "host_addr"), any,
			  &f.host_addr))
		return apisock_error(
			"bad request: add_hostfwd: bad arguments.host_addr");
	if (!apisock_number(json_object_get(args, "host_port"), 1, 65535,
			    &port))
		return apisock_error(
			"bad request: add_hostfwd: bad arguments.host_port");
	f.host_port = htons((uint16_t)port);
	if (!apisock_addr(json_object_get(args, "guest_addr"), a->info.guest,
			  &f.guest_addr))
		return apisock_error(
			"bad request: add_hostfwd: bad arguments.guest_addr");
	if (!apisock_number(json_object_get(args, "guest_port"), 1, 65535,
			    &port))
		return apisock_error(
			"bad request: add_hostfwd: bad arguments.guest_port");
	f.guest_port = htons((uint16_t)port);
	if (a->n_fwds >= APISOCK_FWD_MAX || a->next_id == INT_MAX)
		return apisock_error(
			"bad request: add_hostfwd: too many forwards");
	n = realloc(a->fwds, (size_t)(a->n_fwds + 1) * sizeof(*n));
	if (n == NULL)
		return NULL;
	a->fwds = n;
	r = a->ops->add(a->opaque, &f);
	if (r < 0) {
		apisock_log_fwd("add_hostfwd", &f, r);
		return apisock_error(
			"bad request: add_hostfwd: slirp_add_hostfwd failed");
	}
	n[a->n_fwds].id = a->next_id++;
	n[a->n_fwds].fwd = f;
	a->n_fwds++;
	return jsonreply_take(
		json_pack("{s:{s:i}}", "return", "id", n[a->n_fwds - 1].id));
}

/* {"execute": "list_hostfwd"}: {"entries": [...]}, with no "return". */
static char *apisock_list(struct apisock *a)
{
	char h[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN];
	json_t *entries, *e;
	int i;

	entries = json_array();
	if (entries == NULL)
		return NULL;
	for (i = 0; i < a->n_fwds; i++) {
		const struct unet_fwd *f = &a->fwds[i].fwd;

		inet_ntop(AF_INET, &f->host_addr, h, sizeof(h));
		inet_ntop(AF_INET, &f->guest_addr, g, sizeof(g));
		e = json_pack("{s:i,s:s,s:s,s:i,s:s,s:i}", "id", a->fwds[i].id,
			      "proto", apisock_proto_name(f->proto),
			      "host_addr", h, "host_port",
			      (int)ntohs(f->host_port), "guest_addr", g,
			      "guest_port", (int)ntohs(f->guest_port));
		if (e == NULL || json_array_append_new(entries, e) < 0) {
			json_decref(entries);
			return NULL;
		}
	}
	return jsonreply_take(json_pack("{s:o}", "entries", entries));
}

/* {"execute": "remove_hostfwd", "arguments": {"id": N}} */
static char *apisock_remove(struct apisock *a, const json_t *args)
{
	long long id;
	int i, r;

	if (!apisock_number(json_object_get(args, "id"), 1, INT_MAX, &id))
		id = 0;
	for (i = 0; i < a->n_fwds; i++)
		if (a->fwds[i].id == id)
			break;
	if (i == a->n_fwds)
		return apisock_error(
			"bad request: remove_hostfwd: bad arguments.id");
	r = a->ops->remove(a->opaque, &a->fwds[i].fwd);
	if (r < 0) {
		apisock_log_fwd("remove_hostfwd", &a->fwds[i].fwd, r);
		return apisock_error(
			"bad request: remove_hostfwd: slirp_remove_hostfwd failed");
	}
	memmove(&a->fwds[i], &a->fwds[i + 1],
		(size_t)(a->n_fwds - i - 1) * sizeof(a->fwds[0]));
	a->n_fwds--;
	return jsonreply_take(json_pack("{s:{}}", "return"));
}

/* {"execute": "get_info"}: usernet's own, the network as the banner says. */
static char *apisock_info(struct apisock *a)
{
	const struct apisock_info *in = &a->info;
	char net[INET_ADDRSTRLEN], mask[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN],
		dns[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN], e[INET_ADDRSTRLEN],
		guest[INET_ADDRSTRLEN];
	struct in_addr end = {
		.s_addr = htonl(ntohl(in->dhcp_start.s_addr) + 15),
	};

	inet_ntop(AF_INET, &in->net, net, sizeof(net));
	inet_ntop(AF_INET, &in->mask, mask, sizeof(mask));
	inet_ntop(AF_INET, &in->host, gw, sizeof(gw));
	inet_ntop(AF_INET, &in->dns, dns, sizeof(dns));
	inet_ntop(AF_INET, &in->dhcp_start, b, sizeof(b));
	inet_ntop(AF_INET, &end, e, sizeof(e));
	inet_ntop(AF_INET, &in->guest, guest, sizeof(guest));
	return jsonreply_take(json_pack(
		"{s:{s:i,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:b}}", "return",
		"mtu", (int)in->mtu, "network", net, "netmask", mask, "gateway",
		gw, "dns", dns, "dhcp_begin", b, "dhcp_end", e,
		"recommended_ip", guest, "ipv6", in->ipv6, "host_loopback",
		in->host_loopback));
}

/**
 * apisock_handle() - answer one request
 * @a: the API socket (its forwards change with add and remove)
 * @req: the request's bytes, not necessarily NUL-terminated
 * @len: how many
 *
 * Return: the reply, compact JSON without a newline, malloc'ed (the caller
 * frees it); NULL only when memory ran out.
 */
char *apisock_handle(struct apisock *a, const char *req, size_t len)
{
	const char *execute;
	json_error_t jerr;
	json_t *root;
	char *reply;

	if (len >= APISOCK_REQ_MAX)
		return apisock_error("bad request: too large message");
	root = json_loadb(req, len, APISOCK_JSON_FLAGS, &jerr);
	if (root == NULL)
		return apisock_error("bad request: cannot parse JSON");
	execute = json_string_value(json_object_get(root, "execute"));
	if (!json_is_object(root))
		reply = apisock_error("bad request: json_object() failed");
	else if (execute == NULL)
		reply = apisock_error("bad request: no execute found");
	else if (strcmp(execute, "add_hostfwd") == 0)
		reply = apisock_add(a, json_object_get(root, "arguments"));
	else if (strcmp(execute, "list_hostfwd") == 0)
		reply = apisock_list(a);
	else if (strcmp(execute, "remove_hostfwd") == 0)
		reply = apisock_remove(a, json_object_get(root, "arguments"));
	else if (strcmp(execute, "get_info") == 0)
		reply = apisock_info(a);
	else
		reply = apisock_error("bad request: unknown execute");
	json_decref(root);
	return reply;
}

/* The socket side. */

static struct apisock_conn *apisock_conn_of(void *base)
{
	return container_of((struct unixsrv_conn *)base, struct apisock_conn,
			    base);
}

static void apisock_conn_release(struct unixsrv_conn *base)
{
	free(apisock_conn_of(base)->reply);
}

static void apisock_conn_close(struct apisock_conn *c)
{
	unixsrv_conn_close(&c->base);
}

static void apisock_on_written(uv_write_t *w, int status)
{
	apisock_conn_close(w->data);
}

static void apisock_reply(struct apisock_conn *c)
{
	static const char nomem[] =
		"{\"error\":{\"desc\":\"bad request: out of memory\"}}";
	uv_buf_t b;

	c->replied = true;
	uv_read_stop((uv_stream_t *)&c->base.pipe);
	uv_timer_stop(&c->base.timer);
	c->reply = apisock_handle(c->base.srv->data, c->buf, c->len);
	b = c->reply != NULL ? uv_buf_init(c->reply, strlen(c->reply)) :
			       uv_buf_init((char *)nomem, sizeof(nomem) - 1);
	c->write.data = c;
	if (uv_write(&c->write, (uv_stream_t *)&c->base.pipe, &b, 1,
		     apisock_on_written) < 0)
		apisock_conn_close(c);
}

/* True when @c->buf holds a whole JSON value, or bytes that never will. */
static bool apisock_complete(const struct apisock_conn *c)
{
	json_error_t jerr;
	json_t *v;

	v = json_loadb(c->buf, c->len, APISOCK_JSON_FLAGS, &jerr);
	if (v != NULL) {
		json_decref(v);
		return true;
	}
	return json_error_code(&jerr) != json_error_premature_end_of_input;
}

static void apisock_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct apisock_conn *c = apisock_conn_of(h->data);

	*b = uv_buf_init(c->buf + c->len,
			 (unsigned int)(APISOCK_REQ_MAX - c->len));
}

static void apisock_on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct apisock_conn *c = apisock_conn_of(s->data);

	if (c->replied)
		return;
	if (n > 0) {
		c->len += (size_t)n;
		c->buf[c->len] = '\0';
		if (c->len >= APISOCK_REQ_MAX || apisock_complete(c))
			apisock_reply(c);
		return;
	}
	if (n == UV_EOF)
		apisock_reply(c);
	else if (n < 0)
		apisock_conn_close(c);
}

static void apisock_on_timeout(uv_timer_t *t)
{
	unixsrv_conn_close(t->data);
}

/* A client connected (unixsrv gave it its slot): read its request. */
static void apisock_conn_start(struct unixsrv_conn *base)
{
	uv_timer_start(&base->timer, apisock_on_timeout, APISOCK_TIMEOUT_MS, 0);
	if (uv_read_start((uv_stream_t *)&base->pipe, apisock_alloc,
			  apisock_on_read) < 0)
		unixsrv_conn_close(base);
}

static const struct unixsrv_ops apisock_srv_ops = {
	.conn_size = sizeof(struct apisock_conn),
	.start = apisock_conn_start,
	.release = apisock_conn_release,
};

/**
 * apisock_listen() - listen on a unix socket path
 * @a: the API socket, apisock_init()'ed
 * @loop: the loop
 * @path: the socket's path (unixsrv_listen()); removed again by
 *	apisock_close()
 * @err: receives a one-line message on failure
 * @errlen: size of @err
 *
 * Return: 0, or a negative errno (as unixsrv_listen()). apisock_close()
 * must be called either way.
 */
int apisock_listen(struct apisock *a, uv_loop_t *loop, const char *path,
		   char *err, size_t errlen)
{
	return unixsrv_listen(&a->srv, loop, path, APISOCK_CONN_MAX,
			      &apisock_srv_ops, a, err, errlen);
}

/**
 * apisock_close() - stop listening, close every connection, forget the
 *	forwards (the proxy closes them itself)
 * @a: the API socket; its memory must last until the loop ran the close
 *	callbacks
 */
void apisock_close(struct apisock *a)
{
	unixsrv_close(&a->srv);
	free(a->fwds);
	a->fwds = NULL;
	a->n_fwds = 0;
}
