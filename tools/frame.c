/* SPDX-License-Identifier: MIT */
/*
 * frame: building and reading the frames of replay scripts (see frame.h).
 *
 * Builders trust their caller (the runner bounds payload sizes so that a
 * frame fits FRAME_MAX) and fill in the typed headers of wire/ by their
 * named fields, with wire/checksum.h's checksums. Readers trust nothing:
 * frames come from the stack and from pcap files. frame_layers() walks a
 * frame once with the cursor (Ethernet, IPv4 with its length fields checked
 * against the frame, or IPv6 with its extension headers walked, bounded;
 * the transport bytes up to the IP packet's end), and
 * everything else reads the headers it found. A named field is a member of
 * one of those headers (frame_fields[]): its place in the frame is the
 * header's offset plus offsetof() the member, so that a script can mask it.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "wire/arp_proto.h"
#include "wire/checksum.h"
#include "wire/cursor.h"
#include "wire/dhcp_proto.h"
#include "wire/eth_proto.h"
#include "wire/icmp_proto.h"
#include "wire/nd_proto.h"
#include "wire/ip4_proto.h"
#include "wire/ip6_proto.h"
#include "wire/tcp_proto.h"
#include "wire/udp_proto.h"
#include "wire/util.h"

#include "frame.h"

/* BOOTP's fixed part and the magic cookie: where DHCP options start. */
#define FRAME_DHCP_FIXED (DHCP_FIXED_LEN + DHCP_COOKIE_LEN)
/* The options frame_dhcp() writes: type, requested address, server, end. */
#define FRAME_DHCP_OPTS 32

/* A header of @type at byte @off of a frame being built. */
#define FRAME_HDR_AT(buf, off, type) ((type *)(void *)((buf) + (off)))

static const uint8_t frame_bcast[WIRE_ETH_ALEN] = { 0xff, 0xff, 0xff,
						    0xff, 0xff, 0xff };

static void frame_eth(uint8_t *buf, const uint8_t dst[6], const uint8_t src[6],
		      uint16_t type)
{
	struct wire_eth *eth = FRAME_HDR_AT(buf, 0, struct wire_eth);

	memcpy(eth->dst, dst, WIRE_ETH_ALEN);
	memcpy(eth->src, src, WIRE_ETH_ALEN);
	eth->type = htons(type);
}

/* Ethernet and IPv4 headers for @l4len bytes of protocol @proto; returns
 * where the transport header goes. */
static uint8_t *frame_ip(uint8_t *buf, const struct frame_ends *e,
			 uint8_t proto, size_t l4len)
{
	struct wire_ip4 *ip = FRAME_HDR_AT(buf, WIRE_ETH_HLEN, struct wire_ip4);

	frame_eth(buf, e->dst_mac, e->src_mac, WIRE_ETHTYPE_IP4);
	memset(ip, 0, sizeof(*ip));
	ip->vhl = WIRE_IP4_VHL;
	ip->tot_len = htons((uint16_t)(WIRE_IP4_HLEN + l4len));
	ip->id = htons(e->ip_id);
	ip->ttl = (uint8_t)(e->ttl != 0 ? e->ttl : 64);
	ip->proto = proto;
	ip->saddr = e->src.s_addr;
	ip->daddr = e->dst.s_addr;
	ip->csum = htons(unet__csum(ip, WIRE_IP4_HLEN));
	return buf + WIRE_ETH_HLEN + WIRE_IP4_HLEN;
}

/* The TCP/UDP checksum over the pseudo-header and @len bytes at @l4. */
static uint16_t frame_l4_sum(const struct frame_ends *e, uint8_t proto,
			     const uint8_t *l4, size_t len)
{
	uint32_t sum =
		unet__csum_ip4_pseudo(e->src.s_addr, e->dst.s_addr, proto, len);

	return unet__csum_finish(unet__csum_add(sum, l4, len));
}

/* An ARP message for IPv4 over Ethernet from @mac, @sender to @dst_mac. */
static size_t frame_arp(uint8_t *buf, const uint8_t dst_mac[6], uint16_t op,
			const uint8_t mac[6], struct in_addr sender,
			const uint8_t target_mac[6], struct in_addr target)
{
	struct wire_arp *a = FRAME_HDR_AT(buf, WIRE_ETH_HLEN, struct wire_arp);

	frame_eth(buf, dst_mac, mac, WIRE_ETHTYPE_ARP);
	a->htype = htons(WIRE_ARP_HTYPE_ETHER);
	a->ptype = htons(WIRE_ETHTYPE_IP4);
	a->hlen = WIRE_ETH_ALEN;
	a->plen = sizeof(a->spa);
	a->op = htons(op);
	memcpy(a->sha, mac, WIRE_ETH_ALEN);
	a->spa = sender.s_addr;
	memcpy(a->tha, target_mac, WIRE_ETH_ALEN);
	a->tpa = target.s_addr;
	return WIRE_ETH_HLEN + WIRE_ARP_LEN;
}

/**
 * frame_arp_request() - an ARP request, broadcast
 * @buf: at least 42 bytes
 * @mac: the sender's MAC
 * @sender: the sender's address (network order)
 * @target: the address asked for
 *
 * Return: the frame's length.
 */
size_t frame_arp_request(uint8_t *buf, const uint8_t mac[6],
			 struct in_addr sender, struct in_addr target)
{
	static const uint8_t unknown[WIRE_ETH_ALEN];

	return frame_arp(buf, frame_bcast, WIRE_ARP_REQUEST, mac, sender,
			 unknown, target);
}

/**
 * frame_arp_reply() - an ARP reply to the one who asked
 * @buf: at least 42 bytes
 * @mac: the MAC answered with
 * @ip: the address asked for (network order)
 * @to_mac: the asker's MAC
 * @to_ip: the asker's address
 *
 * Return: the frame's length.
 */
size_t frame_arp_reply(uint8_t *buf, const uint8_t mac[6], struct in_addr ip,
		       const uint8_t to_mac[6], struct in_addr to_ip)
{
	return frame_arp(buf, to_mac, WIRE_ARP_REPLY, mac, ip, to_mac, to_ip);
}

