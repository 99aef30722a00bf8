/* SPDX-License-Identifier: MIT */
/*
 * The gateway's DNS forwarder, on the DNS address (default 10.0.2.3) and
 * the IPv6 one (default fec0::3) port 53, UDP and TCP: the service, and its
 * UDP side. The TCP side is
 * dns_tcp.c, the message codec dns_msg.c, resolv.conf reading dns_conf.c.
 *
 * Theory of operation: the forwarder keeps no cache and answers nothing
 * itself; it hands each of the guest's queries to the host's resolvers over
 * host sockets and passes their answer back. The resolvers are the
 * configuration's dns_upstream list then its dns_upstream6 list or, when
 * both are empty, the "nameserver" lines of resolv_conf, IPv4 and IPv6
 * (default /etc/resolv.conf; dns_conf.c
 * reads it again when it changes, looked at no more than once a second and
 * only when a query needs it). Each query takes a copy of the list, so a
 * re-read never affects one under way.
 *
 * Every query is checked before it is forwarded (unet__dns_query_parse():
 * a header, QR 0, at least one well-formed question). A query that fails
 * the check is dropped and counted (dns_drop); over TCP the connection is
 * also reset.
 *
 * UDP: lwIP UDP pcbs bound to (dns, 53) and (ip6_dns, 53). Each query
 * becomes a pending query with its own host UDP socket, connected to the
 * upstream it asks: an IPv6 socket that also reaches IPv4 upstreams (as
 * ::ffff:a.b.c.d), or an IPv4 one where the host has no IPv6 (IPv6
 * upstreams then fail over at once).
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
 * Memory a guest can make this hold: per pending UDP query a struct with the
 * query (at most DNS_UDP_QUERY_MAX bytes) and two uv handles; per TCP
 * connection what dns_tcp.c says. Two shared 64 KiB buffers: one takes a
 * guest's UDP query, an upstream's UDP reply or TCP bytes (each used up
 * before the next arrives), the other is where short replies are built.
 * UDP queries over DNS_UDP_QUERY_MAX bytes, or from a source no guest can
 * have (port 0, or an address outside the network, its network or
 * broadcast address, or the gateway's own: unet__stack_is_guest_addr();
 * for IPv6, neither link-local nor inside the prefix, or a gateway
 * address), are dropped and counted. Log messages a guest can cause are rate-limited
 * (wire/log.h), per level.
 *
 * Restricted guests (restrict=on, unet__stack_restricted()): the forwarder
 * would be a channel out of a restricted guest (a query for a name under a
 * domain of the guest's choosing reaches that domain's servers), so every
 * query is refused unless the configuration keeps it on (restrict_dns): a
 * UDP query is answered REFUSED (nothing goes upstream), a TCP connection
 * is reset when it is accepted; both counted in dns_refused.
 *
 * The proxy's egress policy (through &unet_stack_proxy_ops.dns_query and
 * .dns_answer): each checked query's question names are shown to it
 * before the query goes upstream, and one it refuses is answered REFUSED
 * at once (UDP and TCP alike); each answer that matched a
 * query is read (unet__dns_answer_parse()) for the names and addresses it
 * teaches, and those are shown to it before the guest gets the answer, so
 * the proxy knows them by the time the guest connects.
 *
 * Counters: dns_queries (queries taken, UDP and TCP), dns_replies (every
 * reply sent to the guest, SERVFAIL included), dns_servfail (of those,
 * SERVFAIL from the forwarder itself), dns_drop (malformed queries and TCP
 * connections over the limit), dns_refused (queries of a restricted guest,
 * and queries the egress policy refused).
 *
 * Stopping closes every socket and timer; no reply is sent. The memory goes
 * with the last uv handle's close callback.
 */
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/ip.h"
#include "lwip/ip_addr.h"
#include "lwip/pbuf.h"
#include "lwip/udp.h"

