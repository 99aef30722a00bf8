/* SPDX-License-Identifier: MIT */
/*
 * The gateway's DHCPv6 server (RFC 8415, RFC 3646).
 *
 * Theory of operation: the frame classifier (stack.c) hands this file every
 * UDP packet that directly follows its IPv6 header; those for port 547 of
 * ff02::1:2 or of a gateway address are this server's, the rest go on to
 * lwIP. A taken packet must come from a link-local address or one inside
 * the prefix, with a good UDP length and checksum; then dhcp6_msg.c parses
 * it. Anything malformed, a relay's, or against RFC 8415's rules for its
 * type (section 16: a Solicit with a Server Identifier, a Request without
 * ours, an Information-request with an IA...) is dropped and counted in
 * dhcp6_drop.
 *
 * Stateless (the default, ipv6-dhcp=stateless): an Information-request is
 * answered with the DNS server (ip6_dns) and the domain list (dnssearch);
 * the router advertisement's O flag sends guests here. Messages about
 * addresses are not answered: addresses come from SLAAC.
 *
 * Stateful (ipv6-dhcp=stateful, the M flag): besides, addresses for IA_NA
 * from a pool of DHCP6_POOL_N at prefix::100 on, kept by dhcp_lease.c's
 * pool (the DHCPv4 server's: the pool holds the last 32 bits of each
 * address). Each IA_NA is its own lease, keyed by the client's DUID and
 * the IA's IAID (the key starts with a hash of the DUID, so the leases of
 * one DUID can be counted): the first UNET__DHCP6_IA_MAX IAs of a message
 * are served, and one DUID holds at most DHCP6_IA_PER_CLIENT addresses
 * (an IA past that gets NoAddrsAvail), so a guest's addresses are bounded
 * by the DUIDs it makes up, and all of them by the pool. IA_TA and IA_PD
 * are not served: they are answered with NoAddrsAvail and NoPrefixAvail
 * inside them (RFC 8415 18.3.9, 18.3.2); IAs past UNET__DHCP6_IA_MAX are
 * not answered at all. Solicit gets Advertise (held DHCP6_OFFER_HOLD_S),
 * or Reply at once when the client asks for Rapid Commit; an Advertise
 * with no address for any IA says only NoAddrsAvail. Request, Renew and
 * Rebind get each IA's lease for a day (an IA with none: NoAddrsAvail for
 * Request; Renew and Rebind only extend a binding the IA has, else
 * NoBinding, and a Rebind none of whose IAs is bound is not answered,
 * 18.3.5); Release and Decline give each IA's
 * address back (a declined address stays out of the pool for a while);
 * Confirm says whether the addresses are on the link.
 *
 * Replies are built whole (Ethernet, IPv6, UDP: unet__ndp_send_ip6()) to
 * the client's link-local address at the frame's source MAC, from fe80::2
 * (or the gateway address the client wrote to), without waiting for
 * neighbour discovery. The server's DUID is a DUID-LL of the gateway's
 * MAC. A restricted guest gets no DNS options unless restrict-dns, as with
 * DHCPv4.
 *
 * State: the pool (allocated at start, stateful only) and the encoded
 * domain list. Log lines a guest can cause are rate-limited.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "wire/checksum.h"
#include "wire/cursor.h"
#include "wire/dhcp6_proto.h"
#include "wire/eth_proto.h"
#include "wire/ip6_proto.h"
#include "wire/log.h"
#include "wire/udp_proto.h"

#include "dhcp6_msg.h"
#include "dhcp_lease.h"
#include "dns_msg.h"
#include "stack_internal.h"
#include "stack_proxy.h"

/** Addresses the stateful server hands out, from prefix::100. */
#define DHCP6_POOL_N 256
#define DHCP6_POOL_FIRST 0x100
/** Most addresses one DUID holds (its IA_NAs). */
#define DHCP6_IA_PER_CLIENT 4
/** Lifetimes handed out, seconds: the pool's lease time (a day). */
#define DHCP6_VALID_S UNET__DHCP_LEASE_S
#define DHCP6_PREFERRED_S UNET__DHCP_LEASE_S
#define DHCP6_T1_S (UNET__DHCP_LEASE_S / 2)
#define DHCP6_T2_S (UNET__DHCP_LEASE_S * 4 / 5)
/** Largest reply (UDP payload). */
#define DHCP6_REPLY_MAX 1200
/** Room for the domain list in a reply. */
#define DHCP6_DOMAINS_MAX 900
/** The replies' hop limit. */
#define DHCP6_HOP_LIMIT 64

