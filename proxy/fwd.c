/* SPDX-License-Identifier: MIT */
/*
 * Host-to-guest forwards (QEMU's hostfwd=): a host socket that listens on
 * the host and opens flows towards the guest from the gateway's side.
 *
 * Theory of operation: each forward owns one host handle. A TCP forward is
 * a listening uv_tcp_t; every connection it gets is handed to tcp.c
 * (unet__tcp_inbound()), which accepts it into a flow of its own and
 * connects to the guest from the gateway. From then on the flow lives on
 * without the forward: removing the forward stops new connections only.
 *
 * A UDP forward is a bound uv_udp_t. Each host peer (address, port) that
 * sends to it gets an inbound UDP flow: an lwIP udp pcb bound to the
 * gateway's address on an ephemeral port (lwIP picks it) and connected to
 * the guest's address and port. The guest sees the datagram come from
 * gateway:ephemeral; what it answers there reaches the pcb, and is sent back
 * to the host peer through the forward's socket. Such flows belong to their
 * forward: removing the forward closes them. They expire after udp_timeout_ms
 * without traffic (a timer per flow, re-armed lazily from the flow's last
 * activity, so busy flows cost no timer work per datagram).
 *
 * Inbound UDP flows are found by their host peer in a hash table of their
 * forward, not in the proxy's table: two forwards may lead to the same guest
 * address and port and be used by the same host peer, so (guest, peer) is
 * not a unique key across forwards. They are still on the proxy's flow list
 * (for the limit, the flow table and closing).
 *
 * What can go wrong: the host port is taken or not ours (the bind or listen
 * error is returned); a host peer floods new peer addresses (bounded by
 * the UDP flow cap, where the flow idle longest makes room, each refusal
 * counted; a hostile peer cannot pick our hash
 * buckets, which are seeded per forward); a datagram larger than the guest
 * path (lwIP fragments to the hub's MTU); the host socket is full (the guest's
 * reply is dropped, as UDP may). One UDP forward bound to a wildcard address
 * answers from whatever source address the host's routing picks, as QEMU's.
 *
 * Kept sources (&unet_proxy_config.keepsrc): lwIP's side of a forwarded
 * flow binds to the client's own address and port instead of the
 * gateway's (unet__flow_fwd_src(); a client the guest could not answer
 * stays behind the gateway). lwIP takes any destination, so the guest's
 * answers, sent to its default route, reach that pcb: a TCP pcb as any
 * segment that is not a new SYN; a UDP flow is keyed in the proxy's table
 * by (guest, client), so that udp.c leaves those datagrams to lwIP.
 *
 * IPv6: a forward's host side and guest side each have their own family
 * (struct unet_fwd_ex): an IPv6 host address listens on IPv6 only, and an
 * IPv6 guest address is reached from the gateway's ip6_host. Since the
 * proxy terminates each side, any mix works (an IPv4 host port to a guest's
 * IPv6 address and the other way round); struct unet_fwd and its calls
 * are the IPv4-on-both-sides case.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proxy_internal.h"

#include "wire/ip4_proto.h"
#include "wire/ip6_proto.h"
#include "wire/udp_proto.h"

/* Listen backlog of a TCP forward. */
#define FWD_BACKLOG 128
/* Buckets a UDP forward's peer table starts with; it doubles as it fills. */
#define FWD_UDP_BUCKETS_MIN 16
/* Largest UDP payload over IPv4 (and the receive buffer of a UDP forward). */
#define FWD_UDP_MAX 65535

struct fwd_udp_flow;

/**
 * struct proxy_fwd - one forward
 * @next: next forward of the proxy
 * @proxy: the proxy
 * @fwd: what it forwards (the host port as bound, never 0)
 * @tcp: the listening socket (TCP forwards)
 * @udp: the bound socket (UDP forwards)
 * @handle: either, as a handle
 * @buckets: UDP: the inbound flows by host peer; NULL until the first one
 * @nbuckets: UDP: size of @buckets, a power of two
 * @nflows: UDP: inbound flows of this forward
 * @flows: UDP: every inbound flow of this forward
 * @seed: UDP: hash seed of @buckets
 * @buf: UDP: receive buffer (datagrams are handled as soon as read)
 */