#include "wire/dns_proto.h"
#include "wire/util.h"

#include "dns_internal.h"
#include "dns_msg.h"
#include "stack_proxy.h"

/** How long one upstream has to answer a UDP query, in milliseconds. */
#define DNS_UDP_TIMEOUT_MS 1000
/** UDP queries pending at once; one more is answered SERVFAIL at once. */
#define DNS_UDP_PENDING_MAX 256
/** Largest UDP query taken from the guest (real ones are far smaller). */
#define DNS_UDP_QUERY_MAX 4096
/** Largest UDP payload in IPv4: 65535 - 20 (IP) - 8 (UDP). */
#define DNS_UDP_PAYLOAD_MAX 65507

_Static_assert(DNS_BUF_LEN > DNS_UDP_PAYLOAD_MAX, "a whole datagram fits");
_Static_assert(DNS_UDP_QUERY_MAX <= DNS_BUF_LEN, "a query fits");

/**
 * struct dns_udp_query - a guest's UDP query waiting for an upstream
 * @dns: the forwarder
 * @next: next pending query
 * @sock: host socket, connected to the upstream being asked
 * @timer: the upstream's timeout
 * @handles: of @sock and @timer, not yet closed
 * @closing: answered or given up; the handles are closing
 * @connected: @sock is connected
 * @guest_addr: the guest's address (either family)
 * @guest_port: the guest's port
 * @info: what the checks found, @info.id the guest's id
 * @up_id: the id the current upstream was sent
 * @up: the upstreams, in order
 * @n_up: how many
 * @cur: the one being asked
 * @peer: it, as @sock is connected to it
 * @dual: @sock is IPv6 and reaches IPv4 upstreams as mapped addresses
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
	ip_addr_t guest_addr;
	uint16_t guest_port;
	struct unet__dns_query_info info;
	uint16_t up_id;
	union unet__dns_sa up[UNET__DNS_UP_MAX];
	unsigned int n_up;
	unsigned int cur;
	union unet__dns_sa peer;
	bool dual;
	size_t len;
	uint8_t msg[];
};

/* ---- helpers ------------------------------------------------------------ */

/**
 * unet__dns_new_id() - a new id for a query to an upstream
 * @dns: the forwarder (its hub's random source)
 * @guest_id: the guest's id, never chosen (so that the mapping is visible)
 *
 * Return: the id.
 */
uint16_t unet__dns_new_id(struct unet_dns *dns, uint16_t guest_id)
{
	uint16_t id = (uint16_t)unet_hub_random(dns->hub);

	if (id == guest_id)
		id ^= 0x8000;
	return id;
}

/**
 * unet__dns_refused() - whether a guest's query is refused
 * @dns: the forwarder
 *
 * A query is refused when the guest is restricted and the forwarder, a
 * channel to the outside through the upstream, is not kept on for it.
 * Counted and logged here.
 *
 * Return: true when refused.
 */
bool unet__dns_refused(struct unet_dns *dns)
{
	if (!unet__stack_restricted(dns->stack) ||
	    unet__stack_config(dns->stack)->restrict_dns)
		return false;
	dns->stats->dns_refused++;
	dns_log(dns, UNET_LOG_DEBUG, "the guest is restricted: query refused");
	return true;
}

/**
 * unet__dns_policy_refused() - whether the proxy's policy refuses a query
 * @dns: the forwarder
 * @msg: the query, checked by unet__dns_query_parse()
 * @len: its length
 * @info: what the checks found in it
 *
 * The first UNET_DNS_QUERY_NAMES_MAX questions' names are shown to the
 * proxy (unet__stack_dns_query_ok()), and past those one name that is no
 * host name stands for the rest; one refused refuses the query. Counted
 * in dns_refused.
 *
 * Return: true when refused.
 */
