/* SPDX-License-Identifier: MIT */
/*
 * TCP segments toward the guest merged into one GSO frame.
 *
 * Theory of operation: lwIP cuts what it sends into segments of the guest's
 * MSS (1460 bytes at MTU 1500), and each one used to cost a frame through
 * the hub, a write() to the tap and a trip through the guest kernel's
 * stack. When every port but the gateway takes TSO frames whole (a tap with
 * a vnet header), stack.c hands lwIP's frames here first: consecutive
 * segments of one connection, as lwIP's output loop writes them, are
 * appended to one frame, which leaves as a GSO frame (gso_size = the first
 * segment's payload, its checksum left to do) when a frame that does not
 * continue it comes, when one closes it (shorter than the first, or with
 * PSH: the end of what the proxy wrote), or before the loop sleeps. It is
 * what the guest's kernel would have made of the segments with GRO, and a
 * port that does not take it whole (one attached later) gets it cut back
 * into the same segments by the hub (hub/offload.c).
 *
 * A segment continues the frame when everything but the IPv4 length,
 * identification and checksum, the TCP sequence number, checksum and PSH
 * is the same (addresses, ports, ACK, window, options), its sequence
 * number follows, its payload is at most the first's, and the merged IP
 * length stays within 64 KiB. Anything else (SYN, FIN, RST, URG, ECN
 * flags, no payload, IP options or fragments, IPv6 extension headers)
 * never starts one. One segment alone leaves as it came; one that nothing
 * could follow (PSH, or no room for another as long: lwIP's segments at
 * MTU 65520) is refused when nothing is held, so it leaves without being
 * copied here first.
 *
 * The frames are lwIP's own, but they are parsed with the same checks as
 * anything from outside.
 */
#include <string.h>

#include <arpa/inet.h>

#include "coalesce.h"
#include "wire/checksum.h"
#include "wire/cursor.h"
#include "wire/eth_proto.h"
#include "wire/ip4_proto.h"
#include "wire/ip6_proto.h"
#include "wire/tcp_proto.h"

/* Flags that keep a segment out of a merged frame. */
#define COALESCE_BAD_FLAGS                                              \
	(WIRE_TCP_SYN | WIRE_TCP_FIN | WIRE_TCP_RST | WIRE_TCP_URG |    \
	 WIRE_TCP_ECE | WIRE_TCP_CWR)

/**
 * struct coalesce_seg - one parsed segment
 * @l4_off: the TCP header's offset
 * @hdr_len: the payload's offset
 * @end: the IP packet's end
 * @v6: IPv6
 * @seq: its sequence number
 * @flags: its TCP flags
 */
struct coalesce_seg {
	size_t l4_off;
	size_t hdr_len;
	size_t end;
	bool v6;
	uint32_t seq;
	uint8_t flags;
};

/*
 * Parses a frame that may be merged (or cut), its IP packet at most @mtu
 * bytes; false for any other.
 */
static bool coalesce_parse(const void *frame, size_t len, size_t mtu,
			   uint8_t bad_flags, struct coalesce_seg *s)
{
	struct unet_cursor c = cursor_init(frame, len), ip;
	const struct wire_eth *eth = cursor_take_hdr(&c, struct wire_eth);
	const struct wire_tcp *th;
	size_t iplen;
	bool ok;

	if (eth == NULL)
		return false;
	if (wire_eth_type(eth) == WIRE_ETHTYPE_IP4) {
		const struct wire_ip4 *ip4 = cursor_take_hdr(&c, struct wire_ip4);

		if (ip4 == NULL || ip4->vhl != WIRE_IP4_VHL ||
		    ip4->proto != WIRE_IPPROTO_TCP ||
		    (ntohs(ip4->frag) & ~WIRE_IP4_DF) != 0)
			return false;
		iplen = wire_ip4_tot_len(ip4);
		if (iplen < WIRE_IP4_HLEN)
			return false;
		iplen -= WIRE_IP4_HLEN;
		s->v6 = false;
	} else if (wire_eth_type(eth) == WIRE_ETHTYPE_IP6) {
		const struct wire_ip6 *ip6 = cursor_take_hdr(&c, struct wire_ip6);

		if (ip6 == NULL || wire_ip6_version(ip6) != 6 ||
		    ip6->nexthdr != WIRE_IPPROTO_TCP)
			return false;
		iplen = wire_ip6_payload_len(ip6);
		s->v6 = true;
	} else {
		return false;
	}
	/* the TCP segment, without any padding past the IP length */
	ip = cursor_sub(&c, iplen, &ok);
	if (!ok)
		return false;
	s->l4_off = len - c.len - iplen;
	th = cursor_take_hdr(&ip, struct wire_tcp);
	if (th == NULL || wire_tcp_hlen(th) < WIRE_TCP_HLEN ||
	    !cursor_skip(&ip, wire_tcp_hlen(th) - WIRE_TCP_HLEN))
		return false;
	s->flags = th->flags;
	if (!(s->flags & WIRE_TCP_ACK) || (s->flags & bad_flags) || ip.len == 0)
		return false;
	s->hdr_len = s->l4_off + wire_tcp_hlen(th);
	s->end = s->hdr_len + ip.len;
	if (s->end - WIRE_ETH_HLEN > mtu)
		return false;
	s->seq = wire_tcp_seq(th);
	return true;
}

