/* SPDX-License-Identifier: MIT */
/*
 * ICMP and ICMPv6 errors for the guest, from what the host's sockets report.
 *
 * Theory of operation: the guest's UDP and pings leave through host
 * sockets, so the ICMP errors the network sends back (port, host or net
 * unreachable, administratively prohibited, time exceeded, fragmentation
 * needed, packet too big) reach the host kernel, not the guest. With
 * IP_RECVERR / IPV6_RECVERR on (unet__icmp_err_sock_init()), the kernel
 * queues each on the socket's error queue with a struct sock_extended_err:
 * its origin (an ICMP or ICMPv6 message, with the address that sent it, or
 * a local error such as EMSGSIZE when a datagram is larger than the path
 * MTU the host knows, with that MTU), the type and code, and the
 * destination and quoted payload of the datagram in error. The flows read
 * the queue (unet__icmp_err_drain()) when the socket signals an error; each
 * report becomes the matching ICMP or ICMPv6 error (unet__icmp_err_map())
 * sent to the guest from the address that reported it (for a local error,
 * from the destination), quoting the guest's own datagram: a flow keeps the
 * headers of the last datagram the guest sent through it (struct
 * proxy_quote, at most PROXY_QUOTE_HEAD_MAX bytes; unet__icmp_err_keep())
 * and the quote is those headers, with the destination of the report when
 * the guest has since sent elsewhere, then the payload the report quotes
 * (unet__icmp_err_quote()): the guest's kernel finds its socket from the
 * quoted addresses and ports (and echo id) as it would behind a router.
 * The quote is as long as fits in 576 bytes (RFC 1812 4.3.2.3) or in
 * IPv6's minimum MTU (RFC 4443 2.4(c)).
 *
 * TCP connects that fail unreachable are answered here too
 * (unet__icmp_err_reply(), quoting the guest's SYN), and what the egress
 * policy refuses with an administratively prohibited
 * (unet__icmp_err_prohibited(): UDP always, TCP with deny_tcp_icmp).
 *
 * Every error sent to the guest passes one token bucket per proxy (RFC
 * 4443 2.4(f)): ICMP_ERR_BURST at once, then one per ICMP_ERR_INTERVAL_NS;
 * the rest are counted (icmp_errors_limited) and dropped. The pure parts
 * (the map, the quote, the message, the bucket) touch no socket and are
 * tested on their own.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <linux/errqueue.h>

#include "proxy_internal.h"

#include "lwip/pbuf.h"

#include "wire/checksum.h"

/* An IPv4 error quotes what fits in 576 bytes with its own headers. */
#define ICMP_ERR_QUOTE4_MAX (576 - WIRE_IP4_HLEN - WIRE_ICMP_HLEN)
/* An ICMPv6 error quotes what fits in the minimum MTU. */
#define ICMP_ERR_QUOTE6_MAX (WIRE_IP6_MTU_MIN - WIRE_IP6_HLEN - WIRE_ICMP_HLEN)
/* The smallest MTU a packet too big may give (RFC 8200 5). */
#define ICMP_ERR_MTU6_MIN WIRE_IP6_MTU_MIN

/* The rate limit of the errors sent to the guest: a burst of this many... */
#define ICMP_ERR_BURST 50
/* ...then one every this many nanoseconds (100 per second). */
#define ICMP_ERR_INTERVAL_NS 10000000ull

/* Reports read from one socket's error queue per call. */
#define ICMP_ERR_DRAIN_BATCH 16

/* The quote limit of @family's errors. */
static size_t icmp_err_quote_max(sa_family_t family)
{
	return family == AF_INET ? ICMP_ERR_QUOTE4_MAX : ICMP_ERR_QUOTE6_MAX;
}

