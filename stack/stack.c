/* SPDX-License-Identifier: MIT */
/*
 * The gateway of the virtual network.
 *
 * Theory of operation: the stack is a port on the hub and one lwIP netif,
 * the gateway (default 10.0.2.2, MAC 52:55:0a:00:02:02). Frames the hub
 * delivers are first classified here, on untrusted bytes: unicast frames for
 * another MAC are dropped (lwIP's ethernet_input does not filter), ARP
 * requests for the gateway's other addresses (the DNS address) are answered
 * here because lwIP's etharp answers only its netif's one address, and
 * everything else is copied into a pbuf and handed to lwIP.
 *
 * Packets to a gateway alias (the DNS address) are accepted through a second,
 * output-less "catcher" netif: lwIP's IPv4 input hook writes the packet's
 * destination into the catcher's address, so that stock ip4_input validates,
 * reassembles and dispatches it (ICMP echo is answered, from that address,
 * on the gateway netif).
 *
 * The NAT proxy (stack_proxy.h) is asked about the rest, and the packet is
 * parsed once for it, here, into a struct unet_ip_pkt: the IPv4 header,
 * the typed transport header (checked), the ports or echo id, and a cursor
 * at the payload. TCP and UDP to the gateway's own address and everything
 * to a foreign address go to the proxy as they arrive (TCP is connect-first
 * there); foreign destinations are then accepted through the catcher too.
 * UDP and ICMP are checked and reassembled by lwIP, and two raw pcbs put
 * each datagram lwIP accepted to the proxy, parsed again (it may be a new,
 * reassembled one), before lwIP's own UDP and ICMP see it.
 *
 * What lwIP sends leaves through stack_linkoutput() into the hub. lwIP's
 * timers run from one timer on the hub's clock (struct unet_timer). On a
 * real clock a uv prepare handle re-arms it from lwIP's next timeout before
 * the loop sleeps. On a virtual clock the loop may never run, so the timer
 * is re-armed where lwIP is entered instead: after each frame it took and
 * after each round of its timeouts. lwIP always has cyclic timeouts of at
 * most 100 ms (MLD), so a timeout some other path adds (e.g. a pcb the
 * proxy connects) is looked at within 100 ms, before it is due.
 *
 * State: the configuration, the two netifs, the two uv handles. The struct
 * is freed from the last uv close callback.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/etharp.h"
#include "lwip/ethip6.h"
#include "lwip/ip.h"
#include "lwip/ip4.h"
#include "lwip/netif.h"
#include "lwip/raw.h"
#include "lwip/timeouts.h"
#include "netif/ethernet.h"

#include "budget.h"
#include "coalesce.h"
#include "hostbuf.h"
#include "stack_internal.h"
#include "stack_proxy.h"
#include "wire/arp_proto.h"
#include "wire/checksum.h"
#include "wire/config_copy.h"
#include "wire/cursor.h"
#include "wire/eth_proto.h"
#include "wire/ip6_proto.h"
#include "wire/tcp_proto.h"
#include "wire/udp_proto.h"

/* The size of struct unet_stack_config in 0.1.0, its first release. */
#define STACK_CONFIG_SIZE_V1 \
	UNET__CONFIG_SIZE_TO(struct unet_stack_config, resolv_conf)

/* The size of struct unet_stack_stats when it got its size field. */
#define STACK_STATS_SIZE_V1 \
	UNET__CONFIG_SIZE_TO(struct unet_stack_stats, budget_ooseq_squeezed)

/*
 * Most IPv6 extension headers walked before the transport header: more is
 * no packet a guest needs to send (RFC 8200 recommends no more than one of
 * each, and there are four kinds the gateway reads), and the walk stays
 * bounded.
 */
#define STACK_IP6_EXT_MAX 8

/* Bytes before a received frame so that its IP header is 8-byte aligned. */
#define STACK_ETH_PAD 2

/**
 * struct unet_stack - the gateway
 * @port: the stack's port on the hub
 * @hub: the hub
 * @cfg: the configuration it was made with
 * @gw: the gateway netif
 * @catcher: output-less netif that accepts packets for gateway aliases
 * @timer: runs lwIP's timeouts
 * @prepare: re-arms @timer before the loop sleeps
 * @handles: uv handles not yet closed
 * @txbuf: flattens chained pbufs into one frame
 * @txcap: size of @txbuf
 * @csumbuf: a copy of a frame whose checksum is finished here (allocated at
 *           the first such frame, 64 KiB; see stack_csum_todo())
 * @stats: counters, the services' too
 * @services: the gateway's services (DHCP, DNS, TFTP)
 * @refs: service handles still closing (the stack is freed at 0)
 * @proxy: the proxy's packet callbacks, or NULL
 * @proxy_opaque: passed to them
 * @raw: with a proxy, the raw pcbs that see lwIP's UDP and ICMP datagrams
 * @raw6: with a proxy, the raw pcbs that see lwIP's IPv6 UDP and ICMPv6
 *        datagrams (lwIP matches a raw pcb on the IPv6 header's next
 *        header: one for each extension header a datagram may start with)
 * @proxy_restrict: a restricted proxy is on the stack (see
 *                  unet__stack_restricted())
 * @coal: lwIP's TCP segments being merged into one GSO frame (coalesce.c);
 *        its buffer is allocated at the first frame that may be merged
 * @rx_csum_good: the frame lwIP is taking in now came with its checksum
 *                known good or left to do (offload facts from a tap whose
 *                kernel built it): checksums are not verified for it
 */
struct unet_stack {
	struct unet_port port;
	struct unet_hub *hub;
	struct unet_stack_config cfg;
	struct netif gw;
	struct netif catcher;
	struct unet_timer timer;
	uv_prepare_t prepare;
	int handles;
	unsigned char *txbuf;
	unsigned char *csumbuf;
	size_t txcap;
	struct unet__coalesce coal;
	struct unet_stack_stats stats;
	struct stack_services services;
	int refs;
	const struct unet_stack_proxy_ops *proxy;
	void *proxy_opaque;
	struct raw_pcb *raw[2];
	struct raw_pcb *raw6[5];
	bool proxy_restrict;
	bool rx_csum_good;
};

/**
 * unet_stack_config_init() - fill a stack configuration with the defaults
 * @config: the configuration (QEMU's user-mode network: 10.0.2.0/24, gateway
 *          10.0.2.2, DNS 10.0.2.3, DHCP from 10.0.2.15, MAC 52:55:0a:00:02:02)
 */
void unet_stack_config_init(struct unet_stack_config *config)
{
	static const uint8_t mac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };

	memset(config, 0, sizeof(*config));
	config->size = sizeof(*config);
	config->net.s_addr = htonl(0x0a000200);
	config->mask.s_addr = htonl(0xffffff00);
	config->host.s_addr = htonl(0x0a000202);
	config->dns.s_addr = htonl(0x0a000203);
	config->dhcp_start.s_addr = htonl(0x0a00020f);
	memcpy(config->mac, mac, sizeof(mac));
	config->dhcp_count = 16;
	snprintf(config->resolv_conf, sizeof(config->resolv_conf), "%s",
		 "/etc/resolv.conf");
}

/* fec0::, QEMU's default IPv6 prefix. */
static const struct in6_addr stack_ip6_default_prefix = { .s6_addr = { 0xfe,
								       0xc0 } };

/* fe80::2, the gateway's link-local address (as libslirp's). */
static const uint8_t stack_ip6_linklocal[16] = { 0xfe, 0x80, [15] = 2 };

static bool stack_ip6_is_zero(const struct in6_addr *a)
{
	static const struct in6_addr zero;

	return memcmp(a, &zero, sizeof(zero)) == 0;
}

/* Fills in the IPv6 defaults the caller left at zero (::, length 0). */
static void stack_config_resolve_ip6(struct unet_stack_config *cfg)
{
	if (stack_ip6_is_zero(&cfg->ip6_prefix))
		cfg->ip6_prefix = stack_ip6_default_prefix;
	if (cfg->ip6_prefix_len == 0)
		cfg->ip6_prefix_len = 64;
	if (stack_ip6_is_zero(&cfg->ip6_host)) {
		cfg->ip6_host = cfg->ip6_prefix;
		cfg->ip6_host.s6_addr[15] = 2;
	}
	if (stack_ip6_is_zero(&cfg->ip6_dns)) {
		cfg->ip6_dns = cfg->ip6_prefix;
		cfg->ip6_dns.s6_addr[15] = 3;
	}
}

/* @a is inside the /64 @prefix, and not its all-zero (anycast) address. */
static bool stack_ip6_in_prefix(const struct in6_addr *prefix,
				const struct in6_addr *a)
{
	static const uint8_t zero[8];

	return memcmp(a->s6_addr, prefix->s6_addr, 8) == 0 &&
	       memcmp(a->s6_addr + 8, zero, 8) != 0;
}

/*
 * The IPv6 settings, once resolved: a /64 (SLAAC's length) that is neither
 * multicast, link-local nor loopback, with no bits past its length; the
 * gateway and DNS addresses inside it and apart.
 */
static bool stack_config_ip6_ok(const struct unet_stack_config *cfg)
{
	static const uint8_t zero[8];
	const uint8_t *p = cfg->ip6_prefix.s6_addr;

	if (cfg->ip6_prefix_len != 64)
		return false;
	if (memcmp(p + 8, zero, 8) != 0)
		return false;
	if (p[0] == 0xff || (p[0] == 0xfe && (p[1] & 0xc0) == 0x80) ||
	    memcmp(p, zero, 8) == 0)
		return false;
	if (!stack_ip6_in_prefix(&cfg->ip6_prefix, &cfg->ip6_host) ||
	    !stack_ip6_in_prefix(&cfg->ip6_prefix, &cfg->ip6_dns))
		return false;
	return memcmp(&cfg->ip6_host, &cfg->ip6_dns, sizeof(cfg->ip6_host)) !=
	       0;
}

/* A fixed-size string field must hold its NUL. */
#define STR_OK(field) (memchr((field), '\0', sizeof(field)) != NULL)

