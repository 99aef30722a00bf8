/* SPDX-License-Identifier: MIT */
/*
 * The gateway's DNS forwarder, on the DNS address (default 10.0.2.3) port
 * 53, UDP and TCP.
 *
 * Theory of operation: the forwarder keeps no cache and answers nothing
 * itself; it hands each of the guest's queries to the host's resolvers over
 * host sockets and passes their answer back. The resolvers are the
 * configuration's dns_upstream list or, when that is empty, the IPv4
 * "nameserver" lines of resolv_conf (default /etc/resolv.conf), read at
 * start and read again when the file's mtime, size or inode changes, looked
 * at no more than once a second (on the hub's clock) and only when a query
 * needs it. IPv6 nameservers are skipped (and said so in the log). Each
 * query takes a copy of the list, so a re-read never affects one under way.
 *
 * Every query is checked before it is forwarded: a 12-byte header, QR 0,
 * at least one question, and well-formed question names (every label
 * inside the message, no compression pointer or other label kind, at most
 * 255 bytes). Any opcode is passed on. A query that fails a check is
 * dropped and counted (dns_drop); over TCP the connection is also reset.
 *
 * UDP: an lwIP UDP pcb bound to (dns, 53). Each query becomes a pending
 * query with its own host UDP socket, connected to the upstream it asks.
 * A socket per query (rather than one shared socket) gives every query a
 * fresh random source port on top of its random id (RFC 5452), lets the
 * kernel filter replies from anyone but the upstream, turns an ICMP port
 * unreachable into an immediate failover (ECONNREFUSED on a connected
 * socket) instead of a timeout, and makes a late reply vanish with the
 * socket. It costs a file descriptor per pending query; at most
 * DNS_UDP_PENDING_MAX are pending, and one more is answered SERVFAIL at once.
 * Each upstream try sends the query with a new random id (from the hub's
 * random source). A reply is accepted only from the address and port the
 * query went to, with that id, QR set and the same question section (names
 * compared without regard to ASCII case); anything else is ignored. After
 * DNS_UDP_TIMEOUT_MS without an accepted reply, or when the socket reports
 * an error, the next upstream is asked (disconnect, connect, new id); when
 * none is left, or there was none at all, the guest gets SERVFAIL (rcode 2,
 * its id, its question). A repeated query (same guest address, port and id)
 * while the first is pending is left to the first one's answer.
 *
 * Size: a reply goes back whole when it fits what the guest can take: 512
 * bytes, or the UDP size of the guest's EDNS(0) OPT record (which is
 * forwarded as it is, so the upstream knows it too). A bigger reply is cut
 * to its header and question with TC set, and the guest asks again over
 * TCP. lwIP fragments replies larger than the link's MTU.
 *
 * TCP: an lwIP listener on (dns, 53). A connection's bytes are buffered
 * (at most DNS_TCP_RX_MAX; beyond that lwIP is told to hold them) and split
 * into length-prefixed messages by dns_tcp_frame(); a length of 0 is broken
 * framing and resets the connection. Queries are handled one at a time, in
 * order: each is sent over a new host TCP connection to the upstream (its
 * address and port, the same as for UDP), with a new id, and the
 * length-prefixed reply read back. Connect, write or read errors, EOF, a
 * reply that does not match (id, QR, question), or DNS_TCP_TIMEOUT_MS for
 * the whole exchange fail over to the next upstream; then SERVFAIL. The
 * reply, id restored, is written to the guest as the window allows; only
 * when it is all queued does the next buffered query start. A connection
 * idle for DNS_TCP_IDLE_MS (no query under way and nothing arriving, or a
 * reply the guest does not take) is closed, as is one whose guest closed
 * its side once its queries are answered. At most DNS_TCP_CONNS_MAX
 * connections; one more is reset and counted in dns_drop.
 *
 * Memory a guest can make this hold: per pending UDP query a struct with the
 * query (at most DNS_UDP_QUERY_MAX bytes) and two uv handles; per TCP
 * connection at most DNS_TCP_RX_MAX buffered bytes, one query, one upstream
 * connection with the query and its reply (each at most 64 KiB), one reply
 * being written. Two shared 64 KiB buffers: one takes a guest's UDP query
 * and then an upstream's UDP reply (each used up before the next arrives),
 * the other is where short replies are built. UDP queries over
 * DNS_UDP_QUERY_MAX bytes, or from a source no guest can have (port 0, or
 * an address outside the network, its network or broadcast address, or the
 * gateway's own: unet__stack_is_guest_addr()), are dropped and counted. Log
 * messages a guest can cause are rate-limited.
 *
 * Restricted guests (restrict=on, unet__stack_restricted()): the forwarder
 * would be a channel out of a restricted guest (a query for a name under a
 * domain of the guest's choosing reaches that domain's servers), so every
 * query is refused unless the configuration keeps it on (restrict_dns): a
 * UDP query is answered REFUSED (nothing goes upstream), a TCP connection
 * is reset when it is accepted; both counted in dns_refused.
 *
 * Counters: dns_queries (queries taken, UDP and TCP), dns_replies (every
 * reply sent to the guest, SERVFAIL included), dns_servfail (of those,
 * SERVFAIL from the forwarder itself), dns_drop (malformed queries and TCP
 * connections over the limit), dns_refused (queries of a restricted guest).
 *
 * Stopping closes every socket and timer; no reply is sent. The memory goes
 * with the last uv handle's close callback.
 */
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lwip/ip.h"
#include "lwip/ip_addr.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"
#include "lwip/udp.h"

#include "wire/cursor.h"
#include "dns_proto.h"
#include "stack_internal.h"
#include "stack_proxy.h"

/** How long one upstream has to answer a UDP query, in milliseconds. */
#define DNS_UDP_TIMEOUT_MS 1000
/** How long one upstream has for a whole TCP exchange, in milliseconds. */
#define DNS_TCP_TIMEOUT_MS 3000
/** A guest TCP connection with nothing under way is closed after this. */
#define DNS_TCP_IDLE_MS 10000
/** UDP queries pending at once; one more is answered SERVFAIL at once. */
#define DNS_UDP_PENDING_MAX 256
/** Guest TCP connections at once; one more is reset. */
#define DNS_TCP_CONNS_MAX 64
/** Largest UDP query taken from the guest (real ones are far smaller). */
#define DNS_UDP_QUERY_MAX 4096
/** Largest UDP payload in IPv4: 65535 - 20 (IP) - 8 (UDP). */
#define DNS_UDP_PAYLOAD_MAX 65507
/** Size of the shared buffers: a whole UDP datagram, or a TCP message. */
#define DNS_BUF_LEN (DNS_TCP_LEN_LEN + DNS_TCP_MSG_MAX)
/*
 * Bytes one TCP connection may buffer: a whole largest message and one
 * more pbuf of the largest size lwIP hands over. Whenever more than one
 * largest message is buffered, a complete one is at the front, so refusing
 * more input then never stalls the connection.
 */