/**
 * unet__icmp_err_map() - the error to give the guest for a host report
 * @e: the report
 * @m: receives the type, code and data of the error
 *
 * IPv4: destination unreachable (every code, the MTU with fragmentation
 * needed), time exceeded, and a local EMSGSIZE as fragmentation needed.
 * IPv6: destination unreachable (codes 0 to 6), packet too big (the MTU, at
 * least 1280), time exceeded, and a local EMSGSIZE as packet too big.
 * Parameter problems are not passed on: their pointer points into the
 * host's packet, not the guest's.
 *
 * Return: false when the report is not passed on.
 */
bool unet__icmp_err_map(const struct proxy_sock_err *e,
			struct proxy_icmp_error *m)
{
	bool v6 = e->family == AF_INET6;
	uint32_t mtu = e->info;

	memset(m, 0, sizeof(*m));
	if (e->origin == SO_EE_ORIGIN_LOCAL) {
		if (e->err != EMSGSIZE)
			return false;
		m->type = v6 ? WIRE_ICMP6_PACKET_TOO_BIG : WIRE_ICMP_UNREACH;
		m->code = v6 ? 0 : WIRE_ICMP_UNREACH_NEEDFRAG;
	} else if (!v6 && e->origin == SO_EE_ORIGIN_ICMP) {
		if (!(e->type == WIRE_ICMP_UNREACH && e->code <= 15) &&
		    !(e->type == WIRE_ICMP_TIMXCEED && e->code <= 1))
			return false;
		m->type = e->type;
		m->code = e->code;
	} else if (v6 && e->origin == SO_EE_ORIGIN_ICMP6) {
		if (!(e->type == WIRE_ICMP6_UNREACH && e->code <= 6) &&
		    e->type != WIRE_ICMP6_PACKET_TOO_BIG &&
		    !(e->type == WIRE_ICMP6_TIME_EXCEEDED && e->code <= 1))
			return false;
		m->type = e->type;
		m->code = e->type == WIRE_ICMP6_PACKET_TOO_BIG ? 0 : e->code;
	} else {
		return false;
	}
	if (v6 && m->type == WIRE_ICMP6_PACKET_TOO_BIG)
		m->data = mtu < ICMP_ERR_MTU6_MIN ? ICMP_ERR_MTU6_MIN : mtu;
	else if (!v6 && m->type == WIRE_ICMP_UNREACH &&
		 m->code == WIRE_ICMP_UNREACH_NEEDFRAG)
		/* RFC 1191: the next-hop MTU in the low 16 bits. */
		m->data = mtu > 0xffff ? 0xffff : mtu;
	return true;
}

/* Whether @m tells the guest of a path MTU. */
static bool icmp_err_is_pmtu(sa_family_t family,
			     const struct proxy_icmp_error *m)
{
	if (family == AF_INET6)
		return m->type == WIRE_ICMP6_PACKET_TOO_BIG;
	return m->type == WIRE_ICMP_UNREACH &&
	       m->code == WIRE_ICMP_UNREACH_NEEDFRAG;
}

/*
 * Puts @dst in place of the destination of the IP header at @out (@hlen
 * bytes) and, when @len is not 0, makes the datagram @len bytes long; an
 * IPv4 header gets its checksum again.
 */
static void icmp_err_quote_readdress(uint8_t *out, size_t hlen,
				     sa_family_t family,
				     const union unet_ip_addr *dst, size_t len)
{
	struct wire_ip4 ip4;
	struct wire_ip6 ip6;

	if (family == AF_INET6) {
		memcpy(&ip6, out, sizeof(ip6));
		memcpy(ip6.daddr, dst->v6, sizeof(ip6.daddr));
		if (len != 0)
			ip6.payload_len =
				htons((uint16_t)(len - WIRE_IP6_HLEN));
		memcpy(out, &ip6, sizeof(ip6));
		return;
	}
	memcpy(&ip4, out, sizeof(ip4));
	ip4.daddr = dst->v4;
	if (len != 0)
		ip4.tot_len = htons((uint16_t)len);
	ip4.csum = 0;
	memcpy(out, &ip4, sizeof(ip4));
	ip4.csum = htons(unet__csum(out, hlen));
	memcpy(out, &ip4, sizeof(ip4));
}

