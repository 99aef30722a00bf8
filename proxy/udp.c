/* SPDX-License-Identifier: MIT */
/*
 * The proxy's UDP: the guest's datagrams carried over host UDP sockets.
 *
 * Theory of operation: lwIP accepts the guest's UDP to foreign addresses and
 * to the gateway's own address, checks the IP header and reassembles
 * fragments; the stack then hands every UDP datagram lwIP accepted, parsed
 * (struct unet_ip_pkt), to unet__udp_datagram() before lwIP's own UDP layer
 * sees it. What belongs to
 * the gateway is left to lwIP: broadcast and multicast, the gateway's
 * aliases (the DNS address), and ports of the gateway's own address where an
 * lwIP UDP pcb would take the datagram (its services: DHCP, TFTP; and the
 * pcbs of inbound UDP forwards, fwd.c), which the stack answers
 * (unet__lwip_udp_taken()). Everything else is ours.
 *
 * As libslirp does, there is one flow per guest (address, port): one host
 * socket bound to 0.0.0.0:0 (for the guest's IPv6, [::]:0, IPv6 only)
 * carries the datagrams from that guest port to every destination, and
 * whatever comes back to that socket goes to the guest port, from the
 * address and port it came from (the host's loopback, 127.0.0.1 or ::1,
 * shown as the gateway's address of that family). The flow's key has
 * remote address and port 0.
 *
 * State per flow: the socket, the flow base's idle timer (flow.c), and at
 * most one receive buffer,
 * a 64 KiB pbuf the datagram is read straight into (then the UDP header is
 * put in front and lwIP adds the IP header and fragments to the MTU). It is
 * freed as soon as the socket has nothing more to read, so an idle flow holds
 * no buffer. Guest datagrams are not copied: the pbuf chain lwIP reassembled
 * is written to the socket as an iovec.
 *
 * What can go wrong: malformed datagrams (UDP length beyond the packet or
 * shorter than its header, a bad checksum) are dropped and counted. Policy
 * (restrict, loopback off) and the flow limit refuse, counted by flow.c. A
 * host socket that cannot take a datagram now drops it (UDP may drop); an
 * error the host socket reports (an ICMP error surfaced on receive) is read
 * once, which clears it, and the flow goes on.
 *
 * ICMP errors (icmp_err.c): the socket has IP_RECVERR on, and its error
 * queue is read when a receive fails (a pending error makes it fail once)
 * or a wakeup finds nothing to read (libuv reports a socket with queued
 * errors as readable); each error goes to the guest quoting the headers of
 * the guest's last datagram, which the flow keeps (96 bytes). A send the
 * host refuses at once (no route, larger than the path MTU) is answered
 * the same way. The guest's DF bit (for IPv6: whether the guest fragmented
 * the datagram itself) sets the socket's path MTU discovery
 * (unet__icmp_err_sockopts()), so that a path MTU the host learns reaches
 * the guest as "fragmentation needed" or "packet too big"; the guest's TTL
 * (hop limit) becomes the socket's, so that its traceroute sees the hops
 * past the host. A flow idle for
 * udp_timeout_ms in both directions expires (flow.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proxy_internal.h"

#include "lwip/pbuf.h"

#include "wire/checksum.h"

/*
 * Largest UDP payload in IPv4: 65535 - 20 (IP) - 8 (UDP). IPv6 allows 20
 * bytes more; a larger host datagram is dropped, for the guest's path is
 * one pbuf of at most 65535 bytes with the headers.
 */
#define UDP_PAYLOAD_MAX 65507

/*
 * Most pieces a guest datagram's pbuf chain may have: lwIP reassembles at
 * most IP_REASS_MAX_PBUFS fragments, each one pbuf. Below IOV_MAX (1024).
 */
#define UDP_IOV_MAX 320
_Static_assert(UDP_IOV_MAX > IP_REASS_MAX_PBUFS,
	       "an iovec per reassembled fragment");

/**
 * struct udp_flow - a guest (address, port) and the host socket it uses
 * @base: the flow base (remote address and port 0; its timer expires it)
 * @sock: the host socket, bound to 0.0.0.0:0
 * @rx: the buffer a datagram is being received into, or NULL
 * @quote: the headers of the guest's last datagram, for an error about it
 * @opts: the socket's path MTU discovery and TTL, as the guest's last
 *        datagram asked
 * @idle_read: the last receive found nothing to read
 */
struct udp_flow {
	struct proxy_flow base;
	uv_udp_t sock;
	struct pbuf *rx;
	struct proxy_quote quote;
	struct proxy_sockopts opts;
	bool idle_read;
};