#define DNS_TCP_RX_MAX (DNS_TCP_LEN_LEN + DNS_TCP_MSG_MAX + 0xffff)
/** First allocation of a TCP connection's input buffer. */
#define DNS_TCP_RX_FIRST 512
/** resolv.conf is looked at no more often than this, in nanoseconds. */
#define DNS_RESOLV_RECHECK_NS 1000000000ull
/** Most bytes of resolv.conf read. */
#define DNS_RESOLV_BYTES_MAX (64 * 1024)
/** Log messages a guest may cause in a burst, then one a second. */
#define DNS_LOG_BURST 10

_Static_assert(DNS_BUF_LEN > DNS_UDP_PAYLOAD_MAX, "a whole datagram fits");
_Static_assert(DNS_UDP_QUERY_MAX <= DNS_BUF_LEN, "a query fits");

/**
 * struct dns_query_info - what the checks found in a query
 * @id: the guest's transaction id
 * @flags: the header's flags
 * @qdcount: how many questions
 * @qlen: length of the question section, after the header
 * @edns: the query carries an OPT record
 * @edns_size: its UDP payload size
 */
struct dns_query_info {
	uint16_t id;
	uint16_t flags;
	uint16_t qdcount;
	size_t qlen;
	bool edns;
	uint16_t edns_size;
};

/**
 * struct dns_resolv_key - what tells that resolv.conf changed
 * @mtime: its modification time
 * @size: its size
 * @ino: its inode
 * @dev: its device
 */
struct dns_resolv_key {
	struct timespec mtime;
	off_t size;
	ino_t ino;
	dev_t dev;
};

/**
 * struct unet_dns - the DNS forwarder of a stack
 * @stack: the stack
 * @hub: its hub (clock, randomness, log)
 * @stats: the stack's counters
 * @udp: the pcb on (dns, 53)
 * @listen: the TCP listener on (dns, 53)
 * @queries: pending UDP queries
 * @n_queries: how many
 * @conns: guest TCP connections
 * @n_conns: how many
 * @n_handles: uv handles not yet closed
 * @stopping: unet__dns_stop() ran; freed with the last handle
 * @buf: takes a guest's UDP query, then an upstream's UDP reply
 * @out: where short replies (SERVFAIL, truncated) are built
 * @rc: nameservers read from resolv.conf
 * @n_rc: how many
 * @rc_key: the file as it was when read
 * @rc_read: it was read (or found missing) at least once
 * @rc_checked_ns: when it was last looked at
 * @log_refill_ns: when each level's log bucket last gained a token
 * @log_tokens: messages of each level that may be logged now
 */
struct unet_dns {
	struct unet_stack *stack;
	struct unet_hub *hub;
	struct unet_stack_stats *stats;
	struct udp_pcb *udp;
	struct tcp_pcb *listen;
	struct dns_udp_query *queries;
	unsigned int n_queries;
	struct dns_tcp_conn *conns;
	unsigned int n_conns;
	unsigned int n_handles;
	bool stopping;
	uint8_t *buf;
	uint8_t *out;
	struct sockaddr_in rc[UNET_DNS_UPSTREAM_MAX];
	unsigned int n_rc;
	struct dns_resolv_key rc_key;
	bool rc_read;
	uint64_t rc_checked_ns;
	uint64_t log_refill_ns[UNET_LOG_LEVEL_NUM];
	unsigned int log_tokens[UNET_LOG_LEVEL_NUM];
};

/**
 * struct dns_udp_query - a guest's UDP query waiting for an upstream
 * @dns: the forwarder
 * @next: next pending query
 * @sock: host socket, connected to the upstream being asked
 * @timer: the upstream's timeout
 * @handles: of @sock and @timer, not yet closed
 * @closing: answered or given up; the handles are closing
 * @connected: @sock is connected
 * @guest_addr: the guest's address (network order)
 * @guest_port: the guest's port
 * @info: what the checks found, @info.id the guest's id
 * @up_id: the id the current upstream was sent
 * @up: the upstreams, in order
 * @n_up: how many
 * @cur: the one being asked
 * @len: length of @msg
 * @msg: the query, with @up_id once sent
 */
struct dns_udp_query {
	struct unet_dns *dns;
	struct dns_udp_query *next;
	uv_udp_t sock;
	struct unet_timer timer;
	int handles;
	bool closing;
	bool connected;
	uint32_t guest_addr;
	uint16_t guest_port;
	struct dns_query_info info;
	uint16_t up_id;
	struct sockaddr_in up[UNET_DNS_UPSTREAM_MAX];
	unsigned int n_up;
	unsigned int cur;
	size_t len;
	uint8_t msg[];
};

struct dns_tcp_att;

/**
 * struct dns_tcp_conn - a guest's TCP connection to (dns, 53)
 * @dns: the forwarder
 * @next: next connection
 * @pcb: the guest's pcb, NULL once closed or gone
 * @timer: idle timeout, or the upstream's while a query is under way
 * @in: buffered input, from @in_off
 * @in_cap: size of @in
 * @in_off: where unread input starts
 * @in_len: how many bytes are unread
 * @msg: the query under way (without its length), NULL when none
 * @msg_len: its length
 * @info: what the checks found in it
 * @up: the upstreams, in order
 * @n_up: how many
 * @cur: the one being asked
 * @att: the upstream connection under way, or NULL
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
	uint8_t *msg;
	size_t msg_len;
	struct dns_query_info info;
	struct sockaddr_in up[UNET_DNS_UPSTREAM_MAX];
	unsigned int n_up;
	unsigned int cur;
	struct dns_tcp_att *att;
	uint8_t *out;
	size_t out_len;
	size_t out_off;
	bool busy;
	bool eof;
	bool closing;
	bool aborted;
};

/**
 * struct dns_tcp_att - one try of a TCP query at one upstream
 * @conn: the guest connection, NULL once given up
 * @dns: the forwarder
 * @tcp: host connection to the upstream
 * @connect: its connect request
 * @write: its write request
 * @id: the id the upstream was sent
 * @wbuf: the length-prefixed query with @id
 * @wlen: its length
 * @hdr: the reply's length field, being read
 * @hdr_got: bytes of @hdr read
 * @rbuf: the reply, after room for its length field; NULL until known
 * @rlen: the reply's length
 * @rgot: bytes of it read
 */
struct dns_tcp_att {
	struct dns_tcp_conn *conn;
	struct unet_dns *dns;
	uv_tcp_t tcp;
	uv_connect_t connect;
	uv_write_t write;
	uint16_t id;
	uint8_t *wbuf;
	size_t wlen;
	uint8_t hdr[DNS_TCP_LEN_LEN];
	size_t hdr_got;
	uint8_t *rbuf;
	size_t rlen;
	size_t rgot;
};

/* ---- helpers ------------------------------------------------------------ */

/*
 * Logs something a guest caused: a burst, then one message a second, per
 * level (so that routine debug messages never silence a warning).
 */
__attribute__((format(printf, 3, 4)))
static void dns_log(struct unet_dns *dns, enum unet_log_level level,
		    const char *fmt, ...)
{
	uint64_t now = unet_hub_now_ns(dns->hub);
	char msg[256];
	va_list ap;

	if (now - dns->log_refill_ns[level] >= 1000000000u) {
		dns->log_refill_ns[level] = now;
		if (dns->log_tokens[level] < DNS_LOG_BURST)
			dns->log_tokens[level]++;
	}
	if (dns->log_tokens[level] == 0)
		return;
	dns->log_tokens[level]--;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	unet_hub_log(dns->hub, level, "dns: %s", msg);
}

