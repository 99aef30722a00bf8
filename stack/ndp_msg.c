/* SPDX-License-Identifier: MIT */
/*
 * The Neighbor Discovery codec (ndp_msg.h).
 *
 * Theory of operation: unet__nd_parse() applies RFC 4861's validity checks
 * for a received RS, RA, NS or NA (6.1.1, 6.1.2, 7.1.1, 7.1.2): hop limit
 * 255, code 0, the ICMPv6 checksum, the fixed part whole, every option of
 * non-zero length and inside the message, no source link-layer address
 * from the unspecified address, an NS from the unspecified address sent to
 * a solicited-node group, no multicast target, an RA from a link-local
 * address, an NA to a group not solicited. A message that fails is
 * -EINVAL, to be dropped. Options are walked with a cursor, at most as many
 * as the message holds (each is at least 8 bytes): the link-layer address,
 * and for an RA its prefix, MTU, RDNSS and DNSSL options, are reported;
 * RFC 8106 options of impossible lengths are ignored as the RFC says.
 *
 * The builders write the ICMPv6 message whole, options included, with a
 * zero checksum (the sender sums it with the addresses it uses).
 */
#include <errno.h>
#include <string.h>

#include "wire/checksum.h"
#include "wire/cursor.h"
#include "wire/icmp_proto.h"

#include "ndp_msg.h"

static const uint8_t nd_unspecified[WIRE_IP6_ALEN];

static bool nd_is_multicast(const uint8_t *a)
{
	return a[0] == 0xff;
}

static bool nd_is_linklocal(const uint8_t *a)
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

/**
 * unet__nd_solicited_node() - the solicited-node group of an address
 * @addr: the address
 * @group: receives ff02::1:ffXX:XXXX (RFC 4291 2.7.1)
 */
void unet__nd_solicited_node(const uint8_t *addr, uint8_t *group)
{
	static const uint8_t head[13] = { 0xff, 0x02, [11] = 0x01, 0xff };

	memcpy(group, head, sizeof(head));
	memcpy(group + 13, addr + 13, 3);
}

/**
 * unet__nd_is_solicited_node() - whether an address is a solicited-node
 * group
 * @addr: the address
 *
 * Return: true for ff02::1:ffXX:XXXX.
 */
bool unet__nd_is_solicited_node(const uint8_t *addr)
{
	uint8_t group[WIRE_IP6_ALEN];

	unet__nd_solicited_node(addr, group);
	return memcmp(group, addr, 13) == 0;
}

/**
 * unet__ip6_multicast_mac() - the Ethernet address of an IPv6 group
 * @group: the group address
 * @mac: receives 33:33 and its last four bytes (RFC 2464 7)
 */
void unet__ip6_multicast_mac(const uint8_t *group, uint8_t *mac)
{
	mac[0] = 0x33;
	mac[1] = 0x33;
	memcpy(mac + 2, group + 12, 4);
}

/* Reads an RA's option into @m; a malformed RFC 8106 option is ignored. */
static void nd_ra_option(const struct wire_nd_opt *o, const uint8_t *body,
			 size_t len, struct unet__nd_msg *m)
{
	const struct wire_nd_opt_dns *d = (const void *)o;
	const struct wire_nd_opt_mtu *mtu = (const void *)o;
	size_t n;

	switch (o->type) {
	case WIRE_ND_OPT_PREFIX:
		if (len != sizeof(struct wire_nd_opt_prefix))
			return;
		if (m->n_prefix++ == 0)
			m->prefix = (const void *)o;
		return;
	case WIRE_ND_OPT_MTU:
		if (len == sizeof(*mtu) && m->mtu == 0)
			m->mtu = ntohl(mtu->mtu);
		return;
	case WIRE_ND_OPT_RDNSS:
		/* 1 + 2n units, n >= 1 (RFC 8106 5.1) */
		if (o->len < 3 || o->len % 2 == 0 || m->rdnss != NULL)
			return;
		n = (len - sizeof(*d)) / WIRE_IP6_ALEN;
		m->rdnss = body + sizeof(*d);
		m->n_rdnss = (unsigned int)(n < UNET__ND_RDNSS_MAX ?
						    n :
						    UNET__ND_RDNSS_MAX);
		m->rdnss_lifetime = ntohl(d->lifetime);
		return;
	case WIRE_ND_OPT_DNSSL:
		if (o->len < 2 || m->dnssl != NULL)
			return;
		m->dnssl = body + sizeof(*d);
		m->dnssl_len = len - sizeof(*d);
		m->dnssl_lifetime = ntohl(d->lifetime);
		return;
	default:
		return;
	}
}