struct proxy_fwd {
	struct proxy_fwd *next;
	struct unet_proxy *proxy;
	struct unet_fwd_ex fwd;
	union {
		uv_tcp_t tcp;
		uv_udp_t udp;
		uv_handle_t handle;
	};
	struct fwd_udp_flow **buckets;
	size_t nbuckets;
	size_t nflows;
	struct fwd_udp_flow *flows;
	uint32_t seed;
	char *buf;
};

/**
 * struct fwd_udp_flow - an inbound UDP flow (one host peer of a UDP forward)
 * @flow: the flow base (remote = gateway:ephemeral, the address the guest
 *        sees, as for inbound TCP flows; its timer expires it)
 * @fwd: its forward; cleared when the flow is closed
 * @hnext: next flow in the same bucket of @fwd
 * @prev: previous flow of @fwd
 * @next: next flow of @fwd
 * @pcb: lwIP's side, bound to gateway:ephemeral, connected to the guest
 * @peer: the host peer (of the forward's host family)
 */
struct fwd_udp_flow {
	struct proxy_flow flow;
	struct proxy_fwd *fwd;
	struct fwd_udp_flow *hnext;
	struct fwd_udp_flow *prev;
	struct fwd_udp_flow *next;
	struct udp_pcb *pcb;
	union unet_sockaddr peer;
};

/* A socket address's port (network order). */
static uint16_t fwd_sa_port(const union unet_sockaddr *sa)
{
	return sa->sa.sa_family == AF_INET6 ? sa->in6.sin6_port :
					      sa->in.sin_port;
}

/* A socket address's address (and family) as a flow keeps it. */
static sa_family_t fwd_sa_ip(const union unet_sockaddr *sa,
			     union unet_ip_addr *ip)
{
	memset(ip, 0, sizeof(*ip));
	if (sa->sa.sa_family == AF_INET6) {
		memcpy(ip->v6, &sa->in6.sin6_addr, sizeof(ip->v6));
		return AF_INET6;
	}
	ip->v4 = sa->in.sin_addr.s_addr;
	return AF_INET;
}

/* Whether two socket addresses are the same address and port. */
static bool fwd_sa_eq(const union unet_sockaddr *a,
		      const union unet_sockaddr *b)
{
	union unet_ip_addr x, y;
	sa_family_t f = fwd_sa_ip(a, &x);

	return f == fwd_sa_ip(b, &y) && fwd_sa_port(a) == fwd_sa_port(b) &&
	       proxy_addr_eq(f, &x, &y);
}

/* Whether a socket address's address is its family's any address. */
static bool fwd_sa_is_any(const union unet_sockaddr *sa)
{
	union unet_ip_addr ip, zero = { 0 };
	sa_family_t f = fwd_sa_ip(sa, &ip);

	return proxy_addr_eq(f, &ip, &zero);
}

/* The forward's host port (host order), for messages. */
static unsigned int fwd_host_port(const struct proxy_fwd *fwd)
{
	return ntohs(fwd_sa_port(&fwd->fwd.host));
}

/* ---- inbound UDP flows --------------------------------------------------- */

static size_t fwd_udp_hash(const struct proxy_fwd *fwd, size_t nbuckets,
			   const union unet_sockaddr *peer)
{
	union unet_ip_addr ip;
	sa_family_t f = fwd_sa_ip(peer, &ip);
	uint32_t addr = proxy_addr_fold(f, &ip);
	uint64_t h = ((uint64_t)(addr ^ fwd->seed) << 16 | fwd_sa_port(peer)) +
		     fwd->seed;

	h *= 0x9e3779b97f4a7c15ull;
	return (size_t)(h >> 32) & (nbuckets - 1);
}

static struct fwd_udp_flow *fwd_udp_find(const struct proxy_fwd *fwd,
					 const union unet_sockaddr *peer)
{
	struct fwd_udp_flow *uf;

	if (fwd->buckets == NULL)
		return NULL;
	uf = fwd->buckets[fwd_udp_hash(fwd, fwd->nbuckets, peer)];
	for (; uf != NULL; uf = uf->hnext)
		if (fwd_sa_eq(&uf->peer, peer))
			return uf;
	return NULL;
}

/*
 * Makes room for one more flow: the peer table is doubled when it would hold
 * more flows than buckets. A failed allocation keeps the old table (lookups
 * get slower, nothing breaks); only when there is no table at all does the
 * new flow fail.
 */