bool unet__dns_policy_refused(struct unet_dns *dns, const uint8_t *msg,
			      size_t len,
			      const struct unet__dns_query_info *info)
{
	char name[UNET_DNS_NAME_TEXT];
	unsigned int i;
	bool ok = true;
	int r;

	if (!unet__stack_dns_observed(dns->stack))
		return false;
	for (i = 0; ok && i < info->qdcount && i < UNET_DNS_QUERY_NAMES_MAX;
	     i++) {
		r = unet__dns_question_name(msg, len, i, name);
		ok = r >= 0 &&
		     unet__stack_dns_query_ok(dns->stack, r > 0 ? name : NULL);
	}
	/* The questions past those are asked about as names unknown. */
	if (ok && info->qdcount > UNET_DNS_QUERY_NAMES_MAX)
		ok = unet__stack_dns_query_ok(dns->stack, NULL);
	if (ok)
		return false;
	dns->stats->dns_refused++;
	dns_log(dns, UNET_LOG_DEBUG, "query id %u refused by the policy",
		info->id);
	return true;
}

/**
 * unet__dns_observe() - show the proxy what an answer teaches the guest
 * @dns: the forwarder
 * @reply: an upstream's reply that matched the guest's query
 * @len: its length
 */
void unet__dns_observe(struct unet_dns *dns, const uint8_t *reply, size_t len)
{
	if (!unet__stack_dns_observed(dns->stack))
		return;
	if (unet__dns_answer_parse(reply, len, dns->ans) < 0) {
		dns_log(dns, UNET_LOG_DEBUG,
			"malformed %zu-byte answer: no name learned", len);
		return;
	}
	if (dns->ans->n_addrs > 0)
		unet__stack_dns_answer(dns->stack, dns->ans);
}

/**
 * unet__dns_handle_get() - count a uv handle of the forwarder
 * @dns: the forwarder
 *
 * The forwarder, and the stack under it, live until every handle counted
 * is closed (unet__dns_handle_put() from its close callback).
 */
void unet__dns_handle_get(struct unet_dns *dns)
{
	dns->n_handles++;
	unet__stack_ref(dns->stack);
}

static void dns_free(struct unet_dns *dns)
{
	free(dns->buf);
	free(dns->out);
	free(dns->ans);
	free(dns);
}

/**
 * unet__dns_handle_put() - a handle of the forwarder finished closing
 * @dns: the forwarder; freed when stopped and this was its last handle
 *
 * May free the stack too.
 */
void unet__dns_handle_put(struct unet_dns *dns)
{
	struct unet_stack *stack = dns->stack;

	if (--dns->n_handles == 0 && dns->stopping)
		dns_free(dns);
	/* Last: it may free the stack. */
	unet__stack_unref(stack);
}

/**
 * unet__dns_upstreams() - the upstreams a new query asks
 * @dns: the forwarder
 * @up: receives them, in order (room for UNET__DNS_UP_MAX)
 *
 * The configuration's lists (IPv4, then IPv6), else resolv.conf's (read
 * again if it changed).
 *
 * Return: how many.
 */
unsigned int unet__dns_upstreams(struct unet_dns *dns, union unet__dns_sa *up)
{
	const struct unet_stack_config *cfg = unet__stack_config(dns->stack);
	unsigned int i, n = 0;

	if (cfg->n_dns_upstream > 0 || cfg->n_dns_upstream6 > 0) {
		for (i = 0; i < cfg->n_dns_upstream; i++)
			up[n++].in = cfg->dns_upstream[i];
		for (i = 0; i < cfg->n_dns_upstream6; i++)
			up[n++].in6 = cfg->dns_upstream6[i];
		return n;
	}
	unet__dns_resolv_refresh(&dns->resolv, cfg->resolv_conf,
				 unet_hub_now_ns(dns->hub), dns->hub);
	memcpy(up, dns->resolv.servers, dns->resolv.n * sizeof(*up));
	return dns->resolv.n;
}