/* Walks the options of @c (what follows the fixed part). */
static int nd_options(struct unet_cursor c, const struct wire_ip6 *ip,
		      struct unet__nd_msg *m)
{
	const struct wire_nd_opt *o;
	const uint8_t *body;
	size_t len;
	uint8_t lla_type = m->type == WIRE_ICMP6_NA ? WIRE_ND_OPT_TLLA :
						      WIRE_ND_OPT_SLLA;

	while (c.len > 0) {
		body = c.p;
		o = cursor_take_hdr(&c, struct wire_nd_opt);
		if (o == NULL || o->len == 0)
			return -EINVAL;
		len = wire_nd_opt_len(o);
		if (!cursor_skip(&c, len - sizeof(*o)))
			return -EINVAL;
		if (o->type == lla_type) {
			if (m->type != WIRE_ICMP6_NA &&
			    memcmp(ip->saddr, nd_unspecified, WIRE_IP6_ALEN) ==
				    0)
				return -EINVAL;
			if (m->lla == NULL)
				m->lla = body + sizeof(*o);
			continue;
		}
		if (m->type == WIRE_ICMP6_RA)
			nd_ra_option(o, body, len, m);
	}
	return 0;
}

/**
 * unet__nd_parse() - check an ND message and find its options
 * @ip: the IPv6 header it came in (addresses, hop limit); no extension
 *      headers between it and @icmp
 * @icmp: the ICMPv6 message
 * @len: its length (the IPv6 payload length)
 * @m: receives what was found
 *
 * Return: 0; -EINVAL when the message is not a valid RS, RA, NS or NA
 * (RFC 4861's checks, the checksum included), to be dropped.
 */
int unet__nd_parse(const struct wire_ip6 *ip, const uint8_t *icmp, size_t len,
		   struct unet__nd_msg *m)
{
	struct unet_cursor c = cursor_init(icmp, len);
	const struct wire_nd_ra *ra;
	const struct wire_nd_ns *ns;
	const struct wire_nd_na *na;
	uint32_t sum;

	memset(m, 0, sizeof(*m));
	if (len < sizeof(struct wire_nd_rs) ||
	    ip->hop_limit != WIRE_ND_HOP_LIMIT || icmp[1] != 0)
		return -EINVAL;
	sum = unet__csum_ip6_pseudo(ip->saddr, ip->daddr, WIRE_IPPROTO_ICMPV6,
				    len);
	if (unet__csum_finish(unet__csum_add(sum, icmp, len)) != 0)
		return -EINVAL;
	m->type = icmp[0];
	switch (m->type) {
	case WIRE_ICMP6_RS:
		cursor_skip(&c, sizeof(struct wire_nd_rs));
		break;
	case WIRE_ICMP6_RA:
		ra = cursor_take_hdr(&c, struct wire_nd_ra);
		if (ra == NULL || !nd_is_linklocal(ip->saddr))
			return -EINVAL;
		m->flags = ra->flags;
		m->cur_hop_limit = ra->cur_hop_limit;
		m->router_lifetime = ntohs(ra->router_lifetime);
		break;
	case WIRE_ICMP6_NS:
		ns = cursor_take_hdr(&c, struct wire_nd_ns);
		if (ns == NULL || nd_is_multicast(ns->target))
			return -EINVAL;
		if (memcmp(ip->saddr, nd_unspecified, WIRE_IP6_ALEN) == 0 &&
		    !unet__nd_is_solicited_node(ip->daddr))
			return -EINVAL;
		m->target = ns->target;
		break;
	case WIRE_ICMP6_NA:
		na = cursor_take_hdr(&c, struct wire_nd_na);
		if (na == NULL || nd_is_multicast(na->target))
			return -EINVAL;
		if (nd_is_multicast(ip->daddr) &&
		    (na->flags & WIRE_ND_NA_SOLICITED) != 0)
			return -EINVAL;
		m->flags = na->flags;
		m->target = na->target;
		break;
	default:
		return -EINVAL;
	}
	return nd_options(c, ip, m);
}

/**
 * struct nd_writer - a bounded writer
 * @out: the buffer
 * @cap: its size
 * @len: bytes written
 * @ok: nothing was left out for want of room
 */
struct nd_writer {
	uint8_t *out;
	size_t cap;
	size_t len;
	bool ok;
};

/* Room for @n more bytes, zeroed; NULL (and @w->ok false) when none. */
static void *nd_put(struct nd_writer *w, size_t n)
{
	void *p;

	if (!w->ok || w->cap - w->len < n) {
		w->ok = false;
		return NULL;
	}
	p = w->out + w->len;
	memset(p, 0, n);
	w->len += n;
	return p;
}