/* The UDP header (checksum 0) and data at @l4. */
static struct wire_udp *frame_udp_write(uint8_t *l4, uint16_t sport,
					uint16_t dport, const void *payload,
					size_t plen)
{
	struct wire_udp *u = FRAME_HDR_AT(l4, 0, struct wire_udp);

	u->sport = htons(sport);
	u->dport = htons(dport);
	u->len = htons((uint16_t)(WIRE_UDP_HLEN + plen));
	u->csum = 0;
	memcpy(l4 + WIRE_UDP_HLEN, payload, plen);
	return u;
}

/**
 * frame_udp() - a UDP datagram in one frame
 * @buf: room for FRAME_MAX bytes
 * @e: the ends
 * @sport: source port
 * @dport: destination port
 * @payload: the data
 * @plen: its length, at most 65507
 *
 * Return: the frame's length.
 */
size_t frame_udp(uint8_t *buf, const struct frame_ends *e, uint16_t sport,
		 uint16_t dport, const void *payload, size_t plen)
{
	uint8_t *l4 = frame_ip(buf, e, WIRE_IPPROTO_UDP, WIRE_UDP_HLEN + plen);
	struct wire_udp *u = frame_udp_write(l4, sport, dport, payload, plen);
	uint16_t sum;

	sum = frame_l4_sum(e, WIRE_IPPROTO_UDP, l4, WIRE_UDP_HLEN + plen);
	u->csum = htons(sum != 0 ? sum : 0xffff);
	return WIRE_ETH_HLEN + WIRE_IP4_HLEN + WIRE_UDP_HLEN + plen;
}

/* The options of @t's segment into @opts (room for 12); their length. */
static size_t frame_tcp_opts(const struct frame_tcp *t, uint8_t *opts)
{
	size_t olen = 0;

	if (t->mss != 0) {
		opts[olen++] = WIRE_TCPOPT_MSS;
		opts[olen++] = 4;
		unet__put_be16(opts + olen, t->mss);
		olen += 2;
	}
	if (t->wscale >= 0) {
		opts[olen++] = WIRE_TCPOPT_NOP; /* keeps 4-byte alignment */
		opts[olen++] = WIRE_TCPOPT_WSCALE;
		opts[olen++] = 3;
		opts[olen++] = (uint8_t)t->wscale;
	}
	return olen;
}

/* The TCP header (checksum 0), options and data at @l4. */
static struct wire_tcp *frame_tcp_write(uint8_t *l4, const struct frame_tcp *t,
					const uint8_t *opts, size_t olen,
					const void *payload, size_t plen)
{
	struct wire_tcp *th = FRAME_HDR_AT(l4, 0, struct wire_tcp);
	size_t hlen = WIRE_TCP_HLEN + olen;

	memset(th, 0, sizeof(*th));
	th->sport = htons(t->sport);
	th->dport = htons(t->dport);
	th->seq = htonl(t->seq);
	th->ack = htonl(t->ack);
	th->off = (uint8_t)((hlen / 4) << 4);
	th->flags = t->flags;
	th->win = htons(t->win);
	memcpy(l4 + WIRE_TCP_HLEN, opts, olen);
	memcpy(l4 + hlen, payload, plen);
	return th;
}

/**
 * frame_tcp() - a TCP segment
 * @buf: room for FRAME_MAX bytes
 * @e: the ends
 * @t: the TCP fields
 * @payload: the data
 * @plen: its length, at most 65535 - 60
 *
 * Return: the frame's length.
 */
size_t frame_tcp(uint8_t *buf, const struct frame_ends *e,
		 const struct frame_tcp *t, const void *payload, size_t plen)
{
	uint8_t opts[12];
	size_t olen = frame_tcp_opts(t, opts), hlen = WIRE_TCP_HLEN + olen;
	uint8_t *l4 = frame_ip(buf, e, WIRE_IPPROTO_TCP, hlen + plen);
	struct wire_tcp *th = frame_tcp_write(l4, t, opts, olen, payload, plen);

	th->csum = htons(frame_l4_sum(e, WIRE_IPPROTO_TCP, l4, hlen + plen));
	return WIRE_ETH_HLEN + WIRE_IP4_HLEN + hlen + plen;
}

/**
 * frame_ip6() - Ethernet and IPv6 headers for a transport payload
 * @buf: room for the frame
 * @e: the packet's ends (hop limit 0: 64)
 * @nexthdr: the transport protocol
 * @l4len: the transport header and data's length
 *
 * Return: where the transport header goes in @buf.
 */
uint8_t *frame_ip6(uint8_t *buf, const struct frame_ends6 *e, uint8_t nexthdr,
		   size_t l4len)
{
	struct wire_ip6 *ip = FRAME_HDR_AT(buf, WIRE_ETH_HLEN, struct wire_ip6);

	frame_eth(buf, e->dst_mac, e->src_mac, WIRE_ETHTYPE_IP6);
	memset(ip, 0, sizeof(*ip));
	ip->vtcfl = htonl(6u << 28);
	ip->payload_len = htons((uint16_t)l4len);
	ip->nexthdr = nexthdr;
	ip->hop_limit = (uint8_t)(e->hop_limit != 0 ? e->hop_limit : 64);
	memcpy(ip->saddr, &e->src, WIRE_IP6_ALEN);
	memcpy(ip->daddr, &e->dst, WIRE_IP6_ALEN);
	return buf + WIRE_ETH_HLEN + WIRE_IP6_HLEN;
}

/**
 * frame_l4_sum6() - a transport checksum over IPv6
 * @e: the packet's ends
 * @proto: the transport protocol
 * @l4: the transport header and data, its checksum field zero
 * @len: their length
 *
 * Return: the checksum field's value (host order).
 */
uint16_t frame_l4_sum6(const struct frame_ends6 *e, uint8_t proto,
		       const uint8_t *l4, size_t len)
{
	uint32_t sum = unet__csum_ip6_pseudo(e->src.s6_addr, e->dst.s6_addr,
					     proto, len);

	return unet__csum_finish(unet__csum_add(sum, l4, len));
}