/**
 * unet__icmp_err_quote() - the guest's datagram as an error about it quotes
 * it
 * @out: where the quote goes
 * @cap: its room (the family's quote limit at most is used)
 * @q: the headers of the last datagram the guest sent through the flow
 * @proto: the flow's protocol: WIRE_IPPROTO_UDP, or an echo flow's
 *         (WIRE_IPPROTO_ICMP, WIRE_IPPROTO_ICMPV6)
 * @e: the report, its destination as the guest sees it
 * @guest_id: the guest's echo id (echo flows)
 *
 * The guest's headers as it sent them, then the payload the report quotes.
 * When the report is about another destination than the last datagram's
 * (a UDP flow sends wherever its guest port sends), the quote names that
 * destination and port and the lengths of what the report quotes, with no
 * UDP checksum. An echo report about another sequence number than the last
 * quotes the host's echo header with the guest's id in it.
 *
 * Return: the quote's length; 0 when there is nothing to quote (the flow
 * kept no headers, or @cap is too small for them).
 */
size_t unet__icmp_err_quote(uint8_t *out, size_t cap,
			    const struct proxy_quote *q, uint8_t proto,
			    const struct proxy_sock_err *e, uint16_t guest_id)
{
	bool v6 = e->family == AF_INET6, moved;
	const uint8_t *data = e->payload;
	size_t data_len = data != NULL ? e->payload_len : 0;
	size_t hlen = q->hlen, len;
	struct wire_icmp ih, qh;
	struct wire_ip4 ip4;
	struct wire_ip6 ip6;
	struct wire_udp uh;

	if (cap > icmp_err_quote_max(e->family))
		cap = icmp_err_quote_max(e->family);
	if (q->len == 0 || q->len > sizeof(q->head) ||
	    q->len != hlen + WIRE_UDP_HLEN ||
	    hlen < (v6 ? WIRE_IP6_HLEN : WIRE_IP4_HLEN) || cap < q->len)
		return 0;
	memcpy(out, q->head, q->len);
	if (v6) {
		memcpy(&ip6, out, sizeof(ip6));
		moved = memcmp(ip6.daddr, e->dst.v6, sizeof(ip6.daddr)) != 0;
	} else {
		memcpy(&ip4, out, sizeof(ip4));
		moved = ip4.daddr != e->dst.v4;
	}
	if (proto == WIRE_IPPROTO_UDP) {
		memcpy(&uh, out + hlen, sizeof(uh));
		moved = moved ||
			(e->dport != 0 && wire_udp_dport(&uh) != e->dport);
		if (moved) {
			if (data_len > 0xffff - hlen - sizeof(uh))
				data_len = 0xffff - hlen - sizeof(uh);
			if (e->dport != 0)
				uh.dport = htons(e->dport);
			uh.len = htons((uint16_t)(sizeof(uh) + data_len));
			uh.csum = 0;
			memcpy(out + hlen, &uh, sizeof(uh));
			icmp_err_quote_readdress(out, hlen, e->family, &e->dst,
						 q->len + data_len);
		}
	} else {
		if (data_len >= sizeof(qh)) {
			memcpy(&qh, data, sizeof(qh));
			memcpy(&ih, out + hlen, sizeof(ih));
			if (qh.seq != ih.seq || qh.type != ih.type) {
				/* RFC 1624: the guest's id in the sum. */
				qh.csum = htons(unet__csum_update16(
					ntohs(qh.csum), ntohs(qh.id),
					guest_id));
				qh.id = htons(guest_id);
				memcpy(out + hlen, &qh, sizeof(qh));
			}
			data += sizeof(qh);
			data_len -= sizeof(qh);
		} else {
			data_len = 0;
		}
		if (moved)
			icmp_err_quote_readdress(out, hlen, e->family, &e->dst,
						 0);
	}
	len = cap - q->len < data_len ? cap - q->len : data_len;
	if (len > 0)
		memcpy(out + q->len, data, len);
	return q->len + len;
}