/* The longest merged frame: IPv4's length field, or the hub's GSO limit. */
static size_t coalesce_max(bool v6)
{
	return v6 ? UNET_COALESCE_MAX : WIRE_ETH_HLEN + 0xffff;
}

/* Whether @s (in @frame) continues the merged frame. */
static bool coalesce_fits(const struct unet__coalesce *c, const uint8_t *frame,
			  const struct coalesce_seg *s)
{
	const uint8_t *m = c->buf;
	size_t payload = s->end - s->hdr_len, l3 = WIRE_ETH_HLEN;
	size_t l4 = s->l4_off;

	if (c->closed || s->v6 != c->v6 || s->hdr_len != c->hdr_len ||
	    s->seq != c->next_seq || payload > c->gso_size ||
	    c->len + payload > coalesce_max(c->v6))
		return false;
	/* Ethernet, and the IP header but for its lengths, id and checksum */
	if (memcmp(m, frame, WIRE_ETH_HLEN) != 0)
		return false;
	if (c->v6) {
		if (memcmp(m + l3, frame + l3, 4) != 0 ||
		    memcmp(m + l3 + 6, frame + l3 + 6, WIRE_IP6_HLEN - 6) != 0)
			return false;
	} else {
		/* version to tos; frag to proto; the addresses */
		if (memcmp(m + l3, frame + l3, 2) != 0 ||
		    memcmp(m + l3 + 6, frame + l3 + 6, 4) != 0 ||
		    memcmp(m + l3 + 12, frame + l3 + 12, 8) != 0)
			return false;
	}
	/* ports; ack to window (flags but PSH); urgent pointer; options */
	if (memcmp(m + l4, frame + l4, 4) != 0 ||
	    memcmp(m + l4 + 8, frame + l4 + 8, 5) != 0 ||
	    ((m[l4 + 13] ^ frame[l4 + 13]) & (uint8_t)~WIRE_TCP_PSH) != 0 ||
	    memcmp(m + l4 + 14, frame + l4 + 14, 2) != 0 ||
	    memcmp(m + l4 + 18, frame + l4 + 18, s->hdr_len - l4 - 18) != 0)
		return false;
	return true;
}

/* Closes the frame when @s ended a write, or another can't fit. */
static void coalesce_close_after(struct unet__coalesce *c,
				 const struct coalesce_seg *s)
{
	size_t room = coalesce_max(c->v6) - c->len;

	if ((s->flags & WIRE_TCP_PSH) ||
	    s->end - s->hdr_len < c->gso_size || room < c->gso_size ||
	    c->segs >= UNET_COALESCE_SEGS_MAX)
		c->closed = true;
}

/**
 * unet__coalesce_add() - offer one of lwIP's frames to the merged frame
 * @c: the merged frame so far (its @buf allocated)
 * @frame: lwIP's frame
 * @len: its length
 * @mtu: the hub's MTU (no segment is longer)
 *
 * A frame that can start one is taken when nothing is held, unless nothing
 * could follow it (PSH, or no room for another segment as long); one that
 * continues what is held is appended.
 *
 * Return: true when @frame was taken (then, if @c->closed, the caller takes
 * the frame with unet__coalesce_take()); false when it was not: the caller
 * takes what is held, if anything, offers @frame once more (it may start a
 * new frame) and, if refused again, sends it as it is.
 */