static int fwd_udp_grow(struct proxy_fwd *fwd)
{
	size_t n = fwd->nbuckets ? fwd->nbuckets * 2 : FWD_UDP_BUCKETS_MIN;
	struct fwd_udp_flow **b, *uf, *next;
	size_t i, h;

	if (fwd->buckets != NULL && fwd->nflows < fwd->nbuckets)
		return 0;
	b = calloc(n, sizeof(*b));
	if (b == NULL)
		return fwd->buckets != NULL ? 0 : -ENOMEM;
	for (i = 0; i < fwd->nbuckets; i++) {
		for (uf = fwd->buckets[i]; uf != NULL; uf = next) {
			next = uf->hnext;
			h = fwd_udp_hash(fwd, n, &uf->peer);
			uf->hnext = b[h];
			b[h] = uf;
		}
	}
	free(fwd->buckets);
	fwd->buckets = b;
	fwd->nbuckets = n;
	return 0;
}

static void fwd_udp_unlink(struct proxy_fwd *fwd, struct fwd_udp_flow *uf)
{
	struct fwd_udp_flow **pp;

	pp = &fwd->buckets[fwd_udp_hash(fwd, fwd->nbuckets, &uf->peer)];
	for (; *pp != NULL; pp = &(*pp)->hnext) {
		if (*pp == uf) {
			*pp = uf->hnext;
			break;
		}
	}
	if (uf->prev != NULL)
		uf->prev->next = uf->next;
	else
		fwd->flows = uf->next;
	if (uf->next != NULL)
		uf->next->prev = uf->prev;
	uf->prev = uf->next = uf->hnext = NULL;
	fwd->nflows--;
}

static struct fwd_udp_flow *fwd_udp_flow_of(struct proxy_flow *flow)
{
	return container_of(flow, struct fwd_udp_flow, flow);
}

static void fwd_udp_flow_free(struct proxy_flow *flow)
{
	free(fwd_udp_flow_of(flow));
}

/* Closes a flow now: out of every table, pcb gone, freed from the loop. */
static void fwd_udp_flow_close(struct proxy_flow *flow)
{
	struct fwd_udp_flow *uf = fwd_udp_flow_of(flow);

	if (!unet__flow_close_begin(flow))
		return;
	fwd_udp_unlink(uf->fwd, uf);
	uf->fwd = NULL;
	udp_remove(uf->pcb);
	uf->pcb = NULL;
}

static enum unet_flow_state fwd_udp_flow_state(const struct proxy_flow *flow)
{
	return UNET_FLOW_ACTIVE;
}

static const struct proxy_flow_ops fwd_udp_flow_ops = {
	.close = fwd_udp_flow_close,
	.state = fwd_udp_flow_state,
	.free = fwd_udp_flow_free,
};

/* The guest answered: back to the host peer through the forward's socket. */
static void fwd_udp_flow_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p,
			      const ip_addr_t *addr, u16_t port)
{
	struct fwd_udp_flow *uf = arg;
	struct proxy_fwd *fwd = uf->fwd;
	uv_buf_t b;
	int r;

	if (fwd == NULL) {
		pbuf_free(p);
		return;
	}
	b = uv_buf_init(fwd->buf, pbuf_copy_partial(p, fwd->buf, FWD_UDP_MAX,
						    0));
	pbuf_free(p);
	uf->flow.bytes_out += b.len;
	unet__flow_touch(&uf->flow);
	r = uv_udp_try_send(&fwd->udp, &b, 1, &uf->peer.sa);
	if (r < 0 && r != UV_EAGAIN)
		PROXY_LOG_GUEST(uf->flow.proxy,
				"udp forward: cannot send to the host peer: %s",
				uv_strerror(r));
}