/**
 * unet__icmp_err_build() - an ICMP or ICMPv6 error message
 * @out: where the message goes (the ICMP header and the quote)
 * @cap: its room
 * @family: AF_INET (ICMP) or AF_INET6 (ICMPv6)
 * @m: the type, code and data
 * @src: the source of the IP packet it will travel in (ICMPv6's checksum
 *       covers it)
 * @dst: its destination
 * @quote: what the error quotes; cut to the family's limit and to @cap
 * @quote_len: its length
 *
 * Return: the message's length, 0 when @cap cannot hold its header.
 */
size_t unet__icmp_err_build(uint8_t *out, size_t cap, sa_family_t family,
			    const struct proxy_icmp_error *m,
			    const union unet_ip_addr *src,
			    const union unet_ip_addr *dst, const uint8_t *quote,
			    size_t quote_len)
{
	struct wire_icmp ih;
	uint32_t sum = 0;
	size_t len;

	if (cap < sizeof(ih))
		return 0;
	if (quote_len > icmp_err_quote_max(family))
		quote_len = icmp_err_quote_max(family);
	if (quote_len > cap - sizeof(ih))
		quote_len = cap - sizeof(ih);
	len = sizeof(ih) + quote_len;
	ih.type = m->type;
	ih.code = m->code;
	ih.csum = 0;
	ih.id = htons((uint16_t)(m->data >> 16));
	ih.seq = htons((uint16_t)m->data);
	memcpy(out, &ih, sizeof(ih));
	if (quote_len > 0)
		memmove(out + sizeof(ih), quote, quote_len);
	if (family == AF_INET6)
		sum = unet__csum_ip6_pseudo(src->v6, dst->v6,
					    WIRE_IPPROTO_ICMPV6, len);
	ih.csum = htons(unet__csum_finish(unet__csum_add(sum, out, len)));
	memcpy(out, &ih, sizeof(ih));
	return len;
}

/**
 * unet__icmp_err_admit() - the token bucket of the errors sent to the guest
 * @tat: the bucket, kept as the theoretical arrival time of the next error
 *       (0 is a full bucket)
 * @now_ns: the hub's clock
 *
 * ICMP_ERR_BURST errors at once, then one per ICMP_ERR_INTERVAL_NS (the
 * generic cell rate algorithm: a token bucket in one number).
 *
 * Return: true when one more may go now (it is counted in @tat).
 */
bool unet__icmp_err_admit(uint64_t *tat, uint64_t now_ns)
{
	return unet__gcra_admit(tat, now_ns, ICMP_ERR_INTERVAL_NS,
				ICMP_ERR_BURST);
}

/* Sends the guest an error from @src, through the rate limit; counted. */
static void icmp_err_send(struct unet_proxy *proxy, sa_family_t family,
			  const union unet_ip_addr *src,
			  const union unet_ip_addr *dst,
			  const struct proxy_icmp_error *m,
			  const uint8_t *quote, size_t quote_len)
{
	struct pbuf *p;
	size_t len;

	if (!unet__icmp_err_admit(&proxy->icmp_err_tat,
				  unet_hub_now_ns(proxy->hub))) {
		proxy->stats.icmp_errors_limited++;
		return;
	}
	if (quote_len > icmp_err_quote_max(family))
		quote_len = icmp_err_quote_max(family);
	p = pbuf_alloc(PBUF_IP, (u16_t)(WIRE_ICMP_HLEN + quote_len), PBUF_RAM);
	if (p == NULL)
		return;
	/* One piece (PBUF_RAM): the message is built in place. */
	len = unet__icmp_err_build(p->payload, p->len, family, m, src, dst,
				   quote, quote_len);
	if (len == 0) {
		pbuf_free(p);
		return;
	}
	proxy->stats.pmtu_errors += icmp_err_is_pmtu(family, m);
	if (family == AF_INET) {
		proxy->stats.icmp4_errors++;
		unet__flow_output(proxy, p, src->v4, dst->v4,
				  WIRE_IPPROTO_ICMP);
	} else {
		proxy->stats.icmp6_errors++;
		unet__flow_output6(proxy, p, src->v6, dst->v6,
				   WIRE_IPPROTO_ICMPV6);
	}
	pbuf_free(p);
}