/**
 * frame_udp6() - a UDP datagram over IPv6
 * @buf: room for FRAME_MAX bytes
 * @e: the ends
 * @sport: source port
 * @dport: destination port
 * @payload: the data
 * @plen: its length, at most 65527
 *
 * Return: the frame's length.
 */
size_t frame_udp6(uint8_t *buf, const struct frame_ends6 *e, uint16_t sport,
		  uint16_t dport, const void *payload, size_t plen)
{
	uint8_t *l4 = frame_ip6(buf, e, WIRE_IPPROTO_UDP, WIRE_UDP_HLEN + plen);
	struct wire_udp *u = frame_udp_write(l4, sport, dport, payload, plen);
	uint16_t sum;

	sum = frame_l4_sum6(e, WIRE_IPPROTO_UDP, l4, WIRE_UDP_HLEN + plen);
	/* IPv6 has no "no checksum": a sum of 0 goes as its other form. */
	u->csum = htons(sum != 0 ? sum : 0xffff);
	return WIRE_ETH_HLEN + WIRE_IP6_HLEN + WIRE_UDP_HLEN + plen;
}

/**
 * frame_tcp6() - a TCP segment over IPv6
 * @buf: room for FRAME_MAX bytes
 * @e: the ends
 * @t: the TCP fields
 * @payload: the data
 * @plen: its length, at most 65535 - 60
 *
 * Return: the frame's length.
 */
size_t frame_tcp6(uint8_t *buf, const struct frame_ends6 *e,
		  const struct frame_tcp *t, const void *payload, size_t plen)
{
	uint8_t opts[12];
	size_t olen = frame_tcp_opts(t, opts), hlen = WIRE_TCP_HLEN + olen;
	uint8_t *l4 = frame_ip6(buf, e, WIRE_IPPROTO_TCP, hlen + plen);
	struct wire_tcp *th = frame_tcp_write(l4, t, opts, olen, payload, plen);

	th->csum = htons(frame_l4_sum6(e, WIRE_IPPROTO_TCP, l4, hlen + plen));
	return WIRE_ETH_HLEN + WIRE_IP6_HLEN + hlen + plen;
}

/**
 * frame_ns6_target() - the target of a neighbour solicitation
 * @f: a received frame
 * @len: its length
 * @from_mac: receives the soliciting node's MAC
 * @from: receives its address
 * @target: receives the address solicited
 *
 * Return: true when @f is an ICMPv6 neighbour solicitation (no extension
 * headers, hop limit 255, as RFC 4861 7.1.1 requires).
 */
bool frame_ns6_target(const uint8_t *f, size_t len, uint8_t from_mac[6],
		      struct in6_addr *from, struct in6_addr *target)
{
	struct unet_cursor c = cursor_init(f, len);
	const struct wire_eth *eth = cursor_take_hdr(&c, struct wire_eth);
	const struct wire_ip6 *ip = cursor_take_hdr(&c, struct wire_ip6);
	const struct wire_nd_ns *ns;

	if (eth == NULL || ip == NULL ||
	    wire_eth_type(eth) != WIRE_ETHTYPE_IP6 ||
	    wire_ip6_version(ip) != 6 || ip->nexthdr != WIRE_IPPROTO_ICMPV6 ||
	    ip->hop_limit != 255)
		return false;
	ns = cursor_take_hdr(&c, struct wire_nd_ns);
	if (ns == NULL || ns->type != WIRE_ICMP6_NS || ns->code != 0)
		return false;
	memcpy(from_mac, eth->src, 6);
	memcpy(from, ip->saddr, sizeof(*from));
	memcpy(target, ns->target, sizeof(*target));
	return true;
}

/**
 * frame_icmp_echo() - an ICMP echo request
 * @buf: room for FRAME_MAX bytes
 * @e: the ends
 * @id: its identifier
 * @seq: its sequence number
 * @size: bytes of data after the 8-byte header (a counting pattern), at
 *        most 65507
 *
 * Return: the frame's length.
 */
size_t frame_icmp_echo(uint8_t *buf, const struct frame_ends *e, uint16_t id,
		       uint16_t seq, size_t size)
{
	uint8_t *l4 =
		frame_ip(buf, e, WIRE_IPPROTO_ICMP, WIRE_ICMP_HLEN + size);
	struct wire_icmp *c = FRAME_HDR_AT(l4, 0, struct wire_icmp);
	size_t i;

	c->type = WIRE_ICMP_ECHO;
	c->code = 0;
	c->csum = 0;
	c->id = htons(id);
	c->seq = htons(seq);
	for (i = 0; i < size; i++)
		l4[WIRE_ICMP_HLEN + i] = (uint8_t)i;
	c->csum = htons(unet__csum(l4, WIRE_ICMP_HLEN + size));
	return WIRE_ETH_HLEN + WIRE_IP4_HLEN + WIRE_ICMP_HLEN + size;
}

/* Appends option @code with @len bytes of @val at @opt; returns the end. */
static uint8_t *frame_dhcp_put_opt(uint8_t *opt, uint8_t code, const void *val,
				   uint8_t len)
{
	*opt++ = code;
	*opt++ = len;
	memcpy(opt, val, len);
	return opt + len;
}

/**
 * frame_dhcp() - a DHCP message from a client, broadcast
 * @buf: room for FRAME_MAX bytes
 * @mac: the client's MAC
 * @type: the DHCP message type (1 DISCOVER, 3 REQUEST, 7 RELEASE)
 * @xid: the transaction id
 * @ciaddr: the client's address (0 for none); source of the packet too
 * @requested: option 50 when not 0
 * @server: option 54 when not 0
 *
 * Return: the frame's length.
 */
size_t frame_dhcp(uint8_t *buf, const uint8_t mac[6], int type, uint32_t xid,
		  struct in_addr ciaddr, struct in_addr requested,
		  struct in_addr server)
{
	static const uint8_t cookie[DHCP_COOKIE_LEN] = {
		DHCP_COOKIE0, DHCP_COOKIE1, DHCP_COOKIE2, DHCP_COOKIE3
	};
	uint8_t msg[FRAME_DHCP_FIXED + FRAME_DHCP_OPTS];
	struct wire_dhcp *d = FRAME_HDR_AT(msg, 0, struct wire_dhcp);
	uint8_t *opt = msg + FRAME_DHCP_FIXED, t = (uint8_t)type;
	struct frame_ends e;