/* A link-layer address option of @type. */
static void nd_put_lla(struct nd_writer *w, uint8_t type, const uint8_t *mac)
{
	struct wire_nd_opt_lla *o = nd_put(w, sizeof(*o));

	if (o == NULL)
		return;
	o->type = type;
	o->len = 1;
	memcpy(o->addr, mac, sizeof(o->addr));
}

/**
 * unet__nd_build_ra() - build the gateway's router advertisement
 * @out: where the ICMPv6 message goes
 * @cap: its size
 * @ra: what it says
 *
 * Options in this order: source link-layer address, MTU (when @ra->mtu),
 * prefix information (on-link, autonomous), RDNSS (when @ra->dns), DNSSL
 * (when @ra->dnssl_len; padded with zeros to 8 bytes). The checksum is 0.
 *
 * Return: the message's length, 0 when it does not fit in @cap.
 */
size_t unet__nd_build_ra(uint8_t *out, size_t cap,
			 const struct unet__nd_ra_info *ra)
{
	struct nd_writer w = { .out = out, .cap = cap, .ok = true };
	struct wire_nd_ra *h = nd_put(&w, sizeof(*h));
	struct wire_nd_opt_mtu *mtu;
	struct wire_nd_opt_prefix *pi;
	struct wire_nd_opt_dns *d;
	size_t units;
	uint8_t *names;

	if (h == NULL)
		return 0;
	h->type = WIRE_ICMP6_RA;
	h->cur_hop_limit = 64;
	h->flags = ra->flags;
	h->router_lifetime = htons(ra->router_lifetime);
	nd_put_lla(&w, WIRE_ND_OPT_SLLA, ra->mac);
	if (ra->mtu != 0) {
		mtu = nd_put(&w, sizeof(*mtu));
		if (mtu != NULL) {
			mtu->type = WIRE_ND_OPT_MTU;
			mtu->len = 1;
			mtu->mtu = htonl(ra->mtu);
		}
	}
	pi = nd_put(&w, sizeof(*pi));
	if (pi != NULL) {
		pi->type = WIRE_ND_OPT_PREFIX;
		pi->len = sizeof(*pi) / WIRE_ND_OPT_UNIT;
		pi->prefix_len = 64;
		pi->flags = WIRE_ND_PREFIX_ONLINK | WIRE_ND_PREFIX_AUTO;
		pi->valid = htonl(ra->valid);
		pi->preferred = htonl(ra->preferred);
		memcpy(pi->prefix, ra->prefix, 8);
	}
	if (ra->dns != NULL) {
		d = nd_put(&w, sizeof(*d) + WIRE_IP6_ALEN);
		if (d != NULL) {
			d->type = WIRE_ND_OPT_RDNSS;
			d->len =
				(sizeof(*d) + WIRE_IP6_ALEN) / WIRE_ND_OPT_UNIT;
			d->lifetime = htonl(ra->dns_lifetime);
			memcpy((uint8_t *)d + sizeof(*d), ra->dns,
			       WIRE_IP6_ALEN);
		}
	}
	if (ra->dnssl_len > 0) {
		units = (sizeof(*d) + ra->dnssl_len + WIRE_ND_OPT_UNIT - 1) /
			WIRE_ND_OPT_UNIT;
		d = units <= 255 ? nd_put(&w, units * WIRE_ND_OPT_UNIT) : NULL;
		if (d != NULL) {
			d->type = WIRE_ND_OPT_DNSSL;
			d->len = (uint8_t)units;
			d->lifetime = htonl(ra->dns_lifetime);
			names = (uint8_t *)d + sizeof(*d);
			memcpy(names, ra->dnssl, ra->dnssl_len);
		} else {
			w.ok = false;
		}
	}
	return w.ok ? w.len : 0;
}

/**
 * unet__nd_build_na() - build a neighbour advertisement
 * @out: where the ICMPv6 message goes
 * @cap: its size
 * @target: the address advertised
 * @flags: WIRE_ND_NA_*
 * @mac: the target link-layer address option's MAC
 *
 * Return: the message's length (32), 0 when it does not fit in @cap. The
 * checksum is 0.
 */
size_t unet__nd_build_na(uint8_t *out, size_t cap, const uint8_t *target,
			 uint8_t flags, const uint8_t *mac)
{
	struct nd_writer w = { .out = out, .cap = cap, .ok = true };
	struct wire_nd_na *h = nd_put(&w, sizeof(*h));

	if (h == NULL)
		return 0;
	h->type = WIRE_ICMP6_NA;
	h->flags = flags;
	memcpy(h->target, target, WIRE_IP6_ALEN);
	nd_put_lla(&w, WIRE_ND_OPT_TLLA, mac);
	return w.ok ? w.len : 0;
}
