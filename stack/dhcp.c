/* SPDX-License-Identifier: MIT */
/*
 * The gateway's DHCP and BOOTP server (RFC 2131, 2132, 951, 1542).
 *
 * Theory of operation: an lwIP UDP pcb bound to any address, port 67, takes
 * what clients send, broadcast from 0.0.0.0 (lwipopts.h lets those through
 * with LWIP_IP_ACCEPT_UDP_PORT) or unicast to the gateway when renewing.
 * Each message is copied out of its pbuf and parsed (dhcp_msg.c: the fixed
 * part, the magic cookie, the options, and the options overloaded into the
 * file and sname fields). Anything malformed, or sent through a relay
 * (giaddr set: there are no relays on a hub), is dropped and counted in
 * dhcp_drop.
 *
 * Leases: the pool of dhcp_count addresses from dhcp_start (dhcp_lease.c
 * keeps who holds which, and until when, on the hub's clock). When the
 * pool is exhausted the client gets no offer and the log one line, until
 * an address is handed out again.
 *
 * Replies are built whole here, Ethernet, IPv4 and UDP headers (struct
 * wire_eth, wire_ip4, wire_udp) and checksums (wire/checksum.h) included,
 * and put on the hub with unet__stack_output_frame(): a client without an
 * address yet cannot answer ARP, so lwIP's output path (which would ARP
 * for yiaddr) is not used. Where they go follows RFC 2131 4.1: NAKs,
 * replies to clients that asked for broadcast and replies with no address
 * to go to are broadcast; replies to a client with an address (ciaddr:
 * renewing, rebinding, INFORM) are unicast to that address; the rest is
 * unicast to yiaddr at chaddr. A reply stays within 576 bytes of IP, or
 * within the client's maximum message size (option 57) and the hub's MTU;
 * options that do not fit are left out, the domain search list (119,
 * encoded once at start by dns_msg.c), the domain name (15) and the host
 * name (12) first. With a boot file, the reply also carries iPXE's
 * option 175 with no-pxedhcp (sub-option 176) set, so that iPXE does not
 * wait about 3 s for ProxyDHCP offers that never come.
 *
 * What a guest can make this hold: nothing beyond the lease table, which is
 * allocated at start. Log lines a guest can cause are rate-limited
 * (wire/log.h), per level; the pool-exhausted warning has a limiter of its
 * own, so that no other line holds it back.
 */
#include <uv.h>

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/ip.h"
#include "lwip/ip_addr.h"
#include "lwip/pbuf.h"
#include "lwip/udp.h"

#include "wire/checksum.h"
#include "wire/dhcp_proto.h"
#include "wire/eth_proto.h"
#include "wire/ip4_proto.h"
#include "wire/log.h"
#include "wire/udp_proto.h"
#include "wire/util.h"

#include "dhcp_lease.h"
#include "dhcp_msg.h"
#include "dns_msg.h"
#include "stack_internal.h"
#include "stack_proxy.h"

/** Largest message taken; longer ones are dropped as malformed. */
#define DHCP_REQ_MAX 2048
/** Largest reply, in bytes of IP, whatever option 57 says. */
#define DHCP_REPLY_IP_MAX 1500
/** The replies' IPv4 TTL. */
#define DHCP_REPLY_TTL 64
/** Room for option 119's data: 2 bytes more than each name at most. */
#define DHCP_SEARCH_MAX \
	(2 * sizeof(((struct unet_stack_config *)NULL)->dnssearch) + 2)

/**
 * struct dhcp_reply_hdrs - the headers in front of a reply
 * @eth: Ethernet, from the gateway's MAC
 * @ip: IPv4, from the gateway's address, no options
 * @udp: UDP, port 67 to port 68
 */
struct dhcp_reply_hdrs {
	struct wire_eth eth;
	struct wire_ip4 ip;
	struct wire_udp udp;
} __attribute__((packed));

/**
 * struct unet_dhcp - the DHCP server of a stack
 * @stack: the stack
 * @hub: its hub (clock, randomness, log)
 * @cfg: the stack's configuration
 * @stats: the stack's counters
 * @pcb: the pcb on port 67
 * @pool: the lease pool (dhcp_start, dhcp_count)
 * @mtu: the hub's MTU
 * @ip_id: IPv4 identification of the next reply
 * @pool_full_logged: the pool ran out and that was logged
 * @search: option 119's data, encoded once at start
 * @search_len: bytes in @search (0: no option 119)
 * @rl: log rate limiters, one per level
 * @rl_pool: the rate limiter of the pool-exhausted warning
 * @req: the message being parsed, copied out of its pbuf
 * @frame: the reply being built
 */
