/* SPDX-License-Identifier: MIT */
/*
 * The gateway's IPv6 neighbour discovery and router advertisements
 * (RFC 4861, RFC 4862, RFC 8106).
 *
 * Theory of operation: lwIP is a host, not a router. It ignores router
 * solicitations, never advertises, and its neighbour advertisements lack
 * the Router flag, which makes a guest that hears one drop the gateway
 * from its default routers (RFC 4861 7.2.5). So the frame classifier
 * (stack.c) hands every ND message to unet__ndp_input() before lwIP sees
 * it, and this file answers for the gateway:
 *
 * - A neighbour solicitation for one of the gateway's addresses (fe80::2,
 *   ipv6-host, ipv6-dns) gets an advertisement with the Router and
 *   Override flags, Solicited when it came from an address, to the
 *   soliciting address at the frame's source MAC (or to all nodes when it
 *   came from :: - a guest's duplicate address detection for one of the
 *   gateway's addresses, which the gateway defends). Solicitations for any
 *   other address are dropped here: never answered, so a guest's own
 *   duplicate address detection sees silence, and lwIP's ND code never
 *   sees them. This is done here rather than by patching lwIP's nd6.c: the
 *   classifier already sees every frame first, an RA and DHCPv6 have to be
 *   built here anyway, and lwIP stays unpatched on its ND path.
 * - A router solicitation is answered with a router advertisement to all
 *   nodes, at once unless one went out less than NDP_RA_GAP_MS ago; then
 *   one is sent when that gap has passed (one pending at most): a guest
 *   flooding solicitations gets at most two advertisements a second.
 * - Unsolicited advertisements go out every 200 to 600 s (RFC 4861's
 *   MinRtrAdvInterval and MaxRtrAdvInterval defaults), the interval drawn
 *   from the hub's random source. None goes out at start (RFC 4861 6.2.4's
 *   initial burst): the stack starts before its guests, which solicit
 *   when their link comes up, and a start-up frame would reach nobody.
 * - Router advertisements and redirects from guests, and neighbour
 *   advertisements claiming a gateway address, are dropped (a guest must
 *   not steer lwIP's routes), as are messages that fail RFC 4861's checks
 *   (ndp_msg.c). Other neighbour advertisements go on to lwIP, which
 *   resolves guests' addresses with them.
 *
 * The advertisement says: the gateway's MAC, the hub's MTU, the prefix
 * (on-link and autonomous, valid 1 day, preferred 4 h), RDNSS with the DNS
 * address and DNSSL with the dnssearch list (uncompressed, as much as fits
 * in 1280 bytes), router lifetime 30 min, and the O flag (the M flag too
 * when DHCPv6 is stateful). A restricted guest (restrict=on) gets router
 * lifetime 0 and, unless restrict-dns, no RDNSS or DNSSL, as DHCPv4 leaves
 * out the router and DNS options for it.
 *
 * State: the encoded DNSSL, two timers (periodic, and a delayed solicited
 * answer) and the time of the last advertisement. Nothing grows with what
 * guests send. The frame builder unet__ndp_send_ip6() is also DHCPv6's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/netif.h"

#include "wire/checksum.h"
#include "wire/eth_proto.h"
#include "wire/icmp_proto.h"
#include "wire/ip6_proto.h"
#include "wire/log.h"
#include "wire/nd_proto.h"
#include "wire/udp_proto.h"

#include "dns_msg.h"
#include "ndp_msg.h"
#include "stack_internal.h"
#include "stack_proxy.h"

/** Shortest time between two router advertisements, in milliseconds. */
#define NDP_RA_GAP_MS 500
/** Bounds of the interval between unsolicited advertisements, seconds. */
#define NDP_RA_INTERVAL_MIN_S 200
#define NDP_RA_INTERVAL_MAX_S 600
/** The router lifetime advertised, seconds (3 x the longest interval). */
#define NDP_ROUTER_LIFETIME_S 1800
/** The prefix's lifetimes, seconds. */
#define NDP_PREFIX_VALID_S 86400
#define NDP_PREFIX_PREFERRED_S 14400
/** RDNSS and DNSSL lifetime, seconds (RFC 8106 5.1: >= 3 x the interval). */
#define NDP_DNS_LIFETIME_S 1800
/** The advertisement stays within IPv6's minimum MTU. */
#define NDP_RA_MAX (WIRE_IP6_MTU_MIN - WIRE_IP6_HLEN)
/** Room for the DNSSL names once the other options are in. */
#define NDP_DNSSL_MAX                                                         \
	(NDP_RA_MAX - sizeof(struct wire_nd_ra) -                             \
	 sizeof(struct wire_nd_opt_lla) - sizeof(struct wire_nd_opt_mtu) -    \
	 sizeof(struct wire_nd_opt_prefix) - sizeof(struct wire_nd_opt_dns) - \
	 WIRE_IP6_ALEN - sizeof(struct wire_nd_opt_dns))
