/* SPDX-License-Identifier: MIT */
/*
 * Packet arithmetic of the RTL8139 model: the Ethernet CRC the device appends
 * to received frames, the multicast hash, and the C+ mode offloads (IPv4,
 * TCP and UDP checksums on transmit, TCP segmentation, checksum checks on
 * receive).
 *
 * Theory of operation: the guest hands the device a frame and a few bits of
 * a descriptor, and the offloads then read the frame's own length fields. In
 * QEMU's model those fields were trusted and leaked host memory onto the
 * wire (an IP header length or total length past the frame, a TCP data
 * offset past the packet, an MSS of 0). Here every header is located through
 * unet__rtl8139_parse_ipv4(), which checks the IP version, header length
 * and total length against the bytes actually in the frame (the IP header
 * checksum alone needs only the first two of those checks), and each
 * transport header is checked against the IP payload before use. The
 * descriptor's checksum bits are independent commands, as on the chip: each
 * checksum is filled in when the bytes it covers check out and skipped when
 * they do not (the IP header checksum needs only a whole IPv4 header). A
 * segmentation request that does not check out is refused (-EINVAL) and the
 * caller decides what happens to the frame. Nothing here reads or writes
 * outside the buffer it was given. Headers are taken through the cursor as
 * wire/'s typed headers and read and written by their named fields, never
 * swapped in place; checksums are wire/checksum.h's.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "wire/checksum.h"
#include "wire/cursor.h"
#include "wire/eth_proto.h"
#include "wire/ip4_proto.h"
#include "wire/tcp_proto.h"
#include "wire/udp_proto.h"

#include "rtl8139_internal.h"
#include "rtl8139_proto.h"

/*
 * A header of @type at offset @off of a frame the caller may change: @off
 * comes from unet__rtl8139_parse_ipv4(), which checked that the header lies
 * inside the frame.
 */
#define RTL_HDR_AT(frame, off, type) ((type *)(void *)((frame) + (off)))

/*
 * The reflected CRC-32 (IEEE 802.3) four bits at a time: a 16-entry table
 * of constants instead of a 256-entry one built at run time.
 */
static const uint32_t crc32_nibble[16] = {
	0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac,
	0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c,
	0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
	0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
};

/**
 * unet__rtl8139_crc32() - the Ethernet FCS (zlib's crc32), incrementally
 * @crc: 0 to start, or what an earlier call returned
 * @data: the bytes
 * @len: how many
 *
 * Return: the CRC of everything so far; stored little-endian after a frame.
 */
uint32_t unet__rtl8139_crc32(uint32_t crc, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t i;

	crc = ~crc;
	for (i = 0; i < len; i++) {
		crc ^= p[i];
		crc = (crc >> 4) ^ crc32_nibble[crc & 0xf];
		crc = (crc >> 4) ^ crc32_nibble[crc & 0xf];
	}
	return ~crc;
}

/**
 * unet__rtl8139_mcast_bit() - the MAR bit a multicast address hashes to
 * @mac: the destination address, 6 bytes
 *
 * The big-endian CRC-32 of the address (Linux's ether_crc()) >> 26, as the
 * drivers compute it to fill MAR0..7.
 *
 * Return: 0..63: bit (n & 7) of MAR byte (n >> 3).
 */
unsigned int unet__rtl8139_mcast_bit(const uint8_t *mac)
{
	uint32_t crc = 0xffffffffu;
	unsigned int i, bit;

	for (i = 0; i < WIRE_ETH_ALEN; i++) {
		uint8_t octet = mac[i];

		for (bit = 0; bit < 8; bit++, octet >>= 1) {
			uint32_t msb = crc >> 31;

			crc <<= 1;
			if ((msb ^ (octet & 1)) != 0)
				crc ^= 0x04c11db7u;
		}
	}
	return crc >> 26;
}

/* The pseudo-header sum of a transport segment of @len bytes. */
static uint32_t csum_pseudo(const struct wire_ip4 *iph, uint8_t proto,
			    size_t len)
{
	return unet__csum_ip4_pseudo(iph->saddr, iph->daddr, proto, len);
}

/*
 * Takes the Ethernet header and at most one 802.1Q tag off @c; *@type gets
 * the EtherType of what follows. False when the frame ends first.
 */
static bool eth_take(struct unet_cursor *c, uint16_t *type)
{
	const struct wire_eth *eth = cursor_take_hdr(c, struct wire_eth);
	const struct wire_vlan *vlan;

	if (eth == NULL)
		return false;
	*type = wire_eth_type(eth);
	if (*type != WIRE_ETHTYPE_VLAN)
		return true;
	vlan = cursor_take_hdr(c, struct wire_vlan);
	if (vlan == NULL)
		return false;
	*type = wire_vlan_type(vlan);
	return true;
}