struct unet_dhcp {
	struct unet_stack *stack;
	struct unet_hub *hub;
	const struct unet_stack_config *cfg;
	struct unet_stack_stats *stats;
	struct udp_pcb *pcb;
	struct unet__dhcp_pool pool;
	unsigned int mtu;
	uint16_t ip_id;
	bool pool_full_logged;
	uint8_t search[DHCP_SEARCH_MAX];
	size_t search_len;
	struct unet__ratelimit rl[UNET_LOG_LEVEL_NUM];
	struct unet__ratelimit rl_pool;
	uint8_t req[DHCP_REQ_MAX];
	uint8_t frame[WIRE_ETH_HLEN + DHCP_REPLY_IP_MAX];
};

/**
 * struct dhcp_writer - a bounded writer over a buffer of ours
 * @buf: the buffer
 * @cap: its size
 * @len: bytes written
 */
struct dhcp_writer {
	uint8_t *buf;
	size_t cap;
	size_t len;
};

static_assert(DHCP_REPLY_IP_MAX >= DHCP_MIN_IP_LEN,
	      "replies must hold what every client accepts");
static_assert(DHCP_SEARCH_MAX <= 0xffff, "option 119 data length");
static_assert(sizeof(struct dhcp_reply_hdrs) ==
		      WIRE_ETH_HLEN + WIRE_IP4_HLEN + WIRE_UDP_HLEN,
	      "the reply's headers");

/* Logs something a guest caused, rate-limited per level. */
#define dhcp_log(dhcp, level, fmt, ...)                               \
	unet__log_limited((dhcp)->hub, &(dhcp)->rl[(level)], (level), \
			  "dhcp: " fmt, ##__VA_ARGS__)

static const char *dhcp_mac_str(const uint8_t *mac, char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
		 mac[2], mac[3], mac[4], mac[5]);
	return out;
}

static const char *dhcp_addr_str(uint32_t addr, char out[INET_ADDRSTRLEN])
{
	struct in_addr a = { .s_addr = addr };

	return inet_ntop(AF_INET, &a, out, INET_ADDRSTRLEN);
}

static void dhcp_drop(struct unet_dhcp *dhcp, const char *why)
{
	dhcp->stats->dhcp_drop++;
	dhcp_log(dhcp, UNET_LOG_DEBUG, "dropped a message: %s", why);
}

/* An address was handed out: a pool that runs out again is logged again. */
static void dhcp_handed_out(struct unet_dhcp *dhcp)
{
	dhcp->pool_full_logged = false;
}

static void dhcp_pool_exhausted(struct unet_dhcp *dhcp,
				const struct unet__dhcp_msg *m)
{
	char mac[18];

	dhcp->stats->dhcp_drop++;
	if (dhcp->pool_full_logged)
		return;
	/* Once per exhaustion. */
	dhcp->pool_full_logged = true;
	unet__log_limited(
		dhcp->hub, &dhcp->rl_pool, UNET_LOG_WARN,
		"dhcp: address pool exhausted (%u addresses): no address for %s",
		dhcp->pool.n, dhcp_mac_str(m->fixed->chaddr, mac));
}

/* ---- replies ----------------------------------------------------------- */

static bool dhcp_put(struct dhcp_writer *w, const void *data, size_t n)
{
	if (n > w->cap - w->len)
		return false;
	memcpy(w->buf + w->len, data, n);
	w->len += n;
	return true;
}

static bool dhcp_put_zero(struct dhcp_writer *w, size_t n)
{
	if (n > w->cap - w->len)
		return false;
	memset(w->buf + w->len, 0, n);
	w->len += n;
	return true;
}

static void dhcp_put8(struct dhcp_writer *w, uint8_t v)
{
	dhcp_put(w, &v, 1);
}

/* Sets a NUL-padded string field of @size bytes (zeroed before). */
static void dhcp_field_set(uint8_t *field, size_t size, const char *s)
{
	memcpy(field, s, strnlen(s, size - 1));
}