static void udp_flow_close(struct proxy_flow *f);
static enum unet_flow_state udp_flow_state(const struct proxy_flow *f);
static void udp_flow_free(struct proxy_flow *f);

static const struct proxy_flow_ops udp_flow_ops = {
	.close = udp_flow_close,
	.state = udp_flow_state,
	.free = udp_flow_free,
};

static struct udp_flow *udp_flow_of(struct proxy_flow *f)
{
	return container_of(f, struct udp_flow, base);
}

/* Whether the datagram is for lwIP (the gateway) rather than the proxy. */
static bool udp_for_gateway(struct unet_proxy *proxy,
			    const struct unet_ip_pkt *pkt)
{
	const struct unet_stack_config *sc = unet__stack_config(proxy->stack);
	struct proxy_flow *f;

	/* The gateway's own address: where an lwIP pcb takes it. */
	if (pkt->family == AF_INET ?
		    pkt->dst.v4 == sc->host.s_addr :
		    unet__stack_is_host6(proxy->stack, pkt->dst.v6))
		return unet__lwip_udp_taken(pkt);
	/* Special addresses, the aliases, other hosts of the virtual net. */
	if (!unet__stack_is_foreign_ip(proxy->stack, pkt->family, &pkt->dst))
		return true;
	/*
	 * An answer to a forward that keeps its client's source (keepsrc):
	 * the forward's lwIP pcb, bound to the client's address and port,
	 * takes it (fwd.c keys such flows by guest and client).
	 */
	f = unet__flow_find(proxy, IPPROTO_UDP, pkt->family, &pkt->src,
			    pkt->sport, &pkt->dst, pkt->dport);
	return f != NULL && f->inbound;
}

/* Closes the flow: out of the table now, freed once its handles are closed. */
static void udp_flow_close(struct proxy_flow *f)
{
	struct udp_flow *flow = udp_flow_of(f);

	if (!unet__flow_close_begin(f))
		return;
	if (flow->rx != NULL) {
		pbuf_free(flow->rx);
		flow->rx = NULL;
	}
	uv_close((uv_handle_t *)&flow->sock, unet__flow_handle_closed);
}

static void udp_flow_free(struct proxy_flow *f)
{
	free(udp_flow_of(f));
}

static enum unet_flow_state udp_flow_state(const struct proxy_flow *f)
{
	return UNET_FLOW_ACTIVE;
}

static void udp_flow_alloc(uv_handle_t *handle, size_t suggested,
			   uv_buf_t *buf)
{
	struct udp_flow *flow = udp_flow_of(handle->data);

	/*
	 * The datagram is read straight into a pbuf with room in front for
	 * the UDP, IP and Ethernet headers.
	 */
	if (flow->rx == NULL)
		flow->rx = pbuf_alloc(PBUF_TRANSPORT, UDP_PAYLOAD_MAX,
				      PBUF_RAM);
	if (flow->rx == NULL) {
		*buf = uv_buf_init(NULL, 0);
		return;
	}
	*buf = uv_buf_init(flow->rx->payload, flow->rx->len);
}

/*
 * Sends @len bytes received into @p to the guest, from @from (the host
 * side's address and port, of the flow's family).
 */
static void udp_flow_to_guest(struct udp_flow *flow, struct pbuf *p, size_t len,
			      const union unet_sockaddr *from)
{
	struct unet_proxy *proxy = flow->base.proxy;
	const union unet_ip_addr *guest = &flow->base.guest_addr;
	union unet_ip_addr src;
	struct wire_udp *uh;
	uint32_t sum;
	uint16_t csum;

	pbuf_realloc(p, (u16_t)len);
	if (pbuf_add_header(p, sizeof(*uh)) != 0)
		return;
	/* One piece (PBUF_RAM): the header is built in place. */
	uh = p->payload;
	uh->dport = htons(flow->base.guest_port);
	uh->len = htons((uint16_t)(len + sizeof(*uh)));
	uh->csum = 0;
	if (flow->base.family == AF_INET) {
		uh->sport = from->in.sin_port;
		src.v4 = unet__flow_map_in(proxy, from->in.sin_addr.s_addr);
		sum = unet__csum_ip4_pseudo(src.v4, guest->v4, WIRE_IPPROTO_UDP,
					    p->len);
	} else {
		uh->sport = from->in6.sin6_port;
		unet__flow_map_in6(proxy, from->in6.sin6_addr.s6_addr, src.v6);
		sum = unet__csum_ip6_pseudo(src.v6, guest->v6, WIRE_IPPROTO_UDP,
					    p->len);
	}
	csum = unet__csum_finish(unet__csum_add(sum, p->payload, p->len));
	/* 0 means "no checksum": a sum of 0 goes as its other form. */
	uh->csum = htons(csum != 0 ? csum : 0xffff);
	if (flow->base.family == AF_INET)
		unet__flow_output(proxy, p, src.v4, guest->v4,
				  WIRE_IPPROTO_UDP);
	else
		unet__flow_output6(proxy, p, src.v6, guest->v6,
				   WIRE_IPPROTO_UDP);
	flow->base.bytes_in += len;
	unet__flow_touch(&flow->base);
}

