/* SPDX-License-Identifier: MIT */
/*
 * Offloaded frames made ordinary.
 *
 * Theory of operation: a frame on the hub may carry a virtio-net header's
 * facts (struct unet_offload): its transport checksum left to do
 * (NEEDS_CSUM: the field holds the pseudo-header's sum, the rest is summed
 * from csum_start), or known good (DATA_VALID), and for a GSO frame the kind
 * of segments it holds and their payload size. A tap with a vnet header
 * hands such frames over (a 64 KiB TCP segment from a guest's kernel at
 * MTU 1500); ports that understand them take them whole, and for every
 * other port the hub calls this file first, so that a QEMU peer, a pcap
 * file or the RTL8139 model sees ordinary frames within the MTU.
 *
 * unet__offload_check() runs once, when the frame enters the hub: the facts
 * are untrusted and must fit the frame (a checksum place within the packet,
 * a known GSO type over a TCP or UDP header the frame really holds, a
 * segment size that is not 0 and makes at most UNET_GSO_SEGS_MAX segments).
 * It measures the headers itself; the sender's hdr_len is only a hint (the
 * kernel sends the length of its skb's linear part there) and is only
 * checked to lie within the frame. A frame that fails is dropped.
 *
 * unet__offload_csum() finishes a partial checksum in a copy of the frame.
 * unet__offload_segment() cuts a GSO frame as the kernel's own GSO does:
 * TCP payload in pieces of gso_size (fewer when the MTU is smaller), each
 * piece with the headers copied and then fixed: IPv4 total length, an
 * identification one higher per segment and the header checksum; IPv6
 * payload length; the TCP sequence number, FIN and PSH on the last segment
 * only, CWR on the first only; UDP (USO) datagrams of gso_size, each with
 * its own length. Every transport checksum is computed whole. Segments are
 * built one at a time in the caller's buffer and handed to a callback, so
 * cutting needs no memory of its own.
 */
#include <errno.h>
#include <string.h>

#include <arpa/inet.h>

#include "offload_internal.h"
#include "wire/checksum.h"
#include "wire/cursor.h"
#include "wire/eth_proto.h"
#include "wire/ip4_proto.h"
#include "wire/ip6_proto.h"
#include "wire/tcp_proto.h"
#include "wire/udp_proto.h"

#define OFFLOAD_FLAGS (UNET_OFFLOAD_F_NEEDS_CSUM | UNET_OFFLOAD_F_DATA_VALID)

/* The GSO kind without the ECN bit. */
static uint8_t offload_gso(const struct unet_offload *off)
{
	return off->gso_type & (uint8_t)~UNET_GSO_ECN;
}

/* The byte at @pos of a buffer this file fills (never untrusted bytes). */
static void *offload_at(void *buf, size_t pos)
{
	return (uint8_t *)buf + pos;
}

/* The transport header of an IP packet; false when it is not one we cut. */
static bool offload_l4(struct unet_cursor *c, size_t l4_off,
		       struct unet__offload_pkt *pkt)
{
	const struct wire_tcp *th;
	size_t hl;

	pkt->l4_off = l4_off;
	if (pkt->proto == WIRE_IPPROTO_UDP) {
		if (cursor_take_hdr(c, struct wire_udp) == NULL)
			return false;
		pkt->hdr_len = l4_off + WIRE_UDP_HLEN;
		return true;
	}
	if (pkt->proto != WIRE_IPPROTO_TCP)
		return false;
	th = cursor_take_hdr(c, struct wire_tcp);
	if (th == NULL)
		return false;
	hl = wire_tcp_hlen(th);
	if (hl < WIRE_TCP_HLEN || !cursor_skip(c, hl - WIRE_TCP_HLEN))
		return false;
	pkt->hdr_len = l4_off + hl;
	return true;
}

/* Parses Ethernet, IPv4 or IPv6, and TCP or UDP; false when not that. */
static bool offload_parse(const void *frame, size_t len,
			  struct unet__offload_pkt *pkt)
{
	struct unet_cursor c = cursor_init(frame, len), ipc;
	const struct wire_eth *eth;
	const struct wire_vlan *vl;
	const struct wire_ip4 *ip4;
	const struct wire_ip6 *ip6;
	uint16_t type;
	size_t hl, tot;
	bool ok;