/*
 * Adds option @code when it fits with one byte left for the end option;
 * data longer than one instance holds is split into consecutive instances
 * (RFC 3396). Return: whether it was added (all of it, or nothing).
 */
static bool dhcp_put_opt(struct dhcp_writer *w, uint8_t code,
			 const void *data, size_t n)
{
	const uint8_t *d = data;
	size_t need = n + 2 * ((n + DHCP_OPT_DATA_MAX - 1) / DHCP_OPT_DATA_MAX);
	size_t chunk;

	if (n == 0 || need + 1 > w->cap - w->len)
		return false;
	while (n > 0) {
		chunk = n < DHCP_OPT_DATA_MAX ? n : DHCP_OPT_DATA_MAX;
		dhcp_put8(w, code);
		dhcp_put8(w, (uint8_t)chunk);
		dhcp_put(w, d, chunk);
		d += chunk;
		n -= chunk;
	}
	return true;
}

static bool dhcp_put_opt_u32(struct dhcp_writer *w, uint8_t code, uint32_t v)
{
	uint8_t b[4];

	unet__put_be32(b, v);

	return dhcp_put_opt(w, code, b, sizeof(b));
}

static bool dhcp_put_opt_addr(struct dhcp_writer *w, uint8_t code,
			      uint32_t addr)
{
	return dhcp_put_opt(w, code, &addr, sizeof(addr));
}

static bool dhcp_put_opt_str(struct dhcp_writer *w, uint8_t code,
			     const char *s)
{
	return dhcp_put_opt(w, code, s, strlen(s));
}

/*
 * Puts the Ethernet, IPv4 and UDP headers in front of the @plen-byte
 * message after them in the frame and sends the frame to @dst at @dmac.
 */
static void dhcp_output(struct unet_dhcp *dhcp, size_t plen,
			const uint8_t *dmac, uint32_t dst)
{
	struct dhcp_reply_hdrs *h = (struct dhcp_reply_hdrs *)dhcp->frame;
	size_t ulen = sizeof(h->udp) + plen, iplen = sizeof(h->ip) + ulen;
	uint32_t sum;
	uint16_t c;

	memcpy(h->eth.dst, dmac, WIRE_ETH_ALEN);
	memcpy(h->eth.src, dhcp->cfg->mac, WIRE_ETH_ALEN);
	h->eth.type = htons(WIRE_ETHTYPE_IP4);

	memset(&h->ip, 0, sizeof(h->ip));
	h->ip.vhl = WIRE_IP4_VHL;
	h->ip.tot_len = htons((uint16_t)iplen);
	h->ip.id = htons(dhcp->ip_id++);
	h->ip.ttl = DHCP_REPLY_TTL;
	h->ip.proto = WIRE_IPPROTO_UDP;
	h->ip.saddr = dhcp->cfg->host.s_addr;
	h->ip.daddr = dst;
	h->ip.csum = htons(unet__csum(&h->ip, sizeof(h->ip)));

	h->udp.sport = htons(DHCP_SERVER_PORT);
	h->udp.dport = htons(DHCP_CLIENT_PORT);
	h->udp.len = htons((uint16_t)ulen);
	h->udp.csum = 0;
	sum = unet__csum_ip4_pseudo(h->ip.saddr, h->ip.daddr, WIRE_IPPROTO_UDP,
				    ulen);
	c = unet__csum_finish(unet__csum_add(sum, &h->udp, ulen));
	if (c == 0)
		c = 0xffff;		/* 0 would mean "no checksum" */
	h->udp.csum = htons(c);

	if (unet__stack_output_frame(dhcp->stack, dhcp->frame,
				     sizeof(h->eth) + iplen) == 0)
		dhcp->stats->dhcp_out++;
}

/*
 * With a boot file, iPXE's no-pxedhcp: there is no ProxyDHCP server on a
 * usernet, so iPXE need not wait for one (option 175, sub-option 176 = 1).
 * Other clients ignore an option they do not know.
 */
static void dhcp_put_ipxe(struct dhcp_writer *w,
			  const struct unet_stack_config *cfg)
{
	static const uint8_t no_pxedhcp[] = { DHCP_IPXE_NO_PXEDHCP, 1, 1 };

	if (cfg->bootfile[0] != '\0')
		dhcp_put_opt(w, DHCP_OPT_IPXE_ENCAP, no_pxedhcp,
			     sizeof(no_pxedhcp));
}

