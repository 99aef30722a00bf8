/* SPDX-License-Identifier: MIT */
/*
 * frame_nd: building the IPv6 frames of replay scripts that talk to the
 * gateway's IPv6 services (see frame_nd.h).
 *
 * Builders trust their caller (sizes are bounded by the runner) and fill
 * wire/'s typed headers by name: ICMPv6 or UDP with the checksum over RFC
 * 8200's pseudo header, inside the Ethernet and IPv6 headers of frame.c's
 * frame_ip6() (no extension headers). Reading the stack's frames (a
 * solicitation for the guest) is frame.c's frame_ns6_target(), which trusts
 * nothing.
 */
#include <arpa/inet.h>
#include <string.h>

#include "wire/checksum.h"
#include "wire/dhcp6_proto.h"
#include "wire/eth_proto.h"
#include "wire/icmp_proto.h"
#include "wire/ip6_proto.h"
#include "wire/nd_proto.h"
#include "wire/udp_proto.h"

#include "frame_nd.h"

/* Where the IPv6 payload starts in a built frame. */
#define FRAME_ND_L4 (WIRE_ETH_HLEN + WIRE_IP6_HLEN)

/**
 * frame_ip6_linklocal() - a MAC's modified EUI-64 link-local address
 * @mac: the MAC
 * @out: receives fe80::(mac[0] ^ 2)(mac[1]):(mac[2])ff:fe(mac[3])...
 */
void frame_ip6_linklocal(const uint8_t mac[6], uint8_t out[16])
{
	memset(out, 0, 16);
	out[0] = 0xfe;
	out[1] = 0x80;
	out[8] = mac[0] ^ 0x02;
	out[9] = mac[1];
	out[10] = mac[2];
	out[11] = 0xff;
	out[12] = 0xfe;
	out[13] = mac[3];
	out[14] = mac[4];
	out[15] = mac[5];
}

/**
 * frame_ip6_group_mac() - the MAC of an IPv6 group (RFC 2464 7)
 * @group: the group
 * @mac: receives 33:33 and its last four bytes
 */
void frame_ip6_group_mac(const uint8_t group[16], uint8_t mac[6])
{
	mac[0] = 0x33;
	mac[1] = 0x33;
	memcpy(mac + 2, group + 12, 4);
}

/**
 * frame_ip6_solicited() - an address's solicited-node group
 * @addr: the address
 * @group: receives ff02::1:ffXX:XXXX
 */
void frame_ip6_solicited(const uint8_t addr[16], uint8_t group[16])
{
	memset(group, 0, 16);
	group[0] = 0xff;
	group[1] = 0x02;
	group[11] = 0x01;
	group[12] = 0xff;
	memcpy(group + 13, addr + 13, 3);
}

/*
 * Ethernet and IPv6 headers around @len bytes of @proto already at
 * FRAME_ND_L4, and the checksum at @csum_off of them. Returns the frame's
 * length.
 */
static size_t frame_nd_finish(uint8_t *buf, const struct frame_ends6 *e,
			      uint8_t proto, size_t len, size_t csum_off)
{
	/* The transport part was built in place, after where the headers go. */
	uint8_t *l4 = frame_ip6(buf, e, proto, len);
	uint16_t c;

	memset(l4 + csum_off, 0, 2);
	c = frame_l4_sum6(e, proto, l4, len);
	if (proto == WIRE_IPPROTO_UDP && c == 0)
		c = 0xffff;
	c = htons(c);
	memcpy(l4 + csum_off, &c, 2);
	return FRAME_ND_L4 + len;
}

/**
 * frame_icmp6_echo() - an ICMPv6 echo request
 * @buf: room for the frame
 * @e: its ends
 * @id: the echo id
 * @seq: its sequence number
 * @size: data bytes (0, 1, 2 ... mod 256)
 *
 * Return: the frame's length.
 */