	memset(msg, 0, sizeof(msg));
	d->op = DHCP_BOOTREQUEST;
	d->htype = DHCP_HTYPE_ETHER;
	d->hlen = DHCP_HLEN_ETHER;
	unet__put_be32(d->xid, xid);
	d->ciaddr = ciaddr.s_addr;
	memcpy(d->chaddr, mac, WIRE_ETH_ALEN);
	memcpy(msg + DHCP_FIXED_LEN, cookie, sizeof(cookie));
	opt = frame_dhcp_put_opt(opt, DHCP_OPT_MSG_TYPE, &t, 1);
	if (requested.s_addr != 0)
		opt = frame_dhcp_put_opt(opt, DHCP_OPT_REQUESTED_IP, &requested,
					 4);
	if (server.s_addr != 0)
		opt = frame_dhcp_put_opt(opt, DHCP_OPT_SERVER_ID, &server, 4);
	*opt++ = DHCP_OPT_END;
	memset(&e, 0, sizeof(e));
	memcpy(e.src_mac, mac, WIRE_ETH_ALEN);
	memcpy(e.dst_mac, frame_bcast, WIRE_ETH_ALEN);
	e.src = ciaddr;
	e.dst.s_addr = htonl(INADDR_BROADCAST);
	if (type == DHCP_RELEASE && server.s_addr != 0)
		e.dst = server;	/* a RELEASE goes to the server */
	return frame_udp(buf, &e, DHCP_CLIENT_PORT, DHCP_SERVER_PORT, msg,
			 (size_t)(opt - msg));
}

/**
 * frame_fragment() - cut an IPv4 frame into fragments
 * @frame: a whole, unfragmented IPv4 frame without IP options
 * @len: its length
 * @frag: payload bytes per fragment (rounded down to a multiple of 8,
 *        at least 8)
 * @cb: called with each fragment, in order; a non-zero return stops
 * @opaque: passed to @cb
 *
 * Return: 0, -EINVAL for a frame that is not such a packet, or what @cb
 * returned.
 */
int frame_fragment(const uint8_t *frame, size_t len, size_t frag,
		   int (*cb)(void *opaque, const uint8_t *f, size_t flen),
		   void *opaque)
{
	static uint8_t out[FRAME_MAX];
	const size_t hdrs = WIRE_ETH_HLEN + WIRE_IP4_HLEN;
	struct wire_ip4 *oip =
		FRAME_HDR_AT(out, WIRE_ETH_HLEN, struct wire_ip4);
	struct unet_cursor c = cursor_init(frame, len);
	const struct wire_eth *eth = cursor_take_hdr(&c, struct wire_eth);
	const struct wire_ip4 *ip = cursor_take_hdr(&c, struct wire_ip4);
	size_t plen, off;
	int r;

	if (eth == NULL || ip == NULL ||
	    wire_eth_type(eth) != WIRE_ETHTYPE_IP4 || ip->vhl != WIRE_IP4_VHL ||
	    wire_ip4_tot_len(ip) != len - WIRE_ETH_HLEN)
		return -EINVAL;
	frag &= ~(size_t)7;
	if (frag == 0)
		frag = 8;
	plen = c.len;
	for (off = 0; off < plen; off += frag) {
		size_t n = plen - off < frag ? plen - off : frag;

		memcpy(out, frame, hdrs);
		memcpy(out + hdrs, c.p + off, n);
		oip->tot_len = htons((uint16_t)(WIRE_IP4_HLEN + n));
		oip->frag =
			htons((uint16_t)((off / 8) |
					 (off + n < plen ? WIRE_IP4_MF : 0)));
		oip->csum = 0;
		oip->csum = htons(unet__csum(oip, WIRE_IP4_HLEN));
		r = cb(opaque, out, hdrs + n);
		if (r != 0)
			return r;
	}
	return 0;
}

/**
 * frame_fragment6() - cut an IPv6 frame into fragments (RFC 8200 4.5)
 * @frame: a frame frame_udp6() or frame_tcp6() built (no extension header)
 * @len: its length
 * @frag: the most bytes of the fragmentable part in each fragment (rounded
 *        down to a multiple of 8, at least 8)
 * @id: the fragments' identification
 * @cb: called with each fragment in turn (a fragment header after the
 *      IPv6 header), first to last; a non-zero return stops the cutting
 * @opaque: passed to @cb
 *
 * Return: 0, -EINVAL when @frame is not such a frame, or what @cb
 * returned.
 */
int frame_fragment6(const uint8_t *frame, size_t len, size_t frag, uint32_t id,
		    int (*cb)(void *opaque, const uint8_t *f, size_t flen),
		    void *opaque)
{
	static uint8_t out[FRAME_MAX];
	const size_t hdrs = WIRE_ETH_HLEN + WIRE_IP6_HLEN;
	struct wire_ip6 *oip =
		FRAME_HDR_AT(out, WIRE_ETH_HLEN, struct wire_ip6);
	struct wire_ip6_frag *fh =
		FRAME_HDR_AT(out, hdrs, struct wire_ip6_frag);
	struct unet_cursor c = cursor_init(frame, len);
	const struct wire_eth *eth = cursor_take_hdr(&c, struct wire_eth);
	const struct wire_ip6 *ip = cursor_take_hdr(&c, struct wire_ip6);
	size_t plen, off;
	int r;

	if (eth == NULL || ip == NULL ||
	    wire_eth_type(eth) != WIRE_ETHTYPE_IP6 ||
	    wire_ip6_is_ext(ip->nexthdr) ||
	    ip->nexthdr == WIRE_IPPROTO_FRAGMENT ||
	    wire_ip6_payload_len(ip) != c.len)
		return -EINVAL;
	frag &= ~(size_t)7;
	if (frag == 0)
		frag = 8;
	plen = c.len;
	for (off = 0; off < plen; off += frag) {
		size_t n = plen - off < frag ? plen - off : frag;

		memcpy(out, frame, hdrs);
		oip->nexthdr = WIRE_IPPROTO_FRAGMENT;
		oip->payload_len = htons((uint16_t)(sizeof(*fh) + n));
		fh->nexthdr = ip->nexthdr;
		fh->reserved = 0;
		fh->frag = htons((uint16_t)(off | (off + n < plen ? 1 : 0)));
		fh->id = htonl(id);
		memcpy(out + hdrs + sizeof(*fh), c.p + off, n);
		r = cb(opaque, out, hdrs + sizeof(*fh) + n);
		if (r != 0)
			return r;
	}
	return 0;
}

