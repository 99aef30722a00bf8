/* SPDX-License-Identifier: MIT */
/*
 * The proxy's ICMP echo: the guest's pings to the outside, carried over the
 * host's unprivileged ICMP ("ping") sockets.
 *
 * Theory of operation: a raw pcb hands every ICMP message lwIP accepted to
 * unet__icmp_raw_input() before lwIP's own ICMP sees it. Messages to the
 * gateway's addresses, broadcast and multicast are left to lwIP, which
 * answers echo to the gateway itself. To a foreign address only an echo
 * request is carried; anything else is dropped and counted.
 *
 * One flow per (guest address, echo id, remote address), with one
 * SOCK_DGRAM/IPPROTO_ICMP socket. Linux lets a process open one only when
 * one of its groups is inside net.ipv4.ping_group_range (by default none
 * is): on EACCES the proxy logs once what to set and drops the pings. The
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
 * A reply is read into a 64 KiB pbuf allocated for the read and freed right
 * after, so an idle flow holds no buffer. A flow idle for icmp_timeout_ms
 * closes (counted with the UDP expiries); its timer is re-armed lazily.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "proxy_internal.h"

#include "lwip/inet_chksum.h"
#include "lwip/ip4_addr.h"
#include "lwip/prot/icmp.h"
#include "lwip/prot/ip4.h"

#include "wire/cursor.h"

/* The ICMP header of an echo: type, code, checksum, id, sequence. */
#define ICMP_ECHO_HLEN 8

/* Largest ICMP message in IPv4: 65535 - 20 (IP). */
#define ICMP_MSG_MAX 65515

/* Most pieces of a reassembled guest message (one per fragment), plus one. */
#define ICMP_IOV_MAX 320
_Static_assert(ICMP_IOV_MAX > IP_REASS_MAX_PBUFS + 1,
	       "an iovec per reassembled fragment and one for the header");

/* Replies read per readiness callback, so that one flow cannot hog the loop. */
#define ICMP_RECV_BATCH 16

/**
 * struct icmp_pkt - a guest ICMP message's headers, checked
 * @src: source address (network order)
 * @dst: destination address (network order)
 * @hlen: IP header length
 * @len: ICMP message length (header and data)
 */
struct icmp_pkt {
	uint32_t src;
	uint32_t dst;
	size_t hlen;
	size_t len;
};

/**
 * struct icmp_flow - a guest's echo id towards one remote address
 * @base: the flow table's part (echo id as the guest port)
 * @proxy: the proxy
 * @host: where the echo requests go on the host side
 * @fd: the ping socket
 * @poll: watches @fd
 * @timer: the idle timer
 * @handles: uv handles opened and not yet closed
 * @closing: icmp_flow_close() was called
 */
struct icmp_flow {
	struct proxy_flow base;
	struct unet_proxy *proxy;
	struct sockaddr_in host;
	int fd;
	uv_poll_t poll;
	struct unet_timer timer;
	int handles;
	bool closing;
};

static void icmp_flow_close(struct proxy_flow *f);
static enum unet_flow_state icmp_flow_state(const struct proxy_flow *f);

static const struct proxy_flow_ops icmp_flow_ops = {
	.close = icmp_flow_close,
	.state = icmp_flow_state,
};

/* Parses the IP header of what lwIP accepted; -EINVAL if malformed. */
static int icmp_parse(const struct pbuf *p, struct icmp_pkt *pkt)
{
	struct unet_cursor c = cursor_init(p->payload, p->len);
	const uint8_t *ip;
	size_t total;

	ip = cursor_take(&c, IP_HLEN);
	if (ip == NULL || (ip[0] >> 4) != 4)
		return -EINVAL;
	pkt->hlen = (size_t)(ip[0] & 0x0f) * 4;
	total = cursor_be16(ip, 2);
	if (pkt->hlen < IP_HLEN ||
	    cursor_take(&c, pkt->hlen - IP_HLEN) == NULL ||
	    total != p->tot_len || (cursor_be16(ip, 6) & 0x3fff) != 0)
		return -EINVAL;
	memcpy(&pkt->src, ip + 12, sizeof(pkt->src));
	memcpy(&pkt->dst, ip + 16, sizeof(pkt->dst));
	pkt->len = total - pkt->hlen;
	return 0;
}