static bool stack_addr_ok(const struct unet_stack_config *cfg,
			  struct in_addr a)
{
	uint32_t net = ntohl(cfg->net.s_addr), mask = ntohl(cfg->mask.s_addr);
	uint32_t h = ntohl(a.s_addr);

	return (h & mask) == net && h != net && h != (net | ~mask);
}

static bool stack_config_ok(const struct unet_stack_config *cfg)
{
	uint32_t mask = ntohl(cfg->mask.s_addr);

	/* A contiguous mask that leaves at least 4 addresses. */
	if ((~mask & (~mask + 1)) != 0 || mask > 0xfffffffcu)
		return false;
	if ((ntohl(cfg->net.s_addr) & ~mask) != 0)
		return false;
	if (!stack_addr_ok(cfg, cfg->host) || !stack_addr_ok(cfg, cfg->dns) ||
	    !stack_addr_ok(cfg, cfg->dhcp_start))
		return false;
	if (cfg->host.s_addr == cfg->dns.s_addr)
		return false;
	/* The whole DHCP pool inside the net, below its broadcast address. */
	if (cfg->dhcp_count == 0 ||
	    cfg->dhcp_count > (~mask & 0xffffffffu) ||
	    (uint64_t)ntohl(cfg->dhcp_start.s_addr) + cfg->dhcp_count - 1 >=
		    (uint64_t)(ntohl(cfg->net.s_addr) | ~mask))
		return false;
	if (cfg->n_dns_upstream > UNET_DNS_UPSTREAM_MAX ||
	    cfg->n_dns_upstream6 > UNET_DNS_UPSTREAM_MAX)
		return false;
	if (!STR_OK(cfg->hostname) || !STR_OK(cfg->domainname) ||
	    !STR_OK(cfg->dnssearch) || !STR_OK(cfg->bootfile) ||
	    !STR_OK(cfg->tftp_server_name) || !STR_OK(cfg->tftp_root) ||
	    !STR_OK(cfg->resolv_conf))
		return false;
	if (cfg->mem_budget != 0 && cfg->mem_budget < UNET_BUDGET_MIN)
		return false;
	if (cfg->no_ipv4 && cfg->no_ipv6)
		return false;
	if (!stack_config_ip6_ok(cfg))
		return false;
	/* The MAC must be unicast. */
	return (cfg->mac[0] & 1) == 0;
}

/**
 * unet__stack_hub() - the hub of a stack
 * @stack: the stack
 *
 * Return: its hub.
 */
struct unet_hub *unet__stack_hub(struct unet_stack *stack)
{
	return stack->hub;
}

static bool stack_is_alias(const struct unet_stack *stack, uint32_t addr)
{
	return addr == stack->cfg.dns.s_addr;
}

/*
 * Takes the transport header of @size bytes at @pkt->hlen off @seg (the
 * packet's first piece from there): in place, or, when it straddles the
 * pieces of a reassembled datagram, copied into @pkt->l4_copy (which then
 * leaves nothing of the payload in the first piece). NULL when the packet
 * holds fewer bytes.
 */
static const void *stack_l4_take(const struct pbuf *p, struct unet_ip_pkt *pkt,
				 struct unet_cursor *seg, size_t size)
{
	const void *h;

	if (pkt->l4_len < size)
		return NULL;
	h = cursor_take(seg, size);
	if (h != NULL)
		return h;
	if (size > sizeof(pkt->l4_copy) ||
	    pbuf_copy_partial(p, &pkt->l4_copy, (u16_t)size,
			      (u16_t)pkt->hlen) != size)
		return NULL;
	*seg = cursor_init(NULL, 0);
	return &pkt->l4_copy;
}

/*
 * Parses the transport header of a packet that holds its start (not a later
 * fragment); @seg is the rest of the first piece, up to the IP length.
 * A header that is not whole, or whose lengths lie, sets @pkt->l4_bad.
 */
static void stack_l4_parse(const struct pbuf *p, struct unet_ip_pkt *pkt,
			   struct unet_cursor seg)
{
	const struct wire_tcp *th;
	const struct wire_udp *uh;
	const struct wire_icmp *ih;
	size_t thl, opt, ulen;
	bool ok;

	pkt->payload_off = pkt->hlen;
	pkt->payload_len = pkt->l4_len;
	switch (pkt->proto) {
	case WIRE_IPPROTO_TCP:
		th = stack_l4_take(p, pkt, &seg, sizeof(*th));
		if (th == NULL)
			goto bad;
		thl = wire_tcp_hlen(th);
		if (thl < WIRE_TCP_HLEN)
			goto bad;
		/* A first fragment may end inside the options. */
		opt = thl - WIRE_TCP_HLEN;
		if (pkt->fragment && opt > seg.len)
			opt = seg.len;
		if (thl > pkt->l4_len && !pkt->fragment)
			goto bad;
		if (!cursor_skip(&seg, opt))
			goto bad;
		pkt->sport = wire_tcp_sport(th);
		pkt->dport = wire_tcp_dport(th);
		pkt->payload_off = pkt->hlen + thl;
		pkt->payload_len = pkt->l4_len > thl ? pkt->l4_len - thl : 0;
		pkt->l4.tcp = th;
		break;
	case WIRE_IPPROTO_UDP:
		uh = stack_l4_take(p, pkt, &seg, sizeof(*uh));
		if (uh == NULL)
			goto bad;
		ulen = wire_udp_len(uh);
		/* A fragment's UDP length is the whole datagram's. */
		if (!pkt->fragment &&
		    (ulen < WIRE_UDP_HLEN || ulen > pkt->l4_len))
			goto bad;
		pkt->sport = wire_udp_sport(uh);
		pkt->dport = wire_udp_dport(uh);
		pkt->payload_off = pkt->hlen + WIRE_UDP_HLEN;
		pkt->payload_len =
			(pkt->fragment ? pkt->l4_len : ulen) - WIRE_UDP_HLEN;
		pkt->l4.udp = uh;
		break;
	case WIRE_IPPROTO_ICMP:
	case WIRE_IPPROTO_ICMPV6:
		ih = stack_l4_take(p, pkt, &seg, sizeof(*ih));
		if (ih == NULL)
			goto bad;
		if (pkt->proto == WIRE_IPPROTO_ICMP ?
			    ih->type == WIRE_ICMP_ECHO ||
				    ih->type == WIRE_ICMP_ECHOREPLY :
			    ih->type == WIRE_ICMP6_ECHO ||
				    ih->type == WIRE_ICMP6_ECHOREPLY)
			pkt->sport = wire_icmp_id(ih);
		pkt->payload_off = pkt->hlen + WIRE_ICMP_HLEN;
		pkt->payload_len = pkt->l4_len - WIRE_ICMP_HLEN;
		pkt->l4.icmp = ih;
		break;
	default:
		break;
	}
	/* Padding past a UDP length is not payload. */
	pkt->payload = cursor_sub(
		&seg, seg.len < pkt->payload_len ? seg.len : pkt->payload_len,
		&ok);
	return;
bad:
	pkt->l4_bad = true;
	pkt->payload_off = pkt->hlen;
	pkt->payload_len = 0;
}

/*
 * Parses a guest IPv4 packet once: the IP header (whole in the first piece,
 * its lengths checked against the bytes present), then the transport
 * header when the packet holds it. For a packet as it arrives (one piece,
 * not yet validated by lwIP) and for a datagram lwIP reassembled (a chain).
 * False when the IP header is malformed; a bad transport header only sets
 * @pkt->l4_bad, for the proxy to count.
 */
static bool stack_pkt_parse(const struct pbuf *p, struct unet_ip_pkt *pkt)
{
	struct unet_cursor c = cursor_init(p->payload, p->len), seg;
	const struct wire_ip4 *ip;
	size_t total, hlen, n;
	bool ok;

	*pkt = (struct unet_ip_pkt){ .family = AF_INET };
	ip = cursor_take_hdr(&c, struct wire_ip4);
	if (ip == NULL || wire_ip4_version(ip) != 4)
		return false;
	hlen = wire_ip4_hlen(ip);
	total = wire_ip4_tot_len(ip);
	if (hlen < WIRE_IP4_HLEN || total < hlen || total > p->tot_len ||
	    !cursor_skip(&c, hlen - WIRE_IP4_HLEN))
		return false;
	pkt->ip4 = ip;
	pkt->hlen = hlen;
	pkt->proto = ip->proto;
	pkt->src.v4 = ip->saddr;
	pkt->dst.v4 = ip->daddr;
	pkt->fragment = wire_ip4_is_fragment(ip);
	pkt->payload_off = hlen;
	if (wire_ip4_frag_off(ip) != 0)
		return true; /* a later fragment: no transport header */
	pkt->l4_len = total - hlen;
	n = c.len < pkt->l4_len ? c.len : pkt->l4_len;
	seg = cursor_sub(&c, n, &ok);
	stack_l4_parse(p, pkt, seg);
	return true;
}

/*
 * Whether the options of a hop-by-hop or destination options header (@opts,
 * the header past its first two bytes) each lie whole inside it: lwIP
 * walks them reading each option's length byte before it checks where the
 * header ends.
 */
static bool stack_ip6_opts_ok(struct unet_cursor opts)
{
	const struct wire_ip6_opt *o;
	uint8_t type;

	while (opts.len > 0) {
		if (opts.p[0] == WIRE_IP6_OPT_PAD1) {
			cursor_take_u8(&opts, &type);
			continue;
		}
		o = cursor_take_hdr(&opts, struct wire_ip6_opt);
		if (o == NULL || !cursor_skip(&opts, o->len))
			return false;
	}
	return true;
}

/*
 * Parses a guest IPv6 packet once: the header, its payload length checked
 * against the bytes present, then the chain of extension headers (at most
 * STACK_IP6_EXT_MAX, each whole in the first piece and its options inside
 * it; hop-by-hop first only; one fragment header), then the transport
 * header as stack_l4_parse() does for IPv4. A fragment with an offset has
 * no transport header; the first fragment must hold the whole chain (RFC
 * 8200 4.5, RFC 7112), transport header included, and a fragment must
 * carry data. For a packet as it arrives and for a datagram lwIP
 * reassembled (whose headers lwIP keeps in the first piece). False when the
 * header, the chain or a fragment is malformed.
 */