/* A new host peer: its flow, or NULL when it cannot have one (counted). */
static struct fwd_udp_flow *fwd_udp_flow_new(struct proxy_fwd *fwd,
					     const union unet_sockaddr *peer)
{
	struct unet_proxy *proxy = fwd->proxy;
	const union unet_sockaddr *to = &fwd->fwd.guest;
	bool v6 = to->sa.sa_family == AF_INET6;
	struct fwd_udp_flow *uf;
	ip_addr_t src, guest;
	uint16_t sport;
	size_t h;

	if (fwd_udp_grow(fwd) < 0)
		return NULL;
	uf = calloc(1, sizeof(*uf));
	if (uf == NULL)
		return NULL;
	unet__flow_init(&uf->flow, proxy, &fwd_udp_flow_ops, IPPROTO_UDP);
	uf->flow.inbound = true;
	uf->flow.family = fwd_sa_ip(to, &uf->flow.guest_addr);
	uf->flow.guest_port = ntohs(fwd_sa_port(to));
	if (v6) {
		ip_addr_set_zero_ip6(&guest);
		memcpy(ip_2_ip6(&guest)->addr, &to->in6.sin6_addr, 16);
	} else {
		ip_addr_set_ip4_u32_val(guest, to->in.sin_addr.s_addr);
	}
	uf->pcb = udp_new_ip_type(v6 ? IPADDR_TYPE_V6 : IPADDR_TYPE_V4);
	/*
	 * As the guest sees it (as tcp.c's inbound flows): the gateway, or
	 * with keepsrc the peer itself. A kept source is keyed in the proxy's
	 * table (guest, peer), so that udp.c leaves the guest's answers to
	 * this pcb; when that key or the lwIP port is taken (another forward
	 * to the same guest port, a gateway service's port), the gateway.
	 */
	if (unet__flow_fwd_src(proxy, peer, uf->flow.family, &src,
			       &uf->flow.remote_addr, &sport) &&
	    (unet__flow_find(proxy, IPPROTO_UDP, uf->flow.family,
			     &uf->flow.guest_addr, uf->flow.guest_port,
			     &uf->flow.remote_addr, sport) != NULL ||
	     uf->pcb == NULL || udp_bind(uf->pcb, &src, sport) != ERR_OK))
		unet__flow_fwd_src(proxy, NULL, uf->flow.family, &src,
				   &uf->flow.remote_addr, &sport);
	uf->flow.hashed = sport != 0;
	uf->flow.remote_port = sport;
	uf->peer = *peer;
	if (unet__flow_add(&uf->flow) < 0) {
		if (uf->pcb != NULL)
			udp_remove(uf->pcb);
		free(uf);
		return NULL;
	}
	if (uf->pcb == NULL ||
	    (sport == 0 && udp_bind(uf->pcb, &src, 0) != ERR_OK) ||
	    udp_connect(uf->pcb, &guest, uf->flow.guest_port) != ERR_OK) {
		PROXY_LOG_GUEST(proxy,
				"udp forward %u: no lwIP pcb for a new peer",
				fwd_host_port(fwd));
		if (uf->pcb != NULL)
			udp_remove(uf->pcb);
		unet__flow_remove(&uf->flow);
		free(uf);
		return NULL;
	}
	uf->flow.remote_port = uf->pcb->local_port;
	udp_recv(uf->pcb, fwd_udp_flow_recv, uf);
	unet__flow_timer_init(&uf->flow);
	/* Housekeeping only: the forward's socket keeps the loop alive. */
	uv_unref((uv_handle_t *)&uf->flow.timer.uv);
	unet__flow_idle_start(&uf->flow);

	uf->fwd = fwd;
	h = fwd_udp_hash(fwd, fwd->nbuckets, peer);
	uf->hnext = fwd->buckets[h];
	fwd->buckets[h] = uf;
	uf->next = fwd->flows;
	if (fwd->flows != NULL)
		fwd->flows->prev = uf;
	fwd->flows = uf;
	fwd->nflows++;
	proxy->stats.udp_opened++;
	if (v6)
		proxy->stats.udp6_opened++;
	return uf;
}

static void fwd_udp_alloc(uv_handle_t *handle, size_t suggested,
			  uv_buf_t *buf)
{
	struct proxy_fwd *fwd = handle->data;

	*buf = uv_buf_init(fwd->buf, FWD_UDP_MAX);
}

