/* SPDX-License-Identifier: MIT */
/*
 * frame: building and reading the frames of replay scripts (see frame.h).
 *
 * Builders trust their caller (the runner bounds payload sizes so that a
 * frame fits FRAME_MAX); readers trust nothing: every offset is checked
 * against the frame's length before a byte is read.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "frame.h"

#define ETH_HLEN 14
#define IP_HLEN 20
#define UDP_HLEN 8
#define TCP_HLEN 20
#define ETHERTYPE_IP 0x0800
#define ETHERTYPE_ARP 0x0806
#define ETHERTYPE_IPV6 0x86dd
#define DHCP_FIXED 240	/* BOOTP fields and the magic cookie */

static const uint8_t frame_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static void frame_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void frame_put32(uint8_t *p, uint32_t v)
{
	frame_put16(p, (uint16_t)(v >> 16));
	frame_put16(p + 2, (uint16_t)v);
}

static uint16_t frame_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t frame_get32(const uint8_t *p)
{
	return (uint32_t)frame_get16(p) << 16 | frame_get16(p + 2);
}

static uint32_t frame_sum(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += frame_get16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t frame_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void frame_eth(uint8_t *buf, const uint8_t dst[6], const uint8_t src[6],
		      uint16_t type)
{
	memcpy(buf, dst, 6);
	memcpy(buf + 6, src, 6);
	frame_put16(buf + 12, type);
}

/* Ethernet and IPv4 headers for @l4len bytes of protocol @proto. */
static uint8_t *frame_ip(uint8_t *buf, const struct frame_ends *e,
			 uint8_t proto, size_t l4len)
{
	uint8_t *ip = buf + ETH_HLEN;

	frame_eth(buf, e->dst_mac, e->src_mac, ETHERTYPE_IP);
	memset(ip, 0, IP_HLEN);
	ip[0] = 0x45;
	frame_put16(ip + 2, (uint16_t)(IP_HLEN + l4len));
	frame_put16(ip + 4, e->ip_id);
	ip[8] = (uint8_t)(e->ttl != 0 ? e->ttl : 64);
	ip[9] = proto;
	memcpy(ip + 12, &e->src, 4);
	memcpy(ip + 16, &e->dst, 4);
	frame_put16(ip + 10, frame_fold(frame_sum(0, ip, IP_HLEN)));
	return ip + IP_HLEN;
}

/* The TCP/UDP checksum over the pseudo-header and @len bytes at @l4. */
static uint16_t frame_l4_sum(const struct frame_ends *e, uint8_t proto,
			     const uint8_t *l4, size_t len)
{
	uint8_t pseudo[12];

	memcpy(pseudo, &e->src, 4);
	memcpy(pseudo + 4, &e->dst, 4);
	pseudo[8] = 0;
	pseudo[9] = proto;
	frame_put16(pseudo + 10, (uint16_t)len);
	return frame_fold(frame_sum(frame_sum(0, pseudo, 12), l4, len));
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
	uint8_t *a = buf + ETH_HLEN;

	frame_eth(buf, frame_bcast, mac, ETHERTYPE_ARP);
	frame_put16(a, 1);		/* Ethernet */
	frame_put16(a + 2, ETHERTYPE_IP);
	a[4] = 6;
	a[5] = 4;
	frame_put16(a + 6, 1);		/* request */
	memcpy(a + 8, mac, 6);
	memcpy(a + 14, &sender, 4);
	memset(a + 18, 0, 6);
	memcpy(a + 24, &target, 4);
	return ETH_HLEN + 28;
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
	uint8_t *u = frame_ip(buf, e, IPPROTO_UDP, UDP_HLEN + plen);
	uint16_t sum;

	frame_put16(u, sport);
	frame_put16(u + 2, dport);
	frame_put16(u + 4, (uint16_t)(UDP_HLEN + plen));
	frame_put16(u + 6, 0);
	memcpy(u + UDP_HLEN, payload, plen);
	sum = frame_l4_sum(e, IPPROTO_UDP, u, UDP_HLEN + plen);
	frame_put16(u + 6, sum != 0 ? sum : 0xffff);
	return ETH_HLEN + IP_HLEN + UDP_HLEN + plen;
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
	size_t olen = 0, hlen;
	uint8_t *s;

	if (t->mss != 0) {
		opts[olen++] = 2;
		opts[olen++] = 4;
		frame_put16(opts + olen, t->mss);
		olen += 2;
	}
	if (t->wscale >= 0) {
		opts[olen++] = 1;	/* NOP, to keep 4-byte alignment */
		opts[olen++] = 3;
		opts[olen++] = 3;
		opts[olen++] = (uint8_t)t->wscale;
	}
	hlen = TCP_HLEN + olen;
	s = frame_ip(buf, e, IPPROTO_TCP, hlen + plen);
	memset(s, 0, TCP_HLEN);
	frame_put16(s, t->sport);
	frame_put16(s + 2, t->dport);
	frame_put32(s + 4, t->seq);
	frame_put32(s + 8, t->ack);
	s[12] = (uint8_t)(hlen / 4) << 4;
	s[13] = t->flags;
	frame_put16(s + 14, t->win);
	memcpy(s + TCP_HLEN, opts, olen);
	memcpy(s + hlen, payload, plen);
	frame_put16(s + 16, frame_l4_sum(e, IPPROTO_TCP, s, hlen + plen));
	return ETH_HLEN + IP_HLEN + hlen + plen;
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
	uint8_t *c = frame_ip(buf, e, IPPROTO_ICMP, 8 + size);
	size_t i;

	c[0] = 8;
	c[1] = 0;
	frame_put16(c + 2, 0);
	frame_put16(c + 4, id);
	frame_put16(c + 6, seq);
	for (i = 0; i < size; i++)
		c[8 + i] = (uint8_t)i;
	frame_put16(c + 2, frame_fold(frame_sum(0, c, 8 + size)));
	return ETH_HLEN + IP_HLEN + 8 + size;
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
	uint8_t msg[DHCP_FIXED + 32];
	struct frame_ends e;
	size_t n = DHCP_FIXED;

	memset(msg, 0, sizeof(msg));
	msg[0] = 1;			/* BOOTREQUEST */
	msg[1] = 1;
	msg[2] = 6;
	frame_put32(msg + 4, xid);
	memcpy(msg + 12, &ciaddr, 4);
	memcpy(msg + 28, mac, 6);
	frame_put32(msg + 236, 0x63825363);
	msg[n++] = 53;
	msg[n++] = 1;
	msg[n++] = (uint8_t)type;
	if (requested.s_addr != 0) {
		msg[n++] = 50;
		msg[n++] = 4;
		memcpy(msg + n, &requested, 4);
		n += 4;
	}
	if (server.s_addr != 0) {
		msg[n++] = 54;
		msg[n++] = 4;
		memcpy(msg + n, &server, 4);
		n += 4;
	}
	msg[n++] = 255;
	memset(&e, 0, sizeof(e));
	memcpy(e.src_mac, mac, 6);
	memcpy(e.dst_mac, frame_bcast, 6);
	e.src = ciaddr;
	e.dst.s_addr = htonl(INADDR_BROADCAST);
	if (type == 7 && server.s_addr != 0)
		e.dst = server;	/* a RELEASE goes to the server */
	return frame_udp(buf, &e, 68, 67, msg, n);
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
	const uint8_t *ip = frame + ETH_HLEN;
	size_t plen, off;
	int r;

	if (len < ETH_HLEN + IP_HLEN || frame_get16(frame + 12) != ETHERTYPE_IP ||
	    ip[0] != 0x45 || frame_get16(ip + 2) != len - ETH_HLEN)
		return -EINVAL;
	frag &= ~(size_t)7;
	if (frag == 0)
		frag = 8;
	plen = len - ETH_HLEN - IP_HLEN;
	for (off = 0; off < plen; off += frag) {
		size_t n = plen - off < frag ? plen - off : frag;
		uint8_t *oip = out + ETH_HLEN;

		memcpy(out, frame, ETH_HLEN + IP_HLEN);
		memcpy(oip + IP_HLEN, ip + IP_HLEN + off, n);
		frame_put16(oip + 2, (uint16_t)(IP_HLEN + n));
		frame_put16(oip + 6, (uint16_t)((off / 8) |
						(off + n < plen ? 0x2000 : 0)));
		frame_put16(oip + 10, 0);
		frame_put16(oip + 10, frame_fold(frame_sum(0, oip, IP_HLEN)));
		r = cb(opaque, out, ETH_HLEN + IP_HLEN + n);
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
 * struct frame_layers - where the headers of a received frame are
 * @type: the ethertype
 * @ip: offset of the IPv4 header, 0 when there is none
 * @ihl: its length
 * @ip_end: end of the IP packet within the frame
 * @proto: the IP protocol
 * @first: the packet is unfragmented or the first fragment
 * @l4: offset of the transport header, 0 when there is none (or not whole)
 */
struct frame_layers {
	uint16_t type;
	size_t ip;
	size_t ihl;
	size_t ip_end;
	uint8_t proto;
	bool first;
	size_t l4;
};

static void frame_layers(const uint8_t *f, size_t len, struct frame_layers *l)
{
	size_t tot;

	memset(l, 0, sizeof(*l));
	if (len < ETH_HLEN)
		return;
	l->type = frame_get16(f + 12);
	if (l->type != ETHERTYPE_IP || len < ETH_HLEN + IP_HLEN ||
	    (f[ETH_HLEN] >> 4) != 4)
		return;
	l->ihl = (size_t)(f[ETH_HLEN] & 0xf) * 4;
	tot = frame_get16(f + ETH_HLEN + 2);
	if (l->ihl < IP_HLEN || tot < l->ihl || ETH_HLEN + tot > len)
		return;
	l->ip = ETH_HLEN;
	l->ip_end = ETH_HLEN + tot;
	l->proto = f[ETH_HLEN + 9];
	l->first = (frame_get16(f + ETH_HLEN + 6) & 0x1fff) == 0;
	if (l->first)
		l->l4 = ETH_HLEN + l->ihl;
}

static bool frame_has(const struct frame_layers *l, size_t off, size_t n)
{
	return l->l4 != 0 && off + n <= l->ip_end;
}

/*
 * A fixed-size field: where it is and how it prints. @span_only fields
 * (checksums) can be masked but not saved.
 */
struct frame_fieldspec {
	const char *name;
	int layer;	/* 0 eth, 1 ip, 2 tcp, 3 udp, 4 icmp, 5 dhcp */
	size_t off;
	size_t len;
	char fmt;	/* 'm' MAC, 'a' address, 'n' number */
};

static const struct frame_fieldspec frame_fields[] = {
	{ "eth.dst", 0, 0, 6, 'm' },	{ "eth.src", 0, 6, 6, 'm' },
	{ "ip.id", 1, 4, 2, 'n' },	{ "ip.ttl", 1, 8, 1, 'n' },
	{ "ip.cksum", 1, 10, 2, 'n' },	{ "ip.src", 1, 12, 4, 'a' },
	{ "ip.dst", 1, 16, 4, 'a' },	{ "tcp.sport", 2, 0, 2, 'n' },
	{ "tcp.dport", 2, 2, 2, 'n' },	{ "tcp.seq", 2, 4, 4, 'n' },
	{ "tcp.ack", 2, 8, 4, 'n' },	{ "tcp.win", 2, 14, 2, 'n' },
	{ "tcp.cksum", 2, 16, 2, 'n' }, { "udp.sport", 3, 0, 2, 'n' },
	{ "udp.dport", 3, 2, 2, 'n' },	{ "udp.len", 3, 4, 2, 'n' },
	{ "udp.cksum", 3, 6, 2, 'n' },	{ "icmp.cksum", 4, 2, 2, 'n' },
	{ "icmp.id", 4, 4, 2, 'n' },	{ "icmp.seq", 4, 6, 2, 'n' },
	{ "dhcp.xid", 5, 4, 4, 'n' },	{ "dhcp.yiaddr", 5, 16, 4, 'a' },
};

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
	static const uint8_t protos[] = { 0, 0, IPPROTO_TCP, IPPROTO_UDP,
					  IPPROTO_ICMP, IPPROTO_UDP };
	const struct frame_fieldspec *fs = NULL;
	struct frame_layers l;
	size_t i, base;

	for (i = 0; i < sizeof(frame_fields) / sizeof(frame_fields[0]); i++)
		if (strcmp(field, frame_fields[i].name) == 0)
			fs = &frame_fields[i];
	if (fs == NULL)
		return -EINVAL;
	frame_layers(f, len, &l);
	if (fs->layer == 0) {
		if (len < ETH_HLEN)
			return -ENOENT;
		base = 0;
	} else if (fs->layer == 1) {
		if (l.ip == 0)
			return -ENOENT;
		base = l.ip;
	} else {
		if (l.proto != protos[fs->layer])
			return -ENOENT;
		base = l.l4;
		if (fs->layer == 5)
			base += UDP_HLEN;	/* BOOTP after the UDP header */
		if (!frame_has(&l, base, fs->len + fs->off))
			return -ENOENT;
	}
	*off = base + fs->off;
	*flen = fs->len;
	return 0;
}

/* The value of DHCP option @code, or NULL; *@olen gets its length. */
static const uint8_t *frame_dhcp_option(const uint8_t *f,
					const struct frame_layers *l,
					uint8_t code, size_t *olen)
{
	size_t p = l->l4 + UDP_HLEN + DHCP_FIXED;

	if (l->proto != IPPROTO_UDP || !frame_has(l, l->l4, UDP_HLEN + DHCP_FIXED))
		return NULL;
	while (p < l->ip_end && f[p] != 255) {
		if (f[p] == 0) {
			p++;
			continue;
		}
		if (p + 2 > l->ip_end || p + 2 + f[p + 1] > l->ip_end)
			return NULL;
		if (f[p] == code) {
			*olen = f[p + 1];
			return f + p + 2;
		}
		p += 2 + (size_t)f[p + 1];
	}
	return NULL;
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
	struct frame_layers l;
	size_t off, flen, i;
	int r;

	frame_layers(f, len, &l);
	if (strcmp(field, "len") == 0) {
		snprintf(out, cap, "%zu", len);
		return 0;
	}
	if (strcmp(field, "tcp.len") == 0) {
		if (l.proto != IPPROTO_TCP || !frame_has(&l, l.l4, TCP_HLEN) ||
		    l.l4 + (size_t)(f[l.l4 + 12] >> 4) * 4 > l.ip_end)
			return -ENOENT;
		snprintf(out, cap, "%zu",
			 l.ip_end - l.l4 - (size_t)(f[l.l4 + 12] >> 4) * 4);
		return 0;
	}
	if (strcmp(field, "dhcp.server") == 0) {
		const uint8_t *v = frame_dhcp_option(f, &l, 54, &flen);

		if (v == NULL || flen != 4)
			return -ENOENT;
		snprintf(out, cap, "%u.%u.%u.%u", v[0], v[1], v[2], v[3]);
		return 0;
	}
	r = frame_field_span(f, len, field, &off, &flen);
	if (r < 0)
		return r;
	for (i = 0; i < sizeof(frame_fields) / sizeof(frame_fields[0]); i++) {
		if (strcmp(field, frame_fields[i].name) != 0)
			continue;
		if (frame_fields[i].fmt == 'm')
			snprintf(out, cap, "%02x:%02x:%02x:%02x:%02x:%02x",
				 f[off], f[off + 1], f[off + 2], f[off + 3],
				 f[off + 4], f[off + 5]);
		else if (frame_fields[i].fmt == 'a')
			snprintf(out, cap, "%u.%u.%u.%u", f[off], f[off + 1],
				 f[off + 2], f[off + 3]);
		else
			snprintf(out, cap, "%u",
				 flen == 1 ? f[off] :
				 flen == 2 ? frame_get16(f + off) :
					     frame_get32(f + off));
	}
	return 0;
}

static void frame_addr(char *buf, size_t cap, const uint8_t *p)
{
	snprintf(buf, cap, "%u.%u.%u.%u", p[0], p[1], p[2], p[3]);
}

static void frame_summary_l4(const uint8_t *f, const struct frame_layers *l,
			     char *buf, size_t cap)
{
	static const char *const dhcp_types[] = {
		"?", "DISCOVER", "OFFER", "REQUEST", "DECLINE", "ACK", "NAK",
		"RELEASE", "INFORM",
	};
	const uint8_t *p = f + l->l4;
	char fl[8];
	size_t n = 0, olen;
	const uint8_t *t;

	if (l->proto == IPPROTO_TCP && frame_has(l, l->l4, TCP_HLEN)) {
		static const char flag_chars[] = "FSRPAU";
		size_t hl = (size_t)(p[12] >> 4) * 4;
		int i;

		for (i = 0; i < 6; i++)
			if (p[13] & (1 << i))
				fl[n++] = flag_chars[i];
		fl[n] = '\0';
		snprintf(buf, cap, "TCP %u > %u [%s] seq=%u ack=%u win=%u len=%zu",
			 frame_get16(p), frame_get16(p + 2), fl,
			 frame_get32(p + 4), frame_get32(p + 8),
			 frame_get16(p + 14),
			 l->l4 + hl <= l->ip_end ? l->ip_end - l->l4 - hl : 0);
	} else if (l->proto == IPPROTO_UDP && frame_has(l, l->l4, UDP_HLEN)) {
		n = (size_t)snprintf(buf, cap, "UDP %u > %u len=%u",
				     frame_get16(p), frame_get16(p + 2),
				     frame_get16(p + 4));
		t = frame_dhcp_option(f, l, 53, &olen);
		if (t != NULL && olen == 1 && n < cap)
			snprintf(buf + n, cap - n, " DHCP %s yiaddr=%u.%u.%u.%u",
				 t[0] < 9 ? dhcp_types[t[0]] : "?", p[24],
				 p[25], p[26], p[27]);
	} else if (l->proto == IPPROTO_ICMP && frame_has(l, l->l4, 8)) {
		if (p[0] == 0 || p[0] == 8)
			snprintf(buf, cap, "ICMP echo %s id=%u seq=%u len=%zu",
				 p[0] == 0 ? "reply" : "request",
				 frame_get16(p + 4), frame_get16(p + 6),
				 l->ip_end - l->l4 - 8);
		else
			snprintf(buf, cap, "ICMP type %u code %u", p[0], p[1]);
	} else {
		snprintf(buf, cap, "protocol %u", l->proto);
	}
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
	uint16_t frag;

	frame_layers(f, len, &l);
	if (len < ETH_HLEN) {
		snprintf(buf, cap, "%zu bytes, too short for Ethernet", len);
		return;
	}
	if (l.type == ETHERTYPE_ARP && len >= ETH_HLEN + 28) {
		const uint8_t *a = f + ETH_HLEN;

		frame_addr(src, sizeof(src), a + 14);
		frame_addr(dst, sizeof(dst), a + 24);
		if (frame_get16(a + 6) == 2)
			snprintf(buf, cap, "ARP reply %s is-at "
				 "%02x:%02x:%02x:%02x:%02x:%02x", src, a[8],
				 a[9], a[10], a[11], a[12], a[13]);
		else
			snprintf(buf, cap, "ARP request who-has %s tell %s",
				 dst, src);
		return;
	}
	if (l.ip == 0) {
		snprintf(buf, cap, "%zu bytes, ethertype 0x%04x%s", len, l.type,
			 l.type == ETHERTYPE_IPV6 ? " (IPv6)" : "");
		return;
	}
	frame_addr(src, sizeof(src), f + l.ip + 12);
	frame_addr(dst, sizeof(dst), f + l.ip + 16);
	frag = frame_get16(f + l.ip + 6);
	if ((frag & 0x3fff) != 0 && !l.first)
		snprintf(rest, sizeof(rest), "fragment proto=%u off=%u%s "
			 "len=%zu", l.proto, (frag & 0x1fff) * 8u,
			 (frag & 0x2000) ? " MF" : "",
			 l.ip_end - l.ip - l.ihl);
	else
		frame_summary_l4(f, &l, rest, sizeof(rest));
	snprintf(buf, cap, "IPv4 %s > %s id=%u%s %s", src, dst,
		 frame_get16(f + l.ip + 4), (frag & 0x2000) ? " MF" : "",
		 rest);
}