/*
 * Finds the IPv4 header of a frame: after at most one 802.1Q tag, version 4,
 * a header length of 20..60 bytes, all of it inside the frame. Only the
 * header is checked, not the total length: it is what the IP header
 * checksum covers. @c (the whole frame) is left at the transport header;
 * @l3 gets the IP header's offset.
 */
static const struct wire_ip4 *ipv4_header(struct unet_cursor *c, size_t *l3)
{
	const struct wire_ip4 *iph;
	size_t len = c->len;
	uint16_t type;

	if (!eth_take(c, &type) || type != WIRE_ETHTYPE_IP4)
		return NULL;
	*l3 = len - c->len;
	iph = cursor_take_hdr(c, struct wire_ip4);
	if (iph == NULL || wire_ip4_version(iph) != 4 ||
	    wire_ip4_hlen(iph) < WIRE_IP4_HLEN ||
	    !cursor_skip(c, wire_ip4_hlen(iph) - WIRE_IP4_HLEN))
		return NULL;
	return iph;
}

/**
 * unet__rtl8139_parse_ipv4() - find and check the IPv4 packet of a frame
 * @frame: the frame, from its destination MAC
 * @len: the bytes actually in the frame
 * @ip: receives where the headers lie
 *
 * Return: 0 when the frame is IPv4 (after at most one 802.1Q tag) with a
 * version 4 header whose length (20..60) and total length lie inside
 * @len; -EINVAL otherwise.
 */
int unet__rtl8139_parse_ipv4(const uint8_t *frame, size_t len,
			     struct unet__rtl8139_ipv4 *ip)
{
	struct unet_cursor c = cursor_init(frame, len);
	const struct wire_ip4 *iph;
	size_t l3, ihl, tot;
	bool ok;

	iph = ipv4_header(&c, &l3);
	if (iph == NULL)
		return -EINVAL;
	ihl = wire_ip4_hlen(iph);
	tot = wire_ip4_tot_len(iph);
	if (tot < ihl)
		return -EINVAL;
	ip->payload = cursor_sub(&c, tot - ihl, &ok);
	if (!ok)
		return -EINVAL;
	ip->hdr = iph;
	ip->l3 = l3;
	ip->ihl = ihl;
	ip->tot = tot;
	ip->l4 = l3 + ihl;
	ip->l4len = tot - ihl;
	ip->proto = iph->proto;
	ip->fragment = wire_ip4_is_fragment(iph);
	return 0;
}

/* The TCP header of a checked packet, or NULL when it does not fit; *@thl
 * gets its length, options included. */
static const struct wire_tcp *tcp_header(const struct unet__rtl8139_ipv4 *ip,
					 size_t *thl)
{
	struct unet_cursor c = ip->payload;
	const struct wire_tcp *th = cursor_take_hdr(&c, struct wire_tcp);

	if (th == NULL || wire_tcp_hlen(th) < WIRE_TCP_HLEN ||
	    wire_tcp_hlen(th) > ip->l4len)
		return NULL;
	*thl = wire_tcp_hlen(th);
	return th;
}

static void ip_csum_set(struct wire_ip4 *iph, size_t ihl)
{
	iph->csum = 0;
	iph->csum = htons(unet__csum(iph, ihl));
}

/* Fills in the checksum of the TCP segment of @len bytes at @th. */
static void tcp_csum_set(const struct wire_ip4 *iph, struct wire_tcp *th,
			 size_t len)
{
	uint32_t sum = csum_pseudo(iph, WIRE_IPPROTO_TCP, len);

	th->csum = 0;
	th->csum = htons(unet__csum_finish(unet__csum_add(sum, th, len)));
}

/* Fills in the checksum of the UDP datagram of @len bytes at @uh. */
static void udp_csum_set(const struct wire_ip4 *iph, struct wire_udp *uh,
			 size_t len)
{
	uint32_t sum = csum_pseudo(iph, WIRE_IPPROTO_UDP, len);
	uint16_t c;

	uh->csum = 0;
	c = unet__csum_finish(unet__csum_add(sum, uh, len));
	/* UDP sends a computed 0 as all ones: 0 means "no checksum" */
	uh->csum = htons(c != 0 ? c : 0xffff);
}