/* A datagram from a host peer: to the guest through the peer's flow. */
static void fwd_udp_read(uv_udp_t *handle, ssize_t nread, const uv_buf_t *buf,
			 const struct sockaddr *addr, unsigned int flags)
{
	struct proxy_fwd *fwd = handle->data;
	struct unet_proxy *proxy = fwd->proxy;
	size_t iphlen = fwd->fwd.guest.sa.sa_family == AF_INET6 ?
				WIRE_IP6_HLEN :
				WIRE_IP4_HLEN;
	union unet_sockaddr peer;
	struct fwd_udp_flow *uf;
	struct pbuf *p;
	err_t err;

	if (nread < 0) {
		PROXY_LOG_GUEST(proxy, "udp forward %u: %s", fwd_host_port(fwd),
				uv_strerror((int)nread));
		return;
	}
	if (addr == NULL)
		return;
	memset(&peer, 0, sizeof(peer));
	if (addr->sa_family == fwd->fwd.host.sa.sa_family)
		memcpy(&peer, addr,
		       addr->sa_family == AF_INET6 ? sizeof(peer.in6) :
						     sizeof(peer.in));
	/*
	 * A truncated datagram is not passed on in part. Source address or
	 * port 0 is not a peer one can answer.
	 */
	if ((flags & UV_UDP_PARTIAL) ||
	    addr->sa_family != fwd->fwd.host.sa.sa_family ||
	    fwd_sa_is_any(&peer) || fwd_sa_port(&peer) == 0 ||
	    (size_t)nread > FWD_UDP_MAX - WIRE_UDP_HLEN - iphlen) {
		PROXY_LOG_GUEST(proxy, "udp forward %u: datagram dropped",
				fwd_host_port(fwd));
		return;
	}
	uf = fwd_udp_find(fwd, &peer);
	if (uf == NULL) {
		uf = fwd_udp_flow_new(fwd, &peer);
		if (uf == NULL)
			return;
	}
	p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)nread, PBUF_RAM);
	if (p == NULL)
		return;
	pbuf_take(p, buf->base, (u16_t)nread);
	/*
	 * From the pcb's own address, which with keepsrc is the peer's:
	 * udp_send() would refuse a source that is not the netif's.
	 */
	err = udp_sendto_if_src(uf->pcb, p, &uf->pcb->remote_ip,
				uf->pcb->remote_port,
				unet__stack_netif(proxy->stack),
				&uf->pcb->local_ip);
	pbuf_free(p);
	if (err != ERR_OK) {
		PROXY_LOG_GUEST(
			proxy,
			"udp forward %u: cannot send to the guest (lwIP error %d)",
			fwd_host_port(fwd), (int)err);
		return;
	}
	uf->flow.bytes_in += (uint64_t)nread;
	unet__flow_touch(&uf->flow);
}

/* ---- TCP forwards -------------------------------------------------------- */

static void fwd_tcp_drain_closed(uv_handle_t *handle)
{
	struct unet_proxy *proxy = handle->data;

	free(handle);
	unet__flow_proxy_unref(proxy);
}

/*
 * tcp.c could not take a connection. If it left it pending, accept and close
 * it here: libuv stops watching a listener while a connection waits to be
 * accepted, and the forward would hang.
 */
static void fwd_tcp_drain(struct proxy_fwd *fwd)
{
	struct unet_proxy *proxy = fwd->proxy;
	uv_tcp_t *t = malloc(sizeof(*t));

	if (t == NULL) {
		unet_hub_log(proxy->hub, UNET_LOG_ERROR,
			     "tcp forward %u: out of memory",
			     fwd_host_port(fwd));
		return;
	}
	if (uv_tcp_init(proxy->loop, t) < 0) {
		free(t);
		return;
	}
	unet__flow_proxy_ref(proxy);
	t->data = proxy;
	(void)uv_accept((uv_stream_t *)&fwd->tcp, (uv_stream_t *)t);
	uv_close((uv_handle_t *)t, fwd_tcp_drain_closed);
}

static void fwd_tcp_connection(uv_stream_t *server, int status)
{
	struct proxy_fwd *fwd = server->data;
	struct unet_proxy *proxy = fwd->proxy;
	int r;

	if (status < 0) {
		PROXY_LOG_GUEST(proxy, "tcp forward %u: %s", fwd_host_port(fwd),
				uv_strerror(status));
		return;
	}
	r = unet__tcp_inbound(proxy, server, &fwd->fwd.guest);
	if (r < 0) {
		PROXY_LOG_GUEST(proxy,
				"tcp forward %u: connection not forwarded: %s",
				fwd_host_port(fwd), uv_strerror(r));
		fwd_tcp_drain(fwd);
	}
}

/* ---- forwards ------------------------------------------------------------ */

static void fwd_closed(uv_handle_t *handle)
{
	struct proxy_fwd *fwd = handle->data;
	struct unet_proxy *proxy = fwd->proxy;

	free(fwd->buckets);
	free(fwd->buf);
	free(fwd);
	unet__flow_proxy_unref(proxy);
}

