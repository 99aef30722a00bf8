/* SPDX-License-Identifier: MIT */
/*
 * The proxy's ICMP echo: the guest's pings to the outside, IPv4 and IPv6,
 * carried over the host's unprivileged ICMP ("ping") sockets.
 *
 * Theory of operation: the stack hands every ICMP message lwIP accepted,
 * parsed (struct unet_ip_pkt), to unet__icmp_datagram() before lwIP's own
 * ICMP sees it. Messages to the
 * gateway's addresses, broadcast and multicast (and for IPv6, neighbour
 * discovery and MLD) are left to lwIP, which answers echo to the gateway
 * itself. To a foreign address only an echo
 * request is carried; anything else is dropped and counted.
 *
 * One flow per (guest address, echo id, remote address), with one
 * SOCK_DGRAM/IPPROTO_ICMP socket (for ICMPv6 echo, AF_INET6 and
 * IPPROTO_ICMPV6; its checksum covers a pseudo-header, which the kernel
 * fills in one way and the proxy the other). Linux lets a process open one
 * only when one of its groups is inside net.ipv4.ping_group_range (which
 * rules both families; by default no group is): on EACCES the proxy logs
 * once what to set and drops the pings. The
 * kernel replaces the echo id with the socket's own and sets the checksum;
 * replies come back on the socket as ICMP header and payload only, and get
 * the guest's id and a new checksum before they go to the guest, from the
 * address it pinged.
 *
 * The socket is watched with a uv_poll_t and read with recvfrom(): libuv's
 * UDP handle would also do, but it is made for UDP sockets (it sets
 * SO_REUSEADDR, binds implicitly on send) and a ping socket needs nothing
 * but readiness. libuv stops a poll handle that sees POLLERR; the socket's
 * error is then read (which clears it) and polling restarted.
 *
 * ICMP errors (icmp_err.c): the socket has IP_RECVERR on; its error queue
 * is read on POLLERR and when a read fails, and each error about an echo
 * request (unreachable, prohibited, time exceeded, fragmentation needed,
 * packet too big) goes to the guest quoting the headers of its last echo
 * request (the flow keeps them) with the echo's sequence number, which the
 * guest's ping matches. The guest's DF bit (IPv6: whether it fragmented)
 * sets the socket's path MTU discovery, and its TTL the socket's, as for
 * UDP.
 *
 * A reply is read into a 64 KiB pbuf allocated for the read and freed right
 * after, so an idle flow holds no buffer. A flow idle for icmp_timeout_ms
 * expires (flow.c; counted in icmp_expired).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "proxy_internal.h"

#include "lwip/pbuf.h"

#include "wire/checksum.h"

/* Largest ICMP message in IPv4: 65535 - 20 (IP). */
#define ICMP_MSG_MAX 65515

/* Most pieces of a reassembled guest message (one per fragment), plus one. */
#define ICMP_IOV_MAX 320
_Static_assert(ICMP_IOV_MAX > IP_REASS_MAX_PBUFS + 1,
	       "an iovec per reassembled fragment and one for the header");

/* Replies read per readiness callback, so that one flow cannot hog the loop. */
#define ICMP_RECV_BATCH 16

/**
 * struct icmp_flow - a guest's echo id towards one remote address
 * @base: the flow base (echo id as the guest port; its timer expires it)
 * @host: where the echo requests go on the host side (of the flow's family)
 * @fd: the ping socket
 * @poll: watches @fd
 * @quote: the headers of the guest's last echo request, for an error
 *         about it
 * @opts: the socket's path MTU discovery and TTL, as the guest's last
 *        datagram asked
 */
struct icmp_flow {
	struct proxy_flow base;
	union unet_sockaddr host;
	int fd;
	uv_poll_t poll;
	struct proxy_quote quote;
	struct proxy_sockopts opts;
};

static void icmp_flow_close(struct proxy_flow *f);
static enum unet_flow_state icmp_flow_state(const struct proxy_flow *f);
static void icmp_flow_free(struct proxy_flow *f);

static const struct proxy_flow_ops icmp_flow_ops = {
	.close = icmp_flow_close,
	.state = icmp_flow_state,
	.free = icmp_flow_free,
};

static struct icmp_flow *icmp_flow_of(struct proxy_flow *f)
{
	return container_of(f, struct icmp_flow, base);
}