static void dns_put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

/* A printable upstream address; @buf has room for "255.255.255.255:65535". */
static const char *dns_addr_str(const struct sockaddr_in *sa, char *buf,
				size_t len)
{
	char a[INET_ADDRSTRLEN];

	if (inet_ntop(AF_INET, &sa->sin_addr, a, sizeof(a)) == NULL)
		snprintf(a, sizeof(a), "?");
	snprintf(buf, len, "%s:%u", a, ntohs(sa->sin_port));
	return buf;
}

/* A new upstream id, never the guest's own (so that mapping is visible). */
static uint16_t dns_new_id(struct unet_dns *dns, uint16_t guest_id)
{
	uint16_t id = (uint16_t)unet_hub_random(dns->hub);

	if (id == guest_id)
		id ^= 0x8000;
	return id;
}

/*
 * Whether a query is refused: the guest is restricted and the forwarder,
 * a channel to the outside through the upstream, is not kept on for it.
 * Counted and logged here.
 */
static bool dns_refused(struct unet_dns *dns)
{
	if (!unet__stack_restricted(dns->stack) ||
	    unet__stack_config(dns->stack)->restrict_dns)
		return false;
	dns->stats->dns_refused++;
	dns_log(dns, UNET_LOG_DEBUG, "the guest is restricted: query refused");
	return true;
}

static void dns_handle_get(struct unet_dns *dns)
{
	dns->n_handles++;
	unet__stack_ref(dns->stack);
}

static void dns_free(struct unet_dns *dns)
{
	free(dns->buf);
	free(dns->out);
	free(dns);
}

/* A handle of @dns finished closing: may free @dns, then the stack. */
static void dns_handle_put(struct unet_dns *dns)
{
	struct unet_stack *stack = dns->stack;

	if (--dns->n_handles == 0 && dns->stopping)
		dns_free(dns);
	/* Last: it may free the stack. */
	unet__stack_unref(stack);
}

/* ---- parsing ------------------------------------------------------------ */

/*
 * Skips a name. In a question (@in_question) only plain labels are taken: a
 * query's question comes first in the message and has nothing earlier to
 * point to. Elsewhere a compression pointer ends the name; it is not
 * followed, so no pointer can loop.
 */
static int dns_name_skip(struct unet_cursor *c, bool in_question)
{
	const uint8_t *b;
	size_t total = 0;

	for (;;) {
		b = cursor_take(c, 1);
		if (b == NULL)
			return -EINVAL;
		if ((b[0] & DNS_LABEL_KIND) == DNS_LABEL_PTR) {
			if (in_question || total + DNS_PTR_LEN > DNS_NAME_MAX ||
			    cursor_take(c, 1) == NULL)
				return -EINVAL;
			return 0;
		}
		/* 01 and 10: extended label kinds, obsolete and unused. */
		if ((b[0] & DNS_LABEL_KIND) != 0)
			return -EINVAL;
		total += 1 + (size_t)b[0];
		if (total > DNS_NAME_MAX)
			return -EINVAL;
		if (b[0] == 0)
			return 0;
		if (cursor_take(c, b[0]) == NULL)
			return -EINVAL;
	}
}

/*
 * Checks a guest's query and fills @info. Only the header and the question
 * section must be well-formed; the records after them are only looked
 * through for an OPT record, and what cannot be parsed there is left to the
 * upstream to judge.
 */
static int dns_query_parse(const uint8_t *msg, size_t len,
			   struct dns_query_info *info)
{
	struct unet_cursor c = cursor_init(msg, len);
	const uint8_t *h, *rr;
	unsigned int i, n, first_ar;
	size_t before;

	h = cursor_take(&c, DNS_HLEN);
	if (h == NULL)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	info->id = cursor_be16(h, DNS_OFF_ID);
	info->flags = cursor_be16(h, DNS_OFF_FLAGS);
	info->qdcount = cursor_be16(h, DNS_OFF_QDCOUNT);
	if ((info->flags & DNS_FLAG_QR) != 0 || info->qdcount == 0)
		return -EINVAL;
	before = c.len;
	for (i = 0; i < info->qdcount; i++) {
		if (dns_name_skip(&c, true) < 0 ||
		    cursor_take(&c, DNS_QFIXED) == NULL)
			return -EINVAL;
	}
	info->qlen = before - c.len;

	first_ar = (unsigned int)cursor_be16(h, DNS_OFF_ANCOUNT) +
		   cursor_be16(h, DNS_OFF_NSCOUNT);
	n = first_ar + cursor_be16(h, DNS_OFF_ARCOUNT);
	for (i = 0; i < n; i++) {
		if (dns_name_skip(&c, false) < 0)
			break;
		rr = cursor_take(&c, DNS_RRFIXED);
		if (rr == NULL ||
		    cursor_take(&c, cursor_be16(rr, DNS_RR_OFF_RDLEN)) == NULL)
			break;
		if (i >= first_ar &&
		    cursor_be16(rr, DNS_RR_OFF_TYPE) == DNS_TYPE_OPT) {
			info->edns = true;
			info->edns_size = cursor_be16(rr, DNS_RR_OFF_CLASS);
		}
	}
	return 0;
}

static bool dns_label_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
	size_t i;
	uint8_t x, y;

	for (i = 0; i < n; i++) {
		x = a[i];
		y = b[i];
		if (x >= 'A' && x <= 'Z')
			x = (uint8_t)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (uint8_t)(y - 'A' + 'a');
		if (x != y)
			return false;
	}
	return true;
}

/*
 * Whether @reply answers @query (checked by dns_query_parse()) as sent with
 * @id: QR set, that id, and the same questions (names without regard to
 * ASCII case, types and classes exactly).
 */
static bool dns_reply_matches(const uint8_t *reply, size_t rlen, uint16_t id,
			      const uint8_t *query, size_t qlen)
{
	struct unet_cursor r = cursor_init(reply, rlen);
	struct unet_cursor q = cursor_init(query, qlen);
	const uint8_t *rh, *qh, *a, *b;
	unsigned int i, qdcount;
	size_t n;

	rh = cursor_take(&r, DNS_HLEN);
	qh = cursor_take(&q, DNS_HLEN);
	if (rh == NULL || qh == NULL ||
	    cursor_be16(rh, DNS_OFF_ID) != id ||
	    (cursor_be16(rh, DNS_OFF_FLAGS) & DNS_FLAG_QR) == 0 ||
	    cursor_be16(rh, DNS_OFF_QDCOUNT) != cursor_be16(qh, DNS_OFF_QDCOUNT))
		return false;
	qdcount = cursor_be16(qh, DNS_OFF_QDCOUNT);
	for (i = 0; i < qdcount; i++) {
		for (;;) {
			a = cursor_take(&q, 1);
			b = cursor_take(&r, 1);
			if (a == NULL || b == NULL || a[0] != b[0])
				return false;
			if (a[0] == 0)
				break;
			/* The query's labels are plain (checked). */
			n = a[0];
			a = cursor_take(&q, n);
			b = cursor_take(&r, n);
			if (a == NULL || b == NULL || !dns_label_equal(a, b, n))
				return false;
		}
		a = cursor_take(&q, DNS_QFIXED);
		b = cursor_take(&r, DNS_QFIXED);
		if (a == NULL || b == NULL || memcmp(a, b, DNS_QFIXED) != 0)
			return false;
	}
	return true;
}