static bool stack_pkt_parse6(const struct pbuf *p, struct unet_ip_pkt *pkt)
{
	struct unet_cursor c = cursor_init(p->payload, p->len), seg;
	const struct wire_ip6_frag *fh;
	const struct wire_ip6_ext *eh;
	const struct wire_ip6 *ip;
	size_t total, hlen = WIRE_IP6_HLEN, elen, n;
	unsigned int walked = 0;
	uint8_t next;
	bool ok, frag_seen = false;

	*pkt = (struct unet_ip_pkt){ .family = AF_INET6 };
	ip = cursor_take_hdr(&c, struct wire_ip6);
	if (ip == NULL || wire_ip6_version(ip) != 6)
		return false;
	total = WIRE_IP6_HLEN + wire_ip6_payload_len(ip);
	if (total > p->tot_len)
		return false;
	/* Bytes past the payload length are padding, not headers. */
	if (c.len > total - WIRE_IP6_HLEN)
		c.len = total - WIRE_IP6_HLEN;
	pkt->ip6 = ip;
	memcpy(pkt->src.v6, ip->saddr, WIRE_IP6_ALEN);
	memcpy(pkt->dst.v6, ip->daddr, WIRE_IP6_ALEN);
	for (next = ip->nexthdr;; walked++) {
		if (!wire_ip6_is_ext(next) && next != WIRE_IPPROTO_FRAGMENT)
			break;
		if (walked == STACK_IP6_EXT_MAX ||
		    (next == WIRE_IPPROTO_HOPOPTS && walked != 0))
			return false;
		if (next == WIRE_IPPROTO_FRAGMENT) {
			fh = cursor_take_hdr(&c, struct wire_ip6_frag);
			if (fh == NULL || frag_seen)
				return false;
			frag_seen = true;
			hlen += sizeof(*fh);
			next = fh->nexthdr;
			/* Offset 0 without M is an atomic fragment: whole. */
			if (wire_ip6_frag_off(fh) == 0 &&
			    !wire_ip6_more_frags(fh))
				continue;
			pkt->fragment = true;
			if (wire_ip6_frag_off(fh) == 0)
				continue;
			/* A later fragment: no transport header. */
			pkt->proto = next;
			pkt->hlen = pkt->payload_off = hlen;
			return total > hlen; /* empty fragments carry nothing */
		}
		seg = c;
		eh = cursor_take_hdr(&c, struct wire_ip6_ext);
		if (eh == NULL)
			return false;
		elen = wire_ip6_ext_len(eh);
		seg = cursor_sub(&seg, elen, &ok);
		if (!ok || !cursor_skip(&c, elen - sizeof(*eh)))
			return false;
		cursor_skip(&seg, sizeof(*eh));
		if (next != WIRE_IPPROTO_ROUTING && !stack_ip6_opts_ok(seg))
			return false;
		hlen += elen;
		next = eh->nexthdr;
	}
	pkt->proto = next;
	pkt->hlen = pkt->payload_off = hlen;
	pkt->l4_len = total - hlen;
	n = c.len < pkt->l4_len ? c.len : pkt->l4_len;
	seg = cursor_sub(&c, n, &ok);
	stack_l4_parse(p, pkt, seg);
	/* A first fragment must hold the whole transport header (RFC 7112). */
	return !(pkt->fragment && (pkt->l4_bad || pkt->l4_len == 0));
}

/**
 * unet__stack_l4_csum_ok() - whether a packet's transport checksum is good
 * @p: the packet (payload at its IP header; one piece or a chain)
 * @pkt: the packet parsed, whole (not a fragment), its transport header
 *       there
 *
 * TCP, UDP and ICMPv6 are summed with their pseudo-header (a UDP checksum
 * of 0 is none, and good in IPv4; IPv6 does not allow it), ICMP without.
 *
 * A packet whose frame came with offload facts from a tap (checksum known
 * good, or left to do by the guest's kernel: @pkt->csum_good) is not summed.
 *
 * Return: true when the checksum is good; false when it is not, or the
 * packet is a fragment or has no (good) transport header.
 */
bool unet__stack_l4_csum_ok(const struct pbuf *p, const struct unet_ip_pkt *pkt)
{
	size_t off = pkt->hlen, len = pkt->l4_len, pos = 0, n;
	struct unet_cursor c;
	uint32_t sum = 0;

	if (pkt->l4.hdr == NULL || pkt->fragment)
		return false;
	if (pkt->csum_good)
		return true;
	switch (pkt->proto) {
	case WIRE_IPPROTO_TCP:
		break;
	case WIRE_IPPROTO_UDP:
		/* No checksum: allowed in IPv4 only (RFC 8200 8.1). */
		if (pkt->l4.udp->csum == 0)
			return pkt->family == AF_INET;
		len = wire_udp_len(pkt->l4.udp);
		break;
	case WIRE_IPPROTO_ICMP:
		if (pkt->family != AF_INET)
			return false;
		break;
	case WIRE_IPPROTO_ICMPV6:
		if (pkt->family != AF_INET6)
			return false;
		break;
	default:
		return false;
	}
	if (pkt->family == AF_INET6)
		sum = unet__csum_ip6_pseudo(pkt->src.v6, pkt->dst.v6,
					    pkt->proto, len);
	else if (pkt->proto != WIRE_IPPROTO_ICMP)
		sum = unet__csum_ip4_pseudo(pkt->src.v4, pkt->dst.v4,
					    pkt->proto, len);
	for (; p != NULL && pos < len; p = p->next) {
		c = cursor_init(p->payload, p->len);
		if (!cursor_skip(&c, off)) {
			off -= c.len;
			continue;
		}
		off = 0;
		n = c.len < len - pos ? c.len : len - pos;
		sum = unet__csum_add_at(sum, pos, cursor_take(&c, n), n);
		pos += n;
	}
	return pos == len && unet__csum_finish(sum) == 0;
}

/**
 * unet__stack_payload_bufs() - where a packet's transport payload lies
 * @p: the packet (payload at its IP header; one piece or a chain)
 * @pkt: the packet parsed
 * @bufs: receives one buffer per piece the payload lies in (pointing into
 *        @p; a uv_buf_t may be cast to a struct iovec)
 * @max: room in @bufs
 *
 * For writing a datagram's payload to a host socket without copying it.
 *
 * Return: the number of pieces (0 for an empty payload), -EMSGSIZE when
 * they are more than @max, -EINVAL when the packet is shorter than @pkt
 * says.
 */
int unet__stack_payload_bufs(const struct pbuf *p,
			     const struct unet_ip_pkt *pkt, uv_buf_t *bufs,
			     int max)
{
	size_t off = pkt->payload_off, len = pkt->payload_len, n;
	struct unet_cursor c;
	int i = 0;

	for (; p != NULL && len > 0; p = p->next) {
		c = cursor_init(p->payload, p->len);
		if (!cursor_skip(&c, off)) {
			off -= c.len;
			continue;
		}
		off = 0;
		if (c.len == 0)
			continue;
		if (i == max)
			return -EMSGSIZE;
		n = c.len < len ? c.len : len;
		bufs[i++] = uv_buf_init((char *)cursor_take(&c, n),
					(unsigned int)n);
		len -= n;
	}
	return len == 0 ? i : -EINVAL;
}

/**
 * unet__stack_addr_special() - whether an address is never a peer
 * @stack: the stack
 * @addr: the address (network order)
 *
 * The one test of it, for the stack and the proxy: the limited broadcast
 * and the virtual net's own broadcast address, multicast and the reserved
 * 240/4, "this network" 0/8 and loopback 127/8. No packet to or from such
 * an address is ever proxied.
 *
 * Return: true for such an address.
 */
bool unet__stack_addr_special(const struct unet_stack *stack, uint32_t addr)
{
	uint32_t h = ntohl(addr), mask = ntohl(stack->cfg.mask.s_addr);
	uint32_t net = ntohl(stack->cfg.net.s_addr);

	return h == 0xffffffffu || (h >> 28) >= 0xe || (h >> 24) == 0 ||
	       (h >> 24) == 127 || h == (net | ~mask);
}

/**
 * unet__stack_is_foreign() - whether an address lies outside the virtual net
 * @stack: the stack
 * @addr: the address (network order)
 *
 * Other hosts of the virtual net are reached on the hub, and the gateway's
 * addresses are lwIP's: only an ordinary unicast address outside the net
 * is the proxy's to reach.
 *
 * Return: true when @addr is foreign and not special
 * (unet__stack_addr_special()).
 */
bool unet__stack_is_foreign(const struct unet_stack *stack, uint32_t addr)
{
	return !unet__stack_addr_special(stack, addr) &&
	       (addr & stack->cfg.mask.s_addr) != stack->cfg.net.s_addr;
}

/*
 * The proxy's packet callback for a family, or NULL when there is no proxy
 * or the configuration turns the family off (no_ipv4, no_ipv6): then no
 * packet of it reaches the proxy.
 */
static unet_stack_pkt_cb stack_proxy_packet_cb(const struct unet_stack *stack,
					       sa_family_t family)
{
	if (stack->proxy == NULL ||
	    (family == AF_INET ? stack->cfg.no_ipv4 : stack->cfg.no_ipv6))
		return NULL;
	return stack->proxy->packet;
}

/**
 * unet__stack_ip4_input() - decide where an IPv4 packet is accepted
 * @stack: the stack
 * @p: the packet, payload at its (unvalidated) IPv4 header
 * @inp: the netif it arrived on
 *
 * Points the catcher netif at the packet's destination when that is a
 * gateway alias, or a foreign address the proxy accepts, so that lwIP takes
 * the packet; lwIP validates the rest. TCP and UDP to the gateway itself and
 * packets to foreign addresses are first put to the proxy, when there is one.
 *
 * Return: 0 to go on in lwIP, 1 when the packet was dropped (and freed).
 */