_Static_assert(DHCP6_POOL_FIRST + DHCP6_POOL_N <= 0xffff,
	       "the pool is inside prefix::100..prefix::ffff");

/* ff02::1:2, All_DHCP_Relay_Agents_and_Servers. */
static const uint8_t dhcp6_servers[16] = { 0xff, 0x02, [13] = 1, [15] = 2 };

/**
 * struct unet_dhcp6 - the DHCPv6 server of a stack
 * @stack: the stack
 * @hub: its hub (clock, log)
 * @cfg: the stack's configuration
 * @stats: the stack's counters
 * @stateful: addresses are handed out (@pool is there)
 * @pool: the address pool, last 32 bits of each address
 * @duid: the server's DUID (DUID-LL of the gateway's MAC)
 * @domains: the domain list option's names (uncompressed)
 * @domains_len: their length
 * @rl: log rate limiters, one per level
 */
struct unet_dhcp6 {
	struct unet_stack *stack;
	struct unet_hub *hub;
	const struct unet_stack_config *cfg;
	struct unet_stack_stats *stats;
	bool stateful;
	struct unet__dhcp_pool pool;
	uint8_t duid[10];
	uint8_t domains[DHCP6_DOMAINS_MAX];
	size_t domains_len;
	struct unet__ratelimit rl[UNET_LOG_LEVEL_NUM];
};