	eth = cursor_take_hdr(&c, struct wire_eth);
	if (eth == NULL)
		return false;
	type = wire_eth_type(eth);
	pkt->l3_off = WIRE_ETH_HLEN;
	if (type == WIRE_ETHTYPE_VLAN) {
		vl = cursor_take_hdr(&c, struct wire_vlan);
		if (vl == NULL)
			return false;
		type = wire_vlan_type(vl);
		pkt->l3_off += WIRE_VLAN_HLEN;
	}
	if (type == WIRE_ETHTYPE_IP4) {
		ipc = c;
		ip4 = cursor_take_hdr(&ipc, struct wire_ip4);
		if (ip4 == NULL || wire_ip4_version(ip4) != 4)
			return false;
		hl = wire_ip4_hlen(ip4);
		tot = wire_ip4_tot_len(ip4);
		if (hl < WIRE_IP4_HLEN || tot < hl || tot > c.len ||
		    wire_ip4_is_fragment(ip4))
			return false;
		ipc = cursor_sub(&c, tot, &ok);
		if (!ok || !cursor_skip(&ipc, hl))
			return false;
		pkt->end = pkt->l3_off + tot;
		pkt->proto = ip4->proto;
		return offload_l4(&ipc, pkt->l3_off + hl, pkt);
	}
	if (type == WIRE_ETHTYPE_IP6) {
		ip6 = cursor_take_hdr(&c, struct wire_ip6);
		if (ip6 == NULL || wire_ip6_version(ip6) != 6)
			return false;
		tot = wire_ip6_payload_len(ip6);
		ipc = cursor_sub(&c, tot, &ok);
		if (!ok)
			return false;
		pkt->v6 = true;
		pkt->end = pkt->l3_off + WIRE_IP6_HLEN + tot;
		pkt->proto = ip6->nexthdr;
		return offload_l4(&ipc, pkt->l3_off + WIRE_IP6_HLEN, pkt);
	}
	return false;
}

/**
 * unet__offload_plain() - whether offload facts ask nothing of a port
 * @off: the facts, NULL for none
 *
 * Return: true for no facts, or only "checksum known good": the frame is
 * an ordinary one to a port that does not take offloads.
 */
bool unet__offload_plain(const struct unet_offload *off)
{
	return off == NULL || ((off->flags & UNET_OFFLOAD_F_NEEDS_CSUM) == 0 &&
			       offload_gso(off) == UNET_GSO_NONE);
}

/**
 * unet__offload_needs() - what a port must take to get a frame whole
 * @off: the frame's facts (checked)
 *
 * Return: the UNET_PORT_OFFLOAD_* bits the frame needs; 0 for a plain one.
 */
unsigned int unet__offload_needs(const struct unet_offload *off)
{
	unsigned int need = 0;

	if (off == NULL)
		return 0;
	if (off->flags & UNET_OFFLOAD_F_NEEDS_CSUM)
		need |= UNET_PORT_OFFLOAD_CSUM;
	switch (offload_gso(off)) {
	case UNET_GSO_TCPV4:
		need |= UNET_PORT_OFFLOAD_TSO4;
		break;
	case UNET_GSO_TCPV6:
		need |= UNET_PORT_OFFLOAD_TSO6;
		break;
	case UNET_GSO_UDP_L4:
		need |= UNET_PORT_OFFLOAD_USO;
		break;
	default:
		break;
	}
	return need;
}

/**
 * unet__offload_check() - whether a frame's offload facts fit the frame
 * @frame: the frame, untrusted
 * @len: its length
 * @off: its facts, untrusted
 * @pkt: receives where its headers lie (proto 0 when a non-GSO frame is
 *       not TCP or UDP over IP: its checksum is then summed to the frame's
 *       end)
 *
 * Return: 0, or -EINVAL when the facts do not fit: unknown flags or GSO
 * type, a checksum place outside the packet, a hdr_len hint past the
 * frame's end, a GSO frame that is not TCP (or UDP for UNET_GSO_UDP_L4)
 * over the IP version its type names, a gso_size of 0, or more than
 * UNET_GSO_SEGS_MAX segments.
 */