int unet__stack_ip4_input(struct unet_stack *stack, struct pbuf *p,
			  struct netif *inp)
{
	unet_stack_pkt_cb cb = stack_proxy_packet_cb(stack, AF_INET);
	struct unet_ip_pkt pkt;
	uint32_t dst, accept = 0;

	if (inp != &stack->gw)
		return 0;
	if (!stack_pkt_parse(p, &pkt)) {
		stack->stats.drop_bad++;
		pbuf_free(p);
		return 1;
	}
	pkt.csum_good = stack->rx_csum_good && !pkt.fragment;
	/*
	 * Only the virtual net's own addresses (and 0.0.0.0, a DHCP client's)
	 * may send: an answer to any other source could not be delivered, and
	 * the proxy must not open host connections for spoofed guests (it
	 * also refuses the gateway's own and the net's special addresses).
	 */
	if (pkt.src.v4 != 0 &&
	    (pkt.src.v4 & stack->cfg.mask.s_addr) != stack->cfg.net.s_addr) {
		stack->stats.drop_bad++;
		pbuf_free(p);
		return 1;
	}
	dst = pkt.dst.v4;
	if (stack_is_alias(stack, dst)) {
		accept = dst;
	} else if (dst == stack->cfg.host.s_addr) {
		if (cb != NULL &&
		    (pkt.proto == WIRE_IPPROTO_TCP ||
		     pkt.proto == WIRE_IPPROTO_UDP) &&
		    cb(stack->proxy_opaque, p, &pkt) == UNET_VERDICT_DROP) {
			pbuf_free(p);
			return 1;
		}
	} else if (cb != NULL && unet__stack_is_foreign(stack, dst)) {
		if (cb(stack->proxy_opaque, p, &pkt) == UNET_VERDICT_DROP) {
			pbuf_free(p);
			return 1;
		}
		accept = dst;
	}
	/* Written directly: netif_set_ipaddr() would abort bound pcbs. */
	ip4_addr_set_u32(ip_2_ip4(&stack->catcher.ip_addr), accept);
	return 0;
}

/**
 * unet__stack_is_gateway_addr6() - whether an IPv6 address is the gateway's
 * @stack: the stack
 * @addr: the address (16 bytes)
 *
 * Return: true for fe80::2, ip6_host and ip6_dns, the three addresses of
 * the gateway netif (stack_gw_ip6_addrs()).
 */
bool unet__stack_is_gateway_addr6(const struct unet_stack *stack,
				  const uint8_t *addr)
{
	return memcmp(addr, stack_ip6_linklocal, WIRE_IP6_ALEN) == 0 ||
	       memcmp(addr, stack->cfg.ip6_host.s6_addr, WIRE_IP6_ALEN) == 0 ||
	       memcmp(addr, stack->cfg.ip6_dns.s6_addr, WIRE_IP6_ALEN) == 0;
}

/**
 * unet__stack_is_host6() - whether an address is the gateway's IPv6 address
 * @stack: the stack
 * @addr: the address (16 bytes)
 *
 * Return: true for ip6_host, the address that reaches the host's ::1.
 */
bool unet__stack_is_host6(const struct unet_stack *stack, const uint8_t *addr)
{
	return memcmp(addr, stack->cfg.ip6_host.s6_addr, WIRE_IP6_ALEN) == 0;
}

/**
 * unet__stack_is_guest_addr6() - whether an IPv6 address may be a guest's
 * @stack: the stack
 * @addr: a source address (16 bytes)
 *
 * Inside the prefix, and not its subnet-router anycast address (all-zero
 * interface identifier) nor one of the gateway's (ip6_host, ip6_dns). A
 * guest's link-local address is not one the proxy acts for: a router does
 * not forward link-local sources (RFC 4291 2.5.6); the gateway answers
 * them itself.
 *
 * Return: true when @addr is such an address.
 */
bool unet__stack_is_guest_addr6(const struct unet_stack *stack,
				const uint8_t *addr)
{
	struct in6_addr a;

	memcpy(&a, addr, sizeof(a));
	return stack_ip6_in_prefix(&stack->cfg.ip6_prefix, &a) &&
	       !unet__stack_is_gateway_addr6(stack, addr);
}

/**
 * unet__stack_is_foreign6() - whether an IPv6 address lies outside the
 * virtual net
 * @stack: the stack
 * @addr: the address (16 bytes)
 *
 * Only an ordinary unicast address outside the prefix is the proxy's to
 * reach: not multicast, link-local, unspecified or loopback, nor an
 * IPv4-mapped or -compatible one (::/96, ::ffff:0:0/96: a host socket
 * would turn those into IPv4).
 *
 * Return: true when @addr is foreign.
 */
bool unet__stack_is_foreign6(const struct unet_stack *stack,
			     const uint8_t *addr)
{
	static const uint8_t v4mapped[12] = { [10] = 0xff, [11] = 0xff };
	static const uint8_t zero[12];

	if (addr[0] == 0xff || (addr[0] == 0xfe && (addr[1] & 0xc0) == 0x80))
		return false;
	if (memcmp(addr, zero, sizeof(zero)) == 0 ||
	    memcmp(addr, v4mapped, sizeof(v4mapped)) == 0)
		return false;
	return memcmp(addr, stack->cfg.ip6_prefix.s6_addr, 8) != 0;
}

/*
 * Points the catcher's IPv6 address at @dst (a foreign destination the
 * proxy accepts), or makes it invalid (NULL). Written directly, as for
 * IPv4: netif_ip6_addr_set() would abort the pcbs bound to the old one.
 */
static void stack_catcher_ip6_set(struct unet_stack *stack, const uint8_t *dst)
{
	ip_addr_t *a = &stack->catcher.ip6_addr[0];

	if (dst == NULL) {
		stack->catcher.ip6_addr_state[0] = IP6_ADDR_INVALID;
		return;
	}
	IP_SET_TYPE_VAL(*a, IPADDR_TYPE_V6);
	memcpy(ip_2_ip6(a)->addr, dst, WIRE_IP6_ALEN);
	ip6_addr_clear_zone(ip_2_ip6(a));
	stack->catcher.ip6_addr_state[0] = IP6_ADDR_PREFERRED;
}

/*
 * Whether the proxy is asked about an IPv6 packet: anything to a foreign
 * address, and TCP and UDP to the gateway's own (ip6_host, the host's ::1).
 * A later fragment's protocol is the one its fragment header names.
 */
static bool stack_ip6_for_proxy(const struct unet_stack *stack,
				const struct unet_ip_pkt *pkt)
{
	if (unet__stack_is_foreign6(stack, pkt->dst.v6))
		return true;
	return (pkt->proto == WIRE_IPPROTO_TCP ||
		pkt->proto == WIRE_IPPROTO_UDP) &&
	       unet__stack_is_host6(stack, pkt->dst.v6);
}

/**
 * unet__stack_ip6_input() - decide where an IPv6 packet is accepted
 * @stack: the stack
 * @p: the packet, payload at its (unvalidated) IPv6 header
 * @inp: the netif it arrived on
 *
 * Parses the packet once (stack_pkt_parse6(): a malformed header or
 * extension header chain is dropped here, before lwIP reads it). Packets
 * to a foreign address and TCP and UDP to the gateway's ip6_host are put
 * to the proxy, when there is one and IPv6 is on; those it accepts to a
 * foreign address are taken through the catcher netif, whose IPv6 address
 * is pointed at the destination. Everything else (the gateway's addresses,
 * multicast, neighbour discovery, MLD) is lwIP's.
 *
 * Return: 0 to go on in lwIP, 1 when the packet was dropped (and freed).
 */
int unet__stack_ip6_input(struct unet_stack *stack, struct pbuf *p,
			  struct netif *inp)
{
	unet_stack_pkt_cb cb = stack_proxy_packet_cb(stack, AF_INET6);
	struct unet_ip_pkt pkt;
	bool foreign;

	if (inp != &stack->gw)
		return 0;
	if (!stack_pkt_parse6(p, &pkt)) {
		stack->stats.drop_bad++;
		pbuf_free(p);
		return 1;
	}
	pkt.csum_good = stack->rx_csum_good && !pkt.fragment;
	stack_catcher_ip6_set(stack, NULL);
	if (cb == NULL || !stack_ip6_for_proxy(stack, &pkt))
		return 0;
	/*
	 * As for IPv4, only the prefix may send what the proxy carries: an
	 * answer to another source could not be delivered.
	 */
	if (memcmp(pkt.src.v6, stack->cfg.ip6_prefix.s6_addr, 8) != 0) {
		stack->stats.drop_bad++;
		pbuf_free(p);
		return 1;
	}
	foreign = unet__stack_is_foreign6(stack, pkt.dst.v6);
	if (cb(stack->proxy_opaque, p, &pkt) == UNET_VERDICT_DROP) {
		pbuf_free(p);
		return 1;
	}
	if (foreign)
		stack_catcher_ip6_set(stack, pkt.dst.v6);
	return 0;
}

/*
 * A raw pcb's view of every UDP or ICMP datagram lwIP accepted, before its
 * own UDP and ICMP: parsed (again: lwIP may have reassembled it from
 * fragments the stack saw one by one) and put to the proxy. The IPv6 raw
 * pcbs see UDP and ICMPv6 too, behind extension headers as well (walked
 * again); anything else there (TCP behind an extension header) goes on.
 */
static u8_t stack_raw_recv(void *arg, struct raw_pcb *pcb, struct pbuf *p,
			   const ip_addr_t *addr)
{
	struct unet_stack *stack = arg;
	bool v6 = IP_IS_V6(addr);
	struct unet_ip_pkt pkt;

	if (stack_proxy_packet_cb(stack, v6 ? AF_INET6 : AF_INET) == NULL)
		return 0;
	if (!(v6 ? stack_pkt_parse6(p, &pkt) : stack_pkt_parse(p, &pkt))) {
		stack->stats.drop_bad++;
		pbuf_free(p);
		return 1;
	}
	pkt.csum_good = stack->rx_csum_good && !pkt.fragment;
	if (v6 && pkt.proto != WIRE_IPPROTO_UDP &&
	    pkt.proto != WIRE_IPPROTO_ICMPV6)
		return 0;
	if (stack->proxy->datagram(stack->proxy_opaque, p, &pkt) ==
	    UNET_VERDICT_ACCEPT)
		return 0;
	pbuf_free(p);
	return 1;
}