size_t frame_icmp6_echo(uint8_t *buf, const struct frame_ends6 *e, uint16_t id,
			uint16_t seq, size_t size)
{
	struct wire_icmp *h = (struct wire_icmp *)(void *)(buf + FRAME_ND_L4);
	uint8_t *data = buf + FRAME_ND_L4 + sizeof(*h);
	size_t i;

	memset(h, 0, sizeof(*h));
	h->type = WIRE_ICMP6_ECHO;
	h->id = htons(id);
	h->seq = htons(seq);
	for (i = 0; i < size; i++)
		data[i] = (uint8_t)i;
	return frame_nd_finish(buf, e, WIRE_IPPROTO_ICMPV6, sizeof(*h) + size,
			       offsetof(struct wire_icmp, csum));
}

/* A link-layer address option of @type with @mac at @p; its length. */
static size_t frame_nd_lla(uint8_t *p, uint8_t type, const uint8_t mac[6])
{
	struct wire_nd_opt_lla *o = (struct wire_nd_opt_lla *)(void *)p;

	o->type = type;
	o->len = 1;
	memcpy(o->addr, mac, sizeof(o->addr));
	return sizeof(*o);
}

/**
 * frame_rs() - a router solicitation (hop limit 255 whatever @e says)
 * @buf: room for the frame
 * @e: its ends (usually the guest's link-local address to ff02::2)
 * @sll: with a source link-layer address option (never from ::)
 *
 * Return: the frame's length.
 */
size_t frame_rs(uint8_t *buf, const struct frame_ends6 *e, bool sll)
{
	struct wire_nd_rs *h = (struct wire_nd_rs *)(void *)(buf + FRAME_ND_L4);
	struct frame_ends6 e2 = *e;
	size_t len = sizeof(*h);

	memset(h, 0, sizeof(*h));
	h->type = WIRE_ICMP6_RS;
	if (sll)
		len += frame_nd_lla(buf + FRAME_ND_L4 + len, WIRE_ND_OPT_SLLA,
				    e->src_mac);
	e2.hop_limit = WIRE_ND_HOP_LIMIT;
	return frame_nd_finish(buf, &e2, WIRE_IPPROTO_ICMPV6, len,
			       offsetof(struct wire_nd_rs, csum));
}

/**
 * frame_ns() - a neighbour solicitation (hop limit 255)
 * @buf: room for the frame
 * @e: its ends
 * @target: the address asked about
 * @sll: with a source link-layer address option
 *
 * Return: the frame's length.
 */
size_t frame_ns(uint8_t *buf, const struct frame_ends6 *e,
		const uint8_t target[16], bool sll)
{
	struct wire_nd_ns *h = (struct wire_nd_ns *)(void *)(buf + FRAME_ND_L4);
	struct frame_ends6 e2 = *e;
	size_t len = sizeof(*h);

	memset(h, 0, sizeof(*h));
	h->type = WIRE_ICMP6_NS;
	memcpy(h->target, target, 16);
	if (sll)
		len += frame_nd_lla(buf + FRAME_ND_L4 + len, WIRE_ND_OPT_SLLA,
				    e->src_mac);
	e2.hop_limit = WIRE_ND_HOP_LIMIT;
	return frame_nd_finish(buf, &e2, WIRE_IPPROTO_ICMPV6, len,
			       offsetof(struct wire_nd_ns, csum));
}

/**
 * frame_na() - a neighbour advertisement with a target link-layer address
 * @buf: room for the frame
 * @e: its ends
 * @target: the address advertised
 * @flags: WIRE_ND_NA_*
 *
 * Return: the frame's length.
 */
size_t frame_na(uint8_t *buf, const struct frame_ends6 *e,
		const uint8_t target[16], uint8_t flags)
{
	struct wire_nd_na *h = (struct wire_nd_na *)(void *)(buf + FRAME_ND_L4);
	struct frame_ends6 e2 = *e;
	size_t len = sizeof(*h);

	memset(h, 0, sizeof(*h));
	h->type = WIRE_ICMP6_NA;
	h->flags = flags;
	memcpy(h->target, target, 16);
	len += frame_nd_lla(buf + FRAME_ND_L4 + len, WIRE_ND_OPT_TLLA,
			    e->src_mac);
	e2.hop_limit = WIRE_ND_HOP_LIMIT;
	return frame_nd_finish(buf, &e2, WIRE_IPPROTO_ICMPV6, len,
			       offsetof(struct wire_nd_na, csum));
}