int unet__offload_check(const void *frame, size_t len,
			const struct unet_offload *off,
			struct unet__offload_pkt *pkt)
{
	uint8_t gso = offload_gso(off);
	bool parsed;
	size_t payload;

	memset(pkt, 0, sizeof(*pkt));
	pkt->end = len;
	if ((off->flags & ~OFFLOAD_FLAGS) != 0 || off->hdr_len > len)
		return -EINVAL;
	if (gso != UNET_GSO_NONE && gso != UNET_GSO_TCPV4 &&
	    gso != UNET_GSO_TCPV6 && gso != UNET_GSO_UDP_L4)
		return -EINVAL;
	parsed = offload_parse(frame, len, pkt);
	if (!parsed) {
		memset(pkt, 0, sizeof(*pkt));
		pkt->end = len;
	}
	if (off->flags & UNET_OFFLOAD_F_NEEDS_CSUM) {
		if (off->csum_start >= pkt->end ||
		    (size_t)off->csum_offset + 2 > pkt->end - off->csum_start)
			return -EINVAL;
	}
	if (gso == UNET_GSO_NONE)
		return 0;
	if (!parsed || off->gso_size == 0)
		return -EINVAL;
	if ((gso == UNET_GSO_TCPV4 &&
	     (pkt->v6 || pkt->proto != WIRE_IPPROTO_TCP)) ||
	    (gso == UNET_GSO_TCPV6 &&
	     (!pkt->v6 || pkt->proto != WIRE_IPPROTO_TCP)) ||
	    (gso == UNET_GSO_UDP_L4 && pkt->proto != WIRE_IPPROTO_UDP))
		return -EINVAL;
	if ((off->flags & UNET_OFFLOAD_F_NEEDS_CSUM) &&
	    off->csum_start != pkt->l4_off)
		return -EINVAL;
	payload = pkt->end - pkt->hdr_len;
	if ((payload + off->gso_size - 1) / off->gso_size > UNET_GSO_SEGS_MAX)
		return -EINVAL;
	return 0;
}

/**
 * unet__offload_csum() - finish a checksum the sender left to do
 * @frame: a writable copy of the frame
 * @len: its length
 * @off: its facts (checked), with UNET_OFFLOAD_F_NEEDS_CSUM
 * @pkt: where its headers lie, from unet__offload_check()
 *
 * Sums the bytes from csum_start to the packet's end (the field holds the
 * pseudo-header's sum already) and writes the result into the field; a UDP
 * checksum that comes out 0 is sent as 0xffff (0 means none).
 *
 * Return: 0, or -EINVAL when @off asks for no checksum.
 */
int unet__offload_csum(void *frame, size_t len, const struct unet_offload *off,
		       const struct unet__offload_pkt *pkt)
{
	size_t start = off->csum_start, at = start + off->csum_offset;

	if (!(off->flags & UNET_OFFLOAD_F_NEEDS_CSUM) || pkt->end > len ||
	    at + 2 > pkt->end)
		return -EINVAL;
	unet__csum_fill(offload_at(frame, start), pkt->end - start,
			off->csum_offset,
			pkt->proto == WIRE_IPPROTO_UDP && start == pkt->l4_off);
	return 0;
}

/**
 * unet__offload_seg_max() - the payload each segment of a GSO frame gets
 * @pkt: where the frame's headers lie (checked)
 * @off: its facts
 * @mtu: the largest IP packet a segment may be
 *
 * Return: gso_size, or less for TCP when the headers and gso_size do not
 * fit @mtu; 0 when nothing fits (or a UDP datagram of gso_size does not).
 */
size_t unet__offload_seg_max(const struct unet__offload_pkt *pkt,
			     const struct unet_offload *off, unsigned int mtu)
{
	size_t hdrs = pkt->hdr_len - pkt->l3_off;

	if (hdrs >= mtu)
		return 0;
	if (off->gso_size <= mtu - hdrs)
		return off->gso_size;
	return pkt->proto == WIRE_IPPROTO_TCP ? mtu - hdrs : 0;
}

