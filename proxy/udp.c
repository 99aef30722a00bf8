/* SPDX-License-Identifier: MIT */
/*
 * The proxy's UDP: the guest's datagrams carried over host UDP sockets.
 *
 * Theory of operation: lwIP accepts the guest's UDP to foreign addresses and
 * to the gateway's own address, checks the IP header and reassembles
 * fragments; a raw pcb then hands every UDP datagram to
 * unet__udp_raw_input() before lwIP's own UDP layer sees it. What belongs to
 * the gateway is left to lwIP: broadcast and multicast, the gateway's
 * aliases (the DNS address), and ports of the gateway's own address where an
 * lwIP UDP pcb would take the datagram (its services: DHCP, TFTP; and the
 * pcbs of inbound UDP forwards, fwd.c). Everything else is ours.
 *
 * As libslirp does, there is one flow per guest (address, port): one host
 * socket bound to 0.0.0.0:0 carries the datagrams from that guest port to
 * every destination, and whatever comes back to that socket goes to the
 * guest port, from the address and port it came from (the host's loopback
 * shown as the gateway). The flow's key has remote address and port 0.
 *
 * State per flow: the socket, an idle timer, and at most one receive buffer,
 * a 64 KiB pbuf the datagram is read straight into (then the UDP header is
 * put in front and lwIP adds the IP header and fragments to the MTU). It is
 * freed as soon as the socket has nothing more to read, so an idle flow holds
 * no buffer. Guest datagrams are not copied: the pbuf chain lwIP reassembled
 * is written to the socket as an iovec.
 *
 * What can go wrong: malformed datagrams (UDP length beyond the packet or
 * shorter than its header, a bad checksum) are dropped and counted. Policy
 * (restrict, loopback off) and the flow limit refuse, counted by proxy.c. A
 * host socket that cannot take a datagram now drops it (UDP may drop); an
 * error the host socket reports (an ICMP error surfaced on receive) is read
 * once, which clears it, and the flow goes on. A flow idle for
 * udp_timeout_ms in both directions closes; its timer is not restarted per
 * datagram but, when it fires, re-armed for what remains of the timeout.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proxy_internal.h"

#include "lwip/inet_chksum.h"
#include "lwip/ip4_addr.h"
#include "lwip/prot/ip4.h"
#include "lwip/prot/udp.h"

#include "wire/cursor.h"

/* Largest UDP payload in IPv4: 65535 - 20 (IP) - 8 (UDP). */
#define UDP_PAYLOAD_MAX 65507

/*
 * Most pieces a guest datagram's pbuf chain may have: lwIP reassembles at
 * most IP_REASS_MAX_PBUFS fragments, each one pbuf. Below IOV_MAX (1024).
 */
#define UDP_IOV_MAX 320
_Static_assert(UDP_IOV_MAX > IP_REASS_MAX_PBUFS,
	       "an iovec per reassembled fragment");

/**
 * struct udp_pkt - a guest UDP datagram's headers, checked
 * @src: source address (network order)
 * @dst: destination address (network order)
 * @sport: source port
 * @dport: destination port
 * @hlen: IP header length
 * @ulen: UDP length (header and data), within the packet
 * @csum: the UDP checksum field (0: none)
 */
struct udp_pkt {
	uint32_t src;
	uint32_t dst;
	uint16_t sport;
	uint16_t dport;
	size_t hlen;
	size_t ulen;
	uint16_t csum;
};

/**
 * struct udp_flow - a guest (address, port) and the host socket it uses
 * @base: the flow table's part (remote address and port 0)
 * @proxy: the proxy
 * @sock: the host socket, bound to 0.0.0.0:0
 * @timer: the idle timer
 * @rx: the buffer a datagram is being received into, or NULL
 * @handles: uv handles opened and not yet closed
 * @closing: udp_flow_close() was called
 */
struct udp_flow {
	struct proxy_flow base;
	struct unet_proxy *proxy;
	uv_udp_t sock;
	struct unet_timer timer;
	struct pbuf *rx;
	int handles;
	bool closing;
};