/**
 * unet__icmp_err_reply() - answer a guest's packet with an ICMP or ICMPv6
 * error at once
 * @proxy: the proxy
 * @orig: the guest's packet, payload at its IP header (one piece or a
 *        chain); not freed here
 * @family: its family
 * @m: the error
 *
 * For what the proxy learns while it holds the packet (a TCP connect that
 * failed unreachable). The error goes from the address the guest sent to,
 * quoting as much of the packet as the family allows, through the rate
 * limit. lwIP's icmp_dest_unreach() is not used: it sends from the
 * gateway's address, and lwIP's ICMPv6 one only from inside its input.
 */
void unet__icmp_err_reply(struct unet_proxy *proxy, const struct pbuf *orig,
			  sa_family_t family, const struct proxy_icmp_error *m)
{
	uint8_t quote[ICMP_ERR_QUOTE6_MAX];
	union unet_ip_addr src, dst;
	struct wire_ip4 ip4;
	struct wire_ip6 ip6;
	size_t len = orig->tot_len;

	if (family == AF_INET) {
		if (pbuf_copy_partial(orig, &ip4, sizeof(ip4), 0) !=
		    sizeof(ip4))
			return;
		src.v4 = ip4.daddr;
		dst.v4 = ip4.saddr;
	} else {
		if (pbuf_copy_partial(orig, &ip6, sizeof(ip6), 0) !=
		    sizeof(ip6))
			return;
		memcpy(src.v6, ip6.daddr, sizeof(src.v6));
		memcpy(dst.v6, ip6.saddr, sizeof(dst.v6));
	}
	if (len > icmp_err_quote_max(family))
		len = icmp_err_quote_max(family);
	len = pbuf_copy_partial(orig, quote, (u16_t)len, 0);
	icmp_err_send(proxy, family, &src, &dst, m, quote, len);
}

/**
 * unet__icmp_err_prohibited() - tell the guest the egress policy refused
 * its packet
 * @proxy: the proxy
 * @orig: the guest's packet (a UDP datagram, a TCP SYN), payload at its IP
 *        header; not freed here
 * @family: its family
 *
 * An ICMP destination unreachable, administratively prohibited (type 3
 * code 13; ICMPv6 type 1 code 1), from the address the guest sent to,
 * through the rate limit (unet__icmp_err_reply()).
 */
void unet__icmp_err_prohibited(struct unet_proxy *proxy,
			       const struct pbuf *orig, sa_family_t family)
{
	struct proxy_icmp_error m = { 0 };

	if (family == AF_INET) {
		m.type = WIRE_ICMP_UNREACH;
		m.code = WIRE_ICMP_UNREACH_ADMIN;
	} else {
		m.type = WIRE_ICMP6_UNREACH;
		m.code = WIRE_ICMP6_UNREACH_ADMIN;
	}
	unet__icmp_err_reply(proxy, orig, family, &m);
}

/**
 * unet__icmp_err_sock_init() - have a host socket queue the errors it gets
 * @proxy: the proxy (for the log)
 * @fd: a UDP or ping socket
 * @family: its family
 *
 * IP_RECVERR (IPV6_RECVERR): the kernel queues every ICMP error and local
 * error for the socket, to be read with unet__icmp_err_drain(); a pending
 * one also makes the next receive fail once (ECONNREFUSED and the like).
 * Without it (it cannot fail on Linux) the flow works as before, without
 * errors for the guest.
 */