/*
 * Builds and sends a reply to @m: @type is an option 53 value, or 0 for a
 * BOOTP reply; @yiaddr the address given (0 for none).
 */
static void dhcp_reply(struct unet_dhcp *dhcp, const struct unet__dhcp_msg *m,
		       uint8_t type, uint32_t yiaddr)
{
	static const uint8_t bcast[WIRE_ETH_ALEN] = { 0xff, 0xff, 0xff,
						      0xff, 0xff, 0xff };
	static const uint8_t cookie[DHCP_COOKIE_LEN] = {
		DHCP_COOKIE0, DHCP_COOKIE1, DHCP_COOKIE2, DHCP_COOKIE3
	};
	const struct unet_stack_config *cfg = dhcp->cfg;
	struct dhcp_writer w = { .buf = dhcp->frame +
					sizeof(struct dhcp_reply_hdrs) };
	bool nak = type == DHCP_NAK, lease = type == DHCP_OFFER ||
					     (type == DHCP_ACK && yiaddr != 0);
	uint32_t ciaddr = 0, siaddr = nak ? 0 : cfg->host.s_addr, dst;
	size_t ip_max = DHCP_MIN_IP_LEN, min_len = DHCP_BOOTP_MIN_LEN;
	const uint8_t *dmac;
	struct wire_dhcp d;

	/* How large the reply may be (RFC 2131 2, RFC 2132 9.10). */
	if (m->max_size > ip_max)
		ip_max = m->max_size;
	if (ip_max > dhcp->mtu)
		ip_max = dhcp->mtu;
	if (ip_max > DHCP_REPLY_IP_MAX)
		ip_max = DHCP_REPLY_IP_MAX;
	w.cap = ip_max - WIRE_IP4_HLEN - WIRE_UDP_HLEN;
	/* A BOOTP client may take no more than it sent (and 300 bytes). */
	if (type == 0 && m->len > min_len)
		min_len = m->len;
	if (type == 0 && w.cap > min_len)
		w.cap = min_len;

	if (type == DHCP_ACK || type == 0)
		ciaddr = m->ciaddr;
	memset(&d, 0, sizeof(d));
	d.op = DHCP_BOOTREPLY;
	d.htype = DHCP_HTYPE_ETHER;
	d.hlen = DHCP_HLEN_ETHER;
	memcpy(d.xid, m->fixed->xid, sizeof(d.xid));
	d.flags = htons(m->flags);
	d.ciaddr = ciaddr;
	d.yiaddr = yiaddr;
	d.siaddr = siaddr;
	d.giaddr = m->giaddr;
	memcpy(d.chaddr, m->fixed->chaddr, sizeof(d.chaddr));
	if (!nak) {
		dhcp_field_set(d.sname, sizeof(d.sname), cfg->tftp_server_name);
		dhcp_field_set(d.file, sizeof(d.file), cfg->bootfile);
	}
	/* The fixed part always fits: a reply holds 300 bytes at least. */
	dhcp_put(&w, &d, sizeof(d));
	dhcp_put(&w, cookie, sizeof(cookie));

	/* Options, most needed first: what does not fit is left out. */
	if (type != 0) {
		dhcp_put_opt(&w, DHCP_OPT_MSG_TYPE, &type, 1);
		dhcp_put_opt_addr(&w, DHCP_OPT_SERVER_ID, cfg->host.s_addr);
	}
	if (lease) {
		dhcp_put_opt_u32(&w, DHCP_OPT_LEASE_TIME, UNET__DHCP_LEASE_S);
		dhcp_put_opt_u32(&w, DHCP_OPT_T1, UNET__DHCP_LEASE_S / 2);
		dhcp_put_opt_u32(&w, DHCP_OPT_T2, UNET__DHCP_LEASE_S / 8 * 7);
	}
	/* RFC 6842: the client identifier goes back as it came. */
	if (type != 0 && m->client_id != NULL)
		dhcp_put_opt(&w, DHCP_OPT_CLIENT_ID, m->client_id,
			     m->client_id_len);
	if (!nak) {
		dhcp_put_opt_addr(&w, DHCP_OPT_SUBNET_MASK, cfg->mask.s_addr);
		/*
		 * A restricted guest gets no router; nor a DNS server, unless
		 * the forwarder stays on for it (restrict_dns).
		 */
		if (!unet__stack_restricted(dhcp->stack))
			dhcp_put_opt_addr(&w, DHCP_OPT_ROUTER,
					  cfg->host.s_addr);
		if (unet__stack_dns_offered(dhcp->stack))
			dhcp_put_opt_addr(&w, DHCP_OPT_DNS, cfg->dns.s_addr);
		if (dhcp->mtu != 1500) {
			uint8_t mtu[2];

			unet__put_be16(mtu, (uint16_t)dhcp->mtu);

			dhcp_put_opt(&w, DHCP_OPT_MTU, mtu, sizeof(mtu));
		}
		/* BOOTP clients have these in the sname and file fields. */
		if (type != 0) {
			dhcp_put_opt_str(&w, DHCP_OPT_TFTP_SERVER,
					 cfg->tftp_server_name);
			dhcp_put_opt_str(&w, DHCP_OPT_BOOTFILE, cfg->bootfile);
			dhcp_put_ipxe(&w, cfg);
		}
		dhcp_put_opt_str(&w, DHCP_OPT_HOSTNAME, cfg->hostname);
		dhcp_put_opt_str(&w, DHCP_OPT_DOMAIN_NAME, cfg->domainname);
		dhcp_put_opt(&w, DHCP_OPT_DOMAIN_SEARCH, dhcp->search,
			     dhcp->search_len);
	}
	/* dhcp_put_opt() kept a byte for the end option. */
	dhcp_put8(&w, DHCP_OPT_END);
	if (w.len < DHCP_BOOTP_MIN_LEN)
		dhcp_put_zero(&w, DHCP_BOOTP_MIN_LEN - w.len);

	/* Where it goes: RFC 2131 4.1 (giaddr is always 0 here). */
	if (nak) {
		dst = INADDR_BROADCAST;
	} else if (m->ciaddr != 0) {
		dst = m->ciaddr;
	} else if ((m->flags & DHCP_FLAG_BROADCAST) || yiaddr == 0) {
		dst = INADDR_BROADCAST;
	} else {
		dst = yiaddr;
	}
	dmac = dst == INADDR_BROADCAST ? bcast : m->fixed->chaddr;
	dhcp_output(dhcp, w.len, dmac, dst);
}