static void udp_flow_close(struct proxy_flow *f);
static enum unet_flow_state udp_flow_state(const struct proxy_flow *f);

static const struct proxy_flow_ops udp_flow_ops = {
	.close = udp_flow_close,
	.state = udp_flow_state,
};

static void udp_put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

/* Parses the IP and UDP headers of what lwIP accepted; -EINVAL if malformed. */
static int udp_parse(const struct pbuf *p, struct udp_pkt *pkt)
{
	struct unet_cursor c = cursor_init(p->payload, p->len);
	uint8_t uh[UDP_HLEN];
	const uint8_t *ip;
	size_t total;

	ip = cursor_take(&c, IP_HLEN);
	if (ip == NULL || (ip[0] >> 4) != 4)
		return -EINVAL;
	pkt->hlen = (size_t)(ip[0] & 0x0f) * 4;
	total = cursor_be16(ip, 2);
	/* lwIP trimmed the pbuf to the IP length and reassembled fragments. */
	if (pkt->hlen < IP_HLEN ||
	    cursor_take(&c, pkt->hlen - IP_HLEN) == NULL ||
	    total != p->tot_len || (cursor_be16(ip, 6) & 0x3fff) != 0)
		return -EINVAL;
	memcpy(&pkt->src, ip + 12, sizeof(pkt->src));
	memcpy(&pkt->dst, ip + 16, sizeof(pkt->dst));
	/* The UDP header may straddle pbufs of a reassembled chain. */
	if (total - pkt->hlen < UDP_HLEN ||
	    pbuf_copy_partial(p, uh, UDP_HLEN, (u16_t)pkt->hlen) != UDP_HLEN)
		return -EINVAL;
	pkt->sport = cursor_be16(uh, 0);
	pkt->dport = cursor_be16(uh, 2);
	pkt->ulen = cursor_be16(uh, 4);
	pkt->csum = cursor_be16(uh, 6);
	if (pkt->ulen < UDP_HLEN || pkt->ulen > total - pkt->hlen)
		return -EINVAL;
	return 0;
}

/* Broadcast, multicast, "this network" and loopback: never a peer. */
static bool udp_addr_special(struct unet_proxy *proxy, uint32_t addr)
{
	uint32_t h = ntohl(addr);

	return h == 0xffffffffu || (h >> 28) >= 0xe || (h >> 24) == 0 ||
	       (h >> 24) == 127 ||
	       ip4_addr_isbroadcast_u32(addr, unet__stack_netif(proxy->stack));
}

/*
 * Whether an lwIP UDP pcb takes the datagram, as udp_input() would match it:
 * a gateway service (DHCP, TFTP), or the pcb of an inbound UDP forward
 * (bound to the gateway's address, connected to one guest port).
 */
static bool udp_gateway_service(const struct udp_pkt *pkt)
{
	const ip4_addr_t *a;
	struct udp_pcb *pcb;

	for (pcb = udp_pcbs; pcb != NULL; pcb = pcb->next) {
		if (pcb->local_port != pkt->dport)
			continue;
		if (!IP_IS_ANY_TYPE_VAL(pcb->local_ip)) {
			if (!IP_IS_V4_VAL(pcb->local_ip))
				continue;
			a = ip_2_ip4(&pcb->local_ip);
			if (!ip4_addr_isany(a) &&
			    ip4_addr_get_u32(a) != pkt->dst)
				continue;
		}
		if ((pcb->flags & UDP_FLAGS_CONNECTED) == 0)
			return true;
		if (pcb->remote_port == pkt->sport &&
		    IP_IS_V4_VAL(pcb->remote_ip) &&
		    ip4_addr_get_u32(ip_2_ip4(&pcb->remote_ip)) == pkt->src)
			return true;
	}
	return false;
}