void unet__icmp_err_sock_init(struct unet_proxy *proxy, int fd,
			      sa_family_t family)
{
	int on = 1;

	if (setsockopt(fd, family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6,
		       family == AF_INET ? IP_RECVERR : IPV6_RECVERR, &on,
		       sizeof(on)) < 0)
		PROXY_LOG_GUEST(proxy, "IP_RECVERR: %s", strerror(errno));
}

/**
 * unet__icmp_err_keep() - keep the headers of a datagram the guest sends
 * through a flow, to quote them in an error about it
 * @q: the flow's quote
 * @p: the datagram, payload at the IP header
 * @pkt: it parsed, its transport header there
 *
 * An IPv6 header with extension headers too long to keep is kept without
 * them (its next header the transport's).
 */
void unet__icmp_err_keep(struct proxy_quote *q, const struct pbuf *p,
			 const struct unet_ip_pkt *pkt)
{
	size_t hlen = pkt->hlen;
	struct wire_ip6 ip6;

	q->len = 0;
	if (pkt->l4.hdr == NULL)
		return;
	if (hlen + WIRE_UDP_HLEN > sizeof(q->head)) {
		if (pkt->ip6 == NULL)
			return;
		memcpy(&ip6, pkt->ip6, sizeof(ip6));
		ip6.nexthdr = pkt->proto;
		ip6.payload_len = htons((uint16_t)pkt->l4_len);
		memcpy(q->head, &ip6, sizeof(ip6));
		hlen = sizeof(ip6);
	} else if (pbuf_copy_partial(p, q->head, (u16_t)hlen, 0) != hlen) {
		return;
	}
	/* UDP's and ICMP's headers are both 8 bytes. */
	memcpy(q->head + hlen, pkt->l4.hdr, WIRE_UDP_HLEN);
	q->hlen = (uint8_t)hlen;
	q->len = (uint8_t)(hlen + WIRE_UDP_HLEN);
}

/*
 * Reads one report (@msg, @len bytes of payload at @data) of @flow's socket
 * into @e, with the addresses as the guest sees them. False when it holds
 * no extended error of the flow's family or no destination.
 */
static bool icmp_err_parse(const struct proxy_flow *flow,
			   const struct msghdr *msg, const uint8_t *data,
			   size_t len, struct proxy_sock_err *e)
{
	const struct unet_proxy *proxy = flow->proxy;
	bool v6 = flow->family == AF_INET6, found = false;
	size_t salen = v6 ? sizeof(struct sockaddr_in6) :
			    sizeof(struct sockaddr_in);
	const union unet_sockaddr *name = msg->msg_name;
	struct sock_extended_err ee;
	union unet_sockaddr off;
	struct cmsghdr *cm;

	memset(e, 0, sizeof(*e));
	e->family = flow->family;
	for (cm = CMSG_FIRSTHDR(msg); cm != NULL;
	     cm = CMSG_NXTHDR((struct msghdr *)msg, cm)) {
		if (cm->cmsg_level != (v6 ? IPPROTO_IPV6 : IPPROTO_IP) ||
		    cm->cmsg_type != (v6 ? IPV6_RECVERR : IP_RECVERR) ||
		    cm->cmsg_len < CMSG_LEN(sizeof(ee)))
			continue;
		memcpy(&ee, CMSG_DATA(cm), sizeof(ee));
		found = true;
		memset(&off, 0, sizeof(off));
		if (cm->cmsg_len >= CMSG_LEN(sizeof(ee) + salen))
			memcpy(&off, CMSG_DATA(cm) + sizeof(ee), salen);
		e->has_offender = off.sa.sa_family == flow->family;
	}
	if (!found || msg->msg_namelen < salen ||
	    name->sa.sa_family != flow->family)
		return false;
	e->origin = ee.ee_origin;
	e->type = ee.ee_type;
	e->code = ee.ee_code;
	e->err = (int)ee.ee_errno;
	e->info = ee.ee_info;
	e->payload = data;
	e->payload_len = len;
	if (v6) {
		unet__flow_map_in6(proxy, name->in6.sin6_addr.s6_addr,
				   e->dst.v6);
		e->dport = ntohs(name->in6.sin6_port);
		if (e->has_offender)
			unet__flow_map_in6(proxy, off.in6.sin6_addr.s6_addr,
					   e->offender.v6);
	} else {
		e->dst.v4 = unet__flow_map_in(proxy, name->in.sin_addr.s_addr);
		e->dport = ntohs(name->in.sin_port);
		if (e->has_offender)
			e->offender.v4 = unet__flow_map_in(
				proxy, off.in.sin_addr.s_addr);
	}
	return true;
}