/**
 * frame_parse_mac() - read "aa:bb:cc:dd:ee:ff"
 * @s: the text
 * @mac: receives the address
 *
 * Return: 0, or -EINVAL.
 */
int frame_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char end;
	int i;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &end) != 6)
		return -EINVAL;
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

/**
 * struct frame_layers - the headers of a received frame, found once
 * @eth: the Ethernet header, NULL for a frame shorter than one
 * @type: its EtherType
 * @ip: the IPv4 header, NULL when there is none (or its lengths do not
 *      fit the frame)
 * @ip6: the IPv6 header, NULL when there is none (or its payload length
 *       does not fit the frame); @proto is then the header after the
 *       extension headers and the fragment header
 * @ip_off: its offset in the frame
 * @ip_len: the IP packet's length (its total length)
 * @proto: the IP protocol (0 without @ip)
 * @first: the packet is unfragmented or the first fragment
 * @l4: the transport bytes up to the end of the IP packet; empty when
 *      there is no IP packet or it is not a first fragment
 * @l4_off: where @l4 starts in the frame, 0 when there are no such bytes
 */
struct frame_layers {
	const struct wire_eth *eth;
	uint16_t type;
	const struct wire_ip4 *ip;
	const struct wire_ip6 *ip6;
	size_t ip_off;
	size_t ip_len;
	uint8_t proto;
	bool first;
	struct unet_cursor l4;
	size_t l4_off;
};

/* Most extension headers frame_layers6() walks. */
#define FRAME_IP6_EXT_MAX 8

/* frame_layers() for an IPv6 packet at @c (past the Ethernet header). */
static void frame_layers6(struct unet_cursor c, struct frame_layers *l)
{
	const struct wire_ip6_frag *fh;
	const struct wire_ip6_ext *eh;
	const struct wire_ip6 *ip;
	size_t hlen = WIRE_IP6_HLEN;
	uint8_t next;
	int i;
	bool ok;

	ip = cursor_take_hdr(&c, struct wire_ip6);
	if (ip == NULL || wire_ip6_version(ip) != 6)
		return;
	c = cursor_sub(&c, wire_ip6_payload_len(ip), &ok);
	if (!ok)
		return;
	l->ip6 = ip;
	l->ip_off = WIRE_ETH_HLEN;
	l->ip_len = WIRE_IP6_HLEN + wire_ip6_payload_len(ip);
	l->first = true;
	next = ip->nexthdr;
	for (i = 0; i < FRAME_IP6_EXT_MAX; i++) {
		if (next == WIRE_IPPROTO_FRAGMENT) {
			fh = cursor_take_hdr(&c, struct wire_ip6_frag);
			if (fh == NULL)
				break;
			hlen += sizeof(*fh);
			next = fh->nexthdr;
			l->first = l->first && wire_ip6_frag_off(fh) == 0;
		} else if (wire_ip6_is_ext(next)) {
			eh = cursor_take_hdr(&c, struct wire_ip6_ext);
			if (eh == NULL ||
			    !cursor_skip(&c,
					 wire_ip6_ext_len(eh) - sizeof(*eh)))
				break;
			hlen += wire_ip6_ext_len(eh);
			next = eh->nexthdr;
		} else {
			break;
		}
	}
	l->proto = next;
	if (l->first && !wire_ip6_is_ext(next) &&
	    next != WIRE_IPPROTO_FRAGMENT) {
		l->l4 = c;
		l->l4_off = WIRE_ETH_HLEN + hlen;
	}
}

static void frame_layers(const uint8_t *f, size_t len, struct frame_layers *l)
{
	struct unet_cursor c = cursor_init(f, len), pkt;
	const struct wire_ip4 *ip;
	size_t ihl, tot;
	bool ok;

	memset(l, 0, sizeof(*l));
	l->eth = cursor_take_hdr(&c, struct wire_eth);
	if (l->eth == NULL)
		return;
	l->type = wire_eth_type(l->eth);
	if (l->type == WIRE_ETHTYPE_IP6) {
		frame_layers6(c, l);
		return;
	}
	if (l->type != WIRE_ETHTYPE_IP4)
		return;
	pkt = c;
	ip = cursor_take_hdr(&c, struct wire_ip4);
	if (ip == NULL || wire_ip4_version(ip) != 4)
		return;
	ihl = wire_ip4_hlen(ip);
	tot = wire_ip4_tot_len(ip);
	if (ihl < WIRE_IP4_HLEN || tot < ihl)
		return;
	pkt = cursor_sub(&pkt, tot, &ok);
	if (!ok)
		return;
	l->ip = ip;
	l->ip_off = WIRE_ETH_HLEN;
	l->ip_len = tot;
	l->proto = ip->proto;
	l->first = wire_ip4_frag_off(ip) == 0;
	if (l->first && cursor_skip(&pkt, ihl)) {
		l->l4 = pkt;
		l->l4_off = WIRE_ETH_HLEN + ihl;
	}
}

/* The transport header of @l when its protocol is @proto and @hlen bytes
 * of it are in the packet; @c (if not NULL) gets the bytes after it. */
static const void *frame_l4(const struct frame_layers *l, uint8_t proto,
			    size_t hlen, struct unet_cursor *c)
{
	struct unet_cursor t = l->l4;
	const void *h;

	if (l->l4_off == 0 || l->proto != proto)
		return NULL;
	h = cursor_take(&t, hlen);
	if (h != NULL && c != NULL)
		*c = t;
	return h;
}