/* Broadcast, multicast, "this network" and loopback: never a peer. */
static bool icmp_addr_special(struct unet_proxy *proxy, uint32_t addr)
{
	uint32_t h = ntohl(addr);

	return h == 0xffffffffu || (h >> 28) >= 0xe || (h >> 24) == 0 ||
	       (h >> 24) == 127 ||
	       ip4_addr_isbroadcast_u32(addr, unet__stack_netif(proxy->stack));
}

/* Whether @addr is outside the virtual net (and an ordinary unicast). */
static bool icmp_foreign(struct unet_proxy *proxy, uint32_t addr)
{
	const struct unet_stack_config *sc = unet__stack_config(proxy->stack);
	uint32_t mask = sc->mask.s_addr;

	if (icmp_addr_special(proxy, addr) ||
	    unet__stack_is_gateway_addr(proxy->stack, addr))
		return false;
	return (addr & mask) != (sc->net.s_addr & mask);
}

static void icmp_flow_closed(uv_handle_t *handle)
{
	struct icmp_flow *flow = handle->data;
	struct unet_proxy *proxy = flow->proxy;

	/* The poll handle is closed: the socket is no longer watched. */
	if (handle == (uv_handle_t *)&flow->poll)
		close(flow->fd);
	if (--flow->handles == 0)
		free(flow);
	/* Last: it may free the proxy. */
	unet__proxy_unref(proxy);
}

/* Closes the flow: out of the table now, freed once its handles are closed. */
static void icmp_flow_close(struct proxy_flow *f)
{
	struct icmp_flow *flow = container_of(f, struct icmp_flow, base);

	if (flow->closing)
		return;
	flow->closing = true;
	unet__flow_remove(flow->proxy, f);
	uv_close((uv_handle_t *)&flow->poll, icmp_flow_closed);
	unet_timer_close(&flow->timer, icmp_flow_closed);
}

static enum unet_flow_state icmp_flow_state(const struct proxy_flow *f)
{
	return UNET_FLOW_ACTIVE;
}

static void icmp_flow_timer(struct unet_timer *timer)
{
	struct icmp_flow *flow = container_of(timer, struct icmp_flow, timer);
	struct unet_proxy *proxy = flow->proxy;
	uint64_t left = unet__flow_idle_left(proxy, &flow->base,
					     proxy->cfg.icmp_timeout_ms);

	if (left == 0) {
		proxy->stats.udp_expired++;
		icmp_flow_close(&flow->base);
		return;
	}
	/* Traffic since the timer was armed: wait for what remains. */
	unet_timer_start(timer, icmp_flow_timer, left);
}

/* Gives the guest a reply read into @p (@len bytes from @from). */
static void icmp_flow_to_guest(struct icmp_flow *flow, struct pbuf *p,
			       size_t len, const struct sockaddr_in *from)
{
	struct unet_proxy *proxy = flow->proxy;
	struct unet_cursor c = cursor_init(p->payload, len);
	const uint8_t *ih;
	uint8_t id[2];
	u16_t sum = 0;

	ih = cursor_take(&c, ICMP_ECHO_HLEN);
	if (ih == NULL || ih[0] != ICMP_ER || ih[1] != 0 ||
	    from->sin_addr.s_addr != flow->host.sin_addr.s_addr)
		return;
	pbuf_realloc(p, (u16_t)len);
	id[0] = (uint8_t)(flow->base.guest_port >> 8);
	id[1] = (uint8_t)flow->base.guest_port;
	pbuf_take_at(p, id, sizeof(id), 4);
	pbuf_take_at(p, &sum, sizeof(sum), 2);
	/* In network order, as it goes into the header. */
	sum = inet_chksum_pbuf(p);
	pbuf_take_at(p, &sum, sizeof(sum), 2);
	unet__proxy_output(proxy, p, flow->base.remote_addr,
			   flow->base.guest_addr, IP_PROTO_ICMP);
	flow->base.bytes_in += len - ICMP_ECHO_HLEN;
	unet__flow_touch(proxy, &flow->base);
}