/* ---- the messages ------------------------------------------------------ */

static void dhcp_discover(struct unet_dhcp *dhcp,
			  const struct unet__dhcp_msg *m,
			  const struct unet__dhcp_key *k, uint64_t now)
{
	int i;

	i = unet__dhcp_pool_offer(&dhcp->pool, k,
				  m->has_requested ? m->requested : 0, now);
	if (i < 0) {
		dhcp_pool_exhausted(dhcp, m);
		return;
	}
	dhcp_handed_out(dhcp);
	dhcp_reply(dhcp, m, DHCP_OFFER,
		   unet__dhcp_pool_addr(&dhcp->pool, (unsigned int)i));
}

/* Answers a REQUEST for @addr with an ACK when the client may have it. */
static void dhcp_request_addr(struct unet_dhcp *dhcp,
			      const struct unet__dhcp_msg *m,
			      const struct unet__dhcp_key *k, uint32_t addr,
			      uint64_t now)
{
	char a[INET_ADDRSTRLEN], mac[18];
	bool renewal;

	if (unet__dhcp_pool_request(&dhcp->pool, k, addr, now, &renewal) < 0) {
		dhcp_log(dhcp, UNET_LOG_DEBUG, "NAK %s to %s",
			 dhcp_addr_str(addr, a),
			 dhcp_mac_str(m->fixed->chaddr, mac));
		dhcp_reply(dhcp, m, DHCP_NAK, 0);
		return;
	}
	dhcp_handed_out(dhcp);
	if (!renewal)
		dhcp_log(dhcp, UNET_LOG_INFO, "%s leased to %s",
			 dhcp_addr_str(addr, a),
			 dhcp_mac_str(m->fixed->chaddr, mac));
	dhcp_reply(dhcp, m, DHCP_ACK, addr);
}