/* Whether the datagram is for lwIP (the gateway) rather than the proxy. */
static bool udp_for_gateway(struct unet_proxy *proxy,
			    const struct udp_pkt *pkt)
{
	const struct unet_stack_config *sc = unet__stack_config(proxy->stack);
	uint32_t mask = sc->mask.s_addr;

	if (udp_addr_special(proxy, pkt->dst))
		return true;
	if (pkt->dst == sc->host.s_addr)
		return udp_gateway_service(pkt);
	if (unet__stack_is_gateway_addr(proxy->stack, pkt->dst))
		return true; /* an alias: the DNS address */
	/* Other hosts of the virtual net are never proxied. */
	return (pkt->dst & mask) == (sc->net.s_addr & mask);
}

static void udp_flow_closed(uv_handle_t *handle)
{
	struct udp_flow *flow = handle->data;
	struct unet_proxy *proxy = flow->proxy;

	if (--flow->handles == 0)
		free(flow);
	/* Last: it may free the proxy. */
	unet__proxy_unref(proxy);
}

/* Closes the flow: out of the table now, freed once its handles are closed. */
static void udp_flow_close(struct proxy_flow *f)
{
	struct udp_flow *flow = container_of(f, struct udp_flow, base);

	if (flow->closing)
		return;
	flow->closing = true;
	unet__flow_remove(flow->proxy, f);
	if (flow->rx != NULL) {
		pbuf_free(flow->rx);
		flow->rx = NULL;
	}
	uv_close((uv_handle_t *)&flow->sock, udp_flow_closed);
	unet_timer_close(&flow->timer, udp_flow_closed);
}

static enum unet_flow_state udp_flow_state(const struct proxy_flow *f)
{
	return UNET_FLOW_ACTIVE;
}

static void udp_flow_timer(struct unet_timer *timer)
{
	struct udp_flow *flow = container_of(timer, struct udp_flow, timer);
	struct unet_proxy *proxy = flow->proxy;
	uint64_t left = unet__flow_idle_left(proxy, &flow->base,
					     proxy->cfg.udp_timeout_ms);

	if (left == 0) {
		proxy->stats.udp_expired++;
		udp_flow_close(&flow->base);
		return;
	}
	/* Traffic since the timer was armed: wait for what remains. */
	unet_timer_start(timer, udp_flow_timer, left);
}