/* A DHCPv6 option with @len bytes of @data at @p; its whole length. */
static size_t frame_dhcp6_opt(uint8_t *p, uint16_t code, const void *data,
			      size_t len)
{
	struct wire_dhcp6_opt o = { htons(code), htons((uint16_t)len) };

	memcpy(p, &o, sizeof(o));
	if (len > 0)
		memcpy(p + sizeof(o), data, len);
	return sizeof(o) + len;
}

/**
 * frame_dhcp6() - a DHCPv6 client message, from port 546 to port 547
 * @buf: room for the frame
 * @e: its ends (usually the guest's link-local address to ff02::1:2)
 * @m: what it says
 *
 * Options in order: Client Identifier, Server Identifier, IA_NA (with an
 * IAADDR of lifetimes 0), Option Request (DNS servers, domain list),
 * Elapsed Time 0, Rapid Commit.
 *
 * Return: the frame's length.
 */
size_t frame_dhcp6(uint8_t *buf, const struct frame_ends6 *e,
		   const struct frame_dhcp6 *m)
{
	static const uint8_t oro[4] = { 0, DHCP6_OPT_DNS_SERVERS, 0,
					DHCP6_OPT_DOMAIN_LIST };
	static const uint8_t elapsed[2];
	uint8_t *udp = buf + FRAME_ND_L4, *p = udp + WIRE_UDP_HLEN;
	struct wire_udp *uh = (struct wire_udp *)(void *)udp;
	struct wire_dhcp6_ia_na ia;
	struct wire_dhcp6_iaaddr a;
	uint8_t iabuf[sizeof(ia) + DHCP6_OPT_HLEN + sizeof(a)];
	size_t n = 0, ialen = sizeof(ia);

	p[n++] = m->type;
	p[n++] = (uint8_t)(m->xid >> 16);
	p[n++] = (uint8_t)(m->xid >> 8);
	p[n++] = (uint8_t)m->xid;
	if (m->duid != NULL)
		n += frame_dhcp6_opt(p + n, DHCP6_OPT_CLIENTID, m->duid,
				     m->duid_len);
	if (m->server != NULL)
		n += frame_dhcp6_opt(p + n, DHCP6_OPT_SERVERID, m->server,
				     m->server_len);
	if (m->ia) {
		ia.iaid = htonl(m->iaid);
		ia.t1 = 0;
		ia.t2 = 0;
		memcpy(iabuf, &ia, sizeof(ia));
		if (m->addr != NULL) {
			memcpy(a.addr, m->addr, 16);
			a.preferred = 0;
			a.valid = 0;
			ialen += frame_dhcp6_opt(
				iabuf + ialen, DHCP6_OPT_IAADDR, &a, sizeof(a));
		}
		n += frame_dhcp6_opt(p + n, DHCP6_OPT_IA_NA, iabuf, ialen);
	}
	n += frame_dhcp6_opt(p + n, DHCP6_OPT_ORO, oro, sizeof(oro));
	n += frame_dhcp6_opt(p + n, DHCP6_OPT_ELAPSED_TIME, elapsed,
			     sizeof(elapsed));
	if (m->rapid)
		n += frame_dhcp6_opt(p + n, DHCP6_OPT_RAPID_COMMIT, NULL, 0);
	uh->sport = htons(DHCP6_CLIENT_PORT);
	uh->dport = htons(DHCP6_SERVER_PORT);
	uh->len = htons((uint16_t)(WIRE_UDP_HLEN + n));
	return frame_nd_finish(buf, e, WIRE_IPPROTO_UDP, WIRE_UDP_HLEN + n,
			       offsetof(struct wire_udp, csum));
}