static void dhcp_request(struct unet_dhcp *dhcp, const struct unet__dhcp_msg *m,
			 const struct unet__dhcp_key *k, uint64_t now)
{
	if (m->has_server_id && m->server_id != dhcp->cfg->host.s_addr) {
		/*
		 * SELECTING another server's offer (RFC 2131 3.1 step 4):
		 * ours was declined, and this server stays silent.
		 */
		unet__dhcp_pool_unoffer(&dhcp->pool, k, now);
		dhcp_drop(dhcp, "REQUEST for another server");
		return;
	}
	if (m->has_requested)		/* SELECTING or INIT-REBOOT */
		dhcp_request_addr(dhcp, m, k, m->requested, now);
	else if (m->ciaddr != 0)	/* RENEWING or REBINDING */
		dhcp_request_addr(dhcp, m, k, m->ciaddr, now);
	else
		dhcp_drop(dhcp, "REQUEST without an address");
}

static void dhcp_decline(struct unet_dhcp *dhcp, const struct unet__dhcp_msg *m,
			 const struct unet__dhcp_key *k, uint64_t now)
{
	char a[INET_ADDRSTRLEN], mac[18];

	if ((m->has_server_id && m->server_id != dhcp->cfg->host.s_addr) ||
	    !m->has_requested) {
		dhcp_drop(dhcp, "DECLINE for another server or no address");
		return;
	}
	if (unet__dhcp_pool_decline(&dhcp->pool, k, m->requested, now) < 0) {
		dhcp_drop(dhcp, "DECLINE of an address not the client's");
		return;
	}
	dhcp_log(dhcp, UNET_LOG_WARN,
		 "%s declined by %s (in use?): not handed out for %d s",
		 dhcp_addr_str(m->requested, a),
		 dhcp_mac_str(m->fixed->chaddr, mac),
		 UNET__DHCP_DECLINE_HOLD_S);
}

static void dhcp_release(struct unet_dhcp *dhcp, const struct unet__dhcp_msg *m,
			 const struct unet__dhcp_key *k, uint64_t now)
{
	if (m->has_server_id && m->server_id != dhcp->cfg->host.s_addr) {
		dhcp_drop(dhcp, "RELEASE for another server");
		return;
	}
	if (unet__dhcp_pool_release(&dhcp->pool, k, m->ciaddr, now) < 0)
		dhcp_drop(dhcp, "RELEASE of an address not the client's");
}

static void dhcp_bootp(struct unet_dhcp *dhcp, const struct unet__dhcp_msg *m,
		       const struct unet__dhcp_key *k, uint64_t now)
{
	int i;

	i = unet__dhcp_pool_bootp(&dhcp->pool, k, now);
	if (i < 0) {
		dhcp_pool_exhausted(dhcp, m);
		return;
	}
	dhcp_handed_out(dhcp);
	dhcp_reply(dhcp, m, 0,
		   unet__dhcp_pool_addr(&dhcp->pool, (unsigned int)i));
}

/* Whether a datagram to @dst is for this server. */
static bool dhcp_dst_ok(const struct unet_dhcp *dhcp, uint32_t dst)
{
	uint32_t bcast = dhcp->cfg->net.s_addr | ~dhcp->cfg->mask.s_addr;

	return dst == INADDR_BROADCAST || dst == bcast ||
	       dst == dhcp->cfg->host.s_addr;
}

static void dhcp_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p,
		      const ip_addr_t *addr, u16_t port)
{
	struct unet_dhcp *dhcp = arg;
	struct unet__dhcp_key k;
	struct unet__dhcp_msg m;
	const char *why = NULL;
	uint64_t now;
	size_t len;

	dhcp->stats->dhcp_in++;
	if (!dhcp_dst_ok(dhcp, ip4_addr_get_u32(ip4_current_dest_addr()))) {
		pbuf_free(p);
		dhcp_drop(dhcp, "not to the gateway or broadcast");
		return;
	}
	if (p->tot_len > sizeof(dhcp->req)) {
		pbuf_free(p);
		dhcp_drop(dhcp, "too long");
		return;
	}
	len = pbuf_copy_partial(p, dhcp->req, p->tot_len, 0);
	pbuf_free(p);
	if (unet__dhcp_msg_parse(dhcp->req, len, &m, &why) < 0) {
		dhcp_drop(dhcp, why);
		return;
	}
	if (m.giaddr != 0) {
		dhcp_drop(dhcp, "relayed (giaddr set)");
		return;
	}
	unet__dhcp_key_make(&k, m.fixed->chaddr, m.client_id, m.client_id_len);
	now = unet_hub_now_ns(dhcp->hub);
	switch (m.type) {
	case 0:
		dhcp_bootp(dhcp, &m, &k, now);
		break;
	case DHCP_DISCOVER:
		dhcp_discover(dhcp, &m, &k, now);
		break;
	case DHCP_REQUEST:
		dhcp_request(dhcp, &m, &k, now);
		break;
	case DHCP_DECLINE:
		dhcp_decline(dhcp, &m, &k, now);
		break;
	case DHCP_RELEASE:
		dhcp_release(dhcp, &m, &k, now);
		break;
	case DHCP_INFORM:
		/* RFC 2131 4.3.5: the options, no address and no lease. */
		dhcp_reply(dhcp, &m, DHCP_ACK, 0);
		break;
	default:
		dhcp_drop(dhcp, "not a client's message type");
		break;
	}
}