/* Gives the guest of @flow the error for report @e, when there is one. */
static void icmp_err_relay(struct proxy_flow *flow, const struct proxy_quote *q,
			   const struct proxy_sock_err *e)
{
	uint8_t quote[ICMP_ERR_QUOTE6_MAX];
	const union unet_ip_addr *src;
	struct proxy_icmp_error m;
	size_t len;

	if (!unet__icmp_err_map(e, &m))
		return;
	len = unet__icmp_err_quote(quote, sizeof(quote), q,
				   (uint8_t)flow->proto, e, flow->guest_port);
	if (len == 0)
		return;
	src = e->origin != SO_EE_ORIGIN_LOCAL && e->has_offender ?
		      &e->offender :
		      &e->dst;
	icmp_err_send(flow->proxy, flow->family, src, &flow->guest_addr, &m,
		      quote, len);
}

/**
 * unet__icmp_err_drain() - read a flow socket's error queue and tell the
 * guest
 * @flow: a UDP or echo flow
 * @fd: its socket (IP_RECVERR on)
 * @q: the headers of the guest's last datagram through it
 *
 * At most ICMP_ERR_DRAIN_BATCH reports are read at a time; a socket with
 * more stays in error (readable) and is read again. Every report is
 * counted (sock_errors); those unet__icmp_err_map() passes on go to the
 * guest, rate-limited.
 *
 * Return: the reports read.
 */
unsigned int unet__icmp_err_drain(struct proxy_flow *flow, int fd,
				  const struct proxy_quote *q)
{
	uint8_t data[ICMP_ERR_QUOTE6_MAX];
	union {
		char buf[CMSG_SPACE(sizeof(struct sock_extended_err) +
				    sizeof(struct sockaddr_in6)) +
			 64];
		struct cmsghdr align;
	} ctl;
	union unet_sockaddr name;
	struct proxy_sock_err e;
	struct msghdr msg;
	struct iovec iov;
	unsigned int i, n = 0;
	ssize_t r;

	for (i = 0; i < ICMP_ERR_DRAIN_BATCH && !flow->closing; i++) {
		iov.iov_base = data;
		iov.iov_len = sizeof(data);
		memset(&msg, 0, sizeof(msg));
		msg.msg_name = &name;
		msg.msg_namelen = sizeof(name);
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = ctl.buf;
		msg.msg_controllen = sizeof(ctl.buf);
		r = recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		n++;
		flow->proxy->stats.sock_errors++;
		if (icmp_err_parse(flow, &msg, data,
				   (size_t)r < sizeof(data) ? (size_t)r :
							      sizeof(data),
				   &e))
			icmp_err_relay(flow, q, &e);
	}
	return n;
}