/* Reads the socket's error queue: ICMP errors for the guest. */
static void udp_flow_errors(struct udp_flow *flow)
{
	uv_os_fd_t fd;

	if (uv_fileno((uv_handle_t *)&flow->sock, &fd) == 0)
		unet__icmp_err_drain(&flow->base, fd, &flow->quote);
}

static void udp_flow_recv(uv_udp_t *sock, ssize_t nread, const uv_buf_t *buf,
			  const struct sockaddr *addr, unsigned int flags)
{
	struct udp_flow *flow = udp_flow_of(sock->data);
	struct pbuf *p = flow->rx;
	union unet_sockaddr from;
	bool idle = nread == 0 && addr == NULL;

	/*
	 * nread < 0 is an error the socket reported (reading it cleared it);
	 * its report waits in the error queue. A wakeup with nothing to read
	 * (nothing read since the last "nothing more") may be an error queue
	 * not empty, which libuv sees as readable until it is read.
	 */
	if (nread < 0 || (idle && flow->idle_read))
		udp_flow_errors(flow);
	flow->idle_read = idle;
	flow->rx = NULL;
	if (p == NULL || flow->base.closing) {
		if (p != NULL)
			pbuf_free(p);
		return;
	}
	/*
	 * nread == 0 with no address is "nothing more to read". Either way
	 * the buffer goes, so an idle flow holds none.
	 */
	if (nread < 0 || addr == NULL || addr->sa_family != flow->base.family ||
	    (flags & UV_UDP_PARTIAL) || nread > UDP_PAYLOAD_MAX) {
		pbuf_free(p);
		return;
	}
	memcpy(&from, addr,
	       addr->sa_family == AF_INET ? sizeof(from.in) : sizeof(from.in6));
	udp_flow_to_guest(flow, p, (size_t)nread, &from);
	pbuf_free(p);
}

/*
 * Makes the flow of a guest (address, port) of @pkt's family; NULL when
 * refused (counted). Its socket is of that family too (IPv6 only).
 */
static struct udp_flow *udp_flow_new(struct unet_proxy *proxy,
				     const struct unet_ip_pkt *pkt)
{
	union unet_sockaddr local;
	struct udp_flow *flow;
	uv_os_fd_t fd;
	int r;

	flow = calloc(1, sizeof(*flow));
	if (flow == NULL) {
		proxy->stats.dropped++;
		return NULL;
	}
	unet__flow_init(&flow->base, proxy, &udp_flow_ops, IPPROTO_UDP);
	flow->opts = (struct proxy_sockopts){ -1, -1 };
	flow->base.hashed = true;
	flow->base.family = pkt->family;
	flow->base.guest_addr = pkt->src;
	flow->base.guest_port = pkt->sport;
	if (unet__flow_add(&flow->base) < 0) {
		free(flow);
		return NULL;
	}
	uv_udp_init(proxy->loop, &flow->sock);
	unet__flow_hold(&flow->base, (uv_handle_t *)&flow->sock);
	unet__flow_timer_init(&flow->base);

	unet__flow_out_addr(proxy, pkt->family, &local);
	r = uv_udp_bind(&flow->sock, &local.sa,
			pkt->family == AF_INET6 ? UV_UDP_IPV6ONLY : 0);
	if (r == 0)
		r = uv_udp_recv_start(&flow->sock, udp_flow_alloc,
				      udp_flow_recv);
	if (r < 0) {
		proxy->stats.dropped++;
		PROXY_LOG_GUEST(proxy, "UDP flow: host socket: %s",
				uv_strerror(r));
		udp_flow_close(&flow->base);
		return NULL;
	}
	unet__flow_idle_start(&flow->base);
	if (uv_fileno((uv_handle_t *)&flow->sock, &fd) == 0)
		unet__icmp_err_sock_init(proxy, fd, pkt->family);
	proxy->stats.udp_opened++;
	if (pkt->family == AF_INET6)
		proxy->stats.udp6_opened++;
	return flow;
}