/*
 * Builds a reply of a header and the question section only, into @out
 * (room for DNS_HLEN + @qlen). Return: its length.
 */
static size_t dns_build_short(uint8_t *out, uint16_t id, uint16_t flags,
			      uint16_t qdcount, const uint8_t *question,
			      size_t qlen)
{
	memset(out, 0, DNS_HLEN);
	dns_put16(out + DNS_OFF_ID, id);
	dns_put16(out + DNS_OFF_FLAGS, flags);
	dns_put16(out + DNS_OFF_QDCOUNT, qdcount);
	memcpy(out + DNS_HLEN, question, qlen);
	return DNS_HLEN + qlen;
}

/* The question section of a checked message. */
static const uint8_t *dns_question(const uint8_t *msg, size_t len,
				   size_t qlen)
{
	struct unet_cursor c = cursor_init(msg, len);

	if (cursor_take(&c, DNS_HLEN) == NULL)
		return NULL;
	return cursor_take(&c, qlen);
}

/*
 * Builds an answer with no records and response code @rcode (SERVFAIL,
 * REFUSED) for a checked query into @out; returns its length.
 */
static size_t dns_build_error(uint8_t *out, const uint8_t *msg, size_t len,
			      const struct dns_query_info *info,
			      uint16_t rcode)
{
	uint16_t flags = DNS_FLAG_QR | DNS_FLAG_RA | rcode |
			 (info->flags &
			  (DNS_FLAG_OPCODE | DNS_FLAG_RD | DNS_FLAG_CD));

	return dns_build_short(out, info->id, flags, info->qdcount,
			       dns_question(msg, len, info->qlen), info->qlen);
}

/**
 * dns_tcp_frame() - find the first length-prefixed message in a TCP stream
 * @buf: the bytes received and not yet taken
 * @len: how many
 * @msg_len: receives the first message's length when it is whole
 *
 * Return: 1 when @buf starts with a whole message; 0 when more bytes are
 * needed; -EINVAL when the framing is broken (a message of length 0).
 */
static int dns_tcp_frame(const uint8_t *buf, size_t len, size_t *msg_len)
{
	struct unet_cursor c = cursor_init(buf, len);
	const uint8_t *l = cursor_take(&c, DNS_TCP_LEN_LEN);
	size_t n;

	if (l == NULL)
		return 0;
	n = cursor_be16(l, 0);
	if (n == 0)
		return -EINVAL;
	if (c.len < n)
		return 0;
	*msg_len = n;
	return 1;
}

/* ---- upstreams ---------------------------------------------------------- */

/* One line of resolv.conf: 1 for an IPv4 nameserver, 2 for IPv6, else 0. */
static int dns_resolv_line(char *line, struct sockaddr_in *sa)
{
	struct in_addr a;
	char *save, *kw, *val;

	kw = strtok_r(line, " \t\r\n", &save);
	if (kw == NULL || strcmp(kw, "nameserver") != 0)
		return 0;
	val = strtok_r(NULL, " \t\r\n", &save);
	if (val == NULL)
		return 0;
	if (inet_pton(AF_INET, val, &a) == 1) {
		memset(sa, 0, sizeof(*sa));
		sa->sin_family = AF_INET;
		sa->sin_addr = a;
		sa->sin_port = htons(DNS_PORT);
		return 1;
	}
	return strchr(val, ':') != NULL ? 2 : 0;
}

/* Reads the nameservers of resolv.conf. */
static void dns_resolv_read(struct unet_dns *dns)
{
	const char *path = unet__stack_config(dns->stack)->resolv_conf;
	char line[512], list[UNET_DNS_UPSTREAM_MAX * 24], one[24];
	unsigned int v6 = 0, more = 0, i;
	size_t total = 0, used = 0;
	FILE *f;
	int kind, ch;

	dns->n_rc = 0;
	f = fopen(path, "re");
	if (f == NULL) {
		unet_hub_log(dns->hub, UNET_LOG_WARN,
			     "dns: cannot read %s (%s): no upstream servers",
			     path, strerror(errno));
		return;
	}
	while (total < DNS_RESOLV_BYTES_MAX &&
	       fgets(line, sizeof(line), f) != NULL) {
		total += strlen(line);
		/* The rest of a longer line is skipped, not read as a line. */
		if (strchr(line, '\n') == NULL) {
			while ((ch = fgetc(f)) != EOF && ch != '\n')
				total++;
		}
		kind = dns_resolv_line(line, &dns->rc[dns->n_rc]);
		if (kind == 2) {
			v6++;
		} else if (kind == 1) {
			if (dns->n_rc < UNET_DNS_UPSTREAM_MAX)
				dns->n_rc++;
			else
				more++;
		}
	}
	fclose(f);
	list[0] = '\0';
	for (i = 0; i < dns->n_rc; i++) {
		snprintf(list + used, sizeof(list) - used, "%s%s",
			 i > 0 ? " " : "",
			 dns_addr_str(&dns->rc[i], one, sizeof(one)));
		used += strlen(list + used);
	}
	unet_hub_log(dns->hub, dns->n_rc > 0 ? UNET_LOG_INFO : UNET_LOG_WARN,
		     "dns: upstream servers from %s: %s", path,
		     dns->n_rc > 0 ? list : "none");
	if (v6 > 0)
		unet_hub_log(dns->hub, UNET_LOG_INFO,
			     "dns: %u IPv6 nameserver(s) in %s skipped (IPv4 only for now)",
			     v6, path);
	if (more > 0)
		unet_hub_log(dns->hub, UNET_LOG_INFO,
			     "dns: %u nameserver(s) past the first %d in %s skipped",
			     more, UNET_DNS_UPSTREAM_MAX, path);
}

/* Reads resolv.conf again when it changed; looks at most once a second. */
static void dns_resolv_refresh(struct unet_dns *dns)
{
	const char *path = unet__stack_config(dns->stack)->resolv_conf;
	uint64_t now = unet_hub_now_ns(dns->hub);
	struct dns_resolv_key key;
	struct stat st;

	if (dns->rc_read && now - dns->rc_checked_ns < DNS_RESOLV_RECHECK_NS)
		return;
	dns->rc_checked_ns = now;
	memset(&key, 0, sizeof(key));
	if (stat(path, &st) == 0) {
		key.mtime = st.st_mtim;
		key.size = st.st_size;
		key.ino = st.st_ino;
		key.dev = st.st_dev;
	}
	if (dns->rc_read && memcmp(&key, &dns->rc_key, sizeof(key)) == 0)
		return;
	dns->rc_key = key;
	dns->rc_read = true;
	dns_resolv_read(dns);
}

/* Copies the upstreams a new query asks into @up; returns how many. */
static unsigned int dns_upstreams(struct unet_dns *dns,
				  struct sockaddr_in *up)
{
	const struct unet_stack_config *cfg = unet__stack_config(dns->stack);