static void icmp_flow_readable(uv_poll_t *poll, int status, int events)
{
	struct icmp_flow *flow = poll->data;
	socklen_t fromlen, errlen = sizeof(int);
	struct sockaddr_in from;
	struct pbuf *p;
	ssize_t n;
	int i, err;

	if (status < 0) {
		/* libuv stopped the handle on POLLERR: clear the error. */
		if (getsockopt(flow->fd, SOL_SOCKET, SO_ERROR, &err,
			       &errlen) < 0 ||
		    uv_poll_start(poll, UV_READABLE, icmp_flow_readable) < 0) {
			icmp_flow_close(&flow->base);
			return;
		}
	}
	/* Giving a reply to the guest may close the flow (or the proxy). */
	for (i = 0; i < ICMP_RECV_BATCH && !flow->closing; i++) {
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
		 * reported once (reading it cleared it): stop for now.
		 */
		if (n < 0) {
			pbuf_free(p);
			return;
		}
		if (fromlen >= sizeof(from) && from.sin_family == AF_INET)
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

/* Makes the flow of a guest's echo id to @dst; NULL when refused (counted). */
static struct icmp_flow *icmp_flow_new(struct unet_proxy *proxy,
				       uint32_t src, uint16_t id, uint32_t dst,
				       const struct sockaddr_in *host)
{
	struct icmp_flow *flow;
	int r;

	flow = calloc(1, sizeof(*flow));
	if (flow == NULL) {
		proxy->stats.dropped++;
		return NULL;
	}
	flow->base.ops = &icmp_flow_ops;
	flow->base.proto = IPPROTO_ICMP;
	flow->base.hashed = true;
	flow->base.guest_addr = src;
	flow->base.guest_port = id;
	flow->base.remote_addr = dst;
	flow->proxy = proxy;
	flow->host = *host;
	if (unet__flow_add(proxy, &flow->base) < 0) {
		free(flow);
		return NULL;
	}
	flow->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			  IPPROTO_ICMP);
	if (flow->fd < 0) {
		r = errno;
		if (r == EACCES || r == EPERM || r == EPROTONOSUPPORT ||
		    r == EAFNOSUPPORT || r == ESOCKTNOSUPPORT)
			icmp_refused(proxy, r);
		else
			unet__proxy_log_guest(proxy, "ICMP echo socket: %s",
					      strerror(r));
		goto fail;
	}
	r = uv_poll_init(proxy->loop, &flow->poll, flow->fd);
	if (r < 0) {
		close(flow->fd);
		unet__proxy_log_guest(proxy, "ICMP echo socket: %s",
				      uv_strerror(r));
		goto fail;
	}
	flow->poll.data = flow;
	flow->handles++;
	unet__proxy_ref(proxy);
	unet_timer_init(proxy->hub, &flow->timer);
	flow->timer.uv.data = flow;
	flow->handles++;
	unet__proxy_ref(proxy);
	r = uv_poll_start(&flow->poll, UV_READABLE, icmp_flow_readable);
	if (r < 0) {
		proxy->stats.dropped++;
		icmp_flow_close(&flow->base);
		return NULL;
	}
	unet_timer_start(&flow->timer, icmp_flow_timer,
			 proxy->cfg.icmp_timeout_ms);
	proxy->stats.icmp_opened++;
	return flow;

fail:
	/* No handle was opened: the flow goes at once. */
	proxy->stats.dropped++;
	unet__flow_remove(proxy, &flow->base);
	free(flow);
	return NULL;
}

/* Sends the echo request (@p at its ICMP header) to the host side. */
static void icmp_flow_send(struct icmp_flow *flow, struct pbuf *p,
			   size_t len)
{
	struct unet_proxy *proxy = flow->proxy;
	uint8_t hdr[ICMP_ECHO_HLEN];
	struct iovec iov[ICMP_IOV_MAX];
	struct unet_cursor c;
	struct msghdr msg;
	size_t off = ICMP_ECHO_HLEN, rest = len - ICMP_ECHO_HLEN, take;
	const void *piece;
	struct pbuf *q;
	int n = 0;

	/* The header as the guest sent it; the kernel sets id and checksum. */
	pbuf_copy_partial(p, hdr, sizeof(hdr), 0);
	iov[n].iov_base = hdr;
	iov[n++].iov_len = sizeof(hdr);
	for (q = p; q != NULL && rest > 0; q = q->next) {
		c = cursor_init(q->payload, q->len);
		take = off < c.len ? off : c.len;
		cursor_take(&c, take);
		off -= take;
		if (c.len == 0)
			continue;
		take = c.len < rest ? c.len : rest;
		piece = cursor_take(&c, take);
		if (n == ICMP_IOV_MAX) {
			proxy->stats.dropped++;
			return;
		}
		iov[n].iov_base = (void *)piece;
		iov[n++].iov_len = take;
		rest -= take;
	}
	memset(&msg, 0, sizeof(msg));
	msg.msg_name = &flow->host;
	msg.msg_namelen = sizeof(flow->host);
	msg.msg_iov = iov;
	msg.msg_iovlen = (size_t)n;
	if (rest > 0 ||
	    sendmsg(flow->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		proxy->stats.dropped++;
		if (rest == 0 && errno != EAGAIN && errno != ENOBUFS)
			unet__proxy_log_guest(proxy, "ICMP echo to %s: %s",
					      inet_ntoa(flow->host.sin_addr),
					      strerror(errno));
		return;
	}
	flow->base.bytes_out += len - ICMP_ECHO_HLEN;
	unet__flow_touch(proxy, &flow->base);
}

/**
 * unet__icmp_raw_input() - take a guest ICMP message for the proxy
 * @proxy: the proxy
 * @p: the message as lwIP accepted it (IP header checked, reassembled,
 *     trimmed to the IP length; possibly a chain), payload at the IP header
 *
 * Called from the raw ICMP pcb before lwIP's ICMP. Messages to the gateway's
 * addresses, broadcast and multicast are left to lwIP (which answers echo to
 * the gateway). To a foreign address, an echo request with a good checksum
 * goes out through the flow of its (guest, id, address); everything else is
 * dropped.
 *
 * Return: 1 when the proxy took @p (and freed it: sent, refused or dropped,
 * each counted), 0 to let lwIP go on with it, unchanged.
 */
u8_t unet__icmp_raw_input(struct unet_proxy *proxy, struct pbuf *p)
{
	struct proxy_flow *f;
	struct icmp_flow *flow;
	struct sockaddr_in sa;
	struct icmp_pkt pkt;
	uint8_t ih[ICMP_ECHO_HLEN];
	uint16_t id;

	if (icmp_parse(p, &pkt) < 0) {
		unet__proxy_log_guest(proxy, "malformed ICMP message dropped");
		goto drop;
	}
	if (!icmp_foreign(proxy, pkt.dst))
		return 0;
	/* From here the message is the proxy's: lwIP is done with it. */
	if (icmp_addr_special(proxy, pkt.src) ||
	    pbuf_remove_header(p, pkt.hlen) != 0 ||
	    pbuf_copy_partial(p, ih, sizeof(ih), 0) != sizeof(ih))
		goto drop;
	if (inet_chksum_pbuf(p) != 0) {
		unet__proxy_log_guest(proxy, "ICMP message with a bad "
				      "checksum dropped");
		goto drop;
	}
	if (ih[0] != ICMP_ECHO || ih[1] != 0)
		goto drop; /* only echo is carried */
	if (unet__proxy_map_out(proxy, pkt.dst, 0, &sa) < 0)
		goto out; /* refused by policy, counted */
	id = cursor_be16(ih, 4);
	f = unet__flow_find(proxy, IPPROTO_ICMP, pkt.src, id, pkt.dst, 0);
	if (f != NULL && f->ops != &icmp_flow_ops)
		goto drop;
	if (f != NULL)
		flow = container_of(f, struct icmp_flow, base);
	else
		flow = icmp_flow_new(proxy, pkt.src, id, pkt.dst, &sa);
	if (flow != NULL)
		icmp_flow_send(flow, p, pkt.len);
out:
	pbuf_free(p);
	return 1;
drop:
	proxy->stats.dropped++;
	pbuf_free(p);
	return 1;
}