/** Largest IPv6 packet this file or DHCPv6 builds. */
#define NDP_FRAME_MAX (WIRE_ETH_HLEN + WIRE_IP6_HLEN + 1500)

/* ff02::1, all nodes. */
static const uint8_t ndp_all_nodes[WIRE_IP6_ALEN] = { 0xff, 0x02, [15] = 1 };
static const uint8_t ndp_unspecified[WIRE_IP6_ALEN];

/**
 * struct unet_ndp - the gateway's ND service
 * @stack: the stack
 * @hub: its hub (clock, randomness, log)
 * @cfg: the stack's configuration
 * @stats: the stack's counters
 * @periodic: the next unsolicited advertisement
 * @solicited: a solicited advertisement held back by the gap
 * @handles: timers not yet closed
 * @stopping: unet__ndp_stop() ran; freed with the last timer
 * @ra_sent: an advertisement went out already
 * @last_ra_ns: when the last one did
 * @dnssl: the DNSSL option's names
 * @dnssl_len: their length
 * @rl: log rate limiters, one per level
 * @frame: where frames are built
 */
struct unet_ndp {
	struct unet_stack *stack;
	struct unet_hub *hub;
	const struct unet_stack_config *cfg;
	struct unet_stack_stats *stats;
	struct unet_timer periodic;
	struct unet_timer solicited;
	int handles;
	bool stopping;
	bool ra_sent;
	uint64_t last_ra_ns;
	uint8_t dnssl[NDP_DNSSL_MAX];
	size_t dnssl_len;
	struct unet__ratelimit rl[UNET_LOG_LEVEL_NUM];
	uint8_t frame[NDP_FRAME_MAX];
};