static void stack_raw_remove(struct unet_stack *stack)
{
	size_t i;

	for (i = 0; i < UNET__ARRAY_SIZE(stack->raw); i++) {
		if (stack->raw[i] != NULL)
			raw_remove(stack->raw[i]);
		stack->raw[i] = NULL;
	}
	for (i = 0; i < UNET__ARRAY_SIZE(stack->raw6); i++) {
		if (stack->raw6[i] != NULL)
			raw_remove(stack->raw6[i]);
		stack->raw6[i] = NULL;
	}
}

/**
 * unet__stack_set_proxy() - install the proxy's packet callbacks
 * @stack: the stack
 * @ops: the callbacks (see &struct unet_stack_proxy_ops), NULL to remove
 *       them; borrowed until removed
 * @opaque: passed to them
 *
 * Installing them also puts raw pcbs on lwIP's UDP and ICMP, and on IPv6's
 * UDP, ICMPv6 and extension headers, which hand the proxy what lwIP
 * accepted (&unet_stack_proxy_ops.datagram).
 *
 * Return: 0, -EBUSY when callbacks are installed already (one proxy per
 * stack), -ENOMEM.
 */
int unet__stack_set_proxy(struct unet_stack *stack,
			  const struct unet_stack_proxy_ops *ops, void *opaque)
{
	static const u8_t protos[] = { WIRE_IPPROTO_UDP, WIRE_IPPROTO_ICMP };
	static const u8_t protos6[] = { WIRE_IPPROTO_UDP, WIRE_IPPROTO_ICMPV6,
					WIRE_IPPROTO_HOPOPTS,
					WIRE_IPPROTO_ROUTING,
					WIRE_IPPROTO_DSTOPTS };
	size_t i;

	_Static_assert(UNET__ARRAY_SIZE(protos) ==
			       UNET__ARRAY_SIZE(((struct unet_stack *)0)->raw),
		       "one raw pcb per protocol");
	_Static_assert(UNET__ARRAY_SIZE(protos6) ==
			       UNET__ARRAY_SIZE(((struct unet_stack *)0)->raw6),
		       "one raw pcb per IPv6 next header");
	if (ops == NULL) {
		stack_raw_remove(stack);
		stack->proxy = NULL;
		stack->proxy_opaque = NULL;
		return 0;
	}
	if (stack->proxy != NULL)
		return -EBUSY;
	for (i = 0; i < UNET__ARRAY_SIZE(protos); i++) {
		stack->raw[i] = raw_new(protos[i]);
		if (stack->raw[i] == NULL) {
			stack_raw_remove(stack);
			return -ENOMEM;
		}
		raw_bind(stack->raw[i], IP4_ADDR_ANY);
		raw_recv(stack->raw[i], stack_raw_recv, stack);
	}
	for (i = 0; i < UNET__ARRAY_SIZE(protos6); i++) {
		stack->raw6[i] = raw_new_ip_type(IPADDR_TYPE_V6, protos6[i]);
		if (stack->raw6[i] == NULL) {
			stack_raw_remove(stack);
			return -ENOMEM;
		}
		raw_bind(stack->raw6[i], IP6_ADDR_ANY);
		raw_recv(stack->raw6[i], stack_raw_recv, stack);
	}
	stack->proxy = ops;
	stack->proxy_opaque = opaque;
	return 0;
}

/**
 * unet__stack_set_restrict() - say whether a restricted proxy is on the stack
 * @stack: the stack
 * @on: the proxy restricts the guest (its restrict_guest)
 *
 * A proxy that keeps the guest from everything outside makes the stack's
 * services keep it in too (the DNS forwarder), whatever the stack's own
 * configuration says.
 */
void unet__stack_set_restrict(struct unet_stack *stack, bool on)
{
	stack->proxy_restrict = on;
}

/**
 * unet__stack_restricted() - whether the guest is restricted
 * @stack: the stack
 *
 * Return: true when the stack's configuration or its proxy restricts the
 * guest; the DNS forwarder then refuses queries unless restrict_dns.
 */
bool unet__stack_restricted(const struct unet_stack *stack)
{
	return stack->cfg.restrict_guest || stack->proxy_restrict;
}

/**
 * unet__stack_dns_query_ok() - whether the proxy lets a DNS query go on
 * @stack: the stack
 * @name: the question's name as text, or NULL when it is no host name
 *
 * Return: true without a proxy or without its &unet_stack_proxy_ops.dns_query.
 */
bool unet__stack_dns_query_ok(struct unet_stack *stack, const char *name)
{
	if (stack->proxy == NULL || stack->proxy->dns_query == NULL)
		return true;
	return stack->proxy->dns_query(stack->proxy_opaque, name);
}

/**
 * unet__stack_dns_observed() - whether the proxy wants the DNS answers
 * @stack: the stack
 *
 * Return: true when unet__stack_dns_answer() has someone to tell.
 */
bool unet__stack_dns_observed(const struct unet_stack *stack)
{
	return stack->proxy != NULL && stack->proxy->dns_answer != NULL;
}

/**
 * unet__stack_dns_answer() - tell the proxy what a DNS answer taught
 * @stack: the stack
 * @ans: the answer's names and addresses
 */
void unet__stack_dns_answer(struct unet_stack *stack,
			    const struct unet_dns_answer *ans)
{
	if (unet__stack_dns_observed(stack))
		stack->proxy->dns_answer(stack->proxy_opaque, ans);
}

/**
 * unet__stack_dns_offered() - whether DHCP, DHCPv6 and router
 * advertisements name the gateway's DNS server
 * @stack: the stack
 *
 * Return: false when the forwarder is off (no_dns), or the guest is
 * restricted and restrict_dns does not keep the forwarder on for it.
 */
bool unet__stack_dns_offered(const struct unet_stack *stack)
{
	return !stack->cfg.no_dns &&
	       (!unet__stack_restricted(stack) || stack->cfg.restrict_dns);
}

/**
 * unet__stack_is_guest_addr() - whether an address may be a guest's own
 * @stack: the stack
 * @addr: a source address (network order)
 *
 * A guest's packets that make the gateway act for it (a host socket, a
 * transfer, an upstream query) must come from an address a guest can
 * have: inside the virtual network, and not its network or broadcast
 * address, nor one of the gateway's own (the gateway, the DNS address).
 * 0.0.0.0 is only a DHCP client's, which the DHCP server takes itself.
 *
 * Return: true when @addr is such an address.
 */
bool unet__stack_is_guest_addr(const struct unet_stack *stack, uint32_t addr)
{
	struct in_addr a = { .s_addr = addr };

	return stack_addr_ok(&stack->cfg, a) &&
	       !unet__stack_is_gateway_addr(stack, addr);
}

/**
 * unet__stack_fd_reserve() - file descriptors the gateway's services may need
 * @stack: the stack
 *
 * What the DNS forwarder and (when it is on) the TFTP server hold at their
 * limits, so that the proxy can leave them that many: a flood of flows must
 * not take the descriptors a DNS query or a TFTP transfer needs.
 *
 * Return: the count.
 */
unsigned int unet__stack_fd_reserve(const struct unet_stack *stack)
{
	return unet__dns_fds_max() +
	       (stack->cfg.tftp_root[0] != '\0' ? unet__tftp_fds_max() : 0);
}

/**
 * unet__stack_netif() - the gateway netif
 * @stack: the stack
 *
 * Return: the netif the guest is on.
 */
struct netif *unet__stack_netif(struct unet_stack *stack)
{
	return &stack->gw;
}

/**
 * unet__stack_config() - the stack's configuration
 * @stack: the stack
 *
 * Return: the configuration it was made with.
 */
const struct unet_stack_config *unet__stack_config(const struct unet_stack *stack)
{
	return &stack->cfg;
}

/**
 * unet__stack_is_gateway_addr() - whether the gateway answers an address
 * @stack: the stack
 * @addr: the address (network order)
 *
 * Return: true for the gateway's address and its aliases.
 */
bool unet__stack_is_gateway_addr(const struct unet_stack *stack, uint32_t addr)
{
	return addr == stack->cfg.host.s_addr || stack_is_alias(stack, addr);
}

/*
 * The gateway's checksums: lwIP's own but for its TCP segments', which
 * stack_linkoutput() leaves to the ports that take checksum offload or
 * computes in place (unet__coalesce_csum()): with the tap's offloads the
 * data lwIP sends toward the guest is never summed in this process.
 */
#define STACK_CSUM_CTRL (NETIF_CHECKSUM_ENABLE_ALL & ~NETIF_CHECKSUM_GEN_TCP)

/* Sends the merged frame held, if any (coalesce.c). */
static void stack_coalesce_flush(struct unet_stack *stack)
{
	struct unet_offload off;
	size_t len = unet__coalesce_take(&stack->coal, &off);

	if (len == 0)
		return;
	if (off.gso_type != UNET_GSO_NONE) {
		stack->stats.tx_merged++;
		stack->stats.tx_merged_segs += stack->coal.segs;
	}
	(void)unet_hub_input_offload(&stack->port, stack->coal.buf, len, &off);
}

/*
 * Whether lwIP's TCP segments are worth merging into GSO frames now: only
 * on a real clock (the uv prepare handle sends what is held before the
 * loop sleeps), and only when every other port takes such frames whole
 * (@others: unet_hub_offload_others() of the gateway's port).
 */