/* Closes a forward that is off the proxy's list: its UDP flows, its socket. */
static void fwd_close(struct proxy_fwd *fwd)
{
	while (fwd->flows != NULL)
		fwd_udp_flow_close(&fwd->flows->flow);
	uv_close(&fwd->handle, fwd_closed);
}

static int fwd_open(struct proxy_fwd *fwd)
{
	struct unet_proxy *proxy = fwd->proxy;
	bool v6 = fwd->fwd.host.sa.sa_family == AF_INET6;
	union unet_sockaddr sa = fwd->fwd.host;
	int len = sizeof(sa);
	int r;

	if (fwd->fwd.proto == IPPROTO_TCP) {
		/* libuv reports some bind errors only at listen. */
		r = uv_tcp_bind(&fwd->tcp, &sa.sa, v6 ? UV_TCP_IPV6ONLY : 0);
		if (r == 0)
			r = uv_listen((uv_stream_t *)&fwd->tcp, FWD_BACKLOG,
				      fwd_tcp_connection);
		if (r == 0)
			r = uv_tcp_getsockname(&fwd->tcp, &sa.sa, &len);
	} else {
		fwd->buf = malloc(FWD_UDP_MAX);
		if (fwd->buf == NULL)
			return -ENOMEM;
		fwd->seed = unet_hub_random(proxy->hub);
		r = uv_udp_bind(&fwd->udp, &sa.sa, v6 ? UV_UDP_IPV6ONLY : 0);
		if (r == 0)
			r = uv_udp_getsockname(&fwd->udp, &sa.sa, &len);
		if (r == 0)
			r = uv_udp_recv_start(&fwd->udp, fwd_udp_alloc,
					      fwd_udp_read);
	}
	if (r < 0)
		return r;
	if (v6)
		fwd->fwd.host.in6.sin6_port = sa.in6.sin6_port;
	else
		fwd->fwd.host.in.sin_port = sa.in.sin_port;
	return 0;
}

/* Keeps only what a forward says: a family's address and port. */
static int fwd_sa_clean(const union unet_sockaddr *in, union unet_sockaddr *out)
{
	memset(out, 0, sizeof(*out));
	switch (in->sa.sa_family) {
	case AF_INET:
		out->in.sin_family = AF_INET;
		out->in.sin_addr = in->in.sin_addr;
		out->in.sin_port = in->in.sin_port;
		return 0;
	case AF_INET6:
		out->in6.sin6_family = AF_INET6;
		out->in6.sin6_addr = in->in6.sin6_addr;
		out->in6.sin6_port = in->in6.sin6_port;
		return 0;
	default:
		return -EINVAL;
	}
}

/* Whether the guest side of a forward is a guest's address of a family on. */
static bool fwd_guest_ok(const struct unet_proxy *proxy,
			 const union unet_sockaddr *guest)
{
	const struct unet_stack_config *sc = unet__stack_config(proxy->stack);
	union unet_ip_addr ip;
	sa_family_t f = fwd_sa_ip(guest, &ip);

	if (fwd_sa_port(guest) == 0 ||
	    (f == AF_INET ? sc->no_ipv4 : sc->no_ipv6))
		return false;
	return unet__stack_is_guest_ip(proxy->stack, f, &ip);
}

/**
 * unet_proxy_fwd_add_ex() - forward a host port to the guest, either family
 * @proxy: the proxy
 * @fwd: the forward; when its host port is 0 the kernel chooses one and it
 *       is written back here
 *
 * As unet_proxy_fwd_add(), with the host and guest addresses of either
 * family, each side its own (&struct unet_fwd_ex). The guest sees
 * connections and datagrams come from the gateway's address of the guest
 * side's family.
 *
 * Return: 0; -EINVAL for a protocol other than TCP or UDP, an address of
 * another family, a guest address no guest can have (outside the stack's
 * network or IPv6 prefix, or one of the gateway's), a family the stack
 * turns off (no_ipv4, no_ipv6) or guest port 0; -EEXIST when a forward of
 * that protocol holds that host address and port already; -ENOMEM; the
 * host socket's error, e.g. -EADDRINUSE, -EACCES, or -EADDRNOTAVAIL for
 * an IPv6 address the host does not have.
 */