static void udp_flow_alloc(uv_handle_t *handle, size_t suggested,
			   uv_buf_t *buf)
{
	struct udp_flow *flow = handle->data;

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

/* Sends @len bytes received into @p to the guest, from @raddr:@rport. */
static void udp_flow_to_guest(struct udp_flow *flow, struct pbuf *p,
			      size_t len, uint32_t raddr, uint16_t rport)
{
	struct unet_proxy *proxy = flow->proxy;
	uint32_t src = unet__proxy_map_in(proxy, raddr);
	uint8_t uh[UDP_HLEN];
	ip4_addr_t s, d;
	u16_t sum;

	pbuf_realloc(p, (u16_t)len);
	if (pbuf_add_header(p, UDP_HLEN) != 0)
		return;
	udp_put16(uh, rport);
	udp_put16(uh + 2, flow->base.guest_port);
	udp_put16(uh + 4, (uint16_t)(len + UDP_HLEN));
	udp_put16(uh + 6, 0);
	pbuf_take(p, uh, UDP_HLEN);
	ip4_addr_set_u32(&s, src);
	ip4_addr_set_u32(&d, flow->base.guest_addr);
	/* In network order, as it goes into the header; 0 means "none". */
	sum = inet_chksum_pseudo(p, IP_PROTO_UDP, p->tot_len, &s, &d);
	if (sum == 0)
		sum = 0xffff;
	pbuf_take_at(p, &sum, sizeof(sum), 6);
	unet__proxy_output(proxy, p, src, flow->base.guest_addr, IP_PROTO_UDP);
	flow->base.bytes_in += len;
	unet__flow_touch(proxy, &flow->base);
}

static void udp_flow_recv(uv_udp_t *sock, ssize_t nread, const uv_buf_t *buf,
			  const struct sockaddr *addr, unsigned int flags)
{
	struct udp_flow *flow = sock->data;
	struct pbuf *p = flow->rx;
	struct sockaddr_in sin;

	flow->rx = NULL;
	if (p == NULL)
		return;
	/*
	 * nread < 0 is an error the socket reported (reading it cleared it);
	 * nread == 0 with no address is "nothing more to read". Either way
	 * the buffer goes, so an idle flow holds none.
	 */
	if (nread < 0 || addr == NULL || addr->sa_family != AF_INET ||
	    (flags & UV_UDP_PARTIAL) || nread > UDP_PAYLOAD_MAX) {
		pbuf_free(p);
		return;
	}
	memcpy(&sin, addr, sizeof(sin));
	udp_flow_to_guest(flow, p, (size_t)nread, sin.sin_addr.s_addr,
			  ntohs(sin.sin_port));
	pbuf_free(p);
}

/* Makes the flow of a guest (address, port); NULL when refused (counted). */
static struct udp_flow *udp_flow_new(struct unet_proxy *proxy, uint32_t addr,
				     uint16_t port)
{
	struct sockaddr_in any;
	struct udp_flow *flow;
	int r;

	flow = calloc(1, sizeof(*flow));
	if (flow == NULL) {
		proxy->stats.dropped++;
		return NULL;
	}
	flow->base.ops = &udp_flow_ops;
	flow->base.proto = IPPROTO_UDP;
	flow->base.hashed = true;
	flow->base.guest_addr = addr;
	flow->base.guest_port = port;
	flow->proxy = proxy;
	if (unet__flow_add(proxy, &flow->base) < 0) {
		free(flow);
		return NULL;
	}
	uv_udp_init(proxy->loop, &flow->sock);
	flow->sock.data = flow;
	flow->handles++;
	unet__proxy_ref(proxy);
	unet_timer_init(proxy->hub, &flow->timer);
	flow->timer.uv.data = flow;
	flow->handles++;
	unet__proxy_ref(proxy);

	memset(&any, 0, sizeof(any));
	any.sin_family = AF_INET;
	r = uv_udp_bind(&flow->sock, (const struct sockaddr *)&any, 0);
	if (r == 0)
		r = uv_udp_recv_start(&flow->sock, udp_flow_alloc,
				      udp_flow_recv);
	if (r < 0) {
		proxy->stats.dropped++;
		unet__proxy_log_guest(proxy, "UDP flow: host socket: %s",
				      uv_strerror(r));
		udp_flow_close(&flow->base);
		return NULL;
	}
	unet_timer_start(&flow->timer, udp_flow_timer,
			 proxy->cfg.udp_timeout_ms);
	proxy->stats.udp_opened++;
	return flow;
}

/* Fills @iov with @len bytes of @p from @off; returns their count or < 0. */
static int udp_iov(struct pbuf *p, size_t off, size_t len, uv_buf_t *iov,
		   int max)
{
	struct unet_cursor c;
	const void *piece;
	struct pbuf *q;
	size_t take;
	int n = 0;

	for (q = p; q != NULL && len > 0; q = q->next) {
		c = cursor_init(q->payload, q->len);
		take = off < c.len ? off : c.len;
		cursor_take(&c, take);
		off -= take;
		if (c.len == 0)
			continue;
		take = c.len < len ? c.len : len;
		piece = cursor_take(&c, take);
		if (n == max)
			return -EMSGSIZE;
		iov[n++] = uv_buf_init((char *)piece, (unsigned int)take);
		len -= take;
	}
	return len == 0 ? n : -EINVAL;
}

/* Sends the datagram's data (@p at its UDP header) to the host side. */
static void udp_flow_send(struct udp_flow *flow, struct pbuf *p,
			  const struct udp_pkt *pkt,
			  const struct sockaddr_in *sa)
{
	static char empty[1];
	struct unet_proxy *proxy = flow->proxy;
	size_t len = pkt->ulen - UDP_HLEN;
	uv_buf_t iov[UDP_IOV_MAX];
	int n, r;

	n = udp_iov(p, UDP_HLEN, len, iov, UDP_IOV_MAX);
	if (n < 0) {
		proxy->stats.dropped++;
		return;
	}
	if (n == 0) /* an empty datagram is still one */
		iov[n++] = uv_buf_init(empty, 0);
	r = uv_udp_try_send(&flow->sock, iov, (unsigned int)n,
			    (const struct sockaddr *)sa);
	if (r < 0) {
		/* UV_EAGAIN covers a full socket buffer and ENOBUFS. */
		proxy->stats.dropped++;
		if (r != UV_EAGAIN)
			unet__proxy_log_guest(proxy, "UDP to %s:%u: %s",
					      inet_ntoa(sa->sin_addr),
					      ntohs(sa->sin_port),
					      uv_strerror(r));
		return;
	}
	flow->base.bytes_out += len;
	unet__flow_touch(proxy, &flow->base);
}

/**
 * unet__udp_raw_input() - take a guest UDP datagram for the proxy
 * @proxy: the proxy
 * @p: the datagram as lwIP accepted it (IP header checked, reassembled,
 *     trimmed to the IP length; possibly a chain), payload at the IP header
 *
 * Called from the raw UDP pcb before lwIP's UDP layer, which has therefore
 * not checked anything of the UDP header yet: this does. Datagrams for the
 * gateway itself (broadcast, multicast, the DNS alias, a port of the
 * gateway's address that an lwIP pcb is bound to) are left to lwIP.
 *
 * Return: 1 when the proxy took @p (and freed it: sent, refused or dropped,
 * each counted), 0 to let lwIP go on with it, unchanged.
 */
u8_t unet__udp_raw_input(struct unet_proxy *proxy, struct pbuf *p)
{
	struct proxy_flow *f;
	struct udp_flow *flow;
	struct sockaddr_in sa;
	struct udp_pkt pkt;
	ip4_addr_t s, d;

	if (udp_parse(p, &pkt) < 0) {
		unet__proxy_log_guest(proxy, "malformed UDP datagram dropped");
		goto drop;
	}
	if (udp_for_gateway(proxy, &pkt))
		return 0;
	/* From here the datagram is the proxy's: lwIP is done with it. */
	if (udp_addr_special(proxy, pkt.src) ||
	    pbuf_remove_header(p, pkt.hlen) != 0)
		goto drop;
	/*
	 * Bytes past the UDP length are padding. Trimmed off rather than
	 * skipped with inet_chksum_pseudo_partial(), which asserts on more
	 * than 32 KiB.
	 */
	pbuf_realloc(p, (u16_t)pkt.ulen);
	if (pkt.csum != 0) {
		ip4_addr_set_u32(&s, pkt.src);
		ip4_addr_set_u32(&d, pkt.dst);
		if (inet_chksum_pseudo(p, IP_PROTO_UDP, (u16_t)pkt.ulen, &s,
				       &d) != 0) {
			unet__proxy_log_guest(proxy, "UDP datagram with a "
					      "bad checksum dropped");
			goto drop;
		}
	}
	if (unet__proxy_map_out(proxy, pkt.dst, pkt.dport, &sa) < 0)
		goto out; /* refused by policy, counted */
	f = unet__flow_find(proxy, IPPROTO_UDP, pkt.src, pkt.sport, 0, 0);
	if (f != NULL && f->ops != &udp_flow_ops)
		goto drop; /* the key belongs to another kind of flow */
	if (f != NULL)
		flow = container_of(f, struct udp_flow, base);
	else
		flow = udp_flow_new(proxy, pkt.src, pkt.sport);
	if (flow != NULL)
		udp_flow_send(flow, p, &pkt, &sa);
out:
	pbuf_free(p);
	return 1;
drop:
	proxy->stats.dropped++;
	pbuf_free(p);
	return 1;
}