static bool stack_coalesce_on(struct unet_stack *stack, unsigned int others)
{
	unsigned int want = UNET_PORT_OFFLOAD_CSUM | UNET_PORT_OFFLOAD_TSO4 |
			    UNET_PORT_OFFLOAD_TSO6;

	if (unet_hub_virtual_clock(stack->hub) || (others & want) != want)
		return false;
	if (stack->coal.buf == NULL)
		stack->coal.buf = malloc(UNET_COALESCE_MAX);
	return stack->coal.buf != NULL;
}

/*
 * Offers a frame to the merged one; true when it was taken (and sent, if
 * it closed the merged frame). What is held is sent before any frame that
 * does not continue it, so frames leave in lwIP's order.
 */
static bool stack_coalesce(struct unet_stack *stack, const void *frame,
			   size_t len)
{
	unsigned int mtu = unet_hub_mtu(stack->hub);

	if (!unet__coalesce_add(&stack->coal, frame, len, mtu)) {
		stack_coalesce_flush(stack);
		if (!unet__coalesce_add(&stack->coal, frame, len, mtu))
			return false;
	}
	if (stack->coal.closed)
		stack_coalesce_flush(stack);
	return true;
}

/*
 * Sends a segment lwIP built longer than the link (unet__stack_tcp_offload())
 * as a GSO frame; the ports that don't take it whole get it cut.
 */
static err_t stack_tso(struct unet_stack *stack, void *frame, size_t len)
{
	struct unet_offload off;

	stack_coalesce_flush(stack);
	len = unet__coalesce_tso(frame, len, unet_hub_mtu(stack->hub), &off);
	if (len == 0)
		return ERR_IF;
	stack->stats.tx_tso++;
	if (unet_hub_input_offload(&stack->port, frame, len, &off) < 0)
		return ERR_IF;
	return ERR_OK;
}

/* Sends one of lwIP's frames, @len bytes at @frame, toward the hub. */
static err_t stack_frame_out(struct unet_stack *stack, struct netif *netif,
			     void *frame, size_t len)
{
	struct unet_offload off;
	unsigned int others;

	if (len > (size_t)netif->mtu + WIRE_ETH_HLEN)
		return stack_tso(stack, frame, len);
	/* what the other ports take, looked up once a frame */
	others = unet_hub_offload_others(&stack->port);
	if (stack_coalesce_on(stack, others)) {
		if (stack_coalesce(stack, frame, len))
			return ERR_OK;
	} else {
		stack_coalesce_flush(stack);
	}
	/* lwIP leaves TCP checksums to us (STACK_CSUM_CTRL) */
	unet__coalesce_csum(frame, len, (others & UNET_PORT_OFFLOAD_CSUM) != 0,
			    &off);
	if (unet_hub_input_offload(&stack->port, frame, len, &off) < 0)
		return ERR_IF;
	return ERR_OK;
}

/*
 * A frame in one pbuf goes as it is; a segment over host bytes the proxy
 * read (hostbuf.c) is joined to its headers for the call; any other chain
 * is copied into one frame first.
 */
static err_t stack_linkoutput(struct netif *netif, struct pbuf *p)
{
	struct unet_stack *stack = netif->state;
	uint8_t save[UNET_HOSTBUF_ROOM], *frame;
	size_t hlen;
	err_t e;

	if (p->next == NULL && p->len == p->tot_len)
		return stack_frame_out(stack, netif, p->payload, p->tot_len);
	hlen = unet__hostbuf_join(p, save, &frame);
	if (hlen != 0) {
		stack->stats.tx_held++;
		e = stack_frame_out(stack, netif, frame, p->tot_len);
		unet__hostbuf_unjoin(p, save, hlen);
		return e;
	}
	if (p->tot_len > stack->txcap)
		return ERR_BUF;
	pbuf_copy_partial(p, stack->txbuf, p->tot_len, 0);
	return stack_frame_out(stack, netif, stack->txbuf, p->tot_len);
}

/* The longest segment lwIP builds for a guest whose port cuts them. */
#define STACK_TSO_SEG_MAX 65440

/**
 * unet__stack_tcp_offload() - let lwIP build segments of many MSS
 * @stack: the stack
 * @pcb: a connection with the guest, just established
 *
 * When every port but the gateway takes TSO frames whole (a tap with a
 * vnet header) and the guest's MSS is the link's, lwIP may as well build
 * segments of up to 64 KiB, a whole multiple of that MSS: each costs one
 * allocation, one copy and one pass of lwIP's output where 44 did, and
 * leaves as one GSO frame (stack_tso()) that the guest's kernel, or the
 * hub for a port attached later, cuts back into segments of the MSS. It is
 * what lwIP does at MTU 65520 already: windows and congestion are counted
 * in bytes. A guest that asked for less than the link (its MTU is lower),
 * a lossy port, a dump or a QEMU peer keep segments of the MSS.
 *
 * Return: the guest's MSS, which lwIP no longer holds (pcb->mss).
 */
u16_t unet__stack_tcp_offload(struct unet_stack *stack, struct tcp_pcb *pcb)
{
	u16_t mss = pcb->mss;
	unsigned int hdrs = IP_IS_V6(&pcb->remote_ip) ? 60 : 40;
	unsigned int mtu = unet_hub_mtu(stack->hub);

	if (mtu <= hdrs || mss != mtu - hdrs || mss * 2 > STACK_TSO_SEG_MAX ||
	    !stack_coalesce_on(stack, unet_hub_offload_others(&stack->port)))
		return mss;
	pcb->mss = (u16_t)(STACK_TSO_SEG_MAX / mss * mss);
	return mss;
}

/* What a connection holds toward a guest not behind such a port. */
#define STACK_SNDBUF_SLOW (256 * 1024)

/**
 * unet__stack_tcp_sndbuf() - size a new connection's send buffer
 * @stack: the stack
 * @pcb: a connection with the guest, just established, nothing written yet
 *
 * All of TCP_SND_BUF when every port but the gateway takes TSO frames whole
 * (a tap with a vnet header): the guest's kernel takes what it is given at
 * once, and each time the buffer runs dry the proxy pays loop turns to read
 * its host again. A quarter of it otherwise: a VM's NIC model drains at an
 * emulator's pace and drops the tail of a long burst, so a bigger buffer
 * only puts more in flight to be lost (HTTP into a QEMU guest, test/bench/
 * vm.sh, was 10-25 % slower with 1 MiB on every NIC model).
 *
 * Return: the size, which lwIP does not keep (pcb->snd_buf is what is free).
 */
u32_t unet__stack_tcp_sndbuf(struct unet_stack *stack, struct tcp_pcb *pcb)
{
	if (pcb->snd_buf != TCP_SND_BUF)
		return TCP_SND_BUF;
	if (!stack_coalesce_on(stack, unet_hub_offload_others(&stack->port)))
		pcb->snd_buf = STACK_SNDBUF_SLOW;
	return pcb->snd_buf;
}

static err_t stack_gw_init(struct netif *netif)
{
	struct unet_stack *stack = netif->state;

	netif->name[0] = 'g';
	netif->name[1] = 'w';
	netif->mtu = (u16_t)unet_hub_mtu(stack->hub);
	netif->hwaddr_len = ETH_HWADDR_LEN;
	memcpy(netif->hwaddr, stack->cfg.mac, ETH_HWADDR_LEN);
	netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP |
		       NETIF_FLAG_ETHERNET | NETIF_FLAG_LINK_UP |
		       NETIF_FLAG_MLD6;
	netif->output = etharp_output;
	netif->output_ip6 = ethip6_output;
	netif->linkoutput = stack_linkoutput;
	NETIF_SET_CHECKSUM_CTRL(netif, STACK_CSUM_CTRL);
	return ERR_OK;
}

/* Sets one of the gateway netif's IPv6 address slots, valid at once. */
static void stack_gw_ip6_set(struct unet_stack *stack, s8_t slot,
			     const uint8_t *a)
{
	ip6_addr_t addr;

	memcpy(&addr.addr, a, 16);
	ip6_addr_clear_zone(&addr);
	if (ip6_addr_islinklocal(&addr))
		ip6_addr_assign_zone(&addr, IP6_UNICAST, &stack->gw);
	netif_ip6_addr_set(&stack->gw, slot, &addr);
	netif_ip6_addr_set_state(&stack->gw, slot, IP6_ADDR_PREFERRED);
}

/*
 * The gateway's IPv6 addresses: fe80::2, the gateway's and the DNS
 * server's (lwIP's three slots, LWIP_IPV6_NUM_ADDRESSES). Duplicate address
 * detection is off in lwipopts.h: they are valid at once.
 */
static void stack_gw_ip6_addrs(struct unet_stack *stack)
{
	stack_gw_ip6_set(stack, 0, stack_ip6_linklocal);
	stack_gw_ip6_set(stack, 1, stack->cfg.ip6_host.s6_addr);
	stack_gw_ip6_set(stack, 2, stack->cfg.ip6_dns.s6_addr);
}

static err_t stack_catcher_output(struct netif *netif, struct pbuf *p,
				  const ip4_addr_t *dst)
{
	return ERR_RTE;
}

/* Nothing routes to the catcher; should lwIP try, nothing leaves it. */
static err_t stack_catcher_output_ip6(struct netif *netif, struct pbuf *p,
				      const ip6_addr_t *dst)
{
	return ERR_RTE;
}

static err_t stack_catcher_init(struct netif *netif)
{
	netif->name[0] = 'c';
	netif->name[1] = 'a';
	netif->mtu = 0;
	netif->flags = NETIF_FLAG_LINK_UP;
	netif->output = stack_catcher_output;
	netif->output_ip6 = stack_catcher_output_ip6;
	return ERR_OK;
}

/**
 * struct stack_arp_frame - an ARP message in its Ethernet frame
 * @eth: the Ethernet header
 * @arp: the ARP message
 */
struct stack_arp_frame {
	struct wire_eth eth;
	struct wire_arp arp;
} __attribute__((packed));