int unet_proxy_fwd_add_ex(struct unet_proxy *proxy, struct unet_fwd_ex *fwd)
{
	struct unet_fwd_ex want;
	struct proxy_fwd *f;
	int r;

	if (proxy == NULL || fwd == NULL || proxy->closing)
		return -EINVAL;
	if (fwd->proto != IPPROTO_TCP && fwd->proto != IPPROTO_UDP)
		return -EINVAL;
	want.proto = fwd->proto;
	if (fwd_sa_clean(&fwd->host, &want.host) < 0 ||
	    fwd_sa_clean(&fwd->guest, &want.guest) < 0 ||
	    !fwd_guest_ok(proxy, &want.guest))
		return -EINVAL;
	if (fwd_sa_port(&want.host) != 0) {
		for (f = proxy->fwds; f != NULL; f = f->next)
			if (f->fwd.proto == want.proto &&
			    fwd_sa_eq(&f->fwd.host, &want.host))
				return -EEXIST;
	}
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return -ENOMEM;
	f->proxy = proxy;
	f->fwd = want;
	if (want.proto == IPPROTO_TCP)
		r = uv_tcp_init(proxy->loop, &f->tcp);
	else
		r = uv_udp_init(proxy->loop, &f->udp);
	if (r < 0) {
		free(f);
		return r;
	}
	unet__flow_proxy_ref(proxy);
	f->handle.data = f;
	r = fwd_open(f);
	if (r < 0) {
		fwd_close(f);
		return r;
	}
	*fwd = f->fwd;
	f->next = proxy->fwds;
	proxy->fwds = f;
	return 0;
}

/* A struct unet_fwd as the AF_INET forward it is. */
static void fwd_from_v4(const struct unet_fwd *in, struct unet_fwd_ex *out)
{
	memset(out, 0, sizeof(*out));
	out->proto = in->proto;
	out->host.in.sin_family = AF_INET;
	out->host.in.sin_addr = in->host_addr;
	out->host.in.sin_port = in->host_port;
	out->guest.in.sin_family = AF_INET;
	out->guest.in.sin_addr = in->guest_addr;
	out->guest.in.sin_port = in->guest_port;
}

/**
 * unet_proxy_fwd_add() - forward a host port to the guest
 * @proxy: the proxy
 * @fwd: the forward; when its host_port is 0 the kernel chooses one and it
 *       is written back here
 *
 * TCP: every connection to the host port opens a connection from the
 * gateway to the guest's address and port. UDP: every host peer that sends
 * to the host port gets a flow of its own; the guest sees its datagrams
 * come from the gateway (on an ephemeral port) and its answers go back to
 * that peer. The forward works whatever restrict_guest says. IPv4 on both
 * sides; unet_proxy_fwd_add_ex() takes IPv6 too.
 *
 * Return: 0; -EINVAL for a protocol other than TCP or UDP, a guest address
 * outside the stack's network (or its network, broadcast or gateway
 * address), guest port 0, or IPv4 turned off (no_ipv4); -EEXIST when a
 * forward of that protocol holds that host address and port already;
 * -ENOMEM; the host socket's error, e.g. -EADDRINUSE or -EACCES.
 */
int unet_proxy_fwd_add(struct unet_proxy *proxy, struct unet_fwd *fwd)
{
	struct unet_fwd_ex ex;
	int r;

	if (fwd == NULL)
		return -EINVAL;
	fwd_from_v4(fwd, &ex);
	r = unet_proxy_fwd_add_ex(proxy, &ex);
	if (r == 0)
		fwd->host_port = ex.host.in.sin_port;
	return r;
}

/**
 * unet_proxy_fwd_remove_ex() - stop a forward of either family
 * @proxy: the proxy
 * @fwd: which: protocol, host address and host port must match; the guest
 *       address and port too when they are not the any address and 0 (the
 *       guest's family is then ignored)
 *
 * As unet_proxy_fwd_remove().
 *
 * Return: 0, -ENOENT when no forward matches, -EINVAL for NULL arguments.
 */
int unet_proxy_fwd_remove_ex(struct unet_proxy *proxy,
			     const struct unet_fwd_ex *fwd)
{
	struct proxy_fwd **pp, *f;
	union unet_sockaddr host, guest;
	union unet_ip_addr a, b;
	bool any_guest;

	if (proxy == NULL || fwd == NULL || fwd_sa_clean(&fwd->host, &host) < 0)
		return -EINVAL;
	any_guest = fwd_sa_clean(&fwd->guest, &guest) < 0 ||
		    fwd_sa_is_any(&guest);
	for (pp = &proxy->fwds; (f = *pp) != NULL; pp = &f->next) {
		if (f->fwd.proto != fwd->proto ||
		    !fwd_sa_eq(&f->fwd.host, &host))
			continue;
		if (!any_guest &&
		    (fwd_sa_ip(&f->fwd.guest, &a) != fwd_sa_ip(&guest, &b) ||
		     !proxy_addr_eq(guest.sa.sa_family, &a, &b)))
			continue;
		if (fwd_sa_port(&guest) != 0 &&
		    fwd_sa_port(&f->fwd.guest) != fwd_sa_port(&guest))
			continue;
		*pp = f->next;
		fwd_close(f);
		return 0;
	}
	return -ENOENT;
}