/**
 * unet__rtl8139_tx_csum() - fill in checksums a C+ descriptor asked for
 * @frame: the assembled frame, changed in place
 * @len: its length
 * @what: UNET__RTL8139_CSUM_IP, _TCP and/or _UDP
 *
 * Each request is a command of its own, as IPCS, TCPCS and UDPCS are on
 * the chip: the IP header checksum is filled in when a whole IPv4 header is
 * there; the TCP one when the packet is TCP, not a fragment, within the
 * frame and with a data offset within the packet; the UDP one likewise for
 * UDP with a UDP length within the packet. A request that does not fit the
 * packet is skipped and leaves its bytes as they were; the others are still
 * filled in.
 *
 * Return: the requests of @what that were filled in (0 when none was).
 */
unsigned int unet__rtl8139_tx_csum(uint8_t *frame, size_t len,
				   unsigned int what)
{
	struct unet_cursor c = cursor_init(frame, len);
	struct unet__rtl8139_ipv4 ip;
	const struct wire_udp *uh;
	struct wire_ip4 *iph;
	unsigned int done = 0;
	size_t l3, l4len;

	if (ipv4_header(&c, &l3) == NULL)
		return 0;
	iph = RTL_HDR_AT(frame, l3, struct wire_ip4);
	if (what & UNET__RTL8139_CSUM_IP) {
		ip_csum_set(iph, wire_ip4_hlen(iph));
		done |= UNET__RTL8139_CSUM_IP;
	}
	if (!(what & (UNET__RTL8139_CSUM_TCP | UNET__RTL8139_CSUM_UDP)) ||
	    unet__rtl8139_parse_ipv4(frame, len, &ip) < 0 || ip.fragment)
		return done;
	c = ip.payload;
	if ((what & UNET__RTL8139_CSUM_TCP) && ip.proto == WIRE_IPPROTO_TCP &&
	    tcp_header(&ip, &l4len) != NULL) {
		tcp_csum_set(iph, RTL_HDR_AT(frame, ip.l4, struct wire_tcp),
			     ip.l4len);
		done |= UNET__RTL8139_CSUM_TCP;
	} else if ((what & UNET__RTL8139_CSUM_UDP) &&
		   ip.proto == WIRE_IPPROTO_UDP &&
		   (uh = cursor_take_hdr(&c, struct wire_udp)) != NULL) {
		l4len = wire_udp_len(uh);
		if (l4len >= WIRE_UDP_HLEN && l4len <= ip.l4len) {
			udp_csum_set(iph,
				     RTL_HDR_AT(frame, ip.l4, struct wire_udp),
				     l4len);
			done |= UNET__RTL8139_CSUM_UDP;
		}
	}
	return done;
}

/**
 * unet__rtl8139_tso() - cut a large TCP/IPv4 send into MSS-sized frames
 * @frame: the assembled frame: headers, then up to 64K of TCP payload
 * @len: its length
 * @mss: payload bytes per segment, from the descriptor
 * @tag: 4 bytes of 802.1Q tag to insert after the MACs, or NULL
 * @seg: a buffer for one segment at a time
 * @seg_max: the longest segment to make (the hub's largest frame, at most
 *           the size of @seg)
 * @emit: takes each segment
 * @ctx: passed to @emit
 *
 * Each segment carries a copy of the headers with the IP total length, the
 * IP id (incremented per segment), the TCP sequence number and both
 * checksums recomputed; FIN and PSH stay on the last segment only and CWR
 * on the first only. A segment's payload is @mss, or less where the hub's
 * largest frame demands it. A send without payload makes one segment.
 *
 * Return: how many segments were emitted (at least 1); -EINVAL, with none
 * emitted, when the frame is not TCP over IPv4 with headers that check out,
 * is a fragment, or @mss is below UNET__RTL8139_TSO_MSS_MIN (0 included).
 */