/**
 * unet__icmp_err_sockopts() - set a flow socket's path MTU discovery and
 * TTL for the guest datagram it is about to send
 * @fd: the socket
 * @family: its family
 * @cur: what is set now (-1 before the first), updated
 * @p: the guest's datagram, payload at the IP header
 * @pkt: it parsed
 *
 * Path MTU: an IPv4 datagram the guest sent with DF goes with DF, and one
 * larger than the path MTU the host knows fails with EMSGSIZE
 * (IP_PMTUDISC_DO): the guest hears "fragmentation needed" with the MTU,
 * as behind a router. One without DF may be fragmented, by the host and on
 * the path, as the guest allowed (IP_PMTUDISC_DONT). IPv6 has no DF: a
 * datagram the guest sent in one piece goes in one piece or fails
 * (IPV6_PMTUDISC_DO, the guest hears "packet too big"), and one the guest
 * fragmented itself (lwIP reassembled it: a chain of pieces, where a frame
 * from the hub is one) is fragmented by the host to the path MTU
 * (IPV6_PMTUDISC_WANT), else the guest, having learnt the path MTU, could
 * never get a datagram larger than it through.
 *
 * TTL: the datagram leaves with the guest's TTL (hop limit), so that one
 * that runs out on the path comes back as "time exceeded" to the guest's
 * traceroute or ping -t; the gateway and the host count as no hop. A TTL
 * of 0 cannot be set and leaves the last one.
 *
 * Each socket option is set only when it changes.
 */
void unet__icmp_err_sockopts(int fd, sa_family_t family,
			     struct proxy_sockopts *cur, const struct pbuf *p,
			     const struct unet_ip_pkt *pkt)
{
	int level = family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6;
	int mode, ttl;

	if (family == AF_INET) {
		mode = pkt->ip4 != NULL && wire_ip4_dont_frag(pkt->ip4) ?
			       IP_PMTUDISC_DO :
			       IP_PMTUDISC_DONT;
		ttl = pkt->ip4 != NULL ? pkt->ip4->ttl : -1;
	} else {
		mode = p->next == NULL ? IPV6_PMTUDISC_DO : IPV6_PMTUDISC_WANT;
		ttl = pkt->ip6 != NULL ? pkt->ip6->hop_limit : -1;
	}
	if (mode != cur->pmtudisc &&
	    setsockopt(fd, level,
		       family == AF_INET ? IP_MTU_DISCOVER : IPV6_MTU_DISCOVER,
		       &mode, sizeof(mode)) == 0)
		cur->pmtudisc = mode;
	if (ttl > 0 && ttl != cur->ttl &&
	    setsockopt(fd, level,
		       family == AF_INET ? IP_TTL : IPV6_UNICAST_HOPS, &ttl,
		       sizeof(ttl)) == 0)
		cur->ttl = ttl;
}

/**
 * unet__icmp_err_send_failed() - tell the guest why a host socket refused
 * to send its datagram at once
 * @flow: the UDP or echo flow
 * @fd: its socket
 * @q: the headers of the datagram (kept before the send)
 * @p: the datagram, payload at the IP header
 * @err: the send's error, a negative errno
 *
 * No route (ENETUNREACH) and an unreachable host (EHOSTUNREACH) become a
 * destination unreachable quoting @p, a host firewall's refusal (EPERM,
 * EACCES) an administratively prohibited; EMSGSIZE, the datagram larger
 * than the path MTU, was queued as a local error with the MTU and is read
 * from the error queue. Other errors (a full buffer) say nothing.
 */
void unet__icmp_err_send_failed(struct proxy_flow *flow, int fd,
				const struct proxy_quote *q,
				const struct pbuf *p, int err)
{
	bool v6 = flow->family == AF_INET6;
	struct proxy_icmp_error m = { 0 };

	m.type = v6 ? WIRE_ICMP6_UNREACH : WIRE_ICMP_UNREACH;
	switch (err) {
	case -EMSGSIZE:
		unet__icmp_err_drain(flow, fd, q);
		return;
	case -ENETUNREACH:
		m.code = WIRE_ICMP_UNREACH_NET; /* RFC 4443 3.1: no route, 0 */
		break;
	case -EHOSTUNREACH:
		m.code = v6 ? 3 : WIRE_ICMP_UNREACH_HOST;
		break;
	case -EPERM:
	case -EACCES:
		m.code = v6 ? 1 : WIRE_ICMP_UNREACH_ADMIN;
		break;
	default:
		return;
	}
	unet__icmp_err_reply(flow->proxy, p, flow->family, &m);
}