bool unet__coalesce_add(struct unet__coalesce *c, const void *frame,
			size_t len, unsigned int mtu)
{
	struct coalesce_seg s;
	size_t payload;

	if (!coalesce_parse(frame, len, mtu, COALESCE_BAD_FLAGS, &s))
		return false;
	payload = s.end - s.hdr_len;
	if (c->len == 0) {
		/* alone either way: it leaves as it is, not copied here */
		if (s.end > coalesce_max(s.v6) || (s.flags & WIRE_TCP_PSH) ||
		    coalesce_max(s.v6) - s.end < payload)
			return false;
		memcpy(c->buf, frame, s.end);
		c->len = s.end;
		c->l4_off = s.l4_off;
		c->hdr_len = s.hdr_len;
		c->v6 = s.v6;
		c->gso_size = (uint16_t)payload;
		c->segs = 1;
		c->closed = false;
	} else {
		if (!coalesce_fits(c, frame, &s))
			return false;
		memcpy(c->buf + c->len, (const uint8_t *)frame + s.hdr_len,
		       payload);
		c->len += payload;
		c->segs++;
		/* the last segment's PSH is the merged frame's */
		c->buf[c->l4_off + 13] |= s.flags & WIRE_TCP_PSH;
	}
	c->next_seq = s.seq + (uint32_t)payload;
	coalesce_close_after(c, &s);
	return true;
}

/*
 * Leaves the TCP checksum of the segment at @l4_off (@l4len bytes, its IP
 * header at the frame's Ethernet header's end) to do: the field holds the
 * pseudo-header's sum, not complemented, and @off says so.
 */
static void coalesce_partial(uint8_t *buf, size_t l4_off, size_t l4len, bool v6,
			     struct unet_offload *off)
{
	struct wire_tcp *th = (struct wire_tcp *)(buf + l4_off);
	uint32_t sum;

	if (v6) {
		struct wire_ip6 *ip6 = (struct wire_ip6 *)(buf + WIRE_ETH_HLEN);

		sum = unet__csum_ip6_pseudo(ip6->saddr, ip6->daddr,
					    WIRE_IPPROTO_TCP, l4len);
	} else {
		struct wire_ip4 *ip4 = (struct wire_ip4 *)(buf + WIRE_ETH_HLEN);

		sum = unet__csum_ip4_pseudo(ip4->saddr, ip4->daddr,
					    WIRE_IPPROTO_TCP, l4len);
	}
	th->csum = htons((uint16_t)~unet__csum_finish(sum));
	off->flags = UNET_OFFLOAD_F_NEEDS_CSUM;
	off->csum_start = (uint16_t)l4_off;
	off->csum_offset = 16;
}

/*
 * Makes the frame in @buf a GSO frame of @gso_size segments: fixes the IP
 * length (and the IPv4 header checksum) and leaves the TCP checksum to do.
 */
static void coalesce_finish(uint8_t *buf, size_t len, size_t l4_off,
			    size_t hdr_len, bool v6, uint16_t gso_size,
			    struct unet_offload *off)
{
	size_t l3 = WIRE_ETH_HLEN;

	if (v6) {
		struct wire_ip6 *ip6 = (struct wire_ip6 *)(buf + l3);

		ip6->payload_len = htons((uint16_t)(len - l3 - WIRE_IP6_HLEN));
		off->gso_type = UNET_GSO_TCPV6;
	} else {
		struct wire_ip4 *ip4 = (struct wire_ip4 *)(buf + l3);

		ip4->tot_len = htons((uint16_t)(len - l3));
		ip4->csum = 0;
		ip4->csum = htons(unet__csum(ip4, WIRE_IP4_HLEN));
		off->gso_type = UNET_GSO_TCPV4;
	}
	coalesce_partial(buf, l4_off, len - l4_off, v6, off);
	off->hdr_len = (uint16_t)hdr_len;
	off->gso_size = gso_size;
}

/**
 * unet__coalesce_take() - finish the merged frame and give it up
 * @c: the merged frame
 * @off: receives its offload facts (for a single segment, which is left
 *       as lwIP made it, only its checksum left to do)
 *
 * Leaves the TCP checksum to do (coalesce_finish()). @c is empty
 * afterwards; the frame stays in @c->buf until the next unet__coalesce_add().
 *
 * Return: the frame's length; 0 when nothing was held.
 */
size_t unet__coalesce_take(struct unet__coalesce *c, struct unet_offload *off)
{
	size_t len = c->len;

	memset(off, 0, sizeof(*off));
	c->len = 0;
	if (len == 0)
		return 0;
	if (c->segs == 1)
		coalesce_partial(c->buf, c->l4_off, len - c->l4_off, c->v6,
				 off);
	else
		coalesce_finish(c->buf, len, c->l4_off, c->hdr_len, c->v6,
				c->gso_size, off);
	return len;
}