#define ndp_log(ndp, level, fmt, ...)                               \
	unet__log_limited((ndp)->hub, &(ndp)->rl[(level)], (level), \
			  "ndp: " fmt, ##__VA_ARGS__)

/**
 * struct ndp_hdrs - the headers in front of an IPv6 packet the gateway
 * builds
 * @eth: Ethernet, from the gateway's MAC
 * @ip: IPv6
 */
struct ndp_hdrs {
	struct wire_eth eth;
	struct wire_ip6 ip;
} __attribute__((packed));

/* The gateway's link-local address, from the netif's first slot. */
static void ndp_linklocal(struct unet_stack *stack, uint8_t *out)
{
	memcpy(out, netif_ip6_addr(unet__stack_netif(stack), 0)->addr,
	       WIRE_IP6_ALEN);
}

/**
 * unet__ndp_send_ip6() - send an IPv6 packet the gateway built
 * @stack: the stack
 * @dst_mac: the frame's destination
 * @src: the source address
 * @dst: the destination address
 * @proto: WIRE_IPPROTO_ICMPV6 or WIRE_IPPROTO_UDP (its checksum is
 *         computed here, with the pseudo header)
 * @hop_limit: the hop limit
 * @l4: the ICMPv6 message or the UDP datagram, checksum field 0
 * @len: its length
 *
 * Return: 0; -EMSGSIZE when it does not fit in the hub's MTU or the
 * builder's buffer; the hub's negative errno.
 */
int unet__ndp_send_ip6(struct unet_stack *stack, const uint8_t *dst_mac,
		       const uint8_t *src, const uint8_t *dst, uint8_t proto,
		       uint8_t hop_limit, const void *l4, size_t len)
{
	struct unet_ndp *ndp = unet__stack_services(stack)->ndp;
	const struct unet_stack_config *cfg = unet__stack_config(stack);
	struct ndp_hdrs *h;
	uint8_t *body;
	uint16_t csum;
	uint32_t sum;
	size_t off;

	if (ndp == NULL)
		return -ENODEV;
	if (len > sizeof(ndp->frame) - sizeof(*h) ||
	    WIRE_IP6_HLEN + len > unet_hub_mtu(ndp->hub))
		return -EMSGSIZE;
	h = (struct ndp_hdrs *)ndp->frame;
	memset(h, 0, sizeof(*h));
	memcpy(h->eth.dst, dst_mac, WIRE_ETH_ALEN);
	memcpy(h->eth.src, cfg->mac, WIRE_ETH_ALEN);
	h->eth.type = htons(WIRE_ETHTYPE_IP6);
	h->ip.vtcfl = htonl(6u << 28);
	h->ip.payload_len = htons((uint16_t)len);
	h->ip.nexthdr = proto;
	h->ip.hop_limit = hop_limit;
	memcpy(h->ip.saddr, src, WIRE_IP6_ALEN);
	memcpy(h->ip.daddr, dst, WIRE_IP6_ALEN);
	body = ndp->frame + sizeof(*h);
	memcpy(body, l4, len);
	off = proto == WIRE_IPPROTO_UDP ? offsetof(struct wire_udp, csum) : 2;
	if (len < off + 2)
		return -EINVAL;
	memset(body + off, 0, 2);
	sum = unet__csum_ip6_pseudo(src, dst, proto, len);
	csum = htons(unet__csum_finish(unet__csum_add(sum, body, len)));
	/* UDP over IPv6 never carries a zero checksum (RFC 8200 8.1). */
	if (proto == WIRE_IPPROTO_UDP && csum == 0)
		csum = 0xffff;
	memcpy(body + off, &csum, sizeof(csum));
	return unet__stack_output_frame(stack, ndp->frame, sizeof(*h) + len);
}

/* Sends a router advertisement to all nodes, now. */
static void ndp_send_ra(struct unet_ndp *ndp)
{
	const struct unet_stack_config *cfg = ndp->cfg;
	bool restricted = unet__stack_restricted(ndp->stack);
	bool dns = unet__stack_dns_offered(ndp->stack);
	struct unet__nd_ra_info ra = {
		.flags = WIRE_ND_RA_OTHER,
		.router_lifetime = restricted ? 0 : NDP_ROUTER_LIFETIME_S,
		.mac = cfg->mac,
		.prefix = cfg->ip6_prefix.s6_addr,
		.valid = NDP_PREFIX_VALID_S,
		.preferred = NDP_PREFIX_PREFERRED_S,
		.dns = dns ? cfg->ip6_dns.s6_addr : NULL,
		.dns_lifetime = NDP_DNS_LIFETIME_S,
		.dnssl = ndp->dnssl,
		.dnssl_len = dns ? ndp->dnssl_len : 0,
	};
	uint8_t msg[NDP_RA_MAX], mac[WIRE_ETH_ALEN], ll[WIRE_IP6_ALEN];
	unsigned int mtu = unet_hub_mtu(ndp->hub);
	size_t len;

	if (cfg->ip6_dhcp_stateful)
		ra.flags |= WIRE_ND_RA_MANAGED;
	/* Below IPv6's minimum a host would ignore the option. */
	ra.mtu = mtu >= WIRE_IP6_MTU_MIN ? mtu : 0;
	len = unet__nd_build_ra(msg, sizeof(msg), &ra);
	if (len == 0)
		return;
	ndp_linklocal(ndp->stack, ll);
	unet__ip6_multicast_mac(ndp_all_nodes, mac);
	if (unet__ndp_send_ip6(ndp->stack, mac, ll, ndp_all_nodes,
			       WIRE_IPPROTO_ICMPV6, WIRE_ND_HOP_LIMIT, msg,
			       len) == 0)
		ndp->stats->nd_ra_sent++;
	ndp->ra_sent = true;
	ndp->last_ra_ns = unet_hub_now_ns(ndp->hub);
}

static void ndp_periodic_cb(struct unet_timer *timer);

/* The next unsolicited advertisement, 200 to 600 s from now. */
static void ndp_periodic_arm(struct unet_ndp *ndp)
{
	uint64_t s = NDP_RA_INTERVAL_MIN_S +
		     unet_hub_random(ndp->hub) % (NDP_RA_INTERVAL_MAX_S -
						  NDP_RA_INTERVAL_MIN_S + 1);

	unet_timer_start(&ndp->periodic, ndp_periodic_cb, s * 1000);
}

static void ndp_periodic_cb(struct unet_timer *timer)
{
	struct unet_ndp *ndp = container_of(timer, struct unet_ndp, periodic);

	if (ndp->stopping)
		return;
	ndp_send_ra(ndp);
	ndp_periodic_arm(ndp);
}

static void ndp_solicited_cb(struct unet_timer *timer)
{
	struct unet_ndp *ndp = container_of(timer, struct unet_ndp, solicited);

	if (!ndp->stopping)
		ndp_send_ra(ndp);
}

/* A router solicitation: an advertisement now, or once the gap passed. */
static void ndp_rs(struct unet_ndp *ndp)
{
	uint64_t now = unet_hub_now_ns(ndp->hub),
		 gap = NDP_RA_GAP_MS * 1000000ull;

	ndp->stats->nd_rs_in++;
	if (!ndp->ra_sent || now - ndp->last_ra_ns >= gap) {
		ndp_send_ra(ndp);
		return;
	}
	if (!unet_timer_active(&ndp->solicited))
		unet_timer_start(&ndp->solicited, ndp_solicited_cb,
				 (ndp->last_ra_ns + gap - now + 999999) /
					 1000000);
}

/* A neighbour solicitation for @m->target, one of the gateway's. */
static void ndp_ns(struct unet_ndp *ndp, const struct wire_eth *eth,
		   const struct wire_ip6 *ip, const struct unet__nd_msg *m)
{
	bool dad = memcmp(ip->saddr, ndp_unspecified, WIRE_IP6_ALEN) == 0;
	uint8_t msg[64], mac[WIRE_ETH_ALEN];
	const uint8_t *dst;
	size_t len;

	len = unet__nd_build_na(msg, sizeof(msg), m->target,
				WIRE_ND_NA_ROUTER | WIRE_ND_NA_OVERRIDE |
					(dad ? 0 : WIRE_ND_NA_SOLICITED),
				ndp->cfg->mac);
	if (dad) {
		/* Someone probes for our address: defend it (RFC 4862 5.4.3) */
		dst = ndp_all_nodes;
		unet__ip6_multicast_mac(dst, mac);
	} else {
		dst = ip->saddr;
		memcpy(mac, m->lla != NULL ? m->lla : eth->src, WIRE_ETH_ALEN);
		if (wire_eth_is_group(mac))
			memcpy(mac, eth->src, WIRE_ETH_ALEN);
		if (wire_eth_is_group(mac))
			return;
		/* lwIP would have learnt the asker from its option. */
		if (m->lla != NULL && !wire_eth_is_group(m->lla))
			unet__lwip_nd6_learn(unet__stack_netif(ndp->stack),
					     ip->saddr, m->lla);
	}
	if (unet__ndp_send_ip6(ndp->stack, mac, m->target, dst,
			       WIRE_IPPROTO_ICMPV6, WIRE_ND_HOP_LIMIT, msg,
			       len) == 0)
		ndp->stats->nd_na_sent++;
}

/**
 * unet__ndp_input() - take an ND message before lwIP does
 * @stack: the stack
 * @eth: the frame's Ethernet header
 * @ip: its IPv6 header (next header ICMPv6)
 * @payload: the ICMPv6 message
 * @len: its length
 *
 * Return: true when the message was ND and taken (answered, or dropped and
 * counted); false for other ICMPv6 and for neighbour advertisements lwIP
 * should see.
 */
bool unet__ndp_input(struct unet_stack *stack, const struct wire_eth *eth,
		     const struct wire_ip6 *ip, const uint8_t *payload,
		     size_t len)
{
	struct unet_ndp *ndp = unet__stack_services(stack)->ndp;
	struct unet__nd_msg m;

	if (ndp == NULL || len < 1 || payload[0] < WIRE_ICMP6_RS ||
	    payload[0] > WIRE_ICMP6_REDIRECT)
		return false;
	if (payload[0] == WIRE_ICMP6_REDIRECT) {
		ndp->stats->nd_drop++;
		ndp_log(ndp, UNET_LOG_DEBUG, "a guest's redirect dropped");
		return true;
	}
	if (unet__nd_parse(ip, payload, len, &m) < 0) {
		ndp->stats->nd_drop++;
		ndp_log(ndp, UNET_LOG_DEBUG,
			"invalid ND message (type %u, %zu bytes) dropped",
			payload[0], len);
		return true;
	}
	switch (m.type) {
	case WIRE_ICMP6_RS:
		ndp_rs(ndp);
		return true;
	case WIRE_ICMP6_NS:
		if (unet__stack_is_gateway_addr6(stack, m.target))
			ndp_ns(ndp, eth, ip, &m);
		return true;
	case WIRE_ICMP6_NA:
		if (!unet__stack_is_gateway_addr6(stack, m.target))
			return false;
		ndp_log(ndp, UNET_LOG_INFO,
			"a guest (%02x:%02x:%02x:%02x:%02x:%02x) claims a gateway address; ignored",
			eth->src[0], eth->src[1], eth->src[2], eth->src[3],
			eth->src[4], eth->src[5]);
		ndp->stats->nd_drop++;
		return true;
	default:
		/* A router advertisement: a guest is no router here. */
		ndp->stats->nd_drop++;
		ndp_log(ndp, UNET_LOG_DEBUG,
			"a guest's router advertisement dropped");
		return true;
	}
}

/* A name of the search list that was left out. */
static void ndp_search_rejected(void *opaque, const char *name, size_t len)
{
	struct unet_ndp *ndp = opaque;

	unet_hub_log(
		ndp->hub, UNET_LOG_WARN,
		"ndp: dnssearch: '%.*s' does not fit in the DNSSL option; left out",
		(int)len, name);
}

static void ndp_free(struct unet_ndp *ndp)
{
	free(ndp);
}

static void ndp_timer_closed(uv_handle_t *handle)
{
	struct unet_ndp *ndp = handle->data;
	struct unet_stack *stack = ndp->stack;

	if (--ndp->handles == 0)
		ndp_free(ndp);
	unet__stack_unref(stack);
}

/**
 * unet__ndp_start() - start answering ND and advertising the prefix
 * @stack: the stack (with IPv6 on)
 *
 * Encodes the DNSSL names once and arms the periodic advertisement.
 *
 * Return: 0, -ENOMEM.
 */
int unet__ndp_start(struct unet_stack *stack)
{
	const struct unet_stack_config *cfg = unet__stack_config(stack);
	struct unet_hub *hub = unet__stack_hub(stack);
	struct unet_ndp *ndp;

	ndp = calloc(1, sizeof(*ndp));
	if (ndp == NULL)
		return -ENOMEM;
	ndp->stack = stack;
	ndp->hub = hub;
	ndp->cfg = cfg;
	ndp->stats = unet__stack_stats(stack);
	ndp->dnssl_len = unet__dns_search_encode_plain(
		cfg->dnssearch, ndp->dnssl, sizeof(ndp->dnssl),
		ndp_search_rejected, ndp);
	unet_timer_init(hub, &ndp->periodic);
	unet_timer_init(hub, &ndp->solicited);
	ndp->periodic.uv.data = ndp->solicited.uv.data = ndp;
	uv_unref((uv_handle_t *)&ndp->periodic.uv);
	uv_unref((uv_handle_t *)&ndp->solicited.uv);
	ndp->handles = 2;
	unet__stack_ref(stack);
	unet__stack_ref(stack);
	if (unet_hub_mtu(hub) < WIRE_IP6_MTU_MIN)
		unet_hub_log(hub, UNET_LOG_WARN,
			     "ndp: the MTU (%u) is below IPv6's minimum, 1280",
			     unet_hub_mtu(hub));
	unet__stack_services(stack)->ndp = ndp;
	ndp_periodic_arm(ndp);
	return 0;
}

/**
 * unet__ndp_stop() - stop the ND service
 * @stack: the stack
 *
 * Nothing more is sent; the memory goes once the timers are closed. Does
 * nothing when the service was not started.
 */
void unet__ndp_stop(struct unet_stack *stack)
{
	struct stack_services *s = unet__stack_services(stack);
	struct unet_ndp *ndp = s->ndp;

	if (ndp == NULL)
		return;
	s->ndp = NULL;
	ndp->stopping = true;
	unet_timer_close(&ndp->periodic, ndp_timer_closed);
	unet_timer_close(&ndp->solicited, ndp_timer_closed);
}