/* Fixes a copied header block for a segment of @chunk payload bytes. */
static void offload_fix(void *buf, const struct unet__offload_pkt *pkt,
			size_t done, size_t chunk, unsigned int n, bool last)
{
	size_t l4len = pkt->hdr_len - pkt->l4_off + chunk;
	struct wire_tcp *th;
	struct wire_udp *uh;
	uint32_t sum;
	uint16_t v;

	if (pkt->v6) {
		struct wire_ip6 *ip6 = offload_at(buf, pkt->l3_off);

		ip6->payload_len = htons((uint16_t)(pkt->hdr_len - pkt->l3_off -
						    WIRE_IP6_HLEN + chunk));
		sum = unet__csum_ip6_pseudo(ip6->saddr, ip6->daddr, pkt->proto,
					    l4len);
	} else {
		struct wire_ip4 *ip4 = offload_at(buf, pkt->l3_off);

		ip4->tot_len =
			htons((uint16_t)(pkt->hdr_len - pkt->l3_off + chunk));
		ip4->id = htons((uint16_t)(ntohs(ip4->id) + n));
		ip4->csum = 0;
		ip4->csum = htons(unet__csum(ip4, wire_ip4_hlen(ip4)));
		sum = unet__csum_ip4_pseudo(ip4->saddr, ip4->daddr, pkt->proto,
					    l4len);
	}
	if (pkt->proto == WIRE_IPPROTO_TCP) {
		th = offload_at(buf, pkt->l4_off);
		th->seq = htonl(wire_tcp_seq(th) + (uint32_t)done);
		if (!last)
			th->flags &= (uint8_t) ~(WIRE_TCP_FIN | WIRE_TCP_PSH);
		if (n != 0)
			th->flags &= (uint8_t)~WIRE_TCP_CWR;
		th->csum = 0;
		sum = unet__csum_add(sum, th, l4len);
		th->csum = htons(unet__csum_finish(sum));
		return;
	}
	uh = offload_at(buf, pkt->l4_off);
	uh->len = htons((uint16_t)l4len);
	uh->csum = 0;
	v = unet__csum_finish(unet__csum_add(sum, uh, l4len));
	uh->csum = htons(v == 0 ? 0xffff : v);
}

/**
 * unet__offload_segment() - cut a GSO frame into ordinary frames
 * @frame: the frame
 * @len: its length
 * @off: its facts, checked by unet__offload_check(), a GSO type
 * @pkt: where its headers lie, from the same check
 * @mtu: the largest IP packet a segment may be
 * @buf: where each segment is built; the callback borrows it
 * @buf_len: its size: at least @pkt->hdr_len plus unet__offload_seg_max()
 * @cb: called with each segment, in order
 * @opaque: passed to @cb
 *
 * Return: the number of segments handed to @cb (one for a frame whose
 * payload fits one), -EMSGSIZE when no segment fits @mtu (the headers
 * alone, or a UDP datagram of gso_size), -ENOBUFS when @buf is too small,
 * -EINVAL for a frame that is not GSO.
 */
int unet__offload_segment(const void *frame, size_t len,
			  const struct unet_offload *off,
			  const struct unet__offload_pkt *pkt, unsigned int mtu,
			  void *buf, size_t buf_len, unet__offload_seg_cb cb,
			  void *opaque)
{
	struct unet_cursor c = cursor_init(frame, len), body;
	size_t seg = unet__offload_seg_max(pkt, off, mtu);
	size_t payload, done = 0, chunk;
	unsigned int n = 0;
	const void *hdrs;
	bool ok;

	if (offload_gso(off) == UNET_GSO_NONE || pkt->proto == 0 ||
	    pkt->end > len)
		return -EINVAL;
	if (seg == 0)
		return -EMSGSIZE;
	if (buf_len < pkt->hdr_len + seg)
		return -ENOBUFS;
	hdrs = cursor_take(&c, pkt->hdr_len);
	payload = pkt->end - pkt->hdr_len;
	body = cursor_sub(&c, payload, &ok);
	if (hdrs == NULL || !ok)
		return -EINVAL;
	do {
		chunk = payload - done < seg ? payload - done : seg;
		memcpy(buf, hdrs, pkt->hdr_len);
		memcpy(offload_at(buf, pkt->hdr_len), cursor_take(&body, chunk),
		       chunk);
		offload_fix(buf, pkt, done, chunk, n, done + chunk == payload);
		n++;
		done += chunk;
		if (cb(opaque, buf, pkt->hdr_len + chunk) != 0)
			break;
	} while (done < payload);
	return (int)n;
}