/* An lwIP address of @a, an IPv6 address of the configuration. */
static void dns_ip6_addr(ip_addr_t *ip, const struct in6_addr *a)
{
	memset(ip, 0, sizeof(*ip));
	IP_SET_TYPE_VAL(*ip, IPADDR_TYPE_V6);
	memcpy(ip_2_ip6(ip)->addr, a->s6_addr, sizeof(a->s6_addr));
	ip6_addr_clear_zone(ip_2_ip6(ip));
}

/*
 * Whether a guest may ask from @a (unet__stack_is_guest_addr() for IPv4):
 * for IPv6 a link-local address or one inside the prefix, neither a group
 * nor a gateway address.
 */
static bool dns_guest_addr_ok(struct unet_dns *dns, const ip_addr_t *a)
{
	const struct unet_stack_config *cfg = unet__stack_config(dns->stack);
	const uint8_t *b;

	if (IP_IS_V4(a))
		return unet__stack_is_guest_addr(dns->stack,
						 ip4_addr_get_u32(ip_2_ip4(a)));
	b = (const uint8_t *)ip_2_ip6(a)->addr;
	if (!(b[0] == 0xfe && (b[1] & 0xc0) == 0x80) &&
	    memcmp(b, cfg->ip6_prefix.s6_addr, 8) != 0)
		return false;
	return !unet__stack_is_gateway_addr6(dns->stack, b);
}

/* ---- UDP ---------------------------------------------------------------- */

/*
 * Sends @len bytes of @msg with id @id from (dns, 53), or (ip6_dns, 53),
 * to a guest at @addr.
 */
static void dns_udp_send(struct unet_dns *dns, const ip_addr_t *addr,
			 uint16_t port, const uint8_t *msg, size_t len,
			 uint16_t id)
{
	const struct unet_stack_config *cfg = unet__stack_config(dns->stack);
	struct udp_pcb *pcb = dns->udp[IP_IS_V6(addr) ? 1 : 0];
	ip_addr_t src;
	struct pbuf *p;
	err_t e;

	if (pcb == NULL || len < DNS_HLEN || len > DNS_UDP_PAYLOAD_MAX)
		return;
	p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)len, PBUF_RAM);
	if (p == NULL) {
		dns_log(dns, UNET_LOG_WARN, "out of memory for a reply");
		return;
	}
	pbuf_take(p, msg, (u16_t)len);
	/* The guest's id, in lwIP's copy (PBUF_RAM: one piece). */
	unet__dns_set_id(p->payload, id);
	if (IP_IS_V6(addr))
		dns_ip6_addr(&src, &cfg->ip6_dns);
	else
		ip_addr_set_ip4_u32_val(src, cfg->dns.s_addr);
	e = udp_sendto_if_src(pcb, p, addr, port, unet__stack_netif(dns->stack),
			      &src);
	pbuf_free(p);
	if (e != ERR_OK) {
		dns_log(dns, UNET_LOG_DEBUG, "reply not sent (lwIP error %d)",
			e);
		return;
	}
	dns->stats->dns_replies++;
}