/**
 * enum frame_layer - the header a named field belongs to
 * @FRAME_LAYER_ETH: Ethernet
 * @FRAME_LAYER_IP: IPv4
 * @FRAME_LAYER_TCP: TCP
 * @FRAME_LAYER_UDP: UDP
 * @FRAME_LAYER_ICMP: ICMP
 * @FRAME_LAYER_DHCP: BOOTP/DHCP's fixed part, after a UDP header
 * @FRAME_LAYER_NUM: the number of layers
 */
enum frame_layer {
	FRAME_LAYER_ETH,
	FRAME_LAYER_IP,
	FRAME_LAYER_TCP,
	FRAME_LAYER_UDP,
	FRAME_LAYER_ICMP,
	FRAME_LAYER_DHCP,
	FRAME_LAYER_NUM
};

/* The IP protocol each transport layer is carried in (0: not transport). */
static const uint8_t frame_layer_proto[] = {
	[FRAME_LAYER_ETH] = 0,
	[FRAME_LAYER_IP] = 0,
	[FRAME_LAYER_TCP] = WIRE_IPPROTO_TCP,
	[FRAME_LAYER_UDP] = WIRE_IPPROTO_UDP,
	[FRAME_LAYER_ICMP] = WIRE_IPPROTO_ICMP,
	[FRAME_LAYER_DHCP] = WIRE_IPPROTO_UDP,
};
static_assert(UNET__ARRAY_SIZE(frame_layer_proto) == FRAME_LAYER_NUM,
	      "a protocol per layer");

/**
 * enum frame_fmt - how a field's value prints
 * @FRAME_FMT_MAC: a MAC address with colons
 * @FRAME_FMT_ADDR: a dotted IPv4 address
 * @FRAME_FMT_DEC: a big-endian number (1, 2 or 4 bytes) in decimal
 * @FRAME_FMT_NUM: the number of formats
 */
enum frame_fmt {
	FRAME_FMT_MAC,
	FRAME_FMT_ADDR,
	FRAME_FMT_DEC,
	FRAME_FMT_NUM
};

/**
 * struct frame_fieldspec - a named field: a member of one layer's header
 * @name: its name in scripts ("ip.id")
 * @layer: the header
 * @off: the member's offset in the header
 * @len: its length
 * @fmt: how it prints
 */
struct frame_fieldspec {
	const char *name;
	enum frame_layer layer;
	size_t off;
	size_t len;
	enum frame_fmt fmt;
};

#define FRAME_FIELD(name, layer, type, member, fmt)                     \
	{                                                               \
		name, FRAME_LAYER_##layer, offsetof(type, member),      \
			sizeof(((type *)NULL)->member), FRAME_FMT_##fmt \
	}

static const struct frame_fieldspec frame_fields[] = {
	FRAME_FIELD("eth.dst", ETH, struct wire_eth, dst, MAC),
	FRAME_FIELD("eth.src", ETH, struct wire_eth, src, MAC),
	FRAME_FIELD("ip.id", IP, struct wire_ip4, id, DEC),
	FRAME_FIELD("ip.ttl", IP, struct wire_ip4, ttl, DEC),
	FRAME_FIELD("ip.cksum", IP, struct wire_ip4, csum, DEC),
	FRAME_FIELD("ip.src", IP, struct wire_ip4, saddr, ADDR),
	FRAME_FIELD("ip.dst", IP, struct wire_ip4, daddr, ADDR),
	FRAME_FIELD("tcp.sport", TCP, struct wire_tcp, sport, DEC),
	FRAME_FIELD("tcp.dport", TCP, struct wire_tcp, dport, DEC),
	FRAME_FIELD("tcp.seq", TCP, struct wire_tcp, seq, DEC),
	FRAME_FIELD("tcp.ack", TCP, struct wire_tcp, ack, DEC),
	FRAME_FIELD("tcp.win", TCP, struct wire_tcp, win, DEC),
	FRAME_FIELD("tcp.cksum", TCP, struct wire_tcp, csum, DEC),
	FRAME_FIELD("udp.sport", UDP, struct wire_udp, sport, DEC),
	FRAME_FIELD("udp.dport", UDP, struct wire_udp, dport, DEC),
	FRAME_FIELD("udp.len", UDP, struct wire_udp, len, DEC),
	FRAME_FIELD("udp.cksum", UDP, struct wire_udp, csum, DEC),
	FRAME_FIELD("icmp.cksum", ICMP, struct wire_icmp, csum, DEC),
	FRAME_FIELD("icmp.id", ICMP, struct wire_icmp, id, DEC),
	FRAME_FIELD("icmp.seq", ICMP, struct wire_icmp, seq, DEC),
	FRAME_FIELD("dhcp.xid", DHCP, struct wire_dhcp, xid, DEC),
	FRAME_FIELD("dhcp.yiaddr", DHCP, struct wire_dhcp, yiaddr, ADDR),
};

static const struct frame_fieldspec *frame_fieldspec(const char *name)
{
	const struct frame_fieldspec *fs = NULL;
	size_t i;

	for (i = 0; i < UNET__ARRAY_SIZE(frame_fields); i++)
		if (strcmp(name, frame_fields[i].name) == 0)
			fs = &frame_fields[i];
	return fs;
}

/* Where the header of @layer starts in the frame, or -ENOENT when the
 * frame has none with @need bytes. */
static int frame_layer_base(const struct frame_layers *l, size_t len,
			    enum frame_layer layer, size_t need, size_t *base)
{
	struct unet_cursor c = l->l4;

	switch (layer) {
	case FRAME_LAYER_ETH:
		if (len < WIRE_ETH_HLEN)
			return -ENOENT;
		*base = 0;
		return 0;
	case FRAME_LAYER_IP:
		if (l->ip == NULL)
			return -ENOENT;
		*base = l->ip_off;
		return 0;
	case FRAME_LAYER_DHCP: /* BOOTP after the UDP header */
	case FRAME_LAYER_TCP:
	case FRAME_LAYER_UDP:
	case FRAME_LAYER_ICMP:
		if (l->l4_off == 0 || l->proto != frame_layer_proto[layer])
			return -ENOENT;
		*base = l->l4_off;
		if (layer == FRAME_LAYER_DHCP) {
			*base += WIRE_UDP_HLEN;
			need += WIRE_UDP_HLEN;
		}
		return c.len >= need ? 0 : -ENOENT;
	case FRAME_LAYER_NUM:
		break;
	}
	return -ENOENT;
}