/* Answers an ARP request for a gateway alias (lwIP answers only the gateway). */
static void stack_arp_alias(struct unet_stack *stack,
			    const struct wire_arp *arp)
{
	struct stack_arp_frame reply;

	if (arp->htype != htons(WIRE_ARP_HTYPE_ETHER) ||
	    arp->ptype != htons(WIRE_ETHTYPE_IP4) ||
	    arp->hlen != WIRE_ETH_ALEN || arp->plen != sizeof(arp->tpa) ||
	    wire_arp_op(arp) != WIRE_ARP_REQUEST)
		return;
	if (!stack_is_alias(stack, arp->tpa))
		return;
	if (wire_eth_is_group(arp->sha)) /* a multicast sender: no answer */
		return;

	memcpy(reply.eth.dst, arp->sha, WIRE_ETH_ALEN);
	memcpy(reply.eth.src, stack->cfg.mac, WIRE_ETH_ALEN);
	reply.eth.type = htons(WIRE_ETHTYPE_ARP);
	reply.arp.htype = arp->htype;
	reply.arp.ptype = arp->ptype;
	reply.arp.hlen = arp->hlen;
	reply.arp.plen = arp->plen;
	reply.arp.op = htons(WIRE_ARP_REPLY);
	memcpy(reply.arp.sha, stack->cfg.mac, WIRE_ETH_ALEN);
	reply.arp.spa = arp->tpa;
	memcpy(reply.arp.tha, arp->sha, WIRE_ETH_ALEN);
	reply.arp.tpa = arp->spa;
	stack->stats.arp_replies++;
	unet_hub_input(&stack->port, &reply, sizeof(reply));
}

/*
 * The gateway's own IPv6 services see a packet before lwIP: ND messages
 * (ndp.c) and DHCPv6 (dhcp6.c), each only when the IPv6 header is directly
 * followed by its protocol. @c is the rest of the frame after the IPv6
 * header. True when a service took the packet.
 */
static bool stack_ip6_services(struct unet_stack *stack,
			       const struct wire_eth *eth,
			       const struct wire_ip6 *ip, struct unet_cursor c)
{
	size_t plen = wire_ip6_payload_len(ip);

	if (plen > c.len)
		return false; /* lwIP drops it */
	if (ip->nexthdr == WIRE_IPPROTO_ICMPV6)
		return unet__ndp_input(stack, eth, ip, c.p, plen);
	if (ip->nexthdr == WIRE_IPPROTO_UDP)
		return unet__dhcp6_input(stack, eth, ip, c.p, plen);
	return false;
}

/* A frame of a family the configuration turned off (ipv4=off, ipv6=off). */
static bool stack_family_off(struct unet_stack *stack, uint16_t ethtype)
{
	bool off = ethtype == WIRE_ETHTYPE_IP6 ? stack->cfg.no_ipv6 :
						 stack->cfg.no_ipv4;

	if (off)
		stack->stats.family_off_drop++;
	return off;
}

static void stack_timer_arm(struct unet_stack *stack);

/*
 * Whether a frame's checksum, left to do by the guest's kernel, is done
 * here before the stack sees it: every packet but a TCP segment within the
 * MTU (UDP, ICMPv6: DHCPv6, ND, DNS, TFTP, the NAT's datagrams). The
 * gateway's own IPv6 services read the frame before lwIP and verify their
 * checksums themselves, and such packets are small; only TCP, where the
 * gain is, goes in unsummed.
 */
static bool stack_csum_todo(const struct unet_offload *off, size_t len)
{
	size_t at = (size_t)off->csum_start + off->csum_offset;

	return (off->flags & UNET_OFFLOAD_F_NEEDS_CSUM) &&
	       off->gso_type == UNET_GSO_NONE &&
	       off->csum_offset != offsetof(struct wire_tcp, csum) &&
	       off->csum_start <= len && at + 2 <= len;
}

/*
 * Takes one frame from the hub into lwIP. @trust: the frame came with
 * offload facts saying its transport checksum is good or left to do; lwIP
 * and the proxy then do not verify it (a TCP segment of a guest's kernel at
 * up to 64 KiB with a partial checksum goes in whole), unless it is an IP
 * fragment (a reassembled datagram is verified as any other).
 */
static int stack_input(struct unet_stack *stack, const void *frame, size_t len,
		       const struct unet_offload *off)
{
	bool trust = off != NULL && (off->flags & (UNET_OFFLOAD_F_NEEDS_CSUM |
						   UNET_OFFLOAD_F_DATA_VALID));
	struct unet_cursor c = cursor_init(frame, len);
	const struct wire_eth *eth;
	const struct wire_arp *arp;
	const struct wire_ip4 *ip;
	const struct wire_ip6 *ip6;
	struct pbuf *p;
	size_t pad, iplen;

	eth = cursor_take_hdr(&c, struct wire_eth);
	if (eth == NULL) {
		stack->stats.drop_bad++;
		return 0;
	}
	if (!wire_eth_is_group(eth->dst) &&
	    memcmp(eth->dst, stack->cfg.mac, WIRE_ETH_ALEN) != 0) {
		stack->stats.drop_mac++;
		return 0;
	}
	/*
	 * lwIP reads a few header fields before it checks lengths (ip4_input
	 * reads the total length of a packet shorter than a header; etharp
	 * trusts the ARP header to be there): the whole fixed header of each
	 * protocol handed on must be in the frame.
	 */
	switch (wire_eth_type(eth)) {
	case WIRE_ETHTYPE_ARP:
		if (stack_family_off(stack, WIRE_ETHTYPE_ARP))
			return 0;
		arp = cursor_take_hdr(&c, struct wire_arp);
		if (arp == NULL) {
			stack->stats.drop_bad++;
			return 0;
		}
		stack_arp_alias(stack, arp);
		break;
	case WIRE_ETHTYPE_IP4:
		if (stack_family_off(stack, WIRE_ETHTYPE_IP4))
			return 0;
		ip = cursor_take_hdr(&c, struct wire_ip4);
		if (ip == NULL) {
			stack->stats.drop_bad++;
			return 0;
		}
		/*
		 * Padding past the IP total length is not kept: a frame's
		 * pbuf may wait long in a queue (out-of-order data), and a
		 * guest could otherwise pad 1-byte segments to the MTU.
		 */
		iplen = wire_ip4_tot_len(ip);
		if (iplen >= WIRE_IP4_HLEN && WIRE_ETH_HLEN + iplen < len)
			len = WIRE_ETH_HLEN + iplen;
		if (wire_ip4_is_fragment(ip))
			trust = false;
		break;
	case WIRE_ETHTYPE_IP6:
		if (stack_family_off(stack, WIRE_ETHTYPE_IP6))
			return 0;
		ip6 = cursor_take_hdr(&c, struct wire_ip6);
		if (ip6 == NULL) {
			stack->stats.drop_bad++;
			return 0;
		}
		if (stack_ip6_services(stack, eth, ip6, c))
			return 0;
		/*
		 * lwIP 2.1.3's ip6_input() reads an extension header (and an
		 * option's length) before it checks that it is there (a heap
		 * over-read the frames fuzz target found): its input hook,
		 * which runs first, walks and bounds the chain
		 * (stack_pkt_parse6()). Padding past the payload length is
		 * not kept, as for IPv4.
		 */
		iplen = WIRE_IP6_HLEN + wire_ip6_payload_len(ip6);
		if (WIRE_ETH_HLEN + iplen < len)
			len = WIRE_ETH_HLEN + iplen;
		/* Trusted only with the transport header right after. */
		if (ip6->nexthdr != WIRE_IPPROTO_TCP &&
		    ip6->nexthdr != WIRE_IPPROTO_UDP)
			trust = false;
		break;
	default:
		/* lwIP speaks nothing else: not counted as malformed */
		return 0;
	}
	if (len > 0xffff) {
		stack->stats.drop_bad++;
		return 0;
	}
	if (!unet__budget_admit_frame(len))
		return 0;
	/*
	 * Two bytes in front of the 14-byte Ethernet header put the IP header
	 * on an 8-byte boundary (lwIP's reassembly keeps a pointer inside the
	 * IP header, and headers read faster aligned), when the 16-bit pbuf
	 * length leaves room for them: a full 65534-byte frame at MTU 65520
	 * goes in unpadded.
	 */
	pad = len + STACK_ETH_PAD <= 0xffff ? STACK_ETH_PAD : 0;
	p = pbuf_alloc(PBUF_RAW, (u16_t)(len + pad), PBUF_RAM);
	if (p == NULL)
		return -ENOMEM;
	pbuf_remove_header(p, pad);
	pbuf_take(p, frame, (u16_t)len);
	if (trust) {
		stack->rx_csum_good = true;
		NETIF_SET_CHECKSUM_CTRL(&stack->gw,
					STACK_CSUM_CTRL &
						~(NETIF_CHECKSUM_CHECK_TCP |
						  NETIF_CHECKSUM_CHECK_UDP));
	}
	if (stack->gw.input(p, &stack->gw) != ERR_OK)
		pbuf_free(p);
	if (trust) {
		stack->rx_csum_good = false;
		NETIF_SET_CHECKSUM_CTRL(&stack->gw, STACK_CSUM_CTRL);
	}
	if (unet_hub_virtual_clock(stack->hub))
		stack_timer_arm(stack);
	return 0;
}

static int stack_send(struct unet_port *port, const void *frame, size_t len)
{
	return stack_input(container_of(port, struct unet_stack, port), frame,
			   len, NULL);
}

/*
 * A frame with offload facts: a GSO frame (a TCP segment bigger than the
 * MTU) goes into lwIP whole, as lwIP's TCP takes a segment of any size its
 * pbuf holds; a checksum known good or left to do is not verified.
 */
static int stack_send_offload(struct unet_port *port, const void *frame,
			      size_t len, const struct unet_offload *off)
{
	struct unet_stack *stack = container_of(port, struct unet_stack, port);

	if (!stack_csum_todo(off, len))
		return stack_input(stack, frame, len, off);
	if (len > 0xffff) {
		stack->stats.drop_bad++;
		return 0;
	}
	if (stack->csumbuf == NULL)
		stack->csumbuf = malloc(0x10000);
	if (stack->csumbuf == NULL)
		return -ENOMEM;
	memcpy(stack->csumbuf, frame, len);
	/* the bytes from csum_start to the frame's end: a tap's frame ends
	 * with its packet */
	unet__csum_fill(stack->csumbuf + off->csum_start, len - off->csum_start,
			off->csum_offset,
			off->csum_offset == offsetof(struct wire_udp, csum));
	return stack_input(stack, stack->csumbuf, len, NULL);
}