/* Closes the flow: out of the table now, freed once its handles are closed. */
static void icmp_flow_close(struct proxy_flow *f)
{
	if (!unet__flow_close_begin(f))
		return;
	uv_close((uv_handle_t *)&icmp_flow_of(f)->poll,
		 unet__flow_handle_closed);
}

/* Every handle is closed: the socket is no longer watched. */
static void icmp_flow_free(struct proxy_flow *f)
{
	struct icmp_flow *flow = icmp_flow_of(f);

	close(flow->fd);
	free(flow);
}

static enum unet_flow_state icmp_flow_state(const struct proxy_flow *f)
{
	return UNET_FLOW_ACTIVE;
}

/* Whether @from is the address the flow pings (its family's address). */
static bool icmp_flow_from_host(const struct icmp_flow *flow,
				const union unet_sockaddr *from)
{
	if (flow->base.family == AF_INET)
		return from->in.sin_addr.s_addr ==
		       flow->host.in.sin_addr.s_addr;
	return memcmp(&from->in6.sin6_addr, &flow->host.in6.sin6_addr,
		      sizeof(struct in6_addr)) == 0;
}

/* Gives the guest a reply read into @p (@len bytes from @from). */
static void icmp_flow_to_guest(struct icmp_flow *flow, struct pbuf *p,
			       size_t len, const union unet_sockaddr *from)
{
	struct unet_proxy *proxy = flow->base.proxy;
	const union unet_ip_addr *guest = &flow->base.guest_addr;
	const union unet_ip_addr *remote = &flow->base.remote_addr;
	bool v6 = flow->base.family == AF_INET6;
	struct wire_icmp *ih;
	uint32_t sum = 0;

	/* One piece (PBUF_RAM): the header is rewritten in place. */
	if (len < sizeof(*ih) || !icmp_flow_from_host(flow, from))
		return;
	ih = p->payload;
	if (ih->type != (v6 ? WIRE_ICMP6_ECHOREPLY : WIRE_ICMP_ECHOREPLY) ||
	    ih->code != 0)
		return;
	pbuf_realloc(p, (u16_t)len);
	ih->id = htons(flow->base.guest_port);
	ih->csum = 0;
	if (v6)
		sum = unet__csum_ip6_pseudo(remote->v6, guest->v6,
					    WIRE_IPPROTO_ICMPV6, len);
	ih->csum =
		htons(unet__csum_finish(unet__csum_add(sum, p->payload, len)));
	if (v6)
		unet__flow_output6(proxy, p, remote->v6, guest->v6,
				   WIRE_IPPROTO_ICMPV6);
	else
		unet__flow_output(proxy, p, remote->v4, guest->v4,
				  WIRE_IPPROTO_ICMP);
	flow->base.bytes_in += len - sizeof(*ih);
	unet__flow_touch(&flow->base);
}

static void icmp_flow_readable(uv_poll_t *poll, int status, int events)
{
	struct icmp_flow *flow = icmp_flow_of(poll->data);
	socklen_t fromlen, errlen = sizeof(int);
	union unet_sockaddr from;
	struct pbuf *p;
	ssize_t n;
	int i, err;

	if (status < 0) {
		/*
		 * libuv stopped the handle on POLLERR: read the error queue
		 * (ICMP errors for the guest), clear the error.
		 */
		unet__icmp_err_drain(&flow->base, flow->fd, &flow->quote);
		if (flow->base.closing)
			return;
		if (getsockopt(flow->fd, SOL_SOCKET, SO_ERROR, &err,
			       &errlen) < 0 ||
		    uv_poll_start(poll, UV_READABLE, icmp_flow_readable) < 0) {
			icmp_flow_close(&flow->base);
			return;
		}
	}
	/* Giving a reply to the guest may close the flow (or the proxy). */
	for (i = 0; i < ICMP_RECV_BATCH && !flow->base.closing; i++) {
		p = pbuf_alloc(PBUF_IP, ICMP_MSG_MAX, PBUF_RAM);
		if (p == NULL)
			return;
		fromlen = sizeof(from);
		n = recvfrom(flow->fd, p->payload, p->len, MSG_DONTWAIT,
			     (struct sockaddr *)&from, &fromlen);
		if (n < 0 && errno == EINTR) {
			pbuf_free(p);
			continue;
		}
		/*
		 * EAGAIN: all read. Any other error is one the kernel
		 * reported once (reading it cleared it; its report waits in
		 * the error queue): stop for now.
		 */
		if (n < 0) {
			pbuf_free(p);
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				unet__icmp_err_drain(&flow->base, flow->fd,
						     &flow->quote);
			return;
		}
		if (fromlen >= sizeof(struct sockaddr_in) &&
		    from.sa.sa_family == flow->base.family &&
		    (from.sa.sa_family == AF_INET ||
		     fromlen >= sizeof(struct sockaddr_in6)))
			icmp_flow_to_guest(flow, p, (size_t)n, &from);
		pbuf_free(p);
	}
}