	if (cfg->n_dns_upstream > 0) {
		memcpy(up, cfg->dns_upstream,
		       cfg->n_dns_upstream * sizeof(*up));
		return cfg->n_dns_upstream;
	}
	dns_resolv_refresh(dns);
	memcpy(up, dns->rc, dns->n_rc * sizeof(*up));
	return dns->n_rc;
}

/* ---- UDP ---------------------------------------------------------------- */

/* Sends @len bytes of @msg with id @id from (dns, 53) to a guest. */
static void dns_udp_send(struct unet_dns *dns, uint32_t addr, uint16_t port,
			 const uint8_t *msg, size_t len, uint16_t id)
{
	const struct unet_stack_config *cfg = unet__stack_config(dns->stack);
	ip_addr_t dst, src;
	struct pbuf *p;
	uint8_t idb[2];
	err_t e;

	if (dns->udp == NULL || len < DNS_HLEN || len > DNS_UDP_PAYLOAD_MAX)
		return;
	p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)len, PBUF_RAM);
	if (p == NULL) {
		dns_log(dns, UNET_LOG_WARN, "out of memory for a reply");
		return;
	}
	dns_put16(idb, id);
	pbuf_take(p, msg, (u16_t)len);
	pbuf_take_at(p, idb, sizeof(idb), DNS_OFF_ID);
	ip_addr_set_ip4_u32_val(dst, addr);
	ip_addr_set_ip4_u32_val(src, cfg->dns.s_addr);
	e = udp_sendto_if_src(dns->udp, p, &dst, port,
			      unet__stack_netif(dns->stack), &src);
	pbuf_free(p);
	if (e != ERR_OK) {
		dns_log(dns, UNET_LOG_DEBUG, "reply not sent (lwIP error %d)",
			e);
		return;
	}
	dns->stats->dns_replies++;
}

static void dns_udp_servfail(struct unet_dns *dns, uint32_t addr,
			     uint16_t port, const uint8_t *msg, size_t len,
			     const struct dns_query_info *info)
{
	size_t n = dns_build_error(dns->out, msg, len, info,
				   DNS_RCODE_SERVFAIL);

	dns->stats->dns_servfail++;
	dns_udp_send(dns, addr, port, dns->out, n, info->id);
}

static void dns_udp_query_closed(uv_handle_t *handle)
{
	struct dns_udp_query *q = handle->data;
	struct unet_dns *dns = q->dns;

	if (--q->handles == 0)
		free(q);
	dns_handle_put(dns);
}

/* Ends a pending query: it leaves the list now, its memory once closed. */
static void dns_udp_query_close(struct dns_udp_query *q)
{
	struct unet_dns *dns = q->dns;
	struct dns_udp_query **pp;

	if (q->closing)
		return;
	for (pp = &dns->queries; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == q) {
			*pp = q->next;
			dns->n_queries--;
			break;
		}
	}
	q->closing = true;
	uv_close((uv_handle_t *)&q->sock, dns_udp_query_closed);
	unet_timer_close(&q->timer, dns_udp_query_closed);
}

/* Sends the query to upstream @q->cur with a new id. */
static int dns_udp_query_send(struct dns_udp_query *q)
{
	struct unet_dns *dns = q->dns;
	uv_buf_t b;
	char a[32];
	int r;

	if (q->connected) {
		uv_udp_connect(&q->sock, NULL);
		q->connected = false;
	}
	r = uv_udp_connect(&q->sock, (const struct sockaddr *)&q->up[q->cur]);
	if (r == 0) {
		q->connected = true;
		q->up_id = dns_new_id(dns, q->info.id);
		dns_put16(q->msg + DNS_OFF_ID, q->up_id);
		b = uv_buf_init((char *)q->msg, (unsigned int)q->len);
		r = uv_udp_try_send(&q->sock, &b, 1, NULL);
		if (r >= 0 && (size_t)r != q->len)
			r = UV_EMSGSIZE;
	}
	if (r < 0) {
		dns_log(dns, UNET_LOG_DEBUG, "upstream %s: %s",
			dns_addr_str(&q->up[q->cur], a, sizeof(a)),
			uv_strerror(r));
		return r;
	}
	return 0;
}

static void dns_udp_query_timeout(struct unet_timer *timer);

/*
 * Asks the upstreams from @q->cur on, in order, until a send succeeds; when
 * none is left, answers SERVFAIL and ends the query.
 */
static void dns_udp_query_try(struct dns_udp_query *q)
{
	struct unet_dns *dns = q->dns;

	unet_timer_stop(&q->timer);
	for (; q->cur < q->n_up; q->cur++) {
		if (dns_udp_query_send(q) == 0) {
			unet_timer_start(&q->timer, dns_udp_query_timeout,
					 DNS_UDP_TIMEOUT_MS);
			return;
		}
	}
	dns_log(dns, UNET_LOG_DEBUG, "no upstream answered id %u: SERVFAIL",
		q->info.id);
	dns_udp_servfail(dns, q->guest_addr, q->guest_port, q->msg, q->len,
			 &q->info);
	dns_udp_query_close(q);
}

static void dns_udp_query_timeout(struct unet_timer *timer)
{
	struct dns_udp_query *q = container_of(timer, struct dns_udp_query,
					       timer);
	char a[32];

	if (q->closing)
		return;
	dns_log(q->dns, UNET_LOG_DEBUG, "upstream %s timed out",
		dns_addr_str(&q->up[q->cur], a, sizeof(a)));
	q->cur++;
	dns_udp_query_try(q);
}

/* Passes an accepted reply to the guest, cut to what the guest can take. */
static void dns_udp_answer(struct dns_udp_query *q, const uint8_t *reply,
			   size_t len)
{
	struct unet_dns *dns = q->dns;
	size_t limit = DNS_UDP_PLAIN_MAX, n;
	uint16_t flags, qdcount;

	if (q->info.edns && q->info.edns_size > limit)
		limit = q->info.edns_size;
	if (len <= limit) {
		dns_udp_send(dns, q->guest_addr, q->guest_port, reply, len,
			     q->info.id);
		return;
	}
	/* The reply matched: it has the query's header and question. */
	flags = (uint16_t)(cursor_be16(reply, DNS_OFF_FLAGS) | DNS_FLAG_TC);
	qdcount = cursor_be16(reply, DNS_OFF_QDCOUNT);
	n = dns_build_short(dns->out, q->info.id, flags, qdcount,
			    dns_question(reply, len, q->info.qlen),
			    q->info.qlen);
	dns_udp_send(dns, q->guest_addr, q->guest_port, dns->out, n,
		     q->info.id);
}

static void dns_udp_up_alloc(uv_handle_t *handle, size_t suggested,
			     uv_buf_t *buf)
{
	struct dns_udp_query *q = handle->data;

	/* Used and done with before the next read: one buffer for all. */
	*buf = uv_buf_init((char *)q->dns->buf, DNS_BUF_LEN);
}