static void stack_timer_cb(struct unet_timer *timer)
{
	struct unet_stack *stack = container_of(timer, struct unet_stack,
						timer);

	sys_check_timeouts();
	if (unet_hub_virtual_clock(stack->hub))
		stack_timer_arm(stack);
}

/* Arms the timer for lwIP's next timeout. */
static void stack_timer_arm(struct unet_stack *stack)
{
	u32_t sleep = sys_timeouts_sleeptime();

	if (sleep == SYS_TIMEOUTS_SLEEPTIME_INFINITE)
		unet_timer_stop(&stack->timer);
	else
		unet_timer_start(&stack->timer, stack_timer_cb, sleep);
}

static void stack_prepare_cb(uv_prepare_t *prepare)
{
	struct unet_stack *stack = prepare->data;

	/* what lwIP sent during this turn leaves before the loop sleeps */
	stack_coalesce_flush(stack);
	stack_timer_arm(stack);
}

static void stack_handle_closed(uv_handle_t *handle)
{
	struct unet_stack *stack = handle->data;

	unet__stack_unref(stack);
}

/**
 * unet__stack_ref() - a service opened a handle the stack must outlive
 * @stack: the stack
 */
void unet__stack_ref(struct unet_stack *stack)
{
	stack->refs++;
}

/**
 * unet__stack_unref() - a service's handle finished closing
 * @stack: the stack; freed here after unet_stack_close() and the last one
 */
void unet__stack_unref(struct unet_stack *stack)
{
	if (--stack->refs == 0) {
		free(stack->txbuf);
		free(stack->csumbuf);
		free(stack->coal.buf);
		free(stack);
	}
}

/**
 * unet__stack_services() - where the gateway's services keep their state
 * @stack: the stack
 *
 * Return: the services' pointers.
 */
struct stack_services *unet__stack_services(struct unet_stack *stack)
{
	return &stack->services;
}

/**
 * unet__stack_stats() - the counters services add to
 * @stack: the stack
 *
 * Return: the stack's counters.
 */
struct unet_stack_stats *unet__stack_stats(struct unet_stack *stack)
{
	return &stack->stats;
}

/**
 * unet__stack_output_frame() - send a whole Ethernet frame to the guests
 * @stack: the stack
 * @frame: the frame, built by a service (e.g. DHCP to a client's MAC)
 * @len: its length
 *
 * Return: 0, or the hub's negative errno.
 */
int unet__stack_output_frame(struct unet_stack *stack, const void *frame,
			     size_t len)
{
	return unet_hub_input(&stack->port, frame, len);
}

/**
 * unet_stack_stats() - read the gateway's counters
 * @stack: the stack
 * @stats: receives the counters; its @size set by the caller
 *
 * Return: 0; -EINVAL when @stats->size is below the struct's first size
 * (the caller did not set it).
 */
int unet_stack_stats(const struct unet_stack *stack,
		     struct unet_stack_stats *stats)
{
	struct unet_stack_stats st = stack->stats;

	st.mem_budget = unet__budget.limit;
	st.mem_used = unet__budget_used();
	st.mem_lwip = unet__budget.lwip;
	st.mem_proxy = unet__budget.proxy;
	st.mem_peak = unet__budget.peak;
	st.budget_frames_dropped = unet__budget.frames_dropped;
	st.budget_ooseq_squeezed = unet__budget.ooseq_squeezed;
	return unet__stats_copy(stats, &st, sizeof(st), STACK_STATS_SIZE_V1);
}

static void stack_port_close(struct unet_port *port)
{
	unet_stack_close(container_of(port, struct unet_stack, port));
}

static const struct unet_port_ops stack_port_ops = {
	.name = "user",
	.send = stack_send,
	.close = stack_port_close,
	.send_offload = stack_send_offload,
};

/**
 * unet_stack_new() - put a gateway on a hub
 * @hub: the hub
 * @id: the port's name
 * @config: the configuration, NULL for the defaults; copied, so the caller
 *          keeps it (a versioned struct, see hub.h)
 * @stackp: receives the stack, which the caller releases with
 *          unet_stack_close() (unet_hub_close() also does)
 *
 * Return: 0; -EINVAL for a bad configuration (or a &unet_stack_config.size
 * below the first release's); -E2BIG for a larger size whose extra bytes are
 * not zero; -EBUSY when this process has a stack already (lwIP is
 * process-wide); -ENOMEM.
 */
int unet_stack_new(struct unet_hub *hub, const char *id,
		   const struct unet_stack_config *config,
		   struct unet_stack **stackp)
{
	struct unet_stack_config cfg;
	struct unet_stack *stack;
	ip4_addr_t addr, mask, gw, any;
	int r;

	if (hub == NULL || stackp == NULL)
		return -EINVAL;
	unet_stack_config_init(&cfg);
	if (config != NULL) {
		r = unet__config_copy(&cfg, sizeof(cfg), config, config->size,
				      STACK_CONFIG_SIZE_V1);
		if (r < 0)
			return r;
	}
	stack_config_resolve_ip6(&cfg);
	if (!stack_config_ok(&cfg))
		return -EINVAL;
	stack = calloc(1, sizeof(*stack));
	if (stack == NULL)
		return -ENOMEM;
	stack->hub = hub;
	memcpy(&stack->cfg, &cfg, sizeof(stack->cfg));
	stack->cfg.size = sizeof(stack->cfg);
	/* a TCP segment of many MSS (unet__stack_tcp_offload()) included */
	stack->txcap = unet_hub_frame_max(hub);
	if (stack->txcap < UNET_GSO_FRAME_MAX)
		stack->txcap = UNET_GSO_FRAME_MAX;
	stack->txbuf = malloc(stack->txcap);
	if (stack->txbuf == NULL) {
		free(stack);
		return -ENOMEM;
	}
	r = unet__lwip_attach(stack);
	if (r < 0) {
		free(stack->txbuf);
		free(stack);
		return r;
	}
	unet__budget_reset(cfg.mem_budget != 0 ? cfg.mem_budget :
						 UNET_BUDGET_DEFAULT);

	/* netif_add() prepends: add the catcher first so the gateway leads. */
	ip4_addr_set_zero(&any);
	ip4_addr_set_u32(&mask, 0xffffffffu);
	netif_add(&stack->catcher, &any, &mask, &any, stack,
		  stack_catcher_init, ip4_input);
	netif_set_up(&stack->catcher);

	ip4_addr_set_u32(&addr, stack->cfg.host.s_addr);
	ip4_addr_set_u32(&mask, stack->cfg.mask.s_addr);
	/* No gateway of its own: it only ever talks to the virtual net. */
	ip4_addr_set_zero(&gw);
	netif_add(&stack->gw, &addr, &mask, &gw, stack, stack_gw_init,
		  ethernet_input);
	if (!stack->cfg.no_ipv6)
		stack_gw_ip6_addrs(stack);
	netif_set_default(&stack->gw);
	netif_set_up(&stack->gw);

	unet_timer_init(hub, &stack->timer);
	uv_prepare_init(unet_hub_loop(hub), &stack->prepare);
	stack->timer.uv.data = stack->prepare.data = stack;
	stack->handles = 2;
	stack->refs = 2;
	uv_unref((uv_handle_t *)&stack->timer.uv);
	uv_unref((uv_handle_t *)&stack->prepare);
	if (unet_hub_virtual_clock(hub))
		stack_timer_arm(stack);
	else
		uv_prepare_start(&stack->prepare, stack_prepare_cb);

	unet_port_init(&stack->port, &stack_port_ops, id);
	stack->port.offload = UNET_PORT_OFFLOAD_CSUM | UNET_PORT_OFFLOAD_TSO4 |
			      UNET_PORT_OFFLOAD_TSO6;
	r = unet_hub_attach(hub, &stack->port);
	if (r == 0 && !stack->cfg.no_ipv4)
		r = unet__dhcp_start(stack);
	if (r == 0 && !stack->cfg.no_ipv6)
		r = unet__ndp_start(stack);
	if (r == 0 && !stack->cfg.no_ipv6)
		r = unet__dhcp6_start(stack);
	if (r == 0 && !stack->cfg.no_dns)
		r = unet__dns_start(stack);
	if (r == 0 && stack->cfg.tftp_root[0] != '\0')
		r = unet__tftp_start(stack);
	if (r < 0) {
		unet_stack_close(stack);
		return r;
	}
	*stackp = stack;
	return 0;
}

/**
 * unet_stack_close() - take the gateway off its hub and release it
 * @stack: the stack; may be NULL
 *
 * lwIP is released at once (another stack may be made right after); the
 * memory is freed from the loop once its handles are closed.
 */
void unet_stack_close(struct unet_stack *stack)
{
	if (stack == NULL || stack->handles <= 0 ||
	    uv_is_closing((uv_handle_t *)&stack->timer.uv))
		return;
	unet__tftp_stop(stack);
	unet__dns_stop(stack);
	unet__dhcp6_stop(stack);
	unet__ndp_stop(stack);
	unet__dhcp_stop(stack);
	stack_coalesce_flush(stack);
	unet_hub_detach(&stack->port);
	netif_remove(&stack->gw);
	netif_remove(&stack->catcher);
	unet__lwip_detach(stack);
	unet_timer_close(&stack->timer, stack_handle_closed);
	uv_close((uv_handle_t *)&stack->prepare, stack_handle_closed);
}

/**
 * unet_stack_port() - the stack's port on its hub
 * @stack: the stack
 *
 * Return: the port (for its counters and its name), part of the stack and
 * valid until it is closed.
 */
struct unet_port *unet_stack_port(struct unet_stack *stack)
{
	return &stack->port;
}