/* Logs once that the host refuses ping sockets, and what would allow them. */
static void icmp_refused(struct unet_proxy *proxy, int err)
{
	if (proxy->ping_warned)
		return;
	proxy->ping_warned = true;
	unet_hub_log(proxy->hub, UNET_LOG_WARN,
		     "proxy: the host refuses ICMP echo sockets (%s): guest "
		     "pings to the outside are dropped; to allow them, put "
		     "group %u in net.ipv4.ping_group_range (e.g. sysctl -w "
		     "net.ipv4.ping_group_range=\"0 2147483647\")",
		     strerror(err), (unsigned int)getegid());
}

/*
 * Makes the flow of @pkt's echo id to its destination (@host on the host
 * side); NULL when refused (counted).
 */
static struct icmp_flow *icmp_flow_new(struct unet_proxy *proxy,
				       const struct unet_ip_pkt *pkt,
				       const union unet_sockaddr *host)
{
	bool v6 = pkt->family == AF_INET6;
	struct icmp_flow *flow;
	int r;

	flow = calloc(1, sizeof(*flow));
	if (flow == NULL) {
		proxy->stats.dropped++;
		return NULL;
	}
	unet__flow_init(&flow->base, proxy, &icmp_flow_ops,
			v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
	flow->opts = (struct proxy_sockopts){ -1, -1 };
	flow->base.hashed = true;
	flow->base.family = pkt->family;
	flow->base.guest_addr = pkt->src;
	flow->base.guest_port = pkt->sport;
	flow->base.remote_addr = pkt->dst;
	flow->base.egress_dst = *host;
	flow->host = *host;
	if (unet__flow_add(&flow->base) < 0) {
		free(flow);
		return NULL;
	}
	flow->fd = unet__flow_socket(proxy, pkt->family, SOCK_DGRAM,
				     v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
	if (flow->fd < 0) {
		r = -flow->fd;
		if (r == EACCES || r == EPERM || r == EPROTONOSUPPORT ||
		    r == EAFNOSUPPORT || r == ESOCKTNOSUPPORT)
			icmp_refused(proxy, r);
		else
			PROXY_LOG_GUEST(proxy, "ICMP echo socket: %s",
					strerror(r));
		goto fail;
	}
	r = uv_poll_init(proxy->loop, &flow->poll, flow->fd);
	if (r < 0) {
		close(flow->fd);
		PROXY_LOG_GUEST(proxy, "ICMP echo socket: %s", uv_strerror(r));
		goto fail;
	}
	unet__flow_hold(&flow->base, (uv_handle_t *)&flow->poll);
	unet__flow_timer_init(&flow->base);
	unet__icmp_err_sock_init(proxy, flow->fd, pkt->family);
	r = uv_poll_start(&flow->poll, UV_READABLE, icmp_flow_readable);
	if (r < 0) {
		proxy->stats.dropped++;
		icmp_flow_close(&flow->base);
		return NULL;
	}
	unet__flow_idle_start(&flow->base);
	proxy->stats.icmp_opened++;
	if (v6)
		proxy->stats.icmp6_opened++;
	return flow;

fail:
	/* No handle was opened: the flow goes at once. */
	proxy->stats.dropped++;
	unet__flow_remove(&flow->base);
	free(flow);
	return NULL;
}

/* Sends the echo request (header and payload, from @p) to the host side. */
static void icmp_flow_send(struct icmp_flow *flow, const struct pbuf *p,
			   const struct unet_ip_pkt *pkt)
{
	struct unet_proxy *proxy = flow->base.proxy;
	uv_buf_t iov[ICMP_IOV_MAX];
	char a[INET6_ADDRSTRLEN + 8];
	struct msghdr msg;
	int n, err;

	/* The header as the guest sent it; the kernel sets id and checksum. */
	iov[0] = uv_buf_init((char *)pkt->l4.icmp, sizeof(*pkt->l4.icmp));
	n = unet__stack_payload_bufs(p, pkt, iov + 1, ICMP_IOV_MAX - 1);
	if (n < 0) {
		proxy->stats.dropped++;
		return;
	}
	unet__icmp_err_keep(&flow->quote, p, pkt);
	unet__icmp_err_sockopts(flow->fd, flow->base.family, &flow->opts, p,
				pkt);
	memset(&msg, 0, sizeof(msg));
	msg.msg_name = &flow->host;
	msg.msg_namelen = flow->base.family == AF_INET ? sizeof(flow->host.in) :
							 sizeof(flow->host.in6);
	/* libuv's uv_buf_t is laid out as a struct iovec on Unix. */
	msg.msg_iov = (struct iovec *)iov;
	msg.msg_iovlen = (size_t)n + 1;
	if (sendmsg(flow->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		err = errno;
		proxy->stats.dropped++;
		if (err != EAGAIN && err != ENOBUFS)
			PROXY_LOG_GUEST(proxy, "ICMP echo to %s: %s",
					unet__sockaddr_str(&flow->host, a,
							   sizeof(a)),
					strerror(err));
		unet__icmp_err_send_failed(&flow->base, flow->fd, &flow->quote,
					   p, -err);
		return;
	}
	flow->base.bytes_out += pkt->payload_len;
	unet__flow_touch(&flow->base);
}

/**
 * unet__icmp_datagram() - take a guest ICMP message for the proxy
 * @proxy: the proxy
 * @p: the message as lwIP accepted it (IP header checked, reassembled,
 *     trimmed to the IP length; possibly a chain), payload at the IP header
 * @pkt: the message parsed by the stack
 *
 * Messages to the gateway's addresses, broadcast and multicast are left to
 * lwIP (which answers echo to the gateway). To a foreign address, an echo
 * request with a good checksum goes out through the flow of its (guest, id,
 * address); everything else is dropped.
 *
 * Return: UNET_VERDICT_DROP when the proxy took @p (sent, refused or
 * dropped, each counted; the stack frees it), UNET_VERDICT_ACCEPT to let
 * lwIP go on with it, unchanged.
 */
enum unet_verdict unet__icmp_datagram(struct unet_proxy *proxy, struct pbuf *p,
				      const struct unet_ip_pkt *pkt)
{
	bool v6 = pkt->family == AF_INET6;
	struct proxy_flow *f;
	struct icmp_flow *flow;
	union unet_sockaddr sa;

	if (pkt->fragment) {
		PROXY_LOG_GUEST(proxy, "malformed ICMP message dropped");
		goto drop;
	}
	if (!unet__stack_is_foreign_ip(proxy->stack, pkt->family, &pkt->dst))
		return UNET_VERDICT_ACCEPT;
	/* From here the message is the proxy's: lwIP is done with it. */
	if ((v6 ? !unet__stack_is_guest_addr6(proxy->stack, pkt->src.v6) :
		  unet__stack_addr_special(proxy->stack, pkt->src.v4)) ||
	    pkt->l4.icmp == NULL)
		goto drop;
	if (!unet__stack_l4_csum_ok(p, pkt)) {
		PROXY_LOG_GUEST(proxy, "ICMP message with a bad checksum "
				       "dropped");
		goto drop;
	}
	if (pkt->l4.icmp->type != (v6 ? WIRE_ICMP6_ECHO : WIRE_ICMP_ECHO) ||
	    pkt->l4.icmp->code != 0)
		goto drop; /* only echo is carried */
	if (unet__flow_map_out(proxy, pkt, &sa) < 0)
		return UNET_VERDICT_DROP; /* refused by policy, counted */
	f = unet__flow_find(proxy, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP,
			    pkt->family, &pkt->src, pkt->sport, &pkt->dst, 0);
	if (f != NULL && f->ops != &icmp_flow_ops)
		goto drop;
	if (f != NULL)
		flow = icmp_flow_of(f);
	else
		flow = icmp_flow_new(proxy, pkt, &sa);
	if (flow != NULL)
		icmp_flow_send(flow, p, pkt);
	return UNET_VERDICT_DROP;
drop:
	proxy->stats.dropped++;
	return UNET_VERDICT_DROP;
}