static void dns_udp_up_recv(uv_udp_t *sock, ssize_t nread,
			    const uv_buf_t *buf, const struct sockaddr *addr,
			    unsigned int flags)
{
	struct dns_udp_query *q = sock->data;
	const struct sockaddr_in *from = (const struct sockaddr_in *)addr;
	const struct sockaddr_in *up;
	char a[32];

	if (q->closing)
		return;
	up = &q->up[q->cur];
	if (nread < 0) {
		/* An ICMP error on the connected socket: no use waiting. */
		dns_log(q->dns, UNET_LOG_DEBUG, "upstream %s: %s",
			dns_addr_str(up, a, sizeof(a)),
			uv_strerror((int)nread));
		q->cur++;
		dns_udp_query_try(q);
		return;
	}
	if (addr == NULL || (flags & UV_UDP_PARTIAL) != 0)
		return;
	if (addr->sa_family != AF_INET ||
	    from->sin_addr.s_addr != up->sin_addr.s_addr ||
	    from->sin_port != up->sin_port) {
		dns_log(q->dns, UNET_LOG_DEBUG,
			"reply from %s ignored: not the upstream asked",
			addr->sa_family == AF_INET ?
				dns_addr_str(from, a, sizeof(a)) : "?");
		return;
	}
	if (!dns_reply_matches((const uint8_t *)buf->base, (size_t)nread,
			       q->up_id, q->msg, q->len)) {
		dns_log(q->dns, UNET_LOG_DEBUG,
			"reply from %s ignored: id or question differ",
			dns_addr_str(from, a, sizeof(a)));
		return;
	}
	dns_udp_answer(q, (const uint8_t *)buf->base, (size_t)nread);
	dns_udp_query_close(q);
}

/* Starts forwarding a checked query from a guest. */
static void dns_udp_query_start(struct unet_dns *dns, uint32_t addr,
				uint16_t port, const uint8_t *msg, size_t len,
				const struct dns_query_info *info)
{
	uv_loop_t *loop = unet_hub_loop(dns->hub);
	struct sockaddr_in up[UNET_DNS_UPSTREAM_MAX], any;
	struct dns_udp_query *q;
	unsigned int n_up;

	for (q = dns->queries; q != NULL; q = q->next) {
		if (q->guest_addr == addr && q->guest_port == port &&
		    q->info.id == info->id)
			return; /* a retransmission: the first one answers */
	}
	n_up = dns_upstreams(dns, up);
	if (n_up == 0 || dns->n_queries >= DNS_UDP_PENDING_MAX) {
		if (n_up > 0)
			dns_log(dns, UNET_LOG_INFO,
				"%u queries pending: SERVFAIL",
				dns->n_queries);
		dns_udp_servfail(dns, addr, port, msg, len, info);
		return;
	}
	q = calloc(1, sizeof(*q) + len);
	if (q == NULL) {
		dns_udp_servfail(dns, addr, port, msg, len, info);
		return;
	}
	if (uv_udp_init(loop, &q->sock) < 0) {
		free(q);
		dns_udp_servfail(dns, addr, port, msg, len, info);
		return;
	}
	unet_timer_init(dns->hub, &q->timer);
	q->sock.data = q->timer.uv.data = q;
	q->handles = 2;
	dns_handle_get(dns);
	dns_handle_get(dns);
	q->dns = dns;
	q->guest_addr = addr;
	q->guest_port = port;
	q->info = *info;
	memcpy(q->up, up, n_up * sizeof(*up));
	q->n_up = n_up;
	q->len = len;
	memcpy(q->msg, msg, len);
	q->next = dns->queries;
	dns->queries = q;
	dns->n_queries++;

	/*
	 * Bound to port 0 without a port lock: each connect to the next
	 * upstream gets a new ephemeral port.
	 */
	uv_ip4_addr("0.0.0.0", 0, &any);
	if (uv_udp_bind(&q->sock, (const struct sockaddr *)&any, 0) < 0 ||
	    uv_udp_recv_start(&q->sock, dns_udp_up_alloc,
			      dns_udp_up_recv) < 0)
		q->cur = q->n_up;
	dns_udp_query_try(q);
}

static void dns_udp_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p,
			 const ip_addr_t *addr, u16_t port)
{
	struct unet_dns *dns = arg;
	struct dns_query_info info;
	size_t len = p->tot_len, n;
	uint32_t src;

	if (!IP_IS_V4(addr)) {
		pbuf_free(p);
		return;
	}
	src = ip4_addr_get_u32(ip_2_ip4(addr));
	/*
	 * A reply to these could not be delivered, or would go to the
	 * gateway itself: the upstream is asked for guests only.
	 */
	if (port == 0 || !unet__stack_is_guest_addr(dns->stack, src)) {
		dns->stats->dns_drop++;
		dns_log(dns, UNET_LOG_DEBUG, "query from a bad source dropped");
		pbuf_free(p);
		return;
	}
	if (len > DNS_UDP_QUERY_MAX) {
		dns->stats->dns_drop++;
		dns_log(dns, UNET_LOG_DEBUG, "%zu-byte query dropped", len);
		pbuf_free(p);
		return;
	}
	pbuf_copy_partial(p, dns->buf, (u16_t)len, 0);
	pbuf_free(p);
	if (dns_query_parse(dns->buf, len, &info) < 0) {
		dns->stats->dns_drop++;
		dns_log(dns, UNET_LOG_DEBUG, "malformed %zu-byte query dropped",
			len);
		return;
	}
	dns->stats->dns_queries++;
	if (dns_refused(dns)) {
		n = dns_build_error(dns->out, dns->buf, len, &info,
				    DNS_RCODE_REFUSED);
		dns_udp_send(dns, src, port, dns->out, n, info.id);
		return;
	}
	dns_udp_query_start(dns, src, port, dns->buf, len, &info);
}

/* ---- TCP ---------------------------------------------------------------- */

static err_t dns_tcp_process(struct dns_tcp_conn *conn);
static void dns_tcp_try(struct dns_tcp_conn *conn);

static void dns_tcp_conn_closed(uv_handle_t *handle)
{
	struct dns_tcp_conn *conn = handle->data;
	struct unet_dns *dns = conn->dns;

	free(conn->in);
	free(conn->msg);
	free(conn->out);
	free(conn);
	dns_handle_put(dns);
}

static void dns_tcp_att_closed(uv_handle_t *handle)
{
	struct dns_tcp_att *att = handle->data;
	struct unet_dns *dns = att->dns;

	free(att->wbuf);
	free(att->rbuf);
	free(att);
	dns_handle_put(dns);
}