/**
 * unet_proxy_fwd_remove() - stop a forward
 * @proxy: the proxy
 * @fwd: which: protocol, host address and host port must match; the guest
 *       address and port too when they are not 0
 *
 * The host socket is closed. TCP connections already forwarded go on; the
 * forward's UDP flows are closed. IPv4 forwards only; see
 * unet_proxy_fwd_remove_ex().
 *
 * Return: 0, -ENOENT when no forward matches, -EINVAL for NULL arguments.
 */
int unet_proxy_fwd_remove(struct unet_proxy *proxy, const struct unet_fwd *fwd)
{
	struct unet_fwd_ex ex;

	if (fwd == NULL)
		return -EINVAL;
	fwd_from_v4(fwd, &ex);
	return unet_proxy_fwd_remove_ex(proxy, &ex);
}

/**
 * unet_proxy_fwd_list_ex() - the forwards of a proxy, either family
 * @proxy: the proxy
 * @fwds: receives up to @n forwards, newest first, with the host ports as
 *        bound; may be NULL when @n is 0
 * @n: room in @fwds
 *
 * Return: how many forwards there are (more than @n when some did not fit),
 * or -EINVAL for a NULL @proxy, or a NULL @fwds with @n not 0.
 */
int unet_proxy_fwd_list_ex(struct unet_proxy *proxy, struct unet_fwd_ex *fwds,
			   size_t n)
{
	const struct proxy_fwd *f;
	size_t i = 0;

	if (proxy == NULL || (fwds == NULL && n != 0))
		return -EINVAL;
	for (f = proxy->fwds; f != NULL; f = f->next) {
		if (i < n)
			fwds[i] = f->fwd;
		i++;
	}
	return i > INT32_MAX ? INT32_MAX : (int)i;
}

/**
 * unet_proxy_fwd_list() - the IPv4 forwards of a proxy
 * @proxy: the proxy
 * @fwds: receives up to @n forwards, newest first, with the host ports as
 *        bound; may be NULL when @n is 0
 * @n: room in @fwds
 *
 * Forwards with an IPv6 address on either side are not shown here (a
 * struct unet_fwd cannot hold them), nor counted: unet_proxy_fwd_list_ex()
 * shows every forward.
 *
 * Return: how many IPv4 forwards there are (more than @n when some did not
 * fit), or -EINVAL for a NULL @proxy, or a NULL @fwds with @n not 0.
 */
int unet_proxy_fwd_list(struct unet_proxy *proxy, struct unet_fwd *fwds,
			size_t n)
{
	const struct proxy_fwd *f;
	struct unet_fwd *o;
	size_t i = 0;

	if (proxy == NULL || (fwds == NULL && n != 0))
		return -EINVAL;
	for (f = proxy->fwds; f != NULL; f = f->next) {
		if (f->fwd.host.sa.sa_family != AF_INET ||
		    f->fwd.guest.sa.sa_family != AF_INET)
			continue;
		if (i < n) {
			o = &fwds[i];
			memset(o, 0, sizeof(*o));
			o->proto = f->fwd.proto;
			o->host_addr = f->fwd.host.in.sin_addr;
			o->host_port = f->fwd.host.in.sin_port;
			o->guest_addr = f->fwd.guest.in.sin_addr;
			o->guest_port = f->fwd.guest.in.sin_port;
		}
		i++;
	}
	return i > INT32_MAX ? INT32_MAX : (int)i;
}

/**
 * unet__fwd_close_all() - close every forward and its UDP flows
 * @proxy: the proxy, closing
 */
void unet__fwd_close_all(struct unet_proxy *proxy)
{
	struct proxy_fwd *f;

	while ((f = proxy->fwds) != NULL) {
		proxy->fwds = f->next;
		fwd_close(f);
	}
}