#define dhcp6_log(d, level, fmt, ...)                                          \
	unet__log_limited((d)->hub, &(d)->rl[(level)], (level), "dhcp6: " fmt, \
			  ##__VA_ARGS__)

/**
 * struct dhcp6_req - a request being answered
 * @eth: its frame's Ethernet header
 * @ip: its IPv6 header
 * @sport: its UDP source port
 * @m: the message, parsed
 */
struct dhcp6_req {
	const struct wire_eth *eth;
	const struct wire_ip6 *ip;
	uint16_t sport;
	struct unet__dhcp6_msg m;
};

static void dhcp6_drop(struct unet_dhcp6 *d, const char *why)
{
	d->stats->dhcp6_drop++;
	dhcp6_log(d, UNET_LOG_DEBUG, "dropped a message: %s", why);
}

static bool dhcp6_is_linklocal(const uint8_t *a)
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

/* @a lies in the prefix. */
static bool dhcp6_in_prefix(const struct unet_dhcp6 *d, const uint8_t *a)
{
	return memcmp(a, d->cfg->ip6_prefix.s6_addr, 8) == 0;
}

/* The pool's form of @a (its last 32 bits), or 0 when not in the pool. */
static uint32_t dhcp6_pool_key(const struct unet_dhcp6 *d, const uint8_t *a)
{
	static const uint8_t zero[4];
	uint32_t low;

	if (a == NULL || !dhcp6_in_prefix(d, a) || memcmp(a + 8, zero, 4) != 0)
		return 0;
	memcpy(&low, a + 12, sizeof(low));
	return unet__dhcp_pool_index(&d->pool, low) >= 0 ? low : 0;
}

/* The address of pool entry @i. */
static void dhcp6_pool_addr(const struct unet_dhcp6 *d, int i, uint8_t *a)
{
	uint32_t low = unet__dhcp_pool_addr(&d->pool, (unsigned int)i);

	memcpy(a, d->cfg->ip6_prefix.s6_addr, 8);
	memset(a + 8, 0, 4);
	memcpy(a + 12, &low, sizeof(low));
}

/* A reply's common fields, the DNS options included when allowed. */
static void dhcp6_reply_init(struct unet_dhcp6 *d, const struct dhcp6_req *q,
			     uint8_t type, struct unet__dhcp6_reply *r)
{
	bool dns = unet__stack_dns_offered(d->stack);

	memset(r, 0, sizeof(*r));
	r->type = type;
	r->xid = q->m.xid;
	r->server_id = d->duid;
	r->server_id_len = sizeof(d->duid);
	r->client_id = q->m.client_id;
	r->client_id_len = q->m.client_id_len;
	r->status = -1;
	if (dns) {
		r->dns = d->cfg->ip6_dns.s6_addr;
		r->domains = d->domains;
		r->domains_len = d->domains_len;
	}
}

/* A Reply that only says Success (Release, Decline, Confirm): no options. */
static void dhcp6_reply_status(struct unet_dhcp6 *d, const struct dhcp6_req *q,
			       struct unet__dhcp6_reply *r)
{
	dhcp6_reply_init(d, q, DHCP6_REPLY, r);
	r->dns = NULL;
	r->domains_len = 0;
	r->status = DHCP6_STATUS_SUCCESS;
}

/* Adds the reply's IA for @ia: empty, with status @status (-1: none). */
static struct unet__dhcp6_reply_ia *
dhcp6_reply_ia(struct unet__dhcp6_reply *r, const struct unet__dhcp6_ia *ia,
	       int status)
{
	struct unet__dhcp6_reply_ia *ria = &r->ias[r->n_ias++];

	memset(ria, 0, sizeof(*ria));
	ria->code = ia->code;
	ria->iaid = ia->iaid;
	ria->status = status;
	return ria;
}

/* Puts the lease of pool entry @i into the reply's IA @ria. */
static void dhcp6_reply_lease(struct unet_dhcp6 *d, int i,
			      struct unet__dhcp6_reply_ia *ria, uint8_t *addr)
{
	dhcp6_pool_addr(d, i, addr);
	ria->t1 = DHCP6_T1_S;
	ria->t2 = DHCP6_T2_S;
	ria->addr = addr;
	ria->preferred = DHCP6_PREFERRED_S;
	ria->valid = DHCP6_VALID_S;
}

/* Sends @r to the client of @q. */
static void dhcp6_send(struct unet_dhcp6 *d, const struct dhcp6_req *q,
		       const struct unet__dhcp6_reply *r)
{
	uint8_t buf[WIRE_UDP_HLEN + DHCP6_REPLY_MAX];
	const uint8_t *src = q->ip->daddr;
	uint8_t ll[16] = { 0xfe, 0x80, [15] = 2 };
	struct wire_udp *uh = (struct wire_udp *)buf;
	size_t n;

	n = unet__dhcp6_build(buf + WIRE_UDP_HLEN, DHCP6_REPLY_MAX, r);
	if (n == 0) {
		dhcp6_log(d, UNET_LOG_WARN, "a reply did not fit; not sent");
		return;
	}
	/* To a group: from the gateway's link-local address. */
	if (src[0] == 0xff) {
		memcpy(ll, netif_ip6_addr(unet__stack_netif(d->stack), 0)->addr,
		       sizeof(ll));
		src = ll;
	}
	uh->sport = htons(DHCP6_SERVER_PORT);
	uh->dport = htons(q->sport);
	uh->len = htons((uint16_t)(WIRE_UDP_HLEN + n));
	uh->csum = 0;
	if (unet__ndp_send_ip6(d->stack, q->eth->src, src, q->ip->saddr,
			       WIRE_IPPROTO_UDP, DHCP6_HOP_LIMIT, buf,
			       WIRE_UDP_HLEN + n) == 0)
		d->stats->dhcp6_out++;
}

/*
 * The pool key of the client's IA @iaid: a hash of its DUID, the IAID,
 * then the DUID (unet__dhcp_key_make() keeps the start of a long one and a
 * hash of it all, so the DUID's hash always opens the key).
 */
static void dhcp6_ia_key(const struct dhcp6_req *q, uint32_t iaid,
			 struct unet__dhcp_key *k)
{
	uint8_t buf[8 + 4 + DHCP6_DUID_MAX];
	uint64_t h = unet__dhcp_hash(q->m.client_id, q->m.client_id_len);
	uint32_t be = htonl(iaid);

	memcpy(buf, &h, 8);
	memcpy(buf + 8, &be, 4);
	memcpy(buf + 12, q->m.client_id, q->m.client_id_len);
	unet__dhcp_key_make(k, NULL, buf, 12 + q->m.client_id_len);
}

/* Whether pool entry @l is offered or leased at @now. */
static bool dhcp6_lease_held(const struct unet__dhcp_lease *l, uint64_t now)
{
	return (l->state == UNET__DHCP_LEASE_OFFERED ||
		l->state == UNET__DHCP_LEASE_BOUND) &&
	       now < l->expires_ns;
}

/*
 * How many addresses the client of @q holds (offered or leased) for IAs
 * other than the one keyed @k; keys are dhcp6_ia_key()'s, whose bytes
 * 1..8 are the DUID's hash.
 */
static unsigned int dhcp6_client_leases(const struct unet_dhcp6 *d,
					const struct unet__dhcp_key *k,
					uint64_t now)
{
	const struct unet__dhcp_lease *l;
	unsigned int i, n = 0;

	for (i = 0; i < d->pool.n; i++) {
		l = &d->pool.leases[i];
		if (dhcp6_lease_held(l, now) && l->owner.len > 9 &&
		    memcmp(l->owner.data + 1, k->data + 1, 8) == 0 &&
		    !(l->owner.len == k->len &&
		      memcmp(l->owner.data, k->data, k->len) == 0))
			n++;
	}
	return n;
}

/*
 * Solicit and Request, one IA_NA: its address offered or leased into
 * @ria. Return: true when it got one.
 */
static bool dhcp6_assign_ia(struct unet_dhcp6 *d, const struct dhcp6_req *q,
			    const struct unet__dhcp6_ia *ia, bool commit,
			    uint64_t now, struct unet__dhcp6_reply_ia *ria,
			    uint8_t *addr)
{
	struct unet__dhcp_key k;
	bool renewal;
	int i;

	dhcp6_ia_key(q, ia->iaid, &k);
	if (dhcp6_client_leases(d, &k, now) >= DHCP6_IA_PER_CLIENT)
		return false;
	i = unet__dhcp_pool_offer(&d->pool, &k, dhcp6_pool_key(d, ia->addr),
				  now);
	if (i == -ENOSPC)
		unet__log_limited(
			d->hub, &d->rl[UNET_LOG_WARN], UNET_LOG_WARN,
			"dhcp6: the pool of %d addresses is exhausted",
			DHCP6_POOL_N);
	if (i >= 0 && commit &&
	    unet__dhcp_pool_request(&d->pool, &k,
				    unet__dhcp_pool_addr(&d->pool,
							 (unsigned int)i),
				    now, &renewal) < 0)
		i = -EADDRINUSE;
	if (i < 0)
		return false;
	dhcp6_reply_lease(d, i, ria, addr);
	return true;
}

/*
 * Whether pool entry @key (an address's last 32 bits, 0 for none) is bound
 * to the IA keyed @k now: Renew and Rebind extend bindings, never make one.
 */
static bool dhcp6_bound(const struct unet_dhcp6 *d, uint32_t key,
			const struct unet__dhcp_key *k, uint64_t now)
{
	const struct unet__dhcp_lease *l;
	int i = key != 0 ? unet__dhcp_pool_index(&d->pool, key) : -1;

	if (i < 0)
		return false;
	l = &d->pool.leases[i];
	return l->state == UNET__DHCP_LEASE_BOUND && now < l->expires_ns &&
	       l->owner.len == k->len &&
	       memcmp(l->owner.data, k->data, k->len) == 0;
}

/* The status an IA of @code gets when it gets nothing. */
static int dhcp6_ia_none(uint16_t code)
{
	return code == DHCP6_OPT_IA_PD ? DHCP6_STATUS_NO_PREFIX_AVAIL :
					 DHCP6_STATUS_NO_ADDRS_AVAIL;
}

/* Solicit and Request: an address for each IA_NA, offered or leased. */
static void dhcp6_assign(struct unet_dhcp6 *d, const struct dhcp6_req *q,
			 uint64_t now)
{
	bool commit = q->m.type == DHCP6_REQUEST || q->m.rapid_commit;
	uint8_t addrs[UNET__DHCP6_IA_MAX][16];
	const struct unet__dhcp6_ia *ia;
	struct unet__dhcp6_reply_ia *ria;
	struct unet__dhcp6_reply r;
	unsigned int i, served = 0;

	dhcp6_reply_init(d, q, commit ? DHCP6_REPLY : DHCP6_ADVERTISE, &r);
	r.rapid_commit = q->m.type == DHCP6_SOLICIT && commit;
	for (i = 0; i < q->m.n_ias; i++) {
		ia = &q->m.ias[i];
		ria = dhcp6_reply_ia(&r, ia, -1);
		if (ia->code == DHCP6_OPT_IA_NA &&
		    dhcp6_assign_ia(d, q, ia, commit, now, ria, addrs[i]))
			served++;
		else
			ria->status = dhcp6_ia_none(ia->code);
	}
	/* RFC 8415 18.3.9: no address for any IA, only the status. */
	if (served == 0 && q->m.type == DHCP6_SOLICIT) {
		r.n_ias = 0;
		r.status = DHCP6_STATUS_NO_ADDRS_AVAIL;
	}
	dhcp6_send(d, q, &r);
}

/* Renew and Rebind: each IA_NA's lease, extended, or NoBinding. */
static void dhcp6_extend(struct unet_dhcp6 *d, const struct dhcp6_req *q,
			 uint64_t now)
{
	uint8_t addrs[UNET__DHCP6_IA_MAX][16];
	const struct unet__dhcp6_ia *ia;
	struct unet__dhcp6_reply_ia *ria;
	struct unet__dhcp6_reply r;
	struct unet__dhcp_key k;
	unsigned int i, known = 0;
	uint32_t key;
	bool renewal;

	dhcp6_reply_init(d, q, DHCP6_REPLY, &r);
	if (q->m.n_ias == 0) {
		dhcp6_drop(d, "Renew or Rebind without an IA");
		return;
	}
	for (i = 0; i < q->m.n_ias; i++) {
		ia = &q->m.ias[i];
		ria = dhcp6_reply_ia(&r, ia, DHCP6_STATUS_NO_BINDING);
		key = dhcp6_pool_key(d, ia->addr);
		if (ia->code != DHCP6_OPT_IA_NA || key == 0)
			continue;
		dhcp6_ia_key(q, ia->iaid, &k);
		if (!dhcp6_bound(d, key, &k, now) ||
		    unet__dhcp_pool_request(&d->pool, &k, key, now, &renewal) !=
			    0)
			continue;
		ria->status = -1;
		dhcp6_reply_lease(d, unet__dhcp_pool_index(&d->pool, key), ria,
				  addrs[i]);
		known++;
	}
	/* RFC 8415 18.3.5: a Rebind of no lease of ours is ignored. */
	if (known == 0 && q->m.type == DHCP6_REBIND) {
		dhcp6_drop(d, "Rebind of no lease of ours");
		return;
	}
	dhcp6_send(d, q, &r);
}

/* Release and Decline: each IA_NA's address goes back; Success. */
static void dhcp6_giveback(struct unet_dhcp6 *d, const struct dhcp6_req *q,
			   uint64_t now)
{
	const struct unet__dhcp6_ia *ia;
	struct unet__dhcp6_reply r;
	struct unet__dhcp_key k;
	unsigned int i;
	uint32_t key;

	for (i = 0; i < q->m.n_ias; i++) {
		ia = &q->m.ias[i];
		key = dhcp6_pool_key(d, ia->addr);
		if (ia->code != DHCP6_OPT_IA_NA || key == 0)
			continue;
		dhcp6_ia_key(q, ia->iaid, &k);
		if (q->m.type == DHCP6_DECLINE &&
		    unet__dhcp_pool_decline(&d->pool, &k, key, now) == 0)
			dhcp6_log(
				d, UNET_LOG_WARN,
				"a client declined an address: someone else uses it");
		else if (q->m.type == DHCP6_RELEASE)
			unet__dhcp_pool_release(&d->pool, &k, key, now);
	}
	dhcp6_reply_status(d, q, &r);
	dhcp6_send(d, q, &r);
}

/* Confirm: are the client's addresses on this link? */
static void dhcp6_confirm(struct unet_dhcp6 *d, const struct dhcp6_req *q)
{
	struct unet__dhcp6_reply r;
	unsigned int i;

	if (q->m.n_addrs == 0) {
		dhcp6_drop(d, "Confirm without addresses");
		return;
	}
	dhcp6_reply_status(d, q, &r);
	for (i = 0; i < q->m.n_addrs; i++)
		if (!dhcp6_in_prefix(d, q->m.addrs[i]))
			r.status = DHCP6_STATUS_NOT_ON_LINK;
	dhcp6_send(d, q, &r);
}

/*
 * RFC 8415 section 16: which identifiers each message must and must not
 * carry. NULL when @q may be answered, else why not.
 */
static const char *dhcp6_check(const struct unet_dhcp6 *d,
			       const struct dhcp6_req *q)
{
	const struct unet__dhcp6_msg *m = &q->m;
	bool ours = m->server_id != NULL &&
		    m->server_id_len == sizeof(d->duid) &&
		    memcmp(m->server_id, d->duid, sizeof(d->duid)) == 0;

	switch (m->type) {
	case DHCP6_INFORMATION_REQUEST:
		if (m->server_id != NULL && !ours)
			return "for another server";
		if (m->n_ias_all > 0)
			return "Information-request with an IA";
		return NULL;
	case DHCP6_SOLICIT:
	case DHCP6_CONFIRM:
	case DHCP6_REBIND:
		if (m->client_id == NULL)
			return "no Client Identifier";
		if (m->server_id != NULL)
			return "a Server Identifier where none belongs";
		break;
	default: /* Request, Renew, Release, Decline */
		if (m->client_id == NULL)
			return "no Client Identifier";
		if (!ours)
			return "for another server";
		break;
	}
	return d->stateful ? NULL :
			     "about addresses, and the server is stateless";
}

/* Answers a parsed message. */
static void dhcp6_serve(struct unet_dhcp6 *d, const struct dhcp6_req *q)
{
	uint64_t now = unet_hub_now_ns(d->hub);
	struct unet__dhcp6_reply r;
	const char *why = dhcp6_check(d, q);

	if (why != NULL) {
		dhcp6_drop(d, why);
		return;
	}
	switch (q->m.type) {
	case DHCP6_INFORMATION_REQUEST:
		dhcp6_reply_init(d, q, DHCP6_REPLY, &r);
		dhcp6_send(d, q, &r);
		break;
	case DHCP6_SOLICIT:
	case DHCP6_REQUEST:
		dhcp6_assign(d, q, now);
		break;
	case DHCP6_RENEW:
	case DHCP6_REBIND:
		dhcp6_extend(d, q, now);
		break;
	case DHCP6_RELEASE:
	case DHCP6_DECLINE:
		dhcp6_giveback(d, q, now);
		break;
	default: /* Confirm: the parser lets nothing else through */
		dhcp6_confirm(d, q);
		break;
	}
}

/**
 * unet__dhcp6_input() - take a DHCPv6 message before lwIP does
 * @stack: the stack
 * @eth: the frame's Ethernet header
 * @ip: its IPv6 header (next header UDP)
 * @payload: the UDP datagram
 * @len: its length
 *
 * Return: true when the datagram was for the server (answered, or dropped
 * and counted); false for any other UDP.
 */
bool unet__dhcp6_input(struct unet_stack *stack, const struct wire_eth *eth,
		       const struct wire_ip6 *ip, const uint8_t *payload,
		       size_t len)
{
	struct unet_dhcp6 *d = unet__stack_services(stack)->dhcp6;
	struct unet_cursor c = cursor_init(payload, len);
	const struct wire_udp *uh;
	struct dhcp6_req q;
	const char *why;
	size_t ulen;
	uint32_t sum;

	uh = cursor_take_hdr(&c, struct wire_udp);
	if (d == NULL || uh == NULL || wire_udp_dport(uh) != DHCP6_SERVER_PORT)
		return false;
	if (memcmp(ip->daddr, dhcp6_servers, sizeof(dhcp6_servers)) != 0 &&
	    !unet__stack_is_gateway_addr6(stack, ip->daddr))
		return false;
	d->stats->dhcp6_in++;
	ulen = wire_udp_len(uh);
	if (ulen < WIRE_UDP_HLEN || ulen > len) {
		dhcp6_drop(d, "bad UDP length");
		return true;
	}
	sum = unet__csum_ip6_pseudo(ip->saddr, ip->daddr, WIRE_IPPROTO_UDP,
				    ulen);
	if (uh->csum == 0 ||
	    unet__csum_finish(unet__csum_add(sum, payload, ulen)) != 0) {
		dhcp6_drop(d, "bad UDP checksum");
		return true;
	}
	if (!dhcp6_is_linklocal(ip->saddr) && !dhcp6_in_prefix(d, ip->saddr)) {
		dhcp6_drop(d, "from an address off the link");
		return true;
	}
	if (wire_eth_is_group(eth->src)) {
		dhcp6_drop(d, "from a group MAC");
		return true;
	}
	q.eth = eth;
	q.ip = ip;
	q.sport = wire_udp_sport(uh);
	if (unet__dhcp6_parse(payload + WIRE_UDP_HLEN, ulen - WIRE_UDP_HLEN,
			      &q.m, &why) < 0) {
		dhcp6_drop(d, why);
		return true;
	}
	dhcp6_serve(d, &q);
	return true;
}

/* A name of the search list that was left out. */
static void dhcp6_search_rejected(void *opaque, const char *name, size_t len)
{
	struct unet_dhcp6 *d = opaque;

	unet_hub_log(
		d->hub, UNET_LOG_WARN,
		"dhcp6: dnssearch: '%.*s' does not fit in the domain list; left out",
		(int)len, name);
}

/**
 * unet__dhcp6_start() - start the DHCPv6 server
 * @stack: the stack (IPv6 on, ndp started: replies go out through it)
 *
 * Encodes the domain list once; with ip6_dhcp_stateful allocates the pool
 * (nothing else grows later).
 *
 * Return: 0, -ENOMEM.
 */
int unet__dhcp6_start(struct unet_stack *stack)
{
	const struct unet_stack_config *cfg = unet__stack_config(stack);
	struct unet_dhcp6 *d;
	int r;

	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return -ENOMEM;
	d->stack = stack;
	d->hub = unet__stack_hub(stack);
	d->cfg = cfg;
	d->stats = unet__stack_stats(stack);
	d->stateful = cfg->ip6_dhcp_stateful;
	d->duid[1] = DHCP6_DUID_LL;
	d->duid[3] = DHCP6_HWTYPE_ETHER;
	memcpy(d->duid + 4, cfg->mac, 6);
	d->domains_len = unet__dns_search_encode_plain(
		cfg->dnssearch, d->domains, sizeof(d->domains),
		dhcp6_search_rejected, d);
	if (d->stateful) {
		r = unet__dhcp_pool_init(&d->pool, htonl(DHCP6_POOL_FIRST),
					 DHCP6_POOL_N);
		if (r < 0) {
			free(d);
			return r;
		}
	}
	unet__stack_services(stack)->dhcp6 = d;
	return 0;
}

/**
 * unet__dhcp6_stop() - stop the DHCPv6 server
 * @stack: the stack
 *
 * Frees it at once (it has no handles). Does nothing when it was not
 * started.
 */
void unet__dhcp6_stop(struct unet_stack *stack)
{
	struct stack_services *s = unet__stack_services(stack);
	struct unet_dhcp6 *d = s->dhcp6;

	if (d == NULL)
		return;
	s->dhcp6 = NULL;
	unet__dhcp_pool_free(&d->pool);
	free(d);
}