int unet__rtl8139_tso(const uint8_t *frame, size_t len, size_t mss,
		      const uint8_t *tag, uint8_t *seg, size_t seg_max,
		      unet__rtl8139_emit_fn emit, void *ctx)
{
	struct unet__rtl8139_ipv4 ip;
	size_t thl, hdr, taglen = tag != NULL ? WIRE_VLAN_HLEN : 0;
	size_t payload, chunk, off = 0, n;
	const size_t macs = 2 * WIRE_ETH_ALEN;
	const struct wire_tcp *oth;
	struct wire_ip4 *iph;
	struct wire_tcp *th;
	uint8_t flags;
	uint16_t id;
	uint32_t seq;
	int count = 0;

	if (mss < UNET__RTL8139_TSO_MSS_MIN)
		return -EINVAL;
	if (unet__rtl8139_parse_ipv4(frame, len, &ip) < 0 || ip.fragment ||
	    ip.proto != WIRE_IPPROTO_TCP)
		return -EINVAL;
	oth = tcp_header(&ip, &thl);
	if (oth == NULL)
		return -EINVAL;
	hdr = ip.l4 + thl;
	payload = ip.l4len - thl;
	if (hdr + taglen >= seg_max)
		return -EINVAL;
	chunk = seg_max - hdr - taglen;
	if (chunk > mss)
		chunk = mss;
	if (chunk == 0)		/* never: both are positive; but a loop on it */
		return -EINVAL;

	id = ntohs(ip.hdr->id);
	seq = wire_tcp_seq(oth);
	flags = oth->flags;
	iph = RTL_HDR_AT(seg, ip.l3 + taglen, struct wire_ip4);
	th = RTL_HDR_AT(seg, ip.l4 + taglen, struct wire_tcp);
	do {
		n = payload - off < chunk ? payload - off : chunk;
		memcpy(seg, frame, macs);
		if (tag != NULL)
			memcpy(seg + macs, tag, WIRE_VLAN_HLEN);
		memcpy(seg + macs + taglen, frame + macs, hdr - macs);
		memcpy(seg + hdr + taglen, frame + hdr + off, n);

		iph->tot_len = htons((uint16_t)(ip.ihl + thl + n));
		iph->id = htons((uint16_t)(id + count));
		ip_csum_set(iph, ip.ihl);

		th->seq = htonl(seq + (uint32_t)off);
		th->flags = flags;
		if (off + n < payload)
			th->flags &= (uint8_t) ~(WIRE_TCP_FIN | WIRE_TCP_PSH);
		if (count > 0)
			th->flags &= (uint8_t)~WIRE_TCP_CWR;
		tcp_csum_set(iph, th, thl + n);

		emit(ctx, seg, hdr + taglen + n);
		off += n;
		count++;
	} while (off < payload);
	return count;
}

/* The protocol id of a frame that is not IPv4 this model can check: IP
 * (with a failed header checksum, so that the guest checks it itself) when
 * its EtherType after at most one tag says IPv4, else none. */
static uint32_t rx_csum_not_ipv4(const uint8_t *frame, size_t len)
{
	struct unet_cursor c = cursor_init(frame, len);
	uint16_t type;

	if (!eth_take(&c, &type) || type != WIRE_ETHTYPE_IP4)
		return 0;
	return (uint32_t)RTL_RXD_PID_IP << RTL_RXD_PID_SHIFT | RTL_RXD_IPF;
}

/**
 * unet__rtl8139_rx_csum() - the C+ receive descriptor's checksum bits
 * @frame: the frame as it came from the hub (its tag, if any, not removed)
 * @len: its length
 *
 * The protocol id (TCP, UDP, other IP, not IP) and the IP / TCP / UDP
 * checksum failure bits, as the chip reports them with RxChkSum on. A
 * packet is reported good only when its checksum was computed over bytes
 * that are all in the frame; a malformed IPv4 header is reported as a
 * failed IP checksum, so that the guest checks it itself.
 *
 * Return: the bits to OR into receive dw0.
 */
uint32_t unet__rtl8139_rx_csum(const uint8_t *frame, size_t len)
{
	struct unet__rtl8139_ipv4 ip;
	struct unet_cursor c;
	const struct wire_udp *uh;
	uint32_t bits = 0, sum;
	size_t thl;

	if (unet__rtl8139_parse_ipv4(frame, len, &ip) < 0)
		return rx_csum_not_ipv4(frame, len);
	if (unet__csum(ip.hdr, ip.ihl) != 0)
		bits |= RTL_RXD_IPF;
	c = ip.payload;
	if (!ip.fragment && ip.proto == WIRE_IPPROTO_TCP) {
		bits |= (uint32_t)RTL_RXD_PID_TCP << RTL_RXD_PID_SHIFT;
		sum = csum_pseudo(ip.hdr, WIRE_IPPROTO_TCP, ip.l4len);
		if (tcp_header(&ip, &thl) == NULL ||
		    unet__csum_finish(unet__csum_add(sum, c.p, c.len)) != 0)
			bits |= RTL_RXD_TCPF;
	} else if (!ip.fragment && ip.proto == WIRE_IPPROTO_UDP) {
		bits |= (uint32_t)RTL_RXD_PID_UDP << RTL_RXD_PID_SHIFT;
		uh = cursor_take_hdr(&c, struct wire_udp);
		if (uh == NULL) {
			bits |= RTL_RXD_UDPF;
		} else if (uh->csum != 0) {
			sum = csum_pseudo(ip.hdr, WIRE_IPPROTO_UDP, ip.l4len);
			if (unet__csum_finish(unet__csum_add(sum, ip.payload.p,
							     ip.l4len)) != 0)
				bits |= RTL_RXD_UDPF;
		}
	} else {
		bits |= (uint32_t)RTL_RXD_PID_IP << RTL_RXD_PID_SHIFT;
	}
	return bits;
}