/* Sends the datagram's payload to the host side, from the guest's pbufs. */
static void udp_flow_send(struct udp_flow *flow, const struct pbuf *p,
			  const struct unet_ip_pkt *pkt,
			  const union unet_sockaddr *sa)
{
	static char empty[1];
	struct unet_proxy *proxy = flow->base.proxy;
	uv_buf_t iov[UDP_IOV_MAX];
	char a[INET6_ADDRSTRLEN + 8];
	uv_os_fd_t fd = -1;
	int n, r;

	n = unet__stack_payload_bufs(p, pkt, iov, UDP_IOV_MAX);
	if (n < 0) {
		proxy->stats.dropped++;
		return;
	}
	if (n == 0) /* an empty datagram is still one */
		iov[n++] = uv_buf_init(empty, 0);
	unet__icmp_err_keep(&flow->quote, p, pkt);
	if (uv_fileno((uv_handle_t *)&flow->sock, &fd) == 0)
		unet__icmp_err_sockopts(fd, flow->base.family, &flow->opts, p,
					pkt);
	r = uv_udp_try_send(&flow->sock, iov, (unsigned int)n, &sa->sa);
	if (r < 0) {
		/* UV_EAGAIN covers a full socket buffer and ENOBUFS. */
		proxy->stats.dropped++;
		if (fd >= 0)
			unet__icmp_err_send_failed(&flow->base, fd,
						   &flow->quote, p, r);
		if (r != UV_EAGAIN)
			PROXY_LOG_GUEST(proxy, "UDP to %s: %s",
					unet__sockaddr_str(sa, a, sizeof(a)),
					uv_strerror(r));
		return;
	}
	flow->base.bytes_out += pkt->payload_len;
	flow->base.egress_dst = *sa;
	unet__flow_touch(&flow->base);
}

/*
 * The egress policy refused @pkt: the guest hears it as an ICMP (ICMPv6)
 * administratively prohibited from the destination, through the errors'
 * rate limit, so a connected socket fails at once instead of waiting.
 */
static void udp_refused(struct unet_proxy *proxy, const struct pbuf *p,
			const struct unet_ip_pkt *pkt)
{
	unet__icmp_err_prohibited(proxy, p, pkt->family);
}

/**
 * unet__udp_datagram() - take a guest UDP datagram for the proxy
 * @proxy: the proxy
 * @p: the datagram as lwIP accepted it (IP header checked, reassembled,
 *     trimmed to the IP length; possibly a chain), payload at the IP header
 * @pkt: the datagram parsed by the stack (lwIP's UDP layer has checked
 *       nothing of the UDP header yet: this does)
 *
 * Datagrams for the gateway itself (broadcast, multicast, the DNS alias, a
 * port of the gateway's address that an lwIP pcb is bound to) are left to
 * lwIP.
 *
 * Return: UNET_VERDICT_DROP when the proxy took @p (sent, refused or
 * dropped, each counted; the stack frees it), UNET_VERDICT_ACCEPT to let
 * lwIP go on with it, unchanged.
 */
enum unet_verdict unet__udp_datagram(struct unet_proxy *proxy, struct pbuf *p,
				     const struct unet_ip_pkt *pkt)
{
	static const union unet_ip_addr none;
	struct proxy_flow *f;
	struct udp_flow *flow;
	union unet_sockaddr sa;
	int r;

	if (pkt->l4.udp == NULL || pkt->fragment) {
		PROXY_LOG_GUEST(proxy, "malformed UDP datagram dropped");
		goto drop;
	}
	if (udp_for_gateway(proxy, pkt))
		return UNET_VERDICT_ACCEPT;
	/* From here the datagram is the proxy's: lwIP is done with it. */
	if (pkt->family == AF_INET ?
		    unet__stack_addr_special(proxy->stack, pkt->src.v4) :
		    !unet__stack_is_guest_addr6(proxy->stack, pkt->src.v6))
		goto drop;
	if (!unet__stack_l4_csum_ok(p, pkt)) {
		PROXY_LOG_GUEST(proxy, "UDP datagram with a bad checksum "
				       "dropped");
		goto drop;
	}
	r = unet__flow_map_out(proxy, pkt, &sa);
	if (r == -EACCES)
		udp_refused(proxy, p, pkt);
	if (r < 0)
		return UNET_VERDICT_DROP; /* refused by policy, counted */
	f = unet__flow_find(proxy, IPPROTO_UDP, pkt->family, &pkt->src,
			    pkt->sport, &none, 0);
	if (f != NULL && f->ops != &udp_flow_ops)
		goto drop; /* the key belongs to another kind of flow */
	if (f != NULL)
		flow = udp_flow_of(f);
	else
		flow = udp_flow_new(proxy, pkt);
	if (flow != NULL)
		udp_flow_send(flow, p, pkt, &sa);
	return UNET_VERDICT_DROP;
drop:
	proxy->stats.dropped++;
	return UNET_VERDICT_DROP;
}