/* ---- start and stop ------------------------------------------------------ */

/* A name of the search list that was left out. */
static void dhcp_search_rejected(void *opaque, const char *name, size_t len)
{
	struct unet_dhcp *dhcp = opaque;

	unet_hub_log(
		dhcp->hub, UNET_LOG_WARN,
		"dhcp: dnssearch: '%.*s' is not a domain name that fits; left out",
		(int)len, name);
}

/**
 * unet__dhcp_start() - start the DHCP server on port 67
 * @stack: the stack; its configuration gives the pool (dhcp_start,
 *         dhcp_count) and the options
 *
 * Allocates the lease table (dhcp_count entries; nothing else grows later),
 * encodes the domain search list once, and binds port 67 on any address.
 *
 * Return: 0; -ENOMEM; -EADDRINUSE when port 67 is taken.
 */
int unet__dhcp_start(struct unet_stack *stack)
{
	const struct unet_stack_config *cfg = unet__stack_config(stack);
	struct unet_hub *hub = unet__stack_hub(stack);
	struct unet_dhcp *dhcp;
	int r;

	dhcp = calloc(1, sizeof(*dhcp));
	if (dhcp == NULL)
		return -ENOMEM;
	dhcp->stack = stack;
	dhcp->hub = hub;
	dhcp->cfg = cfg;
	dhcp->stats = unet__stack_stats(stack);
	dhcp->mtu = unet_hub_mtu(hub);
	dhcp->ip_id = (uint16_t)unet_hub_random(hub);
	r = unet__dhcp_pool_init(&dhcp->pool, cfg->dhcp_start.s_addr,
				 cfg->dhcp_count);
	if (r < 0)
		goto fail;
	r = unet__dns_search_encode(cfg->dnssearch, dhcp->search,
				    sizeof(dhcp->search), &dhcp->search_len,
				    dhcp_search_rejected, dhcp);
	if (r < 0)
		goto fail;
	dhcp->pcb = udp_new();
	if (dhcp->pcb == NULL) {
		r = -ENOMEM;
		goto fail;
	}
	if (udp_bind(dhcp->pcb, IP4_ADDR_ANY, DHCP_SERVER_PORT) != ERR_OK) {
		unet_hub_log(hub, UNET_LOG_ERROR, "dhcp: port %d is taken",
			     DHCP_SERVER_PORT);
		udp_remove(dhcp->pcb);
		r = -EADDRINUSE;
		goto fail;
	}
	udp_recv(dhcp->pcb, dhcp_recv, dhcp);
	unet__stack_services(stack)->dhcp = dhcp;
	return 0;

fail:
	unet__dhcp_pool_free(&dhcp->pool);
	free(dhcp);
	return r;
}

/**
 * unet__dhcp_stop() - stop the DHCP server
 * @stack: the stack
 *
 * Releases the pcb and the lease table at once (the server has no uv
 * handles). Does nothing when the server was not started.
 */
void unet__dhcp_stop(struct unet_stack *stack)
{
	struct stack_services *s = unet__stack_services(stack);
	struct unet_dhcp *dhcp = s->dhcp;

	if (dhcp == NULL)
		return;
	s->dhcp = NULL;
	udp_remove(dhcp->pcb);
	unet__dhcp_pool_free(&dhcp->pool);
	free(dhcp);
}