/**
 * frame_field_span() - where a named field lies in a frame
 * @f: the frame
 * @len: its length
 * @field: a name such as "ip.id" or "tcp.cksum"
 * @off: receives its offset
 * @flen: receives its length
 *
 * Return: 0, -ENOENT when the frame has no such field, -EINVAL for a name
 * that is no fixed field.
 */
int frame_field_span(const uint8_t *f, size_t len, const char *field,
		     size_t *off, size_t *flen)
{
	const struct frame_fieldspec *fs = frame_fieldspec(field);
	struct frame_layers l;
	size_t base;

	if (fs == NULL)
		return -EINVAL;
	frame_layers(f, len, &l);
	if (frame_layer_base(&l, len, fs->layer, fs->off + fs->len, &base) < 0)
		return -ENOENT;
	*off = base + fs->off;
	*flen = fs->len;
	return 0;
}

/* The BOOTP/DHCP fixed part of a UDP packet, or NULL; @opts gets the
 * options after the magic cookie. */
static const struct wire_dhcp *frame_dhcp_msg(const struct frame_layers *l,
					      struct unet_cursor *opts)
{
	const struct wire_dhcp *d;

	if (frame_l4(l, WIRE_IPPROTO_UDP, WIRE_UDP_HLEN, opts) == NULL)
		return NULL;
	d = cursor_take_hdr(opts, struct wire_dhcp);
	if (d == NULL || !cursor_skip(opts, DHCP_COOKIE_LEN))
		return NULL;
	return d;
}

/* The value of DHCP option @code, or NULL; *@olen gets its length. */
static const uint8_t *frame_dhcp_option(const struct frame_layers *l,
					uint8_t code, size_t *olen)
{
	struct unet_cursor c;
	const uint8_t *v;
	uint8_t oc, n;

	if (frame_dhcp_msg(l, &c) == NULL)
		return NULL;
	for (;;) {
		if (!cursor_take_u8(&c, &oc) || oc == DHCP_OPT_END)
			return NULL;
		if (oc == DHCP_OPT_PAD)
			continue;
		if (!cursor_take_u8(&c, &n) || (v = cursor_take(&c, n)) == NULL)
			return NULL;
		if (oc == code) {
			*olen = n;
			return v;
		}
	}
}

/* A dotted address from its host-order value. */
static void frame_addr(char *buf, size_t cap, uint32_t a)
{
	snprintf(buf, cap, "%u.%u.%u.%u", a >> 24, a >> 16 & 0xff,
		 a >> 8 & 0xff, a & 0xff);
}

static void frame_mac(char *buf, size_t cap, const uint8_t *m)
{
	snprintf(buf, cap, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
		 m[3], m[4], m[5]);
}

/* The data after a TCP header: its length, or -1 when the data offset
 * points past the packet. */
static ssize_t frame_tcp_data_len(const struct frame_layers *l,
				  const struct wire_tcp *th)
{
	size_t hl = wire_tcp_hlen(th);

	return hl <= l->l4.len ? (ssize_t)(l->l4.len - hl) : -1;
}

/**
 * frame_field() - the value of a named field, as text
 * @f: the frame
 * @len: its length
 * @field: "len", "tcp.len", "dhcp.server" or a name frame_field_span() knows
 * @out: receives the value: a number in decimal, an address dotted, a MAC
 *       with colons
 * @cap: size of @out
 *
 * Return: 0, -ENOENT when the frame has no such field, -EINVAL for an
 * unknown name.
 */
int frame_field(const uint8_t *f, size_t len, const char *field, char *out,
		size_t cap)
{
	const struct frame_fieldspec *fs;
	struct frame_layers l;
	size_t off, flen;
	int r;

	frame_layers(f, len, &l);
	if (strcmp(field, "len") == 0) {
		snprintf(out, cap, "%zu", len);
		return 0;
	}
	if (strcmp(field, "tcp.len") == 0) {
		const struct wire_tcp *th =
			frame_l4(&l, WIRE_IPPROTO_TCP, WIRE_TCP_HLEN, NULL);
		ssize_t n = th != NULL ? frame_tcp_data_len(&l, th) : -1;

		if (n < 0)
			return -ENOENT;
		snprintf(out, cap, "%zd", n);
		return 0;
	}
	if (strcmp(field, "dhcp.server") == 0) {
		const uint8_t *v =
			frame_dhcp_option(&l, DHCP_OPT_SERVER_ID, &flen);

		if (v == NULL || flen != 4)
			return -ENOENT;
		frame_addr(out, cap, unet__get_be32(v));
		return 0;
	}
	r = frame_field_span(f, len, field, &off, &flen);
	if (r < 0)
		return r;
	fs = frame_fieldspec(field);
	switch (fs->fmt) {
	case FRAME_FMT_MAC:
		frame_mac(out, cap, f + off);
		break;
	case FRAME_FMT_ADDR:
		frame_addr(out, cap, unet__get_be32(f + off));
		break;
	case FRAME_FMT_DEC:
	case FRAME_FMT_NUM:
		snprintf(out, cap, "%u",
			 flen == 1 ? f[off] :
			 flen == 2 ? unet__get_be16(f + off) :
				     unet__get_be32(f + off));
		break;
	}
	return 0;
}

static void frame_summary_tcp(const struct frame_layers *l,
			      const struct wire_tcp *th, char *buf, size_t cap)
{
	static const char flag_chars[] = "FSRPAU";
	ssize_t data = frame_tcp_data_len(l, th);
	char fl[8];
	size_t n = 0;
	int i;

	for (i = 0; i < 6; i++)
		if (th->flags & (1 << i))
			fl[n++] = flag_chars[i];
	fl[n] = '\0';
	snprintf(buf, cap, "TCP %u > %u [%s] seq=%u ack=%u win=%u len=%zd",
		 wire_tcp_sport(th), wire_tcp_dport(th), fl, wire_tcp_seq(th),
		 wire_tcp_ack(th), ntohs(th->win), data >= 0 ? data : 0);
}