/* Gives up an upstream connection; its memory goes once it closed. */
static void dns_tcp_att_close(struct dns_tcp_att *att)
{
	if (att->conn != NULL && att->conn->att == att)
		att->conn->att = NULL;
	att->conn = NULL;
	uv_close((uv_handle_t *)&att->tcp, dns_tcp_att_closed);
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
	if (conn->att != NULL)
		dns_tcp_att_close(conn->att);
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
static void dns_tcp_reply(struct dns_tcp_conn *conn, uint8_t *out,
			  size_t len)
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

static void dns_tcp_servfail(struct dns_tcp_conn *conn)
{
	struct unet_dns *dns = conn->dns;
	uint8_t *out;
	size_t n;

	out = malloc(DNS_TCP_LEN_LEN + DNS_HLEN + conn->info.qlen);
	if (out == NULL) {
		dns_tcp_close(conn, true);
		return;
	}
	n = dns_build_error(out + DNS_TCP_LEN_LEN, conn->msg, conn->msg_len,
			    &conn->info, DNS_RCODE_SERVFAIL);
	dns_put16(out, (uint16_t)n);
	dns->stats->dns_servfail++;
	dns_tcp_reply(conn, out, DNS_TCP_LEN_LEN + n);
}

/* From a uv callback: goes on with the next buffered query, if any. */
static void dns_tcp_kick(struct dns_tcp_conn *conn)
{
	if (!conn->closing && !conn->busy)
		dns_tcp_process(conn);
}

/* The upstream connection failed: the next upstream, or SERVFAIL. */
static void dns_tcp_att_fail(struct dns_tcp_att *att, const char *what,
			     int err)
{
	struct dns_tcp_conn *conn = att->conn;
	char a[32];

	dns_log(att->dns, UNET_LOG_DEBUG, "upstream %s over TCP: %s%s%s",
		dns_addr_str(&conn->up[conn->cur], a, sizeof(a)), what,
		err != 0 ? ": " : "", err != 0 ? uv_strerror(err) : "");
	dns_tcp_att_close(att);
	conn->cur++;
	dns_tcp_try(conn);
	dns_tcp_kick(conn);
}

/* A whole reply was read: check it and pass it to the guest. */
static void dns_tcp_att_done(struct dns_tcp_att *att)
{
	struct dns_tcp_conn *conn = att->conn;
	uint8_t *out = att->rbuf;
	struct unet_cursor c = cursor_init(out, DNS_TCP_LEN_LEN + att->rlen);
	size_t rlen = att->rlen;
	const uint8_t *reply;

	cursor_take(&c, DNS_TCP_LEN_LEN);
	reply = cursor_take(&c, rlen);
	if (!dns_reply_matches(reply, rlen, att->id, conn->msg,
			       conn->msg_len)) {
		dns_tcp_att_fail(att, "id or question differ", 0);
		return;
	}
	att->rbuf = NULL;
	dns_put16(out, (uint16_t)rlen);
	dns_put16(out + DNS_TCP_LEN_LEN + DNS_OFF_ID, conn->info.id);
	dns_tcp_att_close(att);
	dns_tcp_reply(conn, out, DNS_TCP_LEN_LEN + rlen);
	dns_tcp_kick(conn);
}

static void dns_tcp_att_alloc(uv_handle_t *handle, size_t suggested,
			      uv_buf_t *buf)
{
	struct dns_tcp_att *att = handle->data;

	/* Exactly what is missing: the length field, then the message. */
	if (att->rbuf == NULL)
		*buf = uv_buf_init((char *)att->hdr + att->hdr_got,
				   (unsigned int)(DNS_TCP_LEN_LEN -
						  att->hdr_got));
	else
		*buf = uv_buf_init((char *)att->rbuf + DNS_TCP_LEN_LEN +
					   att->rgot,
				   (unsigned int)(att->rlen - att->rgot));
}

static void dns_tcp_att_read(uv_stream_t *stream, ssize_t nread,
			     const uv_buf_t *buf)
{
	struct dns_tcp_att *att = stream->data;

	if (att->conn == NULL || nread == 0)
		return;
	if (nread < 0) {
		dns_tcp_att_fail(att, nread == UV_EOF ? "closed" : "read",
				 nread == UV_EOF ? 0 : (int)nread);
		return;
	}
	if (att->rbuf == NULL) {
		att->hdr_got += (size_t)nread;
		if (att->hdr_got < DNS_TCP_LEN_LEN)
			return;
		att->rlen = cursor_be16(att->hdr, 0);
		if (att->rlen < DNS_HLEN) {
			dns_tcp_att_fail(att, "short reply", 0);
			return;
		}
		att->rbuf = malloc(DNS_TCP_LEN_LEN + att->rlen);
		if (att->rbuf == NULL) {
			dns_tcp_att_fail(att, "out of memory", 0);
			return;
		}
		return;
	}
	att->rgot += (size_t)nread;
	if (att->rgot == att->rlen) {
		uv_read_stop(stream);
		dns_tcp_att_done(att);
	}
}

static void dns_tcp_att_written(uv_write_t *req, int status)
{
	struct dns_tcp_att *att = req->data;

	if (att->conn != NULL && status < 0)
		dns_tcp_att_fail(att, "write", status);
}

static void dns_tcp_att_connected(uv_connect_t *req, int status)
{
	struct dns_tcp_att *att = req->data;
	uv_buf_t b;
	int r;

	if (att->conn == NULL)
		return;
	if (status < 0) {
		dns_tcp_att_fail(att, "connect", status);
		return;
	}
	b = uv_buf_init((char *)att->wbuf, (unsigned int)att->wlen);
	r = uv_write(&att->write, (uv_stream_t *)&att->tcp, &b, 1,
		     dns_tcp_att_written);
	if (r == 0)
		r = uv_read_start((uv_stream_t *)&att->tcp, dns_tcp_att_alloc,
				  dns_tcp_att_read);
	if (r < 0)
		dns_tcp_att_fail(att, "write", r);
}

/* Opens a connection to upstream @conn->cur and sends the query with a new id. */
static int dns_tcp_att_start(struct dns_tcp_conn *conn)
{
	struct unet_dns *dns = conn->dns;
	struct dns_tcp_att *att;
	char a[32];
	int r;

	att = calloc(1, sizeof(*att));
	if (att == NULL)
		return -ENOMEM;
	att->wlen = DNS_TCP_LEN_LEN + conn->msg_len;
	att->wbuf = malloc(att->wlen);
	if (att->wbuf == NULL) {
		free(att);
		return -ENOMEM;
	}
	att->id = dns_new_id(dns, conn->info.id);
	dns_put16(att->wbuf, (uint16_t)conn->msg_len);
	memcpy(att->wbuf + DNS_TCP_LEN_LEN, conn->msg, conn->msg_len);
	dns_put16(att->wbuf + DNS_TCP_LEN_LEN + DNS_OFF_ID, att->id);
	r = uv_tcp_init(unet_hub_loop(dns->hub), &att->tcp);
	if (r < 0) {
		free(att->wbuf);
		free(att);
		return r;
	}
	att->dns = dns;
	att->tcp.data = att->connect.data = att->write.data = att;
	dns_handle_get(dns);
	r = uv_tcp_connect(&att->connect, &att->tcp,
			   (const struct sockaddr *)&conn->up[conn->cur],
			   dns_tcp_att_connected);
	if (r < 0) {
		dns_log(dns, UNET_LOG_DEBUG, "upstream %s over TCP: %s",
			dns_addr_str(&conn->up[conn->cur], a, sizeof(a)),
			uv_strerror(r));
		dns_tcp_att_close(att);
		return r;
	}
	att->conn = conn;
	conn->att = att;
	return 0;
}

/*
 * Asks the upstreams from @conn->cur on until a connection starts; when
 * none is left, answers SERVFAIL. Never takes the next query itself.
 */
static void dns_tcp_try(struct dns_tcp_conn *conn)
{
	for (; conn->cur < conn->n_up; conn->cur++) {
		if (dns_tcp_att_start(conn) == 0) {
			dns_tcp_arm(conn, DNS_TCP_TIMEOUT_MS);
			return;
		}
	}
	dns_log(conn->dns, UNET_LOG_DEBUG,
		"no upstream answered id %u over TCP: SERVFAIL",
		conn->info.id);
	dns_tcp_servfail(conn);
}

static void dns_tcp_timeout(struct unet_timer *timer)
{
	struct dns_tcp_conn *conn = container_of(timer, struct dns_tcp_conn,
						 timer);

	if (conn->closing)
		return;
	if (conn->att != NULL) {
		dns_tcp_att_fail(conn->att, "timed out", 0);
		return;
	}
	dns_log(conn->dns, UNET_LOG_DEBUG, "idle TCP connection closed");
	dns_tcp_close(conn, false);
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
	struct unet_cursor c;
	const uint8_t *start;
	size_t mlen;
	int r;

	while (!conn->closing && !conn->busy) {
		c = cursor_init(conn->in, conn->in_off + conn->in_len);
		cursor_take(&c, conn->in_off);
		start = c.p;
		r = dns_tcp_frame(start, c.len, &mlen);
		if (r == 0)
			break;
		if (r < 0) {
			dns->stats->dns_drop++;
			dns_log(dns, UNET_LOG_DEBUG,
				"TCP message of length 0: connection reset");
			return dns_tcp_close(conn, true);
		}
		cursor_take(&c, DNS_TCP_LEN_LEN);
		conn->msg = malloc(mlen);
		if (conn->msg == NULL)
			return dns_tcp_close(conn, true);
		memcpy(conn->msg, cursor_take(&c, mlen), mlen);
		conn->msg_len = mlen;
		conn->in_off += DNS_TCP_LEN_LEN + mlen;
		conn->in_len -= DNS_TCP_LEN_LEN + mlen;
		if (dns_query_parse(conn->msg, mlen, &conn->info) < 0) {
			dns->stats->dns_drop++;
			dns_log(dns, UNET_LOG_DEBUG,
				"malformed %zu-byte query over TCP: connection reset",
				mlen);
			return dns_tcp_close(conn, true);
		}
		dns->stats->dns_queries++;
		conn->busy = true;
		conn->n_up = dns_upstreams(dns, conn->up);
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
	pbuf_copy_partial(p, conn->in + conn->in_off + conn->in_len,
			  p->tot_len, 0);
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
	if (dns_refused(dns)) {
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
	if (conn == NULL) {
		tcp_abort(newpcb);
		return ERR_ABRT;
	}
	conn->dns = dns;
	conn->pcb = newpcb;
	unet_timer_init(dns->hub, &conn->timer);
	conn->timer.uv.data = conn;
	dns_handle_get(dns);
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

/* ---- start and stop ----------------------------------------------------- */

static int dns_listen(struct unet_dns *dns, const ip_addr_t *addr)
{
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
	dns->listen = lpcb;
	return 0;
}

/**
 * unet__dns_start() - start the DNS forwarder on the DNS address, port 53
 * @stack: the stack
 *
 * Binds UDP and TCP port 53 of the configuration's DNS address and, when
 * the configuration names no upstream servers, reads resolv_conf (a missing
 * or empty file is no error: queries are then answered SERVFAIL).
 *
 * Return: 0; -ENOMEM; -EADDRINUSE when port 53 is taken.
 */
int unet__dns_start(struct unet_stack *stack)
{
	const struct unet_stack_config *cfg = unet__stack_config(stack);
	struct unet_hub *hub = unet__stack_hub(stack);
	struct unet_dns *dns;
	ip_addr_t addr;
	char a[32];
	unsigned int i;
	int r;

	dns = calloc(1, sizeof(*dns));
	if (dns == NULL)
		return -ENOMEM;
	dns->stack = stack;
	dns->hub = hub;
	dns->stats = unet__stack_stats(stack);
	for (i = 0; i < UNET_LOG_LEVEL_NUM; i++) {
		dns->log_tokens[i] = DNS_LOG_BURST;
		dns->log_refill_ns[i] = unet_hub_now_ns(hub);
	}
	dns->buf = malloc(DNS_BUF_LEN);
	dns->out = malloc(DNS_BUF_LEN);
	dns->udp = udp_new();
	if (dns->buf == NULL || dns->out == NULL || dns->udp == NULL) {
		if (dns->udp != NULL)
			udp_remove(dns->udp);
		dns_free(dns);
		return -ENOMEM;
	}
	ip_addr_set_ip4_u32_val(addr, cfg->dns.s_addr);
	if (udp_bind(dns->udp, &addr, DNS_PORT) != ERR_OK) {
		unet_hub_log(hub, UNET_LOG_ERROR, "dns: UDP port %d is taken",
			     DNS_PORT);
		udp_remove(dns->udp);
		dns_free(dns);
		return -EADDRINUSE;
	}
	udp_recv(dns->udp, dns_udp_recv, dns);
	r = dns_listen(dns, &addr);
	if (r < 0) {
		unet_hub_log(hub, UNET_LOG_ERROR,
			     "dns: cannot listen on TCP port %d: %s", DNS_PORT,
			     strerror(-r));
		udp_remove(dns->udp);
		dns_free(dns);
		return r;
	}
	if (cfg->n_dns_upstream == 0) {
		dns_resolv_refresh(dns);
	} else {
		for (i = 0; i < cfg->n_dns_upstream; i++)
			unet_hub_log(hub, UNET_LOG_DEBUG,
				     "dns: upstream server %s",
				     dns_addr_str(&cfg->dns_upstream[i], a,
						  sizeof(a)));
	}
	unet__stack_services(stack)->dns = dns;
	return 0;
}

/**
 * unet__dns_fds_max() - the most file descriptors the forwarder holds
 *
 * Return: one socket per pending UDP query and one upstream connection per
 * guest TCP connection, at their limits.
 */
unsigned int unet__dns_fds_max(void)
{
	return DNS_UDP_PENDING_MAX + DNS_TCP_CONNS_MAX;
}

/**
 * unet__dns_stop() - stop the DNS forwarder
 * @stack: the stack
 *
 * Releases the pcbs at once (guest TCP connections are reset) and gives up
 * every query under way without answering it; the memory goes once the
 * host sockets and timers are closed. Does nothing when the forwarder was
 * not started.
 */
void unet__dns_stop(struct unet_stack *stack)
{
	struct stack_services *s = unet__stack_services(stack);
	struct unet_dns *dns = s->dns;

	if (dns == NULL)
		return;
	s->dns = NULL;
	dns->stopping = true;
	udp_remove(dns->udp);
	dns->udp = NULL;
	if (dns->listen != NULL) {
		tcp_arg(dns->listen, NULL);
		tcp_accept(dns->listen, NULL);
		tcp_close(dns->listen);
		dns->listen = NULL;
	}
	while (dns->queries != NULL)
		dns_udp_query_close(dns->queries);
	while (dns->conns != NULL)
		dns_tcp_close(dns->conns, true);
	if (dns->n_handles == 0)
		dns_free(dns);
}