/**
 * unet__coalesce_csum() - the TCP checksum lwIP left out of a frame
 * @frame: one of lwIP's frames, changed in place when it is TCP
 * @len: its length
 * @partial: every port takes checksum offload: leave the checksum to do
 * @off: receives the frame's facts (all zero but for a TCP segment whose
 *       checksum is left to do)
 *
 * lwIP computes no TCP checksum (NETIF_CHECKSUM_GEN_TCP is off on the
 * gateway): the segments merged or cut as GSO frames leave it to do, and
 * every other one gets it here, done in place for ports that take none. A
 * frame that is not a whole TCP segment over IPv4 or IPv6 (UDP, ICMP, an
 * IP fragment) is left as lwIP made it, its checksum lwIP's.
 */
void unet__coalesce_csum(void *frame, size_t len, bool partial,
			 struct unet_offload *off)
{
	struct unet_cursor c = cursor_init(frame, len);
	const struct wire_eth *eth = cursor_take_hdr(&c, struct wire_eth);
	size_t iplen, l4_off;
	bool v6;

	memset(off, 0, sizeof(*off));
	if (eth == NULL)
		return;
	if (wire_eth_type(eth) == WIRE_ETHTYPE_IP4) {
		const struct wire_ip4 *ip4 =
			cursor_take_hdr(&c, struct wire_ip4);

		if (ip4 == NULL || ip4->vhl != WIRE_IP4_VHL ||
		    ip4->proto != WIRE_IPPROTO_TCP ||
		    (ntohs(ip4->frag) & ~WIRE_IP4_DF) != 0 ||
		    wire_ip4_tot_len(ip4) < WIRE_IP4_HLEN)
			return;
		iplen = wire_ip4_tot_len(ip4) - WIRE_IP4_HLEN;
		v6 = false;
	} else if (wire_eth_type(eth) == WIRE_ETHTYPE_IP6) {
		const struct wire_ip6 *ip6 =
			cursor_take_hdr(&c, struct wire_ip6);

		if (ip6 == NULL || wire_ip6_version(ip6) != 6 ||
		    ip6->nexthdr != WIRE_IPPROTO_TCP)
			return;
		iplen = wire_ip6_payload_len(ip6);
		v6 = true;
	} else {
		return;
	}
	if (iplen < WIRE_TCP_HLEN || iplen > c.len)
		return;
	l4_off = len - c.len;
	coalesce_partial(frame, l4_off, iplen, v6, off);
	if (!partial) {
		unet__csum_fill((uint8_t *)frame + l4_off, iplen, 16, false);
		memset(off, 0, sizeof(*off));
	}
}

/**
 * unet__coalesce_tso() - make one TCP segment longer than the link a GSO frame
 * @frame: lwIP's frame, changed in place
 * @len: its length
 * @mtu: the hub's MTU: every segment it is cut into fills it
 * @off: receives its offload facts
 *
 * For the segments lwIP builds of many MSS (unet__stack_tcp_offload()): the
 * guest's MSS is the link's, so each piece but the last carries the MTU
 * less the headers. The frame is parsed with the same checks as a merged
 * one (no SYN, RST, URG or ECN flags, no IP options or fragments) but may
 * carry FIN, which lwIP adds to the last segment queued: the cut leaves it,
 * and PSH, on the last piece only.
 *
 * Return: the GSO frame's length (the segment's end: padding is left out);
 * 0 when @frame is not a TCP segment that may be cut, or fits the link
 * already (then it is left unchanged).
 */
size_t unet__coalesce_tso(void *frame, size_t len, unsigned int mtu,
			  struct unet_offload *off)
{
	struct coalesce_seg s;
	size_t hdrs;

	memset(off, 0, sizeof(*off));
	if (!coalesce_parse(frame, len, SIZE_MAX,
			    COALESCE_BAD_FLAGS & ~WIRE_TCP_FIN, &s) ||
	    s.end > coalesce_max(s.v6))
		return 0;
	hdrs = s.hdr_len - WIRE_ETH_HLEN;
	if (s.end - WIRE_ETH_HLEN <= mtu || hdrs >= mtu ||
	    (s.end - s.hdr_len) / (mtu - hdrs) >= UNET_COALESCE_SEGS_MAX)
		return 0;
	coalesce_finish(frame, s.end, s.l4_off, s.hdr_len, s.v6,
			(uint16_t)(mtu - hdrs), off);
	return s.end;
}