static void frame_summary_udp(const struct frame_layers *l,
			      const struct wire_udp *uh, char *buf, size_t cap)
{
	static const char *const dhcp_types[] = {
		"?", "DISCOVER", "OFFER", "REQUEST", "DECLINE", "ACK", "NAK",
		"RELEASE", "INFORM",
	};
	const struct wire_dhcp *d;
	struct unet_cursor opts;
	char yiaddr[16];
	const uint8_t *t;
	size_t n, olen;

	n = (size_t)snprintf(buf, cap, "UDP %u > %u len=%zu",
			     wire_udp_sport(uh), wire_udp_dport(uh),
			     wire_udp_len(uh));
	t = frame_dhcp_option(l, DHCP_OPT_MSG_TYPE, &olen);
	d = frame_dhcp_msg(l, &opts);
	if (t == NULL || d == NULL || olen != 1 || n >= cap)
		return;
	frame_addr(yiaddr, sizeof(yiaddr), ntohl(d->yiaddr));
	snprintf(buf + n, cap - n, " DHCP %s yiaddr=%s",
		 t[0] < UNET__ARRAY_SIZE(dhcp_types) ? dhcp_types[t[0]] : "?",
		 yiaddr);
}

static void frame_summary_l4(const struct frame_layers *l, char *buf,
			     size_t cap)
{
	const struct wire_icmp *ic;
	const struct wire_tcp *th;
	const struct wire_udp *uh;

	if ((th = frame_l4(l, WIRE_IPPROTO_TCP, WIRE_TCP_HLEN, NULL)) != NULL) {
		frame_summary_tcp(l, th, buf, cap);
	} else if ((uh = frame_l4(l, WIRE_IPPROTO_UDP, WIRE_UDP_HLEN, NULL)) !=
		   NULL) {
		frame_summary_udp(l, uh, buf, cap);
	} else if ((ic = frame_l4(l, WIRE_IPPROTO_ICMP, WIRE_ICMP_HLEN,
				  NULL)) != NULL) {
		if (ic->type == WIRE_ICMP_ECHOREPLY ||
		    ic->type == WIRE_ICMP_ECHO)
			snprintf(buf, cap, "ICMP echo %s id=%u seq=%u len=%zu",
				 ic->type == WIRE_ICMP_ECHOREPLY ? "reply" :
								   "request",
				 wire_icmp_id(ic), wire_icmp_seq(ic),
				 l->l4.len - WIRE_ICMP_HLEN);
		else
			snprintf(buf, cap, "ICMP type %u code %u", ic->type,
				 ic->code);
	} else {
		snprintf(buf, cap, "protocol %u", l->proto);
	}
}

/* frame_summary() of an IPv6 packet. */
static void frame_summary6(const struct frame_layers *l, char *buf, size_t cap)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], rest[160];
	const struct wire_icmp *ic;

	inet_ntop(AF_INET6, l->ip6->saddr, src, sizeof(src));
	inet_ntop(AF_INET6, l->ip6->daddr, dst, sizeof(dst));
	if (!l->first)
		snprintf(rest, sizeof(rest), "fragment proto=%u len=%zu",
			 l->proto, l->ip_len - WIRE_IP6_HLEN);
	else if ((ic = frame_l4(l, WIRE_IPPROTO_ICMPV6, WIRE_ICMP_HLEN,
				NULL)) != NULL)
		snprintf(rest, sizeof(rest), "ICMPv6 type %u code %u", ic->type,
			 ic->code);
	else
		frame_summary_l4(l, rest, sizeof(rest));
	snprintf(buf, cap, "IPv6 %s > %s %s", src, dst, rest);
}

/**
 * frame_summary() - one line describing a frame, for failure messages
 * @f: the frame
 * @len: its length
 * @buf: receives the line
 * @cap: size of @buf
 */
void frame_summary(const uint8_t *f, size_t len, char *buf, size_t cap)
{
	struct frame_layers l;
	char src[16], dst[16], rest[160];
	const struct wire_arp *a;
	struct unet_cursor c;

	frame_layers(f, len, &l);
	if (l.eth == NULL) {
		snprintf(buf, cap, "%zu bytes, too short for Ethernet", len);
		return;
	}
	c = cursor_init(f, len);
	cursor_skip(&c, WIRE_ETH_HLEN);
	if (l.type == WIRE_ETHTYPE_ARP &&
	    (a = cursor_take_hdr(&c, struct wire_arp)) != NULL) {
		char mac[18];

		frame_addr(src, sizeof(src), ntohl(a->spa));
		frame_addr(dst, sizeof(dst), ntohl(a->tpa));
		frame_mac(mac, sizeof(mac), a->sha);
		if (wire_arp_op(a) == WIRE_ARP_REPLY)
			snprintf(buf, cap, "ARP reply %s is-at %s", src, mac);
		else
			snprintf(buf, cap, "ARP request who-has %s tell %s",
				 dst, src);
		return;
	}
	if (l.ip6 != NULL) {
		frame_summary6(&l, buf, cap);
		return;
	}
	if (l.ip == NULL) {
		snprintf(buf, cap, "%zu bytes, ethertype 0x%04x%s", len, l.type,
			 l.type == WIRE_ETHTYPE_IP6 ? " (IPv6)" : "");
		return;
	}
	frame_addr(src, sizeof(src), ntohl(l.ip->saddr));
	frame_addr(dst, sizeof(dst), ntohl(l.ip->daddr));
	if (!l.first)
		snprintf(rest, sizeof(rest),
			 "fragment proto=%u off=%zu%s "
			 "len=%zu",
			 l.proto, wire_ip4_frag_off(l.ip),
			 wire_ip4_more_frags(l.ip) ? " MF" : "",
			 l.ip_len - wire_ip4_hlen(l.ip));
	else
		frame_summary_l4(&l, rest, sizeof(rest));
	snprintf(buf, cap, "IPv4 %s > %s id=%u%s %s", src, dst, ntohs(l.ip->id),
		 wire_ip4_more_frags(l.ip) ? " MF" : "", rest);
}