static void dns_udp_servfail(struct unet_dns *dns, const ip_addr_t *addr,
			     uint16_t port, const uint8_t *msg, size_t len,
			     const struct unet__dns_query_info *info)
{
	size_t n = unet__dns_build_error(dns->out, msg, len, info,
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
	unet__dns_handle_put(dns);
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
	char a[UNET__DNS_ADDR_STRLEN];
	uv_buf_t b;
	int r;

	if (q->connected) {
		uv_udp_connect(&q->sock, NULL);
		q->connected = false;
	}
	if (q->dual)
		unet__dns_sa_mapped(&q->up[q->cur], &q->peer);
	else
		q->peer = q->up[q->cur];
	r = uv_udp_connect(&q->sock, &q->peer.sa);
	if (r == 0) {
		q->connected = true;
		q->up_id = unet__dns_new_id(dns, q->info.id);
		unet__dns_set_id(q->msg, q->up_id);
		b = uv_buf_init((char *)q->msg, (unsigned int)q->len);
		r = uv_udp_try_send(&q->sock, &b, 1, NULL);
		if (r >= 0 && (size_t)r != q->len)
			r = UV_EMSGSIZE;
	}
	if (r < 0) {
		dns_log(dns, UNET_LOG_DEBUG, "upstream %s: %s",
			unet__dns_addr_str(&q->up[q->cur], a, sizeof(a)),
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
	dns_udp_servfail(dns, &q->guest_addr, q->guest_port, q->msg, q->len,
			 &q->info);
	dns_udp_query_close(q);
}

static void dns_udp_query_timeout(struct unet_timer *timer)
{
	struct dns_udp_query *q = container_of(timer, struct dns_udp_query,
					       timer);
	char a[UNET__DNS_ADDR_STRLEN];

	if (q->closing)
		return;
	dns_log(q->dns, UNET_LOG_DEBUG, "upstream %s timed out",
		unet__dns_addr_str(&q->up[q->cur], a, sizeof(a)));
	q->cur++;
	dns_udp_query_try(q);
}

/* Passes an accepted reply to the guest, cut to what the guest can take. */
static void dns_udp_answer(struct dns_udp_query *q, const uint8_t *reply,
			   size_t len)
{
	struct unet_dns *dns = q->dns;
	size_t limit = DNS_UDP_PLAIN_MAX, n;

	if (q->info.edns && q->info.edns_size > limit)
		limit = q->info.edns_size;
	if (len <= limit) {
		dns_udp_send(dns, &q->guest_addr, q->guest_port, reply, len,
			     q->info.id);
		return;
	}
	/* The reply matched: it has the query's header and question. */
	n = unet__dns_build_truncated(dns->out, reply, len, &q->info);
	dns_udp_send(dns, &q->guest_addr, q->guest_port, dns->out, n,
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
	const union unet__dns_sa *up;
	char a[UNET__DNS_ADDR_STRLEN];

	if (q->closing)
		return;
	up = &q->up[q->cur];
	if (nread < 0) {
		/* An ICMP error on the connected socket: no use waiting. */
		dns_log(q->dns, UNET_LOG_DEBUG, "upstream %s: %s",
			unet__dns_addr_str(up, a, sizeof(a)),
			uv_strerror((int)nread));
		q->cur++;
		dns_udp_query_try(q);
		return;
	}
	if (addr == NULL || (flags & UV_UDP_PARTIAL) != 0)
		return;
	if (!unet__dns_sa_same(addr, &q->peer)) {
		dns_log(q->dns, UNET_LOG_DEBUG,
			"reply from %s ignored: not the upstream asked",
			addr->sa_family == AF_INET ||
					addr->sa_family == AF_INET6 ?
				unet__dns_addr_str(
					(const union unet__dns_sa *)addr, a,
					sizeof(a)) :
				"?");
		return;
	}
	if (!unet__dns_reply_matches((const uint8_t *)buf->base, (size_t)nread,
				     q->up_id, q->msg, q->len)) {
		dns_log(q->dns, UNET_LOG_DEBUG,
			"reply from %s ignored: id or question differ",
			unet__dns_addr_str(up, a, sizeof(a)));
		return;
	}
	unet__dns_observe(q->dns, (const uint8_t *)buf->base, (size_t)nread);
	dns_udp_answer(q, (const uint8_t *)buf->base, (size_t)nread);
	dns_udp_query_close(q);
}

/*
 * Opens @q's socket: IPv6 reaching IPv4 upstreams too, else (a host without
 * IPv6) IPv4. Bound to port 0 without a port lock: each connect to the next
 * upstream gets a new ephemeral port. Return: 1 bound; 0 when the handle is
 * made but not bound (the query can only fail); a negative errno when no
 * handle was made.
 */
static int dns_udp_query_open(struct dns_udp_query *q, uv_loop_t *loop)
{
	struct sockaddr_in6 any6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in any = { .sin_family = AF_INET };
	int off = 0, r;
	uv_os_fd_t fd;

	if (uv_udp_init_ex(loop, &q->sock, AF_INET6) == 0) {
		q->dual = true;
		if (uv_fileno((uv_handle_t *)&q->sock, &fd) < 0 ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off,
			       sizeof(off)) < 0)
			return 0;
		return uv_udp_bind(&q->sock, (const struct sockaddr *)&any6,
				   0) == 0;
	}
	r = uv_udp_init(loop, &q->sock);
	if (r < 0)
		return r;
	return uv_udp_bind(&q->sock, (const struct sockaddr *)&any, 0) == 0;
}

/* Starts forwarding a checked query from a guest. */
static void dns_udp_query_start(struct unet_dns *dns, const ip_addr_t *addr,
				uint16_t port, const uint8_t *msg, size_t len,
				const struct unet__dns_query_info *info)
{
	uv_loop_t *loop = unet_hub_loop(dns->hub);
	union unet__dns_sa up[UNET__DNS_UP_MAX];
	struct dns_udp_query *q;
	unsigned int n_up;
	int r;

	for (q = dns->queries; q != NULL; q = q->next) {
		if (ip_addr_cmp(&q->guest_addr, addr) &&
		    q->guest_port == port && q->info.id == info->id)
			return; /* a retransmission: the first one answers */
	}
	n_up = unet__dns_upstreams(dns, up);
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
	r = dns_udp_query_open(q, loop);
	if (r < 0) {
		free(q);
		dns_udp_servfail(dns, addr, port, msg, len, info);
		return;
	}
	unet_timer_init(dns->hub, &q->timer);
	q->sock.data = q->timer.uv.data = q;
	q->handles = 2;
	unet__dns_handle_get(dns);
	unet__dns_handle_get(dns);
	q->dns = dns;
	ip_addr_copy(q->guest_addr, *addr);
	q->guest_port = port;
	q->info = *info;
	memcpy(q->up, up, n_up * sizeof(*up));
	q->n_up = n_up;
	q->len = len;
	memcpy(q->msg, msg, len);
	q->next = dns->queries;
	dns->queries = q;
	dns->n_queries++;

	if (r == 0 ||
	    uv_udp_recv_start(&q->sock, dns_udp_up_alloc, dns_udp_up_recv) < 0)
		q->cur = q->n_up;
	dns_udp_query_try(q);
}

static void dns_udp_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p,
			 const ip_addr_t *addr, u16_t port)
{
	struct unet_dns *dns = arg;
	struct unet__dns_query_info info;
	size_t len = p->tot_len, n;

	/*
	 * A reply to these could not be delivered, or would go to the
	 * gateway itself: the upstream is asked for guests only.
	 */
	if (port == 0 || !dns_guest_addr_ok(dns, addr)) {
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
	if (unet__dns_query_parse(dns->buf, len, &info) < 0) {
		dns->stats->dns_drop++;
		dns_log(dns, UNET_LOG_DEBUG, "malformed %zu-byte query dropped",
			len);
		return;
	}
	dns->stats->dns_queries++;
	if (unet__dns_refused(dns) ||
	    unet__dns_policy_refused(dns, dns->buf, len, &info)) {
		n = unet__dns_build_error(dns->out, dns->buf, len, &info,
					  DNS_RCODE_REFUSED);
		dns_udp_send(dns, addr, port, dns->out, n, info.id);
		return;
	}
	dns_udp_query_start(dns, addr, port, dns->buf, len, &info);
}

/* ---- start and stop ----------------------------------------------------- */

/* Binds UDP and TCP port 53 of @addr, into slot @i of the pcbs. */
static int dns_bind(struct unet_dns *dns, const ip_addr_t *addr, unsigned int i)
{
	struct unet_hub *hub = dns->hub;
	int r;

	dns->udp[i] = udp_new_ip_type(IP_GET_TYPE(addr));
	if (dns->udp[i] == NULL)
		return -ENOMEM;
	if (udp_bind(dns->udp[i], addr, DNS_PORT) != ERR_OK) {
		unet_hub_log(hub, UNET_LOG_ERROR, "dns: UDP port %d is taken",
			     DNS_PORT);
		return -EADDRINUSE;
	}
	udp_recv(dns->udp[i], dns_udp_recv, dns);
	r = unet__dns_tcp_listen(dns, addr);
	if (r < 0)
		unet_hub_log(hub, UNET_LOG_ERROR,
			     "dns: cannot listen on TCP port %d: %s", DNS_PORT,
			     strerror(-r));
	return r;
}

/* Releases the UDP pcbs and the TCP side's listeners and connections. */
static void dns_unbind(struct unet_dns *dns)
{
	size_t i;

	for (i = 0; i < UNET__ARRAY_SIZE(dns->udp); i++) {
		if (dns->udp[i] != NULL)
			udp_remove(dns->udp[i]);
		dns->udp[i] = NULL;
	}
	unet__dns_tcp_stop(dns);
}

/**
 * unet__dns_start() - start the DNS forwarder on the DNS address, port 53
 * @stack: the stack
 *
 * Binds UDP and TCP port 53 of the configuration's DNS address, and of its
 * IPv6 DNS address unless IPv6 is off, and, when
 * the configuration names no upstream servers, reads resolv_conf (a missing
 * or empty file is no error: queries are then answered SERVFAIL).
 *
 * Return: 0; -ENOMEM; -EADDRINUSE when port 53 is taken.
 */
int unet__dns_start(struct unet_stack *stack)
{
	const struct unet_stack_config *cfg = unet__stack_config(stack);
	struct unet_hub *hub = unet__stack_hub(stack);
	union unet__dns_sa up[UNET__DNS_UP_MAX];
	char a[UNET__DNS_ADDR_STRLEN];
	struct unet_dns *dns;
	ip_addr_t addr[2];
	unsigned int i, n;
	int r;

	dns = calloc(1, sizeof(*dns));
	if (dns == NULL)
		return -ENOMEM;
	dns->stack = stack;
	dns->hub = hub;
	dns->stats = unet__stack_stats(stack);
	dns->buf = malloc(DNS_BUF_LEN);
	dns->out = malloc(DNS_BUF_LEN);
	dns->ans = malloc(sizeof(*dns->ans));
	if (dns->buf == NULL || dns->out == NULL || dns->ans == NULL) {
		dns_free(dns);
		return -ENOMEM;
	}
	ip_addr_set_ip4_u32_val(addr[0], cfg->dns.s_addr);
	dns_ip6_addr(&addr[1], &cfg->ip6_dns);
	n = cfg->no_ipv6 ? 1 : 2;
	for (i = 0; i < n; i++) {
		r = dns_bind(dns, &addr[i], i);
		if (r < 0) {
			dns_unbind(dns);
			dns_free(dns);
			return r;
		}
	}
	if (cfg->n_dns_upstream == 0 && cfg->n_dns_upstream6 == 0) {
		unet__dns_resolv_refresh(&dns->resolv, cfg->resolv_conf,
					 unet_hub_now_ns(hub), hub);
	} else {
		n = unet__dns_upstreams(dns, up);
		for (i = 0; i < n; i++)
			unet_hub_log(hub, UNET_LOG_DEBUG,
				     "dns: upstream server %s",
				     unet__dns_addr_str(&up[i], a, sizeof(a)));
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
	dns_unbind(dns);
	while (dns->queries != NULL)
		dns_udp_query_close(dns->queries);
	if (dns->n_handles == 0)
		dns_free(dns);
}
