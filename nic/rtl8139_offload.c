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
 * outside the buffer it was given. Headers are read and written bytewise,
 * never swapped in place.
 */
#include <errno.h>
#include <string.h>

#include "rtl8139_internal.h"
#include "rtl8139_proto.h"

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

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

	for (i = 0; i < RTL_ETH_ALEN; i++) {
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

/* Adds bytes to a ones' complement sum; @len odd only for the last piece. */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += rd16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The pseudo-header sum of a transport segment of @len bytes. */
static uint32_t csum_pseudo(const uint8_t *iph, uint8_t proto, size_t len)
{
	uint32_t sum = csum_add(0, iph + RTL_IP_SADDR, 8);

	return sum + proto + (uint32_t)len;
}

/*
 * Finds the IPv4 header of a frame: after at most one 802.1Q tag, version 4,
 * a header length of 20..60 bytes, all of it inside @len. Only the header is
 * checked, not the total length: it is what the IP header checksum covers.
 */
static int ipv4_header(const uint8_t *frame, size_t len, size_t *l3,
		       size_t *ihl)
{
	size_t off = RTL_ETH_HLEN, hl;
	uint16_t type;

	if (len < RTL_ETH_HLEN)
		return -EINVAL;
	type = rd16(frame + RTL_ETH_TYPE_OFF);
	if (type == RTL_ETH_P_8021Q) {
		if (len < RTL_ETH_HLEN + RTL_VLAN_HLEN)
			return -EINVAL;
		type = rd16(frame + RTL_ETH_TYPE_OFF + RTL_VLAN_HLEN);
		off += RTL_VLAN_HLEN;
	}
	if (type != RTL_ETH_P_IP || len - off < RTL_IP_HLEN_MIN ||
	    (frame[off + RTL_IP_VER_IHL] >> 4) != 4)
		return -EINVAL;
	hl = (size_t)(frame[off + RTL_IP_VER_IHL] & 0x0f) * 4;
	if (hl < RTL_IP_HLEN_MIN || hl > len - off)
		return -EINVAL;
	*l3 = off;
	*ihl = hl;
	return 0;
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
	const uint8_t *iph;
	size_t l3, ihl, tot;
	uint16_t frag;

	if (ipv4_header(frame, len, &l3, &ihl) < 0)
		return -EINVAL;
	iph = frame + l3;
	tot = rd16(iph + RTL_IP_TOT_LEN);
	if (tot < ihl || tot > len - l3)
		return -EINVAL;
	frag = rd16(iph + RTL_IP_FRAG);
	ip->l3 = l3;
	ip->ihl = ihl;
	ip->tot = tot;
	ip->l4 = l3 + ihl;
	ip->l4len = tot - ihl;
	ip->proto = iph[RTL_IP_PROTO];
	ip->fragment = (frag & (RTL_IP_MF | RTL_IP_OFFMASK)) != 0;
	return 0;
}

/* The TCP header length of a checked packet, or 0 when it does not fit. */
static size_t tcp_hlen(const uint8_t *frame,
		       const struct unet__rtl8139_ipv4 *ip)
{
	size_t thl;

	if (ip->l4len < RTL_TCP_HLEN_MIN)
		return 0;
	thl = (size_t)(frame[ip->l4 + RTL_TCP_DOFF] >> 4) * 4;
	if (thl < RTL_TCP_HLEN_MIN || thl > ip->l4len)
		return 0;
	return thl;
}

static void ip_csum_set(uint8_t *iph, size_t ihl)
{
	wr16(iph + RTL_IP_CSUM, 0);
	wr16(iph + RTL_IP_CSUM, csum_fold(csum_add(0, iph, ihl)));
}

/* Fills in a TCP or UDP checksum over the @l4len bytes at @l4. */
static void l4_csum_set(uint8_t *iph, uint8_t *l4, uint8_t proto,
			size_t l4len)
{
	size_t off = proto == RTL_IPPROTO_TCP ? RTL_TCP_CSUM : RTL_UDP_CSUM;
	uint32_t sum = csum_pseudo(iph, proto, l4len);
	uint16_t c;

	wr16(l4 + off, 0);
	c = csum_fold(csum_add(sum, l4, l4len));
	/* UDP sends a computed 0 as all ones: 0 means "no checksum" */
	if (proto == RTL_IPPROTO_UDP && c == 0)
		c = 0xffff;
	wr16(l4 + off, c);
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
	struct unet__rtl8139_ipv4 ip;
	unsigned int done = 0;
	size_t l3, ihl, l4len;
	uint8_t *l4;

	if (ipv4_header(frame, len, &l3, &ihl) < 0)
		return 0;
	if (what & UNET__RTL8139_CSUM_IP) {
		ip_csum_set(frame + l3, ihl);
		done |= UNET__RTL8139_CSUM_IP;
	}
	if (!(what & (UNET__RTL8139_CSUM_TCP | UNET__RTL8139_CSUM_UDP)) ||
	    unet__rtl8139_parse_ipv4(frame, len, &ip) < 0 || ip.fragment)
		return done;
	l4 = frame + ip.l4;
	if ((what & UNET__RTL8139_CSUM_TCP) && ip.proto == RTL_IPPROTO_TCP &&
	    tcp_hlen(frame, &ip) != 0) {
		l4_csum_set(frame + ip.l3, l4, RTL_IPPROTO_TCP, ip.l4len);
		done |= UNET__RTL8139_CSUM_TCP;
	} else if ((what & UNET__RTL8139_CSUM_UDP) &&
		   ip.proto == RTL_IPPROTO_UDP && ip.l4len >= RTL_UDP_HLEN) {
		l4len = rd16(l4 + RTL_UDP_LEN);
		if (l4len >= RTL_UDP_HLEN && l4len <= ip.l4len) {
			l4_csum_set(frame + ip.l3, l4, RTL_IPPROTO_UDP, l4len);
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
	size_t thl, hdr, taglen = tag != NULL ? RTL_VLAN_HLEN : 0;
	size_t payload, chunk, off = 0, n;
	uint8_t *iph, *th, flags;
	uint16_t id;
	uint32_t seq;
	int count = 0;

	if (mss < UNET__RTL8139_TSO_MSS_MIN)
		return -EINVAL;
	if (unet__rtl8139_parse_ipv4(frame, len, &ip) < 0 || ip.fragment ||
	    ip.proto != RTL_IPPROTO_TCP)
		return -EINVAL;
	thl = tcp_hlen(frame, &ip);
	if (thl == 0)
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

	id = rd16(frame + ip.l3 + RTL_IP_ID);
	seq = rd32(frame + ip.l4 + RTL_TCP_SEQ);
	flags = frame[ip.l4 + RTL_TCP_FLAGS];
	iph = seg + ip.l3 + taglen;
	th = seg + ip.l4 + taglen;
	do {
		n = payload - off < chunk ? payload - off : chunk;
		memcpy(seg, frame, 2 * RTL_ETH_ALEN);
		if (tag != NULL)
			memcpy(seg + 2 * RTL_ETH_ALEN, tag, RTL_VLAN_HLEN);
		memcpy(seg + 2 * RTL_ETH_ALEN + taglen,
		       frame + 2 * RTL_ETH_ALEN, hdr - 2 * RTL_ETH_ALEN);
		memcpy(seg + hdr + taglen, frame + hdr + off, n);

		wr16(iph + RTL_IP_TOT_LEN, (uint16_t)(ip.ihl + thl + n));
		wr16(iph + RTL_IP_ID, (uint16_t)(id + count));
		ip_csum_set(iph, ip.ihl);

		wr32(th + RTL_TCP_SEQ, seq + (uint32_t)off);
		th[RTL_TCP_FLAGS] = flags;
		if (off + n < payload)
			th[RTL_TCP_FLAGS] &=
				(uint8_t)~(RTL_TCP_FIN | RTL_TCP_PSH);
		if (count > 0)
			th[RTL_TCP_FLAGS] &= (uint8_t)~RTL_TCP_CWR;
		l4_csum_set(iph, th, RTL_IPPROTO_TCP, thl + n);

		emit(ctx, seg, hdr + taglen + n);
		off += n;
		count++;
	} while (off < payload);
	return count;
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
	const uint8_t *iph, *l4;
	uint32_t bits = 0, sum;
	size_t thl;

	if (unet__rtl8139_parse_ipv4(frame, len, &ip) < 0) {
		size_t l3 = RTL_ETH_HLEN;

		if (len >= RTL_ETH_HLEN + RTL_VLAN_HLEN &&
		    rd16(frame + RTL_ETH_TYPE_OFF) == RTL_ETH_P_8021Q)
			l3 += RTL_VLAN_HLEN;
		if (len >= l3 && rd16(frame + l3 - 2) == RTL_ETH_P_IP)
			return (uint32_t)RTL_RXD_PID_IP << RTL_RXD_PID_SHIFT |
			       RTL_RXD_IPF;
		return 0;
	}
	iph = frame + ip.l3;
	l4 = frame + ip.l4;
	if (csum_fold(csum_add(0, iph, ip.ihl)) != 0)
		bits |= RTL_RXD_IPF;
	if (!ip.fragment && ip.proto == RTL_IPPROTO_TCP) {
		bits |= (uint32_t)RTL_RXD_PID_TCP << RTL_RXD_PID_SHIFT;
		thl = tcp_hlen(frame, &ip);
		sum = csum_pseudo(iph, RTL_IPPROTO_TCP, ip.l4len);
		if (thl == 0 || csum_fold(csum_add(sum, l4, ip.l4len)) != 0)
			bits |= RTL_RXD_TCPF;
	} else if (!ip.fragment && ip.proto == RTL_IPPROTO_UDP) {
		bits |= (uint32_t)RTL_RXD_PID_UDP << RTL_RXD_PID_SHIFT;
		if (ip.l4len < RTL_UDP_HLEN) {
			bits |= RTL_RXD_UDPF;
		} else if (rd16(l4 + RTL_UDP_CSUM) != 0) {
			sum = csum_pseudo(iph, RTL_IPPROTO_UDP, ip.l4len);
			if (csum_fold(csum_add(sum, l4, ip.l4len)) != 0)
				bits |= RTL_RXD_UDPF;
		}
	} else {
		bits |= (uint32_t)RTL_RXD_PID_IP << RTL_RXD_PID_SHIFT;
	}
	return bits;
}
